//! Substitutes: while an official is away, a colleague of the same office handles their cases
//! (works their departments' cases and finds theirs in "my cases"). A substitution is a
//! period of civil days, both ends included. No IO and no clock: today is passed in.

use crate::error::FieldErrors;
use time::Date;

/// The longest one substitution may be (a year's leave); a longer absence is a new one.
pub const MAX_DAYS: i64 = 366;

/// A period of days, both ends included.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Period {
    pub starts: Date,
    pub ends: Date,
}

impl Period {
    /// Whether `day` is in the period.
    pub fn covers(self, day: Date) -> bool {
        self.starts <= day && day <= self.ends
    }

    /// Whether the two periods share a day.
    pub fn overlaps(self, other: Period) -> bool {
        self.starts <= other.ends && other.starts <= self.ends
    }
}

/// A civil date written `YYYY-MM-DD`.
pub fn parse_day(s: &str) -> Option<Date> {
    let f = time::macros::format_description!("[year]-[month]-[day]");
    Date::parse(s.trim(), &f).ok()
}

/// Reads a new substitution's period (`starts_on`, `ends_on`): from today on, ending on or
/// after it starts, at most [`MAX_DAYS`] long. Each error names its field.
pub fn parse_period(starts: &str, ends: &str, today: Date) -> Result<Period, FieldErrors> {
    let mut errors = FieldErrors::new();
    let s = parse_day(starts);
    let e = parse_day(ends);
    match s {
        Some(d) if d >= today => {}
        _ => errors.add("starts_on", "err-substitute-starts"),
    }
    match (s, e) {
        (_, None) => errors.add("ends_on", "err-substitute-ends"),
        (Some(s), Some(e)) if e < s || (e - s).whole_days() + 1 > MAX_DAYS => {
            errors.add("ends_on", "err-substitute-ends")
        }
        _ => {}
    }
    match (s, e, errors.is_empty()) {
        (Some(starts), Some(ends), true) => Ok(Period { starts, ends }),
        _ => Err(errors),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use time::macros::date;

    #[test]
    fn a_period_from_today_within_a_year() {
        let today = date!(2026 - 12 - 07);
        let p = parse_period("2026-12-07", "2026-12-18", today).expect("period");
        assert!(p.covers(today) && p.covers(date!(2026 - 12 - 18)));
        assert!(!p.covers(date!(2026 - 12 - 19)));
        let field = |r: Result<Period, FieldErrors>| r.err().map(|e| e.0[0].field.to_string());
        assert_eq!(
            field(parse_period("2026-12-06", "2026-12-18", today)),
            Some("starts_on".into())
        );
        assert_eq!(
            field(parse_period("2026-12-10", "2026-12-09", today)),
            Some("ends_on".into())
        );
        assert_eq!(
            field(parse_period("2026-12-10", "2027-12-11", today)),
            Some("ends_on".into())
        );
        assert!(parse_period("2026-12-10", "2027-12-10", today).is_ok());
        assert_eq!(
            field(parse_period("jutro", "2026-12-09", today)),
            Some("starts_on".into())
        );
    }

    fn day() -> impl Strategy<Value = Date> {
        (0i64..800).prop_map(|n| date!(2026 - 01 - 01) + time::Duration::days(n))
    }

    fn period() -> impl Strategy<Value = Period> {
        (day(), 0i64..60).prop_map(|(s, n)| Period {
            starts: s,
            ends: s + time::Duration::days(n),
        })
    }

    proptest! {
        #[test]
        fn overlap_is_a_shared_day(a in period(), b in period()) {
            prop_assert_eq!(a.overlaps(b), b.overlaps(a));
            let shared = (0..=(a.ends - a.starts).whole_days())
                .any(|n| b.covers(a.starts + time::Duration::days(n)));
            prop_assert_eq!(a.overlaps(b), shared);
        }

        #[test]
        fn parsing_never_panics(s in ".{0,20}", e in ".{0,20}") {
            let _ = parse_period(&s, &e, date!(2026 - 12 - 07));
        }
    }
}
