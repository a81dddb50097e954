//! Appointments end to end: a citizen books a slot in headless Chromium, gets the email over
//! real SMTP (aiosmtpd) with an `.ics` that Python's `icalendar` reads, moves it, checks in at
//! the kiosk with the code, and an official calls the ticket; the official's calendar feed
//! parses and holds the appointment. And 500 requests race for 20 places over HTTP.

use crate::browser::{click, fill, sign_in, start_browser, wait_text};
use crate::common::{tools_required, TestServer};

/// Python with aiosmtpd and icalendar, or None (after a notice) when missing.
fn python_tools() -> bool {
    let probe = std::process::Command::new("python3")
        .args(["-c", "import aiosmtpd, icalendar"])
        .output();
    if probe.is_ok_and(|o| o.status.success()) {
        return true;
    }
    assert!(
        !tools_required(),
        "aiosmtpd and icalendar are required (pip install aiosmtpd icalendar)"
    );
    eprintln!("SKIPPED: python3 aiosmtpd or icalendar not installed");
    false
}

/// Reads calendar text with Python's `icalendar` (a parser nobody here wrote): each event's
/// UID, SUMMARY, DTSTART (UTC, RFC 3339), SEQUENCE and STATUS.
fn parse_ics(text: &str) -> Vec<serde_json::Value> {
    let script = r#"
import sys, json, icalendar, datetime
cal = icalendar.Calendar.from_ical(sys.stdin.buffer.read())
out = []
for e in cal.walk("VEVENT"):
    start = e.decoded("DTSTART").astimezone(datetime.timezone.utc)
    out.append({"uid": str(e.get("UID")), "summary": str(e.get("SUMMARY")),
                "start": start.strftime("%Y-%m-%dT%H:%M:%SZ"),
                "sequence": int(e.get("SEQUENCE", 0)), "status": str(e.get("STATUS", ""))})
print(json.dumps(out))
"#;
    use std::io::Write;
    let mut child = std::process::Command::new("python3")
        .args(["-c", script])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("python3");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(text.as_bytes())
        .expect("write");
    let out = child.wait_with_output().expect("icalendar");
    assert!(
        out.status.success(),
        "icalendar refused it: {}\n{text}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("json")
}

/// The `.ics` attachments of the emails aiosmtpd stored in its maildir since the last call
/// (each read is removed; Python's email package takes the MIME apart).
fn mailed_calendars(maildir: &std::path::Path) -> Vec<String> {
    let script = r#"
import sys, json, mailbox, email.header
box = mailbox.Maildir(sys.argv[1], create=False)
out = []
for key in list(box.keys()):
    m = box[key]
    for part in m.walk():
        if part.get_content_type() == "text/calendar":
            subject = str(email.header.make_header(email.header.decode_header(m["Subject"])))
            out.append({"to": m["To"], "subject": subject, "ics": part.get_payload(decode=True).decode("utf-8")})
    box.remove(key)
print(json.dumps(out))
"#;
    let out = std::process::Command::new("python3")
        .args(["-c", script, &maildir.display().to_string()])
        .output()
        .expect("python3");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout).expect("json");
    v.into_iter()
        .map(|m| {
            assert_eq!(m["to"], "jan.kowalski@okienko.test");
            m["ics"].as_str().expect("ics").to_string()
        })
        .collect()
}

/// The demo's bookable service (the residence certificate at the OR department), its place
/// key and the first two days with free slots.
async fn bookable(t: &TestServer) -> (String, String, Vec<serde_json::Value>) {
    let service = t.demo_service("ZAM-1").await;
    let office = t.services.store.offices().await.expect("offices")[0]
        .id
        .clone();
    let schedule = t
        .services
        .store
        .schedules(&office, Some(&service))
        .await
        .expect("schedules")
        .pop()
        .expect("the demo offers ZAM-1");
    let key = okienko_services::appointments::Place::of(&schedule).key();
    let today = t.services.local_today();
    let slots = slots_of(t, &service, today, today + time::Duration::days(20)).await;
    assert!(slots.len() > 64, "a working week of slots");
    (service, key, slots)
}

/// A service's slots on the days `from..=to`, read over the public API.
async fn slots_of(
    t: &TestServer,
    service: &str,
    from: time::Date,
    to: time::Date,
) -> Vec<serde_json::Value> {
    let (status, v) = t
        .api(
            "",
            reqwest::Method::GET,
            &format!("/api/v1/appointments/slots?service={service}&from={from}&to={to}"),
            None,
        )
        .await;
    assert_eq!(status, 200, "{v}");
    v["items"].as_array().expect("items").clone()
}

fn day_of(t: &TestServer, slot: &serde_json::Value) -> time::Date {
    let at = time::OffsetDateTime::parse(
        slot["starts_at"].as_str().expect("starts_at"),
        &time::format_description::well_known::Rfc3339,
    )
    .expect("rfc3339");
    t.services.country.local(at).date()
}

#[tokio::test]
async fn a_citizen_books_moves_and_checks_in_and_an_official_calls_the_ticket() {
    if !python_tools() {
        return;
    }
    let Some((b, _driver, profile)) = start_browser().await else {
        return;
    };
    let maildir = std::env::temp_dir().join(format!("okienko-mail-{}", okienko_services::new_id()));
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .expect("port")
        .local_addr()
        .expect("addr")
        .port();
    let _smtpd = tokio::process::Command::new("python3")
        .args([
            "-u",
            "-m",
            "aiosmtpd",
            "-n",
            "-c",
            "aiosmtpd.handlers.Mailbox",
            &maildir.display().to_string(),
            "-l",
            &format!("127.0.0.1:{port}"),
        ])
        .kill_on_drop(true)
        .spawn()
        .expect("start aiosmtpd");
    for _ in 0..50 {
        if tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_ok()
        {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let t = TestServer::start_with(|s| s.smtp_url = Some(format!("smtp://127.0.0.1:{port}"))).await;
    okienko_services::demo::seed(&t.services)
        .await
        .expect("seed");
    let (service, key, slots) = bookable(&t).await;
    let first_day = day_of(&t, &slots[0]);
    let second = slots
        .iter()
        .find(|s| day_of(&t, s) > first_day)
        .expect("a second day")
        .clone();
    let second_day = day_of(&t, &second);

    // The citizen picks the first free day and time, holds it and confirms it.
    sign_in(&b, &t, "jan.kowalski@okienko.test", None).await;
    b.goto(&t.url(&format!(
        "/services/{service}/appointments?lang=en&day={first_day}"
    )))
    .await
    .expect("calendar");
    wait_text(&b, "main", "Book an appointment").await;
    click(&b, "main form button").await;
    wait_text(&b, "main", "held for you until").await;
    click(&b, "main form button").await;
    let page = wait_text(&b, "main", "Appointment booked").await;
    let url = b.current_url().await.expect("url");
    let id = url.path().trim_start_matches("/appointments/").to_string();
    let a = t
        .services
        .store
        .appointment(&id)
        .await
        .expect("read")
        .expect("booked");
    let code = okienko_domain::appointments::show_code(&a.code);
    assert!(page.contains(&code), "{page}");
    assert_eq!(a.slot_id, slots[0]["id"].as_str().expect("id"));

    // The email went out over SMTP with an .ics that icalendar reads.
    t.run_jobs().await;
    let mailed = mailed_calendars(&maildir);
    assert_eq!(mailed.len(), 1);
    let events = parse_ics(&mailed[0]);
    assert_eq!(events.len(), 1);
    let uid = format!("{id}@okienko");
    assert_eq!(events[0]["uid"], uid.as_str());
    // In the person's language (English: they browsed in it).
    assert_eq!(events[0]["summary"], "Certificate of registered residence");
    assert_eq!(
        events[0]["start"].as_str().expect("start"),
        slots[0]["starts_at"]
            .as_str()
            .expect("starts_at")
            .replace("+00:00", "Z")
    );

    // Moved to a time of another day: the same code, a new .ics with a higher sequence.
    click(&b, "a[href*='move=']").await;
    wait_text(&b, "main", "Book an appointment").await;
    b.goto(&t.url(&format!(
        "/services/{service}/appointments?lang=en&day={second_day}&move={id}"
    )))
    .await
    .expect("move calendar");
    let radio = format!("input[value='{}']", second["id"].as_str().expect("id"));
    click(&b, &radio).await;
    click(&b, "main form button").await;
    wait_text(&b, "main", "Time changed").await;
    t.run_jobs().await;
    let mailed = mailed_calendars(&maildir);
    assert_eq!(mailed.len(), 1);
    let moved = parse_ics(&mailed[0]);
    assert_eq!(moved[0]["uid"], uid.as_str());
    assert_eq!(moved[0]["sequence"], 1);
    let moved_start = second["starts_at"]
        .as_str()
        .expect("starts_at")
        .replace("+00:00", "Z");
    assert_eq!(moved[0]["start"].as_str().expect("start"), moved_start);

    // The day comes: half an hour before the time, the person checks in at the kiosk.
    let starts = time::OffsetDateTime::parse(
        second["starts_at"].as_str().expect("starts_at"),
        &time::format_description::well_known::Rfc3339,
    )
    .expect("time");
    t.clock.set(starts - time::Duration::minutes(30));
    b.delete_all_cookies().await.expect("sign out");
    b.goto(&t.url(&format!("/places/{key}/kiosk?lang=en")))
        .await
        .expect("kiosk");
    wait_text(&b, "main", "Take a ticket").await;
    // A wrong code first: a clear message, nothing changed.
    fill(&b, "f-code", "ZZZZ-ZZZZ").await;
    click(&b, "main form.panel button").await;
    wait_text(&b, "main", "We do not know this code").await;
    b.find(fantoccini::Locator::Id("f-code"))
        .await
        .expect("code")
        .clear()
        .await
        .expect("clear");
    fill(&b, "f-code", &code.to_lowercase()).await;
    click(&b, "main form.panel button").await;
    wait_text(&b, "main", "A001").await;

    // The official calls the next ticket: it is the person's.
    sign_in(&b, &t, "anna.nowak@okienko.test", Some(t.totp())).await;
    b.goto(&t.url(&format!("/places/{key}/queue?lang=en")))
        .await
        .expect("queue");
    wait_text(&b, "main", "Call the next number").await;
    fill(&b, "f-desk", "3").await;
    click(&b, "main form.actions button.big").await;
    let board = wait_text(&b, "main", "You are serving").await;
    assert!(
        board.contains("A001") && board.contains("Jan Kowalski"),
        "{board}"
    );
    // The waiting room's screen shows the called number at desk 3.
    b.goto(&t.url(&format!("/places/{key}/display?lang=en")))
        .await
        .expect("display");
    let shown = wait_text(&b, "main", "A001").await;
    assert!(shown.contains('3'), "{shown}");

    // The official's calendar feed: a secret URL that icalendar reads, with the appointment.
    b.goto(&t.url("/calendar?lang=en")).await.expect("calendar");
    wait_text(&b, "main", "Calendar on your phone").await;
    click(&b, "form[action='/calendar/feed'] button").await;
    let text = wait_text(&b, "main", "/calendar/feed/").await;
    let feed = text
        .split_whitespace()
        .find(|w| w.contains("/calendar/feed/"))
        .expect("feed url")
        .to_string();
    let ics = reqwest::get(&feed)
        .await
        .expect("feed")
        .text()
        .await
        .expect("text");
    let events = parse_ics(&ics);
    let mine = events
        .iter()
        .find(|e| e["uid"] == uid.as_str())
        .unwrap_or_else(|| panic!("the appointment is in the feed: {ics}"));
    assert_eq!(mine["start"].as_str().expect("start"), moved_start);
    assert!(mine["summary"]
        .as_str()
        .expect("s")
        .contains("Jan Kowalski"));
    // Revoked, the URL answers nothing.
    click(&b, "form[action='/calendar/feed/revoke'] button").await;
    wait_text(&b, "main", "Revoke the calendar address?").await;
    click(&b, "main form button.danger").await;
    wait_text(&b, "main", "Make a calendar address").await;
    assert_eq!(reqwest::get(&feed).await.expect("feed").status(), 404);
    b.close().await.expect("close");
    let _ = std::fs::remove_dir_all(profile);
}

#[tokio::test]
async fn five_hundred_race_for_twenty_places_and_expired_holds_free_theirs() {
    let t = TestServer::seeded().await;
    let s = &t.services;
    // Eight in the morning: the first bookable day's slots are more than a day away, so
    // their reminders are still to come.
    let today = s.local_today();
    t.clock
        .set(s.country.day_start(today) + time::Duration::hours(8));
    let service = t.demo_service("ZAM-1").await;
    let office = s.store.offices().await.expect("offices")[0].id.clone();
    let admin = crate::common::principal(&t, "urzad.admin@okienko.test").await;
    let place = s
        .appointment_places(&admin, &office)
        .await
        .expect("places")
        .into_iter()
        .find(|p| p.kind == "department")
        .expect("a department");
    // Ten slots of two places on one day: a morning of 10 x 10 minutes, 2 at a time, and
    // a person may hold as many as they like (so that one token can race itself).
    let mut form = okienko_domain::appointments::ScheduleForm {
        slot_minutes: "10".into(),
        capacity: "2".into(),
        horizon_days: "30".into(),
        max_active: "1000".into(),
        release_minutes: "0".into(),
        ..Default::default()
    };
    let today = s.local_today();
    let (first, _) =
        okienko_domain::appointments::booking_window(s.country, &Default::default(), today);
    let weekday = first.weekday().number_days_from_monday() as usize;
    form.hours[weekday] = "09:00-10:40".into();
    s.save_schedule(&admin, &office, &service, &place.key(), &form)
        .await
        .expect("schedule");
    let slots: Vec<String> = slots_of(&t, &service, first, first)
        .await
        .iter()
        .filter(|x| x["place"].as_str() == Some(place.name.as_str()))
        .map(|x| x["id"].as_str().expect("id").to_string())
        .collect();
    assert_eq!(slots.len(), 10);
    let token = t.demo_token("jan.kowalski@okienko.test").await;
    let client = reqwest::Client::new();
    let tasks: Vec<_> = (0..500)
        .map(|i| {
            let slot = slots[i % 10].clone();
            let (client, token, url) =
                (client.clone(), token.clone(), t.url("/api/v1/appointments"));
            tokio::spawn(async move {
                let r = client
                    .post(url)
                    .bearer_auth(token)
                    .json(&serde_json::json!({ "slot": slot }))
                    .send()
                    .await
                    .expect("send");
                let status = r.status().as_u16();
                let v: serde_json::Value = r.json().await.unwrap_or_default();
                (status, v)
            })
        })
        .collect();
    let mut answers = Vec::new();
    for task in tasks {
        answers.push(task.await.expect("task"));
    }
    let booked: Vec<_> = answers.iter().filter(|(s, _)| *s == 201).collect();
    let taken = answers
        .iter()
        .filter(|(s, v)| {
            *s == 409
                && v["type"]
                    .as_str()
                    .is_some_and(|t| t.ends_with("err-appt-taken"))
        })
        .count();
    assert_eq!(booked.len(), 20, "exactly the 20 places");
    assert_eq!(taken, 480, "the rest are told it is taken");
    for (_, v) in &booked {
        assert!(v["code"].as_str().is_some_and(|c| c.len() == 9));
        assert!(v["ics_url"].as_str().is_some_and(|u| u.ends_with("/ics")));
    }
    assert!(slots_of(&t, &service, first, first)
        .await
        .iter()
        .filter(|x| slots.contains(&x["id"].as_str().unwrap_or("").to_string()))
        .all(|x| x["free"] == 0));

    // Cancelled over the API (release after 0 minutes): its place is free again.
    let cancel = booked[0].1["id"].as_str().expect("id");
    let (status, _) = t
        .api(
            &token,
            reqwest::Method::DELETE,
            &format!("/api/v1/appointments/{cancel}"),
            None,
        )
        .await;
    assert_eq!(status, 204);
    okienko_services::jobs::run_once(s, 10)
        .await
        .expect("sweep");
    let jan = crate::common::principal(&t, "jan.kowalski@okienko.test").await;
    // A hold takes the freed place; another hold finds it full.
    let freed = s
        .store
        .appointment(cancel)
        .await
        .expect("read")
        .expect("there")
        .slot_id;
    let held = s
        .hold_slot(&jan, &freed)
        .await
        .expect("hold the freed place");
    assert!(matches!(
        s.hold_slot(&jan, &freed).await,
        Err(okienko_domain::DomainError::Conflict("err-appt-taken"))
    ));
    // Ten minutes later the hold has expired: confirming is refused, and the place is free.
    t.clock.advance(time::Duration::minutes(11));
    assert!(matches!(
        s.confirm_appointment(
            okienko_services::appointments::Holder::Person(&jan),
            &held.id
        )
        .await,
        Err(okienko_domain::DomainError::Conflict(
            "err-appt-hold-expired"
        ))
    ));
    let again = s
        .hold_slot(&jan, &freed)
        .await
        .expect("the place came back");
    s.confirm_appointment(
        okienko_services::appointments::Holder::Person(&jan),
        &again.id,
    )
    .await
    .expect("confirmed");
    // The day before (the last slot, 10:30, less than a day away), each of the twenty booked
    // gets its reminder, once.
    t.clock
        .set(s.country.day_start(first) + time::Duration::hours(9) - time::Duration::hours(21));
    t.run_jobs().await;
    t.run_jobs().await;
    let reminders = t
        .outbox()
        .iter()
        .filter(|m| m.contains("Subject: Jutro wizyta"))
        .count();
    assert_eq!(reminders, 20);
    // The office closes that day: each booking is cancelled and its person told once (an
    // email each, with the .ics that takes it out of their calendar); the day offers nothing.
    let before = t.outbox().len();
    form.closures = first.to_string();
    s.save_schedule(&admin, &office, &service, &place.key(), &form)
        .await
        .expect("closed");
    s.save_schedule(&admin, &office, &service, &place.key(), &form)
        .await
        .expect("saved twice");
    t.run_jobs().await;
    let mails = t.outbox();
    assert_eq!(mails.len() - before, 20);
    let mine = s.store.appointments_of(&jan.user.id).await.expect("mine");
    let day = okienko_domain::to_millis(s.country.day_start(first));
    assert!(mine
        .iter()
        .filter(|a| a.starts_at >= day)
        .all(|a| a.status != "booked"));
    assert!(mine.iter().filter(|a| a.status == "cancelled").count() >= 20);
    assert!(slots_of(&t, &service, first, first)
        .await
        .iter()
        .filter(|x| x["place"].as_str() == Some(place.name.as_str()))
        .all(|x| x["free"] == 0));
}

/// The kiosk is public: a script taking numbers (or guessing codes) from one address is
/// stopped after what a busy kiosk needs, with a clear answer and no more tickets.
#[tokio::test]
async fn a_script_taking_kiosk_numbers_is_stopped() {
    let t = TestServer::seeded().await;
    let s = &t.services;
    let office = s.store.offices().await.expect("offices")[0].id.clone();
    let schedule = s
        .store
        .schedules(&office, None)
        .await
        .expect("schedules")
        .pop()
        .expect("the demo offers one");
    let key = okienko_services::appointments::Place::of(&schedule).key();
    let kiosk = t.browser();
    let csrf = t.csrf(&kiosk, &format!("/places/{key}/kiosk")).await;
    let limit = okienko_services::appointments::queue::MAX_KIOSK_PER_IP;
    for i in 0..limit {
        let r = kiosk
            .post(t.url(&format!("/places/{key}/kiosk/walk-in")))
            .form(&[("csrf", csrf.as_str())])
            .send()
            .await
            .expect("walk-in");
        assert_eq!(r.status(), 303, "ticket {i}");
    }
    let r = kiosk
        .post(t.url(&format!("/places/{key}/kiosk/check-in?lang=en")))
        .form(&[("csrf", csrf.as_str()), ("code", "ABCD-EFGH")])
        .send()
        .await
        .expect("check-in");
    assert_eq!(r.status(), 429);
    let today = s.local_today().to_string();
    let tickets = s.store.tickets(&key, &today).await.expect("tickets");
    assert_eq!(tickets.len() as i64, limit);
}

/// Three no-shows stop Jan booking online; at the counter Anna still books him a place (the
/// form refuses an unknown email and changes nothing), and the booking is his.
#[tokio::test]
async fn a_restricted_person_is_booked_at_the_counter() {
    let t = TestServer::seeded().await;
    let (service, key, _) = bookable(&t).await;
    let jan = crate::common::principal(&t, "jan.kowalski@okienko.test").await;
    let anna = crate::common::principal(&t, "anna.nowak@okienko.test").await;
    for _ in 0..3 {
        let today = t.services.local_today();
        let slots = slots_of(&t, &service, today, today + time::Duration::days(20)).await;
        let slot = slots[0]["id"].as_str().expect("slot").to_string();
        let a = t.services.book_slot(&jan, &slot).await.expect("booked");
        let after = okienko_domain::from_millis(a.ends_at) + time::Duration::minutes(1);
        t.clock.advance(after - t.services.clock.now());
        t.services
            .mark_no_show(&anna, &key, &a.id)
            .await
            .expect("no-show");
    }
    let today = t.services.local_today();
    let slots = slots_of(&t, &service, today, today + time::Duration::days(20)).await;
    let slot = slots[0]["id"].as_str().expect("slot").to_string();
    assert!(matches!(
        t.services.hold_slot(&jan, &slot).await,
        Err(okienko_domain::DomainError::Conflict("err-appt-restricted"))
    ));

    let web = t.demo_web("anna.nowak@okienko.test").await;
    let path = format!("/places/{key}/counter");
    let (st, html) = t.page(&web, &path).await;
    assert_eq!(st, 200);
    assert!(html.contains(&slot), "the free place is offered");
    let csrf = t.csrf(&web, &path).await;
    let before = t
        .services
        .store
        .appointments_of(&jan.user.id)
        .await
        .expect("of")
        .len();
    let r = web
        .post(t.url(&path))
        .form(&[
            ("csrf", csrf.as_str()),
            ("email", "nikt@example.pl"),
            ("slot", slot.as_str()),
        ])
        .send()
        .await
        .expect("post");
    assert_eq!(r.status(), 422);
    assert!(r
        .text()
        .await
        .expect("html")
        .contains("Żadne konto nie ma tego adresu"));
    let r = web
        .post(t.url(&path))
        .form(&[
            ("csrf", csrf.as_str()),
            ("email", " Jan.Kowalski@okienko.test"),
            ("slot", slot.as_str()),
        ])
        .send()
        .await
        .expect("post");
    assert_eq!(r.status(), 303);
    let to = r
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .expect("location")
        .to_string();
    let mine = t
        .services
        .store
        .appointments_of(&jan.user.id)
        .await
        .expect("of");
    assert_eq!(mine.len(), before + 1);
    let booked = mine
        .iter()
        .find(|a| a.slot_id == slot && a.status == "booked")
        .expect("Jan's booking");
    assert!(to.ends_with(&format!("booked={}", booked.code)), "{to}");
    let (_, html) = t.page(&web, &to).await;
    assert!(html.contains(&okienko_domain::appointments::show_code(&booked.code)));
    // The citizen cannot use the counter.
    let jan_web = t.demo_web("jan.kowalski@okienko.test").await;
    assert_eq!(t.page(&jan_web, &path).await.0, 404);
}

/// Officials' own availability narrows the places: a schedule names Anna and Piotr as
/// receiving people (four places a slot, two each); Anna away takes her two, both away take
/// all but what is booked already (Jan keeps his booking, and his place given back is not
/// offered again); Anna back gives hers back. Bad input changes nothing.
#[tokio::test]
async fn officials_away_narrow_the_places_and_bookings_stay() {
    let t = TestServer::seeded().await;
    let s = &t.services;
    let service = t.demo_service("ZAM-1").await;
    let office = s.store.offices().await.expect("offices")[0].id.clone();
    let admin = crate::common::principal(&t, "urzad.admin@okienko.test").await;
    let anna = crate::common::principal(&t, "anna.nowak@okienko.test").await;
    let jan = crate::common::principal(&t, "jan.kowalski@okienko.test").await;
    let place = s
        .appointment_places(&admin, &office)
        .await
        .expect("places")
        .into_iter()
        .find(|p| p.kind == "department")
        .expect("a department");
    let officials = s
        .receiving_officials(&admin, &office)
        .await
        .expect("officials");
    let other = officials
        .iter()
        .find(|(id, _)| *id != anna.user.id)
        .expect("a second official")
        .0
        .clone();
    let other = s
        .store
        .user_by_id(&other)
        .await
        .expect("read")
        .expect("the second official");
    let other = crate::common::principal(&t, &other.email).await;
    let mut form = okienko_domain::appointments::ScheduleForm {
        slot_minutes: "30".into(),
        capacity: "4".into(),
        horizon_days: "30".into(),
        max_active: "10".into(),
        release_minutes: "0".into(),
        officials: vec![anna.user.id.clone(), other.user.id.clone()],
        ..Default::default()
    };
    let today = s.local_today();
    let (first, _) =
        okienko_domain::appointments::booking_window(s.country, &Default::default(), today);
    form.hours[first.weekday().number_days_from_monday() as usize] = "09:00-10:00".into();
    // Somebody who is not an official of the office is refused.
    let mut wrong = form.clone();
    wrong.officials.push(jan.user.id.clone());
    assert!(matches!(
        s.save_schedule(&admin, &office, &service, &place.key(), &wrong)
            .await,
        Err(okienko_domain::DomainError::Invalid(_))
    ));
    s.save_schedule(&admin, &office, &service, &place.key(), &form)
        .await
        .expect("schedule");
    // The admin's "change" link fills the form with the schedule as it is, the officials
    // ticked, so saving it again keeps them.
    let web = t.demo_web("urzad.admin@okienko.test").await;
    let (status, list) = t
        .page(&web, &format!("/offices/{office}/appointments"))
        .await;
    assert_eq!(status, 200);
    let change = format!(
        "/offices/{office}/appointments?service={service}&place={}",
        place.key()
    );
    assert!(
        list.contains(&change.replace('&', "&amp;")),
        "a change link"
    );
    let (status, page) = t.page(&web, &change).await;
    assert_eq!(status, 200);
    for id in [&anna.user.id, &other.user.id] {
        assert!(
            page.contains(&format!("name=\"official-{id}\" value=\"1\" checked")),
            "{id} ticked"
        );
    }
    assert!(page.contains("value=\"30\""), "the slot length as saved");
    let free = || async {
        slots_of(&t, &service, first, first)
            .await
            .iter()
            .filter(|x| x["place"].as_str() == Some(place.name.as_str()))
            .map(|x| x["free"].as_i64().expect("free"))
            .collect::<Vec<_>>()
    };
    assert_eq!(free().await, [4, 4]);
    let nine = slots_of(&t, &service, first, first)
        .await
        .iter()
        .find(|x| x["place"].as_str() == Some(place.name.as_str()))
        .expect("09:00")["id"]
        .as_str()
        .expect("id")
        .to_string();
    let booked = s.book_slot(&jan, &nine).await.expect("booked");
    assert_eq!(free().await, [3, 4]);

    let morning = okienko_services::availability::AwayForm {
        first_day: first.to_string(),
        from: "09:00".into(),
        until: "09:30".into(),
        note: "Szkolenie".into(),
        ..Default::default()
    };
    let away = s.add_time_away(&anna, &morning).await.expect("away");
    assert_eq!(away.booked, 1, "Anna is told Jan is booked then");
    assert_eq!(free().await, [1, 4]);
    s.add_time_away(&other, &morning).await.expect("away too");
    assert_eq!(free().await, [0, 4]);
    // Jan keeps his booking; when he cancels, his place is not offered again.
    let mine = s.store.appointment(&booked.id).await.expect("read");
    assert_eq!(mine.expect("his").status, "booked");
    s.cancel_appointment(
        okienko_services::appointments::Holder::Person(&jan),
        &booked.id,
    )
    .await
    .expect("cancel");
    s.appointment_sweep().await.expect("sweep");
    assert_eq!(free().await, [0, 4]);
    // Anna is back: her two places are.
    s.remove_time_away(&anna, &away.away.id)
        .await
        .expect("removed");
    assert_eq!(free().await, [2, 4]);
    assert_eq!(
        s.my_times_away(&anna).await.expect("list").len(),
        0,
        "nothing left of hers"
    );

    // Bad input: a time over, an end before the start, someone else's, a citizen.
    let past = okienko_services::availability::AwayForm {
        first_day: (today - time::Duration::days(2)).to_string(),
        ..Default::default()
    };
    assert!(matches!(
        s.add_time_away(&anna, &past).await,
        Err(okienko_domain::DomainError::Invalid(_))
    ));
    let backwards = okienko_services::availability::AwayForm {
        first_day: first.to_string(),
        from: "12:00".into(),
        until: "09:00".into(),
        ..Default::default()
    };
    assert!(matches!(
        s.add_time_away(&anna, &backwards).await,
        Err(okienko_domain::DomainError::Invalid(_))
    ));
    let theirs = s.my_times_away(&other).await.expect("theirs");
    assert!(matches!(
        s.remove_time_away(&anna, &theirs[0].away.id).await,
        Err(okienko_domain::DomainError::NotFound)
    ));
    assert!(matches!(
        s.add_time_away(&jan, &morning).await,
        Err(okienko_domain::DomainError::NotFound)
    ));
    assert_eq!(free().await, [2, 4], "nothing changed");

    // In the browser: Anna's form, a clear error for nothing typed, then a time away that
    // shows with its note and Jan's place count; the free places narrow at once.
    let web = t.demo_web("anna.nowak@okienko.test").await;
    let csrf = t.csrf(&web, "/calendar/away").await;
    let post = |fields: Vec<(&'static str, String)>| {
        let (web, url, csrf) = (web.clone(), t.url("/calendar/away"), csrf.clone());
        async move {
            let mut f = fields;
            f.push(("csrf", csrf));
            let r = web.post(url).form(&f).send().await.expect("post");
            (r.status().as_u16(), r.text().await.expect("text"))
        }
    };
    let (status, html) = post(vec![("first_day", String::new())]).await;
    assert_eq!(status, 422);
    assert!(html.contains("Podaj dzień w postaci RRRR-MM-DD."));
    let (status, _) = post(vec![
        ("first_day", first.to_string()),
        ("from", "09:30".into()),
        ("until", "10:00".into()),
        ("note", "Urlop na żądanie".into()),
    ])
    .await;
    assert_eq!(status, 303);
    let (status, html) = t.page(&web, "/calendar/away").await;
    assert_eq!(status, 200);
    assert!(html.contains("Urlop na żądanie"));
    assert_eq!(free().await, [2, 2]);
    let (_, html) = t.page(&web, "/calendar").await;
    assert!(html.contains("href=\"/calendar/away\""));

    // A colleague substitutes for Anna that day: she is away all day (9:00 had only her
    // left), and back when the substitution is cancelled.
    let sub = s
        .add_substitute(
            &anna,
            &office,
            &okienko_services::cases::substitutes::SubstituteInput {
                absent: anna.user.id.clone(),
                substitute: other.user.id.clone(),
                starts_on: first.to_string(),
                ends_on: first.to_string(),
            },
        )
        .await
        .expect("substitution");
    assert_eq!(free().await, [0, 2]);
    s.cancel_substitute(&anna, &sub.id)
        .await
        .expect("cancelled");
    assert_eq!(free().await, [2, 2]);
}

/// Someone without an account books with their email: the slot is held, a link goes to the
/// address, opening it and confirming books it (a code and the `.ics` by email, the link
/// again); the same link moves and cancels it, and nothing else; a wrong key sees nothing; a
/// form with a mistake holds nothing.
#[tokio::test]
async fn booking_with_a_confirmed_email_and_no_account() {
    let t = TestServer::seeded().await;
    let (service, _, slots) = bookable(&t).await;
    let first = &slots[0];
    let slot = first["id"].as_str().expect("id").to_string();
    let free = || async {
        slots_of(
            &t,
            &service,
            t.services.local_today(),
            t.services.local_today() + time::Duration::days(20),
        )
        .await
        .into_iter()
        .find(|x| x["id"].as_str() == Some(slot.as_str()))
        .expect("the slot")["free"]
            .as_i64()
            .expect("free")
    };
    let before = free().await;
    let c = t.browser();
    let day = day_of(&t, first);
    let page = format!("/services/{service}/appointments?day={day}");
    let (status, html) = t.page(&c, &page).await;
    assert_eq!(status, 200);
    assert!(
        html.contains("action=\"/appointments/by-email\""),
        "the form without an account"
    );
    let csrf = t.csrf(&c, &page).await;
    // A mistake: the calendar again with the field's message, nothing held.
    let r = c
        .post(t.url("/appointments/by-email"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("slot", &slot),
            ("name", "Ewa Gość"),
            ("email", "not an address"),
        ])
        .send()
        .await
        .expect("post");
    assert_eq!(r.status(), 422);
    let html = r.text().await.expect("text");
    assert!(html.contains("id=\"f-email\""), "the form again");
    assert!(html.contains("error-message"), "with the message");
    assert_eq!(free().await, before, "nothing held");
    // Right: held, and the link goes out.
    let r = c
        .post(t.url("/appointments/by-email"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("slot", &slot),
            ("name", "Ewa Gość"),
            ("email", "ewa.gosc@example.pl"),
        ])
        .send()
        .await
        .expect("post");
    assert_eq!(r.status(), 303);
    assert_eq!(r.headers()["location"], "/appointments/email-sent");
    assert_eq!(free().await, before - 1, "held");
    t.run_jobs().await;
    let mail = t
        .outbox()
        .into_iter()
        .find(|m| m.contains("To: ewa.gosc@example.pl"))
        .expect("the email with the link");
    let link = crate::common::link(&mail, &t.url("/appointments/"));
    assert!(link.contains("?key="), "{link}");
    let path = link.trim_start_matches(&t.base).to_string();
    let (id, key) = path
        .trim_start_matches("/appointments/")
        .split_once("?key=")
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .expect("id and key");
    // Opening the link shows the hold and asks to confirm; it changes nothing by itself.
    let (status, html) = t.page(&c, &path).await;
    assert_eq!(status, 200);
    assert!(html.contains(&format!("action=\"/appointments/{id}/confirm\"")));
    // A wrong key, or none, sees nothing.
    let wrong = format!("/appointments/{id}?key={}", "0".repeat(64));
    assert_eq!(t.page(&c, &wrong).await.0, 404);
    assert_eq!(
        t.page(&c, &format!("/appointments/{id}?key=zz")).await.0,
        404
    );
    assert_eq!(
        t.page(&c, &format!("/appointments/{id}")).await.0,
        303,
        "sign in first"
    );
    // Confirmed with the link's key: booked, the address confirmed, the email with the .ics
    // and the same link.
    let csrf = t.csrf(&c, &path).await;
    let r = c
        .post(t.url(&format!("/appointments/{id}/confirm")))
        .form(&[("csrf", csrf.as_str()), ("key", &key)])
        .send()
        .await
        .expect("confirm");
    assert_eq!(r.status(), 303);
    let to = r.headers()["location"]
        .to_str()
        .expect("location")
        .to_string();
    assert!(
        to.starts_with(&format!("/appointments/{id}?key={key}&notice=")),
        "{to}"
    );
    let (_, html) = t.page(&c, &to).await;
    assert!(html.contains("class=\"reference\""), "the booking code");
    assert!(
        !html.contains("href=\"/appointments\" class=\"back\""),
        "no account to go back to"
    );
    let person = t
        .services
        .store
        .user_by_email("ewa.gosc@example.pl")
        .await
        .expect("read")
        .expect("the person");
    assert!(person.email_verified && person.password_hash.is_empty());
    assert_eq!(free().await, before - 1, "booked");
    t.run_jobs().await;
    let confirmed = t
        .outbox()
        .into_iter()
        .find(|m| m.contains("To: ewa.gosc@example.pl") && m.contains("text/calendar"))
        .expect("the confirmation with the .ics");
    assert!(
        confirmed.contains(&format!("/appointments/{id}?key={key}")),
        "the link again"
    );
    let (status, ics) = t
        .page(&c, &format!("/appointments/{id}/ics?key={key}"))
        .await;
    assert_eq!(status, 200);
    if python_tools() {
        assert_eq!(parse_ics(&ics).len(), 1);
    }
    // Moved with the link: the calendar carries the key; another free slot of the place.
    let other = slots
        .iter()
        .find(|x| {
            x["id"] != first["id"] && x["place"] == first["place"] && x["free"].as_i64() > Some(0)
        })
        .expect("another slot");
    let (status, html) = t
        .page(
            &c,
            &format!(
                "/services/{service}/appointments?move={id}&key={key}&day={}",
                day_of(&t, other)
            ),
        )
        .await;
    assert_eq!(status, 200);
    assert!(
        html.contains(&format!("name=\"key\" value=\"{key}\"")),
        "the key carried"
    );
    let r = c
        .post(t.url(&format!("/appointments/{id}/move")))
        .form(&[
            ("csrf", csrf.as_str()),
            ("key", &key),
            ("slot", other["id"].as_str().expect("id")),
        ])
        .send()
        .await
        .expect("move");
    assert_eq!(r.status(), 303);
    assert_eq!(free().await, before, "the first place free again");
    // Cancelled with the link, after the question.
    let r = c
        .post(t.url(&format!("/appointments/{id}/cancel")))
        .form(&[("csrf", csrf.as_str()), ("key", &key)])
        .send()
        .await
        .expect("ask");
    assert_eq!(r.status(), 200);
    assert!(r
        .text()
        .await
        .expect("text")
        .contains(&format!("name=\"key\" value=\"{key}\"")));
    let r = c
        .post(t.url(&format!("/appointments/{id}/cancel")))
        .form(&[("csrf", csrf.as_str()), ("key", &key), ("confirm", "yes")])
        .send()
        .await
        .expect("cancel");
    assert_eq!(r.status(), 303);
    let a = t
        .services
        .store
        .appointment(&id)
        .await
        .expect("read")
        .expect("it");
    assert_eq!(a.status, "cancelled");
    // The key of one booking opens no other.
    let jan = crate::common::principal(&t, "jan.kowalski@okienko.test").await;
    let his = t
        .services
        .book_slot(&jan, other["id"].as_str().expect("id"))
        .await
        .expect("Jan books");
    assert_eq!(
        t.page(&c, &format!("/appointments/{}?key={key}", his.id))
            .await
            .0,
        404
    );
}
