//! The office archive end to end: closed cases are kept by their category; a destruction
//! list refuses category A and cases whose time has not come (naming them), then goes through
//! three people (an official of the whole office prepares, the head reviews, the archivist
//! approves after a confirmation), no one taking two steps; a case is on one list at a time.

use crate::common::{principal, TestServer};
use okienko_domain::{Role, RoleGrant};
use okienko_store::User;

/// A case's row of its office's archive, as the API answers it.
async fn archived(t: &TestServer, token: &str, office: &str, case: &str) -> serde_json::Value {
    let page: serde_json::Value = reqwest::Client::new()
        .get(t.url(&format!("/api/v1/offices/{office}/archive")))
        .bearer_auth(token)
        .send()
        .await
        .expect("archive")
        .json()
        .await
        .expect("json");
    page["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|c| c["id"] == case)
        .cloned()
        .expect("in the archive")
}

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
    // The demo password and one-time-code secret, so the person signs in as staff do.
    let u = User {
        id: id.into(),
        email: format!("{id}@okienko.test"),
        display_name: format!("{id} test"),
        password_hash: office.password_hash.clone(),
        email_verified: true,
        totp_secret: office.totp_secret.clone(),
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
    // The case starts from a paper letter with its certified scan.
    let office_id = s.case_departments(&anna).await.expect("departments")[0]
        .office_id
        .clone();
    let letter = okienko_services::cases::scans::PaperLetterInput {
        subject: "Pełnomocnictwo".into(),
        correspondent: "Jan Kowalski".into(),
        received_on: "2026-03-02".into(),
        department: Some("OR".into()),
    };
    let scan_bytes = crate::search::pdf_with_text("Pelnomocnictwo dla spadkobiercy Wawrzyniaka.");
    let entry = s
        .register_paper(&anna, &office_id, &letter, "pismo.pdf", scan_bytes.clone())
        .await
        .expect("paper letter");
    let scan_sha = hex::encode(okienko_trust::sha256(&scan_bytes));
    // Found by its scan's text while its case's records are kept.
    let by_text = || async {
        s.search_work(&anna, "wawrzyniaka", "")
            .await
            .expect("search")
            .hits
            .iter()
            .any(|h| h.item_id == entry.id)
    };
    assert!(by_text().await);
    let b10 = s
        .open_case(
            &anna,
            &okienko_services::cases::CaseInput {
                register_entry_id: Some(entry.id.clone()),
                ..open("015", "Pełnomocnictwo")
            },
        )
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
    // A document of its own and one whose bytes a case that stays open has too.
    let own = s
        .add_case_document(
            &anna,
            &b10.id,
            "Pełnomocnictwo",
            "pelnomocnictwo.txt",
            b"Pelnomocnictwo dla pelnomocnika spadkowego".to_vec(),
        )
        .await
        .expect("document");
    let shared_bytes = b"Wspolny zalacznik: mapa dzialki".to_vec();
    let shared = s
        .add_case_document(&anna, &b10.id, "Mapa", "mapa.txt", shared_bytes.clone())
        .await
        .expect("document");
    s.add_case_document(&anna, &still_open.id, "Mapa", "mapa.txt", shared_bytes)
        .await
        .expect("document");
    let sha_of = |d: &okienko_store::CaseDocument| {
        let id = d.id.clone();
        async move {
            s.store.document_versions(&id).await.expect("versions")[0]
                .sha256
                .clone()
        }
    };
    let (own_sha, shared_sha) = (sha_of(&own).await, sha_of(&shared).await);
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
    // Prepared over the API by the official of the whole office.
    let token = t.demo_token("records@okienko.test").await;
    let r = reqwest::Client::new()
        .post(t.url(&format!("/api/v1/offices/{office}/destruction-lists")))
        .bearer_auth(&token)
        .json(&serde_json::json!({"cases": [b10.id]}))
        .send()
        .await
        .expect("prepare");
    assert_eq!(r.status().as_u16(), 201);
    let body: serde_json::Value = r.json().await.expect("json");
    assert_eq!(
        body["items"][0]["signature"],
        serde_json::json!(b10.signature)
    );
    assert_eq!(body["items"][0]["category"], "B10");
    let list = s
        .store
        .destruction_list(body["id"].as_str().expect("id"))
        .await
        .expect("db")
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

    // The archivist approves on the page: asked once more first, nothing changed by the ask.
    let _ = &archivist;
    let arch_web = t.demo_web("archivist@okienko.test").await;
    let csrf = t.csrf(&arch_web, &path).await;
    let r = arch_web
        .post(t.url(&path))
        .form(&[("csrf", csrf.as_str()), ("decision", "accept")])
        .send()
        .await
        .expect("ask");
    assert_eq!(r.status().as_u16(), 200);
    let ask = r.text().await.expect("text");
    assert!(ask.contains("name=\"confirm\""), "{ask}");
    assert_eq!(
        s.store
            .destruction_list(&list.id)
            .await
            .expect("db")
            .expect("list")
            .status,
        "reviewed"
    );
    let r = arch_web
        .post(t.url(&path))
        .form(&[
            ("csrf", csrf.as_str()),
            ("decision", "accept"),
            ("confirm", "yes"),
        ])
        .send()
        .await
        .expect("approve");
    assert_eq!(r.status().as_u16(), 303);
    let approved = s
        .store
        .destruction_list(&list.id)
        .await
        .expect("db")
        .expect("list");
    assert_eq!(approved.status, "approved");
    let timeline = s.store.case_events(&b10.id).await.expect("events");
    assert!(timeline.iter().any(|e| e.kind == "destruction-approved"));
    // The records are destroyed: the case page says so and offers no file; the files are
    // refused (409, in the person's language), and the sweep deletes the one no other record
    // has.
    let anna_web = t.demo_web("anna.nowak@okienko.test").await;
    let (_, html) = t.page(&anna_web, &format!("/cases/{}", b10.id)).await;
    assert!(html.contains("Akta tej sprawy zniszczono"), "{html}");
    assert!(!html.contains(&format!("/documents/{}/versions/0", own.id)));
    assert!(!html.contains(&format!("/cases/{}/file", b10.id)));
    let anna_token = t.demo_token("anna.nowak@okienko.test").await;
    for path in [
        format!("/api/v1/documents/{}/versions/0", own.id),
        format!("/api/v1/cases/{}/file", b10.id),
        format!("/api/v1/register-entries/{}/scan", entry.id),
    ] {
        let r = reqwest::Client::new()
            .get(t.url(&path))
            .bearer_auth(&anna_token)
            .send()
            .await
            .expect("refused");
        assert_eq!(r.status().as_u16(), 409, "{path}");
        let body = r.text().await.expect("text");
        assert!(body.contains("err-case-destroyed"), "{body}");
        assert!(body.contains("Akta tej sprawy zniszczono"), "{body}");
    }
    let (status, _) = t
        .page(&anna_web, &format!("/documents/{}/versions/0", own.id))
        .await;
    assert_eq!(status, 409);
    // The letter's entry stays in the register with its certification; its scan is gone
    // with the records, and its page says so.
    let (_, html) = t
        .page(&anna_web, &format!("/register-entries/{}", entry.id))
        .await;
    assert!(
        html.contains("plik zniszczono razem z aktami sprawy"),
        "{html}"
    );
    assert!(!html.contains(&format!("/register-entries/{}/scan", entry.id)));
    assert!(!by_text().await, "not found by the destroyed scan's text");
    let (status, _) = t
        .page(&anna_web, &format!("/register-entries/{}/scan", entry.id))
        .await;
    assert_eq!(status, 409);
    let item = archived(&t, &token, &office, &b10.id).await;
    assert_eq!(item["destroyed"], true);
    let case_json: serde_json::Value = reqwest::Client::new()
        .get(t.url(&format!("/api/v1/cases/{}", b10.id)))
        .bearer_auth(&anna_token)
        .send()
        .await
        .expect("case")
        .json()
        .await
        .expect("json");
    assert_eq!(
        case_json["destroyed"]["list"],
        serde_json::json!(format!("{}/{}", list.number, list.year))
    );
    for sha in [&own_sha, &scan_sha] {
        assert!(
            s.blob(sha).await.is_ok(),
            "deleted by the sweep, not before"
        );
    }
    assert_eq!(
        s.blob_garbage_sweep(std::time::Duration::ZERO)
            .await
            .expect("sweep"),
        2
    );
    for sha in [&own_sha, &scan_sha] {
        assert!(
            s.blob(sha).await.is_err(),
            "the file of destroyed records is gone"
        );
    }
    assert!(
        s.blob(&shared_sha).await.is_ok(),
        "a file an open case has stays"
    );
    assert!(s.store.blob_garbage(10).await.expect("queue").is_empty());
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

    // The category A case goes to the state archive 25 years after the year it closed: not
    // yet (a clear answer), then a package whose signed manifest OpenSSL checks.
    let transfers = format!("/api/v1/offices/{office}/archive/transfers");
    let post = |token: String| {
        let url = t.url(&transfers);
        async move {
            reqwest::Client::new()
                .post(url)
                .bearer_auth(token)
                .send()
                .await
                .expect("transfer")
        }
    };
    let r = post(t.demo_token("records@okienko.test").await).await;
    assert_eq!(r.status().as_u16(), 409);
    t.clock.advance(time::Duration::days(366 * 15));
    let archivist = t.demo_token("archivist@okienko.test").await;
    let r = post(archivist.clone()).await;
    assert_eq!(r.status().as_u16(), 201);
    let made: serde_json::Value = r.json().await.expect("json");
    assert_eq!(made["cases"], 1, "{made}");
    assert_eq!(made["number"], 1, "{made}");
    // Its case is handed over: on its timeline, marked in the archive, and not in the
    // next package (there is none: nothing else is due).
    let r = post(archivist.clone()).await;
    assert_eq!(r.status().as_u16(), 409);
    let events = t.services.store.case_events(&a.id).await.expect("events");
    assert!(
        events
            .iter()
            .any(|e| e.kind == "transferred" && e.detail.starts_with("1/")),
        "{events:?}"
    );
    let row = archived(&t, &archivist, &office, &a.id).await;
    assert_eq!(row["transferred"], true, "{row}");
    let listed: serde_json::Value = reqwest::Client::new()
        .get(t.url(&transfers))
        .bearer_auth(&archivist)
        .send()
        .await
        .expect("transfers")
        .json()
        .await
        .expect("json");
    assert_eq!(listed["items"][0]["id"], made["id"], "{listed}");
    let r = reqwest::Client::new()
        .get(t.url(made["package"].as_str().expect("package")))
        .bearer_auth(&archivist)
        .send()
        .await
        .expect("package");
    assert_eq!(r.status().as_u16(), 200);
    assert_eq!(
        r.headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok()),
        Some("application/zip")
    );
    let zip = r.bytes().await.expect("zip");
    assert_eq!(
        made["sha256"].as_str(),
        Some(hex::encode(okienko_trust::sha256(&zip)).as_str())
    );
    let dir = std::env::temp_dir().join(format!("okienko-transfer-{}", okienko_services::new_id()));
    std::fs::create_dir_all(&dir).expect("dir");
    std::fs::write(dir.join("t.zip"), &zip).expect("write");
    if !crate::common::tools_required()
        && std::process::Command::new("openssl")
            .arg("version")
            .output()
            .is_err()
    {
        return;
    }
    // Unpacked by Python's zipfile, checked by sha256 and OpenSSL: nothing of ours.
    let out = std::process::Command::new("python3")
        .current_dir(&dir)
        .args(["-m", "zipfile", "-e", "t.zip", "out"])
        .output()
        .expect("python3");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out_dir = dir.join("out");
    let list = std::fs::read_to_string(out_dir.join("transfer-list.csv")).expect("list");
    assert!(list.contains(&a.signature), "{list}");
    assert!(!list.contains(&b10.signature), "{list}");
    assert!(out_dir.join(format!("cases/{}.zip", a.signature)).exists());
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out_dir.join("manifest.json")).expect("manifest"))
            .expect("json");
    for f in manifest["files"].as_array().expect("files") {
        let path = f["path"].as_str().expect("path");
        let bytes = std::fs::read(out_dir.join(path)).expect(path);
        assert_eq!(
            f["sha256"].as_str(),
            Some(hex::encode(okienko_trust::sha256(&bytes)).as_str()),
            "{path}"
        );
    }
    let ca = reqwest::get(t.url("/trust/ca.pem"))
        .await
        .expect("ca")
        .text()
        .await
        .expect("ca");
    std::fs::write(out_dir.join("ca.pem"), ca).expect("write");
    crate::cases::openssl_verify(&out_dir, "manifest.json.p7s", Some("manifest.json"));
    let _ = std::fs::remove_dir_all(&dir);
}
