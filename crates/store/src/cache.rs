//! A read cache for what every signed-in request looks up: the session with its holder, the
//! holder's role grants, mailboxes and substitutions, mailboxes by address, offices'
//! departments (read by every case page) and the catalogue's services and offices (read by
//! every form page). Through sqlx each query
//! hands work to a database thread and back, and on 2 cores those thread switches, not the
//! queries, were most of the cost of a request.
//!
//! Correctness: every write in this process that can change a cached answer (users,
//! sessions, grants, mailboxes, members, offices, departments, substitutions, services) clears the whole cache after it commits, and an
//! answer read before such a write is not kept (the generation it was read under is gone).
//! Writes by another process (a second server on the same PostgreSQL, the command line on
//! the same SQLite file) are seen within `TTL`.

use crate::model::{Department, Mailbox, Office, Session, User};
use crate::{PublicService, Substitute};
use okienko_domain::RoleGrant;
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How long an answer is kept at most.
pub const TTL: Duration = Duration::from_secs(2);
/// Entries per map before it is emptied (a bound on memory, not an eviction policy).
const MAX_ENTRIES: usize = 100_000;

/// The key of [`Maps::covering`].
fn covering_key(substitute_id: &str, day: &str) -> String {
    format!("{substitute_id} {day}")
}

struct Entry<T> {
    value: T,
    at: Instant,
}

#[derive(Default)]
struct Maps {
    generation: u64,
    sessions: HashMap<String, Entry<(Session, User)>>,
    grants: HashMap<String, Entry<Vec<RoleGrant>>>,
    memberships: HashMap<String, Entry<Vec<(Mailbox, String)>>>,
    mailboxes: HashMap<String, Entry<Mailbox>>,
    services: HashMap<String, Entry<PublicService>>,
    offices: HashMap<String, Entry<Office>>,
    departments: HashMap<String, Entry<Vec<Department>>>,
    /// By substitute and day (`id day`).
    covering: HashMap<String, Entry<Vec<Substitute>>>,
}

impl Maps {
    fn clear(&mut self) {
        self.sessions.clear();
        self.grants.clear();
        self.memberships.clear();
        self.mailboxes.clear();
        self.services.clear();
        self.offices.clear();
        self.departments.clear();
        self.covering.clear();
    }
}

#[derive(Default)]
pub struct ReadCache {
    maps: Mutex<Maps>,
}

fn fresh<T: Clone>(map: &HashMap<String, Entry<T>>, key: &str) -> Option<T> {
    map.get(key)
        .filter(|e| e.at.elapsed() < TTL)
        .map(|e| e.value.clone())
}

fn keep<T>(map: &mut HashMap<String, Entry<T>>, key: &str, value: T) {
    if map.len() >= MAX_ENTRIES {
        map.clear();
    }
    map.insert(
        key.to_string(),
        Entry {
            value,
            at: Instant::now(),
        },
    );
}

impl ReadCache {
    fn with<R>(&self, f: impl FnOnce(&mut Maps) -> R) -> Option<R> {
        self.maps.lock().ok().map(|mut m| f(&mut m))
    }

    /// The generation to read under: pass it back to `keep_*` with the answer.
    pub fn generation(&self) -> u64 {
        self.with(|m| m.generation).unwrap_or(u64::MAX)
    }

    /// Something cached may have changed: forget everything.
    pub fn changed(&self) {
        self.with(|m| {
            m.generation = m.generation.wrapping_add(1);
            m.clear();
        });
    }

    pub fn session(&self, token_hash: &str) -> Option<(Session, User)> {
        self.with(|m| fresh(&m.sessions, token_hash)).flatten()
    }

    pub fn grants(&self, user_id: &str) -> Option<Vec<RoleGrant>> {
        self.with(|m| fresh(&m.grants, user_id)).flatten()
    }

    pub fn memberships(&self, user_id: &str) -> Option<Vec<(Mailbox, String)>> {
        self.with(|m| fresh(&m.memberships, user_id)).flatten()
    }

    pub fn mailbox(&self, address: &str) -> Option<Mailbox> {
        self.with(|m| fresh(&m.mailboxes, address)).flatten()
    }

    pub fn service(&self, id: &str) -> Option<PublicService> {
        self.with(|m| fresh(&m.services, id)).flatten()
    }

    pub fn office(&self, id: &str) -> Option<Office> {
        self.with(|m| fresh(&m.offices, id)).flatten()
    }

    pub fn departments(&self, office_id: &str) -> Option<Vec<Department>> {
        self.with(|m| fresh(&m.departments, office_id)).flatten()
    }

    pub fn covering(&self, substitute_id: &str, day: &str) -> Option<Vec<Substitute>> {
        self.with(|m| fresh(&m.covering, &covering_key(substitute_id, day)))
            .flatten()
    }

    /// Keeps an answer read under `generation`, unless something changed since.
    fn keep_with(&self, generation: u64, f: impl FnOnce(&mut Maps)) {
        self.with(|m| {
            if m.generation == generation {
                f(m)
            }
        });
    }

    pub fn keep_session(&self, generation: u64, token_hash: &str, value: (Session, User)) {
        self.keep_with(generation, |m| keep(&mut m.sessions, token_hash, value));
    }

    pub fn keep_grants(&self, generation: u64, user_id: &str, value: Vec<RoleGrant>) {
        self.keep_with(generation, |m| keep(&mut m.grants, user_id, value));
    }

    pub fn keep_memberships(&self, generation: u64, user_id: &str, value: Vec<(Mailbox, String)>) {
        self.keep_with(generation, |m| keep(&mut m.memberships, user_id, value));
    }

    pub fn keep_mailbox(&self, generation: u64, address: &str, value: Mailbox) {
        self.keep_with(generation, |m| keep(&mut m.mailboxes, address, value));
    }

    pub fn keep_service(&self, generation: u64, value: PublicService) {
        self.keep_with(generation, |m| {
            keep(&mut m.services, &value.id.clone(), value)
        });
    }

    pub fn keep_departments(&self, generation: u64, office_id: &str, value: Vec<Department>) {
        self.keep_with(generation, |m| keep(&mut m.departments, office_id, value));
    }

    pub fn keep_covering(
        &self,
        generation: u64,
        substitute_id: &str,
        day: &str,
        value: Vec<Substitute>,
    ) {
        self.keep_with(generation, |m| {
            keep(&mut m.covering, &covering_key(substitute_id, day), value)
        });
    }

    pub fn keep_office(&self, generation: u64, value: Office) {
        self.keep_with(generation, |m| {
            keep(&mut m.offices, &value.id.clone(), value)
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mailbox(name: &str) -> Mailbox {
        Mailbox {
            address: "AE:X".into(),
            kind: "person".into(),
            name: name.into(),
            owner_user_id: None,
            office_id: None,
            pesel: None,
            nip: None,
            city: String::new(),
            created_at: 0,
        }
    }

    #[test]
    fn an_answer_read_before_a_change_is_not_kept() {
        let c = ReadCache::default();
        let g = c.generation();
        c.keep_mailbox(g, "AE:X", mailbox("old"));
        assert_eq!(c.mailbox("AE:X").map(|m| m.name), Some("old".into()));
        // A read starts, a write commits, then the read's (old) answer arrives.
        let g = c.generation();
        c.changed();
        assert!(c.mailbox("AE:X").is_none());
        c.keep_mailbox(g, "AE:X", mailbox("stale"));
        assert!(c.mailbox("AE:X").is_none());
        // Read after the change: kept.
        let g = c.generation();
        c.keep_mailbox(g, "AE:X", mailbox("new"));
        assert_eq!(c.mailbox("AE:X").map(|m| m.name), Some("new".into()));
    }
}
