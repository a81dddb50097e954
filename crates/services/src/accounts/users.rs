//! The platform admin's view of accounts: find one by email or name, see its roles, lock it
//! (every session ends at once; signing in is refused) and unlock it, always with a reason
//! in the audit trail.

use super::*;
use okienko_domain::policy::{allowed, Action};

/// Accounts a search lists at most.
pub const USERS_LISTED: i64 = 50;
/// The longest reason kept for locking an account.
const MAX_REASON_CHARS: usize = 500;

impl Services {
    fn may_manage_users(&self, p: &Principal) -> Result<(), DomainError> {
        if allowed(&p.actor(), Action::ManageUsers) {
            Ok(())
        } else {
            Err(DomainError::NotFound)
        }
    }

    /// Accounts whose email or name contains the text (at least two characters).
    pub async fn find_users(&self, p: &Principal, text: &str) -> Result<Vec<User>, DomainError> {
        self.may_manage_users(p)?;
        let text = text.trim();
        if text.chars().count() < 2 || text.chars().count() > 100 {
            return Err(DomainError::invalid("q", "err-users-query"));
        }
        Ok(self.store.find_users(text, USERS_LISTED).await?)
    }

    /// One account with its roles, for the platform admin.
    pub async fn user_for_admin(
        &self,
        p: &Principal,
        id: &str,
    ) -> Result<(User, Vec<RoleGrant>), DomainError> {
        self.may_manage_users(p)?;
        let user = self
            .store
            .user_by_id(id)
            .await?
            .ok_or(DomainError::NotFound)?;
        let grants = self.store.grants_of(id).await?;
        Ok((user, grants))
    }

    /// Locks (every session ends, signing in is refused) or unlocks an account, for the
    /// reason given. Nobody locks their own account this way.
    pub async fn set_user_locked(
        &self,
        p: &Principal,
        id: &str,
        locked: bool,
        reason: &str,
    ) -> Result<(), DomainError> {
        self.may_manage_users(p)?;
        let reason = reason.trim();
        if reason.is_empty() {
            return Err(DomainError::invalid("reason", "err-reason"));
        }
        if reason.chars().count() > MAX_REASON_CHARS {
            return Err(DomainError::invalid("reason", "err-reason"));
        }
        if id == p.user.id {
            return Err(DomainError::Conflict("err-lock-self"));
        }
        let action = if locked { "user.lock" } else { "user.unlock" };
        let ev = AuditEvent::new(self.now_ms(), Some(&p.user.id), action, id)
            .subject(id)
            .reason(reason.to_string());
        self.store
            .set_disabled(id, locked, &ev)
            .await
            .map_err(|e| match e {
                okienko_store::StoreError::NotFound => DomainError::NotFound,
                other => other.into(),
            })?;
        if locked {
            self.store.delete_user_sessions(id).await?;
        }
        Ok(())
    }
}
