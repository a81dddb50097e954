//! [`crate::PlaceStore`] in SQL.

use super::cases::insert_event;
use super::*;
use crate::cases::CaseEvent;
use crate::places::{CasePlace, PlaceQuery, PlacedCase};

const PLACE_COLUMNS: &str =
    "p.case_id, p.department_id, p.address, p.lat_e7, p.lon_e7, p.updated_by, p.updated_at";

fn place_from(r: &AnyRow) -> std::result::Result<CasePlace, sqlx::Error> {
    Ok(CasePlace {
        case_id: r.try_get("case_id")?,
        department_id: r.try_get("department_id")?,
        address: r.try_get("address")?,
        lat_e7: r.try_get("lat_e7")?,
        lon_e7: r.try_get("lon_e7")?,
        updated_by: r.try_get("updated_by")?,
        updated_at: r.try_get("updated_at")?,
    })
}

fn placed_from(r: &AnyRow) -> std::result::Result<PlacedCase, sqlx::Error> {
    Ok(PlacedCase {
        place: place_from(r)?,
        signature: r.try_get("signature")?,
        title: r.try_get("title")?,
        status: r.try_get("status")?,
    })
}

#[async_trait]
impl crate::PlaceStore for SqlStore {
    async fn set_place(&self, p: &CasePlace, event: &CaseEvent, audit: &AuditEvent) -> Result<()> {
        let mut tx = self.writer.begin().await?;
        sqlx::query(
            "INSERT INTO case_places (case_id, department_id, address, lat_e7, lon_e7, updated_by, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (case_id) DO UPDATE SET \
             department_id = excluded.department_id, address = excluded.address, lat_e7 = excluded.lat_e7, \
             lon_e7 = excluded.lon_e7, updated_by = excluded.updated_by, updated_at = excluded.updated_at",
        )
        .bind(&p.case_id)
        .bind(&p.department_id)
        .bind(&p.address)
        .bind(p.lat_e7)
        .bind(p.lon_e7)
        .bind(&p.updated_by)
        .bind(p.updated_at)
        .execute(&mut *tx)
        .await?;
        insert_event(&mut tx, event).await?;
        Self::audit_in(&mut tx, audit).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn remove_place(
        &self,
        case_id: &str,
        event: &CaseEvent,
        audit: &AuditEvent,
    ) -> Result<bool> {
        let mut tx = self.writer.begin().await?;
        let n = sqlx::query("DELETE FROM case_places WHERE case_id = $1")
            .bind(case_id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        if n == 0 {
            return Ok(false);
        }
        insert_event(&mut tx, event).await?;
        Self::audit_in(&mut tx, audit).await?;
        tx.commit().await?;
        Ok(true)
    }

    async fn place(&self, case_id: &str) -> Result<Option<CasePlace>> {
        let sql = format!("SELECT {PLACE_COLUMNS} FROM case_places p WHERE p.case_id = $1");
        self.opt(sqlx::query(&sql).bind(case_id), place_from).await
    }

    async fn places(&self, q: &PlaceQuery) -> Result<Vec<PlacedCase>> {
        if q.department_ids.is_empty() || q.statuses.is_empty() {
            return Ok(Vec::new());
        }
        let mut n = 0;
        let mut mark = || {
            n += 1;
            format!("${n}")
        };
        let departments: Vec<String> = q.department_ids.iter().map(|_| mark()).collect();
        let statuses: Vec<String> = q.statuses.iter().map(|_| mark()).collect();
        let before = q
            .before
            .as_ref()
            .map(|_| format!(" AND p.case_id < {}", mark()))
            .unwrap_or_default();
        let limit = mark();
        let sql = format!(
            "SELECT {PLACE_COLUMNS}, c.signature, c.title, c.status FROM case_places p \
             JOIN cases c ON c.id = p.case_id WHERE p.department_id IN ({}) AND c.status IN ({}){before} \
             ORDER BY p.case_id DESC LIMIT {limit}",
            departments.join(", "),
            statuses.join(", ")
        );
        let mut query = sqlx::query(&sql);
        for d in &q.department_ids {
            query = query.bind(d);
        }
        for s in &q.statuses {
            query = query.bind(s);
        }
        if let Some(b) = &q.before {
            query = query.bind(b);
        }
        self.all(query.bind(q.limit), placed_from).await
    }
}
