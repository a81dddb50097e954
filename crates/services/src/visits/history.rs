//! A clerk's own visits: the ones still open (to go back to) and the ones that ended (to
//! reprint a receipt). An ended visit shows who was served, when, and the receipts taken;
//! not the citizen's inbox, which the clerk saw only while the citizen was there.

use super::*;
use okienko_store::CashReceipt;

/// Visits listed on the clerk's start page.
pub const VISITS_LISTED: i64 = 50;

/// One of the clerk's visits, with the citizen's name.
#[derive(Debug, Clone)]
pub struct PastVisit {
    pub visit: CounterVisit,
    pub citizen_name: String,
}

/// An ended visit as the clerk's record of it shows it.
#[derive(Debug, Clone)]
pub struct VisitRecord {
    pub visit: CounterVisit,
    pub point: ServicePoint,
    pub citizen_name: String,
    pub receipts: Vec<CashReceipt>,
}

impl Services {
    /// The clerk's visits at their service point: the open ones first, then the latest.
    pub async fn my_visits(&self, p: &Principal) -> Result<Vec<PastVisit>, DomainError> {
        let point = self.clerk_point(p).await?;
        Ok(self
            .store
            .clerk_visits(&p.user.id, &point.id, VISITS_LISTED)
            .await?
            .into_iter()
            .map(|(visit, citizen_name)| PastVisit {
                visit,
                citizen_name,
            })
            .collect())
    }

    /// One of the clerk's own visits at their service point, after it ended; NotFound for
    /// anyone else's, or one still open (that one has its own page).
    pub async fn visit_record(&self, p: &Principal, id: &str) -> Result<VisitRecord, DomainError> {
        let point = self.clerk_point(p).await?;
        let visit = self
            .store
            .visit(id)
            .await?
            .filter(|v| {
                v.clerk_id == p.user.id && v.service_point_id == point.id && v.ended_at.is_some()
            })
            .ok_or(DomainError::NotFound)?;
        let citizen_name = self
            .store
            .user_by_id(&visit.citizen_id)
            .await?
            .map(|u| u.display_name)
            .unwrap_or_default();
        let receipts = self.store.visit_receipts(&visit.id).await?;
        Ok(VisitRecord {
            visit,
            point,
            citizen_name,
            receipts,
        })
    }
}
