//! Registered electronic delivery: sending a message with attachments, reading it, and the
//! evidence for every event (after ETSI EN 319 522-1 and the Polish proofs of sending and
//! receipt), each a signed JSON document appended to the evidence log before anyone is told.
//!
//! Legal rules: a message to a public body counts as received when it reaches the mailbox; a
//! message from a public body to a person or company counts as received when first opened,
//! or 14 days after it reached the mailbox (deemed delivery), whichever comes first.

use crate::accounts::Principal;
use crate::clock::rfc3339;
use crate::evidence::EvidenceEvent;
use crate::mailboxes::PUBLIC_BODY;
use crate::paper::PostalRecipient;
use crate::{new_id, Services};
use base64::Engine;
use okienko_domain::address::Address;
use okienko_domain::{DomainError, FieldErrors};
use okienko_store::{
    Attachment, Delivery, EvidenceRecord, Handover, Mailbox, Message, NewMessage, StoreError,
};
pub use okienko_store::{Folder, ListFilter};
use serde_json::json;
use sha2::{Digest, Sha256};
mod listing;
pub use listing::{cursor_of, folder_named, list_filter, parse_cursor};
mod read;
mod uploads;
pub use uploads::KeptFile;
mod records;

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

/// Limits of one message (the default configuration).
pub const MAX_RECIPIENTS: usize = 15;
pub const MAX_TOTAL_BYTES: usize = 50 * 1024 * 1024;
/// Attachments of one message.
pub const MAX_ATTACHMENTS: usize = 100;
/// Recipients of one message in bulk mode (public bodies only), by default.
pub const BULK_RECIPIENTS: usize = 1000;
/// The most an installation may allow per message; request bodies are cut above it.
pub const MAX_CONFIGURABLE_BYTES: usize = 200 * 1024 * 1024;

/// The attachment types by the names an operator configures them with.
const TYPE_NAMES: [(&str, &str); 15] = [
    ("pdf", "application/pdf"),
    ("xml", "application/xml"),
    ("xades", "application/xml"),
    ("p7s", "application/pkcs7-signature"),
    (
        "docx",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ),
    ("odt", "application/vnd.oasis.opendocument.text"),
    ("txt", "text/plain"),
    ("rtf", "application/rtf"),
    ("jpg", "image/jpeg"),
    ("jpeg", "image/jpeg"),
    ("png", "image/png"),
    ("tiff", "image/tiff"),
    ("tif", "image/tiff"),
    ("json", "application/json"),
    ("zip", "application/zip"),
];

/// What one message may carry: recipients (normally and in bulk mode), total attachment
/// size, and the attachment types allowed (by content, from the default allow-list).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    pub max_recipients: usize,
    pub bulk_recipients: usize,
    pub max_total_bytes: usize,
    pub allowed_types: Vec<&'static str>,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_recipients: MAX_RECIPIENTS,
            bulk_recipients: BULK_RECIPIENTS,
            max_total_bytes: MAX_TOTAL_BYTES,
            allowed_types: TYPE_NAMES.iter().map(|(_, t)| *t).collect(),
        }
    }
}

impl Limits {
    /// From an operator's settings; `types` is a comma-separated list of file kinds
    /// (pdf, xml, xades, p7s, docx, odt, txt, rtf, jpg, png, tiff, zip).
    pub fn configured(
        max_recipients: Option<usize>,
        bulk_recipients: Option<usize>,
        max_message_mb: Option<usize>,
        types: Option<&str>,
    ) -> Result<Limits, String> {
        let d = Limits::default();
        let max_total_bytes = max_message_mb.map_or(d.max_total_bytes, |mb| mb * 1024 * 1024);
        if max_total_bytes == 0 || max_total_bytes > MAX_CONFIGURABLE_BYTES {
            return Err(format!(
                "the message size limit must be 1 to {} MB",
                MAX_CONFIGURABLE_BYTES / 1024 / 1024
            ));
        }
        let max_recipients = max_recipients.unwrap_or(d.max_recipients);
        let bulk_recipients = bulk_recipients.unwrap_or(d.bulk_recipients);
        if max_recipients == 0 || bulk_recipients < max_recipients || bulk_recipients > 100_000 {
            return Err("recipient limits must be 1 ≤ normal ≤ bulk ≤ 100000".into());
        }
        let allowed_types = match types {
            None => d.allowed_types,
            Some(list) => {
                let mut out = Vec::new();
                for name in list
                    .split(',')
                    .map(|t| t.trim().to_lowercase())
                    .filter(|t| !t.is_empty())
                {
                    let Some((_, t)) = TYPE_NAMES.iter().find(|(n, _)| *n == name) else {
                        return Err(format!("unknown attachment type {name:?}"));
                    };
                    out.push(*t);
                }
                out
            }
        };
        Ok(Limits {
            max_recipients,
            bulk_recipients,
            max_total_bytes,
            allowed_types,
        })
    }
}
pub const DEEMED_AFTER_MS: i64 = 14 * 24 * 3600 * 1000;

pub struct Outgoing {
    pub from: String,
    pub to: Vec<String>,
    pub subject: String,
    pub body: String,
    /// (file name, bytes)
    pub attachments: Vec<(String, bytes::Bytes)>,
    pub idempotency_key: Option<String>,
    /// Recipients without an electronic address, reached on paper (public-body senders).
    pub postal: Vec<PostalRecipient>,
    /// The message this one answers (the sender must be a party to it).
    pub reply_to: Option<String>,
    /// Bulk mode: a public body writing to many recipients at once.
    pub bulk: bool,
    /// From a form the sender is still filling in (the compose page): what is wrong comes back
    /// as field errors to correct, and no rejection evidence is issued, for a form that can
    /// still be corrected is not yet a submission. An API submission is one as it stands.
    pub correctable: bool,
}

/// What the sender gets back: the message id and the evidence issued so far.
pub struct Sent {
    pub id: String,
    pub evidence: Vec<(String, String)>,
}

/// A body longer than this is stored as a blob with the attachments (in the same synced pack
/// write) instead of in the message's row: in SQLite a 10 KB body took three overflow pages,
/// written to the WAL and again at the checkpoint, and the single writer's time per message
/// is what bounds how many messages a second the platform accepts.
const BODY_INLINE_MAX: usize = 2048;

/// What makes two sends the same message, for a repeated idempotency key.
pub(crate) struct Fingerprint {
    to: Vec<String>,
    subject: String,
    body_sha256: String,
    attachments: Vec<String>,
    postal: usize,
}

impl Fingerprint {
    fn of(out: &Outgoing) -> Fingerprint {
        let mut to: Vec<String> = out
            .to
            .iter()
            .map(|t| Address::parse(t).map(|a| a.to_string()).unwrap_or_default())
            .collect();
        to.sort();
        to.dedup();
        Fingerprint {
            to,
            subject: out.subject.trim().to_string(),
            body_sha256: hex::encode(Sha256::digest(out.body.as_bytes())),
            attachments: out
                .attachments
                .iter()
                .map(|(_, b)| hex::encode(Sha256::digest(b)))
                .collect(),
            postal: out.postal.len(),
        }
    }
}

/// SHA-256 of a message as the evidence cites it: subject, a blank line, body (UTF-8).
pub fn message_sha256(subject: &str, body: &str) -> String {
    hex::encode(okienko_trust::sha256(
        format!("{subject}\n\n{body}").as_bytes(),
    ))
}

impl Services {
    /// Sends a message. Answers only after the message, its attachments and its evidence
    /// (submission acceptance, and consignment to every recipient's mailbox) are committed and
    /// the evidence is in the log. The same idempotency key from the same sender returns the
    /// first result and creates nothing new.
    pub async fn send_message(&self, p: &Principal, out: Outgoing) -> Result<Sent, DomainError> {
        match self.send_or_check(p, out, Mode::Send).await? {
            Done::Sent(s) => Ok(s),
            _ => Err(DomainError::Internal("nothing sent".into())),
        }
    }

    /// Checks a message as [`Self::send_message`] would, sending nothing and issuing no
    /// evidence: the "check your answers" step before a legally significant act.
    pub async fn check_message(&self, p: &Principal, out: Outgoing) -> Result<(), DomainError> {
        self.send_or_check(p, out, Mode::Check).await.map(|_| ())
    }

    /// The first paper letter of a message as it would be printed, marked as a preview (no
    /// tracking number, no code); nothing is sent, stored or logged.
    pub async fn preview_letter(
        &self,
        p: &Principal,
        out: Outgoing,
    ) -> Result<Vec<u8>, DomainError> {
        if out.postal.is_empty() {
            return Err(DomainError::invalid("postal", "err-preview-no-postal"));
        }
        match self.send_or_check(p, out, Mode::Preview).await? {
            Done::Preview(pdf) => Ok(pdf),
            _ => Err(DomainError::Internal("no preview".into())),
        }
    }

    async fn send_or_check(
        &self,
        p: &Principal,
        out: Outgoing,
        mode: Mode,
    ) -> Result<Done, DomainError> {
        self.send_carrying(p, out, mode, None).await
    }

    /// Sends a message that carries an e-service submission: its official receipt (UPP) is
    /// signed with the office's seal, time-stamped, and goes into the log and the store with
    /// the message and the submission's row, in one commit.
    pub(crate) async fn send_submission(
        &self,
        p: &Principal,
        out: Outgoing,
        carried: Carried,
    ) -> Result<Sent, DomainError> {
        match self
            .send_carrying(p, out, Mode::Send, Some(carried))
            .await?
        {
            Done::Sent(s) => Ok(s),
            _ => Err(DomainError::Internal("nothing sent".into())),
        }
    }

    async fn send_carrying(
        &self,
        p: &Principal,
        out: Outgoing,
        mode: Mode,
        carried: Option<Carried>,
    ) -> Result<Done, DomainError> {
        let from = Address::parse(&out.from)
            .map_err(|c| DomainError::invalid("from", c))?
            .to_string();
        let sender_box = match self.membership(p, &from).await? {
            None => return Err(DomainError::invalid("from", "err-from-not-yours")),
            Some((_, r)) if !crate::mailboxes::may_send(&r) => {
                return Err(DomainError::invalid("from", "err-from-read-only"))
            }
            Some((m, _)) => m,
        };
        let retry = out.idempotency_key.as_ref().map(|_| Fingerprint::of(&out));
        if let (Some(key), Some(retry)) = (out.idempotency_key.as_deref(), &retry) {
            if let Some(id) = self.store.message_by_idempotency(&from, key).await? {
                self.same_request(&id, retry).await?;
                return self.sent_result(&id).await.map(Done::Sent);
            }
        }
        let mut errs = FieldErrors::new();
        let subject = out.subject.trim().to_string();
        if subject.is_empty()
            || subject.chars().count() > 200
            || !okienko_domain::text::clean_line(&subject)
        {
            errs.add("subject", "err-subject");
        }
        if out.body.chars().count() > 100_000 {
            errs.add("body", "err-body-long");
        } else if !okienko_domain::text::clean_text(&out.body) {
            errs.add("body", "err-body-controls");
        }
        let mut recipients: Vec<Mailbox> = Vec::new();
        let limits = &self.limits;
        let max = if out.bulk {
            if sender_box.kind != PUBLIC_BODY {
                errs.add("to", "err-bulk-public-only");
            }
            limits.bulk_recipients
        } else {
            limits.max_recipients
        };
        if out.to.is_empty() && out.postal.is_empty() {
            errs.add("to", "err-to-missing");
        } else if out.to.len() + out.postal.len() > max {
            errs.add("to", "err-to-too-many");
        }
        for t in out.to.iter().take(max) {
            match Address::parse(t) {
                Err(c) => errs.add("to", c),
                Ok(a) => match self.store.mailbox(a.as_str()).await? {
                    Some(m) if !recipients.iter().any(|r| r.address == m.address) => {
                        recipients.push(m)
                    }
                    Some(_) => {}
                    None => errs.add("to", "err-to-unknown"),
                },
            }
        }
        let total: usize = out.attachments.iter().map(|(_, b)| b.len()).sum();
        if total > limits.max_total_bytes {
            errs.add("attachment", "err-attachments-too-large");
        }
        let mut types = Vec::new();
        if out.attachments.len() > MAX_ATTACHMENTS {
            errs.add("attachment", "err-attachments-too-many");
        }
        for (name, bytes) in out.attachments.iter().take(MAX_ATTACHMENTS) {
            if name.trim().is_empty()
                || name.chars().count() > 200
                || !okienko_domain::text::clean_line(name)
                || name.contains(['/', '\\'])
            {
                errs.add("attachment", "err-attachment-name");
                continue;
            }
            match okienko_domain::files::sniff(name, bytes) {
                Some(t) if !bytes.is_empty() && limits.allowed_types.contains(&t) => types.push(t),
                _ => errs.add("attachment", "err-attachment-type"),
            }
        }
        if let Some(r) = out.reply_to.as_deref().filter(|r| !r.is_empty()) {
            match self.message_access(p, r).await {
                Ok(_) => {}
                Err(DomainError::NotFound) => errs.add("reply_to", "err-reply-to"),
                Err(e) => return Err(e),
            }
        }
        let points = self
            .check_postal(&sender_box, &out.postal, &types, &mut errs)
            .await?;
        let id = new_id();
        let letters = self
            .render_letters(
                &sender_box,
                &id,
                &subject,
                &out.body,
                &out.attachments,
                &types,
                &out.postal,
                &points,
                (&p.user.display_name, mode == Mode::Preview, &mut errs),
            )
            .await?;
        if !errs.is_empty() {
            if out.correctable {
                return Err(DomainError::Invalid(errs));
            }
            let mut to = out.to.clone();
            to.extend(
                out.postal
                    .iter()
                    .map(|r| format!("PAPER:{}, {}", r.name.trim(), r.postal_code.trim())),
            );
            let id = self.reject_submission(&from, &to, &subject, &errs).await?;
            return Err(DomainError::Rejected(errs, id));
        }
        match mode {
            Mode::Send => {}
            Mode::Check => return Ok(Done::Checked),
            Mode::Preview => {
                return letters
                    .into_iter()
                    .next()
                    .map(|l| Done::Preview(l.pdf))
                    .ok_or(DomainError::Internal("no letter".into()))
            }
        }
        // Bytes stored with the message in its commit: letters' PDFs and attachments.
        let mut blobs: Vec<(String, bytes::Bytes)> = Vec::new();
        let letters: Vec<okienko_store::PaperLetter> = letters
            .into_iter()
            .map(|p| {
                blobs.push((p.letter.pdf_sha256.clone(), p.pdf.into()));
                p.letter
            })
            .collect();

        let now = self.now_ms();
        let mut attachments = Vec::new();
        for (n, ((name, bytes), media_type)) in out.attachments.into_iter().zip(types).enumerate() {
            let size = bytes.len() as i64;
            let sha256 = hex::encode(Sha256::digest(&bytes));
            blobs.push((sha256.clone(), bytes));
            let name: String = name
                .chars()
                .filter(|c| !c.is_control() && *c != '/' && *c != '\\')
                .take(200)
                .collect();
            attachments.push(Attachment {
                message_id: id.clone(),
                n: n as i64,
                name,
                size,
                sha256,
                media_type: media_type.into(),
            });
        }
        let mut message = Message {
            id: id.clone(),
            sender: from.clone(),
            sender_user_id: Some(p.user.id.clone()),
            subject,
            body: out.body,
            body_sha256: None,
            sent_at: now,
            idempotency_key: out.idempotency_key,
            reply_to: out.reply_to.filter(|r| !r.is_empty()),
        };
        let mut to: Vec<String> = recipients.iter().map(|r| r.address.clone()).collect();
        to.extend(letters.iter().map(crate::paper::paper_recipient));
        // A submission whose fee is not paid yet is held back: the office's mailbox gets it,
        // with the evidence of its consignment, once it is paid (`release_paid_submission`).
        let held = carried.as_ref().is_some_and(|c| {
            c.row.status == okienko_domain::status::SubmissionStatus::AwaitingPayment.as_str()
        });
        let recipients: Vec<Mailbox> = if held { Vec::new() } else { recipients };
        let deliveries: Vec<Delivery> = recipients
            .iter()
            .map(|r| Delivery {
                message_id: id.clone(),
                recipient: r.address.clone(),
                sent_at: now,
                delivered_at: now,
                opened_at: None,
                deemed_at: None,
                deemable: sender_box.kind == PUBLIC_BODY && r.kind != PUBLIC_BODY,
            })
            .collect();
        // Evidence: acceptance for the sender, consignment per recipient (for a public body,
        // reaching its mailbox is its receipt).
        let paper: Vec<serde_json::Value> = letters
            .iter()
            .map(|l| json!({"tracking_number": l.tracking_number, "letter_sha256": l.pdf_sha256, "letter_pages": l.pages, "postal_code": l.postal_code}))
            .collect();
        let mut events = vec![EvidenceEvent {
            kind: "submission-acceptance",
            recipient: String::new(),
            at: now,
            extra: if paper.is_empty() {
                json!({})
            } else {
                json!({"paper_letters": paper})
            },
        }];
        for r in &recipients {
            let extra = if r.kind == PUBLIC_BODY {
                json!({"receipt_time": rfc3339(now), "legal_effect": "received on reaching the public body's mailbox"})
            } else {
                json!({})
            };
            events.push(EvidenceEvent::new(
                "content-consignment",
                &r.address,
                now,
                extra,
            ));
        }
        let (mut records, mut leaves): (Vec<EvidenceRecord>, Vec<Vec<u8>>) = self
            .sign_message_evidence(&message, &to, &attachments, events)
            .await?
            .into_iter()
            .unzip();
        let submission = match carried {
            None => None,
            Some(c) => {
                let (record, leaf, row) = self
                    .receipt_of_submission(c, &message, &attachments)
                    .await?;
                records.push(record);
                leaves.push(leaf);
                Some(row)
            }
        };
        if message.body.len() > BODY_INLINE_MAX {
            let body = bytes::Bytes::from(std::mem::take(&mut message.body).into_bytes());
            let sha = hex::encode(Sha256::digest(&body));
            blobs.push((sha.clone(), body));
            message.body_sha256 = Some(sha);
        }
        // Found in the mailboxes by the names of who sent it and to whom, besides its subject.
        let search_text = std::iter::once(sender_box.name.as_str())
            .chain(recipients.iter().map(|r| r.name.as_str()))
            .chain(letters.iter().map(|l| l.recipient_name.as_str()))
            .collect::<Vec<_>>()
            .join(" ");
        let new = NewMessage {
            search_text,
            message,
            deliveries,
            attachments,
            evidence: records,
            letters,
            // The recipients' owners are told in this same commit (see `crate::notices`).
            notify: recipients
                .iter()
                .filter_map(|r| r.owner_user_id.clone())
                .collect(),
            submission,
        };
        let key = new.message.idempotency_key.clone();
        let evidence: Vec<(String, String)> = new
            .evidence
            .iter()
            .map(|r| (r.id.clone(), r.kind.clone()))
            .collect();
        // The evidence goes into the log and the message into its mailboxes in one commit.
        let stored = self
            .log
            .append_message(leaves, (new, blobs))
            .await
            .map_err(|e| DomainError::Internal(e.to_string()))?;
        match stored {
            Ok(()) => {}
            Err(StoreError::Conflict(_)) if key.is_some() => {
                // The same key raced in at the same time: answer with the first one.
                let key = key.as_deref().unwrap_or_default();
                if let Some(first) = self.store.message_by_idempotency(&from, key).await? {
                    if let Some(retry) = &retry {
                        self.same_request(&first, retry).await?;
                    }
                    return self.sent_result(&first).await.map(Done::Sent);
                }
                return Err(DomainError::Conflict("err-conflict"));
            }
            Err(e) => return Err(e.into()),
        }
        Ok(Done::Sent(Sent { id, evidence }))
    }
}

/// What a message carrying an e-service submission adds: the submission's row (its message
/// id, receipt id and time are filled in when it is sent), the office whose seal signs the
/// receipt, what the receipt says of the service, and the draft to delete.
pub(crate) struct Carried {
    pub row: okienko_store::Submission,
    pub draft_id: Option<String>,
    /// Further fields of the receipt (office, service, reference, signature).
    pub about: serde_json::Value,
}

impl Services {
    /// The UPP of a submission: signed with the office's seal and time-stamped; its record,
    /// its log leaf and the submission's row to store with the message.
    async fn receipt_of_submission(
        &self,
        c: Carried,
        m: &Message,
        attachments: &[Attachment],
    ) -> Result<(EvidenceRecord, Vec<u8>, okienko_store::NewSubmission), DomainError> {
        let id = format!("EV-{}", new_id());
        let mut doc = json!({
            "evidence_id": id,
            "type": "submission-receipt",
            "issuing_service": self.base_url,
            "message_id": m.id,
            "sender": m.sender,
            "submitted_at": rfc3339(m.sent_at),
            "event_time": rfc3339(m.sent_at),
            "documents": attachments.iter().map(|a| json!({"name": a.name, "size": a.size, "sha256": a.sha256})).collect::<Vec<_>>(),
        });
        if let (Some(o), Some(extra)) = (doc.as_object_mut(), c.about.as_object()) {
            for (k, v) in extra {
                o.insert(k.clone(), v.clone());
            }
        }
        let bytes = serde_json::to_vec_pretty(&doc).unwrap_or_default();
        let signed = self
            .seal_stamped(&c.row.office_id, bytes.clone(), false)
            .await?;
        let record = EvidenceRecord {
            id: id.clone(),
            message_id: Some(m.id.clone()),
            recipient: String::new(),
            kind: "submission-receipt".into(),
            issued_at: m.sent_at,
            log_index: -1,
            document: String::from_utf8_lossy(&bytes).to_string(),
            signed_b64: B64.encode(&signed),
        };
        let row = okienko_store::Submission {
            message_id: m.id.clone(),
            upp_id: id,
            submitted_at: m.sent_at,
            updated_at: m.sent_at,
            ..c.row
        };
        Ok((
            record,
            signed,
            okienko_store::NewSubmission {
                row,
                draft_id: c.draft_id,
            },
        ))
    }
}

/// What [`Services::send_or_check`] is asked to do.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    Send,
    Check,
    Preview,
}

/// What it did.
enum Done {
    Sent(Sent),
    Checked,
    Preview(Vec<u8>),
}

/// What a reader of a message gets.
pub struct Opened {
    pub message: Message,
    pub attachments: Vec<Attachment>,
    pub deliveries: Vec<Delivery>,
}

#[cfg(test)]
mod limit_tests {
    use super::Limits;

    #[test]
    fn limits_from_settings() {
        assert_eq!(
            Limits::configured(None, None, None, None),
            Ok(Limits::default())
        );
        let l = Limits::configured(Some(5), Some(50), Some(10), Some("pdf, PNG")).expect("ok");
        assert_eq!(l.allowed_types, vec!["application/pdf", "image/png"]);
        assert_eq!(l.max_total_bytes, 10 * 1024 * 1024);
        assert!(Limits::configured(None, None, Some(0), None).is_err());
        assert!(Limits::configured(None, None, Some(500), None).is_err());
        assert!(Limits::configured(Some(20), Some(10), None, None).is_err());
        assert!(Limits::configured(None, None, None, Some("pdf,exe")).is_err());
    }
}
