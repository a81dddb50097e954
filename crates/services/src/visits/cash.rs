//! Cash at the counter: a fee paid during a visit gets a numbered, signed receipt; the
//! day's cash report per service point.

use super::*;
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use okienko_store::SignedRecord;

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

/// The reason a receipt is void, as the clerk wrote it: 3 to 500 characters.
pub fn void_reason(s: &str) -> Result<&str, DomainError> {
    let r = s.trim();
    if (3..=500).contains(&r.chars().count()) {
        Ok(r)
    } else {
        Err(DomainError::invalid("reason", "err-void-reason"))
    }
}

/// Grosze as "12.50".
pub fn format_amount(grosze: i64) -> String {
    format!("{}.{:02}", grosze / 100, grosze % 100)
}

/// A payment as typed at the counter, checked.
pub struct CashInput {
    /// The payer's name, for a walk-in payment.
    pub payer: Option<String>,
    /// In grosze.
    pub amount: i64,
    pub title: String,
    pub payee: Option<okienko_store::Office>,
}

/// A payment as typed at the counter, before it is checked. `payer` is the name a walk-in
/// payer gave (ignored during a visit: the visit's citizen pays); `payee` an office id or empty.
#[derive(Debug, Clone, Default)]
pub struct CashForm {
    pub payer: String,
    pub amount: String,
    pub title: String,
    pub payee: String,
}

/// A submission whose fee a receipt pays: its reference (named on the receipt) and the
/// payment to record with the receipt (its session id, times and order id are the receipt's).
pub(crate) struct FeeFor {
    pub reference: String,
    pub payment: okienko_store::Payment,
}

/// Who pays: the citizen of an assisted visit, or someone by the name they gave.
pub(crate) enum Payer<'a> {
    Visit(&'a CounterVisit, &'a User),
    WalkIn(&'a str),
}

/// A service point's cash for one day (or one clerk's part of it): its receipts and the total
/// of those not voided.
pub struct CashReport {
    pub point: ServicePoint,
    pub day: time::Date,
    pub receipts: Vec<okienko_store::CashReceipt>,
    pub total: i64,
    /// The clerk whose day close this is; `None` for the whole service point.
    pub clerk: Option<String>,
    /// Totals by payee office (name, grosze), receipts without a payee under the point's name.
    pub by_payee: Vec<(String, i64)>,
    /// Payee office names by id, for the receipts' rows.
    pub payees: std::collections::HashMap<String, String>,
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
        form: &CashForm,
    ) -> Result<okienko_store::CashReceipt, DomainError> {
        let (visit, point, citizen) = self.my_open_visit(p, visit_id).await?;
        let input = self.cash_input(form, false).await?;
        self.issue_receipt(p, &point, Payer::Visit(&visit, &citizen), input, None)
            .await
    }

    /// Checks a payment during a visit as [`Self::take_cash`] would, taking nothing: the payer,
    /// the amount in grosze, the title and the payee office.
    pub async fn check_cash(
        &self,
        p: &Principal,
        visit_id: &str,
        form: &CashForm,
    ) -> Result<CashInput, DomainError> {
        let (_, _, citizen) = self.my_open_visit(p, visit_id).await?;
        let mut input = self.cash_input(form, false).await?;
        input.payer = Some(citizen.display_name);
        Ok(input)
    }

    /// Checks a walk-in payment as [`Self::take_walk_in_cash`] would, taking nothing: the
    /// payer's name, the amount in grosze, the title and the payee office.
    pub async fn check_walk_in_cash(
        &self,
        p: &Principal,
        form: &CashForm,
    ) -> Result<CashInput, DomainError> {
        self.clerk_point(p).await?;
        self.cash_input(form, true).await
    }

    /// Takes a fee from someone without an account or trusted profile (a walk-in payment):
    /// the receipt names the payer as they gave their name and belongs to no account.
    pub async fn take_walk_in_cash(
        &self,
        p: &Principal,
        form: &CashForm,
    ) -> Result<okienko_store::CashReceipt, DomainError> {
        let point = self.clerk_point(p).await?;
        let input = self.cash_input(form, true).await?;
        let name = input.payer.clone().unwrap_or_default();
        self.issue_receipt(p, &point, Payer::WalkIn(&name), input, None)
            .await
    }

    /// What was typed for a payment, checked; every mistake at its field.
    async fn cash_input(&self, form: &CashForm, walk_in: bool) -> Result<CashInput, DomainError> {
        let mut errs = FieldErrors::new();
        let payer = if walk_in {
            errs.check("payer", okienko_domain::ids::name(&form.payer))
        } else {
            None
        };
        let payee = match form.payee.trim() {
            "" => None,
            id => match self.store.office(id).await? {
                Some(o) => Some(o),
                None => {
                    errs.add("payee", "err-payee");
                    None
                }
            },
        };
        let amount = errs.check("amount", parse_amount(&form.amount));
        let title = form.title.trim();
        if title.is_empty() || title.chars().count() > 200 {
            errs.add("title", "err-cash-title");
        }
        errs.finish()?;
        Ok(CashInput {
            payer,
            amount: amount.ok_or(DomainError::invalid("amount", "err-amount"))?,
            title: title.to_string(),
            payee,
        })
    }

    /// Numbers, signs and logs a receipt with its audit event, in one commit; with the
    /// submission's payment when it pays a fee.
    pub(crate) async fn issue_receipt(
        &self,
        p: &Principal,
        point: &ServicePoint,
        payer: Payer<'_>,
        input: CashInput,
        fee: Option<FeeFor>,
    ) -> Result<okienko_store::CashReceipt, DomainError> {
        let CashInput {
            amount,
            title,
            payee,
            ..
        } = input;
        let (payer_name, visit_id, citizen_id) = match payer {
            Payer::Visit(v, c) => (
                c.display_name.clone(),
                Some(v.id.clone()),
                Some(c.id.clone()),
            ),
            Payer::WalkIn(n) => (n.to_string(), None, None),
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
            "payer": payer_name,
            "visit_id": visit_id,
            "payee": payee.as_ref().map(|o| serde_json::json!({"id": o.id, "name": o.name})),
        });
        let mut doc = doc;
        if let Some(f) = &fee {
            doc["submission"] = serde_json::json!(f.reference);
        }
        let (bytes, signed) = self.sign_json(&doc).await?;
        let receipt = okienko_store::CashReceipt {
            id: id.clone(),
            service_point_id: point.id.clone(),
            number,
            payer_name: citizen_id.is_none().then(|| payer_name.clone()),
            visit_id,
            clerk_id: p.user.id.clone(),
            citizen_id: citizen_id.clone(),
            amount,
            title: title.clone(),
            paid_at: now,
            document: String::from_utf8_lossy(&bytes).to_string(),
            signed_b64: B64.encode(&signed),
            // Set by the log's commit, which stores the receipt with its leaf.
            log_index: -1,
            payee_office_id: payee.map(|o| o.id),
            void: None,
        };
        let mut ev = AuditEvent::new(now, Some(&p.user.id), "counter.cash", &id).reason(format!(
            "cash payment of {} PLN for \"{title}\" taken by clerk {} from {payer_name} at {}; receipt no. {number}",
            format_amount(amount),
            p.user.display_name,
            point.name
        ));
        if let Some(c) = &citizen_id {
            ev = ev.subject(c);
        }
        let mut record = match fee {
            Some(FeeFor { mut payment, .. }) => {
                payment.session_id = id.clone();
                payment.order_id = Some(id.clone());
                payment.status = "paid".into();
                payment.created_at = now;
                payment.paid_at = Some(now);
                payment.channel = okienko_store::payments::CASH.into();
                SignedRecord::CashFee(Box::new(okienko_store::payments::CashFee {
                    receipt,
                    payment,
                }))
            }
            None => SignedRecord::CashReceipt(Box::new(receipt)),
        };
        self.log_signed(signed, &mut record, ev).await?;
        match record {
            SignedRecord::CashReceipt(r) => Ok(*r),
            SignedRecord::CashFee(f) => Ok(f.receipt),
            _ => Err(DomainError::Internal("not a receipt".into())),
        }
    }

    /// The offices a clerk may take a fee for (the payee on a receipt), by name.
    pub async fn payee_offices(&self, p: &Principal) -> Result<Vec<(String, String)>, DomainError> {
        self.clerk_point(p).await?;
        let mut offices: Vec<(String, String)> = self
            .store
            .offices()
            .await?
            .into_iter()
            .map(|o| (o.id, o.name))
            .collect();
        offices.sort_by(|a, b| a.1.cmp(&b.1));
        Ok(offices)
    }

    /// Voids a receipt taken by mistake at the clerk's service point: the receipt stays, with
    /// a signed void beside it (the reason, the clerk, the time) in the evidence log and in the
    /// payer's Data Tracker. A receipt is voided once.
    pub async fn void_receipt(
        &self,
        p: &Principal,
        id: &str,
        reason: &str,
    ) -> Result<okienko_store::ReceiptVoid, DomainError> {
        let (r, point) = self.receipt_to_void(p, id).await?;
        let reason = void_reason(reason)?;
        let now = self.now_ms();
        let void_id = format!("RV-{}", new_id());
        let doc = serde_json::json!({
            "void_id": void_id,
            "type": "cash-receipt-void",
            "issuing_service": self.base_url,
            "receipt_id": r.id,
            "receipt_number": r.number,
            "service_point": {"id": point.id, "name": point.name},
            "amount": format_amount(r.amount),
            "currency": "PLN",
            "reason": reason,
            "voided_at": crate::clock::rfc3339(now),
            "clerk": p.user.display_name,
        });
        let (bytes, signed) = self.sign_json(&doc).await?;
        let void = okienko_store::ReceiptVoid {
            id: void_id.clone(),
            receipt_id: r.id.clone(),
            clerk_id: p.user.id.clone(),
            reason: reason.to_string(),
            voided_at: now,
            document: String::from_utf8_lossy(&bytes).to_string(),
            signed_b64: B64.encode(&signed),
            log_index: -1,
        };
        let mut ev = AuditEvent::new(now, Some(&p.user.id), "counter.cash.void", &r.id);
        if let Some(c) = &r.citizen_id {
            ev = ev.subject(c);
        }
        let ev = ev.reason(format!(
            "receipt no. {} of {} PLN voided by clerk {} at {}: {reason}",
            r.number,
            format_amount(r.amount),
            p.user.display_name,
            point.name
        ));
        let mut record = SignedRecord::ReceiptVoid(void);
        self.log_signed(signed, &mut record, ev).await?;
        match record {
            SignedRecord::ReceiptVoid(v) => Ok(v),
            _ => Err(DomainError::Internal("not a void".into())),
        }
    }

    /// A receipt of the clerk's own service point that is not voided yet, and the point: not
    /// found for anyone else (the payer too), a conflict once voided.
    pub async fn receipt_to_void(
        &self,
        p: &Principal,
        id: &str,
    ) -> Result<(okienko_store::CashReceipt, ServicePoint), DomainError> {
        let point = self.clerk_point(p).await?;
        let r = self
            .store
            .receipt(id)
            .await?
            .filter(|r| r.service_point_id == point.id)
            .ok_or(DomainError::NotFound)?;
        if r.void.is_some() {
            return Err(DomainError::Conflict("err-receipt-voided"));
        }
        // An application's fee: the application has gone to the office as paid, so the money
        // goes back only through the office (a refund), not by voiding the receipt.
        if self.store.payment(&r.id).await?.is_some() {
            return Err(DomainError::Conflict("err-receipt-pays-fee"));
        }
        Ok((r, point))
    }

    /// Signs a JSON document (enveloping CMS, the platform's seal): its bytes and signature.
    async fn sign_json(&self, doc: &serde_json::Value) -> Result<(Vec<u8>, Vec<u8>), DomainError> {
        let bytes =
            serde_json::to_vec_pretty(doc).map_err(|e| DomainError::Internal(e.to_string()))?;
        let signed = self
            .sign_platform_evidence(vec![bytes.clone()])
            .await?
            .into_iter()
            .next()
            .ok_or(DomainError::Internal("no signature".into()))?;
        Ok((bytes, signed))
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
        if clerk || r.citizen_id.as_deref() == Some(p.user.id.as_str()) {
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
        mine: bool,
    ) -> Result<CashReport, DomainError> {
        let point = self.clerk_point(p).await?;
        let day = day.unwrap_or_else(|| self.country.local(self.clock.now()).date());
        let from = okienko_domain::to_millis(self.country.day_start(day));
        // The next civil day's start: 23 or 25 hours later on the days the clocks change.
        let until = day
            .next_day()
            .map(|d| okienko_domain::to_millis(self.country.day_start(d)))
            .unwrap_or(from + 86_400_000);
        let mut receipts = self.store.receipts_between(&point.id, from, until).await?;
        // Gaps are the point's, whoever took the receipts around them.
        let unused = unused_numbers(receipts.iter().map(|r| r.number));
        if mine {
            receipts.retain(|r| r.clerk_id == p.user.id);
        }
        let payees: std::collections::HashMap<String, String> = self
            .store
            .offices()
            .await?
            .into_iter()
            .map(|o| (o.id, o.name))
            .collect();
        let mut by_payee: Vec<(String, i64)> = Vec::new();
        for r in receipts.iter().filter(|r| r.void.is_none()) {
            let name = r
                .payee_office_id
                .as_ref()
                .and_then(|id| payees.get(id))
                .cloned()
                .unwrap_or_else(|| point.name.clone());
            match by_payee.iter_mut().find(|(n, _)| *n == name) {
                Some((_, t)) => *t += r.amount,
                None => by_payee.push((name, r.amount)),
            }
        }
        by_payee.sort();
        let total = by_payee.iter().map(|(_, t)| t).sum();
        let counter = self.store.counter_day(&point.id, from, until).await?;
        Ok(CashReport {
            clerk: mine.then(|| p.user.display_name.clone()),
            by_payee,
            payees,
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
