//! The demo installation of the public contract: an office with two departments, a post
//! office service point and one account per role. Seeding is idempotent.

use crate::accounts::Principal;
use crate::{new_id, Services};
use okienko_domain::audit::AuditEvent;
use okienko_domain::{DomainError, Role, RoleGrant};
use okienko_store::{Department, Mailbox, Office, ServicePoint, User};

pub const PASSWORD: &str = "okienko-demo";
pub const TOTP_SECRET: &str = "JBSWY3DPEHPK3PXP";
pub const OFFICE_NAME: &str = "Urząd Gminy Przykładowo";
pub const POINT_NAME: &str = "UP Przykładowo 1";

/// (login, display name, role, department code, locale)
pub const ACCOUNTS: &[(&str, &str, Role, Option<&str>, &str)] = &[
    (
        "admin@okienko.test",
        "Administrator Platformy",
        Role::PlatformAdmin,
        None,
        "pl",
    ),
    (
        "urzad.admin@okienko.test",
        "Administrator Urzędu",
        Role::OfficeAdmin,
        None,
        "pl",
    ),
    (
        "anna.nowak@okienko.test",
        "Anna Nowak",
        Role::Official,
        Some("OR"),
        "pl",
    ),
    (
        "piotr.zielinski@okienko.test",
        "Piotr Zieliński",
        Role::Official,
        Some("GK"),
        "pl",
    ),
    (
        "kasia.poczta@okienko.test",
        "Katarzyna Pocztowa",
        Role::Clerk,
        None,
        "pl",
    ),
    (
        "jan.kowalski@okienko.test",
        "Jan Kowalski",
        Role::Citizen,
        None,
        "pl",
    ),
    (
        "maria.wisniewska@okienko.test",
        "Maria Wiśniewska",
        Role::Citizen,
        None,
        "pl",
    ),
    (
        "milan.petrovic@okienko.test",
        "Milan Petrović",
        Role::Citizen,
        None,
        "sr-Cyrl",
    ),
    (
        "firma@okienko.test",
        "Przykładowa Firma sp. z o.o.",
        Role::BusinessRep,
        None,
        "pl",
    ),
];

/// Seeds what is missing and returns the office id.
pub async fn seed(s: &Services) -> Result<String, DomainError> {
    let now = s.now_ms();
    let ev = |action: &'static str, object: &str| {
        AuditEvent::new(now, None, action, object).reason("demo seed")
    };
    let (office, depts) = ensure_office(
        s,
        Office {
            id: new_id(),
            name: OFFICE_NAME.into(),
            nip: "5260001246".into(),
            regon: "123456785".into(),
            street: "ul. Rynek 1".into(),
            postal_code: "00-950".into(),
            city: "Przykładowo".into(),
            created_at: now,
        },
        &[
            ("OR", "Referat Organizacyjny"),
            ("GK", "Referat Gospodarki Komunalnej"),
        ],
    )
    .await?;
    let point = match s
        .store
        .service_points()
        .await?
        .into_iter()
        .find(|p| p.name == POINT_NAME)
    {
        Some(p) => p,
        None => {
            let p = ServicePoint {
                id: new_id(),
                name: POINT_NAME.into(),
                street: "ul. Pocztowa 1".into(),
                postal_code: "00-950".into(),
                city: "Przykładowo".into(),
                is_open: true,
                created_at: now,
            };
            s.store
                .create_service_point(&p, &ev("service_point.create", &p.id))
                .await?;
            p
        }
    };
    for (login, name, role, dept, locale) in ACCOUNTS {
        if s.store.user_by_email(login).await?.is_some() {
            continue;
        }
        let hash = s
            .passwords
            .hash(PASSWORD)
            .await
            .map_err(|e| DomainError::Internal(e.to_string()))?;
        let user = User {
            id: new_id(),
            email: login.to_string(),
            display_name: name.to_string(),
            password_hash: hash,
            email_verified: true,
            totp_secret: role.is_staff().then(|| TOTP_SECRET.to_string()),
            totp_last_step: None,
            locale: Some(locale.to_string()),
            disabled: false,
            created_at: now,
        };
        let grant = RoleGrant {
            role: *role,
            office_id: matches!(role, Role::OfficeAdmin | Role::Official)
                .then(|| office.id.clone()),
            department_id: dept
                .and_then(|c| depts.iter().find(|d| d.code == c))
                .map(|d| d.id.clone()),
            service_point_id: (*role == Role::Clerk).then(|| point.id.clone()),
        };
        s.store
            .create_user(
                &user,
                &[grant],
                &ev("user.create", &user.id).subject(&user.id),
            )
            .await?;
    }
    seed_mailboxes(s, &office.id).await?;
    crate::catalogue::demo::seed(s, &office).await?;
    crate::forms::demo::seed(s, &office.id).await?;
    crate::cases::demo::seed(s, &office.id).await?;
    crate::appointments::demo::seed(s, &office.id).await?;
    crate::tasks::demo::seed(s).await?;
    crate::library::demo::seed(s).await?;
    Ok(office.id)
}

/// The office named as `template` is, created from it with its seal and these departments
/// (code, name) where missing; returns it and its departments.
pub(crate) async fn ensure_office(
    s: &Services,
    template: Office,
    departments: &[(&str, &str)],
) -> Result<(Office, Vec<Department>), DomainError> {
    let now = s.now_ms();
    let ev = |action: &'static str, object: &str| {
        AuditEvent::new(now, None, action, object).reason("demo seed")
    };
    let office = match s
        .store
        .offices()
        .await?
        .into_iter()
        .find(|o| o.name == template.name)
    {
        Some(o) => o,
        None => {
            s.store
                .create_office(&template, &ev("office.create", &template.id))
                .await?;
            template
        }
    };
    s.office_seal(&office.id).await?;
    // Its public-body mailbox, in the address register.
    s.office_mailbox(&office.id).await?;
    let mut depts = s.store.departments(&office.id).await?;
    for (code, name) in departments {
        if !depts.iter().any(|d| d.code == *code) {
            let d = Department {
                id: new_id(),
                office_id: office.id.clone(),
                code: code.to_string(),
                name: name.to_string(),
            };
            s.store
                .create_department(&d, &ev("department.create", &d.id))
                .await?;
            depts.push(d);
        }
    }
    Ok((office, depts))
}

/// The contract's mailboxes: the office's (shared with Anna Nowak), Jan's, Maria's and the
/// company's; Milan has none.
async fn seed_mailboxes(s: &Services, office_id: &str) -> Result<(), DomainError> {
    use crate::mailboxes::{COMPANY, PERSON};
    let office_box = s.office_mailbox(office_id).await?;
    let user = |login: &'static str| async move {
        s.store
            .user_by_email(login)
            .await?
            .ok_or(DomainError::NotFound)
    };
    let anna = user("anna.nowak@okienko.test").await?;
    if !s
        .store
        .mailboxes_of_user(&anna.id)
        .await?
        .iter()
        .any(|(m, _)| m.address == office_box.address)
    {
        let ev = AuditEvent::new(s.now_ms(), None, "mailbox.member", &office_box.address)
            .subject(&anna.id)
            .reason("demo seed");
        s.store
            .add_mailbox_member(&office_box.address, &anna.id, "official", &ev)
            .await?;
    }
    for (login, kind, pesel, nip, name) in [
        (
            "jan.kowalski@okienko.test",
            PERSON,
            Some("44051401359"),
            None,
            "Jan Kowalski",
        ),
        (
            "maria.wisniewska@okienko.test",
            PERSON,
            Some("90031201428"),
            None,
            "Maria Wiśniewska",
        ),
        (
            "firma@okienko.test",
            COMPANY,
            None,
            Some("7770000005"),
            "Przykładowa Firma sp. z o.o.",
        ),
    ] {
        let u = user(login).await?;
        if !s.store.mailboxes_of_user(&u.id).await?.is_empty() {
            continue;
        }
        let m = Mailbox {
            address: String::new(),
            kind: kind.into(),
            name: name.into(),
            owner_user_id: Some(u.id.clone()),
            office_id: None,
            pesel: pesel.map(str::to_string),
            nip: nip.map(str::to_string),
            city: "Przykładowo".into(),
            created_at: 0,
        };
        s.create_mailbox(m, &[], None).await?;
    }
    Ok(())
}

/// A principal for a demo account, as a signed-in session would give.
pub(crate) async fn demo_principal(s: &Services, login: &str) -> Result<Principal, DomainError> {
    let user = s
        .store
        .user_by_email(login)
        .await?
        .ok_or(DomainError::NotFound)?;
    let grants = s.store.grants_of(&user.id).await?;
    let session = okienko_store::Session {
        token_hash: String::new(),
        user_id: user.id.clone(),
        kind: "web".into(),
        csrf: String::new(),
        created_at: 0,
        expires_at: i64::MAX,
        device: String::new(),
    };
    Ok(Principal {
        user,
        grants,
        session,
        covering: Vec::new(),
    })
}

/// What a newcomer to the demo should find working at first sight (run by `okienko demo`,
/// not by the tests' seed, whose worlds start empty): Jan Kowalski with the trusted profile
/// confirmed at the post office counter, and letters from the office in his inbox, with
/// their evidence. Idempotent: nothing is added twice.
pub async fn showcase(s: &Services) -> Result<(), DomainError> {
    let jan = demo_principal(s, "jan.kowalski@okienko.test").await?;
    if s.store.trusted_profile(&jan.user.id).await?.is_none() {
        let app = s
            .apply_trusted_profile(
                &jan,
                &crate::trusted::ApplicationInput {
                    pesel: "44051401359".into(),
                    first_name: "Jan".into(),
                    last_name: "Kowalski".into(),
                    id_document_number: "ABA300000".into(),
                    email: "jan.kowalski@okienko.test".into(),
                    phone: "+48 600 700 800".into(),
                },
            )
            .await?;
        let kasia = demo_principal(s, "kasia.poczta@okienko.test").await?;
        s.confirm_trusted_profile(
            &kasia,
            &crate::trusted::CounterInput {
                number: app.number,
                pesel: "44051401359".into(),
                id_document_number: "ABA300000".into(),
            },
        )
        .await?;
    }
    let jan_box = s
        .store
        .mailboxes_of_user(&jan.user.id)
        .await?
        .into_iter()
        .map(|(m, _)| m.address)
        .next()
        .ok_or(DomainError::NotFound)?;
    let office_box = s
        .store
        .offices()
        .await?
        .into_iter()
        .find(|o| o.name == OFFICE_NAME)
        .ok_or(DomainError::NotFound)?;
    let office_box = s.office_mailbox(&office_box.id).await?.address;
    let anna = demo_principal(s, "anna.nowak@okienko.test").await?;
    let letters = [
        (
            "Decyzja w sprawie podatku od nieruchomości na 2027 rok",
            "Szanowny Panie,\n\nw załączeniu przesyłamy decyzję ustalającą wysokość podatku od nieruchomości na 2027 rok. Podatek można zapłacić w trzech ratach: do 15 marca, 15 maja i 15 września.\n\nOd decyzji przysługuje odwołanie do Samorządowego Kolegium Odwoławczego za pośrednictwem Wójta Gminy w terminie 14 dni od dnia doręczenia.\n\nZ poważaniem\nAnna Nowak\nReferat Organizacyjny",
        ),
        (
            "Zawiadomienie o gotowym dowodzie osobistym",
            "Szanowny Panie,\n\nuprzejmie informujemy, że Pana nowy dowód osobisty jest gotowy do odbioru w Urzędzie Gminy Przykładowo, pokój 12, od poniedziałku do piątku w godzinach 8:00–15:00. Prosimy zabrać dotychczasowy dowód.\n\nZ poważaniem\nAnna Nowak",
        ),
    ];
    let inbox = s
        .store
        .list_messages(
            &jan_box,
            okienko_store::Folder::Inbox,
            &okienko_store::ListFilter::default(),
            None,
            50,
        )
        .await?;
    for (n, (subject, body)) in letters.into_iter().enumerate() {
        if inbox.iter().any(|m| m.subject == subject) {
            continue;
        }
        // The decision itself, as the office would attach it.
        let attachments = if n == 0 {
            let pdf = okienko_print::render_sheet(&okienko_print::Sheet {
                title: "Decyzja nr FN.3120.1.2026",
                paragraphs: vec![
                    "Na podstawie art. 6 ust. 1 i art. 7 ustawy z dnia 12 stycznia 1991 r. o podatkach i opłatach lokalnych ustalam wysokość podatku od nieruchomości na 2027 rok.".into(),
                ],
                rows: vec![
                    ("Podatnik".into(), "Jan Kowalski".into()),
                    ("Nieruchomość".into(), "ul. Lipowa 5, 01-234 Przykładowo".into()),
                    ("Podatek na 2027 rok".into(), "412,00 zł".into()),
                    ("Raty".into(), "15 marca: 138,00 zł · 15 maja: 137,00 zł · 15 września: 137,00 zł".into()),
                ],
                appendix_title: "",
                appendix: "",
                footer: OFFICE_NAME,
                attachment_label: "",
                attachments: Vec::new(),
            })
            .map_err(|e| DomainError::Internal(e.to_string()))?;
            vec![("decyzja-FN.3120.1.2026.pdf".to_string(), pdf.into())]
        } else {
            Vec::new()
        };
        s.send_message(
            &anna,
            crate::delivery::Outgoing {
                from: office_box.clone(),
                to: vec![jan_box.clone()],
                subject: subject.into(),
                body: body.into(),
                attachments,
                idempotency_key: Some(format!("demo-showcase-{n}")),
                postal: Vec::new(),
                reply_to: None,
                bulk: false,
                correctable: false,
            },
        )
        .await?;
    }
    Ok(())
}
