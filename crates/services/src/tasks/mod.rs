//! Work for colleagues (`domain::tasks`). Who handles a case gives a task or asks an internal
//! opinion of another official of the office (another department's too: a lawyer, the
//! treasurer); while it is active the colleague may read the case (its page, documents and
//! decisions, without changing them). An official also gives a task (to a colleague or to
//! themself, as a to-do) on an application or a message they handle, or on nothing. A task is
//! on its assignee's department's board; it is started, reassigned, commented, finished or
//! cancelled. Each step is in the audit log, and on the case's timeline for a case's task.

pub mod demo;

use crate::accounts::Principal;
use crate::Services;
use okienko_domain::audit::AuditEvent;
use okienko_domain::cases::CaseStatus;
use okienko_domain::tasks::{
    check_answer, check_comment, parse_task, TaskKind, TaskLink, TaskStatus,
};
use okienko_domain::{DomainError, Role};
use okienko_store::{Case, CaseEvent, Department, Task, TaskChange, TaskComment};

/// How long a finished task stays on its department's board: 14 days.
const BOARD_KEEPS_MS: i64 = 14 * 24 * 3_600_000;

/// A task to give: its kind (`task` or `opinion`), to whom (a user id), what, and by when
/// (`YYYY-MM-DD` or empty); outside a case, what it is on (`submission` with its reference or
/// `message` with its id; none for a plain to-do).
#[derive(Debug, Clone, Default)]
pub struct TaskInput {
    pub kind: String,
    pub assignee: String,
    pub text: String,
    pub due_on: String,
    pub link: Option<(String, String)>,
}

/// An official a task may be given to, and the department whose board it then goes to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Colleague {
    pub id: String,
    pub name: String,
    pub department_id: Option<String>,
}

/// Where a new task outside a case goes: the office, what it is on (kind, id, what to call it)
/// and who it may be given to (the person first).
#[derive(Debug, Clone)]
pub struct TaskPlace {
    pub office_id: String,
    pub link: Option<(TaskLink, String, String)>,
    pub colleagues: Vec<Colleague>,
}

/// A task with what the person may do with it.
#[derive(Debug, Clone)]
pub struct TaskView {
    pub task: Task,
    pub comments: Vec<TaskComment>,
    /// The assignee, while it is active.
    pub may_answer: bool,
    /// The assignee, while it is open.
    pub may_start: bool,
    /// Who gave it or who handles its case, while it is active (the rest of its board
    /// reads and comments it).
    pub may_cancel: bool,
    /// Who it may be given to instead (empty for who may not reassign it, or once closed).
    pub colleagues: Vec<Colleague>,
}

impl Services {
    /// A case the person may read, and whether they may work it: who handles it may, who has
    /// an active task on it may only read it.
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
            .any(|t| t.assignee_id == p.user.id && TaskStatus::active(&t.status));
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

    /// The office's officials, each with the department they work in (none for the whole
    /// office), by name.
    pub(crate) async fn colleagues(&self, office_id: &str) -> Result<Vec<Colleague>, DomainError> {
        let mut out: Vec<Colleague> = self
            .store
            .office_staff(office_id)
            .await?
            .into_iter()
            .filter(|(u, _)| !u.disabled)
            .filter_map(|(u, gs)| {
                let g = gs.into_iter().find(|g| {
                    g.role == Role::Official && g.office_id.as_deref() == Some(office_id)
                })?;
                Some(Colleague {
                    id: u.id,
                    name: u.display_name,
                    department_id: g.department_id,
                })
            })
            .collect();
        out.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(out)
    }

    /// The officials of a case's office a task on it may be given to (not the person).
    pub async fn task_colleagues(
        &self,
        p: &Principal,
        case_id: &str,
    ) -> Result<Vec<(String, String)>, DomainError> {
        let c = self.my_case(p, case_id).await?;
        Ok(self
            .colleagues(&c.office_id)
            .await?
            .into_iter()
            .filter(|u| u.id != p.user.id)
            .map(|u| (u.id, u.name))
            .collect())
    }

    /// Checks a new task's fields and finds its assignee among `colleagues`.
    fn task_fields(
        &self,
        input: &TaskInput,
        colleagues: Vec<Colleague>,
    ) -> Result<(TaskKind, Option<String>, Colleague), DomainError> {
        let parsed = parse_task(&input.kind, &input.text, &input.due_on, self.today());
        let assignee = colleagues
            .into_iter()
            .find(|c| c.id == input.assignee.trim());
        let mut errors = parsed.as_ref().err().cloned().unwrap_or_default();
        if assignee.is_none() {
            errors.add("assignee", "err-task-assignee");
        }
        errors.finish()?;
        match (parsed, assignee) {
            (Ok((kind, due)), Some(a)) => Ok((kind, due.map(|d| d.to_string()), a)),
            _ => Err(DomainError::invalid("assignee", "err-task-assignee")),
        }
    }

    fn new_task(&self, p: &Principal, office_id: &str, kind: TaskKind, text: &str) -> Task {
        Task {
            id: okienko_store::new_id(),
            office_id: office_id.to_string(),
            kind: kind.as_str().into(),
            text: text.trim().to_string(),
            status: TaskStatus::Open.as_str().into(),
            created_by: p.user.id.clone(),
            created_at: self.now_ms(),
            ..Default::default()
        }
    }

    /// Gives a task or asks an opinion on a case (not a closed one) of another official of
    /// the case's office.
    pub async fn add_case_task(
        &self,
        p: &Principal,
        case_id: &str,
        input: &TaskInput,
    ) -> Result<Task, DomainError> {
        let c = self.my_case(p, case_id).await?;
        if c.status == CaseStatus::Closed.as_str() {
            return Err(DomainError::Conflict("err-case-closed"));
        }
        let others = self
            .colleagues(&c.office_id)
            .await?
            .into_iter()
            .filter(|u| u.id != p.user.id)
            .collect();
        let (kind, due_on, a) = self.task_fields(input, others)?;
        let t = Task {
            case_id: Some(c.id.clone()),
            assignee_id: a.id,
            department_id: a.department_id,
            due_on,
            ..self.new_task(p, &c.office_id, kind, &input.text)
        };
        let event_kind = match kind {
            TaskKind::Task => "task-added",
            TaskKind::Opinion => "opinion-asked",
        };
        let event = self.task_event(p, &c.id, event_kind, format!("{}: {}", a.name, t.text));
        let ev = AuditEvent::new(t.created_at, Some(&p.user.id), "task.add", &t.id);
        self.store.add_task(&t, Some(&event), &ev).await?;
        self.store.task(&t.id).await?.ok_or(DomainError::NotFound)
    }

    /// Where a task outside a case would go: on an application or a message the person
    /// handles (`link`: `submission` or `message` with its reference or id), or a plain to-do
    /// in the office the person works in.
    pub async fn task_place(
        &self,
        p: &Principal,
        link: Option<(&str, &str)>,
    ) -> Result<TaskPlace, DomainError> {
        let offices = Self::case_offices(p);
        if offices.is_empty() {
            return Err(DomainError::NotFound);
        }
        let (office_id, link) = match link {
            None => (offices.first().cloned().ok_or(DomainError::NotFound)?, None),
            Some((kind, id)) => match TaskLink::parse(kind) {
                Some(TaskLink::Submission) => {
                    let s = self
                        .store
                        .submission(id)
                        .await?
                        .ok_or(DomainError::NotFound)?;
                    if !offices.contains(&s.office_id)
                        || !self
                            .handles(p, &s.office_id, s.department.as_deref())
                            .await?
                    {
                        return Err(DomainError::NotFound);
                    }
                    let label = s.reference.clone();
                    (
                        s.office_id,
                        Some((TaskLink::Submission, s.reference, label)),
                    )
                }
                Some(TaskLink::Message) => {
                    let (m, _, as_recipient) = self.message_access(p, id).await?;
                    let office = self
                        .my_mailboxes(p)
                        .await?
                        .into_iter()
                        .filter(|(b, _)| b.address == m.sender || as_recipient.contains(&b.address))
                        .find_map(|(b, _)| b.office_id.filter(|o| offices.contains(o)))
                        .ok_or(DomainError::NotFound)?;
                    (office, Some((TaskLink::Message, m.id, m.subject)))
                }
                None => return Err(DomainError::NotFound),
            },
        };
        let mut colleagues = self.colleagues(&office_id).await?;
        if let Some(i) = colleagues.iter().position(|c| c.id == p.user.id) {
            let me = colleagues.remove(i);
            colleagues.insert(0, me);
        }
        Ok(TaskPlace {
            office_id,
            link,
            colleagues,
        })
    }

    /// Gives a task outside a case (see [`Self::task_place`]): to a colleague or to oneself.
    pub async fn add_task(&self, p: &Principal, input: &TaskInput) -> Result<Task, DomainError> {
        let link = input.link.as_ref().map(|(k, i)| (k.as_str(), i.as_str()));
        let place = self.task_place(p, link).await?;
        let (kind, due_on, a) = self.task_fields(input, place.colleagues)?;
        let (link_kind, link_id, link_label) = match place.link {
            Some((k, id, label)) => (Some(k.as_str().to_string()), Some(id), label),
            None => (None, None, String::new()),
        };
        let t = Task {
            assignee_id: a.id,
            department_id: a.department_id,
            due_on,
            link_kind,
            link_id,
            link_label,
            ..self.new_task(p, &place.office_id, kind, &input.text)
        };
        let ev = AuditEvent::new(t.created_at, Some(&p.user.id), "task.add", &t.id);
        self.store.add_task(&t, None, &ev).await?;
        self.store.task(&t.id).await?.ok_or(DomainError::NotFound)
    }

    /// A case's tasks, for who may read the case.
    pub async fn case_tasks(&self, p: &Principal, case_id: &str) -> Result<Vec<Task>, DomainError> {
        let (c, _) = self.seen_case(p, case_id).await?;
        Ok(self.store.case_tasks(&c.id).await?)
    }

    /// Active tasks on an application or a message, for who handles it.
    pub async fn linked_tasks(
        &self,
        p: &Principal,
        kind: TaskLink,
        id: &str,
    ) -> Result<Vec<Task>, DomainError> {
        let place = self.task_place(p, Some((kind.as_str(), id))).await?;
        let id = place.link.map(|(_, id, _)| id).unwrap_or_default();
        Ok(self.store.linked_tasks(kind.as_str(), &id).await?)
    }

    /// The person's active tasks, the soonest due first; for who works an office's cases.
    pub async fn my_tasks(&self, p: &Principal) -> Result<Vec<Task>, DomainError> {
        if Self::case_offices(p).is_empty() {
            return Err(DomainError::NotFound);
        }
        Ok(self.store.open_tasks_of(&p.user.id).await?)
    }

    /// The department boards the person may see: their own department's, or every
    /// department's of an office they work in as a whole (or administer).
    pub async fn task_boards(&self, p: &Principal) -> Result<Vec<Department>, DomainError> {
        let mut out = Vec::new();
        for office in Self::case_offices(p) {
            for d in self.store.departments(&office).await? {
                if Self::may_handle(p, &office, Some(&d.id)) {
                    out.push(d);
                }
            }
        }
        Ok(out)
    }

    /// A department's board: its active tasks and those closed in the last 14 days.
    pub async fn task_board(
        &self,
        p: &Principal,
        office_id: &str,
        department_id: &str,
    ) -> Result<(Department, Vec<Task>), DomainError> {
        let d = self
            .store
            .departments(office_id)
            .await?
            .into_iter()
            .find(|d| d.id == department_id)
            .ok_or(DomainError::NotFound)?;
        if !Self::may_handle(p, office_id, Some(&d.id)) {
            return Err(DomainError::NotFound);
        }
        let since = self.now_ms() - BOARD_KEEPS_MS;
        let tasks = self.store.department_tasks(&d.id, since).await?;
        Ok((d, tasks))
    }

    /// A task, for its assignee, who gave it, who handles its case and who may see its board;
    /// with whether the person may cancel it (who gave it or handles its case, while active).
    pub(crate) async fn seen_task(
        &self,
        p: &Principal,
        id: &str,
    ) -> Result<(Task, bool), DomainError> {
        let task = self.store.task(id).await?.ok_or(DomainError::NotFound)?;
        let handles_case = match &task.case_id {
            Some(case_id) => {
                let c = self
                    .store
                    .case(case_id)
                    .await?
                    .ok_or(DomainError::NotFound)?;
                Self::may_handle(p, &c.office_id, Some(&c.department_id))
            }
            None => false,
        };
        let on_board = task
            .department_id
            .as_deref()
            .is_some_and(|d| Self::may_handle(p, &task.office_id, Some(d)));
        let me = &p.user.id;
        if *me != task.assignee_id && *me != task.created_by && !handles_case && !on_board {
            return Err(DomainError::NotFound);
        }
        let may_cancel =
            TaskStatus::active(&task.status) && (*me == task.created_by || handles_case);
        Ok((task, may_cancel))
    }

    /// Who an active task may be given to instead (for its assignee and who may cancel it).
    async fn task_colleagues_of(
        &self,
        p: &Principal,
        task: &Task,
        may_cancel: bool,
    ) -> Result<Vec<Colleague>, DomainError> {
        let mine = p.user.id == task.assignee_id;
        if !TaskStatus::active(&task.status) || !(mine || may_cancel) {
            return Ok(Vec::new());
        }
        Ok(self
            .colleagues(&task.office_id)
            .await?
            .into_iter()
            .filter(|c| c.id != task.assignee_id)
            .collect())
    }

    /// A task with its comments and what the person may do with it (see [`Self::seen_task`]).
    pub async fn task_view(&self, p: &Principal, id: &str) -> Result<TaskView, DomainError> {
        let (task, may_cancel) = self.seen_task(p, id).await?;
        let mine = p.user.id == task.assignee_id;
        let active = TaskStatus::active(&task.status);
        Ok(TaskView {
            comments: self.store.task_comments(&task.id).await?,
            may_answer: active && mine,
            may_start: mine && task.status == TaskStatus::Open.as_str(),
            may_cancel,
            colleagues: self.task_colleagues_of(p, &task, may_cancel).await?,
            task,
        })
    }

    /// Marks a task as being worked on (its assignee, while it is open).
    pub async fn start_task(&self, p: &Principal, id: &str) -> Result<Task, DomainError> {
        let (task, _) = self.seen_task(p, id).await?;
        if p.user.id != task.assignee_id {
            return Err(DomainError::NotFound);
        }
        let now = self.now_ms();
        let ev = AuditEvent::new(now, Some(&p.user.id), "task.start", id);
        if task.status != TaskStatus::Open.as_str()
            || !self
                .store
                .change_task(id, &TaskChange::Start { at: now }, &ev)
                .await?
        {
            return Err(DomainError::Conflict("err-task-started"));
        }
        self.store.task(id).await?.ok_or(DomainError::NotFound)
    }

    /// Gives an active task to another official of its office (its assignee, who gave it, or
    /// who handles its case); it moves to their department's board.
    pub async fn reassign_task(
        &self,
        p: &Principal,
        id: &str,
        assignee: &str,
    ) -> Result<Task, DomainError> {
        let (task, may_cancel) = self.seen_task(p, id).await?;
        if !TaskStatus::active(&task.status) {
            return Err(DomainError::Conflict("err-task-closed"));
        }
        let to = self
            .task_colleagues_of(p, &task, may_cancel)
            .await?
            .into_iter()
            .find(|c| c.id == assignee.trim())
            .ok_or_else(|| DomainError::invalid("assignee", "err-task-assignee"))?;
        let ev = AuditEvent::new(self.now_ms(), Some(&p.user.id), "task.reassign", id);
        let change = TaskChange::Reassign {
            assignee_id: to.id,
            department_id: to.department_id,
        };
        if !self.store.change_task(id, &change, &ev).await? {
            return Err(DomainError::Conflict("err-task-closed"));
        }
        self.store.task(id).await?.ok_or(DomainError::NotFound)
    }

    /// Says something on a task (whoever may see it).
    pub async fn comment_task(
        &self,
        p: &Principal,
        id: &str,
        text: &str,
    ) -> Result<TaskComment, DomainError> {
        let (task, _) = self.seen_task(p, id).await?;
        check_comment(text)?;
        let c = TaskComment {
            id: okienko_store::new_id(),
            task_id: task.id,
            author_id: p.user.id.clone(),
            text: text.trim().to_string(),
            created_at: self.now_ms(),
            author_name: p.user.display_name.clone(),
        };
        let ev = AuditEvent::new(c.created_at, Some(&p.user.id), "task.comment", id);
        self.store.add_task_comment(&c, &ev).await?;
        Ok(c)
    }

    /// Completes a task (its assignee): an opinion with its text, a task with a word or
    /// without.
    pub async fn answer_task(
        &self,
        p: &Principal,
        id: &str,
        answer: &str,
    ) -> Result<Task, DomainError> {
        let (task, _) = self.seen_task(p, id).await?;
        if p.user.id != task.assignee_id {
            return Err(DomainError::NotFound);
        }
        if !TaskStatus::active(&task.status) {
            return Err(DomainError::Conflict("err-task-closed"));
        }
        let kind = TaskKind::parse(&task.kind).unwrap_or(TaskKind::Task);
        check_answer(kind, answer).map_err(DomainError::Invalid)?;
        let event_kind = match kind {
            TaskKind::Task => "task-done",
            TaskKind::Opinion => "opinion-given",
        };
        self.close_task(p, task, TaskStatus::Done, answer.trim(), event_kind)
            .await
    }

    /// Cancels an active task (who gave it or who handles its case).
    pub async fn cancel_task(&self, p: &Principal, id: &str) -> Result<Task, DomainError> {
        let (task, may_cancel) = self.seen_task(p, id).await?;
        if !may_cancel {
            return Err(if TaskStatus::active(&task.status) {
                DomainError::NotFound
            } else {
                DomainError::Conflict("err-task-closed")
            });
        }
        self.close_task(p, task, TaskStatus::Cancelled, "", "task-cancelled")
            .await
    }

    async fn close_task(
        &self,
        p: &Principal,
        task: Task,
        status: TaskStatus,
        answer: &str,
        event_kind: &str,
    ) -> Result<Task, DomainError> {
        let now = self.now_ms();
        let after = Task {
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
        let event = after
            .case_id
            .as_deref()
            .map(|c| self.task_event(p, c, event_kind, detail));
        let action = match status {
            TaskStatus::Cancelled => "task.cancel",
            _ => "task.done",
        };
        let ev = AuditEvent::new(now, Some(&p.user.id), action, &after.id);
        if !self.store.close_task(&after, event.as_ref(), &ev).await? {
            return Err(DomainError::Conflict("err-task-closed"));
        }
        self.store
            .task(&after.id)
            .await?
            .ok_or(DomainError::NotFound)
    }
}
