//! okienko's trust layer, with no IO and no clock: keys and certificates of the installation
//! PKI, CMS signatures (detached and enveloping, CAdES-style signed attributes), RFC 3161 time
//! stamps, the RFC 9162 Merkle evidence log, and the verifier for all of it.
//!
//! The verifier is written by hand: the RustCrypto `cms` crate builds signatures but has no
//! verifier, and no other maintained pure-Rust crate verifies CMS.

pub mod keystore;
pub mod merkle;
pub mod oids;
pub mod pki;
pub mod sign;
pub mod tsa;
pub mod verify;

/// Errors of the trust layer; the text says what was wrong in plain words.
#[derive(Debug, thiserror::Error)]
pub enum TrustError {
    #[error("malformed data: {0}")]
    Malformed(String),
    #[error("{0}")]
    Invalid(String),
    #[error("key or certificate error: {0}")]
    Key(String),
}

impl From<der::Error> for TrustError {
    fn from(e: der::Error) -> Self {
        TrustError::Malformed(e.to_string())
    }
}

pub type Result<T> = std::result::Result<T, TrustError>;

/// SHA-256 of bytes.
pub fn sha256(data: &[u8]) -> [u8; 32] {
    use sha2::Digest;
    sha2::Sha256::digest(data).into()
}

pub use p256;
pub use x509_cert;
