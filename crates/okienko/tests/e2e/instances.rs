//! Two instances of okienko on one PostgreSQL database and one data folder (master key, blob
//! packs), as two processes: citizens send through both at once; every acknowledged message
//! is there with its evidence, seen from either instance; the evidence log and the audit
//! trail verify; and a session ended on one instance stops working on the other at once.

use crate::common::tools_required;
use crate::crash::{attachment, first_mailbox, free_port, start_env, start_with, token};
use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// Sends a message with one attachment; a connection error (the instance is gone) is `Err`.
async fn try_send(
    base: &str,
    token: &str,
    (from, to): (&str, &str),
    tag: &str,
    data: Vec<u8>,
) -> Result<(u16, String), reqwest::Error> {
    let msg = serde_json::json!({"from": from, "to": [to], "subject": format!("Wniosek {tag}"), "body": "Treść wniosku."});
    let form = reqwest::multipart::Form::new()
        .part(
            "message",
            reqwest::multipart::Part::text(msg.to_string())
                .mime_str("application/json")
                .expect("mime"),
        )
        .part(
            "attachment",
            reqwest::multipart::Part::bytes(data).file_name(format!("{tag}.pdf")),
        );
    let r = reqwest::Client::new()
        .post(format!("{base}/api/v1/messages"))
        .bearer_auth(token)
        .header("Idempotency-Key", tag)
        .multipart(form)
        .send()
        .await?;
    let status = r.status().as_u16();
    let v: serde_json::Value = r.json().await.unwrap_or_default();
    Ok((status, v["id"].as_str().unwrap_or("").to_string()))
}

async fn send(base: &str, token: &str, from: &str, to: &str, tag: &str) -> (u16, String) {
    try_send(base, token, (from, to), tag, attachment(tag))
        .await
        .expect("send")
}

async fn get(base: &str, path: &str, token: &str) -> (u16, serde_json::Value) {
    let r = reqwest::Client::new()
        .get(format!("{base}{path}"))
        .bearer_auth(token)
        .send()
        .await
        .expect("get");
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or_default())
}

/// `okienko <what> verify` on the shared database and folder (more flags and environment for
/// the blob store); its report when it fails.
fn verify(what: &str, url: &str, data: &std::path::Path, more: &[&str], env: &[(&str, &str)]) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_okienko"))
        .args([what, "verify", "--database-url", url, "--data"])
        .arg(data)
        .args(more)
        .envs(env.iter().copied())
        .output()
        .expect("run verify");
    assert!(
        out.status.success(),
        "{what} verify: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A PostgreSQL database of its own for one test, dropped at the end.
struct FreshDb {
    admin_url: String,
    name: String,
    url: String,
}

impl FreshDb {
    /// None (the test skips) when no PostgreSQL is configured and tools are not required.
    async fn create() -> Option<FreshDb> {
        let Ok(admin_url) = std::env::var("OKIENKO_TEST_DATABASE_URL") else {
            assert!(
                !tools_required(),
                "OKIENKO_TEST_DATABASE_URL (PostgreSQL) is needed"
            );
            return None;
        };
        let admin = okienko_store::SqlStore::connect(&admin_url)
            .await
            .expect("postgres");
        let name = format!("okienko_i_{}", okienko_services::new_id().replace('-', ""));
        sqlx::query(&format!("CREATE DATABASE {name}"))
            .execute(admin.raw_pool())
            .await
            .expect("create database");
        admin.raw_pool().close().await;
        let (prefix, _) = admin_url.rsplit_once('/').expect("a database in the URL");
        let url = format!("{prefix}/{name}");
        Some(FreshDb {
            admin_url,
            name,
            url,
        })
    }

    async fn pool(&self) -> sqlx::PgPool {
        sqlx::PgPool::connect(&self.url).await.expect("postgres")
    }

    async fn drop(self) {
        let admin = okienko_store::SqlStore::connect(&self.admin_url)
            .await
            .expect("postgres");
        let _ = sqlx::query(&format!("DROP DATABASE {} WITH (FORCE)", self.name))
            .execute(admin.raw_pool())
            .await;
    }
}

#[tokio::test]
async fn two_instances_on_one_database_share_the_log_and_the_sessions() {
    let Some(db) = FreshDb::create().await else {
        return;
    };
    let url = db.url.clone();
    let data = std::env::temp_dir().join(format!("okienko-two-{}", okienko_services::new_id()));
    let flags = ["--database-url", url.as_str()];
    // The first seeds the demo; the second finds it there.
    let (pa, pb) = (free_port(), free_port());
    let a = start_with(&data, pa, &flags).await;
    let b = start_with(&data, pb, &flags).await;
    let bases = [
        format!("http://127.0.0.1:{pa}"),
        format!("http://127.0.0.1:{pb}"),
    ];

    // Jan and Maria write to the office through both instances at once.
    let jan = token(&bases[0], "jan.kowalski@okienko.test").await;
    let maria = token(&bases[1], "maria.wisniewska@okienko.test").await;
    let office = crate::crash::office_address(&bases[0]).await;
    let senders = [
        (jan.clone(), first_mailbox(&bases[1], &jan).await),
        (maria.clone(), first_mailbox(&bases[0], &maria).await),
    ];
    let mut tasks = tokio::task::JoinSet::new();
    for client in 0..16usize {
        let (bases, senders, office) = (bases.clone(), senders.clone(), office.clone());
        tasks.spawn(async move {
            let mut sent = Vec::new();
            for i in 0..25usize {
                let n = client * 25 + i;
                let (tok, from) = &senders[n % 2];
                let base = &bases[(n / 2) % 2];
                let (status, id) = send(base, tok, from, &office, &format!("m{n}")).await;
                assert_eq!(status, 201, "message {n} through {base}");
                sent.push((n, id));
            }
            sent
        });
    }
    let mut sent = Vec::new();
    while let Some(r) = tasks.join_next().await {
        sent.extend(r.expect("client"));
    }
    assert_eq!(sent.len(), 400);

    // Each one is there, with its evidence, seen through the instance that did not take it.
    let mut indexes = std::collections::HashSet::new();
    for (n, id) in &sent {
        let (tok, _) = &senders[n % 2];
        let other = &bases[1 - (n / 2) % 2];
        let (status, v) = get(other, &format!("/api/v1/messages/{id}/evidence"), tok).await;
        assert_eq!(status, 200, "message {n} seen through {other}");
        for e in v["items"].as_array().expect("evidence") {
            let (status, doc) = get(
                other,
                &format!("/api/v1/evidence/{}", e["id"].as_str().expect("id")),
                tok,
            )
            .await;
            assert_eq!(status, 200);
            assert!(doc.is_object());
            indexes.insert(e["id"].as_str().unwrap_or("").to_string());
        }
    }
    assert!(indexes.len() >= 400, "every message has its evidence");

    // A session ended on one instance no longer works on the other.
    let (status, _) = get(&bases[1], "/api/v1/me", &maria).await;
    assert_eq!(status, 200);
    let r = reqwest::Client::new()
        .delete(format!("{}/api/v1/auth/token", bases[0]))
        .bearer_auth(&maria)
        .send()
        .await
        .expect("revoke");
    assert_eq!(r.status().as_u16(), 204);
    tokio::time::sleep(Duration::from_millis(1000)).await;
    let (status, _) = get(&bases[1], "/api/v1/me", &maria).await;
    assert_eq!(
        status, 401,
        "a session ended on one instance still works on the other"
    );

    drop((a, b));
    tokio::time::sleep(Duration::from_millis(300)).await;
    for what in ["log", "audit", "blobs"] {
        verify(what, &url, &data, &[], &[]);
    }
    db.drop().await;
    let _ = std::fs::remove_dir_all(&data);
}

/// The S3-compatible server the object-storage tests run against: `s3s-fs`, from the Rust
/// registry (`.ci/run` installs it and names it in `OKIENKO_S3S_FS`).
fn s3_server() -> Option<std::path::PathBuf> {
    let path = std::env::var_os("OKIENKO_S3S_FS")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| {
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../.ci/tools/bin/s3s-fs")
        });
    if path.exists() {
        return Some(path);
    }
    assert!(
        !tools_required(),
        "s3s-fs is needed: cargo install s3s-fs@0.14.1 --features binary --root .ci/tools"
    );
    eprintln!("SKIPPED: no s3s-fs");
    None
}

/// A child process that answers on `port` once it listens.
async fn spawn_listening(cmd: &mut tokio::process::Command, port: u16) -> tokio::process::Child {
    let child = cmd
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("start");
    for _ in 0..200 {
        if tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_ok()
        {
            return child;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("{cmd:?} did not listen on {port}");
}

/// Registers a person through the web form, as a browser behind the load balancer at
/// `client_ip` would; a connection error (the instance is gone) is `Err`.
async fn register(base: &str, email: &str, client_ip: &str) -> Result<u16, reqwest::Error> {
    let c = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    let html = c
        .get(format!("{base}/register"))
        .header("X-Forwarded-For", client_ip)
        .send()
        .await?
        .text()
        .await?;
    let csrf = html
        .split("name=\"csrf\" value=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .expect("csrf token on the page")
        .to_string();
    let r = c
        .post(format!("{base}/register"))
        .header("X-Forwarded-For", client_ip)
        .form(&[
            ("csrf", csrf.as_str()),
            ("email", email),
            ("display_name", "Osoba Testowa"),
            ("password", "długie hasło testowe 1"),
        ])
        .send()
        .await?;
    Ok(r.status().as_u16())
}

const MESSAGES: usize = 5_000;
const PEOPLE: usize = 100;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_instances_on_postgresql_and_s3_lose_nothing_when_one_is_killed() {
    let Some(s3s) = s3_server() else { return };
    if std::process::Command::new("python3")
        .args(["-c", "import aiosmtpd"])
        .status()
        .map_or(true, |s| !s.success())
    {
        assert!(
            !tools_required(),
            "aiosmtpd is needed (pip install aiosmtpd)"
        );
        return;
    }
    let Some(db) = FreshDb::create().await else {
        return;
    };
    let dir = std::env::temp_dir().join(format!("okienko-s3-{}", okienko_services::new_id()));
    let (data, objects, maildir) = (dir.join("data"), dir.join("s3"), dir.join("mail"));
    std::fs::create_dir_all(objects.join("okienko")).expect("bucket");

    // The object store and the mail server, both real servers over TCP.
    let s3_port = free_port();
    let _s3 = spawn_listening(
        tokio::process::Command::new(&s3s)
            .args(["--host", "127.0.0.1", "--port", &s3_port.to_string()])
            .args(["--access-key", "okienko", "--secret-key", "okienko-secret"])
            .arg(&objects),
        s3_port,
    )
    .await;
    let smtp_port = free_port();
    let _smtp = spawn_listening(
        tokio::process::Command::new("python3")
            .args([
                "-m",
                "aiosmtpd",
                "-n",
                "-l",
                &format!("127.0.0.1:{smtp_port}"),
            ])
            .args(["-c", "aiosmtpd.handlers.Mailbox"])
            .arg(&maildir),
        smtp_port,
    )
    .await;
    let endpoint = format!("http://127.0.0.1:{s3_port}");
    let env = [
        ("AWS_ACCESS_KEY_ID", "okienko"),
        ("AWS_SECRET_ACCESS_KEY", "okienko-secret"),
        ("AWS_ENDPOINT", endpoint.as_str()),
        ("AWS_ALLOW_HTTP", "true"),
        ("AWS_REGION", "us-east-1"),
    ];
    let smtp_url = format!("smtp://127.0.0.1:{smtp_port}");
    let flags = [
        "--database-url",
        db.url.as_str(),
        "--blob-url",
        "s3://okienko",
        "--smtp-url",
        smtp_url.as_str(),
        "--trusted-proxies",
        "127.0.0.1",
    ];
    let (pa, pb) = (free_port(), free_port());
    let mut a = start_env(&data, pa, &flags, &env).await;
    let b = start_env(&data, pb, &flags, &env).await;
    let bases = [
        format!("http://127.0.0.1:{pa}"),
        format!("http://127.0.0.1:{pb}"),
    ];
    let jan = token(&bases[0], "jan.kowalski@okienko.test").await;
    let maria = token(&bases[1], "maria.wisniewska@okienko.test").await;
    let office = crate::crash::office_address(&bases[0]).await;
    let senders = [
        (jan.clone(), first_mailbox(&bases[1], &jan).await),
        (maria.clone(), first_mailbox(&bases[0], &maria).await),
    ];

    // A large file goes into the object store in parts.
    let big: Vec<u8> = (0..20_000_000u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8)
        .collect();
    let mut big_pdf = b"%PDF-1.4 big\n".to_vec();
    big_pdf.extend_from_slice(&big);
    let (status, big_id) = try_send(
        &bases[1],
        &jan,
        (&senders[0].1, &office),
        "big",
        big_pdf.clone(),
    )
    .await
    .expect("send");
    assert_eq!(status, 201, "a 20 MB attachment");

    // Sixteen clients send, half through each instance; once half the messages are
    // acknowledged the first instance is killed. A request it cut is sent again through the
    // other with the same idempotency key, as a client behind a load balancer would.
    let a_alive = Arc::new(AtomicBool::new(true));
    let acked = Arc::new(AtomicUsize::new(0));
    let mut tasks = tokio::task::JoinSet::new();
    let clients = 16usize;
    for client in 0..clients {
        let (bases, senders, office) = (bases.clone(), senders.clone(), office.clone());
        let (a_alive, acked) = (a_alive.clone(), acked.clone());
        tasks.spawn(async move {
            let mut sent = Vec::new();
            let mut cut = 0usize;
            for n in (client..MESSAGES).step_by(clients) {
                let (tok, from) = &senders[n % 2];
                let tag = format!("m{n}");
                let mut target = (n / 2) % 2;
                if !a_alive.load(Ordering::SeqCst) {
                    target = 1;
                }
                let answer = loop {
                    match try_send(&bases[target], tok, (from, &office), &tag, attachment(&tag))
                        .await
                    {
                        Ok(answer) => break answer,
                        Err(e) => {
                            assert!(
                                target == 0 && !a_alive.load(Ordering::SeqCst),
                                "message {n} through {}: {e}",
                                bases[target]
                            );
                            cut += 1;
                            target = 1;
                        }
                    }
                };
                assert!(
                    matches!(answer.0, 200 | 201),
                    "message {n} through {}: {}",
                    bases[target],
                    answer.0
                );
                sent.push((n, answer.1));
                acked.fetch_add(1, Ordering::SeqCst);
            }
            (sent, cut)
        });
    }
    // People register meanwhile, spread over the whole run so that emails are going out when
    // the kill comes, each from an address of their own (the test plays the load balancer
    // that names the client): one email each, through the job queue.
    for r in 0..4usize {
        let (bases, a_alive, acked) = (bases.clone(), a_alive.clone(), acked.clone());
        tasks.spawn(async move {
            let mut cut = 0usize;
            for i in (r..PEOPLE).step_by(4) {
                while acked.load(Ordering::SeqCst) < i * MESSAGES / PEOPLE {
                    tokio::time::sleep(Duration::from_millis(10)).await;
                }
                let email = format!("osoba{i}@example.pl");
                let ip = format!("10.9.{}.{}", i / 250, i % 250 + 1);
                let mut target = i % 2;
                loop {
                    if !a_alive.load(Ordering::SeqCst) {
                        target = 1;
                    }
                    match register(&bases[target], &email, &ip).await {
                        Ok(status) => {
                            assert_eq!(status, 200, "registering {email}");
                            break;
                        }
                        Err(e) => {
                            assert!(target == 0, "registering {email}: {e}");
                            cut += 1;
                            // Until the test has noticed, wait for it to.
                            tokio::time::sleep(Duration::from_millis(100)).await;
                        }
                    }
                }
            }
            (Vec::new(), cut)
        });
    }
    while acked.load(Ordering::SeqCst) < MESSAGES / 2 {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    a.start_kill().expect("SIGKILL");
    a_alive.store(false, Ordering::SeqCst);
    let mut sent = Vec::new();
    let mut cut = 0;
    while let Some(r) = tasks.join_next().await {
        let (s, c) = r.expect("client");
        sent.extend(s);
        cut += c;
    }
    let _ = a.wait().await;
    assert_eq!(sent.len(), MESSAGES);
    eprintln!(
        "{} messages acknowledged; {cut} requests cut by the kill",
        sent.len()
    );

    // Every acknowledged message is there, once, with its evidence and its attachment.
    let pool = db.pool().await;
    let ids: HashMap<String, usize> = sent.iter().map(|(n, id)| (id.clone(), *n)).collect();
    assert_eq!(ids.len(), MESSAGES, "one message per idempotency key");
    let rows: Vec<(String, i64, i64)> = sqlx::query_as(
        "SELECT m.id, (SELECT count(*) FROM attachments a WHERE a.message_id = m.id), \
                (SELECT count(*) FROM evidence e WHERE e.message_id = m.id) FROM messages m",
    )
    .fetch_all(&pool)
    .await
    .expect("messages");
    let found: HashMap<String, (i64, i64)> =
        rows.into_iter().map(|(id, a, e)| (id, (a, e))).collect();
    for (id, n) in &ids {
        let (attachments, evidence) = found.get(id).copied().unwrap_or_default();
        assert_eq!(attachments, 1, "message {n} ({id}) and its attachment");
        assert!(evidence >= 2, "message {n} ({id}) has its evidence");
    }
    // The large one reads back whole, through the instance that lives.
    let r = reqwest::Client::new()
        .get(format!(
            "{}/api/v1/messages/{big_id}/attachments/0",
            bases[1]
        ))
        .bearer_auth(&jan)
        .send()
        .await
        .expect("download");
    assert_eq!(r.status(), 200);
    assert!(r.bytes().await.expect("bytes") == big_pdf, "the 20 MB file");

    // Each email job ran once: wait for the queue to empty (a job the killed instance had
    // claimed waits out its lease), then every job's Message-ID is in the mailbox once.
    let mut waited = 0;
    loop {
        let (open,): (i64,) = sqlx::query_as(
            "SELECT (SELECT count(*) FROM jobs WHERE done_at IS NULL AND failed_at IS NULL) \
                  + (SELECT count(*) FROM notices WHERE pending > 0 AND due_at <= $1)",
        )
        .bind(
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_millis() as i64)
                .unwrap_or(0),
        )
        .fetch_one(&pool)
        .await
        .expect("jobs");
        if open == 0 {
            break;
        }
        waited += 1;
        assert!(waited < 200, "{open} jobs still waiting after 100 s");
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    let jobs: Vec<(String, Option<i64>)> =
        sqlx::query_as("SELECT id, failed_at FROM jobs WHERE kind = 'email'")
            .fetch_all(&pool)
            .await
            .expect("jobs");
    assert!(
        jobs.iter().all(|(_, failed)| failed.is_none()),
        "no email failed"
    );
    assert!(
        jobs.len() > PEOPLE,
        "a verification email per person and the notices"
    );
    let mut seen: HashMap<String, usize> = HashMap::new();
    for e in std::fs::read_dir(maildir.join("new"))
        .expect("maildir")
        .flatten()
    {
        let text = std::fs::read_to_string(e.path()).expect("mail");
        let id = text
            .lines()
            .find_map(|l| {
                l.strip_prefix("Message-ID: ")
                    .or_else(|| l.strip_prefix("Message-Id: "))
            })
            .expect("a Message-ID")
            .trim()
            .to_string();
        *seen.entry(id).or_default() += 1;
    }
    let twice: Vec<_> = seen.iter().filter(|(_, n)| **n > 1).collect();
    assert!(twice.is_empty(), "emails sent twice: {twice:?}");
    let expected: HashSet<String> = jobs
        .iter()
        .map(|(id, _)| format!("<{id}@okienko.test>"))
        .collect();
    let got: HashSet<String> = seen.into_keys().collect();
    assert_eq!(got, expected, "each email job's mail arrived once");
    eprintln!("{} emails, each once", got.len());

    // The log, the audit trail and every blob the database refers to verify.
    drop(b);
    pool.close().await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let s3_flags = ["--blob-url", "s3://okienko"];
    for what in ["log", "audit", "blobs"] {
        verify(what, &db.url, &data, &s3_flags, &env);
    }
    db.drop().await;
    let _ = std::fs::remove_dir_all(&dir);
}
