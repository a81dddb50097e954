//! Electronic delivery addresses: the demo mailboxes, the public register and the lookup of a
//! person's address by a public-body sender.

use crate::common::TestServer;
use okienko_domain::address::Address;

async fn get_json(url: String, token: Option<&str>) -> (u16, serde_json::Value) {
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
        ("piotr.zielinski@okienko.test", None),
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
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["name"], "Urząd Gminy Przykładowo");
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
