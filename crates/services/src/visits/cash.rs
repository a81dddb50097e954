//! Cash at the counter: a fee paid during a visit gets a numbered, signed receipt; the
//! day's cash report per service point.

use super::*;

/// An amount typed at the counter, in grosze: "12", "12,50" or "12.5" PLN; from 0.01 to
/// 100,000.00.
pub fn parse_amount(s: &str) -> Result<i64, &'static str> {
    let t = s.trim().replace(' ', "").replace(',', ".");
    let (whole, frac) = t.split_once('.').unwrap_or((&t, ""));
    if whole.is_empty()
        || whole.len() > 6
        || frac.len() > 2
        || !whole.bytes().all(|b| b.is_ascii_digit())
        || !frac.bytes().all(|b| b.is_ascii_digit())
    {
        return Err("err-amount");
    }
    let whole: i64 = whole.parse().map_err(|_| "err-amount")?;
    let frac: i64 = format!("{frac:0<2}").parse().map_err(|_| "err-amount")?;
    let grosze = whole * 100 + frac;
    if (1..=10_000_000).contains(&grosze) {
        Ok(grosze)
    } else {
        Err("err-amount")
    }
}

/// Grosze as "12.50".
pub fn format_amount(grosze: i64) -> String {
    format!("{}.{:02}", grosze / 100, grosze % 100)
}

/// A service point's cash for one day: its receipts and their total.
pub struct CashReport {
    pub point: ServicePoint,
    pub day: time::Date,
    pub receipts: Vec<okienko_store::CashReceipt>,
    pub total: i64,
    /// Numbers between the day's first and last receipt that no receipt carries: taken for
    /// a payment whose receipt never reached its commit (at most 100 are named).
    pub unused: Vec<i64>,
    /// The rest of the counter's day: identity decisions, visits, prints.
    pub counter: okienko_store::CounterDay,
}

impl Services {
    /// Takes a cash payment for a fee during a visit: a receipt numbered per service point,
    /// signed and in the evidence log, in the citizen's Data Tracker.
    pub async fn take_cash(
        &self,
        p: &Principal,
        visit_id: &str,
        amount: &str,
        title: &str,
    ) -> Result<okienko_store::CashReceipt, DomainError> {
        let (visit, point, citizen) = self.my_open_visit(p, visit_id).await?;
        let mut errs = FieldErrors::new();
        let amount = errs.check("amount", parse_amount(amount));
        let title = title.trim();
        if title.is_empty() || title.chars().count() > 200 {
            errs.add("title", "err-cash-title");
        }
        errs.finish()?;
        let Some(amount) = amount else {
            return Err(DomainError::invalid("amount", "err-amount"));
        };
        // The database hands the number out (once, whichever instance asks), so no signed
        // receipt is ever made for a number that goes to another payment. A number whose
        // receipt then fails to commit stays unused, and the cash report names it.
        let number = self.store.next_receipt_number(&point.id).await?;
        let now = self.now_ms();
        let id = format!("RC-{}", new_id());
        let doc = serde_json::json!({
            "receipt_id": id,
            "type": "cash-receipt",
            "issuing_service": self.base_url,
            "service_point": {"id": point.id, "name": point.name, "address": format!("{}, {} {}", point.street, point.postal_code, point.city)},
            "number": number,
            "amount": format_amount(amount),
            "currency": "PLN",
            "title": title,
            "paid_at": crate::clock::rfc3339(now),
            "clerk": p.user.display_name,
            "payer": citizen.display_name,
            "visit_id": visit.id,
        });
        let bytes =
            serde_json::to_vec_pretty(&doc).map_err(|e| DomainError::Internal(e.to_string()))?;
        let signed = self
            .sign_platform_evidence(vec![bytes.clone()])
            .await?
            .into_iter()
            .next()
            .ok_or(DomainError::Internal("no signature".into()))?;
        use base64::Engine;
        let mut receipt = okienko_store::CashReceipt {
            id: id.clone(),
            service_point_id: point.id.clone(),
            number,
            visit_id: visit.id.clone(),
            clerk_id: p.user.id.clone(),
            citizen_id: citizen.id.clone(),
            amount,
            title: title.to_string(),
            paid_at: now,
            document: String::from_utf8_lossy(&bytes).to_string(),
            signed_b64: base64::engine::general_purpose::STANDARD.encode(&signed),
            // Set by the log's commit, which stores the receipt with its leaf.
            log_index: -1,
        };
        let ev = AuditEvent::new(now, Some(&p.user.id), "counter.cash", &id)
            .subject(&citizen.id)
            .reason(format!(
                "cash payment of {} PLN for \"{title}\" taken by clerk {} for citizen {} at {}; receipt no. {number}",
                format_amount(amount),
                p.user.display_name,
                citizen.display_name,
                point.name
            ));
        // Signed, appended to the evidence log and stored with its audit event in one commit.
        let index = self
            .log
            .append_receipt(signed, (receipt.clone(), ev))
            .await
            .map_err(|e| DomainError::Internal(e.to_string()))?;
        receipt.log_index = index as i64;
        Ok(receipt)
    }

    /// A receipt by its number, for the public check page (which shows no names).
    pub async fn receipt_to_check(
        &self,
        id: &str,
    ) -> Result<Option<okienko_store::CashReceipt>, DomainError> {
        self.store.receipt(id).await.map_err(DomainError::from)
    }

    /// A receipt, for a clerk of its service point or the person who paid.
    pub async fn receipt(
        &self,
        p: &Principal,
        id: &str,
    ) -> Result<okienko_store::CashReceipt, DomainError> {
        let r = self.store.receipt(id).await?.ok_or(DomainError::NotFound)?;
        let clerk = okienko_domain::policy::allowed(
            &p.actor(),
            okienko_domain::policy::Action::HandlePaper {
                service_point_id: &r.service_point_id,
            },
        );
        if clerk || r.citizen_id == p.user.id {
            Ok(r)
        } else {
            Err(DomainError::NotFound)
        }
    }

    /// The clerk's service point's cash report for a civil day of the installation's country.
    pub async fn cash_report(
        &self,
        p: &Principal,
        day: Option<time::Date>,
    ) -> Result<CashReport, DomainError> {
        let point = self.clerk_point(p).await?;
        let day = day.unwrap_or_else(|| self.country.local(self.clock.now()).date());
        let from = okienko_domain::to_millis(self.country.day_start(day));
        // The next civil day's start: 23 or 25 hours later on the days the clocks change.
        let until = day
            .next_day()
            .map(|d| okienko_domain::to_millis(self.country.day_start(d)))
            .unwrap_or(from + 86_400_000);
        let receipts = self.store.receipts_between(&point.id, from, until).await?;
        let total = receipts.iter().map(|r| r.amount).sum();
        let counter = self.store.counter_day(&point.id, from, until).await?;
        let unused = unused_numbers(receipts.iter().map(|r| r.number));
        Ok(CashReport {
            counter,
            point,
            day,
            receipts,
            total,
            unused,
        })
    }
}

/// The numbers missing between consecutive ones of an ascending run (the first 100).
pub fn unused_numbers(numbers: impl IntoIterator<Item = i64>) -> Vec<i64> {
    let mut out = Vec::new();
    let mut prev: Option<i64> = None;
    for n in numbers {
        if let Some(p) = prev {
            out.extend((p + 1..n).take(100 - out.len()));
        }
        prev = Some(n);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn amounts() {
        assert_eq!(parse_amount("12"), Ok(1200));
        assert_eq!(parse_amount("12,5"), Ok(1250));
        assert_eq!(parse_amount(" 1 234.05 "), Ok(123_405));
        assert!(parse_amount("0").is_err());
        assert!(parse_amount("12.345").is_err());
        assert!(parse_amount("-3").is_err());
        assert!(parse_amount("100000.01").is_err());
        assert_eq!(format_amount(1250), "12.50");
    }

    #[test]
    fn gaps_in_numbers() {
        assert!(unused_numbers([3, 4, 5]).is_empty());
        assert_eq!(unused_numbers([1, 2, 5, 7]), vec![3, 4, 6]);
        assert_eq!(unused_numbers([1, 1_000_000]).len(), 100);
    }

    proptest! {
        #[test]
        fn amounts_round_trip(g in 1i64..=10_000_000) {
            prop_assert_eq!(parse_amount(&format_amount(g)), Ok(g));
        }

        #[test]
        fn never_panics(s in "\\PC{0,20}") {
            let _ = parse_amount(&s);
        }
    }
}
