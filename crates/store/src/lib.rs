//! Storage: one trait, [`Store`], and its SQL implementation for SQLite (the embedded default)
//! and PostgreSQL. Both run the same portable SQL and the same migrations; where the two
//! engines differ (connection set-up, job claiming) the code says so next to the difference.
//! The shared test suite in `tests/suite.rs` runs on SQLite always and on PostgreSQL when
//! `OKIENKO_TEST_DATABASE_URL` is set.

pub mod accounts;
pub mod appointments;
pub mod archive;
pub mod audit;
pub mod availability;
pub mod cases;
pub mod catalogue;
pub mod counter;
pub mod delivery;
pub mod forms;
pub mod jobs;
pub mod library;
pub mod log;
pub mod mailboxes;
mod migrations;
mod model;
pub mod notices;
pub mod orgs;
pub mod paper;
pub mod payments;
pub mod places;
pub mod scans;
pub mod search;
pub mod settings;
mod sql;
pub mod substitutes;
pub mod tasks;
pub mod trusted;

pub mod cache;
pub use accounts::AccountStore;
pub use appointments::{
    Appointment, AppointmentStore, NewHold, NewSlot, QueueTicket, Schedule, Slot, Taken, WaitDay,
};
pub use archive::{ArchiveStore, ArchiveTransfer, DestructionItem, DestructionList};
pub use audit::AuditStore;
pub use availability::{AvailabilityStore, AwayTime};
pub use cases::{
    Case, CaseDocument, CaseEvent, CaseQuery, CaseStore, Decision, DecisionTemplate,
    DocumentVersion, NewCase, RegisterEntry, SignedDecision,
};
pub use catalogue::{CatalogueStore, PublicService, ServiceQuery};
pub use counter::CounterStore;
pub use delivery::DeliveryStore;
pub use forms::{
    Draft, FormVersion, FormsStore, NewSubmission, Submission, SubmissionExport, EXPORT_JOB,
};
pub use jobs::JobStore;
pub use library::{LibraryDocument, LibraryFolder, LibraryLink, LibraryShare, LibraryStore};
pub use log::LogStore;
pub use mailboxes::MailboxStore;
pub use model::*;
pub use notices::NoticeStore;
pub use orgs::OrgStore;
pub use paper::PaperStore;
pub use payments::{Payment, PaymentsStore, SimTransaction};
pub use places::{CasePlace, PlaceQuery, PlaceStore, PlacedCase};
pub use scans::{RegisterScan, ScanStore, ScannedLetter};
pub use search::{SearchHit, SearchItem, SearchPage, SearchQuery, SearchStore, SEARCH_CANDIDATES};
pub use settings::SettingsStore;
pub use substitutes::{Substitute, SubstituteStore};
pub use tasks::{Task, TaskChange, TaskComment, TaskStore};
pub use trusted::TrustedStore;

/// Every storage trait, for code that calls them on a concrete store (a `dyn Store` needs no
/// import).
pub mod prelude {
    pub use crate::{
        AccountStore, AppointmentStore, ArchiveStore, AuditStore, AvailabilityStore, CaseStore,
        CatalogueStore, CounterStore, DeliveryStore, FormsStore, JobStore, LibraryStore, LogStore,
        MailboxStore, NoticeStore, OrgStore, PaperStore, PaymentsStore, PlaceStore, ScanStore,
        SearchStore, SettingsStore, Store, SubstituteStore, TaskStore, TrustedStore,
    };
}
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

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A uniqueness rule was broken; the text names the constraint or column.
    #[error("conflict: {0}")]
    Conflict(String),
    #[error("not found")]
    NotFound,
    /// The database gave up on the transaction for a reason that passes (a deadlock between
    /// two instances' transactions, a serialization failure): the same work may be tried again.
    #[error("transient: {0}")]
    Transient(String),
    #[error("database: {0}")]
    Db(String),
    #[error("unsupported database URL: {0}")]
    UnsupportedUrl(String),
}

pub type Result<T> = std::result::Result<T, StoreError>;

/// A storage failure as a use case reports it: a missing row is `NotFound`, anything else
/// (a conflict the use case did not expect included) is internal. A use case that expects a
/// conflict maps it to its own code first.
impl From<StoreError> for okienko_domain::DomainError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => okienko_domain::DomainError::NotFound,
            StoreError::Transient(_) => okienko_domain::DomainError::Busy,
            other => okienko_domain::DomainError::Internal(other.to_string()),
        }
    }
}

/// Everything okienko keeps. Every method that changes data takes the audit event describing
/// the change and commits both in one transaction.
#[async_trait]
pub trait Store:
    AccountStore
    + OrgStore
    + AuditStore
    + JobStore
    + LogStore
    + MailboxStore
    + DeliveryStore
    + PaperStore
    + TrustedStore
    + CounterStore
    + SettingsStore
    + NoticeStore
    + CatalogueStore
    + FormsStore
    + PaymentsStore
    + CaseStore
    + SearchStore
    + PlaceStore
    + ArchiveStore
    + ScanStore
    + SubstituteStore
    + TaskStore
    + AppointmentStore
    + LibraryStore
    + AvailabilityStore
    + Send
    + Sync
{
    fn backend(&self) -> Backend;
    /// Applies pending migrations; returns the versions applied now.
    async fn migrate(&self) -> Result<Vec<i64>>;
    /// Number of open and idle connections, for metrics.
    fn pool_stats(&self) -> (u32, u32);
    /// Answers when the database answers a query (for `/readyz`).
    async fn ping(&self) -> Result<()>;
}

/// Opens a store by URL: `sqlite://PATH` (or `sqlite::memory:`) or `postgres://…`.
/// Any other scheme is an error, never a silent fallback.
pub async fn open(url: &str) -> Result<SqlStore> {
    SqlStore::connect(url).await
}
