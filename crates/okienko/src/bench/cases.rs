//! `okienko bench-cases`: case management measured from outside over HTTP against `okienko
//! demo` in another process: cases opened per second with their signatures numbered in the
//! database (one department, class and year: every opening takes the same number row, the
//! hardest case), then the department's open-case list by deadline once the database holds a
//! million cases (loaded straight into the database with one statement per 100,000 rows, as a
//! large office's history would be migrated; the measured requests go through the server),
//! then full-text searches over those cases and in an office mailbox of a million messages
//! (their search words put into the index by the store's own code, `okienko_store::search`).

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
    /// Messages in the office's mailbox before its search is measured.
    #[arg(long, default_value_t = 1_000_000)]
    pub messages: u64,
    /// The started demo's database (e.g. a postgres:// URL); SQLite in a fresh folder if unset.
    #[arg(long)]
    pub database_url: Option<String>,
}

/// What the loaded cases are about, and who they are for: case `i` has title
/// `TITLES[i % 8] nr i` and party `NAMES[i / 16 % 8] SURNAMES[i % 16]`.
const TITLES: [&str; 8] = [
    "Zajęcie pasa drogowego",
    "Wycinka drzew",
    "Zezwolenie na sprzedaż alkoholu",
    "Dowód osobisty",
    "Zameldowanie na pobyt stały",
    "Decyzja o warunkach zabudowy",
    "Podatek od nieruchomości",
    "Dodatek mieszkaniowy",
];
const SURNAMES: [&str; 16] = [
    "Kowalski",
    "Nowak",
    "Wiśniewski",
    "Wójcik",
    "Kowalczyk",
    "Kamiński",
    "Lewandowski",
    "Zieliński",
    "Szymański",
    "Woźniak",
    "Dąbrowski",
    "Kozłowski",
    "Jankowski",
    "Mazur",
    "Kwiatkowski",
    "Krawczyk",
];
const NAMES: [&str; 8] = [
    "Jan",
    "Anna",
    "Piotr",
    "Maria",
    "Tomasz",
    "Katarzyna",
    "Paweł",
    "Małgorzata",
];

/// `CASE {expr} WHEN 0 THEN 'a' WHEN 1 THEN 'b' … END`.
fn pick(expr: &str, words: &[&str]) -> String {
    let arms: Vec<String> = words
        .iter()
        .enumerate()
        .map(|(k, w)| format!("WHEN {k} THEN '{w}'"))
        .collect();
    format!("CASE {expr} {} END", arms.join(" "))
}

/// Adds `n` cases to the office's two departments straight into the database: half each,
/// 60 % open, 10 % suspended, 30 % closed, deadlines spread over two years; then their search
/// words, made by the store's own code. Answers how many cases the office has now.
async fn load(url: &str, office: &str, n: u64) -> anyhow::Result<i64> {
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
           {title} || ' nr ' || {text}, NULL, {name} || ' ' || {surname}, NULL, \
           CASE WHEN i % 10 = 0 THEN 'suspended' WHEN i % 10 < 4 THEN 'closed' ELSE 'open' END, \
           'month', '2025-12-01', 0, NULL, {deadline}, NULL, $6, i, NULL FROM {series}",
        title = pick("i % 8", &TITLES),
        name = pick("(i / 16) % 8", &NAMES),
        surname = pick("i % 16", &SURNAMES),
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
    let loaded = started.elapsed().as_secs_f64();
    let started = Instant::now();
    for first in (1..=n).step_by(10_000) {
        let items: Vec<okienko_store::SearchItem> = (first..(first + 10_000).min(n + 1))
            .map(|i| {
                let unit = if i % 2 == 0 { "OR" } else { "GK" };
                okienko_store::search::case_item(&okienko_store::Case {
                    id: format!("bench-{i}"),
                    office_id: office.to_string(),
                    department_id: if i % 2 == 0 { or.clone() } else { gk.clone() },
                    signature: format!("{unit}.6220.{i}.2025"),
                    title: format!("{} nr {i}", TITLES[(i % 8) as usize]),
                    party_name: format!(
                        "{} {}",
                        NAMES[((i / 16) % 8) as usize],
                        SURNAMES[(i % 16) as usize]
                    ),
                    created_at: i as i64,
                    ..Default::default()
                })
            })
            .collect();
        store.index_items(&items).await?;
    }
    let indexed = started.elapsed().as_secs_f64();
    settle(pool, &store, pg, &["cases", "search_words", "search_items"]).await?;
    println!(
        "loaded {n} cases into the database in {loaded:.1} s, their search words in {indexed:.1} s"
    );
    let count = sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM cases WHERE office_id = $1")
        .bind(office)
        .fetch_one(pool)
        .await?;
    pool.close().await;
    Ok(count)
}

/// After a load from outside the server, what a running installation does by itself: on
/// SQLite the WAL folded back into the file (as the server does with what it writes) and the
/// statistics brought up to date the way the store does it; on PostgreSQL what autovacuum does
/// after a bulk load (the statistics, and the visibility map that lets the index be read
/// without the table), done here because a machine may run with autovacuum off, as this
/// one does. A server planning a million rows with the statistics of a thousand is not what
/// is measured.
async fn settle(
    pool: &sqlx::AnyPool,
    store: &okienko_store::SqlStore,
    pg: bool,
    tables: &[&str],
) -> anyhow::Result<()> {
    if pg {
        for t in tables {
            sqlx::query(&format!("VACUUM ANALYZE {t}"))
                .execute(pool)
                .await?;
        }
    } else {
        sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
            .execute(pool)
            .await?;
        store.analyze().await?;
    }
    Ok(())
}

/// What the loaded messages are about: message `i` has subject `SUBJECTS[i % 8] nr i`.
const SUBJECTS: [&str; 8] = [
    "Wniosek o wydanie zaświadczenia",
    "Odwołanie od decyzji",
    "Skarga na działanie urzędu",
    "Wniosek o udostępnienie informacji publicznej",
    "Pismo w sprawie podatku",
    "Zgłoszenie wycinki drzew",
    "Wniosek o dodatek mieszkaniowy",
    "Uzupełnienie braków formalnych",
];

/// Adds `n` messages from one person to the office's mailbox straight into the database, a
/// minute apart, with their search words in the office mailbox's scope (made by the store's
/// own code). Answers how many messages the mailbox has now.
async fn load_mailbox(url: &str, office_box: &str, sender: &str, n: u64) -> anyhow::Result<i64> {
    let store = okienko_store::open(url).await?;
    let pool = store.raw_pool();
    let pg = url.starts_with("postgres");
    // Ids in the order they were sent, as okienko's own (time-ordered) ids are.
    let (series, text, id) = if pg {
        (
            "generate_series(CAST($1 AS BIGINT), CAST($2 AS BIGINT)) AS s(i)",
            "CAST(i AS TEXT)",
            "lpad(CAST(i AS TEXT), 8, '0')",
        )
    } else {
        (
            "(WITH RECURSIVE s(i) AS (SELECT $1 UNION ALL SELECT i + 1 FROM s WHERE i < $2) SELECT i FROM s) AS s",
            "i",
            "printf('%08d', i)",
        )
    };
    let subject = pick("i % 8", &SUBJECTS);
    let messages = format!(
        "INSERT INTO messages (id, sender, sender_user_id, subject, body, sent_at, idempotency_key, reply_to, thread_id) \
         SELECT 'bench-m-' || {id}, $3, NULL, {subject} || ' nr ' || {text}, 'Treść', 1700000000000 + i * 60000, NULL, NULL, \
         'bench-m-' || {id} FROM {series}"
    );
    let deliveries = format!(
        "INSERT INTO deliveries (message_id, recipient, sent_at, delivered_at, opened_at, deemed_at, deemable) \
         SELECT 'bench-m-' || {id}, $3, 1700000000000 + i * 60000, 1700000000000 + i * 60000, NULL, NULL, 0 FROM {series}"
    );
    let started = Instant::now();
    let mut done = 0u64;
    while done < n {
        let k = (n - done).min(100_000);
        for (sql, who) in [(&messages, sender), (&deliveries, office_box)] {
            sqlx::query(sql)
                .bind((done + 1) as i64)
                .bind((done + k) as i64)
                .bind(who)
                .execute(pool)
                .await?;
        }
        done += k;
    }
    let loaded = started.elapsed().as_secs_f64();
    let started = Instant::now();
    for first in (1..=n).step_by(10_000) {
        let items: Vec<okienko_store::SearchItem> = (first..(first + 10_000).min(n + 1))
            .map(|i| {
                let at = 1_700_000_000_000 + i as i64 * 60_000;
                let m = okienko_store::Message {
                    id: format!("bench-m-{i:08}"),
                    sender: sender.to_string(),
                    subject: format!("{} nr {i}", SUBJECTS[(i % 8) as usize]),
                    sent_at: at,
                    ..Default::default()
                };
                okienko_store::search::message_item(&m, office_box, at, "Jan Kowalski")
            })
            .collect();
        store.index_items(&items).await?;
    }
    let indexed = started.elapsed().as_secs_f64();
    settle(
        pool,
        &store,
        pg,
        &["messages", "deliveries", "search_words", "search_items"],
    )
    .await?;
    println!("loaded {n} messages into the office's mailbox in {loaded:.1} s, their search words in {indexed:.1} s");
    let count =
        sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM deliveries WHERE recipient = $1")
            .bind(office_box)
            .fetch_one(pool)
            .await?;
    pool.close().await;
    Ok(count)
}

/// Measures GET requests (each must answer 200) at each connection count.
async fn measure_gets(
    server: &DemoServer,
    client: &std::sync::Arc<Vec<Client>>,
    auth: &str,
    what: &str,
    path: &str,
    connections: &[usize],
    seconds: u64,
) -> anyhow::Result<()> {
    let request = wire::request("GET", path, &[("Authorization", auth)], &[]);
    let sender = Sender::raw(client, request, 200);
    for &c in connections {
        let cpu0 = server.cpu_seconds();
        let t = Instant::now();
        let (lat, failed) = closed_loop(&sender, c, seconds, 0).await?;
        println!(
            "{what}, {c:>3} connections: {:>5.0}/s; p50 {:.2} ms, p99 {:.2} ms (failed: {failed}); server CPU {:.0} µs each",
            lat.len() as f64 / t.elapsed().as_secs_f64(),
            ms(percentile(&lat, 0.5)),
            ms(percentile(&lat, 0.99)),
            (server.cpu_seconds() - cpu0) * 1e6 / lat.len().max(1) as f64,
        );
    }
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
        if server.database_url().starts_with("postgres") {
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
    for &c in &args.connections {
        let cpu0 = server.cpu_seconds();
        let t = Instant::now();
        let (lat, failed) = closed_loop(&open, c, args.seconds, first).await?;
        first += 1 << 40;
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
    let in_db = load(&server.database_url(), &office, args.cases).await?;
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
        let what = format!(
            "open cases of a department by deadline, {what}, {in_db} cases in the database"
        );
        measure_gets(
            &server,
            &client,
            &auth,
            &what,
            &path,
            &args.list_connections,
            args.seconds.min(5),
        )
        .await?;
    }

    // 3. Full-text search over the cases (the official's departments).
    // Case `i` (even: the official's department, OR) is for Jan Kowalski when i % 16 = 0;
    // "Kowalski" never meets "zameldowanie" (i % 8 = 4); "zameldowanie" is in a quarter of
    // the department's cases.
    let i = (args.cases / 32).max(1) * 16;
    let searches = [
        ("a case signature", format!("q=OR.6220.{i}.2025")),
        (
            "a party's name and a case number",
            format!("q=kowalski%20{i}"),
        ),
        (
            "a common word (a quarter of the cases)",
            "q=zameldowanie".to_string(),
        ),
        (
            "two common words that never meet",
            "q=kowalski%20zameldowanie".to_string(),
        ),
        ("a word nobody used", "q=xyzzy".to_string()),
    ];
    for (what, q) in searches {
        let path = format!("/api/v1/search?{q}");
        let check: serde_json::Value = http
            .get(format!("{base}{path}"))
            .bearer_auth(&anna)
            .send()
            .await?
            .json()
            .await?;
        let what = format!(
            "search of {in_db} cases, {what} ({} found{})",
            check["items"].as_array().map_or(0, Vec::len),
            if check["capped"] == true {
                ", capped"
            } else {
                ""
            }
        );
        measure_gets(
            &server,
            &client,
            &auth,
            &what,
            &path,
            &args.list_connections,
            args.seconds.min(5),
        )
        .await?;
    }

    // 4. Search in an office mailbox of a million messages.
    let (office_box, sender): (String, String) = {
        let store = okienko_store::open(&server.database_url()).await?;
        let pool = store.raw_pool();
        let office_box = sqlx::query_scalar::<_, String>(
            "SELECT address FROM mailboxes WHERE office_id = $1 AND kind = 'public_body' ORDER BY created_at LIMIT 1",
        )
        .bind(&office)
        .fetch_one(pool)
        .await?;
        let sender = sqlx::query_scalar::<_, String>(
            "SELECT m.address FROM mailboxes m JOIN users u ON u.id = m.owner_user_id WHERE u.email = 'jan.kowalski@okienko.test' LIMIT 1",
        )
        .fetch_one(pool)
        .await?;
        pool.close().await;
        (office_box, sender)
    };
    let in_box = load_mailbox(&server.database_url(), &office_box, &sender, args.messages).await?;
    // "Skarga" (i % 8 = 2) never meets "odwołanie" (i % 8 = 1).
    let mailbox_searches = [
        ("no words (the inbox's first page)", "limit=50".to_string()),
        (
            "a message's number",
            format!("q=nr%20{}", args.messages / 2 + 1),
        ),
        (
            "a common word (three in eight messages)",
            "q=wniosek".to_string(),
        ),
        (
            "two common words that never meet",
            "q=skarga%20odwolanie".to_string(),
        ),
        ("a word nobody used", "q=xyzzy".to_string()),
    ];
    for (what, q) in mailbox_searches {
        let path = format!("/api/v1/mailboxes/{office_box}/messages?{q}");
        let check: serde_json::Value = http
            .get(format!("{base}{path}"))
            .bearer_auth(&anna)
            .send()
            .await?
            .json()
            .await?;
        anyhow::ensure!(check["items"].is_array(), "mailbox search: {check}");
        let what = format!(
            "search of an office mailbox of {in_box} messages, {what} ({} found)",
            check["items"].as_array().map_or(0, Vec::len),
        );
        measure_gets(
            &server,
            &client,
            &auth,
            &what,
            &path,
            &args.list_connections,
            args.seconds.min(5),
        )
        .await?;
    }
    if let Some(mib) = server.peak_rss_mib() {
        println!("server peak RSS: {mib:.1} MiB");
    }
    server.stop().await;
    Ok(())
}
