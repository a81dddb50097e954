//! A department's document library: folders one inside another (at most [`MAX_DEPTH`] deep),
//! documents with versions, shared by folder with another department to read or to work in,
//! and linked into a task or a case. No IO.

use crate::error::FieldErrors;

/// How deep folders go (a folder at the top is at depth 1).
pub const MAX_DEPTH: usize = 6;

/// What another department may do in a shared folder.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum ShareLevel {
    /// Read its documents and download their versions.
    Read,
    /// Also add documents and folders, check out and check in.
    Edit,
}

impl ShareLevel {
    pub fn parse(s: &str) -> Option<ShareLevel> {
        match s.trim() {
            "read" => Some(ShareLevel::Read),
            "edit" => Some(ShareLevel::Edit),
            _ => None,
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            ShareLevel::Read => "read",
            ShareLevel::Edit => "edit",
        }
    }
}

/// What a library document is linked into.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkKind {
    Task,
    Case,
}

impl LinkKind {
    pub fn parse(s: &str) -> Option<LinkKind> {
        match s.trim() {
            "task" => Some(LinkKind::Task),
            "case" => Some(LinkKind::Case),
            _ => None,
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            LinkKind::Task => "task",
            LinkKind::Case => "case",
        }
    }
}

/// A link target as a form sends it: `task:<id>` or `case:<id>`.
pub fn parse_target(s: &str) -> Option<(LinkKind, &str)> {
    let (kind, id) = s.trim().split_once(':')?;
    let kind = LinkKind::parse(kind)?;
    let id = id.trim();
    (!id.is_empty() && id.len() <= 64).then_some((kind, id))
}

/// A folder's name or a document's title: one clean line of 1 to 200 characters (a folder's
/// without slashes, which would look like a path).
fn check_line(field: &'static str, code: &'static str, text: &str, slash: bool) -> FieldErrors {
    let mut errors = FieldErrors::new();
    let t = text.trim();
    if t.is_empty()
        || t.chars().count() > 200
        || !crate::text::clean_line(t)
        || (!slash && t.contains(['/', '\\']))
    {
        errors.add(field, code);
    }
    errors
}

/// Checks a new folder's name and that it is not too deep (`depth`: the new folder's).
pub fn check_folder(name: &str, depth: usize) -> Result<(), crate::DomainError> {
    let mut errors = check_line("name", "err-library-folder-name", name, false);
    if depth > MAX_DEPTH {
        errors.add("name", "err-library-too-deep");
    }
    errors.finish()
}

/// Checks a document's title.
pub fn check_title(title: &str) -> FieldErrors {
    check_line("title", "err-document-title", title, true)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn folders_are_named_on_one_line_and_go_six_deep() {
        assert!(check_folder("Wzory umów", 1).is_ok());
        assert!(check_folder("  ", 1).is_err());
        assert!(check_folder("a/b", 1).is_err());
        assert!(check_folder("Wzory", MAX_DEPTH).is_ok());
        assert!(check_folder("Wzory", MAX_DEPTH + 1).is_err());
        assert!(check_title("Regulamin 1/2026").is_empty());
        assert!(!check_title("").is_empty());
    }

    #[test]
    fn targets_name_a_task_or_a_case() {
        assert_eq!(parse_target("task:t1"), Some((LinkKind::Task, "t1")));
        assert_eq!(parse_target("case: c1 "), Some((LinkKind::Case, "c1")));
        assert_eq!(parse_target("message:m1"), None);
        assert_eq!(parse_target("case:"), None);
        assert_eq!(ShareLevel::parse("edit"), Some(ShareLevel::Edit));
        assert!(ShareLevel::Read < ShareLevel::Edit);
    }

    proptest! {
        #[test]
        fn any_text_is_a_target_or_not_without_panicking(s in ".{0,80}") {
            if let Some((k, id)) = parse_target(&s) {
                prop_assert!(!id.is_empty() && s.contains(k.as_str()));
            }
        }
    }
}
