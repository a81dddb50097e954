//! Calendars: a booking as an iCalendar file (RFC 5545, written by the `icalendar` crate) for
//! the person's email and download, and each official's feed of the appointments at their
//! places and their open tasks with a due day, behind a secret URL they can replace or revoke.

use crate::accounts::Principal;
use crate::Services;
use icalendar::{Calendar, Component, Event, EventLike, EventStatus, Todo};
use okienko_domain::audit::AuditEvent;
use okienko_domain::{DomainError, Millis};
use okienko_store::Appointment;

fn utc(ms: Millis) -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::from_timestamp_millis(ms).unwrap_or_default()
}

fn calendar(name: &str) -> Calendar {
    let mut c = Calendar::empty();
    c.append_property(("VERSION", "2.0"))
        .append_property(("PRODID", "-//okienko//appointments//EN"))
        .append_property(("CALSCALE", "GREGORIAN"))
        .name(name);
    c
}

impl Services {
    fn appointment_event(
        &self,
        a: &Appointment,
        summary: &str,
        cancelled: bool,
        lang: okienko_i18n::Lang,
    ) -> Event {
        let mut e = Event::new();
        e.uid(&format!("{}@okienko", a.id))
            .timestamp(utc(a.updated_at.max(a.created_at)))
            .sequence(u32::try_from(a.sequence).unwrap_or(0))
            .summary(summary)
            .location(&format!("{}, {}", a.place_name, a.place_address))
            .description(&format!(
                "{}: {}\n{}/appointments/{}",
                lang.t("appt-code"),
                okienko_domain::appointments::show_code(&a.code),
                self.base_url,
                a.id
            ))
            .starts(utc(a.starts_at))
            .ends(utc(a.ends_at))
            .url(&format!("{}/appointments/{}", self.base_url, a.id));
        if cancelled {
            e.status(EventStatus::Cancelled);
        } else {
            e.status(EventStatus::Confirmed);
        }
        e.done()
    }

    /// A booking as an `.ics` file (one event; a cancelled one says so, with a higher
    /// sequence, so the calendar that has it removes it).
    pub fn appointment_ics(
        &self,
        a: &Appointment,
        service_name: &str,
        cancelled: bool,
        lang: okienko_i18n::Lang,
    ) -> String {
        let mut c = calendar(service_name);
        if cancelled {
            c.append_property(("METHOD", "CANCEL"));
        } else {
            c.append_property(("METHOD", "PUBLISH"));
        }
        c.push(self.appointment_event(a, service_name, cancelled, lang));
        c.done().to_string()
    }

    /// Makes (or replaces) the person's calendar feed; returns its secret URL path. The old
    /// URL stops working.
    pub async fn new_calendar_feed(&self, p: &Principal) -> Result<String, DomainError> {
        if !p.actor().is_staff() {
            return Err(DomainError::NotFound);
        }
        let (token, hash) = crate::new_secret();
        let now = self.now_ms();
        let ev = AuditEvent::new(now, Some(&p.user.id), "calendar.feed", &p.user.id);
        self.store
            .set_calendar_feed(&p.user.id, Some(&hash), now, &ev)
            .await?;
        Ok(format!("/calendar/feed/{token}.ics"))
    }

    /// Revokes the person's calendar feed.
    pub async fn revoke_calendar_feed(&self, p: &Principal) -> Result<(), DomainError> {
        if !p.actor().is_staff() {
            return Err(DomainError::NotFound);
        }
        let now = self.now_ms();
        let ev = AuditEvent::new(now, Some(&p.user.id), "calendar.revoke", &p.user.id);
        Ok(self
            .store
            .set_calendar_feed(&p.user.id, None, now, &ev)
            .await?)
    }

    pub async fn has_calendar_feed(&self, p: &Principal) -> Result<bool, DomainError> {
        Ok(self.store.has_calendar_feed(&p.user.id).await?)
    }

    /// The feed behind a secret token: the appointments at the person's places from a week
    /// ago to 60 days ahead, and their open tasks with a due day.
    pub async fn calendar_feed(&self, token: &str) -> Result<String, DomainError> {
        let hash = crate::hash_secret(token);
        let user_id = self
            .store
            .calendar_feed_user(&hash)
            .await?
            .ok_or(DomainError::NotFound)?;
        let user = self
            .store
            .user_by_id(&user_id)
            .await?
            .filter(|u| !u.disabled)
            .ok_or(DomainError::NotFound)?;
        let grants = self.store.grants_of(&user.id).await?;
        let lang = user
            .locale
            .as_deref()
            .and_then(okienko_i18n::Lang::parse)
            .unwrap_or(okienko_i18n::Lang::Pl);
        let from = self
            .local_today()
            .checked_sub(time::Duration::days(7))
            .unwrap_or(self.local_today());
        let mut c = calendar(&user.display_name);
        let mut names = std::collections::HashMap::new();
        for a in self.agenda_of(&grants, from, 67).await? {
            let name = match names.get(&a.service_id) {
                Some(n) => String::clone(n),
                None => {
                    let n = self.service_name(&a.service_id, lang.code()).await;
                    names.insert(a.service_id.clone(), n.clone());
                    n
                }
            };
            c.push(self.appointment_event(&a, &format!("{name}: {}", a.user_name), false, lang));
        }
        for t in self.store.open_tasks_of(&user.id).await? {
            let Some(due) = t
                .due_on
                .as_deref()
                .and_then(okienko_domain::substitutes::parse_day)
            else {
                continue;
            };
            let due = chrono::NaiveDate::from_ymd_opt(
                due.year(),
                u32::from(u8::from(due.month())),
                u32::from(due.day()),
            );
            let Some(due) = due else { continue };
            let mut todo = Todo::new();
            todo.uid(&format!("{}@okienko", t.id))
                .timestamp(utc(t.created_at))
                .summary(&t.headline())
                .due(due)
                .url(&format!("{}/tasks/{}", self.base_url, t.id));
            c.push(todo.done());
        }
        Ok(c.done().to_string())
    }
}
