//! [`crate::AvailabilityStore`] in SQL.

use super::*;
use crate::availability::AwayTime;

fn away_from(r: &AnyRow) -> std::result::Result<AwayTime, sqlx::Error> {
    Ok(AwayTime {
        id: r.try_get("id")?,
        user_id: r.try_get("user_id")?,
        starts_at: r.try_get("starts_at")?,
        ends_at: r.try_get("ends_at")?,
        note: r.try_get("note")?,
        created_at: r.try_get("created_at")?,
    })
}

#[async_trait]
impl crate::AvailabilityStore for SqlStore {
    async fn add_away(&self, a: &AwayTime, audit: &AuditEvent) -> Result<()> {
        let mut tx = self.writer.begin().await?;
        sqlx::query(
            "INSERT INTO availability_away (id, user_id, starts_at, ends_at, note, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(&a.id)
        .bind(&a.user_id)
        .bind(a.starts_at)
        .bind(a.ends_at)
        .bind(&a.note)
        .bind(a.created_at)
        .execute(&mut *tx)
        .await?;
        Self::audit_in(&mut tx, audit).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn remove_away(&self, id: &str, user_id: &str, audit: &AuditEvent) -> Result<bool> {
        let mut tx = self.writer.begin().await?;
        let done = sqlx::query("DELETE FROM availability_away WHERE id = $1 AND user_id = $2")
            .bind(id)
            .bind(user_id)
            .execute(&mut *tx)
            .await?
            .rows_affected()
            == 1;
        if done {
            Self::audit_in(&mut tx, audit).await?;
        }
        tx.commit().await?;
        Ok(done)
    }

    async fn aways(&self, user_ids: &[String], from: Millis, to: Millis) -> Result<Vec<AwayTime>> {
        let mut out = Vec::new();
        for user in user_ids {
            out.extend(
                self.all(
                    sqlx::query(
                        "SELECT id, user_id, starts_at, ends_at, note, created_at \
                         FROM availability_away WHERE user_id = $1 AND ends_at > $2 \
                         AND starts_at < $3 ORDER BY starts_at, id LIMIT 1000",
                    )
                    .bind(user)
                    .bind(from)
                    .bind(to),
                    away_from,
                )
                .await?,
            );
        }
        Ok(out)
    }
}
