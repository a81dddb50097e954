//! The office archive end to end: closed cases are kept by their category; a destruction
//! list refuses category A and cases whose time has not come (naming them), then goes through
//! three people (an official of the whole office prepares, the head reviews, the archivist
//! approves after a confirmation), no one taking two steps; a case is on one list at a time.

use crate::common::{principal, TestServer};
use okienko_domain::{Role, RoleGrant};
use okienko_store::User;

async fn staff(t: &TestServer, id: &str, role: Role) -> okienko_services::accounts::Principal {
    let office = t
        .services
        .store
        .user_by_email("urzad.admin@okienko.test")
        .await
        .expect("db")
        .expect("admin");
    let office_id = t
        .services
        .store
        .grants_of(&office.id)
        .await
        .expect("grants")
        .into_iter()
        .find_map(|g| g.office_id)
        .expect("office");
    let u = User {
        id: id.into(),
        email: format!("{id}@okienko.test"),
        display_name: format!("{id} test"),
        password_hash: String::new(),
        email_verified: true,
        totp_secret: None,
        totp_last_step: None,
        locale: None,
        disabled: false,
        created_at: 0,
    };
    let g = RoleGrant {
        role,
        office_id: Some(office_id),
        department_id: None,
        service_point_id: None,
    };
    let ev = okienko_domain::audit::AuditEvent::new(0, None, "user.create", id);
    t.services
        .store
        .create_user(&u, &[g], &ev)
        .await
        .expect("user");
    principal(t, &u.email).await
}

#[tokio::test]
async fn a_destruction_list_goes_through_three_hands_and_never_holds_category_a() {
    let t = TestServer::seeded().await;
    let s = &t.services;
    let anna = principal(&t, "anna.nowak@okienko.test").await;
    let head = principal(&t, "urzad.admin@okienko.test").await;
    let records = staff(&t, "records", Role::Official).await;
    let archivist = staff(&t, "archivist", Role::Archivist).await;
    let open = |jrwa: &str, title: &str| okienko_services::cases::CaseInput {
        department: "OR".into(),
        jrwa: jrwa.into(),
        title: title.into(),
        party: Some("Jan Kowalski".into()),
        ..Default::default()
    };
    let b10 = s
        .open_case(&anna, &open("015", "Pełnomocnictwo"))
        .await
        .expect("case");
    let a = s
        .open_case(&anna, &open("002", "Sesja rady gminy"))
        .await
        .expect("case");
    let still_open = s
        .open_case(&anna, &open("015", "Upoważnienie"))
        .await
        .expect("case");
    for c in [&b10, &a] {
        s.close_case(&anna, &c.id).await.expect("closed");
    }
    let office = b10.office_id.clone();

    // This year: kept; the archive says until when.
    let page = s.archive(&records, &office, None).await.expect("archive");
    let row = |id: &str| page.cases.iter().find(|c| c.case.id == id).expect("row");
    let year = page.year;
    assert_eq!(row(&b10.id).destroyable_from, Some(year + 11));
    assert!(!row(&b10.id).due);
    assert_eq!(row(&a.id).destroyable_from, None);
    assert!(page.cases.iter().all(|c| c.case.id != still_open.id));
    // Anna works one department only: the whole office's archive is not hers.
    assert!(matches!(
        s.archive(&anna, &office, None).await,
        Err(okienko_domain::DomainError::NotFound)
    ));
    let refused = s
        .prepare_destruction(&records, &office, &[b10.id.clone(), a.id.clone()])
        .await
        .expect_err("too early and category A");
    let codes: Vec<_> = refused
        .field_errors()
        .expect("fields")
        .0
        .iter()
        .map(|f| (f.field.to_string(), f.code))
        .collect();
    assert!(codes.contains(&(format!("case-{}", b10.signature), "err-archive-too-early")));
    assert!(codes.contains(&(format!("case-{}", a.signature), "err-archive-category-a")));

    // Eleven years on, the B10 case's time has come; category A never does.
    t.clock.advance(time::Duration::days(366 * 12));
    let a_refused = s
        .prepare_destruction(&records, &office, std::slice::from_ref(&a.id))
        .await
        .expect_err("category A");
    assert_eq!(
        a_refused.field_errors().expect("fields").0[0].code,
        "err-archive-category-a"
    );
    let list = s
        .prepare_destruction(&records, &office, std::slice::from_ref(&b10.id))
        .await
        .expect("list");
    assert_eq!((list.number, list.status.as_str()), (1, "prepared"));
    // One list at a time.
    assert!(matches!(
        s.prepare_destruction(&records, &office, std::slice::from_ref(&b10.id))
            .await,
        Err(okienko_domain::DomainError::Conflict("err-archive-listed"))
    ));
    // The preparer cannot review; the archivist cannot review either (the head's step).
    assert!(matches!(
        s.decide_destruction(&records, &list.id, true, "").await,
        Err(okienko_domain::DomainError::Conflict(_))
    ));
    assert!(matches!(
        s.decide_destruction(&archivist, &list.id, true, "").await,
        Err(okienko_domain::DomainError::Conflict(
            "err-archive-not-your-step"
        ))
    ));
    // The head reviews it on the list's page.
    let head_web = t.demo_web("urzad.admin@okienko.test").await;
    let path = format!("/destruction-lists/{}", list.id);
    let csrf = t.csrf(&head_web, &path).await;
    let r = head_web
        .post(t.url(&path))
        .form(&[("csrf", csrf.as_str()), ("decision", "accept")])
        .send()
        .await
        .expect("review");
    assert_eq!(r.status().as_u16(), 303);
    let reviewed = s
        .store
        .destruction_list(&list.id)
        .await
        .expect("db")
        .expect("list");
    assert_eq!(reviewed.status, "reviewed");
    // Now only the archivist.
    assert!(matches!(
        s.decide_destruction(&head, &list.id, true, "").await,
        Err(okienko_domain::DomainError::Conflict(_))
    ));

    let approved = s
        .decide_destruction(&archivist, &list.id, true, "")
        .await
        .expect("approved");
    assert_eq!(approved.status, "approved");
    let timeline = s.store.case_events(&b10.id).await.expect("events");
    assert!(timeline.iter().any(|e| e.kind == "destruction-approved"));
    assert!(matches!(
        s.decide_destruction(&archivist, &list.id, true, "").await,
        Err(okienko_domain::DomainError::Conflict(
            "err-archive-list-done"
        ))
    ));

    // The head's pages: the archive lists the list, the list page shows who did what.
    let html = head_web
        .get(t.url(&format!("/offices/{office}/archive")))
        .send()
        .await
        .expect("archive")
        .text()
        .await
        .expect("text");
    assert!(
        html.contains(&format!("/destruction-lists/{}", list.id)),
        "{html}"
    );
    assert!(html.contains(&a.signature));
    let html = head_web
        .get(t.url(&format!("/destruction-lists/{}", list.id)))
        .send()
        .await
        .expect("list")
        .text()
        .await
        .expect("text");
    assert!(
        html.contains("records test") && html.contains("archivist test"),
        "{html}"
    );
    // Someone of another department sees nothing of it.
    let gk = t.demo_web("piotr.zielinski@okienko.test").await;
    let st = gk
        .get(t.url(&format!("/destruction-lists/{}", list.id)))
        .send()
        .await
        .expect("list")
        .status();
    assert_eq!(st, 404);
}
