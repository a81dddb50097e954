//! Where cases are (`domain::places`): a case's address and point, set and removed by those
//! who handle it (each change on the case's timeline), and the department's places for its
//! map and its GeoJSON export.

use crate::accounts::Principal;
use crate::Services;
use okienko_domain::audit::AuditEvent;
use okienko_domain::cases::CaseStatus;
use okienko_domain::places::{degrees, parse_place};
use okienko_domain::{DomainError, FieldErrors};
use okienko_store::{Case, CaseEvent, CasePlace, PlaceQuery, PlacedCase};

/// The most places one page of a map shows.
pub const MAP_PAGE: i64 = 1000;

impl Services {
    /// An open case's place, for those who handle it.
    async fn placeable_case(&self, p: &Principal, case_id: &str) -> Result<Case, DomainError> {
        let c = self.my_case(p, case_id).await?;
        if c.status == CaseStatus::Closed.as_str() {
            return Err(DomainError::Conflict("err-case-closed"));
        }
        Ok(c)
    }

    fn place_event(p: &Principal, c: &Case, at: i64, kind: &str, detail: String) -> CaseEvent {
        CaseEvent {
            id: okienko_store::new_id(),
            case_id: c.id.clone(),
            at,
            actor_id: p.user.id.clone(),
            actor_name: String::new(),
            kind: kind.into(),
            detail,
        }
    }

    /// Sets where a case is: an address, a point (latitude and longitude in degrees, with a
    /// point or a comma), or both.
    pub async fn set_case_place(
        &self,
        p: &Principal,
        case_id: &str,
        address: &str,
        lat: &str,
        lon: &str,
    ) -> Result<CasePlace, DomainError> {
        let c = self.placeable_case(p, case_id).await?;
        let place = parse_place(address, lat, lon).map_err(|errors| {
            let mut e = FieldErrors::new();
            for (field, code) in errors {
                e.add(field, code);
            }
            DomainError::Invalid(e)
        })?;
        let now = self.now_ms();
        let stored = CasePlace {
            case_id: c.id.clone(),
            department_id: c.department_id.clone(),
            address: place.address.clone(),
            lat_e7: place.point.map(|pt| pt.lat_e7),
            lon_e7: place.point.map(|pt| pt.lon_e7),
            updated_by: p.user.id.clone(),
            updated_at: now,
        };
        let event = Self::place_event(p, &c, now, "placed", place_text(&stored));
        let ev = AuditEvent::new(now, Some(&p.user.id), "case.place", c.id.clone());
        self.store.set_place(&stored, &event, &ev).await?;
        Ok(stored)
    }

    /// Removes a case's place; `NotFound` when it has none.
    pub async fn remove_case_place(&self, p: &Principal, case_id: &str) -> Result<(), DomainError> {
        let c = self.placeable_case(p, case_id).await?;
        let now = self.now_ms();
        let event = Self::place_event(p, &c, now, "unplaced", String::new());
        let ev = AuditEvent::new(now, Some(&p.user.id), "case.unplace", c.id.clone());
        if self.store.remove_place(&c.id, &event, &ev).await? {
            Ok(())
        } else {
            Err(DomainError::NotFound)
        }
    }

    /// A case's place, for those who handle it.
    pub async fn case_place(
        &self,
        p: &Principal,
        case_id: &str,
    ) -> Result<Option<CasePlace>, DomainError> {
        let (c, _) = self.seen_case(p, case_id).await?;
        Ok(self.store.place(&c.id).await?)
    }

    /// The places of the cases of the departments the person works (one of them with
    /// `department`), of cases in a status (open and suspended by default, `all` for every
    /// one), newest case first, after `cursor` (a case id). Returns the page and the next
    /// page's cursor.
    pub async fn case_places(
        &self,
        p: &Principal,
        department: Option<&str>,
        status: Option<&str>,
        cursor: Option<&str>,
        limit: i64,
    ) -> Result<(Vec<PlacedCase>, Option<String>), DomainError> {
        let all = self.case_departments(p).await?;
        if all.is_empty() {
            return Err(DomainError::NotFound);
        }
        let department_ids: Vec<String> = all
            .into_iter()
            .filter(|d| department.is_none_or(|w| w.is_empty() || d.id == w || d.code == w))
            .map(|d| d.id)
            .collect();
        let statuses: Vec<String> = match status.map(str::trim).filter(|s| !s.is_empty()) {
            None => vec!["open".into(), "suspended".into()],
            Some("all") => vec!["open".into(), "suspended".into(), "closed".into()],
            Some(s) => vec![CaseStatus::parse(s)
                .ok_or_else(|| DomainError::invalid("status", "err-case-status"))?
                .as_str()
                .to_string()],
        };
        let before = match cursor.map(str::trim).filter(|c| !c.is_empty()) {
            Some(c) if c.len() <= 64 => Some(c.to_string()),
            Some(_) => return Err(DomainError::invalid("cursor", "err-cursor")),
            None => None,
        };
        let limit = limit.clamp(1, MAP_PAGE);
        let mut page = self
            .store
            .places(&PlaceQuery {
                department_ids,
                statuses,
                before,
                limit: limit + 1,
            })
            .await?;
        let next = (page.len() as i64 > limit).then(|| {
            page.truncate(limit as usize);
            page.last().map(|p| p.place.case_id.clone())
        });
        Ok((page, next.flatten()))
    }
}

/// A place in words for the timeline: the address, and the point as `lat, lon`.
pub fn place_text(p: &CasePlace) -> String {
    let point = match (p.lat_e7, p.lon_e7) {
        (Some(lat), Some(lon)) => format!("{}, {}", degrees(lat), degrees(lon)),
        _ => String::new(),
    };
    match (p.address.is_empty(), point.is_empty()) {
        (false, false) => format!("{} ({point})", p.address),
        (false, true) => p.address.clone(),
        _ => point,
    }
}
