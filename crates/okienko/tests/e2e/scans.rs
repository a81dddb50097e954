//! Paper letters end to end: an official registers a letter that came on paper with its scan
//! (in Chromium and over the API), the scan's signature and the certification note verify with
//! OpenSSL, a case opens from the entry with the letter's day starting its clock, bad input
//! registers nothing, and an official of another department sees none of it.

use crate::browser::{click, fill, sign_in, start_browser, wait_text};
use crate::common::TestServer;
use base64::Engine;
use fantoccini::Locator;
use serde_json::{json, Value};

/// A one-page PDF, as a scanner writes it (the bytes are what is certified and signed).
const SCAN: &[u8] = b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n";

#[tokio::test]
async fn a_paper_letter_is_registered_with_a_certified_scan() {
    let t = TestServer::seeded().await;
    let http = reqwest::Client::new();
    let anna = t.demo_token("anna.nowak@okienko.test").await;
    let piotr = t.demo_token("piotr.zielinski@okienko.test").await;
    let office = crate::common::principal(&t, "anna.nowak@okienko.test")
        .await
        .grants
        .iter()
        .find_map(|g| g.office_id.clone())
        .expect("office");
    let register = format!("/api/v1/offices/{office}/register/paper");
    let letter = |subject: &str, received: &str, name: &str, content: &[u8]| {
        json!({
            "subject": subject,
            "correspondent": "Zofia Wąsik",
            "received_on": received,
            "department": "OR",
            "name": name,
            "content": base64::engine::general_purpose::STANDARD.encode(content),
        })
    };
    let count = || async {
        let (_, r) = t
            .api(
                &anna,
                reqwest::Method::GET,
                &format!("/api/v1/offices/{office}/register?year=2026"),
                None,
            )
            .await;
        r["items"].as_array().map_or(0, Vec::len)
    };
    let before = count().await;

    // Bad input: each refused with its field, nothing registered.
    let tomorrow = (time::OffsetDateTime::now_utc().date() + time::Duration::days(2)).to_string();
    for (body, field) in [
        (
            letter("Wniosek", &tomorrow, "skan.pdf", SCAN),
            "received_on",
        ),
        (letter("", "2026-03-02", "skan.pdf", SCAN), "subject"),
        (
            letter("Wniosek", "2026-03-02", "notatka.txt", b"zwykly tekst"),
            "file",
        ),
        (letter("Wniosek", "2026-03-02", "skan.pdf", b""), "file"),
    ] {
        let (st, r) = t
            .api(&anna, reqwest::Method::POST, &register, Some(body))
            .await;
        assert_eq!(st, 422, "{r}");
        assert!(r.to_string().contains(field), "{field}: {r}");
    }
    // Piotr works the GK department: not OR's letters.
    let (st, r) = t
        .api(
            &piotr,
            reqwest::Method::POST,
            &register,
            Some(letter("Wniosek", "2026-03-02", "skan.pdf", SCAN)),
        )
        .await;
    assert_eq!(st, 422, "{r}");
    assert_eq!(count().await, before);

    // Registered: numbered in the office's register, its scan certified by Anna.
    let (st, r) = t
        .api(
            &anna,
            reqwest::Method::POST,
            &register,
            Some(letter(
                "Wniosek o wycinkę drzewa",
                "2026-03-02",
                "skan.pdf",
                SCAN,
            )),
        )
        .await;
    assert_eq!(st, 201, "{r}");
    let id = r["entry"]["id"].as_str().expect("id").to_string();
    assert_eq!(r["entry"]["kind"], "paper");
    assert!(r["entry"]["number"]
        .as_str()
        .expect("number")
        .ends_with("/2026"));
    let sha = hex::encode(okienko_trust::sha256(SCAN));
    assert_eq!(r["scan"]["sha256"], sha.as_str());
    assert_eq!(r["scan"]["certified_by"], "Anna Nowak");
    let evidence = r["scan"]["evidence_id"].as_str().expect("ev").to_string();
    assert_eq!(count().await, before + 1);
    let (st, _) = t
        .api(
            &piotr,
            reqwest::Method::GET,
            &format!("/api/v1/register-entries/{id}"),
            None,
        )
        .await;
    assert_eq!(st, 404);

    // The scan, its detached signature and the signed note: OpenSSL checks all against the
    // published CA; the note names the scan by its hash and says what was certified.
    let dir = std::env::temp_dir().join(format!("okienko-scan-{}", okienko_services::new_id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let get = |path: String| {
        let r = http.get(t.url(&path)).bearer_auth(&anna).send();
        async move {
            let r = r.await.expect("get");
            assert_eq!(r.status(), 200, "{path}");
            r.bytes().await.expect("bytes").to_vec()
        }
    };
    let scan = get(format!("/api/v1/register-entries/{id}/scan")).await;
    assert_eq!(scan, SCAN);
    std::fs::write(dir.join("skan.pdf"), &scan).expect("write");
    let sig = get(format!("/api/v1/register-entries/{id}/scan/signature")).await;
    std::fs::write(dir.join("skan.pdf.p7s"), sig).expect("write");
    let note = get(format!("/api/v1/evidence/{evidence}/signed")).await;
    std::fs::write(dir.join("note.p7m"), note).expect("write");
    let ca = get("/trust/ca.pem".into()).await;
    std::fs::write(dir.join("ca.pem"), ca).expect("write");
    crate::cases::openssl_verify(&dir, "skan.pdf.p7s", Some("skan.pdf"));
    crate::cases::openssl_verify(&dir, "note.p7m", None);
    let out = std::process::Command::new("openssl")
        .current_dir(&dir)
        .args([
            "cms", "-verify", "-binary", "-inform", "DER", "-in", "note.p7m", "-CAfile", "ca.pem",
        ])
        .output()
        .expect("openssl");
    let doc: Value = serde_json::from_slice(&out.stdout).expect("note");
    assert_eq!(doc["type"], "certified-copy");
    assert_eq!(doc["register_entry"], id.as_str());
    assert_eq!(doc["documents"][0]["sha256"], sha.as_str());
    assert_eq!(doc["certified_by"], "Anna Nowak");
    assert!(doc["statement"]
        .as_str()
        .expect("statement")
        .contains("zgodność"));
    // The signature's time stamp (CAdES-T): an unsigned attribute OpenSSL shows.
    let shown = std::process::Command::new("openssl")
        .current_dir(&dir)
        .args([
            "cms",
            "-cmsout",
            "-print",
            "-inform",
            "DER",
            "-in",
            "skan.pdf.p7s",
        ])
        .output()
        .expect("openssl");
    assert!(
        String::from_utf8_lossy(&shown.stdout).contains("id-smime-aa-timeStampToken"),
        "no time stamp on the scan's signature"
    );
    let _ = std::fs::remove_dir_all(&dir);

    // A case from the entry: the letter's sender is the party, its day starts the clock.
    let (st, c) = t.api(
        &anna,
        reqwest::Method::POST,
        "/api/v1/cases",
        Some(json!({"department": "OR", "jrwa": "015", "title": "Wycinka drzewa", "register_entry": id})),
    )
    .await;
    assert_eq!(st, 201, "{c}");
    let case_id = c["id"].as_str().expect("case").to_string();
    let (_, c) = t
        .api(
            &anna,
            reqwest::Method::GET,
            &format!("/api/v1/cases/{case_id}"),
            None,
        )
        .await;
    assert_eq!(c["started_on"], "2026-03-02");
    assert_eq!(c["party"], "Zofia Wąsik");
    let (_, r) = t
        .api(
            &anna,
            reqwest::Method::GET,
            &format!("/api/v1/register-entries/{id}"),
            None,
        )
        .await;
    assert_eq!(r["entry"]["case_id"], case_id.as_str());

    // A scan with a text layer: its entry is found by a word only the text has (read in the
    // sandboxed worker), typed without Polish letters; not by someone of another department.
    let pdf = crate::search::pdf_with_text("Protokol kontroli przewodow kominowych, budynek nr 7.");
    let (st, r) = t
        .api(
            &anna,
            reqwest::Method::POST,
            &register,
            Some(letter(
                "Pismo zarządcy budynku",
                "2026-03-03",
                "kontrola.pdf",
                &pdf,
            )),
        )
        .await;
    assert_eq!(st, 201, "{r}");
    let with_text = r["entry"]["id"].as_str().expect("id").to_string();
    let (st, found) = t
        .api(
            &anna,
            reqwest::Method::GET,
            "/api/v1/search?q=kominowych",
            None,
        )
        .await;
    assert_eq!(st, 200, "{found}");
    let ids: Vec<&str> = found["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|h| h["id"].as_str())
        .collect();
    assert_eq!(ids, vec![with_text.as_str()], "{found}");
    let (st, found) = t
        .api(
            &piotr,
            reqwest::Method::GET,
            "/api/v1/search?q=kominowych",
            None,
        )
        .await;
    assert_eq!(st, 200, "{found}");
    assert_eq!(found["items"].as_array().map(Vec::len), Some(0), "{found}");

    // In the browser: the register's button, the form with a file, the entry's page.
    let Some((b, _driver, profile)) = start_browser().await else {
        return;
    };
    let png = std::env::temp_dir().join(format!("okienko-scan-{}.png", okienko_services::new_id()));
    std::fs::write(
        &png,
        b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x02\0\0\0",
    )
    .expect("png");
    sign_in(&b, &t, "anna.nowak@okienko.test", Some(t.totp())).await;
    wait_text(&b, "main", "").await;
    b.goto(&t.url(&format!("/offices/{office}/register?lang=en")))
        .await
        .expect("goto");
    click(&b, &format!("a[href='/offices/{office}/register/paper']")).await;
    wait_text(&b, "h1", "Register a paper letter").await;
    fill(&b, "f-subject", "Skarga na hałas").await;
    fill(&b, "f-correspondent", "Wspólnota Mieszkaniowa Lipowa 3").await;
    b.find(Locator::Id("f-file"))
        .await
        .expect("file")
        .send_keys(png.to_str().expect("path"))
        .await
        .expect("choose");
    click(&b, "main button[type=submit]").await;
    wait_text(&b, "main", "The letter was registered").await;
    let page = wait_text(&b, "main", "Certified by").await;
    assert!(page.contains("Anna Nowak"), "{page}");
    assert!(page.contains("Skarga na hałas"), "{page}");
    click(&b, "main a.button[href^='/cases/new?entry=']").await;
    wait_text(&b, "h1", "").await;
    let _ = std::fs::remove_file(&png);
    let _ = std::fs::remove_dir_all(profile);
}
