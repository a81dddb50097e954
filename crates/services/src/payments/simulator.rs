//! The local payment provider simulator: a stand-in, named as such, for a real Polish payment
//! provider, speaking the same protocol (register a transaction, a payment page, a signed
//! status notification to the merchant, the merchant's signed verification call, a daily
//! report). It exists because no real provider can be reached from here; with `--payment-url`
//! set it answers nothing, and okienko talks to the real one instead.

use super::*;
use okienko_store::SimTransaction;

impl Services {
    fn simulator_on(&self) -> Result<(), DomainError> {
        if self.payments.url.is_some() {
            return Err(DomainError::NotFound);
        }
        Ok(())
    }

    /// Registers a transaction (signed by the merchant); answers its token.
    pub async fn sim_register(&self, r: Register) -> Result<String, DomainError> {
        self.simulator_on()?;
        if r.merchant_id != self.payments.merchant_id
            || !payments::verify_fields(&self.payments.secret, &r.fields(), &r.sign)
        {
            return Err(DomainError::invalid("sign", "err-payment-signature"));
        }
        if r.amount <= 0 || r.currency.len() != 3 || r.description.chars().count() > 300 {
            return Err(DomainError::invalid("amount", "err-payment-mismatch"));
        }
        let token = crate::new_id();
        let t = SimTransaction {
            token: token.clone(),
            merchant_id: r.merchant_id,
            session_id: r.session_id,
            amount: r.amount,
            currency: r.currency,
            description: r.description,
            url_return: r.url_return,
            url_status: r.url_status,
            status: "registered".into(),
            order_id: None,
            created_at: self.now_ms(),
            paid_at: None,
        };
        self.store.sim_register(&t).await.map_err(|e| match e {
            okienko_store::StoreError::Conflict(_) => {
                DomainError::invalid("sessionId", "err-payment-mismatch")
            }
            e => e.into(),
        })?;
        Ok(token)
    }

    /// A registered transaction, for the simulator's payment page.
    pub async fn sim_transaction(&self, token: &str) -> Result<SimTransaction, DomainError> {
        self.simulator_on()?;
        self.store
            .sim_transaction(token)
            .await?
            .ok_or(DomainError::NotFound)
    }

    /// The payer pays (or gives up) on the simulator's page: the transaction is settled, the
    /// merchant is sent the signed notification (as a provider does, tried again a few times),
    /// and the payer goes back to the merchant's return address.
    pub async fn sim_decide(&self, token: &str, pay: bool) -> Result<String, DomainError> {
        let t = self.sim_transaction(token).await?;
        let order_id = format!("{}", 100_000_000 + (self.now_ms() % 900_000_000));
        let status = if pay { "paid" } else { "cancelled" };
        if !self
            .store
            .sim_settle(token, status, &order_id, self.now_ms())
            .await?
        {
            return Ok(t.url_return);
        }
        if pay {
            let mut n = Notification {
                merchant_id: t.merchant_id.clone(),
                session_id: t.session_id.clone(),
                order_id,
                amount: t.amount,
                currency: t.currency.clone(),
                sign: String::new(),
            };
            n.sign = payments::sign_fields(&self.payments.secret, &n.fields());
            for attempt in 0..3u64 {
                let sent = self
                    .payments
                    .client
                    .post(&t.url_status)
                    .json(&n)
                    .send()
                    .await;
                match sent {
                    Ok(r) if r.status().is_success() => break,
                    other => {
                        tracing::warn!("simulator notification to {}: {other:?}", t.url_status);
                        tokio::time::sleep(std::time::Duration::from_millis(200 * (attempt + 1)))
                            .await;
                    }
                }
            }
        }
        Ok(t.url_return)
    }

    /// The merchant's verification call: true when it names a paid transaction for its
    /// amount, signed by the merchant.
    pub async fn sim_verify(&self, n: &Notification) -> Result<bool, DomainError> {
        self.simulator_on()?;
        if !payments::verify_fields(&self.payments.secret, &n.fields(), &n.sign) {
            return Ok(false);
        }
        Ok(self
            .store
            .sim_by_session(&n.session_id)
            .await?
            .is_some_and(|t| {
                t.status == "paid"
                    && t.amount == n.amount
                    && t.currency == n.currency
                    && t.order_id.as_deref() == Some(n.order_id.as_str())
            }))
    }

    /// The merchant's paid transactions in `[from, to)`, for a signed request.
    pub async fn sim_report(
        &self,
        merchant_id: &str,
        (from, to): (i64, i64),
        sign: &str,
    ) -> Result<Vec<SimTransaction>, DomainError> {
        self.simulator_on()?;
        let fields = vec![
            ("merchantId", merchant_id.to_string()),
            ("from", from.to_string()),
            ("to", to.to_string()),
        ];
        if merchant_id != self.payments.merchant_id
            || !payments::verify_fields(&self.payments.secret, &fields, sign)
        {
            return Err(DomainError::invalid("sign", "err-payment-signature"));
        }
        Ok(self.store.sim_paid(merchant_id, from, to).await?)
    }
}
