//! The catalogue of public services (`domain::catalogue`): each office's services, found by
//! folded text across all offices.

use crate::*;
use async_trait::async_trait;
use okienko_domain::audit::AuditEvent;
use okienko_domain::Millis;

/// A service in the catalogue as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicService {
    pub id: String,
    pub office_id: String,
    pub code: String,
    pub name_folded: String,
    /// `domain::catalogue::ServiceSpec` as JSON.
    pub spec: String,
    pub search: String,
    /// The categories and life events (`event:CODE`), each between semicolons: `;a;event:b;`.
    pub tags: String,
    pub created_at: Millis,
    pub updated_at: Millis,
    /// The current version of its form (`crate::forms`), if it has one.
    pub form_version: Option<String>,
}

/// A search of the catalogue: every word must appear (folded); keyset pagination after
/// `(name_folded, id)`.
#[derive(Debug, Clone, Default)]
pub struct ServiceQuery {
    pub words: Vec<String>,
    pub office_id: Option<String>,
    pub city: Option<String>,
    pub category: Option<String>,
    pub event: Option<String>,
    pub after: Option<(String, String)>,
    pub limit: i64,
}

#[async_trait]
pub trait CatalogueStore: Send + Sync {
    /// Adds or replaces (by office and code) an office's services, in one transaction with
    /// the audit event; the id and creation time of a replaced one stay.
    async fn save_services(&self, services: &[PublicService], audit: &AuditEvent) -> Result<()>;
    async fn public_service(&self, id: &str) -> Result<Option<PublicService>>;
    async fn search_services(&self, q: &ServiceQuery) -> Result<Vec<PublicService>>;
    /// An office's services by name.
    async fn office_services(&self, office_id: &str) -> Result<Vec<PublicService>>;
}
