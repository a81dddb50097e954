//! The forms of e-services (`domain::forms`): published versions, people's drafts, and
//! submissions (stored with the message that carries them, see [`crate::NewMessage`]).

use crate::*;
use async_trait::async_trait;
use okienko_domain::audit::AuditEvent;
use okienko_domain::Millis;

/// A published, immutable version of a service's form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FormVersion {
    pub service_id: String,
    /// SHA-256 (hex) of `definition`.
    pub version: String,
    /// 1 for the first version of the service, then 2, 3 ... (given by the database).
    pub n: i64,
    /// The canonical JSON of `domain::forms::FormDef`.
    pub definition: String,
    pub published_at: Millis,
    pub published_by: Option<String>,
}

/// A form in progress.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Draft {
    pub id: String,
    pub user_id: String,
    pub service_id: String,
    pub version: String,
    /// `domain::forms::Answers` as JSON.
    pub answers: String,
    /// The step the person is at (index into the definition's steps).
    pub step: i64,
    pub created_at: Millis,
    pub updated_at: Millis,
    pub expires_at: Millis,
    pub reminded_at: Option<Millis>,
}

/// A submitted form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Submission {
    pub message_id: String,
    pub reference: String,
    pub service_id: String,
    pub office_id: String,
    pub user_id: Option<String>,
    pub version: String,
    pub answers: String,
    /// `domain::status::SubmissionStatus` as its word.
    pub status: String,
    pub fee: i64,
    /// The UPP: the id of its evidence record.
    pub upp_id: String,
    pub submitted_at: Millis,
    pub updated_at: Millis,
    pub updated_by: Option<String>,
    /// The code of the office's department that handles it (the service's, when submitted).
    pub department: Option<String>,
}

/// A submission to store with its message, and the draft it came from (deleted in the same
/// commit).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewSubmission {
    pub row: Submission,
    pub draft_id: Option<String>,
}

/// An export of a service's submissions, made by a background job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubmissionExport {
    pub id: String,
    pub office_id: String,
    pub service_id: String,
    /// `csv` or `json`.
    pub format: String,
    /// The language of the column names and the answers read out.
    pub lang: String,
    pub requested_by: String,
    /// `queued`, `running`, `done` or `failed`.
    pub status: String,
    pub total: i64,
    pub done: i64,
    pub sha256: Option<String>,
    pub size: Option<i64>,
    pub error: Option<String>,
    pub created_at: Millis,
    pub finished_at: Option<Millis>,
}

/// The background job that makes an export (its payload is the export's id).
pub const EXPORT_JOB: &str = "submission-export";

#[async_trait]
pub trait FormsStore: Send + Sync {
    /// Publishes a version (its `n` is the service's next); a version published before
    /// (same hash) is a conflict.
    async fn publish_form(&self, f: &FormVersion, audit: &AuditEvent) -> Result<FormVersion>;
    /// A service's versions, newest first.
    async fn form_versions(&self, service_id: &str) -> Result<Vec<FormVersion>>;
    async fn form_version(&self, service_id: &str, version: &str) -> Result<Option<FormVersion>>;
    /// Adds or replaces a draft (by id).
    async fn save_draft(&self, d: &Draft) -> Result<()>;
    async fn draft(&self, id: &str) -> Result<Option<Draft>>;
    /// A person's drafts, the latest first.
    async fn drafts_of(&self, user_id: &str) -> Result<Vec<Draft>>;
    async fn delete_draft(&self, id: &str, user_id: &str) -> Result<bool>;
    /// Drafts expiring before `before` whose owner has not been reminded, the soonest first.
    async fn drafts_to_remind(&self, now: Millis, before: Millis, limit: i64)
        -> Result<Vec<Draft>>;
    /// Records the reminder; false when another sweep recorded it first.
    async fn mark_draft_reminded(&self, id: &str, at: Millis) -> Result<bool>;
    /// Deletes the drafts that expired before `now`; how many.
    async fn delete_expired_drafts(&self, now: Millis) -> Result<u64>;
    async fn submission(&self, reference: &str) -> Result<Option<Submission>>;
    async fn submission_of_message(&self, message_id: &str) -> Result<Option<Submission>>;
    /// A person's submissions, the latest first.
    async fn submissions_of(&self, user_id: &str, limit: i64) -> Result<Vec<Submission>>;
    /// An office's submissions (of one service, of one status, handled by one department
    /// given by its code), the latest first. Without a status, those that reached the office:
    /// not those held back for their fee.
    async fn office_submissions(
        &self,
        office_id: &str,
        service_id: Option<&str>,
        status: Option<&str>,
        department: Option<&str>,
        limit: i64,
    ) -> Result<Vec<Submission>>;
    /// A service's submissions in the order they came, after (`submitted_at`, `message_id`).
    async fn submissions_after(
        &self,
        service_id: &str,
        after: Option<(Millis, String)>,
        limit: i64,
    ) -> Result<Vec<Submission>>;
    async fn count_submissions(&self, service_id: &str) -> Result<i64>;
    /// Records an export request and queues its job, with the audit event, in one commit.
    async fn create_export(&self, e: &SubmissionExport, audit: &AuditEvent) -> Result<()>;
    async fn export(&self, id: &str) -> Result<Option<SubmissionExport>>;
    /// A service's exports, the latest first.
    async fn exports_of_service(
        &self,
        service_id: &str,
        limit: i64,
    ) -> Result<Vec<SubmissionExport>>;
    /// Saves an export's status and progress (and, when done, its file).
    async fn update_export(&self, e: &SubmissionExport) -> Result<()>;
    /// Moves a submission to a status, with its audit event; false when it was not in `from`.
    async fn set_submission_status(
        &self,
        message_id: &str,
        from: &str,
        to: &str,
        at: Millis,
        by: &str,
        audit: &AuditEvent,
    ) -> Result<bool>;
}
