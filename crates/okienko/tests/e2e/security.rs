//! Regression tests for the findings of the security probe (issue 11): each failed before
//! its fix.

use crate::common::TestServer;
use crate::delivery::get_json;
use crate::paper::send_paper;

/// A small, well-formed PDF whose page dictionary holds `depth` nested arrays.
pub fn nested_pdf(depth: usize) -> Vec<u8> {
    let nest = format!("{}{}", "[".repeat(depth), "]".repeat(depth));
    let content = "BT /F1 12 Tf 72 720 Td (x) Tj ET";
    let objects = [
        "<< /Type /Catalog /Pages 2 0 R >>".to_string(),
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_string(),
        format!(
            "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R /Nest {nest} >>"
        ),
        format!(
            "<< /Length {} >>\nstream\n{content}\nendstream",
            content.len()
        ),
    ];
    let mut pdf = b"%PDF-1.7\n".to_vec();
    let mut offsets = Vec::new();
    for (i, o) in objects.iter().enumerate() {
        offsets.push(pdf.len());
        pdf.extend_from_slice(format!("{} 0 obj\n{o}\nendobj\n", i + 1).as_bytes());
    }
    let xref = pdf.len();
    pdf.extend_from_slice(
        format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).as_bytes(),
    );
    for o in offsets {
        pdf.extend_from_slice(format!("{o:010} 00000 n \n").as_bytes());
    }
    pdf.extend_from_slice(
        format!(
            "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n",
            objects.len() + 1
        )
        .as_bytes(),
    );
    pdf
}

/// A PNG whose header claims 20,000 × 20,000 pixels.
fn png_bomb() -> Vec<u8> {
    let mut png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
    png.extend_from_slice(&20_000u32.to_be_bytes());
    png.extend_from_slice(&20_000u32.to_be_bytes());
    png.extend_from_slice(&[8, 6, 0, 0, 0, 0, 0, 0, 0]);
    png.extend_from_slice(&[0, 0, 0, 0, b'I', b'E', b'N', b'D', 0xAE, 0x42, 0x60, 0x82]);
    png
}

async fn office_box(t: &TestServer, token: &str) -> String {
    let (_, me) = get_json(t.url("/api/v1/me"), Some(token)).await;
    me["mailboxes"][0]["address"]
        .as_str()
        .expect("box")
        .to_string()
}

/// Finding 1: a PDF nested 30,000 deep (and a decompression-bomb PNG) on the paper channel is
/// refused with a submission-rejection; the server keeps answering.
#[tokio::test]
async fn hostile_documents_on_the_paper_channel_are_refused_and_the_server_lives() {
    let t = TestServer::seeded().await;
    let anna = t.demo_token("anna.nowak@okienko.test").await;
    let from = office_box(&t, &anna).await;
    let kasia = crate::common::principal(&t, "kasia.poczta@okienko.test").await;
    let point = t
        .services
        .my_paper_points(&kasia)
        .await
        .expect("points")
        .remove(0);
    let to = serde_json::json!([{"name": "Zofia Źdźbło", "street": "ul. Łąkowa 5", "postal_code": point.postal_code, "city": point.city}]);
    for (name, bytes) in [
        ("nested.pdf", nested_pdf(30_000)),
        ("nested-deeper.pdf", nested_pdf(200_000)),
        ("bomb.png", png_bomb()),
    ] {
        let (s, r) = send_paper(&t, &anna, &from, to.clone(), &[(name, bytes)]).await;
        assert_eq!(s, 422, "{name}: {r}");
        assert!(
            r.to_string().contains("err-attachment-not-printable"),
            "{name}: {r}"
        );
        let ev = r["evidence_id"].as_str().expect("rejection evidence");
        let (s, e) = get_json(t.url(&format!("/api/v1/evidence/{ev}")), Some(&anna)).await;
        assert_eq!(s, 200, "{e}");
        assert!(e.to_string().contains("submission-rejection"), "{e}");
        let (s, _) = get_json(t.url("/healthz"), None).await;
        assert_eq!(s, 200, "the server still answers after {name}");
    }
    // A modest nesting still prints: the limit refuses hostile documents, not ordinary ones.
    let (s, r) = send_paper(&t, &anna, &from, to, &[("ok.pdf", nested_pdf(50))]).await;
    assert_eq!(s, 201, "{r}");
}

/// Finding 2: one PESEL, one person. Two accounts apply with the same PESEL; once one is
/// confirmed, the other cannot be, nor apply again; an account cannot take the PESEL of a
/// person who has a delivery mailbox.
#[tokio::test]
async fn one_pesel_belongs_to_one_account() {
    use crate::trusted::{application, citizen, post};
    let t = TestServer::seeded().await;
    let ola = citizen(&t, "ola").await;
    let ala = citizen(&t, "ala").await;
    let kasia = t.demo_token("kasia.poczta@okienko.test").await;
    const PESEL: &str = "85122410001";
    let apply = "/api/v1/trusted-profile/applications";
    let (s, first) = post(&t, &ola, apply, application(PESEL, "ABA300000")).await;
    assert_eq!(s, 201, "{first}");
    let (s, second) = post(&t, &ala, apply, application(PESEL, "ABA300000")).await;
    assert_eq!(s, 201, "{second}");
    let confirm = "/api/v1/counter/trusted-profile/confirmations";
    let body = |a: &serde_json::Value| serde_json::json!({"number": a["number"], "pesel": PESEL, "id_document_number": "ABA300000"});
    let (s, r) = post(&t, &kasia, confirm, body(&first)).await;
    assert_eq!(s, 201, "{r}");
    let (s, r) = post(&t, &kasia, confirm, body(&second)).await;
    assert_eq!(s, 422, "{r}");
    assert!(r.to_string().contains("err-pesel-registered"), "{r}");
    let (_, me) = get_json(t.url("/api/v1/me"), Some(&ala)).await;
    assert!(me["trusted_profile"].is_null(), "{me}");
    let (s, r) = post(&t, &ala, apply, application(PESEL, "ABA300000")).await;
    assert_eq!(s, 422, "{r}");
    assert!(r.to_string().contains("err-pesel-registered"), "{r}");
    // Jan's PESEL has Jan's delivery mailbox: Maria cannot apply with it.
    let maria = t.demo_token("maria.wisniewska@okienko.test").await;
    let (s, r) = post(&t, &maria, apply, application("44051401359", "ABA300000")).await;
    assert_eq!(s, 422, "{r}");
    assert!(r.to_string().contains("err-pesel-registered"), "{r}");
    // The counter cannot register a new account for it either.
    let clerk = crate::common::principal(&t, "kasia.poczta@okienko.test").await;
    let r = t
        .services
        .register_at_counter(
            &clerk,
            &okienko_services::trusted::CounterRegistration {
                pesel: PESEL.into(),
                first_name: "Ala".into(),
                last_name: "Nowak".into(),
                id_document_number: "ABA300000".into(),
                phone: String::new(),
                email: String::new(),
            },
        )
        .await;
    assert!(
        format!("{:?}", r.err()).contains("err-pesel-registered"),
        "counter registration of a taken PESEL"
    );
}

/// Sends a JSON-only message (no attachments) through the API.
pub async fn send_json(
    t: &TestServer,
    token: &str,
    msg: serde_json::Value,
) -> (u16, serde_json::Value) {
    let form = reqwest::multipart::Form::new().part(
        "message",
        reqwest::multipart::Part::text(msg.to_string())
            .mime_str("application/json")
            .expect("mime"),
    );
    let r = reqwest::Client::new()
        .post(t.url("/api/v1/messages"))
        .bearer_auth(token)
        .multipart(form)
        .send()
        .await
        .expect("send");
    let s = r.status().as_u16();
    (s, r.json().await.unwrap_or(serde_json::Value::Null))
}

/// Finding 3: recipients of one message do not see each other (API, evidence, pages); the
/// sender sees them all.
#[tokio::test]
async fn recipients_of_one_message_do_not_see_each_other() {
    let t = TestServer::seeded().await;
    let anna = t.demo_token("anna.nowak@okienko.test").await;
    let jan = t.demo_token("jan.kowalski@okienko.test").await;
    let maria = t.demo_token("maria.wisniewska@okienko.test").await;
    let from = office_box(&t, &anna).await;
    let jan_box = office_box(&t, &jan).await;
    let maria_box = office_box(&t, &maria).await;
    let kasia = crate::common::principal(&t, "kasia.poczta@okienko.test").await;
    let point = t
        .services
        .my_paper_points(&kasia)
        .await
        .expect("points")
        .remove(0);
    let (s, sent) = send_json(
        &t,
        &anna,
        serde_json::json!({"from": from, "to": [jan_box, maria_box], "bulk": true,
            "subject": "Podatek od nieruchomości", "body": "Decyzja",
            "postal": [{"name": "Zofia Źdźbło", "street": "ul. Łąkowa 5", "postal_code": point.postal_code, "city": point.city}]}),
    )
    .await;
    assert_eq!(s, 201, "{sent}");
    let id = sent["id"].as_str().expect("id").to_string();
    // Maria reads first, so a reading time exists that Jan must not learn.
    let (s, _) = get_json(t.url(&format!("/api/v1/messages/{id}")), Some(&maria)).await;
    assert_eq!(s, 200);
    let (s, m) = get_json(t.url(&format!("/api/v1/messages/{id}")), Some(&jan)).await;
    assert_eq!(s, 200, "{m}");
    assert_eq!(m["to"], serde_json::json!([jan_box]), "{m}");
    let mut seen = m.to_string();
    assert!(!seen.contains("PAPER") && !seen.contains("Zofia"), "{m}");
    let (_, list) = get_json(
        t.url(&format!("/api/v1/messages/{id}/evidence")),
        Some(&jan),
    )
    .await;
    let items = list["items"].as_array().expect("items").clone();
    assert!(!items.is_empty(), "{list}");
    for e in &items {
        let eid = e["id"].as_str().expect("id");
        let (s, doc) = get_json(t.url(&format!("/api/v1/evidence/{eid}")), Some(&jan)).await;
        assert_eq!(s, 200, "{doc}");
        assert_eq!(doc["recipients"], serde_json::json!([jan_box]), "{doc}");
        seen.push_str(&doc.to_string());
    }
    assert!(
        !seen.contains(&maria_box),
        "Jan saw Maria's address: {seen}"
    );
    // Maria's evidence is not Jan's to fetch.
    let (_, mlist) = get_json(
        t.url(&format!("/api/v1/messages/{id}/evidence")),
        Some(&maria),
    )
    .await;
    for e in mlist["items"].as_array().expect("items") {
        let eid = e["id"].as_str().expect("id");
        let (s, _) = get_json(t.url(&format!("/api/v1/evidence/{eid}")), Some(&jan)).await;
        assert_eq!(s, 404, "Jan fetched Maria's evidence {eid}");
    }
    // The page neither.
    let web = t.demo_web("jan.kowalski@okienko.test").await;
    let html = web
        .get(t.url(&format!("/messages/{id}")))
        .send()
        .await
        .expect("page")
        .text()
        .await
        .expect("html");
    assert!(html.contains(&jan_box), "the page shows Jan's own address");
    assert!(!html.contains(&maria_box), "the page shows Maria's address");
    // The sender sees every recipient, the letter and all evidence.
    let (_, m) = get_json(t.url(&format!("/api/v1/messages/{id}")), Some(&anna)).await;
    assert_eq!(m["to"].as_array().map(Vec::len), Some(2), "{m}");
    assert_eq!(m["paper"].as_array().map(Vec::len), Some(1), "{m}");
    let (_, all) = get_json(
        t.url(&format!("/api/v1/messages/{id}/evidence")),
        Some(&anna),
    )
    .await;
    assert!(
        all["items"].as_array().map_or(0, Vec::len) > items.len(),
        "{all}"
    );
}
