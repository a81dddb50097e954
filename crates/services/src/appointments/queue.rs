//! At the office or the post office: a kiosk where a person checks in with the booking code
//! (on the day, at the place) or takes a walk-in ticket; the official's "call next"; the
//! waiting room's display; and the day's waiting times for the office's admin.

use super::{parse_place_key, Place, ScheduleView};
use crate::accounts::Principal;
use crate::orgs::check;
use crate::Services;
use okienko_domain::appointments::{normalize_code, AppointmentStatus};
use okienko_domain::audit::AuditEvent;
use okienko_domain::policy::Action;
use okienko_domain::{DomainError, Role, RoleGrant};
use okienko_store::{Appointment, QueueTicket, Schedule, Slot, WaitDay};

/// A place's queue as its official sees it.
#[derive(Debug, Clone)]
pub struct QueueBoard {
    pub place: Place,
    pub waiting: Vec<QueueTicket>,
    /// The ticket this official called and has not finished.
    pub current: Option<QueueTicket>,
    /// The appointment of the current ticket, if it has one.
    pub current_appointment: Option<Appointment>,
    /// Today's appointments at the place.
    pub today: Vec<Appointment>,
}

/// What the waiting room's screen shows.
#[derive(Debug, Clone)]
pub struct QueueDisplay {
    pub place: Place,
    /// The latest called tickets, the latest first.
    pub called: Vec<QueueTicket>,
    pub waiting: usize,
}

/// Kiosk tickets and check-ins from one client address in ten minutes.
pub const MAX_KIOSK_PER_IP: i64 = 120;

impl Services {
    /// A place that has appointments, with its schedules (public: its name, its services).
    pub async fn queue_place(
        &self,
        key: &str,
        lang: &str,
    ) -> Result<(Place, Vec<ScheduleView>), DomainError> {
        let (place, schedules) = self.place_schedules(key).await?;
        let mut views = Vec::new();
        for s in schedules {
            views.push(self.schedule_view(s, lang).await?);
        }
        Ok((place, views))
    }

    /// A place that has appointments, with its schedules (without the catalogue's words).
    async fn place_schedules(&self, key: &str) -> Result<(Place, Vec<Schedule>), DomainError> {
        let (kind, id) = parse_place_key(key).ok_or(DomainError::NotFound)?;
        let schedules = self.store.schedules_at(kind, id).await?;
        let place = Place::of(schedules.first().ok_or(DomainError::NotFound)?);
        debug_assert_eq!(place.kind, kind);
        Ok((place, schedules))
    }

    fn serve_check(
        p: &Principal,
        place: &Place,
        schedules: &[Schedule],
    ) -> Result<(), DomainError> {
        let office = schedules.first().map(|s| s.office_id.as_str());
        let action = match place.kind {
            "department" => Action::ServePlace {
                office_id: office,
                department_id: Some(&place.id),
                service_point_id: None,
            },
            _ => Action::ServePlace {
                office_id: None,
                department_id: None,
                service_point_id: Some(&place.id),
            },
        };
        check(p, action)
    }

    async fn served_place(
        &self,
        p: &Principal,
        key: &str,
    ) -> Result<(Place, Vec<Schedule>), DomainError> {
        let (place, schedules) = self.place_schedules(key).await?;
        Self::serve_check(p, &place, &schedules)?;
        Ok((place, schedules))
    }

    fn today_text(&self) -> String {
        self.local_today().to_string()
    }

    /// Tickets and check-ins from one client address: at most [`MAX_KIOSK_PER_IP`] in ten
    /// minutes (a busy kiosk gives one ticket every few seconds at most; a script taking
    /// numbers from afar is stopped).
    pub async fn kiosk_throttle(&self, client_ip: &str) -> Result<(), DomainError> {
        let now = self.now_ms();
        let n = self
            .store
            .count_attempt(&[format!("kiosk-ip:{client_ip}")], now, now - 600_000)
            .await?;
        if n.first().is_some_and(|n| *n > MAX_KIOSK_PER_IP) {
            return Err(DomainError::Throttled);
        }
        Ok(())
    }

    /// Checks a person in with their booking code at the kiosk: a booking for today at this
    /// place gets the next ticket number.
    pub async fn kiosk_check_in(&self, key: &str, code: &str) -> Result<QueueTicket, DomainError> {
        let (place, _) = self.place_schedules(key).await?;
        let code = normalize_code(code).ok_or(DomainError::invalid("code", "err-appt-code"))?;
        let a = self
            .store
            .appointment_by_code(&code)
            .await?
            .ok_or(DomainError::invalid("code", "err-appt-code-unknown"))?;
        if a.place_kind != place.kind || a.place_id != place.id {
            return Err(DomainError::invalid("code", "err-appt-other-place"));
        }
        if self.day_of(a.starts_at) != self.local_today() {
            return Err(DomainError::invalid("code", "err-appt-other-day"));
        }
        if a.status != AppointmentStatus::Booked.as_str() {
            return Err(DomainError::invalid("code", "err-appt-not-active"));
        }
        self.store
            .check_in_appointment(&a.id, &place.key(), &self.today_text(), self.now_ms())
            .await?
            .ok_or(DomainError::invalid("code", "err-appt-not-active"))
    }

    /// A walk-in ticket at the kiosk (for one of the place's services, or none named).
    pub async fn kiosk_walk_in(
        &self,
        key: &str,
        service_id: Option<&str>,
    ) -> Result<QueueTicket, DomainError> {
        let (place, schedules) = self.place_schedules(key).await?;
        let service = match service_id.filter(|s| !s.is_empty()) {
            Some(s) => Some(
                schedules
                    .iter()
                    .find(|x| x.service_id == s)
                    .map(|x| x.service_id.as_str())
                    .ok_or(DomainError::invalid("service", "err-appt-service"))?,
            ),
            None => None,
        };
        Ok(self
            .store
            .walk_in(&place.key(), &self.today_text(), service, self.now_ms())
            .await?)
    }

    /// A ticket of the place (its page at the kiosk: the id is the secret).
    pub async fn queue_ticket(&self, key: &str, id: &str) -> Result<QueueTicket, DomainError> {
        self.store
            .ticket(id)
            .await?
            .filter(|t| t.place_key == key)
            .ok_or(DomainError::NotFound)
    }

    /// A ticket with how many wait before it (0 once it is called).
    pub async fn queue_ticket_ahead(
        &self,
        key: &str,
        id: &str,
    ) -> Result<(QueueTicket, usize), DomainError> {
        let t = self.queue_ticket(key, id).await?;
        if t.status != "waiting" {
            return Ok((t, 0));
        }
        let ahead = self
            .store
            .tickets(&t.place_key, &t.day)
            .await?
            .iter()
            .filter(|o| {
                o.status == "waiting" && (o.created_at, o.number) < (t.created_at, t.number)
            })
            .count();
        Ok((t, ahead))
    }

    /// The place's queue for its official.
    pub async fn queue_board(&self, p: &Principal, key: &str) -> Result<QueueBoard, DomainError> {
        let (place, schedules) = self.served_place(p, key).await?;
        let tickets = self.store.tickets(&place.key(), &self.today_text()).await?;
        let current = tickets
            .iter()
            .rev()
            .find(|t| t.status == "called" && t.called_by.as_deref() == Some(&p.user.id))
            .cloned();
        let current_appointment = match current.as_ref().and_then(|t| t.appointment_id.clone()) {
            Some(id) => self.store.appointment(&id).await?,
            None => None,
        };
        let today = self.local_today();
        let from = okienko_domain::to_millis(self.country.day_start(today));
        let to =
            okienko_domain::to_millis(self.country.day_start(today.next_day().unwrap_or(today)));
        let ids: Vec<String> = schedules.iter().map(|s| s.id.clone()).collect();
        Ok(QueueBoard {
            waiting: tickets
                .into_iter()
                .filter(|t| t.status == "waiting")
                .collect(),
            current,
            current_appointment,
            today: self.store.appointments_at(&ids, from, to).await?,
            place,
        })
    }

    /// The free places at a place for the next 14 days, as its official books them at the
    /// counter: each slot with its service's name, the soonest first.
    pub async fn counter_slots(
        &self,
        p: &Principal,
        key: &str,
        lang: &str,
    ) -> Result<(Place, Vec<(Slot, String)>), DomainError> {
        let (place, schedules) = self.served_place(p, key).await?;
        let today = self.local_today();
        let until = today + time::Duration::days(13);
        let now = self.now_ms();
        let mut out = Vec::new();
        for s in schedules {
            let name = self.service_name(&s.service_id, lang).await;
            let slots = self.free_slots(&s.service_id, today, until).await?;
            out.extend(
                slots
                    .iter()
                    .filter(|x| x.schedule_id == s.id && x.taken < x.capacity && x.starts_at > now)
                    .map(|x| (x.clone(), name.clone())),
            );
        }
        out.sort_by(|a, b| (a.0.starts_at, &a.1).cmp(&(b.0.starts_at, &b.1)));
        Ok((place, out))
    }

    /// Books a free place at the counter for a person with an account (found by their
    /// email): booked at once, the confirmation email with the `.ics` goes to them. A
    /// restriction of online booking after no-shows does not apply here.
    pub async fn counter_book(
        &self,
        p: &Principal,
        key: &str,
        slot_id: &str,
        email: &str,
    ) -> Result<Appointment, DomainError> {
        let (_, schedules) = self.served_place(p, key).await?;
        let slot = self.store.slot(slot_id.trim()).await?;
        let mut errors = okienko_domain::error::FieldErrors::new();
        if !slot
            .as_ref()
            .is_some_and(|x| schedules.iter().any(|s| s.id == x.schedule_id))
        {
            errors.add("slot", "err-appt-no-slot");
        }
        let email = email.trim().to_lowercase();
        let person = if email.is_empty() || email.len() > 254 {
            None
        } else {
            self.store.user_by_email(&email).await?
        }
        .filter(|u| !u.disabled);
        if person.is_none() {
            errors.add("email", "err-appt-counter-person");
        }
        errors.finish()?;
        let (Some(slot), Some(person)) = (slot, person) else {
            return Err(DomainError::NotFound);
        };
        self.take_slot_for(&person, &p.user.id, &slot.id, true)
            .await
    }

    /// Calls the longest waiting ticket to the official's desk; `None` when nobody waits.
    pub async fn call_next(
        &self,
        p: &Principal,
        key: &str,
        desk: &str,
    ) -> Result<Option<QueueTicket>, DomainError> {
        let (place, _) = self.served_place(p, key).await?;
        let desk = desk.trim();
        if desk.is_empty() || desk.chars().count() > 20 || !okienko_domain::text::clean_text(desk) {
            return Err(DomainError::invalid("desk", "err-queue-desk"));
        }
        let now = self.now_ms();
        let ev = AuditEvent::new(now, Some(&p.user.id), "queue.call", place.key());
        Ok(self
            .store
            .call_next(&place.key(), &self.today_text(), &p.user.id, desk, now, &ev)
            .await?)
    }

    /// Ends the official's called ticket: served, or (with `no_show`) the person did not come
    /// to the desk; a booked person's no-show counts towards the booking restriction.
    pub async fn finish_ticket(
        &self,
        p: &Principal,
        key: &str,
        id: &str,
        no_show: bool,
    ) -> Result<(), DomainError> {
        let (place, _) = self.served_place(p, key).await?;
        let t = self.queue_ticket(&place.key(), id).await?;
        let status = if no_show { "no-show" } else { "done" };
        let now = self.now_ms();
        let ev = AuditEvent::new(now, Some(&p.user.id), "queue.finish", &t.id);
        if !self.store.finish_ticket(&t.id, status, now, &ev).await? {
            return Err(DomainError::Conflict("err-queue-not-called"));
        }
        Ok(())
    }

    /// Marks a booked person who never checked in as not shown (after their slot began).
    pub async fn mark_no_show(
        &self,
        p: &Principal,
        key: &str,
        appointment_id: &str,
    ) -> Result<(), DomainError> {
        let (place, _) = self.served_place(p, key).await?;
        let a = self
            .store
            .appointment(appointment_id)
            .await?
            .filter(|a| a.place_kind == place.kind && a.place_id == place.id)
            .ok_or(DomainError::NotFound)?;
        let now = self.now_ms();
        if a.starts_at > now {
            return Err(DomainError::Conflict("err-appt-not-yet"));
        }
        let ev = AuditEvent::new(now, Some(&p.user.id), "appointment.no-show", &a.id);
        if !self.store.mark_no_show(&a.id, now, &ev).await? {
            return Err(DomainError::Conflict("err-appt-not-active"));
        }
        Ok(())
    }

    /// The waiting room's screen (public).
    pub async fn queue_display(&self, key: &str) -> Result<QueueDisplay, DomainError> {
        let (place, _) = self.place_schedules(key).await?;
        let tickets = self.store.tickets(&place.key(), &self.today_text()).await?;
        let waiting = tickets.iter().filter(|t| t.status == "waiting").count();
        let mut called: Vec<QueueTicket> = tickets
            .into_iter()
            .filter(|t| t.called_at.is_some())
            .collect();
        called.sort_by_key(|t| std::cmp::Reverse(t.called_at));
        called.truncate(8);
        Ok(QueueDisplay {
            place,
            called,
            waiting,
        })
    }

    /// Waiting times per day at each of the office's places, the last 30 days.
    pub async fn wait_figures(
        &self,
        p: &Principal,
        office_id: &str,
    ) -> Result<Vec<(Place, Vec<WaitDay>)>, DomainError> {
        check(p, Action::ManageAppointments { office_id })?;
        let since = self
            .local_today()
            .checked_sub(time::Duration::days(30))
            .unwrap_or(self.local_today())
            .to_string();
        let mut seen = std::collections::BTreeSet::new();
        let mut out = Vec::new();
        for s in self.store.schedules(office_id, None).await? {
            let place = Place::of(&s);
            if seen.insert(place.key()) {
                let days = self.store.wait_days(&place.key(), &since).await?;
                out.push((place, days));
            }
        }
        Ok(out)
    }

    /// The places whose queues and appointments the person serves, by their grants.
    pub async fn my_places(&self, p: &Principal) -> Result<Vec<Place>, DomainError> {
        self.places_of(&p.grants).await
    }

    async fn places_of(&self, grants: &[RoleGrant]) -> Result<Vec<Place>, DomainError> {
        let mut out: Vec<Place> = Vec::new();
        let mut keys = std::collections::BTreeSet::new();
        for g in grants {
            let found: Vec<Schedule> =
                match (g.role, &g.office_id, &g.department_id, &g.service_point_id) {
                    (Role::Official, Some(_), Some(d), _) => {
                        self.store.schedules_at("department", d).await?
                    }
                    (Role::Official, Some(o), None, _) => self
                        .store
                        .schedules(o, None)
                        .await?
                        .into_iter()
                        .filter(|s| s.place_kind == "department")
                        .collect(),
                    (Role::Clerk, _, _, Some(sp)) => self.store.schedules_at("point", sp).await?,
                    _ => Vec::new(),
                };
            for s in found {
                let place = Place::of(&s);
                if keys.insert(place.key()) {
                    out.push(place);
                }
            }
        }
        Ok(out)
    }

    /// The appointments at the person's places on the days `from..to` (an official's agenda).
    pub async fn agenda(
        &self,
        p: &Principal,
        from: time::Date,
        days: i64,
    ) -> Result<Vec<Appointment>, DomainError> {
        self.agenda_of(&p.grants, from, days).await
    }

    pub(crate) async fn agenda_of(
        &self,
        grants: &[RoleGrant],
        from: time::Date,
        days: i64,
    ) -> Result<Vec<Appointment>, DomainError> {
        let places = self.places_of(grants).await?;
        let mut ids = Vec::new();
        for place in &places {
            ids.extend(
                self.store
                    .schedules_at(place.kind, &place.id)
                    .await?
                    .into_iter()
                    .map(|s| s.id),
            );
        }
        let start = okienko_domain::to_millis(self.country.day_start(from));
        let end = okienko_domain::to_millis(
            self.country.day_start(
                from.checked_add(time::Duration::days(days.clamp(1, 62)))
                    .unwrap_or(from),
            ),
        );
        Ok(self.store.appointments_at(&ids, start, end).await?)
    }
}
