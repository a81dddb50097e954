//! The full-text index (`domain::search`): each item's folded words in its scope. The stores
//! of cases, register entries, case documents and messages index their items in the commit
//! that stores them; this trait answers searches.

use crate::cases::{Case, CaseDocument, RegisterEntry};
use crate::*;
use async_trait::async_trait;
use okienko_domain::search;
use okienko_domain::Millis;

/// One item as the index keeps it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchItem {
    pub scope: String,
    /// `domain::search::KIND_*`.
    pub kind: String,
    pub item_id: String,
    /// When it happened (newest first in answers).
    pub at: Millis,
    /// What an answer shows of it (a case's signature and title, an entry's number and
    /// subject, a document's title).
    pub label: String,
    /// The page a hit opens (`domain::search::*_path`): the item's own, or a document's case.
    pub opens: String,
    pub words: Vec<String>,
}

/// A search: items of these scopes and kinds (at least one of each) with a word starting
/// with each of the words (folded, see `domain::search::query_words`).
#[derive(Debug, Clone, Default)]
pub struct SearchQuery {
    pub scopes: Vec<String>,
    pub kinds: Vec<String>,
    pub words: Vec<String>,
    /// Only items older than this one (ids are time-ordered): the next page.
    pub before: Option<String>,
    pub limit: i64,
}

/// One item found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchHit {
    pub scope: String,
    pub kind: String,
    pub item_id: String,
    pub at: Millis,
    pub label: String,
    pub opens: String,
}

/// A search's answer, newest first (by id: ids are time-ordered). `capped`: of several words
/// asked, the rarest starts at least [`SEARCH_CANDIDATES`] words of one scope and kind, and
/// only the newest that many were tested for the others (another word narrows it). One word
/// asked answers with its newest items, never capped.
#[derive(Debug, Clone, Default)]
pub struct SearchPage {
    pub hits: Vec<SearchHit>,
    pub capped: bool,
}

/// How many items of one scope and kind a search of several words tests, at most: what keeps
/// a search of a million items as fast as a search of a thousand.
pub const SEARCH_CANDIDATES: i64 = 500;

/// A case in its department's scope: found by its signature (also as one word), title,
/// party and JRWA class.
pub fn case_item(c: &Case) -> SearchItem {
    SearchItem {
        scope: search::department_scope(&c.department_id),
        kind: search::KIND_CASE.into(),
        item_id: c.id.clone(),
        at: c.created_at,
        label: format!("{} {}", c.signature, c.title),
        opens: search::case_path(&c.id),
        words: search::index_words([
            c.signature.as_str(),
            &search::compact(&c.signature),
            &c.title,
            &c.party_name,
        ]),
    }
}

/// A register entry in its department's scope (the office's while it has none): found by
/// its number, subject and correspondent.
pub fn entry_item(e: &RegisterEntry) -> SearchItem {
    entry_item_with(e, "")
}

/// A register entry found also by `text`: the text layer of its letter's scan.
pub fn entry_item_with(e: &RegisterEntry, text: &str) -> SearchItem {
    let number = format!("{}/{}", e.number, e.year);
    SearchItem {
        scope: match &e.department_id {
            Some(d) => search::department_scope(d),
            None => search::office_scope(&e.office_id),
        },
        kind: search::KIND_ENTRY.into(),
        item_id: e.id.clone(),
        at: e.received_at,
        label: format!("{number} {}", e.subject),
        opens: search::entry_path(&e.office_id, e.year, e.number, &e.id),
        words: search::index_words([number.as_str(), &e.subject, &e.correspondent, text]),
    }
}

/// A case document in its case's department's scope: found by its title and the text of its
/// latest version (`text`, extracted from the file).
pub fn document_item(department_id: &str, d: &CaseDocument, at: Millis, text: &str) -> SearchItem {
    SearchItem {
        scope: search::department_scope(department_id),
        kind: search::KIND_DOCUMENT.into(),
        item_id: d.id.clone(),
        at,
        label: d.title.clone(),
        opens: search::document_path(&d.case_id, &d.id),
        words: search::index_words([d.title.as_str(), text]),
    }
}

/// A department library's document in its department's scope: found by its title and the
/// text of its latest version.
pub fn library_item(d: &crate::LibraryDocument, at: Millis, text: &str) -> SearchItem {
    SearchItem {
        scope: search::department_scope(&d.department_id),
        kind: search::KIND_LIBRARY.into(),
        item_id: d.id.clone(),
        at,
        label: d.title.clone(),
        opens: search::library_path(&d.id),
        words: search::index_words([d.title.as_str(), text]),
    }
}

/// A message in a mailbox's scope: found by its subject and the names given with it (its
/// sender's and recipients', `NewMessage::search_text`).
pub fn message_item(m: &Message, mailbox: &str, at: Millis, names: &str) -> SearchItem {
    SearchItem {
        scope: search::mailbox_scope(mailbox),
        kind: search::KIND_MESSAGE.into(),
        item_id: m.id.clone(),
        at,
        label: m.subject.clone(),
        opens: search::message_path(&m.id),
        words: search::index_words([m.subject.as_str(), &m.sender, names]),
    }
}

#[async_trait]
pub trait SearchStore {
    async fn search(&self, q: &SearchQuery) -> Result<SearchPage>;
}
