//! The RFC 3161 time-stamping authority: answers a TimeStampReq with a TimeStampResp whose
//! token is a CMS SignedData over TSTInfo, signed by the TSA certificate.

use crate::oids::ID_CT_TST_INFO;
use crate::pki::KeyPair;
use crate::sign::{sign, SignRequest};
use crate::{Result, TrustError};
use cmpv2::status::{PkiStatus, PkiStatusInfo};
use const_oid::ObjectIdentifier;
use der::asn1::{GeneralizedTime, Int};
use der::{Any, DateTime, Decode, Encode};
use time::OffsetDateTime;
use x509_cert::Certificate;
use x509_tsp::{Accuracy, TimeStampReq, TimeStampResp, TspVersion, TstInfo};

pub struct Tsa {
    pub pair: KeyPair,
    pub chain: Vec<Certificate>,
    pub policy: ObjectIdentifier,
}

const HASH_LENGTHS: &[(ObjectIdentifier, usize)] = &[
    (const_oid::db::rfc5912::ID_SHA_256, 32),
    (const_oid::db::rfc5912::ID_SHA_384, 48),
    (const_oid::db::rfc5912::ID_SHA_512, 64),
];

/// Why a request is refused. (The failure-info bits are left out of the answer: cmpv2 0.2
/// declares them as bit numbers where its flag type expects masks, so they would encode
/// wrongly; a plain rejection is still a correct RFC 3161 answer.)
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    BadDataFormat,
    BadAlg,
    UnacceptedPolicy,
    UnacceptedExtension,
}

fn rejection(_reason: Refusal) -> Result<Vec<u8>> {
    let resp = TimeStampResp {
        status: PkiStatusInfo {
            status: PkiStatus::Rejection,
            status_string: None,
            fail_info: None,
        },
        time_stamp_token: None,
    };
    Ok(resp.to_der()?)
}

/// The minimal DER content octets of a non-negative INTEGER.
fn positive_int(v: u64) -> Vec<u8> {
    let bytes = v.to_be_bytes();
    let first = bytes
        .iter()
        .position(|b| *b != 0)
        .unwrap_or(bytes.len() - 1);
    let mut out = bytes[first..].to_vec();
    if out[0] & 0x80 != 0 {
        out.insert(0, 0);
    }
    out
}

impl Tsa {
    /// Answers one DER TimeStampReq. `serial` must be unique per TSA (the caller keeps a
    /// counter); `at` is the time stamped. Malformed or unsupported requests get a rejection
    /// response, as RFC 3161 asks, not an error.
    pub fn respond(&self, request: &[u8], serial: u64, at: OffsetDateTime) -> Result<Vec<u8>> {
        let Ok(req) = TimeStampReq::from_der(request) else {
            return rejection(Refusal::BadDataFormat);
        };
        let alg = req.message_imprint.hash_algorithm.oid;
        let len = req.message_imprint.hashed_message.as_bytes().len();
        if !HASH_LENGTHS.iter().any(|(o, l)| *o == alg && *l == len) {
            return rejection(Refusal::BadAlg);
        }
        if req.req_policy.is_some_and(|p| p != self.policy) {
            return rejection(Refusal::UnacceptedPolicy);
        }
        if req.extensions.is_some() {
            return rejection(Refusal::UnacceptedExtension);
        }
        let secs = u64::try_from(at.unix_timestamp())
            .map_err(|_| TrustError::Invalid("time before 1970".into()))?;
        let gen_time = GeneralizedTime::from_date_time(DateTime::from_unix_duration(
            std::time::Duration::from_secs(secs),
        )?);
        let serial_bytes = positive_int(serial);
        let tst = TstInfo {
            version: TspVersion::V1,
            policy: self.policy,
            message_imprint: req.message_imprint.clone(),
            serial_number: Int::new(&serial_bytes)?,
            gen_time,
            accuracy: Some(Accuracy {
                seconds: Some(1),
                millis: None,
                micros: None,
            }),
            ordering: false,
            nonce: req.nonce.clone(),
            tsa: None,
            extensions: None,
        };
        let content = tst.to_der()?;
        let mut sr = SignRequest::data(&content, false, at);
        sr.content_type = ID_CT_TST_INFO;
        let chain: Vec<Certificate> = if req.cert_req {
            self.chain.clone()
        } else {
            Vec::new()
        };
        let token = sign(&sr, &self.pair, &chain)?;
        let token = cms::content_info::ContentInfo::from_der(&token)?;
        let resp = TimeStampResp {
            status: PkiStatusInfo {
                status: PkiStatus::Accepted,
                status_string: None,
                fail_info: None,
            },
            time_stamp_token: Some(token),
        };
        Ok(resp.to_der()?)
    }

    /// A token over `data` (SHA-256), for signatures okienko makes itself (CAdES-T).
    pub fn stamp(&self, data: &[u8], serial: u64, at: OffsetDateTime) -> Result<Vec<u8>> {
        let der = self.respond(&request_der(data)?, serial, at)?;
        let resp = TimeStampResp::from_der(&der)?;
        let token = resp
            .time_stamp_token
            .ok_or_else(|| TrustError::Invalid("time stamp refused".into()))?;
        Ok(token.to_der()?)
    }
}

/// A DER TimeStampReq for SHA-256 of `data`, asking for the TSA certificate.
pub fn request_der(data: &[u8]) -> Result<Vec<u8>> {
    let req = TimeStampReq {
        version: TspVersion::V1,
        message_imprint: x509_tsp::MessageImprint {
            hash_algorithm: spki::AlgorithmIdentifier {
                oid: const_oid::db::rfc5912::ID_SHA_256,
                parameters: None::<Any>,
            },
            hashed_message: der::asn1::OctetString::new(crate::sha256(data).to_vec())?,
        },
        req_policy: None,
        nonce: None,
        cert_req: true,
        extensions: None,
    };
    Ok(req.to_der()?)
}

/// Takes the token out of a DER TimeStampResp from any TSA, after checking it was granted and
/// that it certifies `data` (SHA-256 imprint).
pub fn token_from_response(resp: &[u8], data: &[u8]) -> Result<Vec<u8>> {
    let resp = TimeStampResp::from_der(resp)?;
    if !matches!(
        resp.status.status,
        PkiStatus::Accepted | PkiStatus::GrantedWithMods
    ) {
        return Err(TrustError::Invalid(format!(
            "the time-stamping authority refused ({:?})",
            resp.status.status
        )));
    }
    let token = resp
        .time_stamp_token
        .ok_or_else(|| TrustError::Invalid("the answer holds no token".into()))?;
    let sd = token.content.decode_as::<cms::signed_data::SignedData>()?;
    let content = sd
        .encap_content_info
        .econtent
        .ok_or_else(|| TrustError::Invalid("the token holds no TSTInfo".into()))?;
    let tst = TstInfo::from_der(content.value())?;
    if tst.message_imprint.hash_algorithm.oid != const_oid::db::rfc5912::ID_SHA_256
        || tst.message_imprint.hashed_message.as_bytes() != crate::sha256(data)
    {
        return Err(TrustError::Invalid("the token certifies other data".into()));
    }
    Ok(token.to_der()?)
}
