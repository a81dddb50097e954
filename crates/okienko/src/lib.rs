//! The okienko program: configuration, start-up and the command line. `main.rs` is a thin
//! wrapper so that tests can start a real server in-process.

pub mod bench;
pub mod cli;
pub mod config;
pub mod fuzz;
pub mod http;

use anyhow::Context;
use config::Settings;
use okienko_services::{
    blobs::Blobs, mail::Mailer, passwords::Hasher, Clock, Services, SystemClock,
};
use okienko_store::Store;
use okienko_web::{metrics::Metrics, AppState};
use std::net::SocketAddr;
use std::sync::Arc;

/// Opens storage (migrating it), blobs and mail, and builds the services.
pub async fn services(s: &Settings, clock: Arc<dyn Clock>) -> anyhow::Result<Services> {
    std::fs::create_dir_all(&s.data)
        .with_context(|| format!("creating data folder {}", s.data.display()))?;
    let store = okienko_store::open(&s.database_url())
        .await
        .context("opening the database")?;
    store.migrate().await.context("migrating the database")?;
    let blobs = Blobs::open(&s.blob_url())?;
    let from = s
        .mail_from
        .clone()
        .unwrap_or_else(|| "okienko <no-reply@okienko.test>".into());
    let mail = match &s.smtp_url {
        Some(url) => Mailer::smtp_from_url(url, &from)?,
        None => Mailer {
            transport: okienko_services::mail::Transport::Outbox(s.data.join("outbox")),
            from,
        },
    };
    let store = Arc::new(store) as Arc<dyn Store>;
    let master = okienko_trust::keystore::MasterKey::parse(&s.master_key()?)?;
    let pki = okienko_services::pki::Pki::load_or_create(
        store.as_ref(),
        master,
        clock.now(),
        &s.name,
        s.tsa_policy.as_deref(),
    )
    .await?;
    let log = okienko_services::log::EvidenceLog::start(
        store.clone(),
        blobs.clone(),
        pki.log_key.clone(),
        clock.clone(),
    )
    .await?;
    let payments = Arc::new(okienko_services::payments::Provider::simulator(&pki)?);
    Ok(Services {
        payments,
        clock,
        passwords: Hasher::new()?,
        mail,
        blobs,
        pki: Arc::new(pki),
        log,
        stamper: okienko_services::timestamp::TimeStamper::from_url(s.tsa_url.as_deref())?,
        base_url: s.base_url(),
        limits: Arc::new(s.limits.clone()),
        sandbox: okienko_services::sandbox::Sandbox::new(s.worker_exe.clone()),
        country: s.country,
        officials_share_office_mailbox: s.officials_share_office_mailbox,
        cases: okienko_services::cases::case_opener(store.clone()),
        places: okienko_services::appointments::place_taker(store.clone()),
        slot_cache: Default::default(),
        store,
    })
}

/// A running server.
pub struct Running {
    pub addr: SocketAddr,
    pub services: Services,
    pub task: tokio::task::JoinHandle<()>,
}

/// Binds, starts the job runner and serves until the task is dropped or the process ends.
pub async fn start(s: &Settings, mut services: Services) -> anyhow::Result<Running> {
    let listener = tokio::net::TcpListener::bind(&s.listen)
        .await
        .with_context(|| format!("listening on {}", s.listen))?;
    let addr = listener.local_addr()?;
    if s.base_url.is_none() {
        // Links in emails point where we really listen (port 0 picks one).
        services.base_url = format!("http://{addr}");
    }
    let state = Arc::new(AppState {
        services: services.clone(),
        secure_cookies: s.base_url().starts_with("https://"),
        metrics: Metrics::new(),
        uploads: okienko_web::limits::Budget::new(512),
        net: s.net.clone(),
        map: s.map.clone(),
        about: okienko_web::ui::about::AboutPages::load(
            &s.pages_dir,
            &s.name,
            s.mail_from.clone(),
        )?,
    });
    let app = okienko_web::app(state);
    let runner = tokio::spawn(okienko_services::jobs::run_forever(
        services.clone(),
        std::time::Duration::from_millis(500),
    ));
    let task = tokio::spawn(async move {
        http::serve(listener, app, shutdown()).await;
        runner.abort();
    });
    Ok(Running {
        addr,
        services,
        task,
    })
}

async fn shutdown() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
}

/// Starts with the system clock.
pub async fn serve(s: &Settings) -> anyhow::Result<Running> {
    let services = services(s, Arc::new(SystemClock)).await?;
    start(s, services).await
}

/// The demo accounts, as printed by `okienko demo`.
pub fn demo_accounts_text(base: &str) -> String {
    use okienko_services::demo::{ACCOUNTS, PASSWORD, TOTP_SECRET};
    let mut out = format!(
        "okienko demo at {base}\n\n{:<32} {:<14} {:<18} role\n",
        "login", "password", "TOTP secret"
    );
    for (login, _, role, _, _) in ACCOUNTS {
        let totp = if role.is_staff() { TOTP_SECRET } else { "-" };
        out.push_str(&format!(
            "{login:<32} {PASSWORD:<14} {totp:<18} {}\n",
            role.as_str()
        ));
    }
    out.push_str("\nStaff sign in with a TOTP code (RFC 6238, SHA-1, 6 digits, 30 s) for the secret above,\n");
    out.push_str("e.g. `oathtool --totp -b JBSWY3DPEHPK3PXP`. Emails go to the outbox folder in the data directory.\n");
    out
}
