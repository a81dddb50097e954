//! Nothing acknowledged is lost: the server is killed with SIGKILL at random moments while
//! clients send messages and a clerk takes cash at a counter; after every restart each message
//! that got a 201 is there with its evidence, each receipt that was given out is there, signed
//! and in the evidence log, and the evidence log and the audit trail verify.

use std::collections::HashSet;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;

pub(crate) fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .expect("port")
        .local_addr()
        .expect("addr")
        .port()
}

async fn start(data: &std::path::Path, port: u16) -> tokio::process::Child {
    start_with(data, port, &[]).await
}

/// Starts `okienko demo` on `data` with more flags (e.g. `--database-url`), once it answers.
pub(crate) async fn start_with(
    data: &std::path::Path,
    port: u16,
    flags: &[&str],
) -> tokio::process::Child {
    start_env(data, port, flags, &[]).await
}

/// Like [`start_with`], with variables in the server's environment (e.g. `AWS_*`).
pub(crate) async fn start_env(
    data: &std::path::Path,
    port: u16,
    flags: &[&str],
    env: &[(&str, &str)],
) -> tokio::process::Child {
    let child = tokio::process::Command::new(env!("CARGO_BIN_EXE_okienko"))
        .args(["demo", "--listen", &format!("127.0.0.1:{port}"), "--data"])
        .arg(data)
        .args(flags)
        .envs(env.iter().copied())
        .env("RUST_LOG", "error")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("start okienko");
    let url = format!("http://127.0.0.1:{port}/healthz");
    for _ in 0..300 {
        if reqwest::get(&url)
            .await
            .is_ok_and(|r| r.status().is_success())
        {
            return child;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("okienko did not start");
}

pub(crate) async fn token(base: &str, login: &str) -> String {
    let r = reqwest::Client::new()
        .post(format!("{base}/api/v1/auth/token"))
        .json(&serde_json::json!({"login": login, "password": okienko_services::demo::PASSWORD}))
        .send()
        .await
        .expect("token");
    let v: serde_json::Value = r.json().await.expect("json");
    v["access_token"].as_str().expect("token").to_string()
}

pub(crate) async fn first_mailbox(base: &str, token: &str) -> String {
    let v: serde_json::Value = reqwest::Client::new()
        .get(format!("{base}/api/v1/me"))
        .bearer_auth(token)
        .send()
        .await
        .expect("me")
        .json()
        .await
        .expect("json");
    v["mailboxes"][0]["address"]
        .as_str()
        .expect("mailbox")
        .to_string()
}

/// The demo office's mailbox address, from the public register.
pub(crate) async fn office_address(base: &str) -> String {
    let v: serde_json::Value = reqwest::get(format!("{base}/api/v1/addresses?q=Przyk"))
        .await
        .expect("register")
        .json()
        .await
        .expect("json");
    v["items"][0]["address"]
        .as_str()
        .expect("office")
        .to_string()
}

/// A message's attachment, different for every message so each is a new blob in a pack.
pub(crate) fn attachment(tag: &str) -> Vec<u8> {
    format!("%PDF-1.4 crash test {tag}\n{}", "z".repeat(20_000)).into_bytes()
}

/// The demo's one-time code for staff, for the 30-second step after `after` (a code is
/// accepted once per step).
async fn staff_code(after: Option<u64>) -> (String, u64) {
    loop {
        let unix = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        if after.is_none_or(|a| unix / 30 > a / 30) {
            let secret = okienko_domain::totp::decode_secret(okienko_services::demo::TOTP_SECRET)
                .expect("secret");
            return (okienko_domain::totp::code_at(&secret, unix), unix);
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

/// Opens a counter visit for Jan (whose trusted profile the demo confirmed at Kasia's
/// counter) by Kasia, the clerk; returns her signed-in web client, the visit's path and its
/// form token.
async fn open_counter_visit(base: &str) -> (reqwest::Client, String, String) {
    const PESEL: &str = "44051401359";
    let (code, _) = staff_code(None).await;
    let web = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    let csrf = |html: String| {
        html.split("name=\"csrf\" value=\"")
            .nth(1)
            .and_then(|s| s.split('"').next())
            .expect("csrf")
            .to_string()
    };
    let page = |path: String| {
        let web = web.clone();
        async move {
            web.get(path)
                .send()
                .await
                .expect("get")
                .text()
                .await
                .expect("text")
        }
    };
    let token = csrf(page(format!("{base}/login")).await);
    let r = web
        .post(format!("{base}/login"))
        .form(&[
            ("csrf", token.as_str()),
            ("login", "kasia.poczta@okienko.test"),
            ("password", okienko_services::demo::PASSWORD),
            ("code", code.as_str()),
        ])
        .send()
        .await
        .expect("login");
    assert_eq!(r.status(), 303, "clerk web sign-in");
    let token = csrf(page(format!("{base}/counter/visits")).await);
    let r = web
        .post(format!("{base}/counter/visits"))
        .form(&[
            ("csrf", token.as_str()),
            ("pesel", PESEL),
            ("id_document_number", "ABA300000"),
            ("consent", "1"),
        ])
        .send()
        .await
        .expect("visit");
    assert_eq!(
        r.status(),
        303,
        "visit: {}",
        r.text().await.unwrap_or_default()
    );
    let visit = r
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .expect("location")
        .to_string();
    (web, visit, token)
}

/// A receipt the clerk was given (its page's path) is there, and its signed bytes are a leaf
/// of the evidence log.
async fn receipt_is_kept(base: &str, clerk: &reqwest::Client, path: &str, tree_size: u64) {
    use base64::Engine;
    let r = clerk
        .get(format!("{base}{path}"))
        .send()
        .await
        .expect("receipt");
    assert_eq!(r.status(), 200, "receipt {path} lost");
    let signed = clerk
        .get(format!("{base}{path}/signed"))
        .send()
        .await
        .expect("signed");
    assert_eq!(signed.status(), 200, "signed receipt {path}");
    let leaf = okienko_trust::merkle::leaf_hash(&signed.bytes().await.expect("bytes"));
    let hash = base64::engine::general_purpose::STANDARD.encode(leaf);
    let proof = reqwest::Client::new()
        .get(format!("{base}/log/v1/proof-by-hash"))
        .query(&[
            ("hash", hash.as_str()),
            ("tree_size", &tree_size.to_string()),
        ])
        .send()
        .await
        .expect("proof");
    assert_eq!(proof.status(), 200, "receipt {path} is not in the log");
}

/// The signed tree head's size once it covers everything committed before the restart.
async fn settled_tree_size(base: &str) -> u64 {
    let mut last = 0;
    for _ in 0..20 {
        tokio::time::sleep(Duration::from_millis(300)).await;
        let v: serde_json::Value = reqwest::get(format!("{base}/log/v1/sth"))
            .await
            .expect("sth")
            .json()
            .await
            .expect("json");
        let size = v["tree_size"].as_u64().unwrap_or(0);
        if size == last && size > 0 {
            return size;
        }
        last = size;
    }
    last
}

#[tokio::test]
async fn sigkill_at_random_moments_loses_nothing_acknowledged() {
    let data = std::env::temp_dir().join(format!("okienko-crash-{}", okienko_services::new_id()));
    let acknowledged: Arc<Mutex<Vec<String>>> = Arc::new(Mutex::new(Vec::new()));
    let receipts: Arc<Mutex<Vec<String>>> = Arc::new(Mutex::new(Vec::new()));
    // A clerk with a visit open at the counter, kept across restarts (sessions are stored).
    let (clerk, visit, csrf) = {
        let port = free_port();
        let base = format!("http://127.0.0.1:{port}");
        let mut child = start(&data, port).await;
        let opened = open_counter_visit(&base).await;
        child.kill().await.expect("stop");
        opened
    };
    let mut seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(7);
    for round in 0..10 {
        let port = free_port();
        let base = format!("http://127.0.0.1:{port}");
        let mut child = start(&data, port).await;
        let jan = token(&base, "jan.kowalski@okienko.test").await;
        let from = first_mailbox(&base, &jan).await;
        let office = office_address(&base).await;
        // Everything acknowledged so far is still there, with its evidence.
        let before: Vec<String> = acknowledged.lock().map(|v| v.clone()).unwrap_or_default();
        for id in &before {
            let r = reqwest::Client::new()
                .get(format!("{base}/api/v1/messages/{id}/evidence"))
                .bearer_auth(&jan)
                .send()
                .await
                .expect("evidence");
            assert_eq!(r.status(), 200, "round {round}: message {id} lost");
            let v: serde_json::Value = r.json().await.expect("json");
            let kinds: HashSet<&str> = v["items"]
                .as_array()
                .expect("items")
                .iter()
                .filter_map(|e| e["type"].as_str())
                .collect();
            assert!(
                kinds.contains("submission-acceptance") && kinds.contains("content-consignment"),
                "round {round}: {id} {v}"
            );
        }
        let given: Vec<String> = receipts.lock().map(|v| v.clone()).unwrap_or_default();
        if !given.is_empty() {
            let size = settled_tree_size(&base).await;
            for path in &given {
                receipt_is_kept(&base, &clerk, path, size).await;
            }
        }
        // Load: four clients sending and a clerk taking cash; the server dies at a random
        // moment.
        let mut senders = Vec::new();
        {
            let (base, clerk, visit, csrf, given) = (
                base.clone(),
                clerk.clone(),
                visit.clone(),
                csrf.clone(),
                receipts.clone(),
            );
            senders.push(tokio::spawn(async move {
                for i in 0.. {
                    let title = format!("Opłata {round}-{i}");
                    let r = clerk
                        .post(format!("{base}{visit}/cash"))
                        .form(&[
                            ("csrf", csrf.as_str()),
                            ("amount", "12,50"),
                            ("title", title.as_str()),
                            ("action", "take"),
                        ])
                        .send()
                        .await;
                    match r {
                        Ok(r) if r.status().as_u16() == 303 => {
                            let path = r
                                .headers()
                                .get("location")
                                .and_then(|v| v.to_str().ok())
                                .map(str::to_string);
                            if let (Some(path), Ok(mut g)) = (path, given.lock()) {
                                g.push(path);
                            }
                        }
                        _ => break,
                    }
                }
            }));
        }
        for w in 0..4 {
            let (base, jan, from, office, acked) = (
                base.clone(),
                jan.clone(),
                from.clone(),
                office.clone(),
                acknowledged.clone(),
            );
            senders.push(tokio::spawn(async move {
                let client = reqwest::Client::new();
                for i in 0.. {
                    let msg = serde_json::json!({"from": from, "to": [office], "subject": format!("Pismo {round}-{w}-{i}"), "body": "x".repeat(2000)});
                    let form = reqwest::multipart::Form::new()
                        .part("message", reqwest::multipart::Part::text(msg.to_string()))
                        .part("attachment", reqwest::multipart::Part::bytes(attachment(&format!("{round}-{w}-{i}"))).file_name("a.pdf"));
                    match client.post(format!("{base}/api/v1/messages")).bearer_auth(&jan).multipart(form).send().await {
                        Ok(r) if r.status().as_u16() == 201 => {
                            if let Ok(v) = r.json::<serde_json::Value>().await {
                                if let (Some(id), Ok(mut a)) = (v["id"].as_str(), acked.lock()) {
                                    a.push(id.to_string());
                                }
                            }
                        }
                        _ => break,
                    }
                }
            }));
        }
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let delay = 150 + (seed >> 33) % 700;
        tokio::time::sleep(Duration::from_millis(delay)).await;
        child.kill().await.expect("SIGKILL");
        for s in senders {
            let _ = s.await;
        }
    }
    let total = acknowledged.lock().map(|v| v.len()).unwrap_or(0);
    assert!(
        total >= 10,
        "the load produced acknowledged messages ({total})"
    );
    // A last start checks the final round, then the offline verifiers run on the data.
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let mut child = start(&data, port).await;
    let jan = token(&base, "jan.kowalski@okienko.test").await;
    let given: Vec<String> = receipts.lock().map(|v| v.clone()).unwrap_or_default();
    assert!(
        given.len() >= 5,
        "the clerk was given receipts ({})",
        given.len()
    );
    let size = settled_tree_size(&base).await;
    for path in &given {
        receipt_is_kept(&base, &clerk, path, size).await;
    }
    for id in acknowledged.lock().map(|v| v.clone()).unwrap_or_default() {
        let r = reqwest::Client::new()
            .get(format!("{base}/api/v1/messages/{id}"))
            .bearer_auth(&jan)
            .send()
            .await
            .expect("message");
        assert_eq!(r.status(), 200, "message {id} lost");
        // Its attachment is whole: the bytes that were sent.
        let v: serde_json::Value = r.json().await.expect("json");
        let subject = v["subject"].as_str().expect("subject").to_string();
        let tag = subject.trim_start_matches("Pismo ");
        let file = reqwest::Client::new()
            .get(format!("{base}/api/v1/messages/{id}/attachments/0"))
            .bearer_auth(&jan)
            .send()
            .await
            .expect("attachment");
        assert_eq!(file.status(), 200, "attachment of {id}");
        assert_eq!(
            file.bytes().await.expect("bytes").to_vec(),
            attachment(tag),
            "attachment of {id}"
        );
    }
    child.kill().await.expect("stop");
    for args in [["log", "verify"], ["audit", "verify"], ["blobs", "verify"]] {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_okienko"))
            .args(args)
            .arg("--data")
            .arg(&data)
            .output()
            .expect("verify");
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stdout)
        );
    }
    eprintln!(
        "crash test: {total} acknowledged messages and {} receipts survived 10 SIGKILLs",
        given.len()
    );
    let _ = std::fs::remove_dir_all(&data);
}
