//! Electronic delivery addresses `AE:PL-DDDDD-DDDDD-LLLLL-CC`. The check digits follow the
//! contract: the 15 characters DDDDDDDDDDLLLLL with each letter replaced by its number
//! (A=10 … Z=35, as in IBAN), then `00` appended, read as an integer N; CC = 98 - (N mod 97).

use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Address(String);

/// The check digits for the 15 body characters (10 digits then 5 capital letters).
fn check_digits(body: &str) -> Option<u32> {
    let mut rem: u32 = 0;
    for c in body.chars().chain("00".chars()) {
        let v = c.to_digit(36)?;
        // A letter stands for two decimal digits, a digit for one.
        rem = if v >= 10 {
            (rem * 100 + v) % 97
        } else {
            (rem * 10 + v) % 97
        };
    }
    Some(98 - rem)
}

impl Address {
    /// Parses an address, accepting lower case and surrounding spaces.
    pub fn parse(s: &str) -> Result<Address, &'static str> {
        let t = s.trim().to_uppercase();
        let b = t.as_bytes();
        let shape = b.len() == 26
            && t.starts_with("AE:PL-")
            && b[11] == b'-'
            && b[17] == b'-'
            && b[23] == b'-'
            && b[6..11]
                .iter()
                .chain(&b[12..17])
                .chain(&b[24..26])
                .all(u8::is_ascii_digit)
            && b[18..23].iter().all(u8::is_ascii_uppercase);
        if !shape {
            return Err("err-address-format");
        }
        let body = format!("{}{}{}", &t[6..11], &t[12..17], &t[18..23]);
        let cc: u32 = t[24..26].parse().map_err(|_| "err-address-format")?;
        if check_digits(&body) != Some(cc) {
            return Err("err-address-check");
        }
        Ok(Address(t))
    }

    /// Builds an address from its 10 digits and 5 letters, computing the check digits.
    pub fn from_parts(digits: &str, letters: &str) -> Result<Address, &'static str> {
        let ok = digits.len() == 10
            && digits.bytes().all(|c| c.is_ascii_digit())
            && letters.len() == 5
            && letters.bytes().all(|c| c.is_ascii_uppercase());
        if !ok {
            return Err("err-address-format");
        }
        let cc = check_digits(&format!("{digits}{letters}")).ok_or("err-address-format")?;
        Ok(Address(format!(
            "AE:PL-{}-{}-{letters}-{cc:02}",
            &digits[..5],
            &digits[5..]
        )))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn check_digits_follow_the_contract() {
        // 1234567890ABCDE -> 1234567890 10 11 12 13 14 00 ; N mod 97 computed independently.
        let n: u128 = "1234567890101112131400".parse().expect("n");
        let cc = 98 - (n % 97) as u32;
        let a = Address::from_parts("1234567890", "ABCDE").expect("address");
        assert_eq!(a.as_str(), format!("AE:PL-12345-67890-ABCDE-{cc:02}"));
        assert_eq!(Address::parse(&a.as_str().to_lowercase()), Ok(a.clone()));
        assert_eq!(
            Address::parse("AE:PL-12345-67890-ABCDE-00"),
            Err("err-address-check")
        );
        assert_eq!(
            Address::parse("AE:PL-12345-67890-ABCD1-00"),
            Err("err-address-format")
        );
        assert_eq!(Address::parse("nonsense"), Err("err-address-format"));
    }

    proptest! {
        #[test]
        fn valid_addresses_round_trip_and_any_single_change_is_caught(
            digits in "[0-9]{10}", letters in "[A-Z]{5}", pos in 0usize..15, repl in "[0-9A-Z]"
        ) {
            let a = Address::from_parts(&digits, &letters).expect("valid");
            prop_assert_eq!(Address::parse(a.as_str()), Ok(a.clone()));
            let mut body: Vec<char> = format!("{digits}{letters}").chars().collect();
            let r = repl.chars().next().unwrap_or('0');
            // Keep the shape (digits stay digits, letters letters) so only the check can fail.
            prop_assume!((pos < 10) == r.is_ascii_digit() && body[pos] != r);
            body[pos] = r;
            let b: String = body.into_iter().collect();
            let changed = format!("AE:PL-{}-{}-{}-{}", &b[..5], &b[5..10], &b[10..], &a.as_str()[24..]);
            prop_assert_eq!(Address::parse(&changed), Err("err-address-check"));
        }

        #[test]
        fn parse_never_panics(s in "\\PC{0,40}") {
            let _ = Address::parse(&s);
        }
    }
}
