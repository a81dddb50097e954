//! Tracking numbers of letters carried by the post, in the UPU S10 form the Polish and Serbian
//! posts print on registered mail: two letters of service (`RR`: registered letter), eight
//! digits of serial number, a check digit, and the ISO country code, e.g. `RR123456785PL`.

const WEIGHTS: [u32; 8] = [8, 6, 4, 2, 3, 5, 9, 7];

/// The S10 check digit of an eight-digit serial number.
pub fn check_digit(serial: u32) -> u32 {
    let digits = format!("{:08}", serial % 100_000_000);
    let sum: u32 = digits
        .bytes()
        .zip(WEIGHTS)
        .map(|(d, w)| u32::from(d - b'0') * w)
        .sum();
    match 11 - sum % 11 {
        10 => 0,
        11 => 5,
        c => c,
    }
}

/// A registered-letter tracking number for `serial` (taken modulo 10^8) in `country`.
pub fn tracking_number(serial: u32, country: &str) -> String {
    let serial = serial % 100_000_000;
    format!("RR{serial:08}{}{country}", check_digit(serial))
}

/// Checks the form and the check digit; returns the number in upper case.
pub fn parse(s: &str) -> Result<String, &'static str> {
    let s = s.trim().to_uppercase();
    let b = s.as_bytes();
    if b.len() != 13
        || !b[..2].iter().all(u8::is_ascii_uppercase)
        || !b[2..11].iter().all(u8::is_ascii_digit)
        || !b[11..].iter().all(u8::is_ascii_uppercase)
    {
        return Err("err-tracking-number");
    }
    let serial: u32 = s[2..10].parse().map_err(|_| "err-tracking-number")?;
    if u32::from(b[10] - b'0') != check_digit(serial) {
        return Err("err-tracking-number");
    }
    Ok(s)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn known_number() {
        // 8·1 + 6·2 + 4·3 + 2·4 + 3·5 + 5·6 + 9·7 + 7·8 = 204; 204 mod 11 = 6; 11 - 6 = 5.
        assert_eq!(tracking_number(12_345_678, "PL"), "RR123456785PL");
        assert_eq!(parse(" rr123456785pl "), Ok("RR123456785PL".into()));
        assert!(parse("RR123456784PL").is_err());
        assert!(parse("RR12345678PL").is_err());
    }

    proptest! {
        #[test]
        fn round_trip_and_wrong_check_refused(serial in 0u32..100_000_000, wrong in 0u32..10) {
            let t = tracking_number(serial, "PL");
            prop_assert_eq!(parse(&t), Ok(t.clone()));
            prop_assume!(wrong != check_digit(serial));
            let bad = format!("{}{}{}", &t[..10], wrong, &t[11..]);
            prop_assert!(parse(&bad).is_err());
        }

        #[test]
        fn never_panics(s in "\\PC{0,20}") {
            let _ = parse(&s);
        }
    }
}
