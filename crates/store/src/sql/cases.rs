//! [`crate::CaseStore`] in SQL.

use super::*;
use crate::cases::{
    Case, CaseDocument, CaseEvent, CaseQuery, Decision, DecisionTemplate, DocumentVersion, NewCase,
    RegisterEntry, SignedDecision,
};
use okienko_domain::cases::{Category, JrwaClass, Signature};

pub(super) const ENTRY_COLUMNS: &str =
    "id, office_id, year, number, direction, kind, subject, correspondent, received_at, \
     submission_id, message_id, department_id, case_id, created_by, created_at";

pub(super) const CASE_COLUMNS: &str =
    "id, office_id, department_id, jrwa, number, year, signature, title, party_user_id, \
     party_name, handler_id, status, term, started_on, excluded_days, extended_days, suspended_on, deadline, \
     register_entry_id, created_by, created_at, closed_at";

const DECISION_COLUMNS: &str =
    "id, case_id, n, template_id, title, body, approval, status, drafted_by, drafted_at, \
     approved_by, approved_at, signed_by, signed_at, pdf_sha256, pdf_size, signature, \
     evidence_id, message_id, dispatched_at";

fn decision_from(r: &AnyRow) -> std::result::Result<Decision, sqlx::Error> {
    Ok(Decision {
        id: r.try_get("id")?,
        case_id: r.try_get("case_id")?,
        n: r.try_get("n")?,
        template_id: r.try_get("template_id")?,
        title: r.try_get("title")?,
        body: r.try_get("body")?,
        approval: r.try_get::<i64, _>("approval")? != 0,
        status: r.try_get("status")?,
        drafted_by: r.try_get("drafted_by")?,
        drafted_at: r.try_get("drafted_at")?,
        approved_by: r.try_get("approved_by")?,
        approved_at: r.try_get("approved_at")?,
        signed_by: r.try_get("signed_by")?,
        signed_at: r.try_get("signed_at")?,
        pdf_sha256: r.try_get("pdf_sha256")?,
        pdf_size: r.try_get("pdf_size")?,
        signature: r.try_get("signature")?,
        evidence_id: r.try_get("evidence_id")?,
        message_id: r.try_get("message_id")?,
        dispatched_at: r.try_get("dispatched_at")?,
    })
}

fn template_from(r: &AnyRow) -> std::result::Result<DecisionTemplate, sqlx::Error> {
    Ok(DecisionTemplate {
        id: r.try_get("id")?,
        office_id: r.try_get("office_id")?,
        name: r.try_get("name")?,
        jrwa: r.try_get("jrwa")?,
        body: r.try_get("body")?,
        approval: r.try_get::<i64, _>("approval")? != 0,
        updated_at: r.try_get("updated_at")?,
    })
}

/// Stores a decision's new state inside `tx` if it is still in status `expected`; false
/// when it is not.
async fn update_decision_in(
    conn: &mut sqlx::AnyConnection,
    d: &Decision,
    expected: &str,
) -> Result<bool> {
    let n = sqlx::query(
        "UPDATE case_decisions SET title = $1, body = $2, status = $3, approved_by = $4, \
         approved_at = $5, signed_by = $6, signed_at = $7, pdf_sha256 = $8, pdf_size = $9, \
         signature = $10, evidence_id = $11, message_id = $12, dispatched_at = $13 \
         WHERE id = $14 AND status = $15",
    )
    .bind(&d.title)
    .bind(&d.body)
    .bind(&d.status)
    .bind(&d.approved_by)
    .bind(d.approved_at)
    .bind(&d.signed_by)
    .bind(d.signed_at)
    .bind(&d.pdf_sha256)
    .bind(d.pdf_size)
    .bind(&d.signature)
    .bind(&d.evidence_id)
    .bind(&d.message_id)
    .bind(d.dispatched_at)
    .bind(&d.id)
    .bind(expected)
    .execute(&mut *conn)
    .await?
    .rows_affected();
    Ok(n > 0)
}

/// Stores a signed decision inside `tx`: its row (a conflict, failing the commit, if someone
/// changed it first), its evidence and the case's event.
pub(super) async fn decision_signed_in(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    s: &SignedDecision,
) -> Result<()> {
    if !update_decision_in(tx, &s.decision, &s.expected).await? {
        return Err(StoreError::Conflict("the decision was changed".into()));
    }
    super::evidence::insert_evidence(tx, &[&s.evidence]).await?;
    insert_event(tx, &s.event).await
}

/// Adds a register entry inside `tx`, numbered per office and year in the same commit;
/// returns its number.
pub(super) async fn insert_entry_in(
    conn: &mut sqlx::AnyConnection,
    e: &RegisterEntry,
) -> Result<i64> {
    let number: i64 = sqlx::query(
        "INSERT INTO register_numbers (office_id, year, last) VALUES ($1, $2, 1) \
         ON CONFLICT (office_id, year) DO UPDATE SET last = register_numbers.last + 1 \
         RETURNING last",
    )
    .bind(&e.office_id)
    .bind(e.year)
    .fetch_one(&mut *conn)
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
        .execute(&mut *conn)
        .await?;
    super::search::index_in(
        conn,
        &[crate::search::entry_item(&RegisterEntry {
            number,
            ..e.clone()
        })],
    )
    .await?;
    Ok(number)
}

fn document_from(r: &AnyRow) -> std::result::Result<CaseDocument, sqlx::Error> {
    Ok(CaseDocument {
        id: r.try_get("id")?,
        case_id: r.try_get("case_id")?,
        title: r.try_get("title")?,
        created_by: r.try_get("created_by")?,
        created_at: r.try_get("created_at")?,
        holder_id: r.try_get("holder_id")?,
        holder_name: r.try_get("holder_name")?,
        held_since: r.try_get("held_since")?,
        versions: r.try_get("versions")?,
    })
}

/// A document's versions in `table` (see [`insert_version_in`]), the first first.
pub(super) fn versions_select(table: &str) -> String {
    format!(
        "SELECT v.document_id, v.n, v.name, v.media_type, v.sha256, v.size, v.author_id, \
         u.display_name AS author_name, v.at FROM {table} v \
         JOIN users u ON u.id = v.author_id WHERE v.document_id = $1 ORDER BY v.n"
    )
}

pub(super) fn version_from(r: &AnyRow) -> std::result::Result<DocumentVersion, sqlx::Error> {
    Ok(DocumentVersion {
        document_id: r.try_get("document_id")?,
        n: r.try_get("n")?,
        name: r.try_get("name")?,
        media_type: r.try_get("media_type")?,
        sha256: r.try_get("sha256")?,
        size: r.try_get("size")?,
        author_id: r.try_get("author_id")?,
        author_name: r.try_get("author_name")?,
        at: r.try_get("at")?,
        text: String::new(),
    })
}

const DOCUMENT_SELECT: &str =
    "SELECT d.id, d.case_id, d.title, d.created_by, d.created_at, d.holder_id, \
     u.display_name AS holder_name, d.held_since, d.versions \
     FROM case_documents d LEFT JOIN users u ON u.id = d.holder_id";

/// Inserts a version of a document into `table` (a case's `document_versions` or the
/// library's `library_versions`: one shape).
pub(super) async fn insert_version_in(
    conn: &mut sqlx::AnyConnection,
    table: &str,
    v: &DocumentVersion,
) -> Result<()> {
    let sql = format!(
        "INSERT INTO {table} (document_id, n, name, media_type, sha256, size, author_id, at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
    );
    sqlx::query(&sql)
        .bind(&v.document_id)
        .bind(v.n)
        .bind(&v.name)
        .bind(&v.media_type)
        .bind(&v.sha256)
        .bind(v.size)
        .bind(&v.author_id)
        .bind(v.at)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

pub(super) fn entry_from(r: &AnyRow) -> std::result::Result<RegisterEntry, sqlx::Error> {
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

pub(super) fn case_from(r: &AnyRow) -> std::result::Result<Case, sqlx::Error> {
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
        extended_days: r.try_get("extended_days")?,
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

pub(super) async fn insert_event(conn: &mut sqlx::AnyConnection, e: &CaseEvent) -> Result<()> {
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
        let number = insert_entry_in(&mut tx, e).await?;
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
        // The numbers: one statement per department, class and year in the batch takes as
        // many as the batch has there. PostgreSQL locks that row to the commit (other classes
        // and departments go on side by side; taken in sorted order, so two batches never wait
        // on each other in a circle), SQLite has one writer. A batch that fails to commit
        // gives its numbers back.
        let mut keys: Vec<(&str, &str, i64)> = batch
            .iter()
            .map(|n| {
                (
                    n.case.department_id.as_str(),
                    n.case.jrwa.as_str(),
                    n.case.year,
                )
            })
            .collect();
        keys.sort_unstable();
        keys.dedup();
        let mut next: Vec<((&str, &str, i64), i64)> = Vec::with_capacity(keys.len());
        for key in keys {
            let count = batch
                .iter()
                .filter(|n| {
                    (
                        n.case.department_id.as_str(),
                        n.case.jrwa.as_str(),
                        n.case.year,
                    ) == key
                })
                .count() as i64;
            let last: i64 = sqlx::query(
                "INSERT INTO case_numbers (department_id, jrwa, year, last) VALUES ($1, $2, $3, $4) \
                 ON CONFLICT (department_id, jrwa, year) DO UPDATE SET last = case_numbers.last + $4 \
                 RETURNING last",
            )
            .bind(key.0)
            .bind(key.1)
            .bind(key.2)
            .bind(count)
            .fetch_one(&mut *tx)
            .await?
            .try_get("last")?;
            next.push((key, last - count + 1));
        }
        let mut out = Vec::with_capacity(batch.len());
        for new in batch {
            let c = &new.case;
            let key = (c.department_id.as_str(), c.jrwa.as_str(), c.year);
            let slot = next
                .iter_mut()
                .find(|(k, _)| *k == key)
                .ok_or_else(|| StoreError::Conflict("case_numbers".into()))?;
            let number = slot.1;
            slot.1 += 1;
            out.push(Case {
                number,
                signature: Signature {
                    unit: new.unit.clone(),
                    jrwa: c.jrwa.clone(),
                    number,
                    year: c.year as i32,
                }
                .to_string(),
                ..c.clone()
            });
        }
        insert_rows(
            &mut tx,
            &format!("cases ({CASE_COLUMNS})"),
            "",
            22,
            &out,
            |k| marks(k, 22),
            |q, case| {
                q.bind(&case.id)
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
                    .bind(case.extended_days)
                    .bind(&case.suspended_on)
                    .bind(&case.deadline)
                    .bind(&case.register_entry_id)
                    .bind(&case.created_by)
                    .bind(case.created_at)
                    .bind(case.closed_at)
            },
        )
        .await?;
        let items: Vec<_> = out.iter().map(crate::search::case_item).collect();
        super::search::index_in(&mut tx, &items).await?;
        for case in &out {
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
        }
        let events: Vec<&CaseEvent> = batch.iter().map(|n| &n.event).collect();
        insert_rows(
            &mut tx,
            "case_events (id, case_id, at, actor_id, kind, detail)",
            "",
            6,
            &events,
            |k| marks(k, 6),
            |q, e| {
                q.bind(&e.id)
                    .bind(&e.case_id)
                    .bind(e.at)
                    .bind(&e.actor_id)
                    .bind(&e.kind)
                    .bind(&e.detail)
            },
        )
        .await?;
        let audits: Vec<&AuditEvent> = batch.iter().map(|n| &n.audit).collect();
        Self::audits_in(&mut tx, &audits).await?;
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
                if !q.handler_ids.is_empty() {
                    let marks: Vec<String> = q
                        .handler_ids
                        .iter()
                        .map(|h| mark(Param::Text(h.clone())))
                        .collect();
                    part.push_str(&format!(" AND handler_id IN ({})", marks.join(", ")));
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
        // Its plan is the same whatever the departments and the cursor (one index range per
        // part): on the connections that plan a statement once.
        Ok(query
            .fetch_all(&self.searcher)
            .await?
            .iter()
            .map(case_from)
            .collect::<std::result::Result<_, _>>()?)
    }

    async fn update_case(
        &self,
        c: &Case,
        expected: &str,
        event: &CaseEvent,
        audit: &AuditEvent,
        outgoing: Option<&RegisterEntry>,
    ) -> Result<bool> {
        let mut tx = self.writer.begin().await?;
        let n = sqlx::query(
            "UPDATE cases SET handler_id = $1, status = $2, excluded_days = $3, suspended_on = $4, \
             deadline = $5, closed_at = $6, title = $7, extended_days = $8 WHERE id = $9 AND status = $10",
        )
        .bind(&c.handler_id)
        .bind(&c.status)
        .bind(c.excluded_days)
        .bind(&c.suspended_on)
        .bind(&c.deadline)
        .bind(c.closed_at)
        .bind(&c.title)
        .bind(c.extended_days)
        .bind(&c.id)
        .bind(expected)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if n == 0 {
            return Ok(false);
        }
        if let Some(e) = outgoing {
            insert_entry_in(&mut tx, e).await?;
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

    async fn cases_due(&self, until: &str, limit: i64) -> Result<Vec<Case>> {
        let sql = format!(
            "SELECT {CASE_COLUMNS} FROM cases WHERE status IN ('open', 'suspended') \
             AND deadline <= $1 AND handler_id IS NOT NULL ORDER BY handler_id, deadline, id LIMIT $2"
        );
        self.all(sqlx::query(&sql).bind(until).bind(limit), case_from)
            .await
    }

    async fn add_document(
        &self,
        d: &CaseDocument,
        first: &DocumentVersion,
        event: &CaseEvent,
        audit: &AuditEvent,
    ) -> Result<()> {
        let mut tx = self.writer.begin().await?;
        sqlx::query(
            "INSERT INTO case_documents (id, case_id, title, created_by, created_at, holder_id, held_since, versions) \
             VALUES ($1, $2, $3, $4, $5, NULL, NULL, 1)",
        )
        .bind(&d.id)
        .bind(&d.case_id)
        .bind(&d.title)
        .bind(&d.created_by)
        .bind(d.created_at)
        .execute(&mut *tx)
        .await?;
        insert_version_in(
            &mut tx,
            "document_versions",
            &DocumentVersion {
                n: 1,
                ..first.clone()
            },
        )
        .await?;
        let department: String = sqlx::query("SELECT department_id FROM cases WHERE id = $1")
            .bind(&d.case_id)
            .fetch_one(&mut *tx)
            .await?
            .try_get(0)?;
        let item = crate::search::document_item(&department, d, first.at, &first.text);
        super::search::index_in(&mut tx, &[item]).await?;
        insert_event(&mut tx, event).await?;
        Self::audit_in(&mut tx, audit).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn documents(&self, case_id: &str) -> Result<Vec<CaseDocument>> {
        let sql = format!("{DOCUMENT_SELECT} WHERE d.case_id = $1 ORDER BY d.created_at, d.id");
        self.all(sqlx::query(&sql).bind(case_id), document_from)
            .await
    }

    async fn document(&self, id: &str) -> Result<Option<CaseDocument>> {
        let sql = format!("{DOCUMENT_SELECT} WHERE d.id = $1");
        self.opt(sqlx::query(&sql).bind(id), document_from).await
    }

    async fn document_versions(&self, id: &str) -> Result<Vec<DocumentVersion>> {
        let sql = versions_select("document_versions");
        self.all(sqlx::query(&sql).bind(id), version_from).await
    }

    async fn check_out(
        &self,
        id: &str,
        user_id: &str,
        at: Millis,
        event: &CaseEvent,
        audit: &AuditEvent,
    ) -> Result<bool> {
        let mut tx = self.writer.begin().await?;
        let n = sqlx::query(
            "UPDATE case_documents SET holder_id = $1, held_since = $2 WHERE id = $3 AND holder_id IS NULL",
        )
        .bind(user_id)
        .bind(at)
        .bind(id)
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

    async fn check_in(
        &self,
        id: &str,
        holder_id: &str,
        version: Option<&DocumentVersion>,
        event: &CaseEvent,
        audit: &AuditEvent,
    ) -> Result<bool> {
        let mut tx = self.writer.begin().await?;
        let added = i64::from(version.is_some());
        let row = sqlx::query(
            "UPDATE case_documents SET holder_id = NULL, held_since = NULL, versions = versions + $1 \
             WHERE id = $2 AND holder_id = $3 RETURNING versions",
        )
        .bind(added)
        .bind(id)
        .bind(holder_id)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(row) = row else {
            return Ok(false);
        };
        if let Some(v) = version {
            let n: i64 = row.try_get("versions")?;
            insert_version_in(
                &mut tx,
                "document_versions",
                &DocumentVersion { n, ..v.clone() },
            )
            .await?;
            // The index has the latest version's text.
            let sql = format!("{DOCUMENT_SELECT} WHERE d.id = $1");
            let d = document_from(&sqlx::query(&sql).bind(id).fetch_one(&mut *tx).await?)?;
            let department: String = sqlx::query("SELECT department_id FROM cases WHERE id = $1")
                .bind(&d.case_id)
                .fetch_one(&mut *tx)
                .await?
                .try_get(0)?;
            let item = crate::search::document_item(&department, &d, v.at, &v.text);
            super::search::reindex_in(&mut tx, &[item]).await?;
        }
        insert_event(&mut tx, event).await?;
        Self::audit_in(&mut tx, audit).await?;
        tx.commit().await?;
        Ok(true)
    }

    async fn save_decision_template(&self, t: &DecisionTemplate, audit: &AuditEvent) -> Result<()> {
        let mut tx = self.writer.begin().await?;
        let n = sqlx::query(
            "UPDATE decision_templates SET name = $1, jrwa = $2, body = $3, approval = $4, \
             updated_at = $5 WHERE id = $6 AND office_id = $7",
        )
        .bind(&t.name)
        .bind(&t.jrwa)
        .bind(&t.body)
        .bind(i64::from(t.approval))
        .bind(t.updated_at)
        .bind(&t.id)
        .bind(&t.office_id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if n == 0 {
            sqlx::query(
                "INSERT INTO decision_templates (id, office_id, name, jrwa, body, approval, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7)",
            )
            .bind(&t.id)
            .bind(&t.office_id)
            .bind(&t.name)
            .bind(&t.jrwa)
            .bind(&t.body)
            .bind(i64::from(t.approval))
            .bind(t.updated_at)
            .execute(&mut *tx)
            .await?;
        }
        Self::audit_in(&mut tx, audit).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn decision_templates(&self, office_id: &str) -> Result<Vec<DecisionTemplate>> {
        let q = sqlx::query(
            "SELECT id, office_id, name, jrwa, body, approval, updated_at FROM decision_templates \
             WHERE office_id = $1 ORDER BY name, id",
        )
        .bind(office_id);
        self.all(q, template_from).await
    }

    async fn add_decision(
        &self,
        d: &Decision,
        event: &CaseEvent,
        audit: &AuditEvent,
    ) -> Result<Decision> {
        let mut tx = self.writer.begin().await?;
        // The case's row first: concurrent drafts in one case line up behind its lock.
        sqlx::query("UPDATE cases SET title = title WHERE id = $1")
            .bind(&d.case_id)
            .execute(&mut *tx)
            .await?;
        let last: Option<i64> =
            sqlx::query("SELECT MAX(n) AS last FROM case_decisions WHERE case_id = $1")
                .bind(&d.case_id)
                .fetch_one(&mut *tx)
                .await?
                .try_get("last")?;
        let d = Decision {
            n: last.unwrap_or(0) + 1,
            ..d.clone()
        };
        sqlx::query(&format!(
            "INSERT INTO case_decisions ({DECISION_COLUMNS}) VALUES \
             ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20)"
        ))
        .bind(&d.id)
        .bind(&d.case_id)
        .bind(d.n)
        .bind(&d.template_id)
        .bind(&d.title)
        .bind(&d.body)
        .bind(i64::from(d.approval))
        .bind(&d.status)
        .bind(&d.drafted_by)
        .bind(d.drafted_at)
        .bind(&d.approved_by)
        .bind(d.approved_at)
        .bind(&d.signed_by)
        .bind(d.signed_at)
        .bind(&d.pdf_sha256)
        .bind(d.pdf_size)
        .bind(&d.signature)
        .bind(&d.evidence_id)
        .bind(&d.message_id)
        .bind(d.dispatched_at)
        .execute(&mut *tx)
        .await?;
        insert_event(&mut tx, event).await?;
        Self::audit_in(&mut tx, audit).await?;
        tx.commit().await?;
        Ok(d)
    }

    async fn decision(&self, id: &str) -> Result<Option<Decision>> {
        let sql = format!("SELECT {DECISION_COLUMNS} FROM case_decisions WHERE id = $1");
        self.opt(sqlx::query(&sql).bind(id), decision_from).await
    }

    async fn decisions(&self, case_id: &str) -> Result<Vec<Decision>> {
        let sql =
            format!("SELECT {DECISION_COLUMNS} FROM case_decisions WHERE case_id = $1 ORDER BY n");
        self.all(sqlx::query(&sql).bind(case_id), decision_from)
            .await
    }

    async fn decision_of_message(&self, message_id: &str) -> Result<Option<Decision>> {
        let sql = format!("SELECT {DECISION_COLUMNS} FROM case_decisions WHERE message_id = $1");
        self.opt(sqlx::query(&sql).bind(message_id), decision_from)
            .await
    }

    async fn update_decision(
        &self,
        d: &Decision,
        expected: &str,
        event: &CaseEvent,
        audit: &AuditEvent,
        outgoing: Option<&RegisterEntry>,
    ) -> Result<bool> {
        let mut tx = self.writer.begin().await?;
        if !update_decision_in(&mut tx, d, expected).await? {
            return Ok(false);
        }
        if let Some(e) = outgoing {
            insert_entry_in(&mut tx, e).await?;
        }
        insert_event(&mut tx, event).await?;
        Self::audit_in(&mut tx, audit).await?;
        tx.commit().await?;
        Ok(true)
    }
}
