//! The Data Tracker ("who looked at my data") and the audit chain check.

use crate::accounts::Principal;
use crate::Services;
use okienko_domain::audit::{verify_chain, AuditEntry, ChainBreak};
use okienko_domain::DomainError;
use okienko_store::Store;

/// One line of a person's Data Tracker.
#[derive(Debug, Clone)]
pub struct TrackerRow {
    pub entry: AuditEntry,
    pub actor_name: String,
}

/// What part of the audit trail to show: entries naming a text (in the action, the object,
/// the reason or the actor's id), about one person, and older than an entry (the next page).
#[derive(Debug, Clone, Default)]
pub struct AuditQuery {
    pub text: Option<String>,
    pub subject: Option<String>,
    pub before: Option<i64>,
}

/// The audit trail as its readers see it: whether the chain holds, and the newest entries.
pub struct AuditTrail {
    pub chain: Result<u64, ChainBreak>,
    pub newest: Vec<AuditEntry>,
    /// The entry the next page starts before, if there are more.
    pub more_before: Option<i64>,
    /// The names of the people who acted in `newest`, by user id.
    pub names: std::collections::HashMap<String, String>,
}

impl Services {
    /// The audit trail, for those who may read it: the chain checked, the newest `limit`.
    pub async fn audit_trail(
        &self,
        p: &Principal,
        query: &AuditQuery,
        limit: usize,
    ) -> Result<AuditTrail, DomainError> {
        crate::orgs::check(p, okienko_domain::policy::Action::ReadAuditTrail)?;
        let (rows, head) = self.store.audit_chain().await?;
        let chain = chain_holds(&rows, &head);
        let text = query
            .text
            .as_deref()
            .map(|t| t.trim().to_lowercase())
            .filter(|t| !t.is_empty());
        let subject = query.subject.as_deref().filter(|s| !s.is_empty());
        let mut newest: Vec<AuditEntry> = rows
            .into_iter()
            .rev()
            .map(|(e, _)| e)
            .filter(|e| query.before.is_none_or(|b| e.seq < b))
            .filter(|e| subject.is_none_or(|s| e.subject_id.as_deref() == Some(s) || e.object == s))
            .filter(|e| {
                text.as_deref().is_none_or(|t| {
                    [
                        e.action.as_str(),
                        e.object.as_str(),
                        e.reason.as_str(),
                        e.actor_id.as_deref().unwrap_or(""),
                    ]
                    .iter()
                    .any(|f| f.to_lowercase().contains(t))
                })
            })
            .take(limit + 1)
            .collect();
        let more_before = if newest.len() > limit {
            newest.truncate(limit);
            newest.last().map(|e| e.seq)
        } else {
            None
        };
        let names = self.actor_names(&newest).await?;
        Ok(AuditTrail {
            chain,
            newest,
            more_before,
            names,
        })
    }

    /// The display names of the entries' actors, each looked up once (the same few recur).
    async fn actor_names(
        &self,
        entries: &[AuditEntry],
    ) -> Result<std::collections::HashMap<String, String>, DomainError> {
        let mut names = std::collections::HashMap::new();
        for id in entries.iter().filter_map(|e| e.actor_id.as_ref()) {
            if !names.contains_key(id) {
                let name = self
                    .store
                    .user_by_id(id)
                    .await?
                    .map(|u| u.display_name)
                    .unwrap_or_default();
                names.insert(id.clone(), name);
            }
        }
        Ok(names)
    }

    /// Counts for the operator's metrics: the store's open and idle connections, the jobs.
    pub async fn store_stats(&self) -> ((u32, u32), okienko_store::JobCounts) {
        let jobs = self.store.job_counts().await.unwrap_or_default();
        (self.store.pool_stats(), jobs)
    }

    /// Staff reads and changes of the principal's own data, newest first (their own actions
    /// are left out: they know about those).
    pub async fn data_tracker(&self, p: &Principal) -> Result<Vec<TrackerRow>, DomainError> {
        let entries: Vec<AuditEntry> = self
            .store
            .audit_for_subject(&p.user.id, 500)
            .await?
            .into_iter()
            .filter(|e| e.actor_id.as_deref() != Some(p.user.id.as_str()))
            .collect();
        let names = self.actor_names(&entries).await?;
        Ok(entries
            .into_iter()
            .map(|e| TrackerRow {
                actor_name: e
                    .actor_id
                    .as_ref()
                    .and_then(|id| names.get(id).cloned())
                    .unwrap_or_default(),
                entry: e,
            })
            .collect())
    }
}

/// Recomputes the audit chain; returns the number of rows or the first break.
/// Whether the stored entries, with their hashes, make the chain the recorded head closes.
fn chain_holds(rows: &[(AuditEntry, String)], head: &(i64, String)) -> Result<u64, ChainBreak> {
    verify_chain(rows.iter().map(|(e, h)| (e, h.as_str())), (head.0, &head.1))
}

pub async fn verify_audit(store: &dyn Store) -> anyhow::Result<Result<u64, ChainBreak>> {
    let (rows, head) = store.audit_chain().await?;
    Ok(chain_holds(&rows, &head))
}
