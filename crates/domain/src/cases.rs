//! Case management (EZD): the office's JRWA list (the uniform subject-matter list: classes with
//! archival categories), case signatures (`UNIT.JRWA.NUMBER.YEAR`), and the deadlines of the
//! Code of Administrative Procedure (KPA). No IO and no clock: dates are passed in.

use crate::catalogue::{csv_rows, ImportError};
use crate::country::Country;
use std::fmt;
use time::{Date, Duration, Month};

/// An archival category (the executive regulation on office instructions): `A` records are kept
/// for good and go to the state archive; `B<n>` are destroyed `n` years after the case closed,
/// `BE<n>` are reviewed by the state archive first; `Bc` when no longer in use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Category {
    A,
    B(u16),
    Be(u16),
    Bc,
}

impl Category {
    pub fn parse(s: &str) -> Option<Category> {
        let s = s.trim();
        let years = |n: &str| {
            (!n.is_empty() && n.len() <= 3 && n.bytes().all(|b| b.is_ascii_digit()))
                .then(|| n.parse::<u16>().ok())
                .flatten()
                .filter(|y| *y > 0)
        };
        match s {
            "A" => Some(Category::A),
            "Bc" | "BC" => Some(Category::Bc),
            _ => {
                if let Some(n) = s.strip_prefix("BE") {
                    years(n).map(Category::Be)
                } else {
                    s.strip_prefix('B').and_then(years).map(Category::B)
                }
            }
        }
    }

    /// Years after closing before the records may be destroyed; `None` for `A` (never).
    pub fn retention_years(self) -> Option<u16> {
        match self {
            Category::A => None,
            Category::B(n) | Category::Be(n) => Some(n),
            Category::Bc => Some(0),
        }
    }
}

impl fmt::Display for Category {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Category::A => f.write_str("A"),
            Category::B(n) => write!(f, "B{n}"),
            Category::Be(n) => write!(f, "BE{n}"),
            Category::Bc => f.write_str("Bc"),
        }
    }
}

/// One class of the JRWA list. Cases are opened only in a class with a category (the last
/// level); a class that groups others has none.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JrwaClass {
    pub symbol: String,
    pub title: String,
    pub category: Option<Category>,
}

/// A JRWA symbol: one to four digits, each longer one inside the class of its prefix.
pub fn valid_symbol(s: &str) -> bool {
    (1..=4).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_digit())
}

/// The most classes a list may have (the full state list has about 1,200).
pub const MAX_CLASSES: usize = 5_000;
const MAX_TITLE: usize = 300;

/// Reads a JRWA list as CSV (RFC 4180): `symbol,title,category`, with or without that header
/// row. Every class but a first-level one needs its parent in the list; a class with a
/// category has no classes under it, one without has some. An error names the line.
pub fn parse_jrwa_csv(text: &str) -> Result<Vec<JrwaClass>, ImportError> {
    let rows = csv_rows(text)?;
    let mut classes: Vec<(usize, JrwaClass)> = Vec::new();
    for (i, row) in rows.iter().enumerate() {
        let line = i + 1;
        if row.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        let cell = |n: usize| row.get(n).map_or("", |c| c.trim());
        if i == 0 && !cell(0).bytes().all(|b| b.is_ascii_digit()) {
            continue; // the header row
        }
        if classes.len() >= MAX_CLASSES {
            return Err(ImportError::at(line, None, "err-jrwa-too-many"));
        }
        let symbol = cell(0);
        if !valid_symbol(symbol) {
            return Err(ImportError::at(line, Some("symbol"), "err-jrwa-symbol"));
        }
        let title = cell(1);
        if title.is_empty() || title.chars().count() > MAX_TITLE {
            return Err(ImportError::at(line, Some("title"), "err-jrwa-title"));
        }
        let category = match cell(2) {
            "" => None,
            c => Some(
                Category::parse(c)
                    .ok_or_else(|| ImportError::at(line, Some("category"), "err-jrwa-category"))?,
            ),
        };
        if classes.iter().any(|(_, c)| c.symbol == symbol) {
            return Err(ImportError::at(line, Some("symbol"), "err-jrwa-twice"));
        }
        classes.push((
            line,
            JrwaClass {
                symbol: symbol.to_string(),
                title: title.to_string(),
                category,
            },
        ));
    }
    if classes.is_empty() {
        return Err(ImportError::at(1, None, "err-jrwa-empty"));
    }
    let symbols: std::collections::HashSet<&str> =
        classes.iter().map(|(_, c)| c.symbol.as_str()).collect();
    let parents: std::collections::HashSet<&str> = classes
        .iter()
        .filter(|(_, c)| c.symbol.len() > 1)
        .map(|(_, c)| &c.symbol[..c.symbol.len() - 1])
        .collect();
    for (line, c) in &classes {
        if c.symbol.len() > 1 && !symbols.contains(&c.symbol[..c.symbol.len() - 1]) {
            return Err(ImportError::at(*line, Some("symbol"), "err-jrwa-parent"));
        }
    }
    for (line, c) in &classes {
        let has_children = parents.contains(c.symbol.as_str());
        if has_children == c.category.is_some() {
            return Err(ImportError::at(*line, Some("category"), "err-jrwa-leaf"));
        }
    }
    Ok(classes.into_iter().map(|(_, c)| c).collect())
}

/// A case signature, `UNIT.JRWA.NUMBER.YEAR` (`OR.6220.1.2026`): the department's code, the
/// JRWA class, the case's number in that department, class and year (from 1, without gaps),
/// and the year.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signature {
    pub unit: String,
    pub jrwa: String,
    pub number: i64,
    pub year: i32,
}

impl fmt::Display for Signature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}.{}.{}.{}",
            self.unit, self.jrwa, self.number, self.year
        )
    }
}

/// A department code that can stand in a signature: 1 to 10 capital letters, digits or `-`.
pub fn valid_unit(s: &str) -> bool {
    (1..=10).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'-')
}

impl Signature {
    pub fn parse(s: &str) -> Option<Signature> {
        let mut parts = s.trim().split('.');
        let (unit, jrwa, number, year) =
            (parts.next()?, parts.next()?, parts.next()?, parts.next()?);
        if parts.next().is_some() || !valid_unit(unit) || !valid_symbol(jrwa) {
            return None;
        }
        let digits = |t: &str| {
            !t.is_empty()
                && t.len() <= 9
                && t.bytes().all(|b| b.is_ascii_digit())
                && !t.starts_with('0')
        };
        if !digits(number) || !digits(year) || year.len() != 4 {
            return None;
        }
        Some(Signature {
            unit: unit.to_string(),
            jrwa: jrwa.to_string(),
            number: number.parse().ok()?,
            year: year.parse().ok()?,
        })
    }
}

/// The time the KPA gives an authority to settle a case (art. 35 §3): a month, two months for
/// a complex case, a month for an appeal (from its receipt).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Term {
    Month,
    TwoMonths,
    Appeal,
}

impl Term {
    pub const ALL: [Term; 3] = [Term::Month, Term::TwoMonths, Term::Appeal];

    pub fn as_str(self) -> &'static str {
        match self {
            Term::Month => "month",
            Term::TwoMonths => "two-months",
            Term::Appeal => "appeal",
        }
    }

    pub fn parse(s: &str) -> Option<Term> {
        Term::ALL.into_iter().find(|t| t.as_str() == s)
    }

    pub fn months(self) -> u8 {
        match self {
            Term::TwoMonths => 2,
            Term::Month | Term::Appeal => 1,
        }
    }
}

/// `d` plus `months` calendar months: the day with the same number, or the month's last day
/// when it has no such day (KPA art. 57 §3: 31 January + 1 month = 28 or 29 February).
pub fn add_months(d: Date, months: u8) -> Date {
    let total = d.year() * 12 + (d.month() as i32 - 1) + i32::from(months);
    let (year, month0) = (total.div_euclid(12), total.rem_euclid(12));
    let month = Month::try_from((month0 + 1) as u8).unwrap_or(Month::January);
    let day = d.day().min(month.length(year));
    Date::from_calendar_date(year, month, day).unwrap_or(d)
}

/// The first day on or after `d` that is neither a Saturday, nor a Sunday, nor a public holiday
/// of `country` (KPA art. 57 §4).
pub fn next_working_day(country: Country, mut d: Date) -> Date {
    while !country.is_working_day(d) {
        match d.next_day() {
            Some(n) => d = n,
            None => break,
        }
    }
    d
}

/// When a case started on `start` must be settled: the term counted from `start`, moved by the
/// `excluded_days` the law does not count (art. 35 §5: the case suspended, waiting for the
/// party), and then to the next working day if it falls on a day off.
pub fn deadline(country: Country, start: Date, term: Term, excluded_days: i64) -> Date {
    let end = add_months(start, term.months());
    let end = end
        .checked_add(Duration::days(excluded_days.clamp(0, 36_500)))
        .unwrap_or(end);
    next_working_day(country, end)
}

/// The days an art. 36 delay adds to a case's term so that its deadline becomes `new`: what
/// [`deadline`] then adds on top of the excluded days. None when `new` is not after the
/// current deadline.
pub fn extension_to(
    country: Country,
    start: Date,
    term: Term,
    excluded_days: i64,
    extended_days: i64,
    new: Date,
) -> Option<i64> {
    let current = deadline(country, start, term, excluded_days + extended_days);
    if new <= current {
        return None;
    }
    let nominal = add_months(start, term.months());
    Some((new - nominal).whole_days() - excluded_days)
}

/// The days from `from` (included) to `until` (excluded), for the time a case was suspended.
pub fn days_between(from: Date, until: Date) -> i64 {
    (until - from).whole_days().max(0)
}

/// The state of a case.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CaseStatus {
    Open,
    /// Waiting for the party or suspended: the KPA clock stands still.
    Suspended,
    Closed,
}

impl CaseStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            CaseStatus::Open => "open",
            CaseStatus::Suspended => "suspended",
            CaseStatus::Closed => "closed",
        }
    }

    pub fn parse(s: &str) -> Option<CaseStatus> {
        [CaseStatus::Open, CaseStatus::Suspended, CaseStatus::Closed]
            .into_iter()
            .find(|c| c.as_str() == s)
    }
}

/// The days a party has to appeal a decision, from its delivery (KPA art. 129 §2).
pub const APPEAL_DAYS: i64 = 14;

/// The last day to appeal a decision delivered on `delivered`: 14 days, the day of delivery
/// not counted (art. 57 §1), moved off a day free from work (art. 57 §4).
pub fn appeal_deadline(country: Country, delivered: Date) -> Date {
    let end = delivered
        .checked_add(Duration::days(APPEAL_DAYS))
        .unwrap_or(delivered);
    next_working_day(country, end)
}

/// The fields a decision template may name, each written `{name}` in its text.
pub const TEMPLATE_FIELDS: [&str; 9] = [
    "party",
    "signature",
    "title",
    "office",
    "department",
    "place",
    "date",
    "started",
    "official",
];

/// What is wrong with a template's text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TemplateError {
    /// `{name}` with a name that is not a field.
    UnknownField(String),
    /// A `{` without its `}`, or a `}` without its `{`.
    Unbalanced,
}

/// Fills a template's fields with `value(name)`; a value is put in as it is (a brace in a
/// party's name is not read as a field). The whole text is checked whatever `value` answers,
/// so filling a template with anything checks it.
pub fn fill_template(text: &str, value: impl Fn(&str) -> String) -> Result<String, TemplateError> {
    let mut out = String::with_capacity(text.len() + 64);
    let mut rest = text;
    while let Some(i) = rest.find(['{', '}']) {
        let (before, at) = rest.split_at(i);
        out.push_str(before);
        if at.starts_with('}') {
            return Err(TemplateError::Unbalanced);
        }
        let Some(end) = at.find('}') else {
            return Err(TemplateError::Unbalanced);
        };
        let name = &at[1..end];
        if name.contains('{') {
            return Err(TemplateError::Unbalanced);
        }
        if !TEMPLATE_FIELDS.contains(&name) {
            return Err(TemplateError::UnknownField(name.chars().take(40).collect()));
        }
        out.push_str(&value(name));
        rest = &at[end + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    /// Polish public holidays (the act of 18 January 1951 on days free from work, with 24
    /// December from 2025), written out by hand from the calendar, not computed.
    const HOLIDAYS: &[Date] = &[
        date!(2026 - 01 - 01),
        date!(2026 - 01 - 06),
        date!(2026 - 04 - 05),
        date!(2026 - 04 - 06),
        date!(2026 - 05 - 01),
        date!(2026 - 05 - 03),
        date!(2026 - 05 - 24),
        date!(2026 - 06 - 04),
        date!(2026 - 08 - 15),
        date!(2026 - 11 - 01),
        date!(2026 - 11 - 11),
        date!(2026 - 12 - 24),
        date!(2026 - 12 - 25),
        date!(2026 - 12 - 26),
        date!(2027 - 01 - 01),
        date!(2027 - 01 - 06),
        date!(2027 - 03 - 28),
        date!(2027 - 03 - 29),
        date!(2027 - 05 - 01),
        date!(2027 - 05 - 03),
        date!(2027 - 05 - 16),
        date!(2027 - 05 - 27),
        date!(2027 - 08 - 15),
        date!(2027 - 11 - 01),
        date!(2027 - 11 - 11),
        date!(2027 - 12 - 24),
        date!(2027 - 12 - 25),
        date!(2027 - 12 - 26),
        date!(2028 - 01 - 01),
        date!(2028 - 01 - 06),
    ];

    fn day_off(d: Date) -> bool {
        matches!(d.weekday(), time::Weekday::Saturday | time::Weekday::Sunday)
            || HOLIDAYS.contains(&d)
    }

    #[test]
    fn the_holidays_are_polands() {
        let pl = Country::Poland;
        let mut d = date!(2026 - 01 - 01);
        while d < date!(2028 - 01 - 07) {
            assert_eq!(pl.is_public_holiday(d), HOLIDAYS.contains(&d), "{d}");
            d = d.next_day().expect("day");
        }
    }

    #[test]
    fn every_deadline_of_2026_and_2027_ends_on_the_first_working_day() {
        let pl = Country::Poland;
        let mut start = date!(2026 - 01 - 01);
        while start <= date!(2027 - 12 - 31) {
            for term in Term::ALL {
                for excluded in [0, 10] {
                    let got = deadline(pl, start, term, excluded);
                    // The nominal end: the same day number `months` later (or the month's last
                    // day), plus the excluded days, counted here by walking the calendar.
                    let mut nominal = start;
                    for _ in 0..term.months() {
                        let mut next = nominal;
                        let want = start.day();
                        loop {
                            next = next.next_day().expect("day");
                            let last = next.day() == next.month().length(next.year());
                            if next.month() != nominal.month()
                                && (next.day() == want || (last && next.day() < want))
                            {
                                break;
                            }
                        }
                        nominal = next;
                    }
                    for _ in 0..excluded {
                        nominal = nominal.next_day().expect("day");
                    }
                    assert!(
                        got >= nominal,
                        "{start} {term:?} {excluded}: {got} < {nominal}"
                    );
                    assert!(!day_off(got), "{start} {term:?}: {got} is a day off");
                    let mut d = nominal;
                    while d < got {
                        assert!(
                            day_off(d),
                            "{start} {term:?}: {d} was a working day before {got}"
                        );
                        d = d.next_day().expect("day");
                    }
                }
            }
            start = start.next_day().expect("day");
        }
    }

    #[test]
    fn worked_examples() {
        let pl = Country::Poland;
        // 31 January 2026 + 1 month = 28 February (a Saturday) → Monday 2 March.
        assert_eq!(
            deadline(pl, date!(2026 - 01 - 31), Term::Month, 0),
            date!(2026 - 03 - 02)
        );
        // 24 November 2026 + 1 month = 24 December (Wigilia, free from 2025) → 28 December.
        assert_eq!(
            deadline(pl, date!(2026 - 11 - 24), Term::Month, 0),
            date!(2026 - 12 - 28)
        );
        // Suspended for ten days: 15 January + 1 month = 15 February (a Sunday, not moved yet)
        // + 10 days = Wednesday 25 February.
        assert_eq!(
            deadline(pl, date!(2026 - 01 - 15), Term::Month, 10),
            date!(2026 - 02 - 25)
        );
        assert_eq!(
            deadline(pl, date!(2026 - 03 - 10), Term::TwoMonths, 0),
            date!(2026 - 05 - 11)
        );
    }

    #[test]
    fn categories_and_signatures_read_back() {
        for c in ["A", "B5", "BE10", "Bc", "B50"] {
            assert_eq!(Category::parse(c).expect(c).to_string(), c);
        }
        for bad in ["", "B", "B0", "C", "BE", "A1", "B1234"] {
            assert_eq!(Category::parse(bad), None, "{bad}");
        }
        let s = Signature::parse("OR.6220.1.2026").expect("parse");
        assert_eq!(
            (s.unit.as_str(), s.jrwa.as_str(), s.number, s.year),
            ("OR", "6220", 1, 2026)
        );
        assert_eq!(s.to_string(), "OR.6220.1.2026");
        for bad in [
            "OR.6220.1",
            "or.6220.1.2026",
            "OR.62200.1.2026",
            "OR.6220.0.2026",
            "OR.6220.01.2026",
            "OR.6220.1.26",
            "OR.6220.1.2026.1",
        ] {
            assert_eq!(Signature::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn jrwa_lists_are_checked_line_by_line() {
        let good = "symbol,title,category\n0,Zarządzanie,\n01,Organy,\n010,Wybory,A\n6,Gospodarka,\n62,Drogi,\n622,Zajęcie pasa,\n6220,Zezwolenia na zajęcie pasa drogowego,B5\n";
        let list = parse_jrwa_csv(good).expect("good");
        assert_eq!(list.len(), 7);
        assert_eq!(list[6].category, Some(Category::B(5)));
        let err = |t: &str| parse_jrwa_csv(t).expect_err(t);
        assert_eq!(err("0,A,\n01,B,B5\n012,C,A\n").code, "err-jrwa-leaf");
        assert_eq!(err("0,A,\n012,C,A\n").code, "err-jrwa-parent");
        assert_eq!(err("0,A,\n01,B,X9\n").line, 2);
        assert_eq!(err("0,A,\n0,B,B5\n").code, "err-jrwa-twice");
        assert_eq!(err("0,A,\nx1,A,A\n").code, "err-jrwa-symbol");
        assert_eq!(err("0,,A\n").code, "err-jrwa-title");
        assert_eq!(err("symbol,title,category\n").code, "err-jrwa-empty");
    }

    #[test]
    fn appeal_deadline_is_fourteen_days_after_delivery_on_a_working_day() {
        // Delivered Monday 2026-11-30: 14 days later is Monday 2026-12-14.
        let pl = Country::Poland;
        assert_eq!(
            appeal_deadline(pl, date!(2026 - 11 - 30)),
            date!(2026 - 12 - 14)
        );
        // Delivered 2026-12-10: the 24th is a holiday from 2025 on, so the 28th (25, 26, 27
        // are days off too).
        assert_eq!(
            appeal_deadline(pl, date!(2026 - 12 - 10)),
            date!(2026 - 12 - 28)
        );
        let mut d = date!(2026 - 01 - 01);
        while d <= date!(2027 - 12 - 17) {
            let a = appeal_deadline(pl, d);
            assert!(!day_off(a), "{d}");
            // The first day that is not off, from the 14th day on.
            let mut want = d + Duration::days(APPEAL_DAYS);
            while day_off(want) {
                want = want.next_day().expect("day");
            }
            assert_eq!(a, want, "{d}");
            d = d.next_day().expect("day");
        }
    }

    #[test]
    fn a_delay_moves_the_deadline_to_the_new_date_and_suspension_still_counts() {
        let pl = Country::Poland;
        let start = date!(2026 - 12 - 07);
        // Due 7 January 2027; the office says 1 February instead.
        let ext = extension_to(pl, start, Term::Month, 0, 0, date!(2027 - 02 - 01)).expect("later");
        assert_eq!(deadline(pl, start, Term::Month, ext), date!(2027 - 02 - 01));
        // Ten days suspended afterwards: 11 February.
        assert_eq!(
            deadline(pl, start, Term::Month, ext + 10),
            date!(2027 - 02 - 11)
        );
        // Not after the current deadline: no delay.
        assert_eq!(
            extension_to(pl, start, Term::Month, 0, 0, date!(2027 - 01 - 07)),
            None
        );
        // With days excluded before: the new date holds as given.
        let ext =
            extension_to(pl, start, Term::Month, 10, 0, date!(2027 - 03 - 01)).expect("later");
        assert_eq!(
            deadline(pl, start, Term::Month, 10 + ext),
            date!(2027 - 03 - 01)
        );
    }

    #[test]
    fn templates_fill_known_fields_and_refuse_the_rest() {
        let v = |n: &str| format!("<{n}>");
        assert_eq!(
            fill_template("Dla {party} w sprawie {signature}.", v),
            Ok("Dla <party> w sprawie <signature>.".into())
        );
        assert_eq!(
            fill_template("{nope}", v),
            Err(TemplateError::UnknownField("nope".into()))
        );
        assert_eq!(fill_template("a { b", v), Err(TemplateError::Unbalanced));
        assert_eq!(fill_template("a } b", v), Err(TemplateError::Unbalanced));
        assert_eq!(
            fill_template("{{party}}", v),
            Err(TemplateError::Unbalanced)
        );
        // A value with braces is not read again as a field.
        assert_eq!(
            fill_template("{party}", |_| "{signature}".into()),
            Ok("{signature}".into())
        );
    }

    proptest::proptest! {
        #[test]
        fn signatures_read_back_and_anything_else_is_refused_not_panicked_on(
            unit in "[A-Z0-9-]{1,10}",
            jrwa in "[0-9]{1,4}",
            number in 1i64..=999_999_999,
            year in 1000i32..=9999,
            junk in "\\PC{0,40}",
        ) {
            let text = format!("{unit}.{jrwa}.{number}.{year}");
            let parsed = Signature::parse(&text);
            proptest::prop_assert_eq!(parsed.map(|s| s.to_string()), Some(text));
            if let Some(s) = Signature::parse(&junk) {
                proptest::prop_assert_eq!(s.to_string(), junk.trim());
            }
        }

        #[test]
        fn filling_never_panics_and_text_without_braces_stays(s in "\\PC{0,200}") {
            let filled = fill_template(&s, |n| n.to_uppercase());
            if !s.contains(['{', '}']) {
                proptest::prop_assert_eq!(filled, Ok(s.clone()));
            }
        }
    }
}
