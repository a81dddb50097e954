//! [`crate::ArchiveStore`] in SQL.

use super::cases::{case_from, insert_event, CASE_COLUMNS};
use super::*;
use crate::archive::{ArchiveTransfer, DestructionItem, DestructionList};
use crate::cases::{Case, CaseEvent};
use okienko_domain::archive::ListStatus;

const LIST_COLUMNS: &str = "id, office_id, year, number, status, prepared_by, prepared_at, \
     reviewed_by, reviewed_at, approved_by, approved_at, rejected_by, rejected_at, reason";

/// Destroys the records of an approved list's cases, in its commit: each decision's text is
/// emptied, each document is found by its title only, a paper letter registered into a case
/// by its entry only (not by its scan's text), and the files of all three (every version,
/// every signed PDF, every scan) are queued for the sweep that deletes a file once nothing
/// else needs it. What stays is what the register and the list say: each case's signature,
/// title, party and timeline, each entry of the register with its scan's certification, and
/// each document's and decision's name, size and hash.
async fn destroy_records_in(
    conn: &mut sqlx::AnyConnection,
    list_id: &str,
    at: Millis,
) -> Result<()> {
    let of_list = "SELECT case_id FROM destruction_items WHERE list_id = $1";
    // The files of the documents' versions, of the decisions, of the letters' scans.
    for (file, of_case) in [
        (
            "v.sha256",
            "document_versions v JOIN case_documents d ON d.id = v.document_id WHERE d.case_id",
        ),
        (
            "pdf_sha256",
            "case_decisions WHERE pdf_sha256 IS NOT NULL AND case_id",
        ),
        (
            "s.sha256",
            "register_scans s JOIN register_entries e ON e.id = s.entry_id WHERE e.case_id",
        ),
    ] {
        sqlx::query(&format!(
            "INSERT INTO blob_garbage (sha256, queued_at) SELECT DISTINCT {file}, $2 \
             FROM {of_case} IN ({of_list}) ON CONFLICT DO NOTHING"
        ))
        .bind(list_id)
        .bind(at)
        .execute(&mut *conn)
        .await?;
    }
    sqlx::query(&format!(
        "UPDATE case_decisions SET body = '' WHERE case_id IN ({of_list})"
    ))
    .bind(list_id)
    .execute(&mut *conn)
    .await?;
    let mut items = super::search::titled_documents_in(conn, of_list, Some(list_id)).await?;
    let scanned = format!(
        "SELECT {} FROM register_entries WHERE case_id IN ({of_list}) \
         AND id IN (SELECT entry_id FROM register_scans)",
        super::cases::ENTRY_COLUMNS
    );
    for r in &sqlx::query(&scanned)
        .bind(list_id)
        .fetch_all(&mut *conn)
        .await?
    {
        items.push(crate::search::entry_item(&super::cases::entry_from(r)?));
    }
    super::search::reindex_in(conn, &items).await
}

fn list_from(r: &AnyRow) -> std::result::Result<DestructionList, sqlx::Error> {
    Ok(DestructionList {
        id: r.try_get("id")?,
        office_id: r.try_get("office_id")?,
        year: r.try_get("year")?,
        number: r.try_get("number")?,
        status: r.try_get("status")?,
        prepared_by: r.try_get("prepared_by")?,
        prepared_at: r.try_get("prepared_at")?,
        reviewed_by: r.try_get("reviewed_by")?,
        reviewed_at: r.try_get("reviewed_at")?,
        approved_by: r.try_get("approved_by")?,
        approved_at: r.try_get("approved_at")?,
        rejected_by: r.try_get("rejected_by")?,
        rejected_at: r.try_get("rejected_at")?,
        reason: r.try_get("reason")?,
    })
}

const TRANSFER_COLUMNS: &str =
    "id, office_id, year, number, made_by, made_at, cases, name, sha256, size";

fn transfer_from(r: &AnyRow) -> std::result::Result<ArchiveTransfer, sqlx::Error> {
    Ok(ArchiveTransfer {
        id: r.try_get("id")?,
        office_id: r.try_get("office_id")?,
        year: r.try_get("year")?,
        number: r.try_get("number")?,
        made_by: r.try_get("made_by")?,
        made_at: r.try_get("made_at")?,
        cases: r.try_get("cases")?,
        name: r.try_get("name")?,
        sha256: r.try_get("sha256")?,
        size: r.try_get("size")?,
    })
}

/// Which of `ids` a one-column query over `sql` (with `IN {}` for the ids) answers.
async fn some_of(store: &SqlStore, sql: &str, ids: &[String]) -> Result<Vec<String>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let sql = sql.replace("{}", &marks(1, ids.len()));
    let mut q = sqlx::query(&sql);
    for id in ids {
        q = q.bind(id);
    }
    store.all(q, |r| r.try_get::<String, _>(0)).await
}

#[async_trait]
impl crate::ArchiveStore for SqlStore {
    async fn archive_cases(
        &self,
        office_id: &str,
        after: Option<(Millis, String)>,
        limit: i64,
    ) -> Result<Vec<Case>> {
        let (cond, at, id) = match &after {
            Some((at, id)) => (
                " AND (closed_at > $3 OR (closed_at = $3 AND id > $4))",
                *at,
                id.clone(),
            ),
            None => (" AND $3 = $3 AND $4 = $4", 0, String::new()),
        };
        let sql = format!(
            "SELECT {CASE_COLUMNS} FROM cases WHERE office_id = $1 AND status = 'closed'{cond} \
             ORDER BY closed_at, id LIMIT $2"
        );
        self.all(
            sqlx::query(&sql)
                .bind(office_id)
                .bind(limit)
                .bind(at)
                .bind(id),
            case_from,
        )
        .await
    }

    async fn cases_on_lists(&self, case_ids: &[String]) -> Result<Vec<String>> {
        some_of(
            self,
            "SELECT DISTINCT i.case_id FROM destruction_items i JOIN destruction_lists l ON l.id = i.list_id \
             WHERE l.status <> 'rejected' AND i.case_id IN {}",
            case_ids,
        )
        .await
    }

    async fn transferred(&self, case_ids: &[String]) -> Result<Vec<String>> {
        some_of(
            self,
            "SELECT case_id FROM transfer_items WHERE case_id IN {}",
            case_ids,
        )
        .await
    }

    async fn add_transfer(
        &self,
        transfer: &ArchiveTransfer,
        case_ids: &[String],
        events: &[CaseEvent],
        audit: &AuditEvent,
    ) -> Result<ArchiveTransfer> {
        let mut tx = self.writer.begin().await?;
        let number: i64 = sqlx::query(
            "SELECT COALESCE(MAX(number), 0) + 1 FROM archive_transfers WHERE office_id = $1 AND year = $2",
        )
        .bind(&transfer.office_id)
        .bind(transfer.year)
        .fetch_one(&mut *tx)
        .await?
        .try_get(0)?;
        let sql = format!(
            "INSERT INTO archive_transfers ({TRANSFER_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"
        );
        sqlx::query(&sql)
            .bind(&transfer.id)
            .bind(&transfer.office_id)
            .bind(transfer.year)
            .bind(number)
            .bind(&transfer.made_by)
            .bind(transfer.made_at)
            .bind(transfer.cases)
            .bind(&transfer.name)
            .bind(&transfer.sha256)
            .bind(transfer.size)
            .execute(&mut *tx)
            .await?;
        for id in case_ids {
            sqlx::query("INSERT INTO transfer_items (case_id, transfer_id) VALUES ($1, $2)")
                .bind(id)
                .bind(&transfer.id)
                .execute(&mut *tx)
                .await?;
        }
        for e in events {
            let mut e = e.clone();
            e.detail = format!("{number}/{}", transfer.year);
            insert_event(&mut tx, &e).await?;
        }
        Self::audit_in(&mut tx, audit).await?;
        tx.commit().await?;
        Ok(ArchiveTransfer {
            number,
            ..transfer.clone()
        })
    }

    async fn transfer(&self, id: &str) -> Result<Option<ArchiveTransfer>> {
        let sql = format!("SELECT {TRANSFER_COLUMNS} FROM archive_transfers WHERE id = $1");
        self.opt(sqlx::query(&sql).bind(id), transfer_from).await
    }

    async fn transfers(&self, office_id: &str, limit: i64) -> Result<Vec<ArchiveTransfer>> {
        let sql = format!(
            "SELECT {TRANSFER_COLUMNS} FROM archive_transfers WHERE office_id = $1 \
             ORDER BY made_at DESC, id DESC LIMIT $2"
        );
        self.all(sqlx::query(&sql).bind(office_id).bind(limit), transfer_from)
            .await
    }

    async fn add_destruction_list(
        &self,
        list: &DestructionList,
        items: &[DestructionItem],
        audit: &AuditEvent,
    ) -> Result<DestructionList> {
        let mut tx = self.writer.begin().await?;
        let ids: Vec<&String> = items.iter().map(|i| &i.case_id).collect();
        if !ids.is_empty() {
            // PostgreSQL: two lists made at once over the same cases wait for each other here
            // (SQLite has one writer: its transactions never overlap).
            if self.backend == Backend::Postgres {
                let sql = format!(
                    "SELECT id FROM cases WHERE id IN {} ORDER BY id FOR UPDATE",
                    marks(1, ids.len())
                );
                let mut q = sqlx::query(&sql);
                for id in &ids {
                    q = q.bind(*id);
                }
                q.fetch_all(&mut *tx).await?;
            }
            let sql = format!(
                "SELECT i.case_id FROM destruction_items i JOIN destruction_lists l ON l.id = i.list_id \
                 WHERE l.status <> 'rejected' AND i.case_id IN {} LIMIT 1",
                marks(1, ids.len())
            );
            let mut q = sqlx::query(&sql);
            for id in &ids {
                q = q.bind(*id);
            }
            if let Some(r) = q.fetch_optional(&mut *tx).await? {
                return Err(StoreError::Conflict(r.try_get(0)?));
            }
        }
        let number: i64 = sqlx::query(
            "SELECT COALESCE(MAX(number), 0) + 1 FROM destruction_lists WHERE office_id = $1 AND year = $2",
        )
        .bind(&list.office_id)
        .bind(list.year)
        .fetch_one(&mut *tx)
        .await?
        .try_get(0)?;
        let sql = format!(
            "INSERT INTO destruction_lists ({LIST_COLUMNS}) VALUES \
             ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)"
        );
        sqlx::query(&sql)
            .bind(&list.id)
            .bind(&list.office_id)
            .bind(list.year)
            .bind(number)
            .bind(&list.status)
            .bind(&list.prepared_by)
            .bind(list.prepared_at)
            .bind(&list.reviewed_by)
            .bind(list.reviewed_at)
            .bind(&list.approved_by)
            .bind(list.approved_at)
            .bind(&list.rejected_by)
            .bind(list.rejected_at)
            .bind(&list.reason)
            .execute(&mut *tx)
            .await?;
        for i in items {
            sqlx::query(
                "INSERT INTO destruction_items (list_id, case_id, category, destroyable_from) VALUES ($1, $2, $3, $4)",
            )
            .bind(&list.id)
            .bind(&i.case_id)
            .bind(&i.category)
            .bind(i.destroyable_from)
            .execute(&mut *tx)
            .await?;
        }
        Self::audit_in(&mut tx, audit).await?;
        tx.commit().await?;
        Ok(DestructionList {
            number,
            ..list.clone()
        })
    }

    async fn destruction_list(&self, id: &str) -> Result<Option<DestructionList>> {
        let sql = format!("SELECT {LIST_COLUMNS} FROM destruction_lists WHERE id = $1");
        self.opt(sqlx::query(&sql).bind(id), list_from).await
    }

    async fn destruction_items(&self, list_id: &str) -> Result<Vec<(DestructionItem, Case)>> {
        let columns: Vec<String> = CASE_COLUMNS
            .split(',')
            .map(|c| format!("c.{}", c.trim()))
            .collect();
        let sql = format!(
            "SELECT i.case_id AS item_case, i.category AS item_category, i.destroyable_from, {} \
             FROM destruction_items i JOIN cases c ON c.id = i.case_id WHERE i.list_id = $1 \
             ORDER BY c.signature",
            columns.join(", ")
        );
        self.all(sqlx::query(&sql).bind(list_id), |r| {
            Ok((
                DestructionItem {
                    case_id: r.try_get("item_case")?,
                    category: r.try_get("item_category")?,
                    destroyable_from: r.try_get("destroyable_from")?,
                },
                case_from(r)?,
            ))
        })
        .await
    }

    async fn destruction_lists(&self, office_id: &str, limit: i64) -> Result<Vec<DestructionList>> {
        let sql = format!(
            "SELECT {LIST_COLUMNS} FROM destruction_lists WHERE office_id = $1 \
             ORDER BY prepared_at DESC, id DESC LIMIT $2"
        );
        self.all(sqlx::query(&sql).bind(office_id).bind(limit), list_from)
            .await
    }

    async fn update_destruction_list(
        &self,
        list: &DestructionList,
        expected: &str,
        events: &[CaseEvent],
        audit: &AuditEvent,
    ) -> Result<bool> {
        let mut tx = self.writer.begin().await?;
        let n = sqlx::query(
            "UPDATE destruction_lists SET status = $1, reviewed_by = $2, reviewed_at = $3, \
             approved_by = $4, approved_at = $5, rejected_by = $6, rejected_at = $7, reason = $8 \
             WHERE id = $9 AND status = $10",
        )
        .bind(&list.status)
        .bind(&list.reviewed_by)
        .bind(list.reviewed_at)
        .bind(&list.approved_by)
        .bind(list.approved_at)
        .bind(&list.rejected_by)
        .bind(list.rejected_at)
        .bind(&list.reason)
        .bind(&list.id)
        .bind(expected)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if n == 0 {
            return Ok(false);
        }
        for e in events {
            insert_event(&mut tx, e).await?;
        }
        if list.status == ListStatus::Approved.as_str() {
            destroy_records_in(&mut tx, &list.id, list.approved_at.unwrap_or(0)).await?;
        }
        Self::audit_in(&mut tx, audit).await?;
        tx.commit().await?;
        Ok(true)
    }

    async fn destroyed(&self, case_ids: &[String]) -> Result<Vec<String>> {
        some_of(
            self,
            "SELECT DISTINCT i.case_id FROM destruction_items i JOIN destruction_lists l ON l.id = i.list_id \
             WHERE l.status = 'approved' AND i.case_id IN {}",
            case_ids,
        )
        .await
    }

    async fn destroyed_by(&self, case_id: &str) -> Result<Option<DestructionList>> {
        let sql = format!(
            "SELECT {} FROM destruction_lists l JOIN destruction_items i ON i.list_id = l.id \
             WHERE i.case_id = $1 AND l.status = 'approved' LIMIT 1",
            LIST_COLUMNS
                .split(", ")
                .map(|c| format!("l.{c}"))
                .collect::<Vec<_>>()
                .join(", ")
        );
        self.opt(sqlx::query(&sql).bind(case_id), list_from).await
    }

    async fn blob_garbage(&self, limit: i64) -> Result<Vec<String>> {
        self.all(
            sqlx::query("SELECT sha256 FROM blob_garbage ORDER BY queued_at, sha256 LIMIT $1")
                .bind(limit),
            |r| r.try_get::<String, _>(0),
        )
        .await
    }

    async fn unreferenced_blobs(&self, sha256s: &[String]) -> Result<Vec<String>> {
        if sha256s.is_empty() {
            return Ok(Vec::new());
        }
        let list = marks(1, sha256s.len());
        // A case's documents, decisions and scans count while its records are not destroyed.
        let kept = "NOT EXISTS (SELECT 1 FROM destruction_items i JOIN destruction_lists l \
                    ON l.id = i.list_id WHERE i.case_id = {case} AND l.status = 'approved')";
        let sql = [
            "SELECT sha256 FROM attachments WHERE sha256 IN {list}".to_string(),
            "SELECT body_sha256 FROM messages WHERE body_sha256 IN {list}".to_string(),
            "SELECT pdf_sha256 FROM paper_letters WHERE pdf_sha256 IN {list}".to_string(),
            format!(
                "SELECT s.sha256 FROM register_scans s JOIN register_entries e ON e.id = s.entry_id \
                 WHERE s.sha256 IN {{list}} AND (e.case_id IS NULL OR {})",
                kept.replace("{case}", "e.case_id")
            ),
            "SELECT sha256 FROM submission_exports WHERE sha256 IN {list}".to_string(),
            "SELECT sha256 FROM archive_transfers WHERE sha256 IN {list}".to_string(),
            "SELECT sha256 FROM library_versions WHERE sha256 IN {list}".to_string(),
            format!(
                "SELECT v.sha256 FROM document_versions v JOIN case_documents d ON d.id = v.document_id \
                 WHERE v.sha256 IN {{list}} AND {}",
                kept.replace("{case}", "d.case_id")
            ),
            format!(
                "SELECT pdf_sha256 FROM case_decisions c WHERE pdf_sha256 IN {{list}} AND {}",
                kept.replace("{case}", "c.case_id")
            ),
        ]
        .join(" UNION ")
        .replace("{list}", &list);
        let mut q = sqlx::query(&sql);
        for sha in sha256s {
            q = q.bind(sha);
        }
        let used: std::collections::HashSet<String> = self
            .all(q, |r| r.try_get::<String, _>(0))
            .await?
            .into_iter()
            .collect();
        Ok(sha256s
            .iter()
            .filter(|s| !used.contains(*s))
            .cloned()
            .collect())
    }

    async fn forget_blob_garbage(&self, sha256s: &[String]) -> Result<()> {
        if sha256s.is_empty() {
            return Ok(());
        }
        let sql = format!(
            "DELETE FROM blob_garbage WHERE sha256 IN {}",
            marks(1, sha256s.len())
        );
        let mut q = sqlx::query(&sql);
        for sha in sha256s {
            q = q.bind(sha);
        }
        q.execute(&self.writer).await?;
        Ok(())
    }
}
