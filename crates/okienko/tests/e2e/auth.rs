//! Accounts over real HTTP: every demo account signs in on the web and through the API,
//! registration with email verification, password reset, throttling, staff invitation with
//! second-factor set-up, languages, the audit CLI and SMTP delivery.

use crate::common::{link, tools_required, TestServer};
use okienko_services::demo;
use sqlx::Row;

#[tokio::test]
async fn every_demo_account_signs_in_on_the_web_and_through_the_api() {
    let t = TestServer::seeded().await;
    for (login, name, role, _, _) in demo::ACCOUNTS {
        let token = t.demo_token(login).await;
        let me: serde_json::Value = reqwest::Client::new()
            .get(t.url("/api/v1/me"))
            .bearer_auth(&token)
            .send()
            .await
            .expect("me")
            .json()
            .await
            .expect("json");
        assert_eq!(me["display_name"], *name);
        assert_eq!(me["roles"][0], role.as_str());
        assert!(me["mailboxes"].is_array());
        let c = t.demo_web(login).await;
        let page = c
            .get(t.url("/account"))
            .send()
            .await
            .expect("account")
            .text()
            .await
            .expect("text");
        assert!(page.contains(name), "{login} sees their account page");
    }
    // Staff without a code are refused, with a clear problem.
    let r = reqwest::Client::new()
        .post(t.url("/api/v1/auth/token"))
        .json(&serde_json::json!({"login": "anna.nowak@okienko.test", "password": demo::PASSWORD}))
        .send()
        .await
        .expect("post");
    assert_eq!(r.status(), 401);
    assert_eq!(r.headers()["content-type"], "application/problem+json");
    // A used code cannot be replayed.
    let code = t.totp();
    let body = serde_json::json!({"login": "kasia.poczta@okienko.test", "password": demo::PASSWORD, "totp": code});
    let c = reqwest::Client::new();
    assert_eq!(
        c.post(t.url("/api/v1/auth/token"))
            .json(&body)
            .send()
            .await
            .expect("1")
            .status(),
        200
    );
    assert_eq!(
        c.post(t.url("/api/v1/auth/token"))
            .json(&body)
            .send()
            .await
            .expect("2")
            .status(),
        401
    );
    // Tokens are revocable.
    let token = t.demo_token("jan.kowalski@okienko.test").await;
    let r = c
        .delete(t.url("/api/v1/auth/token"))
        .bearer_auth(&token)
        .send()
        .await
        .expect("revoke");
    assert_eq!(r.status(), 204);
    assert_eq!(
        c.get(t.url("/api/v1/me"))
            .bearer_auth(&token)
            .send()
            .await
            .expect("me")
            .status(),
        401
    );
    // ... and expire.
    let token = t.demo_token("jan.kowalski@okienko.test").await;
    t.clock.advance(time::Duration::hours(2));
    assert_eq!(
        c.get(t.url("/api/v1/me"))
            .bearer_auth(&token)
            .send()
            .await
            .expect("me")
            .status(),
        401
    );
}

#[tokio::test]
async fn registration_verification_reset_and_bad_input() {
    let t = TestServer::start().await;
    let c = t.browser();
    // Bad input: a translated error summary, the typed values kept, nothing created.
    let csrf = t.csrf(&c, "/register?lang=en").await;
    let r = c
        .post(t.url("/register"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("email", "not-an-email"),
            ("display_name", "Ewa"),
            ("password", "short"),
        ])
        .send()
        .await
        .expect("post");
    assert_eq!(r.status(), 422);
    let html = r.text().await.expect("text");
    assert!(
        html.contains("There is a problem") && html.contains("at least 12 characters"),
        "{html}"
    );
    assert!(html.contains("value=\"not-an-email\""));
    assert!(t
        .services
        .store
        .user_by_email("not-an-email")
        .await
        .expect("db")
        .is_none());
    // A form without the CSRF token is refused.
    let r = c
        .post(t.url("/register"))
        .form(&[("email", "ewa@example.pl")])
        .send()
        .await
        .expect("post");
    assert_eq!(r.status(), 403);

    let r = c
        .post(t.url("/register"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("email", "Ewa@Example.pl"),
            ("display_name", "Ewa Lis"),
            ("password", "correct horse battery"),
        ])
        .send()
        .await
        .expect("post");
    assert_eq!(r.status(), 200);
    // Not yet verified: sign-in says so.
    let (_, r) = t
        .web_login("ewa@example.pl", "correct horse battery", None)
        .await;
    assert_eq!(r.status(), 403);
    t.run_jobs().await;
    let mail = t
        .outbox()
        .into_iter()
        .find(|m| m.contains("To: ewa@example.pl"))
        .expect("verification email");
    let verify = link(&mail, &t.url("/verify-email?token="));
    assert_eq!(c.get(&verify).send().await.expect("verify").status(), 200);
    assert_eq!(
        c.get(&verify).send().await.expect("again").status(),
        400,
        "a link works once"
    );
    let (_, r) = t
        .web_login("ewa@example.pl", "correct horse battery", None)
        .await;
    assert_eq!(r.status(), 303);

    // Password reset.
    let csrf = t.csrf(&c, "/password/forgot").await;
    c.post(t.url("/password/forgot"))
        .form(&[("csrf", csrf.as_str()), ("email", "ewa@example.pl")])
        .send()
        .await
        .expect("forgot");
    t.run_jobs().await;
    let mail = t
        .outbox()
        .into_iter()
        .find(|m| m.contains("/password/reset?token="))
        .expect("reset email");
    let reset = link(&mail, &t.url("/password/reset?token="));
    let csrf = t.csrf(&c, reset.trim_start_matches(&t.base)).await;
    let r = c
        .post(&reset)
        .form(&[
            ("csrf", csrf.as_str()),
            ("password", "a brand new passphrase"),
        ])
        .send()
        .await
        .expect("reset");
    assert_eq!(r.status(), 200);
    let (_, r) = t
        .web_login("ewa@example.pl", "correct horse battery", None)
        .await;
    assert_eq!(r.status(), 401);
    let (_, r) = t
        .web_login("ewa@example.pl", "a brand new passphrase", None)
        .await;
    assert_eq!(r.status(), 303);
}

#[tokio::test]
async fn sign_in_is_throttled_per_account() {
    let t = TestServer::seeded().await;
    for _ in 0..10 {
        let (_, r) = t
            .web_login("maria.wisniewska@okienko.test", "wrong password!", None)
            .await;
        assert_eq!(r.status(), 401);
    }
    let (_, r) = t
        .web_login("maria.wisniewska@okienko.test", demo::PASSWORD, None)
        .await;
    assert_eq!(r.status(), 429, "throttled even with the right password");
    t.clock.advance(time::Duration::minutes(16));
    let (_, r) = t
        .web_login("maria.wisniewska@okienko.test", demo::PASSWORD, None)
        .await;
    assert_eq!(r.status(), 303);
}

#[tokio::test]
async fn new_staff_set_a_password_and_must_enrol_a_second_factor() {
    let t = TestServer::seeded().await;
    let admin = t.demo_web("urzad.admin@okienko.test").await;
    let office = t.services.store.offices().await.expect("offices").remove(0);
    let path = format!("/offices/{}", office.id);
    let csrf = t.csrf(&admin, &path).await;
    let r = admin
        .post(t.url(&format!("{path}/staff")))
        .form(&[
            ("csrf", csrf.as_str()),
            ("email", "nowy@okienko.test"),
            ("display_name", "Nowy Urzędnik"),
            ("role", "official"),
            ("department_id", ""),
        ])
        .send()
        .await
        .expect("add staff");
    assert_eq!(r.status(), 303);
    t.run_jobs().await;
    let mail = t
        .outbox()
        .into_iter()
        .find(|m| m.contains("To: nowy@okienko.test"))
        .expect("invitation");
    let setup = link(&mail, &t.url("/password/reset?token="));
    let c = t.browser();
    let csrf = t.csrf(&c, setup.trim_start_matches(&t.base)).await;
    c.post(&setup)
        .form(&[("csrf", csrf.as_str()), ("password", "staff passphrase 1")])
        .send()
        .await
        .expect("set");
    // Without a second factor: the API refuses, the web allows only the set-up page.
    let r = reqwest::Client::new()
        .post(t.url("/api/v1/auth/token"))
        .json(&serde_json::json!({"login": "nowy@okienko.test", "password": "staff passphrase 1"}))
        .send()
        .await
        .expect("token");
    assert_eq!(r.status(), 401);
    let (c, r) = t
        .web_login("nowy@okienko.test", "staff passphrase 1", None)
        .await;
    assert_eq!(r.headers()["location"], "/account/totp");
    let r = c.get(t.url(&path)).send().await.expect("office");
    assert_eq!(
        r.headers()["location"],
        "/account/totp",
        "nothing else until enrolled"
    );
    let page = c
        .get(t.url("/account/totp"))
        .send()
        .await
        .expect("totp")
        .text()
        .await
        .expect("text");
    let secret = page
        .split("name=\"secret\" value=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .expect("secret")
        .to_string();
    let csrf = page
        .split("name=\"csrf\" value=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .expect("csrf")
        .to_string();
    let seal = page
        .split("name=\"seal\" value=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .expect("seal")
        .to_string();
    // A secret the client chose itself is refused (weak secrets cannot be slipped in).
    let chosen = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP";
    let chosen_code = {
        use okienko_services::Clock;
        let raw = okienko_domain::totp::decode_secret(chosen).expect("b32");
        okienko_domain::totp::code_at(&raw, t.clock.now().unix_timestamp() as u64)
    };
    let r = c
        .post(t.url("/account/totp"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("secret", chosen),
            ("seal", &seal),
            ("code", &chosen_code),
        ])
        .send()
        .await
        .expect("chosen");
    assert_eq!(r.status(), 422, "a secret the server did not offer");
    let raw = okienko_domain::totp::decode_secret(&secret).expect("b32");
    let now = {
        use okienko_services::Clock;
        t.clock.now().unix_timestamp() as u64
    };
    let wrong = c
        .post(t.url("/account/totp"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("secret", &secret),
            ("seal", &seal),
            ("code", "000000"),
        ])
        .send()
        .await
        .expect("wrong");
    assert_eq!(wrong.status(), 422);
    let code = okienko_domain::totp::code_at(&raw, now);
    let r = c
        .post(t.url("/account/totp"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("secret", &secret),
            ("seal", &seal),
            ("code", &code),
        ])
        .send()
        .await
        .expect("enrol");
    assert_eq!(r.status(), 303);
    let r = c.get(t.url(&path)).send().await.expect("office");
    assert_eq!(r.status(), 200, "a full session after enrolment");
    // The new official's Data Tracker shows that the office admin read their data.
    admin
        .get(t.url(&path))
        .send()
        .await
        .expect("staff list read");
    let tracker = c
        .get(t.url("/account/data-tracker?lang=en"))
        .send()
        .await
        .expect("tracker")
        .text()
        .await
        .expect("text");
    assert!(
        tracker.contains("Administrator Urzędu") && tracker.contains("Read personal data"),
        "{tracker}"
    );
}

#[tokio::test]
async fn language_from_query_cookie_account_and_header() {
    let t = TestServer::seeded().await;
    let c = t.browser();
    let html = c
        .get(t.url("/"))
        .send()
        .await
        .expect("get")
        .text()
        .await
        .expect("text");
    assert!(html.contains("<html lang=\"pl\""));
    let r = c.get(t.url("/?lang=sr-Cyrl")).send().await.expect("get");
    assert!(r.headers()["set-cookie"]
        .to_str()
        .expect("cookie")
        .contains("okienko_lang=sr-Cyrl"));
    let html = r.text().await.expect("text");
    assert!(html.contains("<html lang=\"sr-Cyrl\"") && html.contains("Пријави се"));
    let html = c
        .get(t.url("/login"))
        .send()
        .await
        .expect("get")
        .text()
        .await
        .expect("text");
    assert!(html.contains("<html lang=\"sr-Cyrl\""), "remembered");
    let html = t
        .browser()
        .get(t.url("/"))
        .header("accept-language", "en-GB,en;q=0.8")
        .send()
        .await
        .expect("get")
        .text()
        .await
        .expect("text");
    assert!(html.contains("<html lang=\"en\""));
    // Milan prefers Cyrillic: his pages are in it once he signs in.
    let m = t.demo_web("milan.petrovic@okienko.test").await;
    let html = m
        .get(t.url("/account"))
        .send()
        .await
        .expect("get")
        .text()
        .await
        .expect("text");
    assert!(html.contains("<html lang=\"sr-Cyrl\""));
    // API problems follow the language too.
    let r = reqwest::Client::new()
        .post(t.url("/api/v1/auth/token?lang=sr-Latn"))
        .body("{")
        .send()
        .await
        .expect("post");
    assert_eq!(r.status(), 422);
    let v: serde_json::Value = r.json().await.expect("json");
    assert_eq!(v["errors"][0]["field"], "body");
    assert_eq!(v["title"], "Proveri unete podatke");
}

#[tokio::test]
async fn operations_endpoints() {
    let t = TestServer::seeded().await;
    let c = reqwest::Client::new();
    assert_eq!(
        c.get(t.url("/healthz"))
            .send()
            .await
            .expect("h")
            .text()
            .await
            .expect("t"),
        "ok"
    );
    let m = c
        .get(t.url("/metrics"))
        .send()
        .await
        .expect("m")
        .text()
        .await
        .expect("t");
    assert!(
        m.contains("okienko_http_requests_total")
            && m.contains("okienko_db_pool_connections")
            && m.contains("okienko_jobs")
    );
    let spec: serde_json::Value = c
        .get(t.url("/api/v1/openapi.json"))
        .send()
        .await
        .expect("o")
        .json()
        .await
        .expect("json");
    assert_eq!(spec["openapi"], "3.1.0");
    for p in [
        "/api/v1/auth/token",
        "/api/v1/me",
        "/api/v1/offices",
        "/api/v1/offices/{id}",
        "/api/v1/service-points",
        "/api/v1/me/data-tracker",
    ] {
        assert!(spec["paths"].get(p).is_some(), "{p} documented");
    }
    let r = c
        .get(t.url("/api/v1/nothing-here"))
        .send()
        .await
        .expect("404");
    assert_eq!(r.status(), 404);
    assert_eq!(r.headers()["content-type"], "application/problem+json");
}

#[tokio::test]
async fn audit_verify_command_catches_edit_delete_and_reorder() {
    let t = TestServer::seeded().await;
    t.demo_web("jan.kowalski@okienko.test").await;
    let db = t.data.join("okienko.db");
    let run = || {
        std::process::Command::new(env!("CARGO_BIN_EXE_okienko"))
            .args(["audit", "verify", "--data"])
            .arg(&t.data)
            .output()
            .expect("run okienko audit verify")
    };
    let out = run();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let pool = sqlx::SqlitePool::connect(&format!("sqlite://{}", db.display()))
        .await
        .expect("open");
    let original: String = sqlx::query("SELECT object FROM audit_log WHERE seq = 3")
        .fetch_one(&pool)
        .await
        .expect("row")
        .get(0);
    for (tamper, undo) in [
        ("UPDATE audit_log SET object = 'forged' WHERE seq = 3", format!("UPDATE audit_log SET object = '{original}' WHERE seq = 3")),
        (
            "UPDATE audit_log SET seq = -1 WHERE seq = 4; UPDATE audit_log SET seq = 4 WHERE seq = 5; UPDATE audit_log SET seq = 5 WHERE seq = -1",
            "UPDATE audit_log SET seq = -1 WHERE seq = 5; UPDATE audit_log SET seq = 5 WHERE seq = 4; UPDATE audit_log SET seq = 4 WHERE seq = -1".to_string(),
        ),
    ] {
        sqlx::raw_sql(tamper).execute(&pool).await.expect("tamper");
        let out = run();
        assert_eq!(out.status.code(), Some(1), "{tamper}");
        assert!(String::from_utf8_lossy(&out.stdout).contains("BROKEN"));
        sqlx::raw_sql(&undo).execute(&pool).await.expect("undo");
        assert!(run().status.success());
    }
    sqlx::query("DELETE FROM audit_log WHERE seq = 2")
        .execute(&pool)
        .await
        .expect("delete");
    let out = run();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("row 3"),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
}

#[tokio::test]
async fn email_goes_out_over_real_smtp() {
    let probe = std::process::Command::new("python3")
        .args(["-c", "import aiosmtpd"])
        .output();
    if !probe.is_ok_and(|o| o.status.success()) {
        assert!(
            !tools_required(),
            "aiosmtpd is required (pip install aiosmtpd)"
        );
        eprintln!("SKIPPED: python3 aiosmtpd not installed");
        return;
    }
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .expect("port")
        .local_addr()
        .expect("addr")
        .port();
    let mut smtpd = tokio::process::Command::new("python3")
        .args([
            "-u",
            "-m",
            "aiosmtpd",
            "-n",
            "-c",
            "aiosmtpd.handlers.Debugging",
            "-l",
            &format!("127.0.0.1:{port}"),
        ])
        .stdout(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("start aiosmtpd");
    for _ in 0..50 {
        if tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_ok()
        {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let t = TestServer::start_with(|s| s.smtp_url = Some(format!("smtp://127.0.0.1:{port}"))).await;
    let c = t.browser();
    let csrf = t.csrf(&c, "/register?lang=en").await;
    c.post(t.url("/register"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("email", "smtp@example.pl"),
            ("display_name", "Ola"),
            ("password", "correct horse battery"),
        ])
        .send()
        .await
        .expect("register");
    t.run_jobs().await;
    // An email whose hand-over to the server an instance committed before it died (claimed,
    // handed over, its lease run out): claimed again, it counts as sent and is not sent twice.
    let s = &t.services;
    let email = okienko_services::mail::Email {
        attachments: Vec::new(),
        to: "handed@example.pl".into(),
        subject: "Handed over once".into(),
        body: "Once.".into(),
    };
    // Due in ten seconds, so that the server's own runner leaves it to this test's claim.
    let later = s.now_ms() + 10_000;
    s.store
        .enqueue_job(
            okienko_services::mail::JOB_KIND,
            &serde_json::to_string(&email).expect("json"),
            later,
            8,
        )
        .await
        .expect("queued");
    let claimed = s
        .store
        .claim_jobs(later, 60_000, 10)
        .await
        .expect("claimed");
    assert_eq!(claimed.len(), 1);
    s.store
        .hand_job(&claimed[0].id, later)
        .await
        .expect("handed over");
    t.clock.advance(time::Duration::seconds(71));
    t.run_jobs().await;
    smtpd.start_kill().expect("stop");
    let out = smtpd.wait_with_output().await.expect("output");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("smtp@example.pl") && text.contains("Confirm your email address"),
        "{text}"
    );
    assert!(!text.contains("Handed over once"), "not sent again: {text}");
    assert!(t.outbox().is_empty(), "sent over SMTP, not to the outbox");
    let counts = t.services.store.job_counts().await.expect("counts");
    assert_eq!((counts.pending, counts.failed, counts.done), (0, 0, 2));
}

#[tokio::test]
async fn platform_admin_creates_and_edits_offices_and_service_points() {
    let t = TestServer::seeded().await;
    let token = t.demo_token("admin@okienko.test").await;
    let office = serde_json::json!({"name": "Urząd Miasta Testowo", "nip": "7770000005", "regon": "123456785", "street": "ul. Długa 5", "postal_code": "11-222", "city": "Testowo"});
    let r = reqwest::Client::new()
        .post(t.url("/api/v1/offices"))
        .bearer_auth(&token)
        .json(&office)
        .send()
        .await
        .expect("post");
    assert_eq!(r.status(), 201);
    let created: serde_json::Value = r.json().await.expect("json");
    // A new office gets its public-body mailbox (in the register) and its seal right away.
    let found: serde_json::Value = reqwest::get(t.url("/api/v1/addresses?q=Testowo"))
        .await
        .expect("register")
        .json()
        .await
        .expect("json");
    assert_eq!(found["items"][0]["name"], "Urząd Miasta Testowo");
    let id = created["id"].as_str().expect("id");
    assert!(t
        .services
        .office_seal_info(
            &crate::common::principal(&t, "admin@okienko.test").await,
            id
        )
        .await
        .is_ok());
    // The same NIP again is a clear field error.
    let r = reqwest::Client::new()
        .post(t.url("/api/v1/offices"))
        .bearer_auth(&token)
        .json(&office)
        .send()
        .await
        .expect("post");
    assert_eq!(r.status(), 422);
    let v: serde_json::Value = r.json().await.expect("json");
    assert_eq!(v["errors"][0]["field"], "nip");

    // On the web: edit the office, add a service point.
    let admin = t.demo_web("admin@okienko.test").await;
    let csrf = t.csrf(&admin, &format!("/admin/offices/{id}/edit")).await;
    let mut form: Vec<(&str, String)> = office
        .as_object()
        .expect("obj")
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str().unwrap_or("").to_string()))
        .collect();
    form.retain(|(k, _)| *k != "name");
    form.push(("name", "Urząd Miasta Testowo (zmieniony)".into()));
    form.push(("csrf", csrf.clone()));
    let r = admin
        .post(t.url(&format!("/admin/offices/{id}/edit")))
        .form(&form)
        .send()
        .await
        .expect("edit");
    assert_eq!(r.status(), 303);
    let list = admin
        .get(t.url("/admin/offices"))
        .send()
        .await
        .expect("list")
        .text()
        .await
        .expect("text");
    assert!(list.contains("(zmieniony)"));
    let point = [
        ("csrf", csrf.as_str()),
        ("name", "UP Testowo 2"),
        ("street", "ul. Pocztowa 9"),
        ("postal_code", "11-222"),
        ("city", "Testowo"),
        ("is_open", "1"),
    ];
    let r = admin
        .post(t.url("/admin/service-points/new"))
        .form(&point)
        .send()
        .await
        .expect("new point");
    assert_eq!(r.status(), 303);
    let r = admin
        .post(t.url("/admin/service-points/new"))
        .form(&point)
        .send()
        .await
        .expect("again");
    assert_eq!(r.status(), 422, "a second point with the same name");
}

/// Every action the audit trail records has a name in every language, so "Who looked at my
/// data" never shows a raw key (the actions are read from the services' source).
#[test]
fn every_audited_action_has_a_name_in_every_language() {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../services/src");
    let mut actions = std::collections::BTreeSet::new();
    let mut files = Vec::new();
    let mut dirs = vec![std::path::PathBuf::from(root)];
    while let Some(d) = dirs.pop() {
        for e in std::fs::read_dir(d).expect("services").flatten() {
            if e.path().is_dir() {
                dirs.push(e.path());
            } else {
                files.push(e.path());
            }
        }
    }
    for path in files {
        let text = std::fs::read_to_string(path).expect("read");
        for part in text.split("AuditEvent::new(").skip(1) {
            // The third argument: `now, Some(&actor), "the.action", ...`.
            let args: Vec<&str> = part.splitn(4, ',').collect();
            if let Some(a) = args.get(2).map(|a| a.trim()) {
                if let Some(a) = a.strip_prefix('"').and_then(|a| a.strip_suffix('"')) {
                    actions.insert(a.to_string());
                }
            }
        }
    }
    assert!(actions.len() > 30, "{actions:?}");
    for lang in okienko_i18n::Lang::ALL {
        for a in &actions {
            let key = format!("action-{}", a.replace('.', "-"));
            assert!(lang.t_opt(&key).is_some(), "{key} in {}", lang.code());
        }
    }
}

/// A person manages their own account: name, password, language, email, the sessions they
/// are signed in with, and a QR code to set up two-step sign-in.
#[tokio::test]
async fn a_person_changes_their_name_password_and_language_and_ends_other_sessions() {
    let t = TestServer::seeded().await;
    let jan = "jan.kowalski@okienko.test";
    let page = |c: &reqwest::Client, path: &str| {
        let (c, url) = (c.clone(), t.url(path));
        async move {
            let r = c.get(url).send().await.expect("get");
            (r.status().as_u16(), r.text().await.expect("text"))
        }
    };
    let post = |c: &reqwest::Client, path: &'static str, form: Vec<(&'static str, String)>| {
        let c = c.clone();
        let t = &t;
        async move {
            let mut form = form;
            form.push(("csrf", t.csrf(&c, "/account").await));
            let r = c.post(t.url(path)).form(&form).send().await.expect("post");
            let status = r.status().as_u16();
            let to = r
                .headers()
                .get("location")
                .map(|l| l.to_str().expect("location").to_string())
                .unwrap_or_default();
            (status, to, r.text().await.expect("text"))
        }
    };
    // Jan signs in with Firefox on his laptop and with another client.
    let firefox = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .user_agent("Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0")
        .build()
        .expect("client");
    let csrf = t.csrf(&firefox, "/login").await;
    let r = firefox
        .post(t.url("/login"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("login", jan),
            ("password", demo::PASSWORD),
        ])
        .send()
        .await
        .expect("login");
    assert_eq!(r.status(), 303);
    let other = t.demo_web(jan).await;
    let third = t.demo_web(jan).await;
    let (status, html) = page(&firefox, "/account/sessions").await;
    assert_eq!(status, 200);
    assert!(html.contains(">Firefox, Linux</span>"), "{html}");
    assert_eq!(html.matches("action=\"/account/sessions/end\"").count(), 2);

    // A wrong current password changes nothing.
    let (status, _, html) = post(
        &firefox,
        "/account/password",
        vec![
            ("password", "wrong".into()),
            ("new_password", "a new long password".into()),
        ],
    )
    .await;
    assert_eq!(status, 422);
    assert!(html.contains("href=\"#f-password\""), "{html}");
    assert_eq!(page(&other, "/account").await.0, 200);
    // The right one changes it and signs out every other device, not this one.
    let (status, to, _) = post(
        &firefox,
        "/account/password",
        vec![
            ("password", demo::PASSWORD.into()),
            ("new_password", "a new long password".into()),
        ],
    )
    .await;
    assert_eq!(
        (status, to.as_str()),
        (303, "/account?notice=notice-password-changed")
    );
    assert_eq!(page(&firefox, "/account").await.0, 200);
    assert_eq!(page(&other, "/account").await.0, 303, "signed out");
    assert_eq!(page(&third, "/account").await.0, 303, "signed out");
    let (_, r) = t.web_login(jan, demo::PASSWORD, None).await;
    assert_ne!(r.status(), 303, "the old password no longer works");
    let (second, r) = t.web_login(jan, "a new long password", None).await;
    assert_eq!(r.status(), 303);

    // One other session ended from the list; someone else's cannot be named.
    let (_, html) = page(&firefox, "/account/sessions").await;
    let hash = html
        .split("name=\"session\" value=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .expect("another session")
        .to_string();
    let (status, to, _) = post(&firefox, "/account/sessions/end", vec![("session", hash)]).await;
    assert_eq!(
        (status, to.as_str()),
        (303, "/account/sessions?notice=notice-session-ended")
    );
    assert_eq!(page(&second, "/account").await.0, 303, "ended");
    assert_eq!(page(&firefox, "/account").await.0, 200, "still signed in");
    let maria = t.demo_web("maria.wisniewska@okienko.test").await;
    let (_, maria_sessions) = page(&maria, "/account/sessions").await;
    assert!(!maria_sessions.contains("name=\"session\""), "only one");
    let (status, _, _) = post(&maria, "/account/sessions/end-others", vec![]).await;
    assert_eq!(status, 303);
    assert_eq!(
        page(&firefox, "/account").await.0,
        200,
        "Maria ends only her own"
    );

    // Name: an empty one is refused at its field; a new one is shown to offices.
    let (status, _, html) = post(
        &firefox,
        "/account/name",
        vec![("display_name", " ".into())],
    )
    .await;
    assert_eq!(status, 422);
    assert!(html.contains("href=\"#f-display_name\""), "{html}");
    let (status, _, _) = post(
        &firefox,
        "/account/name",
        vec![("display_name", "Jan Maria Kowalski".into())],
    )
    .await;
    assert_eq!(status, 303);
    assert!(page(&firefox, "/account")
        .await
        .1
        .contains("Jan Maria Kowalski"));
    let user = t
        .services
        .store
        .user_by_email(jan)
        .await
        .expect("db")
        .expect("jan");
    assert_eq!(user.display_name, "Jan Maria Kowalski");

    // Language: the account and the pages follow.
    let (status, to, _) = post(
        &firefox,
        "/account/language",
        vec![("language", "en".into())],
    )
    .await;
    assert_eq!(status, 303);
    let (_, html) = page(&firefox, &to).await;
    assert!(html.contains("<html lang=\"en\"") && html.contains("The language is changed."));
    let user = t
        .services
        .store
        .user_by_email(jan)
        .await
        .expect("db")
        .expect("jan");
    assert_eq!(user.locale.as_deref(), Some("en"));
    let (status, _, _) = post(
        &firefox,
        "/account/language",
        vec![("language", "xx".into())],
    )
    .await;
    assert_eq!(status, 422);

    // Email: a link goes to the new address; the login stays until it is opened.
    let (status, _, html) = post(
        &firefox,
        "/account/email",
        vec![("email", "jan.nowy@example.pl".into())],
    )
    .await;
    assert_eq!(status, 200);
    assert!(html.contains("jan.nowy@example.pl"), "{html}");
    t.run_jobs().await;
    assert!(t
        .outbox()
        .iter()
        .any(|m| m.contains("jan.nowy@example.pl") && m.contains("/account/email/confirm?token=")));
    assert!(t
        .services
        .store
        .user_by_email(jan)
        .await
        .expect("db")
        .is_some());

    // Two-step sign-in set-up shows the key as a QR code as well as in letters.
    let (_, html) = page(&firefox, "/account/totp").await;
    assert!(
        html.contains("<svg") && html.contains("role=\"img\""),
        "{html}"
    );
}

/// Every page links the accessibility statement, the privacy notice and the contact page;
/// an installation's own text replaces okienko's in its language.
#[tokio::test]
async fn the_footer_pages_show_the_installations_own_texts() {
    let pages = std::env::temp_dir().join(format!("okienko-pages-{}", okienko_services::new_id()));
    std::fs::create_dir_all(&pages).expect("dir");
    std::fs::write(
        pages.join("contact.en.txt"),
        "# Town Hall of Gniezno\n\nCall 61 426 04 00,\nMonday to Friday.",
    )
    .expect("write");
    let t = TestServer::start_with(|s| {
        s.pages_dir = pages.clone();
        s.name = "e-Urząd Gniezno".into();
        s.mail_from = Some("pomoc@gniezno.example".into());
    })
    .await;
    let get = |path: &str| {
        let url = t.url(path);
        async move {
            let r = reqwest::get(url).await.expect("get");
            (r.status().as_u16(), r.text().await.expect("text"))
        }
    };
    let (_, home) = get("/").await;
    for href in ["/accessibility", "/privacy", "/contact"] {
        assert!(
            home.contains(&format!("<a href=\"{href}\">")),
            "{href} in the footer"
        );
    }
    let (status, html) = get("/contact?lang=en").await;
    assert_eq!(status, 200);
    assert!(html.contains("<h2>Town Hall of Gniezno</h2>"), "{html}");
    assert!(
        html.contains("<p>Call 61 426 04 00, Monday to Friday.</p>"),
        "{html}"
    );
    assert!(html.contains("mailto:pomoc@gniezno.example"), "{html}");
    // Polish has no file of its own: okienko's text, with the installation's name.
    let (_, html) = get("/contact").await;
    assert!(
        html.contains("e-Urząd Gniezno prowadzi jego operator"),
        "{html}"
    );
    let (status, html) = get("/accessibility?lang=sr-Cyrl").await;
    assert_eq!(status, 200);
    assert!(
        html.contains("WCAG 2.1") && html.contains("<h2>Како проверавамо</h2>"),
        "{html}"
    );
    let (_, html) = get("/privacy").await;
    assert!(html.contains("Kto przeglądał moje dane"), "{html}");
    std::fs::remove_dir_all(&pages).ok();
}

/// The platform admin finds an account and locks it (a reason, a confirmation; every
/// session ends and signing in is refused), then unlocks it; nobody else can.
#[tokio::test]
async fn the_platform_admin_finds_locks_and_unlocks_an_account() {
    let t = TestServer::seeded().await;
    let admin = t.demo_web("admin@okienko.test").await;
    let jan_web = t.demo_web("jan.kowalski@okienko.test").await;
    let status = |c: &reqwest::Client, path: &str| {
        let (c, url) = (c.clone(), t.url(path));
        async move { c.get(url).send().await.expect("get").status().as_u16() }
    };
    let html = admin
        .get(t.url("/admin/users?q=KOWALSKI"))
        .send()
        .await
        .expect("search")
        .text()
        .await
        .expect("text");
    let jan = t
        .services
        .store
        .user_by_email("jan.kowalski@okienko.test")
        .await
        .expect("db")
        .expect("jan");
    let path = format!("/admin/users/{}", jan.id);
    assert!(html.contains(&format!("href=\"{path}\"")), "{html}");
    assert_eq!(
        admin
            .get(t.url("/admin/users?q=k"))
            .send()
            .await
            .expect("short")
            .status()
            .as_u16(),
        422
    );
    assert_eq!(
        status(&jan_web, &path).await,
        404,
        "only the platform admin"
    );
    assert_eq!(status(&jan_web, "/admin/users").await, 404);
    let csrf = t.csrf(&admin, &path).await;
    let post = |action: &str, form: Vec<(&str, &str)>| {
        let mut form: Vec<(String, String)> = form
            .into_iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        form.push(("csrf".into(), csrf.clone()));
        let req = admin.post(t.url(&format!("{path}/{action}"))).form(&form);
        async move {
            let r = req.send().await.expect("post");
            (r.status().as_u16(), r.text().await.expect("text"))
        }
    };
    let locked = || async {
        t.services
            .store
            .user_by_id(&jan.id)
            .await
            .expect("db")
            .expect("jan")
            .disabled
    };
    // No reason: said at the field, nothing changes.
    let (code, html) = post("lock", vec![("reason", " ")]).await;
    assert_eq!(code, 422);
    assert!(html.contains("href=\"#f-reason\""), "{html}");
    // A reason: first the confirmation, still nothing changed.
    let (code, html) = post("lock", vec![("reason", "Zgłoszona kradzież tożsamości")]).await;
    assert_eq!(code, 200);
    assert!(html.contains("name=\"confirm\" value=\"yes\""), "{html}");
    assert!(!locked().await);
    assert_eq!(status(&jan_web, "/account").await, 200);
    // Confirmed: locked, signed out everywhere, cannot sign in.
    let (code, _) = post(
        "lock",
        vec![
            ("reason", "Zgłoszona kradzież tożsamości"),
            ("confirm", "yes"),
        ],
    )
    .await;
    assert_eq!(code, 303);
    assert!(locked().await);
    assert_eq!(status(&jan_web, "/account").await, 303, "signed out");
    let (_, r) = t
        .web_login("jan.kowalski@okienko.test", demo::PASSWORD, None)
        .await;
    assert_ne!(r.status(), 303, "cannot sign in");
    let audit = t
        .services
        .store
        .audit_for_subject(&jan.id, 50)
        .await
        .expect("audit");
    assert!(audit
        .iter()
        .any(|e| e.action == "user.lock" && e.reason == "Zgłoszona kradzież tożsamości"));
    // Unlocked with a reason: he signs in again.
    let (code, _) = post(
        "unlock",
        vec![("reason", "Tożsamość potwierdzona w urzędzie")],
    )
    .await;
    assert_eq!(code, 303);
    assert!(!locked().await);
    t.demo_web("jan.kowalski@okienko.test").await;
    // The audit trail of this account, and a search in it.
    let page = |path: String| {
        let req = admin.get(t.url(&path));
        async move { req.send().await.expect("audit").text().await.expect("text") }
    };
    let html = page(format!("/admin/audit?subject={}", jan.id)).await;
    assert!(
        html.contains("Zgłoszona kradzież tożsamości")
            && html.contains("Tożsamość potwierdzona w urzędzie"),
        "{html}"
    );
    let html = page(format!("/admin/audit?subject={}&q=user.unlock", jan.id)).await;
    assert!(
        html.contains("Tożsamość potwierdzona w urzędzie")
            && !html.contains("Zgłoszona kradzież tożsamości"),
        "{html}"
    );
    let html = page("/admin/audit?q=no-such-thing-anywhere".into()).await;
    assert!(html.contains("Żaden wpis nie pasuje."), "{html}");
    // Nobody locks their own account.
    let me = t
        .services
        .store
        .user_by_email("admin@okienko.test")
        .await
        .expect("db")
        .expect("admin");
    let r = admin
        .post(t.url(&format!("/admin/users/{}/lock", me.id)))
        .form(&[
            ("csrf", csrf.as_str()),
            ("reason", "test"),
            ("confirm", "yes"),
        ])
        .send()
        .await
        .expect("self");
    assert_eq!(r.status().as_u16(), 409);
}

/// An official who lost their phone: the office admin resets their second factor (after a
/// confirmation); they are signed out and set up a new one at their next sign-in.
#[tokio::test]
async fn the_office_admin_resets_an_officials_lost_second_factor() {
    let t = TestServer::seeded().await;
    let admin = t.demo_web("urzad.admin@okienko.test").await;
    let anna_web = t.demo_web("anna.nowak@okienko.test").await;
    let anna = t
        .services
        .store
        .user_by_email("anna.nowak@okienko.test")
        .await
        .expect("db")
        .expect("anna");
    let office = t
        .services
        .store
        .grants_of(&anna.id)
        .await
        .expect("grants")
        .into_iter()
        .find_map(|g| g.office_id)
        .expect("an office");
    let path = format!("/offices/{office}/staff/{}/reset-totp", anna.id);
    let csrf = t.csrf(&admin, &format!("/offices/{office}")).await;
    let r = admin
        .post(t.url(&path))
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .expect("ask");
    assert_eq!(r.status(), 200, "the confirmation first");
    assert!(
        t.is_staff("anna.nowak@okienko.test").await,
        "nothing changed yet"
    );
    let r = admin
        .post(t.url(&path))
        .form(&[("csrf", csrf.as_str()), ("confirm", "yes")])
        .send()
        .await
        .expect("reset");
    assert_eq!(r.status(), 303);
    assert!(
        !t.is_staff("anna.nowak@okienko.test").await,
        "no second factor"
    );
    let r = anna_web.get(t.url("/account")).send().await.expect("get");
    assert_eq!(r.status(), 303, "signed out");
    let (_, r) = t
        .web_login("anna.nowak@okienko.test", demo::PASSWORD, None)
        .await;
    assert_eq!(
        r.headers().get("location").map(|l| l.to_str().expect("l")),
        Some("/account/totp"),
        "sets up a new one first"
    );
}

/// The office admin manages one staff member on their own page: a new role and department,
/// the set-up link sent again while the person has not set a password, removal after a
/// confirmation. A role that is not a staff role changes nothing.
#[tokio::test]
async fn the_office_admin_changes_a_role_and_sends_a_set_up_link_again() {
    let t = TestServer::seeded().await;
    let admin = t.demo_web("urzad.admin@okienko.test").await;
    let office = t.services.store.offices().await.expect("offices").remove(0);
    let path = format!("/offices/{}", office.id);
    let csrf = t.csrf(&admin, &path).await;
    let r = admin
        .post(t.url(&format!("{path}/staff")))
        .form(&[
            ("csrf", csrf.as_str()),
            ("email", "nowa@okienko.test"),
            ("display_name", "Nowa Urzędniczka"),
            ("role", "official"),
            ("department_id", ""),
        ])
        .send()
        .await
        .expect("add staff");
    assert_eq!(r.status(), 303);
    let user = t
        .services
        .store
        .user_by_email("nowa@okienko.test")
        .await
        .expect("db")
        .expect("user");
    let office_page = admin
        .get(t.url(&format!("{path}?lang=en")))
        .send()
        .await
        .expect("office")
        .text()
        .await
        .expect("t");
    let member = format!("{path}/staff/{}", user.id);
    assert!(
        office_page.contains(&format!("href=\"{member}\"")),
        "{office_page}"
    );
    let page = admin
        .get(t.url(&format!("{member}?lang=en")))
        .send()
        .await
        .expect("member")
        .text()
        .await
        .expect("t");
    assert!(
        page.contains("Waiting for the person to set their password")
            && page.contains("Send the set-up link again"),
        "{page}"
    );
    let grants = || async {
        t.services
            .store
            .grants_of(&user.id)
            .await
            .expect("grants")
            .into_iter()
            .map(|g| g.role)
            .collect::<Vec<_>>()
    };
    let r = admin
        .post(t.url(&member))
        .form(&[
            ("csrf", csrf.as_str()),
            ("role", "citizen"),
            ("department_id", ""),
        ])
        .send()
        .await
        .expect("change");
    assert_eq!(r.status(), 422);
    assert_eq!(grants().await, vec![okienko_domain::Role::Official]);
    let r = admin
        .post(t.url(&member))
        .form(&[
            ("csrf", csrf.as_str()),
            ("role", "office_admin"),
            ("department_id", ""),
        ])
        .send()
        .await
        .expect("change");
    assert_eq!(r.status(), 303);
    assert_eq!(grants().await, vec![okienko_domain::Role::OfficeAdmin]);
    t.run_jobs().await;
    let before = t
        .outbox()
        .iter()
        .filter(|m| m.contains("To: nowa@okienko.test"))
        .count();
    let r = admin
        .post(t.url(&format!("{member}/resend")))
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .expect("resend");
    assert_eq!(r.status(), 303);
    t.run_jobs().await;
    let mails: Vec<String> = t
        .outbox()
        .into_iter()
        .filter(|m| m.contains("To: nowa@okienko.test"))
        .collect();
    assert_eq!(mails.len(), before + 1, "one more set-up email");
    // Removal asks first; then the person is no longer staff of the office.
    let r = admin
        .post(t.url(&format!("{member}/remove")))
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .expect("ask");
    assert_eq!(r.status(), 200);
    assert_eq!(grants().await.len(), 1, "nothing changed yet");
    let r = admin
        .post(t.url(&format!("{member}/remove")))
        .form(&[("csrf", csrf.as_str()), ("confirm", "yes")])
        .send()
        .await
        .expect("remove");
    assert_eq!(r.status(), 303);
    assert!(grants().await.is_empty());
}
