//! [`crate::AuditStore`] in SQL.

use super::*;

#[async_trait]
impl crate::AuditStore for SqlStore {
    async fn append_audit(&self, event: &AuditEvent) -> Result<()> {
        let mut tx = self.writer.begin().await?;
        Self::audit_in(&mut tx, event).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn audit_for_subject(&self, subject_id: &str, limit: i64) -> Result<Vec<AuditEntry>> {
        let q = format!(
            "SELECT {AUDIT_COLS} FROM audit_log WHERE subject_id = $1 ORDER BY seq DESC LIMIT $2"
        );
        self.all(sqlx::query(&q).bind(subject_id).bind(limit), audit_from)
            .await
    }

    async fn audit_chain(&self) -> Result<(Vec<(AuditEntry, String)>, (i64, String))> {
        // Rows come in `seq` order; the chain check needs each row to carry the next seq and
        // the previous row's hash, so a renumbered (reordered) or missing row shows.
        let q = format!("SELECT {AUDIT_COLS}, hash FROM audit_log ORDER BY seq");
        let rows = sqlx::query(&q).fetch_all(&self.reader).await?;
        let mut out = Vec::with_capacity(rows.len());
        for r in &rows {
            out.push((audit_from(r)?, r.try_get::<String, _>("hash")?));
        }
        let head = sqlx::query("SELECT seq, hash FROM audit_head WHERE id = 1")
            .fetch_one(&self.reader)
            .await?;
        Ok((out, (head.try_get("seq")?, head.try_get("hash")?)))
    }
}

pub(super) fn audit_from(r: &AnyRow) -> std::result::Result<AuditEntry, sqlx::Error> {
    Ok(AuditEntry {
        seq: r.try_get("seq")?,
        at: r.try_get("at")?,
        actor_id: r.try_get("actor_id")?,
        action: r.try_get("action")?,
        subject_id: r.try_get("subject_id")?,
        object: r.try_get("object")?,
        reason: r.try_get("reason")?,
        prev_hash: r.try_get("prev_hash")?,
    })
}

pub(super) const AUDIT_COLS: &str =
    "seq, at, actor_id, action, subject_id, object, reason, prev_hash";
