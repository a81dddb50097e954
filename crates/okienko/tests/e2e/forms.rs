//! E-service forms end to end: a citizen applies in a real browser (with and without
//! JavaScript), over the API, and on a form whose new version is published meanwhile; the UPP
//! verifies with OpenSSL and its inclusion proof against a signed tree head.

use crate::browser::{click, fill, sign_in, start_browser_with, wait_text};
use crate::common::{principal, TestServer};
use crate::delivery::verify_evidence_outside;
use fantoccini::Locator;
use okienko_services::demo;
use serde_json::{json, Value};

async fn get(t: &TestServer, path: &str, token: &str) -> (u16, Value) {
    let r = reqwest::Client::new()
        .get(t.url(path))
        .bearer_auth(token)
        .send()
        .await
        .expect("get");
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

/// The UPP of a submission, checked outside okienko (OpenSSL, the log's proof); its content.
async fn upp_outside(t: &TestServer, token: &str, reference: &str) -> Value {
    let (status, s) = get(t, &format!("/api/v1/submissions/{reference}"), token).await;
    assert_eq!(status, 200, "{s}");
    let upp = s["upp"]["id"].as_str().expect("upp id").to_string();
    let (_, doc) = get(t, &format!("/api/v1/evidence/{upp}"), token).await;
    assert_eq!(doc["type"], "submission-receipt");
    assert_eq!(doc["reference"], reference);
    let mid = doc["message_id"].as_str().expect("message");
    let (_, list) = get(t, &format!("/api/v1/messages/{mid}/evidence"), token).await;
    let items: Vec<Value> = list["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter(|e| e["type"] == "submission-receipt")
        .cloned()
        .collect();
    assert_eq!(items.len(), 1, "{list}");
    if let Some(mut checked) = verify_evidence_outside(t, token, &items).await {
        return checked.remove(0);
    }
    doc
}

async fn citizen_applies_in_the_browser(javascript: bool) {
    let Some((b, _driver, _profile)) = start_browser_with(None, javascript).await else {
        return;
    };
    let t = TestServer::seeded().await;
    // Jan with his trusted profile, as the demo has him: the form fills in his name and PESEL,
    // and he signs with the trusted signature.
    demo::showcase(&t.services).await.expect("showcase");
    let vaccination = t.data.join("szczepienie.pdf");
    std::fs::write(&vaccination, b"%PDF-1.4\n% szczepienie\n%%EOF\n").expect("w");
    let certificate = t.data.join("certyfikat.pdf");
    std::fs::write(&certificate, b"%PDF-1.4\n% certyfikat\n%%EOF\n").expect("w");
    sign_in(&b, &t, "jan.kowalski@okienko.test", None).await;

    // Found without diacritics ("bezpłatny").
    b.goto(&t.url("/services?q=bezplatny+znaczek+psa&lang=en"))
        .await
        .expect("goto");
    wait_text(&b, "main", "Dog registration").await;
    b.find(Locator::LinkText("Dog registration"))
        .await
        .expect("link")
        .click()
        .await
        .expect("click");
    wait_text(&b, "h1", "Dog registration").await;
    click(&b, "main form button.big").await;

    // Step 1: prefilled from the trusted profile; the address typed.
    let page = wait_text(&b, "main", "Step 1 of 3").await;
    assert!(page.contains("The dog's owner"), "{page}");
    let name = b
        .find(Locator::Id("f-f-name"))
        .await
        .expect("name")
        .prop("value")
        .await
        .expect("value")
        .unwrap_or_default();
    assert_eq!(name, "Jan Kowalski");
    fill(&b, "f-f-address-street", "Polna").await;
    fill(&b, "f-f-address-building", "1").await;
    fill(&b, "f-f-address-postal_code", "00-95").await;
    fill(&b, "f-f-address-city", "Przykładowo").await;
    click(&b, "main button[value=next]").await;
    // A wrong postal code: said next to the field, nothing lost.
    let page = wait_text(&b, "main", "Enter a postal code").await;
    assert!(page.contains("Step 1 of 3"), "{page}");
    b.find(Locator::Id("f-f-address-postal_code"))
        .await
        .expect("code")
        .clear()
        .await
        .expect("clear");
    fill(&b, "f-f-address-postal_code", "00-950").await;
    click(&b, "main button[value=next]").await;

    // Step 2: a repeatable group, one more item added.
    wait_text(&b, "main", "Step 2 of 3").await;
    fill(&b, "f-f-dog-0-dog_name", "Burek").await;
    click(&b, "main button[value='add:dog']").await;
    wait_text(&b, "main", "Dog 2").await;
    fill(&b, "f-f-dog-1-dog_name", "Azor").await;
    fill(&b, "f-f-dog-1-chip", "616093900012345").await;
    click(&b, "main button[value=next]").await;

    // Step 3: a file, and a conditional file asked of an assistance dog.
    wait_text(&b, "main", "Step 3 of 3").await;
    b.find(Locator::Id("f-f-vaccination"))
        .await
        .expect("file")
        .send_keys(vaccination.to_str().expect("path"))
        .await
        .expect("attach");
    click(&b, "#f-f-guide_dog-1").await;
    if javascript {
        // The field is on the page either way; the server decides whether it applies.
    }
    b.find(Locator::Id("f-f-certificate"))
        .await
        .expect("conditional file")
        .send_keys(certificate.to_str().expect("path"))
        .await
        .expect("attach");
    // Leaves: saved, and listed in his applications.
    click(&b, "main button[value=later]").await;
    let mine = wait_text(&b, "main", "Your application is saved").await;
    assert!(mine.contains("Dog registration"), "{mine}");

    // Resumes (on any device: the draft is on the server) at the check page.
    b.find(Locator::LinkText("Dog registration"))
        .await
        .expect("draft")
        .click()
        .await
        .expect("click");
    let check = wait_text(&b, "main", "Check your answers before sending").await;
    for needle in [
        "Burek",
        "Azor",
        "szczepienie.pdf",
        "certyfikat.pdf",
        "Polna 1, 00-950 Przykładowo",
    ] {
        assert!(check.contains(needle), "{needle} not in {check}");
    }
    assert!(check.contains("trusted signature"), "{check}");
    fill(&b, "f-password", demo::PASSWORD).await;
    click(&b, "main form[action$='/submit'] button").await;

    // Submitted: the reference and the UPP.
    let done = wait_text(&b, "main", "Application submitted").await;
    let reference = b
        .find(Locator::Id("reference"))
        .await
        .expect("reference")
        .text()
        .await
        .expect("text");
    assert!(reference.starts_with("W-"), "{done}");
    click(&b, "#upp").await;
    wait_text(&b, "main", "Official receipt of submission (UPP)").await;

    // The UPP verifies outside; it names every document of the submission.
    let token = t.demo_token("jan.kowalski@okienko.test").await;
    let upp = upp_outside(&t, &token, &reference).await;
    let names: Vec<&str> = upp["documents"]
        .as_array()
        .expect("documents")
        .iter()
        .filter_map(|d| d["name"].as_str())
        .collect();
    assert_eq!(
        names,
        [
            "wniosek.json",
            "wniosek.json.p7s",
            "wniosek.pdf",
            "szczepienie.pdf",
            "certyfikat.pdf"
        ]
    );
    assert_eq!(upp["signed_by"], "trusted-signature");

    // An official of the handling department sees it in the office's inbox.
    b.delete_all_cookies().await.expect("sign out");
    sign_in(&b, &t, "anna.nowak@okienko.test", Some(t.totp())).await;
    let office = t
        .services
        .store
        .offices()
        .await
        .expect("offices")
        .remove(0)
        .id;
    b.goto(&t.url(&format!("/offices/{office}/submissions?lang=en")))
        .await
        .expect("goto");
    let inbox = wait_text(&b, "main", &reference).await;
    assert!(
        inbox.contains("Dog registration") && inbox.contains("New"),
        "{inbox}"
    );
    b.find(Locator::LinkText(&reference))
        .await
        .expect("open")
        .click()
        .await
        .expect("click");
    wait_text(&b, "main", "Burek").await;
    click(&b, "main button[value=registered]").await;
    wait_text(&b, "#status", "Registered").await;
    let _ = b.close().await;
}

#[tokio::test]
async fn a_citizen_applies_in_the_browser_and_the_office_sees_it() {
    citizen_applies_in_the_browser(true).await;
}

#[tokio::test]
async fn a_citizen_applies_in_the_browser_without_javascript() {
    citizen_applies_in_the_browser(false).await;
}

async fn submit_api(
    t: &TestServer,
    token: &str,
    service: &str,
    answers: Value,
    files: &[(&str, &[u8])],
    key: Option<&str>,
) -> (u16, Value) {
    let mut form = reqwest::multipart::Form::new().part(
        "answers",
        reqwest::multipart::Part::bytes(answers.to_string().into_bytes()),
    );
    for (name, bytes) in files {
        form = form.part(
            "attachment",
            reqwest::multipart::Part::bytes(bytes.to_vec()).file_name(name.to_string()),
        );
    }
    let mut req = reqwest::Client::new()
        .post(t.url(&format!("/api/v1/services/{service}/submissions")))
        .bearer_auth(token)
        .multipart(form);
    if let Some(k) = key {
        req = req.header("Idempotency-Key", k);
    }
    let r = req.send().await.expect("post");
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn a_submission_over_the_api_is_checked_receipted_and_answered_once_per_key() {
    let t = TestServer::seeded().await;
    let jan = t.demo_token("jan.kowalski@okienko.test").await;
    // The catalogue, searched without diacritics, names the form's version.
    let (_, found) = get(&t, "/api/v1/services?q=zaswiadczenie+o+zameldowaniu", &jan).await;
    let item = &found["items"][0];
    let zam = item["id"].as_str().expect("id").to_string();
    let (_, found) = get(&t, "/api/v1/services?q=rejestracja+psa", &jan).await;
    let dog = found["items"][0]["id"].as_str().expect("id").to_string();
    let (status, form) = get(&t, &format!("/api/v1/services/{dog}/form"), &jan).await;
    assert_eq!(status, 200);
    let version = form["version"].as_str().expect("version").to_string();
    assert_eq!(version.len(), 64);
    assert_eq!(found["items"][0]["form_version"], version.as_str());
    assert_eq!(form["steps"].as_array().map(Vec::len), Some(3));

    let answers = |dogs: Value| {
        json!({"version": version, "answers": {
            "name": "Jan Kowalski", "pesel": "44051401359",
            "address": {"street": "Polna", "building": "1", "postal_code": "00-950", "city": "Przykładowo"},
            "dog": dogs, "vaccination": "szczepienie.pdf", "guide_dog": false
        }})
    };
    let pdf: &[u8] = b"%PDF-1.4\n% szczepienie\n%%EOF\n";
    // Every answer that breaks the rules is named; nothing is sent.
    let (status, problem) = submit_api(
        &t,
        &jan,
        &dog,
        answers(json!([{"breed": "kundel"}])),
        &[("szczepienie.pdf", pdf)],
        None,
    )
    .await;
    assert_eq!(status, 422, "{problem}");
    let fields: Vec<&str> = problem["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .filter_map(|e| e["field"].as_str())
        .collect();
    assert_eq!(fields, ["dog[0].dog_name"], "{problem}");
    let (_, mine) = get(&t, "/api/v1/services", &jan).await;
    assert!(mine["items"].is_array());
    // A file answer without its part.
    let (status, _) = submit_api(
        &t,
        &jan,
        &dog,
        answers(json!([{"dog_name": "Burek"}])),
        &[],
        None,
    )
    .await;
    assert_eq!(status, 422);
    // A version that is not the published one.
    let mut stale = answers(json!([{"dog_name": "Burek"}]));
    stale["version"] = json!("0".repeat(64));
    let (status, _) = submit_api(&t, &jan, &dog, stale, &[("szczepienie.pdf", pdf)], None).await;
    assert_eq!(status, 422);

    let ok = answers(json!([{"dog_name": "Burek"}]));
    let (status, first) = submit_api(
        &t,
        &jan,
        &dog,
        ok.clone(),
        &[("szczepienie.pdf", pdf)],
        Some("k-1"),
    )
    .await;
    assert_eq!(status, 201, "{first}");
    assert_eq!(first["status"], "submitted");
    let (status, again) =
        submit_api(&t, &jan, &dog, ok, &[("szczepienie.pdf", pdf)], Some("k-1")).await;
    assert_eq!(status, 201);
    assert_eq!(
        again["reference"], first["reference"],
        "the same key is the same submission"
    );
    let reference = first["reference"].as_str().expect("reference");
    let upp = upp_outside(&t, &jan, reference).await;
    assert_eq!(upp["signed_by"], "account");
    let pdf_sha = okienko_trust::sha256(pdf);
    assert!(upp["documents"]
        .as_array()
        .expect("documents")
        .iter()
        .any(|d| d["name"] == "szczepienie.pdf" && d["sha256"] == hex::encode(pdf_sha)));
    // Only the person and the office's staff see it.
    let maria = t.demo_token("maria.wisniewska@okienko.test").await;
    let (status, _) = get(&t, &format!("/api/v1/submissions/{reference}"), &maria).await;
    assert_eq!(status, 404);
    let anna = t.demo_token("anna.nowak@okienko.test").await;
    let (status, seen) = get(&t, &format!("/api/v1/submissions/{reference}"), &anna).await;
    assert_eq!((status, seen["status"].as_str()), (200, Some("submitted")));
    // Routed to the handling department (OR): an official of another department of the same
    // office neither opens it nor finds it in the inbox; the office's admin does both.
    let piotr = t.demo_token("piotr.zielinski@okienko.test").await;
    let (status, _) = get(&t, &format!("/api/v1/submissions/{reference}"), &piotr).await;
    assert_eq!(status, 404, "another department");
    let office = t.services.store.offices().await.expect("offices")[0]
        .id
        .clone();
    let inbox_of = |who: &'static str| {
        let t = &t;
        let office = office.clone();
        async move {
            t.demo_web(who)
                .await
                .get(t.url(&format!("/offices/{office}/submissions?lang=en")))
                .send()
                .await
                .expect("inbox")
                .text()
                .await
                .expect("text")
        }
    };
    assert!(!inbox_of("piotr.zielinski@okienko.test")
        .await
        .contains(reference));
    assert!(inbox_of("anna.nowak@okienko.test")
        .await
        .contains(reference));
    assert!(inbox_of("urzad.admin@okienko.test")
        .await
        .contains(reference));

    // A fixed fee: the submission waits for payment.
    let (_, zam_form) = get(&t, &format!("/api/v1/services/{zam}/form"), &jan).await;
    let (status, paid) = submit_api(
        &t,
        &jan,
        &zam,
        json!({"version": zam_form["version"], "answers": {
            "name": "Jan Kowalski", "pesel": "44051401359", "proxy": false, "kind": ["permanent", "history"]
        }}),
        &[],
        None,
    )
    .await;
    assert_eq!(status, 201, "{paid}");
    assert_eq!(paid["status"], "awaiting-payment");
}

#[tokio::test]
async fn a_new_version_carries_open_drafts_and_old_submissions_keep_theirs() {
    let t = TestServer::seeded().await;
    let s = &t.services;
    let jan = principal(&t, "jan.kowalski@okienko.test").await;
    let admin = principal(&t, "urzad.admin@okienko.test").await;
    let upi = t.demo_service("UPI-1").await;
    // A v1 submission, and a v1 draft left open.
    let v1 = s.service_form(&upi).await.expect("v1");
    let answers: okienko_domain::forms::Answers = serde_json::from_value(json!({
        "subject": "Proszę o uchwały rady z 2026 r.", "form": "email", "email": "jan@example.pl"
    }))
    .expect("answers");
    let done = s
        .submit_form(
            &jan,
            okienko_services::forms::SubmitForm {
                service_id: upi.clone(),
                version: Some(v1.version.version.clone()),
                answers: answers.clone(),
                uploads: vec![],
                draft_id: None,
                password: None,
                code: None,
                idempotency_key: None,
                assisted: None,
            },
        )
        .await
        .expect("v1 submission");
    let draft = s.start_draft(&jan, &upi, false).await.expect("draft");
    let saved = s
        .save_step(&jan, &draft, 0, answers.clone(), vec![])
        .await
        .expect("saved");
    assert!(matches!(
        saved,
        okienko_services::forms::StepSaved::Next(None)
    ));

    // v2: the email is gone, a phone is asked instead, and "form" is required anew.
    let mut def = (*v1.def).clone();
    def.steps[0].fields.retain(|f| f.id != "email");
    let mut phone = def.steps[0].fields[0].clone();
    phone.id = "phone".into();
    phone.kind = okienko_domain::forms::Kind::Phone;
    phone.required = json!(false);
    phone.options.clear();
    phone.visible_if = None;
    phone.hint.clear();
    def.steps[0].fields.push(phone);
    let v2 = s
        .publish_form(&admin, &upi, &def.canonical())
        .await
        .expect("publish")
        .expect("valid");
    assert_eq!(v2.n, 2);
    // Publishing the same again changes nothing.
    let same = s
        .publish_form(&admin, &upi, &def.canonical())
        .await
        .expect("publish")
        .expect("valid");
    assert_eq!((same.n, same.version.as_str()), (2, v2.version.as_str()));
    // A citizen may not publish; a definition naming a missing field is refused with its place.
    assert!(s.publish_form(&jan, &upi, &def.canonical()).await.is_err());
    let mut broken = serde_json::to_value(&def).expect("json");
    broken["steps"][0]["fields"][0]["visible_if"] = json!({"var": "nope"});
    let e = s
        .publish_form(&admin, &upi, broken.to_string().as_bytes())
        .await
        .expect("checked")
        .expect_err("refused");
    assert_eq!(
        (e.path.as_str(), e.code, e.detail.as_str()),
        (
            "steps[0].fields[0].visible_if.var",
            "err-form-def-unknown-field",
            "nope"
        )
    );

    // The open draft is carried to v2 and the person is told what to check again.
    let view = s.my_draft(&jan, &draft).await.expect("draft");
    assert_eq!(view.draft.version, v2.version);
    assert_eq!(view.recheck, ["email"]);
    assert_eq!(view.answers["subject"], answers["subject"]);
    // The v1 submission still renders with v1.
    let (sub, form) = s
        .submission_view(&jan, &done.reference)
        .await
        .expect("view");
    assert_eq!(
        (form.version.n, sub.version.as_str()),
        (1, v1.version.version.as_str())
    );
    let rows = okienko_services::forms::answer_rows(
        &form.def,
        &serde_json::from_str(&sub.answers).expect("a"),
        okienko_i18n::Lang::En,
    );
    assert!(rows.iter().any(|(_, v)| v == "jan@example.pl"), "{rows:?}");
    // Over the web too.
    let web = t.demo_web("jan.kowalski@okienko.test").await;
    let page = web
        .get(t.url(&format!("/submissions/{}?lang=en", done.reference)))
        .send()
        .await
        .expect("page")
        .text()
        .await
        .expect("text");
    assert!(
        page.contains("jan@example.pl") && page.contains("version 1"),
        "{page}"
    );
}

#[tokio::test]
async fn a_fee_waits_for_the_providers_notification_a_forged_one_is_refused_a_replay_counts_once() {
    use okienko_domain::payments::{sign_fields, Notification};
    let t = TestServer::seeded().await;
    let jan = t.demo_token("jan.kowalski@okienko.test").await;
    let (_, found) = get(&t, "/api/v1/services?q=zaswiadczenie+o+zameldowaniu", &jan).await;
    let zam = found["items"][0]["id"].as_str().expect("id").to_string();
    let (_, form) = get(&t, &format!("/api/v1/services/{zam}/form"), &jan).await;
    let (status, done) = submit_api(
        &t,
        &jan,
        &zam,
        json!({"version": form["version"], "answers": {
            "name": "Jan Kowalski", "pesel": "44051401359", "proxy": false, "kind": ["permanent"]}}),
        &[],
        None,
    )
    .await;
    assert_eq!(
        (status, done["status"].as_str()),
        (201, Some("awaiting-payment"))
    );
    let reference = done["reference"].as_str().expect("reference").to_string();
    let status_of = || async {
        get(&t, &format!("/api/v1/submissions/{reference}"), &jan)
            .await
            .1["status"]
            .as_str()
            .unwrap_or("")
            .to_string()
    };

    // Jan pays: to the provider (here the simulator, which says so).
    let web = t.demo_web("jan.kowalski@okienko.test").await;
    let page = format!("/submissions/{reference}?lang=en");
    let csrf = t.csrf(&web, &page).await;
    let r = web
        .post(t.url(&format!("/submissions/{reference}/pay")))
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .expect("pay");
    assert_eq!(r.status(), 303);
    let to = r.headers()["location"]
        .to_str()
        .expect("location")
        .to_string();
    let path = to
        .strip_prefix(&t.base)
        .expect("the simulator is this installation");
    assert!(path.starts_with("/payment-simulator/trnRequest/"), "{to}");
    // An app starts the same payment over the API: the pending transaction, not a second.
    let r = reqwest::Client::new()
        .post(t.url(&format!("/api/v1/submissions/{reference}/payment")))
        .bearer_auth(&jan)
        .send()
        .await
        .expect("api payment");
    assert_eq!(r.status(), 201);
    let started: Value = r.json().await.expect("json");
    assert_eq!(started["redirect_url"], to.as_str());
    let sim = web
        .get(t.url(&format!("{path}?lang=en")))
        .send()
        .await
        .expect("simulator")
        .text()
        .await
        .expect("text");
    assert!(
        sim.contains("This is a simulator") && sim.contains("17.00"),
        "{sim}"
    );
    assert_eq!(status_of().await, "awaiting-payment");

    // A forged notification (signed with another secret) is refused and changes nothing.
    let payment = t
        .services
        .store
        .payments_of_message(
            &t.services
                .store
                .submission(&reference)
                .await
                .expect("read")
                .expect("there")
                .message_id,
        )
        .await
        .expect("payments")
        .remove(0);
    let mut forged = Notification {
        merchant_id: t.services.payments.merchant_id.clone(),
        session_id: payment.session_id.clone(),
        order_id: "666".into(),
        amount: payment.amount,
        currency: payment.currency.clone(),
        sign: String::new(),
    };
    forged.sign = sign_fields(b"not the secret", &forged.fields());
    let notify = |n: &Notification| {
        reqwest::Client::new()
            .post(t.url("/api/v1/payments/notify"))
            .json(n)
            .send()
    };
    assert_eq!(notify(&forged).await.expect("forged").status(), 422);
    // Even correctly signed, a notification the provider cannot confirm does not count.
    let mut unconfirmed = forged.clone();
    unconfirmed.sign = sign_fields(&t.services.payments.secret, &unconfirmed.fields());
    assert_eq!(
        notify(&unconfirmed).await.expect("unconfirmed").status(),
        422
    );
    assert_eq!(status_of().await, "awaiting-payment");
    // Held back until paid: nothing has reached the office's mailbox.
    assert!(t
        .services
        .store
        .deliveries(&payment.message_id)
        .await
        .expect("deliveries")
        .is_empty());

    // Paid on the simulator's page: it notifies okienko, which verifies, then counts it.
    let csrf = t.csrf(&web, path).await;
    let r = web
        .post(t.url(path))
        .form(&[("csrf", csrf.as_str()), ("action", "pay")])
        .send()
        .await
        .expect("paid");
    assert_eq!(r.status(), 303);
    assert!(r.headers()["location"]
        .to_str()
        .expect("back")
        .contains(&format!("/submissions/{reference}")));
    assert_eq!(status_of().await, "submitted");
    // The same notification again (a replay) is answered and counted once.
    let paid = t
        .services
        .store
        .payment(&payment.session_id)
        .await
        .expect("read")
        .expect("there");
    let mut replay = Notification {
        order_id: paid.order_id.clone().expect("order id"),
        ..forged.clone()
    };
    replay.sign = sign_fields(&t.services.payments.secret, &replay.fields());
    assert_eq!(notify(&replay).await.expect("replay").status(), 200);
    assert_eq!(notify(&replay).await.expect("replay").status(), 200);
    let (chain, _) = t.services.store.audit_chain().await.expect("audit");
    let counted = chain
        .iter()
        .filter(|(e, _)| e.action == "payment.paid")
        .count();
    let refused = chain
        .iter()
        .filter(|(e, _)| e.action == "payment.refused")
        .count();
    assert_eq!((counted, refused), (1, 2));
    // Paid, it reached the office's mailbox once, with the signed evidence of it.
    let released = chain
        .iter()
        .filter(|(e, _)| e.action == "submission.release")
        .count();
    assert_eq!(released, 1);
    let delivered = t
        .services
        .store
        .deliveries(&payment.message_id)
        .await
        .expect("deliveries");
    assert_eq!(delivered.len(), 1);
    let consigned = t
        .services
        .store
        .evidence_of_message(&payment.message_id)
        .await
        .expect("evidence")
        .into_iter()
        .filter(|e| e.kind == "content-consignment")
        .collect::<Vec<_>>();
    assert_eq!(consigned.len(), 1);
    assert!(consigned[0].log_index >= 0);
    assert!(consigned[0].document.contains(&reference));

    // The office's day balances with the provider's book (the office's admin: payments are
    // the whole office's, not a department's).
    let anna = t.demo_web("urzad.admin@okienko.test").await;
    let office = t
        .services
        .store
        .offices()
        .await
        .expect("offices")
        .remove(0)
        .id;
    let report = anna
        .get(t.url(&format!("/offices/{office}/payments?lang=en")))
        .send()
        .await
        .expect("report")
        .text()
        .await
        .expect("text");
    assert!(
        report.contains("The payments agree with the provider") && report.contains("17.00"),
        "{report}"
    );
}

#[tokio::test]
async fn an_office_admin_publishes_a_form_in_the_browser_and_a_mistake_names_its_place() {
    let t = TestServer::seeded().await;
    let admin = t.demo_web("urzad.admin@okienko.test").await;
    let upi = t.demo_service("UPI-1").await;
    let page = format!("/services/{upi}/form/edit?lang=en");
    let html = admin
        .get(t.url(&page))
        .send()
        .await
        .expect("page")
        .text()
        .await
        .expect("text");
    assert!(html.contains("form language"), "{html}");
    let post = |definition: String| {
        let csrf = html
            .split("name=\"csrf\" value=\"")
            .nth(1)
            .and_then(|s| s.split('"').next())
            .expect("csrf")
            .to_string();
        let form = reqwest::multipart::Form::new()
            .text("csrf", csrf)
            .text("definition", definition);
        admin
            .post(t.url(&format!("/services/{upi}/form/edit?lang=en")))
            .multipart(form)
            .send()
    };
    let current = t.services.service_form(&upi).await.expect("form");
    let mut v: Value = serde_json::to_value(&current.def).expect("json");
    v["steps"][0]["fields"][2]["visible_if"] = json!({"==": [{"var": "from"}, "email"]});
    let r = post(v.to_string()).await.expect("post");
    assert_eq!(r.status(), 422);
    let body = r.text().await.expect("text");
    assert!(
        body.contains("The rule refers to a field that does not exist: from (steps[0].fields[2].visible_if.==[0].var)"),
        "{body}"
    );
    v["steps"][0]["fields"][2]["visible_if"] = json!({"==": [{"var": "form"}, "email"]});
    v["steps"][0]["title"]["en"] = json!("What you need to know");
    let r = post(v.to_string()).await.expect("post");
    assert_eq!(r.status(), 303);
    let now = t.services.service_form(&upi).await.expect("form");
    assert_eq!(now.version.n, 2);
    assert_eq!(
        okienko_domain::forms::text(&now.def.steps[0].title, "en"),
        "What you need to know"
    );
    // A citizen cannot even see the page.
    let jan = t.demo_web("jan.kowalski@okienko.test").await;
    let r = jan.get(t.url(&page)).send().await.expect("page");
    assert_eq!(r.status(), 404);
}

#[tokio::test]
async fn a_draft_is_reminded_once_three_days_before_it_expires_then_deleted() {
    let t = TestServer::seeded().await;
    let s = &t.services;
    let jan = principal(&t, "jan.kowalski@okienko.test").await;
    let dog = t.demo_service("PIES-1").await;
    let draft = s.start_draft(&jan, &dog, false).await.expect("draft");
    // Not yet: 26 days after the last save.
    t.clock.advance(time::Duration::days(26));
    assert_eq!(s.draft_sweep().await.expect("sweep"), 0);
    // Three days before it expires: one email, once, in Jan's language, with the link.
    t.clock
        .advance(time::Duration::days(1) + time::Duration::hours(1));
    assert_eq!(s.draft_sweep().await.expect("sweep"), 1);
    assert_eq!(s.draft_sweep().await.expect("sweep"), 0);
    t.run_jobs().await;
    let mails: Vec<String> = t
        .outbox()
        .into_iter()
        .filter(|m| m.contains(&format!("/drafts/{draft}")))
        .collect();
    assert_eq!(mails.len(), 1, "{mails:?}");
    // Still there to finish; gone once it expired.
    assert!(s.my_draft(&jan, &draft).await.is_ok());
    t.clock.advance(time::Duration::days(3));
    s.draft_sweep().await.expect("sweep");
    assert!(s.store.draft(&draft).await.expect("read").is_none());
}

#[tokio::test]
async fn a_file_answer_cannot_name_a_stored_document_by_its_hash() {
    let t = TestServer::seeded().await;
    let jan = t.demo_token("jan.kowalski@okienko.test").await;
    let (_, found) = get(&t, "/api/v1/services?q=rejestracja+psa", &jan).await;
    let dog = found["items"][0]["id"].as_str().expect("id").to_string();
    let (_, form) = get(&t, &format!("/api/v1/services/{dog}/form"), &jan).await;
    // Someone else's document, stored, known by its hash.
    let secret: &[u8] = b"%PDF-1.4\n% someone else decision\n%%EOF\n";
    let sha = t
        .services
        .blobs
        .put(secret.to_vec().into())
        .await
        .expect("put");
    let (status, problem) = submit_api(
        &t,
        &jan,
        &dog,
        json!({"version": form["version"], "answers": {
            "name": "Jan Kowalski", "pesel": "44051401359",
            "address": {"street": "Polna", "building": "1", "postal_code": "00-950", "city": "Przykładowo"},
            "dog": [{"dog_name": "Burek"}], "guide_dog": false,
            "vaccination": {"name": "x.pdf", "sha256": sha, "size": secret.len(), "media_type": "application/pdf"}
        }}),
        &[],
        None,
    )
    .await;
    assert_eq!(status, 422, "{problem}");
    assert_eq!(problem["errors"][0]["field"], "vaccination");
}

#[tokio::test]
async fn an_official_exports_a_services_submissions_as_csv_and_json_in_the_background() {
    let t = TestServer::seeded().await;
    let s = &t.services;
    let jan = principal(&t, "jan.kowalski@okienko.test").await;
    let office = s.store.offices().await.expect("offices").remove(0).id;
    let upi = t.demo_service("UPI-1").await;
    // Three submissions; one says something a spreadsheet would run as a formula.
    let mut references = Vec::new();
    for subject in [
        "Uchwały rady, 2026",
        "=HYPERLINK(\"http://evil.example\")",
        "Protokoły \"sesji\"",
    ] {
        let answers = serde_json::from_value(json!({
            "subject": subject, "form": "email", "email": "jan@example.pl"
        }))
        .expect("answers");
        let done = s
            .submit_form(
                &jan,
                okienko_services::forms::SubmitForm {
                    service_id: upi.clone(),
                    version: None,
                    answers,
                    uploads: vec![],
                    draft_id: None,
                    password: None,
                    code: None,
                    idempotency_key: None,
                    assisted: None,
                },
            )
            .await
            .expect("submitted");
        references.push(done.reference);
    }

    // Anna (OR, which handles UPI-1) asks for a CSV on the inbox page; the job makes it.
    let anna = t.demo_web("anna.nowak@okienko.test").await;
    let inbox = format!("/offices/{office}/submissions?service={upi}&lang=en");
    let page = anna
        .get(t.url(&inbox))
        .send()
        .await
        .expect("inbox")
        .text()
        .await
        .expect("text");
    assert!(page.contains("Prepare the export"), "{page}");
    let mut files = Vec::new();
    for format in ["csv", "json"] {
        let csrf = t.csrf(&anna, &inbox).await;
        let r = anna
            .post(t.url(&format!("/services/{upi}/submissions/export")))
            .form(&[("csrf", csrf.as_str()), ("format", format)])
            .send()
            .await
            .expect("export");
        assert_eq!(r.status(), 303);
        let page = r.headers()["location"]
            .to_str()
            .expect("location")
            .to_string();
        let waiting = anna
            .get(t.url(&format!("{page}?lang=en")))
            .send()
            .await
            .expect("page")
            .text()
            .await
            .expect("text");
        // Queued, unless the server's own runner (every half second) has made it already.
        assert!(
            (waiting.contains("queued") && waiting.contains("0 of 3 applications"))
                || waiting.contains("3 of 3 applications"),
            "{waiting}"
        );
        // Run it here, or wait for the server's runner that may have claimed it already.
        t.run_jobs().await;
        let ready = anna
            .get(t.url(&format!("{page}?lang=en")))
            .send()
            .await
            .expect("page")
            .text()
            .await
            .expect("text");
        assert!(
            ready.contains("3 of 3 applications") && ready.contains("Download the file"),
            "{ready}"
        );
        let r = anna
            .get(t.url(&format!("{page}/download")))
            .send()
            .await
            .expect("download");
        assert_eq!(r.status(), 200);
        assert!(r.headers()["content-disposition"]
            .to_str()
            .expect("name")
            .contains("UPI-1-"));
        files.push(r.text().await.expect("file"));
        // Piotr (GK) handles other services: neither the page nor the file.
        let piotr = t.demo_web("piotr.zielinski@okienko.test").await;
        let r = piotr
            .get(t.url(&format!("{page}/download")))
            .send()
            .await
            .expect("download");
        assert_eq!(r.status(), 404);
    }
    let csv = &files[0];
    let head = csv.lines().next().expect("header");
    // In Anna's language (English here): the columns named, then each field by its label.
    assert_eq!(
        head,
        "Application number,Submitted,Status,Fee,Form version,Your request,In what form,Email address,Postal address"
    );
    for r in &references {
        assert!(csv.contains(r.as_str()), "{csv}");
    }
    // Quoted as RFC 4180 says, and the formula defused with an apostrophe.
    assert!(csv.contains("\"Uchwały rady, 2026\""), "{csv}");
    assert!(
        csv.contains("\"'=HYPERLINK(\"\"http://evil.example\"\")\""),
        "{csv}"
    );
    assert!(csv.contains("\"Protokoły \"\"sesji\"\"\""), "{csv}");
    let json: Value = serde_json::from_str(&files[1]).expect("JSON");
    let items = json.as_array().expect("array");
    assert_eq!(items.len(), 3);
    assert_eq!(
        items[1]["answers"]["subject"],
        "=HYPERLINK(\"http://evil.example\")"
    );
    assert!(items
        .iter()
        .all(|i| i["upp"].as_str().is_some_and(|u| u.starts_with("EV-"))));
}

#[tokio::test]
async fn a_clerk_applies_for_a_citizen_at_the_counter_and_prints_the_upp() {
    let t = TestServer::seeded().await;
    let s = &t.services;
    demo::showcase(s).await.expect("Jan's trusted profile");
    let clerk = t.demo_web("kasia.poczta@okienko.test").await;
    let csrf = t.csrf(&clerk, "/counter/visits").await;
    let r = clerk
        .post(t.url("/counter/visits"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("pesel", "44051401359"),
            ("id_document_number", "ABA300000"),
            ("consent", "1"),
        ])
        .send()
        .await
        .expect("visit");
    assert_eq!(r.status(), 303);
    let visit = r.headers()["location"].to_str().expect("visit").to_string();
    let get = |path: String| {
        let clerk = &clerk;
        let t = &t;
        async move {
            let r = clerk.get(t.url(&path)).send().await.expect("get");
            (r.status().as_u16(), r.text().await.expect("text"))
        }
    };
    // The service is found without its diacritics; the draft is Jan's.
    let (status, found) = get(format!("{visit}/apply?q=informacji+publicznej&lang=en")).await;
    assert_eq!(status, 200);
    assert!(found.contains("Fill in"), "{found}");
    let upi = t.demo_service("UPI-1").await;
    let csrf = t.csrf(&clerk, &format!("{visit}/apply")).await;
    let r = clerk
        .post(t.url(&format!("{visit}/apply")))
        .form(&[("csrf", csrf.as_str()), ("service", upi.as_str())])
        .send()
        .await
        .expect("apply");
    assert_eq!(r.status(), 303);
    let draft_path = r.headers()["location"].to_str().expect("draft").to_string();
    let draft = draft_path.trim_start_matches("/drafts/").to_string();
    let jan = principal(&t, "jan.kowalski@okienko.test").await;
    assert_eq!(
        s.store
            .draft(&draft)
            .await
            .expect("read")
            .expect("there")
            .user_id,
        jan.user.id
    );
    let (status, step) = get(format!("/drafts/{draft}/steps/0?lang=en")).await;
    assert_eq!(status, 200);
    assert!(
        step.contains("You are filling in this application for Jan Kowalski"),
        "{step}"
    );
    let csrf = t.csrf(&clerk, &format!("/drafts/{draft}/steps/0")).await;
    let form = reqwest::multipart::Form::new()
        .text("csrf", csrf)
        .text("f.subject", "Uchwały rady gminy z 2026 r.")
        .text("f.form", "email")
        .text("f.email", "jan@example.pl")
        .text("action", "next");
    let r = clerk
        .post(t.url(&format!("/drafts/{draft}/steps/0")))
        .multipart(form)
        .send()
        .await
        .expect("step");
    assert_eq!(r.status(), 303, "{}", r.text().await.unwrap_or_default());
    // Nobody else may fill it: not another person, not an official without the visit.
    for who in ["maria.wisniewska@okienko.test", "anna.nowak@okienko.test"] {
        let r = t
            .demo_web(who)
            .await
            .get(t.url(&format!("/drafts/{draft}/steps/0")))
            .send()
            .await
            .expect("get");
        assert_eq!(r.status(), 404, "{who}");
    }
    // Check the answers: no password asked; the counter vouches.
    let (status, check) = get(format!("/drafts/{draft}/check?lang=en")).await;
    assert_eq!(status, 200);
    assert!(
        check.contains("identity was confirmed at the counter") && !check.contains("f-password"),
        "{check}"
    );
    let csrf = t.csrf(&clerk, &format!("/drafts/{draft}/check")).await;
    let r = clerk
        .post(t.url(&format!("/drafts/{draft}/submit")))
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .expect("submit");
    assert_eq!(r.status(), 303);
    let back = r.headers()["location"].to_str().expect("back").to_string();
    assert!(back.starts_with(&format!("{visit}?submitted=W-")), "{back}");
    let reference = back.rsplit('=').next().expect("reference").to_string();
    let (_, page) = get(format!("{back}&lang=en")).await;
    assert!(
        page.contains(&reference) && page.contains("Print the official receipt"),
        "{page}"
    );
    // The UPP names the counter and the clerk; it prints as a PDF for Jan.
    let sub = s
        .store
        .submission(&reference)
        .await
        .expect("read")
        .expect("there");
    assert_eq!(sub.user_id.as_deref(), Some(jan.user.id.as_str()));
    let upp = s
        .store
        .evidence(&sub.upp_id)
        .await
        .expect("read")
        .expect("UPP");
    let doc: Value = serde_json::from_str(&upp.document).expect("json");
    assert_eq!(doc["signed_by"], "counter-assisted");
    assert_eq!(doc["assisted"]["clerk"], "Katarzyna Pocztowa");
    let csrf = t.csrf(&clerk, &visit).await;
    let r = clerk
        .post(t.url(&format!("{visit}/upp")))
        .form(&[("csrf", csrf.as_str()), ("reference", reference.as_str())])
        .send()
        .await
        .expect("print");
    assert_eq!(r.status(), 200);
    assert!(r.bytes().await.expect("pdf").starts_with(b"%PDF"));
    // Jan sees it among his applications, and who did what in his Data Tracker.
    let mine = s.my_submissions(&jan).await.expect("mine");
    assert!(mine.iter().any(|x| x.reference == reference));
    let tracked: Vec<String> = s
        .store
        .audit_for_subject(&jan.user.id, 100)
        .await
        .expect("tracker")
        .into_iter()
        .map(|e| e.action)
        .collect();
    for a in [
        "counter.form.start",
        "counter.form.submit",
        "counter.upp.print",
    ] {
        assert!(tracked.iter().any(|x| x == a), "{a} in {tracked:?}");
    }
}

/// The definition a builder page carries (its hidden field, unescaped).
fn carried_definition(page: &str) -> String {
    let start = page
        .find("name=\"definition\" value=\"")
        .expect("the definition field")
        + "name=\"definition\" value=\"".len();
    let end = start + page[start..].find('"').expect("its end");
    page[start..end]
        .replace("&quot;", "\"")
        .replace("&#34;", "\"")
        .replace("&#x27;", "'")
        .replace("&#39;", "'")
        .replace("&lt;", "<")
        .replace("&#60;", "<")
        .replace("&gt;", ">")
        .replace("&#62;", ">")
        .replace("&amp;", "&")
        .replace("&#38;", "&")
}

#[tokio::test]
async fn an_office_admin_builds_a_form_in_the_browser_without_writing_json() {
    let t = TestServer::seeded().await;
    let s = &t.services;
    let service = t.demo_service("WYM-1").await;
    let admin = t.demo_web("urzad.admin@okienko.test").await;
    let url = format!("/services/{service}/form/build");
    let first = admin
        .get(t.url(&format!("{url}?lang=en")))
        .send()
        .await
        .expect("builder")
        .text()
        .await
        .expect("text");
    assert!(first.contains("The form has no steps yet"), "{first}");
    let mut definition = carried_definition(&first);
    // One press of a button: the edit, then the builder again with the definition it made.
    let press = |definition: String, fields: Vec<(&'static str, &'static str)>| {
        let admin = &admin;
        let t = &t;
        let url = url.clone();
        async move {
            let csrf = t.csrf(admin, &url).await;
            let mut form = vec![
                ("csrf".to_string(), csrf),
                ("definition".to_string(), definition),
            ];
            form.extend(
                fields
                    .into_iter()
                    .map(|(k, v)| (k.to_string(), v.to_string())),
            );
            let r = admin
                .post(t.url(&format!("{url}?lang=en")))
                .form(&form)
                .send()
                .await
                .expect("press");
            let status = r.status().as_u16();
            let location = r
                .headers()
                .get("location")
                .and_then(|l| l.to_str().ok())
                .unwrap_or("")
                .to_string();
            (status, location, r.text().await.expect("text"))
        }
    };
    let (status, _, page) = press(
        definition.clone(),
        vec![
            ("op", "add-step"),
            ("new-step-pl", "Dane wnioskodawcy"),
            ("new-step-en", "Your details"),
        ],
    )
    .await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("Step 1: Your details"), "{page}");
    definition = carried_definition(&page);
    for (kind, id, label) in [
        ("choice", "kind", "Rodzaj"),
        ("text", "name", "Imię i nazwisko"),
    ] {
        let (status, _, page) = press(
            definition.clone(),
            vec![
                ("op", "add-field:0"),
                ("new-kind-0", kind),
                ("new-id-0", id),
                ("new-label-0", label),
            ],
        )
        .await;
        assert_eq!(status, 200, "{page}");
        definition = carried_definition(&page);
    }
    // A malformed identifier is refused, named, and nothing changes.
    let (status, _, page) = press(
        definition.clone(),
        vec![
            ("op", "add-field:0"),
            ("new-kind-0", "text"),
            ("new-id-0", "Bad Id"),
            ("new-label-0", "x"),
        ],
    )
    .await;
    assert_eq!(status, 422);
    assert!(page.contains("Bad Id"), "{page}");
    assert_eq!(carried_definition(&page), definition);
    // The name (labelled in the page's language when added): required, shown only for the
    // first kind, moved first.
    let (_, _, page) = press(definition.clone(), vec![("op", "edit-field:0:1")]).await;
    assert!(
        page.contains("name=\"label-en\" value=\"Imię i nazwisko\""),
        "{page}"
    );
    let (status, _, page) = press(
        definition.clone(),
        vec![
            ("op", "save-field:0:1"),
            ("label-pl", "Imię i nazwisko"),
            ("label-en", "Full name"),
            ("required", "1"),
            ("visible_if", r#"{"==": [{"var": "kind"}, "option1"]}"#),
        ],
    )
    .await;
    assert_eq!(status, 200, "{page}");
    definition = carried_definition(&page);
    let (_, _, page) = press(definition.clone(), vec![("op", "up-field:0:1")]).await;
    definition = carried_definition(&page);
    let (_, _, page) = press(definition.clone(), vec![("op", "preview")]).await;
    assert!(
        page.contains("Full name") && page.contains("<fieldset disabled>"),
        "{page}"
    );
    // Published: version 1, the name first and required.
    let (status, location, _) = press(definition.clone(), vec![("op", "publish")]).await;
    assert_eq!(status, 303);
    assert!(location.contains("notice-form-published"), "{location}");
    let form = s.service_form(&service).await.expect("published");
    assert_eq!(form.version.n, 1);
    let f = &form.def.steps[0].fields;
    assert_eq!((f[0].id.as_str(), f[1].id.as_str()), ("name", "kind"));
    assert_eq!(f[0].required, json!(true));
    // Removing the field the rule reads, then publishing: refused with the place.
    let (_, _, page) = press(definition.clone(), vec![("op", "remove-field:0:1")]).await;
    let (status, _, page) = press(carried_definition(&page), vec![("op", "publish")]).await;
    assert_eq!(status, 422);
    assert!(page.contains("steps[0].fields[0].visible_if"), "{page}");
    assert_eq!(s.service_form(&service).await.expect("still").version.n, 1);
    // A citizen cannot open the builder.
    let jan = t.demo_web("jan.kowalski@okienko.test").await;
    let r = jan.get(t.url(&url)).send().await.expect("jan");
    assert_eq!(r.status(), 404);
}

#[tokio::test]
async fn the_address_kept_with_the_trusted_profile_fills_a_forms_address() {
    let t = TestServer::seeded().await;
    let jan = principal(&t, "jan.kowalski@okienko.test").await;
    let web = t.demo_web("jan.kowalski@okienko.test").await;
    let post = |form: Vec<(&'static str, &'static str)>| {
        let (web, t) = (web.clone(), &t);
        async move {
            let csrf = t.csrf(&web, "/trusted-profile").await;
            let mut form = form;
            form.push(("csrf", Box::leak(csrf.into_boxed_str())));
            web.post(t.url("/trusted-profile/address"))
                .form(&form)
                .send()
                .await
                .expect("post")
        }
    };
    let typed = |code: &'static str| {
        vec![
            ("street", "Polna"),
            ("building", "12"),
            ("flat", "3"),
            ("postal_code", code),
            ("city", "Przykładowo"),
            ("action", "keep"),
        ]
    };
    // A wrong postal code: said next to the field, what was typed kept, nothing stored.
    let r = post(typed("00-95")).await;
    assert_eq!(r.status(), 422);
    let page = r.text().await.expect("page");
    assert!(
        page.contains("Wpisz kod pocztowy") && page.contains("value=\"Polna\""),
        "{page}"
    );
    assert_eq!(t.services.my_address(&jan).await.expect("none"), None);
    // Kept.
    let r = post(typed("00-950")).await;
    assert_eq!(r.status(), 303);
    let kept = t
        .services
        .my_address(&jan)
        .await
        .expect("kept")
        .expect("one");
    assert_eq!(
        (kept["street"].as_str(), kept["postal_code"].as_str()),
        (Some("Polna"), Some("00-950"))
    );
    let page = web
        .get(t.url("/trusted-profile?notice=notice-tp-address-kept"))
        .send()
        .await
        .expect("page")
        .text()
        .await
        .expect("text");
    assert!(
        page.contains("Adres zapisany") && page.contains("value=\"Przykładowo\""),
        "{page}"
    );

    // A new application for a dog: the owner's address is filled in.
    let (_, found) = get(
        &t,
        "/api/v1/services?q=bezplatny+znaczek+psa",
        &t.demo_token("jan.kowalski@okienko.test").await,
    )
    .await;
    let dog = found["items"][0]["id"].as_str().expect("id").to_string();
    let csrf = t.csrf(&web, &format!("/services/{dog}")).await;
    let r = web
        .post(t.url(&format!("/services/{dog}/form")))
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .expect("start");
    assert_eq!(r.status(), 303);
    let step = r.headers()["location"].to_str().expect("to").to_string();
    let page = web
        .get(t.url(&step))
        .send()
        .await
        .expect("step")
        .text()
        .await
        .expect("text");
    for v in ["Polna", "12", "00-950", "Przykładowo"] {
        assert!(page.contains(&format!("value=\"{v}\"")), "{v}: {page}");
    }
    // Forgotten; both acts are in the audit trail about Jan.
    let r = post(vec![("action", "forget")]).await;
    assert_eq!(r.status(), 303);
    assert_eq!(t.services.my_address(&jan).await.expect("gone"), None);
    let acts = t
        .services
        .store
        .audit_for_subject(&jan.user.id, 100)
        .await
        .expect("audit");
    assert_eq!(
        acts.iter()
            .filter(|e| e.action == "trusted_profile.address")
            .count(),
        2
    );
}

#[tokio::test]
async fn a_clerk_takes_a_held_applications_fee_in_cash_and_it_reaches_the_office_once() {
    let t = TestServer::seeded().await;
    let s = &t.services;
    demo::showcase(s).await.expect("Jan's trusted profile");
    let jan = t.demo_token("jan.kowalski@okienko.test").await;
    let (_, found) = get(&t, "/api/v1/services?q=zaswiadczenie+o+zameldowaniu", &jan).await;
    let zam = found["items"][0]["id"].as_str().expect("id").to_string();
    let (_, form) = get(&t, &format!("/api/v1/services/{zam}/form"), &jan).await;
    let (status, done) = submit_api(
        &t,
        &jan,
        &zam,
        json!({"version": form["version"], "answers": {
            "name": "Jan Kowalski", "pesel": "44051401359", "proxy": false, "kind": ["permanent"]}}),
        &[],
        None,
    )
    .await;
    assert_eq!(status, 201, "{done}");
    let reference = done["reference"].as_str().expect("reference").to_string();
    let sub = s
        .store
        .submission(&reference)
        .await
        .expect("read")
        .expect("there");
    assert!(sub.fee > 0 && sub.status == "awaiting-payment");

    // Jan at the post office counter: the clerk sees what his application waits for.
    let clerk = t.demo_web("kasia.poczta@okienko.test").await;
    let csrf = t.csrf(&clerk, "/counter/visits").await;
    let r = clerk
        .post(t.url("/counter/visits"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("pesel", "44051401359"),
            ("id_document_number", "ABA300000"),
            ("consent", "1"),
        ])
        .send()
        .await
        .expect("visit");
    assert_eq!(r.status(), 303);
    let visit = r.headers()["location"].to_str().expect("visit").to_string();
    let page = |path: String| {
        let (clerk, t) = (&clerk, &t);
        async move {
            let r = clerk.get(t.url(&path)).send().await.expect("get");
            (r.status().as_u16(), r.text().await.expect("text"))
        }
    };
    let (_, shown) = page(format!("{visit}?lang=en")).await;
    assert!(
        shown.contains("Application fees") && shown.contains(&reference),
        "{shown}"
    );
    let post = |fields: Vec<(&'static str, String)>| {
        let (clerk, t, visit) = (&clerk, &t, &visit);
        async move {
            let csrf = t.csrf(clerk, visit).await;
            let mut form = vec![("csrf", csrf)];
            form.extend(fields);
            clerk
                .post(t.url(&format!("{visit}/fee?lang=en")))
                .form(&form)
                .send()
                .await
                .expect("post")
        }
    };
    // Read out first: nothing is taken.
    let r = post(vec![("reference", reference.clone())]).await;
    assert_eq!(r.status(), 200);
    let check = r.text().await.expect("check");
    assert!(
        check.contains("Check the fee with the customer") && check.contains(&reference),
        "{check}"
    );
    assert!(s
        .store
        .payments_of_message(&sub.message_id)
        .await
        .expect("payments")
        .is_empty());
    // Taken: a receipt naming the application, the payment counted, the application released.
    let r = post(vec![
        ("reference", reference.clone()),
        ("action", "take".into()),
    ])
    .await;
    assert_eq!(r.status(), 303);
    let to = r.headers()["location"].to_str().expect("to").to_string();
    assert!(to.starts_with("/counter/receipts/RC-"), "{to}");
    let receipt_id = to
        .trim_start_matches("/counter/receipts/")
        .split('?')
        .next()
        .expect("id")
        .to_string();
    let (_, receipt) = page(format!("{to}&lang=en")).await;
    assert!(
        receipt.contains("passed to the office")
            && receipt.contains(&reference)
            && !receipt.contains("/void\""),
        "{receipt}"
    );
    let paid = s
        .store
        .payments_of_message(&sub.message_id)
        .await
        .expect("payments");
    assert_eq!(paid.len(), 1);
    assert_eq!(
        (
            paid[0].session_id.as_str(),
            paid[0].channel.as_str(),
            paid[0].status.as_str(),
            paid[0].amount
        ),
        (receipt_id.as_str(), "cash", "paid", sub.fee)
    );
    let now = s.store.submission(&reference).await.expect("r").expect("t");
    assert_eq!(now.status, "submitted");
    assert_eq!(
        s.store
            .deliveries(&sub.message_id)
            .await
            .expect("deliveries")
            .len(),
        1
    );
    // The signed receipt names the application and verifies outside okienko.
    let r = clerk
        .get(t.url(&format!("/counter/receipts/{receipt_id}/signed")))
        .send()
        .await
        .expect("signed");
    assert_eq!(r.status(), 200);
    let der = r.bytes().await.expect("der");
    let path = t.data.join("fee-receipt.p7s");
    std::fs::write(&path, &der).expect("w");
    let out = std::process::Command::new("openssl")
        .args(["cms", "-verify", "-noverify", "-inform", "DER", "-in"])
        .arg(&path)
        .output()
        .expect("openssl");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let content: Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(content["submission"], reference.as_str());

    // Twice is refused: the fee is no longer due, and nothing more is taken or released.
    let r = post(vec![
        ("reference", reference.clone()),
        ("action", "take".into()),
    ])
    .await;
    assert_eq!(r.status(), 422);
    assert!(
        r.text().await.expect("t").contains("not waiting for a fee"),
        "second take"
    );
    let (_, shown) = page(format!("{visit}?lang=en")).await;
    assert!(!shown.contains("Application fees"), "{shown}");
    assert_eq!(
        s.store
            .payments_of_message(&sub.message_id)
            .await
            .expect("payments")
            .len(),
        1
    );
    // Not voidable: the office refunds.
    let csrf = t
        .csrf(&clerk, &format!("/counter/receipts/{receipt_id}"))
        .await;
    let r = clerk
        .post(t.url(&format!("/counter/receipts/{receipt_id}/void")))
        .form(&[
            ("csrf", csrf.as_str()),
            ("reason", "pomyłka"),
            ("confirmed", "1"),
        ])
        .send()
        .await
        .expect("void");
    assert_ne!(r.status(), 303);
    assert!(s
        .store
        .receipt(&receipt_id)
        .await
        .expect("r")
        .expect("t")
        .void
        .is_none());
    // The office's online reconciliation does not count cash.
    let day = s
        .country
        .local(okienko_domain::from_millis(s.now_ms()))
        .date();
    let rec = s
        .reconcile_payments(
            &principal(&t, "urzad.admin@okienko.test").await,
            &sub.office_id,
            day,
        )
        .await
        .expect("reconcile");
    assert_eq!(rec.total, 0);
}
