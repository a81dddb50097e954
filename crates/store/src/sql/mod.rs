//! The SQL implementation of [`Store`] over sqlx's `Any` driver, so SQLite and PostgreSQL share
//! every query. SQLite gets one writer connection (writes never contend for the lock, and a
//! transaction never has to upgrade a read lock) and a pool of readers (WAL lets them run
//! beside the writer); PostgreSQL uses one pool for both.

mod accounts;
mod appointments;
mod archive;
mod audit;
mod availability;
mod cases;
mod catalogue;
mod counter;
mod delivery;
mod evidence;
mod forms;
mod jobs;
mod library;
mod log;
mod mailboxes;
mod notices;
mod orgs;
mod paper;
mod payments;
mod places;
mod scans;
mod search;
mod settings;
mod substitutes;
mod tasks;
mod trusted;

use crate::prelude::*;
use accounts::*;
use delivery::*;
use evidence::*;

use crate::cache::ReadCache;
use crate::migrations::MIGRATIONS;
use crate::new_id;
use crate::{
    Attachment, CashReceipt, CounterDay, CounterVisit, Delivery, Department, EvidenceRecord,
    Folder, Handover, Job, JobCounts, ListFilter, LogLeaf, Mailbox, Message, MessageSummary,
    NewMessage, Office, PackedBlob, PaperLetter, PrintBatch, ReceiptVoid, Result, ServicePoint,
    Session, SignedRecord, Store, StoreError, TpApplication, TpDecision, TpOutcome, TreeHead,
    TrustedProfile, User,
};
use async_trait::async_trait;
use okienko_domain::audit::{AuditEntry, AuditEvent};
use okienko_domain::{Millis, Role, RoleGrant};
use sqlx::any::{AnyConnectOptions, AnyPoolOptions, AnyRow};
use sqlx::{AnyPool, Executor, Row};
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

/// A table of work that instances claim for a while: `set` takes the lease (`$1`, its end),
/// `due` picks and orders the rows due at `$2`.
pub(super) struct Claim {
    table: &'static str,
    key: &'static str,
    set: &'static str,
    due: &'static str,
    returning: &'static str,
}

/// A statement with its parameters bound, for either backend.
type Query<'q> = sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>;

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
    /// Full-text searches: the reader on SQLite; on PostgreSQL a few connections of their own
    /// that plan each search statement once (see [`postgres_search_session`]).
    searcher: AnyPool,
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
            // PostgreSQL's deadlock_detected and serialization_failure.
            if matches!(db.code().as_deref(), Some("40P01") | Some("40001")) {
                return StoreError::Transient(db.message().to_string());
            }
        }
        StoreError::Db(e.to_string())
    }
}

/// A status column read back as its type; a word no variant has is a decode error.
fn status_of<T>(r: &AnyRow, parse: fn(&str) -> Option<T>) -> std::result::Result<T, sqlx::Error> {
    let word: String = r.try_get("status")?;
    parse(&word).ok_or_else(|| sqlx::Error::Decode(format!("unknown status {word:?}").into()))
}

/// A row's first column as text (for queries that list one column).
fn first_text(r: &AnyRow) -> std::result::Result<String, sqlx::Error> {
    r.try_get(0)
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
                    .connect_with(opts.clone())
                    .await?;
                let searcher = AnyPoolOptions::new()
                    .max_connections(SEARCH_CONNECTIONS)
                    .acquire_timeout(Duration::from_secs(10))
                    .after_connect(postgres_search_session)
                    .connect_with(opts)
                    .await?;
                let cache: Arc<ReadCache> = Arc::default();
                listen_for_changes(url.to_string(), Arc::downgrade(&cache));
                Ok(SqlStore {
                    backend,
                    writer: pool.clone(),
                    reader: pool,
                    searcher,
                    cache,
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
                    checkpoints(reader.clone(), writer.clone(), Arc::downgrade(&alive));
                    reader
                };
                Ok(SqlStore {
                    backend,
                    writer,
                    searcher: reader.clone(),
                    reader,
                    cache: Arc::default(),
                    _alive: alive,
                })
            }
        }
    }

    /// Something cached may have changed (after a commit): this instance forgets its cache,
    /// and on PostgreSQL every other instance is told to forget theirs at once (NOTIFY, which
    /// their listeners receive; see [`listen_for_changes`]).
    async fn changed(&self) {
        self.cache.changed();
        if self.backend == Backend::Postgres {
            if let Err(e) = sqlx::query(&format!("NOTIFY {CHANGES_CHANNEL}"))
                .execute(&self.writer)
                .await
            {
                tracing::warn!(error = %e, "telling other instances that cached data changed");
            }
        }
    }

    /// Brings the planner's statistics up to date (`ANALYZE`), as an operator does after
    /// loading a large history; on SQLite without the per-value samples (see
    /// [`Self::forget_value_statistics`]).
    pub async fn analyze(&self) -> Result<()> {
        sqlx::query("ANALYZE").execute(&self.writer).await?;
        if self.backend == Backend::Sqlite {
            self.forget_value_statistics().await?;
            // The readers read the new statistics, whether or not there were samples to drop.
            self.statistics_changed().await?;
        }
        Ok(())
    }

    /// SQLite: drops the per-value samples ANALYZE keeps in `sqlite_stat4` (the bundled SQLite
    /// is built with STAT4) and makes every connection read the statistics again. With those
    /// samples present SQLite compiles a statement again on each new value bound to it, since
    /// the value might change the plan: a fifth of the server's time on the case list went
    /// to parsing its query again. The per-index counts (`sqlite_stat1`) stay and are all
    /// our indexed queries need. Run when the store opens and by [`Self::analyze`]; true when
    /// there were samples to drop.
    async fn forget_value_statistics(&self) -> Result<bool> {
        let has: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = 'sqlite_stat4'",
        )
        .fetch_one(&self.writer)
        .await?;
        if has == 0 {
            return Ok(false);
        }
        let rows: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM sqlite_stat4")
            .fetch_one(&self.writer)
            .await?;
        if rows == 0 {
            return Ok(false);
        }
        sqlx::query("DELETE FROM sqlite_stat4")
            .execute(&self.writer)
            .await?;
        Ok(true)
    }

    /// SQLite: connections read the statistics with the schema; a change of schema makes the
    /// others (the readers) read them again before their next statement.
    async fn statistics_changed(&self) -> Result<()> {
        sqlx::query("CREATE TABLE statistics_changed (x BIGINT)")
            .execute(&self.writer)
            .await?;
        sqlx::query("DROP TABLE statistics_changed")
            .execute(&self.writer)
            .await?;
        Ok(())
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

    /// Appends several audit events inside `tx`, chained in their order: the head is taken
    /// (and locked) once for all of them, and the entries go in by multi-row statements. What
    /// a batch of one-per-item commits needs, at a fraction of the round trips of
    /// [`Self::audit_in`] one by one.
    async fn audits_in(
        tx: &mut sqlx::Transaction<'_, sqlx::Any>,
        evs: &[&AuditEvent],
    ) -> Result<()> {
        if evs.is_empty() {
            return Ok(());
        }
        let head =
            sqlx::query("UPDATE audit_head SET seq = seq + $1 WHERE id = 1 RETURNING seq, hash")
                .bind(evs.len() as i64)
                .fetch_one(&mut **tx)
                .await?;
        let last: i64 = head.try_get("seq")?;
        let mut prev: String = head.try_get("hash")?;
        let mut seq = last - evs.len() as i64;
        let mut rows = Vec::with_capacity(evs.len());
        for ev in evs {
            let entry = ev.chain(seq, &prev);
            let hash = entry.hash();
            seq = entry.seq;
            prev = hash.clone();
            rows.push((entry, hash));
        }
        sqlx::query("UPDATE audit_head SET hash = $1 WHERE id = 1")
            .bind(&prev)
            .execute(&mut **tx)
            .await?;
        insert_rows(
            tx,
            "audit_log (seq, at, actor_id, action, subject_id, object, reason, prev_hash, hash)",
            "",
            9,
            &rows,
            |k| marks(k, 9),
            |q, (e, hash)| {
                q.bind(e.seq)
                    .bind(e.at)
                    .bind(&e.actor_id)
                    .bind(&e.action)
                    .bind(&e.subject_id)
                    .bind(&e.object)
                    .bind(&e.reason)
                    .bind(&e.prev_hash)
                    .bind(hash)
            },
        )
        .await
    }

    /// Every row a read query returns, each made into a `T` by `from` (on a reader).
    async fn all<'q, T>(
        &self,
        q: Query<'q>,
        from: fn(&AnyRow) -> std::result::Result<T, sqlx::Error>,
    ) -> Result<Vec<T>> {
        let rows = q.fetch_all(&self.reader).await?;
        Ok(rows
            .iter()
            .map(from)
            .collect::<std::result::Result<_, _>>()?)
    }

    /// The one row a read query may return, made into a `T` by `from` (on a reader).
    async fn opt<'q, T>(
        &self,
        q: Query<'q>,
        from: fn(&AnyRow) -> std::result::Result<T, sqlx::Error>,
    ) -> Result<Option<T>> {
        let r = q.fetch_optional(&self.reader).await?;
        Ok(r.as_ref().map(from).transpose()?)
    }

    /// Claims up to `limit` due rows of a work table (jobs, notices) for `lease_ms`, and returns
    /// them. PostgreSQL: SKIP LOCKED lets several instances claim side by side without waiting
    /// or double-claiming. SQLite has one writer, so the plain statement is already atomic.
    async fn claim<T>(
        &self,
        c: &Claim,
        (now, lease_ms, limit): (Millis, i64, i64),
        from: fn(&AnyRow) -> std::result::Result<T, sqlx::Error>,
    ) -> Result<Vec<T>> {
        let lock = match self.backend {
            Backend::Postgres => " FOR UPDATE SKIP LOCKED",
            Backend::Sqlite => "",
        };
        let Claim {
            table,
            key,
            set,
            due,
            returning,
        } = c;
        let q = format!(
            "UPDATE {table} SET {set} WHERE {key} IN (\
               SELECT {key} FROM {table} WHERE {due} LIMIT $3{lock}) RETURNING {returning}"
        );
        let rows = sqlx::query(&q)
            .bind(now + lease_ms)
            .bind(now)
            .bind(limit)
            .fetch_all(&self.writer)
            .await?;
        Ok(rows
            .iter()
            .map(from)
            .collect::<std::result::Result<_, _>>()?)
    }

    async fn exec_audited<'q>(&self, q: Query<'q>, ev: &AuditEvent) -> Result<()> {
        let mut tx = self.writer.begin().await?;
        let n = q.execute(&mut *tx).await?.rows_affected();
        if n == 0 {
            return Err(StoreError::NotFound);
        }
        Self::audit_in(&mut tx, ev).await?;
        tx.commit().await?;
        Ok(())
    }

    /// [`Self::exec_audited`] for a change that may find nothing to change: false then.
    async fn exec_audited_if(&self, q: Query<'_>, audit: &AuditEvent) -> Result<bool> {
        match self.exec_audited(q, audit).await {
            Ok(()) => Ok(true),
            Err(StoreError::NotFound) => Ok(false),
            Err(e) => Err(e),
        }
    }
}

/// The PostgreSQL channel on which instances tell each other that cached data changed.
const CHANGES_CHANNEL: &str = "okienko_cache";

/// Listens on PostgreSQL for other instances' changes (a revoked session, a removed grant, a
/// closed service point) and forgets the cache at each, until the store is dropped. While the
/// listening connection is down nothing is kept in the cache for long anyway (its TTL), and it
/// is forgotten again once listening resumes, for what was missed.
fn listen_for_changes(url: String, cache: std::sync::Weak<ReadCache>) {
    tokio::spawn(async move {
        while cache.strong_count() > 0 {
            match sqlx::postgres::PgListener::connect(&url).await {
                Ok(mut listener) => {
                    if let Err(e) = listener.listen(CHANGES_CHANNEL).await {
                        tracing::warn!(error = %e, "listening for other instances' changes");
                    } else {
                        // What changed while nobody listened is not known: forget it all.
                        let mut notified = true;
                        loop {
                            if notified {
                                let Some(c) = cache.upgrade() else { return };
                                c.changed();
                            }
                            // Wakes at least every few seconds to notice the store is gone.
                            match tokio::time::timeout(Duration::from_secs(5), listener.recv())
                                .await
                            {
                                Ok(Ok(_)) => notified = true,
                                Ok(Err(e)) => {
                                    tracing::warn!(error = %e, "listening for other instances' changes");
                                    break;
                                }
                                Err(_) if cache.strong_count() == 0 => return,
                                Err(_) => notified = false,
                            }
                        }
                    }
                }
                Err(e) => tracing::warn!(error = %e, "connecting to listen for changes"),
            }
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
    });
}

/// SQLite connection set-up: WAL with FULL sync, so a commit is on disk before we answer.
/// PostgreSQL connections for full-text searches: at most this many run at once (more wait
/// their turn in the pool, in order), so a burst of searches does not crowd out the rest.
const SEARCH_CONNECTIONS: u32 = 4;

/// A search statement has the same plan whatever its words (index ranges of `search_words`,
/// then the items by key), but PostgreSQL plans a prepared statement again on every execution
/// until it trusts a generic plan, and a search of two words is a union of a dozen ranges:
/// planning was a quarter of its time. The search connections keep one plan per statement.
fn postgres_search_session(
    conn: &mut sqlx::AnyConnection,
    _meta: sqlx::pool::PoolConnectionMetadata,
) -> futures_core::future::BoxFuture<'_, std::result::Result<(), sqlx::Error>> {
    Box::pin(async move {
        conn.execute("SET plan_cache_mode = force_generic_plan")
            .await?;
        Ok(())
    })
}

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
///
/// Under a steady stream of commits that alone never lets the WAL start again from its
/// beginning: a restart needs every frame copied at the moment the writer begins, and the
/// writer has always added some since. So once a second the writer itself, between two
/// commits, copies what is left (little, the readers did the rest); its next commit then
/// writes the WAL from the start. Without this the WAL grew by gigabytes in a minute, every
/// frame landing on a fresh page of the file, and lookups in the WAL index grew with it.
fn checkpoints(reader: AnyPool, writer: AnyPool, alive: std::sync::Weak<()>) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_millis(100));
        for n in 1u64.. {
            tick.tick().await;
            if alive.strong_count() == 0 {
                break;
            }
            let pool = if n % 10 == 0 { &writer } else { &reader };
            if let Err(e) = sqlx::query("PRAGMA wal_checkpoint(PASSIVE)")
                .execute(pool)
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

#[async_trait]
impl Store for SqlStore {
    fn backend(&self) -> Backend {
        self.backend
    }

    async fn ping(&self) -> Result<()> {
        sqlx::query("SELECT 1").fetch_one(&self.writer).await?;
        Ok(())
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
            // What SQL alone cannot fill: the search words of the services already there.
            if m.name == "service_words" {
                catalogue::index_words_in(&mut tx).await?;
            }
            if m.name == "search" {
                search::index_existing_in(&mut tx).await?;
            }
            if m.name == "submission_departments" {
                forms::departments_of_submissions_in(&mut tx).await?;
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
        if self.backend == Backend::Sqlite && self.forget_value_statistics().await? {
            self.statistics_changed().await?;
        }
        Ok(applied)
    }

    fn pool_stats(&self) -> (u32, u32) {
        let mut size = self.writer.size();
        let mut idle = self.writer.num_idle() as u32;
        let other = match self.backend {
            Backend::Sqlite => &self.reader,
            Backend::Postgres => &self.searcher,
        };
        size += other.size();
        idle += other.num_idle() as u32;
        (size, idle)
    }
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
    insert_rows_by(conn, 8, head, tail, per_row, rows, row, bind).await
}

/// [`insert_rows`] with `chunk` rows a statement (narrow rows that come by the dozen: search
/// words).
#[allow(clippy::too_many_arguments)]
async fn insert_rows_by<T: Sync>(
    conn: &mut sqlx::AnyConnection,
    chunk: usize,
    head: &str,
    tail: &str,
    per_row: usize,
    rows: &[T],
    row: impl Fn(usize) -> String,
    bind: impl for<'a> Fn(AnyQuery<'a>, &'a T) -> AnyQuery<'a>,
) -> Result<()> {
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
