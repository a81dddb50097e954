//! Time-based one-time passwords (RFC 6238, SHA-1, 6 digits, 30 s), checked against a time
//! that the caller passes in.

use totp_rs::{Algorithm, TOTP};

/// Decodes a base32 secret (as shown to people and in authenticator apps).
pub fn decode_secret(b32: &str) -> Option<Vec<u8>> {
    let clean: String = b32
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '=')
        .collect();
    data_encoding::BASE32_NOPAD
        .decode(clean.to_uppercase().as_bytes())
        .ok()
}

/// Encodes a secret as base32 without padding.
pub fn encode_secret(secret: &[u8]) -> String {
    data_encoding::BASE32_NOPAD.encode(secret)
}

fn totp(secret: &[u8]) -> TOTP {
    // new_unchecked: the contract's demo secret is 80 bits, below totp-rs's 128-bit minimum
    // for new secrets; our own enrolment generates 160-bit secrets.
    TOTP::new_unchecked(Algorithm::SHA1, 6, 1, 30, secret.to_vec())
}

/// The code for a given Unix time.
pub fn code_at(secret: &[u8], unix: u64) -> String {
    totp(secret).generate(unix)
}

/// Checks `code` at `unix` allowing one step of clock skew either way. Returns the time step
/// that matched, which must be greater than `last_step` (a code is accepted only once).
pub fn verify(secret: &[u8], code: &str, unix: u64, last_step: Option<i64>) -> Option<i64> {
    let step = (unix / 30) as i64;
    let t = totp(secret);
    for s in [step - 1, step, step + 1] {
        if s < 0 || last_step.is_some_and(|l| s <= l) {
            continue;
        }
        if t.generate((s as u64) * 30) == code {
            return Some(s);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc6238_vector_and_replay() {
        // RFC 6238 appendix B, SHA-1, T = 59 s, 8 digits 94287082 -> 6 digits 287082.
        let secret = b"12345678901234567890";
        assert_eq!(code_at(secret, 59), "287082");
        let step = verify(secret, "287082", 59, None);
        assert_eq!(step, Some(1));
        assert_eq!(verify(secret, "287082", 59, step), None);
        assert!(decode_secret("JBSWY3DPEHPK3PXP").is_some());
    }
}
