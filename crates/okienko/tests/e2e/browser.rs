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

/// A headless Chromium under chromedriver, or None (after a notice) when not installed.
async fn start_browser() -> Option<(
    fantoccini::Client,
    tokio::process::Child,
    std::path::PathBuf,
)> {
    let (Some(driver), Some(chromium)) = (which("chromedriver"), which("chromium")) else {
        assert!(
            !tools_required(),
            "chromium and chromedriver are required (apt install chromium chromium-driver)"
        );
        eprintln!("SKIPPED: chromium or chromedriver not installed");
        return None;
    };
    install_crypto();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .expect("port")
        .local_addr()
        .expect("addr")
        .port();
    let child = tokio::process::Command::new(driver)
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
                     "--disable-sync", "--lang=en-US", format!("--user-data-dir={}", profile.display())]
        }),
    );
    for _ in 0..50 {
        if let Ok(c) = ClientBuilder::rustls()
            .expect("tls")
            .capabilities(caps.clone())
            .connect(&format!("http://127.0.0.1:{port}"))
            .await
        {
            return Some((c, child, profile));
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    panic!("cannot connect to chromedriver");
}

#[tokio::test]
async fn citizen_and_staff_sign_in_and_switch_to_cyrillic() {
    let Some((b, _driver, profile)) = start_browser().await else {
        return;
    };
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

async fn sign_in(b: &fantoccini::Client, t: &TestServer, login: &str, code: Option<String>) {
    b.goto(&t.url("/login?lang=en")).await.expect("goto");
    wait_text(b, "main", "").await;
    b.find(Locator::Id("f-login"))
        .await
        .expect("login")
        .send_keys(login)
        .await
        .expect("type");
    b.find(Locator::Id("f-password"))
        .await
        .expect("password")
        .send_keys(demo::PASSWORD)
        .await
        .expect("type");
    if let Some(c) = code {
        b.find(Locator::Id("f-code"))
            .await
            .expect("code")
            .send_keys(&c)
            .await
            .expect("type");
    }
    b.find(Locator::Css("main button[type=submit]"))
        .await
        .expect("submit")
        .click()
        .await
        .expect("click");
    wait_text(b, "header", "Sign out").await;
}

#[tokio::test]
async fn a_message_with_an_attachment_goes_from_citizen_to_office_with_evidence_for_both() {
    let Some((b, _driver, profile)) = start_browser().await else {
        return;
    };
    let t = TestServer::seeded().await;
    let office = t
        .services
        .store
        .offices()
        .await
        .expect("offices")
        .remove(0)
        .id;
    let office_box = t
        .services
        .office_mailbox(&office)
        .await
        .expect("mailbox")
        .address;
    let file = t.data.join("wniosek.pdf");
    std::fs::write(&file, b"%PDF-1.4\n% wniosek\n%%EOF\n").expect("w");

    // Jan writes to the office with an attachment.
    sign_in(&b, &t, "jan.kowalski@okienko.test", None).await;
    b.goto(&t.url("/mailboxes")).await.expect("goto");
    b.find(Locator::Css("ul.cards a"))
        .await
        .expect("mailbox")
        .click()
        .await
        .expect("click");
    wait_text(&b, "main", "Write a message").await;
    b.find(Locator::LinkText("Write a message"))
        .await
        .expect("compose")
        .click()
        .await
        .expect("click");
    wait_text(&b, "h1", "Write a message").await;
    b.find(Locator::Id("f-to"))
        .await
        .expect("to")
        .send_keys(&office_box)
        .await
        .expect("type");
    b.find(Locator::Id("f-subject"))
        .await
        .expect("subject")
        .send_keys("Wniosek o zaświadczenie")
        .await
        .expect("type");
    b.find(Locator::Id("f-body"))
        .await
        .expect("body")
        .send_keys("Proszę o wydanie zaświadczenia.")
        .await
        .expect("type");
    b.find(Locator::Id("f-attachment"))
        .await
        .expect("file")
        .send_keys(file.to_str().expect("path"))
        .await
        .expect("attach");
    b.find(Locator::Css("main button[type=submit]"))
        .await
        .expect("send")
        .click()
        .await
        .expect("click");
    let page = wait_text(&b, "main", "Message sent. Evidence EV-").await;
    assert!(
        page.contains("Proof of sending")
            && page.contains("Delivered to the mailbox")
            && page.contains("wniosek.pdf"),
        "{page}"
    );
    let message_url = b.current_url().await.expect("url").to_string();
    b.find(Locator::Css("header form button"))
        .await
        .expect("sign out")
        .click()
        .await
        .expect("click");
    wait_text(&b, "header", "Sign in").await;

    // Anna opens it from the office's inbox: the receipt is recorded.
    sign_in(&b, &t, "anna.nowak@okienko.test", Some(t.totp())).await;
    b.goto(&t.url(&format!("/mailboxes/{office_box}")))
        .await
        .expect("goto");
    wait_text(&b, "main", "Wniosek o zaświadczenie").await;
    b.find(Locator::LinkText("Wniosek o zaświadczenie"))
        .await
        .expect("subject")
        .click()
        .await
        .expect("click");
    let page = wait_text(&b, "main", "Proof of receipt").await;
    assert!(page.contains("Proszę o wydanie zaświadczenia."), "{page}");
    b.find(Locator::Css("header form button"))
        .await
        .expect("sign out")
        .click()
        .await
        .expect("click");
    wait_text(&b, "header", "Sign in").await;

    // Jan sees the receipt too, and its evidence page.
    sign_in(&b, &t, "jan.kowalski@okienko.test", None).await;
    b.goto(&message_url).await.expect("goto");
    wait_text(&b, "main", "Proof of receipt").await;
    b.find(Locator::LinkText("Proof of receipt (opened)"))
        .await
        .ok();
    let handover = b
        .find(Locator::XPath(
            "//tr[td/strong[contains(., 'Proof of receipt')]]//a",
        ))
        .await
        .expect("evidence link");
    handover.click().await.expect("click");
    let page = wait_text(&b, "main", "openssl cms -verify").await;
    assert!(page.contains("The recipient opened the message"), "{page}");
    b.close().await.expect("close");
    let _ = std::fs::remove_dir_all(profile);
}
