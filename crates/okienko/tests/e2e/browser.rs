//! A real browser: headless Chromium through chromedriver signs in as a citizen, then as a
//! member of staff with a one-time code, and switches the language to Serbian Cyrillic.

use crate::common::{install_crypto, tools_required, TestServer};
use fantoccini::{ClientBuilder, Locator};
use okienko_services::demo;

/// Waits until the element's text contains `needle` (pages load after a click).
pub(crate) async fn wait_text(b: &fantoccini::Client, css: &str, needle: &str) -> String {
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
pub(crate) async fn start_browser() -> Option<(
    fantoccini::Client,
    tokio::process::Child,
    std::path::PathBuf,
)> {
    start_browser_with(None, true).await
}

/// A headless Chromium that saves downloads into `downloads` when given.
async fn start_browser_downloading(
    downloads: Option<&std::path::Path>,
) -> Option<(
    fantoccini::Client,
    tokio::process::Child,
    std::path::PathBuf,
)> {
    start_browser_with(downloads, true).await
}

/// A headless Chromium; `javascript: false` turns scripts off, as some people browse.
pub(crate) async fn start_browser_with(
    downloads: Option<&std::path::Path>,
    javascript: bool,
) -> Option<(
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
                     "--disable-sync", "--lang=en-US", format!("--user-data-dir={}", profile.display())],
            "prefs": {
                "download.default_directory": downloads.map(|d| d.display().to_string()).unwrap_or_default(),
                "download.prompt_for_download": false,
                "safebrowsing.enabled": false,
                "profile.managed_default_content_settings.javascript": if javascript { 1 } else { 2 }
            }
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

pub(crate) async fn sign_in(
    b: &fantoccini::Client,
    t: &TestServer,
    login: &str,
    code: Option<String>,
) {
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
        .expect("continue")
        .click()
        .await
        .expect("click");
    // Checked before it goes: the office by its name, the file attached.
    let check = wait_text(&b, "main", "Check your message before sending it").await;
    assert!(check.contains("wniosek.pdf"), "{check}");
    b.find(Locator::Css("main button[value=send]"))
        .await
        .expect("send")
        .click()
        .await
        .expect("click");
    let page = wait_text(&b, "main", "Message sent. Its reference is ").await;
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

/// Waits for a finished download in `dir` whose name ends with `suffix`.
async fn downloaded(dir: &std::path::Path, suffix: &str) -> Vec<u8> {
    for _ in 0..100 {
        if let Ok(entries) = std::fs::read_dir(dir) {
            for e in entries.flatten() {
                let name = e.file_name().to_string_lossy().to_string();
                if name.ends_with(suffix) {
                    if let Ok(b) = std::fs::read(e.path()) {
                        if !b.is_empty() {
                            return b;
                        }
                    }
                }
            }
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("no download ending in {suffix} in {}", dir.display());
}

pub(crate) async fn fill(b: &fantoccini::Client, id: &str, text: &str) {
    b.find(Locator::Id(id))
        .await
        .expect(id)
        .send_keys(text)
        .await
        .expect("type");
}

pub(crate) async fn click(b: &fantoccini::Client, css: &str) {
    b.find(Locator::Css(css))
        .await
        .expect(css)
        .click()
        .await
        .expect("click");
}

#[tokio::test]
async fn apply_confirm_at_the_counter_and_sign_a_file() {
    let dir = std::env::temp_dir().join(format!("okienko-dl-{}", okienko_services::new_id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let Some((b, _driver, profile)) = start_browser_downloading(Some(&dir)).await else {
        return;
    };
    let t = TestServer::seeded().await;

    // Maria applies for a trusted profile.
    sign_in(&b, &t, "maria.wisniewska@okienko.test", None).await;
    b.goto(&t.url("/trusted-profile")).await.expect("goto");
    wait_text(&b, "main", "Apply").await;
    fill(&b, "f-pesel", "90031201428").await;
    fill(&b, "f-first_name", "Maria").await;
    fill(&b, "f-last_name", "Wiśniewska").await;
    fill(&b, "f-id_document_number", "ABA300000").await;
    fill(&b, "f-email", "maria.wisniewska@okienko.test").await;
    fill(&b, "f-phone", "600 700 800").await;
    click(
        &b,
        "main form[action='/trusted-profile'] button[type=submit]",
    )
    .await;
    // Checked before it is sent: the details as the clerk will compare them with the card.
    let check = wait_text(&b, "main", "Check your application").await;
    assert!(
        check.contains("ABA300000") && check.contains("Wiśniewska"),
        "{check}"
    );
    click(&b, "main button[value=send]").await;
    let page = wait_text(&b, "main", "Application sent").await;
    let number = page
        .split_whitespace()
        .find(|w| w.len() == 9 && w.as_bytes()[4] == b'-')
        .expect("application number")
        .to_string();
    click(&b, "header form button").await;
    wait_text(&b, "header", "Sign in").await;

    // Kasia confirms at her counter: finds it by number and PESEL, types the card number.
    sign_in(&b, &t, "kasia.poczta@okienko.test", Some(t.totp())).await;
    b.goto(&t.url("/counter/trusted-profile"))
        .await
        .expect("goto");
    wait_text(&b, "main", "Confirm identity").await;
    fill(&b, "f-number", &number).await;
    fill(&b, "f-pesel", "90031201428").await;
    click(&b, "main button").await;
    wait_text(&b, "main", "Wiśniewska").await;
    fill(&b, "f-id_document_number", "ABA300000").await;
    click(&b, "main form input[value=confirm] ~ button").await;
    wait_text(&b, "main", "Identity confirmed").await;
    click(&b, "header form button").await;
    wait_text(&b, "header", "Sign in").await;

    // Maria signs a file with her password.
    sign_in(&b, &t, "maria.wisniewska@okienko.test", None).await;
    b.goto(&t.url("/signatures/trusted")).await.expect("goto");
    wait_text(&b, "main", "Sign with the trusted signature").await;
    let file = t.data.join("oswiadczenie.txt");
    std::fs::write(&file, "Oświadczam, że dane są prawdziwe.\n").expect("write");
    fill(&b, "f-file", file.to_str().expect("path")).await;
    fill(&b, "f-password", demo::PASSWORD).await;
    click(&b, "main form button[type=submit]").await;
    let sig = downloaded(&dir, ".p7s").await;

    // OpenSSL accepts it; the verifier page names Maria.
    let sig_path = t.data.join("oswiadczenie.txt.p7s");
    std::fs::write(&sig_path, &sig).expect("write");
    let ca = reqwest::get(t.url("/trust/ca.pem"))
        .await
        .expect("ca")
        .text()
        .await
        .expect("t");
    std::fs::write(t.data.join("ca.pem"), ca).expect("write");
    let out = std::process::Command::new("openssl")
        .args(["cms", "-verify", "-binary", "-inform", "DER", "-in"])
        .arg(&sig_path)
        .arg("-content")
        .arg(&file)
        .arg("-CAfile")
        .arg(t.data.join("ca.pem"))
        .args(["-out", "/dev/null"])
        .output()
        .expect("openssl");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    b.goto(&t.url("/verify")).await.expect("goto");
    wait_text(&b, "main", "").await;
    fill(&b, "f-document", file.to_str().expect("path")).await;
    fill(&b, "f-signature", sig_path.to_str().expect("path")).await;
    click(&b, "main form button[type=submit]").await;
    let report = wait_text(&b, "main", "Signed by (trusted signature)").await;
    assert!(
        report.contains("Maria Wiśniewska, PNOPL-90031201428"),
        "{report}"
    );
    b.close().await.expect("close");
    let _ = std::fs::remove_dir_all(profile);
    let _ = std::fs::remove_dir_all(dir);
}
