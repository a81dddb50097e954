//! Case management (EZD) end to end: a citizen's e-service submission registered in the
//! office's correspondence register, a case opened from it with its signature numbered in the
//! database, routed to an official, suspended (its KPA deadline moves by the days it stood
//! still), closed after a confirmation; bad input refused with nothing changed; only the
//! department's people see it, and the party's Data Tracker shows who read it.

use crate::common::{principal, TestServer};
use serde_json::{json, Value};
use time::macros::datetime;

async fn api(
    c: &reqwest::Client,
    t: &TestServer,
    token: &str,
    method: reqwest::Method,
    path: &str,
    body: Option<Value>,
) -> (u16, Value) {
    let mut r = c.request(method, t.url(path)).bearer_auth(token);
    if let Some(b) = body {
        r = r.json(&b);
    }
    let r = r.send().await.expect("request");
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn a_submission_becomes_a_numbered_case_that_is_routed_suspended_and_closed() {
    let t = TestServer::seeded().await;
    // Monday 7 December 2026: a month later is Thursday 7 January 2027.
    t.clock.set(datetime!(2026-12-07 09:00 UTC));
    let s = &t.services;
    let service = t.demo_service("ZAM-1").await;
    let jan = principal(&t, "jan.kowalski@okienko.test").await;
    let reference = s
        .submit_form(
            &jan,
            okienko_services::forms::SubmitForm {
                service_id: service,
                version: None,
                answers: serde_json::from_value(json!({
                    "name": "Jan Kowalski", "pesel": "44051401359", "proxy": false,
                    "kind": ["permanent"]
                }))
                .expect("answers"),
                uploads: vec![],
                draft_id: None,
                password: None,
                code: None,
                idempotency_key: None,
                assisted: None,
            },
        )
        .await
        .expect("a submission")
        .reference;
    let http = reqwest::Client::new();
    let anna = t.demo_token("anna.nowak@okienko.test").await;
    let piotr = t.demo_token("piotr.zielinski@okienko.test").await;
    let jan_token = t.demo_token("jan.kowalski@okienko.test").await;
    use reqwest::Method as M;

    // Registered in the office's register: numbered per office and year, once.
    let register = format!("/api/v1/submissions/{reference}/register");
    let (st, entry) = api(&http, &t, &jan_token, M::POST, &register, None).await;
    assert_eq!(st, 404, "the applicant does not register: {entry}");
    let (st, entry) = api(&http, &t, &anna, M::POST, &register, None).await;
    assert_eq!(st, 201, "{entry}");
    assert_eq!(entry["number"], "1/2026");
    assert_eq!(entry["correspondent"], "Jan Kowalski");
    let (_, again) = api(&http, &t, &anna, M::POST, &register, None).await;
    assert_eq!(again["id"], entry["id"], "registered once");
    let entry_id = entry["id"].as_str().expect("entry id").to_string();

    // Bad input: each a clear message, nothing opened.
    let bad = [
        (
            json!({"department": "OR", "jrwa": "53", "title": "Zameldowanie"}),
            "jrwa",
        ),
        (
            json!({"department": "OR", "jrwa": "9999", "title": "Zameldowanie"}),
            "jrwa",
        ),
        (
            json!({"department": "GK", "jrwa": "530", "title": "Zameldowanie"}),
            "department",
        ),
        (
            json!({"department": "OR", "jrwa": "530", "title": " "}),
            "title",
        ),
        (
            json!({"department": "OR", "jrwa": "530", "title": "x", "term": "year"}),
            "term",
        ),
    ];
    for (body, field) in bad {
        let (st, p) = api(
            &http,
            &t,
            &anna,
            M::POST,
            "/api/v1/cases",
            Some(body.clone()),
        )
        .await;
        assert_eq!(st, 422, "{body}: {p}");
        assert!(
            p["errors"]
                .as_array()
                .expect("errors")
                .iter()
                .any(|e| e["field"] == field),
            "{body}: {p}"
        );
    }
    let (_, list) = api(&http, &t, &anna, M::GET, "/api/v1/cases", None).await;
    assert_eq!(
        list["items"].as_array().expect("items").len(),
        0,
        "nothing opened"
    );

    // Opened from the register entry: the signature, the deadline from the UPP's day.
    let (st, opened) = api(
        &http,
        &t,
        &anna,
        M::POST,
        "/api/v1/cases",
        Some(
            json!({"department": "OR", "jrwa": "530", "title": "Zameldowanie na pobyt stały",
                    "register_entry": entry_id}),
        ),
    )
    .await;
    assert_eq!(st, 201, "{opened}");
    assert_eq!(opened["signature"], "OR.530.1.2026");
    assert_eq!(opened["deadline"], "2027-01-07");
    let case_id = opened["id"].as_str().expect("id").to_string();
    let (st, twice) = api(
        &http,
        &t,
        &anna,
        M::POST,
        "/api/v1/cases",
        Some(json!({"department": "OR", "jrwa": "530", "title": "x", "register_entry": entry_id})),
    )
    .await;
    assert_eq!(st, 409, "one case per register entry: {twice}");

    // Thirty more at once over HTTP: numbers 2 to 31 of the class, no gap, no twin (the
    // refused one above took none).
    let mut opens = tokio::task::JoinSet::new();
    for i in 0..30 {
        let (http, url, token) = (http.clone(), t.url("/api/v1/cases"), anna.clone());
        opens.spawn(async move {
            let r = http
                .post(url)
                .bearer_auth(token)
                .json(&json!({"department": "OR", "jrwa": "530", "title": format!("Sprawa {i}")}))
                .send()
                .await
                .expect("open");
            (r.status().as_u16(), r.json::<Value>().await.expect("json"))
        });
    }
    let mut numbers: Vec<i64> = opens
        .join_all()
        .await
        .into_iter()
        .map(|(st, v)| {
            assert_eq!(st, 201, "{v}");
            let sig = v["signature"].as_str().expect("signature").to_string();
            let parts: Vec<&str> = sig.split('.').collect();
            assert_eq!(
                (parts[0], parts[1], parts[3]),
                ("OR", "530", "2026"),
                "{sig}"
            );
            parts[2].parse().expect("number")
        })
        .collect();
    numbers.sort();
    assert_eq!(numbers, (2..=31).collect::<Vec<i64>>());

    // The department's list, by deadline, paged.
    let (_, page) = api(
        &http,
        &t,
        &anna,
        M::GET,
        "/api/v1/cases?limit=20&sort=deadline",
        None,
    )
    .await;
    assert_eq!(page["items"].as_array().expect("items").len(), 20);
    let cursor = page["next_cursor"]
        .as_str()
        .expect("a next page")
        .to_string();
    let (_, rest) = api(
        &http,
        &t,
        &anna,
        M::GET,
        &format!("/api/v1/cases?limit=20&cursor={cursor}"),
        None,
    )
    .await;
    assert_eq!(rest["items"].as_array().expect("items").len(), 11);
    assert!(rest["next_cursor"].is_null());

    // Only the department's people see it.
    let one = format!("/api/v1/cases/{case_id}");
    assert_eq!(api(&http, &t, &piotr, M::GET, &one, None).await.0, 404);
    assert_eq!(api(&http, &t, &jan_token, M::GET, &one, None).await.0, 404);
    let (_, gk_list) = api(&http, &t, &piotr, M::GET, "/api/v1/cases", None).await;
    assert_eq!(gk_list["items"].as_array().expect("items").len(), 0);

    // Routed: given to Anna; not to Piotr of another department.
    let anna_id = principal(&t, "anna.nowak@okienko.test").await.user.id;
    let piotr_id = principal(&t, "piotr.zielinski@okienko.test").await.user.id;
    let assign = format!("/api/v1/cases/{case_id}/assign");
    let (st, _) = api(
        &http,
        &t,
        &anna,
        M::POST,
        &assign,
        Some(json!({"handler": piotr_id})),
    )
    .await;
    assert_eq!(st, 422);
    let (st, c) = api(
        &http,
        &t,
        &anna,
        M::POST,
        &assign,
        Some(json!({"handler": anna_id})),
    )
    .await;
    assert_eq!(st, 200, "{c}");
    assert_eq!(c["handler"], "Anna Nowak");

    // Suspended on 8 December, resumed ten days later: the deadline moves by ten days, to
    // 17 January 2027, a Sunday, so to Monday 18 January.
    t.clock.set(datetime!(2026-12-08 09:00 UTC));
    let anna = t.demo_token("anna.nowak@okienko.test").await;
    let suspend = format!("/api/v1/cases/{case_id}/suspend");
    let (st, _) = api(
        &http,
        &t,
        &anna,
        M::POST,
        &suspend,
        Some(json!({"reason": " "})),
    )
    .await;
    assert_eq!(st, 422, "a reason is needed");
    let (st, c) = api(
        &http,
        &t,
        &anna,
        M::POST,
        &suspend,
        Some(json!({"reason": "Wezwanie do uzupełnienia wniosku"})),
    )
    .await;
    assert_eq!(st, 200, "{c}");
    assert_eq!(c["status"], "suspended");
    let (st, _) = api(
        &http,
        &t,
        &anna,
        M::POST,
        &suspend,
        Some(json!({"reason": "Znowu"})),
    )
    .await;
    assert_eq!(st, 409, "suspended once");
    t.clock.set(datetime!(2026-12-18 09:00 UTC));
    let anna = t.demo_token("anna.nowak@okienko.test").await;
    let (st, c) = api(
        &http,
        &t,
        &anna,
        M::POST,
        &format!("/api/v1/cases/{case_id}/resume"),
        None,
    )
    .await;
    assert_eq!(st, 200, "{c}");
    assert_eq!(
        (c["status"].as_str(), c["excluded_days"].as_i64()),
        (Some("open"), Some(10))
    );
    assert_eq!(c["deadline"], "2027-01-18");
    assert_eq!(c["category"], "B50");

    // A note, then an art. 36 notice: Jan is told of the new date (a Saturday, so Monday 1
    // February), which becomes the deadline; a date not after the current one is refused.
    let (st, c) = api(
        &http,
        &t,
        &anna,
        M::POST,
        &format!("/api/v1/cases/{case_id}/notes"),
        Some(json!({"text": "Wnioskodawca dosłał akt notarialny."})),
    )
    .await;
    assert_eq!(st, 200, "{c}");
    let delay = format!("/api/v1/cases/{case_id}/delay");
    let (st, p) = api(
        &http,
        &t,
        &anna,
        M::POST,
        &delay,
        Some(json!({"deadline": "2027-01-10", "reason": "Opinia"})),
    )
    .await;
    assert_eq!(st, 422, "not later than the deadline: {p}");
    let (st, c) = api(
        &http,
        &t,
        &anna,
        M::POST,
        &delay,
        Some(json!({"deadline": "2027-01-30", "reason": "Oczekiwanie na opinię biegłego"})),
    )
    .await;
    assert_eq!(st, 200, "{c}");
    assert_eq!(c["deadline"], "2027-02-01");
    let jan_token = t.demo_token("jan.kowalski@okienko.test").await;
    let (_, jan_box) = api(&http, &t, &jan_token, M::GET, "/api/v1/me", None).await;
    let jan_address = jan_box["mailboxes"][0]["address"]
        .as_str()
        .expect("address")
        .to_string();
    let (_, inbox) = api(
        &http,
        &t,
        &jan_token,
        M::GET,
        &format!("/api/v1/mailboxes/{jan_address}/messages"),
        None,
    )
    .await;
    assert!(
        inbox["items"]
            .as_array()
            .expect("items")
            .iter()
            .any(|m| m["subject"]
                .as_str()
                .is_some_and(|s| s.contains("OR.530.1.2026"))),
        "the notice is in Jan's mailbox: {inbox}"
    );

    // A working document: one holder at a time, versions kept.
    work_on_a_document(&t, &http, &case_id).await;

    // A decision from the office's template for class 530, its fields from the case.
    let decision = decide_and_deliver(&t, &http, &case_id).await;

    // Closed on the web, after a confirmation.
    let web = t.demo_web("anna.nowak@okienko.test").await;
    let page = web
        .get(t.url(&format!("/cases/{case_id}")))
        .send()
        .await
        .expect("page");
    assert_eq!(page.status(), 200);
    let html = page.text().await.expect("html");
    assert!(html.contains("OR.530.1.2026") && html.contains("Zameldowanie na pobyt stały"));
    let csrf = html
        .split("name=\"csrf\" value=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .expect("csrf")
        .to_string();
    let close = t.url(&format!("/cases/{case_id}/close"));
    let r = web
        .post(&close)
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .expect("close");
    assert_eq!(r.status(), 200, "asked first");
    let (_, c) = api(&http, &t, &anna, M::GET, &one, None).await;
    assert_eq!(c["status"], "open", "nothing closed by the question");
    let r = web
        .post(&close)
        .form(&[("csrf", csrf.as_str()), ("confirm", "yes")])
        .send()
        .await
        .expect("close");
    assert_eq!(r.status(), 303);
    let (_, c) = api(&http, &t, &anna, M::GET, &one, None).await;
    assert_eq!(c["status"], "closed");
    let kinds: Vec<&str> = c["events"]
        .as_array()
        .expect("events")
        .iter()
        .filter_map(|e| e["kind"].as_str())
        .collect();
    assert_eq!(
        kinds,
        [
            "opened",
            "assigned",
            "suspended",
            "resumed",
            "note",
            "delayed",
            "document-added",
            "document-checked-out",
            "document-checked-in",
            "document-added",
            "decision-drafted",
            "decision-edited",
            "decision-submitted",
            "decision-approved",
            "decision-signed",
            "decision-dispatched",
            "closed"
        ]
    );
    assert_eq!(c["register_entry"]["case_id"], case_id.as_str());
    let list = web
        .get(t.url("/cases?status=closed"))
        .send()
        .await
        .expect("list");
    assert!(list.text().await.expect("html").contains("OR.530.1.2026"));

    // The case file: every document and piece of evidence, and a manifest signed with the
    // office seal, checked here as its README says, with OpenSSL and SHA-256 only.
    check_case_file(&t, &http, &anna, &case_id, &decision).await;

    // Jan's Data Tracker names Anna's reads of his case.
    let jan = principal(&t, "jan.kowalski@okienko.test").await;
    let rows = s.data_tracker(&jan).await.expect("tracker");
    assert!(
        rows.iter().any(|r| r.entry.action == "person.read"
            && r.entry.object == "OR.530.1.2026"
            && r.actor_name == "Anna Nowak"),
        "the tracker shows the case's reads"
    );
}

/// Drafts, approves, signs and dispatches a decision in the case over the API, checks the
/// refusals on the way, has Jan open it, and answers the decision as the API shows it then.
async fn decide_and_deliver(t: &TestServer, http: &reqwest::Client, case_id: &str) -> Value {
    use reqwest::Method as M;
    let anna = t.demo_token("anna.nowak@okienko.test").await;
    let head = t.demo_token("urzad.admin@okienko.test").await;
    let jan = t.demo_token("jan.kowalski@okienko.test").await;
    let office = principal(t, "anna.nowak@okienko.test")
        .await
        .grants
        .iter()
        .find_map(|g| g.office_id.clone())
        .expect("Anna's office");
    let (st, templates) = api(
        http,
        t,
        &anna,
        M::GET,
        &format!("/api/v1/offices/{office}/decision-templates"),
        None,
    )
    .await;
    assert_eq!(st, 200, "{templates}");
    let template = templates
        .as_array()
        .expect("templates")
        .iter()
        .find(|x| x["jrwa"] == "530")
        .expect("a template for 530")["id"]
        .as_str()
        .expect("id")
        .to_string();
    // A template with a field that does not exist is refused; Anna is no admin.
    let new_template = format!("/api/v1/offices/{office}/decision-templates");
    let (st, p) = api(
        http,
        t,
        &head,
        M::POST,
        &new_template,
        Some(json!({"name": "Zła", "body": "Dla {nikogo}", "approval": true})),
    )
    .await;
    assert_eq!(
        (st, p["errors"][0]["field"].as_str()),
        (422, Some("body")),
        "{p}"
    );
    let (st, _) = api(
        http,
        t,
        &anna,
        M::POST,
        &new_template,
        Some(json!({"name": "X", "body": "Dla {party}"})),
    )
    .await;
    assert_eq!(st, 404);

    let decisions = format!("/api/v1/cases/{case_id}/decisions");
    let (st, _) = api(
        http,
        t,
        &anna,
        M::POST,
        &decisions,
        Some(json!({"template": "nope"})),
    )
    .await;
    assert_eq!(st, 422, "an unknown template");
    let (st, d) = api(
        http,
        t,
        &anna,
        M::POST,
        &decisions,
        Some(json!({"template": template})),
    )
    .await;
    assert_eq!(st, 201, "{d}");
    assert_eq!(
        (d["number"].as_i64(), d["status"].as_str()),
        (Some(1), Some("draft"))
    );
    let body = d["body"].as_str().expect("body");
    assert!(
        body.contains("Jan Kowalski")
            && body.contains("OR.530.1.2026")
            && body.contains("Anna Nowak"),
        "{body}"
    );
    let id = d["id"].as_str().expect("id").to_string();
    let at = |what: &str| format!("/api/v1/decisions/{id}/{what}");
    let (st, p) = api(http, t, &anna, M::POST, &at("sign"), None).await;
    assert_eq!(st, 409, "not signed before the head approves: {p}");
    let (st, d) = api(
        http,
        t,
        &anna,
        M::PATCH,
        &format!("/api/v1/decisions/{id}"),
        Some(json!({"title": "Decyzja o zameldowaniu", "body": format!("{body}\n\nDodatkowo: bez opłat.")})),
    )
    .await;
    assert_eq!(st, 200, "{d}");
    let (st, d) = api(http, t, &anna, M::POST, &at("submit"), None).await;
    assert_eq!(
        (st, d["status"].as_str()),
        (200, Some("for-approval")),
        "{d}"
    );
    let (st, _) = api(
        http,
        t,
        &anna,
        M::PATCH,
        &format!("/api/v1/decisions/{id}"),
        Some(json!({"title": "Inna", "body": "Inna"})),
    )
    .await;
    assert_eq!(st, 409, "no change once with the head");
    let (st, _) = api(http, t, &anna, M::POST, &at("approve"), None).await;
    assert_eq!(st, 404, "an official is not the head");
    let (st, d) = api(http, t, &head, M::POST, &at("approve"), None).await;
    assert_eq!((st, d["status"].as_str()), (200, Some("approved")), "{d}");
    let (st, _) = api(http, t, &anna, M::POST, &at("dispatch"), None).await;
    assert_eq!(st, 409, "not sent unsigned");
    let (st, d) = api(http, t, &anna, M::POST, &at("sign"), None).await;
    assert_eq!((st, d["status"].as_str()), (200, Some("signed")), "{d}");
    let (st, _) = api(http, t, &anna, M::POST, &at("sign"), None).await;
    assert_eq!(st, 409, "signed once");

    // The PDF/A and its CAdES-T signature verify with OpenSSL; poppler reads its text.
    let get = |path: String| {
        let (http, url, token) = (http.clone(), t.url(&path), anna.clone());
        async move {
            let r = http.get(url).bearer_auth(token).send().await.expect("get");
            assert_eq!(r.status(), 200);
            r.bytes().await.expect("bytes").to_vec()
        }
    };
    let pdf = get(at("document")).await;
    let p7s = get(at("signature")).await;
    assert!(pdf.starts_with(b"%PDF-"));
    assert!(
        String::from_utf8_lossy(&pdf).contains("pdfaid:part"),
        "PDF/A metadata"
    );
    assert_eq!(
        d["pdf_sha256"].as_str(),
        Some(hex::encode(okienko_trust::sha256(&pdf)).as_str())
    );
    let dir = t.data.join("decision");
    std::fs::create_dir_all(&dir).expect("dir");
    std::fs::write(dir.join("d.pdf"), &pdf).expect("write");
    std::fs::write(dir.join("d.pdf.p7s"), &p7s).expect("write");
    let ca = reqwest::get(t.url("/trust/ca.pem"))
        .await
        .expect("ca")
        .text()
        .await
        .expect("ca");
    std::fs::write(dir.join("ca.pem"), ca).expect("write");
    if crate::common::tools_required() || which("openssl") {
        openssl_verify(&dir, "d.pdf.p7s", Some("d.pdf"));
    }
    if crate::common::tools_required() || which("pdftotext") {
        let out = std::process::Command::new("pdftotext")
            .arg(dir.join("d.pdf"))
            .arg("-")
            .output()
            .expect("pdftotext");
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(
            text.contains("OR.530.1.2026") && text.contains("Jan Kowalski"),
            "{text}"
        );
    }

    // Dispatched to the mailbox Jan's submission came from; waiting until he opens it.
    let (st, d) = api(http, t, &anna, M::POST, &at("dispatch"), None).await;
    assert_eq!((st, d["status"].as_str()), (200, Some("dispatched")), "{d}");
    assert!(d["delivered"].is_null());
    let message = d["message_id"].as_str().expect("message").to_string();
    let (st, _) = api(http, t, &anna, M::POST, &at("dispatch"), None).await;
    assert_eq!(st, 409, "sent once");
    // What went out is in the office's register, numbered after what came in.
    let (_, register) = api(
        http,
        t,
        &anna,
        M::GET,
        &format!("/api/v1/offices/{office}/register"),
        None,
    )
    .await;
    let out: Vec<&Value> = register["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter(|e| e["direction"] == "out")
        .collect();
    assert_eq!(
        out.len(),
        2,
        "the delay notice and the decision: {register}"
    );
    assert_eq!(
        (
            out[0]["kind"].as_str(),
            out[0]["number"].as_str(),
            out[0]["case_id"].as_str()
        ),
        (Some("decision"), Some("3/2026"), Some(case_id))
    );
    // Jan opens it on Friday 18 December: 14 days later is 1 January, a holiday, then a
    // weekend, so he may appeal until Monday 4 January 2027.
    let (st, m) = api(
        http,
        t,
        &jan,
        M::GET,
        &format!("/api/v1/messages/{message}"),
        None,
    )
    .await;
    assert_eq!(st, 200, "{m}");
    let (_, d) = api(
        http,
        t,
        &anna,
        M::GET,
        &format!("/api/v1/decisions/{id}"),
        None,
    )
    .await;
    assert_eq!(d["delivered"]["deemed"], false, "{d}");
    assert_eq!(d["delivered"]["appeal_until"], "2027-01-04", "{d}");
    assert!(d["delivered"]["evidence_id"].is_string(), "{d}");
    // The case's page shows it.
    let web = t.demo_web("anna.nowak@okienko.test").await;
    let html = web
        .get(t.url(&format!("/cases/{case_id}")))
        .send()
        .await
        .expect("page")
        .text()
        .await
        .expect("html");
    assert!(
        html.contains("datetime=\"2027-01-04\""),
        "the appeal deadline on the page"
    );
    d
}

fn which(tool: &str) -> bool {
    std::process::Command::new(tool).arg("-v").output().is_ok()
}

/// `openssl cms -verify` of a signature in `dir` (detached with `content`) against `ca.pem`.
pub(crate) fn openssl_verify(dir: &std::path::Path, signature: &str, content: Option<&str>) {
    let mut cmd = std::process::Command::new("openssl");
    cmd.current_dir(dir).args([
        "cms", "-verify", "-binary", "-inform", "DER", "-in", signature,
    ]);
    if let Some(c) = content {
        cmd.args(["-content", c]);
    }
    let out = cmd
        .args(["-CAfile", "ca.pem", "-out", "/dev/null"])
        .output()
        .expect("openssl");
    assert!(
        out.status.success(),
        "{signature}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Downloads the case's file and checks it as its README says: the manifest's signature with
/// OpenSSL against the published CA, every file's SHA-256, the decision's own signature.
async fn check_case_file(
    t: &TestServer,
    http: &reqwest::Client,
    token: &str,
    case_id: &str,
    decision: &Value,
) {
    let r = http
        .get(t.url(&format!("/api/v1/cases/{case_id}/file")))
        .bearer_auth(token)
        .send()
        .await
        .expect("file");
    assert_eq!(r.status(), 200);
    assert_eq!(
        r.headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok()),
        Some("application/zip")
    );
    let zip = r.bytes().await.expect("zip");
    let dir = t.data.join("case-file");
    std::fs::create_dir_all(&dir).expect("dir");
    std::fs::write(dir.join("case.zip"), &zip).expect("write");
    if !(crate::common::tools_required() || which("python3")) {
        return;
    }
    // Unpacked by Python's zipfile, not by anything of ours.
    let out = std::process::Command::new("python3")
        .current_dir(&dir)
        .args(["-m", "zipfile", "-e", "case.zip", "out"])
        .output()
        .expect("python3");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out_dir = dir.join("out");
    let manifest: Value =
        serde_json::from_slice(&std::fs::read(out_dir.join("manifest.json")).expect("manifest"))
            .expect("json");
    assert_eq!(manifest["case"], "OR.530.1.2026");
    let files = manifest["files"].as_array().expect("files");
    for f in files {
        let path = f["path"].as_str().expect("path");
        let bytes = std::fs::read(out_dir.join(path)).expect(path);
        assert_eq!(
            f["sha256"].as_str(),
            Some(hex::encode(okienko_trust::sha256(&bytes)).as_str()),
            "{path}"
        );
    }
    let names: Vec<&str> = files.iter().filter_map(|f| f["path"].as_str()).collect();
    for want in [
        "case.json",
        "documents/case/01-v1-opinia.txt",
        "documents/case/01-v2-opinia.txt",
        "documents/decision-1.pdf",
        "documents/decision-1.pdf.p7s",
    ] {
        assert!(names.contains(&want), "{want} in {names:?}");
    }
    let evidence = |id: &Value| format!("evidence/{}.p7m", id.as_str().expect("evidence id"));
    assert!(
        names.contains(&evidence(&decision["evidence_id"]).as_str()),
        "{names:?}"
    );
    assert!(
        names.contains(&evidence(&decision["delivered"]["evidence_id"]).as_str()),
        "{names:?}"
    );
    assert!(
        names.iter().any(|n| n.starts_with("documents/submission/")),
        "{names:?}"
    );
    let case: Value =
        serde_json::from_slice(&std::fs::read(out_dir.join("case.json")).expect("case"))
            .expect("json");
    assert_eq!(case["decisions"][0]["appeal_until"], "2027-01-04");
    assert_eq!(case["status"], "closed");
    // Signatures: OpenSSL against the CA the platform publishes (not the copy in the file).
    let ca = reqwest::get(t.url("/trust/ca.pem"))
        .await
        .expect("ca")
        .text()
        .await
        .expect("ca");
    std::fs::write(out_dir.join("ca.pem"), ca).expect("write");
    if crate::common::tools_required() || which("openssl") {
        openssl_verify(&out_dir, "manifest.json.p7s", Some("manifest.json"));
        openssl_verify(
            &out_dir,
            "documents/decision-1.pdf.p7s",
            Some("documents/decision-1.pdf"),
        );
        openssl_verify(&out_dir, &evidence(&decision["evidence_id"]), None);
        // A changed manifest no longer verifies.
        let mut m = std::fs::read(out_dir.join("manifest.json")).expect("manifest");
        m.extend_from_slice(b" ");
        std::fs::write(out_dir.join("manifest.json"), m).expect("write");
        let out = std::process::Command::new("openssl")
            .current_dir(&out_dir)
            .args([
                "cms",
                "-verify",
                "-binary",
                "-inform",
                "DER",
                "-in",
                "manifest.json.p7s",
                "-content",
                "manifest.json",
                "-CAfile",
                "ca.pem",
                "-out",
                "/dev/null",
            ])
            .output()
            .expect("openssl");
        assert!(!out.status.success(), "a changed manifest is caught");
    }
}

/// The daily digest: Anna handles a case due within a week; from 7 o'clock she gets one email
/// listing it (not a second that day), and again the next morning.
#[tokio::test]
async fn officials_get_one_digest_a_day_of_cases_near_or_past_their_deadline() {
    let t = TestServer::seeded().await;
    // Monday 7 December 2026, 6:00 in Poland: before the working day.
    t.clock.set(datetime!(2026-12-07 05:00 UTC));
    let s = &t.services;
    let anna = principal(&t, "anna.nowak@okienko.test").await;
    let c = crate::matrix::fresh_case(&t).await;
    let far = crate::matrix::fresh_case(&t).await;
    s.assign_case(&anna, &c.id, &anna.user.id)
        .await
        .expect("assigned");
    s.assign_case(&anna, &far.id, &anna.user.id)
        .await
        .expect("assigned");
    let digests = |t: &TestServer| {
        t.outbox()
            .into_iter()
            .filter(|m| m.contains("anna.nowak@okienko.test") && m.contains(&c.signature))
            .count()
    };
    // A month to go: nothing to tell.
    assert_eq!(s.case_digest_sweep().await.expect("sweep"), 0);
    // 4 January 2027, 6:00: due on the 7th, but not yet 7 o'clock.
    t.clock.set(datetime!(2027-01-04 05:00 UTC));
    assert_eq!(s.case_digest_sweep().await.expect("sweep"), 0);
    t.clock.set(datetime!(2027-01-04 07:30 UTC));
    assert_eq!(s.case_digest_sweep().await.expect("sweep"), 1);
    assert_eq!(s.case_digest_sweep().await.expect("sweep"), 0, "once a day");
    t.run_jobs().await;
    assert_eq!(digests(&t), 1);
    let mail = t
        .outbox()
        .into_iter()
        .find(|m| m.contains(&c.signature))
        .expect("the digest");
    assert!(mail.contains(&format!("/cases/{}", c.id)), "{mail}");
    // The next morning: again (and the case due the same day is in it too).
    t.clock.set(datetime!(2027-01-05 06:30 UTC));
    assert_eq!(s.case_digest_sweep().await.expect("sweep"), 1);
    t.run_jobs().await;
    assert_eq!(digests(&t), 2);
    // Anna is away on the 6th: her cases go to Piotr, who substitutes her, marked as hers.
    let piotr = principal(&t, "piotr.zielinski@okienko.test").await;
    let input = okienko_services::cases::substitutes::SubstituteInput {
        absent: anna.user.id.clone(),
        substitute: piotr.user.id.clone(),
        starts_on: "2027-01-06".into(),
        ends_on: "2027-01-06".into(),
    };
    let office = anna.grants[0].office_id.clone().expect("office");
    s.add_substitute(&anna, &office, &input)
        .await
        .expect("substitute");
    t.clock.set(datetime!(2027-01-06 06:30 UTC));
    assert!(s.case_digest_sweep().await.expect("sweep") >= 1);
    t.run_jobs().await;
    assert_eq!(digests(&t), 2, "Anna, away, gets none");
    let covered = t
        .outbox()
        .into_iter()
        .filter(|m| m.contains("piotr.zielinski@okienko.test") && m.contains(&c.signature))
        .collect::<Vec<_>>();
    assert_eq!(covered.len(), 1, "Piotr gets Anna's cases");
    assert!(covered[0].contains("Anna Nowak"), "{}", covered[0]);
}

/// Anna adds a document over the API, checks it out; the head cannot check it out too, nor
/// check it in for her; she checks it in with a second version. Another is added on the web
/// (a multipart form). Piotr, of another department, sees none of it.
async fn work_on_a_document(t: &TestServer, http: &reqwest::Client, case_id: &str) {
    use base64::Engine;
    use reqwest::Method as M;
    let b64 = |b: &[u8]| base64::engine::general_purpose::STANDARD.encode(b);
    let anna = t.demo_token("anna.nowak@okienko.test").await;
    let head = t.demo_token("urzad.admin@okienko.test").await;
    let piotr = t.demo_token("piotr.zielinski@okienko.test").await;
    let docs = format!("/api/v1/cases/{case_id}/documents");
    let (st, p) = api(
        http,
        t,
        &anna,
        M::POST,
        &docs,
        Some(json!({"title": "Opinia", "name": "opinia.txt", "content": "!!"})),
    )
    .await;
    assert_eq!(st, 422, "not base64: {p}");
    let (st, d) = api(
        http,
        t,
        &anna,
        M::POST,
        &docs,
        Some(json!({"title": "Opinia biegłego", "name": "opinia.txt", "content": b64(b"Wersja pierwsza")})),
    )
    .await;
    assert_eq!(st, 201, "{d}");
    let id = d["id"].as_str().expect("id").to_string();
    let at = |what: &str| format!("/api/v1/documents/{id}/{what}");
    assert_eq!(
        api(
            http,
            t,
            &piotr,
            M::GET,
            &format!("/api/v1/documents/{id}"),
            None
        )
        .await
        .0,
        404
    );
    let (st, d) = api(http, t, &anna, M::POST, &at("checkout"), None).await;
    assert_eq!((st, d["holder"].as_str()), (200, Some("Anna Nowak")), "{d}");
    let (st, p) = api(http, t, &head, M::POST, &at("checkout"), None).await;
    assert_eq!(st, 409, "a second check-out: {p}");
    let (st, _) = api(
        http,
        t,
        &head,
        M::POST,
        &at("checkin"),
        Some(json!({"name": "opinia.txt", "content": b64(b"Cudza wersja")})),
    )
    .await;
    assert_eq!(st, 409, "only the holder checks in");
    let (st, d) = api(
        http,
        t,
        &anna,
        M::POST,
        &at("checkin"),
        Some(json!({"name": "opinia.txt", "content": b64(b"Wersja druga")})),
    )
    .await;
    assert_eq!(st, 200, "{d}");
    assert!(d["holder"].is_null());
    assert_eq!(d["versions"].as_array().map(Vec::len), Some(2));
    let r = http
        .get(t.url(&at("versions/1")))
        .bearer_auth(&anna)
        .send()
        .await
        .expect("v1");
    assert_eq!(r.bytes().await.expect("bytes").as_ref(), b"Wersja pierwsza");

    // On the web: a multipart form with a file.
    let web = t.demo_web("anna.nowak@okienko.test").await;
    let html = web
        .get(t.url(&format!("/cases/{case_id}")))
        .send()
        .await
        .expect("page")
        .text()
        .await
        .expect("html");
    assert!(
        html.contains("Opinia biegłego"),
        "the document on the case page"
    );
    let csrf = html
        .split("name=\"csrf\" value=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .expect("csrf")
        .to_string();
    let form = reqwest::multipart::Form::new()
        .text("csrf", csrf)
        .text("title", "Notatka ze spotkania")
        .part(
            "file",
            reqwest::multipart::Part::bytes(b"Spotkanie w urzedzie".to_vec())
                .file_name("notatka.txt"),
        );
    let r = web
        .post(t.url(&format!("/cases/{case_id}/documents")))
        .multipart(form)
        .send()
        .await
        .expect("post");
    assert_eq!(r.status(), 303);
    let (_, list) = api(http, t, &anna, M::GET, &docs, None).await;
    assert_eq!(list.as_array().map(Vec::len), Some(2), "{list}");
}
