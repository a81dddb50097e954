//! Trusted profiles: applications, decisions at a counter, the profiles in force.

use crate::*;
use async_trait::async_trait;
#[allow(unused_imports)]
use okienko_domain::audit::{AuditEntry, AuditEvent};
#[allow(unused_imports)]
use okienko_domain::{Millis, RoleGrant};

#[async_trait]
pub trait TrustedStore: Send + Sync {
    async fn create_tp_application(&self, a: &TpApplication, audit: &AuditEvent) -> Result<()>;
    async fn tp_application(&self, number: &str) -> Result<Option<TpApplication>>;
    /// A user's applications, newest first.
    async fn tp_applications_of(&self, user_id: &str) -> Result<Vec<TpApplication>>;
    /// Decides a pending application, once; false if it was no longer pending.
    async fn decide_tp_application(&self, d: &TpDecision<'_>, audit: &AuditEvent) -> Result<bool>;
    async fn trusted_profile(&self, user_id: &str) -> Result<Option<TrustedProfile>>;
    /// The address a person gave for letters (the form language's address answer, as JSON).
    async fn profile_address(&self, user_id: &str) -> Result<Option<String>>;
    /// Keeps (`Some`) or forgets (`None`) a person's address, audited in the same commit.
    async fn set_profile_address(
        &self,
        user_id: &str,
        address: Option<&str>,
        at: Millis,
        audit: &AuditEvent,
    ) -> Result<()>;
    /// Revokes a profile; false if there was none in force.
    async fn revoke_trusted_profile(
        &self,
        user_id: &str,
        at: Millis,
        audit: &AuditEvent,
    ) -> Result<bool>;
}
