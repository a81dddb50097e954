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
        ["opened", "assigned", "suspended", "resumed", "closed"]
    );
    assert_eq!(c["register_entry"]["case_id"], case_id.as_str());
    let list = web
        .get(t.url("/cases?status=closed"))
        .send()
        .await
        .expect("list");
    assert!(list.text().await.expect("html").contains("OR.530.1.2026"));

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
