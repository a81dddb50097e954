//! What a signed-in person changes on their own account: their name, their password, and
//! the sessions they are signed in with.

use super::*;

/// One of a person's sessions, as their account page lists it.
#[derive(Debug, Clone)]
pub struct OwnSession {
    pub session: Session,
    /// The session this request is made with.
    pub current: bool,
}

impl Services {
    /// An act of a person on their own account, for the audit trail.
    fn own_event(&self, p: &Principal, action: &'static str) -> AuditEvent {
        AuditEvent::new(self.now_ms(), Some(&p.user.id), action, &p.user.id).subject(&p.user.id)
    }

    /// Changes the name the person is shown by (to offices too, beside their address).
    pub async fn change_name(&self, p: &Principal, name: &str) -> Result<(), DomainError> {
        let name = ids::name(name).map_err(|c| DomainError::invalid("display_name", c))?;
        let ev = self.own_event(p, "user.rename");
        self.store
            .set_display_name(&p.user.id, &name, &ev)
            .await
            .map_err(DomainError::from)
    }

    /// Sets a new password after the current one is given again; every other session ends
    /// (someone who knew the old password is signed out), this one stays.
    pub async fn change_password(
        &self,
        p: &Principal,
        current: &str,
        new: &str,
    ) -> Result<(), DomainError> {
        let mut errs = FieldErrors::new();
        if current.is_empty() {
            errs.add("password", "err-password-missing");
        }
        errs.check("new_password", ids::new_password(new));
        errs.finish()?;
        self.recheck_password(&p.user, current).await?;
        let hash = self
            .passwords
            .hash(new)
            .await
            .map_err(|e| DomainError::Internal(e.to_string()))?;
        let ev = self.own_event(p, "user.change_password");
        self.store.set_password(&p.user.id, &hash, &ev).await?;
        self.store
            .delete_other_sessions(&p.user.id, &p.session.token_hash)
            .await
            .map_err(DomainError::from)
    }

    /// The person's sessions that have not expired, newest first.
    pub async fn own_sessions(&self, p: &Principal) -> Result<Vec<OwnSession>, DomainError> {
        Ok(self
            .store
            .user_sessions(&p.user.id, self.now_ms())
            .await?
            .into_iter()
            .map(|s| OwnSession {
                current: s.token_hash == p.session.token_hash,
                session: s,
            })
            .collect())
    }

    /// Ends one of the person's own sessions (named by its hash); NotFound for any other.
    pub async fn end_own_session(&self, p: &Principal, hash: &str) -> Result<(), DomainError> {
        if !self.store.delete_user_session(&p.user.id, hash).await? {
            return Err(DomainError::NotFound);
        }
        let ev = self.own_event(p, "user.end_session");
        self.store
            .append_audit(&ev)
            .await
            .map_err(DomainError::from)
    }

    /// Ends every session of the person but the one in use.
    pub async fn end_other_sessions(&self, p: &Principal) -> Result<(), DomainError> {
        self.store
            .delete_other_sessions(&p.user.id, &p.session.token_hash)
            .await?;
        let ev = self.own_event(p, "user.end_other_sessions");
        self.store
            .append_audit(&ev)
            .await
            .map_err(DomainError::from)
    }
}
