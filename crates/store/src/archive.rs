//! The office archive (`domain::archive`): closed cases in the order they closed, and
//! destruction lists with their cases.

use crate::cases::{Case, CaseEvent};
use crate::Result;
use async_trait::async_trait;
use okienko_domain::audit::AuditEvent;
use okienko_domain::Millis;

/// A destruction list, numbered per office and year.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DestructionList {
    pub id: String,
    pub office_id: String,
    pub year: i64,
    /// Given by the store in the commit that adds the list.
    pub number: i64,
    /// `domain::archive::ListStatus` as its word.
    pub status: String,
    pub prepared_by: String,
    pub prepared_at: Millis,
    pub reviewed_by: Option<String>,
    pub reviewed_at: Option<Millis>,
    pub approved_by: Option<String>,
    pub approved_at: Option<Millis>,
    pub rejected_by: Option<String>,
    pub rejected_at: Option<Millis>,
    /// Why it was rejected.
    pub reason: String,
}

/// A case on a list: its category and the first year it may be destroyed, as when listed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DestructionItem {
    pub case_id: String,
    pub category: String,
    pub destroyable_from: i64,
}

/// A package of category A case files handed to the state archive, numbered per office and
/// year; the package itself is in the blob store.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ArchiveTransfer {
    pub id: String,
    pub office_id: String,
    pub year: i64,
    /// Given by the store in the commit that adds it.
    pub number: i64,
    pub made_by: String,
    pub made_at: Millis,
    /// How many cases it hands over.
    pub cases: i64,
    /// The package's file name.
    pub name: String,
    pub sha256: String,
    pub size: i64,
}

#[async_trait]
pub trait ArchiveStore: Send + Sync {
    /// An office's closed cases, in the order they closed, after `(closed_at, id)`.
    async fn archive_cases(
        &self,
        office_id: &str,
        after: Option<(Millis, String)>,
        limit: i64,
    ) -> Result<Vec<Case>>;
    /// Which of these cases are on a list that was not rejected.
    async fn cases_on_lists(&self, case_ids: &[String]) -> Result<Vec<String>>;
    /// Adds a list with its cases, numbered in the same commit; `Err(Conflict(case id))` when
    /// a case is on another list that was not rejected (checked under a lock on the cases).
    async fn add_destruction_list(
        &self,
        list: &DestructionList,
        items: &[DestructionItem],
        audit: &AuditEvent,
    ) -> Result<DestructionList>;
    async fn destruction_list(&self, id: &str) -> Result<Option<DestructionList>>;
    /// The list's cases, by signature.
    async fn destruction_items(&self, list_id: &str) -> Result<Vec<(DestructionItem, Case)>>;
    /// An office's lists, newest first.
    async fn destruction_lists(&self, office_id: &str, limit: i64) -> Result<Vec<DestructionList>>;
    /// Stores a list's next state if it is still in status `expected`, with an event on each
    /// of its cases; false when someone changed it first. Approving it destroys its cases'
    /// records in the same commit: their decisions' texts are emptied, their documents are
    /// found by their titles only, and the files of both are queued for deletion.
    async fn update_destruction_list(
        &self,
        list: &DestructionList,
        expected: &str,
        events: &[CaseEvent],
        audit: &AuditEvent,
    ) -> Result<bool>;
    /// Adds a transfer with its cases (each marked handed over, with an event on its
    /// timeline), numbered in the same commit; `Err(Conflict)` when one of them was handed
    /// over already.
    async fn add_transfer(
        &self,
        transfer: &ArchiveTransfer,
        case_ids: &[String],
        events: &[CaseEvent],
        audit: &AuditEvent,
    ) -> Result<ArchiveTransfer>;
    async fn transfer(&self, id: &str) -> Result<Option<ArchiveTransfer>>;
    /// An office's transfers, newest first.
    async fn transfers(&self, office_id: &str, limit: i64) -> Result<Vec<ArchiveTransfer>>;
    /// Which of these cases were handed over.
    async fn transferred(&self, case_ids: &[String]) -> Result<Vec<String>>;
    /// Which of these cases are on an approved destruction list: their records are destroyed.
    async fn destroyed(&self, case_ids: &[String]) -> Result<Vec<String>>;
    /// The approved list that destroyed a case's records.
    async fn destroyed_by(&self, case_id: &str) -> Result<Option<DestructionList>>;
    /// Files queued for deletion when a destruction list was approved (SHA-256), oldest
    /// first.
    async fn blob_garbage(&self, limit: i64) -> Result<Vec<String>>;
    /// Those of these files (SHA-256) that no live record refers to: no message, attachment,
    /// paper letter, scan, export or transfer package, and no document or decision of a case
    /// whose records are not destroyed.
    async fn unreferenced_blobs(&self, sha256s: &[String]) -> Result<Vec<String>>;
    /// Takes files off the deletion queue (deleted, or needed again).
    async fn forget_blob_garbage(&self, sha256s: &[String]) -> Result<()>;
}
