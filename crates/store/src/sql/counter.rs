//! [`crate::CounterStore`] in SQL.

use super::*;

#[async_trait]
impl crate::CounterStore for SqlStore {
    async fn create_visit(&self, v: &CounterVisit, audit: &AuditEvent) -> Result<()> {
        let q = sqlx::query(
            "INSERT INTO counter_visits (id, service_point_id, clerk_id, citizen_id, consent_at, started_at, ended_at) VALUES ($1, $2, $3, $4, $5, $6, NULL)",
        )
        .bind(&v.id)
        .bind(&v.service_point_id)
        .bind(&v.clerk_id)
        .bind(&v.citizen_id)
        .bind(v.consent_at)
        .bind(v.started_at);
        self.exec_audited(q, audit).await
    }

    async fn visit(&self, id: &str) -> Result<Option<CounterVisit>> {
        let r = sqlx::query(
            "SELECT id, service_point_id, clerk_id, citizen_id, consent_at, started_at, ended_at FROM counter_visits WHERE id = $1",
        )
        .bind(id)
        .fetch_optional(&self.reader)
        .await?;
        let Some(r) = r else { return Ok(None) };
        Ok(Some(visit_from(&r)?))
    }

    async fn clerk_visits(
        &self,
        clerk_id: &str,
        service_point_id: &str,
        limit: i64,
    ) -> Result<Vec<(CounterVisit, String)>> {
        let q = sqlx::query(
            "SELECT v.id, v.service_point_id, v.clerk_id, v.citizen_id, v.consent_at, v.started_at, v.ended_at, \
                    u.display_name FROM counter_visits v JOIN users u ON u.id = v.citizen_id \
             WHERE v.clerk_id = $1 AND v.service_point_id = $2 \
             ORDER BY CASE WHEN v.ended_at IS NULL THEN 0 ELSE 1 END, v.started_at DESC, v.id LIMIT $3",
        )
        .bind(clerk_id)
        .bind(service_point_id)
        .bind(limit);
        self.all(q, |r| Ok((visit_from(r)?, r.try_get("display_name")?)))
            .await
    }

    async fn visit_receipts(&self, visit_id: &str) -> Result<Vec<CashReceipt>> {
        let sql = format!("{RECEIPT_SELECT} WHERE c.visit_id = $1 ORDER BY c.number");
        self.all(sqlx::query(&sql).bind(visit_id), receipt_from)
            .await
    }

    async fn end_visit(&self, id: &str, at: Millis, audit: &AuditEvent) -> Result<bool> {
        let q = sqlx::query(
            "UPDATE counter_visits SET ended_at = $1 WHERE id = $2 AND ended_at IS NULL",
        )
        .bind(at)
        .bind(id);
        match self.exec_audited(q, audit).await {
            Ok(()) => Ok(true),
            Err(StoreError::NotFound) => Ok(false),
            Err(e) => Err(e),
        }
    }

    async fn trusted_profile_by_pesel(&self, pesel: &str) -> Result<Option<TrustedProfile>> {
        let r = sqlx::query("SELECT user_id FROM trusted_profiles WHERE pesel = $1 AND revoked_at IS NULL ORDER BY valid_until DESC LIMIT 1")
            .bind(pesel)
            .fetch_optional(&self.reader)
            .await?;
        match r {
            Some(r) => {
                self.trusted_profile(&r.try_get::<String, _>("user_id")?)
                    .await
            }
            None => Ok(None),
        }
    }

    async fn counter_day(
        &self,
        service_point_id: &str,
        from: Millis,
        until: Millis,
    ) -> Result<CounterDay> {
        let r = sqlx::query(
            "SELECT \
             (SELECT COUNT(*) FROM tp_applications WHERE service_point_id = $1 AND status = 'confirmed' AND decided_at >= $2 AND decided_at < $3) AS confirmations, \
             (SELECT COUNT(*) FROM tp_applications WHERE service_point_id = $1 AND status = 'refused' AND decided_at >= $2 AND decided_at < $3) AS refusals, \
             (SELECT COUNT(*) FROM counter_visits WHERE service_point_id = $1 AND started_at >= $2 AND started_at < $3) AS visits, \
             (SELECT COUNT(*) FROM audit_log a WHERE a.action = 'counter.message.print' AND a.at >= $2 AND a.at < $3 \
                AND a.actor_id IN (SELECT user_id FROM role_grants WHERE service_point_id = $1)) AS prints",
        )
        .bind(service_point_id)
        .bind(from)
        .bind(until)
        .fetch_one(&self.reader)
        .await?;
        Ok(CounterDay {
            confirmations: r.try_get("confirmations")?,
            refusals: r.try_get("refusals")?,
            visits: r.try_get("visits")?,
            prints: r.try_get("prints")?,
        })
    }

    async fn next_receipt_number(&self, service_point_id: &str) -> Result<i64> {
        // One statement, so atomic on both backends: PostgreSQL locks the point's row until
        // the commit, SQLite has one writer.
        let r = sqlx::query(
            "INSERT INTO receipt_numbers (service_point_id, last) VALUES ($1, 1) \
             ON CONFLICT (service_point_id) DO UPDATE SET last = receipt_numbers.last + 1 \
             RETURNING last",
        )
        .bind(service_point_id)
        .fetch_one(&self.writer)
        .await?;
        Ok(r.try_get("last")?)
    }

    async fn insert_receipt(&self, r: &CashReceipt, audit: &AuditEvent) -> Result<()> {
        let mut tx = self.writer.begin().await?;
        insert_receipt_in(&mut tx, r).await?;
        Self::audit_in(&mut tx, audit).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn receipt(&self, id: &str) -> Result<Option<CashReceipt>> {
        self.opt(
            sqlx::query(&format!("{RECEIPT_SELECT} WHERE c.id = $1")).bind(id),
            receipt_from,
        )
        .await
    }

    async fn receipts_between(
        &self,
        service_point_id: &str,
        from: Millis,
        until: Millis,
    ) -> Result<Vec<CashReceipt>> {
        self.all(sqlx::query(&format!(
            "{RECEIPT_SELECT} WHERE c.service_point_id = $1 AND c.paid_at >= $2 AND c.paid_at < $3 ORDER BY c.number"
        ))
        .bind(service_point_id)
        .bind(from)
        .bind(until), receipt_from).await
    }
}

fn visit_from(r: &AnyRow) -> std::result::Result<CounterVisit, sqlx::Error> {
    Ok(CounterVisit {
        id: r.try_get("id")?,
        service_point_id: r.try_get("service_point_id")?,
        clerk_id: r.try_get("clerk_id")?,
        citizen_id: r.try_get("citizen_id")?,
        consent_at: r.try_get("consent_at")?,
        started_at: r.try_get("started_at")?,
        ended_at: r.try_get("ended_at")?,
    })
}

/// Receipts with their voids (`c` and `v`): add a `WHERE` on `c`.
const RECEIPT_SELECT: &str =
    "SELECT c.id, c.service_point_id, c.number, c.visit_id, c.clerk_id, c.citizen_id, \
     c.payer_name, c.amount, c.title, c.paid_at, c.document, c.signed, c.log_index, c.payee_office_id, \
     v.id AS void_id, v.clerk_id AS void_clerk, v.reason AS void_reason, v.voided_at, \
     v.document AS void_document, v.signed AS void_signed, v.log_index AS void_log_index \
     FROM cash_receipts c LEFT JOIN receipt_voids v ON v.receipt_id = c.id";

fn receipt_from(r: &AnyRow) -> std::result::Result<CashReceipt, sqlx::Error> {
    let id: String = r.try_get("id")?;
    let void = match r.try_get::<Option<String>, _>("void_id")? {
        None => None,
        Some(void_id) => Some(ReceiptVoid {
            id: void_id,
            receipt_id: id.clone(),
            clerk_id: r.try_get("void_clerk")?,
            reason: r.try_get("void_reason")?,
            voided_at: r.try_get("voided_at")?,
            document: r.try_get("void_document")?,
            signed_b64: r.try_get("void_signed")?,
            log_index: r.try_get("void_log_index")?,
        }),
    };
    Ok(CashReceipt {
        id,
        service_point_id: r.try_get("service_point_id")?,
        number: r.try_get("number")?,
        visit_id: r.try_get("visit_id")?,
        clerk_id: r.try_get("clerk_id")?,
        citizen_id: r.try_get("citizen_id")?,
        payer_name: r.try_get("payer_name")?,
        amount: r.try_get("amount")?,
        title: r.try_get("title")?,
        paid_at: r.try_get("paid_at")?,
        document: r.try_get("document")?,
        signed_b64: r.try_get("signed")?,
        log_index: r.try_get("log_index")?,
        payee_office_id: r.try_get("payee_office_id")?,
        void,
    })
}

/// Stores a signed record inside `tx`: a receipt (a conflict if its number is taken) or a
/// receipt's void (a conflict if the receipt is voided already).
pub(super) async fn insert_signed_in(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    record: &SignedRecord,
) -> Result<()> {
    match record {
        SignedRecord::CashReceipt(r) => insert_receipt_in(tx, r).await,
        SignedRecord::ReceiptVoid(v) => {
            sqlx::query(
                "INSERT INTO receipt_voids (receipt_id, id, clerk_id, reason, voided_at, document, signed, log_index) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            )
            .bind(&v.receipt_id)
            .bind(&v.id)
            .bind(&v.clerk_id)
            .bind(&v.reason)
            .bind(v.voided_at)
            .bind(&v.document)
            .bind(&v.signed_b64)
            .bind(v.log_index)
            .execute(&mut **tx)
            .await?;
            Ok(())
        }
        SignedRecord::SubmissionRelease(r) => super::forms::release_in(tx, r).await,
        SignedRecord::CashFee(f) => {
            insert_receipt_in(tx, &f.receipt).await?;
            super::payments::insert_payment_in(tx, &f.payment).await
        }
        SignedRecord::DecisionSigned(d) => super::cases::decision_signed_in(tx, d).await,
        SignedRecord::ScannedLetter(l) => super::scans::scanned_letter_in(tx, l).await,
    }
}

/// Stores a receipt inside `tx`; a conflict if its number is taken.
pub(super) async fn insert_receipt_in(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    r: &CashReceipt,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO cash_receipts (id, service_point_id, number, visit_id, clerk_id, citizen_id, amount, title, paid_at, document, signed, log_index, payee_office_id, payer_name) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)",
    )
    .bind(&r.id)
    .bind(&r.service_point_id)
    .bind(r.number)
    .bind(&r.visit_id)
    .bind(&r.clerk_id)
    .bind(&r.citizen_id)
    .bind(r.amount)
    .bind(&r.title)
    .bind(r.paid_at)
    .bind(&r.document)
    .bind(&r.signed_b64)
    .bind(r.log_index)
    .bind(&r.payee_office_id)
    .bind(&r.payer_name)
    .execute(&mut **tx)
    .await?;
    Ok(())
}
