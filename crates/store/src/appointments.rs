//! Appointments (`domain::appointments`): schedules, their slots, bookings that take a place in
//! a slot by one conditional update (so no slot is ever overbooked, on either backend, however
//! many ask at once), queue tickets numbered in the database, and calendar feeds.

use crate::Result;
use async_trait::async_trait;
use okienko_domain::audit::AuditEvent;
use okienko_domain::Millis;

/// What an office offers to be booked: one service at one place.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Schedule {
    pub id: String,
    pub office_id: String,
    pub service_id: String,
    /// `department` or `point` (a post office).
    pub place_kind: String,
    pub place_id: String,
    pub place_name: String,
    pub place_address: String,
    /// `domain::appointments::ScheduleSpec` as JSON.
    pub spec: String,
    /// The last day whose slots are made (`YYYY-MM-DD`).
    pub slots_until: String,
    pub created_at: Millis,
    pub updated_at: Millis,
}

/// One slot, read with its place.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Slot {
    pub id: String,
    pub schedule_id: String,
    pub service_id: String,
    pub starts_at: Millis,
    pub ends_at: Millis,
    pub capacity: i64,
    pub taken: i64,
    pub place_name: String,
}

/// A slot to make: its id, start and end.
pub type NewSlot = (String, Millis, Millis, i64);

/// A booking, read with its slot's end, its place and its person.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Appointment {
    pub id: String,
    pub code: String,
    pub slot_id: String,
    pub schedule_id: String,
    pub service_id: String,
    pub user_id: String,
    /// `domain::appointments::AppointmentStatus` as its word.
    pub status: String,
    pub holds_place: bool,
    pub place_until: Option<Millis>,
    /// Changes sent to the person's calendar (iCalendar SEQUENCE).
    pub sequence: i64,
    pub reminded: bool,
    pub starts_at: Millis,
    pub created_at: Millis,
    pub updated_at: Millis,
    pub ends_at: Millis,
    pub office_id: String,
    pub place_kind: String,
    pub place_id: String,
    pub place_name: String,
    pub place_address: String,
    pub user_name: String,
    pub user_email: String,
}

/// A hold to take: the booking (status `held` or `booked`), the most active bookings the
/// person may have for the service, and its audit event.
#[derive(Debug, Clone)]
pub struct NewHold {
    pub appointment: Appointment,
    pub max_active: i64,
    pub audit: AuditEvent,
    /// A job (kind, payload) queued in the same commit when the place is taken: the
    /// confirmation email of a booking made at once.
    pub job: Option<(String, String)>,
}

/// What came of taking a place in a slot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Taken {
    Yes,
    /// Every place of the slot is taken.
    Full,
    /// The person has as many active bookings for the service as they may.
    TooMany,
    /// The slot does not exist (or the booking to move is not active).
    Gone,
}

/// A ticket in a place's queue.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct QueueTicket {
    pub id: String,
    pub place_key: String,
    pub day: String,
    pub number: i64,
    pub label: String,
    pub appointment_id: Option<String>,
    pub service_id: Option<String>,
    /// `waiting`, `called`, `done` or `no-show`.
    pub status: String,
    pub created_at: Millis,
    pub called_at: Option<Millis>,
    pub called_by: Option<String>,
    pub desk: String,
    pub finished_at: Option<Millis>,
}

/// One day's waiting at a place: tickets called, the mean and longest wait.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct WaitDay {
    pub day: String,
    pub called: i64,
    pub mean_wait_ms: i64,
    pub max_wait_ms: i64,
}

#[async_trait]
pub trait AppointmentStore: Send + Sync {
    /// Adds or changes a schedule (by its id) and makes its slots from `from` on: new ones
    /// are added, kept ones get the new capacity (never below what is taken), and the ones
    /// the schedule no longer has are removed when nobody booked them or closed to more
    /// bookings when somebody did. One commit with the audit event.
    async fn save_schedule(
        &self,
        s: &Schedule,
        slots: &[NewSlot],
        from: Millis,
        audit: &AuditEvent,
    ) -> Result<()>;
    /// Adds slots to a schedule (those it has stay as they are) and moves its `slots_until`.
    async fn extend_slots(&self, schedule_id: &str, slots: &[NewSlot], until: &str) -> Result<()>;
    async fn schedule(&self, id: &str) -> Result<Option<Schedule>>;
    /// An office's schedules; a service's with `service`.
    async fn schedules(&self, office_id: &str, service: Option<&str>) -> Result<Vec<Schedule>>;
    /// The schedules at a place.
    async fn schedules_at(&self, place_kind: &str, place_id: &str) -> Result<Vec<Schedule>>;
    /// A service's slots starting in `from..to`, by time.
    async fn slots(&self, service_id: &str, from: Millis, to: Millis) -> Result<Vec<Slot>>;
    async fn slot(&self, id: &str) -> Result<Option<Slot>>;
    /// Takes a place for each booking, in one commit, in their order: each is stored (with
    /// its audit event) only when its slot had a free place and its person fewer active
    /// bookings of the service than allowed. A full slot first gets the places of its expired
    /// holds back.
    async fn take_places(&self, holds: &[NewHold], now: Millis) -> Result<Vec<Taken>>;
    /// Confirms a hold still in force; false otherwise.
    async fn confirm_appointment(&self, id: &str, now: Millis, audit: &AuditEvent) -> Result<bool>;
    /// Cancels an active booking; its place returns at `release_at`. False if not active.
    async fn cancel_appointment(
        &self,
        id: &str,
        now: Millis,
        release_at: Millis,
        audit: &AuditEvent,
    ) -> Result<bool>;
    /// Moves a booked appointment to another slot of its schedule: the new place is taken
    /// (or `Full`), the old one freed, the sequence counted up.
    async fn move_appointment(
        &self,
        id: &str,
        slot_id: &str,
        now: Millis,
        audit: &AuditEvent,
    ) -> Result<Taken>;
    /// Gives back the places of holds and cancellations whose time came; how many.
    async fn release_places(&self, now: Millis) -> Result<u64>;
    async fn appointment(&self, id: &str) -> Result<Option<Appointment>>;
    async fn appointment_by_code(&self, code: &str) -> Result<Option<Appointment>>;
    /// Active bookings (held or booked) from `from` on in slots a schedule no longer has
    /// (a closure day, shorter hours): the people must be told. At most 1000.
    async fn stranded_appointments(
        &self,
        schedule_id: &str,
        from: Millis,
    ) -> Result<Vec<Appointment>>;
    /// A person's bookings (not expired holds), the latest first, at most 200.
    async fn appointments_of(&self, user_id: &str) -> Result<Vec<Appointment>>;
    /// The bookings at the given schedules starting in `from..to` (booked, checked in, done,
    /// not shown), by time.
    async fn appointments_at(
        &self,
        schedule_ids: &[String],
        from: Millis,
        to: Millis,
    ) -> Result<Vec<Appointment>>;
    /// Booked appointments starting in `from..to` whose reminder was not sent, at most
    /// `limit`.
    async fn due_reminders(&self, from: Millis, to: Millis, limit: i64)
        -> Result<Vec<Appointment>>;
    /// Marks a reminder sent and queues its email job (`(kind, payload)`, if any) in the
    /// same commit; false when another instance sent it.
    async fn remind(&self, id: &str, job: Option<(&str, &str)>, now: Millis) -> Result<bool>;
    /// Marks a booked appointment not shown; false if it was not booked (any more).
    async fn mark_no_show(&self, id: &str, now: Millis, audit: &AuditEvent) -> Result<bool>;
    /// When a person's bookings were marked not shown, since `since`.
    async fn no_shows_of(&self, user_id: &str, since: Millis) -> Result<Vec<Millis>>;
    /// Checks a booked appointment in: it gets the place's next number of the day. `None`
    /// when it was not booked (any more).
    async fn check_in_appointment(
        &self,
        appointment_id: &str,
        place_key: &str,
        day: &str,
        now: Millis,
    ) -> Result<Option<QueueTicket>>;
    /// A walk-in ticket with the place's next number of the day.
    async fn walk_in(
        &self,
        place_key: &str,
        day: &str,
        service_id: Option<&str>,
        now: Millis,
    ) -> Result<QueueTicket>;
    /// Calls the longest waiting ticket of the place's day to `desk`.
    async fn call_next(
        &self,
        place_key: &str,
        day: &str,
        user_id: &str,
        desk: &str,
        now: Millis,
        audit: &AuditEvent,
    ) -> Result<Option<QueueTicket>>;
    /// Ends a called ticket as `done` or `no-show` (and its appointment with it).
    async fn finish_ticket(
        &self,
        id: &str,
        status: &str,
        now: Millis,
        audit: &AuditEvent,
    ) -> Result<bool>;
    async fn ticket(&self, id: &str) -> Result<Option<QueueTicket>>;
    /// A place's tickets of a day, by number.
    async fn tickets(&self, place_key: &str, day: &str) -> Result<Vec<QueueTicket>>;
    /// Waiting per day at a place since `since_day`, the latest first.
    async fn wait_days(&self, place_key: &str, since_day: &str) -> Result<Vec<WaitDay>>;
    /// Sets (or with `None` revokes) a person's calendar feed.
    async fn set_calendar_feed(
        &self,
        user_id: &str,
        token_hash: Option<&str>,
        now: Millis,
        audit: &AuditEvent,
    ) -> Result<()>;
    /// Whose feed has this token hash.
    async fn calendar_feed_user(&self, token_hash: &str) -> Result<Option<String>>;
    async fn has_calendar_feed(&self, user_id: &str) -> Result<bool>;
}
