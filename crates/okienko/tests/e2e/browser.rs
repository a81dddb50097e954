//! A real browser: headless Chromium through chromedriver signs in as a citizen, then as a
//! member of staff with a one-time code, and switches the language to Serbian Cyrillic.

use crate::common::{install_crypto, tools_required, TestServer};
use fantoccini::{ClientBuilder, Locator};
use okienko_services::demo;

/// Waits until the element's text contains `needle` (pages load after a click).
async fn wait_text(b: &fantoccini::Client, css: &str, needle: &str) -> String {
    let mut last = String::new();
    for _ in 0..100 {
        if let Ok(e) = b.find(Locator::Css(css)).await {
            if let Ok(t) = e.text().await {
                if t.contains(needle) {
                    return t;
                }
                last = t;
            }
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("{css} never contained {needle:?}; last: {last}");
}

fn which(cmd: &str) -> Option<String> {
    std::env::var_os("PATH")?
        .to_str()?
        .split(':')
        .map(|d| format!("{d}/{cmd}"))
        .find(|p| std::path::Path::new(p).exists())
}

#[tokio::test]
async fn citizen_and_staff_sign_in_and_switch_to_cyrillic() {
    let (Some(driver), Some(chromium)) = (which("chromedriver"), which("chromium")) else {
        assert!(
            !tools_required(),
            "chromium and chromedriver are required (apt install chromium chromium-driver)"
        );
        eprintln!("SKIPPED: chromium or chromedriver not installed");
        return;
    };
    install_crypto();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .expect("port")
        .local_addr()
        .expect("addr")
        .port();
    let _driver = tokio::process::Command::new(driver)
        .arg(format!("--port={port}"))
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("start chromedriver");
    let profile =
        std::env::temp_dir().join(format!("okienko-chromium-{}", okienko_services::new_id()));
    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".into(),
        serde_json::json!({
            "binary": chromium,
            "args": ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic",
                     "--no-first-run", "--disable-background-networking", "--disable-component-update",
                     "--disable-sync", format!("--user-data-dir={}", profile.display())]
        }),
    );
    let mut client = None;
    for _ in 0..50 {
        match ClientBuilder::rustls()
            .expect("tls")
            .capabilities(caps.clone())
            .connect(&format!("http://127.0.0.1:{port}"))
            .await
        {
            Ok(c) => {
                client = Some(c);
                break;
            }
            Err(_) => tokio::time::sleep(std::time::Duration::from_millis(200)).await,
        }
    }
    let b = client.expect("connect to chromedriver");
    let t = TestServer::seeded().await;

    // A citizen signs in.
    b.goto(&t.url("/login")).await.expect("goto");
    b.find(Locator::Id("f-login"))
        .await
        .expect("login")
        .send_keys("jan.kowalski@okienko.test")
        .await
        .expect("type");
    b.find(Locator::Id("f-password"))
        .await
        .expect("password")
        .send_keys(demo::PASSWORD)
        .await
        .expect("type");
    b.find(Locator::Css("main button[type=submit]"))
        .await
        .expect("submit")
        .click()
        .await
        .expect("click");
    wait_text(&b, "main", "Jan Kowalski").await;
    b.find(Locator::Css("header form button"))
        .await
        .expect("sign out")
        .click()
        .await
        .expect("click");

    wait_text(&b, "main", "").await;
    // A member of staff needs the code.
    b.goto(&t.url("/login")).await.expect("goto");
    wait_text(&b, "main", "").await;
    b.find(Locator::Id("f-login"))
        .await
        .expect("login")
        .send_keys("anna.nowak@okienko.test")
        .await
        .expect("type");
    b.find(Locator::Id("f-password"))
        .await
        .expect("password")
        .send_keys(demo::PASSWORD)
        .await
        .expect("type");
    b.find(Locator::Css("main button[type=submit]"))
        .await
        .expect("submit")
        .click()
        .await
        .expect("click");
    let summary = wait_text(&b, ".error-summary", "code").await;
    assert!(summary.contains("authenticator"), "{summary}");
    b.find(Locator::Id("f-password"))
        .await
        .expect("password")
        .send_keys(demo::PASSWORD)
        .await
        .expect("type");
    b.find(Locator::Id("f-code"))
        .await
        .expect("code")
        .send_keys(&t.totp())
        .await
        .expect("type");
    b.find(Locator::Css("main button[type=submit]"))
        .await
        .expect("submit")
        .click()
        .await
        .expect("click");
    wait_text(&b, "main", "Anna Nowak").await;

    // Switch to Serbian Cyrillic with the language links.
    b.find(Locator::LinkText("Српски (ћирилица)"))
        .await
        .expect("language link")
        .click()
        .await
        .expect("click");
    wait_text(&b, "header", "Одјави се").await;
    let lang = b
        .find(Locator::Css("html"))
        .await
        .expect("html")
        .attr("lang")
        .await
        .expect("attr");
    assert_eq!(lang.as_deref(), Some("sr-Cyrl"));
    let nav = b
        .find(Locator::Css("header"))
        .await
        .expect("header")
        .text()
        .await
        .expect("text");
    assert!(
        nav.contains("Одјави се") && nav.contains("Мој орган"),
        "{nav}"
    );
    // It is remembered on the next page.
    b.goto(&t.url("/account")).await.expect("goto");
    wait_text(&b, "h1", "Твој налог").await;
    b.close().await.expect("close");
    let _ = std::fs::remove_dir_all(profile);
}
