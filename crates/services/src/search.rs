//! Search for officials (`domain::search`): the cases, register entries, case documents and
//! library documents of the departments they work (and an office's entries given to no department, for those who
//! work the whole office), by words that tolerate missing diacritics. Mailbox searches go
//! through the same index (`delivery::listing`).

use crate::accounts::Principal;
use crate::Services;
use okienko_domain::search::{self, KIND_CASE, KIND_DOCUMENT, KIND_ENTRY, KIND_LIBRARY};
use okienko_domain::DomainError;
use okienko_store::{SearchHit, SearchQuery};

/// What a search found, newest first.
#[derive(Debug, Clone, Default)]
pub struct SearchResults {
    pub hits: Vec<SearchHit>,
    /// A word asked starts more words than one search looks at: the newest of those were
    /// searched, and another word narrows it.
    pub capped: bool,
}

/// The kinds of items an official searches.
pub const WORK_KINDS: [&str; 4] = [KIND_CASE, KIND_ENTRY, KIND_DOCUMENT, KIND_LIBRARY];

/// The most items one answer lists.
pub const SEARCH_LIMIT: i64 = 50;

impl Services {
    /// Searches what the person works on: `q` as typed (a case signature finds its case),
    /// `kind` one of [`WORK_KINDS`] or empty for all. 404 to someone who works no cases.
    pub async fn search_work(
        &self,
        p: &Principal,
        q: &str,
        kind: &str,
    ) -> Result<SearchResults, DomainError> {
        let departments = self.case_departments(p).await?;
        if departments.is_empty() {
            return Err(DomainError::NotFound);
        }
        let q = q.trim();
        if q.chars().count() > 100 {
            return Err(DomainError::invalid("q", "err-search-long"));
        }
        let kinds = match kind.trim() {
            "" => WORK_KINDS.iter().map(|k| k.to_string()).collect(),
            k if WORK_KINDS.contains(&k) => vec![k.to_string()],
            _ => return Err(DomainError::invalid("kind", "err-search-kind")),
        };
        let words = search::asked_words(q);
        if words.is_empty() {
            return Ok(SearchResults::default());
        }
        let mut scopes: Vec<String> = departments
            .iter()
            .map(|d| search::department_scope(&d.id))
            .collect();
        for office in Self::case_offices(p) {
            if Self::may_handle(p, &office, None) {
                scopes.push(search::office_scope(&office));
            }
        }
        let page = self
            .store
            .search(&SearchQuery {
                scopes,
                kinds,
                words,
                limit: SEARCH_LIMIT,
                ..SearchQuery::default()
            })
            .await?;
        Ok(SearchResults {
            hits: page.hits,
            capped: page.capped,
        })
    }
}
