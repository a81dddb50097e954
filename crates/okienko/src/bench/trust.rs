//! `okienko bench-trust`.

use super::{percentile, vm_hwm_kib};
use clap::Args;
use std::time::{Duration, Instant};

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
