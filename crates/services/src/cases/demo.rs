//! The demo office's JRWA list: a realistic municipal subset of the uniform subject-matter
//! list (its classes, titles and archival categories in the shape of a municipality's list),
//! loaded through the same reading as an office admin's import.

use crate::Services;
use okienko_domain::audit::AuditEvent;
use okienko_domain::DomainError;

/// Loads the list once (an office that has one is left as it is), and the decision templates
/// of a municipality's registry office (meldunki, class 530) and one for any class.
pub async fn seed(s: &Services, office_id: &str) -> Result<(), DomainError> {
    if !s.store.jrwa(office_id).await?.is_empty() {
        return Ok(());
    }
    let templates = [
        (
            "Decyzja w sprawie zameldowania",
            "530",
            true,
            "Na podstawie art. 104 ustawy z dnia 14 czerwca 1960 r. Kodeks postępowania \
             administracyjnego oraz ustawy z dnia 24 września 2010 r. o ewidencji ludności, po \
             rozpatrzeniu wniosku złożonego w dniu {started} (sprawa {signature}: {title})\n\n\
             orzekam\n\n\
             zameldować {party} na pobyt stały pod adresem wskazanym we wniosku.\n\n\
             Uzasadnienie\n\n\
             Wnioskodawca spełnił warunki określone w ustawie. Organ rozpatrzył wniosek i \
             postanowił jak w sentencji.\n\n\
             Pouczenie\n\n\
             Od niniejszej decyzji przysługuje odwołanie do wojewody za pośrednictwem {office} \
             w terminie 14 dni od dnia jej doręczenia. W trakcie biegu terminu do wniesienia \
             odwołania strona może zrzec się prawa do jego wniesienia.\n\n\
             Sprawę prowadzi: {official}, {department}.",
        ),
        (
            "Zawiadomienie o załatwieniu sprawy",
            "",
            false,
            "{place}, {date}\n\nSzanowni Państwo,\n\nuprzejmie informuję, że sprawa {signature} \
             ({title}), wszczęta w dniu {started}, została załatwiona.\n\nZ poważaniem\n{official}\n\
             {department}, {office}",
        ),
    ];
    for (name, jrwa, approval, body) in templates {
        let t = okienko_store::DecisionTemplate {
            id: okienko_store::new_id(),
            office_id: office_id.to_string(),
            name: name.into(),
            jrwa: jrwa.into(),
            body: body.into(),
            approval,
            updated_at: s.now_ms(),
        };
        let ev = AuditEvent::new(
            s.now_ms(),
            None,
            "decision.template",
            format!("{office_id}:demo"),
        );
        s.store.save_decision_template(&t, &ev).await?;
    }
    let classes = okienko_domain::cases::parse_jrwa_csv(include_str!("demo_jrwa.csv"))
        .map_err(|e| DomainError::Internal(format!("demo JRWA list: {e:?}")))?;
    let ev = AuditEvent::new(s.now_ms(), None, "jrwa.import", format!("{office_id}:demo"));
    s.store.replace_jrwa(office_id, &classes, &ev).await?;
    Ok(())
}
