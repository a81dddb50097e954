//! Issuing evidence: a JSON document signed (enveloping CMS) with an office's seal or the
//! platform's, and appended to the evidence log before anyone is told it exists.

use crate::Services;
use okienko_domain::DomainError;
use okienko_trust::sign::{sign, SignRequest};

/// A signed evidence document and its place in the log.
#[derive(Debug, Clone)]
pub struct Issued {
    pub signed: Vec<u8>,
    pub log_index: u64,
}

impl Services {
    /// Signs `document` (exact bytes) with `office_id`'s seal (or the platform's evidence seal)
    /// and appends the signature to the evidence log. Signing runs off the async runtime.
    pub async fn issue_evidence(
        &self,
        document: Vec<u8>,
        office_id: Option<&str>,
    ) -> Result<Issued, DomainError> {
        let signed = match office_id {
            Some(o) => self.issue_signed(document, o).await?,
            None => {
                let (signer, chain) = (
                    self.pki.platform_seal.clone(),
                    vec![self.pki.intermediate.cert.clone()],
                );
                self.sign_off_runtime(document, signer, chain).await?
            }
        };
        let log_index = self
            .log
            .append(vec![signed.clone()])
            .await
            .map_err(|e| DomainError::Internal(e.to_string()))?;
        Ok(Issued { signed, log_index })
    }
}

impl Services {
    /// Signs an evidence document (exact bytes, enveloped) with an office's seal; not yet in
    /// the log (see [`Self::log_signed`]).
    pub(crate) async fn issue_signed(
        &self,
        document: Vec<u8>,
        office_id: &str,
    ) -> Result<Vec<u8>, DomainError> {
        let (signer, chain) = self.office_signer(office_id).await?;
        self.sign_off_runtime(document, signer, chain).await
    }

    async fn sign_off_runtime(
        &self,
        document: Vec<u8>,
        signer: okienko_trust::pki::KeyPair,
        chain: Vec<okienko_trust::x509_cert::Certificate>,
    ) -> Result<Vec<u8>, DomainError> {
        let at = self.clock.now();
        tokio::task::spawn_blocking(move || {
            sign(&SignRequest::data(&document, false, at), &signer, &chain)
        })
        .await
        .map_err(|e| DomainError::Internal(e.to_string()))?
        .map_err(|e| DomainError::Internal(e.to_string()))
    }

    /// Appends a signed record to the evidence log and stores it with its audit event in the
    /// same commit; numbers it by its leaf.
    pub(crate) async fn log_signed(
        &self,
        signed: Vec<u8>,
        record: &mut okienko_store::SignedRecord,
        ev: okienko_domain::audit::AuditEvent,
    ) -> Result<(), DomainError> {
        let index = self
            .log
            .append_record(signed, (record.clone(), ev))
            .await
            .map_err(|e| DomainError::Internal(e.to_string()))?;
        record.set_log_index(index as i64);
        Ok(())
    }
}

impl Services {
    /// Signs several evidence documents with the platform's evidence seal and appends them to
    /// the log in one go; answers once all are committed to the log.
    pub async fn issue_platform_evidence(
        &self,
        documents: Vec<Vec<u8>>,
    ) -> Result<Vec<Issued>, DomainError> {
        let signed = self.sign_platform_evidence(documents).await?;
        let first = self
            .log
            .append(signed.clone())
            .await
            .map_err(|e| DomainError::Internal(e.to_string()))?;
        Ok(signed
            .into_iter()
            .enumerate()
            .map(|(i, signed)| Issued {
                signed,
                log_index: first + i as u64,
            })
            .collect())
    }

    /// Signs evidence documents with the platform's evidence seal (not yet in the log).
    pub async fn sign_platform_evidence(
        &self,
        documents: Vec<Vec<u8>>,
    ) -> Result<Vec<Vec<u8>>, DomainError> {
        let at = self.clock.now();
        let sign_all =
            move |signer: &okienko_trust::pki::KeyPair, chain: &[_], documents: &[Vec<u8>]| {
                documents
                    .iter()
                    .map(|d| sign(&SignRequest::data(d, false, at), signer, chain))
                    .collect::<Result<Vec<_>, _>>()
            };
        // A few signatures (tens of microseconds each) are made right here, with the keys
        // borrowed; handing them to the blocking pool would cost more in thread switches and
        // copies than the signing itself. Many (a bulk message) go to the blocking pool so the
        // runtime is not held up.
        let signed = if documents.len() <= 4 {
            sign_all(
                &self.pki.platform_seal,
                std::slice::from_ref(&self.pki.intermediate.cert),
                &documents,
            )
        } else {
            let signer = self.pki.platform_seal.clone();
            let chain = [self.pki.intermediate.cert.clone()];
            tokio::task::spawn_blocking(move || sign_all(&signer, &chain, &documents))
                .await
                .map_err(|e| DomainError::Internal(e.to_string()))?
        };
        signed.map_err(|e| DomainError::Internal(e.to_string()))
    }
}

/// One event to issue evidence for.
pub(crate) struct EvidenceEvent {
    pub kind: &'static str,
    /// The recipient it concerns; empty for the sender's own evidence.
    pub recipient: String,
    pub at: i64,
    pub extra: serde_json::Value,
}

impl EvidenceEvent {
    pub(crate) fn new(
        kind: &'static str,
        recipient: &str,
        at: i64,
        extra: serde_json::Value,
    ) -> EvidenceEvent {
        let recipient = recipient.to_string();
        EvidenceEvent {
            kind,
            recipient,
            at,
            extra,
        }
    }
}
