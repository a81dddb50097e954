//! Validated input types. Each `parse` returns the normalized value or the Fluent id of the
//! message that tells a person how to fix it.

type Parsed<T> = Result<T, &'static str>;

fn digits<const N: usize>(s: &str) -> Option<[u32; N]> {
    let s = s.trim();
    if s.len() != N {
        return None;
    }
    let mut out = [0u32; N];
    for (i, c) in s.chars().enumerate() {
        out[i] = c.to_digit(10)?;
    }
    Some(out)
}

fn weighted(d: &[u32], w: &[u32]) -> u32 {
    d.iter().zip(w).map(|(a, b)| a * b).sum()
}

/// An email address: one `@`, a non-empty local part, a dotted domain, no spaces. Lower-cased.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email(String);

impl Email {
    pub fn parse(s: &str) -> Parsed<Self> {
        let s = s.trim().to_lowercase();
        if s.is_empty() {
            return Err("err-email-missing");
        }
        let ok = s.len() <= 254
            && !s.chars().any(|c| c.is_whitespace() || c.is_control())
            && match s.split_once('@') {
                Some((local, domain)) => {
                    !local.is_empty()
                        && !domain.contains('@')
                        && domain.contains('.')
                        && !domain.starts_with('.')
                        && !domain.ends_with('.')
                        && !domain.contains("..")
                }
                None => false,
            };
        if ok {
            Ok(Email(s))
        } else {
            Err("err-email-invalid")
        }
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A new password: 12 to 256 characters (NIST SP 800-63B: length over composition rules).
pub fn new_password(s: &str) -> Parsed<&str> {
    let n = s.chars().count();
    if n == 0 {
        Err("err-password-missing")
    } else if n < 12 {
        Err("err-password-short")
    } else if n > 256 {
        Err("err-password-long")
    } else {
        Ok(s)
    }
}

/// A person's or body's name: trimmed, 1..=200 characters, no control or bidirectional
/// override characters.
pub fn name(s: &str) -> Parsed<String> {
    let t = s.trim();
    if t.is_empty() {
        Err("err-name-missing")
    } else if t.chars().count() > 200 || !crate::text::clean_line(t) {
        Err("err-name-invalid")
    } else {
        Ok(t.to_string())
    }
}

/// Polish tax id (NIP): 10 digits, weights 6,5,7,2,3,4,5,6,7, sum mod 11 is the last digit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Nip(String);

impl Nip {
    pub fn parse(s: &str) -> Parsed<Self> {
        let clean: String = s.chars().filter(|c| *c != '-' && *c != ' ').collect();
        let d = digits::<10>(&clean).ok_or("err-nip-format")?;
        let sum = weighted(&d[..9], &[6, 5, 7, 2, 3, 4, 5, 6, 7]) % 11;
        if sum == 10 || sum != d[9] {
            return Err("err-nip-checksum");
        }
        Ok(Nip(clean))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Polish statistical number (REGON): 9 or 14 digits with their check digit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Regon(String);

impl Regon {
    pub fn parse(s: &str) -> Parsed<Self> {
        let clean: String = s.chars().filter(|c| *c != ' ').collect();
        let check = |d: &[u32], w: &[u32]| (weighted(d, w) % 11) % 10;
        if let Some(d) = digits::<9>(&clean) {
            if check(&d[..8], &[8, 9, 2, 3, 4, 5, 6, 7]) == d[8] {
                return Ok(Regon(clean));
            }
            return Err("err-regon-checksum");
        }
        if let Some(d) = digits::<14>(&clean) {
            let w = [2, 4, 8, 5, 0, 9, 7, 3, 6, 1, 2, 4, 8];
            if check(&d[..13], &w) == d[13] {
                return Ok(Regon(clean));
            }
            return Err("err-regon-checksum");
        }
        Err("err-regon-format")
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Polish postal code `DD-DDD`.
pub fn postal_code(s: &str) -> Parsed<String> {
    let t = s.trim();
    let b = t.as_bytes();
    if b.len() == 6
        && b[2] == b'-'
        && b.iter()
            .enumerate()
            .all(|(i, c)| i == 2 || c.is_ascii_digit())
    {
        Ok(t.to_string())
    } else {
        Err("err-postal-code")
    }
}

/// A department code like `OR` or `GK`: 1 to 8 capital ASCII letters.
pub fn department_code(s: &str) -> Parsed<String> {
    let t = s.trim().to_uppercase();
    if !t.is_empty() && t.len() <= 8 && t.bytes().all(|c| c.is_ascii_uppercase()) {
        Ok(t)
    } else {
        Err("err-department-code")
    }
}

/// PESEL: 11 digits, weights 1,3,7,9 repeated; a valid date of birth in its first six digits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pesel(String);

impl Pesel {
    pub fn parse(s: &str) -> Parsed<Self> {
        let d = digits::<11>(s).ok_or("err-pesel-format")?;
        let sum = weighted(&d[..10], &[1, 3, 7, 9, 1, 3, 7, 9, 1, 3]);
        if (10 - sum % 10) % 10 != d[10] {
            return Err("err-pesel-checksum");
        }
        Self::birth_date_of(&d).ok_or("err-pesel-date")?;
        Ok(Pesel(s.trim().to_string()))
    }

    fn birth_date_of(d: &[u32; 11]) -> Option<time::Date> {
        let yy = (d[0] * 10 + d[1]) as i32;
        let mm = d[2] * 10 + d[3];
        let dd = (d[4] * 10 + d[5]) as u8;
        let (century, month) = match mm {
            1..=12 => (1900, mm),
            21..=32 => (2000, mm - 20),
            41..=52 => (2100, mm - 40),
            61..=72 => (2200, mm - 60),
            81..=92 => (1800, mm - 80),
            _ => return None,
        };
        let month = time::Month::try_from(month as u8).ok()?;
        time::Date::from_calendar_date(century + yy, month, dd).ok()
    }

    pub fn birth_date(&self) -> Option<time::Date> {
        digits::<11>(&self.0).and_then(|d| Self::birth_date_of(&d))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A six-digit one-time code as typed (spaces allowed).
pub fn totp_code(s: &str) -> Parsed<String> {
    let c: String = s.chars().filter(|c| !c.is_whitespace()).collect();
    if c.len() == 6 && c.bytes().all(|b| b.is_ascii_digit()) {
        Ok(c)
    } else {
        Err("err-totp-format")
    }
}

/// A message's short reference, to read out on the phone: the last eight hex digits of its
/// identifier (random in a UUIDv7), as `D846-FFBE`.
pub fn message_reference(id: &str) -> String {
    let hex: Vec<char> = id
        .chars()
        .filter(char::is_ascii_hexdigit)
        .map(|c| c.to_ascii_uppercase())
        .collect();
    let tail: String = hex[hex.len().saturating_sub(8)..].iter().collect();
    match tail.len() {
        8 => format!("{}-{}", &tail[..4], &tail[4..]),
        _ => tail,
    }
}

/// The part of an identifier a typed short reference stands for (`d846ffbe` for `D846-FFBE`
/// or `d846 ffbe`), if the text is one.
pub fn reference_query(text: &str) -> Option<String> {
    let hex: String = text
        .chars()
        .filter(|c| !matches!(c, '-' | ' '))
        .collect::<String>()
        .to_ascii_lowercase();
    (hex.len() == 8 && hex.chars().all(|c| c.is_ascii_hexdigit()) && text.trim().len() <= 10)
        .then_some(hex)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn references() {
        let id = "01a2456f-6335-7452-b372-d2fad846ffbe";
        assert_eq!(message_reference(id), "D846-FFBE");
        assert_eq!(reference_query("D846-FFBE").as_deref(), Some("d846ffbe"));
        assert_eq!(reference_query(" d846 ffbe ").as_deref(), Some("d846ffbe"));
        assert!(id.ends_with(&reference_query(&message_reference(id)).unwrap_or_default()));
        assert_eq!(reference_query("Wniosek"), None);
        assert_eq!(reference_query("d846ffbe1"), None);
    }

    #[test]
    fn known_values() {
        assert!(Nip::parse("526-000-12-46").is_ok());
        assert_eq!(Nip::parse("5260001247"), Err("err-nip-checksum"));
        assert!(Regon::parse("123456785").is_ok());
        assert!(Pesel::parse("44051401359").is_ok());
        assert_eq!(Pesel::parse("44051401358"), Err("err-pesel-checksum"));
        assert!(Email::parse("Jan.Kowalski@Okienko.test").is_ok());
        assert_eq!(Email::parse("a@b"), Err("err-email-invalid"));
        assert_eq!(postal_code("00-950"), Ok("00-950".into()));
        assert_eq!(department_code(" gk "), Ok("GK".into()));
    }

    proptest! {
        #[test]
        fn parsers_never_panic(s in "\\PC{0,40}") {
            let _ = Email::parse(&s);
            let _ = Nip::parse(&s);
            let _ = Regon::parse(&s);
            let _ = Pesel::parse(&s);
            let _ = postal_code(&s);
            let _ = department_code(&s);
            let _ = totp_code(&s);
            let _ = name(&s);
        }

        #[test]
        fn nip_single_digit_change_is_caught(base in 0u64..1_000_000_000u64, pos in 0usize..10, delta in 1u32..10) {
            let nine = format!("{base:09}");
            let d: Vec<u32> = nine.chars().filter_map(|c| c.to_digit(10)).collect();
            let sum = weighted(&d, &[6, 5, 7, 2, 3, 4, 5, 6, 7]) % 11;
            prop_assume!(sum != 10);
            let good = format!("{nine}{sum}");
            prop_assert!(Nip::parse(&good).is_ok());
            let mut bad: Vec<u32> = good.chars().filter_map(|c| c.to_digit(10)).collect();
            bad[pos] = (bad[pos] + delta) % 10;
            let bad: String = bad.iter().map(|d| char::from_digit(*d, 10).unwrap_or('0')).collect();
            prop_assert!(Nip::parse(&bad).is_err());
        }

        #[test]
        fn any_valid_pesel_parses_with_its_birth_date_and_any_digit_change_is_caught(
            day in 1u32..=28, month in 1u32..=12, year in 1800i32..2300, serial in 0u32..10_000,
            pos in 0usize..11, delta in 1u32..10,
        ) {
            let offset = match year { 1800..=1899 => 80, 1900..=1999 => 0, 2000..=2099 => 20, 2100..=2199 => 40, _ => 60 };
            let ten = format!("{:02}{:02}{:02}{:04}", year % 100, month + offset, day, serial);
            let d: Vec<u32> = ten.chars().filter_map(|c| c.to_digit(10)).collect();
            let check = (10 - weighted(&d, &[1, 3, 7, 9, 1, 3, 7, 9, 1, 3]) % 10) % 10;
            let good = format!("{ten}{check}");
            let parsed = Pesel::parse(&good);
            prop_assert!(parsed.is_ok(), "{good}");
            let birth = parsed.ok().and_then(|p| p.birth_date());
            prop_assert_eq!(birth.map(|b| (b.year(), u8::from(b.month()) as u32, b.day() as u32)), Some((year, month, day)));
            let mut bad: Vec<u32> = good.chars().filter_map(|c| c.to_digit(10)).collect();
            bad[pos] = (bad[pos] + delta) % 10;
            let bad: String = bad.iter().map(|d| char::from_digit(*d, 10).unwrap_or('0')).collect();
            prop_assert!(Pesel::parse(&bad).is_err(), "{bad}");
        }

        #[test]
        fn pesel_single_digit_change_is_caught(pos in 0usize..11, delta in 1u32..10) {
            let mut d: Vec<u32> = "44051401359".chars().filter_map(|c| c.to_digit(10)).collect();
            d[pos] = (d[pos] + delta) % 10;
            let s: String = d.iter().map(|d| char::from_digit(*d, 10).unwrap_or('0')).collect();
            prop_assert!(Pesel::parse(&s).is_err());
        }
    }
}
