//! Officials' own availability: the times an official does not receive people (a morning at
//! a training, a week of leave), and how they narrow the places of the appointment slots the
//! official serves. No IO, no clock: "now" is passed in.

use crate::appointments::{at_local, minutes};
use crate::country::Country;
use crate::error::FieldErrors;
use crate::substitutes::parse_day;
use crate::Millis;
use time::{Date, Time};

/// The longest time away one entry covers (a year).
pub const MAX_SPAN_MS: Millis = 366 * 86_400_000;

/// The longest note (characters).
pub const MAX_NOTE: usize = 200;

/// A time an official does not receive people: `[starts_at, ends_at)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Away {
    pub starts_at: Millis,
    pub ends_at: Millis,
}

impl Away {
    /// Whether the official is away at some moment of `[starts, ends)`.
    pub fn overlaps(self, starts: Millis, ends: Millis) -> bool {
        self.starts_at < ends && starts < self.ends_at
    }
}

/// The places a slot offers when `serving` officials receive at it and `away` of them are
/// away then: the schedule's places shared among its officials, each one away taking their
/// share (rounded up, so one official left still receives someone); none when all are away.
/// A schedule that names no officials is not narrowed.
pub fn narrowed(capacity: u16, serving: usize, away: usize) -> u16 {
    if serving == 0 {
        return capacity;
    }
    let present = serving.saturating_sub(away) as u64;
    let share = (u64::from(capacity) * present).div_ceil(serving as u64);
    u16::try_from(share).unwrap_or(capacity).min(capacity)
}

/// The places of the slot `[starts, ends)` for the officials `serving`, each with the times
/// they are away.
pub fn slot_places(capacity: u16, serving: &[&[Away]], starts: Millis, ends: Millis) -> u16 {
    let away = serving
        .iter()
        .filter(|times| times.iter().any(|a| a.overlaps(starts, ends)))
        .count();
    narrowed(capacity, serving.len(), away)
}

/// Checks a time away as typed: it ends after it starts and after `now`, is at most
/// [`MAX_SPAN_MS`] long, and its note is short.
pub fn check_away(away: Away, note: &str, now: Millis) -> Result<(), crate::DomainError> {
    let mut e = FieldErrors::new();
    if away.ends_at <= away.starts_at {
        e.add("ends", "err-away-order");
    } else if away.ends_at <= now {
        e.add("ends", "err-away-past");
    } else if away.ends_at - away.starts_at > MAX_SPAN_MS {
        e.add("ends", "err-away-long");
    }
    if note.chars().count() > MAX_NOTE {
        e.add("note", "err-away-note");
    }
    e.finish()
}

/// A time away as the form types it: a first day and, if it is not the whole day, the time it
/// begins (`HH:MM`); a last day (the first if empty) and the time it ends (the end of that
/// day if empty). Local civil time of the country.
pub fn parse_away(
    country: Country,
    first_day: &str,
    from: &str,
    last_day: &str,
    until: &str,
) -> Result<Away, crate::DomainError> {
    let mut e = FieldErrors::new();
    let first = parse_day(first_day.trim());
    if first.is_none() {
        e.add("first_day", "err-away-day");
    }
    let last = if last_day.trim().is_empty() {
        first
    } else {
        parse_day(last_day.trim())
    };
    if last.is_none() && !last_day.trim().is_empty() {
        e.add("last_day", "err-away-day");
    }
    let clock = |s: &str, empty: u16| {
        if s.trim().is_empty() {
            Some(empty)
        } else {
            minutes(s)
        }
    };
    let (from, until) = (clock(from, 0), clock(until, 24 * 60));
    if from.is_none() {
        e.add("from", "err-away-time");
    }
    if until.is_none() {
        e.add("until", "err-away-time");
    }
    e.finish()?;
    let (Some(first), Some(last), Some(from), Some(until)) = (first, last, from, until) else {
        return Err(crate::DomainError::invalid("first_day", "err-away-day"));
    };
    let at = |d: Date, m: u16| {
        let (d, m) = if m >= 24 * 60 {
            (d.next_day().unwrap_or(d), 0)
        } else {
            (d, m)
        };
        let t = Time::from_hms((m / 60) as u8, (m % 60) as u8, 0).unwrap_or(Time::MIDNIGHT);
        crate::to_millis(at_local(country, d, t))
    };
    Ok(Away {
        starts_at: at(first, from),
        ends_at: at(last, until),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn shares_are_rounded_up_and_none_when_all_are_away() {
        assert_eq!(narrowed(8, 0, 0), 8);
        assert_eq!(narrowed(8, 2, 0), 8);
        assert_eq!(narrowed(8, 2, 1), 4);
        assert_eq!(narrowed(1, 2, 1), 1);
        assert_eq!(narrowed(8, 3, 1), 6);
        assert_eq!(narrowed(8, 3, 3), 0);
        assert_eq!(narrowed(8, 3, 5), 0);
    }

    #[test]
    fn a_slot_counts_whoever_is_away_at_any_moment_of_it() {
        let h = 3_600_000;
        let morning = [Away {
            starts_at: 8 * h,
            ends_at: 12 * h,
        }];
        let none: [Away; 0] = [];
        let serving: [&[Away]; 2] = [&morning, &none];
        assert_eq!(slot_places(2, &serving, 11 * h, 13 * h), 1);
        assert_eq!(slot_places(2, &serving, 12 * h, 13 * h), 2);
        assert_eq!(slot_places(2, &[&morning], 7 * h, 8 * h), 2);
        assert_eq!(slot_places(2, &[&morning], 7 * h, 9 * h), 0);
    }

    #[test]
    fn a_time_away_is_checked() {
        let ok = Away {
            starts_at: 10,
            ends_at: 20,
        };
        assert!(check_away(ok, "", 0).is_ok());
        assert!(check_away(ok, "", 20).is_err());
        assert!(check_away(Away { ends_at: 10, ..ok }, "", 0).is_err());
        assert!(check_away(
            Away {
                ends_at: 11 + MAX_SPAN_MS,
                ..ok
            },
            "",
            0
        )
        .is_err());
        assert!(check_away(ok, &"x".repeat(MAX_NOTE + 1), 0).is_err());
    }

    #[test]
    fn a_form_gives_whole_days_or_hours_in_local_time() {
        let pl = Country::Poland;
        // 10 December 2026, 08:00–12:00 in Warsaw (CET, UTC+1).
        let a = parse_away(pl, "2026-12-10", "08:00", "", "12:00").expect("hours");
        assert_eq!(a.starts_at, 1_796_886_000_000);
        assert_eq!(a.ends_at - a.starts_at, 4 * 3_600_000);
        let week = parse_away(pl, "2026-12-14", "", "2026-12-18", "").expect("days");
        assert_eq!(week.ends_at - week.starts_at, 5 * 86_400_000);
        assert!(parse_away(pl, "", "", "", "").is_err());
        assert!(parse_away(pl, "2026-12-10", "8", "", "").is_err());
        assert!(parse_away(pl, "2026-12-10", "", "2026-13-01", "").is_err());
    }

    proptest! {
        #[test]
        fn narrowing_never_widens_and_never_closes_while_someone_is_in(
            capacity in 0u16..1000, serving in 0usize..50, away in 0usize..60
        ) {
            let n = narrowed(capacity, serving, away);
            prop_assert!(n <= capacity);
            if serving > 0 && away < serving && capacity > 0 {
                prop_assert!(n >= 1);
            }
            if serving > 0 && away >= serving {
                prop_assert_eq!(n, 0);
            }
            prop_assert_eq!(narrowed(capacity, serving, 0), capacity);
        }
    }
}
