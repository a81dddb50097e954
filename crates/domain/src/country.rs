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

impl Country {
    /// Whether `d` is a public holiday (a day free from work by law). Poland: the act of 18
    /// January 1951 (with 24 December from 2025). Serbia: the act on state and other holidays
    /// (Orthodox Christmas and Easter; a New Year, Statehood, Labour or Armistice day that falls
    /// on a Sunday gives the Monday after).
    pub fn is_public_holiday(self, d: Date) -> bool {
        let (m, day) = (d.month() as u8, d.day());
        match self {
            Country::Poland => {
                let easter = western_easter(d.year());
                let fixed = matches!(
                    (m, day),
                    (1, 1)
                        | (1, 6)
                        | (5, 1)
                        | (5, 3)
                        | (8, 15)
                        | (11, 1)
                        | (11, 11)
                        | (12, 25)
                        | (12, 26)
                ) || (d.year() >= 2025 && (m, day) == (12, 24));
                // Easter Sunday and Monday, Pentecost (+49), Corpus Christi (+60).
                fixed || [0, 1, 49, 60].iter().any(|n| offset(easter, *n) == Some(d))
            }
            Country::Serbia => {
                let easter = orthodox_easter(d.year());
                let fixed = |m: u8, day: u8| {
                    matches!(
                        (m, day),
                        (1, 1) | (1, 2) | (1, 7) | (2, 15) | (2, 16) | (5, 1) | (5, 2) | (11, 11)
                    )
                };
                let moved = d.weekday() == Weekday::Monday
                    && d.previous_day().is_some_and(|s| {
                        matches!(
                            (s.month() as u8, s.day()),
                            (1, 1) | (1, 2) | (2, 15) | (2, 16) | (5, 1) | (5, 2) | (11, 11)
                        )
                    });
                fixed(m, day)
                    || moved
                    || [-2, -1, 0, 1].iter().any(|n| offset(easter, *n) == Some(d))
            }
        }
    }

    /// Neither a Saturday, nor a Sunday, nor a public holiday.
    pub fn is_working_day(self, d: Date) -> bool {
        !matches!(d.weekday(), Weekday::Saturday | Weekday::Sunday) && !self.is_public_holiday(d)
    }
}

fn offset(d: Option<Date>, days: i64) -> Option<Date> {
    d?.checked_add(time::Duration::days(days))
}

/// Easter Sunday in the Gregorian calendar (the anonymous Gregorian algorithm, Meeus/Jones/
/// Butcher).
fn western_easter(year: i32) -> Option<Date> {
    let a = year % 19;
    let b = year / 100;
    let c = year % 100;
    let d = b / 4;
    let e = b % 4;
    let f = (b + 8) / 25;
    let g = (b - f + 1) / 3;
    let h = (19 * a + b - d - g + 15) % 30;
    let i = c / 4;
    let k = c % 4;
    let l = (32 + 2 * e + 2 * i - h - k) % 7;
    let m = (a + 11 * h + 22 * l) / 451;
    let month = (h + l - 7 * m + 114) / 31;
    let day = (h + l - 7 * m + 114) % 31 + 1;
    Date::from_calendar_date(year, Month::try_from(month as u8).ok()?, day as u8).ok()
}

/// Orthodox Easter Sunday as a Gregorian date (Meeus's Julian algorithm, then the 13 days
/// between the calendars from 1900 to 2099).
fn orthodox_easter(year: i32) -> Option<Date> {
    let a = year % 4;
    let b = year % 7;
    let c = year % 19;
    let d = (19 * c + 15) % 30;
    let e = (2 * a + 4 * b - d + 34) % 7;
    let month = (d + e + 114) / 31;
    let day = (d + e + 114) % 31 + 1;
    let julian =
        Date::from_calendar_date(year, Month::try_from(month as u8).ok()?, day as u8).ok()?;
    julian.checked_add(time::Duration::days(13))
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
    fn orthodox_easter_falls_on_the_known_sundays() {
        use time::macros::date;
        assert_eq!(orthodox_easter(2026), Some(date!(2026 - 04 - 12)));
        assert_eq!(orthodox_easter(2027), Some(date!(2027 - 05 - 02)));
        assert_eq!(western_easter(2026), Some(date!(2026 - 04 - 05)));
        assert_eq!(western_easter(2027), Some(date!(2027 - 03 - 28)));
        assert!(Country::Serbia.is_public_holiday(date!(2026 - 04 - 10)));
        assert!(!Country::Serbia.is_working_day(date!(2026 - 04 - 13)));
    }

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
