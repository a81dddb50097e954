//! The evidence log: a Merkle tree of every signed record, and its signed tree heads.

use crate::*;
use async_trait::async_trait;
#[allow(unused_imports)]
use okienko_domain::audit::{AuditEntry, AuditEvent};
#[allow(unused_imports)]
use okienko_domain::{Millis, RoleGrant};

#[async_trait]
pub trait LogStore: Send + Sync {
    /// Appends leaves (leaf_hash hex, leaf base64) after the current last one, in one
    /// transaction; returns the index of the first. Appends from several instances are
    /// serialised by the database (on PostgreSQL an advisory lock held to the commit);
    /// `expected_size` is what the caller numbered its records by: the append fails with a
    /// conflict if the log has another size (another instance appended), and the caller
    /// catches up and tries again.
    async fn append_log_leaves(
        &self,
        expected_size: i64,
        leaves: &[(String, String)],
        at: Millis,
    ) -> Result<i64>;
    /// Appends log leaves and stores the signed records they belong to in one transaction (one
    /// commit for all): the leaves as [`Self::append_log_leaves`], then the messages as
    /// [`crate::DeliveryStore::insert_messages`], then the other signed records (cash
    /// receipts, their voids) with their audit events. Returns the first leaf's index and each
    /// message's result; a record that cannot be stored (a receipt number taken by another
    /// instance, a receipt voided twice) fails the whole commit, so no leaf is left without its
    /// row.
    async fn append_log_and_messages(
        &self,
        expected_size: i64,
        leaves: &[(String, String)],
        at: Millis,
        packed: &[PackedBlob],
        batch: &[NewMessage],
        records: &[(SignedRecord, AuditEvent)],
    ) -> Result<(i64, Vec<Result<()>>)>;
    /// The hashes (hex) of the leaves from index `from` on, in order: all of them for
    /// building proofs, or those another instance appended since this one last looked.
    async fn log_leaf_hashes(&self, from: i64) -> Result<Vec<String>>;
    /// Leaves from `from` (inclusive), at most `limit`, in order.
    async fn log_leaves(&self, from: i64, limit: i64) -> Result<Vec<LogLeaf>>;
    async fn log_index_of(&self, leaf_hash: &str) -> Result<Option<i64>>;
    /// Keeps a signed tree head, unless a head as large or newer is kept already (another
    /// instance signed it): heads rise in size and time together.
    async fn insert_tree_head(&self, head: &TreeHead) -> Result<()>;
    async fn latest_tree_head(&self) -> Result<Option<TreeHead>>;
    async fn tree_heads(&self) -> Result<Vec<TreeHead>>;
}
