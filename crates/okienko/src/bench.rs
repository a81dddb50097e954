//! `okienko bench`: starts `okienko demo` as a child process on a fresh data folder and
//! drives it over HTTP from this process, so the numbers include the whole stack.

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

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

/// CPU time (user and system) this process has used so far, from /proc (Linux).
fn cpu_seconds() -> f64 {
    std::fs::read_to_string("/proc/self/stat")
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

fn vm_hwm_kib(pid: u32) -> Option<u64> {
    let s = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    s.lines()
        .find(|l| l.starts_with("VmHWM:"))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}

pub async fn run(args: BenchArgs) -> anyhow::Result<()> {
    let data = std::env::temp_dir().join(format!("okienko-bench-{}", std::process::id()));
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
    if let Some(u) = &args.database_url {
        cmd.arg("--database-url").arg(u);
    }
    cmd.env("RUST_LOG", "warn")
        .stdout(std::process::Stdio::null())
        .kill_on_drop(true);
    let mut child = cmd.spawn()?;
    let pid = child.id().unwrap_or(0);
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(256)
        .build()?;
    let started = Instant::now();
    loop {
        if let Ok(r) = http.get(format!("{base}/healthz")).send().await {
            if r.status().is_success() {
                break;
            }
        }
        if started.elapsed() > Duration::from_secs(60) {
            anyhow::bail!("server did not start");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
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
    let _ = child.kill().await;
    let _ = std::fs::remove_dir_all(&data);
    Ok(())
}

#[derive(Args, Debug, Clone)]
pub struct TrustBenchArgs {
    /// Seconds per measurement.
    #[arg(long, default_value_t = 10)]
    pub seconds: u64,
    /// Concurrent callers.
    #[arg(long, default_value_t = 64)]
    pub concurrency: usize,
}

/// `okienko bench-trust`: signed-and-logged evidence documents per second (in process, on a
/// fresh SQLite data folder, through the batching evidence log) and time stamps per second
/// through `POST /tsa` over loopback HTTP.
pub async fn run_trust(args: TrustBenchArgs) -> anyhow::Result<()> {
    use std::sync::atomic::{AtomicU64, Ordering};
    use std::sync::Arc;
    let data = std::env::temp_dir().join(format!("okienko-bench-trust-{}", std::process::id()));
    let flags = crate::config::Flags {
        data: Some(data.clone()),
        listen: Some("127.0.0.1:0".into()),
        ..Default::default()
    };
    let s = crate::config::Settings::resolve(&flags)?;
    let services = crate::services(&s, Arc::new(okienko_services::SystemClock)).await?;
    okienko_services::demo::seed(&services)
        .await
        .map_err(|e| anyhow::anyhow!("seed: {e}"))?;
    let office = services.store.offices().await?.remove(0).id;
    let running = crate::start(&s, services.clone()).await?;
    let base = format!("http://{}", running.addr);
    println!("{} cores; evidence signed with the office seal (ECDSA P-256), enveloping CMS, appended to the log", std::thread::available_parallelism().map(|n| n.get()).unwrap_or(0));

    let done = Arc::new(AtomicU64::new(0));
    let deadline = Instant::now() + Duration::from_secs(args.seconds);
    let mut tasks = Vec::new();
    for w in 0..args.concurrency {
        let (svc, office, done) = (services.clone(), office.clone(), done.clone());
        tasks.push(tokio::spawn(async move {
            let mut lat = Vec::new();
            let mut i = 0u64;
            while Instant::now() < deadline {
                let doc = format!(
                    "{{\"type\":\"submission-acceptance\",\"id\":\"AE-{w}-{i}\",\"sender\":\"AE:PL-00000-00000-AAAAA-00\",\"recipient\":\"AE:PL-11111-11111-BBBBB-00\",\"sha256\":\"{:064}\"}}",
                    i
                );
                let t = Instant::now();
                if svc.issue_evidence(doc.into_bytes(), Some(&office)).await.is_ok() {
                    lat.push(t.elapsed());
                    done.fetch_add(1, Ordering::Relaxed);
                }
                i += 1;
            }
            lat
        }));
    }
    let t0 = Instant::now();
    let mut lat = Vec::new();
    for t in tasks {
        lat.extend(t.await?);
    }
    let secs = t0.elapsed().as_secs_f64();
    lat.sort();
    let n = done.load(Ordering::Relaxed);
    println!(
        "evidence: {n} signed and logged in {secs:.1} s with {} callers = {:.0}/s; p50 {:.2} ms, p99 {:.2} ms",
        args.concurrency,
        n as f64 / secs,
        percentile(&lat, 0.5).as_secs_f64() * 1000.0,
        percentile(&lat, 0.99).as_secs_f64() * 1000.0
    );
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let size = services.log.sth().await.map(|h| h.tree_size).unwrap_or(0);
    println!("signed tree head now covers {size} entries");

    let req = okienko_trust::tsa::request_der(b"benchmark")?;
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(256)
        .build()?;
    let done = Arc::new(AtomicU64::new(0));
    let deadline = Instant::now() + Duration::from_secs(args.seconds);
    let mut tasks = Vec::new();
    for _ in 0..args.concurrency {
        let (http, req, done, url) = (
            http.clone(),
            req.clone(),
            done.clone(),
            format!("{base}/tsa"),
        );
        tasks.push(tokio::spawn(async move {
            while Instant::now() < deadline {
                let r = http
                    .post(&url)
                    .header("content-type", "application/timestamp-query")
                    .body(req.clone())
                    .send()
                    .await;
                if let Ok(r) = r {
                    if r.status().is_success() && r.bytes().await.is_ok() {
                        done.fetch_add(1, Ordering::Relaxed);
                    }
                }
            }
        }));
    }
    let t0 = Instant::now();
    for t in tasks {
        t.await?;
    }
    let secs = t0.elapsed().as_secs_f64();
    let n = done.load(Ordering::Relaxed);
    println!(
        "time stamps: {n} through POST /tsa in {secs:.1} s with {} clients = {:.0}/s",
        args.concurrency,
        n as f64 / secs
    );
    if let Some(kib) = vm_hwm_kib(std::process::id()) {
        println!(
            "peak RSS (server and load in one process): {:.1} MiB",
            kib as f64 / 1024.0
        );
    }
    running.task.abort();
    let _ = std::fs::remove_dir_all(&data);
    Ok(())
}

#[derive(Args, Debug, Clone)]
pub struct DeliveryBenchArgs {
    /// Seconds per measurement.
    #[arg(long, default_value_t = 10)]
    pub seconds: u64,
    /// Concurrent senders for the throughput measurement (closed loop: each sends its next
    /// message when the last one is accepted). Throughput is bounded by how many messages
    /// share a commit, so fewer senders measure latency more than capacity.
    #[arg(long, default_value_t = 256)]
    pub concurrency: usize,
    /// Messages in the mailbox whose listing is measured.
    #[arg(long, default_value_t = 100_000)]
    pub mailbox_size: usize,
}

fn pdf_attachment(size: usize) -> Vec<u8> {
    let mut v = b"%PDF-1.4\n".to_vec();
    let mut x: u64 = 0x9E3779B97F4A7C15;
    while v.len() < size {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        v.push(b'a' + (x % 26) as u8);
    }
    v
}

/// One benchmark client's view: who sends what to whom.
#[derive(Clone)]
struct Sender {
    http: reqwest::Client,
    url: String,
    auth: String,
    content_type: String,
    /// The whole multipart body, written out once: each send copies it and writes its number
    /// into the subject and into the attachment, so every attachment is a new blob.
    template: std::sync::Arc<Vec<u8>>,
    /// Where the 16 hex digits of the number go: in the subject, in the attachment.
    marks: [usize; 2],
}

impl Sender {
    fn new(
        http: reqwest::Client,
        base: &str,
        token: &str,
        (from, to): (&str, &str),
        text: &str,
        attachment: &[u8],
    ) -> Self {
        // The multipart body is written out here rather than by reqwest's form builder, which
        // streams it in chunks: the load generator shares the 2 cores with the server, so it
        // should cost as little as it can.
        const BOUNDARY: &str = "okienko-bench-boundary-7f3a9c";
        const NUMBER: &str = "0000000000000000";
        let msg = serde_json::json!({"from": from, "to": [to], "subject": format!("Benchmark {NUMBER}"), "body": text});
        let mut body = format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"message\"\r\n\r\n{msg}\r\n--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"attachment\"; filename=\"zalacznik.pdf\"\r\nContent-Type: application/pdf\r\n\r\n").into_bytes();
        let subject = body
            .windows(NUMBER.len())
            .position(|w| w == NUMBER.as_bytes())
            .unwrap_or(0);
        // After the attachment's "%PDF-1.4\n".
        let unique = body.len() + 9;
        body.extend_from_slice(attachment);
        body.extend_from_slice(format!("\r\n--{BOUNDARY}--\r\n").as_bytes());
        Sender {
            http,
            url: format!("{base}/api/v1/messages"),
            auth: format!("Bearer {token}"),
            content_type: format!("multipart/form-data; boundary={BOUNDARY}"),
            template: std::sync::Arc::new(body),
            marks: [subject, unique],
        }
    }

    async fn send(&self, i: u64) -> Option<Duration> {
        let mut body = self.template.to_vec();
        let number = format!("{i:016x}");
        for at in self.marks {
            body[at..at + 16].copy_from_slice(number.as_bytes());
        }
        let t = Instant::now();
        match self
            .http
            .post(&self.url)
            .header("authorization", &self.auth)
            .header("content-type", &self.content_type)
            .body(body)
            .send()
            .await
        {
            Ok(r) if r.status().as_u16() == 201 => {
                let _ = r.bytes().await;
                Some(t.elapsed())
            }
            _ => None,
        }
    }
}

/// `okienko bench-delivery`: accepted messages per second through the HTTP API (10 KB body,
/// one 100 KB attachment, evidence signed and logged), latency at a fixed 1,000 msg/s, and
/// the latency of listing a mailbox that holds `--mailbox-size` messages. SQLite, in process.
pub async fn run_delivery(args: DeliveryBenchArgs) -> anyhow::Result<()> {
    use std::sync::Arc;
    let data = std::env::temp_dir().join(format!("okienko-bench-delivery-{}", std::process::id()));
    let flags = crate::config::Flags {
        data: Some(data.clone()),
        listen: Some("127.0.0.1:0".into()),
        ..Default::default()
    };
    let s = crate::config::Settings::resolve(&flags)?;
    let services = crate::services(&s, Arc::new(okienko_services::SystemClock)).await?;
    okienko_services::demo::seed(&services)
        .await
        .map_err(|e| anyhow::anyhow!("seed: {e}"))?;
    let running = crate::start(&s, services.clone()).await?;
    let base = format!("http://{}", running.addr);
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(512)
        .build()?;
    let login = |l: &'static str| {
        let (http, base) = (http.clone(), base.clone());
        async move {
            let v: serde_json::Value = http
                .post(format!("{base}/api/v1/auth/token"))
                .json(
                    &serde_json::json!({"login": l, "password": okienko_services::demo::PASSWORD}),
                )
                .send()
                .await?
                .json()
                .await?;
            let token = v["access_token"].as_str().unwrap_or_default().to_string();
            let me: serde_json::Value = http
                .get(format!("{base}/api/v1/me"))
                .bearer_auth(&token)
                .send()
                .await?
                .json()
                .await?;
            anyhow::Ok((
                token,
                me["mailboxes"][0]["address"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string(),
            ))
        }
    };
    let (jan, jan_box) = login("jan.kowalski@okienko.test").await?;
    let office = services.store.offices().await?.remove(0).id;
    let office_box = services
        .office_mailbox(&office)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?
        .address;
    let body = "Lorem ipsum dolor sit amet. ".repeat(370);
    let attachment = pdf_attachment(100 * 1024);
    println!("{} cores; message: {} B body, one {} B attachment; evidence signed (ECDSA P-256) and logged", std::thread::available_parallelism().map(|n| n.get()).unwrap_or(0), body.len(), attachment.len());
    let sender = Sender::new(
        http.clone(),
        &base,
        &jan,
        (&jan_box, &office_box),
        &body,
        &attachment,
    );

    // 1. Sustained throughput, closed loop.
    let deadline = Instant::now() + Duration::from_secs(args.seconds);
    let mut tasks = Vec::new();
    for w in 0..args.concurrency {
        let sender = sender.clone();
        tasks.push(tokio::spawn(async move {
            let mut lat = Vec::new();
            let mut i = (w as u64) << 32;
            while Instant::now() < deadline {
                if let Some(d) = sender.send(i).await {
                    lat.push(d);
                }
                i += 1;
            }
            lat
        }));
    }
    let t0 = Instant::now();
    let cpu0 = cpu_seconds();
    let mut lat = Vec::new();
    for t in tasks {
        lat.extend(t.await?);
    }
    let secs = t0.elapsed().as_secs_f64();
    let cpu = cpu_seconds() - cpu0;
    lat.sort();
    println!(
        "sustained: {} accepted in {secs:.1} s with {} senders = {:.0} msg/s; p50 {:.1} ms, p99 {:.1} ms; CPU {:.0} µs per message ({:.0} % of a core; server and load generator)",
        lat.len(),
        args.concurrency,
        lat.len() as f64 / secs,
        percentile(&lat, 0.5).as_secs_f64() * 1000.0,
        percentile(&lat, 0.99).as_secs_f64() * 1000.0,
        cpu * 1e6 / lat.len().max(1) as f64,
        cpu * 100.0 / secs,
    );

    // 2. A fixed offered rate of 1,000 msg/s, open loop.
    let mut tick = tokio::time::interval(Duration::from_millis(1));
    let end = Instant::now() + Duration::from_secs(args.seconds);
    let mut handles = Vec::new();
    let mut i = 1u64 << 48;
    while Instant::now() < end {
        tick.tick().await;
        let sender = sender.clone();
        i += 1;
        handles.push(tokio::spawn(async move { sender.send(i).await }));
    }
    let offered = handles.len();
    let mut lat = Vec::new();
    for h in handles {
        if let Some(d) = h.await? {
            lat.push(d);
        }
    }
    lat.sort();
    println!(
        "at 1,000 msg/s offered ({offered} sent): {} accepted; p50 {:.1} ms, p99 {:.1} ms",
        lat.len(),
        percentile(&lat, 0.5).as_secs_f64() * 1000.0,
        percentile(&lat, 0.99).as_secs_f64() * 1000.0
    );

    // 3. Listing a mailbox of `mailbox_size` messages (filled through the store directly).
    let (maria, maria_box) = login("maria.wisniewska@okienko.test").await?;
    let t0 = Instant::now();
    // In batches of 1,000 through the group-commit path.
    let mut batch = Vec::new();
    for chunk in 0..args.mailbox_size {
        let id = format!("bench-{chunk:08}");
        let at = 1_700_000_000_000 + chunk as i64;
        batch.push(okienko_store::NewMessage {
            message: okienko_store::Message {
                id: id.clone(),
                sender: office_box.clone(),
                sender_user_id: None,
                subject: format!("Pismo {chunk}"),
                body: String::new(),
                body_sha256: None,
                sent_at: at,
                idempotency_key: None,
                reply_to: None,
            },
            deliveries: vec![okienko_store::Delivery {
                message_id: id,
                recipient: maria_box.clone(),
                sent_at: at,
                delivered_at: at,
                opened_at: None,
                deemed_at: None,
                deemable: true,
            }],
            attachments: vec![],
            evidence: vec![],
            letters: vec![],
        });
        if batch.len() == 1000 || chunk + 1 == args.mailbox_size {
            for r in services.store.insert_messages(&[], &batch).await? {
                r?;
            }
            batch.clear();
        }
    }
    println!(
        "filled a mailbox with {} messages in {:.1} s",
        args.mailbox_size,
        t0.elapsed().as_secs_f64()
    );
    let deadline = Instant::now() + Duration::from_secs(args.seconds.min(5));
    let mut tasks = Vec::new();
    for _ in 0..16 {
        let (http, url, token) = (
            http.clone(),
            format!("{base}/api/v1/mailboxes/{maria_box}/messages?limit=50"),
            maria.clone(),
        );
        tasks.push(tokio::spawn(async move {
            let mut lat = Vec::new();
            while Instant::now() < deadline {
                let t = Instant::now();
                if let Ok(r) = http.get(&url).bearer_auth(&token).send().await {
                    if r.status().is_success() && r.bytes().await.is_ok() {
                        lat.push(t.elapsed());
                    }
                }
            }
            lat
        }));
    }
    let mut lat = Vec::new();
    for t in tasks {
        lat.extend(t.await?);
    }
    lat.sort();
    println!(
        "listing 50 of {} messages, 16 clients: {} requests; p50 {:.2} ms, p99 {:.2} ms",
        args.mailbox_size,
        lat.len(),
        percentile(&lat, 0.5).as_secs_f64() * 1000.0,
        percentile(&lat, 0.99).as_secs_f64() * 1000.0
    );
    if let Some(kib) = vm_hwm_kib(std::process::id()) {
        println!(
            "peak RSS (server and load in one process): {:.1} MiB",
            kib as f64 / 1024.0
        );
    }
    running.task.abort();
    let _ = std::fs::remove_dir_all(&data);
    Ok(())
}
