//! [`crate::SearchStore`] in SQL, and the indexing that the stores of cases, register
//! entries, documents and messages do in their own commits.
//!
//! Portable SQL on both backends (no FTS5, no GIN): `search_words` holds one row per (scope,
//! word, item), so the items with a word starting with `w` are one range of its key;
//! `search_items` holds each item's words on one line, so the other words asked are a `LIKE`
//! test on the few items the rarest word gave.

use super::*;
use crate::cases::{Case, CaseDocument, RegisterEntry};
use crate::search::{SearchHit, SearchItem, SearchPage, SearchQuery, SEARCH_CANDIDATES};
use crate::Message;
use okienko_domain::search::{self, next_prefix, words_line};

/// A case in its department's scope: found by its signature (also as one word), title,
/// party and JRWA class.
pub(super) fn case_item(c: &Case) -> SearchItem {
    SearchItem {
        scope: search::department_scope(&c.department_id),
        kind: search::KIND_CASE.into(),
        item_id: c.id.clone(),
        at: c.created_at,
        label: format!("{} {}", c.signature, c.title),
        opens: search::case_path(&c.id),
        words: search::index_words([
            c.signature.as_str(),
            &search::compact(&c.signature),
            &c.title,
            &c.party_name,
        ]),
    }
}

/// A register entry in its department's scope (the office's while it has none): found by
/// its number, subject and correspondent.
pub(super) fn entry_item(e: &RegisterEntry) -> SearchItem {
    let number = format!("{}/{}", e.number, e.year);
    SearchItem {
        scope: match &e.department_id {
            Some(d) => search::department_scope(d),
            None => search::office_scope(&e.office_id),
        },
        kind: search::KIND_ENTRY.into(),
        item_id: e.id.clone(),
        at: e.received_at,
        label: format!("{number} {}", e.subject),
        opens: search::entry_path(&e.office_id, e.year, e.number, &e.id),
        words: search::index_words([number.as_str(), &e.subject, &e.correspondent]),
    }
}

/// A case document in its case's department's scope: found by its title and the text of its
/// latest version (`text`, extracted from the file).
pub(super) fn document_item(
    department_id: &str,
    d: &CaseDocument,
    at: Millis,
    text: &str,
) -> SearchItem {
    SearchItem {
        scope: search::department_scope(department_id),
        kind: search::KIND_DOCUMENT.into(),
        item_id: d.id.clone(),
        at,
        label: d.title.clone(),
        opens: search::document_path(&d.case_id, &d.id),
        words: search::index_words([d.title.as_str(), text]),
    }
}

/// A message in a mailbox's scope: found by its subject and the names given with it (its
/// sender's and recipients', `NewMessage::search_text`).
pub(super) fn message_item(m: &Message, mailbox: &str, at: Millis, names: &str) -> SearchItem {
    SearchItem {
        scope: search::mailbox_scope(mailbox),
        kind: search::KIND_MESSAGE.into(),
        item_id: m.id.clone(),
        at,
        label: m.subject.clone(),
        opens: search::message_path(&m.id),
        words: search::index_words([m.subject.as_str(), &m.sender, names]),
    }
}

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
    let documents = sqlx::query(
        "SELECT d.id, d.case_id, d.title, d.created_at, c.department_id FROM case_documents d \
         JOIN cases c ON c.id = d.case_id",
    )
    .fetch_all(&mut *conn)
    .await?;
    for r in &documents {
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
        "search_words (scope, word, kind, item_id)",
        " ON CONFLICT DO NOTHING",
        4,
        &words,
        |k| marks(k, 4),
        |q, (i, w)| q.bind(&i.scope).bind(*w).bind(&i.kind).bind(&i.item_id),
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

/// `$n, $n+1, …` for the values, pushed onto `binds`.
fn list(binds: &mut Vec<String>, values: &[String]) -> String {
    let mut marks = Vec::with_capacity(values.len());
    for v in values {
        binds.push(v.clone());
        marks.push(format!("${}", binds.len()));
    }
    marks.join(", ")
}

/// `search_words` rows of the scopes (and kinds) whose word starts with `word`, as a WHERE
/// clause; binds pushed.
fn word_range(binds: &mut Vec<String>, q: &SearchQuery, word: &str) -> Option<String> {
    let next = next_prefix(word)?;
    let scopes = list(binds, &q.scopes);
    binds.push(word.to_string());
    let from = binds.len();
    binds.push(next);
    let mut clause = format!(
        "scope IN ({scopes}) AND word >= ${from} AND word < ${}",
        from + 1
    );
    if !q.kinds.is_empty() {
        let kinds = list(binds, &q.kinds);
        clause.push_str(&format!(" AND kind IN ({kinds})"));
    }
    Some(clause)
}

fn bind_all<'a>(sql: &'a str, binds: &'a [String]) -> AnyQuery<'a> {
    let mut q = sqlx::query(sql);
    for b in binds {
        q = q.bind(b.as_str());
    }
    q
}

#[async_trait]
impl crate::SearchStore for SqlStore {
    async fn search(&self, q: &SearchQuery) -> Result<SearchPage> {
        if q.scopes.is_empty() || q.words.is_empty() {
            return Ok(SearchPage::default());
        }
        // The rarest word asked drives: how many rows each word's range has, counted no
        // further than the candidates a search looks at.
        let mut driver: Option<(i64, &String)> = None;
        for w in &q.words {
            let mut binds = Vec::new();
            let Some(clause) = word_range(&mut binds, q, w) else {
                return Ok(SearchPage::default());
            };
            let sql = format!(
                "SELECT COUNT(*) FROM (SELECT 1 FROM search_words WHERE {clause} LIMIT {}) x",
                SEARCH_CANDIDATES + 1
            );
            let n: i64 = bind_all(&sql, &binds)
                .fetch_one(&self.reader)
                .await?
                .try_get(0)?;
            if n == 0 {
                return Ok(SearchPage::default());
            }
            if driver.is_none_or(|(m, _)| n < m) {
                driver = Some((n, w));
            }
        }
        let Some((count, first)) = driver else {
            return Ok(SearchPage::default());
        };
        let mut binds = Vec::new();
        let Some(clause) = word_range(&mut binds, q, first) else {
            return Ok(SearchPage::default());
        };
        // Of one scope, the newest items of a word come first (ids are time-ordered), so a
        // word with more candidates than are looked at still answers with the newest.
        let order = if q.scopes.len() == 1 {
            " ORDER BY word DESC, kind DESC, item_id DESC"
        } else {
            ""
        };
        let mut sql = format!(
            "SELECT i.scope, i.kind, i.item_id, i.at, i.label, i.opens FROM search_items i JOIN \
             (SELECT DISTINCT scope, kind, item_id FROM \
               (SELECT scope, kind, item_id FROM search_words WHERE {clause}{order} LIMIT {SEARCH_CANDIDATES}) c0) c \
             ON i.scope = c.scope AND i.kind = c.kind AND i.item_id = c.item_id WHERE 1 = 1"
        );
        for w in q.words.iter().filter(|w| *w != first) {
            binds.push(format!("% {w}%"));
            sql.push_str(&format!(" AND i.words LIKE ${}", binds.len()));
        }
        let mut filters = Vec::new();
        if let Some(since) = q.since {
            filters.push(format!(" AND i.at >= {since}"));
        }
        if let Some(until) = q.until {
            filters.push(format!(" AND i.at < {until}"));
        }
        if let Some((at, id)) = &q.before {
            binds.push(id.clone());
            filters.push(format!(
                " AND (i.at < {at} OR (i.at = {at} AND i.item_id < ${}))",
                binds.len()
            ));
        }
        for f in filters {
            sql.push_str(&f);
        }
        sql.push_str(&format!(
            " ORDER BY i.at DESC, i.item_id DESC LIMIT {}",
            q.limit.clamp(1, SEARCH_CANDIDATES)
        ));
        let hits = self
            .all(bind_all(&sql, &binds), |r| {
                Ok(SearchHit {
                    scope: r.try_get("scope")?,
                    kind: r.try_get("kind")?,
                    item_id: r.try_get("item_id")?,
                    at: r.try_get("at")?,
                    label: r.try_get("label")?,
                    opens: r.try_get("opens")?,
                })
            })
            .await?;
        Ok(SearchPage {
            hits,
            capped: count > SEARCH_CANDIDATES,
        })
    }
}
