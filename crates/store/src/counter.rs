//! The post office counter: assisted visits, cash receipts, the day's record.

use crate::*;
use async_trait::async_trait;
#[allow(unused_imports)]
use okienko_domain::audit::{AuditEntry, AuditEvent};
#[allow(unused_imports)]
use okienko_domain::{Millis, RoleGrant};

#[async_trait]
pub trait CounterStore: Send + Sync {
    async fn create_visit(&self, v: &CounterVisit, audit: &AuditEvent) -> Result<()>;
    async fn visit(&self, id: &str) -> Result<Option<CounterVisit>>;
    /// A clerk's visits at a service point with the citizen's name: open ones first, then
    /// the rest, newest first, at most `limit`.
    async fn clerk_visits(
        &self,
        clerk_id: &str,
        service_point_id: &str,
        limit: i64,
    ) -> Result<Vec<(CounterVisit, String)>>;
    /// The receipts taken during a visit, by number.
    async fn visit_receipts(&self, visit_id: &str) -> Result<Vec<CashReceipt>>;
    /// Ends an open visit; false if it was already over.
    async fn end_visit(&self, id: &str, at: Millis, audit: &AuditEvent) -> Result<bool>;
    /// The trusted profile not revoked for a PESEL (at most one: the database holds to it).
    async fn trusted_profile_by_pesel(&self, pesel: &str) -> Result<Option<TrustedProfile>>;

    /// Takes the next receipt number of a service point, for good: the database hands each
    /// number out once, whichever instance asks.
    async fn next_receipt_number(&self, service_point_id: &str) -> Result<i64>;
    /// Stores a receipt; a conflict if its number is taken (ask for the next and retry).
    async fn insert_receipt(&self, r: &CashReceipt, audit: &AuditEvent) -> Result<()>;
    async fn receipt(&self, id: &str) -> Result<Option<CashReceipt>>;
    /// Identity decisions, assisted visits and printed messages at a service point in
    /// `[from, until)`.
    async fn counter_day(
        &self,
        service_point_id: &str,
        from: Millis,
        until: Millis,
    ) -> Result<CounterDay>;
    /// A service point's receipts paid in `[from, until)`, by number.
    async fn receipts_between(
        &self,
        service_point_id: &str,
        from: Millis,
        until: Millis,
    ) -> Result<Vec<CashReceipt>>;
}
