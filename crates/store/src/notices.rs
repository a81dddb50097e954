//! Storage of email notices of new messages (see `okienko_domain::notices`). Pending counts
//! grow in the message's own commit ([`crate::NewMessage::notify`]); the job runner claims due
//! notices and, in one commit, queues their emails and marks them sent.

use crate::Result;
use async_trait::async_trait;
use okienko_domain::Millis;

/// A person with messages they have not yet been told of.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DueNotice {
    pub user_id: String,
    /// Messages arrived since the last notice (when claimed).
    pub pending: i64,
}

/// What became of a claimed notice: its email (`None` when the person has no address to
/// write to), to queue as an `email` job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SentNotice {
    pub user_id: String,
    /// The `pending` it was claimed with: messages arriving since stay pending.
    pub told: i64,
    pub email_payload: Option<String>,
}

#[async_trait]
pub trait NoticeStore: Send + Sync {
    /// Leases up to `limit` notices due at `now` until `now + lease_ms`; two instances never
    /// get the same one, and a lease that runs out (a crash) lets another take it.
    async fn claim_notices(&self, now: Millis, lease_ms: i64, limit: i64)
        -> Result<Vec<DueNotice>>;
    /// In one commit: queues each notice's email as a job of `job_kind` and marks it sent at
    /// `now`.
    async fn finish_notices(&self, sent: &[SentNotice], job_kind: &str, now: Millis) -> Result<()>;
    /// A person's notice row: (pending, due_at, last_sent_at), for tests and the account page.
    async fn notice_state(&self, user_id: &str) -> Result<Option<(i64, Millis, Option<Millis>)>>;
}
