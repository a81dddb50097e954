//! Work for colleagues on a case (`domain::tasks`): who handles a case gives a task or asks an
//! internal opinion of another official of the office (another department's too: a lawyer, the
//! treasurer); while it is open the colleague may read the case (its page, documents and
//! decisions, without changing them) and answers from their task list. Each step is on the
//! case's timeline and in the audit log.

use crate::accounts::Principal;
use crate::Services;
use okienko_domain::audit::AuditEvent;
use okienko_domain::cases::CaseStatus;
use okienko_domain::tasks::{check_answer, parse_task, TaskKind, TaskStatus};
use okienko_domain::DomainError;
use okienko_store::{Case, CaseEvent, CaseTask};

/// A task to give: its kind (`task` or `opinion`), to whom (a user id), what, and by when
/// (`YYYY-MM-DD` or empty).
#[derive(Debug, Clone, Default)]
pub struct TaskInput {
    pub kind: String,
    pub assignee: String,
    pub text: String,
    pub due_on: String,
}

/// A task with what the person may do with it.
#[derive(Debug, Clone)]
pub struct TaskView {
    pub task: CaseTask,
    /// The assignee, while it is open.
    pub may_answer: bool,
    /// Who gave it or who handles the case, while it is open.
    pub may_cancel: bool,
}

impl Services {
    /// A case the person may read, and whether they may work it: who handles it may, who has
    /// an open task on it may only read it.
    pub(crate) async fn seen_case(
        &self,
        p: &Principal,
        id: &str,
    ) -> Result<(Case, bool), DomainError> {
        let c = self.store.case(id).await?.ok_or(DomainError::NotFound)?;
        if Self::may_handle(p, &c.office_id, Some(&c.department_id)) {
            return Ok((c, true));
        }
        let asked = self
            .store
            .case_tasks(&c.id)
            .await?
            .iter()
            .any(|t| t.assignee_id == p.user.id && t.status == TaskStatus::Open.as_str());
        if asked {
            Ok((c, false))
        } else {
            Err(DomainError::NotFound)
        }
    }

    fn task_event(&self, p: &Principal, case_id: &str, kind: &str, detail: String) -> CaseEvent {
        CaseEvent {
            id: okienko_store::new_id(),
            case_id: case_id.to_string(),
            at: self.now_ms(),
            actor_id: p.user.id.clone(),
            actor_name: String::new(),
            kind: kind.into(),
            detail,
        }
    }

    /// Gives a task or asks an opinion on a case (not a closed one) of another official of
    /// the case's office.
    pub async fn add_case_task(
        &self,
        p: &Principal,
        case_id: &str,
        input: &TaskInput,
    ) -> Result<CaseTask, DomainError> {
        let c = self.my_case(p, case_id).await?;
        if c.status == CaseStatus::Closed.as_str() {
            return Err(DomainError::Conflict("err-case-closed"));
        }
        let parsed = parse_task(&input.kind, &input.text, &input.due_on, self.today());
        let assignee = self
            .task_colleagues(p, &c.id)
            .await?
            .into_iter()
            .find(|(id, _)| *id == input.assignee.trim());
        let mut errors = parsed.as_ref().err().cloned().unwrap_or_default();
        if assignee.is_none() {
            errors.add("assignee", "err-task-assignee");
        }
        errors.finish()?;
        let (Ok((kind, due)), Some((assignee_id, assignee_name))) = (parsed, assignee) else {
            return Err(DomainError::invalid("assignee", "err-task-assignee"));
        };
        let now = self.now_ms();
        let t = CaseTask {
            id: okienko_store::new_id(),
            case_id: c.id.clone(),
            office_id: c.office_id.clone(),
            kind: kind.as_str().into(),
            text: input.text.trim().to_string(),
            assignee_id,
            due_on: due.map(|d| d.to_string()),
            status: TaskStatus::Open.as_str().into(),
            answer: String::new(),
            created_by: p.user.id.clone(),
            created_at: now,
            ..Default::default()
        };
        let event_kind = match kind {
            TaskKind::Task => "task-added",
            TaskKind::Opinion => "opinion-asked",
        };
        let event = self.task_event(p, &c.id, event_kind, format!("{assignee_name}: {}", t.text));
        let ev = AuditEvent::new(now, Some(&p.user.id), "task.add", &t.id);
        self.store.add_task(&t, &event, &ev).await?;
        self.store.task(&t.id).await?.ok_or(DomainError::NotFound)
    }

    /// The officials of a case's office a task on it may be given to (not the person).
    pub async fn task_colleagues(
        &self,
        p: &Principal,
        case_id: &str,
    ) -> Result<Vec<(String, String)>, DomainError> {
        let c = self.my_case(p, case_id).await?;
        Ok(self
            .office_officials(&c.office_id)
            .await?
            .into_iter()
            .filter(|u| u.id != p.user.id)
            .map(|u| (u.id, u.display_name))
            .collect())
    }

    /// A case's tasks, for who may read the case.
    pub async fn case_tasks(
        &self,
        p: &Principal,
        case_id: &str,
    ) -> Result<Vec<CaseTask>, DomainError> {
        let (c, _) = self.seen_case(p, case_id).await?;
        Ok(self.store.case_tasks(&c.id).await?)
    }

    /// The person's open tasks, the soonest due first; for who works an office's cases.
    pub async fn my_tasks(&self, p: &Principal) -> Result<Vec<CaseTask>, DomainError> {
        if Self::case_offices(p).is_empty() {
            return Err(DomainError::NotFound);
        }
        Ok(self.store.open_tasks_of(&p.user.id).await?)
    }

    /// A task, for its assignee, who gave it and who handles its case.
    pub async fn task_view(&self, p: &Principal, id: &str) -> Result<TaskView, DomainError> {
        let task = self.store.task(id).await?.ok_or(DomainError::NotFound)?;
        let c = self
            .store
            .case(&task.case_id)
            .await?
            .ok_or(DomainError::NotFound)?;
        let handles = Self::may_handle(p, &c.office_id, Some(&c.department_id));
        let me = &p.user.id;
        if *me != task.assignee_id && *me != task.created_by && !handles {
            return Err(DomainError::NotFound);
        }
        let open = task.status == TaskStatus::Open.as_str();
        Ok(TaskView {
            may_answer: open && *me == task.assignee_id,
            may_cancel: open && (*me == task.created_by || handles),
            task,
        })
    }

    /// Completes a task (its assignee): an opinion with its text, a task with a word or
    /// without.
    pub async fn answer_task(
        &self,
        p: &Principal,
        id: &str,
        answer: &str,
    ) -> Result<CaseTask, DomainError> {
        let v = self.task_view(p, id).await?;
        if p.user.id != v.task.assignee_id {
            return Err(DomainError::NotFound);
        }
        if !v.may_answer {
            return Err(DomainError::Conflict("err-task-closed"));
        }
        let kind = TaskKind::parse(&v.task.kind).unwrap_or(TaskKind::Task);
        check_answer(kind, answer).map_err(DomainError::Invalid)?;
        let event_kind = match kind {
            TaskKind::Task => "task-done",
            TaskKind::Opinion => "opinion-given",
        };
        self.close_task(p, v.task, TaskStatus::Done, answer.trim(), event_kind)
            .await
    }

    /// Cancels an open task (who gave it or who handles the case).
    pub async fn cancel_task(&self, p: &Principal, id: &str) -> Result<CaseTask, DomainError> {
        let v = self.task_view(p, id).await?;
        if !v.may_cancel {
            return Err(if v.task.status == TaskStatus::Open.as_str() {
                DomainError::NotFound
            } else {
                DomainError::Conflict("err-task-closed")
            });
        }
        self.close_task(p, v.task, TaskStatus::Cancelled, "", "task-cancelled")
            .await
    }

    async fn close_task(
        &self,
        p: &Principal,
        task: CaseTask,
        status: TaskStatus,
        answer: &str,
        event_kind: &str,
    ) -> Result<CaseTask, DomainError> {
        let now = self.now_ms();
        let after = CaseTask {
            status: status.as_str().into(),
            answer: answer.to_string(),
            closed_by: Some(p.user.id.clone()),
            closed_at: Some(now),
            ..task
        };
        let detail = if answer.is_empty() {
            after.text.clone()
        } else {
            answer.to_string()
        };
        let event = self.task_event(p, &after.case_id, event_kind, detail);
        let action = match status {
            TaskStatus::Cancelled => "task.cancel",
            _ => "task.done",
        };
        let ev = AuditEvent::new(now, Some(&p.user.id), action, &after.id);
        if !self.store.close_task(&after, &event, &ev).await? {
            return Err(DomainError::Conflict("err-task-closed"));
        }
        self.store
            .task(&after.id)
            .await?
            .ok_or(DomainError::NotFound)
    }
}
