//! The SQL implementation of [`Store`] over sqlx's `Any` driver, so SQLite and PostgreSQL share
//! every query. SQLite gets one writer connection (writes never contend for the lock, and a
//! transaction never has to upgrade a read lock) and a pool of readers (WAL lets them run
//! beside the writer); PostgreSQL uses one pool for both.

mod notices;

use crate::cache::ReadCache;
use crate::migrations::MIGRATIONS;
use crate::new_id;
use crate::{
    Attachment, CashReceipt, CounterDay, CounterVisit, Delivery, Department, EvidenceRecord,
    Folder, Job, JobCounts, ListFilter, LogLeaf, Mailbox, Message, MessageSummary, NewMessage,
    Office, PackedBlob, PaperLetter, PrintBatch, Result, ServicePoint, Session, Store, StoreError,
    TpApplication, TreeHead, TrustedProfile, User,
};
use async_trait::async_trait;
use okienko_domain::audit::{AuditEntry, AuditEvent};
use okienko_domain::{Millis, Role, RoleGrant};
use sqlx::any::{AnyConnectOptions, AnyPoolOptions, AnyRow};
use sqlx::{AnyPool, Executor, Row};
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

#[derive(Clone)]
pub struct SqlStore {
    backend: Backend,
    writer: AnyPool,
    reader: AnyPool,
    cache: Arc<ReadCache>,
    /// Held while any clone of the store lives; background work stops when it goes.
    _alive: Arc<()>,
}

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        if let Some(db) = e.as_database_error() {
            if db.is_unique_violation() {
                return StoreError::Conflict(db.constraint().unwrap_or(db.message()).to_string());
            }
        }
        StoreError::Db(e.to_string())
    }
}

fn flag(b: bool) -> i64 {
    i64::from(b)
}

impl SqlStore {
    pub async fn connect(url: &str) -> Result<Self> {
        sqlx::any::install_default_drivers();
        let backend = if url.starts_with("sqlite:") {
            Backend::Sqlite
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Backend::Postgres
        } else {
            return Err(StoreError::UnsupportedUrl(url.to_string()));
        };
        let opts = AnyConnectOptions::from_str(url).map_err(|e| StoreError::Db(e.to_string()))?;
        match backend {
            Backend::Postgres => {
                let pool = AnyPoolOptions::new()
                    .max_connections(16)
                    .acquire_timeout(Duration::from_secs(10))
                    .connect_with(opts)
                    .await?;
                Ok(SqlStore {
                    backend,
                    writer: pool.clone(),
                    reader: pool,
                    cache: Arc::default(),
                    _alive: Arc::default(),
                })
            }
            Backend::Sqlite => {
                let memory = url.contains(":memory:");
                let writer = AnyPoolOptions::new()
                    .max_connections(1)
                    .min_connections(1)
                    .idle_timeout(None)
                    .max_lifetime(None)
                    .after_connect(sqlite_writer_pragmas)
                    .connect_with(opts.clone())
                    .await?;
                let alive = Arc::new(());
                let reader = if memory {
                    writer.clone()
                } else {
                    let reader = AnyPoolOptions::new()
                        .max_connections(8)
                        .after_connect(sqlite_pragmas)
                        .connect_with(opts)
                        .await?;
                    checkpoints(reader.clone(), Arc::downgrade(&alive));
                    reader
                };
                Ok(SqlStore {
                    backend,
                    writer,
                    reader,
                    cache: Arc::default(),
                    _alive: alive,
                })
            }
        }
    }

    /// The writer pool, for tests that tamper with rows on purpose.
    pub fn raw_pool(&self) -> &AnyPool {
        // Whatever the caller changes, nothing cached is trusted afterwards.
        self.cache.changed();
        &self.writer
    }

    async fn audit_in(tx: &mut sqlx::Transaction<'_, sqlx::Any>, ev: &AuditEvent) -> Result<()> {
        // Writing the head first takes its row lock (PostgreSQL) before anything is read, so
        // concurrent appends line up one after the other.
        let head =
            sqlx::query("UPDATE audit_head SET seq = seq + 1 WHERE id = 1 RETURNING seq, hash")
                .fetch_one(&mut **tx)
                .await?;
        let seq: i64 = head.try_get("seq")?;
        let prev: String = head.try_get("hash")?;
        let entry = ev.chain(seq - 1, &prev);
        let hash = entry.hash();
        sqlx::query("UPDATE audit_head SET hash = $1 WHERE id = 1")
            .bind(&hash)
            .execute(&mut **tx)
            .await?;
        sqlx::query(
            "INSERT INTO audit_log (seq, at, actor_id, action, subject_id, object, reason, prev_hash, hash) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(entry.seq)
        .bind(entry.at)
        .bind(entry.actor_id)
        .bind(entry.action)
        .bind(entry.subject_id)
        .bind(entry.object)
        .bind(entry.reason)
        .bind(entry.prev_hash)
        .bind(hash)
        .execute(&mut **tx)
        .await?;
        Ok(())
    }

    /// Runs one statement and its audit event in a single transaction; `NotFound` when the
    /// statement touched no row.
    /// Records the moment a delivery was received (`opened_at` or `deemed_at`) with its
    /// evidence, in one transaction, unless it was already received either way.
    async fn settle_delivery(
        &self,
        column: &'static str,
        message_id: &str,
        recipient: &str,
        at: Millis,
        evidence: &EvidenceRecord,
    ) -> Result<bool> {
        let mut tx = self.writer.begin().await?;
        let sql = format!(
            "UPDATE deliveries SET {column} = $1 WHERE message_id = $2 AND recipient = $3 AND opened_at IS NULL AND deemed_at IS NULL"
        );
        let n = sqlx::query(&sql)
            .bind(at)
            .bind(message_id)
            .bind(recipient)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        if n == 0 {
            return Ok(false);
        }
        insert_evidence(&mut tx, &[evidence]).await?;
        tx.commit().await?;
        Ok(true)
    }

    async fn exec_audited<'q>(
        &self,
        q: sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>,
        ev: &AuditEvent,
    ) -> Result<()> {
        let mut tx = self.writer.begin().await?;
        let n = q.execute(&mut *tx).await?.rows_affected();
        if n == 0 {
            return Err(StoreError::NotFound);
        }
        Self::audit_in(&mut tx, ev).await?;
        tx.commit().await?;
        Ok(())
    }
}

/// SQLite connection set-up: WAL with FULL sync, so a commit is on disk before we answer.
fn sqlite_pragmas(
    conn: &mut sqlx::AnyConnection,
    _meta: sqlx::pool::PoolConnectionMetadata,
) -> futures_core::future::BoxFuture<'_, std::result::Result<(), sqlx::Error>> {
    Box::pin(async move {
        conn.execute(
            "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 10000;",
        )
        .await?;
        Ok(())
    })
}

/// The SQLite writer connection also gets a 64 MiB page cache, so a batch's pages are not
/// spilled to the WAL and written again before it commits, and no automatic checkpoint:
/// copying the WAL into the database would otherwise happen inside a commit, while every
/// sender waits. `checkpoints` does it in the background instead.
fn sqlite_writer_pragmas(
    conn: &mut sqlx::AnyConnection,
    meta: sqlx::pool::PoolConnectionMetadata,
) -> futures_core::future::BoxFuture<'_, std::result::Result<(), sqlx::Error>> {
    Box::pin(async move {
        sqlite_pragmas(conn, meta).await?;
        conn.execute("PRAGMA cache_size = -65536; PRAGMA wal_autocheckpoint = 0;")
            .await?;
        Ok(())
    })
}

/// Checkpoints the WAL of a SQLite file every 100 ms on a reader connection (PASSIVE:
/// alongside the writer, never blocking it), until the store is dropped. Often and small:
/// a large checkpoint's writes and sync hold up the commits' syncs on the same disk.
fn checkpoints(reader: AnyPool, alive: std::sync::Weak<()>) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_millis(100));
        loop {
            tick.tick().await;
            if alive.strong_count() == 0 {
                break;
            }
            if let Err(e) = sqlx::query("PRAGMA wal_checkpoint(PASSIVE)")
                .execute(&reader)
                .await
            {
                tracing::warn!(error = %e, "checkpointing the SQLite WAL");
            }
        }
    });
}

/// Splits a migration file into statements (they hold no `;` inside literals), dropping
/// chunks that are only comments.
fn statements(sql: &str) -> impl Iterator<Item = &str> {
    sql.split(';').map(str::trim).filter(|s| {
        s.lines().any(|l| {
            let l = l.trim();
            !l.is_empty() && !l.starts_with("--")
        })
    })
}

fn head_from(r: &AnyRow) -> std::result::Result<TreeHead, sqlx::Error> {
    Ok(TreeHead {
        tree_size: r.try_get("tree_size")?,
        timestamp_ms: r.try_get("timestamp_ms")?,
        root_hash: r.try_get("root_hash")?,
        signature: r.try_get("signature")?,
    })
}

fn user_from(r: &AnyRow) -> std::result::Result<User, sqlx::Error> {
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

fn grant_from(r: &AnyRow) -> std::result::Result<RoleGrant, sqlx::Error> {
    let role: String = r.try_get("role")?;
    Ok(RoleGrant {
        role: Role::parse(&role).map_err(|e| sqlx::Error::Decode(e.into()))?,
        office_id: r.try_get("office_id")?,
        department_id: r.try_get("department_id")?,
        service_point_id: r.try_get("service_point_id")?,
    })
}

fn office_from(r: &AnyRow) -> std::result::Result<Office, sqlx::Error> {
    Ok(Office {
        id: r.try_get("id")?,
        name: r.try_get("name")?,
        nip: r.try_get("nip")?,
        regon: r.try_get("regon")?,
        street: r.try_get("street")?,
        postal_code: r.try_get("postal_code")?,
        city: r.try_get("city")?,
        created_at: r.try_get("created_at")?,
    })
}

fn point_from(r: &AnyRow) -> std::result::Result<ServicePoint, sqlx::Error> {
    Ok(ServicePoint {
        id: r.try_get("id")?,
        name: r.try_get("name")?,
        street: r.try_get("street")?,
        postal_code: r.try_get("postal_code")?,
        city: r.try_get("city")?,
        is_open: r.try_get::<i64, _>("is_open")? != 0,
        created_at: r.try_get("created_at")?,
    })
}

fn dept_from(r: &AnyRow) -> std::result::Result<Department, sqlx::Error> {
    Ok(Department {
        id: r.try_get("id")?,
        office_id: r.try_get("office_id")?,
        code: r.try_get("code")?,
        name: r.try_get("name")?,
    })
}

fn audit_from(r: &AnyRow) -> std::result::Result<AuditEntry, sqlx::Error> {
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

const MAILBOX_COLS: &str =
    "address, kind, name, owner_user_id, office_id, pesel, nip, city, created_at";
const MAILBOX_COLS_M: &str =
    "m.address, m.kind, m.name, m.owner_user_id, m.office_id, m.pesel, m.nip, m.city, m.created_at";

fn mailbox_from(r: &AnyRow) -> std::result::Result<Mailbox, sqlx::Error> {
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

const DELIVERY_COLS: &str =
    "message_id, recipient, sent_at, delivered_at, opened_at, deemed_at, deemable";
/// Evidence rows with their signed bytes: kept in the row, or, when they are exactly the log
/// leaf the row points at (marked `=log`, which no base64 text can be), read from there.
/// Signed evidence is most of what a message adds to the database, and it is in the log
/// anyway.
const EVIDENCE_COLS: &str =
    "e.id, e.message_id, e.recipient, e.kind, e.issued_at, e.log_index, e.document, \
     CASE WHEN e.signed = '=log' THEN l.leaf ELSE e.signed END AS signed";
const EVIDENCE_FROM: &str = "evidence e LEFT JOIN log_leaves l ON l.idx = e.log_index";
/// The stored `signed` value of a new evidence row, given the row's log index (`$i`) and
/// signed bytes (`$s`).
fn evidence_signed_sql(i: usize, s: usize) -> String {
    format!("CASE WHEN (SELECT l.leaf FROM log_leaves l WHERE l.idx = ${i}) = ${s} THEN '=log' ELSE ${s} END")
}

fn delivery_from(r: &AnyRow) -> std::result::Result<Delivery, sqlx::Error> {
    Ok(Delivery {
        message_id: r.try_get("message_id")?,
        recipient: r.try_get("recipient")?,
        sent_at: r.try_get("sent_at")?,
        delivered_at: r.try_get("delivered_at")?,
        opened_at: r.try_get("opened_at")?,
        deemed_at: r.try_get("deemed_at")?,
        deemable: r.try_get::<i64, _>("deemable")? != 0,
    })
}

fn evidence_from(r: &AnyRow) -> std::result::Result<EvidenceRecord, sqlx::Error> {
    Ok(EvidenceRecord {
        id: r.try_get("id")?,
        message_id: r.try_get("message_id")?,
        recipient: r.try_get("recipient")?,
        kind: r.try_get("kind")?,
        issued_at: r.try_get("issued_at")?,
        log_index: r.try_get("log_index")?,
        document: r.try_get("document")?,
        signed_b64: r.try_get("signed")?,
    })
}

async fn insert_evidence(conn: &mut sqlx::AnyConnection, rows: &[&EvidenceRecord]) -> Result<()> {
    insert_rows(
        conn,
        "evidence (id, message_id, recipient, kind, issued_at, log_index, document, signed)",
        "",
        8,
        rows,
        |k| {
            let v: Vec<String> = (k..k + 7).map(|i| format!("${i}")).collect();
            format!("({}, {})", v.join(", "), evidence_signed_sql(k + 5, k + 7))
        },
        |q, e| {
            q.bind(&e.id)
                .bind(&e.message_id)
                .bind(&e.recipient)
                .bind(&e.kind)
                .bind(e.issued_at)
                .bind(e.log_index)
                .bind(&e.document)
                .bind(&e.signed_b64)
        },
    )
    .await
}

const USER_COLS: &str = "id, email, display_name, password_hash, email_verified, totp_secret, totp_last_step, locale, disabled, created_at";
const OFFICE_COLS: &str = "id, name, nip, regon, street, postal_code, city, created_at";
const POINT_COLS: &str = "id, name, street, postal_code, city, is_open, created_at";
const AUDIT_COLS: &str = "seq, at, actor_id, action, subject_id, object, reason, prev_hash";

#[async_trait]
impl Store for SqlStore {
    fn backend(&self) -> Backend {
        self.backend
    }

    async fn migrate(&self) -> Result<Vec<i64>> {
        sqlx::query("CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, name TEXT NOT NULL)")
            .execute(&self.writer)
            .await?;
        let rows = sqlx::query("SELECT version FROM schema_migrations")
            .fetch_all(&self.writer)
            .await?;
        let done: Vec<i64> = rows
            .iter()
            .map(|r| r.try_get::<i64, _>(0))
            .collect::<std::result::Result<_, _>>()?;
        let mut applied = Vec::new();
        for m in MIGRATIONS.iter().filter(|m| !done.contains(&m.version)) {
            let mut tx = self.writer.begin().await?;
            for stmt in statements(m.sql) {
                sqlx::query(stmt).execute(&mut *tx).await?;
            }
            sqlx::query("INSERT INTO schema_migrations (version, name) VALUES ($1, $2)")
                .bind(m.version)
                .bind(m.name)
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
            tracing::info!(version = m.version, name = m.name, "migration applied");
            applied.push(m.version);
        }
        Ok(applied)
    }

    fn pool_stats(&self) -> (u32, u32) {
        let mut size = self.writer.size();
        let mut idle = self.writer.num_idle() as u32;
        if self.backend == Backend::Sqlite {
            size += self.reader.size();
            idle += self.reader.num_idle() as u32;
        }
        (size, idle)
    }

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
        self.cache.changed();
        Ok(())
    }

    async fn user_by_id(&self, id: &str) -> Result<Option<User>> {
        let q = format!("SELECT {USER_COLS} FROM users WHERE id = $1");
        let r = sqlx::query(&q)
            .bind(id)
            .fetch_optional(&self.reader)
            .await?;
        Ok(r.as_ref().map(user_from).transpose()?)
    }

    async fn user_by_email(&self, email: &str) -> Result<Option<User>> {
        let q = format!("SELECT {USER_COLS} FROM users WHERE email = $1");
        let r = sqlx::query(&q)
            .bind(email)
            .fetch_optional(&self.reader)
            .await?;
        Ok(r.as_ref().map(user_from).transpose()?)
    }

    async fn set_password(&self, user_id: &str, hash: &str, audit: &AuditEvent) -> Result<()> {
        let q = sqlx::query("UPDATE users SET password_hash = $1 WHERE id = $2")
            .bind(hash)
            .bind(user_id);
        let r = self.exec_audited(q, audit).await;
        self.cache.changed();
        r
    }

    async fn set_email_verified(&self, user_id: &str, audit: &AuditEvent) -> Result<()> {
        let q = sqlx::query("UPDATE users SET email_verified = 1 WHERE id = $1").bind(user_id);
        let r = self.exec_audited(q, audit).await;
        self.cache.changed();
        r
    }

    async fn set_email(&self, user_id: &str, email: &str, audit: &AuditEvent) -> Result<()> {
        let q = sqlx::query("UPDATE users SET email = $1, email_verified = 1 WHERE id = $2")
            .bind(email)
            .bind(user_id);
        let r = self.exec_audited(q, audit).await;
        self.cache.changed();
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
        self.cache.changed();
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
        self.cache.changed();
        Ok(n == 1)
    }

    async fn set_locale(&self, user_id: &str, locale: &str) -> Result<()> {
        sqlx::query("UPDATE users SET locale = $1 WHERE id = $2")
            .bind(locale)
            .bind(user_id)
            .execute(&self.writer)
            .await?;
        self.cache.changed();
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
        self.cache.changed();
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
        self.cache.changed();
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
        let rows = sqlx::query(&q)
            .bind(service_point_id)
            .fetch_all(&self.reader)
            .await?;
        Ok(rows
            .iter()
            .map(user_from)
            .collect::<std::result::Result<_, _>>()?)
    }

    async fn create_session(&self, s: &Session) -> Result<()> {
        sqlx::query(
            "INSERT INTO sessions (token_hash, user_id, kind, csrf, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(&s.token_hash)
        .bind(&s.user_id)
        .bind(&s.kind)
        .bind(&s.csrf)
        .bind(s.created_at)
        .bind(s.expires_at)
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
            "SELECT s.token_hash, s.kind, s.csrf, s.created_at AS s_created_at, s.expires_at, \
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
        let session = Session {
            token_hash: r.try_get("token_hash")?,
            user_id: user.id.clone(),
            kind: r.try_get("kind")?,
            csrf: r.try_get("csrf")?,
            created_at: r.try_get("s_created_at")?,
            expires_at: r.try_get("expires_at")?,
        };
        self.cache
            .keep_session(generation, token_hash, (session.clone(), user.clone()));
        Ok(Some((session, user)))
    }

    async fn delete_session(&self, token_hash: &str) -> Result<()> {
        sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
            .bind(token_hash)
            .execute(&self.writer)
            .await?;
        self.cache.changed();
        Ok(())
    }

    async fn delete_user_sessions(&self, user_id: &str) -> Result<()> {
        sqlx::query("DELETE FROM sessions WHERE user_id = $1")
            .bind(user_id)
            .execute(&self.writer)
            .await?;
        self.cache.changed();
        Ok(())
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

    async fn create_office(&self, o: &Office, audit: &AuditEvent) -> Result<()> {
        let q = sqlx::query(
            "INSERT INTO offices (id, name, nip, regon, street, postal_code, city, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(&o.id)
        .bind(&o.name)
        .bind(&o.nip)
        .bind(&o.regon)
        .bind(&o.street)
        .bind(&o.postal_code)
        .bind(&o.city)
        .bind(o.created_at);
        self.exec_audited(q, audit).await
    }

    async fn update_office(&self, o: &Office, audit: &AuditEvent) -> Result<()> {
        let q = sqlx::query(
            "UPDATE offices SET name = $1, nip = $2, regon = $3, street = $4, postal_code = $5, city = $6 WHERE id = $7",
        )
        .bind(&o.name)
        .bind(&o.nip)
        .bind(&o.regon)
        .bind(&o.street)
        .bind(&o.postal_code)
        .bind(&o.city)
        .bind(&o.id);
        self.exec_audited(q, audit).await
    }

    async fn office(&self, id: &str) -> Result<Option<Office>> {
        let q = format!("SELECT {OFFICE_COLS} FROM offices WHERE id = $1");
        let r = sqlx::query(&q)
            .bind(id)
            .fetch_optional(&self.reader)
            .await?;
        Ok(r.as_ref().map(office_from).transpose()?)
    }

    async fn offices(&self) -> Result<Vec<Office>> {
        let q = format!("SELECT {OFFICE_COLS} FROM offices ORDER BY name, id");
        let rows = sqlx::query(&q).fetch_all(&self.reader).await?;
        Ok(rows
            .iter()
            .map(office_from)
            .collect::<std::result::Result<_, _>>()?)
    }

    async fn create_service_point(&self, p: &ServicePoint, audit: &AuditEvent) -> Result<()> {
        let q = sqlx::query(
            "INSERT INTO service_points (id, name, street, postal_code, city, is_open, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(&p.id)
        .bind(&p.name)
        .bind(&p.street)
        .bind(&p.postal_code)
        .bind(&p.city)
        .bind(flag(p.is_open))
        .bind(p.created_at);
        self.exec_audited(q, audit).await
    }

    async fn update_service_point(&self, p: &ServicePoint, audit: &AuditEvent) -> Result<()> {
        let q = sqlx::query(
            "UPDATE service_points SET name = $1, street = $2, postal_code = $3, city = $4, is_open = $5 WHERE id = $6",
        )
        .bind(&p.name)
        .bind(&p.street)
        .bind(&p.postal_code)
        .bind(&p.city)
        .bind(flag(p.is_open))
        .bind(&p.id);
        self.exec_audited(q, audit).await
    }

    async fn service_point(&self, id: &str) -> Result<Option<ServicePoint>> {
        let q = format!("SELECT {POINT_COLS} FROM service_points WHERE id = $1");
        let r = sqlx::query(&q)
            .bind(id)
            .fetch_optional(&self.reader)
            .await?;
        Ok(r.as_ref().map(point_from).transpose()?)
    }

    async fn service_points(&self) -> Result<Vec<ServicePoint>> {
        let q = format!("SELECT {POINT_COLS} FROM service_points ORDER BY name, id");
        let rows = sqlx::query(&q).fetch_all(&self.reader).await?;
        Ok(rows
            .iter()
            .map(point_from)
            .collect::<std::result::Result<_, _>>()?)
    }

    async fn create_department(&self, d: &Department, audit: &AuditEvent) -> Result<()> {
        let q = sqlx::query(
            "INSERT INTO departments (id, office_id, code, name) VALUES ($1, $2, $3, $4)",
        )
        .bind(&d.id)
        .bind(&d.office_id)
        .bind(&d.code)
        .bind(&d.name);
        self.exec_audited(q, audit).await
    }

    async fn departments(&self, office_id: &str) -> Result<Vec<Department>> {
        let rows = sqlx::query(
            "SELECT id, office_id, code, name FROM departments WHERE office_id = $1 ORDER BY code",
        )
        .bind(office_id)
        .fetch_all(&self.reader)
        .await?;
        Ok(rows
            .iter()
            .map(dept_from)
            .collect::<std::result::Result<_, _>>()?)
    }

    async fn delete_department(&self, office_id: &str, id: &str, audit: &AuditEvent) -> Result<()> {
        let mut tx = self.writer.begin().await?;
        sqlx::query("UPDATE role_grants SET department_id = NULL WHERE department_id = $1 AND office_id = $2")
            .bind(id)
            .bind(office_id)
            .execute(&mut *tx)
            .await?;
        let n = sqlx::query("DELETE FROM departments WHERE id = $1 AND office_id = $2")
            .bind(id)
            .bind(office_id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        if n == 0 {
            return Err(StoreError::NotFound);
        }
        Self::audit_in(&mut tx, audit).await?;
        tx.commit().await?;
        self.cache.changed();
        Ok(())
    }

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
        let rows = sqlx::query(&q)
            .bind(subject_id)
            .bind(limit)
            .fetch_all(&self.reader)
            .await?;
        Ok(rows
            .iter()
            .map(audit_from)
            .collect::<std::result::Result<_, _>>()?)
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

    async fn enqueue_job(
        &self,
        kind: &str,
        payload: &str,
        run_at: Millis,
        max_attempts: i64,
    ) -> Result<String> {
        let id = new_id();
        sqlx::query(
            "INSERT INTO jobs (id, kind, payload, run_at, attempts, max_attempts, created_at) VALUES ($1, $2, $3, $4, 0, $5, $4)",
        )
        .bind(&id)
        .bind(kind)
        .bind(payload)
        .bind(run_at)
        .bind(max_attempts)
        .execute(&self.writer)
        .await?;
        Ok(id)
    }

    async fn claim_jobs(&self, now: Millis, lease_ms: i64, limit: i64) -> Result<Vec<Job>> {
        // PostgreSQL: SKIP LOCKED lets several instances claim side by side without waiting
        // or double-claiming. SQLite has one writer, so the plain statement is already atomic.
        let lock = match self.backend {
            Backend::Postgres => " FOR UPDATE SKIP LOCKED",
            Backend::Sqlite => "",
        };
        let q = format!(
            "UPDATE jobs SET locked_until = $1, attempts = attempts + 1 WHERE id IN (\
               SELECT id FROM jobs WHERE done_at IS NULL AND failed_at IS NULL AND run_at <= $2 \
               AND (locked_until IS NULL OR locked_until <= $2) ORDER BY run_at LIMIT $3{lock}) \
             RETURNING id, kind, payload, attempts, max_attempts"
        );
        let rows = sqlx::query(&q)
            .bind(now + lease_ms)
            .bind(now)
            .bind(limit)
            .fetch_all(&self.writer)
            .await?;
        let mut jobs = Vec::with_capacity(rows.len());
        for r in &rows {
            jobs.push(Job {
                id: r.try_get("id")?,
                kind: r.try_get("kind")?,
                payload: r.try_get("payload")?,
                attempts: r.try_get("attempts")?,
                max_attempts: r.try_get("max_attempts")?,
            });
        }
        Ok(jobs)
    }

    async fn complete_jobs(&self, ids: &[String], now: Millis) -> Result<()> {
        for part in ids.chunks(64) {
            let q = format!(
                "UPDATE jobs SET done_at = $1, locked_until = NULL WHERE id IN {}",
                marks(2, part.len())
            );
            let mut q = sqlx::query(&q).bind(now);
            for id in part {
                q = q.bind(id);
            }
            q.execute(&self.writer).await?;
        }
        Ok(())
    }

    async fn fail_job(
        &self,
        id: &str,
        error: &str,
        retry_at: Option<Millis>,
        now: Millis,
    ) -> Result<()> {
        let q = match retry_at {
            Some(at) => sqlx::query("UPDATE jobs SET last_error = $1, run_at = $2, locked_until = NULL WHERE id = $3")
                .bind(error)
                .bind(at)
                .bind(id),
            None => sqlx::query("UPDATE jobs SET last_error = $1, failed_at = $2, locked_until = NULL WHERE id = $3")
                .bind(error)
                .bind(now)
                .bind(id),
        };
        q.execute(&self.writer).await?;
        Ok(())
    }

    async fn job_counts(&self) -> Result<JobCounts> {
        let r = sqlx::query(
            "SELECT \
               COALESCE(SUM(CASE WHEN done_at IS NULL AND failed_at IS NULL THEN 1 ELSE 0 END), 0) AS pending, \
               COALESCE(SUM(CASE WHEN done_at IS NOT NULL THEN 1 ELSE 0 END), 0) AS done, \
               COALESCE(SUM(CASE WHEN failed_at IS NOT NULL THEN 1 ELSE 0 END), 0) AS failed FROM jobs",
        )
        .fetch_one(&self.reader)
        .await?;
        Ok(JobCounts {
            pending: r.try_get("pending")?,
            done: r.try_get("done")?,
            failed: r.try_get("failed")?,
        })
    }

    async fn append_log_leaves(
        &self,
        expected_size: i64,
        leaves: &[(String, String)],
        at: Millis,
    ) -> Result<i64> {
        let mut tx = self.writer.begin().await?;
        let first = append_leaves_in(&mut tx, expected_size, leaves, at).await?;
        tx.commit().await?;
        Ok(first)
    }

    async fn append_log_and_messages(
        &self,
        expected_size: i64,
        leaves: &[(String, String)],
        at: Millis,
        packed: &[PackedBlob],
        batch: &[NewMessage],
    ) -> Result<(i64, Vec<Result<()>>)> {
        let mut tx = self.writer.begin().await?;
        let first = append_leaves_in(&mut tx, expected_size, leaves, at).await?;
        let results = insert_messages_in(&mut tx, packed, batch).await?;
        tx.commit().await?;
        Ok((first, results))
    }

    async fn log_leaf_hashes(&self) -> Result<Vec<String>> {
        let rows = sqlx::query("SELECT leaf_hash FROM log_leaves ORDER BY idx")
            .fetch_all(&self.reader)
            .await?;
        Ok(rows
            .iter()
            .map(|r| r.try_get::<String, _>(0))
            .collect::<std::result::Result<_, _>>()?)
    }

    async fn log_leaves(&self, from: i64, limit: i64) -> Result<Vec<LogLeaf>> {
        let rows = sqlx::query(
            "SELECT idx, leaf_hash, leaf FROM log_leaves WHERE idx >= $1 ORDER BY idx LIMIT $2",
        )
        .bind(from)
        .bind(limit)
        .fetch_all(&self.reader)
        .await?;
        let mut out = Vec::with_capacity(rows.len());
        for r in &rows {
            out.push(LogLeaf {
                idx: r.try_get("idx")?,
                leaf_hash: r.try_get("leaf_hash")?,
                leaf_b64: r.try_get("leaf")?,
            });
        }
        Ok(out)
    }

    async fn log_index_of(&self, leaf_hash: &str) -> Result<Option<i64>> {
        let r = sqlx::query("SELECT idx FROM log_leaves WHERE leaf_hash = $1 ORDER BY idx LIMIT 1")
            .bind(leaf_hash)
            .fetch_optional(&self.reader)
            .await?;
        Ok(r.map(|r| r.try_get::<i64, _>(0)).transpose()?)
    }

    async fn insert_tree_head(&self, h: &TreeHead) -> Result<()> {
        sqlx::query("INSERT INTO log_tree_heads (tree_size, timestamp_ms, root_hash, signature) VALUES ($1, $2, $3, $4)")
            .bind(h.tree_size)
            .bind(h.timestamp_ms)
            .bind(&h.root_hash)
            .bind(&h.signature)
            .execute(&self.writer)
            .await?;
        Ok(())
    }

    async fn latest_tree_head(&self) -> Result<Option<TreeHead>> {
        let r = sqlx::query("SELECT tree_size, timestamp_ms, root_hash, signature FROM log_tree_heads ORDER BY tree_size DESC LIMIT 1")
            .fetch_optional(&self.reader)
            .await?;
        Ok(r.as_ref().map(head_from).transpose()?)
    }

    async fn tree_heads(&self) -> Result<Vec<TreeHead>> {
        let rows = sqlx::query("SELECT tree_size, timestamp_ms, root_hash, signature FROM log_tree_heads ORDER BY tree_size")
            .fetch_all(&self.reader)
            .await?;
        Ok(rows
            .iter()
            .map(head_from)
            .collect::<std::result::Result<_, _>>()?)
    }

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
        self.cache.changed();
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
        self.cache.changed();
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
        self.cache.changed();
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
        let r = sqlx::query(&q)
            .bind(office_id)
            .fetch_optional(&self.reader)
            .await?;
        Ok(r.as_ref().map(mailbox_from).transpose()?)
    }

    async fn search_public_mailboxes(&self, q: &str, limit: i64) -> Result<Vec<Mailbox>> {
        let like = format!("%{}%", q.to_lowercase().replace(['\\', '%', '_'], ""));
        let sql = format!(
            "SELECT {MAILBOX_COLS} FROM mailboxes WHERE kind = 'public_body' \
             AND (LOWER(name) LIKE $1 OR nip LIKE $1 OR LOWER(city) LIKE $1) ORDER BY name, address LIMIT $2"
        );
        let rows = sqlx::query(&sql)
            .bind(like)
            .bind(limit)
            .fetch_all(&self.reader)
            .await?;
        Ok(rows
            .iter()
            .map(mailbox_from)
            .collect::<std::result::Result<_, _>>()?)
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
        let r = sqlx::query(&q)
            .bind(val)
            .fetch_optional(&self.reader)
            .await?;
        Ok(r.as_ref().map(mailbox_from).transpose()?)
    }

    async fn insert_messages(
        &self,
        packed: &[PackedBlob],
        batch: &[NewMessage],
    ) -> Result<Vec<Result<()>>> {
        let mut tx = self.writer.begin().await?;
        let results = insert_messages_in(&mut tx, packed, batch).await?;
        tx.commit().await?;
        Ok(results)
    }

    async fn packed_blob(&self, sha256: &str) -> Result<Option<PackedBlob>> {
        let r = sqlx::query(&format!(
            "SELECT {PACKED_COLS} FROM packed_blobs WHERE sha256 = $1"
        ))
        .bind(sha256)
        .fetch_optional(&self.reader)
        .await?;
        Ok(r.as_ref().map(packed_blob_from).transpose()?)
    }

    async fn packed_blobs_after(&self, after: &str, limit: i64) -> Result<Vec<PackedBlob>> {
        let rows = sqlx::query(&format!(
            "SELECT {PACKED_COLS} FROM packed_blobs WHERE sha256 > $1 ORDER BY sha256 LIMIT $2"
        ))
        .bind(after)
        .bind(limit)
        .fetch_all(&self.reader)
        .await?;
        Ok(rows
            .iter()
            .map(packed_blob_from)
            .collect::<std::result::Result<_, _>>()?)
    }

    async fn packed_among(&self, sha256s: &[String]) -> Result<Vec<String>> {
        if sha256s.is_empty() {
            return Ok(Vec::new());
        }
        let marks: Vec<String> = (1..=sha256s.len()).map(|i| format!("${i}")).collect();
        let q = format!(
            "SELECT sha256 FROM packed_blobs WHERE sha256 IN ({})",
            marks.join(", ")
        );
        let mut query = sqlx::query(&q);
        for h in sha256s {
            query = query.bind(h);
        }
        let rows = query.fetch_all(&self.writer).await?;
        Ok(rows
            .iter()
            .map(|r| r.try_get::<String, _>(0))
            .collect::<std::result::Result<_, _>>()?)
    }

    async fn message_by_idempotency(&self, sender: &str, key: &str) -> Result<Option<String>> {
        let r = sqlx::query("SELECT id FROM messages WHERE sender = $1 AND idempotency_key = $2")
            .bind(sender)
            .bind(key)
            .fetch_optional(&self.writer)
            .await?;
        Ok(r.map(|r| r.try_get::<String, _>(0)).transpose()?)
    }

    async fn message(&self, id: &str) -> Result<Option<Message>> {
        let r = sqlx::query(&format!(
            "SELECT {MESSAGE_COLS} FROM messages WHERE id = $1"
        ))
        .bind(id)
        .fetch_optional(&self.reader)
        .await?;
        Ok(r.as_ref().map(message_from).transpose()?)
    }

    async fn deliveries(&self, message_id: &str) -> Result<Vec<Delivery>> {
        let rows = sqlx::query(&format!(
            "SELECT {DELIVERY_COLS} FROM deliveries WHERE message_id = $1 ORDER BY recipient"
        ))
        .bind(message_id)
        .fetch_all(&self.reader)
        .await?;
        Ok(rows
            .iter()
            .map(delivery_from)
            .collect::<std::result::Result<_, _>>()?)
    }

    async fn attachments(&self, message_id: &str) -> Result<Vec<Attachment>> {
        let rows = sqlx::query("SELECT message_id, n, name, size, sha256, media_type FROM attachments WHERE message_id = $1 ORDER BY n")
            .bind(message_id)
            .fetch_all(&self.reader)
            .await?;
        let mut out = Vec::with_capacity(rows.len());
        for r in &rows {
            out.push(Attachment {
                message_id: r.try_get("message_id")?,
                n: r.try_get("n")?,
                name: r.try_get("name")?,
                size: r.try_get("size")?,
                sha256: r.try_get("sha256")?,
                media_type: r.try_get("media_type")?,
            });
        }
        Ok(out)
    }

    async fn list_messages(
        &self,
        address: &str,
        folder: Folder,
        filter: &ListFilter,
        before: Option<(Millis, String)>,
        limit: i64,
    ) -> Result<Vec<MessageSummary>> {
        // Keyset pagination on (sent_at, id), newest first; the inbox and sent folders each
        // walk an index, the archive merges both sides.
        let narrow = "($6 IS NULL OR LOWER(m.subject) LIKE $6 OR LOWER(m.sender) LIKE $6 \
             OR m.sender IN (SELECT address FROM mailboxes WHERE LOWER(name) LIKE $6)) \
             AND ($7 IS NULL OR m.sent_at >= $7) AND ($8 IS NULL OR m.sent_at < $8)";
        let inbox = |archived: &str| {
            format!(
                "SELECT m.id AS id, m.sender AS sender, m.subject AS subject, d.sent_at AS sent_at, d.opened_at AS opened_at, \
                 d.deemed_at AS deemed_at, d.delivered_at AS delivered_at, d.deemable AS deemable, 0 AS outgoing \
                 FROM deliveries d JOIN messages m ON m.id = d.message_id \
                 WHERE d.recipient = $1 AND d.archived_at IS {archived} AND {narrow}"
            )
        };
        let sent = |archived: &str| {
            format!(
                "SELECT m.id AS id, m.sender AS sender, m.subject AS subject, m.sent_at AS sent_at, NULL AS opened_at, \
                 NULL AS deemed_at, NULL AS delivered_at, 0 AS deemable, 1 AS outgoing \
                 FROM messages m WHERE m.sender = $1 AND m.sender_archived_at IS {archived} AND {narrow}"
            )
        };
        let source = match folder {
            Folder::Inbox => inbox("NULL"),
            Folder::Sent => sent("NULL"),
            Folder::Archive => format!("{} UNION ALL {}", inbox("NOT NULL"), sent("NOT NULL")),
        };
        let (at, id) = before.unwrap_or((i64::MAX, String::new()));
        let sql = format!(
            "SELECT * FROM ({source}) x WHERE (x.sent_at < $2 OR (x.sent_at = $2 AND x.id < $3) OR $4 = 1) \
             ORDER BY x.sent_at DESC, x.id DESC LIMIT $5"
        );
        let text = filter
            .text
            .as_deref()
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .map(|t| format!("%{}%", t.to_lowercase().replace(['%', '_'], "")));
        let rows = sqlx::query(&sql)
            .bind(address)
            .bind(at)
            .bind(&id)
            .bind(flag(id.is_empty() && at == i64::MAX))
            .bind(limit)
            .bind(text)
            .bind(filter.since)
            .bind(filter.until)
            .fetch_all(&self.reader)
            .await?;
        let mut out = Vec::with_capacity(rows.len());
        for r in &rows {
            out.push(MessageSummary {
                id: r.try_get("id")?,
                sender: r.try_get("sender")?,
                subject: r.try_get("subject")?,
                sent_at: r.try_get("sent_at")?,
                opened_at: r.try_get("opened_at")?,
                deemed_at: r.try_get("deemed_at")?,
                delivered_at: r.try_get("delivered_at")?,
                deemable: r.try_get::<i64, _>("deemable")? != 0,
                outgoing: r.try_get::<i64, _>("outgoing")? != 0,
            });
        }
        Ok(out)
    }

    async fn set_archived(
        &self,
        address: &str,
        message_id: &str,
        archived_at: Option<Millis>,
    ) -> Result<bool> {
        let mut tx = self.writer.begin().await?;
        let a = sqlx::query(
            "UPDATE deliveries SET archived_at = $1 WHERE recipient = $2 AND message_id = $3",
        )
        .bind(archived_at)
        .bind(address)
        .bind(message_id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        let b = sqlx::query(
            "UPDATE messages SET sender_archived_at = $1 WHERE sender = $2 AND id = $3",
        )
        .bind(archived_at)
        .bind(address)
        .bind(message_id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        tx.commit().await?;
        Ok(a + b > 0)
    }

    async fn is_archived(&self, address: &str, message_id: &str) -> Result<bool> {
        let r = sqlx::query(
            "SELECT 1 FROM deliveries WHERE recipient = $1 AND message_id = $2 AND archived_at IS NOT NULL \
             UNION ALL SELECT 1 FROM messages WHERE sender = $1 AND id = $2 AND sender_archived_at IS NOT NULL",
        )
        .bind(address)
        .bind(message_id)
        .fetch_optional(&self.reader)
        .await?;
        Ok(r.is_some())
    }

    async fn thread_of(&self, message_id: &str) -> Result<Vec<Message>> {
        let rows = sqlx::query(&format!(
            "SELECT {MESSAGE_COLS} FROM messages WHERE thread_id = (SELECT thread_id FROM messages WHERE id = $1) ORDER BY sent_at, id"
        ))
        .bind(message_id)
        .fetch_all(&self.reader)
        .await?;
        Ok(rows
            .iter()
            .map(message_from)
            .collect::<std::result::Result<_, _>>()?)
    }

    async fn mark_opened(
        &self,
        message_id: &str,
        recipient: &str,
        at: Millis,
        evidence: &EvidenceRecord,
    ) -> Result<bool> {
        self.settle_delivery("opened_at", message_id, recipient, at, evidence)
            .await
    }

    async fn due_for_deemed_delivery(
        &self,
        delivered_before: Millis,
        limit: i64,
    ) -> Result<Vec<Delivery>> {
        let rows = sqlx::query(&format!(
            "SELECT {DELIVERY_COLS} FROM deliveries WHERE deemable = 1 AND opened_at IS NULL AND deemed_at IS NULL AND delivered_at <= $1 ORDER BY delivered_at LIMIT $2"
        ))
        .bind(delivered_before)
        .bind(limit)
        .fetch_all(&self.reader)
        .await?;
        Ok(rows
            .iter()
            .map(delivery_from)
            .collect::<std::result::Result<_, _>>()?)
    }

    async fn mark_deemed(
        &self,
        message_id: &str,
        recipient: &str,
        at: Millis,
        evidence: &EvidenceRecord,
    ) -> Result<bool> {
        self.settle_delivery("deemed_at", message_id, recipient, at, evidence)
            .await
    }

    async fn recipients_of(&self, message_ids: &[String]) -> Result<Vec<(String, String)>> {
        if message_ids.is_empty() {
            return Ok(Vec::new());
        }
        let params: Vec<String> = (1..=message_ids.len()).map(|i| format!("${i}")).collect();
        let sql = format!("SELECT message_id, recipient FROM deliveries WHERE message_id IN ({}) ORDER BY message_id, recipient", params.join(", "));
        let mut q = sqlx::query(&sql);
        for id in message_ids {
            q = q.bind(id);
        }
        let rows = q.fetch_all(&self.reader).await?;
        let mut out = Vec::with_capacity(rows.len());
        for r in &rows {
            out.push((r.try_get::<String, _>(0)?, r.try_get::<String, _>(1)?));
        }
        Ok(out)
    }

    async fn insert_evidence(&self, e: &EvidenceRecord) -> Result<()> {
        let mut conn = self.writer.acquire().await?;
        insert_evidence(&mut conn, &[e]).await
    }

    async fn evidence_of_message(&self, message_id: &str) -> Result<Vec<EvidenceRecord>> {
        let rows = sqlx::query(&format!("SELECT {EVIDENCE_COLS} FROM {EVIDENCE_FROM} WHERE e.message_id = $1 ORDER BY e.issued_at, e.log_index"))
            .bind(message_id)
            .fetch_all(&self.reader)
            .await?;
        Ok(rows
            .iter()
            .map(evidence_from)
            .collect::<std::result::Result<_, _>>()?)
    }

    async fn evidence(&self, id: &str) -> Result<Option<EvidenceRecord>> {
        let r = sqlx::query(&format!(
            "SELECT {EVIDENCE_COLS} FROM {EVIDENCE_FROM} WHERE e.id = $1"
        ))
        .bind(id)
        .fetch_optional(&self.reader)
        .await?;
        Ok(r.as_ref().map(evidence_from).transpose()?)
    }

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
        let rows = sqlx::query(&q)
            .bind(service_point_id)
            .bind(limit)
            .fetch_all(&self.reader)
            .await?;
        Ok(rows
            .iter()
            .map(batch_from)
            .collect::<std::result::Result<_, _>>()?)
    }

    async fn print_batch(&self, id: &str) -> Result<Option<PrintBatch>> {
        let q = format!("SELECT {BATCH_COLS} FROM print_batches b WHERE b.id = $1");
        let r = sqlx::query(&q)
            .bind(id)
            .fetch_optional(&self.reader)
            .await?;
        Ok(r.as_ref().map(batch_from).transpose()?)
    }

    async fn batch_letters(&self, batch_id: &str) -> Result<Vec<PaperLetter>> {
        self.letters_where("batch_id = $1", batch_id).await
    }

    async fn advance_print_batch(
        &self,
        id: &str,
        from: &str,
        to: &str,
        by: &str,
        at: Millis,
        evidence: &[EvidenceRecord],
        audit: &AuditEvent,
    ) -> Result<bool> {
        self.paper_advance(id, from, to, by, at, evidence, audit)
            .await
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
        let r = sqlx::query(&format!(
            "SELECT {TPA_COLS} FROM tp_applications WHERE number = $1"
        ))
        .bind(number)
        .fetch_optional(&self.reader)
        .await?;
        Ok(r.as_ref().map(tpa_from).transpose()?)
    }

    async fn tp_applications_of(&self, user_id: &str) -> Result<Vec<TpApplication>> {
        let rows = sqlx::query(&format!(
            "SELECT {TPA_COLS} FROM tp_applications WHERE user_id = $1 ORDER BY created_at DESC, number"
        ))
        .bind(user_id)
        .fetch_all(&self.reader)
        .await?;
        Ok(rows
            .iter()
            .map(tpa_from)
            .collect::<std::result::Result<_, _>>()?)
    }

    async fn decide_tp_application(
        &self,
        number: &str,
        status: &str,
        by: &str,
        at: Millis,
        service_point_id: Option<&str>,
        reason: Option<&str>,
        profile: Option<&TrustedProfile>,
        audit: &AuditEvent,
    ) -> Result<bool> {
        let mut tx = self.writer.begin().await?;
        let n = sqlx::query(
            "UPDATE tp_applications SET status = $1, decided_at = $2, decided_by = $3, service_point_id = $4, reason = $5 \
             WHERE number = $6 AND status = 'pending'",
        )
        .bind(status)
        .bind(at)
        .bind(by)
        .bind(service_point_id)
        .bind(reason)
        .bind(number)
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
        Ok(Some(CounterVisit {
            id: r.try_get("id")?,
            service_point_id: r.try_get("service_point_id")?,
            clerk_id: r.try_get("clerk_id")?,
            citizen_id: r.try_get("citizen_id")?,
            consent_at: r.try_get("consent_at")?,
            started_at: r.try_get("started_at")?,
            ended_at: r.try_get("ended_at")?,
        }))
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
        let r = sqlx::query(
            "SELECT CAST(COALESCE(MAX(number), 0) + 1 AS BIGINT) AS n FROM cash_receipts WHERE service_point_id = $1",
        )
        .bind(service_point_id)
        .fetch_one(&self.writer)
        .await?;
        Ok(r.try_get("n")?)
    }

    async fn insert_receipt(&self, r: &CashReceipt, audit: &AuditEvent) -> Result<()> {
        let q = sqlx::query(
            "INSERT INTO cash_receipts (id, service_point_id, number, visit_id, clerk_id, citizen_id, amount, title, paid_at, document, signed, log_index) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
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
        .bind(r.log_index);
        self.exec_audited(q, audit).await
    }

    async fn receipt(&self, id: &str) -> Result<Option<CashReceipt>> {
        let r = sqlx::query(&format!(
            "SELECT {RECEIPT_COLS} FROM cash_receipts WHERE id = $1"
        ))
        .bind(id)
        .fetch_optional(&self.reader)
        .await?;
        Ok(r.as_ref().map(receipt_from).transpose()?)
    }

    async fn receipts_between(
        &self,
        service_point_id: &str,
        from: Millis,
        until: Millis,
    ) -> Result<Vec<CashReceipt>> {
        let rows = sqlx::query(&format!(
            "SELECT {RECEIPT_COLS} FROM cash_receipts WHERE service_point_id = $1 AND paid_at >= $2 AND paid_at < $3 ORDER BY number"
        ))
        .bind(service_point_id)
        .bind(from)
        .bind(until)
        .fetch_all(&self.reader)
        .await?;
        Ok(rows
            .iter()
            .map(receipt_from)
            .collect::<std::result::Result<_, _>>()?)
    }

    async fn setting(&self, key: &str) -> Result<Option<String>> {
        let r = sqlx::query("SELECT value FROM settings WHERE key = $1")
            .bind(key)
            .fetch_optional(&self.reader)
            .await?;
        Ok(r.map(|r| r.try_get::<String, _>(0)).transpose()?)
    }

    async fn setting_put(&self, key: &str, value: &str) -> Result<()> {
        sqlx::query("INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value")
            .bind(key)
            .bind(value)
            .execute(&self.writer)
            .await?;
        Ok(())
    }

    async fn setting_init(&self, key: &str, value: &str) -> Result<String> {
        sqlx::query(
            "INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING",
        )
        .bind(key)
        .bind(value)
        .execute(&self.writer)
        .await?;
        let r = sqlx::query("SELECT value FROM settings WHERE key = $1")
            .bind(key)
            .fetch_one(&self.writer)
            .await?;
        Ok(r.try_get::<String, _>(0)?)
    }
}

async fn insert_grant(
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

const PACKED_COLS: &str = "sha256, pack, pack_offset, length";

fn packed_blob_from(r: &AnyRow) -> std::result::Result<PackedBlob, sqlx::Error> {
    Ok(PackedBlob {
        sha256: r.try_get(0)?,
        pack: r.try_get(1)?,
        offset: r.try_get(2)?,
        length: r.try_get(3)?,
    })
}

const MESSAGE_COLS: &str =
    "id, sender, sender_user_id, subject, body, body_sha256, sent_at, idempotency_key, reply_to";

fn message_from(r: &AnyRow) -> std::result::Result<Message, sqlx::Error> {
    Ok(Message {
        id: r.try_get("id")?,
        sender: r.try_get("sender")?,
        sender_user_id: r.try_get("sender_user_id")?,
        subject: r.try_get("subject")?,
        body: r.try_get("body")?,
        body_sha256: r.try_get("body_sha256")?,
        sent_at: r.try_get("sent_at")?,
        idempotency_key: r.try_get("idempotency_key")?,
        reply_to: r.try_get("reply_to")?,
    })
}

/// Stores messages inside `tx` (see [`Store::insert_messages`]).
async fn insert_messages_in(
    tx: &mut sqlx::AnyConnection,
    packed: &[PackedBlob],
    batch: &[NewMessage],
) -> Result<Vec<Result<()>>> {
    // A blob packed twice keeps its first place.
    insert_rows(
        tx,
        "packed_blobs (sha256, pack, pack_offset, length)",
        " ON CONFLICT (sha256) DO NOTHING",
        4,
        packed,
        |k| marks(k, 4),
        |q, b| q.bind(&b.sha256).bind(b.pack).bind(b.offset).bind(b.length),
    )
    .await?;
    // All at once; only when that fails (a repeated idempotency key) one by one, so that
    // one conflict does not undo the others.
    let all: Vec<&NewMessage> = batch.iter().collect();
    let mut sp = sqlx::Connection::begin(&mut *tx).await?;
    if insert_message_rows(&mut sp, &all).await.is_ok() {
        sp.commit().await?;
        return Ok(batch.iter().map(|_| Ok(())).collect());
    }
    sp.rollback().await?;
    let mut out = Vec::with_capacity(batch.len());
    for m in batch {
        let mut sp = sqlx::Connection::begin(&mut *tx).await?;
        match insert_message_rows(&mut sp, &[m]).await {
            Ok(()) => {
                sp.commit().await?;
                out.push(Ok(()));
            }
            Err(e) => {
                sp.rollback().await?;
                out.push(Err(e));
            }
        }
    }
    Ok(out)
}

/// Appends log leaves inside `tx` (see [`Store::append_log_leaves`]).
async fn append_leaves_in(
    tx: &mut sqlx::AnyConnection,
    expected_size: i64,
    leaves: &[(String, String)],
    at: Millis,
) -> Result<i64> {
    // The count is read inside the writing transaction: on SQLite the single writer
    // serialises appends; on PostgreSQL a second writer's rows make the primary keys clash.
    // MAX on the primary key, not COUNT(*), which reads the whole table on SQLite; the
    // indexes are 0, 1, 2, … without gaps, so both give the size.
    let size: i64 = sqlx::query("SELECT CAST(COALESCE(MAX(idx) + 1, 0) AS BIGINT) FROM log_leaves")
        .fetch_one(&mut *tx)
        .await?
        .try_get(0)?;
    if size != expected_size {
        return Err(StoreError::Conflict(format!(
            "log has {size} leaves, expected {expected_size}"
        )));
    }
    let numbered: Vec<(i64, &(String, String))> = (size..).zip(leaves.iter()).collect();
    insert_rows(
        tx,
        "log_leaves (idx, leaf_hash, leaf, added_at)",
        "",
        4,
        &numbered,
        |k| marks(k, 4),
        |q, (idx, (hash, leaf))| q.bind(*idx).bind(hash).bind(leaf).bind(at),
    )
    .await?;
    Ok(size)
}

type AnyQuery<'q> = sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>;

/// Inserts `rows` with as few statements as the backends allow: `INSERT INTO {head} VALUES
/// (…), (…), … {tail}` with `row` giving each row's value list (placeholders numbered from the
/// argument) and `bind` binding that row's values in order. One statement per row costs a
/// round trip to the database thread each, which was most of the cost of storing a message.
async fn insert_rows<T: Sync>(
    conn: &mut sqlx::AnyConnection,
    head: &str,
    tail: &str,
    per_row: usize,
    rows: &[T],
    row: impl Fn(usize) -> String,
    bind: impl for<'a> Fn(AnyQuery<'a>, &'a T) -> AnyQuery<'a>,
) -> Result<()> {
    // Eight rows a statement: the few statement texts this makes (8 rows, then 1 to 7 for
    // the rest) stay in sqlx's prepared-statement cache instead of being parsed each time,
    // and binding stays cheap (sqlx finds each SQLite parameter by walking the list).
    let chunk = 8;
    for part in rows.chunks(chunk) {
        let values: Vec<String> = (0..part.len()).map(|k| row(k * per_row + 1)).collect();
        let sql = format!("INSERT INTO {head} VALUES {}{tail}", values.join(", "));
        let mut q = sqlx::query(&sql);
        for r in part {
            q = bind(q, r);
        }
        q.execute(&mut *conn).await?;
    }
    Ok(())
}

/// `($n, $n+1, …)` for `count` values.
fn marks(first: usize, count: usize) -> String {
    let v: Vec<String> = (first..first + count).map(|i| format!("${i}")).collect();
    format!("({})", v.join(", "))
}

/// Stores messages with their deliveries, attachments, paper letters and evidence, each
/// table in as few statements as possible.
async fn insert_message_rows(conn: &mut sqlx::AnyConnection, batch: &[&NewMessage]) -> Result<()> {
    let messages: Vec<&Message> = batch.iter().map(|n| &n.message).collect();
    insert_rows(
        conn,
        "messages (id, sender, sender_user_id, subject, body, body_sha256, sent_at, idempotency_key, reply_to, thread_id)",
        "",
        9,
        &messages,
        // A reply joins the thread of the message it answers; anything else starts one.
        |k| {
            format!(
                "(${a}, ${b}, ${c}, ${d}, ${e}, ${i}, ${f}, ${g}, ${h}, COALESCE((SELECT p.thread_id FROM messages p WHERE p.id = ${h}), ${a}))",
                a = k,
                b = k + 1,
                c = k + 2,
                d = k + 3,
                e = k + 4,
                f = k + 5,
                g = k + 6,
                h = k + 7,
                i = k + 8
            )
        },
        |q, m| {
            q.bind(&m.id)
                .bind(&m.sender)
                .bind(&m.sender_user_id)
                .bind(&m.subject)
                .bind(&m.body)
                .bind(m.sent_at)
                .bind(&m.idempotency_key)
                .bind(&m.reply_to)
                .bind(&m.body_sha256)
        },
    )
    .await?;
    let deliveries: Vec<&Delivery> = batch.iter().flat_map(|n| &n.deliveries).collect();
    insert_rows(
        conn,
        "deliveries (message_id, recipient, sent_at, delivered_at, opened_at, deemed_at, deemable)",
        "",
        5,
        &deliveries,
        |k| {
            format!(
                "(${}, ${}, ${}, ${}, NULL, NULL, ${})",
                k,
                k + 1,
                k + 2,
                k + 3,
                k + 4
            )
        },
        |q, d| {
            q.bind(&d.message_id)
                .bind(&d.recipient)
                .bind(d.sent_at)
                .bind(d.delivered_at)
                .bind(flag(d.deemable))
        },
    )
    .await?;
    let attachments: Vec<&Attachment> = batch.iter().flat_map(|n| &n.attachments).collect();
    insert_rows(
        conn,
        "attachments (message_id, n, name, size, sha256, media_type)",
        "",
        6,
        &attachments,
        |k| marks(k, 6),
        |q, a| {
            q.bind(&a.message_id)
                .bind(a.n)
                .bind(&a.name)
                .bind(a.size)
                .bind(&a.sha256)
                .bind(&a.media_type)
        },
    )
    .await?;
    let letters: Vec<&PaperLetter> = batch.iter().flat_map(|n| &n.letters).collect();
    insert_rows(
        conn,
        "paper_letters (id, message_id, tracking_number, verification_code, recipient_name, street, postal_code, city, service_point_id, batch_id, pages, pdf_sha256, created_at, outcome, outcome_at, outcome_by)",
        "",
        12,
        &letters,
        |k| {
            let v: Vec<String> = (k..k + 9).map(|i| format!("${i}")).collect();
            format!(
                "({}, NULL, ${}, ${}, ${}, NULL, NULL, NULL)",
                v.join(", "),
                k + 9,
                k + 10,
                k + 11
            )
        },
        |q, l| {
            q.bind(&l.id)
                .bind(&l.message_id)
                .bind(&l.tracking_number)
                .bind(&l.verification_code)
                .bind(&l.recipient_name)
                .bind(&l.street)
                .bind(&l.postal_code)
                .bind(&l.city)
                .bind(&l.service_point_id)
                .bind(l.pages)
                .bind(&l.pdf_sha256)
                .bind(l.created_at)
        },
    )
    .await?;
    let evidence: Vec<&EvidenceRecord> = batch.iter().flat_map(|n| &n.evidence).collect();
    insert_evidence(conn, &evidence).await?;
    // One row per person however many of the batch's messages reach them, in a fixed order
    // (two instances' commits then lock the rows in the same order).
    let mut counts: std::collections::BTreeMap<&str, i64> = Default::default();
    for u in batch.iter().flat_map(|n| &n.notify) {
        *counts.entry(u.as_str()).or_default() += 1;
    }
    let now = batch.iter().map(|n| n.message.sent_at).max().unwrap_or(0);
    let counts: Vec<(&str, i64)> = counts.into_iter().collect();
    notices::add_pending(conn, &counts, now).await
}

const LETTER_COLS: &str = "id, message_id, tracking_number, verification_code, recipient_name, street, postal_code, city, service_point_id, batch_id, pages, pdf_sha256, created_at, outcome, outcome_at, outcome_by";

fn letter_from(r: &AnyRow) -> std::result::Result<PaperLetter, sqlx::Error> {
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

const BATCH_COLS: &str = "b.id, b.service_point_id, b.status, b.created_at, b.created_by, b.printed_at, b.printed_by, b.dispatched_at, b.dispatched_by, \
     (SELECT COUNT(*) FROM paper_letters l WHERE l.batch_id = b.id) AS letters, \
     CAST((SELECT COALESCE(SUM(l.pages), 0) FROM paper_letters l WHERE l.batch_id = b.id) AS BIGINT) AS pages";

fn batch_from(r: &AnyRow) -> std::result::Result<PrintBatch, sqlx::Error> {
    Ok(PrintBatch {
        id: r.try_get("id")?,
        service_point_id: r.try_get("service_point_id")?,
        status: r.try_get("status")?,
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
        let rows = sqlx::query(&q).bind(arg).fetch_all(&self.reader).await?;
        Ok(rows
            .iter()
            .map(letter_from)
            .collect::<std::result::Result<_, _>>()?)
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

    #[allow(clippy::too_many_arguments)]
    async fn paper_advance(
        &self,
        id: &str,
        from: &str,
        to: &str,
        by: &str,
        at: Millis,
        evidence: &[EvidenceRecord],
        audit: &AuditEvent,
    ) -> Result<bool> {
        let sql = match to {
            "printed" => "UPDATE print_batches SET status = 'printed', printed_at = $1, printed_by = $2 WHERE id = $3 AND status = $4",
            "dispatched" => "UPDATE print_batches SET status = 'dispatched', dispatched_at = $1, dispatched_by = $2 WHERE id = $3 AND status = $4",
            other => return Err(StoreError::Db(format!("no batch status {other}"))),
        };
        let mut tx = self.writer.begin().await?;
        let n = sqlx::query(sql)
            .bind(at)
            .bind(by)
            .bind(id)
            .bind(from)
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

const TPA_COLS: &str = "number, user_id, pesel, first_name, last_name, id_document, email, phone, created_at, expires_at, status, decided_at, decided_by, service_point_id, reason";

fn tpa_from(r: &AnyRow) -> std::result::Result<TpApplication, sqlx::Error> {
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
        status: r.try_get("status")?,
        decided_at: r.try_get("decided_at")?,
        decided_by: r.try_get("decided_by")?,
        service_point_id: r.try_get("service_point_id")?,
        reason: r.try_get("reason")?,
    })
}

const RECEIPT_COLS: &str = "id, service_point_id, number, visit_id, clerk_id, citizen_id, amount, title, paid_at, document, signed, log_index";

fn receipt_from(r: &AnyRow) -> std::result::Result<CashReceipt, sqlx::Error> {
    Ok(CashReceipt {
        id: r.try_get("id")?,
        service_point_id: r.try_get("service_point_id")?,
        number: r.try_get("number")?,
        visit_id: r.try_get("visit_id")?,
        clerk_id: r.try_get("clerk_id")?,
        citizen_id: r.try_get("citizen_id")?,
        amount: r.try_get("amount")?,
        title: r.try_get("title")?,
        paid_at: r.try_get("paid_at")?,
        document: r.try_get("document")?,
        signed_b64: r.try_get("signed")?,
        log_index: r.try_get("log_index")?,
    })
}
