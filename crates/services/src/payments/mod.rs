//! Paying a submission's fee online through a payment provider (`domain::payments`): the
//! transaction is registered with the provider, the payer sent there, and the payment counts
//! only when the provider's signed notification has been confirmed by a signed verification
//! call. The provider is any that speaks this protocol at `--payment-url`; without one, the
//! installation's own simulator (`simulator.rs`), named as such on every page it shows.

use crate::accounts::Principal;
use crate::Services;
use okienko_domain::audit::AuditEvent;
use okienko_domain::payments::{self, Notification, Outcome, Register};
use okienko_domain::policy::{allowed, Action};
use okienko_domain::status::SubmissionStatus;
use okienko_domain::DomainError;
use okienko_store::Payment;
use serde_json::Value;

pub mod counter;
pub mod simulator;

/// Where fees are paid.
#[derive(Clone, Debug)]
pub struct Provider {
    /// The provider's base URL; None: the simulator at this installation's own address.
    pub url: Option<String>,
    pub merchant_id: String,
    /// The secret both sides sign with.
    pub secret: Vec<u8>,
    pub client: reqwest::Client,
}

impl Provider {
    /// The built-in simulator: its secret is derived from the installation's log key, so
    /// every instance on one database agrees on it and nobody outside knows it.
    pub fn simulator(pki: &crate::pki::Pki) -> anyhow::Result<Provider> {
        use sha2::{Digest, Sha256};
        let mut h = Sha256::new();
        h.update(b"okienko payment simulator secret\0");
        h.update(pki.log_key.to_bytes());
        Ok(Provider {
            url: None,
            merchant_id: "okienko".into(),
            secret: h.finalize().to_vec(),
            client: reqwest::Client::builder()
                .timeout(std::time::Duration::from_secs(15))
                .build()?,
        })
    }
}

/// One office's payments of one day, and whether they balance with the provider's book.
#[derive(Debug, Clone)]
pub struct Reconciliation {
    pub payments: Vec<Payment>,
    pub total: i64,
    pub provider_total: i64,
    /// Session ids counted on one side only.
    pub unmatched: Vec<String>,
}

impl Services {
    fn provider_url(&self) -> String {
        self.payments
            .url
            .clone()
            .unwrap_or_else(|| format!("{}/payment-simulator", self.base_url))
    }

    /// Starts paying a submission's fee: registers a transaction with the provider (or goes
    /// on with a pending one) and answers where to send the payer.
    pub async fn start_payment(
        &self,
        p: &Principal,
        reference: &str,
    ) -> Result<String, DomainError> {
        let (s, form) = self.submission_view(p, reference).await?;
        if s.user_id.as_deref() != Some(p.user.id.as_str()) {
            return Err(DomainError::NotFound);
        }
        if SubmissionStatus::parse(&s.status) != Some(SubmissionStatus::AwaitingPayment) {
            return Err(DomainError::Conflict("err-payment-not-due"));
        }
        let provider = self.provider_url();
        if let Some(pending) = self
            .store
            .payments_of_message(&s.message_id)
            .await?
            .into_iter()
            .find(|x| x.status == "pending")
        {
            return Ok(format!("{provider}/trnRequest/{}", pending.token));
        }
        let session_id = format!("OK-{}", crate::new_id());
        let currency = self.country.currency().to_string();
        let mut reg = Register {
            merchant_id: self.payments.merchant_id.clone(),
            session_id: session_id.clone(),
            amount: s.fee,
            currency: currency.clone(),
            description: format!(
                "{} ({})",
                form.entry.spec.local("pl").name.value,
                s.reference
            ),
            url_return: format!("{}/submissions/{}", self.base_url, s.reference),
            url_status: format!("{}/api/v1/payments/notify", self.base_url),
            sign: String::new(),
        };
        reg.sign = payments::sign_fields(&self.payments.secret, &reg.fields());
        let unavailable = |e: String| {
            tracing::warn!("payment provider: {e}");
            DomainError::Conflict("err-payment-provider")
        };
        let answer: Value = self
            .payments
            .client
            .post(format!("{provider}/api/v1/transaction/register"))
            .json(&reg)
            .send()
            .await
            .map_err(|e| unavailable(e.to_string()))?
            .error_for_status()
            .map_err(|e| unavailable(e.to_string()))?
            .json()
            .await
            .map_err(|e| unavailable(e.to_string()))?;
        let token = answer["data"]["token"]
            .as_str()
            .filter(|t| {
                !t.is_empty()
                    && t.len() <= 100
                    && t.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
            })
            .ok_or_else(|| unavailable(format!("no token in {answer}")))?
            .to_string();
        let now = self.now_ms();
        let payment = Payment {
            session_id: session_id.clone(),
            message_id: s.message_id.clone(),
            office_id: s.office_id.clone(),
            user_id: s.user_id.clone(),
            amount: s.fee,
            currency,
            status: "pending".into(),
            token: token.clone(),
            order_id: None,
            created_at: now,
            paid_at: None,
            channel: okienko_store::payments::ONLINE.into(),
        };
        let ev = AuditEvent::new(now, Some(&p.user.id), "payment.start", &session_id)
            .reason(s.reference.clone());
        self.store.create_payment(&payment, &ev).await?;
        Ok(format!("{provider}/trnRequest/{token}"))
    }

    /// The provider's status notification. A forged one (bad signature, another amount) is
    /// refused and recorded; a replayed one changes nothing; a good one is confirmed with the
    /// provider (the verification call) before the payment counts and the submission moves
    /// on from "awaiting payment".
    pub async fn payment_notification(&self, n: Notification) -> Result<(), DomainError> {
        let now = self.now_ms();
        let session = n.session_id.clone();
        let refuse = |code: &'static str| async move {
            let ev = AuditEvent::new(now, None, "payment.refused", &session).reason(code);
            self.store.append_audit(&ev).await?;
            Err(DomainError::invalid("sign", code))
        };
        let Some(payment) = self.store.payment(&n.session_id).await? else {
            return refuse("err-payment-unknown").await;
        };
        let decided = payments::judge(
            &self.payments.secret,
            &self.payments.merchant_id,
            &n,
            (payment.amount, &payment.currency, payment.status == "paid"),
        );
        match decided {
            Outcome::Refused(code) => refuse(code).await,
            // Told again: the submission reaches the office if it has not yet (the first
            // notification's instance may have stopped in between).
            Outcome::AlreadyPaid => self.release_paid_submission(&payment.message_id).await,
            Outcome::Verify => {
                let mut v = Notification {
                    merchant_id: self.payments.merchant_id.clone(),
                    sign: String::new(),
                    ..n.clone()
                };
                v.sign = payments::sign_fields(&self.payments.secret, &v.fields());
                let answer: Value = self
                    .payments
                    .client
                    .put(format!("{}/api/v1/transaction/verify", self.provider_url()))
                    .json(&v)
                    .send()
                    .await
                    .map_err(|e| DomainError::Internal(format!("payment verify: {e}")))?
                    .json()
                    .await
                    .map_err(|e| DomainError::Internal(format!("payment verify: {e}")))?;
                if answer["data"]["status"] != "success" {
                    return refuse("err-payment-not-verified").await;
                }
                let ev = AuditEvent::new(now, None, "payment.paid", &n.session_id)
                    .reason(format!("{} {}", n.amount, n.currency));
                self.store
                    .mark_paid(&n.session_id, &n.order_id, now, &ev)
                    .await?;
                // Paid: the submission held back for its fee reaches the office.
                self.release_paid_submission(&payment.message_id).await
            }
        }
    }

    /// A submission's payments, for its page.
    pub async fn submission_payments(
        &self,
        p: &Principal,
        reference: &str,
    ) -> Result<Vec<Payment>, DomainError> {
        let (s, _) = self.submission_view(p, reference).await?;
        Ok(self.store.payments_of_message(&s.message_id).await?)
    }

    /// The day's payments of an office against the provider's book (for the office's staff).
    pub async fn reconcile_payments(
        &self,
        p: &Principal,
        office_id: &str,
        day: time::Date,
    ) -> Result<Reconciliation, DomainError> {
        let all = Action::HandleSubmissions {
            office_id,
            department_id: None,
        };
        if !allowed(&p.actor(), all) {
            return Err(DomainError::NotFound);
        }
        let from = okienko_domain::to_millis(self.country.day_start(day));
        let to = okienko_domain::to_millis(self.country.day_start(day.next_day().unwrap_or(day)));
        let ours = self.store.paid_payments(office_id, from, to).await?;
        let mut url = reqwest::Url::parse(&format!("{}/api/v1/report", self.provider_url()))
            .map_err(|e| DomainError::Internal(e.to_string()))?;
        let (fields, sign) = {
            let f = vec![
                ("merchantId", self.payments.merchant_id.clone()),
                ("from", from.to_string()),
                ("to", to.to_string()),
            ];
            let s = payments::sign_fields(&self.payments.secret, &f);
            (f, s)
        };
        for (k, v) in &fields {
            url.query_pairs_mut().append_pair(k, v);
        }
        url.query_pairs_mut().append_pair("sign", &sign);
        let book: Value = self
            .payments
            .client
            .get(url)
            .send()
            .await
            .map_err(|_| DomainError::Conflict("err-payment-provider"))?
            .json()
            .await
            .map_err(|_| DomainError::Conflict("err-payment-provider"))?;
        // The provider's book holds every merchant payment; this office's are those we know.
        let theirs: Vec<(String, i64)> = book["data"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|t| {
                        Some((t["sessionId"].as_str()?.to_string(), t["amount"].as_i64()?))
                    })
                    .collect()
            })
            .unwrap_or_default();
        let mut unmatched = Vec::new();
        let mut provider_total = 0;
        for x in &ours {
            match theirs.iter().find(|(s, _)| *s == x.session_id) {
                Some((_, a)) => {
                    provider_total += a;
                    if *a != x.amount {
                        unmatched.push(x.session_id.clone());
                    }
                }
                None => unmatched.push(x.session_id.clone()),
            }
        }
        for (s, a) in &theirs {
            if !ours.iter().any(|x| &x.session_id == s) {
                // Paid at the provider but not counted here: ours only if it is this office's.
                if let Some(mine) = self.store.payment(s).await? {
                    if mine.office_id == office_id {
                        unmatched.push(s.clone());
                        provider_total += a;
                    }
                }
            }
        }
        let total = ours.iter().map(|x| x.amount).sum();
        Ok(Reconciliation {
            payments: ours,
            total,
            provider_total,
            unmatched,
        })
    }
}
