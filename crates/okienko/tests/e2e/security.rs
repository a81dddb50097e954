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
    okienko::fuzz::pdf(&objects)
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
            &PlainTexts,
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

fn form_token(html: &str) -> String {
    html.split("name=\"csrf\" value=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .expect("csrf token on the page")
        .to_string()
}

/// Findings 4 and 23: only same-site paths are followed after sign-in; control characters in
/// `next` give no server error.
#[tokio::test]
async fn sign_in_follows_only_local_paths() {
    let t = TestServer::seeded().await;
    for next in [
        "/%09/evil.example",
        "//evil.example",
        "/%0d%0aSet-Cookie:x=1",
        "/\\evil",
    ] {
        let c = t.browser();
        let r = c
            .get(t.url(&format!("/login?next={next}")))
            .send()
            .await
            .expect("page");
        assert_eq!(r.status(), 200, "{next}");
        let csrf = form_token(&r.text().await.expect("html"));
        let r = c
            .post(t.url(&format!("/login?next={next}")))
            .form(&[
                ("csrf", csrf.as_str()),
                ("login", "jan.kowalski@okienko.test"),
                ("password", okienko_services::demo::PASSWORD),
            ])
            .send()
            .await
            .expect("login");
        assert_eq!(r.status(), 303, "{next}");
        assert_eq!(r.headers()["location"], "/", "{next}");
    }
}

/// Finding 5: how much may be sent is checked before the body is read: an anonymous upload
/// over its limit and a message over the configured size are answered 413 at once.
#[tokio::test]
async fn bodies_over_their_limit_are_refused_before_reading() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let t = TestServer::start_with(|s| {
        s.limits.max_total_bytes = 1024 * 1024;
    })
    .await;
    okienko_services::demo::seed(&t.services)
        .await
        .expect("seed");
    let addr = t.base.trim_start_matches("http://").to_string();
    // Headers only, declaring 59 MB: the answer comes without a byte of body sent.
    let head = |path: &str, extra: &str| {
        format!(
            "POST {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: multipart/form-data; boundary=x\r\nContent-Length: 61865984\r\n{extra}\r\n"
        )
    };
    let mut s = tokio::net::TcpStream::connect(&addr)
        .await
        .expect("connect");
    s.write_all(head("/verify", "").as_bytes())
        .await
        .expect("send");
    let mut buf = vec![0u8; 4096];
    let n = tokio::time::timeout(std::time::Duration::from_secs(5), s.read(&mut buf))
        .await
        .expect("answered before the body")
        .expect("read");
    let text = String::from_utf8_lossy(&buf[..n]);
    assert!(text.starts_with("HTTP/1.1 413"), "{text}");
    // A signed-in citizen: the configured 1 MB (and room for the form), not 200 MB.
    let jan = t.demo_token("jan.kowalski@okienko.test").await;
    let mut s = tokio::net::TcpStream::connect(&addr)
        .await
        .expect("connect");
    s.write_all(
        head(
            "/api/v1/messages",
            &format!("Authorization: Bearer {jan}\r\n"),
        )
        .as_bytes(),
    )
    .await
    .expect("send");
    let n = tokio::time::timeout(std::time::Duration::from_secs(5), s.read(&mut buf))
        .await
        .expect("answered before the body")
        .expect("read");
    let text = String::from_utf8_lossy(&buf[..n]);
    assert!(text.starts_with("HTTP/1.1 413"), "{text}");
    assert!(text.contains("application/problem+json"), "{text}");
}

/// Finding 15: a client that sends its headers too slowly, or stalls in its body, is cut off.
#[tokio::test]
async fn slow_clients_are_cut_off() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let t = TestServer::start().await;
    let addr = t.base.trim_start_matches("http://").to_string();
    let mut s = tokio::net::TcpStream::connect(&addr)
        .await
        .expect("connect");
    s.write_all(b"GET / HTTP/1.1\r\nHost: x\r\n")
        .await
        .expect("part");
    let mut buf = vec![0u8; 1024];
    let closed = tokio::time::timeout(std::time::Duration::from_secs(15), s.read(&mut buf)).await;
    assert!(
        matches!(closed, Ok(Ok(_)) | Ok(Err(_))),
        "a slow head is closed within the head timeout"
    );
    let mut s = tokio::net::TcpStream::connect(&addr)
        .await
        .expect("connect");
    s.write_all(
        b"POST /login HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 1000\r\n\r\nlogin=a",
    )
    .await
    .expect("part");
    let answered = tokio::time::timeout(std::time::Duration::from_secs(30), s.read(&mut buf)).await;
    assert!(
        answered.is_ok(),
        "a stalled body is cut off within the stall limit"
    );
}

/// Finding 7: an over-long login is refused before anything is stored.
#[tokio::test]
async fn long_logins_are_refused_and_not_stored() {
    let t = TestServer::seeded().await;
    let long = "a".repeat(1_900_000);
    let r = reqwest::Client::new()
        .post(t.url("/api/v1/auth/token"))
        .json(&serde_json::json!({"login": long, "password": "x"}))
        .send()
        .await
        .expect("token");
    assert!(r.status() == 422 || r.status() == 413, "{}", r.status());
    let attempts = t
        .services
        .store
        .count_attempt(&["probe".to_string()], 0, 0)
        .await
        .expect("count");
    assert_eq!(attempts, vec![1]);
}

/// Finding 12: guesses counted before the password is checked (concurrent requests cannot
/// slip past), per account and address: an attacker cannot lock the owner out.
#[tokio::test]
async fn concurrent_guesses_are_counted_and_the_owner_is_not_locked_out() {
    let t = TestServer::start_with(|s| {
        s.net.trusted_proxies = okienko_web::net::Net::parse_list("127.0.0.1,::1").expect("net");
    })
    .await;
    okienko_services::demo::seed(&t.services)
        .await
        .expect("seed");
    let guess = |ip: &'static str, password: &'static str| {
        let url = t.url("/api/v1/auth/token");
        async move {
            reqwest::Client::new()
                .post(url)
                .header("x-forwarded-for", ip)
                .json(&serde_json::json!({"login": "maria.wisniewska@okienko.test", "password": password}))
                .send()
                .await
                .expect("token")
                .status()
                .as_u16()
        }
    };
    let mut tasks = Vec::new();
    for _ in 0..30 {
        tasks.push(tokio::spawn(guess("6.6.6.6", "wrong password!")));
    }
    let mut wrong = 0;
    for task in tasks {
        if task.await.expect("task") == 401 {
            wrong += 1;
        }
    }
    assert!(
        wrong <= 10,
        "{wrong} guesses were checked against a limit of 10"
    );
    assert_eq!(
        guess("6.6.6.6", okienko_services::demo::PASSWORD).await,
        429
    );
    // Maria, from her own address, still signs in.
    assert_eq!(
        guess("7.7.7.7", okienko_services::demo::PASSWORD).await,
        200
    );
    // Without a trusted proxy the header is not believed (the unit test of net.rs).
}

/// Finding 8: password re-checks are throttled.
#[tokio::test]
async fn password_rechecks_are_throttled() {
    let t = TestServer::seeded().await;
    let c = t.demo_web("jan.kowalski@okienko.test").await;
    let mut last = 0;
    for _ in 0..6 {
        let html = c
            .get(t.url("/account"))
            .send()
            .await
            .expect("page")
            .text()
            .await
            .expect("html");
        let csrf = form_token(&html);
        last = c
            .post(t.url("/account/totp/disable"))
            .form(&[("csrf", csrf.as_str()), ("password", "not my password")])
            .send()
            .await
            .expect("post")
            .status()
            .as_u16();
    }
    assert_eq!(last, 429);
}

/// Finding 9: a second factor is set only with a secret the server offered, after the
/// password; replacing it needs a code of the current one.
#[tokio::test]
async fn second_factor_needs_password_and_current_code() {
    use okienko_services::Clock;
    let t = TestServer::seeded().await;
    let c = t.demo_web("jan.kowalski@okienko.test").await;
    let offer = |html: &str, name: &str| {
        html.split(&format!("name=\"{name}\" value=\""))
            .nth(1)
            .and_then(|s| s.split('"').next())
            .expect("field")
            .to_string()
    };
    // `current`: the secret in force, whose code goes with the new one (computed for the
    // same moment, so that a step boundary between the two cannot split them).
    let enrol = |extra: Vec<(&'static str, String)>, current: Option<Vec<u8>>| {
        let c = c.clone();
        let url = t.url("/account/totp");
        let clock = t.clock.clone();
        async move {
            let html = c
                .get(&url)
                .send()
                .await
                .expect("page")
                .text()
                .await
                .expect("html");
            let secret = offer(&html, "secret");
            let raw = okienko_domain::totp::decode_secret(&secret).expect("b32");
            clock.advance(time::Duration::seconds(31));
            let code = okienko_domain::totp::code_at(&raw, clock.now().unix_timestamp() as u64);
            let mut form = vec![
                ("csrf", offer(&html, "csrf")),
                ("secret", secret.clone()),
                ("seal", offer(&html, "seal")),
                ("code", code),
            ];
            form.extend(extra);
            if let Some(current) = current {
                let now = clock.now().unix_timestamp() as u64;
                form.push(("current_code", okienko_domain::totp::code_at(&current, now)));
            }
            let status = c
                .post(&url)
                .form(&form)
                .send()
                .await
                .expect("post")
                .status();
            (status.as_u16(), raw)
        }
    };
    let (s, _) = enrol(vec![], None).await;
    assert_eq!(s, 422, "no password");
    let pw = ("password", okienko_services::demo::PASSWORD.to_string());
    let (s, first) = enrol(vec![pw.clone()], None).await;
    assert_eq!(s, 303, "with the password");
    let (s, _) = enrol(vec![pw.clone()], None).await;
    assert_eq!(s, 422, "replacing without a code of the current factor");
    let (s, _) = enrol(vec![pw], Some(first)).await;
    assert_eq!(s, 303, "replacing with the current code");
}

/// Finding 11 (e2e): a dangerous file name is refused even with harmless content.
#[tokio::test]
async fn dangerous_attachment_names_are_refused() {
    let t = TestServer::seeded().await;
    let jan = t.demo_token("jan.kowalski@okienko.test").await;
    let anna = t.demo_token("anna.nowak@okienko.test").await;
    let from = office_box(&t, &jan).await;
    let office = office_box(&t, &anna).await;
    for (name, bytes) in [
        ("run.bat", b"@echo off".to_vec()),
        ("page.html", b"<?xml version=\"1.0\"?><html/>".to_vec()),
        ("invoice.pdf.exe", b"%PDF-1.7".to_vec()),
    ] {
        let msg =
            serde_json::json!({"from": from, "to": [office], "subject": "Wniosek", "body": "x"});
        let form = reqwest::multipart::Form::new()
            .part(
                "message",
                reqwest::multipart::Part::text(msg.to_string())
                    .mime_str("application/json")
                    .expect("mime"),
            )
            .part(
                "attachment",
                reqwest::multipart::Part::bytes(bytes).file_name(name),
            );
        let r = reqwest::Client::new()
            .post(t.url("/api/v1/messages"))
            .bearer_auth(&jan)
            .multipart(form)
            .send()
            .await
            .expect("send");
        assert_eq!(r.status(), 422, "{name}");
        let v: serde_json::Value = r.json().await.expect("json");
        assert!(v.to_string().contains("err-attachment-type"), "{name}: {v}");
    }
}

/// Findings 20, 21 and 22: control and bidi characters, a reused idempotency key with another
/// message, and too many attachments are refused.
#[tokio::test]
async fn hostile_message_fields_are_refused() {
    let t = TestServer::seeded().await;
    let jan = t.demo_token("jan.kowalski@okienko.test").await;
    let anna = t.demo_token("anna.nowak@okienko.test").await;
    let from = office_box(&t, &jan).await;
    let office = office_box(&t, &anna).await;
    for subject in ["invoice\u{202E}fdp.exe", "a\r\nBcc: x", "nul\0"] {
        let (s, r) = send_json(
            &t,
            &jan,
            serde_json::json!({"from": from, "to": [office], "subject": subject, "body": "x"}),
        )
        .await;
        assert_eq!(s, 422, "{subject:?}: {r}");
    }
    let send_keyed = |subject: &'static str| {
        let msg =
            serde_json::json!({"from": from, "to": [office], "subject": subject, "body": "x"});
        let url = t.url("/api/v1/messages");
        let jan = jan.clone();
        async move {
            let form = reqwest::multipart::Form::new().part(
                "message",
                reqwest::multipart::Part::text(msg.to_string())
                    .mime_str("application/json")
                    .expect("mime"),
            );
            let r = reqwest::Client::new()
                .post(url)
                .bearer_auth(jan)
                .header("idempotency-key", "key-1")
                .multipart(form)
                .send()
                .await
                .expect("send");
            let s = r.status().as_u16();
            (s, r.json::<serde_json::Value>().await.unwrap_or_default())
        }
    };
    let (s, first) = send_keyed("Pierwsza").await;
    assert_eq!(s, 201, "{first}");
    let (s, again) = send_keyed("Pierwsza").await;
    assert_eq!(
        (s, &again["id"]),
        (201, &first["id"]),
        "the same message again"
    );
    let (s, other) = send_keyed("Inna").await;
    assert_eq!(s, 422, "{other}");
    assert!(
        other.to_string().contains("err-idempotency-mismatch"),
        "{other}"
    );
    let msg = serde_json::json!({"from": from, "to": [office], "subject": "Dużo", "body": "x"});
    let mut form = reqwest::multipart::Form::new().part(
        "message",
        reqwest::multipart::Part::text(msg.to_string())
            .mime_str("application/json")
            .expect("mime"),
    );
    for i in 0..101 {
        form = form.part(
            "attachment",
            reqwest::multipart::Part::bytes(b"tekst".to_vec()).file_name(format!("{i}.txt")),
        );
    }
    let r = reqwest::Client::new()
        .post(t.url("/api/v1/messages"))
        .bearer_auth(&jan)
        .multipart(form)
        .send()
        .await
        .expect("send");
    assert_eq!(r.status(), 422);
    let v: serde_json::Value = r.json().await.expect("json");
    assert!(v.to_string().contains("err-attachments-too-many"), "{v}");
}

/// Findings 14 and 19: security headers on every answer, no-store for a signed-in person;
/// the notice banner shows only our own texts.
#[tokio::test]
async fn security_headers_and_notices() {
    let t = TestServer::seeded().await;
    let r = reqwest::get(t.url("/?notice=notice-Send-your-password-to-evil.example"))
        .await
        .expect("home");
    let h = r.headers().clone();
    for name in [
        "content-security-policy",
        "x-frame-options",
        "x-content-type-options",
        "referrer-policy",
    ] {
        assert!(h.contains_key(name), "{name}");
    }
    assert!(h["content-security-policy"]
        .to_str()
        .expect("csp")
        .contains("frame-ancestors 'none'"));
    let html = r.text().await.expect("html");
    assert!(
        !html.contains("class=\"notice\""),
        "attacker text in the banner: {html}"
    );
    let html = reqwest::get(t.url("/?notice=notice-signed-out&lang=en"))
        .await
        .expect("home")
        .text()
        .await
        .expect("html");
    assert!(
        html.contains("class=\"notice\""),
        "our own notice still shows"
    );
    let c = t.demo_web("jan.kowalski@okienko.test").await;
    let r = c.get(t.url("/mailboxes")).send().await.expect("page");
    assert_eq!(r.headers()["cache-control"], "no-store");
    // Every page's banner, not only the home page's.
    for page in ["/mailboxes", "/trusted-profile", "/account"] {
        let html = c
            .get(t.url(&format!("{page}?notice=notice-Call-0700-evil")))
            .send()
            .await
            .expect("page")
            .text()
            .await
            .expect("html");
        assert!(!html.contains(">notice-Call"), "{page}: {html}");
    }
}

/// Finding 16: a signed-in person's forms take only their session's own token.
#[tokio::test]
async fn csrf_tokens_are_bound_to_the_session() {
    let t = TestServer::seeded().await;
    let jan = t.demo_web("jan.kowalski@okienko.test").await;
    let maria = t.demo_web("maria.wisniewska@okienko.test").await;
    let token = |c: reqwest::Client| {
        let url = t.url("/account");
        async move {
            form_token(
                &c.get(url)
                    .send()
                    .await
                    .expect("page")
                    .text()
                    .await
                    .expect("html"),
            )
        }
    };
    let jan_token = token(jan.clone()).await;
    let maria_token = token(maria.clone()).await;
    assert_ne!(jan_token, maria_token);
    let r = maria
        .post(t.url("/logout"))
        .form(&[("csrf", jan_token.as_str())])
        .send()
        .await
        .expect("post");
    assert_eq!(r.status(), 403, "another session's token");
    let r = maria
        .post(t.url("/logout"))
        .form(&[("csrf", maria_token.as_str())])
        .send()
        .await
        .expect("post");
    assert_eq!(r.status(), 303);
}

/// Finding 17: registration does not reveal whether an address has an account (its owner is
/// told by email instead), and it is rate limited per client.
#[tokio::test]
async fn registration_reveals_nothing_and_is_rate_limited() {
    let t = TestServer::seeded().await;
    let register = |email: String| {
        let c = t.browser();
        let url = t.url("/register?lang=en");
        async move {
            let html = c
                .get(&url)
                .send()
                .await
                .expect("page")
                .text()
                .await
                .expect("html");
            let csrf = form_token(&html);
            let r = c
                .post(&url)
                .form(&[
                    ("csrf", csrf.as_str()),
                    ("email", email.as_str()),
                    ("display_name", "Ktoś Nowy"),
                    ("password", "correct horse battery"),
                ])
                .send()
                .await
                .expect("post");
            (r.status().as_u16(), r.text().await.expect("html"))
        }
    };
    let (s_new, new) = register("nowa.osoba@example.pl".into()).await;
    let (s_old, old) = register("jan.kowalski@okienko.test".into()).await;
    assert_eq!((s_new, s_old), (200, 200));
    let strip = |h: &str, e: &str| h.replace(e, "EMAIL");
    assert_eq!(
        strip(&new, "nowa.osoba@example.pl")
            .split("<main")
            .nth(1)
            .map(|m| m.split("</main>").next().map(str::to_string)),
        strip(&old, "jan.kowalski@okienko.test")
            .split("<main")
            .nth(1)
            .map(|m| m.split("</main>").next().map(str::to_string)),
        "the same answer either way"
    );
    t.run_jobs().await;
    assert!(
        t.outbox()
            .iter()
            .any(|m| m.contains("jan.kowalski@okienko.test") && m.contains("/password/forgot")),
        "Jan is told someone tried"
    );
    let (s, _) = register("a@example.pl".into()).await;
    let mut last = s;
    for i in 0..25 {
        last = register(format!("n{i}@example.pl")).await.0;
    }
    assert_eq!(last, 429);
}

/// Finding 24: /metrics only from the configured networks or with the token.
#[tokio::test]
async fn metrics_are_not_public() {
    let t = TestServer::start_with(|s| {
        s.net.metrics_allow = Vec::new();
        s.net.metrics_token = Some("metrics-secret".into());
    })
    .await;
    let c = reqwest::Client::new();
    assert_eq!(
        c.get(t.url("/metrics")).send().await.expect("m").status(),
        404
    );
    let r = c
        .get(t.url("/metrics"))
        .bearer_auth("metrics-secret")
        .send()
        .await
        .expect("m");
    assert_eq!(r.status(), 200);
}

/// Email texts for calling services directly.
pub struct PlainTexts;

impl okienko_services::accounts::MailTexts for PlainTexts {
    fn verify_email(&self, link: &str) -> (String, String) {
        ("Confirm".into(), format!("Confirm: {link}"))
    }
    fn reset_password(&self, link: &str) -> (String, String) {
        ("Reset".into(), format!("Reset: {link}"))
    }
    fn staff_invitation(&self, link: &str, office: &str) -> (String, String) {
        ("Invitation".into(), format!("{office}: {link}"))
    }
    fn account_exists(&self, link: &str) -> (String, String) {
        ("Exists".into(), format!("Exists: {link}"))
    }
    fn staff_offer(&self, link: &str, place: &str) -> (String, String) {
        ("Offer".into(), format!("{place}: {link}"))
    }
}

/// Finding 13: an email a clerk typed at counter registration is not the login and cannot
/// reset the password; it becomes the login only when its link is opened by the account.
#[tokio::test]
async fn an_email_typed_at_the_counter_is_proven_before_it_counts() {
    let t = TestServer::seeded().await;
    // Nobody can register the login a counter registration will use.
    let r = t
        .services
        .register(
            "72051401239@counter.okienko.invalid",
            "Squatter",
            "correct horse battery",
            "pl",
            &PlainTexts,
            "1.2.3.4",
        )
        .await;
    assert!(format!("{r:?}").contains("err-email-invalid"), "{r:?}");
    let clerk = crate::common::principal(&t, "kasia.poczta@okienko.test").await;
    let user = t
        .services
        .register_at_counter(
            &clerk,
            &okienko_services::trusted::CounterRegistration {
                pesel: "72051401239".into(),
                first_name: "Ala".into(),
                last_name: "Nowak".into(),
                id_document_number: "ABA300000".into(),
                phone: String::new(),
                email: "attacker@example.pl".into(),
            },
            &PlainTexts,
        )
        .await
        .expect("registered");
    let (_, code) = t
        .services
        .activation_sheet(&clerk, &user.id)
        .await
        .expect("sheet");
    assert_eq!(user.email, "72051401239@counter.okienko.invalid");
    // "Forgot password" on the typed address finds no account.
    t.services
        .request_password_reset("attacker@example.pl", &PlainTexts, "1.2.3.4")
        .await
        .expect("same answer");
    t.run_jobs().await;
    let mails = t.outbox();
    assert!(
        !mails.iter().any(|m| m.contains("Reset:")),
        "no reset link went out"
    );
    let link = mails
        .iter()
        .find(|m| m.contains("attacker@example.pl") && m.contains("/account/email/confirm"))
        .map(|m| crate::common::link(m, &t.url("/account/email/confirm")))
        .expect("confirmation link");
    let path = link.trim_start_matches(&t.base).to_string();
    // Someone else, signed in, cannot use the link.
    let maria = t.demo_web("maria.wisniewska@okienko.test").await;
    assert_eq!(press_link_button(&t, &maria, &path).await, 400);
    // The person, after activating with the printed code, can (with a new link).
    t.services
        .activate(&code, "a long new passphrase")
        .await
        .expect("activate");
    let p = crate::common::principal(&t, "72051401239@counter.okienko.invalid").await;
    t.services
        .offer_email_again(&p, "ala.nowak@example.pl", &PlainTexts)
        .await
        .expect("offer");
    t.run_jobs().await;
    let link = t
        .outbox()
        .iter()
        .find(|m| m.contains("ala.nowak@example.pl") && m.contains("/account/email/confirm"))
        .map(|m| crate::common::link(m, &t.url("/account/email/confirm")))
        .expect("confirmation link");
    let (c, r) = t
        .web_login("72051401239", "a long new passphrase", None)
        .await;
    assert_eq!(r.status(), 303);
    let path = link.trim_start_matches(&t.base).to_string();
    assert_eq!(press_link_button(&t, &c, &path).await, 303);
    let (_, r) = t
        .web_login("ala.nowak@example.pl", "a long new passphrase", None)
        .await;
    assert_eq!(r.status(), 303, "the confirmed address is now the login");
}

/// The office admin invites Maria (who has a citizen's account) as an official.
async fn invite_maria(t: &TestServer, admin: &reqwest::Client, office_path: &str) -> u16 {
    let csrf = t.csrf(admin, office_path).await;
    admin
        .post(t.url(&format!("{office_path}/staff")))
        .form(&[
            ("csrf", csrf.as_str()),
            ("email", "maria.wisniewska@okienko.test"),
            ("display_name", ""),
            ("role", "official"),
            ("department_id", ""),
        ])
        .send()
        .await
        .expect("add staff")
        .status()
        .as_u16()
}

/// Finding 10: an existing account becomes staff only when its owner accepts the invitation.
#[tokio::test]
async fn existing_accounts_become_staff_only_by_accepting() {
    let t = TestServer::seeded().await;
    let admin = t.demo_web("urzad.admin@okienko.test").await;
    let office = t.services.store.offices().await.expect("offices").remove(0);
    let path = format!("/offices/{}", office.id);
    assert_eq!(invite_maria(&t, &admin, &path).await, 303);
    // Nothing changed for Maria yet: no staff role, the API still answers her.
    assert!(!t.is_staff("maria.wisniewska@okienko.test").await);
    let maria_p = crate::common::principal(&t, "maria.wisniewska@okienko.test").await;
    assert!(maria_p.grants.iter().all(|g| !g.role.is_staff()));
    t.demo_token("maria.wisniewska@okienko.test").await;
    t.run_jobs().await;
    let link = t
        .outbox()
        .iter()
        .find(|m| m.contains("To: maria.wisniewska@okienko.test") && m.contains("/staff/accept"))
        .map(|m| crate::common::link(m, &t.url("/staff/accept")))
        .expect("invitation");
    let path = link.trim_start_matches(&t.base).to_string();
    // Jan cannot accept it for her.
    let jan = t.demo_web("jan.kowalski@okienko.test").await;
    assert_eq!(press_link_button(&t, &jan, &path).await, 400);
    let maria = t.demo_web("maria.wisniewska@okienko.test").await;
    // (Jan used up the link: the admin invites again.)
    let office_path = format!("/offices/{}", office.id);
    assert_eq!(invite_maria(&t, &admin, &office_path).await, 303);
    t.run_jobs().await;
    let link = t
        .outbox()
        .iter()
        .filter(|m| m.contains("To: maria.wisniewska@okienko.test") && m.contains("/staff/accept"))
        .map(|m| crate::common::link(m, &t.url("/staff/accept")))
        .find(|l| *l != link)
        .expect("second invitation");
    let path = link.trim_start_matches(&t.base).to_string();
    assert_eq!(press_link_button(&t, &maria, &path).await, 303);
    let maria_p = crate::common::principal(&t, "maria.wisniewska@okienko.test").await;
    assert!(maria_p.grants.iter().any(|g| g.role.is_staff()));
    // Signed out; signing in again leads to setting up the second factor.
    let (_, r) = t
        .web_login(
            "maria.wisniewska@okienko.test",
            okienko_services::demo::PASSWORD,
            None,
        )
        .await;
    assert_eq!(r.headers()["location"], "/account/totp");
}

/// Finding 6 (and the worker's limits): the letters of one message together are bounded,
/// and a worker that runs over its time is stopped; either way the answer is a refusal.
#[tokio::test]
async fn the_render_worker_is_bounded() {
    use okienko_services::sandbox::{LetterSpec, LettersJob, Refusal, Sandbox};
    let job = |letters: usize| LettersJob {
        sender_lines: vec!["Urząd".into()],
        date: "2026-11-25".into(),
        subject: "Decyzja".into(),
        body: "Treść ".repeat(2_000),
        signature_lines: Vec::new(),
        attachments: Vec::new(),
        letters: (0..letters)
            .map(|_| LetterSpec {
                tracking_number: "RR123456785PL".into(),
                verification_code: "ABCD-EFGH".into(),
                verify_url: "http://127.0.0.1/letters/verify".into(),
                recipient_lines: vec!["Zofia".into()],
            })
            .collect(),
    };
    let exe = std::path::PathBuf::from(env!("CARGO_BIN_EXE_okienko"));
    let ok = Sandbox::new(exe.clone());
    let one = ok.letters(job(1), Vec::new()).await.expect("renders");
    assert!(one[0].pdf.starts_with(b"%PDF-"));
    let mut small = Sandbox::new(exe.clone());
    small.max_output_bytes = one[0].pdf.len() as u64 * 2;
    assert_eq!(
        small.letters(job(5), Vec::new()).await.err(),
        Some(Refusal::TooLarge)
    );
    let mut hasty = Sandbox::new(exe);
    hasty.wall = std::time::Duration::from_millis(1);
    assert_eq!(
        hasty.letters(job(50), Vec::new()).await.err(),
        Some(Refusal::Unprintable)
    );
}

/// Sign-ins that succeed do not count against their address: an office behind one address
/// signs in more people than the per-address limit of guesses.
#[tokio::test]
async fn successful_sign_ins_do_not_exhaust_an_address() {
    let t = TestServer::seeded().await;
    for _ in 0..(okienko_services::accounts::MAX_FAILURES_PER_IP + 5) {
        let r = reqwest::Client::new()
            .post(t.url("/api/v1/auth/token"))
            .json(&serde_json::json!({"login": "jan.kowalski@okienko.test", "password": okienko_services::demo::PASSWORD}))
            .send()
            .await
            .expect("token");
        assert_eq!(r.status(), 200);
    }
}

/// Opens an emailed link's page signed in and presses its one button; the answer's status.
async fn press_link_button(t: &TestServer, c: &reqwest::Client, path: &str) -> u16 {
    let html = c
        .get(t.url(path))
        .send()
        .await
        .expect("page")
        .text()
        .await
        .expect("html");
    c.post(t.url(path))
        .form(&[("csrf", form_token(&html).as_str())])
        .send()
        .await
        .expect("post")
        .status()
        .as_u16()
}

/// An address no route knows gets the site's own page (or problem+json under the API), never
/// an empty answer.
#[tokio::test]
async fn unknown_addresses_get_the_branded_not_found() {
    let t = TestServer::start().await;
    let r = reqwest::get(t.url("/no-such-page?lang=en"))
        .await
        .expect("get");
    assert_eq!(r.status(), 404);
    assert!(r.headers()["content-type"]
        .to_str()
        .expect("type")
        .starts_with("text/html"));
    let page = r.text().await.expect("page");
    assert!(page.contains("<main") && page.contains("okienko"), "{page}");
    let r = reqwest::get(t.url("/api/v1/no-such-thing"))
        .await
        .expect("get");
    assert_eq!(r.status(), 404);
    assert_eq!(r.headers()["content-type"], "application/problem+json");
}
