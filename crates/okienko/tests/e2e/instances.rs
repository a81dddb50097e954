//! Two instances of okienko on one PostgreSQL database and one data folder (master key, blob
//! packs), as two processes: citizens send through both at once; every acknowledged message
//! is there with its evidence, seen from either instance; the evidence log and the audit
//! trail verify; and a session ended on one instance stops working on the other at once.

use crate::common::tools_required;
use crate::crash::{attachment, first_mailbox, free_port, start_with, token};
use std::time::Duration;

async fn send(base: &str, token: &str, from: &str, to: &str, tag: &str) -> (u16, String) {
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
            reqwest::multipart::Part::bytes(attachment(tag)).file_name(format!("{tag}.pdf")),
        );
    let r = reqwest::Client::new()
        .post(format!("{base}/api/v1/messages"))
        .bearer_auth(token)
        .multipart(form)
        .send()
        .await
        .expect("send");
    let status = r.status().as_u16();
    let v: serde_json::Value = r.json().await.unwrap_or_default();
    (status, v["id"].as_str().unwrap_or("").to_string())
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

/// `okienko <what> verify` on the shared database and folder; its report when it fails.
fn verify(what: &str, url: &str, data: &std::path::Path) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_okienko"))
        .args([what, "verify", "--database-url", url, "--data"])
        .arg(data)
        .output()
        .expect("run verify");
    assert!(
        out.status.success(),
        "{what} verify: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[tokio::test]
async fn two_instances_on_one_database_share_the_log_and_the_sessions() {
    let Ok(admin_url) = std::env::var("OKIENKO_TEST_DATABASE_URL") else {
        assert!(
            !tools_required(),
            "OKIENKO_TEST_DATABASE_URL (PostgreSQL) is needed"
        );
        return;
    };
    let admin = okienko_store::SqlStore::connect(&admin_url)
        .await
        .expect("postgres");
    let name = format!("okienko_i_{}", okienko_services::new_id().replace('-', ""));
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(admin.raw_pool())
        .await
        .expect("create database");
    let (prefix, _) = admin_url.rsplit_once('/').expect("a database in the URL");
    let url = format!("{prefix}/{name}");
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
    verify("log", &url, &data);
    verify("audit", &url, &data);
    verify("blobs", &url, &data);
    admin.raw_pool().close().await;
    let admin = okienko_store::SqlStore::connect(&admin_url)
        .await
        .expect("postgres");
    let _ = sqlx::query(&format!("DROP DATABASE {name} WITH (FORCE)"))
        .execute(admin.raw_pool())
        .await;
    let _ = std::fs::remove_dir_all(&data);
}
