//! The audit trail: a hash chain of who did what to whose data.

use crate::*;
use async_trait::async_trait;
#[allow(unused_imports)]
use okienko_domain::audit::{AuditEntry, AuditEvent};
#[allow(unused_imports)]
use okienko_domain::{Millis, RoleGrant};

#[async_trait]
pub trait AuditStore: Send + Sync {
    async fn append_audit(&self, event: &AuditEvent) -> Result<()>;
    /// Entries about one person's data, newest first.
    async fn audit_for_subject(&self, subject_id: &str, limit: i64) -> Result<Vec<AuditEntry>>;
    /// Every entry in storage order with its stored hash, and the recorded head (seq, hash).
    async fn audit_chain(&self) -> Result<(Vec<(AuditEntry, String)>, (i64, String))>;
}
