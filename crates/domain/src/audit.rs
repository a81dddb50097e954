//! The audit trail's hash chain. Each entry's hash covers its sequence number, its fields and
//! the previous entry's hash, so an edited, removed or reordered row breaks the chain.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// The hash that precedes the first entry.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// One audit event, as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEntry {
    pub seq: i64,
    pub at: i64,
    /// The user who acted, if anyone was signed in.
    pub actor_id: Option<String>,
    /// A stable action name, e.g. `user.login`, `office.create`, `person.read`.
    pub action: String,
    /// Whose personal data this touched, for the Data Tracker.
    pub subject_id: Option<String>,
    /// What was touched (an id or a short description).
    pub object: String,
    /// Why (the stated purpose, or the request that caused it).
    pub reason: String,
    pub prev_hash: String,
}

/// An entry before it gets its place in the chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEvent {
    pub at: i64,
    pub actor_id: Option<String>,
    pub action: &'static str,
    pub subject_id: Option<String>,
    pub object: String,
    pub reason: String,
}

impl AuditEvent {
    pub fn new(
        at: i64,
        actor_id: Option<&str>,
        action: &'static str,
        object: impl Into<String>,
    ) -> Self {
        AuditEvent {
            at,
            actor_id: actor_id.map(str::to_string),
            action,
            subject_id: None,
            object: object.into(),
            reason: String::new(),
        }
    }
    pub fn subject(mut self, subject_id: &str) -> Self {
        self.subject_id = Some(subject_id.to_string());
        self
    }
    pub fn reason(mut self, reason: impl Into<String>) -> Self {
        self.reason = reason.into();
        self
    }
    /// Places the event after the entry with `prev_seq` and `prev_hash`.
    pub fn chain(&self, prev_seq: i64, prev_hash: &str) -> AuditEntry {
        AuditEntry {
            seq: prev_seq + 1,
            at: self.at,
            actor_id: self.actor_id.clone(),
            action: self.action.to_string(),
            subject_id: self.subject_id.clone(),
            object: self.object.clone(),
            reason: self.reason.clone(),
            prev_hash: prev_hash.to_string(),
        }
    }
}

fn field(h: &mut Sha256, s: &[u8]) {
    h.update((s.len() as u64).to_be_bytes());
    h.update(s);
}

impl AuditEntry {
    /// SHA-256 over length-prefixed fields, hex encoded.
    pub fn hash(&self) -> String {
        let mut h = Sha256::new();
        h.update(self.seq.to_be_bytes());
        h.update(self.at.to_be_bytes());
        field(&mut h, self.actor_id.as_deref().unwrap_or("").as_bytes());
        field(&mut h, self.action.as_bytes());
        field(&mut h, self.subject_id.as_deref().unwrap_or("").as_bytes());
        field(&mut h, self.object.as_bytes());
        field(&mut h, self.reason.as_bytes());
        field(&mut h, self.prev_hash.as_bytes());
        hex::encode(h.finalize())
    }
}

/// Why a chain does not verify, and at which row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChainBreak {
    /// The row's stored hash does not match its content: it was edited.
    Modified { seq: i64 },
    /// The row does not follow the one before it: something was removed or reordered.
    Broken { seq: i64, expected_seq: i64 },
    /// The last row is not the one recorded as the head: rows were removed from the end.
    Truncated { head_seq: i64, last_seq: i64 },
}

impl std::fmt::Display for ChainBreak {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ChainBreak::Modified { seq } => write!(f, "row {seq}: content does not match its hash (modified)"),
            ChainBreak::Broken { seq, expected_seq } => write!(
                f,
                "row {seq}: does not follow the previous row (expected row {expected_seq}; removed or reordered)"
            ),
            ChainBreak::Truncated { head_seq, last_seq } => write!(
                f,
                "the chain ends at row {last_seq} but its head records row {head_seq} (rows removed)"
            ),
        }
    }
}

/// Verifies rows in storage order (by their position, not their `seq`) with their stored
/// hashes, against the recorded head (`head_seq`, `head_hash`).
pub fn verify_chain<'a>(
    rows: impl IntoIterator<Item = (&'a AuditEntry, &'a str)>,
    head: (i64, &str),
) -> Result<u64, ChainBreak> {
    let mut expected_seq = 1;
    let mut prev_hash = GENESIS.to_string();
    let mut count = 0;
    for (e, stored) in rows {
        if e.seq != expected_seq || e.prev_hash != prev_hash {
            return Err(ChainBreak::Broken {
                seq: e.seq,
                expected_seq,
            });
        }
        if e.hash() != stored {
            return Err(ChainBreak::Modified { seq: e.seq });
        }
        prev_hash = stored.to_string();
        expected_seq += 1;
        count += 1;
    }
    let last_seq = expected_seq - 1;
    if head.0 != last_seq || head.1 != prev_hash {
        return Err(ChainBreak::Truncated {
            head_seq: head.0,
            last_seq,
        });
    }
    Ok(count)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chain(n: i64) -> Vec<(AuditEntry, String)> {
        let mut out: Vec<(AuditEntry, String)> = Vec::new();
        for i in 0..n {
            let (seq, prev) = out
                .last()
                .map(|(e, h)| (e.seq, h.clone()))
                .unwrap_or((0, GENESIS.into()));
            let e = AuditEvent::new(1000 + i, Some("u"), "x.y", format!("o{i}")).chain(seq, &prev);
            let h = e.hash();
            out.push((e, h));
        }
        out
    }

    fn check(rows: &[(AuditEntry, String)], head: (i64, &str)) -> Result<u64, ChainBreak> {
        verify_chain(rows.iter().map(|(e, h)| (e, h.as_str())), head)
    }

    #[test]
    fn detects_edit_delete_reorder() {
        let rows = chain(5);
        let head = (5, rows[4].1.clone());
        assert_eq!(check(&rows, (head.0, &head.1)), Ok(5));
        let mut edited = rows.clone();
        edited[2].0.object = "changed".into();
        assert_eq!(
            check(&edited, (head.0, &head.1)),
            Err(ChainBreak::Modified { seq: 3 })
        );
        let mut deleted = rows.clone();
        deleted.remove(1);
        assert!(matches!(
            check(&deleted, (head.0, &head.1)),
            Err(ChainBreak::Broken { seq: 3, .. })
        ));
        let mut reordered = rows.clone();
        reordered.swap(1, 2);
        assert!(check(&reordered, (head.0, &head.1)).is_err());
        let truncated = &rows[..4];
        assert!(matches!(
            check(truncated, (head.0, &head.1)),
            Err(ChainBreak::Truncated { .. })
        ));
    }
}
