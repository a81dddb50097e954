//! `okienko bench-appointments`: booking measured from outside over HTTP against `okienko
//! demo` in another process. The office offers every service of its catalogue at both its
//! departments (08:00–16:00, a slot every 15 minutes, 8 people each, 30 days ahead: the
//! schedules and their slots are saved by the store's own code, as the admin's form saves
//! them); 2,000 citizens with API sessions book at once, each request a random slot of a
//! random service (a realistic spread: some slots fill up and answer 409, as they do), then the
//! month's free-slot page is read. At the end every slot is checked: no slot has more people
//! than places, and each slot's count is its bookings'.

use super::delivery::{ms, sign_in};
use super::wire::{self, Client};
use super::{percentile, DemoServer};
use clap::Args;
use okienko_domain::appointments::{booking_window, slot_times, ScheduleSpec};
use okienko_domain::audit::AuditEvent;
use okienko_store::prelude::*;
use std::sync::Arc;
use std::time::{Duration, Instant};

#[derive(Args, Debug, Clone)]
pub struct AppointmentsBenchArgs {
    /// Seconds per measurement.
    #[arg(long, default_value_t = 10)]
    pub seconds: u64,
    /// Connection counts for booking (closed loops).
    #[arg(long, value_delimiter = ',', default_value = "16,64,256")]
    pub connections: Vec<usize>,
    /// Connection counts for the month's free-slot page.
    #[arg(long, value_delimiter = ',', default_value = "1,16,64")]
    pub page_connections: Vec<usize>,
    /// Citizens who book (each with an API session).
    #[arg(long, default_value_t = 2_000)]
    pub people: usize,
    /// The started demo's database (e.g. a postgres:// URL); SQLite in a fresh folder if unset.
    #[arg(long)]
    pub database_url: Option<String>,
}

/// What the setup made: the slots (id, service), the service of the page, and the sessions.
struct Setup {
    slots: Vec<(String, String)>,
    services: Vec<String>,
    tokens: Vec<String>,
}

/// Offers every service of the demo office at both its departments and makes `people`
/// citizens with API sessions, through the store (the admin's form and the sign-in do the
/// same; what is measured is booking).
async fn setup(url: &str, people: usize) -> anyhow::Result<Setup> {
    let store = okienko_store::open(url).await?;
    let country = okienko_domain::country::Country::Poland;
    #[allow(clippy::disallowed_methods)] // the load generator's own clock, for its setup
    let now = time::OffsetDateTime::now_utc();
    let now_ms = okienko_domain::to_millis(now);
    let today = country.local(now).date();
    let office = store
        .offices()
        .await?
        .into_iter()
        .find(|o| o.name == okienko_services::demo::OFFICE_NAME)
        .ok_or_else(|| anyhow::anyhow!("no demo office"))?;
    let departments = store.departments(&office.id).await?;
    let services = store.office_services(&office.id).await?;
    let spec = ScheduleSpec {
        capacity: 8,
        max_active: 10_000,
        ..ScheduleSpec::default()
    };
    let (first, last) = booking_window(country, &spec, today);
    let times = slot_times(country, &spec, first, last);
    let ev = AuditEvent::new(now_ms, None, "appointments.schedule", "bench");
    let mut made = 0;
    for s in &services {
        for d in &departments {
            let existing = store
                .schedules(&office.id, Some(&s.id))
                .await?
                .into_iter()
                .find(|x| x.place_kind == "department" && x.place_id == d.id);
            let schedule = okienko_store::Schedule {
                id: existing.map_or_else(okienko_store::new_id, |e| e.id),
                office_id: office.id.clone(),
                service_id: s.id.clone(),
                place_kind: "department".into(),
                place_id: d.id.clone(),
                place_name: format!("{} — {}", office.name, d.name),
                place_address: format!("{}, {} {}", office.street, office.postal_code, office.city),
                spec: serde_json::to_string(&spec)?,
                slots_until: last.to_string(),
                created_at: now_ms,
                updated_at: now_ms,
            };
            let slots: Vec<okienko_store::NewSlot> = times
                .iter()
                .map(|t| {
                    let places = i64::from(spec.capacity);
                    (okienko_store::new_id(), t.starts_at, t.ends_at, places)
                })
                .collect();
            let from = okienko_domain::to_millis(country.day_start(first));
            store.save_schedule(&schedule, &slots, from, &ev).await?;
            made += 1;
        }
    }
    let mut slots = Vec::new();
    for s in &services {
        for x in store
            .slots(&s.id, 0, i64::MAX)
            .await?
            .into_iter()
            .filter(|x| x.taken < x.capacity)
        {
            slots.push((x.id, s.id.clone()));
        }
    }
    let t = Instant::now();
    let mut tokens = Vec::with_capacity(people);
    for i in 0..people {
        let user = okienko_store::User {
            id: okienko_store::new_id(),
            email: format!("bench.citizen.{i}.{}@okienko.test", now_ms),
            display_name: format!("Mieszkaniec {i}"),
            password_hash: String::new(),
            email_verified: true,
            totp_secret: None,
            totp_last_step: None,
            locale: Some("pl".into()),
            disabled: false,
            created_at: now_ms,
        };
        let grant = okienko_domain::RoleGrant {
            role: okienko_domain::Role::Citizen,
            office_id: None,
            department_id: None,
            service_point_id: None,
        };
        store
            .create_user(
                &user,
                &[grant],
                &AuditEvent::new(now_ms, None, "user.create", &user.id),
            )
            .await?;
        let (token, hash) = okienko_services::new_secret();
        store
            .create_session(&okienko_store::Session {
                token_hash: hash,
                user_id: user.id.clone(),
                kind: "api".into(),
                csrf: String::new(),
                created_at: now_ms,
                expires_at: now_ms + 24 * 3_600_000,
                device: "bench".into(),
            })
            .await?;
        tokens.push(token);
    }
    println!(
        "{made} schedules ({} services at {} departments), {} slots of {} places, {} days; {people} citizens with sessions in {:.1} s",
        services.len(),
        departments.len(),
        slots.len(),
        spec.capacity,
        (last - first).whole_days() + 1,
        t.elapsed().as_secs_f64()
    );
    store.raw_pool().close().await;
    Ok(Setup {
        slots,
        services: services.into_iter().map(|s| s.id).collect(),
        tokens,
    })
}

/// A small fast generator for picking slots (xorshift; the load must cost little).
fn next(x: &mut u64) -> u64 {
    *x ^= *x << 13;
    *x ^= *x >> 7;
    *x ^= *x << 17;
    *x
}

/// Books for `seconds` from `connections` closed loops: (latencies of 201s, 409s, other
/// failures by status).
async fn book_loop(
    client: &Arc<Client>,
    setup: &Arc<Setup>,
    connections: usize,
    seconds: u64,
    seed: u64,
) -> (Vec<Duration>, u64, std::collections::BTreeMap<u16, u64>) {
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let mut tasks = Vec::new();
    for w in 0..connections {
        let (client, setup) = (client.clone(), setup.clone());
        tasks.push(tokio::spawn(async move {
            let mut x = seed ^ ((w as u64 + 1) * 0x9E37_79B9_7F4A_7C15);
            let (mut lat, mut taken, mut failed) =
                (Vec::new(), 0u64, std::collections::BTreeMap::new());
            while Instant::now() < deadline {
                let (slot, _) = &setup.slots[(next(&mut x) % setup.slots.len() as u64) as usize];
                let token = &setup.tokens[(next(&mut x) % setup.tokens.len() as u64) as usize];
                let body = format!("{{\"slot\":\"{slot}\"}}");
                let auth = format!("Bearer {token}");
                let request = wire::request(
                    "POST",
                    "/api/v1/appointments",
                    &[
                        ("Authorization", &auth),
                        ("Content-Type", "application/json"),
                    ],
                    body.as_bytes(),
                );
                let t = Instant::now();
                match client.request(&request).await {
                    Some((201, _)) => lat.push(t.elapsed()),
                    Some((409, _)) => taken += 1,
                    Some((s, _)) => *failed.entry(s).or_insert(0u64) += 1,
                    None => *failed.entry(0).or_insert(0u64) += 1,
                }
            }
            (lat, taken, failed)
        }));
    }
    let (mut lat, mut taken, mut failed) = (Vec::new(), 0, std::collections::BTreeMap::new());
    for t in tasks {
        if let Ok((l, k, f)) = t.await {
            lat.extend(l);
            taken += k;
            for (s, n) in f {
                *failed.entry(s).or_insert(0) += n;
            }
        }
    }
    lat.sort_unstable();
    (lat, taken, failed)
}

/// GETs `path` for `seconds` from `connections` closed loops: latencies of 200s, failures.
async fn get_loop(
    client: &Arc<Client>,
    path: &str,
    auth: &str,
    connections: usize,
    seconds: u64,
) -> (Vec<Duration>, u64) {
    let request = Arc::new(wire::request("GET", path, &[("Authorization", auth)], &[]));
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let mut tasks = Vec::new();
    for _ in 0..connections {
        let (client, request) = (client.clone(), request.clone());
        tasks.push(tokio::spawn(async move {
            let (mut lat, mut failed) = (Vec::new(), 0u64);
            while Instant::now() < deadline {
                let t = Instant::now();
                match client.request(&request).await {
                    Some((200, _)) => lat.push(t.elapsed()),
                    _ => failed += 1,
                }
            }
            (lat, failed)
        }));
    }
    let (mut lat, mut failed) = (Vec::new(), 0);
    for t in tasks {
        if let Ok((l, f)) = t.await {
            lat.extend(l);
            failed += f;
        }
    }
    lat.sort_unstable();
    (lat, failed)
}

pub async fn run_appointments(args: AppointmentsBenchArgs) -> anyhow::Result<()> {
    let server = DemoServer::start(args.database_url.as_deref()).await?;
    let base = server.base.clone();
    let pg = server.database_url().starts_with("postgres");
    println!(
        "server pid {} at {base}; load from this process (pid {}); {} cores; {}",
        server.pid,
        std::process::id(),
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(0),
        if pg { "PostgreSQL" } else { "SQLite" }
    );
    let setup = Arc::new(setup(&server.database_url(), args.people).await?);
    let client = Arc::new(Client::new(&base).await?);
    let mut seed = 0x2545_F491_4F6C_DD1D_u64;
    let mut booked = 0usize;
    for &c in &args.connections {
        let cpu0 = server.cpu_seconds();
        let t = Instant::now();
        let (lat, taken, failed) = book_loop(&client, &setup, c, args.seconds, seed).await;
        seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1);
        booked += lat.len();
        let secs = t.elapsed().as_secs_f64();
        println!(
            "bookings, {c:>3} connections: {:>6} booked in {secs:.1} s = {:>5.0}/s; p50 {:.1} ms, p99 {:.1} ms; {taken} answered 409 (slot full); failed: {failed:?}; server CPU {:.0} µs each",
            lat.len(),
            lat.len() as f64 / secs,
            ms(percentile(&lat, 0.5)),
            ms(percentile(&lat, 0.99)),
            (server.cpu_seconds() - cpu0) * 1e6 / (lat.len() as u64 + taken).max(1) as f64,
        );
    }

    // The month's free-slot page of the demo's bookable service, as a person reads it (the
    // HTML calendar, signed in) and as a program does (the API's slots of 30 days).
    let http = reqwest::Client::new();
    let (jan, _) = sign_in(&http, &base, "jan.kowalski@okienko.test").await?;
    let auth = format!("Bearer {jan}");
    let service = setup
        .services
        .first()
        .ok_or_else(|| anyhow::anyhow!("no service"))?;
    #[allow(clippy::disallowed_methods)] // the load generator's own clock
    let today = time::OffsetDateTime::now_utc().date();
    let month = format!("{}-{:02}", today.year(), u8::from(today.month()));
    let to = today + time::Duration::days(30);
    let pages = [
        (
            "the month's free-slot page (HTML)",
            format!("/services/{service}/appointments?month={month}"),
        ),
        (
            "the API's free slots of 30 days",
            format!("/api/v1/appointments/slots?service={service}&from={today}&to={to}"),
        ),
    ];
    for (what, path) in &pages {
        for &c in &args.page_connections {
            let cpu0 = server.cpu_seconds();
            let t = Instant::now();
            let (lat, failed) = get_loop(&client, path, &auth, c, args.seconds.min(5)).await;
            println!(
                "{what}, {c:>3} connections: {:>5.0}/s; p50 {:.2} ms, p99 {:.2} ms (failed: {failed}); server CPU {:.0} µs each",
                lat.len() as f64 / t.elapsed().as_secs_f64(),
                ms(percentile(&lat, 0.5)),
                ms(percentile(&lat, 0.99)),
                (server.cpu_seconds() - cpu0) * 1e6 / lat.len().max(1) as f64,
            );
        }
    }

    // No slot overbooked: each slot's count is at most its places, and is its bookings'.
    let store = okienko_store::open(&server.database_url()).await?;
    let pool = store.raw_pool();
    let over: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM appointment_slots WHERE taken > capacity")
            .fetch_one(pool)
            .await?;
    let wrong: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM appointment_slots s WHERE s.taken <> \
         (SELECT COUNT(*) FROM appointments a WHERE a.slot_id = s.id AND a.holds_place = 1)",
    )
    .fetch_one(pool)
    .await?;
    let stored: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM appointments WHERE status = 'booked' AND user_id IN \
         (SELECT id FROM users WHERE email LIKE 'bench.citizen.%')",
    )
    .fetch_one(pool)
    .await?;
    pool.close().await;
    println!(
        "overbooked slots: {over}; slots whose count is not their bookings': {wrong}; bookings answered 201: {booked}, stored: {stored}; server peak RSS {:.0} MiB",
        server.peak_rss_mib().unwrap_or(0.0)
    );
    anyhow::ensure!(over == 0 && wrong == 0, "overbooking");
    anyhow::ensure!(stored as usize == booked, "a 201 without its booking");
    server.stop().await;
    Ok(())
}
