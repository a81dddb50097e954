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

/// `LIKE` text that matches `s` literally anywhere.
fn contains(s: &str) -> String {
    let escaped = s
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    format!("%{escaped}%")
}

#[async_trait]
impl crate::CatalogueStore for SqlStore {
    async fn save_services(&self, services: &[PublicService], audit: &AuditEvent) -> Result<()> {
        let mut tx = self.writer.begin().await?;
        for s in services {
            sqlx::query(
                "INSERT INTO public_services (id, office_id, code, name_folded, spec, search, tags, created_at, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
                 ON CONFLICT (office_id, code) DO UPDATE SET name_folded = excluded.name_folded, \
                   spec = excluded.spec, search = excluded.search, tags = excluded.tags, \
                   updated_at = excluded.updated_at",
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
            .execute(&mut *tx)
            .await?;
        }
        Self::audit_in(&mut tx, audit).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn public_service(&self, id: &str) -> Result<Option<PublicService>> {
        let q = format!("SELECT {COLS} FROM public_services s WHERE s.id = $1");
        self.opt(sqlx::query(&q).bind(id), service_from).await
    }

    async fn search_services(&self, q: &ServiceQuery) -> Result<Vec<PublicService>> {
        let mut sql = format!(
            "SELECT {COLS} FROM public_services s JOIN offices o ON o.id = s.office_id WHERE 1 = 1"
        );
        let mut binds: Vec<String> = Vec::new();
        let mut mark = |sql: &mut String, clause: &str, value: String| {
            binds.push(value);
            sql.push_str(&clause.replace('?', &format!("${}", binds.len())));
        };
        for w in &q.words {
            mark(&mut sql, " AND s.search LIKE ? ESCAPE '\\'", contains(w));
        }
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
        self.all(query, service_from).await
    }

    async fn office_services(&self, office_id: &str) -> Result<Vec<PublicService>> {
        let q = format!(
            "SELECT {COLS} FROM public_services s WHERE s.office_id = $1 ORDER BY s.name_folded, s.id"
        );
        self.all(sqlx::query(&q).bind(office_id), service_from)
            .await
    }
}
