//! Online payments of fees, shaped after the Polish payment providers' protocol (Przelewy24,
//! PayU, Tpay alike): the merchant registers a transaction (its session id, the amount in the
//! smallest unit, a signature), sends the payer to the provider, receives a signed status
//! notification, and must confirm it with a signed verification call before the payment
//! counts. Here: the messages, their signatures and the rules of a payment's state. No IO.

use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

/// What a signature covers: the fields of a message in a fixed order, each `name=value`, with
/// a separator no value may contain (session ids, amounts and currencies never hold `|`).
fn signed_text(fields: &[(&str, &str)]) -> String {
    fields
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("|")
}

/// HMAC-SHA256 (hex) of `fields` under the merchant's secret.
pub fn sign(secret: &[u8], fields: &[(&str, &str)]) -> String {
    let Ok(mut mac) = HmacSha256::new_from_slice(secret) else {
        return String::new();
    };
    mac.update(signed_text(fields).as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

/// Whether `signature` is the right one, compared in constant time.
pub fn verify(secret: &[u8], fields: &[(&str, &str)], signature: &str) -> bool {
    let Ok(sig) = hex::decode(signature.trim()) else {
        return false;
    };
    let Ok(mut mac) = HmacSha256::new_from_slice(secret) else {
        return false;
    };
    mac.update(signed_text(fields).as_bytes());
    mac.verify_slice(&sig).is_ok()
}

/// Registering a transaction (merchant to provider).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Register {
    pub merchant_id: String,
    pub session_id: String,
    pub amount: i64,
    pub currency: String,
    pub description: String,
    pub url_return: String,
    pub url_status: String,
    pub sign: String,
}

impl Register {
    pub fn fields(&self) -> Vec<(&str, String)> {
        vec![
            ("merchantId", self.merchant_id.clone()),
            ("sessionId", self.session_id.clone()),
            ("amount", self.amount.to_string()),
            ("currency", self.currency.clone()),
        ]
    }
}

/// The provider's status notification (provider to merchant), and the merchant's
/// verification call (merchant to provider): the same fields, each signed by its sender.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Notification {
    pub merchant_id: String,
    pub session_id: String,
    /// The provider's number of the payment.
    pub order_id: String,
    pub amount: i64,
    pub currency: String,
    pub sign: String,
}

impl Notification {
    pub fn fields(&self) -> Vec<(&str, String)> {
        vec![
            ("merchantId", self.merchant_id.clone()),
            ("sessionId", self.session_id.clone()),
            ("orderId", self.order_id.clone()),
            ("amount", self.amount.to_string()),
            ("currency", self.currency.clone()),
        ]
    }
}

/// Signs or checks a message by its fields.
pub fn sign_fields(secret: &[u8], fields: &[(&str, String)]) -> String {
    let f: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    sign(secret, &f)
}

pub fn verify_fields(secret: &[u8], fields: &[(&str, String)], signature: &str) -> bool {
    let f: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    verify(secret, &f, signature)
}

/// What a notification does to a payment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// It is the payment's, signed, for its amount: verify it with the provider, then count it.
    Verify,
    /// Already counted: a replay changes nothing.
    AlreadyPaid,
    /// Refused: the signature, the merchant, the amount or the currency is not the payment's.
    Refused(&'static str),
}

/// Decides a notification for a payment of `amount` in `currency` that is `paid` or not.
pub fn judge(
    secret: &[u8],
    merchant_id: &str,
    n: &Notification,
    (amount, currency, paid): (i64, &str, bool),
) -> Outcome {
    if !verify_fields(secret, &n.fields(), &n.sign) {
        return Outcome::Refused("err-payment-signature");
    }
    if n.merchant_id != merchant_id || n.amount != amount || n.currency != currency {
        return Outcome::Refused("err-payment-mismatch");
    }
    if paid {
        Outcome::AlreadyPaid
    } else {
        Outcome::Verify
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn note(secret: &[u8], amount: i64) -> Notification {
        let mut n = Notification {
            merchant_id: "m1".into(),
            session_id: "s1".into(),
            order_id: "o1".into(),
            amount,
            currency: "PLN".into(),
            sign: String::new(),
        };
        n.sign = sign_fields(secret, &n.fields());
        n
    }

    #[test]
    fn a_notification_counts_once_and_only_when_signed_for_the_amount() {
        let k = b"secret";
        assert_eq!(
            judge(k, "m1", &note(k, 1700), (1700, "PLN", false)),
            Outcome::Verify
        );
        assert_eq!(
            judge(k, "m1", &note(k, 1700), (1700, "PLN", true)),
            Outcome::AlreadyPaid
        );
        // Forged: signed with another key, or changed after signing.
        assert_eq!(
            judge(k, "m1", &note(b"other", 1700), (1700, "PLN", false)),
            Outcome::Refused("err-payment-signature")
        );
        let mut changed = note(k, 1);
        changed.amount = 1700;
        assert_eq!(
            judge(k, "m1", &changed, (1700, "PLN", false)),
            Outcome::Refused("err-payment-signature")
        );
        assert_eq!(
            judge(k, "m1", &note(k, 100), (1700, "PLN", false)),
            Outcome::Refused("err-payment-mismatch")
        );
        assert!(!verify(k, &[("a", "1")], "zz"));
    }
}
