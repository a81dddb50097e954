//! The catalogue of public services: what an office offers, in the four languages, and how
//! people find it. Search compares folded text (lower case, no diacritics, Cyrillic written
//! in Latin letters), so `zaswiadczenie` finds `zaświadczenie` and `uverenje` finds `уверење`.

use crate::error::{DomainError, FieldErrors};
use serde::{Deserialize, Serialize};

/// The languages a service is described in; Polish is required, the others fall back to it.
pub const LANGS: [&str; 4] = ["pl", "en", "sr-Latn", "sr-Cyrl"];

/// Topics a service is filed under (their names are in the locales, `cat-<code>`).
pub const CATEGORIES: [&str; 10] = [
    "civil-status",
    "residence",
    "construction",
    "environment",
    "business",
    "transport",
    "taxes",
    "social",
    "animals",
    "information",
];

/// Moments in life that bring people to an office (`event-<code>` in the locales).
pub const LIFE_EVENTS: [&str; 6] = [
    "building-a-house",
    "moving",
    "starting-a-business",
    "having-a-child",
    "buying-a-car",
    "getting-a-pet",
];

/// How a service can be used (`channel-<code>` in the locales).
pub const CHANNELS: [&str; 3] = ["online", "counter", "post"];

/// The most a catalogue line or text may hold, so a catalogue file cannot grow without end.
pub const MAX_TEXT: usize = 4_000;
pub const MAX_NAME: usize = 200;
/// The most services one import may carry (Wrota Mazowsza: 875 in all).
pub const MAX_IMPORT: usize = 5_000;

/// What a service costs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", tag = "kind", content = "grosze")]
pub enum Fee {
    None,
    /// A fixed amount, in the currency's smallest unit.
    Fixed(i64),
    /// Computed by the service's form from the answers.
    Computed,
}

impl Fee {
    /// Stored as a word and an amount.
    pub fn parts(&self) -> (&'static str, i64) {
        match self {
            Fee::None => ("none", 0),
            Fee::Fixed(g) => ("fixed", *g),
            Fee::Computed => ("computed", 0),
        }
    }

    pub fn from_parts(kind: &str, amount: i64) -> Option<Fee> {
        match kind {
            "none" => Some(Fee::None),
            "fixed" if amount > 0 => Some(Fee::Fixed(amount)),
            "computed" => Some(Fee::Computed),
            _ => None,
        }
    }
}

/// A service's texts in one language.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceText {
    pub name: String,
    #[serde(default)]
    pub description: String,
    /// Who may apply.
    #[serde(default)]
    pub who: String,
    /// The documents to have ready, one per line.
    #[serde(default)]
    pub documents: Vec<String>,
}

static EMPTY_TEXT: ServiceText = ServiceText {
    name: String::new(),
    description: String::new(),
    who: String::new(),
    documents: Vec::new(),
};

fn lang_code(l: &str) -> &'static str {
    LANGS.iter().find(|x| **x == l).copied().unwrap_or("pl")
}

/// A text and the language it is in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InLang<T> {
    pub value: T,
    pub lang: &'static str,
}

/// A service's texts for one reader (see [`ServiceSpec::local`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalText {
    pub name: InLang<String>,
    pub description: InLang<String>,
    pub who: InLang<String>,
    pub documents: InLang<Vec<String>>,
}

/// Serbian written in Latin letters, in Cyrillic (the two alphabets map letter for letter;
/// lj, nj and dž are one letter each).
pub fn to_cyrillic(s: &str) -> String {
    let mut out = String::with_capacity(s.len() * 2);
    let chars: Vec<char> = s.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied().map(|n| n.to_ascii_lowercase());
        let digraph = match (c, next) {
            ('l', Some('j')) => Some('љ'),
            ('L', Some('j')) => Some('Љ'),
            ('n', Some('j')) => Some('њ'),
            ('N', Some('j')) => Some('Њ'),
            ('d', Some('ž')) => Some('џ'),
            ('D', Some('ž')) => Some('Џ'),
            _ => None,
        };
        if let Some(d) = digraph {
            out.push(d);
            i += 2;
            continue;
        }
        let lower = c.to_lowercase().next().unwrap_or(c);
        let mapped = match lower {
            'a' => 'а',
            'b' => 'б',
            'v' => 'в',
            'g' => 'г',
            'd' => 'д',
            'đ' => 'ђ',
            'e' => 'е',
            'ž' => 'ж',
            'z' => 'з',
            'i' => 'и',
            'j' => 'ј',
            'k' => 'к',
            'l' => 'л',
            'm' => 'м',
            'n' => 'н',
            'o' => 'о',
            'p' => 'п',
            'r' => 'р',
            's' => 'с',
            't' => 'т',
            'ć' => 'ћ',
            'u' => 'у',
            'f' => 'ф',
            'h' => 'х',
            'c' => 'ц',
            'č' => 'ч',
            'š' => 'ш',
            other => other,
        };
        if c.is_uppercase() {
            out.extend(mapped.to_uppercase());
        } else {
            out.push(mapped);
        }
        i += 1;
    }
    out
}

/// A service as an office describes it (before it has an id and an office).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceSpec {
    /// The office's own short code for it (unique in the office; an import matches on it).
    pub code: String,
    /// Texts by language (`pl` required).
    pub texts: std::collections::BTreeMap<String, ServiceText>,
    #[serde(default)]
    pub legal_basis: String,
    pub fee: Fee,
    /// The statutory time to handle it, in days (0: at once).
    pub handling_days: i64,
    /// The handling department's code in the office.
    #[serde(default)]
    pub department: Option<String>,
    #[serde(default)]
    pub categories: Vec<String>,
    #[serde(default)]
    pub life_events: Vec<String>,
    pub channels: Vec<String>,
}

impl ServiceSpec {
    /// Checks every field; all problems at once, by field.
    pub fn validate(&self) -> Result<(), DomainError> {
        let mut errs = FieldErrors::default();
        let code_ok = !self.code.is_empty()
            && self.code.len() <= 40
            && self
                .code
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.');
        if !code_ok {
            errs.add("code", "err-service-code");
        }
        match self.texts.get("pl") {
            Some(t) if !t.name.trim().is_empty() => {}
            _ => errs.add("name", "err-service-name"),
        }
        for (lang, t) in &self.texts {
            let too_long = t.name.chars().count() > MAX_NAME
                || [&t.description, &t.who]
                    .iter()
                    .any(|s| s.chars().count() > MAX_TEXT)
                || t.documents.len() > 50
                || t.documents.iter().any(|d| d.chars().count() > MAX_NAME);
            if !LANGS.contains(&lang.as_str()) || too_long {
                errs.add("texts", "err-service-texts");
            }
        }
        if self.legal_basis.chars().count() > MAX_TEXT {
            errs.add("legal_basis", "err-too-long");
        }
        if let Fee::Fixed(g) = self.fee {
            if g <= 0 || g > 100_000_000 {
                errs.add("fee", "err-service-fee");
            }
        }
        if !(0..=365).contains(&self.handling_days) {
            errs.add("handling_days", "err-service-days");
        }
        if self
            .categories
            .iter()
            .any(|c| !CATEGORIES.contains(&c.as_str()))
        {
            errs.add("categories", "err-service-category");
        }
        if self
            .life_events
            .iter()
            .any(|c| !LIFE_EVENTS.contains(&c.as_str()))
        {
            errs.add("life_events", "err-service-event");
        }
        if self.channels.is_empty()
            || self
                .channels
                .iter()
                .any(|c| !CHANNELS.contains(&c.as_str()))
        {
            errs.add("channels", "err-service-channels");
        }
        errs.finish()
    }

    /// The texts for a reader of `lang`, each from the first language that has it: `lang`
    /// itself; for Serbian Cyrillic, the Serbian Latin text written in Cyrillic; then Polish.
    /// Each says which language it is in, so a page can mark a Polish fallback as Polish.
    pub fn local(&self, lang: &str) -> LocalText {
        let mut chain: Vec<(&str, bool)> = vec![(lang, false)];
        if lang == "sr-Cyrl" {
            chain.push(("sr-Latn", true));
        }
        // A reader of another language understands English sooner than Polish.
        if lang != "pl" {
            chain.push(("en", false));
        }
        chain.push(("pl", false));
        let pick = |get: &dyn Fn(&ServiceText) -> bool| -> (&ServiceText, &'static str, bool) {
            for (l, convert) in &chain {
                if let Some(t) = self.texts.get(*l).filter(|t| get(t)) {
                    let shown = if *convert { "sr-Cyrl" } else { lang_code(l) };
                    return (t, shown, *convert);
                }
            }
            (&EMPTY_TEXT, lang_code(lang), false)
        };
        let conv = |s: &str, c: bool| if c { to_cyrillic(s) } else { s.to_string() };
        let (t, l, c) = pick(&|t| !t.name.trim().is_empty());
        let name = InLang {
            value: conv(&t.name, c),
            lang: l,
        };
        let (t, l, c) = pick(&|t| !t.description.trim().is_empty());
        let description = InLang {
            value: conv(&t.description, c),
            lang: l,
        };
        let (t, l, c) = pick(&|t| !t.who.trim().is_empty());
        let who = InLang {
            value: conv(&t.who, c),
            lang: l,
        };
        let (t, l, c) = pick(&|t| !t.documents.is_empty());
        let documents = InLang {
            value: t.documents.iter().map(|d| conv(d, c)).collect(),
            lang: l,
        };
        LocalText {
            name,
            description,
            who,
            documents,
        }
    }

    /// What search compares: the names and descriptions in every language, folded.
    pub fn search_text(&self) -> String {
        let mut out = String::new();
        for t in self.texts.values() {
            out.push_str(&fold(&t.name));
            out.push(' ');
            out.push_str(&fold(&t.description));
            out.push(' ');
        }
        out.push_str(&fold(&self.code));
        out
    }
}

/// Text as search compares it: lower case, Polish and Serbian letters without their marks,
/// Serbian Cyrillic in Latin letters (as Serbian writes them), runs of anything else that is
/// not a letter or digit as one space.
pub fn fold(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut space = true;
    for c in s.chars().flat_map(char::to_lowercase) {
        let mapped: &str = match c {
            'ą' => "a",
            'ć' | 'č' => "c",
            'ę' => "e",
            'ł' => "l",
            'ń' => "n",
            'ó' => "o",
            'ś' | 'š' => "s",
            'ź' | 'ż' | 'ž' => "z",
            'đ' => "dj",
            'а' => "a",
            'б' => "b",
            'в' => "v",
            'г' => "g",
            'д' => "d",
            'ђ' => "dj",
            'е' => "e",
            'ж' => "z",
            'з' => "z",
            'и' => "i",
            'ј' => "j",
            'к' => "k",
            'л' => "l",
            'љ' => "lj",
            'м' => "m",
            'н' => "n",
            'њ' => "nj",
            'о' => "o",
            'п' => "p",
            'р' => "r",
            'с' => "s",
            'т' => "t",
            'ћ' => "c",
            'у' => "u",
            'ф' => "f",
            'х' => "h",
            'ц' => "c",
            'ч' => "c",
            'џ' => "dz",
            'ш' => "s",
            _ if c.is_alphanumeric() => {
                out.push(c);
                space = false;
                continue;
            }
            _ => {
                if !space {
                    out.push(' ');
                    space = true;
                }
                continue;
            }
        };
        out.push_str(mapped);
        space = false;
    }
    if out.ends_with(' ') {
        out.pop();
    }
    out
}

/// The words of a search, folded; at most eight, each at most 40 characters. Words of one or
/// two letters ("o", "na", "z") are left out when a longer one is asked too: almost every
/// service has them, so they narrow nothing and cost the most to look up.
pub fn query_words(q: &str) -> Vec<String> {
    let words: Vec<String> = fold(q)
        .split(' ')
        .filter(|w| !w.is_empty())
        .map(|w| w.chars().take(40).collect())
        .collect();
    let long = words.iter().any(|w: &String| w.chars().count() > 2);
    words
        .into_iter()
        .filter(|w| !long || w.chars().count() > 2)
        .take(8)
        .collect()
}

/// Why a catalogue file was refused, and where: the line (1-based), the column or field
/// when one is to blame, and a code that is the Fluent id of the explanation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportError {
    pub line: usize,
    pub field: Option<String>,
    pub code: &'static str,
}

impl ImportError {
    pub fn at(line: usize, field: Option<&str>, code: &'static str) -> ImportError {
        ImportError {
            line,
            field: field.map(str::to_string),
            code,
        }
    }
}

/// The columns of a catalogue CSV file, in order.
pub const CSV_COLUMNS: [&str; 15] = [
    "code",
    "name_pl",
    "name_en",
    "name_sr",
    "description_pl",
    "description_en",
    "who_pl",
    "documents_pl",
    "legal_basis",
    "fee",
    "handling_days",
    "department",
    "categories",
    "life_events",
    "channels",
];

/// Reads a catalogue CSV (RFC 4180: commas, double quotes, a header row naming
/// [`CSV_COLUMNS`]; lists inside a cell (categories, life events, channels) separated by `;`, documents by `|`; the fee in the
/// currency's units with a decimal point or comma, `0` or empty for none, `computed` when
/// the form computes it). An error names the line and the column.
pub fn parse_csv(text: &str) -> Result<Vec<ServiceSpec>, ImportError> {
    let rows = csv_rows(text)?;
    let mut rows = rows.into_iter();
    let header = rows
        .next()
        .ok_or(ImportError::at(1, None, "err-import-empty"))?;
    let header: Vec<String> = header.iter().map(|h| h.trim().to_lowercase()).collect();
    if header != CSV_COLUMNS {
        return Err(ImportError::at(1, None, "err-import-columns"));
    }
    let mut out = Vec::new();
    for (i, row) in rows.enumerate() {
        let line = i + 2;
        if row.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        if row.len() != CSV_COLUMNS.len() {
            return Err(ImportError::at(line, None, "err-import-cells"));
        }
        if out.len() == MAX_IMPORT {
            return Err(ImportError::at(line, None, "err-import-too-many"));
        }
        let cell = |n: usize| row[n].trim().to_string();
        let list = |n: usize, sep: char| -> Vec<String> {
            row[n]
                .split(sep)
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty())
                .collect()
        };
        let fee = match cell(9).as_str() {
            "" | "0" => Fee::None,
            "computed" => Fee::Computed,
            amount => Fee::Fixed(parse_amount(amount).ok_or(ImportError::at(
                line,
                Some("fee"),
                "err-service-fee",
            ))?),
        };
        let handling_days = cell(10)
            .parse::<i64>()
            .map_err(|_| ImportError::at(line, Some("handling_days"), "err-service-days"))?;
        let mut texts = std::collections::BTreeMap::new();
        texts.insert(
            "pl".to_string(),
            ServiceText {
                name: cell(1),
                description: cell(4),
                who: cell(6),
                documents: list(7, '|'),
            },
        );
        for (lang, name, desc) in [
            ("en", cell(2), cell(5)),
            ("sr-Latn", cell(3), String::new()),
        ] {
            if !name.is_empty() {
                texts.insert(
                    lang.to_string(),
                    ServiceText {
                        name,
                        description: desc,
                        ..Default::default()
                    },
                );
            }
        }
        let department = Some(cell(11)).filter(|d| !d.is_empty());
        let spec = ServiceSpec {
            code: cell(0),
            texts,
            legal_basis: cell(8),
            fee,
            handling_days,
            department,
            categories: list(12, ';'),
            life_events: list(13, ';'),
            channels: list(14, ';'),
        };
        if let Err(DomainError::Invalid(errs)) = spec.validate() {
            if let Some(e) = errs.0.first() {
                return Err(ImportError::at(line, Some(&e.field), e.code));
            }
        }
        out.push(spec);
    }
    Ok(out)
}

/// Reads a catalogue JSON file: an array of [`ServiceSpec`]. A syntax error names its line;
/// a service that breaks a rule names it as `[n].field` (n from 0) with line 0.
pub fn parse_json(text: &str) -> Result<Vec<ServiceSpec>, ImportError> {
    let specs: Vec<ServiceSpec> = serde_json::from_str(text)
        .map_err(|e| ImportError::at(e.line(), None, "err-import-json"))?;
    if specs.len() > MAX_IMPORT {
        return Err(ImportError::at(0, None, "err-import-too-many"));
    }
    for (n, spec) in specs.iter().enumerate() {
        if let Err(DomainError::Invalid(errs)) = spec.validate() {
            if let Some(e) = errs.0.first() {
                return Err(ImportError::at(
                    0,
                    Some(&format!("[{n}].{}", e.field)),
                    e.code,
                ));
            }
        }
    }
    Ok(specs)
}

/// An amount like `12`, `12.5` or `12,50` in the currency's smallest unit.
pub fn parse_amount(s: &str) -> Option<i64> {
    let s = s.trim().replace(',', ".");
    let (whole, frac) = s.split_once('.').unwrap_or((&s, ""));
    if whole.is_empty() || whole.len() > 9 || frac.len() > 2 {
        return None;
    }
    if !whole.bytes().all(|b| b.is_ascii_digit()) || !frac.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let whole: i64 = whole.parse().ok()?;
    let frac: i64 = format!("{frac:0<2}").parse().ok()?;
    Some(whole * 100 + frac).filter(|g| *g > 0)
}

/// Splits RFC 4180 CSV into rows of cells. Written here because the one field-tested CSV
/// crate is not among the project's dependencies and this is one small state machine.
pub(crate) fn csv_rows(text: &str) -> Result<Vec<Vec<String>>, ImportError> {
    let mut rows = Vec::new();
    let mut row = Vec::new();
    let mut cell = String::new();
    let mut quoted = false;
    let mut chars = text.trim_start_matches('\u{feff}').chars().peekable();
    let mut line = 1;
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                cell.push('"');
            }
            (true, '"') => quoted = false,
            (true, c) => {
                if c == '\n' {
                    line += 1;
                }
                cell.push(c);
            }
            (false, '"') if cell.is_empty() => quoted = true,
            (false, ',') => row.push(std::mem::take(&mut cell)),
            (false, '\r') => {}
            (false, '\n') => {
                row.push(std::mem::take(&mut cell));
                rows.push(std::mem::take(&mut row));
                line += 1;
            }
            (false, c) => cell.push(c),
        }
        if cell.len() > MAX_TEXT * 4 {
            return Err(ImportError::at(line, None, "err-import-long"));
        }
    }
    if quoted {
        return Err(ImportError::at(line, None, "err-import-quote"));
    }
    if !cell.is_empty() || !row.is_empty() {
        row.push(cell);
        rows.push(row);
    }
    Ok(rows)
}

/// Writes services as a catalogue CSV that [`parse_csv`] reads back.
pub fn to_csv(specs: &[ServiceSpec]) -> String {
    let q = crate::text::csv_cell;
    let mut out = CSV_COLUMNS.join(",");
    out.push_str("\r\n");
    for s in specs {
        let t = |lang: &str| s.texts.get(lang).cloned().unwrap_or_default();
        let (pl, en, sr) = (t("pl"), t("en"), t("sr-Latn"));
        let fee = match s.fee {
            Fee::None => "0".to_string(),
            Fee::Computed => "computed".to_string(),
            Fee::Fixed(g) => format!("{}.{:02}", g / 100, g % 100),
        };
        let cells = [
            s.code.clone(),
            pl.name,
            en.name,
            sr.name,
            pl.description,
            en.description,
            pl.who,
            pl.documents.join("|"),
            s.legal_basis.clone(),
            fee,
            s.handling_days.to_string(),
            s.department.clone().unwrap_or_default(),
            s.categories.join(";"),
            s.life_events.join(";"),
            s.channels.join(";"),
        ];
        let line: Vec<String> = cells.iter().map(|c| q(c)).collect();
        out.push_str(&line.join(","));
        out.push_str("\r\n");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn folding_drops_marks_and_writes_cyrillic_in_latin() {
        assert_eq!(
            fold("Zaświadczenie o ZAMELDOWANIU"),
            "zaswiadczenie o zameldowaniu"
        );
        assert_eq!(fold("Уверење о пребивалишту"), "uverenje o prebivalistu");
        assert_eq!(fold("Uverenje o prebivalištu"), "uverenje o prebivalistu");
        assert_eq!(fold("  wycinka -- drzew! "), "wycinka drzew");
        assert_eq!(
            query_words("Zaswiadczenie  zameldowanie"),
            ["zaswiadczenie", "zameldowanie"]
        );
        // Short words narrow nothing when a longer one is asked; alone, they are asked.
        assert_eq!(
            query_words("Zezwolenie na budowę"),
            ["zezwolenie", "budowe"]
        );
        assert_eq!(query_words("o"), ["o"]);
    }

    #[test]
    fn texts_fall_back_and_say_their_language() {
        let mut s = spec("A");
        s.texts.insert(
            "sr-Latn".into(),
            ServiceText {
                name: "Registracija psa, Đurđevdan, Njegoš, Ljubljana, džep".into(),
                ..Default::default()
            },
        );
        let t = s.local("sr-Cyrl");
        assert_eq!(
            (t.name.value.as_str(), t.name.lang),
            (
                "Регистрација пса, Ђурђевдан, Његош, Љубљана, џеп",
                "sr-Cyrl"
            )
        );
        assert_eq!(t.description.lang, "pl");
        assert_eq!(t.who.lang, "pl");
        assert_eq!(s.local("en").name.value, "Dog registration");
        assert_eq!(s.local("en").who.lang, "pl");
        assert_eq!(s.local("pl").documents.value.len(), 2);
    }

    #[test]
    fn amounts() {
        assert_eq!(parse_amount("17"), Some(1700));
        assert_eq!(parse_amount("17,5"), Some(1750));
        assert_eq!(parse_amount("0.01"), Some(1));
        assert_eq!(parse_amount("1.234"), None);
        assert_eq!(parse_amount("-3"), None);
        assert_eq!(parse_amount("0"), None);
    }

    fn spec(code: &str) -> ServiceSpec {
        let mut texts = std::collections::BTreeMap::new();
        texts.insert(
            "pl".into(),
            ServiceText {
                name: "Rejestracja psa, \"Azor\"".into(),
                description: "Opis\nw dwóch liniach".into(),
                who: "Właściciel psa".into(),
                documents: vec!["Książeczka szczepień".into(), "Dowód osobisty".into()],
            },
        );
        texts.insert(
            "en".into(),
            ServiceText {
                name: "Dog registration".into(),
                ..Default::default()
            },
        );
        ServiceSpec {
            code: code.into(),
            texts,
            legal_basis: "Ustawa z dnia 21 sierpnia 1997 r., art. 10".into(),
            fee: Fee::Fixed(2550),
            handling_days: 14,
            department: Some("OR".into()),
            categories: vec!["animals".into()],
            life_events: vec!["getting-a-pet".into()],
            channels: vec!["online".into(), "counter".into()],
        }
    }

    #[test]
    fn csv_round_trip_and_errors_name_the_place() {
        let specs = vec![spec("PIES-1"), spec("PIES-2")];
        let csv = to_csv(&specs);
        assert_eq!(parse_csv(&csv).expect("parse"), specs);
        let bad = csv.replace("14,OR", "dwa,OR");
        assert_eq!(
            parse_csv(&bad).expect_err("bad days"),
            ImportError::at(2, Some("handling_days"), "err-service-days")
        );
        assert_eq!(
            parse_csv("code,name\r\n").expect_err("header"),
            ImportError::at(1, None, "err-import-columns")
        );
        let unclosed = format!("{}\"oops", csv);
        assert_eq!(
            parse_csv(&unclosed).expect_err("quote").code,
            "err-import-quote"
        );
        let no_name = csv.replace("\"Rejestracja psa, \"\"Azor\"\"\"", "");
        assert_eq!(
            parse_csv(&no_name).expect_err("name"),
            ImportError::at(2, Some("name"), "err-service-name")
        );
    }

    #[test]
    fn json_round_trip_and_errors_name_the_place() {
        let specs = vec![spec("PIES-1")];
        let json = serde_json::to_string_pretty(&specs).expect("json");
        assert_eq!(parse_json(&json).expect("parse"), specs);
        assert_eq!(
            parse_json("[\n{\"code\": 1\n").expect_err("syntax"),
            ImportError::at(2, None, "err-import-json")
        );
        let bad = json.replace("\"handling_days\": 14", "\"handling_days\": 999");
        assert_eq!(
            parse_json(&bad).expect_err("rule"),
            ImportError::at(0, Some("[0].handling_days"), "err-service-days")
        );
    }

    #[test]
    fn validation_collects_every_problem() {
        let mut s = spec("bad code!");
        s.channels.clear();
        s.fee = Fee::Fixed(0);
        let Err(DomainError::Invalid(errs)) = s.validate() else {
            panic!("invalid")
        };
        let fields: Vec<&str> = errs.0.iter().map(|e| e.field.as_ref()).collect();
        assert_eq!(fields, ["code", "fee", "channels"]);
    }

    proptest! {
        #[test]
        fn folding_is_stable(s in "\\PC{0,60}") {
            let once = fold(&s);
            prop_assert_eq!(fold(&once), once.clone());
            prop_assert!(!once.starts_with(' ') && !once.ends_with(' '));
        }

        #[test]
        fn csv_never_panics(s in "[a-z0-9,\"\r\n;|. ]{0,300}") {
            let _ = parse_csv(&s);
        }
    }
}
