//! `okienko bench-cases`: case management measured from outside over HTTP against `okienko
//! demo` in another process: cases opened per second with their signatures numbered in the
//! database (one department, class and year: every opening takes the same number row, the
//! hardest case), then the department's open-case list by deadline once the database holds a
//! million cases (loaded straight into the database with one statement per 100,000 rows, as a
//! large office's history would be migrated; the measured requests go through the server).

use super::delivery::{closed_loop, ms, sign_in, Sender};
use super::wire::{self, Client};
use super::{percentile, DemoServer};
use clap::Args;
use std::time::Instant;

#[derive(Args, Debug, Clone)]
pub struct CasesBenchArgs {
    /// Seconds per measurement.
    #[arg(long, default_value_t = 10)]
    pub seconds: u64,
    /// Connection counts for opening cases (closed loops).
    #[arg(long, value_delimiter = ',', default_value = "16,64")]
    pub connections: Vec<usize>,
    /// Connection counts for the list.
    #[arg(long, value_delimiter = ',', default_value = "1,16,64")]
    pub list_connections: Vec<usize>,
    /// Cases in the database before the list is measured.
    #[arg(long, default_value_t = 1_000_000)]
    pub cases: u64,
    /// The started demo's database (e.g. a postgres:// URL); SQLite in a fresh folder if unset.
    #[arg(long)]
    pub database_url: Option<String>,
}

/// Adds `n` cases to the office's two departments straight into the database: half each,
/// 60 % open, 10 % suspended, 30 % closed, deadlines spread over two years.
async fn load(url: &str, office: &str, n: u64) -> anyhow::Result<()> {
    let store = okienko_store::open(url).await?;
    let pool = store.raw_pool();
    let pg = url.starts_with("postgres");
    let row = sqlx::query_scalar::<_, String>;
    let or: String = row("SELECT id FROM departments WHERE office_id = $1 AND code = 'OR'")
        .bind(office)
        .fetch_one(pool)
        .await?;
    let gk: String = row("SELECT id FROM departments WHERE office_id = $1 AND code = 'GK'")
        .bind(office)
        .fetch_one(pool)
        .await?;
    let user: String = row("SELECT id FROM users WHERE email = 'anna.nowak@okienko.test'")
        .fetch_one(pool)
        .await?;
    let columns = "id, office_id, department_id, jrwa, number, year, signature, title, party_user_id, party_name, \
        handler_id, status, term, started_on, excluded_days, suspended_on, deadline, register_entry_id, \
        created_by, created_at, closed_at";
    // The two engines write a series of numbers and a date differently; the rest is the same.
    let (series, deadline, text) = if pg {
        (
            "generate_series(CAST($1 AS BIGINT), CAST($2 AS BIGINT)) AS s(i)",
            "to_char(DATE '2026-01-01' + CAST(i % 730 AS INTEGER), 'YYYY-MM-DD')",
            "CAST(i AS TEXT)",
        )
    } else {
        (
            "(WITH RECURSIVE s(i) AS (SELECT $1 UNION ALL SELECT i + 1 FROM s WHERE i < $2) SELECT i FROM s) AS s",
            "date('2026-01-01', '+' || (i % 730) || ' days')",
            "i",
        )
    };
    let sql = format!(
        "INSERT INTO cases ({columns}) SELECT 'bench-' || {text}, $3, \
           CASE WHEN i % 2 = 0 THEN $4 ELSE $5 END, '6220', i, 2025, \
           CASE WHEN i % 2 = 0 THEN 'OR' ELSE 'GK' END || '.6220.' || {text} || '.2025', \
           'Zajęcie pasa drogowego nr ' || {text}, NULL, 'Strona ' || {text}, NULL, \
           CASE WHEN i % 10 = 0 THEN 'suspended' WHEN i % 10 < 4 THEN 'closed' ELSE 'open' END, \
           'month', '2025-12-01', 0, NULL, {deadline}, NULL, $6, 0, NULL FROM {series}"
    );
    let started = Instant::now();
    let mut done = 0u64;
    while done < n {
        let k = (n - done).min(100_000);
        sqlx::query(&sql)
            .bind((done + 1) as i64)
            .bind((done + k) as i64)
            .bind(office)
            .bind(&or)
            .bind(&gk)
            .bind(&user)
            .execute(pool)
            .await?;
        done += k;
    }
    sqlx::query(if pg { "ANALYZE cases" } else { "ANALYZE" })
        .execute(pool)
        .await?;
    println!(
        "loaded {n} cases into the database in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    pool.close().await;
    Ok(())
}

pub async fn run_cases(args: CasesBenchArgs) -> anyhow::Result<()> {
    let server = DemoServer::start(args.database_url.as_deref()).await?;
    let base = server.base.clone();
    let http = reqwest::Client::new();
    println!(
        "server pid {} at {base}; load from this process (pid {}); {} cores; {}",
        server.pid,
        std::process::id(),
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(0),
        if args.database_url.is_some() {
            "PostgreSQL"
        } else {
            "SQLite"
        }
    );
    let (anna, _) = sign_in(&http, &base, "anna.nowak@okienko.test").await?;
    let client = std::sync::Arc::new(vec![Client::new(&base).await?]);
    let auth = format!("Bearer {anna}");

    // 1. Cases opened, each numbered in the commit that stores it.
    let body = br#"{"department":"OR","jrwa":"530","title":"Zameldowanie 0000000000000000"}"#;
    let request = wire::request(
        "POST",
        "/api/v1/cases",
        &[
            ("Authorization", &auth),
            ("Content-Type", "application/json"),
        ],
        body,
    );
    let open = Sender::raw(&client, request, 201);
    let mut first = 1u64 << 48;
    let mut opened = 0usize;
    for &c in &args.connections {
        let cpu0 = server.cpu_seconds();
        let t = Instant::now();
        let (lat, failed) = closed_loop(&open, c, args.seconds, first).await?;
        first += 1 << 40;
        opened += lat.len();
        println!(
            "cases opened, {c:>3} connections: {:>6} in {:.1} s = {:>5.0}/s; p50 {:.1} ms, p99 {:.1} ms (failed: {failed}); server CPU {:.0} µs each",
            lat.len(),
            t.elapsed().as_secs_f64(),
            lat.len() as f64 / t.elapsed().as_secs_f64(),
            ms(percentile(&lat, 0.5)),
            ms(percentile(&lat, 0.99)),
            (server.cpu_seconds() - cpu0) * 1e6 / lat.len().max(1) as f64,
        );
    }
    // Every number of the class given once, none skipped.
    let v: serde_json::Value = http
        .get(format!("{base}/api/v1/cases?limit=1"))
        .bearer_auth(&anna)
        .send()
        .await?
        .json()
        .await?;
    anyhow::ensure!(v["items"].is_array(), "list: {v}");

    // 2. The department's list with a million cases.
    let office: String = {
        let store = okienko_store::open(&server.database_url()).await?;
        let id = sqlx::query_scalar::<_, String>(
            "SELECT office_id FROM departments WHERE code = 'OR' LIMIT 1",
        )
        .fetch_one(store.raw_pool())
        .await?;
        store.raw_pool().close().await;
        id
    };
    load(&server.database_url(), &office, args.cases).await?;
    let pages = [
        (
            "the first page",
            "/api/v1/cases?limit=50&sort=deadline".to_string(),
        ),
        (
            "a page in the middle",
            "/api/v1/cases?limit=50&cursor=2026-12-31~bench-5".to_string(),
        ),
    ];
    for (what, path) in pages {
        let request = wire::request("GET", &path, &[("Authorization", &auth)], &[]);
        let list = Sender::raw(&client, request, 200);
        for &c in &args.list_connections {
            let t = Instant::now();
            let (lat, failed) = closed_loop(&list, c, args.seconds.min(5), 0).await?;
            println!(
                "open cases of a department by deadline, {what}, {} cases in the database, {c:>3} connections: {:>5.0}/s; p50 {:.2} ms, p99 {:.2} ms (failed: {failed})",
                args.cases as usize + opened,
                lat.len() as f64 / t.elapsed().as_secs_f64(),
                ms(percentile(&lat, 0.5)),
                ms(percentile(&lat, 0.99)),
            );
        }
    }
    if let Some(mib) = server.peak_rss_mib() {
        println!("server peak RSS: {mib:.1} MiB");
    }
    server.stop().await;
    Ok(())
}
