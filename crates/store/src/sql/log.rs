//! [`crate::LogStore`] in SQL.

use super::*;

#[async_trait]
impl crate::LogStore for SqlStore {
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
        records: &[(SignedRecord, AuditEvent)],
    ) -> Result<(i64, Vec<Result<()>>)> {
        let mut tx = self.writer.begin().await?;
        let first = append_leaves_in(&mut tx, expected_size, leaves, at).await?;
        let results = insert_messages_in(&mut tx, packed, batch).await?;
        for (r, ev) in records {
            super::counter::insert_signed_in(&mut tx, r).await?;
            Self::audit_in(&mut tx, ev).await?;
        }
        tx.commit().await?;
        Ok((first, results))
    }

    async fn log_leaf_hashes(&self, from: i64) -> Result<Vec<String>> {
        self.all(
            sqlx::query("SELECT leaf_hash FROM log_leaves WHERE idx >= $1 ORDER BY idx").bind(from),
            first_text,
        )
        .await
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
        // Several instances sign heads: under the appends' lock, a head is kept only if it is
        // larger and no older than every head kept, so sizes and times rise together.
        let mut tx = self.writer.begin().await?;
        lock_log(&mut tx).await?;
        let behind = sqlx::query(
            "SELECT 1 FROM log_tree_heads WHERE tree_size >= $1 OR timestamp_ms > $2 LIMIT 1",
        )
        .bind(h.tree_size)
        .bind(h.timestamp_ms)
        .fetch_optional(&mut *tx)
        .await?
        .is_some();
        if !behind {
            sqlx::query("INSERT INTO log_tree_heads (tree_size, timestamp_ms, root_hash, signature) VALUES ($1, $2, $3, $4)")
                .bind(h.tree_size)
                .bind(h.timestamp_ms)
                .bind(&h.root_hash)
                .bind(&h.signature)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn latest_tree_head(&self) -> Result<Option<TreeHead>> {
        self.opt(sqlx::query("SELECT tree_size, timestamp_ms, root_hash, signature FROM log_tree_heads ORDER BY tree_size DESC LIMIT 1"), head_from).await
    }

    async fn tree_heads(&self) -> Result<Vec<TreeHead>> {
        self.all(sqlx::query("SELECT tree_size, timestamp_ms, root_hash, signature FROM log_tree_heads ORDER BY tree_size"), head_from).await
    }
}

pub(super) fn head_from(r: &AnyRow) -> std::result::Result<TreeHead, sqlx::Error> {
    Ok(TreeHead {
        tree_size: r.try_get("tree_size")?,
        timestamp_ms: r.try_get("timestamp_ms")?,
        root_hash: r.try_get("root_hash")?,
        signature: r.try_get("signature")?,
    })
}

/// The advisory lock key that serialises appends to the evidence log on PostgreSQL.
const LOG_APPEND_LOCK: i64 = 0x6f6b_6c6f_6700;

/// Takes the log's lock until `tx` ends (on PostgreSQL; SQLite has one writer anyway).
async fn lock_log(tx: &mut sqlx::AnyConnection) -> Result<()> {
    if tx.backend_name() == "PostgreSQL" {
        sqlx::query("SELECT 1 FROM (SELECT pg_advisory_xact_lock($1)) AS l")
            .bind(LOG_APPEND_LOCK)
            .execute(&mut *tx)
            .await?;
    }
    Ok(())
}

/// Appends log leaves inside `tx` (see [`Store::append_log_leaves`]).
pub(super) async fn append_leaves_in(
    tx: &mut sqlx::AnyConnection,
    expected_size: i64,
    leaves: &[(String, String)],
    at: Millis,
) -> Result<i64> {
    // The count is read inside the writing transaction: on SQLite the single writer
    // serialises appends; on PostgreSQL instances take turns on an advisory lock that the
    // commit releases (without it a second writer's rows would make the primary keys clash,
    // after waiting for the first to commit).
    lock_log(tx).await?;
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
