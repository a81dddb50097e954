//! Trusted profile rules: the Polish ID card number, and the periods of an application and
//! a confirmed profile. Time is passed in.

use crate::Millis;

const DAY: Millis = 24 * 3600 * 1000;
/// An application waits this long for confirmation at a counter.
pub const APPLICATION_VALID: Millis = 14 * DAY;
/// A confirmed profile is valid three years (3 × 365 days and a leap day).
pub const PROFILE_VALID: Millis = (3 * 365 + 1) * DAY;
/// A profile can be extended once it is this close to expiry (six months).
pub const EXTEND_WINDOW: Millis = 183 * DAY;

/// A Polish ID card number: three letters and six digits, the first digit a check digit
/// (weights 7, 3, 1 over the letters as A=10 … Z=35 and the other digits, modulo 10).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdCard(String);

impl IdCard {
    pub fn parse(s: &str) -> Result<Self, &'static str> {
        let s: String = s
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect::<String>()
            .to_uppercase();
        let b = s.as_bytes();
        if b.len() != 9
            || !b[..3].iter().all(u8::is_ascii_uppercase)
            || !b[3..].iter().all(u8::is_ascii_digit)
        {
            return Err("err-id-card-format");
        }
        if check_digit(b) != u32::from(b[3] - b'0') {
            return Err("err-id-card-checksum");
        }
        Ok(IdCard(s))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

fn check_digit(b: &[u8]) -> u32 {
    let value = |c: u8| {
        if c.is_ascii_digit() {
            u32::from(c - b'0')
        } else {
            u32::from(c - b'A') + 10
        }
    };
    let weights = [7, 3, 1, 0, 7, 3, 1, 7, 3];
    b.iter()
        .zip(weights)
        .map(|(c, w)| value(*c) * w)
        .sum::<u32>()
        % 10
}

pub fn application_expires(created_at: Millis) -> Millis {
    created_at + APPLICATION_VALID
}

pub fn profile_valid_until(confirmed_at: Millis) -> Millis {
    confirmed_at + PROFILE_VALID
}

/// Whether a profile valid until `valid_until` may be extended at `now`: still valid, and
/// within six months of expiry.
pub fn may_extend(valid_until: Millis, now: Millis) -> bool {
    now < valid_until && valid_until - now <= EXTEND_WINDOW
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn known_numbers() {
        assert_eq!(
            IdCard::parse("ABA300000").map(|c| c.0),
            Ok("ABA300000".into())
        );
        assert_eq!(
            IdCard::parse("aba 300000").map(|c| c.0),
            Ok("ABA300000".into())
        );
        assert_eq!(IdCard::parse("ABA400000"), Err("err-id-card-checksum"));
        assert_eq!(IdCard::parse("AB3000000"), Err("err-id-card-format"));
        assert_eq!(IdCard::parse(""), Err("err-id-card-format"));
    }

    #[test]
    fn periods() {
        assert!(!may_extend(profile_valid_until(0), 0));
        let until = profile_valid_until(0);
        assert!(may_extend(until, until - EXTEND_WINDOW));
        assert!(!may_extend(until, until));
        assert_eq!(application_expires(0), 14 * DAY);
    }

    fn card() -> impl Strategy<Value = String> {
        ("[A-Z]{3}", "[0-9]{5}").prop_map(|(l, d)| {
            let mut s = format!("{l}0{d}");
            let c = check_digit(s.as_bytes());
            s.replace_range(3..4, &c.to_string());
            s
        })
    }

    proptest! {
        #[test]
        fn valid_numbers_parse_and_any_single_change_is_caught(s in card(), pos in 0usize..9, sub in 0u8..36) {
            prop_assert!(IdCard::parse(&s).is_ok());
            let mut b = s.clone().into_bytes();
            let new = if pos < 3 { b'A' + sub % 26 } else { b'0' + sub % 10 };
            prop_assume!(new != b[pos]);
            b[pos] = new;
            let changed = String::from_utf8(b).expect("ascii");
            // Letters weigh 7, 3 or 1 on values 10..35: a change of a letter by 10 with
            // weight 1, or by a multiple of 10, keeps the sum modulo 10, as in the real card
            // scheme; digits are always caught.
            if pos >= 3 {
                prop_assert!(IdCard::parse(&changed).is_err(), "{changed}");
            }
        }

        #[test]
        fn never_panics(s in "\\PC{0,20}") {
            let _ = IdCard::parse(&s);
        }
    }
}
