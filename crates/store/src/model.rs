//! Records as the store keeps them.

use okienko_domain::Millis;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub id: String,
    pub email: String,
    pub display_name: String,
    pub password_hash: String,
    pub email_verified: bool,
    /// Base32 TOTP secret once enrolled.
    pub totp_secret: Option<String>,
    pub totp_last_step: Option<i64>,
    pub locale: Option<String>,
    pub disabled: bool,
    pub created_at: Millis,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Office {
    pub id: String,
    pub name: String,
    pub nip: String,
    pub regon: String,
    pub street: String,
    pub postal_code: String,
    pub city: String,
    pub created_at: Millis,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServicePoint {
    pub id: String,
    pub name: String,
    pub street: String,
    pub postal_code: String,
    pub city: String,
    pub is_open: bool,
    pub created_at: Millis,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Department {
    pub id: String,
    pub office_id: String,
    pub code: String,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    /// SHA-256 (hex) of the secret token the client holds; the token itself is never stored.
    pub token_hash: String,
    pub user_id: String,
    /// `web` (cookie) or `api` (bearer token).
    pub kind: String,
    pub csrf: String,
    pub created_at: Millis,
    pub expires_at: Millis,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Job {
    pub id: String,
    pub kind: String,
    pub payload: String,
    pub attempts: i64,
    pub max_attempts: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct JobCounts {
    pub pending: i64,
    pub done: i64,
    pub failed: i64,
}

/// One leaf of the evidence log: the exact bytes and SHA-256(0x00 || bytes), both as stored
/// (base64 and hex).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogLeaf {
    pub idx: i64,
    pub leaf_hash: String,
    pub leaf_b64: String,
}

/// A signed tree head: root hash (hex) and signature (base64 DER ECDSA).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TreeHead {
    pub tree_size: i64,
    pub timestamp_ms: i64,
    pub root_hash: String,
    pub signature: String,
}

/// An electronic delivery mailbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mailbox {
    pub address: String,
    /// `person`, `company` or `public_body`.
    pub kind: String,
    pub name: String,
    pub owner_user_id: Option<String>,
    pub office_id: Option<String>,
    pub pesel: Option<String>,
    pub nip: Option<String>,
    pub city: String,
    pub created_at: Millis,
}
