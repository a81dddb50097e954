//! Background jobs: durable, leased to one worker at a time, retried.

use crate::*;
use async_trait::async_trait;
#[allow(unused_imports)]
use okienko_domain::audit::{AuditEntry, AuditEvent};
#[allow(unused_imports)]
use okienko_domain::{Millis, RoleGrant};

#[async_trait]
pub trait JobStore: Send + Sync {
    async fn enqueue_job(
        &self,
        kind: &str,
        payload: &str,
        run_at: Millis,
        max_attempts: i64,
    ) -> Result<String>;
    /// Leases up to `limit` due jobs until `now + lease_ms`; no two callers get the same job.
    async fn claim_jobs(&self, now: Millis, lease_ms: i64, limit: i64) -> Result<Vec<Job>>;
    /// Records, committed, that the attempt now running hands the job's work to a peer that
    /// cannot be asked afterwards whether it got it (see [`Job::handed_at`]).
    async fn hand_job(&self, id: &str, now: Millis) -> Result<()>;
    /// Marks jobs done, in one statement.
    async fn complete_jobs(&self, ids: &[String], now: Millis) -> Result<()>;
    /// Records a failure (the hand-over, if any, did not happen); retries at `retry_at`, or
    /// gives up when it is `None`.
    async fn fail_job(
        &self,
        id: &str,
        error: &str,
        retry_at: Option<Millis>,
        now: Millis,
    ) -> Result<()>;
    async fn job_counts(&self) -> Result<JobCounts>;
}
