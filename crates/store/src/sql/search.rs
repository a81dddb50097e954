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
use std::collections::HashMap;

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
    unindex_in(conn, items).await?;
    index_in(conn, items).await
}

/// Takes items (by scope, kind and id) out of the index: a removed document is found no more.
pub(super) async fn unindex_in(conn: &mut sqlx::AnyConnection, items: &[SearchItem]) -> Result<()> {
    for i in items {
        let old = words_in(conn, &i.scope, &i.kind, &i.item_id).await?;
        if old.is_empty() {
            continue;
        }
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
    Ok(())
}

/// The words the index has of an item (empty when it has none).
pub(super) async fn words_in(
    conn: &mut sqlx::AnyConnection,
    scope: &str,
    kind: &str,
    item_id: &str,
) -> Result<String> {
    Ok(sqlx::query(
        "SELECT words FROM search_items WHERE scope = $1 AND kind = $2 AND item_id = $3",
    )
    .bind(scope)
    .bind(kind)
    .bind(item_id)
    .fetch_optional(&mut *conn)
    .await?
    .map(|r| r.try_get::<String, _>(0))
    .transpose()?
    .unwrap_or_default())
}

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

/// The candidates of a word: in each of `pairs` (scope, kind), its newest rows (at most
/// `each`), as a subquery of `columns` of `search_words`.
fn candidates(
    binds: &mut Vec<String>,
    q: &SearchQuery,
    pairs: &[(&str, &str)],
    word: &str,
    each: i64,
    columns: &str,
) -> Option<String> {
    let mut parts = Vec::new();
    for (scope, kind) in pairs {
        let clause = word_range(binds, q, scope, kind, word)?;
        parts.push(format!(
            "SELECT * FROM (SELECT {columns} FROM search_words WHERE {clause} \
             ORDER BY word DESC, item_id DESC LIMIT {each}) p{}",
            parts.len()
        ));
    }
    Some(parts.join(" UNION ALL "))
}

/// The columns that name an item of the index.
const HIT_KEY: &str = "scope, kind, item_id";

/// Every scope and kind a query looks in.
fn all_pairs(q: &SearchQuery) -> Vec<(&str, &str)> {
    q.scopes
        .iter()
        .flat_map(|s| q.kinds.iter().map(move |k| (s.as_str(), k.as_str())))
        .collect()
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
            let Some(sub) = candidates(&mut binds, q, &all_pairs(q), only, limit, HIT_KEY) else {
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

/// An other word's items among the rarest word's candidates are found by reading that
/// word's items as new as the candidates (one range of the index, in the order they are
/// stored) and matching them: a step each, where looking each candidate up is a descent of
/// the index each (about five times the cost on PostgreSQL). At most this many are read in a
/// scope and kind; candidates older than what was read are looked up one by one.
const WINDOW_MAX: i64 = 2 * SEARCH_CANDIDATES;

/// What the first statement of a search tells of a word in one scope and kind: how many
/// candidates it has there (at most [`SEARCH_CANDIDATES`]), the oldest of them, and the
/// first and the last word of the index the word starts there.
struct Seen {
    n: i64,
    oldest: String,
    first: String,
    last: String,
}

impl Seen {
    /// The word starts one word of the index here (its candidates are then its newest items).
    fn single(&self) -> bool {
        self.first == self.last
    }
}

impl SqlStore {
    /// Several words in two statements. The first, for each word in each scope and kind,
    /// counts its candidates (no further than the candidates a search looks at) with the
    /// oldest of them and the last word of the index they have, and reads the first word of
    /// the index the word starts (one step of the index). The second takes the rarest word's
    /// candidates and keeps those that have the others: a word that starts one word of the
    /// index is matched against its items as new as the candidates (see [`WINDOW_MAX`]), a
    /// word that starts several is tested on the item's line of words. Only the page's items
    /// are read when every word starts one.
    async fn search_in_two(
        &self,
        q: &SearchQuery,
        words: &[&String],
        limit: i64,
    ) -> Result<SearchPage> {
        let pairs = all_pairs(q);
        let mut binds = Vec::new();
        let mut parts = Vec::new();
        for (k, w) in words.iter().enumerate() {
            for (j, pair) in pairs.iter().enumerate() {
                let (Some(sub), Some(next)) = (
                    candidates(
                        &mut binds,
                        q,
                        &[*pair],
                        w,
                        SEARCH_CANDIDATES,
                        "item_id, word",
                    ),
                    next_prefix(w),
                ) else {
                    return Ok(SearchPage::default());
                };
                let (sc, kd, wd, nx) = (
                    mark(&mut binds, pair.0),
                    mark(&mut binds, pair.1),
                    mark(&mut binds, w),
                    mark(&mut binds, &next),
                );
                parts.push(format!(
                    "SELECT CAST({k} AS BIGINT), CAST({j} AS BIGINT), CAST(COUNT(*) AS BIGINT), \
                     MIN(x.item_id), MAX(x.word), (SELECT MIN(word) FROM search_words WHERE scope = {sc} \
                     AND kind = {kd} AND word >= {wd} AND word < {nx}) \
                     FROM ({}) x",
                    sub
                ));
            }
        }
        let sql = parts.join(" UNION ALL ");
        let rows = bind_all(&sql, &binds).fetch_all(&self.searcher).await?;
        let mut seen: Vec<HashMap<usize, Seen>> = words.iter().map(|_| HashMap::new()).collect();
        for row in &rows {
            let (k, j, n): (i64, i64, i64) = (row.try_get(0)?, row.try_get(1)?, row.try_get(2)?);
            let (Some(seen), Some(oldest), Some(last), Some(first)) = (
                seen.get_mut(k as usize),
                row.try_get::<Option<String>, _>(3)?,
                row.try_get::<Option<String>, _>(4)?,
                row.try_get::<Option<String>, _>(5)?,
            ) else {
                continue;
            };
            if n > 0 {
                seen.insert(
                    j as usize,
                    Seen {
                        n,
                        oldest,
                        first,
                        last,
                    },
                );
            }
        }
        // A word that nothing has finds nothing.
        if seen.iter().any(HashMap::is_empty) {
            return Ok(SearchPage::default());
        }
        // The rarest word drives: the fewest candidates; of words with as many (a full set
        // each), one that starts a single word of the index, and of those the one whose
        // newest items reach back furthest.
        let rank = |k: &usize| {
            let s = &seen[*k];
            let total: i64 = s.values().map(|x| x.n).sum();
            let oldest = s
                .values()
                .map(|x| x.oldest.as_str())
                .min()
                .unwrap_or_default();
            (total, !s.values().all(Seen::single), oldest, *k)
        };
        let Some(first) = (0..words.len()).min_by_key(rank) else {
            return Ok(SearchPage::default());
        };
        let capped = seen[first].values().any(|x| x.n >= SEARCH_CANDIDATES);
        // Only where the driver has candidates.
        let active: Vec<(usize, (&str, &str))> = pairs
            .iter()
            .enumerate()
            .filter(|(j, _)| seen[first].contains_key(j))
            .map(|(j, p)| (j, *p))
            .collect();
        let mut binds = Vec::new();
        let only: Vec<(&str, &str)> = active.iter().map(|(_, p)| *p).collect();
        let Some(sub) = candidates(
            &mut binds,
            q,
            &only,
            words[first],
            SEARCH_CANDIDATES,
            HIT_KEY,
        ) else {
            return Ok(SearchPage::default());
        };
        let (mut has, mut like, mut windows) = (String::new(), String::new(), Vec::new());
        for (k, w) in words.iter().enumerate().filter(|(k, _)| *k != first) {
            let mut one: Vec<&str> = seen[k].values().map(|x| x.first.as_str()).collect();
            one.sort_unstable();
            one.dedup();
            let word = match one.as_slice() {
                [word] if seen[k].values().all(Seen::single) => *word,
                _ => {
                    like.push_str(&format!(
                        " AND i.words LIKE {}",
                        mark(&mut binds, &format!("% {w}%"))
                    ));
                    continue;
                }
            };
            let mut any = Vec::new();
            for (j, (scope, kind)) in &active {
                // Where the word has no item, no candidate has it.
                let (Some(other), Some(driver)) = (seen[k].get(j), seen[first].get(j)) else {
                    continue;
                };
                let (sc, kd, wd) = (
                    mark(&mut binds, scope),
                    mark(&mut binds, kind),
                    mark(&mut binds, word),
                );
                let here = format!("c.scope = {sc} AND c.kind = {kd}");
                let probe = format!(
                    "EXISTS (SELECT 1 FROM search_words w WHERE w.scope = c.scope AND w.kind = c.kind \
                     AND w.word = {wd} AND w.item_id = c.item_id)"
                );
                // SQLite looks a key up in its own process, a few microseconds: cheaper than
                // keeping a window (two words at 64 connections on one database: 737 searches
                // a second against 617).
                if self.backend == Backend::Sqlite {
                    any.push(format!("({here} AND {probe})"));
                    continue;
                }
                let mut range = format!(
                    "FROM search_words WHERE scope = {sc} AND kind = {kd} AND word = {wd} AND item_id >= {}",
                    mark(&mut binds, &driver.oldest)
                );
                if let Some(before) = &q.before {
                    range.push_str(&format!(" AND item_id < {}", mark(&mut binds, before)));
                }
                // Fewer items than the candidates read, or all of them newer than the driver's
                // oldest candidate: no more than that to read.
                if other.n < SEARCH_CANDIDATES || other.oldest <= driver.oldest {
                    any.push(format!(
                        "({here} AND c.item_id IN (SELECT item_id {range}))"
                    ));
                    continue;
                }
                let name = format!("b{}", windows.len());
                windows.push(format!(
                    "{name} AS MATERIALIZED (SELECT item_id {range} ORDER BY item_id DESC LIMIT {WINDOW_MAX})"
                ));
                any.push(format!(
                    "({here} AND (c.item_id IN (SELECT item_id FROM {name}) \
                     OR ((SELECT COUNT(*) FROM {name}) = {WINDOW_MAX} AND c.item_id < (SELECT MIN(item_id) FROM {name}) \
                     AND {probe})))"
                ));
            }
            if any.is_empty() {
                return Ok(SearchPage {
                    hits: Vec::new(),
                    capped,
                });
            }
            has.push_str(&format!(" AND ({})", any.join(" OR ")));
        }
        // Without a line test the page is cut before its items are read.
        let page = if like.is_empty() {
            format!(" ORDER BY c.item_id DESC LIMIT {limit}")
        } else {
            String::new()
        };
        let with = if windows.is_empty() {
            String::new()
        } else {
            format!("WITH {} ", windows.join(", "))
        };
        let sql = format!(
            "{with}SELECT i.scope, i.kind, i.item_id, i.at, i.label, i.opens FROM search_items i JOIN \
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
        Ok(SearchPage { hits, capped })
    }
}
