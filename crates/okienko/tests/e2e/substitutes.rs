//! Substitutes end to end: Anna (OR) names Piotr (GK) her substitute for a week; during it
//! Piotr opens and works Anna's cases and finds them among his own, after it (a fake clock a
//! week on) they are closed to him again. Bad input, someone else's cancelling and a second
//! overlapping substitution change nothing; the head names one for anyone through the page.

use crate::common::TestServer;
use serde_json::json;

#[tokio::test]
async fn a_substitute_handles_the_cases_of_an_absent_official_for_the_period() {
    let t = TestServer::seeded().await;
    let anna = t.demo_token("anna.nowak@okienko.test").await;
    let piotr = t.demo_token("piotr.zielinski@okienko.test").await;
    let id_of = |token: &String| {
        let token = token.clone();
        let t = &t;
        async move {
            let (_, me) = t
                .api(&token, reqwest::Method::GET, "/api/v1/me", None)
                .await;
            me["id"].as_str().expect("id").to_string()
        }
    };
    let (anna_id, piotr_id) = (id_of(&anna).await, id_of(&piotr).await);
    let office = crate::common::principal(&t, "anna.nowak@okienko.test")
        .await
        .grants
        .iter()
        .find_map(|g| g.office_id.clone())
        .expect("office");

    // Anna's OR case: Piotr (GK) does not see it.
    let (st, c) = t.api(
        &anna,
        reqwest::Method::POST,
        "/api/v1/cases",
        Some(json!({"department": "OR", "jrwa": "015", "title": "Wycinka drzewa", "party": "Zofia Wąsik"})),
    )
    .await;
    assert_eq!(st, 201, "{c}");
    let case = c["id"].as_str().expect("case").to_string();
    let signature = c["signature"].as_str().expect("signature").to_string();
    let (st, r) = t
        .api(
            &anna,
            reqwest::Method::POST,
            &format!("/api/v1/cases/{case}/assign"),
            Some(json!({"handler": anna_id})),
        )
        .await;
    assert_eq!(st, 200, "{r}");
    let see = |token: &String| {
        let path = format!("/api/v1/cases/{case}");
        let token = token.clone();
        let t = &t;
        async move { t.api(&token, reqwest::Method::GET, &path, None).await.0 }
    };
    assert_eq!(see(&piotr).await, 404);

    // Bad input: each refused with its field, nothing added.
    let today = t.services.country.local(t.services.clock.now()).date();
    let day = |n: i64| (today + time::Duration::days(n)).to_string();
    let list = format!("/api/v1/offices/{office}/substitutes");
    let new = |absent: &str, substitute: &str, starts: String, ends: String| {
        Some(
            json!({"absent": absent, "substitute": substitute, "starts_on": starts, "ends_on": ends}),
        )
    };
    for (token, body, field) in [
        // Piotr is not the head: not for Anna.
        (&piotr, new(&anna_id, &piotr_id, day(0), day(7)), "absent"),
        (&anna, new(&anna_id, &anna_id, day(0), day(7)), "substitute"),
        (
            &anna,
            new(&anna_id, &piotr_id, day(-1), day(7)),
            "starts_on",
        ),
        (&anna, new(&anna_id, &piotr_id, day(3), day(2)), "ends_on"),
        (&anna, new(&anna_id, &piotr_id, day(0), day(400)), "ends_on"),
    ] {
        let (st, r) = t.api(token, reqwest::Method::POST, &list, body).await;
        assert_eq!(st, 422, "{field}: {r}");
        assert!(r.to_string().contains(field), "{field}: {r}");
    }
    let (_, r) = t.api(&anna, reqwest::Method::GET, &list, None).await;
    assert_eq!(r.as_array().map(Vec::len), Some(0), "{r}");

    // A week's substitution from today: Piotr sees, works and lists Anna's case.
    let (st, s) = t
        .api(
            &anna,
            reqwest::Method::POST,
            &list,
            new(&anna_id, &piotr_id, day(0), day(6)),
        )
        .await;
    assert_eq!(st, 201, "{s}");
    assert_eq!(s["substitute_name"], "Piotr Zieliński");
    let (st, r) = t
        .api(
            &anna,
            reqwest::Method::POST,
            &list,
            new(&anna_id, &piotr_id, day(6), day(9)),
        )
        .await;
    assert_eq!(st, 422, "{r}");
    assert!(r.to_string().contains("starts_on"), "{r}");
    assert_eq!(see(&piotr).await, 200);
    let (st, r) = t
        .api(
            &piotr,
            reqwest::Method::POST,
            &format!("/api/v1/cases/{case}/notes"),
            Some(json!({"text": "Oględziny drzewa umówione na czwartek."})),
        )
        .await;
    assert!(st < 300, "{st} {r}");
    let web = t.demo_web("piotr.zielinski@okienko.test").await;
    let mine = web
        .get(t.url("/cases?mine=1"))
        .send()
        .await
        .expect("mine")
        .text()
        .await
        .expect("page");
    assert!(
        mine.contains(&signature),
        "Anna's case is not among Piotr's"
    );
    let case_page = web
        .get(t.url(&format!("/cases/{case}?lang=en")))
        .send()
        .await
        .expect("case")
        .text()
        .await
        .expect("page");
    assert!(
        case_page.contains("away until") && case_page.contains("substitute: Piotr"),
        "the case does not say its handler is away"
    );
    let page = web
        .get(t.url(&format!("/offices/{office}/substitutes")))
        .send()
        .await
        .expect("page")
        .text()
        .await
        .expect("page");
    assert!(page.contains("Anna Nowak") && page.contains("Piotr Zieli"));

    // A week on, the substitution is over: the case is closed to Piotr again.
    t.clock.advance(time::Duration::days(7));
    // Tokens of a week ago have expired: fresh ones.
    let anna = t.demo_token("anna.nowak@okienko.test").await;
    let piotr = t.demo_token("piotr.zielinski@okienko.test").await;
    assert_eq!(see(&piotr).await, 404);
    assert_eq!(see(&anna).await, 200);

    // A coming one is cancelled by Anna once; Piotr may not cancel it.
    let today = t.services.country.local(t.services.clock.now()).date();
    let day = |n: i64| (today + time::Duration::days(n)).to_string();
    let (st, s) = t
        .api(
            &anna,
            reqwest::Method::POST,
            &list,
            new(&anna_id, &piotr_id, day(1), day(3)),
        )
        .await;
    assert_eq!(st, 201, "{s}");
    let cancel = format!(
        "/api/v1/substitutes/{}/cancel",
        s["id"].as_str().expect("id")
    );
    assert_eq!(
        t.api(&piotr, reqwest::Method::POST, &cancel, None).await.0,
        404
    );
    let (st, r) = t.api(&anna, reqwest::Method::POST, &cancel, None).await;
    assert_eq!(st, 200, "{r}");
    assert!(r["cancelled_at"].is_string());
    assert_eq!(
        t.api(&anna, reqwest::Method::POST, &cancel, None).await.0,
        409
    );

    // The head names a substitute for Piotr through the page.
    let admin = t.demo_web("urzad.admin@okienko.test").await;
    let csrf = t
        .csrf(&admin, &format!("/offices/{office}/substitutes"))
        .await;
    let r = admin
        .post(t.url(&format!("/offices/{office}/substitutes")))
        .form(&[
            ("csrf", csrf.as_str()),
            ("absent", piotr_id.as_str()),
            ("substitute", anna_id.as_str()),
            ("starts_on", day(2).as_str()),
            ("ends_on", day(4).as_str()),
        ])
        .send()
        .await
        .expect("post");
    assert_eq!(r.status(), 303);
    let (_, r) = t.api(&anna, reqwest::Method::GET, &list, None).await;
    assert_eq!(r[0]["absent"], piotr_id.as_str(), "{r}");
}
