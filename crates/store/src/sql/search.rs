//! [`crate::SearchStore`] in SQL, and the indexing that the stores of cases, register
//! entries, documents and messages do in their own commits.
//!
//! Portable SQL on both backends (no FTS5, no GIN): `search_words` holds one row per (scope,
//! word, item), so the items with a word starting with `w` are one range of its key;
//! `search_items` holds each item's words on one line, so the other words asked are a `LIKE`
//! test on the few items the rarest word gave.

use super::*;
use crate::cases::CaseDocument;
use crate::search::{
    case_item, document_item, entry_item, message_item, SearchHit, SearchItem, SearchPage,
    SearchQuery, SEARCH_CANDIDATES,
};
use crate::Message;
use okienko_domain::search::{self, next_prefix, words_line};

/// Indexes a message in one more mailbox (a held submission reaching the office once paid)
/// as its sender's mailbox has it.
pub(super) async fn copy_message_in(
    conn: &mut sqlx::AnyConnection,
    message_id: &str,
    mailbox: &str,
    at: Millis,
) -> Result<()> {
    let sender: String = sqlx::query("SELECT sender FROM messages WHERE id = $1")
        .bind(message_id)
        .fetch_one(&mut *conn)
        .await?
        .try_get(0)?;
    let row = sqlx::query(
        "SELECT label, words FROM search_items WHERE scope = $1 AND kind = $2 AND item_id = $3",
    )
    .bind(search::mailbox_scope(&sender))
    .bind(search::KIND_MESSAGE)
    .bind(message_id)
    .fetch_optional(&mut *conn)
    .await?;
    let Some(row) = row else { return Ok(()) };
    let line: String = row.try_get("words")?;
    let item = SearchItem {
        scope: search::mailbox_scope(mailbox),
        kind: search::KIND_MESSAGE.into(),
        item_id: message_id.to_string(),
        at,
        label: row.try_get("label")?,
        opens: search::message_path(message_id),
        words: line
            .split(' ')
            .filter(|w| !w.is_empty())
            .map(str::to_string)
            .collect(),
    };
    index_in(conn, &[item]).await
}

/// Indexes what was stored before the index existed (the migration that adds it), a page
/// at a time.
pub(super) async fn index_existing_in(conn: &mut sqlx::AnyConnection) -> Result<()> {
    let cases = sqlx::query(&format!("SELECT {} FROM cases", super::cases::CASE_COLUMNS))
        .fetch_all(&mut *conn)
        .await?;
    let mut items = Vec::new();
    for r in &cases {
        items.push(case_item(&super::cases::case_from(r)?));
    }
    let entries = sqlx::query(&format!(
        "SELECT {} FROM register_entries",
        super::cases::ENTRY_COLUMNS
    ))
    .fetch_all(&mut *conn)
    .await?;
    for r in &entries {
        items.push(entry_item(&super::cases::entry_from(r)?));
    }
    items.extend(titled_documents_in(conn, "", None).await?);
    for part in items.chunks(500) {
        index_in(conn, part).await?;
    }
    // Messages by the thousand: a mailbox may hold millions.
    let mut after = String::new();
    loop {
        let rows = sqlx::query(
            "SELECT m.id, m.sender, m.subject, m.sent_at, d.recipient, d.sent_at AS delivered \
             FROM messages m LEFT JOIN deliveries d ON d.message_id = m.id \
             WHERE m.id IN (SELECT id FROM messages WHERE id > $1 ORDER BY id LIMIT 1000) ORDER BY m.id",
        )
        .bind(&after)
        .fetch_all(&mut *conn)
        .await?;
        let Some(last) = rows.last() else { break };
        after = last.try_get("id")?;
        let mut items = Vec::new();
        for r in &rows {
            let m = Message {
                id: r.try_get("id")?,
                sender: r.try_get("sender")?,
                subject: r.try_get("subject")?,
                sent_at: r.try_get("sent_at")?,
                ..Default::default()
            };
            items.push(message_item(&m, &m.sender, m.sent_at, ""));
            if let Some(to) = r.try_get::<Option<String>, _>("recipient")? {
                let at: i64 = r.try_get("delivered")?;
                items.push(message_item(&m, &to, at, ""));
            }
        }
        index_in(conn, &items).await?;
    }
    Ok(())
}

/// Documents as their titles alone index them (their texts are not kept): all of them, or
/// those of the cases `cases_sql` selects (`$1` bound to `bind`).
pub(super) async fn titled_documents_in(
    conn: &mut sqlx::AnyConnection,
    cases_sql: &str,
    bind: Option<&str>,
) -> Result<Vec<SearchItem>> {
    let mut sql =
        "SELECT d.id, d.case_id, d.title, d.created_at, c.department_id FROM case_documents d \
         JOIN cases c ON c.id = d.case_id"
            .to_string();
    if !cases_sql.is_empty() {
        sql.push_str(&format!(" WHERE d.case_id IN ({cases_sql})"));
    }
    let mut q = sqlx::query(&sql);
    if let Some(b) = bind {
        q = q.bind(b);
    }
    let mut items = Vec::new();
    for r in &q.fetch_all(&mut *conn).await? {
        let d = CaseDocument {
            id: r.try_get("id")?,
            case_id: r.try_get("case_id")?,
            title: r.try_get("title")?,
            created_at: r.try_get("created_at")?,
            ..Default::default()
        };
        let department: String = r.try_get("department_id")?;
        items.push(document_item(&department, &d, d.created_at, ""));
    }
    Ok(items)
}

/// Puts new items into the index (an item already there is left as it is).
pub(super) async fn index_in(conn: &mut sqlx::AnyConnection, items: &[SearchItem]) -> Result<()> {
    if items.is_empty() {
        return Ok(());
    }
    let lines: Vec<(&SearchItem, String)> =
        items.iter().map(|i| (i, words_line(&i.words))).collect();
    insert_rows(
        conn,
        "search_items (scope, kind, item_id, at, label, opens, words)",
        " ON CONFLICT DO NOTHING",
        7,
        &lines,
        |k| marks(k, 7),
        |q, (i, line)| {
            q.bind(&i.scope)
                .bind(&i.kind)
                .bind(&i.item_id)
                .bind(i.at)
                .bind(&i.label)
                .bind(&i.opens)
                .bind(line.as_str())
        },
    )
    .await?;
    let words: Vec<(&SearchItem, &str)> = items
        .iter()
        .flat_map(|i| i.words.iter().map(move |w| (i, w.as_str())))
        .collect();
    insert_rows_by(
        conn,
        64,
        "search_words (scope, kind, word, item_id)",
        " ON CONFLICT DO NOTHING",
        4,
        &words,
        |k| marks(k, 4),
        |q, (i, w)| q.bind(&i.scope).bind(&i.kind).bind(*w).bind(&i.item_id),
    )
    .await
}

/// Replaces what the index has of items (a document's new version) with them.
pub(super) async fn reindex_in(conn: &mut sqlx::AnyConnection, items: &[SearchItem]) -> Result<()> {
    for i in items {
        let old: Option<String> = sqlx::query(
            "SELECT words FROM search_items WHERE scope = $1 AND kind = $2 AND item_id = $3",
        )
        .bind(&i.scope)
        .bind(&i.kind)
        .bind(&i.item_id)
        .fetch_optional(&mut *conn)
        .await?
        .map(|r| r.try_get::<String, _>(0))
        .transpose()?;
        let Some(old) = old else { continue };
        let old: Vec<&str> = old.split(' ').filter(|w| !w.is_empty()).collect();
        for part in old.chunks(200) {
            let list: Vec<String> = (0..part.len()).map(|k| format!("${}", k + 4)).collect();
            let sql = format!(
                "DELETE FROM search_words WHERE scope = $1 AND kind = $2 AND item_id = $3 AND word IN ({})",
                list.join(", ")
            );
            let mut q = sqlx::query(&sql)
                .bind(&i.scope)
                .bind(&i.kind)
                .bind(&i.item_id);
            for w in part {
                q = q.bind(*w);
            }
            q.execute(&mut *conn).await?;
        }
        sqlx::query("DELETE FROM search_items WHERE scope = $1 AND kind = $2 AND item_id = $3")
            .bind(&i.scope)
            .bind(&i.kind)
            .bind(&i.item_id)
            .execute(&mut *conn)
            .await?;
    }
    index_in(conn, items).await
}

/// A word asked is looked up as each word of the index it starts, up to this many in a scope
/// and kind; a prefix that starts more is tested on the items' lines of words instead.
const EXPANDED_MAX: usize = 16;

/// Pushes a bind, returns its mark.
fn mark(binds: &mut Vec<String>, value: &str) -> String {
    binds.push(value.to_string());
    format!("${}", binds.len())
}

/// The `search_words` rows of one scope and kind whose word starts with `word`, older than
/// `before`: a WHERE clause, binds pushed. Read backwards, the newest of each word come first
/// (ids are time-ordered).
fn word_range(
    binds: &mut Vec<String>,
    q: &SearchQuery,
    scope: &str,
    kind: &str,
    word: &str,
) -> Option<String> {
    let next = next_prefix(word)?;
    let mut clause = format!(
        "scope = {} AND kind = {} AND word >= {} AND word < {}",
        mark(binds, scope),
        mark(binds, kind),
        mark(binds, word),
        mark(binds, &next)
    );
    if let Some(before) = &q.before {
        clause.push_str(&format!(" AND item_id < {}", mark(binds, before)));
    }
    Some(clause)
}

/// The candidates of a word: per scope and kind, its newest rows (at most `each`), as a
/// subquery of `(scope, kind, item_id)`.
fn candidates(binds: &mut Vec<String>, q: &SearchQuery, word: &str, each: i64) -> Option<String> {
    let mut parts = Vec::new();
    for scope in &q.scopes {
        for kind in &q.kinds {
            let clause = word_range(binds, q, scope, kind, word)?;
            parts.push(format!(
                "SELECT * FROM (SELECT scope, kind, item_id FROM search_words WHERE {clause} \
                 ORDER BY word DESC, item_id DESC LIMIT {each}) p{}",
                parts.len()
            ));
        }
    }
    Some(parts.join(" UNION ALL "))
}

fn bind_all<'a>(sql: &'a str, binds: &'a [String]) -> AnyQuery<'a> {
    let mut q = sqlx::query(sql);
    for b in binds {
        q = q.bind(b.as_str());
    }
    q
}

fn hit_from(r: &AnyRow) -> std::result::Result<SearchHit, sqlx::Error> {
    Ok(SearchHit {
        scope: r.try_get("scope")?,
        kind: r.try_get("kind")?,
        item_id: r.try_get("item_id")?,
        at: r.try_get("at")?,
        label: r.try_get("label")?,
        opens: r.try_get("opens")?,
    })
}

impl SqlStore {
    /// Puts items into the index in one commit (loading a large office's history: the
    /// benchmarks; everything okienko stores itself is indexed in its own commit).
    pub async fn index_items(&self, items: &[SearchItem]) -> Result<()> {
        let mut tx = self.writer.begin().await?;
        index_in(&mut tx, items).await?;
        tx.commit().await?;
        Ok(())
    }
}

#[async_trait]
impl crate::SearchStore for SqlStore {
    async fn search(&self, q: &SearchQuery) -> Result<SearchPage> {
        if q.scopes.is_empty() || q.kinds.is_empty() || q.words.is_empty() {
            return Ok(SearchPage::default());
        }
        let limit = q.limit.clamp(1, SEARCH_CANDIDATES);
        let mut words: Vec<&String> = q.words.iter().collect();
        words.sort_unstable();
        words.dedup();
        // One word: its newest rows of each scope and kind are the answer (no more than a
        // page of them is read).
        if let [only] = words.as_slice() {
            let mut binds = Vec::new();
            let Some(sub) = candidates(&mut binds, q, only, limit) else {
                return Ok(SearchPage::default());
            };
            let sql = format!(
                "SELECT i.scope, i.kind, i.item_id, i.at, i.label, i.opens FROM search_items i JOIN \
                 (SELECT DISTINCT c.scope, c.kind, c.item_id FROM ({sub}) c \
                  ORDER BY c.item_id DESC LIMIT {limit}) c \
                 ON i.scope = c.scope AND i.kind = c.kind AND i.item_id = c.item_id \
                 ORDER BY i.item_id DESC"
            );
            let hits = bind_all(&sql, &binds)
                .fetch_all(&self.searcher)
                .await?
                .iter()
                .map(hit_from)
                .collect::<std::result::Result<Vec<_>, _>>()?;
            return Ok(SearchPage {
                hits,
                capped: false,
            });
        }
        // More: the rarest word drives, the others are looked up on its candidates.
        self.search_in_two(q, &words, limit).await
    }
}

impl SqlStore {
    /// Several words in two statements. The first counts each word's candidates (each no
    /// further than the candidates a search looks at) and lists the words of the index each
    /// starts (read one by one from the index, at most [`EXPANDED_MAX`] of a scope and kind).
    /// The second takes the rarest word's candidates and keeps those that have the others: by
    /// looking up the exact (scope, kind, word, item) key of each word a prefix starts, in the
    /// index (a few lookups in one small part of it), or, for a prefix that starts more words
    /// than that, by testing the item's line of words. Only the page's items are read.
    async fn search_in_two(
        &self,
        q: &SearchQuery,
        words: &[&String],
        limit: i64,
    ) -> Result<SearchPage> {
        let mut binds = Vec::new();
        let mut counts = Vec::new();
        let mut ctes = Vec::new();
        let mut listed = Vec::new();
        for (k, w) in words.iter().enumerate() {
            let Some(sub) = candidates(&mut binds, q, w, SEARCH_CANDIDATES) else {
                return Ok(SearchPage::default());
            };
            counts.push(format!(
                "SELECT CAST({k} AS BIGINT) AS w, COUNT(*) AS n FROM ({sub}) x{k} GROUP BY scope, kind"
            ));
            for scope in &q.scopes {
                for kind in &q.kinds {
                    let Some(next) = next_prefix(w) else {
                        return Ok(SearchPage::default());
                    };
                    let name = format!("e{}", ctes.len());
                    let (sc, kd, wd, nx) = (
                        mark(&mut binds, scope),
                        mark(&mut binds, kind),
                        mark(&mut binds, w),
                        mark(&mut binds, &next),
                    );
                    let from = format!("FROM search_words WHERE scope = {sc} AND kind = {kd}");
                    ctes.push(format!(
                        "{name}(word, n) AS (SELECT (SELECT MIN(word) {from} AND word >= {wd} AND word < {nx}), 1 \
                         UNION ALL SELECT (SELECT MIN(word) {from} AND word > {name}.word AND word < {nx}), {name}.n + 1 \
                         FROM {name} WHERE {name}.word IS NOT NULL AND {name}.n <= {EXPANDED_MAX})"
                    ));
                    listed.push(format!(
                        "SELECT CAST({k} AS BIGINT), CAST(NULL AS BIGINT), CAST(NULL AS BIGINT), word FROM {name} WHERE word IS NOT NULL"
                    ));
                }
            }
        }
        let sql = format!(
            "WITH RECURSIVE {} SELECT w, CAST(SUM(n) AS BIGINT), CAST(MAX(n) AS BIGINT), CAST(NULL AS TEXT) \
             FROM ({}) y GROUP BY w UNION ALL {}",
            ctes.join(", "),
            counts.join(" UNION ALL "),
            listed.join(" UNION ALL ")
        );
        let rows = bind_all(&sql, &binds).fetch_all(&self.searcher).await?;
        let mut driver: Option<(i64, i64, usize)> = None;
        let mut started: Vec<Vec<String>> = vec![Vec::new(); words.len()];
        let mut counted = 0;
        for row in &rows {
            let k: i64 = row.try_get(0)?;
            let k = k as usize;
            if k >= words.len() {
                continue;
            }
            if let Some(word) = row.try_get::<Option<String>, _>(3)? {
                started[k].push(word);
                continue;
            }
            let (n, most): (i64, i64) = (row.try_get(1)?, row.try_get(2)?);
            counted += 1;
            if driver.is_none_or(|(m, _, _)| n < m) {
                driver = Some((n, most, k));
            }
        }
        let Some((_, most, first)) = driver.filter(|_| counted == words.len()) else {
            // A word that nothing has.
            return Ok(SearchPage::default());
        };
        let mut binds = Vec::new();
        let Some(sub) = candidates(&mut binds, q, words[first], SEARCH_CANDIDATES) else {
            return Ok(SearchPage::default());
        };
        let (mut has, mut like) = (String::new(), String::new());
        for (k, w) in words.iter().enumerate().filter(|(k, _)| *k != first) {
            let mut exact = std::mem::take(&mut started[k]);
            exact.sort_unstable();
            exact.dedup();
            if exact.len() > EXPANDED_MAX {
                like.push_str(&format!(
                    " AND i.words LIKE {}",
                    mark(&mut binds, &format!("% {w}%"))
                ));
                continue;
            }
            let list: Vec<String> = exact.iter().map(|x| mark(&mut binds, x)).collect();
            has.push_str(&format!(
                " AND EXISTS (SELECT 1 FROM search_words w WHERE w.scope = c.scope AND w.kind = c.kind \
                 AND w.word IN ({}) AND w.item_id = c.item_id)",
                list.join(", ")
            ));
        }
        // Without a line test the page is cut before its items are read.
        let page = if like.is_empty() {
            format!(" ORDER BY c.item_id DESC LIMIT {limit}")
        } else {
            String::new()
        };
        let sql = format!(
            "SELECT i.scope, i.kind, i.item_id, i.at, i.label, i.opens FROM search_items i JOIN \
             (SELECT DISTINCT c.scope, c.kind, c.item_id FROM ({sub}) c WHERE 1 = 1{has}{page}) c \
             ON i.scope = c.scope AND i.kind = c.kind AND i.item_id = c.item_id \
             WHERE 1 = 1{like} ORDER BY i.item_id DESC LIMIT {limit}"
        );
        let hits = bind_all(&sql, &binds)
            .fetch_all(&self.searcher)
            .await?
            .iter()
            .map(hit_from)
            .collect::<std::result::Result<Vec<_>, _>>()?;
        Ok(SearchPage {
            hits,
            capped: most >= SEARCH_CANDIDATES,
        })
    }
}
