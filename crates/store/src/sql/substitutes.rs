//! [`crate::SubstituteStore`] in SQL.

use super::*;
use crate::substitutes::Substitute;

const SUBSTITUTE_COLUMNS: &str = "s.id, s.office_id, s.absent_id, s.substitute_id, s.starts_on, \
     s.ends_on, s.created_by, s.created_at, s.cancelled_by, s.cancelled_at, \
     a.display_name AS absent_name, b.display_name AS substitute_name";

const SUBSTITUTE_FROM: &str = "substitutes s JOIN users a ON a.id = s.absent_id \
     JOIN users b ON b.id = s.substitute_id";

fn substitute_from(r: &AnyRow) -> std::result::Result<Substitute, sqlx::Error> {
    Ok(Substitute {
        id: r.try_get("id")?,
        office_id: r.try_get("office_id")?,
        absent_id: r.try_get("absent_id")?,
        substitute_id: r.try_get("substitute_id")?,
        starts_on: r.try_get("starts_on")?,
        ends_on: r.try_get("ends_on")?,
        created_by: r.try_get("created_by")?,
        created_at: r.try_get("created_at")?,
        cancelled_by: r.try_get("cancelled_by")?,
        cancelled_at: r.try_get("cancelled_at")?,
        absent_name: r.try_get("absent_name")?,
        substitute_name: r.try_get("substitute_name")?,
    })
}

#[async_trait]
impl crate::SubstituteStore for SqlStore {
    async fn add_substitute(&self, s: &Substitute, audit: &AuditEvent) -> Result<()> {
        let mut tx = self.writer.begin().await?;
        // PostgreSQL: two substitutions of the same person made at once wait for each other
        // here (SQLite has one writer: its transactions never overlap).
        if self.backend == Backend::Postgres {
            sqlx::query("SELECT id FROM users WHERE id = $1 FOR UPDATE")
                .bind(&s.absent_id)
                .fetch_all(&mut *tx)
                .await?;
        }
        // Days written YYYY-MM-DD compare as text in the order of the calendar.
        let clash: Option<String> = sqlx::query(
            "SELECT id FROM substitutes WHERE absent_id = $1 AND cancelled_at IS NULL \
             AND starts_on <= $2 AND $3 <= ends_on LIMIT 1",
        )
        .bind(&s.absent_id)
        .bind(&s.ends_on)
        .bind(&s.starts_on)
        .fetch_optional(&mut *tx)
        .await?
        .map(|r| r.try_get("id"))
        .transpose()?;
        if let Some(id) = clash {
            return Err(StoreError::Conflict(id));
        }
        sqlx::query(
            "INSERT INTO substitutes (id, office_id, absent_id, substitute_id, starts_on, ends_on, \
             created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(&s.id)
        .bind(&s.office_id)
        .bind(&s.absent_id)
        .bind(&s.substitute_id)
        .bind(&s.starts_on)
        .bind(&s.ends_on)
        .bind(&s.created_by)
        .bind(s.created_at)
        .execute(&mut *tx)
        .await?;
        Self::audit_in(&mut tx, audit).await?;
        tx.commit().await?;
        self.changed().await;
        Ok(())
    }

    async fn cancel_substitute(
        &self,
        id: &str,
        by: &str,
        at: Millis,
        audit: &AuditEvent,
    ) -> Result<bool> {
        let mut tx = self.writer.begin().await?;
        let done = sqlx::query(
            "UPDATE substitutes SET cancelled_by = $1, cancelled_at = $2 \
             WHERE id = $3 AND cancelled_at IS NULL",
        )
        .bind(by)
        .bind(at)
        .bind(id)
        .execute(&mut *tx)
        .await?
        .rows_affected()
            == 1;
        if done {
            Self::audit_in(&mut tx, audit).await?;
        }
        tx.commit().await?;
        if done {
            self.changed().await;
        }
        Ok(done)
    }

    async fn substitute(&self, id: &str) -> Result<Option<Substitute>> {
        let sql = format!("SELECT {SUBSTITUTE_COLUMNS} FROM {SUBSTITUTE_FROM} WHERE s.id = $1");
        self.opt(sqlx::query(&sql).bind(id), substitute_from).await
    }

    async fn office_substitutes(&self, office_id: &str, from_day: &str) -> Result<Vec<Substitute>> {
        let sql = format!(
            "SELECT {SUBSTITUTE_COLUMNS} FROM {SUBSTITUTE_FROM} WHERE s.office_id = $1 \
             AND s.ends_on >= $2 AND s.cancelled_at IS NULL ORDER BY s.starts_on, s.id LIMIT 500"
        );
        self.all(
            sqlx::query(&sql).bind(office_id).bind(from_day),
            substitute_from,
        )
        .await
    }

    async fn covering(&self, substitute_id: &str, day: &str) -> Result<Vec<Substitute>> {
        // Read by every request of an official (who do I substitute today?).
        if let Some(hit) = self.cache.covering(substitute_id, day) {
            return Ok(hit);
        }
        let generation = self.cache.generation();
        let found = self
            .substitutes_on("substitute_id", substitute_id, day)
            .await?;
        self.cache
            .keep_covering(generation, substitute_id, day, found.clone());
        Ok(found)
    }

    async fn away(&self, absent_id: &str, day: &str) -> Result<Option<Substitute>> {
        // At most one: a person has no two substitutions sharing a day.
        Ok(self
            .substitutes_on("absent_id", absent_id, day)
            .await?
            .into_iter()
            .next())
    }
}

impl SqlStore {
    /// The substitutions (not cancelled) running on `day` whose `column` (`absent_id` or
    /// `substitute_id`) is `person`.
    async fn substitutes_on(
        &self,
        column: &'static str,
        person: &str,
        day: &str,
    ) -> Result<Vec<Substitute>> {
        let sql = format!(
            "SELECT {SUBSTITUTE_COLUMNS} FROM {SUBSTITUTE_FROM} WHERE s.{column} = $1 \
             AND s.ends_on >= $2 AND s.starts_on <= $2 AND s.cancelled_at IS NULL ORDER BY s.id"
        );
        self.all(sqlx::query(&sql).bind(person).bind(day), substitute_from)
            .await
    }
}
