//! Where a case is (a building permit's plot, a tree to be felled, a road to be repaired): an
//! address, coordinates (WGS 84, as GPS and every web map give them), or both. Coordinates are
//! kept as whole ten-millionths of a degree (about a centimetre), so both stores hold them
//! exactly and they read back as they were written.

use crate::text::clean_text;

/// The longest address kept.
pub const MAX_ADDRESS_CHARS: usize = 300;

/// A point in WGS 84, in ten-millionths of a degree.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Point {
    pub lat_e7: i64,
    pub lon_e7: i64,
}

/// A case's place as asked for: an address, a point, or both.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Place {
    pub address: String,
    pub point: Option<Point>,
}

/// Reads one coordinate: a decimal number of degrees with a point or (as Polish and Serbian
/// write it) a comma, at most seven decimals, within `-limit..=limit`.
fn parse_degrees(s: &str, limit: i64) -> Option<i64> {
    let s = s.trim().replace(',', ".");
    let (neg, digits) = match s.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, s.strip_prefix('+').unwrap_or(&s)),
    };
    let (whole, frac) = digits.split_once('.').unwrap_or((digits, ""));
    let ok = !whole.is_empty()
        && whole.len() <= 3
        && whole.bytes().all(|b| b.is_ascii_digit())
        && frac.len() <= 7
        && frac.bytes().all(|b| b.is_ascii_digit())
        && !(digits.contains('.') && frac.is_empty());
    if !ok {
        return None;
    }
    let whole: i64 = whole.parse().ok()?;
    let frac: i64 = if frac.is_empty() {
        0
    } else {
        format!("{frac:0<7}").parse().ok()?
    };
    let v = whole * 10_000_000 + frac;
    (v <= limit * 10_000_000).then_some(if neg { -v } else { v })
}

/// Writes a coordinate as degrees with up to seven decimals (`52.2297`, `-0.5`, `21`).
pub fn degrees(v: i64) -> String {
    let sign = if v < 0 { "-" } else { "" };
    let a = v.unsigned_abs();
    let (whole, frac) = (a / 10_000_000, a % 10_000_000);
    if frac == 0 {
        format!("{sign}{whole}")
    } else {
        let f = format!("{frac:07}");
        format!("{sign}{whole}.{}", f.trim_end_matches('0'))
    }
}

/// Checks a place as a person typed it: the address (may be empty when there are coordinates),
/// the latitude and the longitude (both or neither). Errors name the field and the message.
pub fn parse_place(
    address: &str,
    lat: &str,
    lon: &str,
) -> Result<Place, Vec<(&'static str, &'static str)>> {
    let mut errors = Vec::new();
    let address = address.split_whitespace().collect::<Vec<_>>().join(" ");
    if address.chars().count() > MAX_ADDRESS_CHARS || !clean_text(&address) {
        errors.push(("address", "err-place-address"));
    }
    let point = match (lat.trim().is_empty(), lon.trim().is_empty()) {
        (true, true) => None,
        _ => {
            let la = parse_degrees(lat, 90);
            let lo = parse_degrees(lon, 180);
            if la.is_none() {
                errors.push(("lat", "err-place-lat"));
            }
            if lo.is_none() {
                errors.push(("lon", "err-place-lon"));
            }
            la.zip(lo).map(|(lat_e7, lon_e7)| Point { lat_e7, lon_e7 })
        }
    };
    if errors.is_empty() && address.is_empty() && point.is_none() {
        errors.push(("address", "err-place-empty"));
    }
    if errors.is_empty() {
        Ok(Place { address, point })
    } else {
        Err(errors)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn coordinates_read_with_a_point_or_a_comma() {
        let p = parse_place("ul. Lipowa 3, Wąchock", "51,0731", "21.0129").expect("place");
        assert_eq!(
            p.point,
            Some(Point {
                lat_e7: 510_731_000,
                lon_e7: 210_129_000
            })
        );
        assert_eq!(degrees(510_731_000), "51.0731");
        assert_eq!(degrees(-5_000_000), "-0.5");
        assert_eq!(degrees(210_000_000), "21");
        assert_eq!(parse_place("Rynek 1", "", "").expect("address").point, None);
    }

    #[test]
    fn what_is_refused() {
        let e = |a: &str, la: &str, lo: &str| parse_place(a, la, lo).expect_err("refused");
        assert_eq!(e("", "", ""), vec![("address", "err-place-empty")]);
        assert_eq!(e("x", "91", "20"), vec![("lat", "err-place-lat")]);
        assert_eq!(e("x", "52", "180.0000001"), vec![("lon", "err-place-lon")]);
        assert_eq!(e("x", "52", ""), vec![("lon", "err-place-lon")]);
        assert_eq!(e("x", "52.", "21"), vec![("lat", "err-place-lat")]);
        assert_eq!(e("x", "1e3", "21"), vec![("lat", "err-place-lat")]);
        assert_eq!(e("x", "52.12345678", "21"), vec![("lat", "err-place-lat")]);
        assert_eq!(e("a\u{0}b", "", ""), vec![("address", "err-place-address")]);
        assert_eq!(
            e(&"a".repeat(301), "", ""),
            vec![("address", "err-place-address")]
        );
    }

    proptest! {
        #[test]
        fn a_point_written_reads_back_the_same(lat in -900_000_000i64..=900_000_000, lon in -1_800_000_000i64..=1_800_000_000) {
            let p = parse_place("", &degrees(lat), &degrees(lon)).expect("point");
            prop_assert_eq!(p.point, Some(Point { lat_e7: lat, lon_e7: lon }));
        }

        #[test]
        fn reading_never_panics(a in "\\PC{0,40}", la in "\\PC{0,20}", lo in "\\PC{0,20}") {
            if let Ok(p) = parse_place(&a, &la, &lo) {
                if let Some(pt) = p.point {
                    prop_assert!(pt.lat_e7.abs() <= 900_000_000 && pt.lon_e7.abs() <= 1_800_000_000);
                }
            }
        }
    }
}
