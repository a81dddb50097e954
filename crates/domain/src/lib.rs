//! okienko's domain: validated types, roles, the authorization policy, the audit chain
//! and the rules that decide things. No IO here, and no clock: time is always passed in.

pub mod address;
pub mod appointments;
pub mod archive;
pub mod audit;
pub mod availability;
pub mod cases;
pub mod catalogue;
pub mod country;
pub mod device;
pub mod error;
pub mod files;
pub mod forms;
pub mod ids;
pub mod library;
pub mod notices;
pub mod payments;
pub mod places;
pub mod policy;
pub mod role;
pub mod search;
pub mod status;
pub mod substitutes;
pub mod tasks;
pub mod text;
pub mod totp;
pub mod tracking;
pub mod trusted;

pub use error::{DomainError, FieldError, FieldErrors};
pub use role::{Role, RoleGrant};

/// Milliseconds since the Unix epoch; the one time representation in storage.
pub type Millis = i64;

/// Converts a point in time to storage milliseconds.
pub fn to_millis(t: time::OffsetDateTime) -> Millis {
    (t.unix_timestamp_nanos() / 1_000_000) as i64
}

/// Converts storage milliseconds back to a point in time (UTC).
pub fn from_millis(ms: Millis) -> time::OffsetDateTime {
    time::OffsetDateTime::from_unix_timestamp_nanos(ms as i128 * 1_000_000)
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH)
}
