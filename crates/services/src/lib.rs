//! Use cases over the store, the clock and the outside world (mail, blobs). Handlers in
//! `okienko-web` call these; nothing here knows HTTP.

pub mod accounts;
pub mod appointments;
pub mod availability;
pub mod batch;
pub mod blobs;
pub mod cases;
pub mod catalogue;
pub mod clock;
pub mod delivery;
pub mod demo;
pub mod evidence;
pub mod forms;
pub mod jobs;
pub mod library;
pub mod log;
pub mod mail;
pub mod mailboxes;
pub mod notices;
pub mod orgs;
pub mod paper;
pub mod passwords;
pub mod payments;
pub mod pki;
pub mod sandbox;
pub mod search;
pub mod tasks;
pub mod timestamp;
pub mod tracker;
pub mod trusted;
pub mod visits;

use okienko_domain::DomainError;
use okienko_store::{Store, StoreError};
use std::sync::Arc;

pub use clock::{Clock, FakeClock, SystemClock};

/// Everything a use case needs, cheap to clone.
#[derive(Clone)]
pub struct Services {
    pub store: Arc<dyn Store>,
    pub clock: Arc<dyn Clock>,
    pub passwords: passwords::Hasher,
    pub mail: mail::Mailer,
    pub blobs: blobs::Blobs,
    /// The installation's keys and certificates.
    pub pki: Arc<pki::Pki>,
    /// The Merkle evidence log.
    pub log: log::EvidenceLog,
    /// Where signature time stamps come from: the built-in TSA or an external one.
    pub stamper: timestamp::TimeStamper,
    /// The public base URL, for links in emails (e.g. `http://127.0.0.1:8080`).
    pub base_url: String,
    /// What one e-delivery message may carry.
    pub limits: Arc<delivery::Limits>,
    /// Stores new messages in group commits.
    /// Where documents from outside are parsed and rendered: a limited worker process.
    pub sandbox: sandbox::Sandbox,
    /// The country the installation serves (its civil time, and more as profiles grow).
    pub country: okienko_domain::country::Country,
    /// Every official of an office uses the office's mailbox by their role (reading and
    /// sending; the office admin reads), besides the members added by name.
    pub officials_share_office_mailbox: bool,
    /// Where fees are paid online (the built-in simulator unless a provider is configured).
    pub payments: Arc<payments::Provider>,
    /// Opens cases in group commits.
    pub cases: cases::CaseOpener,
    /// Takes places in appointment slots in group commits.
    pub places: appointments::PlaceTaker,
    /// Slots as pages read them, a second at a time.
    pub slot_cache: Arc<appointments::SlotCache>,
}

impl Services {
    /// Whether this instance can serve: its database and its blob store answer. Says which
    /// does not.
    pub async fn ready(&self) -> Result<(), String> {
        self.store
            .ping()
            .await
            .map_err(|e| format!("database: {e}"))?;
        self.blobs
            .reachable()
            .await
            .map_err(|e| format!("blob store: {e}"))
    }

    pub fn now_ms(&self) -> i64 {
        okienko_domain::to_millis(self.clock.now())
    }
}

/// Maps storage failures to domain errors; `conflict` names the field-level code for a
/// uniqueness violation in this use case.
pub(crate) fn store_err(conflict: &'static str) -> impl Fn(StoreError) -> DomainError {
    move |e| match e {
        StoreError::Conflict(_) => DomainError::Conflict(conflict),
        other => DomainError::from(other),
    }
}

/// A random URL-safe secret of 32 bytes, and the SHA-256 hex under which it is stored.
pub fn new_secret() -> (String, String) {
    use rand::RngCore;
    let mut b = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut b);
    let token = hex::encode(b);
    let hash = hash_secret(&token);
    (token, hash)
}

/// Percent-encodes a value for a URL (unreserved characters and `/` stay).
pub fn url_encode(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~/".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

pub fn hash_secret(token: &str) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(token.as_bytes()))
}

pub use okienko_store::new_id;
