//! Case places end to end: an official gives a case its address and coordinates (over the
//! API and in the browser), the department's map lists it without JavaScript and draws it
//! with Leaflet when a tile server is named, the GeoJSON export holds it as RFC 7946 says
//! (longitude first), and someone of another department sees none of it.

use crate::browser::{click, fill, sign_in, start_browser, start_browser_with, wait_text};
use crate::common::TestServer;
use fantoccini::Locator;
use serde_json::{json, Value};

#[tokio::test]
async fn a_case_is_placed_listed_exported_and_drawn_on_the_map() {
    // Tiles from a port where nothing listens: the map still draws its markers (and the
    // list stays the page), as when a tile server is down.
    let t = TestServer::start_with(|s| {
        s.map = okienko_web::ui::places::MapConfig::new(
            Some("http://127.0.0.1:9/tiles/{z}/{x}/{y}.png"),
            Some("© test tiles"),
        )
        .expect("tiles");
    })
    .await;
    okienko_services::demo::seed(&t.services)
        .await
        .expect("seed");
    let http = reqwest::Client::new();
    let anna = t.demo_token("anna.nowak@okienko.test").await;
    let piotr = t.demo_token("piotr.zielinski@okienko.test").await;
    let call = |token: &String, method: reqwest::Method, path: &str, body: Option<Value>| {
        let mut r = http.request(method, t.url(path)).bearer_auth(token);
        if let Some(b) = body {
            r = r.json(&b);
        }
        async move {
            let r = r.send().await.expect("request");
            let status = r.status().as_u16();
            let ct = r
                .headers()
                .get("content-type")
                .and_then(|v| v.to_str().ok())
                .unwrap_or("")
                .to_string();
            (status, ct, r.json::<Value>().await.unwrap_or(Value::Null))
        }
    };
    let open = |title: &str| {
        call(
            &anna,
            reqwest::Method::POST,
            "/api/v1/cases",
            Some(
                json!({"department": "OR", "jrwa": "015", "title": title, "party": "Zofia Wąsik"}),
            ),
        )
    };
    let (st, _, tree) = open("Wycinka topoli przy ulicy Źródlanej").await;
    assert_eq!(st, 201, "{tree}");
    let tree_id = tree["id"].as_str().expect("id").to_string();
    let (_, _, road) = open("Naprawa drogi gminnej").await;
    let road_id = road["id"].as_str().expect("id").to_string();

    // Bad input: a clear answer per field, nothing stored.
    let place = format!("/api/v1/cases/{tree_id}/place");
    let (st, _, p) = call(
        &anna,
        reqwest::Method::PUT,
        &place,
        Some(json!({"lat": 91.0, "lon": 21.0})),
    )
    .await;
    assert_eq!(st, 422, "{p}");
    assert!(p.to_string().contains("lat"), "{p}");
    let (st, _, p) = call(&anna, reqwest::Method::PUT, &place, Some(json!({}))).await;
    assert_eq!(st, 422, "{p}");
    let (st, _, _) = call(&anna, reqwest::Method::GET, &place, None).await;
    assert_eq!(st, 404, "no place yet");

    // Set over the API; read back exactly.
    let (st, _, p) = call(
        &anna,
        reqwest::Method::PUT,
        &place,
        Some(json!({"address": "ul. Źródlana 7, Wąchock", "lat": 51.0731, "lon": 21.0129})),
    )
    .await;
    assert_eq!(st, 200, "{p}");
    assert_eq!(p["lat"], json!(51.0731));
    assert_eq!(p["lon"], json!(21.0129));
    let (st, _, p) = call(&anna, reqwest::Method::GET, &place, None).await;
    assert_eq!(
        (st, p["address"].as_str()),
        (200, Some("ul. Źródlana 7, Wąchock"))
    );
    // Another department's official: not theirs to see or change.
    let (st, _, _) = call(&piotr, reqwest::Method::GET, &place, None).await;
    assert_eq!(st, 404);
    let (st, _, _) = call(
        &piotr,
        reqwest::Method::PUT,
        &place,
        Some(json!({"address": "Gdzie indziej"})),
    )
    .await;
    assert_eq!(st, 404);

    // The second case by its address only (a feature without geometry).
    let (st, _, _) = call(
        &anna,
        reqwest::Method::PUT,
        &format!("/api/v1/cases/{road_id}/place"),
        Some(json!({"address": "Droga gminna nr 350012T"})),
    )
    .await;
    assert_eq!(st, 200);

    // GeoJSON: both cases, newest first, the point longitude first.
    let (st, ct, g) = call(&anna, reqwest::Method::GET, "/api/v1/cases/places", None).await;
    assert_eq!(st, 200, "{g}");
    assert_eq!(ct, "application/geo+json");
    assert_eq!(g["type"], "FeatureCollection");
    let features = g["features"].as_array().expect("features");
    assert_eq!(features.len(), 2, "{g}");
    assert_eq!(features[0]["id"], json!(road_id));
    assert_eq!(features[0]["geometry"], Value::Null);
    assert_eq!(features[1]["type"], "Feature");
    assert_eq!(
        features[1]["geometry"],
        json!({"type": "Point", "coordinates": [21.0129, 51.0731]})
    );
    assert_eq!(features[1]["properties"]["signature"], tree["signature"]);
    assert!(features[1]["properties"]["url"]
        .as_str()
        .expect("url")
        .ends_with(&format!("/cases/{tree_id}")));
    // Paged by a cursor.
    let (_, _, one) = call(
        &anna,
        reqwest::Method::GET,
        "/api/v1/cases/places?limit=1",
        None,
    )
    .await;
    let next = one["next_cursor"].as_str().expect("cursor").to_string();
    let (_, _, rest) = call(
        &anna,
        reqwest::Method::GET,
        &format!("/api/v1/cases/places?limit=1&cursor={next}"),
        None,
    )
    .await;
    assert_eq!(rest["features"][0]["id"], json!(tree_id));
    assert!(rest.get("next_cursor").is_none());
    // Piotr's department has no places.
    let (st, _, g) = call(&piotr, reqwest::Method::GET, "/api/v1/cases/places", None).await;
    assert_eq!(st, 200);
    assert_eq!(g["features"], json!([]));
    let (st, _, _) = call(
        &anna,
        reqwest::Method::GET,
        "/api/v1/cases/places?status=nonsense",
        None,
    )
    .await;
    assert_eq!(st, 422);

    // In the browser: the case page sets a place (a comma as the decimal mark), the map draws
    // the markers of the places with coordinates.
    let Some((b, _driver, profile)) = start_browser().await else {
        return;
    };
    sign_in(&b, &t, "anna.nowak@okienko.test", Some(t.totp())).await;
    wait_text(&b, "main", "").await;
    b.goto(&t.url(&format!("/cases/{road_id}")))
        .await
        .expect("case");
    wait_text(&b, "#place-h", "").await;
    click(&b, "#place-h ~ details summary").await;
    fill(&b, "f-lat", "51,0712").await;
    fill(&b, "f-lon", "21,0033").await;
    click(&b, "#f-place").await;
    wait_text(&b, ".notice", "saved").await;
    wait_text(&b, "#place-h + p", "51.0712, 21.0033").await;
    b.goto(&t.url("/cases/map")).await.expect("map");
    wait_text(&b, "#places", "Droga gminna").await;
    let mut markers = 0;
    for _ in 0..50 {
        markers = b
            .find_all(Locator::Css("#map .leaflet-marker-icon"))
            .await
            .expect("markers")
            .len();
        if markers == 2 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(markers, 2, "a marker per place with coordinates");
    let tiles = b
        .find_all(Locator::Css("#map img.leaflet-tile"))
        .await
        .expect("tiles");
    assert!(!tiles.is_empty(), "the map asked its tile server");
    let src = tiles[0].attr("src").await.expect("src").unwrap_or_default();
    assert!(src.starts_with("http://127.0.0.1:9/tiles/"), "{src}");
    let title = b
        .find(Locator::Css("#map .leaflet-marker-icon"))
        .await
        .expect("marker")
        .attr("title")
        .await
        .expect("title")
        .unwrap_or_default();
    assert!(title.contains(".2026") || title.contains('.'), "{title}");
    b.close().await.expect("close");
    let _ = std::fs::remove_dir_all(profile);

    // Without JavaScript: the list is the page, the map stays hidden.
    let Some((b, _driver, profile)) = start_browser_with(None, false).await else {
        return;
    };
    sign_in(&b, &t, "anna.nowak@okienko.test", Some(t.totp())).await;
    wait_text(&b, "main", "").await;
    b.goto(&t.url("/cases/map")).await.expect("map");
    let list = wait_text(&b, "#places", "Wycinka").await;
    assert!(list.contains("51.0731, 21.0129"), "{list}");
    assert!(!b
        .find(Locator::Id("map"))
        .await
        .expect("map div")
        .is_displayed()
        .await
        .expect("displayed"));
    b.close().await.expect("close");
    let _ = std::fs::remove_dir_all(profile);

    // A closed case's place stays as it was.
    let (st, _, _) = call(
        &anna,
        reqwest::Method::POST,
        &format!("/api/v1/cases/{tree_id}/close"),
        None,
    )
    .await;
    assert_eq!(st, 200);
    let (st, _, _) = call(
        &anna,
        reqwest::Method::PUT,
        &place,
        Some(json!({"address": "Inny adres"})),
    )
    .await;
    assert_eq!(st, 409);
    let (st, _, _) = call(&anna, reqwest::Method::DELETE, &place, None).await;
    assert_eq!(st, 409);
    let (_, _, g) = call(
        &anna,
        reqwest::Method::GET,
        "/api/v1/cases/places?status=closed",
        None,
    )
    .await;
    assert_eq!(
        g["features"][0]["properties"]["address"],
        "ul. Źródlana 7, Wąchock"
    );
}
