//! The full-text index (`domain::search`): each item's folded words in its scope. The stores
//! of cases, register entries, case documents and messages index their items in the commit
//! that stores them; this trait answers searches.

use crate::*;
use async_trait::async_trait;
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

/// A search: items of these scopes (and kinds, when any are named) with a word starting with
/// each of the words (folded, see `domain::search::query_words`).
#[derive(Debug, Clone, Default)]
pub struct SearchQuery {
    pub scopes: Vec<String>,
    pub kinds: Vec<String>,
    pub words: Vec<String>,
    /// Only items from `since` (included) to `until` (excluded).
    pub since: Option<Millis>,
    pub until: Option<Millis>,
    /// Only items older than this `(at, item_id)` (the next page).
    pub before: Option<(Millis, String)>,
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

/// A search's answer, newest first. `capped`: the rarest word asked starts more than
/// [`SEARCH_CANDIDATES`] words in the scopes, and only that many were looked at (another
/// word narrows it).
#[derive(Debug, Clone, Default)]
pub struct SearchPage {
    pub hits: Vec<SearchHit>,
    pub capped: bool,
}

/// How many items one search looks at, at most: what keeps a search of a million items as
/// fast as a search of a thousand.
pub const SEARCH_CANDIDATES: i64 = 5_000;

#[async_trait]
pub trait SearchStore {
    async fn search(&self, q: &SearchQuery) -> Result<SearchPage>;
}
