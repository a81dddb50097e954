//! Work for colleagues end to end: Anna (OR) asks Piotr (GK) for an internal opinion on her
//! case; while it is open Piotr reads the case and its document but cannot change it, then
//! answers, the opinion lands on the case's timeline and the case closes to him again. Bad
//! input, a second answer and someone else's cancelling change nothing.

use crate::common::TestServer;
use base64::Engine;
use serde_json::json;

#[tokio::test]
async fn an_official_asks_a_colleague_of_another_department_for_an_opinion() {
    let t = TestServer::seeded().await;
    let http = reqwest::Client::new();
    let anna = t.demo_token("anna.nowak@okienko.test").await;
    let piotr = t.demo_token("piotr.zielinski@okienko.test").await;
    let (_, me) = t.api(&anna, reqwest::Method::GET, "/api/v1/me", None).await;
    let anna_id = me["id"].as_str().expect("id").to_string();
    let (_, me) = t
        .api(&piotr, reqwest::Method::GET, "/api/v1/me", None)
        .await;
    let piotr_id = me["id"].as_str().expect("id").to_string();

    let (st, c) = t.api(
        &anna,
        reqwest::Method::POST,
        "/api/v1/cases",
        Some(json!({"department": "OR", "jrwa": "015", "title": "Wycinka lipy w parku", "party": "Zofia Wąsik"})),
    )
    .await;
    assert_eq!(st, 201, "{c}");
    let case = c["id"].as_str().expect("case").to_string();
    let (st, d) = t
        .api(
            &anna,
            reqwest::Method::POST,
            &format!("/api/v1/cases/{case}/documents"),
            Some(json!({"title": "Notatka z oględzin", "name": "notatka.txt",
            "content": base64::engine::general_purpose::STANDARD.encode("Lipa ma 120 lat.")})),
        )
        .await;
    assert_eq!(st, 201, "{d}");
    let document = d["id"].as_str().expect("doc").to_string();
    let case_path = format!("/api/v1/cases/{case}");
    assert_eq!(
        t.api(&piotr, reqwest::Method::GET, &case_path, None)
            .await
            .0,
        404
    );

    // Bad input: each refused with its field, nothing given.
    let tasks = format!("/api/v1/cases/{case}/tasks");
    let today = t.services.country.local(t.services.clock.now()).date();
    let yesterday = (today - time::Duration::days(1)).to_string();
    for (body, field) in [
        (
            json!({"kind": "memo", "assignee": piotr_id, "text": "Opinia"}),
            "kind",
        ),
        (
            json!({"kind": "opinion", "assignee": anna_id, "text": "Opinia"}),
            "assignee",
        ),
        (
            json!({"kind": "opinion", "assignee": piotr_id, "text": "  "}),
            "text",
        ),
        (
            json!({"kind": "opinion", "assignee": piotr_id, "text": "Opinia", "due_on": yesterday}),
            "due_on",
        ),
    ] {
        let (st, r) = t
            .api(&anna, reqwest::Method::POST, &tasks, Some(body))
            .await;
        assert_eq!(st, 422, "{field}: {r}");
        assert!(r.to_string().contains(field), "{field}: {r}");
    }
    let (_, list) = t.api(&anna, reqwest::Method::GET, &tasks, None).await;
    assert_eq!(list.as_array().map(Vec::len), Some(0));

    // Asked: on Piotr's list; he reads the case and its document, changes nothing.
    let due = (today + time::Duration::days(3)).to_string();
    let (st, task) = t
        .api(
            &anna,
            reqwest::Method::POST,
            &tasks,
            Some(json!({"kind": "opinion", "assignee": piotr_id,
            "text": "Czy wycinka wymaga zgody konserwatora zabytków?", "due_on": due})),
        )
        .await;
    assert_eq!(st, 201, "{task}");
    let task_id = task["id"].as_str().expect("task").to_string();
    let (_, mine) = t
        .api(&piotr, reqwest::Method::GET, "/api/v1/tasks", None)
        .await;
    assert_eq!(mine[0]["id"], task_id.as_str(), "{mine}");
    assert_eq!(mine[0]["due_on"], due.as_str());
    assert_eq!(
        t.api(&piotr, reqwest::Method::GET, &case_path, None)
            .await
            .0,
        200
    );
    let file = http
        .get(t.url(&format!("/api/v1/documents/{document}/versions/0")))
        .bearer_auth(&piotr)
        .send()
        .await
        .expect("file");
    assert_eq!(file.status(), 200);
    let (st, _) = t
        .api(
            &piotr,
            reqwest::Method::POST,
            &format!("{case_path}/notes"),
            Some(json!({"text": "Nie moja sprawa"})),
        )
        .await;
    assert_eq!(st, 404, "a reader may not write on the case");
    let web = t.demo_web("piotr.zielinski@okienko.test").await;
    let page = web
        .get(t.url(&format!("/cases/{case}?lang=en")))
        .send()
        .await
        .expect("page")
        .text()
        .await
        .expect("page");
    assert!(page.contains("Internal opinion") && page.contains("konserwatora"));
    assert!(
        !page.contains(&format!("action=\"/cases/{case}/notes\"")),
        "a reader sees no forms that change the case"
    );

    // Answered: an opinion needs words; once only; on the timeline; the case closes to him.
    let answer = format!("/api/v1/tasks/{task_id}/answer");
    let (st, r) = t
        .api(
            &piotr,
            reqwest::Method::POST,
            &answer,
            Some(json!({"answer": ""})),
        )
        .await;
    assert_eq!(st, 422, "{r}");
    let (st, r) = t
        .api(
            &anna,
            reqwest::Method::POST,
            &answer,
            Some(json!({"answer": "Tak"})),
        )
        .await;
    assert_eq!(st, 404, "{r}");
    let opinion = "Lipa nie jest w rejestrze zabytków: zgoda konserwatora nie jest potrzebna.";
    let (st, r) = t
        .api(
            &piotr,
            reqwest::Method::POST,
            &answer,
            Some(json!({ "answer": opinion })),
        )
        .await;
    assert_eq!(st, 200, "{r}");
    assert_eq!(r["status"], "done");
    let (st, _) = t
        .api(
            &piotr,
            reqwest::Method::POST,
            &answer,
            Some(json!({"answer": "Jeszcze raz"})),
        )
        .await;
    assert_eq!(st, 409);
    assert_eq!(
        t.api(&piotr, reqwest::Method::GET, &case_path, None)
            .await
            .0,
        404
    );
    let (_, c) = t.api(&anna, reqwest::Method::GET, &case_path, None).await;
    let events = c["events"].to_string();
    assert!(
        events.contains("opinion-asked") && events.contains("opinion-given"),
        "{events}"
    );
    assert!(
        events.contains("konserwatora nie jest potrzebna"),
        "{events}"
    );

    // A task cancelled by who gave it, not by its assignee; then it cannot be answered.
    let (st, task) = t
        .api(
            &anna,
            reqwest::Method::POST,
            &tasks,
            Some(json!({"kind": "task", "assignee": piotr_id, "text": "Zdjęcia drzewa"})),
        )
        .await;
    assert_eq!(st, 201, "{task}");
    let id = task["id"].as_str().expect("task");
    let cancel = format!("/api/v1/tasks/{id}/cancel");
    assert_eq!(
        t.api(&piotr, reqwest::Method::POST, &cancel, None).await.0,
        404
    );
    let (st, r) = t.api(&anna, reqwest::Method::POST, &cancel, None).await;
    assert_eq!(st, 200, "{r}");
    assert_eq!(r["status"], "cancelled");
    assert_eq!(
        t.api(
            &piotr,
            reqwest::Method::POST,
            &format!("/api/v1/tasks/{id}/answer"),
            Some(json!({"answer": ""}))
        )
        .await
        .0,
        409
    );
}
