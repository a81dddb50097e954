//! [`crate::CaseStore`] in SQL.

use super::*;
use crate::cases::{Case, CaseEvent, CaseQuery, NewCase, RegisterEntry};
use okienko_domain::cases::{Category, JrwaClass, Signature};

const ENTRY_COLUMNS: &str =
    "id, office_id, year, number, direction, kind, subject, correspondent, received_at, \
     submission_id, message_id, department_id, case_id, created_by, created_at";

const CASE_COLUMNS: &str =
    "id, office_id, department_id, jrwa, number, year, signature, title, party_user_id, \
     party_name, handler_id, status, term, started_on, excluded_days, suspended_on, deadline, \
     register_entry_id, created_by, created_at, closed_at";

fn entry_from(r: &AnyRow) -> std::result::Result<RegisterEntry, sqlx::Error> {
    Ok(RegisterEntry {
        id: r.try_get("id")?,
        office_id: r.try_get("office_id")?,
        year: r.try_get("year")?,
        number: r.try_get("number")?,
        direction: r.try_get("direction")?,
        kind: r.try_get("kind")?,
        subject: r.try_get("subject")?,
        correspondent: r.try_get("correspondent")?,
        received_at: r.try_get("received_at")?,
        submission_id: r.try_get("submission_id")?,
        message_id: r.try_get("message_id")?,
        department_id: r.try_get("department_id")?,
        case_id: r.try_get("case_id")?,
        created_by: r.try_get("created_by")?,
        created_at: r.try_get("created_at")?,
    })
}

fn case_from(r: &AnyRow) -> std::result::Result<Case, sqlx::Error> {
    Ok(Case {
        id: r.try_get("id")?,
        office_id: r.try_get("office_id")?,
        department_id: r.try_get("department_id")?,
        jrwa: r.try_get("jrwa")?,
        number: r.try_get("number")?,
        year: r.try_get("year")?,
        signature: r.try_get("signature")?,
        title: r.try_get("title")?,
        party_user_id: r.try_get("party_user_id")?,
        party_name: r.try_get("party_name")?,
        handler_id: r.try_get("handler_id")?,
        status: r.try_get("status")?,
        term: r.try_get("term")?,
        started_on: r.try_get("started_on")?,
        excluded_days: r.try_get("excluded_days")?,
        suspended_on: r.try_get("suspended_on")?,
        deadline: r.try_get("deadline")?,
        register_entry_id: r.try_get("register_entry_id")?,
        created_by: r.try_get("created_by")?,
        created_at: r.try_get("created_at")?,
        closed_at: r.try_get("closed_at")?,
    })
}

fn event_from(r: &AnyRow) -> std::result::Result<CaseEvent, sqlx::Error> {
    Ok(CaseEvent {
        id: r.try_get("id")?,
        case_id: r.try_get("case_id")?,
        at: r.try_get("at")?,
        actor_id: r.try_get("actor_id")?,
        actor_name: r.try_get("display_name")?,
        kind: r.try_get("kind")?,
        detail: r.try_get("detail")?,
    })
}

fn class_from(r: &AnyRow) -> std::result::Result<JrwaClass, sqlx::Error> {
    let category: Option<String> = r.try_get("category")?;
    Ok(JrwaClass {
        symbol: r.try_get("symbol")?,
        title: r.try_get("title")?,
        category: category.as_deref().and_then(Category::parse),
    })
}

async fn insert_event(conn: &mut sqlx::AnyConnection, e: &CaseEvent) -> Result<()> {
    sqlx::query(
        "INSERT INTO case_events (id, case_id, at, actor_id, kind, detail) VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(&e.id)
    .bind(&e.case_id)
    .bind(e.at)
    .bind(&e.actor_id)
    .bind(&e.kind)
    .bind(&e.detail)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

#[async_trait]
impl crate::CaseStore for SqlStore {
    async fn replace_jrwa(
        &self,
        office_id: &str,
        classes: &[JrwaClass],
        audit: &AuditEvent,
    ) -> Result<()> {
        let mut tx = self.writer.begin().await?;
        let used: Vec<String> = sqlx::query("SELECT DISTINCT jrwa FROM cases WHERE office_id = $1")
            .bind(office_id)
            .fetch_all(&mut *tx)
            .await?
            .iter()
            .map(first_text)
            .collect::<std::result::Result<_, _>>()?;
        if let Some(gone) = used.iter().find(|u| {
            !classes
                .iter()
                .any(|c| c.symbol == **u && c.category.is_some())
        }) {
            return Err(StoreError::Conflict(gone.clone()));
        }
        sqlx::query("DELETE FROM jrwa_classes WHERE office_id = $1")
            .bind(office_id)
            .execute(&mut *tx)
            .await?;
        insert_rows(
            &mut tx,
            "jrwa_classes (office_id, symbol, title, category)",
            "",
            4,
            classes,
            |n| marks(n, 4),
            |q, c| {
                q.bind(office_id.to_string())
                    .bind(&c.symbol)
                    .bind(&c.title)
                    .bind(c.category.map(|c| c.to_string()))
            },
        )
        .await?;
        Self::audit_in(&mut tx, audit).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn jrwa(&self, office_id: &str) -> Result<Vec<JrwaClass>> {
        let q = sqlx::query(
            "SELECT symbol, title, category FROM jrwa_classes WHERE office_id = $1 ORDER BY symbol",
        )
        .bind(office_id);
        self.all(q, class_from).await
    }

    async fn add_register_entry(
        &self,
        e: &RegisterEntry,
        audit: &AuditEvent,
    ) -> Result<RegisterEntry> {
        let mut tx = self.writer.begin().await?;
        let number: i64 = sqlx::query(
            "INSERT INTO register_numbers (office_id, year, last) VALUES ($1, $2, 1) \
             ON CONFLICT (office_id, year) DO UPDATE SET last = register_numbers.last + 1 \
             RETURNING last",
        )
        .bind(&e.office_id)
        .bind(e.year)
        .fetch_one(&mut *tx)
        .await?
        .try_get("last")?;
        let sql = format!(
            "INSERT INTO register_entries ({ENTRY_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)"
        );
        sqlx::query(&sql)
            .bind(&e.id)
            .bind(&e.office_id)
            .bind(e.year)
            .bind(number)
            .bind(&e.direction)
            .bind(&e.kind)
            .bind(&e.subject)
            .bind(&e.correspondent)
            .bind(e.received_at)
            .bind(&e.submission_id)
            .bind(&e.message_id)
            .bind(&e.department_id)
            .bind(&e.case_id)
            .bind(&e.created_by)
            .bind(e.created_at)
            .execute(&mut *tx)
            .await?;
        Self::audit_in(&mut tx, audit).await?;
        tx.commit().await?;
        Ok(RegisterEntry {
            number,
            ..e.clone()
        })
    }

    async fn register_entry(&self, id: &str) -> Result<Option<RegisterEntry>> {
        let sql = format!("SELECT {ENTRY_COLUMNS} FROM register_entries WHERE id = $1");
        self.opt(sqlx::query(&sql).bind(id), entry_from).await
    }

    async fn register_entry_for_submission(
        &self,
        submission_id: &str,
    ) -> Result<Option<RegisterEntry>> {
        let sql = format!("SELECT {ENTRY_COLUMNS} FROM register_entries WHERE submission_id = $1");
        self.opt(sqlx::query(&sql).bind(submission_id), entry_from)
            .await
    }

    async fn register_entries(
        &self,
        office_id: &str,
        year: i64,
        before: Option<i64>,
        limit: i64,
    ) -> Result<Vec<RegisterEntry>> {
        let sql = format!(
            "SELECT {ENTRY_COLUMNS} FROM register_entries WHERE office_id = $1 AND year = $2 AND number < $3 \
             ORDER BY number DESC LIMIT $4"
        );
        let q = sqlx::query(&sql)
            .bind(office_id)
            .bind(year)
            .bind(before.unwrap_or(i64::MAX))
            .bind(limit);
        self.all(q, entry_from).await
    }

    async fn open_cases(&self, batch: &[NewCase]) -> Result<Vec<Case>> {
        let mut tx = self.writer.begin().await?;
        let mut out = Vec::with_capacity(batch.len());
        for new in batch {
            let c = &new.case;
            // One statement takes the next number: PostgreSQL locks this department, class
            // and year's row to the commit (other classes and departments go on side by
            // side), SQLite has one writer. A case that fails to commit gives its number back.
            let number: i64 = sqlx::query(
                "INSERT INTO case_numbers (department_id, jrwa, year, last) VALUES ($1, $2, $3, 1) \
                 ON CONFLICT (department_id, jrwa, year) DO UPDATE SET last = case_numbers.last + 1 \
                 RETURNING last",
            )
            .bind(&c.department_id)
            .bind(&c.jrwa)
            .bind(c.year)
            .fetch_one(&mut *tx)
            .await?
            .try_get("last")?;
            let case = Case {
                number,
                signature: Signature {
                    unit: new.unit.clone(),
                    jrwa: c.jrwa.clone(),
                    number,
                    year: c.year as i32,
                }
                .to_string(),
                ..c.clone()
            };
            let sql = format!(
                "INSERT INTO cases ({CASE_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21)"
            );
            sqlx::query(&sql)
                .bind(&case.id)
                .bind(&case.office_id)
                .bind(&case.department_id)
                .bind(&case.jrwa)
                .bind(case.number)
                .bind(case.year)
                .bind(&case.signature)
                .bind(&case.title)
                .bind(&case.party_user_id)
                .bind(&case.party_name)
                .bind(&case.handler_id)
                .bind(&case.status)
                .bind(&case.term)
                .bind(&case.started_on)
                .bind(case.excluded_days)
                .bind(&case.suspended_on)
                .bind(&case.deadline)
                .bind(&case.register_entry_id)
                .bind(&case.created_by)
                .bind(case.created_at)
                .bind(case.closed_at)
                .execute(&mut *tx)
                .await?;
            if let Some(entry) = &case.register_entry_id {
                let n = sqlx::query(
                    "UPDATE register_entries SET case_id = $1 WHERE id = $2 AND case_id IS NULL",
                )
                .bind(&case.id)
                .bind(entry)
                .execute(&mut *tx)
                .await?
                .rows_affected();
                if n == 0 {
                    return Err(StoreError::Conflict("register_entries.case_id".into()));
                }
            }
            insert_event(&mut tx, &new.event).await?;
            Self::audit_in(&mut tx, &new.audit).await?;
            out.push(case);
        }
        tx.commit().await?;
        Ok(out)
    }

    async fn case(&self, id: &str) -> Result<Option<Case>> {
        let sql = format!("SELECT {CASE_COLUMNS} FROM cases WHERE id = $1");
        self.opt(sqlx::query(&sql).bind(id), case_from).await
    }

    async fn cases(&self, q: &CaseQuery) -> Result<Vec<Case>> {
        if q.department_ids.is_empty() || q.statuses.is_empty() {
            return Ok(Vec::new());
        }
        // One statement: a part per department and status, each read in order from the index
        // (department, status, deadline, id) and cut at the page's length, merged by the
        // database. A plain `IN (…)` over several departments or statuses made the database
        // sort every matching row (hundreds of thousands) for each page.
        enum Param {
            Text(String),
            Int(i64),
        }
        let mut params: Vec<Param> = Vec::new();
        let mut mark = |p: Param| -> String {
            params.push(p);
            format!("${}", params.len())
        };
        let mut parts = Vec::new();
        for d in &q.department_ids {
            for st in &q.statuses {
                let mut part = format!(
                    "SELECT * FROM (SELECT {CASE_COLUMNS} FROM cases WHERE department_id = {} AND status = {}",
                    mark(Param::Text(d.clone())),
                    mark(Param::Text(st.clone()))
                );
                if let Some(h) = &q.handler_id {
                    part.push_str(&format!(
                        " AND handler_id = {}",
                        mark(Param::Text(h.clone()))
                    ));
                }
                if let Some((deadline, id)) = &q.after {
                    // A row value, which both engines read from the index from that point on.
                    let (a, b) = (
                        mark(Param::Text(deadline.clone())),
                        mark(Param::Text(id.clone())),
                    );
                    part.push_str(&format!(" AND (deadline, id) > ({a}, {b})"));
                }
                part.push_str(&format!(
                    " ORDER BY deadline, id LIMIT {}) AS p{}",
                    mark(Param::Int(q.limit)),
                    parts.len()
                ));
                parts.push(part);
            }
        }
        let sql = format!(
            "SELECT {CASE_COLUMNS} FROM ({}) AS page ORDER BY deadline, id LIMIT {}",
            parts.join(" UNION ALL "),
            mark(Param::Int(q.limit))
        );
        let mut query = sqlx::query(&sql);
        for p in params {
            query = match p {
                Param::Text(t) => query.bind(t),
                Param::Int(i) => query.bind(i),
            };
        }
        self.all(query, case_from).await
    }

    async fn update_case(
        &self,
        c: &Case,
        expected: &str,
        event: &CaseEvent,
        audit: &AuditEvent,
    ) -> Result<bool> {
        let mut tx = self.writer.begin().await?;
        let n = sqlx::query(
            "UPDATE cases SET handler_id = $1, status = $2, excluded_days = $3, suspended_on = $4, \
             deadline = $5, closed_at = $6, title = $7 WHERE id = $8 AND status = $9",
        )
        .bind(&c.handler_id)
        .bind(&c.status)
        .bind(c.excluded_days)
        .bind(&c.suspended_on)
        .bind(&c.deadline)
        .bind(c.closed_at)
        .bind(&c.title)
        .bind(&c.id)
        .bind(expected)
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

    async fn case_events(&self, case_id: &str) -> Result<Vec<CaseEvent>> {
        let q = sqlx::query(
            "SELECT e.id, e.case_id, e.at, e.actor_id, u.display_name, e.kind, e.detail \
             FROM case_events e JOIN users u ON u.id = e.actor_id WHERE e.case_id = $1 ORDER BY e.at, e.id",
        )
        .bind(case_id);
        self.all(q, event_from).await
    }
}
