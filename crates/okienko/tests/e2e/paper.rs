//! The hybrid paper channel end to end: an office writes to a postal address, the letter is
//! printed at the post office serving the postcode, checked with outside tools (qpdf,
//! pdfinfo, Ghostscript's bounding boxes) against the hybrid-mail printing rules, dispatched
//! and its outcome recorded, with evidence that verifies with openssl and the log.

use crate::common::{tools_required, TestServer};
use crate::delivery::{get_json, verify_evidence_outside};
use std::process::Command;

const MM: f64 = 72.0 / 25.4;

fn tool(name: &str) -> bool {
    let ok = Command::new(name).arg("--version").output().is_ok();
    assert!(ok || !tools_required(), "{name} is required");
    ok
}

/// A PDF made by Ghostscript (not by okienko), to attach.
pub(crate) fn outside_pdf(dir: &std::path::Path) -> Option<Vec<u8>> {
    if !tool("gs") {
        return None;
    }
    let out = dir.join("attachment.pdf");
    let st = Command::new("gs")
        .args(["-q", "-dNOPAUSE", "-dBATCH", "-sDEVICE=pdfwrite", "-sPAPERSIZE=a4"])
        .arg(format!("-sOutputFile={}", out.display()))
        .args([
            "-c",
            "/Helvetica findfont 24 scalefont setfont 72 720 moveto (Attachment page one) show showpage \
             72 720 moveto (Attachment page two) show showpage",
        ])
        .status()
        .expect("gs");
    assert!(st.success());
    Some(std::fs::read(out).expect("read"))
}

pub(crate) async fn send_paper(
    t: &TestServer,
    token: &str,
    from: &str,
    postal: serde_json::Value,
    files: &[(&str, Vec<u8>)],
) -> (u16, serde_json::Value) {
    let msg = serde_json::json!({"from": from, "to": [], "subject": "Decyzja w sprawie podatku", "body": "Zawiadamiamy, że…\n\nZ poważaniem,\nUrząd", "postal": postal});
    let mut form = reqwest::multipart::Form::new().part(
        "message",
        reqwest::multipart::Part::text(msg.to_string())
            .mime_str("application/json")
            .expect("mime"),
    );
    for (name, bytes) in files {
        form = form.part(
            "attachment",
            reqwest::multipart::Part::bytes(bytes.clone()).file_name(name.to_string()),
        );
    }
    let r = reqwest::Client::new()
        .post(t.url("/api/v1/messages"))
        .bearer_auth(token)
        .multipart(form)
        .send()
        .await
        .expect("send");
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(serde_json::Value::Null))
}

async fn post(
    t: &TestServer,
    token: &str,
    path: &str,
    body: Option<serde_json::Value>,
) -> (u16, serde_json::Value) {
    let mut req = reqwest::Client::new().post(t.url(path)).bearer_auth(token);
    if let Some(b) = body {
        req = req.json(&b);
    }
    let r = req.send().await.expect("post");
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(serde_json::Value::Null))
}

async fn bytes(t: &TestServer, token: &str, path: &str) -> (u16, Vec<u8>) {
    let r = reqwest::Client::new()
        .get(t.url(path))
        .bearer_auth(token)
        .send()
        .await
        .expect("get");
    (
        r.status().as_u16(),
        r.bytes().await.expect("bytes").to_vec(),
    )
}

/// Checks a PDF against the hybrid-mail printing rules with outside tools: qpdf finds no
/// errors, no encryption and no form; every page is A4 (pdfinfo); everything drawn stays at
/// least 15 mm from every edge (Ghostscript's bbox device); at most 98 sheets.
fn check_print_rules(path: &std::path::Path) -> usize {
    let out = Command::new("qpdf")
        .arg("--check")
        .arg(path)
        .output()
        .expect("qpdf");
    assert!(
        out.status.success(),
        "qpdf --check: {}",
        String::from_utf8_lossy(&out.stdout)
    );
    let enc = Command::new("qpdf")
        .arg("--show-encryption")
        .arg(path)
        .output()
        .expect("qpdf");
    assert!(String::from_utf8_lossy(&enc.stdout).contains("File is not encrypted"));
    let json = Command::new("qpdf")
        .args(["--json", "--json-key=acroform"])
        .arg(path)
        .output()
        .expect("qpdf");
    let v: serde_json::Value = serde_json::from_slice(&json.stdout).expect("qpdf json");
    assert_eq!(v["acroform"]["hasacroform"], false, "no form fields");
    let info = Command::new("pdfinfo")
        .args(["-f", "1", "-l", "1000"])
        .arg(path)
        .output()
        .expect("pdfinfo");
    let info = String::from_utf8_lossy(&info.stdout).to_string();
    let sizes: Vec<&str> = info
        .lines()
        .filter(|l| l.starts_with("Page ") && l.contains(" size: "))
        .collect();
    assert!(!sizes.is_empty(), "{info}");
    for l in &sizes {
        assert!(l.contains("595.276 x 841.89 pts (A4)"), "not A4: {l}");
    }
    let bbox = Command::new("gs")
        .args(["-q", "-dNOPAUSE", "-dBATCH", "-dSAFER", "-sDEVICE=bbox"])
        .arg(path)
        .output()
        .expect("gs");
    let boxes: Vec<Vec<f64>> = String::from_utf8_lossy(&bbox.stderr)
        .lines()
        .filter_map(|l| l.strip_prefix("%%HiResBoundingBox: "))
        .map(|l| {
            l.split_whitespace()
                .filter_map(|n| n.parse().ok())
                .collect()
        })
        .collect();
    assert_eq!(boxes.len(), sizes.len(), "one box per page");
    for b in &boxes {
        let (x1, y1, x2, y2) = (b[0], b[1], b[2], b[3]);
        if x1 == 0.0 && y1 == 0.0 && x2 == 0.0 && y2 == 0.0 {
            continue; // an empty page
        }
        assert!(x1 >= 15.0 * MM - 0.5, "left margin {x1}");
        assert!(y1 >= 15.0 * MM - 0.5, "bottom margin {y1}");
        assert!(x2 <= 595.276 - 15.0 * MM + 0.5, "right margin {x2}");
        assert!(y2 <= 841.89 - 15.0 * MM + 0.5, "top margin {y2}");
    }
    assert!(sizes.len() <= 98);
    sizes.len()
}

#[tokio::test]
async fn office_letter_goes_by_post_with_evidence_and_print_rules() {
    let t = TestServer::seeded().await;
    if !(tool("qpdf") && tool("pdfinfo")) {
        return;
    }
    let Some(attachment) = outside_pdf(&t.data) else {
        return;
    };
    let anna = t.demo_token("anna.nowak@okienko.test").await;
    let kasia = t.demo_token("kasia.poczta@okienko.test").await;
    let jan = t.demo_token("jan.kowalski@okienko.test").await;
    let kasia_p = crate::common::principal(&t, "kasia.poczta@okienko.test").await;
    let point = t
        .services
        .my_paper_points(&kasia_p)
        .await
        .expect("points")
        .remove(0);
    let (_, me) = get_json(t.url("/api/v1/me"), Some(&anna)).await;
    let office_box = me["mailboxes"][0]["address"]
        .as_str()
        .expect("box")
        .to_string();
    let (_, me) = get_json(t.url("/api/v1/me"), Some(&jan)).await;
    let jan_box = me["mailboxes"][0]["address"]
        .as_str()
        .expect("box")
        .to_string();
    let recipient = serde_json::json!([{"name": "Zofia Źdźbło", "street": "ul. Łąkowa 5 m. 2", "postal_code": point.postal_code, "city": point.city}]);

    // Refused, with rejection evidence and nothing delivered: a citizen writing on paper, an
    // attachment that cannot be printed, a postcode in the wrong form.
    let (s, r) = send_paper(&t, &jan, &jan_box, recipient.clone(), &[]).await;
    assert_eq!(s, 422, "{r}");
    assert!(r.to_string().contains("err-postal-public-only"), "{r}");
    let docx = b"PK\x03\x04 not really".to_vec();
    let (s, r) = send_paper(
        &t,
        &anna,
        &office_box,
        recipient.clone(),
        &[("a.docx", docx)],
    )
    .await;
    assert_eq!(s, 422);
    assert!(
        r.to_string().contains("err-attachment-not-printable"),
        "{r}"
    );
    assert!(r["evidence_id"].as_str().is_some(), "{r}");
    let bad =
        serde_json::json!([{"name": "X", "street": "Y", "postal_code": "00950", "city": "Z"}]);
    let (s, _) = send_paper(&t, &anna, &office_box, bad, &[]).await;
    assert_eq!(s, 422);
    assert!(t
        .services
        .store
        .waiting_letters(&point.id)
        .await
        .expect("w")
        .is_empty());

    // Accepted: the letter waits at the post office that serves the postcode.
    let text = "Uzasadnienie: zażółć gęślą jaźń.\n"
        .repeat(200)
        .into_bytes();
    let (s, sent) = send_paper(
        &t,
        &anna,
        &office_box,
        recipient,
        &[("decyzja.pdf", attachment), ("uzasadnienie.txt", text)],
    )
    .await;
    assert_eq!(s, 201, "{sent}");
    let id = sent["id"].as_str().expect("id").to_string();
    let (_, m) = get_json(t.url(&format!("/api/v1/messages/{id}")), Some(&anna)).await;
    let letter = m["paper"][0].clone();
    assert_eq!(letter["status"], "waiting", "{m}");
    let tracking = letter["tracking_number"]
        .as_str()
        .expect("tracking")
        .to_string();
    assert!(okienko_domain::tracking::parse(&tracking).is_ok());
    // Nobody else sees the paper part; the clerk's desk lists it.
    let (_, desk) = get_json(
        t.url(&format!("/api/v1/service-points/{}/paper", point.id)),
        Some(&kasia),
    )
    .await;
    assert_eq!(desk["waiting"][0]["tracking_number"], tracking.as_str());
    assert_eq!(
        get_json(
            t.url(&format!("/api/v1/service-points/{}/paper", point.id)),
            Some(&anna)
        )
        .await
        .0,
        404
    );

    // The clerk makes a batch, downloads one print-ready PDF and checks it.
    let (s, batch) = post(
        &t,
        &kasia,
        &format!("/api/v1/service-points/{}/print-batches", point.id),
        None,
    )
    .await;
    assert_eq!(s, 201, "{batch}");
    let bid = batch["id"].as_str().expect("id").to_string();
    assert_eq!(batch["letters"], 1);
    let (s, pdf) = bytes(&t, &kasia, &format!("/api/v1/print-batches/{bid}/pdf")).await;
    assert_eq!(s, 200);
    let path = t.data.join("batch.pdf");
    std::fs::write(&path, &pdf).expect("write");
    let pages = check_print_rules(&path);
    assert_eq!(pages as i64, batch["pages"].as_i64().expect("pages"));
    // cover, letter, the two attachment pages, the text attachment.
    assert!(pages >= 5, "{pages}");
    let (s, letter_pdf) = bytes(
        &t,
        &anna,
        &format!(
            "/api/v1/paper-letters/{}/pdf",
            letter["id"].as_str().expect("id")
        ),
    )
    .await;
    assert_eq!(s, 200);
    assert_eq!(
        hex::encode(okienko_trust::sha256(&letter_pdf)),
        letter["pdf_sha256"].as_str().expect("sha")
    );
    let lpath = t.data.join("letter.pdf");
    std::fs::write(&lpath, &letter_pdf).expect("write");
    assert_eq!(check_print_rules(&lpath), pages);
    let text = Command::new("pdftotext")
        .arg(&lpath)
        .arg("-")
        .output()
        .expect("pdftotext");
    let text = String::from_utf8_lossy(&text.stdout);
    assert!(
        text.contains(&tracking)
            && text.contains("Zofia Źdźbło")
            && text.contains("Attachment page two"),
        "{text}"
    );
    // The carrier's hand-over list names each letter by its tracking number and recipient.
    let kasia_web = t.demo_web("kasia.poczta@okienko.test").await;
    let list = kasia_web
        .get(t.url(&format!("/print-batches/{bid}/handover/pdf")))
        .send()
        .await
        .expect("list")
        .bytes()
        .await
        .expect("bytes");
    let hpath = t.data.join("handover.pdf");
    std::fs::write(&hpath, &list).expect("write");
    let text = Command::new("pdftotext")
        .arg(&hpath)
        .arg("-")
        .output()
        .expect("pdftotext");
    let text = String::from_utf8_lossy(&text.stdout);
    assert!(
        text.contains(&tracking) && text.contains("Zofia Źdźbło") && text.contains("Przyjął"),
        "{text}"
    );

    // Dispatch only after printing; outcome only after dispatch; each once.
    let lid = letter["id"].as_str().expect("id");
    assert_eq!(
        post(
            &t,
            &kasia,
            &format!("/api/v1/paper-letters/{lid}/outcome"),
            Some(serde_json::json!({"outcome": "delivered"}))
        )
        .await
        .0,
        409
    );
    assert_eq!(
        post(
            &t,
            &kasia,
            &format!("/api/v1/print-batches/{bid}/dispatched"),
            None
        )
        .await
        .0,
        409
    );
    assert_eq!(
        post(
            &t,
            &kasia,
            &format!("/api/v1/print-batches/{bid}/printed"),
            None
        )
        .await
        .0,
        200
    );
    let (s, b) = post(
        &t,
        &kasia,
        &format!("/api/v1/print-batches/{bid}/dispatched"),
        None,
    )
    .await;
    assert_eq!((s, b["status"].as_str()), (200, Some("dispatched")));
    assert_eq!(
        post(
            &t,
            &kasia,
            &format!("/api/v1/paper-letters/{lid}/outcome"),
            Some(serde_json::json!({"outcome": "lost"}))
        )
        .await
        .0,
        422
    );
    let (s, l) = post(
        &t,
        &kasia,
        &format!("/api/v1/paper-letters/{lid}/outcome"),
        Some(serde_json::json!({"outcome": "returned-after-notice"})),
    )
    .await;
    assert_eq!(
        (s, l["status"].as_str()),
        (200, Some("returned-after-notice")),
        "{l}"
    );
    assert_eq!(
        post(
            &t,
            &kasia,
            &format!("/api/v1/paper-letters/{lid}/outcome"),
            Some(serde_json::json!({"outcome": "delivered"}))
        )
        .await
        .0,
        409
    );

    // The sender's evidence: acceptance, dispatch, outcome; all verify outside.
    let (_, ev) = get_json(
        t.url(&format!("/api/v1/messages/{id}/evidence")),
        Some(&anna),
    )
    .await;
    let items = ev["items"].as_array().expect("items").clone();
    let kinds: Vec<&str> = items.iter().filter_map(|e| e["type"].as_str()).collect();
    assert_eq!(
        kinds,
        vec!["submission-acceptance", "paper-dispatch", "paper-outcome"]
    );
    if let Some(contents) = verify_evidence_outside(&t, &anna, &items).await {
        let outcome = &contents[2];
        assert_eq!(outcome["tracking_number"], tracking.as_str());
        assert_eq!(outcome["outcome"], "returned-after-notice");
        assert!(outcome["legal_effect"]
            .as_str()
            .unwrap_or("")
            .contains("deemed delivered"));
        assert_eq!(outcome["letter_sha256"], letter["pdf_sha256"]);
        assert_eq!(
            contents[0]["paper_letters"][0]["tracking_number"],
            tracking.as_str()
        );
    }

    // A printable copy of the outcome evidence, readable and within the print rules.
    let eid = items[2]["id"].as_str().expect("id");
    let (s, epdf) = bytes(&t, &anna, &format!("/api/v1/evidence/{eid}/pdf")).await;
    assert_eq!(s, 200);
    let epath = t.data.join("evidence.pdf");
    std::fs::write(&epath, &epdf).expect("write");
    check_print_rules(&epath);
    let text = Command::new("pdftotext")
        .arg(&epath)
        .arg("-")
        .output()
        .expect("pdftotext");
    let text = String::from_utf8_lossy(&text.stdout);
    assert!(text.contains(eid) && text.contains(&tracking), "{text}");

    // Anyone holding the letter checks it with the tracking number and code.
    let code = t
        .services
        .store
        .paper_letter(lid)
        .await
        .expect("db")
        .expect("letter")
        .verification_code;
    let web = t.browser();
    let csrf = t.csrf(&web, "/letters/verify").await;
    let check = |code: String| {
        let web = web.clone();
        let csrf = csrf.clone();
        let tracking = tracking.clone();
        let url = t.url("/letters/verify");
        async move {
            let r = web
                .post(url)
                .form(&[
                    ("csrf", csrf.as_str()),
                    ("tracking", tracking.as_str()),
                    ("code", code.as_str()),
                ])
                .send()
                .await
                .expect("post");
            (r.status().as_u16(), r.text().await.expect("text"))
        }
    };
    let (s, page) = check(code.to_lowercase().replace('-', "")).await;
    assert_eq!(s, 200);
    assert!(
        page.contains(letter["pdf_sha256"].as_str().expect("sha")),
        "{page}"
    );
    let (s, page) = check("AAAA-AAAA".into()).await;
    assert_eq!(s, 422);
    assert!(!page.contains(letter["pdf_sha256"].as_str().expect("sha")));
}

/// An official writes on the page to two people by post: the first letter is previewed as it
/// will be printed (a sample instead of the tracking number, the official's name under the
/// text), nothing is sent or logged until "Send", then each address gets its own letter.
#[tokio::test]
async fn an_official_previews_and_sends_letters_to_two_postal_addresses() {
    let t = TestServer::seeded().await;
    let anna = t.demo_token("anna.nowak@okienko.test").await;
    let kasia_p = crate::common::principal(&t, "kasia.poczta@okienko.test").await;
    let point = t
        .services
        .my_paper_points(&kasia_p)
        .await
        .expect("points")
        .remove(0);
    let (_, me) = get_json(t.url("/api/v1/me"), Some(&anna)).await;
    let office_box = me["mailboxes"][0]["address"]
        .as_str()
        .expect("box")
        .to_string();
    let web = t.demo_web("anna.nowak@okienko.test").await;
    let path = format!("/mailboxes/{office_box}/compose");
    let csrf = t.csrf(&web, &path).await;
    let logged = t.services.log.size().await;
    let form = |action: &'static str| {
        reqwest::multipart::Form::new()
            .text("csrf", csrf.clone())
            .text("to", "")
            .text("subject", "Zawiadomienie o zebraniu")
            .text("body", "Zapraszamy na zebranie mieszkańców.")
            .text("postal_name_1", "Zofia Źdźbło")
            .text("postal_street_1", "ul. Łąkowa 5")
            .text("postal_code_1", point.postal_code.clone())
            .text("postal_city_1", point.city.clone())
            .text("postal_name_2", "Marek Wąs")
            .text("postal_street_2", "ul. Polna 2")
            .text("postal_code_2", point.postal_code.clone())
            .text("postal_city_2", point.city.clone())
            .text("action", action)
    };
    let r = web
        .post(t.url(&format!("{path}?lang=en")))
        .multipart(form("preview"))
        .send()
        .await
        .expect("preview");
    assert_eq!(r.status(), 200);
    let pdf = r.bytes().await.expect("pdf");
    assert!(pdf.starts_with(b"%PDF-"));
    if tool("pdftotext") {
        let ppath = t.data.join("preview.pdf");
        std::fs::write(&ppath, &pdf).expect("write");
        let text = Command::new("pdftotext")
            .arg(&ppath)
            .arg("-")
            .output()
            .expect("pdftotext");
        let text = String::from_utf8_lossy(&text.stdout);
        // The date as Polish letters write it, not an ISO date.
        let month = [
            "stycznia",
            "lutego",
            "marca",
            "kwietnia",
            "maja",
            "czerwca",
            "lipca",
            "sierpnia",
            "września",
            "października",
            "listopada",
            "grudnia",
        ]
        .iter()
        .any(|m| text.contains(m));
        assert!(
            month
                && text.contains(okienko_services::paper::PREVIEW)
                && text.contains("Zofia Źdźbło")
                && text.contains("Anna Nowak"),
            "{text}"
        );
    }
    let r = web
        .post(t.url(&format!("{path}?lang=en")))
        .multipart(form("check"))
        .send()
        .await
        .expect("check");
    assert_eq!(r.status(), 200);
    let page = r.text().await.expect("page");
    assert!(
        page.contains("Zofia Źdźbło, ul. Łąkowa 5") && page.contains("Marek Wąs, ul. Polna 2"),
        "{page}"
    );
    assert_eq!(
        t.services.log.size().await,
        logged,
        "nothing logged before sending"
    );
    let r = web
        .post(t.url(&path))
        .multipart(form("send"))
        .send()
        .await
        .expect("send");
    assert_eq!(r.status(), 303);
    let waiting = t
        .services
        .paper_desk(&kasia_p, &point.id)
        .await
        .expect("desk")
        .waiting;
    let names: Vec<&str> = waiting.iter().map(|l| l.recipient_name.as_str()).collect();
    assert!(
        names.contains(&"Zofia Źdźbło") && names.contains(&"Marek Wąs"),
        "{names:?}"
    );
}
