//! [`crate::TaskStore`] in SQL.

use super::cases::insert_event;
use super::*;
use crate::cases::CaseEvent;
use crate::tasks::{Task, TaskChange, TaskComment};

const TASK_COLUMNS: &str = "t.id, t.office_id, t.department_id, t.case_id, t.link_kind, \
     t.link_id, t.link_label, t.kind, t.text, t.assignee_id, t.due_on, t.status, t.answer, \
     t.created_by, t.created_at, t.started_at, t.closed_by, t.closed_at, \
     a.display_name AS assignee_name, b.display_name AS creator_name, \
     COALESCE(c.signature, '') AS signature, COALESCE(c.title, '') AS case_title, \
     COALESCE(d.name, '') AS department_name";

const TASK_FROM: &str = "tasks t JOIN users a ON a.id = t.assignee_id \
     JOIN users b ON b.id = t.created_by LEFT JOIN cases c ON c.id = t.case_id \
     LEFT JOIN departments d ON d.id = t.department_id";

/// Active first by due day (those without one last), then the newest.
const TASK_ORDER: &str = "ORDER BY CASE WHEN t.due_on IS NULL THEN 1 ELSE 0 END, t.due_on, \
     t.created_at, t.id";

fn task_from(r: &AnyRow) -> std::result::Result<Task, sqlx::Error> {
    Ok(Task {
        id: r.try_get("id")?,
        office_id: r.try_get("office_id")?,
        department_id: r.try_get("department_id")?,
        case_id: r.try_get("case_id")?,
        link_kind: r.try_get("link_kind")?,
        link_id: r.try_get("link_id")?,
        link_label: r.try_get("link_label")?,
        kind: r.try_get("kind")?,
        text: r.try_get("text")?,
        assignee_id: r.try_get("assignee_id")?,
        due_on: r.try_get("due_on")?,
        status: r.try_get("status")?,
        answer: r.try_get("answer")?,
        created_by: r.try_get("created_by")?,
        created_at: r.try_get("created_at")?,
        started_at: r.try_get("started_at")?,
        closed_by: r.try_get("closed_by")?,
        closed_at: r.try_get("closed_at")?,
        assignee_name: r.try_get("assignee_name")?,
        creator_name: r.try_get("creator_name")?,
        signature: r.try_get("signature")?,
        case_title: r.try_get("case_title")?,
        department_name: r.try_get("department_name")?,
    })
}

fn comment_from(r: &AnyRow) -> std::result::Result<TaskComment, sqlx::Error> {
    Ok(TaskComment {
        id: r.try_get("id")?,
        task_id: r.try_get("task_id")?,
        author_id: r.try_get("author_id")?,
        text: r.try_get("text")?,
        created_at: r.try_get("created_at")?,
        author_name: r.try_get("author_name")?,
    })
}

#[async_trait]
impl crate::TaskStore for SqlStore {
    async fn add_task(
        &self,
        t: &Task,
        event: Option<&CaseEvent>,
        audit: &AuditEvent,
    ) -> Result<()> {
        let mut tx = self.writer.begin().await?;
        sqlx::query(
            "INSERT INTO tasks (id, office_id, department_id, case_id, link_kind, link_id, \
             link_label, kind, text, assignee_id, due_on, status, answer, created_by, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)",
        )
        .bind(&t.id)
        .bind(&t.office_id)
        .bind(&t.department_id)
        .bind(&t.case_id)
        .bind(&t.link_kind)
        .bind(&t.link_id)
        .bind(&t.link_label)
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
        if let Some(event) = event {
            insert_event(&mut tx, event).await?;
        }
        Self::audit_in(&mut tx, audit).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn close_task(
        &self,
        t: &Task,
        event: Option<&CaseEvent>,
        audit: &AuditEvent,
    ) -> Result<bool> {
        let mut tx = self.writer.begin().await?;
        let done = sqlx::query(
            "UPDATE tasks SET status = $1, answer = $2, closed_by = $3, closed_at = $4 \
             WHERE id = $5 AND status IN ('open', 'started')",
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
            if let Some(event) = event {
                insert_event(&mut tx, event).await?;
            }
            Self::audit_in(&mut tx, audit).await?;
        }
        tx.commit().await?;
        Ok(done)
    }

    async fn change_task(&self, id: &str, change: &TaskChange, audit: &AuditEvent) -> Result<bool> {
        let q = match change {
            TaskChange::Start { at } => sqlx::query(
                "UPDATE tasks SET status = 'started', started_at = $1 \
                 WHERE id = $2 AND status = 'open'",
            )
            .bind(*at)
            .bind(id),
            TaskChange::Reassign {
                assignee_id,
                department_id,
            } => sqlx::query(
                "UPDATE tasks SET assignee_id = $1, department_id = $2 \
                 WHERE id = $3 AND status IN ('open', 'started')",
            )
            .bind(assignee_id)
            .bind(department_id)
            .bind(id),
        };
        self.exec_audited_if(q, audit).await
    }

    async fn task(&self, id: &str) -> Result<Option<Task>> {
        let sql = format!("SELECT {TASK_COLUMNS} FROM {TASK_FROM} WHERE t.id = $1");
        self.opt(sqlx::query(&sql).bind(id), task_from).await
    }

    async fn case_tasks(&self, case_id: &str) -> Result<Vec<Task>> {
        let sql = format!(
            "SELECT {TASK_COLUMNS} FROM {TASK_FROM} WHERE t.case_id = $1 ORDER BY t.created_at, t.id"
        );
        self.all(sqlx::query(&sql).bind(case_id), task_from).await
    }

    async fn open_tasks_of(&self, assignee_id: &str) -> Result<Vec<Task>> {
        let sql = format!(
            "SELECT {TASK_COLUMNS} FROM {TASK_FROM} WHERE t.assignee_id = $1 \
             AND t.status IN ('open', 'started') {TASK_ORDER} LIMIT 200"
        );
        self.all(sqlx::query(&sql).bind(assignee_id), task_from)
            .await
    }

    async fn department_tasks(
        &self,
        department_id: &str,
        closed_since: Millis,
    ) -> Result<Vec<Task>> {
        let sql = format!(
            "SELECT {TASK_COLUMNS} FROM {TASK_FROM} WHERE t.department_id = $1 \
             AND (t.status IN ('open', 'started') OR t.closed_at >= $2) {TASK_ORDER} LIMIT 500"
        );
        self.all(
            sqlx::query(&sql).bind(department_id).bind(closed_since),
            task_from,
        )
        .await
    }

    async fn linked_tasks(&self, link_kind: &str, link_id: &str) -> Result<Vec<Task>> {
        let sql = format!(
            "SELECT {TASK_COLUMNS} FROM {TASK_FROM} WHERE t.link_kind = $1 AND t.link_id = $2 \
             AND t.status IN ('open', 'started') {TASK_ORDER} LIMIT 200"
        );
        self.all(sqlx::query(&sql).bind(link_kind).bind(link_id), task_from)
            .await
    }

    async fn add_task_comment(&self, c: &TaskComment, audit: &AuditEvent) -> Result<()> {
        let q = sqlx::query(
            "INSERT INTO task_comments (id, task_id, author_id, text, created_at) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(&c.id)
        .bind(&c.task_id)
        .bind(&c.author_id)
        .bind(&c.text)
        .bind(c.created_at);
        self.exec_audited(q, audit).await
    }

    async fn task_comments(&self, task_id: &str) -> Result<Vec<TaskComment>> {
        self.all(
            sqlx::query(
                "SELECT k.id, k.task_id, k.author_id, k.text, k.created_at, \
                 u.display_name AS author_name FROM task_comments k \
                 JOIN users u ON u.id = k.author_id WHERE k.task_id = $1 \
                 ORDER BY k.created_at, k.id LIMIT 500",
            )
            .bind(task_id),
            comment_from,
        )
        .await
    }
}
