//! The demo office's JRWA list: a realistic municipal subset of the uniform subject-matter
//! list (its classes, titles and archival categories in the shape of a municipality's list),
//! loaded through the same reading as an office admin's import.

use crate::Services;
use okienko_domain::audit::AuditEvent;
use okienko_domain::DomainError;

/// Loads the list once (an office that has one is left as it is).
pub async fn seed(s: &Services, office_id: &str) -> Result<(), DomainError> {
    if !s.store.jrwa(office_id).await?.is_empty() {
        return Ok(());
    }
    let classes = okienko_domain::cases::parse_jrwa_csv(include_str!("demo_jrwa.csv"))
        .map_err(|e| DomainError::Internal(format!("demo JRWA list: {e:?}")))?;
    let ev = AuditEvent::new(s.now_ms(), None, "jrwa.import", format!("{office_id}:demo"));
    s.store.replace_jrwa(office_id, &classes, &ev).await?;
    Ok(())
}
