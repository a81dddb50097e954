//! Search end to end: an official finds a case by a word of its title or party typed without
//! Polish letters, by its signature, and a case document by a word of its PDF's text (read in
//! the sandboxed worker); someone of another department finds none of it; bad input is a clear
//! answer; the page works without JavaScript.

use crate::common::TestServer;
use serde_json::{json, Value};

/// A one-page PDF with a line of text in a standard font (what a scanner or an office suite
/// writes, in small; its cross-reference table counted by `okienko::fuzz::pdf`).
pub(crate) fn pdf_with_text(text: &str) -> Vec<u8> {
    let content = format!("BT /F1 12 Tf 72 720 Td ({text}) Tj ET");
    okienko::fuzz::pdf(&[
        "<< /Type /Catalog /Pages 2 0 R >>".to_string(),
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_string(),
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 5 0 R >> >> /Contents 4 0 R >>".to_string(),
        format!("<< /Length {} >>\nstream\n{content}\nendstream", content.len()),
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>".to_string(),
    ])
}

#[tokio::test]
async fn officials_find_cases_and_document_texts_without_diacritics_and_only_their_own() {
    use base64::Engine;
    let t = TestServer::seeded().await;
    let http = reqwest::Client::new();
    let anna = t.demo_token("anna.nowak@okienko.test").await;
    let piotr = t.demo_token("piotr.zielinski@okienko.test").await;
    let call = |token: String, method: reqwest::Method, path: String, body: Option<Value>| {
        let mut r = http.request(method, t.url(&path)).bearer_auth(token);
        if let Some(b) = body {
            r = r.json(&b);
        }
        async move {
            let r = r.send().await.expect("request");
            let status = r.status().as_u16();
            (status, r.json::<Value>().await.unwrap_or(Value::Null))
        }
    };
    let get = |token: &String, q: &str| {
        call(
            token.clone(),
            reqwest::Method::GET,
            format!("/api/v1/search?{q}"),
            None,
        )
    };
    let (st, case) = call(
        anna.clone(),
        reqwest::Method::POST,
        "/api/v1/cases".into(),
        Some(json!({"department": "OR", "jrwa": "015", "title": "Wycinka topoli przy ulicy Źródlanej", "party": "Zofia Wąsik"})),
    )
    .await;
    assert_eq!(st, 201, "{case}");
    let case_id = case["id"].as_str().expect("id").to_string();
    let signature = case["signature"].as_str().expect("signature").to_string();
    let pdf = pdf_with_text("Opinia dendrologiczna: drzewo zamarle, zagraza przechodniom.");
    let (st, doc) = call(
        anna.clone(),
        reqwest::Method::POST,
        format!("/api/v1/cases/{case_id}/documents"),
        Some(json!({"title": "Opinia", "name": "opinia.pdf",
            "content": base64::engine::general_purpose::STANDARD.encode(&pdf)})),
    )
    .await;
    assert_eq!(st, 201, "{doc}");
    let doc_id = doc["id"].as_str().expect("id").to_string();

    // Words without Polish letters, a prefix, a party's name, the signature.
    let ids = |v: &Value| -> Vec<(String, String)> {
        v["items"]
            .as_array()
            .expect("items")
            .iter()
            .map(|h| {
                (
                    h["kind"].as_str().unwrap_or("").to_string(),
                    h["id"].as_str().unwrap_or("").to_string(),
                )
            })
            .collect()
    };
    let this_case = vec![("case".to_string(), case_id.clone())];
    let (st, v) = get(&anna, "q=zrodlanej%20wycink").await;
    assert_eq!((st, ids(&v)), (200, this_case.clone()), "{v}");
    let (_, v) = get(&anna, "q=WASIK&kind=case").await;
    assert_eq!(ids(&v), this_case);
    let (_, v) = get(&anna, &format!("q={signature}")).await;
    assert_eq!(ids(&v), this_case, "the signature finds its case");
    assert_eq!(v["items"][0]["url"], format!("/cases/{case_id}"));
    // The PDF's text, read in the worker, finds the document; it opens its case.
    let (_, v) = get(&anna, "q=dendrologiczna%20zamarle").await;
    assert_eq!(
        ids(&v),
        vec![("document".to_string(), doc_id.clone())],
        "{v}"
    );
    assert_eq!(
        v["items"][0]["url"],
        format!("/cases/{case_id}#document-{doc_id}")
    );
    // Another department's official finds none of it; someone who works no cases is told
    // there is nothing here; bad input is a clear error.
    let (st, v) = get(&piotr, "q=zrodlanej").await;
    assert_eq!((st, ids(&v)), (200, vec![]), "{v}");
    let (st, v) = get(&piotr, "q=dendrologiczna").await;
    assert_eq!((st, ids(&v)), (200, vec![]), "{v}");
    let jan = t.demo_token("jan.kowalski@okienko.test").await;
    assert_eq!(get(&jan, "q=zrodlanej").await.0, 404);
    let (st, p) = get(&anna, "q=topola&kind=letters").await;
    assert_eq!(st, 422);
    assert!(p.to_string().contains("kind"), "{p}");
    let long = "a".repeat(101);
    assert_eq!(get(&anna, &format!("q={long}")).await.0, 422);
    let (st, v) = get(&anna, "").await;
    assert_eq!((st, ids(&v)), (200, vec![]), "nothing asked, nothing found");

    // The page, in Polish and English.
    let web = t.demo_web("anna.nowak@okienko.test").await;
    let html = web
        .get(t.url("/search?q=zrodlanej"))
        .send()
        .await
        .expect("page")
        .text()
        .await
        .expect("html");
    assert!(
        html.contains(&format!("href=\"/cases/{case_id}\"")),
        "{html}"
    );
    assert!(html.contains("Wycinka topoli"), "{html}");
    let html = web
        .get(t.url("/search?q=nothing-like-this&lang=en"))
        .send()
        .await
        .expect("page")
        .text()
        .await
        .expect("html");
    assert!(html.contains("Nothing found"), "{html}");
}
