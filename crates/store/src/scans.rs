//! Paper letters in the correspondence register: the scan of a letter received on paper, kept
//! with its register entry and the certified electronic copy note an official signed over it.

use crate::cases::RegisterEntry;
use crate::{EvidenceRecord, Result};
use async_trait::async_trait;
use okienko_domain::Millis;

/// The scan of a paper letter and who certified it as a true copy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegisterScan {
    pub entry_id: String,
    pub name: String,
    pub media_type: String,
    /// The file in the blob store.
    pub sha256: String,
    pub size: i64,
    /// The office's detached CAdES-T signature over the file (base64 DER).
    pub signature: String,
    /// The evidence of the certification (its note, signed and in the evidence log).
    pub evidence_id: String,
    pub certified_by: String,
    pub certified_name: String,
    pub certified_at: Millis,
}

/// A paper letter to register, stored in the commit that logs its note: the entry (numbered
/// there), its scan and the note's evidence.
#[derive(Debug, Clone)]
pub struct ScannedLetter {
    pub entry: RegisterEntry,
    pub scan: RegisterScan,
    pub evidence: EvidenceRecord,
    /// The scan's text layer (a PDF's), for the search only: the entry is found by it.
    pub text: String,
}

#[async_trait]
pub trait ScanStore: Send + Sync {
    async fn register_scan(&self, entry_id: &str) -> Result<Option<RegisterScan>>;
}
