//! Case management (EZD): the JRWA list, the correspondence register and cases with their
//! timelines (`domain::cases`).

use crate::*;
use async_trait::async_trait;
use okienko_domain::audit::AuditEvent;
use okienko_domain::cases::JrwaClass;
use okienko_domain::Millis;

/// An entry of the correspondence register, numbered per office and year.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegisterEntry {
    pub id: String,
    pub office_id: String,
    pub year: i64,
    /// Given by the store in the commit that adds the entry.
    pub number: i64,
    /// `in` or `out`.
    pub direction: String,
    /// `submission`, `message` or `paper`.
    pub kind: String,
    pub subject: String,
    pub correspondent: String,
    pub received_at: Millis,
    pub submission_id: Option<String>,
    pub message_id: Option<String>,
    pub department_id: Option<String>,
    pub case_id: Option<String>,
    pub created_by: String,
    pub created_at: Millis,
}

/// A case. Dates are civil dates written `YYYY-MM-DD`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Case {
    pub id: String,
    pub office_id: String,
    pub department_id: String,
    pub jrwa: String,
    /// Given by the store in the commit that opens the case.
    pub number: i64,
    pub year: i64,
    pub signature: String,
    pub title: String,
    pub party_user_id: Option<String>,
    pub party_name: String,
    pub handler_id: Option<String>,
    /// `domain::cases::CaseStatus` as its word.
    pub status: String,
    /// `domain::cases::Term` as its word.
    pub term: String,
    pub started_on: String,
    pub excluded_days: i64,
    pub suspended_on: Option<String>,
    pub deadline: String,
    pub register_entry_id: Option<String>,
    pub created_by: String,
    pub created_at: Millis,
    pub closed_at: Option<Millis>,
}

/// A case to open: its row, the department's code (for the signature), its first event and
/// its audit entry.
#[derive(Debug, Clone)]
pub struct NewCase {
    pub case: Case,
    pub unit: String,
    pub event: CaseEvent,
    pub audit: AuditEvent,
}

/// One thing that happened to a case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseEvent {
    pub id: String,
    pub case_id: String,
    pub at: Millis,
    pub actor_id: String,
    /// Filled in when read: the actor's name.
    pub actor_name: String,
    /// `opened`, `assigned`, `suspended`, `resumed`, `closed`, `note`.
    pub kind: String,
    pub detail: String,
}

/// Which cases a list shows: of these departments, in this status, by deadline then id,
/// after the cursor `(deadline, id)`.
#[derive(Debug, Clone, Default)]
pub struct CaseQuery {
    pub department_ids: Vec<String>,
    pub statuses: Vec<String>,
    pub handler_id: Option<String>,
    pub after: Option<(String, String)>,
    pub limit: i64,
}

#[async_trait]
pub trait CaseStore: Send + Sync {
    /// Replaces the office's JRWA list. A class a case was opened in stays (with its new
    /// title and category when the list has it); `Err(Conflict)` names one that the new
    /// list drops.
    async fn replace_jrwa(
        &self,
        office_id: &str,
        classes: &[JrwaClass],
        audit: &AuditEvent,
    ) -> Result<()>;
    async fn jrwa(&self, office_id: &str) -> Result<Vec<JrwaClass>>;
    /// Adds an entry, numbered in the same commit (`number` is ignored); returns it numbered.
    /// `Err(Conflict)` when the submission is registered already.
    async fn add_register_entry(
        &self,
        e: &RegisterEntry,
        audit: &AuditEvent,
    ) -> Result<RegisterEntry>;
    async fn register_entry(&self, id: &str) -> Result<Option<RegisterEntry>>;
    async fn register_entry_for_submission(
        &self,
        submission_id: &str,
    ) -> Result<Option<RegisterEntry>>;
    /// The office's entries of a year, newest first, before number `before`.
    async fn register_entries(
        &self,
        office_id: &str,
        year: i64,
        before: Option<i64>,
        limit: i64,
    ) -> Result<Vec<RegisterEntry>>;
    /// Opens cases in one commit, each numbered in it (`number` and `signature` are ignored
    /// and returned filled in), each with its first event and audit entry; a register entry,
    /// if any, is linked to its case. All or nothing: `Err(Conflict)` when an entry has a case
    /// already.
    async fn open_cases(&self, batch: &[NewCase]) -> Result<Vec<Case>>;
    async fn case(&self, id: &str) -> Result<Option<Case>>;
    async fn cases(&self, q: &CaseQuery) -> Result<Vec<Case>>;
    /// Stores a case's new state if it is still in status `expected`, with its event; false
    /// when someone changed it first.
    async fn update_case(
        &self,
        c: &Case,
        expected: &str,
        event: &CaseEvent,
        audit: &AuditEvent,
    ) -> Result<bool>;
    async fn case_events(&self, case_id: &str) -> Result<Vec<CaseEvent>>;
}
