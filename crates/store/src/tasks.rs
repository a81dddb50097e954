//! Work for colleagues on a case (`domain::tasks`): tasks and requests for internal opinions.

use crate::cases::CaseEvent;
use crate::Result;
use async_trait::async_trait;
use okienko_domain::audit::AuditEvent;
use okienko_domain::Millis;

/// A task or a request for an opinion on a case, given to one official.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CaseTask {
    pub id: String,
    pub case_id: String,
    pub office_id: String,
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
    pub closed_by: Option<String>,
    pub closed_at: Option<Millis>,
    /// Read with it: the people's names and the case's signature and title.
    pub assignee_name: String,
    pub creator_name: String,
    pub signature: String,
    pub case_title: String,
}

#[async_trait]
pub trait TaskStore: Send + Sync {
    /// Adds a task with the case's event, in one commit.
    async fn add_task(&self, t: &CaseTask, event: &CaseEvent, audit: &AuditEvent) -> Result<()>;
    /// Closes an open task (`status` done or cancelled, with the answer) with the case's
    /// event; false when it was not open any more.
    async fn close_task(&self, t: &CaseTask, event: &CaseEvent, audit: &AuditEvent)
        -> Result<bool>;
    async fn task(&self, id: &str) -> Result<Option<CaseTask>>;
    /// A case's tasks, the oldest first.
    async fn case_tasks(&self, case_id: &str) -> Result<Vec<CaseTask>>;
    /// A person's open tasks, by due day (those without one last), at most 200.
    async fn open_tasks_of(&self, assignee_id: &str) -> Result<Vec<CaseTask>>;
}
