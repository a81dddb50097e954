//! [`crate::TrustedStore`] in SQL.

use super::*;

#[async_trait]
impl crate::TrustedStore for SqlStore {
    async fn create_tp_application(&self, a: &TpApplication, audit: &AuditEvent) -> Result<()> {
        let q = sqlx::query(
            "INSERT INTO tp_applications (number, user_id, pesel, first_name, last_name, id_document, email, phone, created_at, expires_at, status, decided_at, decided_by, service_point_id, reason) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 'pending', NULL, NULL, NULL, NULL)",
        )
        .bind(&a.number)
        .bind(&a.user_id)
        .bind(&a.pesel)
        .bind(&a.first_name)
        .bind(&a.last_name)
        .bind(&a.id_document)
        .bind(&a.email)
        .bind(&a.phone)
        .bind(a.created_at)
        .bind(a.expires_at);
        self.exec_audited(q, audit).await
    }

    async fn tp_application(&self, number: &str) -> Result<Option<TpApplication>> {
        self.opt(
            sqlx::query(&format!(
                "SELECT {TPA_COLS} FROM tp_applications WHERE number = $1"
            ))
            .bind(number),
            tpa_from,
        )
        .await
    }

    async fn tp_applications_of(&self, user_id: &str) -> Result<Vec<TpApplication>> {
        self.all(sqlx::query(&format!(
            "SELECT {TPA_COLS} FROM tp_applications WHERE user_id = $1 ORDER BY created_at DESC, number"
        ))
        .bind(user_id), tpa_from).await
    }

    async fn decide_tp_application(&self, d: &TpDecision<'_>, audit: &AuditEvent) -> Result<bool> {
        use okienko_domain::status::ApplicationStatus;
        let (status, reason, profile) = match d.outcome {
            TpOutcome::Confirmed(p) => (ApplicationStatus::Confirmed, None, Some(p)),
            TpOutcome::Refused(r) => (ApplicationStatus::Refused, Some(r), None),
        };
        let mut tx = self.writer.begin().await?;
        let n = sqlx::query(
            "UPDATE tp_applications SET status = $1, decided_at = $2, decided_by = $3, service_point_id = $4, reason = $5 \
             WHERE number = $6 AND status = 'pending'",
        )
        .bind(status.as_str())
        .bind(d.at)
        .bind(d.by)
        .bind(d.service_point_id)
        .bind(reason)
        .bind(d.number)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if n == 0 {
            tx.rollback().await?;
            return Ok(false);
        }
        if let Some(p) = profile {
            sqlx::query("DELETE FROM trusted_profiles WHERE user_id = $1")
                .bind(&p.user_id)
                .execute(&mut *tx)
                .await?;
            sqlx::query(
                "INSERT INTO trusted_profiles (user_id, pesel, first_name, last_name, valid_from, valid_until, confirmed_by, service_point_id, application, revoked_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, NULL)",
            )
            .bind(&p.user_id)
            .bind(&p.pesel)
            .bind(&p.first_name)
            .bind(&p.last_name)
            .bind(p.valid_from)
            .bind(p.valid_until)
            .bind(&p.confirmed_by)
            .bind(&p.service_point_id)
            .bind(&p.application)
            .execute(&mut *tx)
            .await?;
        }
        Self::audit_in(&mut tx, audit).await?;
        tx.commit().await?;
        Ok(true)
    }

    async fn trusted_profile(&self, user_id: &str) -> Result<Option<TrustedProfile>> {
        let r = sqlx::query(
            "SELECT user_id, pesel, first_name, last_name, valid_from, valid_until, confirmed_by, service_point_id, application, revoked_at \
             FROM trusted_profiles WHERE user_id = $1",
        )
        .bind(user_id)
        .fetch_optional(&self.reader)
        .await?;
        let Some(r) = r else { return Ok(None) };
        Ok(Some(TrustedProfile {
            user_id: r.try_get("user_id")?,
            pesel: r.try_get("pesel")?,
            first_name: r.try_get("first_name")?,
            last_name: r.try_get("last_name")?,
            valid_from: r.try_get("valid_from")?,
            valid_until: r.try_get("valid_until")?,
            confirmed_by: r.try_get("confirmed_by")?,
            service_point_id: r.try_get("service_point_id")?,
            application: r.try_get("application")?,
            revoked_at: r.try_get("revoked_at")?,
        }))
    }

    async fn profile_address(&self, user_id: &str) -> Result<Option<String>> {
        let r = sqlx::query("SELECT address FROM profile_addresses WHERE user_id = $1")
            .bind(user_id)
            .fetch_optional(&self.reader)
            .await?;
        Ok(match r {
            Some(r) => Some(r.try_get("address")?),
            None => None,
        })
    }

    async fn set_profile_address(
        &self,
        user_id: &str,
        address: Option<&str>,
        at: Millis,
        audit: &AuditEvent,
    ) -> Result<()> {
        let mut tx = self.writer.begin().await?;
        match address {
            Some(a) => sqlx::query(
                "INSERT INTO profile_addresses (user_id, address, updated_at) VALUES ($1, $2, $3) \
                 ON CONFLICT (user_id) DO UPDATE SET address = excluded.address, updated_at = excluded.updated_at",
            )
            .bind(user_id)
            .bind(a)
            .bind(at),
            None => sqlx::query("DELETE FROM profile_addresses WHERE user_id = $1").bind(user_id),
        }
        .execute(&mut *tx)
        .await?;
        Self::audit_in(&mut tx, audit).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn revoke_trusted_profile(
        &self,
        user_id: &str,
        at: Millis,
        audit: &AuditEvent,
    ) -> Result<bool> {
        let q = sqlx::query(
            "UPDATE trusted_profiles SET revoked_at = $1 WHERE user_id = $2 AND revoked_at IS NULL",
        )
        .bind(at)
        .bind(user_id);
        match self.exec_audited(q, audit).await {
            Ok(()) => Ok(true),
            Err(StoreError::NotFound) => Ok(false),
            Err(e) => Err(e),
        }
    }
}

pub(super) const TPA_COLS: &str = "number, user_id, pesel, first_name, last_name, id_document, email, phone, created_at, expires_at, status, decided_at, decided_by, service_point_id, reason";

pub(super) fn tpa_from(r: &AnyRow) -> std::result::Result<TpApplication, sqlx::Error> {
    Ok(TpApplication {
        number: r.try_get("number")?,
        user_id: r.try_get("user_id")?,
        pesel: r.try_get("pesel")?,
        first_name: r.try_get("first_name")?,
        last_name: r.try_get("last_name")?,
        id_document: r.try_get("id_document")?,
        email: r.try_get("email")?,
        phone: r.try_get("phone")?,
        created_at: r.try_get("created_at")?,
        expires_at: r.try_get("expires_at")?,
        status: status_of(r, okienko_domain::status::ApplicationStatus::parse)?,
        decided_at: r.try_get("decided_at")?,
        decided_by: r.try_get("decided_by")?,
        service_point_id: r.try_get("service_point_id")?,
        reason: r.try_get("reason")?,
    })
}
