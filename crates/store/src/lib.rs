//! Storage: one trait, [`Store`], and its SQL implementation for SQLite (the embedded default)
//! and PostgreSQL. Both run the same portable SQL and the same migrations; where the two
//! engines differ (connection set-up, job claiming) the code says so next to the difference.
//! The shared test suite in `tests/suite.rs` runs on SQLite always and on PostgreSQL when
//! `OKIENKO_TEST_DATABASE_URL` is set.

mod migrations;
mod model;
pub mod notices;
mod sql;

pub mod cache;
pub use model::*;
pub use notices::NoticeStore;
pub use sql::{Backend, SqlStore};

/// A new identifier: a UUID of version 7, which starts with the time it was made, so rows
/// made one after another sit next to each other in every index keyed by their id. With
/// random (version 4) ids each insert touched a random page of each such index, and a batch
/// of messages rewrote hundreds of pages; its 74 random bits still make it unguessable.
pub fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

/// How many migrations this build knows.
pub const MIGRATION_COUNT: usize = migrations::MIGRATIONS.len();

use async_trait::async_trait;
use okienko_domain::audit::{AuditEntry, AuditEvent};
use okienko_domain::{Millis, RoleGrant};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A uniqueness rule was broken; the text names the constraint or column.
    #[error("conflict: {0}")]
    Conflict(String),
    #[error("not found")]
    NotFound,
    #[error("database: {0}")]
    Db(String),
    #[error("unsupported database URL: {0}")]
    UnsupportedUrl(String),
}

pub type Result<T> = std::result::Result<T, StoreError>;

/// Everything okienko keeps. Every method that changes data takes the audit event describing
/// the change and commits both in one transaction.
#[async_trait]
pub trait Store: NoticeStore + Send + Sync {
    fn backend(&self) -> Backend;
    /// Applies pending migrations; returns the versions applied now.
    async fn migrate(&self) -> Result<Vec<i64>>;
    /// Number of open and idle connections, for metrics.
    fn pool_stats(&self) -> (u32, u32);

    // Users and roles
    async fn create_user(
        &self,
        user: &User,
        grants: &[RoleGrant],
        audit: &AuditEvent,
    ) -> Result<()>;
    async fn user_by_id(&self, id: &str) -> Result<Option<User>>;
    async fn user_by_email(&self, email: &str) -> Result<Option<User>>;
    async fn set_password(&self, user_id: &str, hash: &str, audit: &AuditEvent) -> Result<()>;
    async fn set_email_verified(&self, user_id: &str, audit: &AuditEvent) -> Result<()>;
    /// Changes an account's email (its login), proven by its owner; Conflict if taken.
    async fn set_email(&self, user_id: &str, email: &str, audit: &AuditEvent) -> Result<()>;
    async fn set_totp(&self, user_id: &str, secret: Option<&str>, audit: &AuditEvent)
        -> Result<()>;
    /// Records the last accepted TOTP step; false if `step` is not newer (a replay).
    async fn advance_totp_step(&self, user_id: &str, step: i64) -> Result<bool>;
    async fn set_locale(&self, user_id: &str, locale: &str) -> Result<()>;
    async fn grants_of(&self, user_id: &str) -> Result<Vec<RoleGrant>>;
    async fn add_grant(&self, user_id: &str, grant: &RoleGrant, audit: &AuditEvent) -> Result<()>;
    /// Removes the grants a user holds in an office (all of them, or of one role).
    async fn remove_office_grants(
        &self,
        user_id: &str,
        office_id: &str,
        audit: &AuditEvent,
    ) -> Result<()>;
    /// Users holding any role in the office, with those roles.
    async fn office_staff(&self, office_id: &str) -> Result<Vec<(User, Vec<RoleGrant>)>>;
    async fn point_clerks(&self, service_point_id: &str) -> Result<Vec<User>>;

    // Sessions and one-time tokens
    async fn create_session(&self, session: &Session) -> Result<()>;
    /// An unexpired session with the user who holds it.
    async fn session(&self, token_hash: &str, now: Millis) -> Result<Option<(Session, User)>>;
    async fn delete_session(&self, token_hash: &str) -> Result<()>;
    async fn delete_user_sessions(&self, user_id: &str) -> Result<()>;
    async fn create_token(
        &self,
        kind: &str,
        token_hash: &str,
        user_id: &str,
        expires_at: Millis,
    ) -> Result<()>;
    /// Marks an unexpired, unused token as used and returns its user.
    async fn consume_token(
        &self,
        kind: &str,
        token_hash: &str,
        now: Millis,
    ) -> Result<Option<String>>;

    // Login throttling
    /// Records an attempt under each key (committed), removes attempts older than `since`
    /// (of every key), then counts each key's attempts since `since`, this one included.
    /// Counting after committing makes concurrent attempts see each other: the n-th attempt
    /// to commit counts at least n.
    async fn count_attempt(&self, keys: &[String], at: Millis, since: Millis) -> Result<Vec<i64>>;
    async fn clear_login_failures(&self, key: &str) -> Result<()>;
    /// Removes the attempt recorded under `key` at `at` (a sign-in that succeeded).
    async fn forget_attempt(&self, key: &str, at: Millis) -> Result<()>;

    // Organisation
    async fn create_office(&self, office: &Office, audit: &AuditEvent) -> Result<()>;
    async fn update_office(&self, office: &Office, audit: &AuditEvent) -> Result<()>;
    async fn office(&self, id: &str) -> Result<Option<Office>>;
    async fn offices(&self) -> Result<Vec<Office>>;
    async fn create_service_point(&self, point: &ServicePoint, audit: &AuditEvent) -> Result<()>;
    async fn update_service_point(&self, point: &ServicePoint, audit: &AuditEvent) -> Result<()>;
    async fn service_point(&self, id: &str) -> Result<Option<ServicePoint>>;
    async fn service_points(&self) -> Result<Vec<ServicePoint>>;
    async fn create_department(&self, dept: &Department, audit: &AuditEvent) -> Result<()>;
    async fn departments(&self, office_id: &str) -> Result<Vec<Department>>;
    async fn delete_department(&self, office_id: &str, id: &str, audit: &AuditEvent) -> Result<()>;

    // Audit trail
    async fn append_audit(&self, event: &AuditEvent) -> Result<()>;
    /// Entries about one person's data, newest first.
    async fn audit_for_subject(&self, subject_id: &str, limit: i64) -> Result<Vec<AuditEntry>>;
    /// Every entry in storage order with its stored hash, and the recorded head (seq, hash).
    async fn audit_chain(&self) -> Result<(Vec<(AuditEntry, String)>, (i64, String))>;

    // Jobs
    async fn enqueue_job(
        &self,
        kind: &str,
        payload: &str,
        run_at: Millis,
        max_attempts: i64,
    ) -> Result<String>;
    /// Leases up to `limit` due jobs until `now + lease_ms`; no two callers get the same job.
    async fn claim_jobs(&self, now: Millis, lease_ms: i64, limit: i64) -> Result<Vec<Job>>;
    /// Marks jobs done, in one statement.
    async fn complete_jobs(&self, ids: &[String], now: Millis) -> Result<()>;
    /// Records a failure; retries at `retry_at`, or gives up when it is `None`.
    async fn fail_job(
        &self,
        id: &str,
        error: &str,
        retry_at: Option<Millis>,
        now: Millis,
    ) -> Result<()>;
    async fn job_counts(&self) -> Result<JobCounts>;

    // Evidence log
    /// Appends leaves (leaf_hash hex, leaf base64) after the current last one, in one
    /// transaction; returns the index of the first. `expected_size` guards against a second
    /// writer: the append fails with a conflict if the log does not have that many leaves.
    async fn append_log_leaves(
        &self,
        expected_size: i64,
        leaves: &[(String, String)],
        at: Millis,
    ) -> Result<i64>;
    /// Appends log leaves and stores messages in one transaction (one commit for both): the
    /// leaves as [`Store::append_log_leaves`], then the messages as
    /// [`Store::insert_messages`]. Returns the first leaf's index and each message's result.
    async fn append_log_and_messages(
        &self,
        expected_size: i64,
        leaves: &[(String, String)],
        at: Millis,
        packed: &[PackedBlob],
        batch: &[NewMessage],
    ) -> Result<(i64, Vec<Result<()>>)>;
    /// All leaf hashes in order (hex), for building proofs.
    async fn log_leaf_hashes(&self) -> Result<Vec<String>>;
    /// Leaves from `from` (inclusive), at most `limit`, in order.
    async fn log_leaves(&self, from: i64, limit: i64) -> Result<Vec<LogLeaf>>;
    async fn log_index_of(&self, leaf_hash: &str) -> Result<Option<i64>>;
    async fn insert_tree_head(&self, head: &TreeHead) -> Result<()>;
    async fn latest_tree_head(&self) -> Result<Option<TreeHead>>;
    async fn tree_heads(&self) -> Result<Vec<TreeHead>>;

    // Mailboxes
    /// Creates a mailbox with its members (user id, role).
    async fn create_mailbox(
        &self,
        m: &Mailbox,
        members: &[(String, String)],
        audit: &AuditEvent,
    ) -> Result<()>;
    async fn add_mailbox_member(
        &self,
        address: &str,
        user_id: &str,
        role: &str,
        audit: &AuditEvent,
    ) -> Result<()>;
    /// Removes a member; `NotFound` if the user is no member.
    async fn remove_mailbox_member(
        &self,
        address: &str,
        user_id: &str,
        audit: &AuditEvent,
    ) -> Result<()>;
    /// The members of a mailbox (not its owner) with their roles, by name.
    async fn mailbox_members(&self, address: &str) -> Result<Vec<(User, String)>>;
    async fn mailbox(&self, address: &str) -> Result<Option<Mailbox>>;
    /// Mailboxes a user owns or is a member of, with the user's role in each.
    async fn mailboxes_of_user(&self, user_id: &str) -> Result<Vec<(Mailbox, String)>>;
    async fn office_mailbox(&self, office_id: &str) -> Result<Option<Mailbox>>;
    /// Public bodies whose name, NIP or city contains `q` (case-insensitive), by name.
    async fn search_public_mailboxes(&self, q: &str, limit: i64) -> Result<Vec<Mailbox>>;
    /// A person's or company's mailbox by exact PESEL or NIP.
    async fn mailbox_by_identifier(
        &self,
        pesel: Option<&str>,
        nip: Option<&str>,
    ) -> Result<Option<Mailbox>>;

    // Messages
    /// Stores messages, each with its deliveries, attachments, evidence and paper letters, in
    /// one transaction (group commit). Each message succeeds or fails on its own: a second
    /// message with the same sender and idempotency key is a conflict. The outer error means
    /// nothing was stored.
    /// `packed` are the places of blobs the batch's attachments were just packed into (a
    /// blob already known keeps its first place).
    async fn insert_messages(
        &self,
        packed: &[PackedBlob],
        batch: &[NewMessage],
    ) -> Result<Vec<Result<()>>>;
    /// Stores one message (see [`Store::insert_messages`]).
    async fn insert_message(&self, m: &NewMessage) -> Result<()> {
        self.insert_messages(&[], std::slice::from_ref(m))
            .await?
            .pop()
            .unwrap_or(Ok(()))
    }
    /// Where a packed blob is, if it is packed.
    async fn packed_blob(&self, sha256: &str) -> Result<Option<PackedBlob>>;
    /// Which of these blobs are already packed.
    async fn packed_among(&self, sha256s: &[String]) -> Result<Vec<String>>;
    /// Packed blobs' places in the order of their SHA-256, after `after`, at most `limit`.
    async fn packed_blobs_after(&self, after: &str, limit: i64) -> Result<Vec<PackedBlob>>;
    async fn message_by_idempotency(&self, sender: &str, key: &str) -> Result<Option<String>>;
    async fn message(&self, id: &str) -> Result<Option<Message>>;
    async fn deliveries(&self, message_id: &str) -> Result<Vec<Delivery>>;
    async fn attachments(&self, message_id: &str) -> Result<Vec<Attachment>>;
    /// A mailbox folder, newest first, after the keyset cursor (sent_at, id), narrowed by
    /// `filter`.
    async fn list_messages(
        &self,
        address: &str,
        folder: Folder,
        filter: &ListFilter,
        before: Option<(Millis, String)>,
        limit: i64,
    ) -> Result<Vec<MessageSummary>>;
    /// Moves a message into (`archived_at` set) or out of this mailbox's archive, on the
    /// sides where the mailbox is a party; false if it is no party.
    async fn set_archived(
        &self,
        address: &str,
        message_id: &str,
        archived_at: Option<Millis>,
    ) -> Result<bool>;
    /// Whether the message is in this mailbox's archive (on either side).
    async fn is_archived(&self, address: &str, message_id: &str) -> Result<bool>;
    /// Every message of the thread the message belongs to, oldest first.
    async fn thread_of(&self, message_id: &str) -> Result<Vec<Message>>;
    /// Marks the first opening (unless already opened or deemed delivered) and stores its
    /// evidence, in one transaction; false if it was not the first.
    async fn mark_opened(
        &self,
        message_id: &str,
        recipient: &str,
        at: Millis,
        evidence: &EvidenceRecord,
    ) -> Result<bool>;
    /// Deliveries that may be deemed delivered: deemable, unopened, not yet deemed, delivered
    /// at or before `delivered_before`.
    async fn due_for_deemed_delivery(
        &self,
        delivered_before: Millis,
        limit: i64,
    ) -> Result<Vec<Delivery>>;
    /// Marks deemed delivery and stores its evidence, once; false if already opened or deemed.
    async fn mark_deemed(
        &self,
        message_id: &str,
        recipient: &str,
        at: Millis,
        evidence: &EvidenceRecord,
    ) -> Result<bool>;
    /// Recipients of several messages at once: (message id, recipient address).
    async fn recipients_of(&self, message_ids: &[String]) -> Result<Vec<(String, String)>>;
    /// Stores evidence not tied to a stored message (a rejected submission).
    async fn insert_evidence(&self, e: &EvidenceRecord) -> Result<()>;
    async fn evidence_of_message(&self, message_id: &str) -> Result<Vec<EvidenceRecord>>;
    async fn evidence(&self, id: &str) -> Result<Option<EvidenceRecord>>;

    // Hybrid paper channel
    async fn paper_letters_of_message(&self, message_id: &str) -> Result<Vec<PaperLetter>>;
    async fn paper_letter(&self, id: &str) -> Result<Option<PaperLetter>>;
    async fn paper_letter_by_tracking(&self, tracking_number: &str) -> Result<Option<PaperLetter>>;
    /// Letters waiting at a service point for its next print batch, oldest first.
    async fn waiting_letters(&self, service_point_id: &str) -> Result<Vec<PaperLetter>>;
    /// Makes a batch of every letter waiting at the batch's service point; returns how many
    /// letters it holds (0: nothing waited and no batch was made).
    async fn create_print_batch(&self, batch: &PrintBatch, audit: &AuditEvent) -> Result<i64>;
    /// A service point's batches, newest first.
    async fn print_batches(&self, service_point_id: &str, limit: i64) -> Result<Vec<PrintBatch>>;
    async fn print_batch(&self, id: &str) -> Result<Option<PrintBatch>>;
    async fn batch_letters(&self, batch_id: &str) -> Result<Vec<PaperLetter>>;
    /// Moves a batch from status `from` to `to` (`printed` or `dispatched`), recording who
    /// and when, with its evidence; false if the batch was not in `from`.
    #[allow(clippy::too_many_arguments)]
    async fn advance_print_batch(
        &self,
        id: &str,
        from: &str,
        to: &str,
        by: &str,
        at: Millis,
        evidence: &[EvidenceRecord],
        audit: &AuditEvent,
    ) -> Result<bool>;
    /// Records the outcome of a dispatched letter with its evidence, once; false if the letter
    /// already has one or its batch is not dispatched.
    async fn set_letter_outcome(
        &self,
        letter_id: &str,
        outcome: &str,
        by: &str,
        at: Millis,
        evidence: &EvidenceRecord,
        audit: &AuditEvent,
    ) -> Result<bool>;

    // Trusted profiles
    async fn create_tp_application(&self, a: &TpApplication, audit: &AuditEvent) -> Result<()>;
    async fn tp_application(&self, number: &str) -> Result<Option<TpApplication>>;
    /// A user's applications, newest first.
    async fn tp_applications_of(&self, user_id: &str) -> Result<Vec<TpApplication>>;
    /// Decides a pending application (confirmed with the profile it creates or replaces, or
    /// refused with a reason), once; false if it was no longer pending.
    #[allow(clippy::too_many_arguments)]
    async fn decide_tp_application(
        &self,
        number: &str,
        status: &str,
        by: &str,
        at: Millis,
        service_point_id: Option<&str>,
        reason: Option<&str>,
        profile: Option<&TrustedProfile>,
        audit: &AuditEvent,
    ) -> Result<bool>;
    async fn trusted_profile(&self, user_id: &str) -> Result<Option<TrustedProfile>>;
    /// Revokes a profile; false if there was none in force.
    async fn revoke_trusted_profile(
        &self,
        user_id: &str,
        at: Millis,
        audit: &AuditEvent,
    ) -> Result<bool>;

    // Assisted visits at a counter
    async fn create_visit(&self, v: &CounterVisit, audit: &AuditEvent) -> Result<()>;
    async fn visit(&self, id: &str) -> Result<Option<CounterVisit>>;
    /// Ends an open visit; false if it was already over.
    async fn end_visit(&self, id: &str, at: Millis, audit: &AuditEvent) -> Result<bool>;
    /// The trusted profile not revoked for a PESEL (at most one: the database holds to it).
    async fn trusted_profile_by_pesel(&self, pesel: &str) -> Result<Option<TrustedProfile>>;

    // Cash at the counter
    /// The number the next receipt of a service point gets.
    async fn next_receipt_number(&self, service_point_id: &str) -> Result<i64>;
    /// Stores a receipt; a conflict if its number is taken (ask for the next and retry).
    async fn insert_receipt(&self, r: &CashReceipt, audit: &AuditEvent) -> Result<()>;
    async fn receipt(&self, id: &str) -> Result<Option<CashReceipt>>;
    /// Identity decisions, assisted visits and printed messages at a service point in
    /// `[from, until)`.
    async fn counter_day(
        &self,
        service_point_id: &str,
        from: Millis,
        until: Millis,
    ) -> Result<CounterDay>;
    /// A service point's receipts paid in `[from, until)`, by number.
    async fn receipts_between(
        &self,
        service_point_id: &str,
        from: Millis,
        until: Millis,
    ) -> Result<Vec<CashReceipt>>;

    // Settings (installation secrets and the like)
    async fn setting(&self, key: &str) -> Result<Option<String>>;
    /// Stores `value`, replacing what was there.
    async fn setting_put(&self, key: &str, value: &str) -> Result<()>;
    /// Stores `value` unless the key exists; returns the value now stored.
    async fn setting_init(&self, key: &str, value: &str) -> Result<String>;
}

/// Opens a store by URL: `sqlite://PATH` (or `sqlite::memory:`) or `postgres://…`.
/// Any other scheme is an error, never a silent fallback.
pub async fn open(url: &str) -> Result<SqlStore> {
    SqlStore::connect(url).await
}
