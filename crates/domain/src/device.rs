//! What a session was opened from, in a few words, from the client's `User-Agent`.
//!
//! Written here rather than taken from a user-agent parsing crate: those ship large regular
//! expression databases to name thousands of devices, while a person choosing which of their
//! sessions to end needs only the browser and the system ("Firefox, Linux"). Anything not
//! recognised gives the program's own name when it is a plain word ("curl"), else nothing.

/// The longest `User-Agent` looked at; the rest is ignored.
const MAX_UA: usize = 512;

/// Browser and system named by a `User-Agent` header, e.g. `Firefox, Windows`; empty if
/// nothing is recognised.
pub fn label(user_agent: &str) -> String {
    let ua: String = user_agent.chars().take(MAX_UA).collect();
    let has = |s: &str| ua.contains(s);
    let browser = if has("Edg/") || has("Edge/") {
        Some("Edge")
    } else if has("OPR/") || has("Opera") {
        Some("Opera")
    } else if has("Firefox/") {
        Some("Firefox")
    } else if has("Chrome/") || has("Chromium/") || has("CriOS/") {
        Some("Chrome")
    } else if has("Safari/") && has("Version/") {
        Some("Safari")
    } else {
        None
    };
    let system = if has("Android") {
        Some("Android")
    } else if has("iPhone") || has("iPad") {
        Some("iOS")
    } else if has("Windows") {
        Some("Windows")
    } else if has("CrOS") {
        Some("ChromeOS")
    } else if has("Mac OS X") || has("Macintosh") {
        Some("macOS")
    } else if has("Linux") {
        Some("Linux")
    } else {
        None
    };
    match (browser, system) {
        (Some(b), Some(s)) => format!("{b}, {s}"),
        (Some(b), None) => b.to_string(),
        (None, Some(s)) => s.to_string(),
        (None, None) => program(&ua),
    }
}

/// The product name at the start of a `User-Agent` ("curl/8.5" gives "curl") when it is
/// a plain word of at most 30 letters, digits, dots, dashes and underscores.
fn program(ua: &str) -> String {
    let name = ua.split(['/', ' ']).next().unwrap_or("");
    let plain = !name.is_empty()
        && name.len() <= 30
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'));
    if plain {
        name.to_string()
    } else {
        String::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn names_common_browsers_and_systems() {
        let cases = [
            ("Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0", "Firefox, Linux"),
            ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0", "Edge, Windows"),
            ("Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36", "Chrome, Android"),
            ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1", "Safari, iOS"),
            ("Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15", "Safari, macOS"),
            ("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/131.0.0.0 Safari/537.36", "Chrome, Linux"),
            ("curl/8.5.0", "curl"),
            ("python-requests/2.32", "python-requests"),
            ("<script>alert(1)</script>", ""),
            ("", ""),
        ];
        for (ua, want) in cases {
            assert_eq!(label(ua), want, "{ua}");
        }
    }

    proptest! {
        #[test]
        fn any_header_gives_a_short_plain_label(ua in ".{0,2000}") {
            let l = label(&ua);
            prop_assert!(l.len() <= 30 || l.contains(", "));
            prop_assert!(l.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | ',' | ' ')));
        }
    }
}
