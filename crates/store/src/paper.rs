//! The hybrid paper channel: letters printed at a service point and their outcomes.

use crate::*;
use async_trait::async_trait;
#[allow(unused_imports)]
use okienko_domain::audit::{AuditEntry, AuditEvent};
#[allow(unused_imports)]
use okienko_domain::{Millis, RoleGrant};

#[async_trait]
pub trait PaperStore: Send + Sync {
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
        from: okienko_domain::status::BatchStatus,
        to: okienko_domain::status::BatchStatus,
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
}
