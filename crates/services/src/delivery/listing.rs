//! How a mailbox's folder is asked for in URLs and searches: the folder by name, the search
//! (text, a message's short reference, dates) and the keyset cursor.

use okienko_domain::{DomainError, FieldErrors};
use okienko_store::{Folder, ListFilter};

/// A folder by its name in URLs: `inbox` (also empty), `sent`, `archive`.
pub fn folder_named(name: &str) -> Result<Folder, DomainError> {
    match name {
        "" | "inbox" => Ok(Folder::Inbox),
        "sent" => Ok(Folder::Sent),
        "archive" => Ok(Folder::Archive),
        _ => Err(DomainError::invalid("folder", "err-folder")),
    }
}

/// A search of a folder from what a person typed: text, and dates `YYYY-MM-DD` (both days
/// included). Empty values mean no limit.
pub fn list_filter(text: &str, since: &str, until: &str) -> Result<ListFilter, DomainError> {
    let mut errs = FieldErrors::new();
    let day = |s: &str, field: &'static str, errs: &mut FieldErrors| -> Option<i64> {
        let s = s.trim();
        if s.is_empty() {
            return None;
        }
        let f = time::macros::format_description!("[year]-[month]-[day]");
        match time::Date::parse(s, &f) {
            Ok(d) => Some(okienko_domain::to_millis(d.midnight().assume_utc())),
            Err(_) => {
                errs.add(field, "err-date");
                None
            }
        }
    };
    let since_ms = day(since, "since", &mut errs);
    let until_ms = day(until, "until", &mut errs).map(|d| d + 86_400_000);
    errs.finish()?;
    let text = text.trim();
    if text.chars().count() > 100 {
        return Err(DomainError::invalid("q", "err-search-long"));
    }
    // A message's short reference finds the message by its identifier.
    let reference = okienko_domain::ids::reference_query(text);
    Ok(ListFilter {
        words: match reference {
            Some(_) => Vec::new(),
            None => okienko_domain::search::asked_words(text),
        },
        reference,
        since: since_ms,
        until: until_ms,
    })
}

/// A mailbox listing cursor: `sent_at.id` of the last item seen.
pub fn cursor_of(sent_at: i64, id: &str) -> String {
    format!("{sent_at}.{id}")
}

pub fn parse_cursor(c: &str) -> Option<(i64, String)> {
    let (a, b) = c.split_once('.')?;
    Some((a.parse().ok()?, b.to_string()))
}
