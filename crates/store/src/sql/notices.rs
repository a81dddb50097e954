//! [`NoticeStore`] in SQL.

use super::{insert_rows, marks, Claim, SqlStore};
use crate::notices::{DueNotice, NoticeStore, SentNotice};
use crate::{new_id, Result};
use async_trait::async_trait;
use okienko_domain::notices::INTERVAL_MS;
use okienko_domain::Millis;
use sqlx::Row;

/// Adds `count` new messages to each person's pending notice, inside a message commit. The
/// first pending message makes the notice due at once, or one interval after the last notice
/// (the same rule as `okienko_domain::notices::due_at`, written in SQL so that concurrent
/// commits on two instances add up instead of overwriting each other).
pub(super) async fn add_pending(
    conn: &mut sqlx::AnyConnection,
    counts: &[(&str, i64)],
    now: Millis,
) -> Result<()> {
    let tail = format!(
        " ON CONFLICT (user_id) DO UPDATE SET \
           due_at = CASE WHEN notices.pending > 0 THEN notices.due_at \
             WHEN notices.last_sent_at IS NOT NULL AND notices.last_sent_at + {INTERVAL_MS} > excluded.due_at \
               THEN notices.last_sent_at + {INTERVAL_MS} \
             ELSE excluded.due_at END, \
           pending = notices.pending + excluded.pending"
    );
    insert_rows(
        conn,
        "notices (user_id, pending, due_at)",
        &tail,
        3,
        counts,
        |k| marks(k, 3),
        |q, (user, n)| q.bind(*user).bind(*n).bind(now),
    )
    .await
}

#[async_trait]
impl NoticeStore for SqlStore {
    async fn claim_notices(
        &self,
        now: Millis,
        lease_ms: i64,
        limit: i64,
    ) -> Result<Vec<DueNotice>> {
        self.claim(
            &Claim {
                table: "notices",
                key: "user_id",
                set: "claimed_until = $1",
                due: "pending > 0 AND due_at <= $2 \
                      AND (claimed_until IS NULL OR claimed_until <= $2) ORDER BY due_at",
                returning: "user_id, pending",
            },
            (now, lease_ms, limit),
            |r| {
                Ok(DueNotice {
                    user_id: r.try_get("user_id")?,
                    pending: r.try_get("pending")?,
                })
            },
        )
        .await
    }

    async fn finish_notices(&self, sent: &[SentNotice], job_kind: &str, now: Millis) -> Result<()> {
        let mut tx = self.writer.begin().await?;
        let jobs: Vec<(String, &str)> = sent
            .iter()
            .filter_map(|s| s.email_payload.as_deref().map(|p| (new_id(), p)))
            .collect();
        insert_rows(
            &mut tx,
            "jobs (id, kind, payload, run_at, max_attempts, created_at)",
            "",
            6,
            &jobs,
            |k| marks(k, 6),
            |q, (id, payload)| {
                q.bind(id)
                    .bind(job_kind)
                    .bind(*payload)
                    .bind(now)
                    .bind(8i64)
                    .bind(now)
            },
        )
        .await?;
        // In the order of the people's ids, as a batch of messages adds to them, so the two
        // never wait for each other's rows crosswise (a deadlock) when instances run both.
        let mut sent: Vec<&SentNotice> = sent.iter().collect();
        sent.sort_by(|a, b| a.user_id.cmp(&b.user_id));
        for s in sent {
            sqlx::query(
                "UPDATE notices SET pending = pending - $1, last_sent_at = $2, due_at = $3, \
                 claimed_until = NULL WHERE user_id = $4",
            )
            .bind(s.told)
            .bind(now)
            .bind(now + INTERVAL_MS)
            .bind(&s.user_id)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn notice_state(&self, user_id: &str) -> Result<Option<(i64, Millis, Option<Millis>)>> {
        let r = sqlx::query("SELECT pending, due_at, last_sent_at FROM notices WHERE user_id = $1")
            .bind(user_id)
            .fetch_optional(&self.writer)
            .await?;
        Ok(match r {
            Some(r) => Some((r.try_get(0)?, r.try_get(1)?, r.try_get(2)?)),
            None => None,
        })
    }
}
