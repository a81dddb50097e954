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
#[derive(Debug, Clone, PartialEq, Eq, Default)]
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
    /// Days added to the term by an art. 36 delay notice.
    pub extended_days: i64,
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
    /// Handled by one of these people; anyone's when empty.
    pub handler_ids: Vec<String>,
    pub after: Option<(String, String)>,
    pub limit: i64,
}

/// An office's decision template: a text with fields from the case (`{party}`, `{signature}`,
/// see `domain::cases::TEMPLATE_FIELDS`), for one JRWA class or (`jrwa` empty) any.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecisionTemplate {
    pub id: String,
    pub office_id: String,
    pub name: String,
    pub jrwa: String,
    pub body: String,
    /// A decision from it needs the head's approval before it is signed.
    pub approval: bool,
    pub updated_at: Millis,
}

/// A decision in a case, from its draft to its dispatch.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Decision {
    pub id: String,
    pub case_id: String,
    /// Its number in the case (1, 2, ...), given by the store.
    pub n: i64,
    pub template_id: Option<String>,
    pub title: String,
    pub body: String,
    pub approval: bool,
    /// `draft`, `for-approval`, `approved`, `signed`, `dispatched`.
    pub status: String,
    pub drafted_by: String,
    pub drafted_at: Millis,
    pub approved_by: Option<String>,
    pub approved_at: Option<Millis>,
    pub signed_by: Option<String>,
    pub signed_at: Option<Millis>,
    /// The signed PDF/A in the blob store.
    pub pdf_sha256: Option<String>,
    pub pdf_size: Option<i64>,
    /// The detached CAdES-T signature of the PDF (DER, base64).
    pub signature: Option<String>,
    /// The signing evidence in the log.
    pub evidence_id: Option<String>,
    /// The message that carried it to the party.
    pub message_id: Option<String>,
    pub dispatched_at: Option<Millis>,
}

/// A decision signed: its new row (stored only if it is still in status `expected`), the
/// evidence of its signing and the case's event, stored in the commit that logs the evidence.
#[derive(Debug, Clone)]
pub struct SignedDecision {
    pub decision: Decision,
    pub expected: String,
    pub evidence: EvidenceRecord,
    pub event: CaseEvent,
}

/// A working document of a case.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CaseDocument {
    pub id: String,
    pub case_id: String,
    pub title: String,
    pub created_by: String,
    pub created_at: Millis,
    /// Who has it checked out (editing it), since when.
    pub holder_id: Option<String>,
    /// Filled in when read: the holder's name.
    pub holder_name: Option<String>,
    pub held_since: Option<Millis>,
    /// How many versions it has (the latest is number `versions`).
    pub versions: i64,
}

/// One version of a working document.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DocumentVersion {
    pub document_id: String,
    pub n: i64,
    pub name: String,
    pub media_type: String,
    pub sha256: String,
    pub size: i64,
    pub author_id: String,
    /// Filled in when read: the author's name.
    pub author_name: String,
    pub at: Millis,
    /// The version's text (extracted from the file), for the search index; not kept.
    pub text: String,
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
    /// Stores a case's new state if it is still in status `expected`, with its event and
    /// (when something went out) its entry in the register, numbered in the same commit; false
    /// when someone changed it first.
    async fn update_case(
        &self,
        c: &Case,
        expected: &str,
        event: &CaseEvent,
        audit: &AuditEvent,
        outgoing: Option<&RegisterEntry>,
    ) -> Result<bool>;
    async fn case_events(&self, case_id: &str) -> Result<Vec<CaseEvent>>;
    /// Open and suspended cases with a handler whose deadline is on or before `until`
    /// (`YYYY-MM-DD`), by handler then deadline; at most `limit`.
    async fn cases_due(&self, until: &str, limit: i64) -> Result<Vec<Case>>;
    /// Adds a document with its first version and the case's event.
    async fn add_document(
        &self,
        d: &CaseDocument,
        first: &DocumentVersion,
        event: &CaseEvent,
        audit: &AuditEvent,
    ) -> Result<()>;
    async fn documents(&self, case_id: &str) -> Result<Vec<CaseDocument>>;
    async fn document(&self, id: &str) -> Result<Option<CaseDocument>>;
    async fn document_versions(&self, id: &str) -> Result<Vec<DocumentVersion>>;
    /// Checks a document out to `user_id` if nobody holds it; false when someone does.
    async fn check_out(
        &self,
        id: &str,
        user_id: &str,
        at: Millis,
        event: &CaseEvent,
        audit: &AuditEvent,
    ) -> Result<bool>;
    /// Checks a document in if `holder_id` still holds it, with a new version (numbered next)
    /// or none; false when it does not.
    async fn check_in(
        &self,
        id: &str,
        holder_id: &str,
        version: Option<&DocumentVersion>,
        event: &CaseEvent,
        audit: &AuditEvent,
    ) -> Result<bool>;
    /// Adds or replaces an office's decision template.
    async fn save_decision_template(&self, t: &DecisionTemplate, audit: &AuditEvent) -> Result<()>;
    async fn decision_templates(&self, office_id: &str) -> Result<Vec<DecisionTemplate>>;
    /// Adds a decision to its case, numbered in the same commit (`n` is ignored), with the
    /// case's event; returns it numbered.
    async fn add_decision(
        &self,
        d: &Decision,
        event: &CaseEvent,
        audit: &AuditEvent,
    ) -> Result<Decision>;
    async fn decision(&self, id: &str) -> Result<Option<Decision>>;
    async fn decisions(&self, case_id: &str) -> Result<Vec<Decision>>;
    /// The decision a message carried, if any.
    async fn decision_of_message(&self, message_id: &str) -> Result<Option<Decision>>;
    /// Stores a decision's new state if it is still in status `expected`, with the case's
    /// event and (when it is sent) its entry in the register of outgoing correspondence,
    /// numbered in the same commit; false when someone changed it first.
    async fn update_decision(
        &self,
        d: &Decision,
        expected: &str,
        event: &CaseEvent,
        audit: &AuditEvent,
        outgoing: Option<&RegisterEntry>,
    ) -> Result<bool>;
}
