//! CMS SignedData: detached signatures over files and enveloping signatures over evidence
//! documents. Signed attributes: content type, message digest, signing time and ESS
//! signingCertificateV2 (CAdES-BES); optionally a signature time stamp (CAdES-T).

use crate::oids::{ID_AA_SIGNING_CERTIFICATE_V2, ID_AA_TIME_STAMP_TOKEN};
use crate::pki::{x509_time, KeyPair};
use crate::{sha256, Result, TrustError};
use cms::builder::{SignedDataBuilder, SignerInfoBuilder};
use cms::cert::{CertificateChoices, IssuerAndSerialNumber};
use cms::content_info::ContentInfo;
use cms::signed_data::{EncapsulatedContentInfo, SignedData, SignerIdentifier};
use const_oid::ObjectIdentifier;
use der::asn1::{OctetString, SetOfVec};
use der::{Any, Decode, Encode, Sequence, Tag};
use p256::ecdsa::DerSignature;
use spki::AlgorithmIdentifierOwned;
use time::OffsetDateTime;
use x509_cert::attr::{Attribute, AttributeValue};
use x509_cert::Certificate;

/// ESSCertIDv2 with the default hash algorithm (SHA-256) left out, as DER requires.
#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
pub struct EssCertIdV2 {
    pub cert_hash: OctetString,
}

/// SignerAttributeV2 (ETSI EN 319 122-1) with claimed attributes only, e.g. the signing
/// person's common name and serial number (`PNOPL-` and the PESEL, as ETSI EN 319 412-1
/// writes a national personal number).
#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
pub struct SignerAttributeV2 {
    #[asn1(context_specific = "0", tag_mode = "IMPLICIT", optional = "true")]
    pub claimed_attributes: Option<Vec<Attribute>>,
}

/// The signer-attributes-v2 signed attribute claiming a person: common name and serial
/// number.
pub fn signer_person(name: &str, serial_number: &str) -> Result<Attribute> {
    let cn = attribute(
        const_oid::db::rfc4519::CN,
        Any::from_der(&der::asn1::Utf8StringRef::new(name)?.to_der()?)?,
    )?;
    let sn = attribute(
        const_oid::db::rfc4519::SERIAL_NUMBER,
        Any::from_der(&der::asn1::PrintableStringRef::new(serial_number)?.to_der()?)?,
    )?;
    let v = SignerAttributeV2 {
        claimed_attributes: Some(vec![cn, sn]),
    };
    attribute(
        crate::oids::ID_AA_ETS_SIGNER_ATTR_V2,
        Any::from_der(&v.to_der()?)?,
    )
}

/// The claimed attributes' values as text, joined: "Jan Kowalski, PNOPL-44051401359".
pub fn claimed_text(value: &Any) -> Option<String> {
    let v: SignerAttributeV2 = value.decode_as().ok()?;
    let texts: Vec<String> = v
        .claimed_attributes?
        .iter()
        .filter_map(|a| a.values.iter().next())
        .filter_map(|v| {
            v.decode_as::<der::asn1::Utf8StringRef<'_>>()
                .map(|s| s.as_str().to_string())
                .or_else(|_| {
                    v.decode_as::<der::asn1::PrintableStringRef<'_>>()
                        .map(|s| s.as_str().to_string())
                })
                .ok()
        })
        .collect();
    (!texts.is_empty()).then(|| texts.join(", "))
}

/// SigningCertificateV2 (RFC 5035), without policies.
#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
pub struct SigningCertificateV2 {
    pub certs: Vec<EssCertIdV2>,
}

pub fn sha256_alg() -> AlgorithmIdentifierOwned {
    AlgorithmIdentifierOwned {
        oid: const_oid::db::rfc5912::ID_SHA_256,
        parameters: None,
    }
}

fn attribute(oid: ObjectIdentifier, value: AttributeValue) -> Result<Attribute> {
    let mut values = SetOfVec::new();
    values.insert(value)?;
    Ok(Attribute { oid, values })
}

fn signing_certificate_v2(cert: &Certificate) -> Result<Attribute> {
    let hash = sha256(&cert.to_der()?);
    let v = SigningCertificateV2 {
        certs: vec![EssCertIdV2 {
            cert_hash: OctetString::new(hash.to_vec())?,
        }],
    };
    attribute(ID_AA_SIGNING_CERTIFICATE_V2, Any::from_der(&v.to_der()?)?)
}

fn signing_time(at: OffsetDateTime) -> Result<Attribute> {
    let t = x509_time(at)?;
    attribute(
        const_oid::db::rfc5911::ID_SIGNING_TIME,
        Any::from_der(&t.to_der()?)?,
    )
}

/// What to sign and how.
pub struct SignRequest<'a> {
    pub content: &'a [u8],
    /// Leave the content out of the signature (a `.p7s` beside the file).
    pub detached: bool,
    /// The content type; `id-data` for files and JSON documents.
    pub content_type: ObjectIdentifier,
    pub at: OffsetDateTime,
    /// Further signed attributes (e.g. the person a trusted signature is made for).
    pub extra_signed: Vec<Attribute>,
}

impl<'a> SignRequest<'a> {
    pub fn data(content: &'a [u8], detached: bool, at: OffsetDateTime) -> Self {
        SignRequest {
            content,
            detached,
            content_type: const_oid::db::rfc5911::ID_DATA,
            at,
            extra_signed: Vec::new(),
        }
    }
}

/// Signs and returns a DER ContentInfo(SignedData) carrying the signer's certificate and
/// `chain` (intermediates).
pub fn sign(req: &SignRequest<'_>, signer: &KeyPair, chain: &[Certificate]) -> Result<Vec<u8>> {
    let digest = sha256(req.content);
    let econtent = if req.detached {
        None
    } else {
        Some(Any::new(Tag::OctetString, req.content)?)
    };
    let eci = EncapsulatedContentInfo {
        econtent_type: req.content_type,
        econtent,
    };
    let sid = SignerIdentifier::IssuerAndSerialNumber(IssuerAndSerialNumber {
        issuer: signer.cert.tbs_certificate.issuer.clone(),
        serial_number: signer.cert.tbs_certificate.serial_number.clone(),
    });
    let external = if req.detached {
        Some(&digest[..])
    } else {
        None
    };
    match signer.fast() {
        Some(key) => build(req, key, sid, &eci, external, signer, chain),
        None => build(req, &signer.key, sid, &eci, external, signer, chain),
    }
}

fn build<S>(
    req: &SignRequest<'_>,
    key: &S,
    sid: SignerIdentifier,
    eci: &EncapsulatedContentInfo,
    external: Option<&[u8]>,
    signer: &KeyPair,
    chain: &[Certificate],
) -> Result<Vec<u8>>
where
    S: signature::Keypair + spki::DynSignatureAlgorithmIdentifier + signature::Signer<DerSignature>,
    S::VerifyingKey: spki::EncodePublicKey,
{
    let mut sib = SignerInfoBuilder::new(key, sid, sha256_alg(), eci, external)
        .map_err(|e| TrustError::Key(e.to_string()))?;
    sib.add_signed_attribute(signing_time(req.at)?)
        .map_err(|e| TrustError::Key(e.to_string()))?;
    sib.add_signed_attribute(signing_certificate_v2(&signer.cert)?)
        .map_err(|e| TrustError::Key(e.to_string()))?;
    for a in &req.extra_signed {
        sib.add_signed_attribute(a.clone())
            .map_err(|e| TrustError::Key(e.to_string()))?;
    }
    let mut b = SignedDataBuilder::new(eci);
    b.add_digest_algorithm(sha256_alg())
        .map_err(|e| TrustError::Key(e.to_string()))?;
    b.add_certificate(CertificateChoices::Certificate(signer.cert.clone()))
        .map_err(|e| TrustError::Key(e.to_string()))?;
    // The builder's certificate SET rejects duplicates (with a panic), so each goes in once.
    for c in chain.iter().filter(|c| **c != signer.cert) {
        b.add_certificate(CertificateChoices::Certificate(c.clone()))
            .map_err(|e| TrustError::Key(e.to_string()))?;
    }
    b.add_signer_info::<S, DerSignature>(sib)
        .map_err(|e| TrustError::Key(e.to_string()))?;
    let ci = b.build().map_err(|e| TrustError::Key(e.to_string()))?;
    Ok(ci.to_der()?)
}

/// Reads a DER ContentInfo holding SignedData.
pub fn parse_signed_data(der: &[u8]) -> Result<SignedData> {
    let ci = ContentInfo::from_der(der)?;
    if ci.content_type != const_oid::db::rfc5911::ID_SIGNED_DATA {
        return Err(TrustError::Invalid(
            "the file is CMS but not a signature (SignedData)".into(),
        ));
    }
    Ok(ci.content.decode_as::<SignedData>()?)
}

/// The signature value of the first signer, which a signature time stamp covers.
pub fn signature_value(der: &[u8]) -> Result<Vec<u8>> {
    let sd = parse_signed_data(der)?;
    let si = sd
        .signer_infos
        .0
        .get(0)
        .ok_or_else(|| TrustError::Invalid("no signer".into()))?;
    Ok(si.signature.as_bytes().to_vec())
}

/// Adds a time-stamp token over the first signer's signature as an unsigned attribute
/// (CAdES-T). `token` is a DER TimeStampToken (ContentInfo).
pub fn add_signature_timestamp(der: &[u8], token: &[u8]) -> Result<Vec<u8>> {
    let mut sd = parse_signed_data(der)?;
    let mut infos: Vec<_> = sd.signer_infos.0.iter().cloned().collect();
    let si = infos
        .first_mut()
        .ok_or_else(|| TrustError::Invalid("no signer".into()))?;
    let attr = attribute(ID_AA_TIME_STAMP_TOKEN, Any::from_der(token)?)?;
    let mut unsigned = si.unsigned_attrs.clone().unwrap_or_default();
    unsigned.insert(attr)?;
    si.unsigned_attrs = Some(unsigned);
    sd.signer_infos = cms::signed_data::SignerInfos(SetOfVec::try_from(infos)?);
    let ci = ContentInfo {
        content_type: const_oid::db::rfc5911::ID_SIGNED_DATA,
        content: Any::from_der(&sd.to_der()?)?,
    };
    Ok(ci.to_der()?)
}

/// A signed attribute carrying a UTF-8 text (e.g. the signing person's name and PESEL).
pub fn text_attribute(oid: ObjectIdentifier, text: &str) -> Result<Attribute> {
    let v = der::asn1::Utf8StringRef::new(text)?;
    attribute(oid, Any::from_der(&v.to_der()?)?)
}
