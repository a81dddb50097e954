//! [`crate::JobStore`] in SQL.

use super::*;

#[async_trait]
impl crate::JobStore for SqlStore {
    async fn enqueue_job(
        &self,
        kind: &str,
        payload: &str,
        run_at: Millis,
        max_attempts: i64,
    ) -> Result<String> {
        let id = new_id();
        sqlx::query(
            "INSERT INTO jobs (id, kind, payload, run_at, attempts, max_attempts, created_at) VALUES ($1, $2, $3, $4, 0, $5, $4)",
        )
        .bind(&id)
        .bind(kind)
        .bind(payload)
        .bind(run_at)
        .bind(max_attempts)
        .execute(&self.writer)
        .await?;
        Ok(id)
    }

    async fn claim_jobs(&self, now: Millis, lease_ms: i64, limit: i64) -> Result<Vec<Job>> {
        self.claim(
            &Claim {
                table: "jobs",
                key: "id",
                set: "locked_until = $1, attempts = attempts + 1",
                due: "done_at IS NULL AND failed_at IS NULL AND run_at <= $2 \
                      AND (locked_until IS NULL OR locked_until <= $2) ORDER BY run_at",
                returning: "id, kind, payload, attempts, max_attempts, handed_at",
            },
            (now, lease_ms, limit),
            |r| {
                Ok(Job {
                    id: r.try_get("id")?,
                    kind: r.try_get("kind")?,
                    payload: r.try_get("payload")?,
                    attempts: r.try_get("attempts")?,
                    max_attempts: r.try_get("max_attempts")?,
                    handed_at: r.try_get("handed_at")?,
                })
            },
        )
        .await
    }

    async fn hand_job(&self, id: &str, now: Millis) -> Result<()> {
        sqlx::query("UPDATE jobs SET handed_at = $1 WHERE id = $2")
            .bind(now)
            .bind(id)
            .execute(&self.writer)
            .await?;
        Ok(())
    }

    async fn complete_jobs(&self, ids: &[String], now: Millis) -> Result<()> {
        for part in ids.chunks(64) {
            let q = format!(
                "UPDATE jobs SET done_at = $1, locked_until = NULL WHERE id IN {}",
                marks(2, part.len())
            );
            let mut q = sqlx::query(&q).bind(now);
            for id in part {
                q = q.bind(id);
            }
            q.execute(&self.writer).await?;
        }
        Ok(())
    }

    async fn fail_job(
        &self,
        id: &str,
        error: &str,
        retry_at: Option<Millis>,
        now: Millis,
    ) -> Result<()> {
        let q = match retry_at {
            Some(at) => sqlx::query("UPDATE jobs SET last_error = $1, run_at = $2, locked_until = NULL, handed_at = NULL WHERE id = $3")
                .bind(error)
                .bind(at)
                .bind(id),
            None => sqlx::query("UPDATE jobs SET last_error = $1, failed_at = $2, locked_until = NULL, handed_at = NULL WHERE id = $3")
                .bind(error)
                .bind(now)
                .bind(id),
        };
        q.execute(&self.writer).await?;
        Ok(())
    }

    async fn job_counts(&self) -> Result<JobCounts> {
        let r = sqlx::query(
            "SELECT \
               COALESCE(SUM(CASE WHEN done_at IS NULL AND failed_at IS NULL THEN 1 ELSE 0 END), 0) AS pending, \
               COALESCE(SUM(CASE WHEN done_at IS NOT NULL THEN 1 ELSE 0 END), 0) AS done, \
               COALESCE(SUM(CASE WHEN failed_at IS NOT NULL THEN 1 ELSE 0 END), 0) AS failed FROM jobs",
        )
        .fetch_one(&self.reader)
        .await?;
        Ok(JobCounts {
            pending: r.try_get("pending")?,
            done: r.try_get("done")?,
            failed: r.try_get("failed")?,
        })
    }
}
