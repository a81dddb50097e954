//! Organisation: offices, their departments and the post offices' service points.

use crate::*;
use async_trait::async_trait;
#[allow(unused_imports)]
use okienko_domain::audit::{AuditEntry, AuditEvent};
#[allow(unused_imports)]
use okienko_domain::{Millis, RoleGrant};

#[async_trait]
pub trait OrgStore: Send + Sync {
    async fn create_office(&self, office: &Office, audit: &AuditEvent) -> Result<()>;
    async fn update_office(&self, office: &Office, audit: &AuditEvent) -> Result<()>;
    async fn office(&self, id: &str) -> Result<Option<Office>>;
    async fn offices(&self) -> Result<Vec<Office>>;
    async fn create_service_point(&self, point: &ServicePoint, audit: &AuditEvent) -> Result<()>;
    async fn update_service_point(&self, point: &ServicePoint, audit: &AuditEvent) -> Result<()>;
    async fn service_point(&self, id: &str) -> Result<Option<ServicePoint>>;
    async fn service_points(&self) -> Result<Vec<ServicePoint>>;
    async fn create_department(&self, dept: &Department, audit: &AuditEvent) -> Result<()>;
    async fn departments(&self, office_id: &str) -> Result<Vec<Department>>;
    async fn delete_department(&self, office_id: &str, id: &str, audit: &AuditEvent) -> Result<()>;
}
