//! Substitutes (`domain::substitutes`): who handles an away official's cases, for which days.

use crate::Result;
use async_trait::async_trait;
use okienko_domain::audit::AuditEvent;
use okienko_domain::Millis;

/// A substitution: `substitute_id` handles `absent_id`'s cases from `starts_on` to `ends_on`
/// (civil days `YYYY-MM-DD`, both included).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Substitute {
    pub id: String,
    pub office_id: String,
    pub absent_id: String,
    pub substitute_id: String,
    pub starts_on: String,
    pub ends_on: String,
    pub created_by: String,
    pub created_at: Millis,
    pub cancelled_by: Option<String>,
    pub cancelled_at: Option<Millis>,
    /// Read with it: the two people's names.
    pub absent_name: String,
    pub substitute_name: String,
}

#[async_trait]
pub trait SubstituteStore: Send + Sync {
    /// Adds a substitution unless the absent person already has one (not cancelled) sharing a
    /// day with it: then `Err(Conflict)` and nothing is added.
    async fn add_substitute(&self, s: &Substitute, audit: &AuditEvent) -> Result<()>;
    /// Cancels a substitution; false when it was cancelled already.
    async fn cancel_substitute(
        &self,
        id: &str,
        by: &str,
        at: Millis,
        audit: &AuditEvent,
    ) -> Result<bool>;
    async fn substitute(&self, id: &str) -> Result<Option<Substitute>>;
    /// An office's substitutions (not cancelled) that end on `from_day` or later, the
    /// soonest first.
    async fn office_substitutes(&self, office_id: &str, from_day: &str) -> Result<Vec<Substitute>>;
    /// The substitutions (not cancelled) in which `substitute_id` covers for someone on `day`.
    async fn covering(&self, substitute_id: &str, day: &str) -> Result<Vec<Substitute>>;
    /// The substitution (not cancelled) that covers for `absent_id` on `day`, if any.
    async fn away(&self, absent_id: &str, day: &str) -> Result<Option<Substitute>>;
}
