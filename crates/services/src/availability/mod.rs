//! Officials' own availability (`domain::availability`): an official says when they do not
//! receive people (a morning at a training, a week of leave). The appointment schedules that
//! name them offer fewer places then at once (none when all their officials are away); the
//! people booked already keep their bookings, and the official is told how many there are.

use crate::accounts::Principal;
use crate::orgs::check;
use crate::Services;
use okienko_domain::audit::AuditEvent;
use okienko_domain::availability::{check_away, parse_away, Away};
use okienko_domain::policy::Action;
use okienko_domain::{DomainError, Role};
use okienko_store::{AwayTime, Schedule};

/// A time away as the form types it.
#[derive(Debug, Clone, Default)]
pub struct AwayForm {
    pub first_day: String,
    pub from: String,
    pub last_day: String,
    pub until: String,
    pub note: String,
}

/// A time away with the bookings it meets at the schedules that name the official.
#[derive(Debug, Clone)]
pub struct AwayView {
    pub away: AwayTime,
    pub booked: usize,
}

impl Services {
    /// The official's times away that have not ended, the soonest first, each with the
    /// bookings it meets.
    pub async fn my_times_away(&self, p: &Principal) -> Result<Vec<AwayView>, DomainError> {
        check(p, Action::OwnAvailability)?;
        let now = self.now_ms();
        let schedules = self.schedules_naming(p).await?;
        let mut out = Vec::new();
        for away in self
            .store
            .aways(std::slice::from_ref(&p.user.id), now, i64::MAX)
            .await?
        {
            let booked = self.booked_within(&schedules, &away).await?;
            out.push(AwayView { away, booked });
        }
        Ok(out)
    }

    /// Adds a time away: the schedules that name the official offer fewer places in it at
    /// once. Returns it with the bookings it meets (they stay booked).
    pub async fn add_time_away(
        &self,
        p: &Principal,
        f: &AwayForm,
    ) -> Result<AwayView, DomainError> {
        check(p, Action::OwnAvailability)?;
        let a = parse_away(self.country, &f.first_day, &f.from, &f.last_day, &f.until)?;
        self.add_away_between(p, a, &f.note).await
    }

    /// Whether the person may say when they are away (an official): `NotFound` if not.
    pub fn may_be_away(&self, p: &Principal) -> Result<(), DomainError> {
        check(p, Action::OwnAvailability)
    }

    /// Adds a time away given as two moments (the API's way).
    pub async fn add_away_between(
        &self,
        p: &Principal,
        a: Away,
        note: &str,
    ) -> Result<AwayView, DomainError> {
        check(p, Action::OwnAvailability)?;
        let now = self.now_ms();
        check_away(a, note, now)?;
        let away = AwayTime {
            id: okienko_store::new_id(),
            user_id: p.user.id.clone(),
            starts_at: a.starts_at,
            ends_at: a.ends_at,
            note: note.trim().to_string(),
            created_at: now,
        };
        let ev = AuditEvent::new(now, Some(&p.user.id), "availability.away", &away.id);
        self.store.add_away(&away, &ev).await?;
        let schedules = self.schedules_naming(p).await?;
        self.narrow(&schedules, &p.user.id).await?;
        let booked = self.booked_within(&schedules, &away).await?;
        Ok(AwayView { away, booked })
    }

    /// Removes one of the official's times away: the places come back.
    pub async fn remove_time_away(&self, p: &Principal, id: &str) -> Result<(), DomainError> {
        check(p, Action::OwnAvailability)?;
        let now = self.now_ms();
        let ev = AuditEvent::new(now, Some(&p.user.id), "availability.back", id);
        if !self.store.remove_away(id, &p.user.id, &ev).await? {
            return Err(DomainError::NotFound);
        }
        let schedules = self.schedules_naming(p).await?;
        self.narrow(&schedules, &p.user.id).await
    }

    /// The schedules of the official's offices that name them as receiving people.
    async fn schedules_naming(&self, p: &Principal) -> Result<Vec<Schedule>, DomainError> {
        let mut offices: Vec<&str> = p
            .grants
            .iter()
            .filter(|g| g.role == Role::Official)
            .filter_map(|g| g.office_id.as_deref())
            .collect();
        offices.sort_unstable();
        offices.dedup();
        let mut out = Vec::new();
        for office in offices {
            out.extend(self.schedules_naming_in(&p.user.id, office).await?);
        }
        Ok(out)
    }

    /// The schedules of an office that name this official.
    async fn schedules_naming_in(
        &self,
        user_id: &str,
        office_id: &str,
    ) -> Result<Vec<Schedule>, DomainError> {
        Ok(self
            .store
            .schedules(office_id, None)
            .await?
            .into_iter()
            .filter(|s| {
                super::appointments::spec_of(s)
                    .officials
                    .iter()
                    .any(|o| o == user_id)
            })
            .collect())
    }

    /// A substitution for an official was named or cancelled: the office's schedules that
    /// name them are made again (the substituted days count as away).
    pub(crate) async fn substitution_changed(
        &self,
        absent_id: &str,
        office_id: &str,
        actor: &str,
    ) -> Result<(), DomainError> {
        let schedules = self.schedules_naming_in(absent_id, office_id).await?;
        self.narrow(&schedules, actor).await
    }

    /// Makes the schedules' slots again with their officials' times away as they are now.
    async fn narrow(&self, schedules: &[Schedule], actor: &str) -> Result<(), DomainError> {
        for s in schedules {
            let place = super::appointments::Place::of(s);
            let spec = super::appointments::spec_of(s);
            self.put_schedule(&s.office_id, &s.service_id, &place, spec, Some(actor))
                .await?;
        }
        Ok(())
    }

    /// The bookings at these schedules in the time away.
    async fn booked_within(
        &self,
        schedules: &[Schedule],
        away: &AwayTime,
    ) -> Result<usize, DomainError> {
        if schedules.is_empty() {
            return Ok(0);
        }
        let ids: Vec<String> = schedules.iter().map(|s| s.id.clone()).collect();
        Ok(self
            .store
            .appointments_at(&ids, away.starts_at, away.ends_at)
            .await?
            .len())
    }
}
