//! `okienko bench-delivery`: messages accepted per second through the HTTP API, in both
//! directions (a person writing to an office, an office writing to a person), at several
//! connection counts, driven from this process against a server in another one: `okienko
//! demo` started as a child on a fresh data folder, or any seeded demo given by `--target`.

use super::wire::{self, Client};
use super::{percentile, DemoServer};
use clap::Args;
use std::time::{Duration, Instant};

#[derive(Args, Debug, Clone)]
pub struct DeliveryBenchArgs {
    /// Seconds per measurement.
    #[arg(long, default_value_t = 10)]
    pub seconds: u64,
    /// Connection counts to measure, each a closed loop (every connection sends its next
    /// message when the last one is accepted).
    #[arg(long, value_delimiter = ',', default_value = "16,64,256")]
    pub connections: Vec<usize>,
    /// The offered rate of the open-loop latency measurement, in messages per second.
    #[arg(long, default_value_t = 1000)]
    pub rate: u64,
    /// Drive this running, seeded demo (e.g. http://127.0.0.1:8080) instead of starting one;
    /// several instances on one database, comma-separated, take the messages in turn (as a
    /// load balancer would spread them).
    #[arg(long)]
    pub target: Option<String>,
    /// The started demo's database (e.g. a postgres:// URL); SQLite in a fresh folder if unset.
    #[arg(long)]
    pub database_url: Option<String>,
    /// Which way to send: `both` (a person to the office, then the office to a person, on
    /// the same growing database), `person` (only a person to the office) or `office` (only
    /// the office to a person).
    #[arg(long, default_value = "both", value_parser = ["both", "person", "office"])]
    pub direction: String,
    /// Messages put into a mailbox (through the API) whose listing is then measured; 0 skips.
    #[arg(long, default_value_t = 100_000)]
    pub mailbox_size: usize,
    /// The size of each message's PDF attachment in KiB (100 by default: a typical decision;
    /// smaller shows what the disk's bandwidth, not the server, allows).
    #[arg(long, default_value_t = 100)]
    pub attachment_kib: usize,
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
pub(crate) struct Sender {
    /// One per instance; message `i` goes to instance `i mod n`.
    clients: std::sync::Arc<Vec<Client>>,
    /// The whole request, written out once: each send copies it and writes its number into
    /// the subject and into the attachment, so every attachment is a new blob.
    template: std::sync::Arc<Vec<u8>>,
    /// Where the 16 hex digits of the number go: in the subject, in the attachment.
    marks: Vec<usize>,
    /// The status of an accepted request.
    ok: u16,
}

impl Sender {
    fn new(
        clients: &std::sync::Arc<Vec<Client>>,
        token: &str,
        (from, to): (&str, &str),
        text: &str,
        attachment: Option<&[u8]>,
    ) -> Self {
        // The multipart body is written out here rather than by reqwest's form builder, which
        // streams it in chunks: the load generator shares the 2 cores with the server, so it
        // should cost as little as it can.
        const BOUNDARY: &str = "okienko-bench-boundary-7f3a9c";
        const NUMBER: &str = "0000000000000000";
        let msg = serde_json::json!({"from": from, "to": [to], "subject": format!("Benchmark {NUMBER}"), "body": text});
        let mut body = format!(
            "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"message\"\r\n\r\n{msg}\r\n"
        )
        .into_bytes();
        let subject = body
            .windows(NUMBER.len())
            .position(|w| w == NUMBER.as_bytes())
            .unwrap_or(0);
        // After the attachment's "%PDF-1.4\n"; without one, the subject's place again.
        let mut unique = subject;
        if let Some(attachment) = attachment {
            body.extend_from_slice(format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"attachment\"; filename=\"zalacznik.pdf\"\r\nContent-Type: application/pdf\r\n\r\n").as_bytes());
            unique = body.len() + 9;
            body.extend_from_slice(attachment);
            body.extend_from_slice(b"\r\n");
        }
        body.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
        let auth = format!("Bearer {token}");
        let content_type = format!("multipart/form-data; boundary={BOUNDARY}");
        let request = wire::request(
            "POST",
            "/api/v1/messages",
            &[("Authorization", &auth), ("Content-Type", &content_type)],
            &body,
        );
        // The body's place in the request: after the head, which grew by the two headers.
        let shift = request.len() - body.len();
        Sender {
            clients: clients.clone(),
            template: std::sync::Arc::new(request),
            marks: vec![subject + shift, unique + shift],
            ok: 201,
        }
    }

    /// Any prepared request, answered with `ok` when accepted; the request's number goes
    /// wherever `0000000000000000` stands in it.
    pub(crate) fn raw(clients: &std::sync::Arc<Vec<Client>>, request: Vec<u8>, ok: u16) -> Self {
        const NUMBER: &[u8] = b"0000000000000000";
        let marks = request
            .windows(NUMBER.len())
            .enumerate()
            .filter(|(_, w)| *w == NUMBER)
            .map(|(i, _)| i)
            .collect();
        Sender {
            clients: clients.clone(),
            template: std::sync::Arc::new(request),
            marks,
            ok,
        }
    }

    async fn send(&self, i: u64) -> Option<Duration> {
        self.try_send(i).await.ok()
    }

    /// The latency of an accepted message, or the status it got instead (0: no answer).
    async fn try_send(&self, i: u64) -> Result<Duration, u16> {
        let mut request = self.template.to_vec();
        let number = format!("{i:016x}");
        for &at in &self.marks {
            request[at..at + 16].copy_from_slice(number.as_bytes());
        }
        let t = Instant::now();
        let client = &self.clients[(i % self.clients.len() as u64) as usize];
        match client.request(&request).await {
            Some((s, _)) if s == self.ok => Ok(t.elapsed()),
            Some((status, _)) => Err(status),
            None => Err(0),
        }
    }
}

/// Signs in through the API and returns the token and the first mailbox's address. Staff
/// sign in with the demo's TOTP secret; a code already used in this 30-second step (an earlier
/// run) is refused, so the next step is awaited then.
pub(crate) async fn sign_in(
    http: &reqwest::Client,
    base: &str,
    login: &str,
) -> anyhow::Result<(String, String)> {
    use okienko_domain::totp;
    let secret = totp::decode_secret(okienko_services::demo::TOTP_SECRET)
        .ok_or_else(|| anyhow::anyhow!("demo TOTP secret"))?;
    let mut token = None;
    for _ in 0..3 {
        #[allow(clippy::disallowed_methods)] // the load generator computes the demo's TOTP code
        let unix = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)?
            .as_secs();
        let body = serde_json::json!({"login": login, "password": okienko_services::demo::PASSWORD, "totp": totp::code_at(&secret, unix)});
        let r = http
            .post(format!("{base}/api/v1/auth/token"))
            .json(&body)
            .send()
            .await?;
        if r.status().is_success() {
            let v: serde_json::Value = r.json().await?;
            token = v["access_token"].as_str().map(str::to_string);
            break;
        }
        tokio::time::sleep(Duration::from_secs(30 - unix % 30 + 1)).await;
    }
    let token = token.ok_or_else(|| anyhow::anyhow!("{login} could not sign in"))?;
    let me: serde_json::Value = http
        .get(format!("{base}/api/v1/me"))
        .bearer_auth(&token)
        .send()
        .await?
        .json()
        .await?;
    let address = me["mailboxes"][0]["address"]
        .as_str()
        .ok_or_else(|| anyhow::anyhow!("{login} has no mailbox"))?
        .to_string();
    Ok((token, address))
}

/// Sends from `connections` connections for `seconds`, each sending its next message when the
/// last is accepted; returns the latencies of the accepted ones and the failures.
pub(crate) async fn closed_loop(
    sender: &Sender,
    connections: usize,
    seconds: u64,
    first: u64,
) -> anyhow::Result<(Vec<Duration>, String)> {
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let mut tasks = Vec::new();
    for w in 0..connections {
        let sender = sender.clone();
        tasks.push(tokio::spawn(async move {
            let (mut lat, mut failed) = (Vec::new(), std::collections::BTreeMap::new());
            let mut i = first + ((w as u64) << 32);
            while Instant::now() < deadline {
                match sender.try_send(i).await {
                    Ok(d) => lat.push(d),
                    Err(status) => *failed.entry(status).or_insert(0u64) += 1,
                }
                i += 1;
            }
            (lat, failed)
        }));
    }
    let (mut lat, mut failed) = (Vec::new(), std::collections::BTreeMap::new());
    for t in tasks {
        let (l, f) = t.await?;
        lat.extend(l);
        for (status, n) in f {
            *failed.entry(status).or_insert(0) += n;
        }
    }
    lat.sort();
    // "none", or each status that came instead of 201 with its count (0: no answer).
    let failed = if failed.is_empty() {
        "none".to_string()
    } else {
        let v: Vec<String> = failed.iter().map(|(s, n)| format!("{n} × {s}")).collect();
        v.join(", ")
    };
    Ok((lat, failed))
}

pub(crate) fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

pub async fn run_delivery(args: DeliveryBenchArgs) -> anyhow::Result<()> {
    let server = match &args.target {
        Some(_) => None,
        None => Some(DemoServer::start(args.database_url.as_deref()).await?),
    };
    let bases: Vec<String> = match (&args.target, &server) {
        (Some(t), _) => t
            .split(',')
            .map(|b| b.trim().trim_end_matches('/').to_string())
            .filter(|b| !b.is_empty())
            .collect(),
        (None, Some(s)) => vec![s.base.clone()],
        (None, None) => anyhow::bail!("no server"),
    };
    let base = bases
        .first()
        .cloned()
        .ok_or_else(|| anyhow::anyhow!("no target"))?;
    for b in &bases {
        super::wait_healthy(b).await?;
    }
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(1024)
        .build()?;
    let (jan, jan_box) = sign_in(&http, &base, "jan.kowalski@okienko.test").await?;
    let (anna, office_box) = sign_in(&http, &base, "anna.nowak@okienko.test").await?;
    let body = "Lorem ipsum dolor sit amet. ".repeat(370);
    let attachment = pdf_attachment(args.attachment_kib.max(1) * 1024);
    println!(
        "server {} ({}); load from this process (pid {}); {} cores; message: {} B body, one {} B PDF; evidence signed (ECDSA P-256) and logged",
        bases.join(" + "),
        server.as_ref().map(|s| format!("pid {}", s.pid)).unwrap_or_else(|| "given by --target".into()),
        std::process::id(),
        std::thread::available_parallelism().map(|n| n.get()).unwrap_or(0),
        body.len(),
        attachment.len()
    );
    let mut clients = Vec::new();
    for b in &bases {
        clients.push(Client::new(b).await?);
    }
    let client = std::sync::Arc::new(clients);
    let directions = [
        (
            "person -> office",
            Sender::new(
                &client,
                &jan,
                (&jan_box, &office_box),
                &body,
                Some(&attachment),
            ),
        ),
        (
            "office -> person",
            Sender::new(
                &client,
                &anna,
                (&office_box, &jan_box),
                &body,
                Some(&attachment),
            ),
        ),
    ];
    // Numbers differ per run so that every attachment is a new blob, even against --target.
    #[allow(clippy::disallowed_methods)] // only to make numbers differ between runs
    let mut first = (std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)?
        .as_secs()
        & 0xffff)
        << 48;
    let chosen = directions
        .iter()
        .filter(|(name, _)| match args.direction.as_str() {
            "person" => name.starts_with("person"),
            "office" => name.starts_with("office"),
            _ => true,
        });
    for (name, sender) in chosen {
        for &c in &args.connections {
            let cpu0 = server.as_ref().map(DemoServer::cpu_seconds);
            let load0 = super::cpu_seconds_of("self");
            let t0 = Instant::now();
            let (lat, failed) = closed_loop(sender, c, args.seconds, first).await?;
            first += 1 << 40;
            let secs = t0.elapsed().as_secs_f64();
            let per = |cpu: f64| cpu * 1e6 / lat.len().max(1) as f64;
            let load = per(super::cpu_seconds_of("self") - load0);
            let cpu = match (cpu0, &server) {
                (Some(c0), Some(s)) => format!(
                    "; CPU per message: server {:.0} µs, load {load:.0} µs",
                    per(s.cpu_seconds() - c0)
                ),
                _ => format!("; load CPU {load:.0} µs per message"),
            };
            println!(
                "{name}, {c:>3} connections: {:>6} accepted in {secs:.1} s = {:>5.0} msg/s; p50 {:.1} ms, p99 {:.1} ms (failed: {failed}){cpu}",
                lat.len(),
                lat.len() as f64 / secs,
                ms(percentile(&lat, 0.5)),
                ms(percentile(&lat, 0.99)),
            );
        }
        // A fixed offered rate, open loop: a message every 1/rate s whatever the answers.
        let mut tick =
            tokio::time::interval(Duration::from_secs_f64(1.0 / args.rate.max(1) as f64));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
        let end = Instant::now() + Duration::from_secs(args.seconds);
        let mut handles = Vec::new();
        while Instant::now() < end {
            tick.tick().await;
            let sender = sender.clone();
            first += 1;
            let i = first;
            handles.push(tokio::spawn(async move { sender.send(i).await }));
        }
        first += 1 << 40;
        let offered = handles.len();
        let mut lat = Vec::new();
        for h in handles {
            if let Some(d) = h.await? {
                lat.push(d);
            }
        }
        lat.sort();
        println!(
            "{name}, {} msg/s offered ({offered} sent): {} accepted; p50 {:.1} ms, p99 {:.1} ms",
            args.rate,
            lat.len(),
            ms(percentile(&lat, 0.5)),
            ms(percentile(&lat, 0.99)),
        );
    }

    if args.mailbox_size > 0 {
        // The office fills Maria's mailbox through the API (text only), then Maria lists it.
        let (maria, maria_box) = sign_in(&http, &base, "maria.wisniewska@okienko.test").await?;
        let filler = Sender::new(&client, &anna, (&office_box, &maria_box), "Pismo.", None);
        let t0 = Instant::now();
        let done = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let mut tasks = Vec::new();
        for w in 0..64u64 {
            let (filler, done, target) = (filler.clone(), done.clone(), args.mailbox_size);
            let start = first + (w << 32);
            tasks.push(tokio::spawn(async move {
                let mut i = start;
                while done.load(std::sync::atomic::Ordering::Relaxed) < target {
                    if filler.send(i).await.is_some() {
                        done.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    }
                    i += 1;
                }
            }));
        }
        for t in tasks {
            t.await?;
        }
        println!(
            "filled a mailbox with {} messages through the API in {:.1} s",
            done.load(std::sync::atomic::Ordering::Relaxed),
            t0.elapsed().as_secs_f64()
        );
        let deadline = Instant::now() + Duration::from_secs(args.seconds.min(5));
        let mut tasks = Vec::new();
        let auth = format!("Bearer {maria}");
        let list = std::sync::Arc::new(wire::request(
            "GET",
            &format!("/api/v1/mailboxes/{maria_box}/messages?limit=50"),
            &[("Authorization", &auth)],
            &[],
        ));
        for k in 0..16 {
            let (client, list) = (client.clone(), list.clone());
            tasks.push(tokio::spawn(async move {
                let mut lat = Vec::new();
                // Each listing client on one instance, in turn.
                let client = &client[k % client.len()];
                while Instant::now() < deadline {
                    let t = Instant::now();
                    if let Some((200, _)) = client.request(&list).await {
                        lat.push(t.elapsed());
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
            ms(percentile(&lat, 0.5)),
            ms(percentile(&lat, 0.99))
        );
    }
    if let Some(s) = server {
        if let Some(mib) = s.peak_rss_mib() {
            println!("server peak RSS: {mib:.1} MiB");
        }
        s.stop().await;
    }
    Ok(())
}
