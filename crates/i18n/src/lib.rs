//! Languages and translated texts. One Fluent file per language in `locales/`; Polish is
//! the default and the fallback. `locales/sr-Cyrl` is generated from `sr-Latn` by
//! `tools/cyrillic.py` (Serbian Latin and Cyrillic map letter for letter).

use fluent_templates::fluent_bundle::FluentValue;
use fluent_templates::{static_loader, LanguageIdentifier, Loader};
use std::borrow::Cow;
use std::collections::HashMap;

static_loader! {
    static LOCALES = {
        locales: "./locales",
        fallback_language: "pl",
        customise: |bundle| bundle.set_use_isolating(false),
    };
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Lang {
    Pl,
    En,
    SrLatn,
    SrCyrl,
}

impl Lang {
    pub const ALL: [Lang; 4] = [Lang::Pl, Lang::En, Lang::SrLatn, Lang::SrCyrl];

    /// The code used in `?lang=`, cookies and `<html lang>`.
    pub fn code(self) -> &'static str {
        match self {
            Lang::Pl => "pl",
            Lang::En => "en",
            Lang::SrLatn => "sr-Latn",
            Lang::SrCyrl => "sr-Cyrl",
        }
    }

    /// The language's name in itself, for the language switch.
    pub fn native_name(self) -> &'static str {
        match self {
            Lang::Pl => "Polski",
            Lang::En => "English",
            Lang::SrLatn => "Srpski (latinica)",
            Lang::SrCyrl => "Српски (ћирилица)",
        }
    }

    pub fn parse(s: &str) -> Option<Lang> {
        let s = s.trim();
        Lang::ALL
            .into_iter()
            .find(|l| l.code().eq_ignore_ascii_case(s))
    }

    /// Picks the best language from an `Accept-Language` header (`sr` alone means Cyrillic,
    /// the official script).
    pub fn from_accept_language(header: &str) -> Option<Lang> {
        let mut best: Option<(f32, Lang)> = None;
        for part in header.split(',') {
            let mut it = part.trim().split(';');
            let tag = it.next().unwrap_or("").trim().to_ascii_lowercase();
            let q = it
                .find_map(|p| {
                    p.trim()
                        .strip_prefix("q=")
                        .and_then(|v| v.parse::<f32>().ok())
                })
                .unwrap_or(1.0);
            let lang = if tag.starts_with("sr-latn") || tag == "sr-rs-latn" {
                Some(Lang::SrLatn)
            } else if tag.starts_with("sr") {
                Some(Lang::SrCyrl)
            } else if tag.starts_with("pl") {
                Some(Lang::Pl)
            } else if tag.starts_with("en") {
                Some(Lang::En)
            } else {
                None
            };
            if let Some(l) = lang {
                if best.is_none_or(|(bq, _)| q > bq) {
                    best = Some((q, l));
                }
            }
        }
        best.map(|(_, l)| l)
    }

    fn id(self) -> LanguageIdentifier {
        self.code().parse().unwrap_or_default()
    }

    /// The text for `key`; the key itself when no file has it (a test checks none is missing).
    /// The text for `key`, or None when no language has it.
    pub fn t_opt(self, key: &str) -> Option<String> {
        LOCALES.try_lookup(&self.id(), key)
    }

    pub fn t(self, key: &str) -> String {
        LOCALES
            .try_lookup(&self.id(), key)
            .unwrap_or_else(|| key.to_string())
    }

    /// Whether `key` has a text in this language.
    pub fn has(self, key: &str) -> bool {
        LOCALES.try_lookup(&self.id(), key).is_some()
    }

    /// The text for `key` with named arguments.
    pub fn t_args(self, key: &str, args: &[(&str, &str)]) -> String {
        let map: HashMap<Cow<'static, str>, FluentValue<'_>> = args
            .iter()
            .map(|(k, v)| (Cow::Owned(k.to_string()), FluentValue::from(v.to_string())))
            .collect();
        LOCALES
            .try_lookup_with_args(&self.id(), key, &map)
            .unwrap_or_else(|| key.to_string())
    }

    /// The text for `key` with `$count` as a number (so that the language's plural forms
    /// apply) and other named arguments as text.
    pub fn t_count(self, key: &str, count: i64, args: &[(&str, &str)]) -> String {
        let mut map: HashMap<Cow<'static, str>, FluentValue<'_>> = args
            .iter()
            .map(|(k, v)| (Cow::Owned(k.to_string()), FluentValue::from(v.to_string())))
            .collect();
        map.insert(Cow::Borrowed("count"), FluentValue::from(count));
        LOCALES
            .try_lookup_with_args(&self.id(), key, &map)
            .unwrap_or_else(|| key.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    /// The keys of every file of one language (`main.ftl` and one per feature); a key
    /// defined twice fails.
    fn keys(lang: &str) -> BTreeSet<String> {
        let dir = format!("{}/locales/{lang}", env!("CARGO_MANIFEST_DIR"));
        let mut files: Vec<_> = std::fs::read_dir(&dir)
            .expect("locale dir")
            .map(|e| e.expect("entry").path())
            .filter(|p| p.extension().is_some_and(|e| e == "ftl"))
            .collect();
        files.sort();
        let mut out = BTreeSet::new();
        for path in files {
            let text = std::fs::read_to_string(&path).expect("locale file");
            for k in text
                .lines()
                .filter_map(|l| l.split_once(" = ").map(|(k, _)| k))
                .filter(|k| !k.starts_with(' ') && !k.starts_with('#'))
            {
                assert!(out.insert(k.to_string()), "{lang}: {k} defined twice");
            }
        }
        out
    }

    #[test]
    fn every_language_has_every_key() {
        let pl = keys("pl");
        assert!(pl.len() > 50);
        for l in ["en", "sr-Latn", "sr-Cyrl"] {
            let other = keys(l);
            let missing: Vec<_> = pl.difference(&other).collect();
            let extra: Vec<_> = other.difference(&pl).collect();
            assert!(
                missing.is_empty() && extra.is_empty(),
                "{l}: missing {missing:?}, extra {extra:?}"
            );
        }
    }

    #[test]
    fn lookups_and_negotiation() {
        assert_eq!(Lang::En.t("nav-sign-in"), "Sign in");
        assert_eq!(
            Lang::from_accept_language("en-GB,en;q=0.9,pl;q=0.8"),
            Some(Lang::En)
        );
        assert_eq!(Lang::from_accept_language("sr-RS"), Some(Lang::SrCyrl));
        assert_eq!(Lang::from_accept_language("de"), None);
        assert_eq!(Lang::parse("SR-cyrl"), Some(Lang::SrCyrl));
        assert!(Lang::SrCyrl
            .t("nav-sign-in")
            .chars()
            .any(|c| ('\u{0400}'..='\u{04FF}').contains(&c)));
    }
}
