//! What differs between the countries an installation serves. Today: the civil time in which
//! dates and times are shown to people. Identifiers, holidays and statutory periods follow
//! here as the Serbian profile grows.

use time::{Date, Month, OffsetDateTime, UtcOffset, Weekday};

/// The country an installation serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Country {
    #[default]
    Poland,
    Serbia,
}

impl Country {
    /// From its ISO 3166 code (`pl`, `rs`).
    pub fn parse(code: &str) -> Option<Country> {
        match code.trim().to_ascii_lowercase().as_str() {
            "pl" => Some(Country::Poland),
            "rs" => Some(Country::Serbia),
            _ => None,
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            Country::Poland => "pl",
            Country::Serbia => "rs",
        }
    }

    /// The language people and offices most likely write messages in (BCP 47), for the
    /// `lang` of text they typed: screen readers pronounce it right, and a page in another
    /// language is not mistaken for a mixed one.
    pub fn content_lang(self) -> &'static str {
        match self {
            Country::Poland => "pl",
            Country::Serbia => "sr",
        }
    }

    /// The ISO 4217 code of the money its offices take.
    pub fn currency(self) -> &'static str {
        match self {
            Country::Poland => "PLN",
            Country::Serbia => "RSD",
        }
    }

    /// The IANA name of its time zone.
    pub fn zone(self) -> &'static str {
        match self {
            Country::Poland => "Europe/Warsaw",
            Country::Serbia => "Europe/Belgrade",
        }
    }

    /// `t` in the country's civil time. Both zones keep Central European Time and the EU's
    /// summer time (Directive 2000/84/EC: from 01:00 UTC on the last Sunday of March to 01:00
    /// UTC on the last Sunday of October), which both countries have followed since 1996.
    /// Written here rather than taken from a time zone database crate: it is this one rule,
    /// and the database would be compiled into the binary for it.
    pub fn local(self, t: OffsetDateTime) -> OffsetDateTime {
        let t = t.to_offset(UtcOffset::UTC);
        let year = t.year();
        let start = last_sunday(year, Month::March);
        let end = last_sunday(year, Month::October);
        let summer = t >= start && t < end;
        let hours = if summer { 2 } else { 1 };
        t.to_offset(UtcOffset::from_hms(hours, 0, 0).unwrap_or(UtcOffset::UTC))
    }

    /// The moment the civil day `d` begins (local midnight).
    pub fn day_start(self, d: Date) -> OffsetDateTime {
        let offset = self.local(d.midnight().assume_utc()).offset();
        d.midnight().assume_offset(offset)
    }
}

/// 01:00 UTC on the last Sunday of `month` in `year`.
fn last_sunday(year: i32, month: Month) -> OffsetDateTime {
    let last_day = month.length(year);
    let mut d = Date::from_calendar_date(year, month, last_day).unwrap_or(Date::MIN);
    while d.weekday() != Weekday::Sunday {
        d = d.previous_day().unwrap_or(Date::MIN);
    }
    d.with_hms(1, 0, 0)
        .map(|dt| dt.assume_utc())
        .unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn summer_time_starts_and_ends_at_one_utc_on_the_last_sundays() {
        let pl = Country::Poland;
        // 2026: 29 March and 25 October.
        assert_eq!(
            pl.local(datetime!(2026-03-29 00:59 UTC))
                .offset()
                .whole_hours(),
            1
        );
        assert_eq!(
            pl.local(datetime!(2026-03-29 01:00 UTC))
                .offset()
                .whole_hours(),
            2
        );
        assert_eq!(
            pl.local(datetime!(2026-10-25 00:59 UTC))
                .offset()
                .whole_hours(),
            2
        );
        assert_eq!(
            pl.local(datetime!(2026-10-25 01:00 UTC))
                .offset()
                .whole_hours(),
            1
        );
        let noon = Country::Serbia.local(datetime!(2026-11-25 11:00 UTC));
        assert_eq!((noon.hour(), noon.day()), (12, 25));
        let late = pl.local(datetime!(2026-07-31 23:30 UTC));
        assert_eq!(
            (late.month(), late.day(), late.hour()),
            (Month::August, 1, 1)
        );
    }

    #[test]
    fn a_civil_day_starts_at_local_midnight() {
        let d = time::macros::date!(2026 - 07 - 01);
        assert_eq!(
            Country::Poland.day_start(d),
            datetime!(2026-06-30 22:00 UTC)
        );
        let d = time::macros::date!(2026 - 11 - 25);
        assert_eq!(
            Country::Serbia.day_start(d),
            datetime!(2026-11-24 23:00 UTC)
        );
    }

    #[test]
    fn codes() {
        assert_eq!(Country::parse("PL"), Some(Country::Poland));
        assert_eq!(
            Country::parse("rs").map(Country::zone),
            Some("Europe/Belgrade")
        );
        assert_eq!(Country::parse("de"), None);
    }
}
