//! The demo's appointments: the residence certificate at the demo office's organisational
//! department and registering a residence at the demo post office, on working days, so that
//! booking, the kiosk and the queue can be tried at once.

use super::Place;
use crate::Services;
use okienko_domain::appointments::ScheduleSpec;
use okienko_domain::DomainError;

/// Offers two demo services to be booked, once (an office with schedules is left as it is).
pub async fn seed(s: &Services, office_id: &str) -> Result<(), DomainError> {
    if !s.store.schedules(office_id, None).await?.is_empty() {
        return Ok(());
    }
    let Some(office) = s.store.office(office_id).await? else {
        return Ok(());
    };
    let services = s.store.office_services(office_id).await?;
    let by_code = |c: &str| services.iter().find(|x| x.code == c).map(|x| x.id.clone());
    let address = format!("{}, {} {}", office.street, office.postal_code, office.city);
    let department = s
        .store
        .departments(office_id)
        .await?
        .into_iter()
        .find(|d| d.code == "OR");
    let point = s
        .store
        .service_points()
        .await?
        .into_iter()
        .find(|p| p.name == crate::demo::POINT_NAME);
    if let (Some(service), Some(d)) = (by_code("ZAM-1"), department) {
        let place = Place {
            kind: "department",
            id: d.id,
            name: format!("{} — {}", office.name, d.name),
            address: address.clone(),
        };
        let spec = ScheduleSpec {
            capacity: 2,
            ..ScheduleSpec::default()
        };
        s.put_schedule(office_id, &service, &place, spec, None)
            .await?;
    }
    if let (Some(service), Some(p)) = (by_code("ZAM-2"), point) {
        let place = Place {
            kind: "point",
            id: p.id,
            name: p.name,
            address: format!("{}, {} {}", p.street, p.postal_code, p.city),
        };
        s.put_schedule(office_id, &service, &place, ScheduleSpec::default(), None)
            .await?;
    }
    Ok(())
}
