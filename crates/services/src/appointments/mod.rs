//! Appointments (`domain::appointments`): an office's admin says which of its services can be
//! booked where and when; a signed-in person holds a free slot for ten minutes, confirms it
//! and gets a code and an email with an `.ics`; moves or cancels it; an official marks who
//! did not come, and three no-shows in 90 days stop online booking for 30 days. Places are
//! taken in group commits ([`crate::batch`]): the holds asked for at one moment are stored in
//! one transaction, each answered on its own.

pub mod by_email;
pub mod calendar;
pub mod demo;
pub mod queue;

pub use by_email::Holder;

use crate::accounts::Principal;
use crate::orgs::check;
use crate::Services;
use okienko_domain::appointments::{
    booking_window, parse_schedule, restricted_until, slot_times, AppointmentStatus, NoShowRule,
    ScheduleForm, ScheduleSpec, HOLD_MINUTES,
};
use okienko_domain::audit::AuditEvent;
use okienko_domain::availability::{slot_places, Away};
use okienko_domain::policy::Action;
use okienko_domain::{from_millis, DomainError, Millis};
use okienko_store::{Appointment, NewHold, NewSlot, Schedule, Slot, StoreError, Taken};
use std::sync::Arc;
use time::Date;

/// Takes places in slots in group commits. A batch the store refuses as a whole is tried
/// again hold by hold, so only the hold at fault fails.
pub type PlaceTaker = crate::batch::Batcher<NewHold, Result<Taken, StoreError>>;

/// Starts the place taker on a store.
pub fn place_taker(store: std::sync::Arc<dyn okienko_store::Store>) -> PlaceTaker {
    crate::batch::Batcher::start(64, move |batch: Vec<NewHold>| {
        let store = store.clone();
        async move {
            let now = batch
                .iter()
                .map(|h| h.appointment.created_at)
                .max()
                .unwrap_or_default();
            match store.take_places(&batch, now).await {
                Ok(v) => v.into_iter().map(Ok).collect(),
                Err(_) if batch.len() > 1 => {
                    let mut out = Vec::with_capacity(batch.len());
                    for one in &batch {
                        out.push(
                            store
                                .take_places(std::slice::from_ref(one), now)
                                .await
                                .and_then(|mut v| v.pop().ok_or(StoreError::NotFound)),
                        );
                    }
                    out
                }
                Err(e) => vec![Err(e)],
            }
        }
    })
}

/// A service's slots and schedules as pages read them, kept a second per instance: a month's
/// page read by many at once costs one read of the database a second, not one each. A place
/// taken or given back here drops the service's entries at once; another instance's shows
/// within the second (the booking itself is always decided by the database).
pub struct SlotCache {
    slots: Ttl<(String, Date, Date), Arc<FreeSlots>>,
    /// Schedules by id, and services of the catalogue by id, as every booking reads them.
    schedules: Ttl<String, Arc<Schedule>>,
    services: Ttl<String, Arc<crate::catalogue::CatalogueEntry>>,
    /// A service's name and where it is booked, by service and language.
    offers: Ttl<(String, String), Offer>,
}

/// A service's slots of some days (by time), with each day's free places counted once for
/// everyone who reads them. Reads as the slice of its slots.
#[derive(Debug, Default)]
pub struct FreeSlots {
    slots: Vec<Slot>,
    /// Each local day that has slots: its slots are `slots[from..to]`.
    days: Vec<FreeDay>,
}

/// A day of [`FreeSlots`].
#[derive(Debug, Clone, Copy)]
pub struct FreeDay {
    pub day: Date,
    /// Free places that day.
    pub free: i64,
    from: usize,
    to: usize,
}

impl FreeSlots {
    fn new(country: okienko_domain::country::Country, slots: Vec<Slot>) -> FreeSlots {
        let mut days: Vec<FreeDay> = Vec::new();
        for (i, x) in slots.iter().enumerate() {
            let day = country.local(from_millis(x.starts_at)).date();
            let free = (x.capacity - x.taken).max(0);
            match days.last_mut() {
                Some(d) if d.day == day => {
                    d.free += free;
                    d.to = i + 1;
                }
                _ => days.push(FreeDay {
                    day,
                    free,
                    from: i,
                    to: i + 1,
                }),
            }
        }
        FreeSlots { slots, days }
    }

    /// The days that have slots, with their free places.
    pub fn days(&self) -> &[FreeDay] {
        &self.days
    }

    /// The slots of one day.
    pub fn of_day(&self, day: Date) -> &[Slot] {
        self.days
            .iter()
            .find(|d| d.day == day)
            .and_then(|d| self.slots.get(d.from..d.to))
            .unwrap_or_default()
    }
}

impl std::ops::Deref for FreeSlots {
    type Target = [Slot];
    fn deref(&self) -> &[Slot] {
        &self.slots
    }
}

/// A service's name and where it is booked.
pub type Offer = Arc<(String, Vec<ScheduleView>)>;

impl Default for SlotCache {
    fn default() -> Self {
        SlotCache {
            slots: Ttl::new(),
            schedules: Ttl::new(),
            services: Ttl::new(),
            offers: Ttl::new(),
        }
    }
}

impl SlotCache {
    /// Forgets a service's cached slots (a place taken or given back here).
    pub fn forget(&self, service_id: &str) {
        self.slots.retain(|(s, _, _)| s != service_id);
    }

    /// Forgets everything of a service and one of its schedules (that schedule changed here).
    fn forget_all(&self, service_id: &str, schedule_id: &str) {
        self.forget(service_id);
        self.schedules.retain(|id| id != schedule_id);
        self.offers.retain(|(s, _)| s != service_id);
    }
}

/// How long a cached read is shown.
const CACHE_FOR: std::time::Duration = std::time::Duration::from_secs(1);

/// Values kept for [`CACHE_FOR`] (at most 4096 of them). A value missing or expired is read
/// once however many ask for it at the same moment: they wait for that one read (a month's
/// page asked by sixty-four at once when its second ends costs one query, not sixty-four).
/// Who asks after [`Ttl::retain`] dropped entries (a place taken here) waits for a read that
/// began after it, never for an older one, and an older read is not kept.
struct Ttl<K, V> {
    map: std::sync::Mutex<std::collections::HashMap<K, (std::time::Instant, V)>>,
    /// The read in flight of a key, with the epoch it began in.
    loads: std::sync::Mutex<std::collections::HashMap<K, Load<V>>>,
    /// Bumped by every `retain`.
    epoch: std::sync::atomic::AtomicU64,
}

type Load<V> = (u64, Arc<tokio::sync::OnceCell<V>>);

impl<K: std::hash::Hash + Eq + Clone, V: Clone> Ttl<K, V> {
    fn new() -> Self {
        Ttl {
            map: Default::default(),
            loads: Default::default(),
            epoch: Default::default(),
        }
    }

    fn get(&self, key: &K) -> Option<V> {
        let map = self.map.lock().ok()?;
        map.get(key)
            .filter(|(at, _)| at.elapsed() < CACHE_FOR)
            .map(|(_, v)| v.clone())
    }

    /// The kept value of `key`, or else `load`'s: one read for all who ask meanwhile.
    async fn get_or_load<E, F, Fut>(&self, key: K, load: F) -> Result<V, E>
    where
        F: FnOnce() -> Fut,
        Fut: std::future::Future<Output = Result<V, E>>,
    {
        use std::sync::atomic::Ordering;
        if let Some(hit) = self.get(&key) {
            return Ok(hit);
        }
        let epoch = self.epoch.load(Ordering::Acquire);
        let cell = match self.loads.lock() {
            Ok(mut loads) => match loads.get(&key) {
                Some((e, cell)) if *e == epoch => cell.clone(),
                _ => {
                    let cell = Arc::new(tokio::sync::OnceCell::new());
                    loads.insert(key.clone(), (epoch, cell.clone()));
                    cell
                }
            },
            Err(_) => Arc::new(tokio::sync::OnceCell::new()),
        };
        let v = cell.get_or_try_init(load).await?.clone();
        if let Ok(mut loads) = self.loads.lock() {
            if loads.get(&key).is_some_and(|(_, c)| Arc::ptr_eq(c, &cell)) {
                loads.remove(&key);
            }
        }
        if self.epoch.load(Ordering::Acquire) == epoch {
            self.put(key, v.clone());
        }
        Ok(v)
    }

    fn put(&self, key: K, v: V) {
        if let Ok(mut map) = self.map.lock() {
            if map.len() >= 4096 {
                map.retain(|_, (at, _)| at.elapsed() < CACHE_FOR);
                if map.len() >= 4096 {
                    map.clear();
                }
            }
            map.insert(key, (std::time::Instant::now(), v));
        }
    }

    fn retain(&self, keep: impl Fn(&K) -> bool) {
        if let Ok(mut map) = self.map.lock() {
            self.epoch.fetch_add(1, std::sync::atomic::Ordering::AcqRel);
            map.retain(|k, _| keep(k));
        }
    }
}

/// A place where appointments happen: an office's department or a post office, as
/// `department-ID` or `point-ID`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Place {
    pub kind: &'static str,
    pub id: String,
    pub name: String,
    pub address: String,
}

impl Place {
    /// The place a schedule is at.
    pub fn of(s: &Schedule) -> Place {
        Place {
            kind: if s.place_kind == "department" {
                "department"
            } else {
                "point"
            },
            id: s.place_id.clone(),
            name: s.place_name.clone(),
            address: s.place_address.clone(),
        }
    }

    pub fn key(&self) -> String {
        format!("{}-{}", self.kind, self.id)
    }
}

/// Splits a place key into its kind and id.
pub fn parse_place_key(key: &str) -> Option<(&'static str, &str)> {
    let (kind, id) = key.split_once('-')?;
    let kind = match kind {
        "department" => "department",
        "point" => "point",
        _ => return None,
    };
    (!id.is_empty()).then_some((kind, id))
}

/// A schedule with its spec read and its service's name.
#[derive(Debug, Clone)]
pub struct ScheduleView {
    pub schedule: Schedule,
    pub spec: ScheduleSpec,
    pub service_name: String,
}

/// A booking with its service's name and what to bring, for its person.
#[derive(Debug, Clone)]
pub struct AppointmentView {
    pub appointment: Appointment,
    pub status: AppointmentStatus,
    pub service_name: String,
    /// The language the service's name is in (its own, or the nearest it has).
    pub service_lang: &'static str,
    pub documents: Vec<String>,
    pub documents_lang: &'static str,
    /// A hold still in force that may be confirmed.
    pub may_confirm: bool,
    /// Booked and in the future: may be moved or cancelled.
    pub may_change: bool,
}

pub(crate) fn spec_of(s: &Schedule) -> ScheduleSpec {
    serde_json::from_str(&s.spec).unwrap_or_default()
}

const DAY_MS: i64 = 86_400_000;

impl Services {
    pub fn local_today(&self) -> Date {
        self.country.local(self.clock.now()).date()
    }

    fn day_of(&self, ms: Millis) -> Date {
        self.country.local(from_millis(ms)).date()
    }

    /// The places an office's services can be booked at: its departments, then the open
    /// post offices.
    pub async fn appointment_places(
        &self,
        p: &Principal,
        office_id: &str,
    ) -> Result<Vec<Place>, DomainError> {
        check(p, Action::ManageAppointments { office_id })?;
        let office = self
            .store
            .office(office_id)
            .await?
            .ok_or(DomainError::NotFound)?;
        let address = format!("{}, {} {}", office.street, office.postal_code, office.city);
        let mut out: Vec<Place> = self
            .store
            .departments(office_id)
            .await?
            .into_iter()
            .map(|d| Place {
                kind: "department",
                id: d.id,
                name: format!("{} — {}", office.name, d.name),
                address: address.clone(),
            })
            .collect();
        out.extend(
            self.store
                .service_points()
                .await?
                .into_iter()
                .filter(|sp| sp.is_open)
                .map(|sp| Place {
                    kind: "point",
                    id: sp.id,
                    address: format!("{}, {} {}", sp.street, sp.postal_code, sp.city),
                    name: sp.name,
                }),
        );
        Ok(out)
    }

    /// The officials of the office a schedule may name as receiving people: (id, name).
    pub async fn receiving_officials(
        &self,
        p: &Principal,
        office_id: &str,
    ) -> Result<Vec<(String, String)>, DomainError> {
        check(p, Action::ManageAppointments { office_id })?;
        Ok(self
            .colleagues(office_id)
            .await?
            .into_iter()
            .map(|c| (c.id, c.name))
            .collect())
    }

    /// Offers a service of the office to be booked at a place (or changes the offer): its
    /// slots for the horizon are made at once.
    pub async fn save_schedule(
        &self,
        p: &Principal,
        office_id: &str,
        service_id: &str,
        place_key: &str,
        form: &ScheduleForm,
    ) -> Result<Schedule, DomainError> {
        let places = self.appointment_places(p, office_id).await?;
        let service = self
            .store
            .public_service(service_id)
            .await?
            .filter(|s| s.office_id == office_id);
        let place = places.into_iter().find(|x| x.key() == place_key);
        let spec = parse_schedule(form);
        let mut errors = match &spec {
            Err(DomainError::Invalid(e)) => e.clone(),
            _ => Default::default(),
        };
        if service.is_none() {
            errors.add("service", "err-appt-service");
        }
        if place.is_none() {
            errors.add("place", "err-appt-place");
        }
        errors.finish()?;
        let (Ok(spec), Some(service), Some(place)) = (spec, service, place) else {
            return Err(DomainError::invalid("place", "err-appt-place"));
        };
        let officials = self.receiving_officials(p, office_id).await?;
        if spec
            .officials
            .iter()
            .any(|o| !officials.iter().any(|(id, _)| id == o))
        {
            return Err(DomainError::invalid("officials", "err-appt-officials"));
        }
        self.put_schedule(office_id, &service.id, &place, spec, Some(&p.user.id))
            .await
    }

    /// The slots of the days `from..=to` with their places: the schedule's, narrowed by its
    /// officials' times away (`availability::slot_places`): those they gave, and the days a
    /// colleague substitutes for them (`substitutes`: whoever is substituted for is away).
    async fn slots_for(
        &self,
        office_id: &str,
        spec: &ScheduleSpec,
        from: Date,
        to: Date,
    ) -> Result<Vec<NewSlot>, DomainError> {
        let times = slot_times(self.country, spec, from, to);
        let start = times.iter().map(|t| t.starts_at).min().unwrap_or(0);
        let end = times.iter().map(|t| t.ends_at).max().unwrap_or(0);
        let (aways, substituted) = if spec.officials.is_empty() || times.is_empty() {
            (Vec::new(), Vec::new())
        } else {
            let last = to.to_string();
            let subs = self
                .store
                .office_substitutes(office_id, &from.to_string())
                .await?
                .into_iter()
                .filter(|x| x.starts_on <= last && spec.officials.contains(&x.absent_id))
                .collect();
            (self.store.aways(&spec.officials, start, end).await?, subs)
        };
        let day_ms = |d: &str, next: bool| {
            okienko_domain::substitutes::parse_day(d)
                .and_then(|d| if next { d.next_day() } else { Some(d) })
                .map(|d| okienko_domain::to_millis(self.country.day_start(d)))
        };
        let per: Vec<Vec<Away>> = spec
            .officials
            .iter()
            .map(|o| {
                let given = aways.iter().filter(|a| &a.user_id == o).map(|a| Away {
                    starts_at: a.starts_at,
                    ends_at: a.ends_at,
                });
                let covered = substituted
                    .iter()
                    .filter(|x| &x.absent_id == o)
                    .filter_map(|x| {
                        Some(Away {
                            starts_at: day_ms(&x.starts_on, false)?,
                            ends_at: day_ms(&x.ends_on, true)?,
                        })
                    });
                given.chain(covered).collect()
            })
            .collect();
        let serving: Vec<&[Away]> = per.iter().map(Vec::as_slice).collect();
        Ok(times
            .into_iter()
            .map(|t| {
                let places = slot_places(spec.capacity, &serving, t.starts_at, t.ends_at);
                let id = okienko_store::new_id();
                (id, t.starts_at, t.ends_at, i64::from(places))
            })
            .collect())
    }

    /// Stores a schedule of a service at a place and makes its slots for the horizon (the
    /// same schedule again replaces its settings).
    pub(crate) async fn put_schedule(
        &self,
        office_id: &str,
        service_id: &str,
        place: &Place,
        spec: ScheduleSpec,
        actor: Option<&str>,
    ) -> Result<Schedule, DomainError> {
        let now = self.now_ms();
        let existing = self
            .store
            .schedules(office_id, Some(service_id))
            .await?
            .into_iter()
            .find(|s| s.place_kind == place.kind && s.place_id == place.id);
        let today = self.local_today();
        let (first, last) = booking_window(self.country, &spec, today);
        let s = Schedule {
            id: existing
                .as_ref()
                .map_or_else(okienko_store::new_id, |e| e.id.clone()),
            office_id: office_id.to_string(),
            service_id: service_id.to_string(),
            place_kind: place.kind.into(),
            place_id: place.id.clone(),
            place_name: place.name.clone(),
            place_address: place.address.clone(),
            spec: serde_json::to_string(&spec).map_err(|e| DomainError::Internal(e.to_string()))?,
            slots_until: last.to_string(),
            created_at: existing.as_ref().map_or(now, |e| e.created_at),
            updated_at: now,
        };
        let slots = self.slots_for(office_id, &spec, first, last).await?;
        let from = okienko_domain::to_millis(self.country.day_start(first));
        let ev = AuditEvent::new(now, actor, "appointments.schedule", &s.id);
        self.store.save_schedule(&s, &slots, from, &ev).await?;
        self.slot_cache.forget_all(service_id, &s.id);
        self.cancel_stranded(&s.id, from, actor).await?;
        Ok(s)
    }

    /// Cancels the bookings a schedule's new settings left without their time (a closure
    /// day, shorter hours) and tells each person by email, with a link to book again. A
    /// booking another instance cancelled meanwhile is left to that one's email.
    async fn cancel_stranded(
        &self,
        schedule_id: &str,
        from: i64,
        actor: Option<&str>,
    ) -> Result<(), DomainError> {
        // Rounds of at most 1000 (the earliest first) until a round is not full. What a round
        // cannot cancel are holds that expired meanwhile (the sweep gives their places back):
        // a full round of only those moves on past them.
        let mut from = from;
        loop {
            let list = self.store.stranded_appointments(schedule_id, from).await?;
            let full = list.len() >= 1000;
            let last = list.last().map(|a| a.starts_at);
            let mut cancelled = 0;
            for a in list {
                let now = self.now_ms();
                let ev = AuditEvent::new(now, actor, "appointment.closed", &a.id);
                if !self.store.cancel_appointment(&a.id, now, now, &ev).await? {
                    continue;
                }
                cancelled += 1;
                if a.status == AppointmentStatus::Booked.as_str() {
                    self.send_appointment_email(&a, "closed").await?;
                }
            }
            match (full, last) {
                (true, Some(at)) => from = if cancelled == 0 { at + 1 } else { at },
                _ => return Ok(()),
            }
        }
    }

    /// An office's schedules, for its admin.
    pub async fn office_schedules(
        &self,
        p: &Principal,
        office_id: &str,
        lang: &str,
    ) -> Result<Vec<ScheduleView>, DomainError> {
        check(p, Action::ManageAppointments { office_id })?;
        let mut out = Vec::new();
        for s in self.store.schedules(office_id, None).await? {
            out.push(self.schedule_view(s, lang).await?);
        }
        Ok(out)
    }

    async fn schedule_view(&self, s: Schedule, lang: &str) -> Result<ScheduleView, DomainError> {
        let service_name = self.service_name(&s.service_id, lang).await;
        Ok(ScheduleView {
            spec: spec_of(&s),
            schedule: s,
            service_name,
        })
    }

    /// A schedule (kept a second).
    async fn cached_schedule(&self, id: &str) -> Result<Arc<Schedule>, DomainError> {
        self.slot_cache
            .schedules
            .get_or_load(id.to_string(), || async {
                let s = self.store.schedule(id).await?;
                Ok(Arc::new(s.ok_or(DomainError::NotFound)?))
            })
            .await
    }

    /// A service of the catalogue (kept a second).
    async fn cached_service(
        &self,
        id: &str,
    ) -> Result<Arc<crate::catalogue::CatalogueEntry>, DomainError> {
        self.slot_cache
            .services
            .get_or_load(id.to_string(), || async {
                Ok(Arc::new(self.catalogue_entry(id).await?))
            })
            .await
    }

    /// A service's name in the reader's language (its id if it is gone).
    pub async fn service_name(&self, service_id: &str, lang: &str) -> String {
        match self.cached_service(service_id).await {
            Ok(e) => e.spec.local(lang).name.value,
            Err(_) => service_id.to_string(),
        }
    }

    /// A service's name and the places it can be booked at (public; kept a second).
    pub async fn service_offer(&self, service_id: &str, lang: &str) -> Result<Offer, DomainError> {
        let key = (service_id.to_string(), lang.to_string());
        self.slot_cache
            .offers
            .get_or_load(key, || self.read_offer(service_id, lang))
            .await
    }

    async fn read_offer(&self, service_id: &str, lang: &str) -> Result<Offer, DomainError> {
        let entry = self.catalogue_entry(service_id).await?;
        let name = entry.spec.local(lang).name.value;
        let views = self
            .store
            .schedules(&entry.office.id, Some(service_id))
            .await?
            .into_iter()
            .map(|s| ScheduleView {
                spec: spec_of(&s),
                schedule: s,
                service_name: name.clone(),
            })
            .collect();
        Ok(Arc::new((name, views)))
    }

    /// A service's slots on the days `from..=to` within its places' booking windows (public;
    /// the free places are counted as of now, give or take the sweep of expired holds).
    pub async fn free_slots(
        &self,
        service_id: &str,
        from: Date,
        to: Date,
    ) -> Result<Arc<FreeSlots>, DomainError> {
        if to < from || (to - from).whole_days() > 62 {
            return Err(DomainError::invalid("to", "err-appt-range"));
        }
        let key = (service_id.to_string(), from, to);
        self.slot_cache
            .slots
            .get_or_load(key, || async {
                let slots = self.read_free_slots(service_id, from, to).await?;
                Ok(Arc::new(FreeSlots::new(self.country, slots)))
            })
            .await
    }

    async fn read_free_slots(
        &self,
        service_id: &str,
        from: Date,
        to: Date,
    ) -> Result<Vec<Slot>, DomainError> {
        let entry = self.catalogue_entry(service_id).await?;
        let today = self.local_today();
        let schedules = self
            .store
            .schedules(&entry.office.id, Some(service_id))
            .await?;
        let mut window_first: Option<Date> = None;
        let mut window_last: Option<Date> = None;
        for s in &schedules {
            let spec = spec_of(s);
            let (first, last) = booking_window(self.country, &spec, today);
            window_first = Some(window_first.map_or(first, |w| w.min(first)));
            window_last = Some(window_last.map_or(last, |w| w.max(last)));
            // Slots are made for the horizon when the schedule is saved; each new day adds
            // its day (once: the store moves `slots_until` in the same commit).
            if s.slots_until < last.to_string() {
                let made = okienko_domain::substitutes::parse_day(&s.slots_until)
                    .and_then(|d| d.next_day())
                    .unwrap_or(first)
                    .max(first);
                let slots = self.slots_for(&s.office_id, &spec, made, last).await?;
                self.store
                    .extend_slots(&s.id, &slots, &last.to_string())
                    .await?;
            }
        }
        let (Some(wf), Some(wl)) = (window_first, window_last) else {
            return Ok(Vec::new());
        };
        let (from, to) = (from.max(wf), to.min(wl));
        if to < from {
            return Ok(Vec::new());
        }
        let start = okienko_domain::to_millis(self.country.day_start(from));
        let end = okienko_domain::to_millis(self.country.day_start(to.next_day().unwrap_or(to)));
        Ok(self.store.slots(service_id, start, end).await?)
    }

    /// One slot (public).
    pub async fn slot(&self, id: &str) -> Result<Slot, DomainError> {
        self.store.slot(id).await?.ok_or(DomainError::NotFound)
    }

    /// Until when the person may not book online (after no-shows), if they may not now.
    pub async fn booking_restricted_until(
        &self,
        p: &Principal,
    ) -> Result<Option<Millis>, DomainError> {
        self.restricted_until_of(&p.user.id).await
    }

    async fn restricted_until_of(&self, user_id: &str) -> Result<Option<Millis>, DomainError> {
        let rule = NoShowRule::default();
        let now = self.now_ms();
        let times = self
            .store
            .no_shows_of(
                user_id,
                now - (rule.within_days + rule.restrict_days) * DAY_MS,
            )
            .await?;
        Ok(restricted_until(rule, &times, now))
    }

    /// Takes a place in a slot for the person: held for ten minutes (`confirm` false) or
    /// booked at once (the API).
    async fn take_slot(
        &self,
        p: &Principal,
        slot_id: &str,
        confirm: bool,
    ) -> Result<Appointment, DomainError> {
        if self.booking_restricted_until(p).await?.is_some() {
            return Err(DomainError::Conflict("err-appt-restricted"));
        }
        self.take_slot_for(&p.user, &p.user.id, slot_id, confirm)
            .await
    }

    /// [`Self::take_slot`] for `person`, by `actor` (the person, or the official at the
    /// counter, where a restriction after no-shows does not apply).
    pub(super) async fn take_slot_for(
        &self,
        person: &okienko_store::User,
        actor: &str,
        slot_id: &str,
        confirm: bool,
    ) -> Result<Appointment, DomainError> {
        let slot = self
            .store
            .slot(slot_id)
            .await?
            .ok_or(DomainError::invalid("slot", "err-appt-no-slot"))?;
        let schedule = self.cached_schedule(&slot.schedule_id).await?;
        let spec = spec_of(&schedule);
        let (first, last) = booking_window(self.country, &spec, self.local_today());
        let day = self.day_of(slot.starts_at);
        if day < first || day > last || slot.capacity == 0 {
            return Err(DomainError::Conflict("err-appt-outside-window"));
        }
        let now = self.now_ms();
        let status = if confirm {
            AppointmentStatus::Booked
        } else {
            AppointmentStatus::Held
        };
        let a = Appointment {
            id: okienko_store::new_id(),
            code: new_code(),
            slot_id: slot.id.clone(),
            schedule_id: schedule.id.clone(),
            service_id: schedule.service_id.clone(),
            user_id: person.id.clone(),
            status: status.as_str().into(),
            holds_place: true,
            place_until: (!confirm).then_some(now + HOLD_MINUTES * 60_000),
            // Booked less than a day ahead: the confirmation is the reminder.
            reminded: slot.starts_at - now < DAY_MS,
            starts_at: slot.starts_at,
            created_at: now,
            updated_at: now,
            ends_at: slot.ends_at,
            office_id: schedule.office_id.clone(),
            place_kind: schedule.place_kind.clone(),
            place_id: schedule.place_id.clone(),
            place_name: schedule.place_name.clone(),
            place_address: schedule.place_address.clone(),
            user_name: person.display_name.clone(),
            user_email: person.email.clone(),
            sequence: 0,
        };
        // Booked at once: the confirmation email is queued in the booking's own commit.
        let email = if confirm {
            self.email_for(&a, person, "confirmed")
                .await
                .filter(|e| crate::mail::can_receive(&e.to))
                .map(|e| serde_json::to_string(&e))
                .transpose()
                .map_err(|e| DomainError::Internal(e.to_string()))?
        } else {
            None
        };
        let action = if confirm {
            "appointment.book"
        } else {
            "appointment.hold"
        };
        let hold = NewHold {
            audit: AuditEvent::new(now, Some(actor), action, &a.id),
            appointment: a.clone(),
            max_active: i64::from(spec.max_active),
            job: email.map(|payload| (crate::mail::JOB_KIND.to_string(), payload)),
        };
        let taken = self
            .places
            .submit(hold)
            .await
            .ok_or(DomainError::Busy)?
            .map_err(DomainError::from)?;
        match taken {
            Taken::Yes => {}
            Taken::Full => return Err(DomainError::Conflict("err-appt-taken")),
            Taken::TooMany => return Err(DomainError::Conflict("err-appt-too-many")),
            Taken::Gone => return Err(DomainError::NotFound),
        }
        self.slot_cache.forget(&a.service_id);
        Ok(a)
    }

    /// Holds a free place in a slot for ten minutes while the person confirms.
    pub async fn hold_slot(
        &self,
        p: &Principal,
        slot_id: &str,
    ) -> Result<Appointment, DomainError> {
        self.take_slot(p, slot_id, false).await
    }

    /// Books a free place in a slot at once (the API: the program has confirmed already).
    pub async fn book_slot(
        &self,
        p: &Principal,
        slot_id: &str,
    ) -> Result<Appointment, DomainError> {
        self.take_slot(p, slot_id, true).await
    }

    /// The booking of its holder: its person signed in, or whoever has its link.
    async fn my_appointment(&self, who: Holder<'_>, id: &str) -> Result<Appointment, DomainError> {
        let a = self
            .store
            .appointment(id)
            .await?
            .ok_or(DomainError::NotFound)?;
        let theirs = match who {
            Holder::Person(p) => a.user_id == p.user.id,
            Holder::Link(key) => self.link_key_holds(&a.id, key).await?,
        };
        if theirs {
            Ok(a)
        } else {
            Err(DomainError::NotFound)
        }
    }

    /// A booking as its person sees it.
    pub async fn appointment_view(
        &self,
        who: Holder<'_>,
        id: &str,
        lang: &str,
    ) -> Result<AppointmentView, DomainError> {
        let a = self.my_appointment(who, id).await?;
        Ok(self.view(a, lang).await)
    }

    async fn view(&self, a: Appointment, lang: &str) -> AppointmentView {
        let now = self.now_ms();
        let mut status = AppointmentStatus::parse(&a.status).unwrap_or(AppointmentStatus::Booked);
        let expired = status == AppointmentStatus::Held
            && (!a.holds_place || a.place_until.is_some_and(|t| t <= now));
        if expired {
            status = AppointmentStatus::Cancelled;
        }
        let (service_name, service_lang, documents, documents_lang) =
            match self.cached_service(&a.service_id).await {
                Ok(e) => {
                    let l = e.spec.local(lang);
                    (
                        l.name.value,
                        l.name.lang,
                        l.documents.value,
                        l.documents.lang,
                    )
                }
                Err(_) => (a.service_id.clone(), "pl", Vec::new(), "pl"),
            };
        AppointmentView {
            may_confirm: status == AppointmentStatus::Held,
            may_change: status == AppointmentStatus::Booked && a.starts_at > now,
            status,
            service_name,
            service_lang,
            documents,
            documents_lang,
            appointment: a,
        }
    }

    /// Whether a hold ran out (a person confirming late).
    pub fn hold_expired(&self, v: &AppointmentView) -> bool {
        v.appointment.status == AppointmentStatus::Held.as_str()
            && v.status != AppointmentStatus::Held
    }

    /// The person's bookings, the latest first.
    pub async fn my_appointments(
        &self,
        p: &Principal,
        lang: &str,
    ) -> Result<Vec<AppointmentView>, DomainError> {
        let mut out = Vec::new();
        for a in self.store.appointments_of(&p.user.id).await? {
            out.push(self.view(a, lang).await);
        }
        Ok(out)
    }

    /// Confirms a held slot; the email with the `.ics` goes out.
    pub async fn confirm_appointment(
        &self,
        who: Holder<'_>,
        id: &str,
    ) -> Result<Appointment, DomainError> {
        let a = self.my_appointment(who, id).await?;
        let now = self.now_ms();
        let ev = AuditEvent::new(now, Some(&a.user_id), "appointment.confirm", &a.id);
        if !self.store.confirm_appointment(&a.id, now, &ev).await? {
            return Err(DomainError::Conflict(
                if a.status == AppointmentStatus::Held.as_str() {
                    "err-appt-hold-expired"
                } else {
                    "err-appt-not-active"
                },
            ));
        }
        if let Holder::Link(_) = who {
            // The link came by email: the address is shown to be the person's.
            self.link_confirms_email(&a.user_id, now).await?;
        }
        let a = self.my_appointment(who, id).await?;
        self.send_appointment_email(&a, "confirmed").await?;
        Ok(a)
    }

    /// Cancels the person's booking (or hold); its place returns after the schedule's delay.
    pub async fn cancel_appointment(&self, who: Holder<'_>, id: &str) -> Result<(), DomainError> {
        let a = self.my_appointment(who, id).await?;
        let now = self.now_ms();
        let release = match self.store.schedule(&a.schedule_id).await? {
            Some(s) if a.status == AppointmentStatus::Booked.as_str() => {
                now + i64::from(spec_of(&s).release_minutes) * 60_000
            }
            _ => now,
        };
        let ev = AuditEvent::new(now, Some(&a.user_id), "appointment.cancel", &a.id);
        if !self
            .store
            .cancel_appointment(&a.id, now, release, &ev)
            .await?
        {
            return Err(DomainError::Conflict("err-appt-not-active"));
        }
        if a.status == AppointmentStatus::Booked.as_str() {
            let a = self.my_appointment(who, id).await?;
            self.send_appointment_email(&a, "cancelled").await?;
        }
        Ok(())
    }

    /// Moves the person's booking to another slot of the same place and service; the same
    /// code, an updated `.ics`.
    pub async fn move_appointment(
        &self,
        who: Holder<'_>,
        id: &str,
        slot_id: &str,
    ) -> Result<Appointment, DomainError> {
        let a = self.my_appointment(who, id).await?;
        let slot = self
            .store
            .slot(slot_id)
            .await?
            .filter(|s| s.schedule_id == a.schedule_id)
            .ok_or(DomainError::invalid("slot", "err-appt-no-slot"))?;
        let schedule = self
            .store
            .schedule(&a.schedule_id)
            .await?
            .ok_or(DomainError::NotFound)?;
        let (first, last) = booking_window(self.country, &spec_of(&schedule), self.local_today());
        let day = self.day_of(slot.starts_at);
        if day < first || day > last {
            return Err(DomainError::Conflict("err-appt-outside-window"));
        }
        let now = self.now_ms();
        let ev = AuditEvent::new(now, Some(&a.user_id), "appointment.move", &a.id);
        match self
            .store
            .move_appointment(&a.id, &slot.id, now, &ev)
            .await?
        {
            Taken::Yes => {}
            Taken::Full => return Err(DomainError::Conflict("err-appt-taken")),
            Taken::TooMany | Taken::Gone => {
                return Err(DomainError::Conflict("err-appt-not-active"))
            }
        }
        self.slot_cache.forget(&a.service_id);
        let a = self.my_appointment(who, id).await?;
        self.send_appointment_email(&a, "moved").await?;
        Ok(a)
    }

    /// The email about a booking to its person, in their language (`what`: `confirmed`,
    /// `moved` or `cancelled`, with the `.ics`; `reminder`, without); None when the person is
    /// gone.
    async fn appointment_email(
        &self,
        a: &Appointment,
        what: &str,
    ) -> Result<Option<crate::mail::Email>, DomainError> {
        let Some(user) = self.store.user_by_id(&a.user_id).await? else {
            return Ok(None);
        };
        Ok(self.email_for(a, &user, what).await)
    }

    /// [`Self::appointment_email`] to a person known already.
    async fn email_for(
        &self,
        a: &Appointment,
        user: &okienko_store::User,
        what: &str,
    ) -> Option<crate::mail::Email> {
        let lang = user
            .locale
            .as_deref()
            .and_then(okienko_i18n::Lang::parse)
            .unwrap_or(okienko_i18n::Lang::Pl);
        let v = self.view(a.clone(), lang.code()).await;
        let when = self.local_when(a.starts_at);
        let link = self.appointment_link(a, user).await;
        let code = okienko_domain::appointments::show_code(&a.code);
        let args = [
            ("service", v.service_name.as_str()),
            ("place", a.place_name.as_str()),
            ("address", a.place_address.as_str()),
            ("when", when.as_str()),
            ("code", code.as_str()),
            ("link", link.as_str()),
        ];
        let mut body = lang.t_args(&format!("mail-appt-{what}-body"), &args);
        let cancelled = what == "cancelled" || what == "closed";
        if !cancelled && !v.documents.is_empty() {
            body.push_str("\n\n");
            body.push_str(&lang.t("mail-appt-bring"));
            for d in &v.documents {
                body.push_str("\n- ");
                body.push_str(d);
            }
        }
        let attachments = if what == "reminder" {
            Vec::new()
        } else {
            vec![crate::mail::EmailFile {
                name: "appointment.ics".into(),
                content_type: format!(
                    "text/calendar; charset=utf-8; method={}",
                    if cancelled { "CANCEL" } else { "PUBLISH" }
                ),
                text: self.appointment_ics(a, &v.service_name, cancelled, lang),
            }]
        };
        Some(crate::mail::Email {
            to: user.email.clone(),
            subject: lang.t_args(&format!("mail-appt-{what}-subject"), &args),
            body,
            attachments,
        })
    }

    /// Queues the email about a booking (see [`Self::appointment_email`]).
    async fn send_appointment_email(&self, a: &Appointment, what: &str) -> Result<(), DomainError> {
        let Some(email) = self.appointment_email(a, what).await? else {
            return Ok(());
        };
        self.mail
            .queue(self.store.as_ref(), &email, self.now_ms())
            .await
            .map_err(|e| DomainError::Internal(e.to_string()))
    }

    /// `D.M.YYYY, HH:MM` in the country's civil time.
    pub fn local_when(&self, ms: Millis) -> String {
        let t = self.country.local(from_millis(ms));
        format!(
            "{}.{}.{}, {:02}:{:02}",
            t.day(),
            u8::from(t.month()),
            t.year(),
            t.hour(),
            t.minute()
        )
    }

    /// The person's booking as an iCalendar file.
    pub async fn my_appointment_ics(
        &self,
        who: Holder<'_>,
        id: &str,
        lang: &str,
    ) -> Result<String, DomainError> {
        let v = self.appointment_view(who, id, lang).await?;
        let cancelled = v.status == AppointmentStatus::Cancelled;
        let l = okienko_i18n::Lang::parse(lang).unwrap_or(okienko_i18n::Lang::Pl);
        Ok(self.appointment_ics(&v.appointment, &v.service_name, cancelled, l))
    }

    /// Gives back the places of expired holds and cancellations, and queues the reminders of
    /// tomorrow's appointments (the job runner, every round).
    pub async fn appointment_sweep(&self) -> Result<usize, DomainError> {
        let now = self.now_ms();
        let released = self.store.release_places(now).await? as usize;
        let due = self.store.due_reminders(now, now + DAY_MS, 100).await?;
        let mut sent = 0;
        for a in due {
            let email = self.appointment_email(&a, "reminder").await?;
            let payload = email
                .as_ref()
                .filter(|e| crate::mail::can_receive(&e.to))
                .map(serde_json::to_string)
                .transpose()
                .map_err(|e| DomainError::Internal(e.to_string()))?;
            // A person gone, or an address that cannot receive mail: marked reminded, nothing
            // queued.
            let job = payload.as_deref().map(|p| (crate::mail::JOB_KIND, p));
            if self.store.remind(&a.id, job, now).await? {
                sent += 1;
            }
        }
        Ok(released + sent)
    }
}

/// A new booking code (`domain::appointments::code_from`) of 8 random bytes.
fn new_code() -> String {
    use rand::RngCore;
    let mut b = [0u8; 8];
    rand::rngs::OsRng.fill_bytes(&mut b);
    okienko_domain::appointments::code_from(b)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[tokio::test]
    async fn many_asking_at_once_cause_one_read_and_a_read_begun_before_a_change_is_not_kept() {
        let cache: Arc<Ttl<String, usize>> = Arc::new(Ttl::new());
        let reads = Arc::new(AtomicUsize::new(0));
        let mut asks = Vec::new();
        for _ in 0..64 {
            let (cache, reads) = (cache.clone(), reads.clone());
            asks.push(tokio::spawn(async move {
                cache
                    .get_or_load("month".to_string(), || async {
                        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
                        Ok::<_, ()>(reads.fetch_add(1, Ordering::SeqCst) + 1)
                    })
                    .await
            }));
        }
        for a in asks {
            assert_eq!(a.await.expect("joined"), Ok(1));
        }
        assert_eq!(reads.load(Ordering::SeqCst), 1);

        // A change while a read is in flight: that read is not kept, the next asks again.
        cache.retain(|_| false);
        let slow = {
            let (cache, reads) = (cache.clone(), reads.clone());
            tokio::spawn(async move {
                cache
                    .get_or_load("month".to_string(), || async {
                        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                        Ok::<_, ()>(reads.fetch_add(1, Ordering::SeqCst) + 1)
                    })
                    .await
            })
        };
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        cache.retain(|_| false);
        let after = cache
            .get_or_load("month".to_string(), || async {
                Ok::<_, ()>(reads.fetch_add(1, Ordering::SeqCst) + 1)
            })
            .await;
        assert_eq!(
            after,
            Ok(2),
            "who asks after a change does not wait for an older read"
        );
        assert_eq!(slow.await.expect("joined"), Ok(3));
        assert_eq!(cache.get(&"month".to_string()), Some(2));
    }
}
