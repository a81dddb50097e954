//! Installation settings (secrets and the like), by key.

use crate::*;
use async_trait::async_trait;
#[allow(unused_imports)]
use okienko_domain::audit::{AuditEntry, AuditEvent};
#[allow(unused_imports)]
use okienko_domain::{Millis, RoleGrant};

#[async_trait]
pub trait SettingsStore: Send + Sync {
    async fn setting(&self, key: &str) -> Result<Option<String>>;
    /// Stores `value`, replacing what was there.
    async fn setting_put(&self, key: &str, value: &str) -> Result<()>;
    /// Stores `value` unless the key exists; returns the value now stored.
    async fn setting_init(&self, key: &str, value: &str) -> Result<String>;
    /// Takes the lease `name` until `until` unless another holder's lease runs past `now`;
    /// true if taken. For work that one instance at a time does (a sweep): an instance that
    /// dies holding it gives it up when it runs out.
    async fn take_lease(&self, name: &str, now: Millis, until: Millis) -> Result<bool>;
}
