//! People: accounts, role grants, sessions, one-time tokens and sign-in throttling.

use crate::*;
use async_trait::async_trait;
#[allow(unused_imports)]
use okienko_domain::audit::{AuditEntry, AuditEvent};
#[allow(unused_imports)]
use okienko_domain::{Millis, RoleGrant};

#[async_trait]
pub trait AccountStore: Send + Sync {
    async fn create_user(
        &self,
        user: &User,
        grants: &[RoleGrant],
        audit: &AuditEvent,
    ) -> Result<()>;
    async fn user_by_id(&self, id: &str) -> Result<Option<User>>;
    async fn user_by_email(&self, email: &str) -> Result<Option<User>>;
    async fn set_password(&self, user_id: &str, hash: &str, audit: &AuditEvent) -> Result<()>;
    async fn set_email_verified(&self, user_id: &str, audit: &AuditEvent) -> Result<()>;
    /// Changes an account's email (its login), proven by its owner; Conflict if taken.
    async fn set_email(&self, user_id: &str, email: &str, audit: &AuditEvent) -> Result<()>;
    async fn set_totp(&self, user_id: &str, secret: Option<&str>, audit: &AuditEvent)
        -> Result<()>;
    /// Records the last accepted TOTP step; false if `step` is not newer (a replay).
    async fn advance_totp_step(&self, user_id: &str, step: i64) -> Result<bool>;
    async fn set_locale(&self, user_id: &str, locale: &str) -> Result<()>;
    async fn grants_of(&self, user_id: &str) -> Result<Vec<RoleGrant>>;
    async fn add_grant(&self, user_id: &str, grant: &RoleGrant, audit: &AuditEvent) -> Result<()>;
    /// Replaces every grant a user holds in an office with `grant` (a new role or department),
    /// in one transaction with its audit event.
    async fn set_office_grant(
        &self,
        user_id: &str,
        office_id: &str,
        grant: &RoleGrant,
        audit: &AuditEvent,
    ) -> Result<()>;
    /// Removes the grants a user holds in an office (all of them, or of one role).
    async fn remove_office_grants(
        &self,
        user_id: &str,
        office_id: &str,
        audit: &AuditEvent,
    ) -> Result<()>;
    /// Users holding any role in the office, with those roles.
    async fn office_staff(&self, office_id: &str) -> Result<Vec<(User, Vec<RoleGrant>)>>;
    async fn point_clerks(&self, service_point_id: &str) -> Result<Vec<User>>;

    async fn create_session(&self, session: &Session) -> Result<()>;
    /// An unexpired session with the user who holds it.
    async fn session(&self, token_hash: &str, now: Millis) -> Result<Option<(Session, User)>>;
    async fn delete_session(&self, token_hash: &str) -> Result<()>;
    async fn delete_user_sessions(&self, user_id: &str) -> Result<()>;
    /// The user's unexpired sessions, newest first.
    async fn user_sessions(&self, user_id: &str, now: Millis) -> Result<Vec<Session>>;
    /// Ends one of the user's sessions; false if the user holds no such session.
    async fn delete_user_session(&self, user_id: &str, token_hash: &str) -> Result<bool>;
    /// Ends every session of the user but `keep` (the one in use).
    async fn delete_other_sessions(&self, user_id: &str, keep: &str) -> Result<()>;
    /// Accounts whose email or name contains `text` (case-insensitive), by name, at most
    /// `limit`.
    async fn find_users(&self, text: &str, limit: i64) -> Result<Vec<User>>;
    /// Locks or unlocks an account, with the audit entry, in one commit.
    async fn set_disabled(&self, user_id: &str, disabled: bool, audit: &AuditEvent) -> Result<()>;
    async fn set_display_name(&self, user_id: &str, name: &str, audit: &AuditEvent) -> Result<()>;
    async fn create_token(
        &self,
        kind: &str,
        token_hash: &str,
        user_id: &str,
        expires_at: Millis,
    ) -> Result<()>;
    /// Makes `token_hash` the user's only unused token of its kind (a reprinted activation
    /// code: the sheet printed before stops working), with the audit entry, in one commit.
    async fn replace_token(
        &self,
        kind: &str,
        token_hash: &str,
        user_id: &str,
        expires_at: Millis,
        audit: &AuditEvent,
    ) -> Result<()>;
    /// Marks an unexpired, unused token as used and returns its user.
    async fn consume_token(
        &self,
        kind: &str,
        token_hash: &str,
        now: Millis,
    ) -> Result<Option<String>>;

    /// Records an attempt under each key (committed), removes attempts older than `since`
    /// (of every key), then counts each key's attempts since `since`, this one included.
    /// Counting after committing makes concurrent attempts see each other: the n-th attempt
    /// to commit counts at least n.
    async fn count_attempt(&self, keys: &[String], at: Millis, since: Millis) -> Result<Vec<i64>>;
    async fn clear_login_failures(&self, key: &str) -> Result<()>;
    /// Removes the attempt recorded under `key` at `at` (a sign-in that succeeded).
    async fn forget_attempt(&self, key: &str, at: Millis) -> Result<()>;
}
