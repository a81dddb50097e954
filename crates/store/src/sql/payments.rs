//! [`crate::PaymentsStore`] in SQL.

use super::*;
use crate::payments::{Payment, SimTransaction};

const PAYMENT_COLS: &str = "session_id, message_id, office_id, user_id, amount, currency, status, token, order_id, created_at, paid_at, channel";
const SIM_COLS: &str = "token, merchant_id, session_id, amount, currency, description, url_return, url_status, status, order_id, created_at, paid_at";

fn payment_from(r: &AnyRow) -> std::result::Result<Payment, sqlx::Error> {
    Ok(Payment {
        session_id: r.try_get("session_id")?,
        message_id: r.try_get("message_id")?,
        office_id: r.try_get("office_id")?,
        user_id: r.try_get("user_id")?,
        amount: r.try_get("amount")?,
        currency: r.try_get("currency")?,
        status: r.try_get("status")?,
        token: r.try_get("token")?,
        order_id: r.try_get("order_id")?,
        created_at: r.try_get("created_at")?,
        paid_at: r.try_get("paid_at")?,
        channel: r.try_get("channel")?,
    })
}

/// Stores a payment inside `tx`.
pub(super) async fn insert_payment_in(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    p: &Payment,
) -> Result<()> {
    sqlx::query(&format!(
        "INSERT INTO payments ({PAYMENT_COLS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)"
    ))
    .bind(&p.session_id)
    .bind(&p.message_id)
    .bind(&p.office_id)
    .bind(&p.user_id)
    .bind(p.amount)
    .bind(&p.currency)
    .bind(&p.status)
    .bind(&p.token)
    .bind(&p.order_id)
    .bind(p.created_at)
    .bind(p.paid_at)
    .bind(&p.channel)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

fn sim_from(r: &AnyRow) -> std::result::Result<SimTransaction, sqlx::Error> {
    Ok(SimTransaction {
        token: r.try_get("token")?,
        merchant_id: r.try_get("merchant_id")?,
        session_id: r.try_get("session_id")?,
        amount: r.try_get("amount")?,
        currency: r.try_get("currency")?,
        description: r.try_get("description")?,
        url_return: r.try_get("url_return")?,
        url_status: r.try_get("url_status")?,
        status: r.try_get("status")?,
        order_id: r.try_get("order_id")?,
        created_at: r.try_get("created_at")?,
        paid_at: r.try_get("paid_at")?,
    })
}

#[async_trait]
impl crate::PaymentsStore for SqlStore {
    async fn create_payment(&self, p: &Payment, audit: &AuditEvent) -> Result<()> {
        let mut tx = self.writer.begin().await?;
        insert_payment_in(&mut tx, p).await?;
        Self::audit_in(&mut tx, audit).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn payment(&self, session_id: &str) -> Result<Option<Payment>> {
        let q = format!("SELECT {PAYMENT_COLS} FROM payments WHERE session_id = $1");
        self.opt(sqlx::query(&q).bind(session_id), payment_from)
            .await
    }

    async fn payments_of_message(&self, message_id: &str) -> Result<Vec<Payment>> {
        let q = format!(
            "SELECT {PAYMENT_COLS} FROM payments WHERE message_id = $1 ORDER BY created_at DESC"
        );
        self.all(sqlx::query(&q).bind(message_id), payment_from)
            .await
    }

    async fn mark_paid(
        &self,
        session_id: &str,
        order_id: &str,
        at: Millis,
        audit: &AuditEvent,
    ) -> Result<bool> {
        let mut tx = self.writer.begin().await?;
        let r = sqlx::query(
            "UPDATE payments SET status = 'paid', order_id = $1, paid_at = $2 \
             WHERE session_id = $3 AND status = 'pending'",
        )
        .bind(order_id)
        .bind(at)
        .bind(session_id)
        .execute(&mut *tx)
        .await?;
        if r.rows_affected() == 0 {
            return Ok(false);
        }
        Self::audit_in(&mut tx, audit).await?;
        tx.commit().await?;
        Ok(true)
    }

    async fn paid_unreleased(&self, before: Millis, limit: i64) -> Result<Vec<Payment>> {
        let q = format!(
            "SELECT {PAYMENT_COLS} FROM payments WHERE status = 'paid' AND paid_at < $1 \
             AND message_id IN (SELECT message_id FROM submissions WHERE status = 'awaiting-payment') \
             ORDER BY paid_at LIMIT $2"
        );
        self.all(sqlx::query(&q).bind(before).bind(limit), payment_from)
            .await
    }

    async fn paid_payments(
        &self,
        office_id: &str,
        from: Millis,
        to: Millis,
    ) -> Result<Vec<Payment>> {
        let q = format!(
            "SELECT {PAYMENT_COLS} FROM payments WHERE office_id = $1 AND status = 'paid' AND channel = 'online' \
             AND paid_at >= $2 AND paid_at < $3 ORDER BY paid_at"
        );
        self.all(
            sqlx::query(&q).bind(office_id).bind(from).bind(to),
            payment_from,
        )
        .await
    }

    async fn sim_register(&self, t: &SimTransaction) -> Result<()> {
        sqlx::query(&format!(
            "INSERT INTO payment_simulator ({SIM_COLS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)"
        ))
        .bind(&t.token)
        .bind(&t.merchant_id)
        .bind(&t.session_id)
        .bind(t.amount)
        .bind(&t.currency)
        .bind(&t.description)
        .bind(&t.url_return)
        .bind(&t.url_status)
        .bind(&t.status)
        .bind(&t.order_id)
        .bind(t.created_at)
        .bind(t.paid_at)
        .execute(&self.writer)
        .await?;
        Ok(())
    }

    async fn sim_transaction(&self, token: &str) -> Result<Option<SimTransaction>> {
        let q = format!("SELECT {SIM_COLS} FROM payment_simulator WHERE token = $1");
        self.opt(sqlx::query(&q).bind(token), sim_from).await
    }

    async fn sim_by_session(&self, session_id: &str) -> Result<Option<SimTransaction>> {
        let q = format!("SELECT {SIM_COLS} FROM payment_simulator WHERE session_id = $1");
        self.opt(sqlx::query(&q).bind(session_id), sim_from).await
    }

    async fn sim_settle(
        &self,
        token: &str,
        status: &str,
        order_id: &str,
        at: Millis,
    ) -> Result<bool> {
        let r = sqlx::query(
            "UPDATE payment_simulator SET status = $1, order_id = $2, paid_at = $3 \
             WHERE token = $4 AND status = 'registered'",
        )
        .bind(status)
        .bind(order_id)
        .bind(at)
        .bind(token)
        .execute(&self.writer)
        .await?;
        Ok(r.rows_affected() > 0)
    }

    async fn sim_paid(
        &self,
        merchant_id: &str,
        from: Millis,
        to: Millis,
    ) -> Result<Vec<SimTransaction>> {
        let q = format!(
            "SELECT {SIM_COLS} FROM payment_simulator WHERE merchant_id = $1 AND status = 'paid' \
             AND paid_at >= $2 AND paid_at < $3 ORDER BY paid_at"
        );
        self.all(
            sqlx::query(&q).bind(merchant_id).bind(from).bind(to),
            sim_from,
        )
        .await
    }
}
