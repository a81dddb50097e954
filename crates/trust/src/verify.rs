//! The verifier for everything okienko signs: CMS signatures (detached or enveloping), their
//! time stamps, and RFC 3161 tokens. Written by hand because no maintained pure-Rust CMS
//! verifier exists; it checks, in order: structure, digest, signed attributes, the signature,
//! the certificate chain to a trust anchor, validity and revocation at the signing time, and
//! a signature time stamp if there is one.

use crate::oids::{ID_AA_SIGNING_CERTIFICATE_V2, ID_AA_TIME_STAMP_TOKEN, ID_CT_TST_INFO};
use crate::pki::from_x509_time;
use crate::sha256;
use crate::sign::{parse_signed_data, SigningCertificateV2};
use cms::cert::CertificateChoices;
use cms::signed_data::{SignedData, SignerIdentifier, SignerInfo};
use const_oid::ObjectIdentifier;
use der::{Decode, Encode};
use p256::ecdsa::{DerSignature, VerifyingKey};
use signature::Verifier;
use time::OffsetDateTime;
use x509_cert::Certificate;
use x509_tsp::TstInfo;

/// Why something does not verify. `code()` is stable (and a Fluent message id).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    Malformed(String),
    NoContent,
    UnsupportedAlgorithm(String),
    NoSigner,
    SignerCertificateMissing,
    ContentChanged,
    ContentTypeMismatch,
    BadSignature,
    SigningCertificateMismatch,
    Untrusted,
    CertificateNotValidAtSigningTime(String),
    Revoked(String),
    NotForSigning,
    TimeStampInvalid(String),
}

impl Problem {
    pub fn code(&self) -> &'static str {
        match self {
            Problem::Malformed(_) => "verify-malformed",
            Problem::NoContent => "verify-no-content",
            Problem::UnsupportedAlgorithm(_) => "verify-unsupported-algorithm",
            Problem::NoSigner => "verify-no-signer",
            Problem::SignerCertificateMissing => "verify-signer-certificate-missing",
            Problem::ContentChanged => "verify-content-changed",
            Problem::ContentTypeMismatch => "verify-content-type-mismatch",
            Problem::BadSignature => "verify-bad-signature",
            Problem::SigningCertificateMismatch => "verify-signing-certificate-mismatch",
            Problem::Untrusted => "verify-untrusted",
            Problem::CertificateNotValidAtSigningTime(_) => "verify-certificate-not-valid",
            Problem::Revoked(_) => "verify-revoked",
            Problem::NotForSigning => "verify-not-for-signing",
            Problem::TimeStampInvalid(_) => "verify-time-stamp-invalid",
        }
    }
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Problem::Malformed(d) => write!(f, "the file is not a readable CMS signature ({d})"),
            Problem::NoContent => write!(
                f,
                "the signature is detached and the signed file was not given"
            ),
            Problem::UnsupportedAlgorithm(a) => write!(
                f,
                "the signature uses an algorithm this verifier does not support ({a})"
            ),
            Problem::NoSigner => write!(f, "the signature has no signer"),
            Problem::SignerCertificateMissing => {
                write!(f, "the signer's certificate is not in the signature")
            }
            Problem::ContentChanged => write!(
                f,
                "the document was changed after it was signed (its digest does not match)"
            ),
            Problem::ContentTypeMismatch => {
                write!(f, "the signed content type does not match the content")
            }
            Problem::BadSignature => {
                write!(f, "the signature value does not match the signed data")
            }
            Problem::SigningCertificateMismatch => write!(
                f,
                "the signature names a different signing certificate than the one it carries"
            ),
            Problem::Untrusted => write!(
                f,
                "the signer's certificate does not lead to a trusted root"
            ),
            Problem::CertificateNotValidAtSigningTime(s) => write!(
                f,
                "a certificate was not valid when the document was signed ({s})"
            ),
            Problem::Revoked(s) => write!(
                f,
                "a certificate was revoked before the document was signed ({s})"
            ),
            Problem::NotForSigning => write!(
                f,
                "the signer's certificate is not meant for signing documents"
            ),
            Problem::TimeStampInvalid(d) => write!(f, "the time stamp does not verify ({d})"),
        }
    }
}

/// What the verifier found.
#[derive(Debug, Clone, Default)]
pub struct Report {
    pub problems: Vec<Problem>,
    /// The signer certificate's subject, e.g. `CN=Urząd Gminy Przykładowo,O=…`.
    pub signer: Option<String>,
    pub signer_serial: Option<String>,
    pub issuer: Option<String>,
    /// The signing time the signer claims (signed attribute).
    pub signing_time: Option<OffsetDateTime>,
    /// The time certified by a time-stamping authority, if the signature has a time stamp or
    /// is itself a time-stamp token.
    pub time_stamp: Option<OffsetDateTime>,
    pub time_stamp_authority: Option<String>,
    pub content_type: Option<String>,
    /// The signed content of an enveloping signature.
    pub content: Option<Vec<u8>>,
    /// Further signed text attributes (OID, text), e.g. the person a signature was made for.
    pub attributes: Vec<(String, String)>,
    /// The certificate chain from the signer up to the anchor (subjects).
    pub chain: Vec<String>,
}

impl Report {
    pub fn valid(&self) -> bool {
        self.problems.is_empty()
    }

    /// Whether nothing could be checked (not a signature, or a separate signature without
    /// the file it signs): that says nothing about the signature, it is not "invalid".
    pub fn cannot_check(&self) -> bool {
        !self.problems.is_empty()
            && self
                .problems
                .iter()
                .all(|p| matches!(p, Problem::Malformed(_) | Problem::NoContent))
    }
}

/// Revocation lookup: when (if ever) a certificate was revoked.
pub trait Revocation {
    fn revoked_at(&self, cert: &Certificate) -> Option<OffsetDateTime>;
}

/// No revocation information.
pub struct NoRevocation;

impl Revocation for NoRevocation {
    fn revoked_at(&self, _: &Certificate) -> Option<OffsetDateTime> {
        None
    }
}

fn certificates(sd: &SignedData) -> Vec<Certificate> {
    sd.certificates
        .as_ref()
        .map(|set| {
            set.0
                .iter()
                .filter_map(|c| match c {
                    CertificateChoices::Certificate(c) => Some(c.clone()),
                    _ => None,
                })
                .collect()
        })
        .unwrap_or_default()
}

fn find_signer(si: &SignerInfo, certs: &[Certificate]) -> Option<Certificate> {
    match &si.sid {
        SignerIdentifier::IssuerAndSerialNumber(ias) => certs
            .iter()
            .find(|c| {
                c.tbs_certificate.issuer == ias.issuer
                    && c.tbs_certificate.serial_number == ias.serial_number
            })
            .cloned(),
        SignerIdentifier::SubjectKeyIdentifier(ski) => certs
            .iter()
            .find(|c| {
                c.tbs_certificate.extensions.as_ref().is_some_and(|exts| {
                    exts.iter().any(|e| {
                        e.extn_id == const_oid::db::rfc5280::ID_CE_SUBJECT_KEY_IDENTIFIER
                            && x509_cert::ext::pkix::SubjectKeyIdentifier::from_der(
                                e.extn_value.as_bytes(),
                            )
                            .is_ok_and(|s| s.0 == ski.0)
                    })
                })
            })
            .cloned(),
    }
}

fn verifying_key(cert: &Certificate) -> Result<VerifyingKey, Problem> {
    let spki = &cert.tbs_certificate.subject_public_key_info;
    if spki.algorithm.oid != const_oid::db::rfc5912::ID_EC_PUBLIC_KEY {
        return Err(Problem::UnsupportedAlgorithm(
            spki.algorithm.oid.to_string(),
        ));
    }
    VerifyingKey::from_sec1_bytes(spki.subject_public_key.raw_bytes())
        .map_err(|_| Problem::UnsupportedAlgorithm("EC key not on P-256".into()))
}

fn ecdsa_ok(
    key: &VerifyingKey,
    alg: &ObjectIdentifier,
    msg: &[u8],
    sig: &[u8],
) -> Result<bool, Problem> {
    if *alg != const_oid::db::rfc5912::ECDSA_WITH_SHA_256 {
        return Err(Problem::UnsupportedAlgorithm(alg.to_string()));
    }
    let Ok(sig) = DerSignature::try_from(sig) else {
        return Ok(false);
    };
    Ok(key.verify(msg, &sig).is_ok())
}

fn attr_value(si: &SignerInfo, oid: ObjectIdentifier) -> Option<&der::Any> {
    si.signed_attrs
        .as_ref()?
        .iter()
        .find(|a| a.oid == oid)?
        .values
        .iter()
        .next()
}

fn time_at(t: OffsetDateTime, cert: &Certificate) -> bool {
    let v = &cert.tbs_certificate.validity;
    from_x509_time(&v.not_before) <= t && t <= from_x509_time(&v.not_after)
}

/// Walks from `leaf` to an anchor, checking each signature; returns the subjects on the way.
fn chain_to_anchor(
    leaf: &Certificate,
    pool: &[Certificate],
    anchors: &[Certificate],
    at: OffsetDateTime,
    rev: &dyn Revocation,
    problems: &mut Vec<Problem>,
) -> Vec<String> {
    let mut path = vec![leaf.tbs_certificate.subject.to_string()];
    let mut current = leaf.clone();
    for _ in 0..8 {
        if !time_at(at, &current) {
            problems.push(Problem::CertificateNotValidAtSigningTime(
                current.tbs_certificate.subject.to_string(),
            ));
        }
        if let Some(when) = rev.revoked_at(&current) {
            if when <= at {
                problems.push(Problem::Revoked(
                    current.tbs_certificate.subject.to_string(),
                ));
            }
        }
        if anchors.contains(&current) {
            return path;
        }
        let issuer_name = &current.tbs_certificate.issuer;
        let candidates = anchors
            .iter()
            .chain(pool.iter())
            .filter(|c| &c.tbs_certificate.subject == issuer_name);
        let tbs = match current.tbs_certificate.to_der() {
            Ok(t) => t,
            Err(e) => {
                problems.push(Problem::Malformed(e.to_string()));
                return path;
            }
        };
        let mut next = None;
        for cand in candidates {
            if let Ok(k) = verifying_key(cand) {
                if ecdsa_ok(
                    &k,
                    &current.signature_algorithm.oid,
                    &tbs,
                    current.signature.raw_bytes(),
                )
                .unwrap_or(false)
                {
                    next = Some(cand.clone());
                    break;
                }
            }
        }
        match next {
            Some(n) if n == current => break, // self-signed but not an anchor
            Some(n) => {
                path.push(n.tbs_certificate.subject.to_string());
                current = n;
            }
            None => break,
        }
    }
    problems.push(Problem::Untrusted);
    path
}

/// Verifies a DER CMS signature. `detached` is the signed file for a detached signature.
pub fn verify(
    signature: &[u8],
    detached: Option<&[u8]>,
    anchors: &[Certificate],
    rev: &dyn Revocation,
) -> Report {
    let mut r = Report::default();
    let sd = match parse_signed_data(signature) {
        Ok(sd) => sd,
        Err(e) => {
            r.problems.push(Problem::Malformed(e.to_string()));
            return r;
        }
    };
    check_signed_data(&sd, detached, anchors, rev, &mut r);
    r
}

fn check_signed_data(
    sd: &SignedData,
    detached: Option<&[u8]>,
    anchors: &[Certificate],
    rev: &dyn Revocation,
    r: &mut Report,
) {
    r.content_type = Some(sd.encap_content_info.econtent_type.to_string());
    let content: Vec<u8> = match (&sd.encap_content_info.econtent, detached) {
        (Some(c), _) => c.value().to_vec(),
        (None, Some(d)) => d.to_vec(),
        (None, None) => {
            r.problems.push(Problem::NoContent);
            return;
        }
    };
    if sd.encap_content_info.econtent.is_some() {
        r.content = Some(content.clone());
    }
    let Some(si) = sd.signer_infos.0.iter().next() else {
        r.problems.push(Problem::NoSigner);
        return;
    };
    if si.digest_alg.oid != const_oid::db::rfc5912::ID_SHA_256 {
        r.problems
            .push(Problem::UnsupportedAlgorithm(si.digest_alg.oid.to_string()));
        return;
    }
    let certs = certificates(sd);
    let Some(cert) = find_signer(si, &certs) else {
        r.problems.push(Problem::SignerCertificateMissing);
        return;
    };
    r.signer = Some(cert.tbs_certificate.subject.to_string());
    r.issuer = Some(cert.tbs_certificate.issuer.to_string());
    r.signer_serial = Some(hex::encode(cert.tbs_certificate.serial_number.as_bytes()));
    let Some(signed_attrs) = &si.signed_attrs else {
        // okienko always signs attributes; a bare signature over content is not accepted.
        r.problems.push(Problem::BadSignature);
        return;
    };
    // Digest and content type.
    let digest_ok = attr_value(si, const_oid::db::rfc5911::ID_MESSAGE_DIGEST)
        .and_then(|v| v.decode_as::<der::asn1::OctetString>().ok())
        .is_some_and(|d| d.as_bytes() == sha256(&content));
    if !digest_ok {
        r.problems.push(Problem::ContentChanged);
    }
    let ct_ok = attr_value(si, const_oid::db::rfc5911::ID_CONTENT_TYPE)
        .and_then(|v| v.decode_as::<ObjectIdentifier>().ok())
        .is_some_and(|o| o == sd.encap_content_info.econtent_type);
    if !ct_ok {
        r.problems.push(Problem::ContentTypeMismatch);
    }
    r.signing_time = attr_value(si, const_oid::db::rfc5911::ID_SIGNING_TIME)
        .and_then(|v| v.to_der().ok())
        .and_then(|d| x509_cert::time::Time::from_der(&d).ok())
        .map(|t| from_x509_time(&t));
    if let Some(v) = attr_value(si, ID_AA_SIGNING_CERTIFICATE_V2) {
        let ok = v
            .decode_as::<SigningCertificateV2>()
            .ok()
            .zip(cert.to_der().ok())
            .is_some_and(|(sc, der)| {
                sc.certs
                    .first()
                    .is_some_and(|c| c.cert_hash.as_bytes() == sha256(&der))
            });
        if !ok {
            r.problems.push(Problem::SigningCertificateMismatch);
        }
    }
    for a in signed_attrs.iter() {
        let Some(v) = a.values.iter().next() else {
            continue;
        };
        let text = if a.oid == crate::oids::ID_AA_ETS_SIGNER_ATTR_V2 {
            crate::sign::claimed_text(v)
        } else {
            v.decode_as::<der::asn1::Utf8StringRef<'_>>()
                .ok()
                .map(|t| t.as_str().to_string())
        };
        if let Some(text) = text {
            r.attributes.push((a.oid.to_string(), text));
        }
    }
    // The signature over the DER SET OF signed attributes.
    match (signed_attrs.to_der(), verifying_key(&cert)) {
        (Ok(msg), Ok(key)) => match ecdsa_ok(
            &key,
            &si.signature_algorithm.oid,
            &msg,
            si.signature.as_bytes(),
        ) {
            Ok(true) => {}
            Ok(false) => r.problems.push(Problem::BadSignature),
            Err(p) => r.problems.push(p),
        },
        (Err(e), _) => r.problems.push(Problem::Malformed(e.to_string())),
        (_, Err(p)) => r.problems.push(p),
    }
    // A time-stamp token's own content: TSTInfo.
    if sd.encap_content_info.econtent_type == ID_CT_TST_INFO {
        match TstInfo::from_der(&content) {
            Ok(tst) => {
                r.time_stamp = Some(
                    OffsetDateTime::from_unix_timestamp(
                        tst.gen_time.to_unix_duration().as_secs() as i64
                    )
                    .unwrap_or(OffsetDateTime::UNIX_EPOCH),
                )
            }
            Err(e) => r.problems.push(Problem::Malformed(format!("TSTInfo: {e}"))),
        }
        r.time_stamp_authority = r.signer.clone();
    } else if !crate::pki::can_sign_documents(&cert) {
        r.problems.push(Problem::NotForSigning);
    }
    // A signature time stamp (CAdES-T) over the signature value.
    if let Some(token) = si
        .unsigned_attrs
        .as_ref()
        .and_then(|u| u.iter().find(|a| a.oid == ID_AA_TIME_STAMP_TOKEN))
        .and_then(|a| a.values.iter().next())
    {
        match token.to_der() {
            Ok(der) => {
                let tr = verify_time_stamp(&der, si.signature.as_bytes(), anchors, rev);
                if let Some(p) = tr.problems.first() {
                    r.problems.push(Problem::TimeStampInvalid(p.to_string()));
                }
                r.time_stamp = tr.time_stamp;
                r.time_stamp_authority = tr.signer;
            }
            Err(e) => r.problems.push(Problem::TimeStampInvalid(e.to_string())),
        }
    }
    let at = r
        .time_stamp
        .or(r.signing_time)
        .unwrap_or_else(|| from_x509_time(&cert.tbs_certificate.validity.not_before));
    r.chain = chain_to_anchor(&cert, &certs, anchors, at, rev, &mut r.problems);
}

/// Verifies an RFC 3161 token over `data` (its message imprint must be SHA-256 of `data`).
pub fn verify_time_stamp(
    token: &[u8],
    data: &[u8],
    anchors: &[Certificate],
    rev: &dyn Revocation,
) -> Report {
    let mut r = verify(token, None, anchors, rev);
    if r.content_type.as_deref() != Some(&ID_CT_TST_INFO.to_string()) {
        r.problems
            .push(Problem::TimeStampInvalid("not a time-stamp token".into()));
        return r;
    }
    let imprint_ok = r
        .content
        .as_deref()
        .and_then(|c| TstInfo::from_der(c).ok())
        .is_some_and(|t| {
            t.message_imprint.hash_algorithm.oid == const_oid::db::rfc5912::ID_SHA_256
                && t.message_imprint.hashed_message.as_bytes() == sha256(data)
        });
    if !imprint_ok {
        r.problems
            .push(Problem::TimeStampInvalid("it certifies other data".into()));
    }
    r
}
