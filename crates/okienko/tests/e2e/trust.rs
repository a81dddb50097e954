//! Trust services over HTTP, checked with tools nobody here wrote: `openssl ts` on the TSA,
//! `openssl cms` on evidence, `openssl dgst` on tree head signatures; plus the evidence log's
//! proofs, `okienko log verify` against tampering, `okienko verify` and the public verifier.

use crate::common::{tools_required, TestServer};
use base64::Engine;
use okienko_trust::merkle;
use std::path::Path;
use std::process::Command;

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

fn openssl_available() -> bool {
    let ok = Command::new("openssl")
        .arg("version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        assert!(!tools_required(), "openssl is required");
        eprintln!("SKIPPED: openssl not installed");
    }
    ok
}

fn openssl(args: &[&str], dir: &Path) -> (bool, String) {
    let out = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("run openssl");
    (
        out.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

async fn get_text(t: &TestServer, path: &str) -> String {
    reqwest::get(t.url(path))
        .await
        .expect("get")
        .text()
        .await
        .expect("text")
}

async fn sth(t: &TestServer, at_least: u64) -> serde_json::Value {
    for _ in 0..100 {
        let v: serde_json::Value = reqwest::get(t.url("/log/v1/sth"))
            .await
            .expect("sth")
            .json()
            .await
            .expect("json");
        if v["tree_size"].as_u64().unwrap_or(0) >= at_least {
            return v;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("no tree head of size {at_least}");
}

fn b64_hash(v: &serde_json::Value) -> merkle::Hash {
    B64.decode(v.as_str().expect("string"))
        .expect("b64")
        .try_into()
        .expect("32 bytes")
}

#[tokio::test]
async fn tsa_over_http_verifies_with_openssl() {
    if !openssl_available() {
        return;
    }
    let t = TestServer::start().await;
    let dir = t.data.clone();
    std::fs::write(dir.join("ca.pem"), get_text(&t, "/trust/ca.pem").await).expect("w");
    std::fs::write(dir.join("doc.txt"), b"a document to stamp").expect("w");
    let (ok, out) = openssl(
        &[
            "ts", "-query", "-data", "doc.txt", "-sha256", "-cert", "-out", "q.tsq",
        ],
        &dir,
    );
    assert!(ok, "{out}");
    let r = reqwest::Client::new()
        .post(t.url("/tsa"))
        .header("content-type", "application/timestamp-query")
        .body(std::fs::read(dir.join("q.tsq")).expect("r"))
        .send()
        .await
        .expect("post");
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "application/timestamp-reply");
    std::fs::write(dir.join("r.tsr"), r.bytes().await.expect("bytes")).expect("w");
    let (ok, out) = openssl(
        &[
            "ts", "-verify", "-data", "doc.txt", "-in", "r.tsr", "-CAfile", "ca.pem",
        ],
        &dir,
    );
    assert!(ok, "{out}");
    // The TSA certificate published separately is the one in the token.
    let tsa = get_text(&t, "/trust/tsa.pem").await;
    std::fs::write(dir.join("tsa.pem"), &tsa).expect("w");
    let (ok, out) = openssl(
        &[
            "x509",
            "-in",
            "tsa.pem",
            "-noout",
            "-ext",
            "extendedKeyUsage",
        ],
        &dir,
    );
    assert!(
        ok && out.contains("critical") && out.contains("Time Stamping"),
        "{out}"
    );
}

#[tokio::test]
async fn evidence_is_signed_logged_and_provable() {
    if !openssl_available() {
        return;
    }
    let t = TestServer::seeded().await;
    let dir = t.data.clone();
    let office = t
        .services
        .store
        .offices()
        .await
        .expect("offices")
        .remove(0)
        .id;
    let mut issued = Vec::new();
    for i in 0..25 {
        let doc = format!("{{\"type\":\"submission-acceptance\",\"n\":{i}}}").into_bytes();
        let office = if i % 2 == 0 {
            Some(office.as_str())
        } else {
            None
        };
        issued.push(t.services.issue_evidence(doc, office).await.expect("issue"));
    }
    let head = sth(&t, 25).await;
    let size = head["tree_size"].as_u64().expect("size");
    let root = b64_hash(&head["sha256_root_hash"]);

    // The tree head signature verifies with openssl against the published log key.
    std::fs::write(
        dir.join("log-key.pem"),
        get_text(&t, "/trust/log-key.pem").await,
    )
    .expect("w");
    std::fs::write(
        dir.join("sth.bin"),
        merkle::tree_head_input(head["timestamp"].as_u64().expect("ts"), size, &root),
    )
    .expect("w");
    std::fs::write(
        dir.join("sth.sig"),
        B64.decode(head["tree_head_signature"].as_str().expect("sig"))
            .expect("b64"),
    )
    .expect("w");
    let (ok, out) = openssl(
        &[
            "dgst",
            "-sha256",
            "-verify",
            "log-key.pem",
            "-signature",
            "sth.sig",
            "sth.bin",
        ],
        &dir,
    );
    assert!(ok, "{out}");

    // Every evidence document verifies with openssl and is included in the signed tree.
    std::fs::write(dir.join("ca.pem"), get_text(&t, "/trust/ca.pem").await).expect("w");
    for (i, e) in issued.iter().enumerate().step_by(6) {
        std::fs::write(dir.join("ev.p7m"), &e.signed).expect("w");
        let (ok, out) = openssl(
            &[
                "cms", "-verify", "-inform", "DER", "-in", "ev.p7m", "-CAfile", "ca.pem",
            ],
            &dir,
        );
        assert!(ok && out.contains("submission-acceptance"), "{out}");
        let leaf = merkle::leaf_hash(&e.signed);
        let url = format!(
            "/log/v1/proof-by-hash?hash={}&tree_size={size}",
            crate::common::urlencode(&B64.encode(leaf))
        );
        let proof: serde_json::Value = reqwest::get(t.url(&url))
            .await
            .expect("proof")
            .json()
            .await
            .expect("json");
        assert_eq!(proof["leaf_index"].as_u64(), Some(e.log_index), "entry {i}");
        let path: Vec<merkle::Hash> = proof["audit_path"]
            .as_array()
            .expect("path")
            .iter()
            .map(b64_hash)
            .collect();
        assert!(merkle::verify_inclusion(
            e.log_index,
            size,
            &leaf,
            &path,
            &root
        ));
    }

    // More evidence, a newer head, and a consistency proof between the two.
    for i in 0..7 {
        t.services
            .issue_evidence(format!("{{\"later\":{i}}}").into_bytes(), None)
            .await
            .expect("issue");
    }
    let head2 = sth(&t, size + 7).await;
    let size2 = head2["tree_size"].as_u64().expect("size");
    let root2 = b64_hash(&head2["sha256_root_hash"]);
    let c: serde_json::Value =
        reqwest::get(t.url(&format!("/log/v1/consistency?first={size}&second={size2}")))
            .await
            .expect("c")
            .json()
            .await
            .expect("json");
    let proof: Vec<merkle::Hash> = c["consistency"]
        .as_array()
        .expect("array")
        .iter()
        .map(b64_hash)
        .collect();
    assert!(merkle::verify_consistency(
        size, size2, &root, &root2, &proof
    ));
    // Bad parameters are a problem, not a crash.
    let r = reqwest::get(t.url("/log/v1/consistency?first=9&second=999999"))
        .await
        .expect("c");
    assert_eq!(r.status(), 422);
    let r = reqwest::get(t.url("/log/v1/proof-by-hash?hash=%%%&tree_size=x"))
        .await
        .expect("p");
    assert_eq!(r.status(), 422);

    // The public verifier names the signer and finds the entry in the log.
    let c = t.browser();
    let csrf = t.csrf(&c, "/verify?lang=en").await;
    let form = reqwest::multipart::Form::new()
        .text("csrf", csrf.clone())
        .part(
            "signature",
            reqwest::multipart::Part::bytes(issued[0].signed.clone()).file_name("evidence.p7m"),
        );
    let html = c
        .post(t.url("/verify"))
        .multipart(form)
        .send()
        .await
        .expect("post")
        .text()
        .await
        .expect("text");
    assert!(
        html.contains("The signature is valid")
            && html.contains("Urząd Gminy Przykładowo")
            && html.contains("entry 0"),
        "{html}"
    );
    let mut bad = issued[0].signed.clone();
    let pos = bad
        .windows(10)
        .position(|w| w == b"submission")
        .expect("content");
    bad[pos] ^= 0x20;
    let form = reqwest::multipart::Form::new()
        .text("csrf", csrf.clone())
        .part(
            "signature",
            reqwest::multipart::Part::bytes(bad).file_name("x.p7m"),
        );
    let html = c
        .post(t.url("/verify"))
        .multipart(form)
        .send()
        .await
        .expect("post")
        .text()
        .await
        .expect("text");
    assert!(
        html.contains("NOT valid") && html.contains("changed after it was signed"),
        "{html}"
    );
    // A PDF given instead of a signature: that cannot be checked; it is not "invalid".
    let form = reqwest::multipart::Form::new()
        .text("csrf", csrf.clone())
        .part(
            "signature",
            reqwest::multipart::Part::bytes(b"%PDF-1.7 not a signature".to_vec())
                .file_name("letter.pdf"),
        );
    let html = c
        .post(t.url("/verify"))
        .multipart(form)
        .send()
        .await
        .expect("post")
        .text()
        .await
        .expect("text");
    assert!(
        html.contains("cannot be checked") && !html.contains("NOT valid"),
        "{html}"
    );
    let form = reqwest::multipart::Form::new().text("csrf", csrf);
    let r = c
        .post(t.url("/verify"))
        .multipart(form)
        .send()
        .await
        .expect("post");
    assert_eq!(r.status(), 422);
}

fn cli(args: &[&str], data: &Path) -> (i32, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_okienko"))
        .args(args)
        .arg("--data")
        .arg(data)
        .output()
        .expect("run okienko");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).to_string(),
    )
}

#[tokio::test]
async fn log_verify_catches_deleted_modified_and_reordered_entries() {
    let t = TestServer::start().await;
    for i in 0..12 {
        t.services
            .issue_evidence(format!("{{\"n\":{i}}}").into_bytes(), None)
            .await
            .expect("issue");
    }
    sth(&t, 12).await;
    let (code, out) = cli(&["log", "verify"], &t.data);
    assert_eq!(code, 0, "{out}");
    let pool =
        sqlx::SqlitePool::connect(&format!("sqlite://{}", t.data.join("okienko.db").display()))
            .await
            .expect("db");
    let tamper = |sql: &'static str| {
        let pool = pool.clone();
        async move { sqlx::raw_sql(sql).execute(&pool).await.expect("tamper") }
    };
    // Modified: another leaf's bytes put in place (hash column too, so only the tree notices).
    tamper("CREATE TABLE saved AS SELECT * FROM log_leaves").await;
    tamper("UPDATE log_leaves SET leaf = (SELECT leaf FROM saved WHERE idx = 2), leaf_hash = (SELECT leaf_hash FROM saved WHERE idx = 2) WHERE idx = 3").await;
    let (code, out) = cli(&["log", "verify"], &t.data);
    assert_eq!(code, 1, "modified: {out}");
    tamper("DELETE FROM log_leaves; INSERT INTO log_leaves SELECT * FROM saved").await;
    assert_eq!(cli(&["log", "verify"], &t.data).0, 0);
    // Reordered: two leaves swap places.
    tamper("UPDATE log_leaves SET idx = -1 WHERE idx = 4; UPDATE log_leaves SET idx = 4 WHERE idx = 5; UPDATE log_leaves SET idx = 5 WHERE idx = -1").await;
    let (code, out) = cli(&["log", "verify"], &t.data);
    assert_eq!(code, 1, "reordered: {out}");
    tamper("DELETE FROM log_leaves; INSERT INTO log_leaves SELECT * FROM saved").await;
    // Deleted: in the middle, and at the end.
    tamper("DELETE FROM log_leaves WHERE idx = 11").await;
    let (code, out) = cli(&["log", "verify"], &t.data);
    assert_eq!(code, 1, "deleted at the end: {out}");
    tamper("DELETE FROM log_leaves; INSERT INTO log_leaves SELECT * FROM saved").await;
    tamper("DELETE FROM log_leaves WHERE idx = 6").await;
    let (code, out) = cli(&["log", "verify"], &t.data);
    assert_eq!(code, 1, "deleted: {out}");
    assert!(out.contains("leaf 6 is missing"), "{out}");
    tamper("DELETE FROM log_leaves; INSERT INTO log_leaves SELECT * FROM saved").await;
    // Backdated: a tree head's time moved earlier (its signature no longer matches).
    tamper("UPDATE log_tree_heads SET timestamp_ms = timestamp_ms - 86400000").await;
    assert_eq!(cli(&["log", "verify"], &t.data).0, 1);
}

#[tokio::test]
async fn verify_command_exit_codes() {
    let t = TestServer::seeded().await;
    let e = t
        .services
        .issue_evidence(b"{\"type\":\"deemed-delivery\"}".to_vec(), None)
        .await
        .expect("issue");
    let dir = t.data.clone();
    std::fs::write(dir.join("ev.p7m"), &e.signed).expect("w");
    let doc = dir.join("doc.json");
    std::fs::write(&doc, b"{\"type\":\"deemed-delivery\"}").expect("w");
    let sig = dir.join("ev.p7m");
    let (code, out) = cli(
        &[
            "verify",
            doc.to_str().expect("p"),
            "--signature",
            sig.to_str().expect("p"),
        ],
        &dir,
    );
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("VALID") && out.contains("Evidence Seal"),
        "{out}"
    );
    std::fs::write(dir.join("ca.pem"), get_text(&t, "/trust/ca.pem").await).expect("w");
    let ca = dir.join("ca.pem");
    let (code, _) = cli(
        &[
            "verify",
            doc.to_str().expect("p"),
            "--signature",
            sig.to_str().expect("p"),
            "--ca",
            ca.to_str().expect("p"),
        ],
        &dir,
    );
    assert_eq!(code, 0);
    std::fs::write(&doc, b"{\"type\":\"forged\"}").expect("w");
    let (code, out) = cli(
        &[
            "verify",
            doc.to_str().expect("p"),
            "--signature",
            sig.to_str().expect("p"),
        ],
        &dir,
    );
    assert_eq!(code, 1, "{out}");
    let (code, _) = cli(
        &[
            "verify",
            "/nonexistent",
            "--signature",
            sig.to_str().expect("p"),
        ],
        &dir,
    );
    assert_eq!(code, 2);
}

#[tokio::test]
async fn a_revoked_seal_is_on_the_crl_and_later_signatures_fail() {
    if !openssl_available() {
        return;
    }
    let t = TestServer::seeded().await;
    let dir = t.data.clone();
    let office = t
        .services
        .store
        .offices()
        .await
        .expect("offices")
        .remove(0)
        .id;
    let before = t
        .services
        .issue_evidence(b"{\"before\":true}".to_vec(), Some(&office))
        .await
        .expect("issue");
    let old = t.services.office_seal(&office).await.expect("seal");
    let admin = t.demo_web("urzad.admin@okienko.test").await;
    let csrf = t.csrf(&admin, "/register").await;
    // Without its confirmation the act only asks, and changes nothing.
    let r = admin
        .post(t.url(&format!("/offices/{office}/seal/revoke")))
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .expect("ask");
    assert_eq!(r.status(), 200);
    let page = r.text().await.expect("page");
    assert!(
        page.contains(r#"name="confirm" value="yes""#) && page.contains("button danger"),
        "{page}"
    );
    let same = t.services.office_seal(&office).await.expect("seal");
    assert_eq!(
        same.cert, old.cert,
        "nothing changed before the confirmation"
    );
    let r = admin
        .post(t.url(&format!("/offices/{office}/seal/revoke")))
        .form(&[("csrf", csrf.as_str()), ("confirm", "yes")])
        .send()
        .await
        .expect("revoke");
    assert_eq!(r.status(), 303);
    let new = t.services.office_seal(&office).await.expect("seal");
    assert_ne!(new.cert, old.cert, "a new seal is issued");

    std::fs::write(dir.join("ca.pem"), get_text(&t, "/trust/ca.pem").await).expect("w");
    let crl = reqwest::get(t.url("/trust/crl"))
        .await
        .expect("crl")
        .bytes()
        .await
        .expect("bytes");
    std::fs::write(dir.join("crl.der"), &crl).expect("w");
    let (ok, out) = openssl(
        &[
            "crl", "-inform", "DER", "-in", "crl.der", "-CAfile", "ca.pem", "-noout", "-text",
        ],
        &dir,
    );
    assert!(ok && out.contains("verify OK"), "{out}");
    let serial = hex::encode_upper(old.cert.tbs_certificate.serial_number.as_bytes());
    assert!(out.contains(&serial), "{out}");
    let (ok, _) = openssl(
        &["crl", "-inform", "DER", "-in", "crl.der", "-out", "crl.pem"],
        &dir,
    );
    assert!(ok);
    std::fs::write(
        dir.join("old.pem"),
        okienko_trust::pki::cert_pem(&old.cert).expect("pem"),
    )
    .expect("w");
    let (ok, out) = openssl(
        &[
            "verify",
            "-crl_check",
            "-CAfile",
            "ca.pem",
            "-CRLfile",
            "crl.pem",
            "old.pem",
        ],
        &dir,
    );
    assert!(!ok && out.contains("revoked"), "{out}");

    let html = verify_page(&t, before.signed.clone()).await;
    assert!(
        html.contains("The signature is valid"),
        "signed before the revocation: {html}"
    );
    let later = okienko_trust::sign::sign(
        &okienko_trust::sign::SignRequest::data(
            b"{\"after\":true}",
            false,
            time::OffsetDateTime::now_utc() + time::Duration::minutes(1),
        ),
        &old,
        std::slice::from_ref(&t.services.pki.intermediate.cert),
    )
    .expect("sign");
    let html = verify_page(&t, later).await;
    assert!(
        html.contains("NOT valid") && html.contains("revoked before the time of signing"),
        "{html}"
    );
}

/// Uploads a signature to the public verifier and returns the report page.
async fn verify_page(t: &TestServer, sig: Vec<u8>) -> String {
    let c = t.browser();
    let csrf = t.csrf(&c, "/verify?lang=en").await;
    let form = reqwest::multipart::Form::new().text("csrf", csrf).part(
        "signature",
        reqwest::multipart::Part::bytes(sig).file_name("e.p7m"),
    );
    c.post(t.url("/verify"))
        .multipart(form)
        .send()
        .await
        .expect("post")
        .text()
        .await
        .expect("text")
}

#[tokio::test]
async fn officials_seal_files_with_a_time_stamp_from_an_external_tsa() {
    if !openssl_available() {
        return;
    }
    // A second installation plays the external time-stamping authority.
    let external = TestServer::start().await;
    let tsa_url = external.url("/tsa");
    let t = TestServer::start_with(|s| s.tsa_url = Some(tsa_url.clone())).await;
    okienko_services::demo::seed(&t.services)
        .await
        .expect("seed");
    let office = t
        .services
        .store
        .offices()
        .await
        .expect("offices")
        .remove(0)
        .id;
    let file = b"DECYZJA nr 1/2026".to_vec();
    let upload = |token: String| {
        let url = t.url(&format!("/api/v1/offices/{office}/seal-signatures"));
        let file = file.clone();
        async move {
            let form = reqwest::multipart::Form::new().part(
                "file",
                reqwest::multipart::Part::bytes(file).file_name("decyzja.txt"),
            );
            reqwest::Client::new()
                .post(url)
                .bearer_auth(token)
                .multipart(form)
                .send()
                .await
                .expect("post")
        }
    };
    let r = upload(t.demo_token("anna.nowak@okienko.test").await).await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "application/pkcs7-signature");
    let sig = r.bytes().await.expect("bytes").to_vec();
    let dir = t.data.clone();
    std::fs::write(dir.join("ca.pem"), get_text(&t, "/trust/ca.pem").await).expect("w");
    std::fs::write(dir.join("decyzja.txt"), &file).expect("w");
    std::fs::write(dir.join("decyzja.p7s"), &sig).expect("w");
    let (ok, out) = openssl(
        &[
            "cms",
            "-verify",
            "-binary",
            "-inform",
            "DER",
            "-in",
            "decyzja.p7s",
            "-content",
            "decyzja.txt",
            "-CAfile",
            "ca.pem",
            "-out",
            "/dev/null",
        ],
        &dir,
    );
    assert!(ok, "{out}");
    use okienko_trust::verify::{verify, NoRevocation, Problem};
    let both = vec![
        t.services.pki.root.clone(),
        external.services.pki.root.clone(),
    ];
    let r = verify(&sig, Some(&file), &both, &NoRevocation);
    assert!(r.valid(), "{:?}", r.problems);
    assert!(r
        .signer
        .as_deref()
        .is_some_and(|s| s.contains("Urząd Gminy Przykładowo")));
    assert!(r.time_stamp.is_some());
    // The stamp came from the other installation: without its root it does not verify.
    let own = verify(
        &sig,
        Some(&file),
        std::slice::from_ref(&t.services.pki.root),
        &NoRevocation,
    );
    assert!(
        own.problems
            .iter()
            .any(|p| matches!(p, Problem::TimeStampInvalid(_))),
        "{:?}",
        own.problems
    );
    // A citizen may not use the office's seal.
    let r = upload(t.demo_token("jan.kowalski@okienko.test").await).await;
    assert_eq!(r.status(), 404);
}

#[tokio::test]
async fn an_external_seal_imported_from_pkcs12_signs_from_then_on() {
    if !openssl_available() {
        return;
    }
    let t = TestServer::seeded().await;
    let dir = t.data.join("external");
    std::fs::create_dir_all(&dir).expect("dir");
    for args in [
        &[
            "ecparam",
            "-name",
            "prime256v1",
            "-genkey",
            "-noout",
            "-out",
            "ca.key",
        ][..],
        &[
            "req",
            "-x509",
            "-new",
            "-key",
            "ca.key",
            "-subj",
            "/CN=Test Qualified CA",
            "-days",
            "30",
            "-out",
            "extca.pem",
            "-addext",
            "basicConstraints=critical,CA:TRUE",
            "-addext",
            "keyUsage=critical,keyCertSign,cRLSign",
        ][..],
        &[
            "ecparam",
            "-name",
            "prime256v1",
            "-genkey",
            "-noout",
            "-out",
            "seal.key",
        ][..],
        &[
            "req",
            "-new",
            "-key",
            "seal.key",
            "-subj",
            "/CN=Urzad Gminy Przykladowo (kwalifikowana)",
            "-out",
            "seal.csr",
        ][..],
    ] {
        let (ok, out) = openssl(args, &dir);
        assert!(ok, "{args:?}: {out}");
    }
    std::fs::write(
        dir.join("ext.cnf"),
        "keyUsage=critical,digitalSignature,nonRepudiation\nbasicConstraints=CA:FALSE\n",
    )
    .expect("w");
    for args in [
        &[
            "x509",
            "-req",
            "-in",
            "seal.csr",
            "-CA",
            "extca.pem",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-days",
            "30",
            "-out",
            "seal.pem",
            "-extfile",
            "ext.cnf",
        ][..],
        &[
            "pkcs12",
            "-export",
            "-inkey",
            "seal.key",
            "-in",
            "seal.pem",
            "-certfile",
            "extca.pem",
            "-passout",
            "pass:tajne haslo",
            "-out",
            "seal.p12",
        ][..],
    ] {
        let (ok, out) = openssl(args, &dir);
        assert!(ok, "{args:?}: {out}");
    }
    let p12 = std::fs::read(dir.join("seal.p12")).expect("p12");
    let office = t
        .services
        .store
        .offices()
        .await
        .expect("offices")
        .remove(0)
        .id;
    let admin = t.demo_web("urzad.admin@okienko.test").await;
    let r = upload_p12(&t, &admin, &office, &p12, "wrong").await;
    assert_eq!(r.status(), 422, "a wrong password is a clear error");
    let r = upload_p12(&t, &admin, &office, &p12, "tajne haslo").await;
    assert_eq!(r.status(), 303);
    let page = admin
        .get(t.url(&format!("/offices/{office}?lang=en")))
        .send()
        .await
        .expect("get")
        .text()
        .await
        .expect("text");
    assert!(
        page.contains("Imported (external certificate)") && page.contains("kwalifikowana"),
        "{page}"
    );

    // From now on the office seals with the imported certificate, which verifies under the
    // external CA with openssl.
    let token = t.demo_token("anna.nowak@okienko.test").await;
    let form = reqwest::multipart::Form::new().part(
        "file",
        reqwest::multipart::Part::bytes(b"pismo".to_vec()).file_name("pismo.txt"),
    );
    let r = reqwest::Client::new()
        .post(t.url(&format!("/api/v1/offices/{office}/seal-signatures")))
        .bearer_auth(token)
        .multipart(form)
        .send()
        .await
        .expect("seal");
    assert_eq!(r.status(), 200);
    std::fs::write(dir.join("pismo.p7s"), r.bytes().await.expect("b")).expect("w");
    std::fs::write(dir.join("pismo.txt"), b"pismo").expect("w");
    let (ok, out) = openssl(
        &[
            "cms",
            "-verify",
            "-binary",
            "-inform",
            "DER",
            "-in",
            "pismo.p7s",
            "-content",
            "pismo.txt",
            "-CAfile",
            "extca.pem",
            "-out",
            "/dev/null",
        ],
        &dir,
    );
    assert!(ok, "{out}");
    let ev = t
        .services
        .issue_evidence(b"{\"x\":1}".to_vec(), Some(&office))
        .await
        .expect("evidence");
    std::fs::write(dir.join("ev.p7m"), &ev.signed).expect("w");
    let (ok, out) = openssl(
        &[
            "cms",
            "-verify",
            "-inform",
            "DER",
            "-in",
            "ev.p7m",
            "-CAfile",
            "extca.pem",
        ],
        &dir,
    );
    assert!(ok, "{out}");
}

async fn upload_p12(
    t: &TestServer,
    admin: &reqwest::Client,
    office: &str,
    p12: &[u8],
    password: &str,
) -> reqwest::Response {
    let csrf = t.csrf(admin, "/register").await;
    let form = reqwest::multipart::Form::new()
        .text("csrf", csrf)
        .text("password", password.to_string())
        .part(
            "file",
            reqwest::multipart::Part::bytes(p12.to_vec()).file_name("seal.p12"),
        );
    admin
        .post(t.url(&format!("/offices/{office}/seal/import-p12")))
        .multipart(form)
        .send()
        .await
        .expect("post")
}

#[tokio::test]
async fn the_tsa_certifies_under_the_configured_policy() {
    if !openssl_available() {
        return;
    }
    let t = TestServer::start_with(|s| s.tsa_policy = Some("1.3.6.1.4.1.55555.1.1".into())).await;
    let req = okienko_trust::tsa::request_der(b"policy").expect("request");
    let r = reqwest::Client::new()
        .post(t.url("/tsa"))
        .header("content-type", "application/timestamp-query")
        .body(req)
        .send()
        .await
        .expect("post");
    std::fs::write(t.data.join("p.tsr"), r.bytes().await.expect("bytes")).expect("w");
    let (ok, text) = openssl(&["ts", "-reply", "-in", "p.tsr", "-text"], &t.data);
    assert!(
        ok && text.contains("Policy OID: 1.3.6.1.4.1.55555.1.1"),
        "{text}"
    );
    // A policy that is not an OID stops start-up with a clear message.
    let data = std::env::temp_dir().join(format!("okienko-policy-{}", okienko_services::new_id()));
    let flags = okienko::config::Flags {
        data: Some(data),
        tsa_policy: Some("not an oid".into()),
        ..Default::default()
    };
    let s = okienko::config::Settings::resolve(&flags).expect("settings");
    let err = okienko::services(&s, std::sync::Arc::new(okienko_services::SystemClock))
        .await
        .err()
        .expect("refused");
    assert!(format!("{err:#}").contains("not an OID"), "{err:#}");
}
