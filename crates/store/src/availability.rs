//! Officials' own availability (`domain::availability`): the times an official does not
//! receive people.

use crate::Result;
use async_trait::async_trait;
use okienko_domain::audit::AuditEvent;
use okienko_domain::Millis;

/// A time an official does not receive people: `[starts_at, ends_at)`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AwayTime {
    pub id: String,
    pub user_id: String,
    pub starts_at: Millis,
    pub ends_at: Millis,
    /// Why (for colleagues; never shown to citizens).
    pub note: String,
    pub created_at: Millis,
}

#[async_trait]
pub trait AvailabilityStore: Send + Sync {
    async fn add_away(&self, a: &AwayTime, audit: &AuditEvent) -> Result<()>;
    /// Removes one of `user_id`'s times away; false when they have no such time.
    async fn remove_away(&self, id: &str, user_id: &str, audit: &AuditEvent) -> Result<bool>;
    /// The times away of these people that share a moment with `[from, to)`, each person's
    /// by time.
    async fn aways(&self, user_ids: &[String], from: Millis, to: Millis) -> Result<Vec<AwayTime>>;
}
