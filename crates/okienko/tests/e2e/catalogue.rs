//! The catalogue of public services: the national search (without diacritics, in either
//! Serbian script, paged), an office admin's import and export (all or nothing, errors that
//! name the line and column), and applying online from a service's page.

use crate::common::TestServer;

async fn get_json(url: String, lang: &str) -> (u16, serde_json::Value) {
    let r = reqwest::Client::new()
        .get(url)
        .header("accept-language", lang)
        .send()
        .await
        .expect("get");
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or_default())
}

#[tokio::test]
async fn services_are_found_without_diacritics_in_either_script_and_paged() {
    let t = TestServer::seeded().await;
    let (status, v) = get_json(
        t.url("/api/v1/services?q=zaswiadczenie%20zameldowaniu"),
        "pl",
    )
    .await;
    assert_eq!(status, 200);
    let items = v["items"].as_array().expect("items");
    assert_eq!(items.len(), 1, "{v}");
    assert_eq!(items[0]["name"], "Zaświadczenie o zameldowaniu");
    assert_eq!(items[0]["office"]["name"], "Urząd Gminy Przykładowo");
    assert_eq!(items[0]["fee"]["kind"], "fixed");
    assert_eq!(items[0]["fee"]["amount_minor"], 1700);
    assert_eq!(items[0]["fee"]["currency"], "PLN");
    // Serbian, in Cyrillic: finds the Latin text, and names it in Cyrillic.
    let (_, v) = get_json(
        t.url("/api/v1/services?q=%D1%83%D0%B2%D0%B5%D1%80%D0%B5%D1%9A%D0%B5%20%D0%BF%D1%80%D0%B5%D0%B1%D0%B8%D0%B2%D0%B0%D0%BB%D0%B8%D1%88%D1%82%D1%83"),
        "sr-Cyrl",
    )
    .await;
    assert_eq!(v["items"][0]["name"], "Уверење о пребивалишту", "{v}");

    // Every service of both offices, five at a time, each once.
    let mut seen = std::collections::HashSet::new();
    let mut offices = std::collections::HashSet::new();
    let mut url = t.url("/api/v1/services?limit=5");
    loop {
        let (status, v) = get_json(url.clone(), "en").await;
        assert_eq!(status, 200);
        for i in v["items"].as_array().expect("items") {
            assert!(seen.insert(i["id"].as_str().expect("id").to_string()));
            offices.insert(i["office"]["id"].as_str().expect("office").to_string());
        }
        match v["next_cursor"].as_str() {
            Some(c) => url = t.url(&format!("/api/v1/services?limit=5&cursor={c}")),
            None => break,
        }
    }
    assert!(seen.len() >= 20, "{} services", seen.len());
    assert_eq!(offices.len(), 2);
    // Filters: a category, a town.
    let (_, v) = get_json(t.url("/api/v1/services?category=animals"), "en").await;
    assert_eq!(v["items"][0]["name"], "Dog registration");
    let (_, v) = get_json(t.url("/api/v1/services?city=Dobrzyca&q=prawo"), "pl").await;
    assert_eq!(v["items"][0]["name"], "Wydanie prawa jazdy", "{v}");
    let (_, v) = get_json(t.url("/api/v1/services?event=getting-a-pet"), "en").await;
    assert_eq!(v["items"][0]["name"], "Dog registration", "{v}");
    // Bad input: a translated problem, never a 500.
    for bad in [
        "cursor=%%%",
        "category=dragons",
        "cursor=bm9wZQ",
        "event=dragons",
    ] {
        let (status, v) = get_json(t.url(&format!("/api/v1/services?{bad}")), "en").await;
        assert_eq!(status, 422, "{bad}: {v}");
    }
    // One service, in English; the page in Polish.
    let id = items[0]["id"].as_str().expect("id");
    let (status, v) = get_json(t.url(&format!("/api/v1/services/{id}")), "en").await;
    assert_eq!(status, 200);
    assert_eq!(v["name"], "Certificate of registered residence");
    assert_eq!(v["handling_days"], 7);
    let (status, _) = get_json(t.url("/api/v1/services/nope"), "en").await;
    assert_eq!(status, 404);
    let html = t
        .browser()
        .get(t.url("/services?q=rejestracja+psa"))
        .send()
        .await
        .expect("page")
        .text()
        .await
        .expect("html");
    assert!(html.contains("Rejestracja psa") && html.contains("Znaleziono 1 usługę"));
}

#[tokio::test]
async fn an_office_admin_imports_and_exports_the_catalogue_all_or_nothing() {
    let t = TestServer::seeded().await;
    let admin = t.demo_token("urzad.admin@okienko.test").await;
    let office = t
        .services
        .store
        .offices()
        .await
        .expect("offices")
        .remove(0)
        .id;
    let c = reqwest::Client::new();
    let export = || async {
        c.get(t.url(&format!("/api/v1/offices/{office}/catalogue?format=csv")))
            .bearer_auth(&admin)
            .send()
            .await
            .expect("export")
            .text()
            .await
            .expect("csv")
    };
    let put = |body: String, kind: &'static str, token: String| {
        let c = c.clone();
        let url = t.url(&format!("/api/v1/offices/{office}/catalogue"));
        async move {
            let r = c
                .put(url)
                .bearer_auth(token)
                .header("content-type", kind)
                .header("accept-language", "en")
                .body(body)
                .send()
                .await
                .expect("import");
            let status = r.status().as_u16();
            (
                status,
                r.json::<serde_json::Value>().await.unwrap_or_default(),
            )
        }
    };
    let before = export().await;
    assert!(before.starts_with("code,name_pl,"));
    assert_eq!(before.lines().count(), 14, "a header and 13 services");
    // The same file back: the same 13 services, replaced in place.
    let (status, v) = put(before.clone(), "text/csv", admin.clone()).await;
    assert_eq!((status, v["saved"].as_i64()), (200, Some(13)), "{v}");
    assert_eq!(export().await, before);

    // A mistake in one line: nothing changes, and the answer says where (in the admin's
    // language, Polish).
    let mut lines: Vec<String> = before.lines().map(str::to_string).collect();
    let at = lines
        .iter()
        .position(|l| l.starts_with("ZAM-2,"))
        .expect("ZAM-2");
    let line = at + 1;
    lines[at] = lines[at].replacen(",0,1,OR,", ",zero,1,OR,", 1);
    lines.push("NEW-1,Nowa usługa,,,,,,,,0,5,OR,,,online".into());
    let (status, v) = put(lines.join("\n"), "text/csv", admin.clone()).await;
    assert_eq!(status, 422);
    assert_eq!(v["errors"][0]["field"], format!("line {line}: fee"), "{v}");
    assert!(
        v["detail"]
            .as_str()
            .expect("detail")
            .starts_with(&format!("Wiersz {line}, kolumna fee:")),
        "{v}"
    );
    assert_eq!(export().await, before, "a refused file changes nothing");

    // JSON, with a department the office does not have.
    let json = serde_json::json!([{
        "code": "X-1", "texts": {"pl": {"name": "Usługa"}}, "fee": {"kind": "none"},
        "handling_days": 3, "department": "NOPE", "channels": ["online"]
    }]);
    let (status, v) = put(json.to_string(), "application/json", admin.clone()).await;
    assert_eq!(status, 422);
    assert_eq!(v["errors"][0]["field"], "[0].department", "{v}");
    let (status, v) = put(
        "{\"not\": \"a list\"".into(),
        "application/json",
        admin.clone(),
    )
    .await;
    assert_eq!(
        (status, v["errors"][0]["code"].as_str()),
        (422, Some("err-import-json"))
    );

    // A new service is added and found at once; nobody else may import.
    let (status, _) = put(
        format!("{before}NEW-1,Nowa usługa testowa,,,,,,,,12.50,5,OR,animals,,online\r\n"),
        "text/csv",
        admin.clone(),
    )
    .await;
    assert_eq!(status, 200);
    let (_, v) = get_json(t.url("/api/v1/services?q=nowa%20usluga%20testowa"), "pl").await;
    assert_eq!(v["items"][0]["fee"]["amount_minor"], 1250, "{v}");
    let jan = t.demo_token("jan.kowalski@okienko.test").await;
    let (status, _) = put(before.clone(), "text/csv", jan).await;
    assert_eq!(status, 404);
    let (trail, _) = t.services.store.audit_chain().await.expect("audit");
    assert!(trail.iter().any(|(e, _)| e.action == "catalogue.import"));

    // The same through the page: the file chosen in the form.
    let web = t.demo_web("urzad.admin@okienko.test").await;
    let csrf = t.csrf(&web, &format!("/offices/{office}/catalogue")).await;
    let upload = |data: String| {
        reqwest::multipart::Form::new()
            .text("csrf", csrf.clone())
            .part(
                "file",
                reqwest::multipart::Part::text(data).file_name("katalog.csv"),
            )
    };
    let r = web
        .post(t.url(&format!("/offices/{office}/catalogue")))
        .multipart(upload(lines.join("\n")))
        .send()
        .await
        .expect("upload");
    assert_eq!(r.status(), 422);
    let html = r.text().await.expect("html");
    assert!(
        html.contains(&format!("Wiersz {line}, kolumna fee:")),
        "{html}"
    );
    let r = web
        .post(t.url(&format!("/offices/{office}/catalogue")))
        .multipart(upload(before.clone()))
        .send()
        .await
        .expect("upload");
    assert_eq!(r.status(), 303);
}

#[tokio::test]
async fn applying_online_writes_to_the_office_from_ones_own_mailbox() {
    let t = TestServer::seeded().await;
    let (_, v) = get_json(t.url("/api/v1/services?q=rejestracja%20psa"), "pl").await;
    let id = v["items"][0]["id"].as_str().expect("id").to_string();
    // Not signed in: to the sign-in page first.
    let r = t
        .browser()
        .get(t.url(&format!("/services/{id}/apply")))
        .send()
        .await
        .expect("apply");
    assert_eq!(r.status(), 303);
    assert!(r.headers()["location"]
        .to_str()
        .expect("location")
        .starts_with("/login?next="));
    let jan = t.demo_web("jan.kowalski@okienko.test").await;
    let r = jan
        .get(t.url(&format!("/services/{id}/apply")))
        .send()
        .await
        .expect("apply");
    assert_eq!(r.status(), 303);
    let to = r.headers()["location"]
        .to_str()
        .expect("location")
        .to_string();
    assert!(
        to.contains("/compose?to=") && to.contains("subject=Rejestracja%20psa"),
        "{to}"
    );
    let html = jan
        .get(t.url(&to))
        .send()
        .await
        .expect("compose")
        .text()
        .await
        .expect("html");
    assert!(
        html.contains("value=\"Rejestracja psa\""),
        "the subject is filled in"
    );
    // Milan has no delivery mailbox: the service's page says what to do.
    let milan = t.demo_web("milan.petrovic@okienko.test").await;
    let r = milan
        .get(t.url(&format!("/services/{id}/apply")))
        .send()
        .await
        .expect("apply");
    let back = r.headers()["location"]
        .to_str()
        .expect("location")
        .to_string();
    assert_eq!(back, format!("/services/{id}?mailbox=none"));
    let html = milan
        .get(t.url(&format!("{back}&lang=en")))
        .send()
        .await
        .expect("page")
        .text()
        .await
        .expect("html");
    assert!(html.contains("A delivery mailbox is needed"), "{html}");
}
