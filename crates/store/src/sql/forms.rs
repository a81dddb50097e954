//! [`crate::FormsStore`] in SQL.

use super::*;
use crate::forms::{Draft, FormVersion, Submission, SubmissionExport};

const EXPORT_COLS: &str = "id, office_id, service_id, format, lang, requested_by, status, total, done, sha256, size, error, created_at, finished_at";

fn export_from(r: &AnyRow) -> std::result::Result<SubmissionExport, sqlx::Error> {
    Ok(SubmissionExport {
        id: r.try_get("id")?,
        office_id: r.try_get("office_id")?,
        service_id: r.try_get("service_id")?,
        format: r.try_get("format")?,
        lang: r.try_get("lang")?,
        requested_by: r.try_get("requested_by")?,
        status: r.try_get("status")?,
        total: r.try_get("total")?,
        done: r.try_get("done")?,
        sha256: r.try_get("sha256")?,
        size: r.try_get("size")?,
        error: r.try_get("error")?,
        created_at: r.try_get("created_at")?,
        finished_at: r.try_get("finished_at")?,
    })
}

fn version_from(r: &AnyRow) -> std::result::Result<FormVersion, sqlx::Error> {
    Ok(FormVersion {
        service_id: r.try_get("service_id")?,
        version: r.try_get("version")?,
        n: r.try_get("n")?,
        definition: r.try_get("definition")?,
        published_at: r.try_get("published_at")?,
        published_by: r.try_get("published_by")?,
    })
}

const VERSION_COLS: &str = "service_id, version, n, definition, published_at, published_by";
const DRAFT_COLS: &str = "id, user_id, service_id, version, answers, step, created_at, updated_at, expires_at, reminded_at";
const SUBMISSION_COLS: &str = "message_id, reference, service_id, office_id, user_id, version, answers, status, fee, upp_id, submitted_at, updated_at, updated_by, department";

fn draft_from(r: &AnyRow) -> std::result::Result<Draft, sqlx::Error> {
    Ok(Draft {
        id: r.try_get("id")?,
        user_id: r.try_get("user_id")?,
        service_id: r.try_get("service_id")?,
        version: r.try_get("version")?,
        answers: r.try_get("answers")?,
        step: r.try_get("step")?,
        created_at: r.try_get("created_at")?,
        updated_at: r.try_get("updated_at")?,
        expires_at: r.try_get("expires_at")?,
        reminded_at: r.try_get("reminded_at")?,
    })
}

fn submission_from(r: &AnyRow) -> std::result::Result<Submission, sqlx::Error> {
    Ok(Submission {
        message_id: r.try_get("message_id")?,
        reference: r.try_get("reference")?,
        service_id: r.try_get("service_id")?,
        office_id: r.try_get("office_id")?,
        user_id: r.try_get("user_id")?,
        version: r.try_get("version")?,
        answers: r.try_get("answers")?,
        status: r.try_get("status")?,
        fee: r.try_get("fee")?,
        upp_id: r.try_get("upp_id")?,
        submitted_at: r.try_get("submitted_at")?,
        updated_at: r.try_get("updated_at")?,
        updated_by: r.try_get("updated_by")?,
        department: r.try_get("department")?,
    })
}

/// A paid submission reaches the office (see [`crate::SubmissionRelease`]): moved from
/// awaiting payment to submitted, delivered to the office's mailbox, its evidence stored;
/// nothing when it was released before.
pub(super) async fn release_in(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    r: &crate::SubmissionRelease,
) -> Result<()> {
    let d = &r.delivery;
    let moved = sqlx::query(
        "UPDATE submissions SET status = 'submitted', updated_at = $1 \
         WHERE message_id = $2 AND status = 'awaiting-payment'",
    )
    .bind(d.delivered_at)
    .bind(&d.message_id)
    .execute(&mut **tx)
    .await?;
    if moved.rows_affected() == 0 {
        return Ok(());
    }
    sqlx::query(
        "INSERT INTO deliveries (message_id, recipient, sent_at, delivered_at, opened_at, deemed_at, deemable) \
         VALUES ($1, $2, $3, $4, NULL, NULL, $5)",
    )
    .bind(&d.message_id)
    .bind(&d.recipient)
    .bind(d.sent_at)
    .bind(d.delivered_at)
    .bind(i64::from(d.deemable))
    .execute(&mut **tx)
    .await?;
    // The office's mailbox finds it by what its sender's finds it by.
    super::search::copy_message_in(tx, &d.message_id, &d.recipient, d.sent_at).await?;
    super::evidence::insert_evidence(tx, &[&r.evidence]).await
}

/// Gives the submissions already stored their services' handling departments (migration
/// 0024): the department is inside each service's JSON, which SQL alone does not read on both
/// backends.
pub(super) async fn departments_of_submissions_in(conn: &mut sqlx::AnyConnection) -> Result<()> {
    let rows = sqlx::query(
        "SELECT id, spec FROM public_services WHERE id IN (SELECT service_id FROM submissions)",
    )
    .fetch_all(&mut *conn)
    .await?;
    for r in rows {
        let (id, spec): (String, String) = (r.try_get(0)?, r.try_get(1)?);
        let department = serde_json::from_str::<serde_json::Value>(&spec)
            .ok()
            .and_then(|v| v.get("department")?.as_str().map(str::to_string));
        sqlx::query("UPDATE submissions SET department = $1 WHERE service_id = $2")
            .bind(department)
            .bind(&id)
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

/// Stores the submissions of a batch of messages and deletes the drafts they came from, in
/// the messages' commit.
pub(super) async fn insert_submissions(
    conn: &mut sqlx::AnyConnection,
    rows: &[&crate::forms::NewSubmission],
) -> Result<()> {
    for s in rows {
        let r = &s.row;
        sqlx::query(&format!(
            "INSERT INTO submissions ({SUBMISSION_COLS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)"
        ))
        .bind(&r.message_id)
        .bind(&r.reference)
        .bind(&r.service_id)
        .bind(&r.office_id)
        .bind(&r.user_id)
        .bind(&r.version)
        .bind(&r.answers)
        .bind(&r.status)
        .bind(r.fee)
        .bind(&r.upp_id)
        .bind(r.submitted_at)
        .bind(r.updated_at)
        .bind(&r.updated_by)
        .bind(&r.department)
        .execute(&mut *conn)
        .await?;
        if let Some(d) = &s.draft_id {
            sqlx::query("DELETE FROM form_drafts WHERE id = $1")
                .bind(d)
                .execute(&mut *conn)
                .await?;
        }
    }
    Ok(())
}

#[async_trait]
impl crate::FormsStore for SqlStore {
    async fn publish_form(&self, f: &FormVersion, audit: &AuditEvent) -> Result<FormVersion> {
        let mut tx = self.writer.begin().await?;
        // The number comes from the database; two publishers of one service conflict on
        // UNIQUE (service_id, n) instead of sharing a number.
        let r = sqlx::query(
            "INSERT INTO service_forms (service_id, version, n, definition, published_at, published_by) \
             SELECT $1, $2, COALESCE(MAX(n), 0) + 1, $3, $4, $5 FROM service_forms WHERE service_id = $1 \
             RETURNING n",
        )
        .bind(&f.service_id)
        .bind(&f.version)
        .bind(&f.definition)
        .bind(f.published_at)
        .bind(&f.published_by)
        .fetch_one(&mut *tx)
        .await?;
        let n: i64 = r.try_get(0)?;
        sqlx::query("UPDATE public_services SET form_version = $1 WHERE id = $2")
            .bind(&f.version)
            .bind(&f.service_id)
            .execute(&mut *tx)
            .await?;
        Self::audit_in(&mut tx, audit).await?;
        tx.commit().await?;
        // The service's current version is cached with it.
        self.changed().await;
        Ok(FormVersion { n, ..f.clone() })
    }

    async fn form_versions(&self, service_id: &str) -> Result<Vec<FormVersion>> {
        let q = format!(
            "SELECT {VERSION_COLS} FROM service_forms WHERE service_id = $1 ORDER BY n DESC"
        );
        self.all(sqlx::query(&q).bind(service_id), version_from)
            .await
    }

    async fn form_version(&self, service_id: &str, version: &str) -> Result<Option<FormVersion>> {
        let q = format!(
            "SELECT {VERSION_COLS} FROM service_forms WHERE service_id = $1 AND version = $2"
        );
        self.opt(sqlx::query(&q).bind(service_id).bind(version), version_from)
            .await
    }

    async fn save_draft(&self, d: &Draft) -> Result<()> {
        sqlx::query(&format!(
            "INSERT INTO form_drafts ({DRAFT_COLS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) \
             ON CONFLICT (id) DO UPDATE SET version = excluded.version, answers = excluded.answers, \
               step = excluded.step, updated_at = excluded.updated_at, expires_at = excluded.expires_at, \
               reminded_at = excluded.reminded_at"
        ))
        .bind(&d.id)
        .bind(&d.user_id)
        .bind(&d.service_id)
        .bind(&d.version)
        .bind(&d.answers)
        .bind(d.step)
        .bind(d.created_at)
        .bind(d.updated_at)
        .bind(d.expires_at)
        .bind(d.reminded_at)
        .execute(&self.writer)
        .await?;
        Ok(())
    }

    async fn draft(&self, id: &str) -> Result<Option<Draft>> {
        let q = format!("SELECT {DRAFT_COLS} FROM form_drafts WHERE id = $1");
        self.opt(sqlx::query(&q).bind(id), draft_from).await
    }

    async fn drafts_of(&self, user_id: &str) -> Result<Vec<Draft>> {
        let q = format!(
            "SELECT {DRAFT_COLS} FROM form_drafts WHERE user_id = $1 ORDER BY updated_at DESC LIMIT 100"
        );
        self.all(sqlx::query(&q).bind(user_id), draft_from).await
    }

    async fn delete_draft(&self, id: &str, user_id: &str) -> Result<bool> {
        let r = sqlx::query("DELETE FROM form_drafts WHERE id = $1 AND user_id = $2")
            .bind(id)
            .bind(user_id)
            .execute(&self.writer)
            .await?;
        Ok(r.rows_affected() > 0)
    }

    async fn drafts_to_remind(
        &self,
        now: Millis,
        before: Millis,
        limit: i64,
    ) -> Result<Vec<Draft>> {
        let q = format!(
            "SELECT {DRAFT_COLS} FROM form_drafts WHERE reminded_at IS NULL \
             AND expires_at > $1 AND expires_at <= $2 ORDER BY expires_at LIMIT $3"
        );
        self.all(
            sqlx::query(&q).bind(now).bind(before).bind(limit),
            draft_from,
        )
        .await
    }

    async fn mark_draft_reminded(&self, id: &str, at: Millis) -> Result<bool> {
        let r = sqlx::query(
            "UPDATE form_drafts SET reminded_at = $1 WHERE id = $2 AND reminded_at IS NULL",
        )
        .bind(at)
        .bind(id)
        .execute(&self.writer)
        .await?;
        Ok(r.rows_affected() > 0)
    }

    async fn delete_expired_drafts(&self, now: Millis) -> Result<u64> {
        let r = sqlx::query("DELETE FROM form_drafts WHERE expires_at <= $1")
            .bind(now)
            .execute(&self.writer)
            .await?;
        Ok(r.rows_affected())
    }

    async fn submission(&self, reference: &str) -> Result<Option<Submission>> {
        let q = format!("SELECT {SUBMISSION_COLS} FROM submissions WHERE reference = $1");
        self.opt(sqlx::query(&q).bind(reference), submission_from)
            .await
    }

    async fn submission_of_message(&self, message_id: &str) -> Result<Option<Submission>> {
        let q = format!("SELECT {SUBMISSION_COLS} FROM submissions WHERE message_id = $1");
        self.opt(sqlx::query(&q).bind(message_id), submission_from)
            .await
    }

    async fn submissions_of(&self, user_id: &str, limit: i64) -> Result<Vec<Submission>> {
        let q = format!(
            "SELECT {SUBMISSION_COLS} FROM submissions WHERE user_id = $1 ORDER BY submitted_at DESC LIMIT $2"
        );
        self.all(sqlx::query(&q).bind(user_id).bind(limit), submission_from)
            .await
    }

    async fn office_submissions(
        &self,
        office_id: &str,
        service_id: Option<&str>,
        status: Option<&str>,
        department: Option<&str>,
        limit: i64,
    ) -> Result<Vec<Submission>> {
        let q = format!(
            "SELECT {SUBMISSION_COLS} FROM submissions WHERE office_id = $1 \
             AND ($2 = '' OR service_id = $2) \
             AND (($3 = '' AND status <> 'awaiting-payment') OR status = $3) \
             AND ($4 = '' OR department = $4) \
             ORDER BY submitted_at DESC LIMIT $5"
        );
        self.all(
            sqlx::query(&q)
                .bind(office_id)
                .bind(service_id.unwrap_or(""))
                .bind(status.unwrap_or(""))
                .bind(department.unwrap_or(""))
                .bind(limit),
            submission_from,
        )
        .await
    }

    async fn submissions_after(
        &self,
        service_id: &str,
        after: Option<(Millis, String)>,
        limit: i64,
    ) -> Result<Vec<Submission>> {
        let (at, id) = after.unwrap_or((i64::MIN, String::new()));
        let q = format!(
            "SELECT {SUBMISSION_COLS} FROM submissions WHERE service_id = $1 \
             AND (submitted_at > $2 OR (submitted_at = $2 AND message_id > $3)) \
             ORDER BY submitted_at, message_id LIMIT $4"
        );
        self.all(
            sqlx::query(&q)
                .bind(service_id)
                .bind(at)
                .bind(id)
                .bind(limit),
            submission_from,
        )
        .await
    }

    async fn count_submissions(&self, service_id: &str) -> Result<i64> {
        let r = sqlx::query("SELECT COUNT(*) FROM submissions WHERE service_id = $1")
            .bind(service_id)
            .fetch_one(&self.reader)
            .await?;
        Ok(r.try_get::<i64, _>(0)?)
    }

    async fn create_export(&self, e: &SubmissionExport, audit: &AuditEvent) -> Result<()> {
        let mut tx = self.writer.begin().await?;
        sqlx::query(&format!(
            "INSERT INTO submission_exports ({EXPORT_COLS}) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)"
        ))
        .bind(&e.id)
        .bind(&e.office_id)
        .bind(&e.service_id)
        .bind(&e.format)
        .bind(&e.lang)
        .bind(&e.requested_by)
        .bind(&e.status)
        .bind(e.total)
        .bind(e.done)
        .bind(&e.sha256)
        .bind(e.size)
        .bind(&e.error)
        .bind(e.created_at)
        .bind(e.finished_at)
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "INSERT INTO jobs (id, kind, payload, run_at, attempts, max_attempts, created_at) VALUES ($1, $2, $3, $4, 0, 3, $4)",
        )
        .bind(crate::new_id())
        .bind(crate::EXPORT_JOB)
        .bind(&e.id)
        .bind(e.created_at)
        .execute(&mut *tx)
        .await?;
        Self::audit_in(&mut tx, audit).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn export(&self, id: &str) -> Result<Option<SubmissionExport>> {
        let q = format!("SELECT {EXPORT_COLS} FROM submission_exports WHERE id = $1");
        self.opt(sqlx::query(&q).bind(id), export_from).await
    }

    async fn exports_of_service(
        &self,
        service_id: &str,
        limit: i64,
    ) -> Result<Vec<SubmissionExport>> {
        let q = format!(
            "SELECT {EXPORT_COLS} FROM submission_exports WHERE service_id = $1 \
             ORDER BY created_at DESC LIMIT $2"
        );
        self.all(sqlx::query(&q).bind(service_id).bind(limit), export_from)
            .await
    }

    async fn update_export(&self, e: &SubmissionExport) -> Result<()> {
        sqlx::query(
            "UPDATE submission_exports SET status = $1, total = $2, done = $3, sha256 = $4, \
             size = $5, error = $6, finished_at = $7 WHERE id = $8",
        )
        .bind(&e.status)
        .bind(e.total)
        .bind(e.done)
        .bind(&e.sha256)
        .bind(e.size)
        .bind(&e.error)
        .bind(e.finished_at)
        .bind(&e.id)
        .execute(&self.writer)
        .await?;
        Ok(())
    }

    async fn set_submission_status(
        &self,
        message_id: &str,
        from: &str,
        to: &str,
        at: Millis,
        by: &str,
        audit: &AuditEvent,
    ) -> Result<bool> {
        let mut tx = self.writer.begin().await?;
        let r = sqlx::query(
            "UPDATE submissions SET status = $1, updated_at = $2, updated_by = $3 \
             WHERE message_id = $4 AND status = $5",
        )
        .bind(to)
        .bind(at)
        .bind(by)
        .bind(message_id)
        .bind(from)
        .execute(&mut *tx)
        .await?;
        if r.rows_affected() == 0 {
            return Ok(false);
        }
        Self::audit_in(&mut tx, audit).await?;
        tx.commit().await?;
        Ok(true)
    }
}
