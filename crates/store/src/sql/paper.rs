//! [`crate::PaperStore`] in SQL.

use super::*;

#[async_trait]
impl crate::PaperStore for SqlStore {
    async fn paper_letters_of_message(&self, message_id: &str) -> Result<Vec<PaperLetter>> {
        self.letters_where("message_id = $1", message_id).await
    }

    async fn paper_letter(&self, id: &str) -> Result<Option<PaperLetter>> {
        Ok(self.letters_where("id = $1", id).await?.pop())
    }

    async fn paper_letter_by_tracking(&self, tracking_number: &str) -> Result<Option<PaperLetter>> {
        Ok(self
            .letters_where("tracking_number = $1", tracking_number)
            .await?
            .pop())
    }

    async fn waiting_letters(&self, service_point_id: &str) -> Result<Vec<PaperLetter>> {
        self.letters_where(
            "service_point_id = $1 AND batch_id IS NULL",
            service_point_id,
        )
        .await
    }

    async fn create_print_batch(&self, batch: &PrintBatch, audit: &AuditEvent) -> Result<i64> {
        self.paper_insert_batch(batch, audit).await
    }

    async fn print_batches(&self, service_point_id: &str, limit: i64) -> Result<Vec<PrintBatch>> {
        let q = format!("SELECT {BATCH_COLS} FROM print_batches b WHERE b.service_point_id = $1 ORDER BY b.created_at DESC, b.id LIMIT $2");
        self.all(
            sqlx::query(&q).bind(service_point_id).bind(limit),
            batch_from,
        )
        .await
    }

    async fn print_batch(&self, id: &str) -> Result<Option<PrintBatch>> {
        let q = format!("SELECT {BATCH_COLS} FROM print_batches b WHERE b.id = $1");
        self.opt(sqlx::query(&q).bind(id), batch_from).await
    }

    async fn batch_letters(&self, batch_id: &str) -> Result<Vec<PaperLetter>> {
        self.letters_where("batch_id = $1", batch_id).await
    }

    async fn advance_print_batch(
        &self,
        id: &str,
        from: okienko_domain::status::BatchStatus,
        to: okienko_domain::status::BatchStatus,
        by: &str,
        at: Millis,
        evidence: &[EvidenceRecord],
        audit: &AuditEvent,
    ) -> Result<bool> {
        use okienko_domain::status::BatchStatus;
        let sql = match to {
            BatchStatus::Printed => "UPDATE print_batches SET status = 'printed', printed_at = $1, printed_by = $2 WHERE id = $3 AND status = $4",
            BatchStatus::Dispatched => "UPDATE print_batches SET status = 'dispatched', dispatched_at = $1, dispatched_by = $2 WHERE id = $3 AND status = $4",
            BatchStatus::Closed => return Err(StoreError::Db("a batch is closed only when made".into())),
        };
        let mut tx = self.writer.begin().await?;
        let n = sqlx::query(sql)
            .bind(at)
            .bind(by)
            .bind(id)
            .bind(from.as_str())
            .execute(&mut *tx)
            .await?
            .rows_affected();
        if n == 0 {
            tx.rollback().await?;
            return Ok(false);
        }
        let rows: Vec<&EvidenceRecord> = evidence.iter().collect();
        insert_evidence(&mut tx, &rows).await?;
        Self::audit_in(&mut tx, audit).await?;
        tx.commit().await?;
        Ok(true)
    }

    async fn set_letter_outcome(
        &self,
        letter_id: &str,
        outcome: &str,
        by: &str,
        at: Millis,
        evidence: &EvidenceRecord,
        audit: &AuditEvent,
    ) -> Result<bool> {
        self.paper_outcome(letter_id, outcome, by, at, evidence, audit)
            .await
    }
}

pub(super) const LETTER_COLS: &str = "id, message_id, tracking_number, verification_code, recipient_name, street, postal_code, city, service_point_id, batch_id, pages, pdf_sha256, created_at, outcome, outcome_at, outcome_by";

pub(super) fn letter_from(r: &AnyRow) -> std::result::Result<PaperLetter, sqlx::Error> {
    Ok(PaperLetter {
        id: r.try_get("id")?,
        message_id: r.try_get("message_id")?,
        tracking_number: r.try_get("tracking_number")?,
        verification_code: r.try_get("verification_code")?,
        recipient_name: r.try_get("recipient_name")?,
        street: r.try_get("street")?,
        postal_code: r.try_get("postal_code")?,
        city: r.try_get("city")?,
        service_point_id: r.try_get("service_point_id")?,
        batch_id: r.try_get("batch_id")?,
        pages: r.try_get("pages")?,
        pdf_sha256: r.try_get("pdf_sha256")?,
        created_at: r.try_get("created_at")?,
        outcome: r.try_get("outcome")?,
        outcome_at: r.try_get("outcome_at")?,
        outcome_by: r.try_get("outcome_by")?,
    })
}

pub(super) const BATCH_COLS: &str = "b.id, b.service_point_id, b.status, b.created_at, b.created_by, b.printed_at, b.printed_by, b.dispatched_at, b.dispatched_by, \
     (SELECT COUNT(*) FROM paper_letters l WHERE l.batch_id = b.id) AS letters, \
     CAST((SELECT COALESCE(SUM(l.pages), 0) FROM paper_letters l WHERE l.batch_id = b.id) AS BIGINT) AS pages";

pub(super) fn batch_from(r: &AnyRow) -> std::result::Result<PrintBatch, sqlx::Error> {
    Ok(PrintBatch {
        id: r.try_get("id")?,
        service_point_id: r.try_get("service_point_id")?,
        status: status_of(r, okienko_domain::status::BatchStatus::parse)?,
        created_at: r.try_get("created_at")?,
        created_by: r.try_get("created_by")?,
        printed_at: r.try_get("printed_at")?,
        printed_by: r.try_get("printed_by")?,
        dispatched_at: r.try_get("dispatched_at")?,
        dispatched_by: r.try_get("dispatched_by")?,
        letters: r.try_get("letters")?,
        pages: r.try_get("pages")?,
    })
}

impl SqlStore {
    async fn letters_where(&self, cond: &str, arg: &str) -> Result<Vec<PaperLetter>> {
        let q = format!("SELECT {LETTER_COLS} FROM paper_letters WHERE {cond} ORDER BY created_at, tracking_number");
        self.all(sqlx::query(&q).bind(arg), letter_from).await
    }

    async fn paper_insert_batch(&self, b: &PrintBatch, audit: &AuditEvent) -> Result<i64> {
        let mut tx = self.writer.begin().await?;
        sqlx::query("INSERT INTO print_batches (id, service_point_id, status, created_at, created_by, printed_at, printed_by, dispatched_at, dispatched_by) VALUES ($1, $2, 'closed', $3, $4, NULL, NULL, NULL, NULL)")
            .bind(&b.id)
            .bind(&b.service_point_id)
            .bind(b.created_at)
            .bind(&b.created_by)
            .execute(&mut *tx)
            .await?;
        let n = sqlx::query("UPDATE paper_letters SET batch_id = $1 WHERE service_point_id = $2 AND batch_id IS NULL")
            .bind(&b.id)
            .bind(&b.service_point_id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        if n == 0 {
            tx.rollback().await?;
            return Ok(0);
        }
        Self::audit_in(&mut tx, audit).await?;
        tx.commit().await?;
        Ok(n as i64)
    }

    async fn paper_outcome(
        &self,
        letter_id: &str,
        outcome: &str,
        by: &str,
        at: Millis,
        evidence: &EvidenceRecord,
        audit: &AuditEvent,
    ) -> Result<bool> {
        let mut tx = self.writer.begin().await?;
        let n = sqlx::query(
            "UPDATE paper_letters SET outcome = $1, outcome_at = $2, outcome_by = $3 WHERE id = $4 AND outcome IS NULL \
             AND batch_id IN (SELECT id FROM print_batches WHERE status = 'dispatched')",
        )
        .bind(outcome)
        .bind(at)
        .bind(by)
        .bind(letter_id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if n == 0 {
            tx.rollback().await?;
            return Ok(false);
        }
        insert_evidence(&mut tx, &[evidence]).await?;
        Self::audit_in(&mut tx, audit).await?;
        tx.commit().await?;
        Ok(true)
    }
}
