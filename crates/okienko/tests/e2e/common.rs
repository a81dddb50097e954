//! Spawns a server with a fresh store and a fake clock, and signs people in.

use okienko::config::{Flags, Settings};
use okienko_services::{demo, FakeClock, Services};
use std::path::PathBuf;
use std::sync::Arc;

pub struct TestServer {
    pub base: String,
    pub services: Services,
    pub clock: Arc<FakeClock>,
    pub data: PathBuf,
    _task: tokio::task::JoinHandle<()>,
}

/// True when tests must not skip for a missing outside tool.
pub fn tools_required() -> bool {
    std::env::var("OKIENKO_REQUIRE_TOOLS").is_ok_and(|v| v == "1")
        || std::env::var("CI").is_ok_and(|v| v == "true")
}

impl TestServer {
    pub async fn start() -> TestServer {
        Self::start_with(|_| {}).await
    }

    pub async fn start_with(tweak: impl FnOnce(&mut Settings)) -> TestServer {
        install_crypto();
        let data = std::env::temp_dir().join(format!("okienko-e2e-{}", okienko_services::new_id()));
        let flags = Flags {
            data: Some(data.clone()),
            listen: Some("127.0.0.1:0".into()),
            ..Flags::default()
        };
        let mut s = Settings::resolve(&flags).expect("settings");
        // The test binary is not okienko: documents are rendered by the real worker.
        s.worker_exe = PathBuf::from(env!("CARGO_BIN_EXE_okienko"));
        tweak(&mut s);
        let clock = Arc::new(FakeClock::new(time::OffsetDateTime::now_utc()));
        let services = okienko::services(&s, clock.clone())
            .await
            .expect("services");
        let running = okienko::start(&s, services).await.expect("start");
        TestServer {
            base: format!("http://{}", running.addr),
            services: running.services,
            clock,
            data,
            _task: running.task,
        }
    }

    pub async fn seeded() -> TestServer {
        let t = Self::start().await;
        demo::seed(&t.services).await.expect("seed");
        t
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    /// Moves the clock past the last code's time step (codes are single-use), then returns
    /// the current TOTP code for the demo secret.
    pub fn totp(&self) -> String {
        use okienko_services::Clock;
        let secret = okienko_domain::totp::decode_secret(demo::TOTP_SECRET).expect("secret");
        self.clock.advance(time::Duration::seconds(31));
        let now = self.clock.now().unix_timestamp() as u64;
        okienko_domain::totp::code_at(&secret, now)
    }

    /// Calls the API with a bearer token and a JSON body if given: the status and the JSON
    /// answer (null when there is none).
    pub async fn api(
        &self,
        token: &str,
        method: reqwest::Method,
        path: &str,
        body: Option<serde_json::Value>,
    ) -> (u16, serde_json::Value) {
        let mut r = reqwest::Client::new()
            .request(method, self.url(path))
            .bearer_auth(token);
        if let Some(b) = body {
            r = r.json(&b);
        }
        let r = r.send().await.expect("request");
        let status = r.status().as_u16();
        (status, r.json().await.unwrap_or(serde_json::Value::Null))
    }

    /// A browser-like client (cookies, no redirects followed).
    pub fn browser(&self) -> reqwest::Client {
        reqwest::Client::builder()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("client")
    }

    /// Fetches `path` with `c`: its status and its text.
    pub async fn page(&self, c: &reqwest::Client, path: &str) -> (u16, String) {
        let r = c.get(self.url(path)).send().await.expect("get");
        (r.status().as_u16(), r.text().await.expect("text"))
    }

    /// Fetches `path` and returns the CSRF token of its form.
    pub async fn csrf(&self, c: &reqwest::Client, path: &str) -> String {
        let (_, html) = self.page(c, path).await;
        html.split("name=\"csrf\" value=\"")
            .nth(1)
            .and_then(|s| s.split('"').next())
            .expect("csrf token on the page")
            .to_string()
    }

    /// Signs in through the sign-in form; returns the client and where it was sent.
    pub async fn web_login(
        &self,
        login: &str,
        password: &str,
        code: Option<&str>,
    ) -> (reqwest::Client, reqwest::Response) {
        let c = self.browser();
        let csrf = self.csrf(&c, "/login").await;
        let r = c
            .post(self.url("/login"))
            .form(&[
                ("csrf", csrf.as_str()),
                ("login", login),
                ("password", password),
                ("code", code.unwrap_or("")),
            ])
            .send()
            .await
            .expect("post login");
        (c, r)
    }

    /// Signs a demo account in on the web (with a code for staff).
    pub async fn demo_web(&self, login: &str) -> reqwest::Client {
        let code = self.is_staff(login).await.then(|| self.totp());
        let (c, r) = self.web_login(login, demo::PASSWORD, code.as_deref()).await;
        assert_eq!(r.status(), 303, "web sign-in of {login}");
        c
    }

    /// The id of one of the demo's services of its first office, by its code (`UPI-1`).
    pub async fn demo_service(&self, code: &str) -> String {
        let office = self.services.store.offices().await.expect("offices")[0]
            .id
            .clone();
        self.services
            .store
            .office_services(&office)
            .await
            .expect("services")
            .into_iter()
            .find(|x| x.code == code)
            .unwrap_or_else(|| panic!("no demo service {code}"))
            .id
    }

    /// An API token for a demo account.
    pub async fn demo_token(&self, login: &str) -> String {
        let mut body = serde_json::json!({"login": login, "password": demo::PASSWORD});
        if self.is_staff(login).await {
            body["totp"] = self.totp().into();
        }
        let r = reqwest::Client::new()
            .post(self.url("/api/v1/auth/token"))
            .json(&body)
            .send()
            .await
            .expect("token");
        let status = r.status();
        let v: serde_json::Value = r.json().await.expect("json");
        assert_eq!(status, 200, "token for {login}: {v}");
        v["access_token"]
            .as_str()
            .expect("access_token")
            .to_string()
    }

    /// Whether the account signs in with a one-time code.
    pub async fn is_staff(&self, login: &str) -> bool {
        let u = self.services.store.user_by_email(login).await.expect("db");
        u.is_some_and(|u| u.totp_secret.is_some())
    }

    /// Emails written to the outbox so far (file contents).
    pub fn outbox(&self) -> Vec<String> {
        let dir = self.data.join("outbox");
        let mut out = Vec::new();
        if let Ok(rd) = std::fs::read_dir(dir) {
            for e in rd.flatten() {
                if let Ok(t) = std::fs::read_to_string(e.path()) {
                    out.push(t);
                }
            }
        }
        out
    }

    /// Runs due background jobs (emails) now.
    pub async fn run_jobs(&self) {
        for _ in 0..200 {
            okienko_services::jobs::run_once(&self.services, 100)
                .await
                .expect("jobs");
            // The server's own runner may hold a job: wait until it is done.
            if self
                .services
                .store
                .job_counts()
                .await
                .expect("counts")
                .pending
                == 0
            {
                return;
            }
            tokio::time::sleep(std::time::Duration::from_millis(25)).await;
        }
        panic!("jobs did not finish");
    }
}

/// The first link in `text` that starts with `prefix`.
pub fn link(text: &str, prefix: &str) -> String {
    let start = text.find(prefix).expect("link in email");
    text[start..]
        .split_whitespace()
        .next()
        .expect("link")
        .to_string()
}

/// Percent-encodes a query value.
pub fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// The WebDriver client links rustls with two crypto back-ends: pick one, once.
pub fn install_crypto() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

/// A principal for a user, as a signed-in session would give, for calling services directly.
pub async fn principal(t: &TestServer, login: &str) -> okienko_services::accounts::Principal {
    let user = t
        .services
        .store
        .user_by_email(login)
        .await
        .expect("db")
        .expect("user");
    let grants = t.services.store.grants_of(&user.id).await.expect("grants");
    let session = okienko_store::Session {
        token_hash: String::new(),
        user_id: user.id.clone(),
        kind: "web".into(),
        csrf: String::new(),
        created_at: 0,
        expires_at: i64::MAX,
        device: String::new(),
    };
    okienko_services::accounts::Principal {
        user,
        grants,
        session,
        covering: Vec::new(),
    }
}
