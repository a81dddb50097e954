//! Work for colleagues: a task (do something, report back) or a request for an internal
//! opinion (answer in writing), each given to one official of the office (oneself too, as a
//! to-do) with an optional due day, on a case, an electronic application or a message, or on
//! nothing. It is open, then started, then done or cancelled. No IO and no clock: today is
//! passed in.

use crate::error::FieldErrors;
use time::Date;

/// The longest a task's text or an answer may be.
pub const MAX_TEXT: usize = 4000;

/// What is asked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TaskKind {
    Task,
    Opinion,
}

impl TaskKind {
    pub fn parse(s: &str) -> Option<TaskKind> {
        match s.trim() {
            "task" => Some(TaskKind::Task),
            "opinion" => Some(TaskKind::Opinion),
            _ => None,
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            TaskKind::Task => "task",
            TaskKind::Opinion => "opinion",
        }
    }
}

/// Where a task is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TaskStatus {
    Open,
    Started,
    Done,
    Cancelled,
}

impl TaskStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            TaskStatus::Open => "open",
            TaskStatus::Started => "started",
            TaskStatus::Done => "done",
            TaskStatus::Cancelled => "cancelled",
        }
    }
    /// Still to be done (open or started): its assignee may read what it is on.
    pub fn active(status: &str) -> bool {
        status == TaskStatus::Open.as_str() || status == TaskStatus::Started.as_str()
    }
}

/// What a task is on besides a case.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TaskLink {
    /// An electronic application, by its reference.
    Submission,
    /// An e-delivery message, by its id.
    Message,
}

impl TaskLink {
    pub fn parse(s: &str) -> Option<TaskLink> {
        match s {
            "submission" => Some(TaskLink::Submission),
            "message" => Some(TaskLink::Message),
            _ => None,
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            TaskLink::Submission => "submission",
            TaskLink::Message => "message",
        }
    }
}

/// A comment on a task: something to say, up to [`MAX_TEXT`] characters.
pub fn check_comment(text: &str) -> Result<(), crate::DomainError> {
    let mut errors = FieldErrors::new();
    if !text_ok(text) {
        errors.add("comment", "err-task-comment");
    }
    errors.finish()
}

fn text_ok(s: &str) -> bool {
    let t = s.trim();
    !t.is_empty() && t.chars().count() <= MAX_TEXT && crate::text::clean_text(t)
}

/// A new task's kind, text and due day (`YYYY-MM-DD`, today or later; empty for none).
pub fn parse_task(
    kind: &str,
    text: &str,
    due_on: &str,
    today: Date,
) -> Result<(TaskKind, Option<Date>), FieldErrors> {
    let mut errors = FieldErrors::new();
    let kind = TaskKind::parse(kind);
    if kind.is_none() {
        errors.add("kind", "err-task-kind");
    }
    if !text_ok(text) {
        errors.add("text", "err-task-text");
    }
    let due = match due_on.trim() {
        "" => None,
        d => match crate::substitutes::parse_day(d) {
            Some(d) if d >= today => Some(d),
            _ => {
                errors.add("due_on", "err-task-due");
                None
            }
        },
    };
    match (kind, errors.is_empty()) {
        (Some(k), true) => Ok((k, due)),
        _ => Err(errors),
    }
}

/// An answer that completes a task: an opinion must say something, a task may be done
/// without a word.
pub fn check_answer(kind: TaskKind, answer: &str) -> Result<(), FieldErrors> {
    let mut errors = FieldErrors::new();
    let empty = answer.trim().is_empty();
    if (kind == TaskKind::Opinion && empty) || (!empty && !text_ok(answer)) {
        errors.add("answer", "err-task-answer");
        return Err(errors);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use time::macros::date;

    #[test]
    fn tasks_and_opinions_are_read_with_their_fields() {
        let today = date!(2026 - 12 - 07);
        assert_eq!(
            parse_task(
                "opinion",
                "Czy potrzebna zgoda konserwatora?",
                "2026-12-10",
                today
            ),
            Ok((TaskKind::Opinion, Some(date!(2026 - 12 - 10))))
        );
        assert_eq!(
            parse_task("task", "Oględziny", "", today),
            Ok((TaskKind::Task, None))
        );
        let fields = |r: Result<(TaskKind, Option<Date>), FieldErrors>| {
            r.err()
                .map(|e| e.0.iter().map(|f| f.field.to_string()).collect::<Vec<_>>())
        };
        assert_eq!(
            fields(parse_task("memo", "", "2026-12-06", today)),
            Some(vec!["kind".into(), "text".into(), "due_on".into()])
        );
        assert!(check_answer(TaskKind::Task, "").is_ok());
        assert!(check_answer(TaskKind::Opinion, "  ").is_err());
        assert!(check_answer(TaskKind::Opinion, "Zgoda nie jest potrzebna.").is_ok());
        assert!(check_comment("Dzwoniłam, oddzwonią jutro.").is_ok());
        assert!(check_comment(" ").is_err());
        assert!(TaskStatus::active("started") && !TaskStatus::active("done"));
        assert_eq!(TaskLink::parse("message"), Some(TaskLink::Message));
        assert_eq!(TaskLink::parse("case"), None);
        assert!(check_answer(TaskKind::Task, &"x".repeat(MAX_TEXT + 1)).is_err());
    }

    proptest! {
        #[test]
        fn parsing_never_panics(k in ".{0,10}", t in ".{0,50}", d in ".{0,12}") {
            let _ = parse_task(&k, &t, &d, date!(2026 - 12 - 07));
            let _ = check_answer(TaskKind::Opinion, &t);
        }
    }
}
