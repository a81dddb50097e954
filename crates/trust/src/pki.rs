//! The installation's own PKI: a root CA, an intermediate CA, and leaf certificates for the
//! time-stamping authority, office seals and trusted signatures. ECDSA P-256 throughout.

use crate::{Result, TrustError};
use der::asn1::{GeneralizedTime, UtcTime};
use der::{DateTime, Decode, Encode, EncodePem};
use p256::ecdsa::{DerSignature, SigningKey};
use p256::pkcs8::{DecodePrivateKey, EncodePrivateKey};
use spki::SubjectPublicKeyInfoOwned;
use std::str::FromStr;
use std::sync::{Arc, OnceLock};
use std::time::Duration;
use time::OffsetDateTime;
use x509_cert::builder::{Builder, CertificateBuilder, Profile};
use x509_cert::ext::pkix::{ExtendedKeyUsage, KeyUsage, KeyUsages};
use x509_cert::ext::AsExtension;
use x509_cert::name::Name;
use x509_cert::serial_number::SerialNumber;
use x509_cert::time::{Time, Validity};
use x509_cert::Certificate;

/// A private key with its certificate.
#[derive(Clone)]
pub struct KeyPair {
    pub key: SigningKey,
    pub cert: Certificate,
    /// The same key loaded into ring, made on first use (see [`FastKey`]).
    fast: Arc<OnceLock<Option<FastKey>>>,
    /// The DER parts of a CMS signature that stay the same, made on first use (see
    /// `sign::Prepared`).
    pub(crate) prepared: Arc<OnceLock<std::result::Result<crate::sign::Prepared, String>>>,
}

impl KeyPair {
    pub fn new(key: SigningKey, cert: Certificate) -> Self {
        KeyPair {
            key,
            cert,
            fast: Arc::default(),
            prepared: Arc::default(),
        }
    }

    /// The key for signing many documents: ring's when it takes the key, else p256's.
    pub fn fast(&self) -> Option<&FastKey> {
        self.fast
            .get_or_init(|| FastKey::new(&self.key).ok())
            .as_ref()
    }
}

/// An ECDSA P-256 key held by ring, for the signatures made per message (evidence, seals).
/// p256's portable field arithmetic costs several times more per signature than ring's
/// assembly, and evidence is signed for every message, so the hot path signs with ring while
/// certificates, keys and verification stay with RustCrypto. Both make the same standard
/// ECDSA-with-SHA256 signatures.
pub struct FastKey {
    pair: ring::signature::EcdsaKeyPair,
    verifying: p256::ecdsa::VerifyingKey,
    rng: ring::rand::SystemRandom,
}

impl FastKey {
    pub fn new(key: &SigningKey) -> Result<Self> {
        let rng = ring::rand::SystemRandom::new();
        let pkcs8 = key_to_pkcs8(key)?;
        let pair = ring::signature::EcdsaKeyPair::from_pkcs8(
            &ring::signature::ECDSA_P256_SHA256_ASN1_SIGNING,
            &pkcs8,
            &rng,
        )
        .map_err(|e| TrustError::Key(e.to_string()))?;
        Ok(FastKey {
            pair,
            verifying: *key.verifying_key(),
            rng,
        })
    }
}

impl signature::Keypair for FastKey {
    type VerifyingKey = p256::ecdsa::VerifyingKey;
    fn verifying_key(&self) -> Self::VerifyingKey {
        self.verifying
    }
}

impl spki::SignatureAlgorithmIdentifier for FastKey {
    type Params = der::asn1::AnyRef<'static>;
    const SIGNATURE_ALGORITHM_IDENTIFIER: spki::AlgorithmIdentifier<Self::Params> =
        spki::AlgorithmIdentifier {
            oid: const_oid::db::rfc5912::ECDSA_WITH_SHA_256,
            parameters: None,
        };
}

impl signature::Signer<DerSignature> for FastKey {
    fn try_sign(&self, msg: &[u8]) -> std::result::Result<DerSignature, signature::Error> {
        let sig = self
            .pair
            .sign(&self.rng, msg)
            .map_err(|_| signature::Error::new())?;
        DerSignature::from_bytes(sig.as_ref())
    }
}

impl std::fmt::Debug for KeyPair {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "KeyPair({})", self.cert.tbs_certificate.subject)
    }
}

/// What a leaf certificate is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LeafKind {
    /// RFC 3161 time stamps: extended key usage timeStamping only, critical.
    Tsa,
    /// An office's electronic seal, and the platform's evidence signer.
    Seal,
    /// Signatures made on a person's behalf (trusted signature).
    Signature,
}

pub fn new_key() -> SigningKey {
    SigningKey::random(&mut rand_core::OsRng)
}

/// A point in time as an X.509 time (UTCTime before 2050, GeneralizedTime after).
pub fn x509_time(t: OffsetDateTime) -> Result<Time> {
    let secs = u64::try_from(t.unix_timestamp())
        .map_err(|_| TrustError::Invalid("time before 1970".into()))?;
    let dt = DateTime::from_unix_duration(Duration::from_secs(secs))?;
    Ok(if dt.year() < 2050 {
        Time::UtcTime(UtcTime::from_date_time(dt)?)
    } else {
        Time::GeneralTime(GeneralizedTime::from_date_time(dt))
    })
}

/// An X.509 time as a point in time.
pub fn from_x509_time(t: &Time) -> OffsetDateTime {
    let secs = t.to_unix_duration().as_secs() as i64;
    OffsetDateTime::from_unix_timestamp(secs).unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

fn serial() -> Result<SerialNumber> {
    use rand_core::RngCore;
    let mut b = [0u8; 16];
    rand_core::OsRng.fill_bytes(&mut b);
    b[0] = (b[0] & 0x7f) | 0x01;
    SerialNumber::new(&b).map_err(|e| TrustError::Key(e.to_string()))
}

fn name(dn: &str) -> Result<Name> {
    Name::from_str(dn).map_err(|e| TrustError::Key(format!("name {dn:?}: {e}")))
}

/// Escapes a value for an RFC 4514 distinguished name string.
pub fn dn_escape(v: &str) -> String {
    let mut out = String::new();
    for (i, c) in v.chars().enumerate() {
        if matches!(c, ',' | '+' | '"' | '\\' | '<' | '>' | ';' | '=')
            || (i == 0 && (c == '#' || c == ' '))
        {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// Extended key usage marked critical (RFC 3161 § 2.3 requires it for a TSA certificate).
struct CriticalEku(ExtendedKeyUsage);

impl const_oid::AssociatedOid for CriticalEku {
    const OID: const_oid::ObjectIdentifier = const_oid::db::rfc5280::ID_CE_EXT_KEY_USAGE;
}

impl Encode for CriticalEku {
    fn encoded_len(&self) -> der::Result<der::Length> {
        self.0.encoded_len()
    }
    fn encode(&self, w: &mut impl der::Writer) -> der::Result<()> {
        self.0.encode(w)
    }
}

impl AsExtension for CriticalEku {
    fn critical(&self, _subject: &Name, _extensions: &[x509_cert::ext::Extension]) -> bool {
        true
    }
}

fn build(
    profile: Profile,
    subject: &str,
    key: &SigningKey,
    signer: &SigningKey,
    from: OffsetDateTime,
    years: i64,
    eku: Option<CriticalEku>,
) -> Result<Certificate> {
    let validity = Validity {
        not_before: x509_time(from - time::Duration::minutes(5))?,
        not_after: x509_time(from + time::Duration::days(365 * years))?,
    };
    let spki = SubjectPublicKeyInfoOwned::from_key(*key.verifying_key())
        .map_err(|e| TrustError::Key(e.to_string()))?;
    let mut b = CertificateBuilder::new(profile, serial()?, validity, name(subject)?, spki, signer)
        .map_err(|e| TrustError::Key(e.to_string()))?;
    if let Some(eku) = eku {
        b.add_extension(&eku)
            .map_err(|e| TrustError::Key(e.to_string()))?;
    }
    b.build::<DerSignature>()
        .map_err(|e| TrustError::Key(e.to_string()))
}

/// A self-signed root CA, valid 20 years.
pub fn root(subject: &str, now: OffsetDateTime) -> Result<KeyPair> {
    let key = new_key();
    let cert = build(Profile::Root, subject, &key, &key, now, 20, None)?;
    Ok(KeyPair::new(key, cert))
}

/// An intermediate CA under `ca`, valid 10 years.
pub fn intermediate(ca: &KeyPair, subject: &str, now: OffsetDateTime) -> Result<KeyPair> {
    let key = new_key();
    let profile = Profile::SubCA {
        issuer: ca.cert.tbs_certificate.subject.clone(),
        path_len_constraint: Some(0),
    };
    let cert = build(profile, subject, &key, &ca.key, now, 10, None)?;
    Ok(KeyPair::new(key, cert))
}

/// A leaf certificate under `ca`: digitalSignature and nonRepudiation; a TSA certificate also
/// gets the critical timeStamping extended key usage. Valid 3 years.
pub fn leaf(ca: &KeyPair, subject: &str, kind: LeafKind, now: OffsetDateTime) -> Result<KeyPair> {
    let key = new_key();
    let profile = Profile::Leaf {
        issuer: ca.cert.tbs_certificate.subject.clone(),
        enable_key_agreement: false,
        enable_key_encipherment: false,
    };
    let eku = (kind == LeafKind::Tsa).then(|| {
        CriticalEku(ExtendedKeyUsage(vec![
            const_oid::db::rfc5280::ID_KP_TIME_STAMPING,
        ]))
    });
    let cert = build(profile, subject, &key, &ca.key, now, 3, eku)?;
    Ok(KeyPair::new(key, cert))
}

pub fn cert_pem(cert: &Certificate) -> Result<String> {
    Ok(cert.to_pem(der::pem::LineEnding::LF)?)
}

pub fn cert_der(cert: &Certificate) -> Result<Vec<u8>> {
    Ok(cert.to_der()?)
}

pub fn cert_from_der(der: &[u8]) -> Result<Certificate> {
    Ok(Certificate::from_der(der)?)
}

/// Reads every certificate in a PEM bundle.
pub fn certs_from_pem(pem: &str) -> Result<Vec<Certificate>> {
    // load_pem_chain underflows on input without a certificate: check first.
    let t = pem.trim();
    if !t.starts_with("-----BEGIN CERTIFICATE-----") || !t.ends_with("-----END CERTIFICATE-----") {
        return Err(TrustError::Malformed("no PEM certificate".into()));
    }
    Certificate::load_pem_chain(t.as_bytes()).map_err(TrustError::from)
}

pub fn key_to_pkcs8(key: &SigningKey) -> Result<Vec<u8>> {
    Ok(key
        .to_pkcs8_der()
        .map_err(|e| TrustError::Key(e.to_string()))?
        .as_bytes()
        .to_vec())
}

pub fn key_from_pkcs8(der: &[u8]) -> Result<SigningKey> {
    SigningKey::from_pkcs8_der(der).map_err(|e| TrustError::Key(e.to_string()))
}

/// Reads a PKCS#8 private key in PEM ("PRIVATE KEY") or SEC1 ("EC PRIVATE KEY").
pub fn key_from_pem(pem: &str) -> Result<SigningKey> {
    if let Ok(k) = SigningKey::from_pkcs8_pem(pem) {
        return Ok(k);
    }
    p256::SecretKey::from_sec1_pem(pem)
        .map(SigningKey::from)
        .map_err(|_| {
            TrustError::Key("the key is not a P-256 private key in PKCS#8 or SEC1 PEM".into())
        })
}

/// The public key as PEM (SubjectPublicKeyInfo).
pub fn public_key_pem(key: &SigningKey) -> Result<String> {
    use p256::pkcs8::EncodePublicKey;
    key.verifying_key()
        .to_public_key_pem(p256::pkcs8::LineEnding::LF)
        .map_err(|e| TrustError::Key(e.to_string()))
}

/// True when `cert`'s key is `key`'s public half.
pub fn matches(cert: &Certificate, key: &SigningKey) -> bool {
    SubjectPublicKeyInfoOwned::from_key(*key.verifying_key())
        .is_ok_and(|spki| spki == cert.tbs_certificate.subject_public_key_info)
}

pub fn key_usage_of(cert: &Certificate) -> Option<KeyUsage> {
    use der::Decode;
    cert.tbs_certificate
        .extensions
        .as_ref()?
        .iter()
        .find(|e| e.extn_id == const_oid::db::rfc5280::ID_CE_KEY_USAGE)
        .and_then(|e| KeyUsage::from_der(e.extn_value.as_bytes()).ok())
}

/// A certificate for signing documents: digitalSignature or nonRepudiation, and no extended
/// key usage that confines it to something else (a TSA certificate's timeStamping).
pub fn can_sign_documents(cert: &Certificate) -> bool {
    use der::Decode;
    let confined = cert
        .tbs_certificate
        .extensions
        .as_ref()
        .is_some_and(|exts| {
            exts.iter()
                .filter(|e| e.extn_id == const_oid::db::rfc5280::ID_CE_EXT_KEY_USAGE)
                .filter_map(|e| ExtendedKeyUsage::from_der(e.extn_value.as_bytes()).ok())
                .any(|eku| {
                    eku.0
                        .iter()
                        .all(|o| *o == const_oid::db::rfc5280::ID_KP_TIME_STAMPING)
                })
        });
    !confined
        && key_usage_of(cert).is_some_and(|ku| {
            ku.0.contains(KeyUsages::DigitalSignature) || ku.0.contains(KeyUsages::NonRepudiation)
        })
}

/// A revoked certificate: its serial number and when it was revoked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RevokedEntry {
    pub serial: SerialNumber,
    pub at: OffsetDateTime,
}

/// A DER CRL (v2) signed by `ca`, valid for a week.
pub fn crl(ca: &KeyPair, revoked: &[RevokedEntry], now: OffsetDateTime) -> Result<Vec<u8>> {
    use signature::Signer;
    use x509_cert::crl::{CertificateList, RevokedCert, TbsCertList};
    let alg = spki::AlgorithmIdentifierOwned {
        oid: const_oid::db::rfc5912::ECDSA_WITH_SHA_256,
        parameters: None,
    };
    let entries = revoked
        .iter()
        .map(|r| {
            Ok(RevokedCert {
                serial_number: r.serial.clone(),
                revocation_date: x509_time(r.at)?,
                crl_entry_extensions: None,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    let tbs = TbsCertList {
        version: x509_cert::Version::V2,
        signature: alg.clone(),
        issuer: ca.cert.tbs_certificate.subject.clone(),
        this_update: x509_time(now)?,
        next_update: Some(x509_time(now + time::Duration::days(7))?),
        revoked_certificates: if entries.is_empty() {
            None
        } else {
            Some(entries)
        },
        crl_extensions: None,
    };
    let sig: DerSignature = ca.key.sign(&tbs.to_der()?);
    let list = CertificateList {
        tbs_cert_list: tbs,
        signature_algorithm: alg,
        signature: der::asn1::BitString::from_bytes(sig.as_bytes())?,
    };
    Ok(list.to_der()?)
}

/// Reads a PKCS#12 file (`.p12` / `.pfx`): the private key, its certificate and the rest of
/// the chain. The key must be P-256.
pub fn from_pkcs12(data: &[u8], password: &str) -> Result<(KeyPair, Vec<Certificate>)> {
    let store = p12_keystore::KeyStore::from_pkcs12(data, password).map_err(|e| {
        TrustError::Key(format!(
            "cannot open the PKCS#12 file (wrong password or damaged file): {e}"
        ))
    })?;
    let (_, chain) = store
        .private_key_chain()
        .ok_or_else(|| TrustError::Key("the PKCS#12 file holds no private key".into()))?;
    let key = key_from_pkcs8(chain.key())?;
    let certs = chain
        .chain()
        .iter()
        .map(|c| cert_from_der(c.as_der()))
        .collect::<Result<Vec<_>>>()?;
    let (leaf, rest): (Vec<_>, Vec<_>) = certs.into_iter().partition(|c| matches(c, &key));
    let cert = leaf
        .into_iter()
        .next()
        .ok_or_else(|| TrustError::Key("no certificate in the file belongs to its key".into()))?;
    Ok((KeyPair::new(key, cert), rest))
}
