//! The installation's keys and certificates, created on first start and kept in the settings
//! table with every private key sealed under the master key. Office seals are created per
//! office on first use; an office admin can import an externally issued seal (PEM) instead,
//! and rotating keeps old certificates for verification.

use crate::accounts::Principal;
use crate::Services;
use okienko_domain::audit::AuditEvent;
use okienko_domain::policy::{allowed, Action};
use okienko_domain::DomainError;
use okienko_store::Store;
use okienko_trust::keystore::MasterKey;
use okienko_trust::p256::ecdsa::SigningKey;
use okienko_trust::pki::{self, KeyPair, LeafKind};
use okienko_trust::tsa::Tsa;
use okienko_trust::x509_cert::Certificate;
use serde::{Deserialize, Serialize};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use time::OffsetDateTime;
mod seals;

const PKI_KEY: &str = "pki.v1";
const REVOKED_KEY: &str = "pki.revoked";

/// A revoked certificate as stored: serial (hex), issuer and time (ms).
#[derive(Serialize, Deserialize, Clone, Debug)]
pub struct RevokedCert {
    pub serial: String,
    pub issuer: String,
    pub at: i64,
}

/// Revocation data for the verifier.
pub struct StoredRevocation(pub Vec<RevokedCert>);

impl okienko_trust::verify::Revocation for StoredRevocation {
    fn revoked_at(&self, cert: &Certificate) -> Option<OffsetDateTime> {
        let serial = hex::encode(cert.tbs_certificate.serial_number.as_bytes());
        let issuer = cert.tbs_certificate.issuer.to_string();
        self.0
            .iter()
            .find(|r| r.serial == serial && r.issuer == issuer)
            .map(|r| okienko_domain::from_millis(r.at))
    }
}

#[derive(Serialize, Deserialize)]
struct Sealed {
    cert_pem: String,
    key: String,
}

#[derive(Serialize, Deserialize)]
struct PkiBlob {
    root: Sealed,
    intermediate: Sealed,
    tsa: Sealed,
    seal: Sealed,
    log_key: String,
    /// The log's public key (PEM), readable without the master key for `okienko log verify`.
    log_public_pem: String,
}

/// An office's seal: the key in use and every certificate it had, newest first.
#[derive(Serialize, Deserialize, Default)]
pub(crate) struct OfficeSealBlob {
    current: Option<Sealed>,
    previous: Vec<String>,
    imported: bool,
    /// For an imported seal: the certificates between it and its root (PEM).
    #[serde(default)]
    chain: Vec<String>,
}

/// The installation PKI in memory.
pub struct Pki {
    pub root: Certificate,
    pub intermediate: KeyPair,
    pub tsa: Tsa,
    /// The platform's own seal, for evidence the platform issues in its own name.
    pub platform_seal: KeyPair,
    pub log_key: SigningKey,
    master: MasterKey,
    serial: AtomicU64,
    /// Opened office seals, so signing does not unseal a key each time.
    seals: std::sync::RwLock<std::collections::HashMap<String, KeyPair>>,
    /// The certificates sent along with each office's signatures.
    chains: std::sync::RwLock<std::collections::HashMap<String, Vec<Certificate>>>,
}

impl std::fmt::Debug for Pki {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Pki({})", self.root.tbs_certificate.subject)
    }
}

fn seal_pair(master: &MasterKey, name: &str, p: &KeyPair) -> anyhow::Result<Sealed> {
    Ok(Sealed {
        cert_pem: pki::cert_pem(&p.cert)?,
        key: master.seal(name, &pki::key_to_pkcs8(&p.key)?)?,
    })
}

fn open_pair(master: &MasterKey, name: &str, s: &Sealed) -> anyhow::Result<KeyPair> {
    let cert = pki::certs_from_pem(&s.cert_pem)?
        .into_iter()
        .next()
        .ok_or_else(|| anyhow::anyhow!("no certificate for {name}"))?;
    let key = pki::key_from_pkcs8(&master.open(name, &s.key)?)?;
    Ok(KeyPair::new(key, cert))
}

impl Pki {
    /// Loads the PKI, creating it on first start. Two instances starting together agree on
    /// one PKI: the first to store it wins and the other loads that one.
    pub async fn load_or_create(
        store: &dyn Store,
        master: MasterKey,
        now: OffsetDateTime,
        name: &str,
        tsa_policy: Option<&str>,
    ) -> anyhow::Result<Pki> {
        let policy = match tsa_policy {
            Some(p) => p
                .trim()
                .parse::<okienko_trust::oids::ObjectIdentifier>()
                .map_err(|e| anyhow::anyhow!("TSA policy {p:?} is not an OID: {e}"))?,
            None => okienko_trust::oids::DEFAULT_TSA_POLICY,
        };
        let text = match store.setting(PKI_KEY).await? {
            Some(t) => t,
            None => {
                let o = format!("O={}", pki::dn_escape(name));
                let root = pki::root(&format!("CN={} Root CA,{o}", pki::dn_escape(name)), now)?;
                let inter = pki::intermediate(
                    &root,
                    &format!("CN={} Issuing CA,{o}", pki::dn_escape(name)),
                    now,
                )?;
                let tsa = pki::leaf(
                    &inter,
                    &format!("CN={} Time-Stamping Authority,{o}", pki::dn_escape(name)),
                    LeafKind::Tsa,
                    now,
                )?;
                let seal = pki::leaf(
                    &inter,
                    &format!("CN={} Evidence Seal,{o}", pki::dn_escape(name)),
                    LeafKind::Seal,
                    now,
                )?;
                let log = pki::new_key();
                let blob = PkiBlob {
                    root: seal_pair(&master, "root", &root)?,
                    intermediate: seal_pair(&master, "intermediate", &inter)?,
                    tsa: seal_pair(&master, "tsa", &tsa)?,
                    seal: seal_pair(&master, "seal", &seal)?,
                    log_key: master.seal("log", &pki::key_to_pkcs8(&log)?)?,
                    log_public_pem: pki::public_key_pem(&log)?,
                };
                let t = serde_json::to_string(&blob)?;
                tracing::info!(
                    "created the installation PKI (root, issuing CA, TSA, evidence seal, log key)"
                );
                store.setting_init(PKI_KEY, &t).await?
            }
        };
        let blob: PkiBlob = serde_json::from_str(&text)?;
        let root = open_pair(&master, "root", &blob.root)?.cert;
        let intermediate = open_pair(&master, "intermediate", &blob.intermediate)?;
        let tsa_pair = open_pair(&master, "tsa", &blob.tsa)?;
        let platform_seal = open_pair(&master, "seal", &blob.seal)?;
        let log_key = pki::key_from_pkcs8(&master.open("log", &blob.log_key)?)?;
        let tsa = Tsa {
            chain: vec![tsa_pair.cert.clone(), intermediate.cert.clone()],
            pair: tsa_pair,
            policy,
        };
        // Serial numbers: milliseconds in the high bits and a counter in the low 20, so they
        // stay unique across restarts without a database round trip per stamp.
        let serial = AtomicU64::new((okienko_domain::to_millis(now) as u64) << 20);
        Ok(Pki {
            root,
            intermediate,
            tsa,
            platform_seal,
            log_key,
            master,
            serial,
            seals: Default::default(),
            chains: Default::default(),
        })
    }

    pub fn next_serial(&self) -> u64 {
        self.serial.fetch_add(1, Ordering::Relaxed)
    }

    /// `/trust/ca.pem`: the root and the issuing CA.
    pub fn ca_pem(&self) -> anyhow::Result<String> {
        Ok(format!(
            "{}{}",
            pki::cert_pem(&self.root)?,
            pki::cert_pem(&self.intermediate.cert)?
        ))
    }

    pub fn anchors(&self) -> Vec<Certificate> {
        vec![self.root.clone()]
    }

    /// Answers an RFC 3161 request.
    pub fn time_stamp(&self, request: &[u8], at: OffsetDateTime) -> anyhow::Result<Vec<u8>> {
        Ok(self.tsa.respond(request, self.next_serial(), at)?)
    }
}

/// The installation's root certificate and the log's public key, read without the master
/// key (for `okienko verify` and `okienko log verify`).
pub async fn public_parts(store: &dyn Store) -> anyhow::Result<Option<(Certificate, String)>> {
    let Some(text) = store.setting(PKI_KEY).await? else {
        return Ok(None);
    };
    let blob: PkiBlob = serde_json::from_str(&text)?;
    let root = pki::certs_from_pem(&blob.root.cert_pem)?
        .into_iter()
        .next()
        .ok_or_else(|| anyhow::anyhow!("no root certificate"))?;
    Ok(Some((root, blob.log_public_pem)))
}

/// The revocation list, read without services (for `okienko verify`).
pub async fn stored_revocation(store: &dyn Store) -> anyhow::Result<StoredRevocation> {
    let text = store.setting(REVOKED_KEY).await?;
    Ok(StoredRevocation(
        text.and_then(|t| serde_json::from_str(&t).ok())
            .unwrap_or_default(),
    ))
}

impl Pki {
    pub fn log_public_pem(&self) -> anyhow::Result<String> {
        Ok(pki::public_key_pem(&self.log_key)?)
    }
    pub fn tsa_pem(&self) -> anyhow::Result<String> {
        Ok(pki::cert_pem(&self.tsa.pair.cert)?)
    }
}

/// What an office admin sees about their seal.
pub struct SealInfo {
    pub subject: String,
    pub serial: String,
    pub not_before: OffsetDateTime,
    pub not_after: OffsetDateTime,
    pub imported: bool,
    pub previous: usize,
    pub cert_pem: String,
}

fn office_key(office_id: &str) -> String {
    format!("pki.office.{office_id}")
}

/// An externally issued seal to import.
pub enum SealImport<'a> {
    /// Certificate (optionally followed by its chain) and P-256 private key, both PEM.
    Pem { certificate: &'a str, key: &'a str },
    /// A PKCS#12 file and its password.
    Pkcs12 { data: &'a [u8], password: &'a str },
}

/// Shared handle.
pub type PkiRef = Arc<Pki>;

/// Where the trusted-signature certificate and its sealed key are kept.
const TRUSTED_SIGNER: &str = "pki.trusted-signature";

impl Services {
    /// The installation's trusted-signature certificate (a document-signing certificate
    /// under the issuing CA), made on first use, with the chain sent along with signatures.
    pub async fn trusted_signer(&self) -> Result<(KeyPair, Vec<Certificate>), DomainError> {
        let ie = |e: anyhow::Error| DomainError::Internal(e.to_string());
        let stored = match self.store.setting(TRUSTED_SIGNER).await? {
            Some(text) => text,
            None => {
                let pair = pki::leaf(
                    &self.pki.intermediate,
                    "CN=okienko trusted signature,O=okienko",
                    LeafKind::Signature,
                    self.clock.now(),
                )
                .map_err(|e| DomainError::Internal(e.to_string()))?;
                let sealed = seal_pair(&self.pki.master, TRUSTED_SIGNER, &pair).map_err(ie)?;
                let text = serde_json::to_string(&sealed)
                    .map_err(|e| DomainError::Internal(e.to_string()))?;
                // Two first uses at once agree on the one stored first.
                self.store.setting_init(TRUSTED_SIGNER, &text).await?
            }
        };
        let sealed: Sealed =
            serde_json::from_str(&stored).map_err(|e| DomainError::Internal(e.to_string()))?;
        let pair = open_pair(&self.pki.master, TRUSTED_SIGNER, &sealed).map_err(ie)?;
        Ok((pair, vec![self.pki.intermediate.cert.clone()]))
    }
}
