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
    "okienko", "okienka", "PDF", "JSON", "PEM", "OK", "E-mail", "Email",
    // Polish: the plural of "rola".
    "Role", // Names of programs.
    "OpenSSL", "FreeOTP", "Aegis",
];

/// What the page tells about itself, read in the browser.
const PROBE: &str = r#"
const page = document.documentElement.lang;
const quiet = el => !!el.closest('[translate="no"], code, kbd, samp, pre, script, style, noscript');
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
return {
  lang: page,
  scroll: document.documentElement.scrollWidth,
  width: window.innerWidth,
  status: st ? Number(st.dataset.status) : 200,
  branded: !!document.querySelector('header') && !!document.querySelector('footer'),
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
        "/pdf",
        "/signed",
        "/crl",
        "/metrics",
        "/healthz",
        "/sth",
        "/attachments/",
    ]
    .iter()
    .any(|s| route.contains(s))
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
    let v = b.execute(PROBE, vec![]).await.expect("probe");
    let status = v["status"].as_u64().unwrap_or(0) as u16;
    if status != expect_status {
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
        out.insert(format!("horizontal scroll: {scroll:?} px in {width:?} px"));
    }
    if texts {
        for t in v["texts"].as_array().into_iter().flatten() {
            let quiet = t[1].as_bool().unwrap_or(false);
            c.text(lang, t[0].as_str().unwrap_or(""), quiet, out);
        }
    }
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
    for (n, who) in WALKERS.into_iter().enumerate() {
        b.delete_all_cookies().await.expect("cookies");
        if let Some(l) = login(who) {
            let code = t.is_staff(l).await.then(|| t.totp());
            sign_in(&b, t, l, code).await;
        }
        for (i, row) in table.iter().enumerate().filter(|(_, r)| {
            r.method == "GET"
                && r.ok == 200
                && !r.route.starts_with("/api/")
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
