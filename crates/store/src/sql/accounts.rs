//! [`crate::AccountStore`] in SQL.

use super::*;

#[async_trait]
impl crate::AccountStore for SqlStore {
    async fn create_user(&self, u: &User, grants: &[RoleGrant], audit: &AuditEvent) -> Result<()> {
        let mut tx = self.writer.begin().await?;
        sqlx::query(
            "INSERT INTO users (id, email, display_name, password_hash, email_verified, totp_secret, totp_last_step, locale, disabled, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind(&u.id)
        .bind(&u.email)
        .bind(&u.display_name)
        .bind(&u.password_hash)
        .bind(flag(u.email_verified))
        .bind(&u.totp_secret)
        .bind(u.totp_last_step)
        .bind(&u.locale)
        .bind(flag(u.disabled))
        .bind(u.created_at)
        .execute(&mut *tx)
        .await?;
        for g in grants {
            insert_grant(&mut tx, &u.id, g, u.created_at).await?;
        }
        Self::audit_in(&mut tx, audit).await?;
        tx.commit().await?;
        self.changed().await;
        Ok(())
    }

    async fn user_by_id(&self, id: &str) -> Result<Option<User>> {
        let q = format!("SELECT {USER_COLS} FROM users WHERE id = $1");
        self.opt(sqlx::query(&q).bind(id), user_from).await
    }

    async fn user_by_email(&self, email: &str) -> Result<Option<User>> {
        let q = format!("SELECT {USER_COLS} FROM users WHERE email = $1");
        self.opt(sqlx::query(&q).bind(email), user_from).await
    }

    async fn set_password(&self, user_id: &str, hash: &str, audit: &AuditEvent) -> Result<()> {
        let q = sqlx::query("UPDATE users SET password_hash = $1 WHERE id = $2")
            .bind(hash)
            .bind(user_id);
        let r = self.exec_audited(q, audit).await;
        self.changed().await;
        r
    }

    async fn set_email_verified(&self, user_id: &str, audit: &AuditEvent) -> Result<()> {
        let q = sqlx::query("UPDATE users SET email_verified = 1 WHERE id = $1").bind(user_id);
        let r = self.exec_audited(q, audit).await;
        self.changed().await;
        r
    }

    async fn set_email(&self, user_id: &str, email: &str, audit: &AuditEvent) -> Result<()> {
        let q = sqlx::query("UPDATE users SET email = $1, email_verified = 1 WHERE id = $2")
            .bind(email)
            .bind(user_id);
        let r = self.exec_audited(q, audit).await;
        self.changed().await;
        r
    }

    async fn set_totp(
        &self,
        user_id: &str,
        secret: Option<&str>,
        audit: &AuditEvent,
    ) -> Result<()> {
        let q =
            sqlx::query("UPDATE users SET totp_secret = $1, totp_last_step = NULL WHERE id = $2")
                .bind(secret)
                .bind(user_id);
        let r = self.exec_audited(q, audit).await;
        self.changed().await;
        r
    }

    async fn advance_totp_step(&self, user_id: &str, step: i64) -> Result<bool> {
        let n = sqlx::query(
            "UPDATE users SET totp_last_step = $1 WHERE id = $2 AND (totp_last_step IS NULL OR totp_last_step < $1)",
        )
        .bind(step)
        .bind(user_id)
        .execute(&self.writer)
        .await?
        .rows_affected();
        self.changed().await;
        Ok(n == 1)
    }

    async fn set_locale(&self, user_id: &str, locale: &str) -> Result<()> {
        sqlx::query("UPDATE users SET locale = $1 WHERE id = $2")
            .bind(locale)
            .bind(user_id)
            .execute(&self.writer)
            .await?;
        self.changed().await;
        Ok(())
    }

    async fn grants_of(&self, user_id: &str) -> Result<Vec<RoleGrant>> {
        if let Some(hit) = self.cache.grants(user_id) {
            return Ok(hit);
        }
        let generation = self.cache.generation();
        let rows = sqlx::query(
            "SELECT role, office_id, department_id, service_point_id FROM role_grants WHERE user_id = $1 ORDER BY created_at, id",
        )
        .bind(user_id)
        .fetch_all(&self.reader)
        .await?;
        let grants: Vec<RoleGrant> = rows
            .iter()
            .map(grant_from)
            .collect::<std::result::Result<_, _>>()?;
        self.cache.keep_grants(generation, user_id, grants.clone());
        Ok(grants)
    }

    async fn add_grant(&self, user_id: &str, grant: &RoleGrant, audit: &AuditEvent) -> Result<()> {
        let mut tx = self.writer.begin().await?;
        insert_grant(&mut tx, user_id, grant, audit.at).await?;
        Self::audit_in(&mut tx, audit).await?;
        tx.commit().await?;
        self.changed().await;
        Ok(())
    }

    async fn set_office_grant(
        &self,
        user_id: &str,
        office_id: &str,
        grant: &RoleGrant,
        audit: &AuditEvent,
    ) -> Result<()> {
        let mut tx = self.writer.begin().await?;
        sqlx::query("DELETE FROM role_grants WHERE user_id = $1 AND office_id = $2")
            .bind(user_id)
            .bind(office_id)
            .execute(&mut *tx)
            .await?;
        insert_grant(&mut tx, user_id, grant, audit.at).await?;
        Self::audit_in(&mut tx, audit).await?;
        tx.commit().await?;
        self.changed().await;
        Ok(())
    }

    async fn remove_office_grants(
        &self,
        user_id: &str,
        office_id: &str,
        audit: &AuditEvent,
    ) -> Result<()> {
        let q = sqlx::query("DELETE FROM role_grants WHERE user_id = $1 AND office_id = $2")
            .bind(user_id)
            .bind(office_id);
        let r = self.exec_audited(q, audit).await;
        self.changed().await;
        r
    }

    async fn office_staff(&self, office_id: &str) -> Result<Vec<(User, Vec<RoleGrant>)>> {
        let q = format!(
            "SELECT {USER_COLS} FROM users WHERE id IN (SELECT user_id FROM role_grants WHERE office_id = $1) ORDER BY display_name, id"
        );
        let users = sqlx::query(&q)
            .bind(office_id)
            .fetch_all(&self.reader)
            .await?;
        let grants = sqlx::query(
            "SELECT user_id, role, office_id, department_id, service_point_id FROM role_grants WHERE office_id = $1 ORDER BY created_at, id",
        )
        .bind(office_id)
        .fetch_all(&self.reader)
        .await?;
        let mut out = Vec::with_capacity(users.len());
        for r in &users {
            let u = user_from(r)?;
            let mut gs = Vec::new();
            for g in &grants {
                if g.try_get::<String, _>("user_id")? == u.id {
                    gs.push(grant_from(g)?);
                }
            }
            out.push((u, gs));
        }
        Ok(out)
    }

    async fn point_clerks(&self, service_point_id: &str) -> Result<Vec<User>> {
        let q = format!(
            "SELECT {USER_COLS} FROM users WHERE id IN (SELECT user_id FROM role_grants WHERE service_point_id = $1) ORDER BY display_name, id"
        );
        self.all(sqlx::query(&q).bind(service_point_id), user_from)
            .await
    }

    async fn create_session(&self, s: &Session) -> Result<()> {
        sqlx::query(
            "INSERT INTO sessions (token_hash, user_id, kind, csrf, created_at, expires_at, device) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(&s.token_hash)
        .bind(&s.user_id)
        .bind(&s.kind)
        .bind(&s.csrf)
        .bind(s.created_at)
        .bind(s.expires_at)
        .bind(&s.device)
        .execute(&self.writer)
        .await?;
        Ok(())
    }

    async fn session(&self, token_hash: &str, now: Millis) -> Result<Option<(Session, User)>> {
        if let Some(hit) = self.cache.session(token_hash) {
            return Ok((hit.0.expires_at > now).then_some(hit));
        }
        let generation = self.cache.generation();
        // One query for the session and its holder: this runs on every signed-in request.
        let r = sqlx::query(
            "SELECT s.token_hash, s.user_id, s.kind, s.csrf, s.created_at AS s_created_at, s.expires_at, s.device, \
                    u.id, u.email, u.display_name, u.password_hash, u.email_verified, u.totp_secret, \
                    u.totp_last_step, u.locale, u.disabled, u.created_at \
             FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.token_hash = $1 AND s.expires_at > $2",
        )
        .bind(token_hash)
        .bind(now)
        .fetch_optional(&self.reader)
        .await?;
        let Some(r) = r else {
            return Ok(None);
        };
        let user = user_from(&r)?;
        let session = session_from(&r)?;
        self.cache
            .keep_session(generation, token_hash, (session.clone(), user.clone()));
        Ok(Some((session, user)))
    }

    async fn delete_session(&self, token_hash: &str) -> Result<()> {
        sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
            .bind(token_hash)
            .execute(&self.writer)
            .await?;
        self.changed().await;
        Ok(())
    }

    async fn delete_user_sessions(&self, user_id: &str) -> Result<()> {
        sqlx::query("DELETE FROM sessions WHERE user_id = $1")
            .bind(user_id)
            .execute(&self.writer)
            .await?;
        self.changed().await;
        Ok(())
    }

    async fn user_sessions(&self, user_id: &str, now: Millis) -> Result<Vec<Session>> {
        let q = sqlx::query(
            "SELECT token_hash, user_id, kind, csrf, created_at AS s_created_at, expires_at, device FROM sessions \
             WHERE user_id = $1 AND expires_at > $2 ORDER BY created_at DESC, token_hash",
        )
        .bind(user_id)
        .bind(now);
        self.all(q, session_from).await
    }

    async fn delete_user_session(&self, user_id: &str, token_hash: &str) -> Result<bool> {
        let n = sqlx::query("DELETE FROM sessions WHERE user_id = $1 AND token_hash = $2")
            .bind(user_id)
            .bind(token_hash)
            .execute(&self.writer)
            .await?
            .rows_affected();
        self.changed().await;
        Ok(n == 1)
    }

    async fn delete_other_sessions(&self, user_id: &str, keep: &str) -> Result<()> {
        sqlx::query("DELETE FROM sessions WHERE user_id = $1 AND token_hash <> $2")
            .bind(user_id)
            .bind(keep)
            .execute(&self.writer)
            .await?;
        self.changed().await;
        Ok(())
    }

    async fn find_users(&self, text: &str, limit: i64) -> Result<Vec<User>> {
        let like = format!("%{}%", text.trim().to_lowercase().replace(['%', '_'], ""));
        let sql = format!(
            "SELECT {USER_COLS} FROM users WHERE LOWER(email) LIKE $1 OR LOWER(display_name) LIKE $1 \
             ORDER BY display_name, email LIMIT $2"
        );
        self.all(sqlx::query(&sql).bind(like).bind(limit), user_from)
            .await
    }

    async fn set_disabled(&self, user_id: &str, disabled: bool, audit: &AuditEvent) -> Result<()> {
        let q = sqlx::query("UPDATE users SET disabled = $1 WHERE id = $2")
            .bind(flag(disabled))
            .bind(user_id);
        let r = self.exec_audited(q, audit).await;
        self.changed().await;
        r
    }

    async fn set_display_name(&self, user_id: &str, name: &str, audit: &AuditEvent) -> Result<()> {
        let q = sqlx::query("UPDATE users SET display_name = $1 WHERE id = $2")
            .bind(name)
            .bind(user_id);
        let r = self.exec_audited(q, audit).await;
        self.changed().await;
        r
    }

    async fn create_token(
        &self,
        kind: &str,
        token_hash: &str,
        user_id: &str,
        expires_at: Millis,
    ) -> Result<()> {
        sqlx::query("INSERT INTO one_time_tokens (token_hash, kind, user_id, expires_at) VALUES ($1, $2, $3, $4)")
            .bind(token_hash)
            .bind(kind)
            .bind(user_id)
            .bind(expires_at)
            .execute(&self.writer)
            .await?;
        Ok(())
    }

    async fn replace_token(
        &self,
        kind: &str,
        token_hash: &str,
        user_id: &str,
        expires_at: Millis,
        audit: &AuditEvent,
    ) -> Result<()> {
        let mut tx = self.writer.begin().await?;
        sqlx::query(
            "DELETE FROM one_time_tokens WHERE user_id = $1 AND kind = $2 AND used_at IS NULL",
        )
        .bind(user_id)
        .bind(kind)
        .execute(&mut *tx)
        .await?;
        sqlx::query("INSERT INTO one_time_tokens (token_hash, kind, user_id, expires_at) VALUES ($1, $2, $3, $4)")
            .bind(token_hash)
            .bind(kind)
            .bind(user_id)
            .bind(expires_at)
            .execute(&mut *tx)
            .await?;
        Self::audit_in(&mut tx, audit).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn consume_token(
        &self,
        kind: &str,
        token_hash: &str,
        now: Millis,
    ) -> Result<Option<String>> {
        let r = sqlx::query(
            "UPDATE one_time_tokens SET used_at = $1 WHERE token_hash = $2 AND kind = $3 AND used_at IS NULL AND expires_at > $1 RETURNING user_id",
        )
        .bind(now)
        .bind(token_hash)
        .bind(kind)
        .fetch_optional(&self.writer)
        .await?;
        Ok(r.map(|r| r.try_get::<String, _>(0)).transpose()?)
    }

    async fn count_attempt(&self, keys: &[String], at: Millis, since: Millis) -> Result<Vec<i64>> {
        let mut tx = self.writer.begin().await?;
        for k in keys {
            sqlx::query("INSERT INTO login_failures (key, at) VALUES ($1, $2)")
                .bind(k)
                .bind(at)
                .execute(&mut *tx)
                .await?;
        }
        sqlx::query("DELETE FROM login_failures WHERE at < $1")
            .bind(since)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        let mut out = Vec::new();
        for k in keys {
            let r = sqlx::query("SELECT COUNT(*) FROM login_failures WHERE key = $1 AND at >= $2")
                .bind(k)
                .bind(since)
                .fetch_one(&self.writer)
                .await?;
            out.push(r.try_get::<i64, _>(0)?);
        }
        Ok(out)
    }

    async fn forget_attempt(&self, key: &str, at: Millis) -> Result<()> {
        sqlx::query("DELETE FROM login_failures WHERE key = $1 AND at = $2")
            .bind(key)
            .bind(at)
            .execute(&self.writer)
            .await?;
        Ok(())
    }

    async fn clear_login_failures(&self, key: &str) -> Result<()> {
        sqlx::query("DELETE FROM login_failures WHERE key = $1")
            .bind(key)
            .execute(&self.writer)
            .await?;
        Ok(())
    }
}

pub(super) fn user_from(r: &AnyRow) -> std::result::Result<User, sqlx::Error> {
    Ok(User {
        id: r.try_get("id")?,
        email: r.try_get("email")?,
        display_name: r.try_get("display_name")?,
        password_hash: r.try_get("password_hash")?,
        email_verified: r.try_get::<i64, _>("email_verified")? != 0,
        totp_secret: r.try_get("totp_secret")?,
        totp_last_step: r.try_get("totp_last_step")?,
        locale: r.try_get("locale")?,
        disabled: r.try_get::<i64, _>("disabled")? != 0,
        created_at: r.try_get("created_at")?,
    })
}

pub(super) fn grant_from(r: &AnyRow) -> std::result::Result<RoleGrant, sqlx::Error> {
    let role: String = r.try_get("role")?;
    Ok(RoleGrant {
        role: Role::parse(&role).map_err(|e| sqlx::Error::Decode(e.into()))?,
        office_id: r.try_get("office_id")?,
        department_id: r.try_get("department_id")?,
        service_point_id: r.try_get("service_point_id")?,
    })
}

pub(super) const USER_COLS: &str = "id, email, display_name, password_hash, email_verified, totp_secret, totp_last_step, locale, disabled, created_at";

pub(super) async fn insert_grant(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    user_id: &str,
    g: &RoleGrant,
    at: Millis,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO role_grants (id, user_id, role, office_id, department_id, service_point_id, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(new_id())
    .bind(user_id)
    .bind(g.role.as_str())
    .bind(&g.office_id)
    .bind(&g.department_id)
    .bind(&g.service_point_id)
    .bind(at)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// A session from a row that names its creation time `s_created_at` (the users it is joined
/// with have their own `created_at`).
fn session_from(r: &AnyRow) -> std::result::Result<Session, sqlx::Error> {
    Ok(Session {
        token_hash: r.try_get("token_hash")?,
        user_id: r.try_get("user_id")?,
        kind: r.try_get("kind")?,
        csrf: r.try_get("csrf")?,
        created_at: r.try_get("s_created_at")?,
        expires_at: r.try_get("expires_at")?,
        device: r.try_get("device")?,
    })
}
