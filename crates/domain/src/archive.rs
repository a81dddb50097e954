//! The office archive: how long a closed case's records are kept (by its JRWA class's
//! archival category), and the destruction list that ends the keeping of those whose time
//! has passed. Category A records are kept for ever (they go to the state archive) and never
//! appear on a destruction list.
//!
//! Periods count in whole years from 1 January of the year after the case was closed: a
//! B5 case closed in 2020 is kept through 2025 and may be destroyed from 2026. A BE case may
//! be destroyed when its period has passed and the state archive has assessed it (the list
//! says which of its cases need that assessment); Bc from the year after closing.

use crate::cases::Category;

/// The first year a closed case's records may be destroyed; `None` for category A.
pub fn destroyable_from(category: Category, closed_year: i32) -> Option<i32> {
    category
        .retention_years()
        .map(|n| closed_year + i32::from(n) + 1)
}

/// A category A case goes to the state archive after this many whole years.
pub const TRANSFER_AFTER_YEARS: i32 = 25;

/// Where a destruction list is: prepared (by a records official), reviewed (by the head of
/// the office), approved (by the archivist, after which the records are destroyed), or
/// rejected at either step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListStatus {
    Prepared,
    Reviewed,
    Approved,
    Rejected,
}

impl ListStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ListStatus::Prepared => "prepared",
            ListStatus::Reviewed => "reviewed",
            ListStatus::Approved => "approved",
            ListStatus::Rejected => "rejected",
        }
    }

    pub fn parse(s: &str) -> Option<ListStatus> {
        [
            ListStatus::Prepared,
            ListStatus::Reviewed,
            ListStatus::Approved,
            ListStatus::Rejected,
        ]
        .into_iter()
        .find(|x| x.as_str() == s)
    }
}

/// Why a case cannot go on a destruction list in `year`, as a message code.
pub fn refuse_listing(
    category: Option<Category>,
    closed_year: Option<i32>,
    year: i32,
) -> Option<&'static str> {
    let Some(closed) = closed_year else {
        return Some("err-archive-open");
    };
    match category {
        None => Some("err-archive-category"),
        Some(Category::A) => Some("err-archive-category-a"),
        Some(c) => match destroyable_from(c, closed) {
            Some(from) if from <= year => None,
            _ => Some("err-archive-too-early"),
        },
    }
}

/// The next step of a list: who may take it is the policy's; here, that each step follows
/// the one before and is taken by someone who took no earlier step (three people).
pub fn next_step(
    status: ListStatus,
    actor: &str,
    prepared_by: &str,
    reviewed_by: Option<&str>,
) -> Result<ListStatus, &'static str> {
    match status {
        ListStatus::Prepared if actor == prepared_by => Err("err-archive-same-person"),
        ListStatus::Prepared => Ok(ListStatus::Reviewed),
        ListStatus::Reviewed if actor == prepared_by || Some(actor) == reviewed_by => {
            Err("err-archive-same-person")
        }
        ListStatus::Reviewed => Ok(ListStatus::Approved),
        ListStatus::Approved | ListStatus::Rejected => Err("err-archive-list-done"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn periods_count_from_the_year_after_closing() {
        assert_eq!(destroyable_from(Category::B(5), 2020), Some(2026));
        assert_eq!(destroyable_from(Category::Be(10), 2020), Some(2031));
        assert_eq!(destroyable_from(Category::Bc, 2026), Some(2027));
        assert_eq!(destroyable_from(Category::A, 2020), None);
    }

    #[test]
    fn what_cannot_be_listed() {
        assert_eq!(
            refuse_listing(Some(Category::A), Some(1990), 2026),
            Some("err-archive-category-a")
        );
        assert_eq!(
            refuse_listing(Some(Category::B(5)), Some(2021), 2026),
            Some("err-archive-too-early")
        );
        assert_eq!(refuse_listing(Some(Category::B(5)), Some(2020), 2026), None);
        assert_eq!(
            refuse_listing(Some(Category::B(5)), None, 2026),
            Some("err-archive-open")
        );
        assert_eq!(
            refuse_listing(None, Some(2000), 2026),
            Some("err-archive-category")
        );
    }

    #[test]
    fn three_people_take_the_three_steps() {
        use ListStatus::*;
        assert_eq!(
            next_step(Prepared, "a", "a", None),
            Err("err-archive-same-person")
        );
        assert_eq!(next_step(Prepared, "b", "a", None), Ok(Reviewed));
        assert_eq!(
            next_step(Reviewed, "b", "a", Some("b")),
            Err("err-archive-same-person")
        );
        assert_eq!(
            next_step(Reviewed, "a", "a", Some("b")),
            Err("err-archive-same-person")
        );
        assert_eq!(next_step(Reviewed, "c", "a", Some("b")), Ok(Approved));
        assert_eq!(
            next_step(Approved, "d", "a", Some("b")),
            Err("err-archive-list-done")
        );
        for s in [Prepared, Reviewed, Approved, Rejected] {
            assert_eq!(ListStatus::parse(s.as_str()), Some(s));
        }
    }
}
