//! `okienko bench-forms`: e-services measured from outside over HTTP against `okienko demo`
//! in another process: the catalogue search with 10,000 services (loaded through the office's
//! import, as an office would), a form step rendered for signed-in people, and submissions
//! per second, each with its PDF, its message to the office's inbox and its UPP signed,
//! time-stamped, logged and durably stored before the 201.

use super::delivery::{closed_loop, ms, sign_in, Sender};
use super::wire::{self, Client};
use super::{percentile, DemoServer};
use clap::Args;
use std::time::{Duration, Instant};

#[derive(Args, Debug, Clone)]
pub struct FormsBenchArgs {
    /// Seconds per measurement.
    #[arg(long, default_value_t = 10)]
    pub seconds: u64,
    /// Connection counts for submissions and searches (closed loops).
    #[arg(long, value_delimiter = ',', default_value = "16,64,256")]
    pub connections: Vec<usize>,
    /// Connection counts for the catalogue search.
    #[arg(long, value_delimiter = ',', default_value = "1,4,16,64")]
    pub search_connections: Vec<usize>,
    /// Services added to the catalogue before searching (in imports of 5,000).
    #[arg(long, default_value_t = 10_000)]
    pub services: usize,
    /// Concurrent clients rendering a form step.
    #[arg(long, default_value_t = 100)]
    pub page_clients: usize,
    /// The started demo's database (e.g. a postgres:// URL); SQLite in a fresh folder if unset.
    #[arg(long)]
    pub database_url: Option<String>,
}

/// A catalogue of `n` services (codes from `first`) in the import's CSV, names with
/// diacritics so that searches without them are measured.
fn catalogue_csv(first: usize, n: usize) -> String {
    const KINDS: [&str; 8] = [
        "Zaświadczenie",
        "Zezwolenie",
        "Wniosek",
        "Zgłoszenie",
        "Rejestracja",
        "Wpis",
        "Odpis",
        "Decyzja",
    ];
    const ABOUT: [&str; 10] = [
        "o zameldowaniu",
        "na budowę",
        "psa",
        "działalności gospodarczej",
        "pojazdu",
        "usunięcia drzewa",
        "lokalu użytkowego",
        "ulgi podatkowej",
        "odbioru odpadów",
        "miejsca w żłobku",
    ];
    let mut out = String::from("code,name_pl,name_en,name_sr,description_pl,description_en,who_pl,documents_pl,legal_basis,fee,handling_days,department,categories,life_events,channels\n");
    for i in first..first + n {
        let (k, a) = (KINDS[i % 8], ABOUT[(i / 8) % 10]);
        out.push_str(&format!(
            "BEN-{i},{k} {a} nr {i},Service {i},Usluga {i},Opis usługi {i}: {k} {a}.,Service {i}.,Każdy,Dowód osobisty,Ustawa {i},{},14,OR,residence,moving,online\n",
            if i % 3 == 0 { "12.50" } else { "0" }
        ));
    }
    out
}

pub async fn run_forms(args: FormsBenchArgs) -> anyhow::Result<()> {
    let server = DemoServer::start(args.database_url.as_deref()).await?;
    let base = server.base.clone();
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(256)
        .build()?;
    println!(
        "server pid {} at {base}; load from this process (pid {}); {} cores",
        server.pid,
        std::process::id(),
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(0)
    );
    let (jan, _) = sign_in(&http, &base, "jan.kowalski@okienko.test").await?;
    let (admin, _) = sign_in(&http, &base, "urzad.admin@okienko.test").await?;
    // The demo office (whose admin signed in) by one of its services.
    let found: serde_json::Value = http
        .get(format!(
            "{base}/api/v1/services?q=zaswiadczenie+o+zameldowaniu"
        ))
        .send()
        .await?
        .json()
        .await?;
    let office = found["items"][0]["office"]["id"]
        .as_str()
        .ok_or_else(|| anyhow::anyhow!("the demo office has no services"))?
        .to_string();

    // 1. The catalogue grows to N services through the office's import.
    let t0 = Instant::now();
    let mut loaded = 0;
    while loaded < args.services {
        let n = (args.services - loaded).min(5_000);
        let r = http
            .put(format!("{base}/api/v1/offices/{office}/catalogue"))
            .bearer_auth(&admin)
            .header("content-type", "text/csv")
            .body(catalogue_csv(loaded, n))
            .send()
            .await?;
        anyhow::ensure!(
            r.status().is_success(),
            "import: {} {}",
            r.status(),
            r.text().await.unwrap_or_default()
        );
        loaded += n;
    }
    println!(
        "imported {loaded} services in {:.1} s",
        t0.elapsed().as_secs_f64()
    );
    let client = std::sync::Arc::new(vec![Client::new(&base).await?]);
    for q in [
        "zaswiadczenie+o+zameldowaniu",
        "zezwolenie+budowe",
        "zlobku+9999",
    ] {
        let request = wire::request("GET", &format!("/api/v1/services?q={q}&limit=20"), &[], &[]);
        let search = Sender::raw(&client, request, 200);
        for &c in &args.search_connections {
            let t = Instant::now();
            let (lat, failed) = closed_loop(&search, c, args.seconds.min(5), 0).await?;
            println!(
                "search {q:?} in {} services, {c:>3} connections: {:>5.0}/s; p50 {:.2} ms, p99 {:.2} ms (failed: {failed})",
                loaded + 13,
                lat.len() as f64 / t.elapsed().as_secs_f64(),
                ms(percentile(&lat, 0.5)),
                ms(percentile(&lat, 0.99)),
            );
        }
    }

    // The demo's forms: the dog registration (three steps, a group) and the request for
    // public information (one step: what the submissions carry).
    let find = |q: &'static str| {
        let http = http.clone();
        let base = base.clone();
        async move {
            let v: serde_json::Value = http
                .get(format!("{base}/api/v1/services?q={q}"))
                .send()
                .await?
                .json()
                .await?;
            v["items"]
                .as_array()
                .and_then(|i| i.iter().find(|s| s["form_version"].is_string()))
                .map(|s| {
                    (
                        s["id"].as_str().unwrap_or("").to_string(),
                        s["form_version"].as_str().unwrap_or("").to_string(),
                    )
                })
                .ok_or_else(|| anyhow::anyhow!("no service with a form for {q}"))
        }
    };
    let (dog, _) = find("rejestracja+psa").await?;
    let (upi, upi_version) = find("informacji+publicznej").await?;

    // 2. A form step (the group of dogs) for a signed-in person, `page_clients` at once.
    let browser = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .pool_max_idle_per_host(256)
        .build()?;
    let csrf_of = |page: &str| {
        page.split("name=\"csrf\" value=\"")
            .nth(1)
            .and_then(|s| s.split('"').next())
            .map(str::to_string)
            .ok_or_else(|| anyhow::anyhow!("no CSRF token"))
    };
    let page = browser
        .get(format!("{base}/login"))
        .send()
        .await?
        .text()
        .await?;
    let r = browser
        .post(format!("{base}/login"))
        .form(&[
            ("csrf", csrf_of(&page)?.as_str()),
            ("login", "jan.kowalski@okienko.test"),
            ("password", okienko_services::demo::PASSWORD),
        ])
        .send()
        .await?;
    anyhow::ensure!(r.status().as_u16() == 303, "web sign-in: {}", r.status());
    let page = browser
        .get(format!("{base}/services/{dog}"))
        .send()
        .await?
        .text()
        .await?;
    let r = browser
        .post(format!("{base}/services/{dog}/form"))
        .form(&[("csrf", csrf_of(&page)?.as_str())])
        .send()
        .await?;
    let step = r
        .headers()
        .get("location")
        .and_then(|l| l.to_str().ok())
        .ok_or_else(|| anyhow::anyhow!("no draft: {}", r.status()))?
        .replace("/steps/0", "/steps/1");
    let deadline = Instant::now() + Duration::from_secs(args.seconds);
    let mut tasks = Vec::new();
    for _ in 0..args.page_clients {
        let (b, url) = (browser.clone(), format!("{base}{step}"));
        tasks.push(tokio::spawn(async move {
            let (mut lat, mut errors) = (Vec::new(), 0u64);
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
    let (mut lat, mut errors) = (Vec::new(), 0);
    for t in tasks {
        let (l, e) = t.await?;
        lat.extend(l);
        errors += e;
    }
    lat.sort();
    println!(
        "GET {step} (a form step), {} clients: {:.0}/s; p50 {:.2} ms, p99 {:.2} ms ({errors} errors)",
        args.page_clients,
        lat.len() as f64 / t0.elapsed().as_secs_f64(),
        ms(percentile(&lat, 0.5)),
        ms(percentile(&lat, 0.99)),
    );

    // 3. Submissions through the API, each different (its number is in the request's text).
    const BOUNDARY: &str = "okienko-bench-forms-1b2c";
    let answers = serde_json::json!({"version": upi_version, "answers": {
        "subject": "Proszę o udostępnienie uchwał rady z numerem 0000000000000000.", "form": "delivery"}});
    let body = format!(
        "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"answers\"\r\n\r\n{answers}\r\n--{BOUNDARY}--\r\n"
    );
    let auth = format!("Bearer {jan}");
    let content_type = format!("multipart/form-data; boundary={BOUNDARY}");
    let request = wire::request(
        "POST",
        &format!("/api/v1/services/{upi}/submissions"),
        &[("Authorization", &auth), ("Content-Type", &content_type)],
        body.as_bytes(),
    );
    let submit = Sender::raw(&client, request, 201);
    println!("submission: one-step form, its JSON, a PDF of the answers, a message to the office's inbox, evidence (acceptance, consignment) and the UPP (office seal, RFC 3161 time stamp) in the log, committed before the 201");
    #[allow(clippy::disallowed_methods)] // only to make numbers differ between runs
    let mut first = (std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)?
        .as_secs()
        & 0xffff)
        << 48;
    for &c in &args.connections {
        let cpu0 = server.cpu_seconds();
        let t = Instant::now();
        let (lat, failed) = closed_loop(&submit, c, args.seconds, first).await?;
        first += 1 << 40;
        println!(
            "submissions, {c:>3} connections: {:>6} in {:.1} s = {:>5.0}/s; p50 {:.1} ms, p99 {:.1} ms (failed: {failed}); server CPU {:.0} µs each",
            lat.len(),
            t.elapsed().as_secs_f64(),
            lat.len() as f64 / t.elapsed().as_secs_f64(),
            ms(percentile(&lat, 0.5)),
            ms(percentile(&lat, 0.99)),
            (server.cpu_seconds() - cpu0) * 1e6 / lat.len().max(1) as f64,
        );
    }
    if let Some(mib) = server.peak_rss_mib() {
        println!("server peak RSS: {mib:.1} MiB");
    }
    server.stop().await;
    Ok(())
}
