//! The demo OR department's library: a folder of letter templates (shared with GK to read)
//! with a template in two versions, and the office's instruction at the top, so that the
//! library shows something at once.

use crate::demo::demo_principal;
use crate::Services;
use okienko_domain::DomainError;

/// Seeds the library once (a department whose library has folders is left as it is).
pub async fn seed(s: &Services) -> Result<(), DomainError> {
    let Ok(anna) = demo_principal(s, "anna.nowak@okienko.test").await else {
        return Ok(());
    };
    let Some(office) = anna.grants.iter().find_map(|g| g.office_id.clone()) else {
        return Ok(());
    };
    let depts = s.store.departments(&office).await?;
    let id_of = |code: &str| depts.iter().find(|d| d.code == code).map(|d| d.id.clone());
    let (Some(or), Some(gk)) = (id_of("OR"), id_of("GK")) else {
        return Ok(());
    };
    if !s.store.folders(&or, None).await?.is_empty() {
        return Ok(());
    }
    let folder = s
        .add_library_folder(&anna, &office, &or, None, "Wzory pism")
        .await?;
    let letter = s
        .upload_library_document(
            &anna,
            &office,
            &or,
            Some(&folder.id),
            "Wzór zawiadomienia o wszczęciu postępowania",
            "zawiadomienie.txt",
            "Zawiadamiam o wszczęciu postępowania w sprawie ….\n"
                .as_bytes()
                .to_vec(),
        )
        .await?;
    s.check_out_library_document(&anna, &letter.id).await?;
    s.check_in_library_document(
        &anna,
        &letter.id,
        Some((
            "zawiadomienie.txt".into(),
            "Zawiadamiam, na podstawie art. 61 § 4 KPA, o wszczęciu postępowania w sprawie ….\n"
                .as_bytes()
                .to_vec(),
        )),
    )
    .await?;
    s.upload_library_document(
        &anna,
        &office,
        &or,
        None,
        "Instrukcja kancelaryjna – wyciąg",
        "instrukcja.txt",
        "Pisma rejestruje się w dniu wpływu.\n".as_bytes().to_vec(),
    )
    .await?;
    s.share_library_folder(&anna, &folder.id, &gk, "read")
        .await?;
    Ok(())
}
