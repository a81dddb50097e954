//! CMS SignedData: detached signatures over files and enveloping signatures over evidence
//! documents. Signed attributes: content type, message digest, signing time and ESS
//! signingCertificateV2 (CAdES-BES); optionally a signature time stamp (CAdES-T).

use crate::oids::{ID_AA_SIGNING_CERTIFICATE_V2, ID_AA_TIME_STAMP_TOKEN};
use crate::pki::{x509_time, KeyPair};
use crate::{sha256, Result, TrustError};
use cms::cert::IssuerAndSerialNumber;
use cms::content_info::ContentInfo;
use cms::signed_data::SignedData;
use const_oid::ObjectIdentifier;
use der::asn1::{OctetString, SetOfVec};
use der::{Any, Decode, Encode, Sequence, Tag, TagNumber};
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
///
/// The DER is put together here from parts rather than by `cms::builder`: the builder clones
/// and encodes every certificate, attribute and the whole structure again for each signature,
/// which cost three times the ECDSA signature itself, and evidence is signed for every message.
/// The parts that never change (certificates, signer id, signing-certificate attribute) are
/// encoded once per key (`Prepared`). The output is byte for byte what the builder makes (a
/// test checks that) and verifies with `openssl cms -verify` (the trust tests).
pub fn sign(req: &SignRequest<'_>, signer: &KeyPair, chain: &[Certificate]) -> Result<Vec<u8>> {
    match signer.fast() {
        Some(key) => assemble(req, signer, chain, key),
        None => assemble(req, signer, chain, &signer.key),
    }
}

/// A chain and the encoded certificates field for it.
type EncodedChain = (Vec<Certificate>, std::sync::Arc<Vec<u8>>);

/// The DER parts of a signer's CMS signatures that do not change from one to the next.
pub(crate) struct Prepared {
    /// IssuerAndSerialNumber of the signer's certificate.
    sid: Vec<u8>,
    /// The signer's certificate.
    cert: Vec<u8>,
    /// The signingCertificateV2 attribute naming it.
    signing_certificate: Vec<u8>,
    /// The chain last signed with and the certificates field for it: the signer's certificate
    /// and the chain's, each once, in DER order.
    certificates: std::sync::Mutex<Option<EncodedChain>>,
}

impl Prepared {
    fn new(signer: &KeyPair) -> Result<Self> {
        let sid = IssuerAndSerialNumber {
            issuer: signer.cert.tbs_certificate.issuer.clone(),
            serial_number: signer.cert.tbs_certificate.serial_number.clone(),
        };
        Ok(Prepared {
            sid: sid.to_der()?,
            cert: signer.cert.to_der()?,
            signing_certificate: signing_certificate_v2(&signer.cert)?.to_der()?,
            certificates: std::sync::Mutex::new(None),
        })
    }

    fn certificates(
        &self,
        signer: &KeyPair,
        chain: &[Certificate],
    ) -> Result<std::sync::Arc<Vec<u8>>> {
        let mut last = self
            .certificates
            .lock()
            .map_err(|_| TrustError::Key("certificate cache poisoned".into()))?;
        if let Some((c, der)) = last.as_ref() {
            if c.as_slice() == chain {
                return Ok(der.clone());
            }
        }
        let mut all = vec![self.cert.clone()];
        // Each certificate once (the builder's SET refuses duplicates).
        for c in chain.iter().filter(|c| **c != signer.cert) {
            let d = c.to_der()?;
            if !all.contains(&d) {
                all.push(d);
            }
        }
        let der = std::sync::Arc::new(set_of(
            Tag::ContextSpecific {
                constructed: true,
                number: TagNumber::N0,
            },
            all,
        )?);
        *last = Some((chain.to_vec(), der.clone()));
        Ok(der)
    }
}

impl KeyPair {
    fn prepared(&self) -> Result<&Prepared> {
        self.prepared
            .get_or_init(|| Prepared::new(self).map_err(|e| e.to_string()))
            .as_ref()
            .map_err(|e| TrustError::Key(e.clone()))
    }
}

/// A DER TLV of `tag` around the concatenation of `parts`.
fn tlv(tag: Tag, parts: &[&[u8]]) -> Result<Vec<u8>> {
    let len: usize = parts.iter().map(|p| p.len()).sum();
    let header = der::Header::new(tag, len)?;
    let mut out = Vec::with_capacity(usize::try_from(header.encoded_len()?)? + len);
    header.encode_to_vec(&mut out)?;
    for p in parts {
        out.extend_from_slice(p);
    }
    Ok(out)
}

/// A DER SET OF: the elements' encodings in ascending order (X.690 11.6). Elements of one SET
/// here share their tag, so their length octets decide before one could be a prefix of
/// another, and plain byte order is the rule's order.
fn set_of(tag: Tag, elements: Vec<Vec<u8>>) -> Result<Vec<u8>> {
    tlv(tag, &[&set_content(elements)])
}

/// The content octets of a DER SET OF these elements.
fn set_content(mut elements: Vec<Vec<u8>>) -> Vec<u8> {
    elements.sort();
    elements.concat()
}

/// An attribute with one value (already DER).
fn attribute_der(oid: ObjectIdentifier, value: &[u8]) -> Result<Vec<u8>> {
    let set = tlv(Tag::Set, &[value])?;
    tlv(Tag::Sequence, &[&oid.to_der()?, &set])
}

fn assemble<S>(
    req: &SignRequest<'_>,
    signer: &KeyPair,
    chain: &[Certificate],
    key: &S,
) -> Result<Vec<u8>>
where
    S: signature::Signer<DerSignature> + spki::DynSignatureAlgorithmIdentifier,
{
    use const_oid::db::rfc5911::{
        ID_CONTENT_TYPE, ID_DATA, ID_MESSAGE_DIGEST, ID_SIGNED_DATA, ID_SIGNING_TIME,
    };
    let prepared = signer.prepared()?;
    let digest = sha256(req.content);
    let mut attrs = vec![
        attribute_der(ID_CONTENT_TYPE, &req.content_type.to_der()?)?,
        attribute_der(ID_MESSAGE_DIGEST, &OctetString::new(&digest[..])?.to_der()?)?,
        attribute_der(ID_SIGNING_TIME, &x509_time(req.at)?.to_der()?)?,
        prepared.signing_certificate.clone(),
    ];
    for a in &req.extra_signed {
        attrs.push(a.to_der()?);
    }
    // What is signed is the attributes' SET OF; the SignerInfo carries the same content
    // under the implicit tag [0].
    let attrs = set_content(attrs);
    let signature: DerSignature = key
        .try_sign(&tlv(Tag::Set, &[&attrs])?)
        .map_err(|e| TrustError::Key(e.to_string()))?;
    let sha256 = sha256_alg().to_der()?;
    let signer_info = tlv(
        Tag::Sequence,
        &[
            &[0x02, 0x01, 0x01], // version 1: the signer is named by issuer and serial number
            &prepared.sid,
            &sha256,
            &tlv(
                Tag::ContextSpecific {
                    constructed: true,
                    number: TagNumber::N0,
                },
                &[&attrs],
            )?,
            &key.signature_algorithm_identifier()
                .map_err(|e| TrustError::Key(e.to_string()))?
                .to_der()?,
            &OctetString::new(signature.as_bytes())?.to_der()?,
        ],
    )?;
    let content_type = req.content_type.to_der()?;
    let encap = if req.detached {
        tlv(Tag::Sequence, &[&content_type])?
    } else {
        let content = OctetString::new(req.content)?.to_der()?;
        tlv(
            Tag::Sequence,
            &[
                &content_type,
                &tlv(
                    Tag::ContextSpecific {
                        constructed: true,
                        number: TagNumber::N0,
                    },
                    &[&content],
                )?,
            ],
        )?
    };
    // RFC 5652 5.1: version 3 when the content is not id-data, else 1.
    let version: &[u8] = if req.content_type == ID_DATA {
        &[0x02, 0x01, 0x01]
    } else {
        &[0x02, 0x01, 0x03]
    };
    let signed_data = tlv(
        Tag::Sequence,
        &[
            version,
            &tlv(Tag::Set, &[&sha256])?,
            &encap,
            &prepared.certificates(signer, chain)?,
            &tlv(Tag::Set, &[&signer_info])?,
        ],
    )?;
    tlv(
        Tag::Sequence,
        &[
            &ID_SIGNED_DATA.to_der()?,
            &tlv(
                Tag::ContextSpecific {
                    constructed: true,
                    number: TagNumber::N0,
                },
                &[&signed_data],
            )?,
        ],
    )
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

#[cfg(test)]
mod tests {
    use super::*;
    use cms::builder::{SignedDataBuilder, SignerInfoBuilder};
    use cms::cert::CertificateChoices;
    use cms::signed_data::{EncapsulatedContentInfo, SignerIdentifier};

    fn signing_time(at: OffsetDateTime) -> Result<Attribute> {
        let t = x509_time(at)?;
        attribute(
            const_oid::db::rfc5911::ID_SIGNING_TIME,
            Any::from_der(&t.to_der()?)?,
        )
    }

    /// The same signature made by `cms::builder`, for comparison.
    fn with_builder(req: &SignRequest<'_>, signer: &KeyPair, chain: &[Certificate]) -> Vec<u8> {
        let digest = sha256(req.content);
        let eci = EncapsulatedContentInfo {
            econtent_type: req.content_type,
            econtent: (!req.detached)
                .then(|| Any::new(Tag::OctetString, req.content).expect("any")),
        };
        let sid = SignerIdentifier::IssuerAndSerialNumber(IssuerAndSerialNumber {
            issuer: signer.cert.tbs_certificate.issuer.clone(),
            serial_number: signer.cert.tbs_certificate.serial_number.clone(),
        });
        let external = req.detached.then_some(&digest[..]);
        let mut sib = SignerInfoBuilder::new(&signer.key, sid, sha256_alg(), &eci, external)
            .expect("builder");
        sib.add_signed_attribute(signing_time(req.at).expect("time"))
            .expect("attr");
        sib.add_signed_attribute(signing_certificate_v2(&signer.cert).expect("ess"))
            .expect("attr");
        for a in &req.extra_signed {
            sib.add_signed_attribute(a.clone()).expect("attr");
        }
        let mut b = SignedDataBuilder::new(&eci);
        b.add_digest_algorithm(sha256_alg()).expect("alg");
        b.add_certificate(CertificateChoices::Certificate(signer.cert.clone()))
            .expect("cert");
        for c in chain.iter().filter(|c| **c != signer.cert) {
            b.add_certificate(CertificateChoices::Certificate(c.clone()))
                .expect("cert");
        }
        b.add_signer_info::<_, DerSignature>(sib).expect("signer");
        b.build().expect("build").to_der().expect("der")
    }

    #[test]
    fn assembled_der_is_what_the_cms_builder_makes() {
        let now = OffsetDateTime::from_unix_timestamp(1_790_000_000).expect("time");
        let root = crate::pki::root("CN=Test Root", now).expect("root");
        let inter = crate::pki::intermediate(&root, "CN=Test CA", now).expect("ca");
        let seal = crate::pki::leaf(&inter, "CN=Seal,O=Urzad", crate::pki::LeafKind::Seal, now)
            .expect("leaf");
        let chain = [inter.cert.clone(), root.cert.clone()];
        let person = signer_person("Jan Kowalski", "PNOPL-44051401359").expect("attr");
        for (content, detached, extra, chain) in [
            (
                &b"{\"type\":\"submission-acceptance\"}"[..],
                false,
                vec![],
                &chain[..1],
            ),
            (&[7u8; 300][..], true, vec![], &chain[..]),
            (&b"x"[..], true, vec![person.clone()], &chain[..]),
            (&[0u8; 70_000][..], false, vec![person], &chain[..0]),
        ] {
            let mut req = SignRequest::data(content, detached, now);
            req.extra_signed = extra;
            // The p256 key signs deterministically (RFC 6979), so both must be equal bytes.
            let ours = assemble(&req, &seal, chain, &seal.key).expect("sign");
            assert_eq!(ours, with_builder(&req, &seal, chain));
            // Twice with the same key: the cached parts give the same result.
            assert_eq!(assemble(&req, &seal, chain, &seal.key).expect("sign"), ours);
            // The ring-signed one differs only in its signature and parses the same.
            let fast = sign(&req, &seal, chain).expect("sign");
            let (a, b) = (
                parse_signed_data(&ours).expect("parse"),
                parse_signed_data(&fast).expect("parse"),
            );
            assert_eq!(a.encap_content_info, b.encap_content_info);
            assert_eq!(a.certificates, b.certificates);
            assert_eq!(
                a.signer_infos.0.get(0).map(|s| &s.signed_attrs),
                b.signer_infos.0.get(0).map(|s| &s.signed_attrs)
            );
        }
    }
}
