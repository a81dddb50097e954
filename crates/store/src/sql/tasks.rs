//! [`crate::TaskStore`] in SQL.

use super::cases::insert_event;
use super::*;
use crate::cases::CaseEvent;
use crate::tasks::CaseTask;

const TASK_COLUMNS: &str = "t.id, t.case_id, t.office_id, t.kind, t.text, t.assignee_id, \
     t.due_on, t.status, t.answer, t.created_by, t.created_at, t.closed_by, t.closed_at, \
     a.display_name AS assignee_name, b.display_name AS creator_name, c.signature, \
     c.title AS case_title";

const TASK_FROM: &str = "case_tasks t JOIN users a ON a.id = t.assignee_id \
     JOIN users b ON b.id = t.created_by JOIN cases c ON c.id = t.case_id";

fn task_from(r: &AnyRow) -> std::result::Result<CaseTask, sqlx::Error> {
    Ok(CaseTask {
        id: r.try_get("id")?,
        case_id: r.try_get("case_id")?,
        office_id: r.try_get("office_id")?,
        kind: r.try_get("kind")?,
        text: r.try_get("text")?,
        assignee_id: r.try_get("assignee_id")?,
        due_on: r.try_get("due_on")?,
        status: r.try_get("status")?,
        answer: r.try_get("answer")?,
        created_by: r.try_get("created_by")?,
        created_at: r.try_get("created_at")?,
        closed_by: r.try_get("closed_by")?,
        closed_at: r.try_get("closed_at")?,
        assignee_name: r.try_get("assignee_name")?,
        creator_name: r.try_get("creator_name")?,
        signature: r.try_get("signature")?,
        case_title: r.try_get("case_title")?,
    })
}

#[async_trait]
impl crate::TaskStore for SqlStore {
    async fn add_task(&self, t: &CaseTask, event: &CaseEvent, audit: &AuditEvent) -> Result<()> {
        let mut tx = self.writer.begin().await?;
        sqlx::query(
            "INSERT INTO case_tasks (id, case_id, office_id, kind, text, assignee_id, due_on, \
             status, answer, created_by, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
        )
        .bind(&t.id)
        .bind(&t.case_id)
        .bind(&t.office_id)
        .bind(&t.kind)
        .bind(&t.text)
        .bind(&t.assignee_id)
        .bind(&t.due_on)
        .bind(&t.status)
        .bind(&t.answer)
        .bind(&t.created_by)
        .bind(t.created_at)
        .execute(&mut *tx)
        .await?;
        insert_event(&mut tx, event).await?;
        Self::audit_in(&mut tx, audit).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn close_task(
        &self,
        t: &CaseTask,
        event: &CaseEvent,
        audit: &AuditEvent,
    ) -> Result<bool> {
        let mut tx = self.writer.begin().await?;
        let done = sqlx::query(
            "UPDATE case_tasks SET status = $1, answer = $2, closed_by = $3, closed_at = $4 \
             WHERE id = $5 AND status = 'open'",
        )
        .bind(&t.status)
        .bind(&t.answer)
        .bind(&t.closed_by)
        .bind(t.closed_at)
        .bind(&t.id)
        .execute(&mut *tx)
        .await?
        .rows_affected()
            == 1;
        if done {
            insert_event(&mut tx, event).await?;
            Self::audit_in(&mut tx, audit).await?;
        }
        tx.commit().await?;
        Ok(done)
    }

    async fn task(&self, id: &str) -> Result<Option<CaseTask>> {
        let sql = format!("SELECT {TASK_COLUMNS} FROM {TASK_FROM} WHERE t.id = $1");
        self.opt(sqlx::query(&sql).bind(id), task_from).await
    }

    async fn case_tasks(&self, case_id: &str) -> Result<Vec<CaseTask>> {
        let sql = format!(
            "SELECT {TASK_COLUMNS} FROM {TASK_FROM} WHERE t.case_id = $1 ORDER BY t.created_at, t.id"
        );
        self.all(sqlx::query(&sql).bind(case_id), task_from).await
    }

    async fn open_tasks_of(&self, assignee_id: &str) -> Result<Vec<CaseTask>> {
        let sql = format!(
            "SELECT {TASK_COLUMNS} FROM {TASK_FROM} WHERE t.assignee_id = $1 AND t.status = 'open' \
             ORDER BY CASE WHEN t.due_on IS NULL THEN 1 ELSE 0 END, t.due_on, t.created_at, t.id \
             LIMIT 200"
        );
        self.all(sqlx::query(&sql).bind(assignee_id), task_from)
            .await
    }
}
