//! Mailboxes for electronic delivery and who may use them.

use crate::*;
use async_trait::async_trait;
#[allow(unused_imports)]
use okienko_domain::audit::{AuditEntry, AuditEvent};
#[allow(unused_imports)]
use okienko_domain::{Millis, RoleGrant};

#[async_trait]
pub trait MailboxStore: Send + Sync {
    /// Creates a mailbox with its members (user id, role).
    async fn create_mailbox(
        &self,
        m: &Mailbox,
        members: &[(String, String)],
        audit: &AuditEvent,
    ) -> Result<()>;
    async fn add_mailbox_member(
        &self,
        address: &str,
        user_id: &str,
        role: &str,
        audit: &AuditEvent,
    ) -> Result<()>;
    /// Removes a member; `NotFound` if the user is no member.
    async fn remove_mailbox_member(
        &self,
        address: &str,
        user_id: &str,
        audit: &AuditEvent,
    ) -> Result<()>;
    /// The members of a mailbox (not its owner) with their roles, by name.
    async fn mailbox_members(&self, address: &str) -> Result<Vec<(User, String)>>;
    async fn mailbox(&self, address: &str) -> Result<Option<Mailbox>>;
    /// Mailboxes a user owns or is a member of, with the user's role in each.
    async fn mailboxes_of_user(&self, user_id: &str) -> Result<Vec<(Mailbox, String)>>;
    async fn office_mailbox(&self, office_id: &str) -> Result<Option<Mailbox>>;
    /// Public bodies whose name, NIP or city contains `q` (case-insensitive), by name.
    async fn search_public_mailboxes(&self, q: &str, limit: i64) -> Result<Vec<Mailbox>>;
    /// A person's or company's mailbox by exact PESEL or NIP.
    async fn mailbox_by_identifier(
        &self,
        pesel: Option<&str>,
        nip: Option<&str>,
    ) -> Result<Option<Mailbox>>;
}
