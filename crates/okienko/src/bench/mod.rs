//! `okienko bench`: starts `okienko demo` as a child process on a fresh data folder and
//! drives it over HTTP from this process, so the numbers include the whole stack.

pub mod appointments;
pub mod cases;
pub mod delivery;
pub mod forms;
pub mod proxy;
pub mod trust;
mod wire;

pub use appointments::{run_appointments, AppointmentsBenchArgs};
pub use cases::{run_cases, CasesBenchArgs};
pub use delivery::{run_delivery, DeliveryBenchArgs};
pub use forms::{run_forms, FormsBenchArgs};
pub use proxy::{run_proxy, ProxyArgs};
pub use trust::{run_trust, TrustBenchArgs};

use clap::Args;
use std::time::{Duration, Instant};

#[derive(Args, Debug, Clone)]
pub struct BenchArgs {
    /// Seconds per measurement.
    #[arg(long, default_value_t = 10)]
    pub seconds: u64,
    /// Concurrent clients for the sign-in measurement.
    #[arg(long, default_value_t = 8)]
    pub login_clients: usize,
    /// Concurrent clients for the page measurement.
    #[arg(long, default_value_t = 100)]
    pub page_clients: usize,
    /// Use this database instead of SQLite in a fresh folder (e.g. a postgres:// URL).
    #[arg(long)]
    pub database_url: Option<String>,
}

pub(crate) fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

/// CPU time (user and system) a process (`self` or a pid) has used so far, from /proc (Linux).
pub(crate) fn cpu_seconds_of(pid: &str) -> f64 {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .ok()
        .and_then(|s| {
            // Fields after the command name, which is in parentheses and may hold spaces.
            let rest = s.rsplit_once(')')?.1.split_whitespace().collect::<Vec<_>>();
            let ticks: f64 =
                rest.get(11)?.parse::<f64>().ok()? + rest.get(12)?.parse::<f64>().ok()?;
            Some(ticks / 100.0)
        })
        .unwrap_or(0.0)
}

pub(crate) fn vm_hwm_kib(pid: u32) -> Option<u64> {
    let s = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    s.lines()
        .find(|l| l.starts_with("VmHWM:"))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}

/// `okienko demo` started as a child process on a fresh data folder, so that a benchmark's
/// load runs in another process than the server it measures.
pub(crate) struct DemoServer {
    pub base: String,
    pub pid: u32,
    child: tokio::process::Child,
    data: std::path::PathBuf,
    database_url: Option<String>,
    /// The data folder stays after the run.
    kept: bool,
}

impl DemoServer {
    /// On a fresh data folder, or on the one `OKIENKO_BENCH_DATA` names, which is kept
    /// afterwards (a benchmark run again on what an earlier run loaded: `--cases 0
    /// --messages 0`).
    pub async fn start(database_url: Option<&str>) -> anyhow::Result<Self> {
        let kept = std::env::var_os("OKIENKO_BENCH_DATA").map(std::path::PathBuf::from);
        let data = kept.clone().unwrap_or_else(|| {
            std::env::temp_dir().join(format!("okienko-bench-{}", std::process::id()))
        });
        let port = std::net::TcpListener::bind("127.0.0.1:0")?
            .local_addr()?
            .port();
        let base = format!("http://127.0.0.1:{port}");
        let mut cmd = tokio::process::Command::new(std::env::current_exe()?);
        cmd.arg("demo")
            .arg("--data")
            .arg(&data)
            .arg("--listen")
            .arg(format!("127.0.0.1:{port}"));
        if let Some(u) = database_url {
            cmd.arg("--database-url").arg(u);
        }
        cmd.env("RUST_LOG", "warn")
            .stdout(std::process::Stdio::piped())
            .kill_on_drop(true);
        let mut child = cmd.spawn()?;
        let stdout = child.stdout.take();
        let pid = child.id().unwrap_or(0);
        let server = DemoServer {
            base,
            pid,
            child,
            data,
            database_url: database_url.map(str::to_string),
            kept: kept.is_some(),
        };
        wait_healthy(&server.base).await?;
        if let Some(out) = stdout {
            wait_seeded(out, &server.base).await?;
        }
        Ok(server)
    }

    /// The database the server uses.
    pub fn database_url(&self) -> String {
        self.database_url.clone().unwrap_or_else(|| {
            format!(
                "sqlite://{}?mode=rwc",
                self.data.join("okienko.db").display()
            )
        })
    }

    /// CPU seconds the server has used so far.
    pub fn cpu_seconds(&self) -> f64 {
        cpu_seconds_of(&self.pid.to_string())
    }

    pub fn peak_rss_mib(&self) -> Option<f64> {
        vm_hwm_kib(self.pid).map(|k| k as f64 / 1024.0)
    }

    pub async fn stop(mut self) {
        let _ = self.child.kill().await;
        if !self.kept {
            let _ = std::fs::remove_dir_all(&self.data);
        }
    }
}

/// Waits up to two minutes for the demo to say it is ready (its accounts, with `base`, are
/// printed once the showcase is seeded: a benchmark's own setup then never races it), then
/// keeps reading what it prints so that it never blocks on a full pipe.
async fn wait_seeded(out: tokio::process::ChildStdout, base: &str) -> anyhow::Result<()> {
    use tokio::io::AsyncBufReadExt;
    let mut lines = tokio::io::BufReader::new(out).lines();
    let ready = tokio::time::timeout(Duration::from_secs(120), async {
        while let Some(line) = lines.next_line().await? {
            if line.contains(base) {
                return Ok::<bool, std::io::Error>(true);
            }
        }
        Ok(false)
    })
    .await;
    match ready {
        Ok(Ok(true)) => {
            tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
            Ok(())
        }
        Ok(Ok(false)) => anyhow::bail!("the demo at {base} ended before it was seeded"),
        Ok(Err(e)) => Err(e.into()),
        Err(_) => anyhow::bail!("the demo at {base} was not seeded within two minutes"),
    }
}

/// Waits up to a minute for `base`'s `/healthz` to answer 200.
pub(crate) async fn wait_healthy(base: &str) -> anyhow::Result<()> {
    let http = reqwest::Client::new();
    let started = Instant::now();
    loop {
        if let Ok(r) = http.get(format!("{base}/healthz")).send().await {
            if r.status().is_success() {
                return Ok(());
            }
        }
        if started.elapsed() > Duration::from_secs(60) {
            anyhow::bail!("server at {base} did not answer /healthz");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

pub async fn run(args: BenchArgs) -> anyhow::Result<()> {
    let server = DemoServer::start(args.database_url.as_deref()).await?;
    let (base, pid) = (server.base.clone(), server.pid);
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(256)
        .build()?;
    println!(
        "server pid {pid} at {base}, {} cores",
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(0)
    );
    println!(
        "argon2id m={} KiB t={} p={}",
        okienko_services::passwords::MEMORY_KIB,
        okienko_services::passwords::ITERATIONS,
        okienko_services::passwords::PARALLELISM
    );

    // 1. Sign-ins through the API, citizens in rotation (staff codes are single-use per 30 s).
    let logins = [
        "jan.kowalski@okienko.test",
        "maria.wisniewska@okienko.test",
        "milan.petrovic@okienko.test",
        "firma@okienko.test",
    ];
    let deadline = Instant::now() + Duration::from_secs(args.seconds);
    let mut tasks = Vec::new();
    for i in 0..args.login_clients {
        let http = http.clone();
        let url = format!("{base}/api/v1/auth/token");
        let login = logins[i % logins.len()].to_string();
        tasks.push(tokio::spawn(async move {
            let (mut ok, mut bad) = (0u64, 0u64);
            while Instant::now() < deadline {
                let body = serde_json::json!({"login": login, "password": okienko_services::demo::PASSWORD});
                match http.post(&url).json(&body).send().await {
                    Ok(r) if r.status().is_success() => ok += 1,
                    _ => bad += 1,
                }
            }
            (ok, bad)
        }));
    }
    let t0 = Instant::now();
    let (mut ok, mut bad) = (0, 0);
    for t in tasks {
        let (o, b) = t.await?;
        ok += o;
        bad += b;
    }
    let secs = t0.elapsed().as_secs_f64();
    println!(
        "sign-ins: {ok} in {secs:.1} s with {} clients = {:.1}/s = {:.0}/hour ({bad} failed)",
        args.login_clients,
        ok as f64 / secs,
        ok as f64 / secs * 3600.0
    );

    // 2. An authenticated HTML page (/account) with 100 concurrent clients.
    let browser = reqwest::Client::builder()
        .cookie_store(true)
        .pool_max_idle_per_host(256)
        .build()?;
    let login_page = browser
        .get(format!("{base}/login"))
        .send()
        .await?
        .text()
        .await?;
    let csrf = login_page
        .split("name=\"csrf\" value=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .ok_or_else(|| anyhow::anyhow!("no CSRF token on the sign-in page"))?
        .to_string();
    let r = browser
        .post(format!("{base}/login"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("login", logins[0]),
            ("password", okienko_services::demo::PASSWORD),
        ])
        .send()
        .await?;
    anyhow::ensure!(
        r.status().is_success(),
        "web sign-in failed: {}",
        r.status()
    );
    let check = browser
        .get(format!("{base}/account"))
        .send()
        .await?
        .text()
        .await?;
    anyhow::ensure!(check.contains("Jan Kowalski"), "not signed in");
    let deadline = Instant::now() + Duration::from_secs(args.seconds);
    let mut tasks = Vec::new();
    for _ in 0..args.page_clients {
        let b = browser.clone();
        let url = format!("{base}/account");
        tasks.push(tokio::spawn(async move {
            let mut lat = Vec::new();
            let mut errors = 0u64;
            while Instant::now() < deadline {
                let t = Instant::now();
                match b.get(&url).send().await {
                    Ok(r) if r.status().is_success() => {
                        let _ = r.bytes().await;
                        lat.push(t.elapsed());
                    }
                    _ => errors += 1,
                }
            }
            (lat, errors)
        }));
    }
    let t0 = Instant::now();
    let mut all = Vec::new();
    let mut errors = 0;
    for t in tasks {
        let (l, e) = t.await?;
        all.extend(l);
        errors += e;
    }
    let secs = t0.elapsed().as_secs_f64();
    all.sort();
    println!(
        "GET /account, {} clients: {} requests in {secs:.1} s = {:.0}/s; p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms ({errors} errors)",
        args.page_clients,
        all.len(),
        all.len() as f64 / secs,
        percentile(&all, 0.50).as_secs_f64() * 1000.0,
        percentile(&all, 0.99).as_secs_f64() * 1000.0,
        all.last().copied().unwrap_or_default().as_secs_f64() * 1000.0,
    );
    if let Some(kib) = vm_hwm_kib(pid) {
        println!("server peak RSS: {:.1} MiB", kib as f64 / 1024.0);
    }
    server.stop().await;
    Ok(())
}
