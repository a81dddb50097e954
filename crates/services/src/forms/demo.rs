//! The demo's forms: a dog registration (three steps, a repeatable group, a conditional file),
//! an access-to-public-information request and a residence certificate (with a fee).

use crate::Services;
use okienko_domain::audit::AuditEvent;
use okienko_domain::forms::FormDef;
use okienko_domain::DomainError;
use okienko_store::FormVersion;

const FORMS: [(&str, &str); 3] = [
    ("PIES-1", include_str!("demo/PIES-1.json")),
    ("UPI-1", include_str!("demo/UPI-1.json")),
    ("ZAM-1", include_str!("demo/ZAM-1.json")),
];

/// Publishes each demo form once, on the service of that code of `office_id`.
pub async fn seed(s: &Services, office_id: &str) -> Result<(), DomainError> {
    let services = s.store.office_services(office_id).await?;
    for (code, json) in FORMS {
        let Some(service) = services.iter().find(|x| x.code == code) else {
            continue;
        };
        if !s.store.form_versions(&service.id).await?.is_empty() {
            continue;
        }
        let def = FormDef::parse(json.as_bytes())
            .map_err(|e| DomainError::Internal(format!("demo form {code}: {e:?}")))?;
        let now = s.now_ms();
        let ev = AuditEvent::new(
            now,
            None,
            "form.publish",
            format!("{}:{}", service.id, def.version()),
        );
        let row = FormVersion {
            service_id: service.id.clone(),
            version: def.version(),
            n: 0,
            definition: String::from_utf8_lossy(&def.canonical()).into_owned(),
            published_at: now,
            published_by: None,
        };
        s.store.publish_form(&row, &ev).await?;
    }
    Ok(())
}
