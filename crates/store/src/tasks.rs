//! Work for colleagues (`domain::tasks`): tasks, requests for internal opinions and to-dos, on
//! a case, an application or a message or on nothing, with their comments and the department
//! boards they are on.

use crate::cases::CaseEvent;
use crate::Result;
use async_trait::async_trait;
use okienko_domain::audit::AuditEvent;
use okienko_domain::Millis;

/// A task or a request for an opinion, given to one official.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Task {
    pub id: String,
    pub office_id: String,
    /// The board it is on: its assignee's department (None for who works in none).
    pub department_id: Option<String>,
    pub case_id: Option<String>,
    /// `domain::tasks::TaskLink` as its word, with the application's reference or the
    /// message's id, and what to call it (its service or subject, as it was when linked).
    pub link_kind: Option<String>,
    pub link_id: Option<String>,
    pub link_label: String,
    /// `domain::tasks::TaskKind` as its word.
    pub kind: String,
    pub text: String,
    pub assignee_id: String,
    pub due_on: Option<String>,
    /// `domain::tasks::TaskStatus` as its word.
    pub status: String,
    /// What the assignee answered (an opinion's text); empty until done.
    pub answer: String,
    pub created_by: String,
    pub created_at: Millis,
    pub started_at: Option<Millis>,
    pub closed_by: Option<String>,
    pub closed_at: Option<Millis>,
    /// Read with it: the people's names, the case's signature and title (empty without a
    /// case) and the department's name (empty without one).
    pub assignee_name: String,
    pub creator_name: String,
    pub signature: String,
    pub case_title: String,
    pub department_name: String,
}

impl Task {
    /// What it is, in one line: on what (the case's signature and title, or the application's
    /// or message's label) and the text.
    pub fn headline(&self) -> String {
        if self.case_id.is_some() {
            format!("{} {}: {}", self.signature, self.case_title, self.text)
        } else if self.link_label.is_empty() {
            self.text.clone()
        } else {
            format!("{}: {}", self.link_label, self.text)
        }
    }
}

/// Something said on a task.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TaskComment {
    pub id: String,
    pub task_id: String,
    pub author_id: String,
    pub text: String,
    pub created_at: Millis,
    /// Read with it.
    pub author_name: String,
}

/// A change of an active task: started, or given to someone else (and so to their
/// department's board).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TaskChange {
    Start {
        at: Millis,
    },
    Reassign {
        assignee_id: String,
        department_id: Option<String>,
    },
}

#[async_trait]
pub trait TaskStore: Send + Sync {
    /// Adds a task, with the case's event when it is on a case, in one commit.
    async fn add_task(&self, t: &Task, event: Option<&CaseEvent>, audit: &AuditEvent)
        -> Result<()>;
    /// Closes an active task (`status` done or cancelled, with the answer) with the case's
    /// event; false when it was not active any more.
    async fn close_task(
        &self,
        t: &Task,
        event: Option<&CaseEvent>,
        audit: &AuditEvent,
    ) -> Result<bool>;
    /// Starts (only an open one) or reassigns an active task; false when it was not.
    async fn change_task(&self, id: &str, change: &TaskChange, audit: &AuditEvent) -> Result<bool>;
    async fn task(&self, id: &str) -> Result<Option<Task>>;
    /// A case's tasks, the oldest first.
    async fn case_tasks(&self, case_id: &str) -> Result<Vec<Task>>;
    /// A person's active tasks, by due day (those without one last), at most 200.
    async fn open_tasks_of(&self, assignee_id: &str) -> Result<Vec<Task>>;
    /// A department's board: its active tasks and those closed since `closed_since`, by due
    /// day, at most 500.
    async fn department_tasks(
        &self,
        department_id: &str,
        closed_since: Millis,
    ) -> Result<Vec<Task>>;
    /// Active tasks on an application or a message (`link_kind`, `link_id`).
    async fn linked_tasks(&self, link_kind: &str, link_id: &str) -> Result<Vec<Task>>;
    async fn add_task_comment(&self, c: &TaskComment, audit: &AuditEvent) -> Result<()>;
    /// A task's comments, the oldest first.
    async fn task_comments(&self, task_id: &str) -> Result<Vec<TaskComment>>;
}
