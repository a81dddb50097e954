//! Where cases are (`domain::places`): one place per case, for the case page, the department's
//! map and its GeoJSON export.

use crate::cases::CaseEvent;
use crate::Result;
use async_trait::async_trait;
use okienko_domain::audit::AuditEvent;
use okienko_domain::Millis;

/// A case's place: an address, a point (WGS 84 in ten-millionths of a degree), or both.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CasePlace {
    pub case_id: String,
    /// The case's department (the map lists a department's places without reading cases).
    pub department_id: String,
    pub address: String,
    pub lat_e7: Option<i64>,
    pub lon_e7: Option<i64>,
    pub updated_by: String,
    pub updated_at: Millis,
}

/// A place with what its case is called, for a map.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlacedCase {
    pub place: CasePlace,
    pub signature: String,
    pub title: String,
    pub status: String,
}

/// Which places a map shows: of these departments, of cases in these statuses, newest case
/// first, before case id `before`.
#[derive(Debug, Clone, Default)]
pub struct PlaceQuery {
    pub department_ids: Vec<String>,
    pub statuses: Vec<String>,
    pub before: Option<String>,
    pub limit: i64,
}

#[async_trait]
pub trait PlaceStore: Send + Sync {
    /// Sets a case's place (a new one or a change), with the case's event, in one commit.
    async fn set_place(&self, p: &CasePlace, event: &CaseEvent, audit: &AuditEvent) -> Result<()>;
    /// Removes a case's place with the case's event; false when it had none.
    async fn remove_place(
        &self,
        case_id: &str,
        event: &CaseEvent,
        audit: &AuditEvent,
    ) -> Result<bool>;
    async fn place(&self, case_id: &str) -> Result<Option<CasePlace>>;
    async fn places(&self, q: &PlaceQuery) -> Result<Vec<PlacedCase>>;
}
