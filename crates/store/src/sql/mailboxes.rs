//! [`crate::MailboxStore`] in SQL.

use super::*;

#[async_trait]
impl crate::MailboxStore for SqlStore {
    async fn create_mailbox(
        &self,
        m: &Mailbox,
        members: &[(String, String)],
        audit: &AuditEvent,
    ) -> Result<()> {
        let mut tx = self.writer.begin().await?;
        sqlx::query(
            "INSERT INTO mailboxes (address, kind, name, owner_user_id, office_id, pesel, nip, city, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(&m.address)
        .bind(&m.kind)
        .bind(&m.name)
        .bind(&m.owner_user_id)
        .bind(&m.office_id)
        .bind(&m.pesel)
        .bind(&m.nip)
        .bind(&m.city)
        .bind(m.created_at)
        .execute(&mut *tx)
        .await?;
        for (user, role) in members {
            sqlx::query("INSERT INTO mailbox_members (address, user_id, role) VALUES ($1, $2, $3)")
                .bind(&m.address)
                .bind(user)
                .bind(role)
                .execute(&mut *tx)
                .await?;
        }
        Self::audit_in(&mut tx, audit).await?;
        tx.commit().await?;
        self.changed().await;
        Ok(())
    }

    async fn add_mailbox_member(
        &self,
        address: &str,
        user_id: &str,
        role: &str,
        audit: &AuditEvent,
    ) -> Result<()> {
        let q =
            sqlx::query("INSERT INTO mailbox_members (address, user_id, role) VALUES ($1, $2, $3)")
                .bind(address)
                .bind(user_id)
                .bind(role);
        let r = self.exec_audited(q, audit).await;
        self.changed().await;
        r
    }

    async fn remove_mailbox_member(
        &self,
        address: &str,
        user_id: &str,
        audit: &AuditEvent,
    ) -> Result<()> {
        let q = sqlx::query("DELETE FROM mailbox_members WHERE address = $1 AND user_id = $2")
            .bind(address)
            .bind(user_id);
        let r = self.exec_audited(q, audit).await;
        self.changed().await;
        r
    }

    async fn mailbox_members(&self, address: &str) -> Result<Vec<(User, String)>> {
        let cols = USER_COLS
            .split(", ")
            .map(|c| format!("u.{c} AS {c}"))
            .collect::<Vec<_>>()
            .join(", ");
        let rows = sqlx::query(&format!(
            "SELECT {cols}, mm.role AS role FROM mailbox_members mm JOIN users u ON u.id = mm.user_id WHERE mm.address = $1 ORDER BY u.display_name, u.id"
        ))
        .bind(address)
        .fetch_all(&self.reader)
        .await?;
        let mut out = Vec::with_capacity(rows.len());
        for r in &rows {
            out.push((user_from(r)?, r.try_get("role")?));
        }
        Ok(out)
    }

    async fn mailbox(&self, address: &str) -> Result<Option<Mailbox>> {
        if let Some(hit) = self.cache.mailbox(address) {
            return Ok(Some(hit));
        }
        let generation = self.cache.generation();
        let q = format!("SELECT {MAILBOX_COLS} FROM mailboxes WHERE address = $1");
        let r = sqlx::query(&q)
            .bind(address)
            .fetch_optional(&self.reader)
            .await?;
        let m = r.as_ref().map(mailbox_from).transpose()?;
        if let Some(m) = &m {
            self.cache.keep_mailbox(generation, address, m.clone());
        }
        Ok(m)
    }

    async fn mailboxes_of_user(&self, user_id: &str) -> Result<Vec<(Mailbox, String)>> {
        if let Some(hit) = self.cache.memberships(user_id) {
            return Ok(hit);
        }
        let generation = self.cache.generation();
        let q = format!(
            "SELECT {MAILBOX_COLS}, 'owner' AS role FROM mailboxes WHERE owner_user_id = $1 \
             UNION ALL \
             SELECT {MAILBOX_COLS_M}, mm.role AS role FROM mailboxes m JOIN mailbox_members mm ON mm.address = m.address WHERE mm.user_id = $1 \
             ORDER BY name"
        );
        let rows = sqlx::query(&q)
            .bind(user_id)
            .fetch_all(&self.reader)
            .await?;
        let mut out = Vec::with_capacity(rows.len());
        for r in &rows {
            out.push((mailbox_from(r)?, r.try_get::<String, _>("role")?));
        }
        self.cache
            .keep_memberships(generation, user_id, out.clone());
        Ok(out)
    }

    async fn office_mailbox(&self, office_id: &str) -> Result<Option<Mailbox>> {
        let q = format!("SELECT {MAILBOX_COLS} FROM mailboxes WHERE office_id = $1 AND kind = 'public_body' ORDER BY created_at LIMIT 1");
        self.opt(sqlx::query(&q).bind(office_id), mailbox_from)
            .await
    }

    async fn search_public_mailboxes(&self, q: &str, limit: i64) -> Result<Vec<Mailbox>> {
        let like = format!("%{}%", q.to_lowercase().replace(['\\', '%', '_'], ""));
        let sql = format!(
            "SELECT {MAILBOX_COLS} FROM mailboxes WHERE kind = 'public_body' \
             AND (LOWER(name) LIKE $1 OR nip LIKE $1 OR LOWER(city) LIKE $1) ORDER BY name, address LIMIT $2"
        );
        self.all(sqlx::query(&sql).bind(like).bind(limit), mailbox_from)
            .await
    }

    async fn mailbox_by_identifier(
        &self,
        pesel: Option<&str>,
        nip: Option<&str>,
    ) -> Result<Option<Mailbox>> {
        let (col, val) = match (pesel, nip) {
            (Some(p), _) => ("pesel", p),
            (None, Some(n)) => ("nip", n),
            (None, None) => return Ok(None),
        };
        let q = format!("SELECT {MAILBOX_COLS} FROM mailboxes WHERE {col} = $1 AND kind <> 'public_body' ORDER BY created_at LIMIT 1");
        self.opt(sqlx::query(&q).bind(val), mailbox_from).await
    }
}

pub(super) const MAILBOX_COLS: &str =
    "address, kind, name, owner_user_id, office_id, pesel, nip, city, created_at";

pub(super) const MAILBOX_COLS_M: &str =
    "m.address, m.kind, m.name, m.owner_user_id, m.office_id, m.pesel, m.nip, m.city, m.created_at";

pub(super) fn mailbox_from(r: &AnyRow) -> std::result::Result<Mailbox, sqlx::Error> {
    Ok(Mailbox {
        address: r.try_get("address")?,
        kind: r.try_get("kind")?,
        name: r.try_get("name")?,
        owner_user_id: r.try_get("owner_user_id")?,
        office_id: r.try_get("office_id")?,
        pesel: r.try_get("pesel")?,
        nip: r.try_get("nip")?,
        city: r.try_get("city")?,
        created_at: r.try_get("created_at")?,
    })
}
