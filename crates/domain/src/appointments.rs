//! Appointments (SZPoN's "virtual office"): what an office offers to be booked per service and
//! place (opening hours, slot length, people per slot, how far ahead, closures), the slots that
//! follow from it in the country's civil time, booking codes, and the no-show rule. No IO and
//! no clock: today and now are passed in.

use crate::country::Country;
use crate::error::FieldErrors;
use crate::Millis;
use serde::{Deserialize, Serialize};
use time::{Date, Duration, OffsetDateTime, PrimitiveDateTime, Time, UtcOffset};

/// How long a slot is held while the person confirms.
pub const HOLD_MINUTES: i64 = 10;
/// The most days a schedule may reach ahead.
pub const MAX_HORIZON: u16 = 366;
/// The most people one slot may take.
pub const MAX_CAPACITY: u16 = 500;

/// An office's offer of one service at one place. Hours are local minutes from midnight per
/// weekday (Monday first); a day without ranges is closed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScheduleSpec {
    pub hours: [Vec<(u16, u16)>; 7],
    pub slot_minutes: u16,
    pub capacity: u16,
    /// The last bookable day is today plus this many days.
    pub horizon_days: u16,
    /// The most active bookings one person may hold for the service.
    pub max_active: u16,
    /// Minutes after which a cancelled booking's place is free again.
    pub release_minutes: u16,
    /// Days the place is closed besides the public holidays (`YYYY-MM-DD`).
    #[serde(default)]
    pub closures: Vec<String>,
    /// The officials who receive people here (user ids): their times away narrow the places
    /// (`availability::narrowed`). None named: the places are as set.
    #[serde(default)]
    pub officials: Vec<String>,
}

impl Default for ScheduleSpec {
    fn default() -> Self {
        let day = vec![(8 * 60, 16 * 60)];
        ScheduleSpec {
            hours: [
                day.clone(),
                day.clone(),
                day.clone(),
                day.clone(),
                day,
                vec![],
                vec![],
            ],
            slot_minutes: 15,
            capacity: 1,
            horizon_days: 30,
            max_active: 2,
            release_minutes: 5,
            closures: vec![],
            officials: vec![],
        }
    }
}

/// The form an office fills in, as typed.
#[derive(Debug, Clone, Default)]
pub struct ScheduleForm {
    /// Per weekday (Monday first): `08:00-12:00, 13:00-16:00`, or empty for closed.
    pub hours: [String; 7],
    pub slot_minutes: String,
    pub capacity: String,
    pub horizon_days: String,
    pub max_active: String,
    pub release_minutes: String,
    /// One `YYYY-MM-DD` per line (or separated by commas).
    pub closures: String,
    /// The officials ticked (user ids).
    pub officials: Vec<String>,
}

impl ScheduleForm {
    /// The form filled in with a spec, for editing it.
    pub fn from_spec(s: &ScheduleSpec) -> Self {
        let hours = s.hours.clone().map(|ranges| {
            ranges
                .iter()
                .map(|(a, b)| format!("{}-{}", clock(*a), clock(*b)))
                .collect::<Vec<_>>()
                .join(", ")
        });
        ScheduleForm {
            hours,
            slot_minutes: s.slot_minutes.to_string(),
            capacity: s.capacity.to_string(),
            horizon_days: s.horizon_days.to_string(),
            max_active: s.max_active.to_string(),
            release_minutes: s.release_minutes.to_string(),
            closures: s.closures.join("\n"),
            officials: s.officials.clone(),
        }
    }
}

/// `HH:MM` of minutes from midnight.
pub fn clock(m: u16) -> String {
    format!("{:02}:{:02}", m / 60, m % 60)
}

pub(crate) fn minutes(s: &str) -> Option<u16> {
    let (h, m) = s.trim().split_once(':')?;
    if h.is_empty() || h.len() > 2 || m.len() != 2 {
        return None;
    }
    let (h, m): (u16, u16) = (h.parse().ok()?, m.parse().ok()?);
    (m < 60 && (h < 24 || (h == 24 && m == 0))).then_some(h * 60 + m)
}

/// One day's opening hours: `08:00-12:00, 13:00-16:00` (ranges in order, not overlapping);
/// empty for closed.
pub fn parse_hours(s: &str) -> Option<Vec<(u16, u16)>> {
    let mut out: Vec<(u16, u16)> = Vec::new();
    for part in s.split([',', ';']).map(str::trim).filter(|p| !p.is_empty()) {
        let (a, b) = part.split_once('-')?;
        let (a, b) = (minutes(a)?, minutes(b)?);
        if a >= b || out.last().is_some_and(|(_, end)| *end > a) || out.len() >= 8 {
            return None;
        }
        out.push((a, b));
    }
    Some(out)
}

fn number(s: &str, lo: u16, hi: u16) -> Option<u16> {
    s.trim()
        .parse::<u16>()
        .ok()
        .filter(|n| (lo..=hi).contains(n))
}

/// Reads the office's form; every problem at once, by field.
pub fn parse_schedule(f: &ScheduleForm) -> Result<ScheduleSpec, crate::DomainError> {
    let mut errors = FieldErrors::new();
    let mut hours: [Vec<(u16, u16)>; 7] = Default::default();
    const FIELDS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
    for (i, text) in f.hours.iter().enumerate() {
        match parse_hours(text) {
            Some(h) => hours[i] = h,
            None => errors.add(FIELDS[i], "err-appt-hours"),
        }
    }
    let slot_minutes = number(&f.slot_minutes, 5, 480);
    if slot_minutes.is_none() {
        errors.add("slot_minutes", "err-appt-slot-minutes");
    }
    let capacity = number(&f.capacity, 1, MAX_CAPACITY);
    if capacity.is_none() {
        errors.add("capacity", "err-appt-capacity");
    }
    let horizon_days = number(&f.horizon_days, 1, MAX_HORIZON);
    if horizon_days.is_none() {
        errors.add("horizon_days", "err-appt-horizon");
    }
    let max_active = number(&f.max_active, 1, 10_000);
    if max_active.is_none() {
        errors.add("max_active", "err-appt-max-active");
    }
    let release_minutes = number(&f.release_minutes, 0, 1440);
    if release_minutes.is_none() {
        errors.add("release_minutes", "err-appt-release");
    }
    let mut closures = Vec::new();
    for d in f
        .closures
        .split(['\n', ',', ' '])
        .map(str::trim)
        .filter(|d| !d.is_empty())
    {
        match crate::substitutes::parse_day(d) {
            Some(day) if closures.len() < 400 => closures.push(day.to_string()),
            _ => {
                errors.add("closures", "err-appt-closures");
                break;
            }
        }
    }
    closures.sort();
    closures.dedup();
    let mut officials: Vec<String> = f
        .officials
        .iter()
        .map(|o| o.trim().to_string())
        .filter(|o| !o.is_empty())
        .collect();
    officials.sort();
    officials.dedup();
    if officials.len() > MAX_OFFICIALS {
        errors.add("officials", "err-appt-officials");
    }
    if hours.iter().all(Vec::is_empty) {
        errors.add("mon", "err-appt-no-hours");
    }
    errors.finish()?;
    Ok(ScheduleSpec {
        hours,
        slot_minutes: slot_minutes.unwrap_or(15),
        capacity: capacity.unwrap_or(1),
        horizon_days: horizon_days.unwrap_or(30),
        max_active: max_active.unwrap_or(2),
        release_minutes: release_minutes.unwrap_or(5),
        closures,
        officials,
    })
}

/// The most officials one schedule names.
pub const MAX_OFFICIALS: usize = 50;

/// The local wall time `t` of day `d` as a moment, in the country's civil time (CET or CEST,
/// whichever is in force at that moment).
pub fn at_local(country: Country, d: Date, t: Time) -> OffsetDateTime {
    let wall = PrimitiveDateTime::new(d, t);
    for hours in [1i8, 2] {
        let offset = UtcOffset::from_hms(hours, 0, 0).unwrap_or(UtcOffset::UTC);
        let moment = wall.assume_offset(offset);
        if country.local(moment).offset() == offset {
            return moment;
        }
    }
    // A wall time that does not exist (skipped by the spring change): an hour later.
    country.local(wall.assume_offset(UtcOffset::from_hms(1, 0, 0).unwrap_or(UtcOffset::UTC)))
}

/// The days a person may book: from the next working day after `today` to `today` plus the
/// horizon.
pub fn booking_window(country: Country, spec: &ScheduleSpec, today: Date) -> (Date, Date) {
    let first = crate::cases::next_working_day(country, today.next_day().unwrap_or(today));
    let last = today
        .checked_add(Duration::days(i64::from(spec.horizon_days)))
        .unwrap_or(today);
    (first, last)
}

/// One slot: when it starts and ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SlotTime {
    pub starts_at: Millis,
    pub ends_at: Millis,
}

/// The slots of the days `from..=to`: each day's opening hours cut into slots of the spec's
/// length (a last piece too short for a slot is left out), none on a public holiday or a
/// closure.
pub fn slot_times(country: Country, spec: &ScheduleSpec, from: Date, to: Date) -> Vec<SlotTime> {
    let mut out = Vec::new();
    let step = spec.slot_minutes.max(5);
    let mut d = from;
    while d <= to {
        let closed =
            country.is_public_holiday(d) || spec.closures.iter().any(|c| *c == d.to_string());
        if !closed {
            for (a, b) in &spec.hours[d.weekday().number_days_from_monday() as usize] {
                let mut m = *a;
                while m + step <= *b {
                    let at = |m: u16| {
                        let t = Time::from_hms((m / 60).min(23) as u8, (m % 60) as u8, 0)
                            .unwrap_or(Time::MIDNIGHT);
                        let day = if m >= 24 * 60 {
                            d.next_day().unwrap_or(d)
                        } else {
                            d
                        };
                        crate::to_millis(at_local(country, day, t))
                    };
                    out.push(SlotTime {
                        starts_at: at(m),
                        ends_at: if m + step == 24 * 60 {
                            at(0) + 86_400_000
                        } else {
                            at(m + step)
                        },
                    });
                    m += step;
                }
            }
        }
        match d.next_day() {
            Some(n) => d = n,
            None => break,
        }
    }
    out
}

/// Where a booking is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AppointmentStatus {
    /// Held while the person confirms (until its hold ends).
    Held,
    Booked,
    Cancelled,
    /// The person checked in at the place and has a ticket.
    CheckedIn,
    /// Served.
    Done,
    /// The person did not come.
    NoShow,
}

impl AppointmentStatus {
    pub const ALL: [AppointmentStatus; 6] = [
        AppointmentStatus::Held,
        AppointmentStatus::Booked,
        AppointmentStatus::Cancelled,
        AppointmentStatus::CheckedIn,
        AppointmentStatus::Done,
        AppointmentStatus::NoShow,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            AppointmentStatus::Held => "held",
            AppointmentStatus::Booked => "booked",
            AppointmentStatus::Cancelled => "cancelled",
            AppointmentStatus::CheckedIn => "checked-in",
            AppointmentStatus::Done => "done",
            AppointmentStatus::NoShow => "no-show",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|x| x.as_str() == s)
    }
}

/// Booking codes: 8 characters of an alphabet without look-alikes (no 0/O, 1/I/L), about 40
/// bits: read out at a counter, typed at a kiosk.
const CODE_ALPHABET: &[u8; 32] = b"ABCDEFGHJKMNPQRSTUVWXYZ23456789Q";

/// A booking code of 8 random bytes.
pub fn code_from(bytes: [u8; 8]) -> String {
    bytes
        .iter()
        // 31 letters: the alphabet's last is a repeat so that every byte maps evenly enough.
        .map(|b| CODE_ALPHABET[usize::from(*b) % 31] as char)
        .collect()
}

/// A code as typed (any case, spaces and dashes), as stored; `None` if it cannot be one.
pub fn normalize_code(s: &str) -> Option<String> {
    let c: String = s
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .map(|c| c.to_ascii_uppercase())
        .collect();
    (c.len() == 8 && c.bytes().all(|b| CODE_ALPHABET[..31].contains(&b))).then_some(c)
}

/// A code as shown: `ABCD-EFGH`.
pub fn show_code(c: &str) -> String {
    if c.len() == 8 && c.is_ascii() {
        format!("{}-{}", &c[..4], &c[4..])
    } else {
        c.to_string()
    }
}

/// The no-show rule: so many no-shows within so many days restrict online booking for so many
/// days after the last one counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NoShowRule {
    pub count: usize,
    pub within_days: i64,
    pub restrict_days: i64,
}

impl Default for NoShowRule {
    fn default() -> Self {
        NoShowRule {
            count: 3,
            within_days: 90,
            restrict_days: 30,
        }
    }
}

const DAY_MS: i64 = 86_400_000;

/// Until when a person whose no-shows were at `times` may not book online, if they may not now.
pub fn restricted_until(rule: NoShowRule, times: &[Millis], now: Millis) -> Option<Millis> {
    if rule.count == 0 {
        return None;
    }
    let mut t: Vec<Millis> = times.to_vec();
    t.sort_unstable();
    // Any run of `count` no-shows within the window restricts from its last one on.
    t.windows(rule.count)
        .filter(|w| w[rule.count - 1] - w[0] <= rule.within_days * DAY_MS)
        .map(|w| w[rule.count - 1] + rule.restrict_days * DAY_MS)
        .filter(|until| *until > now)
        .max()
}

/// A queue ticket's number as shown: a letter for who booked (`A`) or walked in (`B`).
pub fn ticket_label(booked: bool, n: i64) -> String {
    format!("{}{:03}", if booked { 'A' } else { 'B' }, n)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use time::macros::{date, time};

    #[test]
    fn hours_read_and_refuse() {
        assert_eq!(
            parse_hours("08:00-12:00, 13:00-16:30"),
            Some(vec![(480, 720), (780, 990)])
        );
        assert_eq!(parse_hours(""), Some(vec![]));
        assert_eq!(parse_hours("12:00-08:00"), None);
        assert_eq!(parse_hours("08:00-12:00, 11:00-13:00"), None);
        assert_eq!(parse_hours("8-12"), None);
        assert_eq!(parse_hours("25:00-26:00"), None);
    }

    proptest! {
        #[test]
        fn hours_never_panic_and_read_back(s in "\\PC{0,40}") {
            if let Some(h) = parse_hours(&s) {
                let text = h.iter().map(|(a, b)| format!("{}-{}", clock(*a), clock(*b)))
                    .collect::<Vec<_>>().join(", ");
                prop_assert_eq!(parse_hours(&text), Some(h));
            }
        }

        #[test]
        fn codes_read_back(bytes in any::<[u8; 8]>()) {
            let c = code_from(bytes);
            prop_assert_eq!(normalize_code(&show_code(&c).to_lowercase()), Some(c));
        }
    }

    #[test]
    fn slots_skip_holidays_and_closures_and_keep_civil_time() {
        let spec = ScheduleSpec {
            closures: vec!["2026-12-09".into()],
            ..ScheduleSpec::default()
        };
        // Mon 7 Dec .. Sun 13 Dec 2026: Wed 9 closed, weekend closed: 4 days of 32 slots.
        let s = slot_times(
            Country::Poland,
            &spec,
            date!(2026 - 12 - 07),
            date!(2026 - 12 - 13),
        );
        assert_eq!(s.len(), 4 * 32);
        // 08:00 in Warsaw in winter is 07:00 UTC.
        assert_eq!(
            crate::from_millis(s[0].starts_at),
            at_local(Country::Poland, date!(2026 - 12 - 07), time!(8:00))
        );
        assert_eq!(crate::from_millis(s[0].starts_at).hour(), 7);
        // Christmas and Easter Monday are holidays.
        assert!(slot_times(
            Country::Poland,
            &spec,
            date!(2026 - 12 - 25),
            date!(2026 - 12 - 25)
        )
        .is_empty());
        assert!(slot_times(
            Country::Poland,
            &spec,
            date!(2027 - 03 - 29),
            date!(2027 - 03 - 29)
        )
        .is_empty());
        // Summer time: 08:00 is 06:00 UTC.
        let summer = slot_times(
            Country::Poland,
            &spec,
            date!(2026 - 07 - 01),
            date!(2026 - 07 - 01),
        );
        assert_eq!(crate::from_millis(summer[0].starts_at).hour(), 6);
        assert_eq!(summer[0].ends_at - summer[0].starts_at, 15 * 60_000);
    }

    #[test]
    fn the_window_starts_on_the_next_working_day() {
        let spec = ScheduleSpec::default();
        // Friday 24 Dec 2027? Use Thursday 24 Dec 2026: 25, 26 holidays, 27 Sunday.
        let (first, last) = booking_window(Country::Poland, &spec, date!(2026 - 12 - 24));
        assert_eq!(first, date!(2026 - 12 - 28));
        assert_eq!(last, date!(2027 - 01 - 23));
    }

    #[test]
    fn three_no_shows_in_ninety_days_restrict_for_thirty() {
        let r = NoShowRule::default();
        let d = |n: i64| n * DAY_MS;
        assert_eq!(restricted_until(r, &[d(0), d(10)], d(11)), None);
        assert_eq!(
            restricted_until(r, &[d(0), d(10), d(80)], d(81)),
            Some(d(110))
        );
        assert_eq!(restricted_until(r, &[d(0), d(10), d(80)], d(111)), None);
        // Spread over more than 90 days: no restriction.
        assert_eq!(restricted_until(r, &[d(0), d(50), d(100)], d(101)), None);
    }

    #[test]
    fn the_form_is_checked_field_by_field() {
        let mut f = ScheduleForm::from_spec(&ScheduleSpec::default());
        assert_eq!(parse_schedule(&f).ok(), Some(ScheduleSpec::default()));
        f.hours[0] = "nonsense".into();
        f.capacity = "0".into();
        f.closures = "2026-13-01".into();
        let Err(crate::DomainError::Invalid(e)) = parse_schedule(&f) else {
            panic!("accepted")
        };
        let fields: Vec<&str> = e.0.iter().map(|x| x.field.as_ref()).collect();
        assert_eq!(fields, ["mon", "capacity", "closures"]);
    }
}
