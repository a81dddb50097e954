//! Trusted profile at the counter over the API: apply, confirm in person by number and
//! PESEL, and only then open one's own delivery mailbox.

use crate::common::TestServer;
use crate::delivery::get_json;
use okienko_domain::audit::AuditEvent;
use okienko_domain::{Role, RoleGrant};

pub(crate) async fn citizen(t: &TestServer, id: &str) -> String {
    let hash = t
        .services
        .passwords
        .hash(okienko_services::demo::PASSWORD)
        .await
        .expect("hash");
    let u = okienko_store::User {
        id: id.into(),
        email: format!("{id}@okienko.test"),
        display_name: id.into(),
        password_hash: hash,
        email_verified: true,
        totp_secret: None,
        totp_last_step: None,
        locale: None,
        disabled: false,
        created_at: 0,
    };
    let g = RoleGrant {
        role: Role::Citizen,
        office_id: None,
        department_id: None,
        service_point_id: None,
    };
    t.services
        .store
        .create_user(&u, &[g], &AuditEvent::new(0, None, "test.setup", id))
        .await
        .expect("user");
    t.demo_token(&u.email).await
}

pub(crate) async fn post(
    t: &TestServer,
    token: &str,
    path: &str,
    body: serde_json::Value,
) -> (u16, serde_json::Value) {
    let r = reqwest::Client::new()
        .post(t.url(path))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .expect("post");
    let s = r.status().as_u16();
    (s, r.json().await.unwrap_or(serde_json::Value::Null))
}

pub(crate) fn application(pesel: &str, card: &str) -> serde_json::Value {
    serde_json::json!({"pesel": pesel, "first_name": "Ewa", "last_name": "Nowicka", "id_document_number": card, "email": "ewa@okienko.test", "phone": "+48 600 700 800"})
}

#[tokio::test]
async fn confirmed_at_the_counter_then_a_mailbox_opens() {
    let t = TestServer::seeded().await;
    let ewa = citizen(&t, "ewa").await;
    let kasia = t.demo_token("kasia.poczta@okienko.test").await;
    let jan = t.demo_token("jan.kowalski@okienko.test").await;
    const PESEL: &str = "85122410001";

    let (s, r) = post(&t, &ewa, "/api/v1/mailboxes", serde_json::json!({})).await;
    assert_eq!(s, 409, "{r}");
    assert!(r.to_string().contains("err-needs-trusted-profile"));

    // Bad input is refused with the field named, nothing stored.
    let (s, r) = post(
        &t,
        &ewa,
        "/api/v1/trusted-profile/applications",
        application("90031201429", "ABA300000"),
    )
    .await;
    assert_eq!(s, 422);
    assert!(r.to_string().contains("err-pesel-checksum"), "{r}");
    let (s, r) = post(
        &t,
        &ewa,
        "/api/v1/trusted-profile/applications",
        application(PESEL, "ABA400000"),
    )
    .await;
    assert_eq!(s, 422);
    assert!(r.to_string().contains("err-id-card-checksum"), "{r}");
    let (s, app) = post(
        &t,
        &ewa,
        "/api/v1/trusted-profile/applications",
        application(PESEL, "aba 300000"),
    )
    .await;
    assert_eq!(s, 201, "{app}");
    let number = app["number"].as_str().expect("number").to_string();
    assert!(app["expires_at"].as_str().is_some());
    let (s, r) = post(
        &t,
        &ewa,
        "/api/v1/trusted-profile/applications",
        application(PESEL, "ABA300000"),
    )
    .await;
    assert_eq!(
        (
            s,
            r["type"]
                .as_str()
                .map(|t| t.trim_start_matches("/problems/"))
        ),
        (409, Some("err-application-pending")),
        "{r}"
    );

    // The counter: never by browsing; by number together with the PESEL.
    let confirm = |pesel: &str, card: &str| serde_json::json!({"number": number, "pesel": pesel, "id_document_number": card});
    let path = "/api/v1/counter/trusted-profile/confirmations";
    assert_eq!(
        post(&t, &jan, path, confirm(PESEL, "ABA300000")).await.0,
        404
    );
    let (s, r) = post(&t, &kasia, path, confirm("44051401359", "ABA300000")).await;
    assert_eq!(s, 422);
    assert!(r.to_string().contains("err-application-not-found"));
    let (s, r) = post(&t, &kasia, path, confirm(PESEL, "AXA000000")).await;
    assert_eq!(s, 422, "{r}");
    let (s, r) = post(&t, &kasia, path, confirm(PESEL, "ABA300000")).await;
    assert_eq!(s, 201, "{r}");
    let until = time::OffsetDateTime::parse(
        r["valid_until"].as_str().expect("until"),
        &time::format_description::well_known::Rfc3339,
    )
    .expect("time");
    let years = (until - time::OffsetDateTime::now_utc()).whole_days();
    assert!((1094..=1097).contains(&years), "{years}");
    let (s, r) = post(&t, &kasia, path, confirm(PESEL, "ABA300000")).await;
    assert_eq!(
        (
            s,
            r["type"]
                .as_str()
                .map(|t| t.trim_start_matches("/problems/"))
        ),
        (409, Some("err-application-decided"))
    );

    // Now the mailbox opens, once.
    let (_, me) = get_json(t.url("/api/v1/me"), Some(&ewa)).await;
    assert!(me["trusted_profile"]["valid_until"].is_string(), "{me}");
    let (s, opened) = post(&t, &ewa, "/api/v1/mailboxes", serde_json::json!({})).await;
    assert_eq!(s, 201);
    let address = opened["address"].as_str().expect("address").to_string();
    assert!(okienko_domain::address::Address::parse(&address).is_ok());
    let (s, again) = post(&t, &ewa, "/api/v1/mailboxes", serde_json::json!({})).await;
    assert_eq!(
        (s, again["address"].as_str()),
        (200, Some(address.as_str()))
    );
    // Officials find her by PESEL now.
    let anna = t.demo_token("anna.nowak@okienko.test").await;
    let (s, found) = get_json(
        t.url(&format!(
            "/api/v1/addresses/lookup?pesel={PESEL}&reason=test"
        )),
        Some(&anna),
    )
    .await;
    assert_eq!(s, 200, "{found}");
    assert!(found.to_string().contains(&address), "{found}");

    // Who, where and when is in her Data Tracker.
    let (_, tracker) = get_json(t.url("/api/v1/me/data-tracker"), Some(&ewa)).await;
    let text = tracker.to_string();
    assert!(
        text.contains("trusted_profile.confirm") && text.contains("Katarzyna"),
        "{text}"
    );

    // Assisted service: the office writes to Ewa; at the counter, with her consent, Kasia
    // prints it for her, which hands it over; nobody acts for her outside the visit.
    let (_, me) = get_json(t.url("/api/v1/me"), Some(&anna)).await;
    let office_box = me["mailboxes"][0]["address"]
        .as_str()
        .expect("box")
        .to_string();
    let msg = serde_json::json!({"from": office_box, "to": [address], "subject": "Decyzja", "body": "Treść decyzji."});
    // With a certificate made elsewhere (Ghostscript), which the print must carry.
    let certificate = crate::paper::outside_pdf(&t.data);
    let mut form = reqwest::multipart::Form::new()
        .part("message", reqwest::multipart::Part::text(msg.to_string()));
    if let Some(pdf) = &certificate {
        form = form.part(
            "attachment",
            reqwest::multipart::Part::bytes(pdf.clone())
                .file_name("zaswiadczenie.pdf")
                .mime_str("application/pdf")
                .expect("mime"),
        );
    }
    let r = reqwest::Client::new()
        .post(t.url("/api/v1/messages"))
        .bearer_auth(&anna)
        .multipart(form)
        .send()
        .await
        .expect("send");
    assert_eq!(r.status().as_u16(), 201);
    let sent: serde_json::Value = r.json().await.expect("json");
    let message_id = sent["id"].as_str().expect("id").to_string();
    let clerk = t.demo_web("kasia.poczta@okienko.test").await;
    let csrf = t.csrf(&clerk, "/counter/visits").await;
    let start = |consent: &'static str, card: &'static str| {
        clerk
            .post(t.url("/counter/visits?lang=en"))
            .form(&[
                ("csrf", csrf.as_str()),
                ("pesel", PESEL),
                ("id_document_number", card),
                ("consent", consent),
            ])
            .send()
    };
    let r = start("", "ABA300000").await.expect("post");
    assert_eq!(r.status().as_u16(), 422);
    assert!(r.text().await.expect("t").contains("consent"));
    let r = start("1", "AXA000000").await.expect("post");
    assert_eq!(r.status().as_u16(), 422);
    let r = start("1", "ABA300000").await.expect("post");
    assert_eq!(r.status().as_u16(), 303);
    let visit_path = r
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .expect("location")
        .to_string();
    let page = clerk
        .get(t.url(&format!("{visit_path}?lang=en")))
        .send()
        .await
        .expect("get")
        .text()
        .await
        .expect("t");
    assert!(
        page.contains("Decyzja") && page.contains("Print and hand over"),
        "{page}"
    );
    let anna_web = t.demo_web("anna.nowak@okienko.test").await;
    assert_eq!(
        anna_web
            .get(t.url(&visit_path))
            .send()
            .await
            .expect("get")
            .status()
            .as_u16(),
        404
    );
    let r = clerk
        .post(t.url(&format!("{visit_path}/print")))
        .form(&[("csrf", csrf.as_str()), ("message", message_id.as_str())])
        .send()
        .await
        .expect("print");
    assert_eq!(r.status().as_u16(), 200);
    let pdf = r.bytes().await.expect("pdf");
    assert!(pdf.starts_with(b"%PDF-"));
    // The citizen leaves with the document itself, read back by poppler's pdftotext: the
    // covering text with names, then both pages of the certificate.
    if certificate.is_some() {
        let path = t.data.join("counter-print.pdf");
        std::fs::write(&path, &pdf).expect("write");
        let out = std::process::Command::new("pdftotext")
            .arg(&path)
            .arg("-")
            .output()
            .expect("pdftotext");
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(
            text.contains("Decyzja")
                && text.contains("ewa (AE:PL-")
                && text.contains("Urząd Gminy Przykładowo (AE:PL-")
                && text.contains("zaswiadczenie.pdf")
                && text.contains("Attachment page one")
                && text.contains("Attachment page two"),
            "{text}"
        );
    }
    let (_, ev) = get_json(
        t.url(&format!("/api/v1/messages/{message_id}/evidence")),
        Some(&anna),
    )
    .await;
    let handover = ev["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|e| e["type"] == "content-handover")
        .and_then(|e| e["id"].as_str())
        .expect("handover")
        .to_string();
    let (_, doc) = get_json(t.url(&format!("/api/v1/evidence/{handover}")), Some(&anna)).await;
    assert!(
        doc["handed_over_at_counter"].is_string() && doc["by_clerk"] == "Katarzyna Pocztowa",
        "{doc}"
    );
    // A message sent for her from her mailbox, with the clerk named in her Data Tracker.
    let r = clerk
        .post(t.url(&format!("{visit_path}/send")))
        .form(&[
            ("csrf", csrf.as_str()),
            ("to", office_box.as_str()),
            ("subject", "Odwołanie"),
            ("body", "Wnoszę odwołanie."),
        ])
        .send()
        .await
        .expect("send");
    assert_eq!(r.status().as_u16(), 303);
    let (_, inbox) = get_json(
        t.url(&format!("/api/v1/mailboxes/{office_box}/messages")),
        Some(&anna),
    )
    .await;
    assert_eq!(inbox["items"][0]["subject"], "Odwołanie");
    assert_eq!(inbox["items"][0]["from"], address.as_str());

    // Her Data Tracker: one row for each thing done with her data, however often the
    // clerk's page reloaded, each translated, with the clerk's name and the purpose.
    for _ in 0..3 {
        let r = clerk.get(t.url(&visit_path)).send().await.expect("get");
        assert_eq!(r.status().as_u16(), 200);
    }
    let (ewa_web, r) = t
        .web_login("ewa@okienko.test", okienko_services::demo::PASSWORD, None)
        .await;
    assert_eq!(r.status().as_u16(), 303);
    for (lang, shown, purpose) in [
        (
            "pl",
            "Podgląd Twojej skrzynki przy okienku",
            "Pokazanie Ci Twojej skrzynki",
        ),
        (
            "en",
            "Your mailbox viewed at the counter",
            "Showing you your mailbox",
        ),
    ] {
        let page = ewa_web
            .get(t.url(&format!("/account/data-tracker?lang={lang}")))
            .send()
            .await
            .expect("tracker")
            .text()
            .await
            .expect("t");
        assert_eq!(page.matches(shown).count(), 1, "{lang}: {page}");
        assert_eq!(page.matches(purpose).count(), 1, "{lang}: {page}");
        assert!(
            page.contains("Katarzyna Pocztowa")
                && !page.contains("action-")
                && !page.contains("purpose-")
                && !page.contains("inbox shown by"),
            "{lang}: {page}"
        );
    }

    // Cash for fees: receipts numbered at the point; the day's report is their sum; a
    // signed receipt verifies with openssl and on the verifier page.
    let pay = |amount: &'static str, title: &'static str| {
        clerk
            .post(t.url(&format!("{visit_path}/cash?lang=en")))
            .form(&[
                ("csrf", csrf.as_str()),
                ("amount", amount),
                ("title", title),
                ("action", "take"),
            ])
            .send()
    };
    // "Continue" reads the payment out first: the person by name, nothing taken yet.
    let r = clerk
        .post(t.url(&format!("{visit_path}/cash?lang=en")))
        .form(&[
            ("csrf", csrf.as_str()),
            ("amount", "12,50"),
            ("title", "Opłata skarbowa"),
            ("action", "check"),
        ])
        .send()
        .await
        .expect("check");
    assert_eq!(r.status().as_u16(), 200);
    let page = r.text().await.expect("t");
    assert!(
        page.contains("Check the payment with the payer")
            && page.contains("<dd lang=\"pl\">ewa</dd>")
            && page.contains("value=\"take\""),
        "{page}"
    );
    let r = pay("12,345", "Opłata").await.expect("pay");
    assert_eq!(r.status().as_u16(), 422);
    // What was typed stays, the mistake is said at its field.
    let page = r.text().await.expect("t");
    assert!(
        page.contains("id=\"e-amount\"")
            && page.contains("value=\"Opłata\"")
            && page.contains("value=\"12,345\""),
        "{page}"
    );
    let mut receipts = Vec::new();
    for (amount, title) in [("12,50", "Opłata skarbowa"), ("17", "Odpis aktu")] {
        let r = pay(amount, title).await.expect("pay");
        assert_eq!(r.status().as_u16(), 303);
        receipts.push(
            r.headers()
                .get("location")
                .and_then(|v| v.to_str().ok())
                .expect("location")
                .to_string(),
        );
    }
    let report = clerk
        .get(t.url("/counter/cash-report?lang=en"))
        .send()
        .await
        .expect("report")
        .text()
        .await
        .expect("t");
    assert!(
        report.contains("<strong id=\"cash-total\">PLN\u{a0}29.50</strong>"),
        "{report}"
    );
    let store_total: i64 = {
        let kasia_p = crate::common::principal(&t, "kasia.poczta@okienko.test").await;
        t.services
            .cash_report(&kasia_p, None, false)
            .await
            .expect("report")
            .receipts
            .iter()
            .map(|r| r.amount)
            .sum()
    };
    assert_eq!(store_total, 2950);
    assert!(
        report.contains("Identities confirmed") && report.contains("Messages printed"),
        "{report}"
    );
    let p7m = clerk
        .get(t.url(&format!("{}/signed", receipts[1])))
        .send()
        .await
        .expect("signed")
        .bytes()
        .await
        .expect("bytes");
    let pdf = clerk
        .get(t.url(&format!("{}/pdf", receipts[1])))
        .send()
        .await
        .expect("pdf")
        .bytes()
        .await
        .expect("bytes");
    assert!(pdf.starts_with(b"%PDF-"));
    if std::process::Command::new("openssl")
        .arg("version")
        .output()
        .is_ok()
    {
        let dir = t.data.clone();
        std::fs::write(dir.join("receipt.p7m"), &p7m).expect("w");
        let ca = reqwest::get(t.url("/trust/ca.pem"))
            .await
            .expect("ca")
            .text()
            .await
            .expect("t");
        std::fs::write(dir.join("ca.pem"), ca).expect("w");
        let out = std::process::Command::new("openssl")
            .args([
                "cms",
                "-verify",
                "-inform",
                "DER",
                "-in",
                "receipt.p7m",
                "-CAfile",
                "ca.pem",
            ])
            .current_dir(&dir)
            .output()
            .expect("openssl");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let receipt: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
        assert_eq!(
            (receipt["number"].as_i64(), receipt["amount"].as_str()),
            (Some(2), Some("17.00"))
        );
    }
    // The printed receipt carries its identifier; anyone checks it there, without signing in.
    let rid = receipts[1].rsplit('/').next().expect("id").to_string();
    let public = reqwest::get(t.url(&format!("/receipts/verify?id={rid}&lang=en")))
        .await
        .expect("check")
        .text()
        .await
        .expect("t");
    assert!(
        public.contains("The receipt is genuine")
            && public.contains("PLN\u{a0}17.00")
            && !public.contains("Nowicka"),
        "{public}"
    );
    // Finding 18: the public page gives the signed receipt's fingerprint, not the signed
    // receipt (which names the payer and the clerk).
    let fingerprint = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(&p7m));
    assert!(public.contains(&fingerprint), "{public}");
    assert_eq!(
        reqwest::get(t.url(&format!("/receipts/verify/signed?id={rid}")))
            .await
            .expect("signed")
            .status()
            .as_u16(),
        404
    );
    assert_eq!(
        reqwest::get(t.url("/receipts/verify?id=RC-nope"))
            .await
            .expect("check")
            .status()
            .as_u16(),
        404
    );
    let verify_web = t.browser();
    let vcsrf = t.csrf(&verify_web, "/verify").await;
    let page = verify_web
        .post(t.url("/verify?lang=en"))
        .multipart(reqwest::multipart::Form::new().text("csrf", vcsrf).part(
            "signature",
            reqwest::multipart::Part::bytes(p7m.to_vec()).file_name("receipt.p7m"),
        ))
        .send()
        .await
        .expect("verify")
        .text()
        .await
        .expect("t");
    assert!(
        page.contains("Odpis aktu") && page.contains("cash-receipt"),
        "{page}"
    );

    // A fee taken for an office names it as the payee; the day's report sums per payee.
    let visit_page = clerk
        .get(t.url(&visit_path))
        .send()
        .await
        .expect("visit")
        .text()
        .await
        .expect("t");
    let payee = visit_page
        .split("id=\"f-payee\"")
        .nth(1)
        .and_then(|s| s.split("<option value=\"").nth(2))
        .and_then(|s| s.split('"').next())
        .expect("a payee office")
        .to_string();
    let r = clerk
        .post(t.url(&format!("{visit_path}/cash?lang=en")))
        .form(&[
            ("csrf", csrf.as_str()),
            ("amount", "5"),
            ("title", "Opłata za wypis"),
            ("payee", payee.as_str()),
            ("action", "take"),
        ])
        .send()
        .await
        .expect("pay");
    assert_eq!(r.status().as_u16(), 303);
    // A receipt taken by mistake: voiding asks first and changes nothing until confirmed.
    let void_path = format!("{}/void", receipts[0]);
    let r = clerk
        .post(t.url(&format!("{void_path}?lang=en")))
        .form(&[("csrf", csrf.as_str()), ("reason", "Pomyłka w kwocie")])
        .send()
        .await
        .expect("void");
    assert_eq!(r.status().as_u16(), 200);
    assert!(r.text().await.expect("t").contains("Void this receipt?"));
    let r = clerk
        .post(t.url(&format!("{void_path}?lang=en")))
        .form(&[("csrf", csrf.as_str()), ("reason", ""), ("confirm", "yes")])
        .send()
        .await
        .expect("void");
    assert_eq!(r.status().as_u16(), 422);
    let r = clerk
        .post(t.url(&void_path))
        .form(&[
            ("csrf", csrf.as_str()),
            ("reason", "Pomyłka w kwocie"),
            ("confirm", "yes"),
        ])
        .send()
        .await
        .expect("void");
    assert_eq!(r.status().as_u16(), 303);
    let r = clerk
        .post(t.url(&void_path))
        .form(&[
            ("csrf", csrf.as_str()),
            ("reason", "Jeszcze raz"),
            ("confirm", "yes"),
        ])
        .send()
        .await
        .expect("void");
    assert_eq!(r.status().as_u16(), 409, "a receipt is voided once");
    let page = clerk
        .get(t.url(&format!("{}?lang=en", receipts[0])))
        .send()
        .await
        .expect("receipt")
        .text()
        .await
        .expect("t");
    assert!(
        page.contains("id=\"receipt-voided\"") && page.contains("Pomyłka w kwocie"),
        "{page}"
    );
    // The voided receipt stays in the report, crossed out and out of the total.
    let report = clerk
        .get(t.url("/counter/cash-report?lang=en&mine=1"))
        .send()
        .await
        .expect("report")
        .text()
        .await
        .expect("t");
    assert!(
        report.contains("<strong id=\"cash-total\">PLN\u{a0}22.00</strong>")
            && report.contains("class=\"voided\"")
            && report.contains("Day close of Katarzyna Pocztowa")
            && report.contains("id=\"cash-by-payee\""),
        "{report}"
    );
    let pdf = clerk
        .get(t.url("/counter/cash-report/pdf?mine=1"))
        .send()
        .await
        .expect("pdf")
        .bytes()
        .await
        .expect("bytes");
    assert!(pdf.starts_with(b"%PDF-"));
    // The void is signed: it verifies outside, and the public check says the receipt is void.
    let void_p7m = clerk
        .get(t.url(&format!("{void_path}/signed")))
        .send()
        .await
        .expect("signed")
        .bytes()
        .await
        .expect("bytes");
    if std::process::Command::new("openssl")
        .arg("version")
        .output()
        .is_ok()
    {
        std::fs::write(t.data.join("void.p7m"), &void_p7m).expect("w");
        let out = std::process::Command::new("openssl")
            .args([
                "cms", "-verify", "-inform", "DER", "-in", "void.p7m", "-CAfile", "ca.pem",
            ])
            .current_dir(&t.data)
            .output()
            .expect("openssl");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let void: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
        assert_eq!(void["type"], "cash-receipt-void");
        assert_eq!(void["reason"], "Pomyłka w kwocie");
    }
    let rid0 = receipts[0].rsplit('/').next().expect("id").to_string();
    let public = reqwest::get(t.url(&format!("/receipts/verify?id={rid0}&lang=en")))
        .await
        .expect("check")
        .text()
        .await
        .expect("t");
    assert!(public.contains("id=\"receipt-check-voided\""), "{public}");

    let r = clerk
        .post(t.url(&format!("{visit_path}/end")))
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .expect("end");
    assert_eq!(r.status().as_u16(), 303);
    // The ended visit stays in the clerk's list and opens as a record: who, when, and the
    // receipts to reprint; the person's inbox is no longer shown.
    let r = clerk.get(t.url(&visit_path)).send().await.expect("get");
    assert_eq!(r.status().as_u16(), 200);
    let record = r.text().await.expect("t");
    assert!(
        record.contains("Record of a visit") && record.contains("Person served"),
        "{record}"
    );
    for receipt in &receipts {
        assert!(
            record.contains(&format!("href=\"{receipt}\"")),
            "{receipt}: {record}"
        );
    }
    assert!(
        !record.contains("action=\"/counter/visits/"),
        "no actions: {record}"
    );
    let start = clerk
        .get(t.url("/counter/visits"))
        .send()
        .await
        .expect("get")
        .text()
        .await
        .expect("t");
    assert!(
        start.contains(&format!("href=\"{visit_path}\"")) && start.contains(">Record<"),
        "{start}"
    );
    // Ending it again changes nothing.
    let r = clerk
        .post(t.url(&format!("{visit_path}/end")))
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .expect("end");
    assert_eq!(r.status().as_u16(), 404);
    let (_, tracker) = get_json(t.url("/api/v1/me/data-tracker"), Some(&ewa)).await;
    let text = tracker.to_string();
    assert!(
        text.contains("by clerk Katarzyna Pocztowa for citizen"),
        "{text}"
    );
    assert!(
        text.contains("message sent by clerk Katarzyna Pocztowa"),
        "{text}"
    );

    // A trusted signature: only with a profile, only with the right password; it verifies
    // with openssl and the verifier page names the person.
    let doc = "Wniosek o wydanie zaświadczenia.\n".as_bytes().to_vec();
    let sign = |token: &str, password: &str, file: Vec<u8>| {
        let form = reqwest::multipart::Form::new()
            .part(
                "file",
                reqwest::multipart::Part::bytes(file).file_name("wniosek.txt"),
            )
            .text("password", password.to_string());
        reqwest::Client::new()
            .post(t.url("/api/v1/signatures/trusted"))
            .bearer_auth(token.to_string())
            .multipart(form)
            .send()
    };
    let zofia_token = citizen(&t, "zofia").await;
    let r = sign(&zofia_token, okienko_services::demo::PASSWORD, doc.clone())
        .await
        .expect("sign");
    assert_eq!(r.status().as_u16(), 409);
    let r = sign(&ewa, "wrong password", doc.clone())
        .await
        .expect("sign");
    assert_eq!(r.status().as_u16(), 422);
    assert!(r.text().await.expect("t").contains("err-password-wrong"));
    let r = sign(&ewa, okienko_services::demo::PASSWORD, doc.clone())
        .await
        .expect("sign");
    assert_eq!(r.status().as_u16(), 200);
    assert_eq!(
        r.headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok()),
        Some("application/pkcs7-signature")
    );
    let sig = r.bytes().await.expect("bytes").to_vec();
    if std::process::Command::new("openssl")
        .arg("version")
        .output()
        .is_ok()
    {
        let dir = t.data.clone();
        std::fs::write(dir.join("wniosek.txt"), &doc).expect("w");
        std::fs::write(dir.join("wniosek.p7s"), &sig).expect("w");
        let ca = reqwest::get(t.url("/trust/ca.pem"))
            .await
            .expect("ca")
            .text()
            .await
            .expect("t");
        std::fs::write(dir.join("ca.pem"), ca).expect("w");
        let out = std::process::Command::new("openssl")
            .args([
                "cms",
                "-verify",
                "-binary",
                "-inform",
                "DER",
                "-in",
                "wniosek.p7s",
                "-content",
                "wniosek.txt",
                "-CAfile",
                "ca.pem",
                "-out",
                "/dev/null",
            ])
            .current_dir(&dir)
            .output()
            .expect("openssl");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        // The signed attribute, as openssl prints it.
        let dump = std::process::Command::new("openssl")
            .args([
                "cms",
                "-cmsout",
                "-print",
                "-inform",
                "DER",
                "-in",
                "wniosek.p7s",
            ])
            .current_dir(&dir)
            .output()
            .expect("openssl");
        let dump = String::from_utf8_lossy(&dump.stdout);
        assert!(
            dump.contains("0.4.0.19122.1.1") && dump.contains("PNOPL-85122410001"),
            "{dump}"
        );
    } else {
        assert!(!crate::common::tools_required(), "openssl is required");
    }
    let web = t.browser();
    let csrf = t.csrf(&web, "/verify").await;
    let form = reqwest::multipart::Form::new()
        .text("csrf", csrf)
        .part(
            "document",
            reqwest::multipart::Part::bytes(doc.clone()).file_name("wniosek.txt"),
        )
        .part(
            "signature",
            reqwest::multipart::Part::bytes(sig).file_name("wniosek.p7s"),
        );
    let page = web
        .post(t.url("/verify?lang=en"))
        .multipart(form)
        .send()
        .await
        .expect("verify")
        .text()
        .await
        .expect("page");
    assert!(
        page.contains("Signed by (trusted signature)")
            && page.contains("Ewa Nowicka, PNOPL-85122410001"),
        "{page}"
    );

    // An administrator revokes her profile; she reads why, and cannot sign any more.
    let admin = t.demo_web("admin@okienko.test").await;
    let acsrf = t.csrf(&admin, "/admin/trusted-profiles").await;
    let r = admin
        .post(t.url("/admin/trusted-profiles?lang=en"))
        .form(&[
            ("csrf", acsrf.as_str()),
            ("email", "ewa@okienko.test"),
            ("reason", "dowód zgłoszony jako skradziony"),
        ])
        .send()
        .await
        .expect("revoke");
    assert_eq!(r.status().as_u16(), 200);
    assert!(r
        .text()
        .await
        .expect("t")
        .contains("The trusted profile is revoked"));
    let r = sign(&ewa, okienko_services::demo::PASSWORD, doc.clone())
        .await
        .expect("sign");
    assert_eq!(r.status().as_u16(), 409);
    let (_, tracker) = get_json(t.url("/api/v1/me/data-tracker"), Some(&ewa)).await;
    assert!(tracker
        .to_string()
        .contains("dowód zgłoszony jako skradziony"));

    // An application not shown within 14 days expires; a closed post office confirms nothing.
    let zofia = zofia_token;
    let (_, app) = post(
        &t,
        &zofia,
        "/api/v1/trusted-profile/applications",
        application("72051401239", "ABA300000"),
    )
    .await;
    let late = serde_json::json!({"number": app["number"], "pesel": "72051401239", "id_document_number": "ABA300000"});
    t.clock.advance(time::Duration::days(15));
    // Tokens last an hour of (fake) time: sign the clerk in again.
    let kasia = t.demo_token("kasia.poczta@okienko.test").await;
    let (s, r) = post(&t, &kasia, path, late.clone()).await;
    assert_eq!(
        (
            s,
            r["type"]
                .as_str()
                .map(|t| t.trim_start_matches("/problems/"))
        ),
        (409, Some("err-application-expired")),
        "{r}"
    );
    let kasia_p = crate::common::principal(&t, "kasia.poczta@okienko.test").await;
    let mut point = t
        .services
        .my_paper_points(&kasia_p)
        .await
        .expect("points")
        .remove(0);
    point.is_open = false;
    t.services
        .store
        .update_service_point(&point, &AuditEvent::new(0, None, "test.close", "point"))
        .await
        .expect("close");
    let kasia = t.demo_token("kasia.poczta@okienko.test").await;
    let (s, r) = post(&t, &kasia, path, late).await;
    assert_eq!(
        (
            s,
            r["type"]
                .as_str()
                .map(|t| t.trim_start_matches("/problems/"))
        ),
        (409, Some("err-point-closed")),
        "{r}"
    );
}

#[tokio::test]
async fn a_person_without_email_is_registered_at_the_counter_and_activates() {
    let t = TestServer::seeded().await;
    let clerk = t.demo_web("kasia.poczta@okienko.test").await;
    let csrf = t.csrf(&clerk, "/counter/register").await;
    let clerk_csrf = csrf.clone();
    let register = |pesel: &'static str, action: &'static str| {
        clerk
            .post(t.url("/counter/register?lang=en"))
            .form(&[
                ("csrf", csrf.as_str()),
                ("pesel", pesel),
                ("first_name", "Stanisław"),
                ("last_name", "Bez-Komputera"),
                ("id_document_number", "ABA300000"),
                ("phone", ""),
                ("email", ""),
                ("action", action),
            ])
            .send()
    };
    let r = register("92051712349", "check").await.expect("post");
    assert_eq!(r.status().as_u16(), 422, "a wrong PESEL changes nothing");
    // The details are read out first; nothing is opened until "Register".
    let r = register("92051712348", "check").await.expect("post");
    assert_eq!(r.status().as_u16(), 200);
    let page = r.text().await.expect("t");
    assert!(
        page.contains("Check the details with the person")
            && page.contains("Bez-Komputera")
            && page.contains("value=\"register\""),
        "{page}"
    );
    assert!(t
        .services
        .store
        .user_by_email(&format!(
            "92051712348@{}",
            okienko_services::accounts::COUNTER_DOMAIN
        ))
        .await
        .expect("db")
        .is_none());
    let r = register("92051712348", "register").await.expect("post");
    assert_eq!(
        r.status().as_u16(),
        303,
        "on to the page that prints the sheet"
    );
    let page_path = r
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .expect("location")
        .to_string();
    let page = clerk
        .get(t.url(&format!("{page_path}?lang=en")))
        .send()
        .await
        .expect("page")
        .text()
        .await
        .expect("t");
    assert!(
        page.contains("Account opened") && page.contains("Stanisław Bez-Komputera"),
        "{page}"
    );
    // Each print makes a new code; the sheet printed before stops working.
    let print_sheet = || async {
        let r = clerk
            .post(t.url(&format!("{page_path}/sheet")))
            .form(&[("csrf", csrf.as_str())])
            .send()
            .await
            .expect("sheet");
        assert_eq!(r.status().as_u16(), 200);
        assert_eq!(
            r.headers()
                .get("content-type")
                .and_then(|v| v.to_str().ok()),
            Some("application/pdf")
        );
        let pdf = r.bytes().await.expect("pdf");
        let path = t.data.join("activation.pdf");
        std::fs::write(&path, &pdf).expect("write");
        let out = std::process::Command::new("pdftotext")
            .arg(&path)
            .arg("-")
            .output()
            .ok()?;
        let text = String::from_utf8_lossy(&out.stdout).to_string();
        Some(
            text.split_whitespace()
                .find(|w| w.len() == 14 && w.matches('-').count() == 2)
                .expect("activation code on the sheet")
                .to_string(),
        )
    };
    let Some(first) = print_sheet().await else {
        assert!(!crate::common::tools_required(), "pdftotext is required");
        return;
    };
    let code = print_sheet().await.expect("second sheet");
    assert_ne!(first, code);
    // Registering the same PESEL again is refused.
    assert_eq!(
        register("92051712348", "register")
            .await
            .expect("post")
            .status()
            .as_u16(),
        422
    );

    // At home (or at a library), the person activates with the printed code.
    let web = t.browser();
    let csrf = t.csrf(&web, "/activate").await;
    let activate = |code: String| {
        web.post(t.url("/activate?lang=en"))
            .form(&[
                ("csrf", csrf.clone()),
                ("code", code),
                ("password", "moje bardzo dobre hasło".into()),
            ])
            .send()
    };
    for wrong in ["0000-0000-0000".to_string(), first] {
        assert_eq!(activate(wrong).await.expect("post").status().as_u16(), 422);
    }
    let r = activate(code.to_lowercase()).await.expect("post");
    assert_eq!(r.status().as_u16(), 200);
    assert_eq!(
        activate(code).await.expect("post").status().as_u16(),
        422,
        "once only"
    );
    // Signs in with the PESEL, and has a trusted profile in force.
    let r = reqwest::Client::new()
        .post(t.url("/api/v1/auth/token"))
        .json(&serde_json::json!({"login": "92051712348", "password": "moje bardzo dobre hasło"}))
        .send()
        .await
        .expect("token");
    assert_eq!(r.status().as_u16(), 200);
    let token: serde_json::Value = r.json().await.expect("json");
    let token = token["access_token"].as_str().expect("token").to_string();
    let (_, me) = get_json(t.url("/api/v1/me"), Some(&token)).await;
    assert!(me["trusted_profile"]["valid_until"].is_string(), "{me}");
    let (_, tracker) = get_json(t.url("/api/v1/me/data-tracker"), Some(&token)).await;
    assert!(
        tracker.to_string().contains("registered in person at"),
        "{tracker}"
    );
    // Activated: no more sheets for this account.
    let r = clerk
        .post(t.url(&format!("{page_path}/sheet")))
        .form(&[("csrf", clerk_csrf.as_str())])
        .send()
        .await
        .expect("sheet");
    let status = r.status().as_u16();
    assert_eq!(status, 409, "{}", r.text().await.expect("t"));
}

/// Someone with no account and no trusted profile pays a fee: the clerk types the payer's
/// name, checks the payment with them (nothing is numbered or signed yet), can change it, then
/// takes it; the signed receipt names the payer and verifies outside; the day's report has it.
#[tokio::test]
async fn someone_without_a_trusted_profile_pays_a_fee_at_the_counter() {
    let t = TestServer::seeded().await;
    let clerk = t.demo_web("kasia.poczta@okienko.test").await;
    let start = clerk
        .get(t.url("/counter/visits?lang=en"))
        .send()
        .await
        .expect("start")
        .text()
        .await
        .expect("t");
    assert!(start.contains("href=\"/counter/cash\""), "{start}");
    let csrf = t.csrf(&clerk, "/counter/cash").await;
    let logged = t.services.log.size().await;
    let pay = |payer: &'static str, action: &'static str| {
        clerk
            .post(t.url("/counter/cash?lang=en"))
            .form(&[
                ("csrf", csrf.as_str()),
                ("payer", payer),
                ("amount", "17,50"),
                ("title", "Opłata za wypis"),
                ("payee", ""),
                ("action", action),
            ])
            .send()
    };
    let r = pay("", "check").await.expect("check");
    assert_eq!(r.status(), 422);
    assert!(r.text().await.expect("t").contains("id=\"e-payer\""));
    let r = pay("Jan Przechodzień", "check").await.expect("check");
    assert_eq!(r.status(), 200);
    let page = r.text().await.expect("t");
    assert!(
        page.contains("Check the payment with the payer")
            && page.contains("Jan Przechodzień")
            && page.contains("PLN\u{a0}17.50")
            && page.contains("value=\"take\""),
        "{page}"
    );
    assert_eq!(t.services.log.size().await, logged, "nothing signed yet");
    let r = pay("Jan Przechodzień", "change").await.expect("change");
    assert_eq!(r.status(), 200);
    assert!(r
        .text()
        .await
        .expect("t")
        .contains("value=\"Jan Przechodzień\""));
    let r = pay("Jan Przechodzień", "take").await.expect("take");
    assert_eq!(r.status(), 303);
    let receipt = r
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .expect("location")
        .to_string();
    assert!(receipt.starts_with("/counter/receipts/RC-"), "{receipt}");
    let page = clerk
        .get(t.url(&format!("{receipt}?lang=en")))
        .send()
        .await
        .expect("receipt")
        .text()
        .await
        .expect("t");
    assert!(
        page.contains("Jan Przechodzień") && !page.contains("Back to the visit"),
        "{page}"
    );
    let report = clerk
        .get(t.url("/counter/cash-report?lang=en"))
        .send()
        .await
        .expect("report")
        .text()
        .await
        .expect("t");
    assert!(
        report.contains("<strong id=\"cash-total\">PLN\u{a0}17.50</strong>"),
        "{report}"
    );
    let p7m = clerk
        .get(t.url(&format!("{receipt}/signed")))
        .send()
        .await
        .expect("signed")
        .bytes()
        .await
        .expect("bytes");
    if std::process::Command::new("openssl")
        .arg("version")
        .output()
        .is_ok()
    {
        let ca = reqwest::get(t.url("/trust/ca.pem"))
            .await
            .expect("ca")
            .text()
            .await
            .expect("t");
        std::fs::write(t.data.join("ca.pem"), ca).expect("w");
        std::fs::write(t.data.join("walkin.p7m"), &p7m).expect("w");
        let out = std::process::Command::new("openssl")
            .args([
                "cms",
                "-verify",
                "-inform",
                "DER",
                "-in",
                "walkin.p7m",
                "-CAfile",
                "ca.pem",
            ])
            .current_dir(&t.data)
            .output()
            .expect("openssl");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let doc: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
        assert_eq!(doc["payer"], "Jan Przechodzień");
        assert!(doc["visit_id"].is_null());
    }
}

/// The same over the API: a walk-in payment, the receipt read by the clerk (not by another
/// person), voided once, and the clerk's day close that crosses it out of the total.
#[tokio::test]
async fn cash_at_the_counter_over_the_api() {
    let t = TestServer::seeded().await;
    let kasia = t.demo_token("kasia.poczta@okienko.test").await;
    let jan = t.demo_token("jan.kowalski@okienko.test").await;
    let (s, r) = post(
        &t,
        &kasia,
        "/api/v1/counter/payments",
        serde_json::json!({"payer": "", "amount": "12,50", "title": "Opłata"}),
    )
    .await;
    assert_eq!(s, 422, "{r}");
    let (s, r) = post(
        &t,
        &kasia,
        "/api/v1/counter/payments",
        serde_json::json!({"payer": "Anna Przechodzień", "amount": "12,50", "title": "Opłata skarbowa"}),
    )
    .await;
    assert_eq!(s, 201, "{r}");
    assert_eq!(
        (r["amount"].as_str(), r["payer_name"].as_str()),
        (Some("12.50"), Some("Anna Przechodzień"))
    );
    let id = r["id"].as_str().expect("id").to_string();
    let path = format!("/api/v1/counter/receipts/{id}");
    let (s, _) = crate::delivery::get_json(t.url(&path), Some(&jan)).await;
    assert_eq!(s, 404, "another person does not see it");
    let (s, again) = crate::delivery::get_json(t.url(&path), Some(&kasia)).await;
    assert_eq!((s, again["number"].clone()), (200, r["number"].clone()));
    let (s, _) = post(
        &t,
        &jan,
        &format!("{path}/void"),
        serde_json::json!({"reason": "Pomyłka"}),
    )
    .await;
    assert_eq!(s, 404);
    let (s, v) = post(
        &t,
        &kasia,
        &format!("{path}/void"),
        serde_json::json!({"reason": "Pomyłka"}),
    )
    .await;
    assert_eq!(s, 201, "{v}");
    let (s, _) = post(
        &t,
        &kasia,
        &format!("{path}/void"),
        serde_json::json!({"reason": "Pomyłka"}),
    )
    .await;
    assert_eq!(s, 409, "voided once");
    let (s, report) =
        crate::delivery::get_json(t.url("/api/v1/counter/cash-report?mine=1"), Some(&kasia)).await;
    assert_eq!(s, 200, "{report}");
    assert_eq!(report["total"], "0.00", "{report}");
    assert_eq!(
        report["receipts"][0]["void"]["reason"], "Pomyłka",
        "{report}"
    );
    let (s, _) = crate::delivery::get_json(
        t.url("/api/v1/counter/cash-report?date=2026-13-45"),
        Some(&kasia),
    )
    .await;
    assert_eq!(s, 422);
}
