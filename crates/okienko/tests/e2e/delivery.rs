//! Electronic delivery addresses: the demo mailboxes, the public register and the lookup of a
//! person's address by a public-body sender.

use crate::common::TestServer;
use okienko_domain::address::Address;

pub async fn get_json(url: String, token: Option<&str>) -> (u16, serde_json::Value) {
    let mut req = reqwest::Client::new().get(url);
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    let r = req.send().await.expect("get");
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(serde_json::Value::Null))
}

#[tokio::test]
async fn demo_mailboxes_have_valid_addresses() {
    let t = TestServer::seeded().await;
    for (login, kind) in [
        ("jan.kowalski@okienko.test", Some("person")),
        ("maria.wisniewska@okienko.test", Some("person")),
        ("firma@okienko.test", Some("company")),
        ("anna.nowak@okienko.test", Some("public_body")),
        ("milan.petrovic@okienko.test", None),
        // An official of the office uses its mailbox by role.
        ("piotr.zielinski@okienko.test", Some("public_body")),
        ("kasia.poczta@okienko.test", None),
    ] {
        let token = t.demo_token(login).await;
        let (status, me) = get_json(t.url("/api/v1/me"), Some(&token)).await;
        assert_eq!(status, 200);
        let boxes = me["mailboxes"].as_array().expect("mailboxes");
        match kind {
            Some(k) => {
                assert_eq!(boxes.len(), 1, "{login}: {me}");
                assert_eq!(boxes[0]["kind"], k);
                let address = boxes[0]["address"].as_str().expect("address");
                assert!(
                    Address::parse(address).is_ok(),
                    "{address} has valid check digits"
                );
            }
            None => assert!(boxes.is_empty(), "{login} has no mailbox"),
        }
    }
    // Seeding again changes nothing.
    okienko_services::demo::seed(&t.services)
        .await
        .expect("seed again");
    let token = t.demo_token("jan.kowalski@okienko.test").await;
    let (_, me) = get_json(t.url("/api/v1/me"), Some(&token)).await;
    assert_eq!(me["mailboxes"].as_array().map(Vec::len), Some(1));
}

#[tokio::test]
async fn the_public_register_lists_public_bodies_only() {
    let t = TestServer::seeded().await;
    let (status, v) = get_json(t.url("/api/v1/addresses?q=urz%C4%85d"), None).await;
    assert_eq!(status, 200);
    let items = v["items"].as_array().expect("items");
    assert_eq!(items.len(), 2, "the demo's two offices");
    assert_eq!(items[0]["name"], "Urząd Gminy Przykładowo");
    assert_eq!(items[1]["name"], "Urząd Miejski w Dobrzycy");
    assert_eq!(items[0]["kind"], "public_body");
    for q in ["Kowalski", "44051401359", "Firma", "7770000005"] {
        let (_, v) = get_json(t.url(&format!("/api/v1/addresses?q={q}")), None).await;
        assert!(
            v["items"].as_array().expect("items").is_empty(),
            "{q} must not find a person or company"
        );
    }
    let (_, v) = get_json(t.url("/api/v1/addresses?q=5260001246"), None).await;
    assert_eq!(v["items"].as_array().map(Vec::len), Some(1), "by NIP");
    let html = t
        .browser()
        .get(t.url("/addresses?q=przyk%C5%82adowo&lang=en"))
        .send()
        .await
        .expect("get")
        .text()
        .await
        .expect("text");
    assert!(
        html.contains("Urząd Gminy Przykładowo")
            && html.contains("AE:PL-")
            && !html.contains("Jan Kowalski"),
        "{html}"
    );
    let long = "x".repeat(101);
    let r = t
        .browser()
        .get(t.url(&format!("/addresses?q={long}")))
        .send()
        .await
        .expect("get");
    assert_eq!(r.status(), 422);
}

#[tokio::test]
async fn officials_look_up_a_person_by_pesel_and_the_person_sees_it() {
    let t = TestServer::seeded().await;
    let anna = t.demo_token("anna.nowak@okienko.test").await;
    let jan = t.demo_token("jan.kowalski@okienko.test").await;
    let (_, me) = get_json(t.url("/api/v1/me"), Some(&jan)).await;
    let jan_address = me["mailboxes"][0]["address"].clone();
    let (status, v) = get_json(
        t.url("/api/v1/addresses/lookup?pesel=44051401359&reason=decision%20OR.6220.1.2026"),
        Some(&anna),
    )
    .await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["address"], jan_address);
    let (status, v) = get_json(
        t.url("/api/v1/addresses/lookup?nip=7770000005"),
        Some(&anna),
    )
    .await;
    assert_eq!((status, v["kind"].as_str()), (200, Some("company")));
    let (status, v) = get_json(
        t.url("/api/v1/addresses/lookup?pesel=44051401358"),
        Some(&anna),
    )
    .await;
    assert_eq!(status, 422);
    assert_eq!(v["errors"][0]["field"], "pesel");
    let (status, _) = get_json(
        t.url("/api/v1/addresses/lookup?pesel=02070803628"),
        Some(&anna),
    )
    .await;
    assert_eq!(status, 404, "a valid PESEL without a mailbox");
    // A citizen cannot look anyone up, not even by exact number.
    let (status, _) = get_json(
        t.url("/api/v1/addresses/lookup?pesel=90031201428"),
        Some(&jan),
    )
    .await;
    assert_eq!(status, 404);
    // Jan sees the official's lookup, with its reason, in his Data Tracker.
    let (_, items) = get_json(t.url("/api/v1/me/data-tracker"), Some(&jan)).await;
    let lookups: Vec<_> = items
        .as_array()
        .expect("items")
        .iter()
        .filter(|i| i["action"] == "register.lookup")
        .collect();
    assert_eq!(lookups.len(), 1, "{items}");
    assert_eq!(lookups[0]["actor"], "Anna Nowak");
    assert_eq!(lookups[0]["reason"], "decision OR.6220.1.2026");
}

async fn my_address(t: &TestServer, token: &str) -> String {
    let (_, me) = get_json(t.url("/api/v1/me"), Some(token)).await;
    me["mailboxes"][0]["address"]
        .as_str()
        .expect("a mailbox")
        .to_string()
}

/// A body long enough to be kept as a blob rather than in the message's row.
fn long_body() -> String {
    "Treść wiadomości, długa jak pismo urzędowe. ".repeat(60)
}

async fn send(
    t: &TestServer,
    token: &str,
    from: &str,
    to: &[&str],
    subject: &str,
    files: &[(&str, &[u8])],
    key: Option<&str>,
) -> (u16, serde_json::Value) {
    let msg = serde_json::json!({"from": from, "to": to, "subject": subject, "body": long_body()});
    let mut form = reqwest::multipart::Form::new().part(
        "message",
        reqwest::multipart::Part::text(msg.to_string())
            .mime_str("application/json")
            .expect("mime"),
    );
    for (name, bytes) in files {
        form = form.part(
            "attachment",
            reqwest::multipart::Part::bytes(bytes.to_vec()).file_name(name.to_string()),
        );
    }
    let mut req = reqwest::Client::new()
        .post(t.url("/api/v1/messages"))
        .bearer_auth(token)
        .multipart(form);
    if let Some(k) = key {
        req = req.header("Idempotency-Key", k);
    }
    let r = req.send().await.expect("send");
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(serde_json::Value::Null))
}

#[tokio::test]
async fn citizen_to_office_with_evidence_that_verifies_outside() {
    let t = TestServer::seeded().await;
    let jan = t.demo_token("jan.kowalski@okienko.test").await;
    let anna = t.demo_token("anna.nowak@okienko.test").await;
    let jan_box = my_address(&t, &jan).await;
    let office_box = my_address(&t, &anna).await;
    let pdf = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n";
    let (status, sent) = send(
        &t,
        &jan,
        &jan_box,
        &[&office_box],
        "Wniosek o wydanie zaświadczenia",
        &[("wniosek.pdf", pdf)],
        Some("k-1"),
    )
    .await;
    assert_eq!(status, 201, "{sent}");
    let id = sent["id"].as_str().expect("id").to_string();
    let kinds: Vec<&str> = sent["evidence"]
        .as_array()
        .expect("evidence")
        .iter()
        .filter_map(|e| e["type"].as_str())
        .collect();
    assert_eq!(kinds, vec!["submission-acceptance", "content-consignment"]);
    // The same idempotency key returns the first result and creates nothing new.
    let (status, again) = send(
        &t,
        &jan,
        &jan_box,
        &[&office_box],
        "Wniosek o wydanie zaświadczenia",
        &[("wniosek.pdf", pdf)],
        Some("k-1"),
    )
    .await;
    assert_eq!((status, again["id"].as_str()), (201, Some(id.as_str())));
    let (_, sent_folder) = get_json(
        t.url(&format!("/api/v1/mailboxes/{jan_box}/messages?folder=sent")),
        Some(&jan),
    )
    .await;
    assert_eq!(sent_folder["items"].as_array().map(Vec::len), Some(1));
    assert_eq!(
        sent_folder["items"][0]["to"][0].as_str(),
        Some(office_box.as_str())
    );

    // The office's official finds it in the inbox and opens it: content-handover.
    let (_, inbox) = get_json(
        t.url(&format!(
            "/api/v1/mailboxes/{office_box}/messages?folder=inbox"
        )),
        Some(&anna),
    )
    .await;
    assert_eq!(inbox["items"][0]["id"].as_str(), Some(id.as_str()));
    assert!(inbox["items"][0]["opened_at"].is_null());
    let (status, m) = get_json(t.url(&format!("/api/v1/messages/{id}")), Some(&anna)).await;
    assert_eq!(status, 200);
    assert_eq!(m["body"].as_str(), Some(long_body().as_str()));
    assert_eq!(m["attachments"][0]["media_type"], "application/pdf");
    assert_eq!(
        m["attachments"][0]["sha256"].as_str(),
        Some(hex::encode(okienko_trust::sha256(pdf)).as_str())
    );
    let file = reqwest::Client::new()
        .get(t.url(&format!("/api/v1/messages/{id}/attachments/0")))
        .bearer_auth(&anna)
        .send()
        .await
        .expect("get")
        .bytes()
        .await
        .expect("bytes");
    assert_eq!(&file[..], &pdf[..]);
    // Another citizen sees nothing of it.
    let maria = t.demo_token("maria.wisniewska@okienko.test").await;
    assert_eq!(
        get_json(t.url(&format!("/api/v1/messages/{id}")), Some(&maria))
            .await
            .0,
        404
    );
    assert_eq!(
        get_json(
            t.url(&format!("/api/v1/mailboxes/{jan_box}/messages")),
            Some(&maria)
        )
        .await
        .0,
        404
    );

    let (_, ev) = get_json(
        t.url(&format!("/api/v1/messages/{id}/evidence")),
        Some(&jan),
    )
    .await;
    let items = ev["items"].as_array().expect("items").clone();
    let kinds: Vec<&str> = items.iter().filter_map(|e| e["type"].as_str()).collect();
    assert_eq!(
        kinds,
        vec![
            "submission-acceptance",
            "content-consignment",
            "content-handover"
        ]
    );

    // Every evidence document verifies with openssl and is in the signed log.
    let Some(contents) = verify_evidence_outside(&t, &jan, &items).await else {
        return;
    };
    for (e, content) in items.iter().zip(contents) {
        assert_eq!(content["evidence_id"], e["id"]);
        assert_eq!(content["message_id"], id.as_str());
        assert_eq!(content["sender"], jan_box.as_str());
        assert_eq!(
            content["attachments"][0]["sha256"].as_str(),
            Some(hex::encode(okienko_trust::sha256(pdf)).as_str())
        );
        // The long body, stored as a blob, is read back whole for the later evidence too.
        assert_eq!(
            content["message_sha256"].as_str(),
            Some(
                okienko_services::delivery::message_sha256(
                    "Wniosek o wydanie zaświadczenia",
                    &long_body()
                )
                .as_str()
            )
        );
    }
}

/// Checks evidence documents (items of `/api/v1/messages/{id}/evidence`) outside okienko:
/// each signed form verifies with `openssl cms -verify` against the published CA, the JSON
/// served is exactly the signed content, and its inclusion proof verifies against a signed
/// tree head. Returns the contents, or None when openssl is missing and not required.
pub async fn verify_evidence_outside(
    t: &TestServer,
    token: &str,
    items: &[serde_json::Value],
) -> Option<Vec<serde_json::Value>> {
    if std::process::Command::new("openssl")
        .arg("version")
        .output()
        .is_err()
    {
        assert!(!crate::common::tools_required(), "openssl is required");
        return None;
    }
    let dir = t.data.clone();
    let ca = reqwest::get(t.url("/trust/ca.pem"))
        .await
        .expect("ca")
        .text()
        .await
        .expect("text");
    std::fs::write(dir.join("ca.pem"), ca).expect("w");
    let last = items
        .iter()
        .filter_map(|e| e["log_index"].as_u64())
        .max()
        .expect("index");
    let head = loop {
        let v: serde_json::Value = reqwest::get(t.url("/log/v1/sth"))
            .await
            .expect("sth")
            .json()
            .await
            .expect("json");
        if v["tree_size"].as_u64().unwrap_or(0) > last {
            break v;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    };
    use base64::Engine;
    let b64 = base64::engine::general_purpose::STANDARD;
    let size = head["tree_size"].as_u64().expect("size");
    let root: [u8; 32] = b64
        .decode(head["sha256_root_hash"].as_str().expect("root"))
        .expect("b64")
        .try_into()
        .expect("32");
    let mut contents = Vec::new();
    for e in items {
        let eid = e["id"].as_str().expect("id");
        let signed = reqwest::Client::new()
            .get(t.url(&format!("/api/v1/evidence/{eid}/signed")))
            .bearer_auth(token)
            .send()
            .await
            .expect("get")
            .bytes()
            .await
            .expect("bytes");
        std::fs::write(dir.join("e.p7m"), &signed).expect("w");
        let out = std::process::Command::new("openssl")
            .args([
                "cms", "-verify", "-inform", "DER", "-in", "e.p7m", "-CAfile", "ca.pem",
            ])
            .current_dir(&dir)
            .output()
            .expect("openssl");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let content: serde_json::Value =
            serde_json::from_slice(&out.stdout).expect("evidence JSON");
        assert_eq!(content["evidence_id"], eid);
        let (_, json) = get_json(t.url(&format!("/api/v1/evidence/{eid}")), Some(token)).await;
        assert_eq!(json, content, "the JSON served is exactly the signed one");
        let leaf = okienko_trust::merkle::leaf_hash(&signed);
        let url = format!(
            "/log/v1/proof-by-hash?hash={}&tree_size={size}",
            crate::common::urlencode(&b64.encode(leaf))
        );
        let proof: serde_json::Value = reqwest::get(t.url(&url))
            .await
            .expect("proof")
            .json()
            .await
            .expect("json");
        let path: Vec<[u8; 32]> = proof["audit_path"]
            .as_array()
            .expect("path")
            .iter()
            .map(|h| {
                b64.decode(h.as_str().expect("s"))
                    .expect("b64")
                    .try_into()
                    .expect("32")
            })
            .collect();
        assert!(okienko_trust::merkle::verify_inclusion(
            e["log_index"].as_u64().expect("idx"),
            size,
            &leaf,
            &path,
            &root
        ));
        contents.push(content);
    }
    Some(contents)
}

#[tokio::test]
async fn office_to_citizen_is_deemed_delivered_on_day_14_exactly_once() {
    let t = TestServer::seeded().await;
    let anna = t.demo_token("anna.nowak@okienko.test").await;
    let jan = t.demo_token("jan.kowalski@okienko.test").await;
    let office_box = my_address(&t, &anna).await;
    let jan_box = my_address(&t, &jan).await;
    let (status, unread) = send(
        &t,
        &anna,
        &office_box,
        &[&jan_box],
        "Decyzja OR.6220.1.2026",
        &[("decyzja.txt", "Decyzja".as_bytes())],
        None,
    )
    .await;
    assert_eq!(status, 201, "{unread}");
    let (_, opened) = send(
        &t,
        &anna,
        &office_box,
        &[&jan_box],
        "Zawiadomienie",
        &[],
        None,
    )
    .await;
    let unread = unread["id"].as_str().expect("id").to_string();
    let opened = opened["id"].as_str().expect("id").to_string();
    // Jan opens the second one on day 3.
    t.clock.advance(time::Duration::days(3));
    let jan = t.demo_token("jan.kowalski@okienko.test").await;
    assert_eq!(
        get_json(t.url(&format!("/api/v1/messages/{opened}")), Some(&jan))
            .await
            .0,
        200
    );
    // His start page says what is new and when the unopened letter counts as delivered.
    let home = t
        .demo_web("jan.kowalski@okienko.test")
        .await
        .get(t.url("/"))
        .send()
        .await
        .expect("home")
        .text()
        .await
        .expect("text");
    assert!(
        home.contains("<strong>1 nieotwarta wiadomość</strong>")
            && home.contains(&format!("href=\"/mailboxes/{jan_box}\""))
            && home.contains("zostanie uznane za doręczone"),
        "{home}"
    );
    // Day 14 minus a minute: nothing is deemed yet.
    t.clock
        .advance(time::Duration::days(11) - time::Duration::minutes(2));
    assert_eq!(t.services.deemed_delivery_sweep().await.expect("sweep"), 0);
    // Day 14: the unread one is deemed delivered, once; the opened one never.
    t.clock.advance(time::Duration::minutes(3));
    assert_eq!(t.services.deemed_delivery_sweep().await.expect("sweep"), 1);
    assert_eq!(t.services.deemed_delivery_sweep().await.expect("sweep"), 0);
    let anna = t.demo_token("anna.nowak@okienko.test").await;
    assert_eq!(
        kinds(&t, &anna, &unread).await,
        vec![
            "submission-acceptance",
            "content-consignment",
            "deemed-delivery"
        ]
    );
    assert_eq!(
        kinds(&t, &anna, &opened).await,
        vec![
            "submission-acceptance",
            "content-consignment",
            "content-handover"
        ]
    );
    // Reading after deemed delivery issues no handover: receipt already happened.
    let jan = t.demo_token("jan.kowalski@okienko.test").await;
    assert_eq!(
        get_json(t.url(&format!("/api/v1/messages/{unread}")), Some(&jan))
            .await
            .0,
        200
    );
    assert_eq!(kinds(&t, &anna, &unread).await.len(), 3);
    // Jan was told of both messages by one email, without their content.
    t.run_jobs().await;
    let mails: Vec<String> = t
        .outbox()
        .into_iter()
        .filter(|m| m.contains("To: jan.kowalski@okienko.test"))
        .collect();
    // One email for both, unless the server's own job runner told him of the first before the
    // second arrived (then the second came in a later notice): never one per message beyond
    // that, and never their content.
    match mails.as_slice() {
        [one] => assert!(one.contains("czekają 2 nowe wiadomości"), "{one}"),
        [first, second] => assert!(
            [first, second]
                .iter()
                .all(|m| m.contains("czeka nowa wiadomość")),
            "{mails:?}"
        ),
        _ => panic!("{mails:?}"),
    }
    assert!(mails.iter().all(|m| !m.contains("Decyzja")), "{mails:?}");

    // The office's sent folder says how far each letter got, with each recipient.
    let maria = t.demo_token("maria.wisniewska@okienko.test").await;
    let maria_box = my_address(&t, &maria).await;
    let (_, both) = send(
        &t,
        &anna,
        &office_box,
        &[&jan_box, &maria_box],
        "Obwieszczenie",
        &[],
        None,
    )
    .await;
    let both = both["id"].as_str().expect("id").to_string();
    let jan = t.demo_token("jan.kowalski@okienko.test").await;
    get_json(t.url(&format!("/api/v1/messages/{both}")), Some(&jan)).await;
    let web = t.demo_web("anna.nowak@okienko.test").await;
    let html = web
        .get(t.url(&format!("/mailboxes/{office_box}?folder=sent")))
        .send()
        .await
        .expect("sent folder")
        .text()
        .await
        .expect("text");
    let row = |subject: &str| {
        html.split("<tr>")
            .find(|r| r.contains(subject))
            .unwrap_or_else(|| panic!("{subject}: {html}"))
            .to_string()
    };
    let decision = row("Decyzja OR.6220.1.2026");
    assert!(
        decision.contains("(Doręczenie domniemane)") && decision.contains(">Odebrana<"),
        "{decision}"
    );
    assert!(row("Zawiadomienie").contains("(Odczytana)"));
    let notice = row("Obwieszczenie");
    assert!(
        notice.contains(">Częściowo odebrana<")
            && notice.contains("Odebrało 1 z 2")
            && notice.contains("Maria Wiśniewska")
            && notice.contains("(jeszcze nieotwarta)"),
        "{notice}"
    );
}

#[tokio::test]
async fn bad_submissions_change_nothing_and_pages_chain() {
    let t = TestServer::seeded().await;
    let jan = t.demo_token("jan.kowalski@okienko.test").await;
    let anna = t.demo_token("anna.nowak@okienko.test").await;
    let jan_box = my_address(&t, &jan).await;
    let office_box = my_address(&t, &anna).await;
    let (status, v) = send(
        &t,
        &jan,
        &jan_box,
        &["AE:PL-00000-00000-AAAAA-00"],
        "x",
        &[],
        None,
    )
    .await;
    assert_eq!(status, 422);
    assert_eq!(v["errors"][0]["field"], "to");
    // A rejected submission gets its evidence, with the reason.
    let rejection = v["evidence_id"]
        .as_str()
        .expect("rejection evidence")
        .to_string();
    let (status, doc) = get_json(t.url(&format!("/api/v1/evidence/{rejection}")), Some(&jan)).await;
    assert_eq!(status, 200);
    assert_eq!(doc["type"], "submission-rejection");
    assert_eq!(doc["sender"].as_str(), Some(jan_box.as_str()));
    assert_eq!(doc["reasons"][0]["code"], "err-address-check");
    let maria = t.demo_token("maria.wisniewska@okienko.test").await;
    assert_eq!(
        get_json(
            t.url(&format!("/api/v1/evidence/{rejection}")),
            Some(&maria)
        )
        .await
        .0,
        404
    );
    let (status, v) = send(
        &t,
        &jan,
        &jan_box,
        &[&office_box],
        "x",
        &[("program.exe", b"MZ\x90\0")],
        None,
    )
    .await;
    assert_eq!(
        (status, v["errors"][0]["field"].as_str()),
        (422, Some("attachment"))
    );
    let (status, v) = send(&t, &jan, &office_box, &[&office_box], "x", &[], None).await;
    assert_eq!(
        (status, v["errors"][0]["field"].as_str()),
        (422, Some("from")),
        "not Jan's mailbox"
    );
    assert!(
        v["evidence_id"].is_null(),
        "no evidence for a mailbox that is not the sender's"
    );
    let (status, _) = send(&t, &jan, &jan_box, &[&office_box], "", &[], None).await;
    assert_eq!(status, 422);
    let r = reqwest::Client::new()
        .post(t.url("/api/v1/messages"))
        .bearer_auth(&jan)
        .body("not multipart")
        .send()
        .await
        .expect("post");
    assert_eq!(r.status(), 422);
    let (_, sent) = get_json(
        t.url(&format!("/api/v1/mailboxes/{jan_box}/messages?folder=sent")),
        Some(&jan),
    )
    .await;
    assert_eq!(
        sent["items"].as_array().map(Vec::len),
        Some(0),
        "nothing was sent"
    );

    for i in 0..5 {
        t.clock.advance(time::Duration::seconds(1));
        let (status, _) = send(
            &t,
            &jan,
            &jan_box,
            &[&office_box],
            &format!("Pismo {i}"),
            &[],
            None,
        )
        .await;
        assert_eq!(status, 201);
    }
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let url = match &cursor {
            Some(c) => format!("/api/v1/mailboxes/{office_box}/messages?limit=2&cursor={c}"),
            None => format!("/api/v1/mailboxes/{office_box}/messages?limit=2"),
        };
        let (status, page) = get_json(t.url(&url), Some(&anna)).await;
        assert_eq!(status, 200);
        for it in page["items"].as_array().expect("items") {
            seen.push(it["subject"].as_str().expect("subject").to_string());
        }
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(crate::common::urlencode(c)),
            None => break,
        }
    }
    assert_eq!(
        seen,
        vec!["Pismo 4", "Pismo 3", "Pismo 2", "Pismo 1", "Pismo 0"]
    );
    assert_eq!(
        get_json(
            t.url(&format!(
                "/api/v1/mailboxes/{office_box}/messages?folder=spam"
            )),
            Some(&anna)
        )
        .await
        .0,
        422
    );
    assert_eq!(
        get_json(
            t.url(&format!(
                "/api/v1/mailboxes/{office_box}/messages?cursor=zzz"
            )),
            Some(&anna)
        )
        .await
        .0,
        422
    );
}

async fn kinds(t: &TestServer, token: &str, id: &str) -> Vec<String> {
    let (_, v) = get_json(
        t.url(&format!("/api/v1/messages/{id}/evidence")),
        Some(token),
    )
    .await;
    v["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|e| e["type"].as_str().map(str::to_string))
        .collect()
}

#[tokio::test]
async fn replies_thread_archive_and_search() {
    let t = TestServer::seeded().await;
    let jan = t.demo_token("jan.kowalski@okienko.test").await;
    let anna = t.demo_token("anna.nowak@okienko.test").await;
    let maria = t.demo_token("maria.wisniewska@okienko.test").await;
    let jan_box = my_address(&t, &jan).await;
    let office_box = my_address(&t, &anna).await;
    let maria_box = my_address(&t, &maria).await;
    let (s, first) = send(
        &t,
        &jan,
        &jan_box,
        &[&office_box],
        "Wniosek o dowód osobisty",
        &[],
        None,
    )
    .await;
    assert_eq!(s, 201);
    let first = first["id"].as_str().expect("id").to_string();
    send(&t, &jan, &jan_box, &[&office_box], "Inna sprawa", &[], None).await;

    // A reply joins the thread; someone who is no party cannot answer it.
    let reply = |token: &str, from: &str, to: &str, reply_to: &str| {
        let msg = serde_json::json!({"from": from, "to": [to], "subject": "Re: Wniosek", "body": "Odpowiedź.", "reply_to": reply_to});
        let form = reqwest::multipart::Form::new()
            .part("message", reqwest::multipart::Part::text(msg.to_string()));
        reqwest::Client::new()
            .post(t.url("/api/v1/messages"))
            .bearer_auth(token.to_string())
            .multipart(form)
            .send()
    };
    t.clock.advance(time::Duration::minutes(5));
    let r = reply(&anna, &office_box, &jan_box, &first)
        .await
        .expect("reply");
    assert_eq!(r.status().as_u16(), 201);
    let answer: serde_json::Value = r.json().await.expect("json");
    let answer = answer["id"].as_str().expect("id").to_string();
    let r = reply(&maria, &maria_box, &jan_box, &first)
        .await
        .expect("reply");
    assert_eq!(r.status().as_u16(), 422);
    assert!(r.text().await.expect("text").contains("err-reply-to"));
    let (_, m) = get_json(t.url(&format!("/api/v1/messages/{answer}")), Some(&jan)).await;
    assert_eq!(m["reply_to"], first.as_str());
    let ids: Vec<&str> = m["thread"]
        .as_array()
        .expect("thread")
        .iter()
        .filter_map(|x| x["id"].as_str())
        .collect();
    assert_eq!(ids, vec![first.as_str(), answer.as_str()]);

    // Search narrows a folder by subject text and dates; a bad date is a clear error.
    let list = |q: &str| {
        get_json(
            t.url(&format!("/api/v1/mailboxes/{office_box}/messages?{q}")),
            Some(&anna),
        )
    };
    let (_, found) = list("q=dow%C3%B3d").await;
    let subjects: Vec<&str> = found["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|x| x["subject"].as_str())
        .collect();
    assert_eq!(subjects, vec!["Wniosek o dowód osobisty"]);
    let today = time::OffsetDateTime::now_utc().date();
    let (_, by_date) = list(&format!("since={today}&until={today}")).await;
    assert_eq!(by_date["items"].as_array().map(Vec::len), Some(2));
    let (_, none) = list("since=2001-01-01&until=2001-01-02").await;
    assert_eq!(none["items"].as_array().map(Vec::len), Some(0));
    let (s, bad) = list("since=22.11.2026").await;
    assert_eq!(s, 422);
    assert!(bad.to_string().contains("since"), "{bad}");

    // Archive: out of the inbox into the archive folder, and back.
    let archive = |method: reqwest::Method| {
        reqwest::Client::new()
            .request(
                method,
                t.url(&format!("/api/v1/mailboxes/{office_box}/archive/{first}")),
            )
            .bearer_auth(anna.clone())
            .send()
    };
    assert_eq!(
        archive(reqwest::Method::PUT)
            .await
            .expect("put")
            .status()
            .as_u16(),
        204
    );
    let (_, inbox) = list("folder=inbox").await;
    assert!(!inbox.to_string().contains(&first));
    let (_, archived) = list("folder=archive").await;
    assert_eq!(archived["items"][0]["id"], first.as_str());
    // The archive is the office's own: Jan's sent folder still shows it.
    let (_, jan_sent) = get_json(
        t.url(&format!("/api/v1/mailboxes/{jan_box}/messages?folder=sent")),
        Some(&jan),
    )
    .await;
    assert!(jan_sent.to_string().contains(&first));
    assert_eq!(
        archive(reqwest::Method::DELETE)
            .await
            .expect("delete")
            .status()
            .as_u16(),
        204
    );
    let (_, inbox) = list("folder=inbox").await;
    assert!(inbox.to_string().contains(&first));
    let (s, _) = list("folder=trash").await;
    assert_eq!(s, 422);
}

#[tokio::test]
async fn office_admin_and_company_owner_grant_mailbox_access() {
    let t = TestServer::seeded().await;
    let admin = t.demo_token("urzad.admin@okienko.test").await;
    let anna = t.demo_token("anna.nowak@okienko.test").await;
    let piotr = t.demo_token("piotr.zielinski@okienko.test").await;
    let firma = t.demo_token("firma@okienko.test").await;
    let maria = t.demo_token("maria.wisniewska@okienko.test").await;
    let office_box = my_address(&t, &anna).await;
    let firma_box = my_address(&t, &firma).await;
    let jan_box = {
        let jan = t.demo_token("jan.kowalski@okienko.test").await;
        my_address(&t, &jan).await
    };
    let grant = |token: &str, address: &str, email: &str, role: &str| {
        reqwest::Client::new()
            .post(t.url(&format!("/api/v1/mailboxes/{address}/members")))
            .bearer_auth(token.to_string())
            .json(&serde_json::json!({"email": email, "role": role}))
            .send()
    };
    // The office admin lists and grants; only the office's own staff can be granted.
    let (s, list) = get_json(
        t.url(&format!("/api/v1/mailboxes/{office_box}/members")),
        Some(&admin),
    )
    .await;
    assert_eq!(s, 200);
    assert!(list.to_string().contains("anna.nowak@okienko.test"));
    assert_eq!(
        get_json(
            t.url(&format!("/api/v1/mailboxes/{office_box}/members")),
            Some(&anna)
        )
        .await
        .0,
        404
    );
    let r = grant(&admin, &office_box, "jan.kowalski@okienko.test", "official")
        .await
        .expect("grant");
    assert_eq!(r.status().as_u16(), 422);
    assert!(r.text().await.expect("t").contains("err-not-office-staff"));
    let r = grant(
        &admin,
        &office_box,
        "piotr.zielinski@okienko.test",
        "reader",
    )
    .await
    .expect("grant");
    assert_eq!(r.status().as_u16(), 204);
    // A reader sees the mailbox but cannot send from it.
    assert_eq!(
        get_json(
            t.url(&format!("/api/v1/mailboxes/{office_box}/messages")),
            Some(&piotr)
        )
        .await
        .0,
        200
    );
    let (s, r) = send(&t, &piotr, &office_box, &[&jan_box], "Pismo", &[], None).await;
    assert_eq!(s, 422);
    assert!(r.to_string().contains("err-from-read-only"), "{r}");

    // A company's owner makes a representative its administrator, who then sends for it.
    let r = grant(
        &firma,
        &firma_box,
        "maria.wisniewska@okienko.test",
        "administrator",
    )
    .await
    .expect("grant");
    assert_eq!(r.status().as_u16(), 204);
    let (s, _) = send(
        &t,
        &maria,
        &firma_box,
        &[&office_box],
        "Wniosek firmy",
        &[],
        None,
    )
    .await;
    assert_eq!(s, 201);
    let (_, list) = get_json(
        t.url(&format!("/api/v1/mailboxes/{firma_box}/members")),
        Some(&maria),
    )
    .await;
    let maria_id = list["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|m| m["email"] == "maria.wisniewska@okienko.test")
        .and_then(|m| m["user_id"].as_str())
        .expect("maria")
        .to_string();
    let r = reqwest::Client::new()
        .delete(t.url(&format!("/api/v1/mailboxes/{firma_box}/members/{maria_id}")))
        .bearer_auth(&firma)
        .send()
        .await
        .expect("delete");
    assert_eq!(r.status().as_u16(), 204);
    assert_eq!(
        get_json(
            t.url(&format!("/api/v1/mailboxes/{firma_box}/messages")),
            Some(&maria)
        )
        .await
        .0,
        404
    );
    // Every grant and removal is in the audit trail, in the grantee's Data Tracker.
    let (_, tracker) = get_json(t.url("/api/v1/me/data-tracker"), Some(&maria)).await;
    let text = tracker.to_string();
    assert!(
        text.contains("mailbox.member") && text.contains("mailbox.member.remove"),
        "{text}"
    );
}

#[tokio::test]
async fn an_office_writes_to_a_thousand_recipients_in_bulk_mode() {
    let t = TestServer::seeded().await;
    let anna = t.demo_token("anna.nowak@okienko.test").await;
    let jan = t.demo_token("jan.kowalski@okienko.test").await;
    let office_box = my_address(&t, &anna).await;
    let jan_box = my_address(&t, &jan).await;
    let mut to = Vec::new();
    for i in 0..1000 {
        let m = okienko_store::Mailbox {
            address: String::new(),
            kind: "company".into(),
            name: format!("Firma {i}"),
            owner_user_id: None,
            office_id: None,
            pesel: None,
            nip: None,
            city: "Przykładowo".into(),
            created_at: 0,
        };
        to.push(
            t.services
                .create_mailbox(m, &[], None)
                .await
                .expect("mailbox")
                .address,
        );
    }
    let post = |token: &str, from: &str, to: &[String], bulk: bool| {
        let msg = serde_json::json!({"from": from, "to": to, "subject": "Obwieszczenie", "body": "Treść.", "bulk": bulk});
        let form = reqwest::multipart::Form::new()
            .part("message", reqwest::multipart::Part::text(msg.to_string()));
        reqwest::Client::new()
            .post(t.url("/api/v1/messages"))
            .bearer_auth(token.to_string())
            .multipart(form)
            .send()
    };
    // Without bulk mode the usual limit holds; a person has no bulk mode.
    let r = post(&anna, &office_box, &to, false).await.expect("post");
    assert_eq!(r.status().as_u16(), 422);
    assert!(r.text().await.expect("t").contains("err-to-too-many"));
    let r = post(&jan, &jan_box, &to[..20], true).await.expect("post");
    assert_eq!(r.status().as_u16(), 422);
    assert!(r.text().await.expect("t").contains("err-bulk-public-only"));
    let mut over = to.clone();
    over.push(jan_box.clone());
    let r = post(&anna, &office_box, &over, true).await.expect("post");
    assert_eq!(r.status().as_u16(), 422);

    let r = post(&anna, &office_box, &to, true).await.expect("post");
    assert_eq!(r.status().as_u16(), 201);
    let sent: serde_json::Value = r.json().await.expect("json");
    let kinds = sent["evidence"].as_array().expect("evidence");
    assert_eq!(kinds.len(), 1001);
    assert_eq!(
        kinds
            .iter()
            .filter(|e| e["type"] == "content-consignment")
            .count(),
        1000
    );
    let id = sent["id"].as_str().expect("id");
    assert_eq!(
        t.services.store.deliveries(id).await.expect("d").len(),
        1000
    );
}

/// A form that can still be corrected is not a submission: the compose page answers a
/// mistake with the field to correct, and no rejection evidence is issued or logged.
#[tokio::test]
async fn a_form_with_mistakes_issues_no_evidence() {
    let t = TestServer::seeded().await;
    let jan = t.demo_token("jan.kowalski@okienko.test").await;
    let anna = t.demo_token("anna.nowak@okienko.test").await;
    let jan_box = my_address(&t, &jan).await;
    let office_box = my_address(&t, &anna).await;
    let web = t.demo_web("jan.kowalski@okienko.test").await;
    let path = format!("/mailboxes/{jan_box}/compose");
    let csrf = t.csrf(&web, &path).await;
    let logged = t.services.log.size().await;
    let form = reqwest::multipart::Form::new()
        .text("csrf", csrf.clone())
        .text("to", office_box.clone())
        .text("subject", "")
        .text("body", "Proszę o wydanie zaświadczenia.")
        .part(
            "attachment",
            reqwest::multipart::Part::bytes(b"%PDF-1.4 wniosek".to_vec())
                .file_name("wniosek.pdf")
                .mime_str("application/pdf")
                .expect("mime"),
        );
    let r = web
        .post(t.url(&path))
        .multipart(form)
        .send()
        .await
        .expect("post");
    assert_eq!(r.status(), 422);
    let page = r.text().await.expect("page");
    assert!(page.contains("href=\"#f-subject\""), "{page}");
    assert!(!page.contains("EV-"), "no rejection evidence: {page}");
    assert_eq!(t.services.log.size().await, logged, "nothing was logged");
    // The chosen file is kept for the next try: the person does not choose it again.
    assert!(page.contains("wniosek.pdf"), "{page}");
    let token = page
        .split("name=\"kept\" value=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .expect("kept file")
        .to_string();
    let send = |kept: String, action: &'static str| {
        let form = reqwest::multipart::Form::new()
            .text("csrf", csrf.clone())
            .text("to", office_box.clone())
            .text("subject", "Wniosek")
            .text("body", "Proszę o wydanie zaświadczenia.")
            .text("kept", kept)
            .text("action", action);
        web.post(t.url(&format!("{path}?lang=en")))
            .multipart(form)
            .send()
    };
    // A token not made for this session brings nothing.
    let mut forged = token.clone();
    forged.pop();
    forged.push(if token.ends_with('0') { '1' } else { '0' });
    assert_eq!(send(forged, "send").await.expect("post").status(), 422);
    // "Continue" shows the message as it will go, names and all, and sends nothing yet.
    let r = send(token.clone(), "check").await.expect("post");
    assert_eq!(r.status(), 200);
    let page = r.text().await.expect("page");
    assert!(
        page.contains("Check your message before sending it")
            && page.contains(okienko_services::demo::OFFICE_NAME)
            && page.contains("wniosek.pdf")
            && page.contains("value=\"send\""),
        "{page}"
    );
    assert_eq!(t.services.log.size().await, logged, "nothing was logged");
    // "Change" goes back to the form as typed, the file still chosen.
    let r = send(token.clone(), "change").await.expect("post");
    assert_eq!(r.status(), 200);
    let page = r.text().await.expect("page");
    assert!(
        page.contains("value=\"Wniosek\"") && page.contains("name=\"kept\""),
        "{page}"
    );
    let r = send(token, "send").await.expect("post");
    assert_eq!(r.status(), 303);
    let (_, inbox) = get_json(
        t.url(&format!("/api/v1/mailboxes/{office_box}/messages")),
        Some(&anna),
    )
    .await;
    let id = inbox["items"][0]["id"].as_str().expect("id").to_string();
    let (_, m) = get_json(t.url(&format!("/api/v1/messages/{id}")), Some(&anna)).await;
    assert_eq!(m["attachments"][0]["name"], "wniosek.pdf", "{m}");
}

/// A person writes to an office found in the public register: "Write" leads to their own
/// compose form with the address filled in, and the office's name as the register shows it
/// is a recipient too. A name that fits no office is one clear error, not one per word.
#[tokio::test]
async fn a_citizen_writes_to_an_office_by_its_name() {
    let t = TestServer::seeded().await;
    let jan = t.demo_token("jan.kowalski@okienko.test").await;
    let anna = t.demo_token("anna.nowak@okienko.test").await;
    let jan_box = my_address(&t, &jan).await;
    let office_box = my_address(&t, &anna).await;
    let web = t.demo_web("jan.kowalski@okienko.test").await;
    let register = web
        .get(t.url("/addresses?q=Przyk%C5%82adowo&lang=en"))
        .send()
        .await
        .expect("register")
        .text()
        .await
        .expect("t");
    let link = format!("/write?to={office_box}");
    assert!(register.contains(&link), "{register}");
    let r = web.get(t.url(&link)).send().await.expect("write");
    assert_eq!(r.status(), 303);
    let compose = r
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .expect("location")
        .to_string();
    assert!(
        compose.starts_with(&format!("/mailboxes/{jan_box}/compose?to=")),
        "{compose}"
    );
    let path = format!("/mailboxes/{jan_box}/compose");
    let csrf = t.csrf(&web, &path).await;
    let send = |to: &'static str| {
        let form = reqwest::multipart::Form::new()
            .text("csrf", csrf.clone())
            .text("to", to)
            .text("subject", "Wniosek o zaświadczenie")
            .text("body", "Proszę o wydanie zaświadczenia.")
            .text("action", "send");
        web.post(t.url(&format!("{path}?lang=en")))
            .multipart(form)
            .send()
    };
    let r = send("Urząd Nieistniejący Zupełnie").await.expect("post");
    assert_eq!(r.status(), 422);
    let page = r.text().await.expect("page");
    assert_eq!(
        page.matches("We could not find that recipient").count(),
        2,
        "once in the summary, once at the field: {page}"
    );
    let r = send(okienko_services::demo::OFFICE_NAME)
        .await
        .expect("post");
    assert_eq!(r.status(), 303);
    // The confirmation gives a short reference to read out; the office finds the message by it.
    let sent = r
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .expect("location")
        .to_string();
    let page = web
        .get(t.url(&format!("{sent}&lang=en")))
        .send()
        .await
        .expect("sent page")
        .text()
        .await
        .expect("t");
    let reference = page
        .split("Its reference is ")
        .nth(1)
        .map(|s| s[..9].to_string())
        .expect("a reference");
    assert!(
        page.contains(&format!("id=\"message-reference\">{reference}<")),
        "{page}"
    );
    let (_, found) = get_json(
        t.url(&format!(
            "/api/v1/mailboxes/{office_box}/messages?q={}",
            reference.to_lowercase()
        )),
        Some(&anna),
    )
    .await;
    assert_eq!(found["items"].as_array().map(Vec::len), Some(1), "{found}");
    let (_, inbox) = get_json(
        t.url(&format!("/api/v1/mailboxes/{office_box}/messages")),
        Some(&anna),
    )
    .await;
    assert_eq!(inbox["items"][0]["subject"], "Wniosek o zaświadczenie");
}

/// Opening a public body's letter is receiving it: the page says so, and when the letter
/// would be deemed delivered anyway, before anything is recorded; the letter opens (and the
/// evidence of receipt is issued) only when the person chooses to open it.
#[tokio::test]
async fn a_person_is_told_before_opening_an_official_letter_counts_as_receipt() {
    let t = TestServer::seeded().await;
    let jan = t.demo_token("jan.kowalski@okienko.test").await;
    let anna = t.demo_token("anna.nowak@okienko.test").await;
    let jan_box = my_address(&t, &jan).await;
    let office_box = my_address(&t, &anna).await;
    let msg = serde_json::json!({"from": office_box, "to": [jan_box], "subject": "Decyzja", "body": "Treść decyzji."});
    let r = reqwest::Client::new()
        .post(t.url("/api/v1/messages"))
        .bearer_auth(&anna)
        .multipart(
            reqwest::multipart::Form::new()
                .part("message", reqwest::multipart::Part::text(msg.to_string())),
        )
        .send()
        .await
        .expect("send");
    assert_eq!(r.status().as_u16(), 201);
    let id = r.json::<serde_json::Value>().await.expect("json")["id"]
        .as_str()
        .expect("id")
        .to_string();
    let handovers = || async {
        let (_, ev) = get_json(
            t.url(&format!("/api/v1/messages/{id}/evidence")),
            Some(&anna),
        )
        .await;
        ev["items"].as_array().map_or(0, |a| {
            a.iter().filter(|e| e["type"] == "content-handover").count()
        })
    };
    let web = t.demo_web("jan.kowalski@okienko.test").await;
    let page = web
        .get(t.url(&format!("/messages/{id}?lang=en")))
        .send()
        .await
        .expect("page")
        .text()
        .await
        .expect("t");
    assert!(
        page.contains("Open the letter from Urząd Gminy Przykładowo?")
            && page.contains("Opening the letter is receiving it.")
            && !page.contains("Treść decyzji"),
        "{page}"
    );
    assert_eq!(handovers().await, 0, "asking records nothing");
    let page = web
        .get(t.url(&format!("/messages/{id}?open=1&lang=en")))
        .send()
        .await
        .expect("page")
        .text()
        .await
        .expect("t");
    assert!(page.contains("Treść decyzji"), "{page}");
    assert_eq!(handovers().await, 1);
    // Opened: no more asking.
    let page = web
        .get(t.url(&format!("/messages/{id}?lang=en")))
        .send()
        .await
        .expect("page")
        .text()
        .await
        .expect("t");
    assert!(page.contains("Treść decyzji"), "{page}");
}

/// Every official of an office uses its mailbox by their role (the office admin reads it);
/// an installation that turns this off leaves it to the members the office admin adds.
#[tokio::test]
async fn officials_use_their_office_mailbox_by_role_unless_configured_otherwise() {
    for (share, expected) in [(true, true), (false, false)] {
        let t = TestServer::start_with(|s| s.officials_share_office_mailbox = share).await;
        okienko_services::demo::seed(&t.services)
            .await
            .expect("seed");
        let anna = t.demo_token("anna.nowak@okienko.test").await;
        let office_box = my_address(&t, &anna).await;
        for login in ["piotr.zielinski@okienko.test", "urzad.admin@okienko.test"] {
            let token = t.demo_token(login).await;
            let (_, me) = get_json(t.url("/api/v1/me"), Some(&token)).await;
            let has = me["mailboxes"]
                .as_array()
                .is_some_and(|m| m.iter().any(|b| b["address"] == office_box.as_str()));
            assert_eq!(has, expected, "{login} with sharing {share}: {me}");
            let (status, _) = get_json(
                t.url(&format!("/api/v1/mailboxes/{office_box}/messages")),
                Some(&token),
            )
            .await;
            assert_eq!(status == 200, expected, "{login} with sharing {share}");
        }
        // The office admin reads; only officials send.
        if share {
            let admin = t.demo_token("urzad.admin@okienko.test").await;
            let msg = serde_json::json!({"from": office_box, "to": [office_box], "subject": "Test", "body": "Test"});
            let r = reqwest::Client::new()
                .post(t.url("/api/v1/messages"))
                .bearer_auth(&admin)
                .multipart(
                    reqwest::multipart::Form::new()
                        .part("message", reqwest::multipart::Part::text(msg.to_string())),
                )
                .send()
                .await
                .expect("send");
            assert!(
                r.status().is_client_error(),
                "a reader does not send: {}",
                r.status()
            );
        }
    }
}
