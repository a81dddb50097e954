//! The demo's catalogue: 23 services of two offices, the demo office and the town office of
//! Dobrzyca (created here), loaded through the same import as an office's CSV file.

use super::CatalogueFormat;
use crate::{new_id, Services};
use okienko_domain::DomainError;
use okienko_store::Office;

pub const SECOND_OFFICE_NAME: &str = "Urząd Miejski w Dobrzycy";

/// Loads each office's services once (an office that has any is left as it is).
pub async fn seed(s: &Services, first: &Office) -> Result<(), DomainError> {
    let (second, _) = crate::demo::ensure_office(
        s,
        Office {
            id: new_id(),
            name: SECOND_OFFICE_NAME.into(),
            nip: "6220001252".into(),
            regon: "250000012".into(),
            street: "ul. Ratuszowa 3".into(),
            postal_code: "63-330".into(),
            city: "Dobrzyca".into(),
            created_at: s.now_ms(),
        },
        &[
            ("KOM", "Wydział Komunikacji"),
            ("AB", "Wydział Architektury i Budownictwa"),
            ("FIN", "Wydział Finansowy"),
            ("USC", "Urząd Stanu Cywilnego"),
        ],
    )
    .await?;
    for (office, csv) in [
        (first, include_str!("demo_przykladowo.csv")),
        (&second, include_str!("demo_dobrzyca.csv")),
    ] {
        if !s.store.office_services(&office.id).await?.is_empty() {
            continue;
        }
        let specs = okienko_domain::catalogue::parse_csv(csv)
            .map_err(|e| DomainError::Internal(format!("demo catalogue: {e:?}")))?;
        s.save_catalogue(&office.id, CatalogueFormat::Csv, &specs, None)
            .await?
            .map_err(|e| DomainError::Internal(format!("demo catalogue: {e:?}")))?;
    }
    Ok(())
}
