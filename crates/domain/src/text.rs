//! Rules for text people type that others will read: what a one-line text (a name, a
//! subject, a file name) may not contain, and which `next` paths a redirect may follow.

/// Characters a one-line text never takes: control characters (NUL, CR, LF, tab, DEL and the
/// C1 range) and the bidirectional controls that make a text display differently from what
/// it is (right-to-left override and its kin: U+202A–U+202E, U+2066–U+2069, U+200E, U+200F,
/// U+061C). Right-to-left scripts themselves are fine.
pub fn forbidden_in_line(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200E}' | '\u{200F}' | '\u{061C}'
        )
}

/// Whether a one-line text is free of [`forbidden_in_line`] characters.
pub fn clean_line(s: &str) -> bool {
    !s.chars().any(forbidden_in_line)
}

/// Whether a multi-line text (a message body) is free of control characters other than line
/// breaks and tabs.
pub fn clean_text(s: &str) -> bool {
    !s.chars()
        .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
}

/// A path on this site to go to after signing in, or None: it starts with one `/` (not `//`
/// or `/\`, which browsers take for another host), has at most 2,000 characters and only
/// visible ASCII (no spaces, tabs, line breaks or other controls, which browsers strip and
/// then read what is left as another host).
/// One CSV cell (RFC 4180): quoted when it holds a comma, a quote or a line break.
pub fn csv_cell(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

/// A CSV cell of text that came from outside, for a spreadsheet: a leading `=`, `+`, `-`,
/// `@`, tab or carriage return would be read as a formula, so it is put after an apostrophe
/// (as OWASP advises for CSV injection).
pub fn csv_text_cell(s: &str) -> String {
    if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        csv_cell(&format!("'{s}"))
    } else {
        csv_cell(s)
    }
}

pub fn local_path(next: &str) -> Option<&str> {
    let b = next.as_bytes();
    let ok = b.first() == Some(&b'/')
        && !matches!(b.get(1), Some(b'/') | Some(b'\\'))
        && b.len() <= 2000
        && b.iter().all(|c| (0x21..=0x7E).contains(c) && *c != b'\\');
    ok.then_some(next)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn lines_refuse_controls_and_bidi_overrides() {
        assert!(clean_line("Zażółć gęślą jaźń — Ђорђе"));
        assert!(clean_line("مرحبا"));
        for bad in [
            "a\0b",
            "a\r\nBcc: x",
            "tab\there",
            "invoice\u{202E}fdp.exe",
            "x\u{2066}y",
        ] {
            assert!(!clean_line(bad), "{bad:?}");
        }
        assert!(clean_text("line one\r\nline two\tend"));
        assert!(!clean_text("nul\0"));
    }

    #[test]
    fn only_local_paths_are_followed() {
        assert_eq!(local_path("/mailboxes?x=1"), Some("/mailboxes?x=1"));
        for bad in [
            "//evil.example",
            "/\\evil.example",
            "/\t/evil.example",
            "/\n/evil.example",
            " /x",
            "https://evil.example",
            "evil.example",
            "",
            "/a b",
            "/\u{0}",
        ] {
            assert_eq!(local_path(bad), None, "{bad:?}");
        }
    }

    proptest! {
        /// Whatever is followed, a browser resolves it on this host: it parses as a path
        /// whose first two characters are not an authority marker, and it makes a valid
        /// header value.
        #[test]
        fn followed_paths_stay_on_this_site(s in "\\PC{0,40}|/[\\x00-\\x7f]{0,40}") {
            if let Some(p) = local_path(&s) {
                prop_assert!(p.starts_with('/'));
                let second = p.chars().nth(1);
                prop_assert!(second != Some('/') && second != Some('\\'));
                prop_assert!(p.bytes().all(|b| b.is_ascii_graphic()));
            }
        }
    }
}

#[cfg(test)]
mod csv_tests {
    use super::*;

    #[test]
    fn cells_are_quoted_and_formulas_defused() {
        assert_eq!(csv_cell("a,b"), "\"a,b\"");
        assert_eq!(csv_cell("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(
            csv_text_cell("=HYPERLINK(\"x\")"),
            "\"'=HYPERLINK(\"\"x\"\")\""
        );
        assert_eq!(csv_text_cell("-5"), "'-5");
        assert_eq!(csv_text_cell("Jan"), "Jan");
    }
}
