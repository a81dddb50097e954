//! Records as the store keeps them.

use okienko_domain::Millis;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub id: String,
    pub email: String,
    pub display_name: String,
    pub password_hash: String,
    pub email_verified: bool,
    /// Base32 TOTP secret once enrolled.
    pub totp_secret: Option<String>,
    pub totp_last_step: Option<i64>,
    pub locale: Option<String>,
    pub disabled: bool,
    pub created_at: Millis,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Office {
    pub id: String,
    pub name: String,
    pub nip: String,
    pub regon: String,
    pub street: String,
    pub postal_code: String,
    pub city: String,
    pub created_at: Millis,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServicePoint {
    pub id: String,
    pub name: String,
    pub street: String,
    pub postal_code: String,
    pub city: String,
    pub is_open: bool,
    pub created_at: Millis,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Department {
    pub id: String,
    pub office_id: String,
    pub code: String,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    /// SHA-256 (hex) of the secret token the client holds; the token itself is never stored.
    pub token_hash: String,
    pub user_id: String,
    /// `web` (cookie) or `api` (bearer token).
    pub kind: String,
    pub csrf: String,
    pub created_at: Millis,
    pub expires_at: Millis,
    /// What the session was opened from, in words ("Firefox on Linux"); may be empty.
    pub device: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Job {
    pub id: String,
    pub kind: String,
    pub payload: String,
    pub attempts: i64,
    pub max_attempts: i64,
    /// When an earlier attempt handed the work over and stopped before it heard back
    /// ([`crate::JobStore::hand_job`]).
    pub handed_at: Option<Millis>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct JobCounts {
    pub pending: i64,
    pub done: i64,
    pub failed: i64,
}

/// One leaf of the evidence log: the exact bytes and SHA-256(0x00 || bytes), both as stored
/// (base64 and hex).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogLeaf {
    pub idx: i64,
    pub leaf_hash: String,
    pub leaf_b64: String,
}

/// A signed tree head: root hash (hex) and signature (base64 DER ECDSA).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TreeHead {
    pub tree_size: i64,
    pub timestamp_ms: i64,
    pub root_hash: String,
    pub signature: String,
}

/// An electronic delivery mailbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mailbox {
    pub address: String,
    /// `person`, `company` or `public_body`.
    pub kind: String,
    pub name: String,
    pub owner_user_id: Option<String>,
    pub office_id: Option<String>,
    pub pesel: Option<String>,
    pub nip: Option<String>,
    pub city: String,
    pub created_at: Millis,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Message {
    pub id: String,
    pub sender: String,
    pub sender_user_id: Option<String>,
    pub subject: String,
    /// The body; empty when `body_sha256` is set and it has not been loaded.
    pub body: String,
    /// Set when the body is kept as a blob (long bodies, see the services' `send_message`):
    /// its SHA-256 in the blob store.
    pub body_sha256: Option<String>,
    pub sent_at: Millis,
    pub idempotency_key: Option<String>,
    pub reply_to: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    pub message_id: String,
    pub recipient: String,
    pub sent_at: Millis,
    pub delivered_at: Millis,
    pub opened_at: Option<Millis>,
    pub deemed_at: Option<Millis>,
    pub deemable: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attachment {
    pub message_id: String,
    pub n: i64,
    pub name: String,
    pub size: i64,
    pub sha256: String,
    pub media_type: String,
}

/// A signed evidence document as stored: the JSON and the DER CMS (base64).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EvidenceRecord {
    pub id: String,
    pub message_id: Option<String>,
    /// The recipient it concerns, or "" for the sender's own evidence.
    pub recipient: String,
    pub kind: String,
    pub issued_at: Millis,
    pub log_index: i64,
    pub document: String,
    pub signed_b64: String,
}

/// A line of a mailbox listing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageSummary {
    pub id: String,
    pub sender: String,
    pub subject: String,
    pub sent_at: Millis,
    /// For the inbox: when this mailbox opened it. For the sent folder: None.
    pub opened_at: Option<Millis>,
    pub deemed_at: Option<Millis>,
    /// For the inbox: when it reached this mailbox, and whether it can be deemed delivered.
    pub delivered_at: Option<Millis>,
    pub deemable: bool,
    /// True when this mailbox sent it (sent folder, or archived from there).
    pub outgoing: bool,
}

/// Where a sent message stands with one recipient: an e-delivery mailbox (opened, deemed
/// delivered, or neither yet) or a postal address (the paper letter's state word:
/// waiting, batched, printed, dispatched, or its delivery outcome).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SentTo {
    pub message_id: String,
    /// The mailbox address, or the addressee's name on a paper letter.
    pub recipient: String,
    pub opened_at: Option<Millis>,
    pub deemed_at: Option<Millis>,
    /// For a paper letter: its state word; None for a mailbox.
    pub paper: Option<String>,
}

/// A mailbox's unopened messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnreadCount {
    pub address: String,
    pub unread: i64,
    /// When the earliest unopened message that can be deemed delivered arrived.
    pub first_deemable_at: Option<Millis>,
}

/// A mailbox folder.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Folder {
    Inbox,
    Sent,
    /// What this mailbox archived from its inbox or its sent folder.
    Archive,
}

/// Narrows a folder listing: words (folded, see `domain::search`) that each start a word of
/// the message's subject or of its sender's or recipients' names or addresses; a message's
/// short reference (hex digits of its id); a time range `[since, until)`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListFilter {
    pub words: Vec<String>,
    pub reference: Option<String>,
    pub since: Option<Millis>,
    pub until: Option<Millis>,
}

/// A message with everything stored with it in one transaction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewMessage {
    pub message: Message,
    pub deliveries: Vec<Delivery>,
    pub attachments: Vec<Attachment>,
    pub evidence: Vec<EvidenceRecord>,
    pub letters: Vec<PaperLetter>,
    /// People to tell of the message by email (user ids; see [`crate::notices`]).
    pub notify: Vec<String>,
    /// The e-service submission the message carries (see [`crate::forms`]).
    pub submission: Option<crate::forms::NewSubmission>,
    /// Names the message is also found by in its mailboxes (its sender's and recipients'),
    /// besides its subject (see [`crate::search`]).
    pub search_text: String,
}

/// Where a blob's bytes are in the pack files: pack number, byte offset, length.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PackedBlob {
    pub sha256: String,
    pub pack: i64,
    pub offset: i64,
    pub length: i64,
}

/// One letter of the hybrid paper channel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaperLetter {
    pub id: String,
    pub message_id: String,
    pub tracking_number: String,
    pub verification_code: String,
    pub recipient_name: String,
    pub street: String,
    pub postal_code: String,
    pub city: String,
    pub service_point_id: String,
    pub batch_id: Option<String>,
    pub pages: i64,
    pub pdf_sha256: String,
    pub created_at: Millis,
    pub outcome: Option<String>,
    pub outcome_at: Option<Millis>,
    pub outcome_by: Option<String>,
}

/// The letters a service point prints in one go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrintBatch {
    pub id: String,
    pub service_point_id: String,
    pub status: okienko_domain::status::BatchStatus,
    pub created_at: Millis,
    pub created_by: String,
    pub printed_at: Option<Millis>,
    pub printed_by: Option<String>,
    pub dispatched_at: Option<Millis>,
    pub dispatched_by: Option<String>,
    /// Number of letters and of pages in it.
    pub letters: i64,
    pub pages: i64,
}

/// How a delivery was settled: the recipient opened it, or the law deems it delivered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Handover {
    Opened,
    Deemed,
}

/// A counter's decision on a pending trusted-profile application.
#[derive(Debug, Clone, Copy)]
pub struct TpDecision<'a> {
    pub number: &'a str,
    /// The official who decided.
    pub by: &'a str,
    pub at: Millis,
    pub service_point_id: Option<&'a str>,
    pub outcome: TpOutcome<'a>,
}

/// Confirmed, with the profile it creates or replaces; or refused, with the reason the
/// citizen will read.
#[derive(Debug, Clone, Copy)]
pub enum TpOutcome<'a> {
    Confirmed(&'a TrustedProfile),
    Refused(&'a str),
}

/// A citizen's application for a trusted profile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TpApplication {
    pub number: String,
    pub user_id: String,
    pub pesel: String,
    pub first_name: String,
    pub last_name: String,
    pub id_document: String,
    pub email: String,
    pub phone: String,
    pub created_at: Millis,
    pub expires_at: Millis,
    pub status: okienko_domain::status::ApplicationStatus,
    pub decided_at: Option<Millis>,
    pub decided_by: Option<String>,
    pub service_point_id: Option<String>,
    pub reason: Option<String>,
}

/// A confirmed trusted profile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrustedProfile {
    pub user_id: String,
    pub pesel: String,
    pub first_name: String,
    pub last_name: String,
    pub valid_from: Millis,
    pub valid_until: Millis,
    pub confirmed_by: String,
    pub service_point_id: Option<String>,
    pub application: String,
    pub revoked_at: Option<Millis>,
}

/// An assisted visit at a counter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CounterVisit {
    pub id: String,
    pub service_point_id: String,
    pub clerk_id: String,
    pub citizen_id: String,
    pub consent_at: Millis,
    pub started_at: Millis,
    pub ended_at: Option<Millis>,
}

/// A cash receipt issued at a counter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CashReceipt {
    pub id: String,
    pub service_point_id: String,
    /// Consecutive per service point, from 1.
    pub number: i64,
    /// The assisted visit it was taken in; none for a walk-in payment.
    pub visit_id: Option<String>,
    pub clerk_id: String,
    /// The payer's account; none for someone served without one.
    pub citizen_id: Option<String>,
    /// The payer's name as they gave it, for a walk-in payment.
    pub payer_name: Option<String>,
    /// In grosze.
    pub amount: i64,
    pub title: String,
    pub paid_at: Millis,
    /// The receipt's JSON, and its enveloping CMS signature (base64).
    pub document: String,
    pub signed_b64: String,
    pub log_index: i64,
    /// The office the fee is paid to, if the counter takes it on an office's behalf.
    pub payee_office_id: Option<String>,
    /// The receipt's void, once it is voided (never deleted).
    pub void: Option<ReceiptVoid>,
}

/// The void of a receipt taken by mistake: signed and logged like the receipt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceiptVoid {
    pub id: String,
    pub receipt_id: String,
    pub clerk_id: String,
    pub reason: String,
    pub voided_at: Millis,
    /// The void's JSON, and its enveloping CMS signature (base64).
    pub document: String,
    pub signed_b64: String,
    pub log_index: i64,
}

/// A signed record stored in the commit that appends it to the evidence log: its row (or
/// rows), numbered by its leaf.
#[derive(Debug, Clone)]
pub enum SignedRecord {
    CashReceipt(Box<CashReceipt>),
    ReceiptVoid(ReceiptVoid),
    SubmissionRelease(Box<SubmissionRelease>),
    /// A cash receipt that pays a submission's fee, with the payment it records.
    CashFee(Box<crate::payments::CashFee>),
    /// A decision signed with the office seal, its evidence and the case's event.
    DecisionSigned(Box<crate::cases::SignedDecision>),
    /// A paper letter registered with its scan and the evidence of its certified copy note.
    ScannedLetter(Box<crate::scans::ScannedLetter>),
}

/// A submission held back for its fee reaching the office once paid: its delivery to the
/// office's mailbox and the evidence that it got there. Stored only when the submission is
/// still awaiting payment (so a second release of the same one adds nothing).
#[derive(Debug, Clone)]
pub struct SubmissionRelease {
    pub delivery: Delivery,
    pub evidence: EvidenceRecord,
}

impl SignedRecord {
    /// Numbers the record by the index of its leaf in the log.
    pub fn set_log_index(&mut self, index: i64) {
        match self {
            SignedRecord::CashReceipt(r) => r.log_index = index,
            SignedRecord::ReceiptVoid(v) => v.log_index = index,
            SignedRecord::SubmissionRelease(r) => r.evidence.log_index = index,
            SignedRecord::CashFee(f) => f.receipt.log_index = index,
            SignedRecord::DecisionSigned(d) => d.evidence.log_index = index,
            SignedRecord::ScannedLetter(l) => l.evidence.log_index = index,
        }
    }
}

/// What a service point's counter did in a day.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CounterDay {
    pub confirmations: i64,
    pub refusals: i64,
    pub visits: i64,
    pub prints: i64,
}
