//! [`crate::CatalogueStore`] in SQL.

use super::*;
use crate::catalogue::{PublicService, ServiceQuery};

const COLS: &str =
    "s.id, s.office_id, s.code, s.name_folded, s.spec, s.search, s.tags, s.created_at, s.updated_at, s.form_version";

fn service_from(r: &AnyRow) -> std::result::Result<PublicService, sqlx::Error> {
    Ok(PublicService {
        id: r.try_get("id")?,
        office_id: r.try_get("office_id")?,
        code: r.try_get("code")?,
        name_folded: r.try_get("name_folded")?,
        spec: r.try_get("spec")?,
        search: r.try_get("search")?,
        tags: r.try_get("tags")?,
        created_at: r.try_get("created_at")?,
        updated_at: r.try_get("updated_at")?,
        form_version: r.try_get("form_version")?,
    })
}

/// The words a service is found by: the distinct words of its folded search text.
fn words_of(search: &str) -> Vec<String> {
    let mut w: Vec<String> = search
        .split(' ')
        .filter(|w| !w.is_empty())
        .map(|w| w.chars().take(60).collect())
        .collect();
    w.sort();
    w.dedup();
    w
}

/// Replaces a service's search words.
async fn index_words(conn: &mut sqlx::AnyConnection, id: &str, search: &str) -> Result<()> {
    sqlx::query("DELETE FROM service_words WHERE service_id = $1")
        .bind(id)
        .execute(&mut *conn)
        .await?;
    let rows: Vec<(String, &str)> = words_of(search).into_iter().map(|w| (w, id)).collect();
    insert_rows(
        conn,
        "service_words (word, service_id)",
        "",
        2,
        &rows,
        |k| marks(k, 2),
        |q, r| q.bind(&r.0).bind(r.1),
    )
    .await
}

/// Indexes the words of every service (the migration that adds the index).
pub(super) async fn index_words_in(conn: &mut sqlx::AnyConnection) -> Result<()> {
    let rows = sqlx::query("SELECT id, search FROM public_services")
        .fetch_all(&mut *conn)
        .await?;
    for r in rows {
        let (id, search): (String, String) = (r.try_get(0)?, r.try_get(1)?);
        index_words(conn, &id, &search).await?;
    }
    Ok(())
}

/// The first text after every text that starts with `w` (`w` with its last character one
/// higher): `[w, next)` is the range of the words starting with `w`.
fn next_prefix(w: &str) -> Option<String> {
    let mut chars: Vec<char> = w.chars().collect();
    while let Some(last) = chars.pop() {
        if let Some(n) = char::from_u32(last as u32 + 1) {
            chars.push(n);
            return Some(chars.into_iter().collect());
        }
    }
    None
}

#[async_trait]
impl crate::CatalogueStore for SqlStore {
    async fn save_services(&self, services: &[PublicService], audit: &AuditEvent) -> Result<()> {
        let mut tx = self.writer.begin().await?;
        for s in services {
            let saved = sqlx::query(
                "INSERT INTO public_services (id, office_id, code, name_folded, spec, search, tags, created_at, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
                 ON CONFLICT (office_id, code) DO UPDATE SET name_folded = excluded.name_folded, \
                   spec = excluded.spec, search = excluded.search, tags = excluded.tags, \
                   updated_at = excluded.updated_at RETURNING id",
            )
            .bind(&s.id)
            .bind(&s.office_id)
            .bind(&s.code)
            .bind(&s.name_folded)
            .bind(&s.spec)
            .bind(&s.search)
            .bind(&s.tags)
            .bind(s.created_at)
            .bind(s.updated_at)
            .fetch_one(&mut *tx)
            .await?;
            // A replaced service keeps its id.
            let id: String = saved.try_get(0)?;
            index_words(&mut tx, &id, &s.search).await?;
        }
        Self::audit_in(&mut tx, audit).await?;
        tx.commit().await?;
        self.changed().await;
        Ok(())
    }

    async fn public_service(&self, id: &str) -> Result<Option<PublicService>> {
        if let Some(hit) = self.cache.service(id) {
            return Ok(Some(hit));
        }
        let generation = self.cache.generation();
        let q = format!("SELECT {COLS} FROM public_services s WHERE s.id = $1");
        let found = self.opt(sqlx::query(&q).bind(id), service_from).await?;
        if let Some(s) = &found {
            self.cache.keep_service(generation, s.clone());
        }
        Ok(found)
    }

    async fn search_services(&self, q: &ServiceQuery) -> Result<Vec<PublicService>> {
        // First the page's ids, from the narrow columns (the name index and the word index);
        // then the page's rows. A row holds its whole description in several languages, and
        // reading it for every candidate made a search read most of the catalogue.
        let mut sql = String::from("SELECT s.id FROM public_services s");
        if q.city.is_some() {
            sql.push_str(" JOIN offices o ON o.id = s.office_id");
        }
        sql.push_str(" WHERE 1 = 1");
        let mut binds: Vec<String> = Vec::new();
        // The services with a word starting with each of the words: a range on the word
        // index's key per word, intersected there (cheaper than testing every service that
        // has the first word for the others).
        if !q.words.is_empty() {
            let mut ranges = Vec::new();
            for w in &q.words {
                match next_prefix(w) {
                    Some(next) => {
                        binds.push(w.clone());
                        binds.push(next);
                        ranges.push(format!(
                            "SELECT service_id FROM service_words WHERE word >= ${} AND word < ${}",
                            binds.len() - 1,
                            binds.len()
                        ));
                    }
                    None => ranges.push("SELECT service_id FROM service_words WHERE 1 = 0".into()),
                }
            }
            sql.push_str(&format!(" AND s.id IN ({})", ranges.join(" INTERSECT ")));
        }
        let mut mark = |sql: &mut String, clause: &str, value: String| {
            binds.push(value);
            sql.push_str(&clause.replace('?', &format!("${}", binds.len())));
        };
        if let Some(o) = &q.office_id {
            mark(&mut sql, " AND s.office_id = ?", o.clone());
        }
        if let Some(c) = &q.city {
            mark(&mut sql, " AND lower(o.city) = lower(?)", c.clone());
        }
        if let Some(c) = &q.category {
            mark(&mut sql, " AND s.tags LIKE ?", format!("%;{c};%"));
        }
        if let Some(e) = &q.event {
            mark(&mut sql, " AND s.tags LIKE ?", format!("%;event:{e};%"));
        }
        if let Some((name, id)) = &q.after {
            binds.push(name.clone());
            binds.push(id.clone());
            let (a, b) = (binds.len() - 1, binds.len());
            sql.push_str(&format!(
                " AND (s.name_folded > ${a} OR (s.name_folded = ${a} AND s.id > ${b}))"
            ));
        }
        sql.push_str(&format!(
            " ORDER BY s.name_folded, s.id LIMIT {}",
            q.limit.clamp(1, 1000)
        ));
        let mut query = sqlx::query(&sql);
        for b in &binds {
            query = query.bind(b.as_str());
        }
        let ids: Vec<String> = self.all(query, |r| r.try_get::<String, _>(0)).await?;
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let marks: Vec<String> = (1..=ids.len()).map(|i| format!("${i}")).collect();
        let rows_sql = format!(
            "SELECT {COLS} FROM public_services s WHERE s.id IN ({})",
            marks.join(", ")
        );
        let mut rows_q = sqlx::query(&rows_sql);
        for id in &ids {
            rows_q = rows_q.bind(id.as_str());
        }
        let mut rows = self.all(rows_q, service_from).await?;
        rows.sort_by_key(|r| ids.iter().position(|i| *i == r.id));
        Ok(rows)
    }

    async fn office_services(&self, office_id: &str) -> Result<Vec<PublicService>> {
        let q = format!(
            "SELECT {COLS} FROM public_services s WHERE s.office_id = $1 ORDER BY s.name_folded, s.id"
        );
        self.all(sqlx::query(&q).bind(office_id), service_from)
            .await
    }
}
