//! The browser walk: every page each demo role can reach — the pages of the authorization
//! matrix (so a new route without a row there already fails) — opened in headless Chromium in
//! pl, en, sr-Latn and sr-Cyrl, on a 375 px phone and a 1280 px desk. It fails on a raw
//! message key in the text, a Polish or Serbian page showing a text identical to its English
//! translation, Latin letters in Serbian Cyrillic text outside codes and names, a horizontal
//! scroll, a server error, and an unknown address without the branded 404.
//!
//! Text marked as not to be translated (`translate="no"`, `code`, `kbd`, `samp`) or in another
//! language (`lang` on the element: a message body, the language switch) is left out of the
//! language checks; names and codes of the demo's own data are allowed.

use crate::browser::{sign_in, start_browser};
use crate::matrix::{concrete, login, table, world, Who};
use fantoccini::Client;
use std::collections::{BTreeSet, HashMap, HashSet};

const LANGS: [&str; 4] = ["pl", "en", "sr-Latn", "sr-Cyrl"];
const VIEWPORTS: [(u32, u32); 2] = [(375, 800), (1280, 900)];
/// One of each kind of person: the others of the matrix see the same pages.
const WALKERS: [Who; 7] = [
    Who::Anonymous,
    Who::Citizen,
    Who::Business,
    Who::Clerk,
    Who::OfficialOr,
    Who::OfficeAdmin,
    Who::PlatformAdmin,
];
/// Texts that are the same in English and the other languages by nature.
const SAME_IN_ENGLISH: &[&str] = &[
    "okienko", "okienka", "PDF", "JSON", "PEM", "OK", "E-mail", "Email", "KiB",
    // Polish: the plural of "rola".
    "Role", // Names of programs.
    "OpenSSL", "FreeOTP", "Aegis", "GeoJSON",
];

/// What the page tells about itself, read in the browser.
const PROBE: &str = r#"
const page = document.documentElement.lang;
// What a person typed (a form sent back with its values) is theirs, in their language.
const quiet = el => !!el.closest('[translate="no"], code, kbd, samp, pre, script, style, noscript, textarea');
const foreign = el => { const o = el.closest('[lang]'); return !!o && o.getAttribute('lang') !== page; };
const texts = [];
const w = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
let n;
while ((n = w.nextNode())) {
  const t = n.textContent.replace(/\s+/g, ' ').trim();
  const el = n.parentElement;
  if (t && el && !el.closest('script, style')) texts.push([t, quiet(el) || foreign(el)]);
}
for (const el of document.querySelectorAll('[placeholder], [aria-label], [title], input[type=submit], option')) {
  for (const a of ['placeholder', 'aria-label', 'title']) {
    const v = el.getAttribute(a);
    if (v && v.trim()) texts.push([v.trim(), quiet(el) || foreign(el)]);
  }
}
const st = document.querySelector('[data-status]');
let wide = null;
for (const el of document.querySelectorAll('body *')) {
  const r = el.getBoundingClientRect();
  if (r.right > window.innerWidth + 1 && (!wide || r.right >= wide.getBoundingClientRect().right)) wide = el;
}
return {
  lang: page,
  scroll: document.documentElement.scrollWidth,
  width: window.innerWidth,
  status: st ? Number(st.dataset.status) : 200,
  branded: !!document.querySelector('header') && !!document.querySelector('footer'),
  wide: wide ? wide.outerHTML.slice(0, 160) : '',
  errors: [...document.querySelectorAll('.error-message')].map(e => e.textContent.trim()),
  texts,
};
"#;

/// `key = value` of one language's files (continuation lines joined).
fn messages(lang: &str) -> HashMap<String, String> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../i18n/locales");
    let mut files: Vec<_> = std::fs::read_dir(format!("{path}/{lang}"))
        .expect("locale dir")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "ftl"))
        .collect();
    files.sort();
    let text: String = files
        .iter()
        .map(|p| std::fs::read_to_string(p).expect("ftl") + "\n")
        .collect();
    let mut out = HashMap::new();
    let mut last: Option<String> = None;
    for line in text.lines() {
        if line.starts_with(' ') {
            if let Some(k) = &last {
                if let Some(v) = out.get_mut(k) {
                    let v: &mut String = v;
                    v.push(' ');
                    v.push_str(line.trim());
                }
            }
        } else if let Some((k, v)) = line.split_once(" = ") {
            if !k.starts_with('#') {
                out.insert(k.trim().to_string(), v.trim().to_string());
                last = Some(k.trim().to_string());
            }
        } else {
            last = None;
        }
    }
    out
}

/// The words of the demo's own data: names of people, offices, points and places.
async fn data_words(w: &crate::matrix::World) -> HashSet<String> {
    let s = &w.t.services.store;
    let mut texts: Vec<String> = Vec::new();
    for o in s.offices().await.expect("offices") {
        texts.extend([o.name, o.street, o.city]);
        for d in s.departments(&o.id).await.expect("departments") {
            texts.push(d.name);
        }
    }
    for p in s.service_points().await.expect("points") {
        texts.extend([p.name, p.street, p.city]);
    }
    for who in crate::matrix::EVERYONE {
        if let Some(l) = login(who) {
            if let Some(u) = s.user_by_email(l).await.expect("user") {
                texts.push(u.display_name);
            }
        }
    }
    // People and letters the matrix's world adds.
    texts.extend(
        [
            "Ewa Wizyta",
            "Tymczasowy",
            "Zofia Bez Skrzynki",
            "ul. Polna",
            "Wniosek",
            "Decyzja",
        ]
        .map(String::from),
    );
    texts
        .iter()
        .flat_map(|t| t.split_whitespace())
        .map(|w| trim_word(w).to_string())
        .collect()
}

fn trim_word(w: &str) -> &str {
    w.trim_matches(|c: char| !c.is_alphanumeric())
}

fn latin(c: char) -> bool {
    c.is_ascii_alphabetic() || ('\u{c0}'..='\u{24f}').contains(&c)
}

/// A word that is a code, an address or an abbreviation, not a word of the language.
fn code_like(w: &str) -> bool {
    w.chars()
        .any(|c| c.is_ascii_digit() || "@:/._#=+&?".contains(c))
        || w.chars()
            .filter(|c| c.is_alphabetic())
            .all(|c| c.is_uppercase())
}

struct Checks {
    keys: HashSet<String>,
    /// Per language: the English texts whose translation differs.
    english: HashMap<&'static str, HashSet<String>>,
    names: HashSet<String>,
}

impl Checks {
    fn new(names: HashSet<String>) -> Checks {
        let en = messages("en");
        let keys = en.keys().cloned().collect();
        let mut english = HashMap::new();
        for lang in ["pl", "sr-Latn", "sr-Cyrl"] {
            let local = messages(lang);
            let set: HashSet<String> = en
                .iter()
                .filter(|(k, v)| {
                    local.get(*k) != Some(*v)
                        && !v.contains('{')
                        && v.chars().filter(|c| c.is_alphabetic()).count() > 3
                        && !SAME_IN_ENGLISH.contains(&v.as_str())
                })
                .map(|(_, v)| v.clone())
                .collect();
            english.insert(lang, set);
        }
        Checks {
            keys,
            english,
            names,
        }
    }

    fn text(&self, lang: &str, t: &str, quiet: bool, out: &mut BTreeSet<String>) {
        for word in t.split(|c: char| c.is_whitespace() || ",;()„”\"'!?«»".contains(c)) {
            let w = word.trim_end_matches(['.', ':']);
            if w.contains('-') && self.keys.contains(w) {
                out.insert(format!("raw message key {w:?}"));
            }
        }
        if quiet || lang == "en" {
            return;
        }
        if self.english.get(lang).is_some_and(|e| e.contains(t)) {
            out.insert(format!("English text {t:?}"));
        }
        if lang == "sr-Cyrl" {
            // "OpenSSL-у": a name with a Serbian ending is checked part by part.
            for word in t.split_whitespace().filter(|w| !code_like(w)) {
                for part in word.split('-') {
                    let w = trim_word(part);
                    if w.chars().any(latin)
                        && !code_like(w)
                        && !self.names.contains(w)
                        && !SAME_IN_ENGLISH.contains(&w)
                    {
                        out.insert(format!("Latin letters {w:?} in {t:?}"));
                    }
                }
            }
        }
    }
}

/// Routes that answer a file (PDF, PEM, CSS, JSON, a signature), not a page.
fn is_file(route: &str) -> bool {
    [
        ".pem",
        ".css",
        ".json",
        ".geojson",
        ".js",
        "/leaflet/",
        "/transfer",
        "/package",
        ".csv",
        "/pdf",
        "/signed",
        "/crl",
        "/metrics",
        "/healthz",
        "/readyz",
        "/sth",
        "/attachments/",
        "/download",
        "/document",
        "/signature",
        "/file",
        "/versions/",
        "/scan",
        "/ics",
        "/calendar/feed/",
    ]
    .iter()
    .any(|s| route.contains(s))
}

/// Forms whose first step is a check page (what will happen, before it happens): on the page
/// of the route, the form posting to an address ending in the second entry is filled with these
/// values (`{citizen}` is Jan's mailbox address) and sent, and the check page it answers is
/// walked like any other. Each must be reached by one walker at least.
type CheckStep = (
    &'static str,
    &'static str,
    &'static [(&'static str, &'static str)],
);
const CHECK_STEPS: &[CheckStep] = &[
    (
        "/mailboxes/{address}/compose",
        "/compose",
        &[
            ("to", "{citizen}"),
            ("subject", "Wniosek"),
            ("body", "Treść pisma"),
        ],
    ),
    (
        "/counter/visits/{id}",
        "/cash",
        &[("amount", "12,50"), ("title", "Opłata skarbowa")],
    ),
    (
        "/counter/cash",
        "/counter/cash",
        &[
            ("payer", "Ewa Wizyta"),
            ("amount", "12,50"),
            ("title", "Opłata skarbowa"),
        ],
    ),
    (
        "/counter/register",
        "/counter/register",
        &[
            ("pesel", "75062112349"),
            ("first_name", "Ewa"),
            ("last_name", "Wizyta"),
            ("id_document_number", "ABA300000"),
        ],
    ),
    (
        "/trusted-profile",
        "/trusted-profile",
        &[
            ("pesel", "75062112349"),
            ("first_name", "Ewa"),
            ("last_name", "Wizyta"),
            ("id_document_number", "ABA300000"),
            ("email", "ewa.wizyta@okienko.test"),
            ("phone", "600 100 200"),
        ],
    ),
];

/// Fills the form of a check step on the open page and sends it; false if the page has no
/// such form (this walker may not use it).
const FILL: &str = r#"
const [action, values] = arguments;
// The attribute, not `f.action`: a button named "action" stands in for that property.
const form = [...document.querySelectorAll('form[method=post]')].find(f => (f.getAttribute('action') || '').split('?')[0].endsWith(action));
if (!form) return false;
for (const [k, v] of values) { const el = form.querySelector(`[name="${k}"]`); if (el) el.value = v; }
window.__walked = true;
const b = form.querySelector('button[value=check]') || form.querySelector('button:not([value])');
if (b) b.click(); else form.requestSubmit();
return true;
"#;

/// Sends an empty form to a POST route, as a person who sends a form without filling it: the
/// answer is the form again with its errors, or the confirmation an irreversible act asks for.
const POST_EMPTY: &str = r#"
const [action] = arguments;
const csrf = document.querySelector('input[name=csrf]');
const f = document.createElement('form');
f.method = 'post';
f.action = action;
if (csrf) { const i = document.createElement('input'); i.type = 'hidden'; i.name = 'csrf'; i.value = csrf.value; f.appendChild(i); }
document.body.appendChild(f);
window.__walked = true;
f.submit();
"#;

/// Waits until the page the form was sent from has been replaced by the answer.
async fn wait_for_answer(b: &Client) {
    for _ in 0..200 {
        let v = b
            .execute(
                "return !window.__walked && document.readyState === 'complete';",
                vec![],
            )
            .await
            .expect("poll");
        if v.as_bool() == Some(true) {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    panic!("the answer to a form never came");
}

fn with_lang(path: &str, lang: &str) -> String {
    let sep = if path.contains('?') { '&' } else { '?' };
    format!("{path}{sep}lang={lang}")
}

/// Opens one page and checks it; the problems found go to `out`.
async fn check_page(
    b: &Client,
    c: &Checks,
    url: &str,
    lang: &str,
    texts: bool,
    expect_status: u16,
    out: &mut BTreeSet<String>,
) {
    b.goto(url).await.expect("goto");
    check_open_page(b, c, lang, texts, expect_status, out).await;
}

/// Checks the page the browser shows; `expect_status` 0 takes any answer below 500.
async fn check_open_page(
    b: &Client,
    c: &Checks,
    lang: &str,
    texts: bool,
    expect_status: u16,
    out: &mut BTreeSet<String>,
) {
    let v = b.execute(PROBE, vec![]).await.expect("probe");
    let status = v["status"].as_u64().unwrap_or(0) as u16;
    if (expect_status == 0 && status >= 500) || (expect_status != 0 && status != expect_status) {
        out.insert(format!("status {status}, expected {expect_status}"));
    }
    if !v["branded"].as_bool().unwrap_or(false) {
        out.insert("no header and footer: not the branded page".into());
    }
    if v["lang"].as_str() != Some(lang) {
        out.insert(format!("html lang {:?}", v["lang"]));
    }
    let (scroll, width) = (v["scroll"].as_u64(), v["width"].as_u64());
    if scroll > width {
        out.insert(format!(
            "horizontal scroll: {scroll:?} px in {width:?} px (widest: {})",
            v["wide"].as_str().unwrap_or("")
        ));
    }
    if texts {
        for t in v["texts"].as_array().into_iter().flatten() {
            let quiet = t[1].as_bool().unwrap_or(false);
            c.text(lang, t[0].as_str().unwrap_or(""), quiet, out);
        }
    }
}

/// Jan's personal mailbox address: whom the office writes to in its check step.
async fn citizen_address(t: &crate::common::TestServer) -> String {
    let s = &t.services.store;
    let jan = s
        .user_by_email("jan.kowalski@okienko.test")
        .await
        .expect("user")
        .expect("Jan");
    s.mailboxes_of_user(&jan.id)
        .await
        .expect("mailboxes")
        .into_iter()
        .find(|(m, _)| m.kind == "person")
        .expect("Jan's mailbox")
        .0
        .address
}

#[tokio::test]
async fn every_page_in_every_language_on_phone_and_desk() {
    let Some((b, _driver, profile)) = start_browser().await else {
        return;
    };
    let w = world().await;
    let t = &w.t;
    let checks = Checks::new(data_words(&w).await);
    let table = table();
    let mut failures: BTreeSet<String> = BTreeSet::new();
    let mut pages = 0;
    let mut checked: HashSet<&str> = HashSet::new();
    let citizen = citizen_address(t).await;
    for (n, who) in WALKERS.into_iter().enumerate() {
        b.delete_all_cookies().await.expect("cookies");
        if let Some(l) = login(who) {
            let code = t.is_staff(l).await.then(|| t.totp());
            sign_in(&b, t, l, code).await;
        }
        for (i, row) in table.iter().enumerate().filter(|(_, r)| {
            r.method == "GET"
                && r.ok == 200
                && !r.route.contains("/api/")
                && (r.public || r.allowed.contains(&who))
                && !(r.route == "/login" && who != Who::Anonymous)
        }) {
            // A fresh temporary staff member or department for each page that names one.
            let path = concrete(&w, row.route, 1000 + n * 1000 + i).await;
            if is_file(row.route) {
                continue;
            }
            for (vw, vh) in VIEWPORTS {
                b.set_window_size(vw, vh).await.expect("size");
                for lang in LANGS {
                    pages += 1;
                    let mut found = BTreeSet::new();
                    // The words are checked once, on the desk; the width on both.
                    check_page(
                        &b,
                        &checks,
                        &t.url(&with_lang(&path, lang)),
                        lang,
                        vw > 1000,
                        200,
                        &mut found,
                    )
                    .await;
                    for f in found {
                        failures.insert(format!("{} {lang} {vw}px: {f}", row.route));
                    }
                }
            }
            // The check step of the page's form, filled in.
            let Some((_, action, values)) = CHECK_STEPS.iter().find(|s| s.0 == row.route) else {
                continue;
            };
            let values: Vec<(String, String)> = values
                .iter()
                .map(|(k, v)| (k.to_string(), v.replace("{citizen}", &citizen)))
                .collect();
            'views: for (vw, vh) in VIEWPORTS {
                b.set_window_size(vw, vh).await.expect("size");
                for lang in LANGS {
                    b.goto(&t.url(&with_lang(&path, lang))).await.expect("goto");
                    let sent = b
                        .execute(FILL, vec![(*action).into(), serde_json::json!(values)])
                        .await
                        .expect("fill");
                    if sent.as_bool() != Some(true) {
                        break 'views;
                    }
                    wait_for_answer(&b).await;
                    pages += 1;
                    checked.insert(row.route);
                    let mut found = BTreeSet::new();
                    let at_check = b
                        .execute(
                            "return !!document.querySelector('button[value=change]');",
                            vec![],
                        )
                        .await
                        .expect("check page");
                    if at_check.as_bool() != Some(true) {
                        let errors = b
                            .execute(
                                "return location.pathname + ' ' + [...document.querySelectorAll('h1, .error-message, [role=alert], .error-summary')].map(e => e.textContent.trim()).join('; ') + ' | ' + document.querySelector('main').innerText.slice(0, 400);",
                                vec![],
                            )
                            .await
                            .expect("errors");
                        found.insert(format!(
                            "the filled form did not reach its check page: {}",
                            errors.as_str().unwrap_or("")
                        ));
                    }
                    check_open_page(&b, &checks, lang, vw > 1000, 200, &mut found).await;
                    for f in found {
                        failures.insert(format!("{} (check step) {lang} {vw}px: {f}", row.route));
                    }
                }
            }
        }
        // Every form sent empty: the form again with its errors, or the confirmation that an
        // irreversible act asks for first.
        let from = if who == Who::Anonymous {
            "/login"
        } else {
            "/account"
        };
        for (i, row) in table.iter().enumerate().filter(|(_, r)| {
            r.method == "POST"
                && !r.route.contains("/api/")
                && (r.public || r.allowed.contains(&who))
                && !["/logout", "/tsa"].contains(&r.route)
                && !r.route.ends_with("/sheet")
        }) {
            if is_file(row.route) {
                continue;
            }
            let path = concrete(&w, row.route, 500 + n * 1000 + i).await;
            for (vw, vh) in VIEWPORTS {
                b.set_window_size(vw, vh).await.expect("size");
                for lang in LANGS {
                    b.goto(&t.url(&with_lang(from, lang))).await.expect("goto");
                    let mut sent = b.execute(POST_EMPTY, vec![path.clone().into()]).await;
                    if let Err(e) = &sent {
                        // Under load chromedriver has closed a kept-alive connection as the
                        // command went out (hyper's IncompleteMessage): once more, from the
                        // start (an empty form changes nothing, sent twice or not).
                        eprintln!("post {path} as {who:?} {lang} {vw}px: {e}; once more");
                        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
                        b.goto(&t.url(&with_lang(from, lang))).await.expect("goto");
                        sent = b.execute(POST_EMPTY, vec![path.clone().into()]).await;
                    }
                    sent.unwrap_or_else(|e| panic!("post {path} as {who:?} {lang} {vw}px: {e}"));
                    wait_for_answer(&b).await;
                    pages += 1;
                    let mut found = BTreeSet::new();
                    check_open_page(&b, &checks, lang, vw > 1000, 0, &mut found).await;
                    for f in found {
                        failures.insert(format!("POST {} {lang} {vw}px: {f}", row.route));
                    }
                }
            }
        }
    }
    for (route, _, _) in CHECK_STEPS {
        if !checked.contains(route) {
            failures.insert(format!("{route}: no walker reached its check step"));
        }
    }
    // An address that does not exist: the branded page, in each language.
    for lang in LANGS {
        let mut found = BTreeSet::new();
        check_page(
            &b,
            &checks,
            &t.url(&with_lang("/no/such/page", lang)),
            lang,
            true,
            404,
            &mut found,
        )
        .await;
        for f in found {
            failures.insert(format!("/no/such/page {lang}: {f}"));
        }
    }
    b.close().await.expect("close");
    let _ = std::fs::remove_dir_all(profile);
    assert!(
        failures.is_empty(),
        "{} problems in {pages} page views:\n{}",
        failures.len(),
        failures.into_iter().collect::<Vec<_>>().join("\n")
    );
}
