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

/// A to-do on an application: Anna (OR, who handles it) gives Piotr (GK) a task from the
/// application's page; it is on his list and his department's board, he starts it, says
/// something, gives it back to Anna, and it moves to her department's board and out of his
/// sight; she finishes it. On its message a task goes over the API. Bad input, a citizen and
/// someone who does not handle the application change nothing.
#[tokio::test]
async fn a_to_do_on_an_application_moves_between_department_boards() {
    let t = TestServer::seeded().await;
    let s = &t.services;
    let jan = crate::common::principal(&t, "jan.kowalski@okienko.test").await;
    let upi = t.demo_service("UPI-1").await;
    let answers = serde_json::from_value(
        json!({"subject": "Uchwały rady", "form": "email", "email": "jan@example.pl"}),
    )
    .expect("answers");
    let done = s
        .submit_form(
            &jan,
            okienko_services::forms::SubmitForm {
                service_id: upi,
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
    let reference = done.reference;
    let submission = s
        .store
        .submission(&reference)
        .await
        .expect("read")
        .expect("there");
    let office = submission.office_id.clone();
    let piotr_id = crate::common::principal(&t, "piotr.zielinski@okienko.test")
        .await
        .user
        .id;
    let anna_id = crate::common::principal(&t, "anna.nowak@okienko.test")
        .await
        .user
        .id;

    // From the application's page to the new task's form.
    let anna = t.demo_web("anna.nowak@okienko.test").await;
    let (st, page) = t
        .page(&anna, &format!("/submissions/{reference}?lang=en"))
        .await;
    assert_eq!(st, 200, "{page}");
    let new = format!("/tasks/new?submission={reference}");
    assert!(page.contains(&new), "{page}");
    let (st, form) = t.page(&anna, &format!("{new}&lang=en")).await;
    assert_eq!(st, 200, "{form}");
    assert!(form.contains(&reference) && form.contains("(me)"), "{form}");
    // An empty text: the form again with its error, nothing given.
    let csrf = t.csrf(&anna, &new).await;
    let r = anna
        .post(t.url("/tasks?lang=en"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("submission", reference.as_str()),
            ("kind", "task"),
            ("assignee", piotr_id.as_str()),
            ("text", " "),
        ])
        .send()
        .await
        .expect("post");
    assert_eq!(r.status(), 422);
    assert!(r
        .text()
        .await
        .expect("text")
        .contains("Say what it is about"));
    assert!(s
        .store
        .linked_tasks("submission", &reference)
        .await
        .expect("linked")
        .is_empty());
    let due = (s.country.local(s.clock.now()).date() + time::Duration::days(3)).to_string();
    let r = anna
        .post(t.url("/tasks"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("submission", reference.as_str()),
            ("kind", "task"),
            ("assignee", piotr_id.as_str()),
            ("text", "Sprawdź, czy uchwały są w BIP"),
            ("due_on", due.as_str()),
        ])
        .send()
        .await
        .expect("post");
    assert_eq!(r.status(), 303);
    let task_page = r.headers()["location"]
        .to_str()
        .expect("location")
        .split('?')
        .next()
        .expect("path")
        .to_string();
    let id = task_page.trim_start_matches("/tasks/").to_string();
    let (_, page) = t
        .page(&anna, &format!("/submissions/{reference}?lang=en"))
        .await;
    assert!(page.contains("Sprawdź, czy uchwały są w BIP"), "{page}");

    // Piotr: on his list and on GK's board; he starts it and says something.
    let piotr = t.demo_token("piotr.zielinski@okienko.test").await;
    let (_, mine) = t
        .api(&piotr, reqwest::Method::GET, "/api/v1/tasks", None)
        .await;
    let it = mine
        .as_array()
        .expect("list")
        .iter()
        .find(|x| x["id"] == id.as_str())
        .expect("on his list")
        .clone();
    assert_eq!(it["link_kind"], "submission");
    assert_eq!(it["link_id"], reference.as_str());
    assert_eq!(it["due_on"], due.as_str());
    let gk = it["department_id"].as_str().expect("GK").to_string();
    let board = format!("/api/v1/offices/{office}/departments/{gk}/tasks");
    let (st, b) = t.api(&piotr, reqwest::Method::GET, &board, None).await;
    assert_eq!(st, 200, "{b}");
    assert!(b
        .as_array()
        .expect("board")
        .iter()
        .any(|x| x["id"] == id.as_str()));
    let anna_token = t.demo_token("anna.nowak@okienko.test").await;
    // Anna works in OR: GK's board is not hers to see.
    assert_eq!(
        t.api(&anna_token, reqwest::Method::GET, &board, None)
            .await
            .0,
        404
    );
    let (st, started) = t
        .api(
            &piotr,
            reqwest::Method::POST,
            &format!("/api/v1/tasks/{id}/start"),
            None,
        )
        .await;
    assert_eq!((st, started["status"].as_str()), (200, Some("started")));
    assert_eq!(
        t.api(
            &piotr,
            reqwest::Method::POST,
            &format!("/api/v1/tasks/{id}/start"),
            None
        )
        .await
        .0,
        409
    );
    let comments = format!("/api/v1/tasks/{id}/comments");
    assert_eq!(
        t.api(
            &piotr,
            reqwest::Method::POST,
            &comments,
            Some(json!({"text": "  "}))
        )
        .await
        .0,
        422
    );
    let (st, _) = t
        .api(
            &piotr,
            reqwest::Method::POST,
            &comments,
            Some(json!({"text": "Dwie uchwały brakują w BIP."})),
        )
        .await;
    assert_eq!(st, 201);

    // Given back to Anna: on OR's board, out of Piotr's sight.
    let (st, moved) = t
        .api(
            &piotr,
            reqwest::Method::POST,
            &format!("/api/v1/tasks/{id}/reassign"),
            Some(json!({"assignee": anna_id})),
        )
        .await;
    assert_eq!(st, 200, "{moved}");
    assert_ne!(moved["department_id"].as_str(), Some(gk.as_str()));
    assert_eq!(
        t.api(
            &piotr,
            reqwest::Method::GET,
            &format!("/api/v1/tasks/{id}"),
            None
        )
        .await
        .0,
        404
    );
    let or = moved["department_id"].as_str().expect("OR");
    let (st, b) = t
        .api(
            &anna_token,
            reqwest::Method::GET,
            &format!("/api/v1/offices/{office}/departments/{or}/tasks"),
            None,
        )
        .await;
    assert_eq!(st, 200, "{b}");
    assert!(b
        .as_array()
        .expect("board")
        .iter()
        .any(|x| x["id"] == id.as_str()));
    let (_, said) = t
        .api(&anna_token, reqwest::Method::GET, &comments, None)
        .await;
    assert_eq!(said[0]["text"], "Dwie uchwały brakują w BIP.");
    // The page shows the comment and the board in the browser; she finishes it there.
    let (st, page) = t.page(&anna, &format!("/tasks/{id}?lang=en")).await;
    assert_eq!(st, 200, "{page}");
    assert!(page.contains("Dwie uchwały brakują w BIP.") && page.contains("Being worked on"));
    let csrf = t.csrf(&anna, &format!("/tasks/{id}")).await;
    let r = anna
        .post(t.url(&format!("/tasks/{id}/answer")))
        .form(&[("csrf", csrf.as_str()), ("answer", "Uzupełnione.")])
        .send()
        .await
        .expect("answer");
    assert_eq!(r.status(), 303);
    let (_, page) = t
        .page(
            &anna,
            &format!("/offices/{office}/departments/{or}/tasks?lang=en"),
        )
        .await;
    assert!(
        page.contains("Finished lately") && page.contains("Sprawdź, czy uchwały"),
        "{page}"
    );

    // On the application's message, over the API; a citizen and a stranger get nothing.
    let message = "/api/v1/tasks";
    let body = json!({"kind": "task", "assignee": anna_id, "text": "Odpisać wnioskodawcy",
        "message": submission.message_id});
    let (st, m) = t
        .api(
            &anna_token,
            reqwest::Method::POST,
            message,
            Some(body.clone()),
        )
        .await;
    assert_eq!(st, 201, "{m}");
    assert_eq!(m["link_kind"], "message");
    let citizen = t.demo_token("jan.kowalski@okienko.test").await;
    assert_eq!(
        t.api(&citizen, reqwest::Method::POST, message, Some(body))
            .await
            .0,
        404
    );
    let both = json!({"kind": "task", "assignee": anna_id, "text": "x",
        "message": submission.message_id, "submission": reference});
    assert_eq!(
        t.api(&anna_token, reqwest::Method::POST, message, Some(both))
            .await
            .0,
        422
    );
    let (st, _) = t
        .page(&t.demo_web("jan.kowalski@okienko.test").await, "/tasks/new")
        .await;
    assert_eq!(st, 404);
}
