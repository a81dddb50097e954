//! Substitutes while someone is away (`domain::substitutes`): an official names a colleague of
//! the same office to handle their cases for a period (the office's head may do so for
//! anyone). While it lasts the substitute works the absent official's departments' cases and
//! finds the absent official's cases among their own; it lends no admin's powers. Adding and
//! cancelling are in the audit log.

use crate::accounts::{Covering, Principal};
use crate::Services;
use okienko_domain::audit::AuditEvent;
use okienko_domain::error::FieldErrors;
use okienko_domain::substitutes::parse_period;
use okienko_domain::{DomainError, Role};
use okienko_store::{StoreError, Substitute};

/// An office's substitutions as its page shows them.
#[derive(Debug, Clone)]
pub struct SubstitutesView {
    /// Not cancelled, not over yet, the soonest first.
    pub items: Vec<Substitute>,
    /// The office's officials (id, name): who may be away and who may substitute.
    pub officials: Vec<(String, String)>,
    /// Whether the person may name a substitute for anyone (the office's head).
    pub manage_all: bool,
}

/// A substitution to add: who is away, who substitutes, the first and the last day.
#[derive(Debug, Clone, Default)]
pub struct SubstituteInput {
    pub absent: String,
    pub substitute: String,
    pub starts_on: String,
    pub ends_on: String,
}

impl Services {
    /// Whom `user_id` substitutes today, with the absent officials' grants in that office.
    pub(crate) async fn covering(&self, user_id: &str) -> Result<Vec<Covering>, DomainError> {
        let today = self.today().to_string();
        let mut out = Vec::new();
        for s in self.store.covering(user_id, &today).await? {
            let grants = self
                .store
                .grants_of(&s.absent_id)
                .await?
                .into_iter()
                .filter(|g| {
                    g.role == Role::Official && g.office_id.as_deref() == Some(s.office_id.as_str())
                })
                .collect();
            out.push(Covering {
                substitution: s,
                grants,
            });
        }
        Ok(out)
    }

    /// An office's current and coming substitutions, for the people who work its cases.
    pub async fn substitutes(
        &self,
        p: &Principal,
        office_id: &str,
    ) -> Result<SubstitutesView, DomainError> {
        if !Self::case_offices(p).iter().any(|o| o == office_id) {
            return Err(DomainError::NotFound);
        }
        let items = self
            .store
            .office_substitutes(office_id, &self.today().to_string())
            .await?;
        let officials = self
            .colleagues(office_id)
            .await?
            .into_iter()
            .map(|u| (u.id, u.name))
            .collect();
        Ok(SubstitutesView {
            items,
            officials,
            manage_all: Self::may_approve(p, office_id),
        })
    }

    /// Names a substitute: for oneself (an official of the office), or for anyone by the
    /// office's head. Two officials of the office, not the same person, a period from today
    /// on; the absent official may not have another substitution sharing a day with it.
    pub async fn add_substitute(
        &self,
        p: &Principal,
        office_id: &str,
        input: &SubstituteInput,
    ) -> Result<Substitute, DomainError> {
        let view = self.substitutes(p, office_id).await?;
        let official = |id: &str| view.officials.iter().any(|(o, _)| o == id);
        let mut errors = FieldErrors::new();
        let absent = input.absent.trim();
        let substitute = input.substitute.trim();
        if !official(absent) || (absent != p.user.id && !view.manage_all) {
            errors.add("absent", "err-substitute-absent");
        }
        if !official(substitute) || substitute == absent {
            errors.add("substitute", "err-substitute-person");
        }
        let period = match parse_period(&input.starts_on, &input.ends_on, self.today()) {
            Ok(period) => Some(period),
            Err(e) => {
                errors.0.extend(e.0);
                None
            }
        };
        errors.finish()?;
        let period = period.ok_or(DomainError::invalid("starts_on", "err-substitute-starts"))?;
        let now = self.now_ms();
        let s = Substitute {
            id: okienko_store::new_id(),
            office_id: office_id.to_string(),
            absent_id: absent.to_string(),
            substitute_id: substitute.to_string(),
            starts_on: period.starts.to_string(),
            ends_on: period.ends.to_string(),
            created_by: p.user.id.clone(),
            created_at: now,
            ..Default::default()
        };
        let ev = AuditEvent::new(now, Some(&p.user.id), "substitute.add", &s.id);
        match self.store.add_substitute(&s, &ev).await {
            Ok(()) => {}
            Err(StoreError::Conflict(_)) => {
                return Err(DomainError::invalid("starts_on", "err-substitute-overlap"))
            }
            Err(e) => return Err(e.into()),
        }
        self.substitution_changed(&s.absent_id, office_id, &p.user.id)
            .await?;
        self.store
            .substitute(&s.id)
            .await?
            .ok_or(DomainError::NotFound)
    }

    /// Cancels a substitution: by the absent official, by who named it or by the office's
    /// head. One that is cancelled already stays so (409).
    pub async fn cancel_substitute(
        &self,
        p: &Principal,
        id: &str,
    ) -> Result<Substitute, DomainError> {
        let s = self
            .store
            .substitute(id)
            .await?
            .ok_or(DomainError::NotFound)?;
        let view = self.substitutes(p, &s.office_id).await?;
        let me = &p.user.id;
        if *me != s.absent_id && *me != s.created_by && !view.manage_all {
            return Err(DomainError::NotFound);
        }
        let now = self.now_ms();
        let ev = AuditEvent::new(now, Some(me), "substitute.cancel", &s.id);
        if !self.store.cancel_substitute(id, me, now, &ev).await? {
            return Err(DomainError::Conflict("err-substitute-cancelled"));
        }
        self.substitution_changed(&s.absent_id, &s.office_id, me)
            .await?;
        self.store
            .substitute(id)
            .await?
            .ok_or(DomainError::NotFound)
    }
}
