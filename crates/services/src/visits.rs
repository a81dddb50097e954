//! Assisted service at a post office counter: with the citizen present, identified by the
//! PESEL and ID card of their trusted profile, and their consent recorded, a clerk acts for
//! them — sees their e-delivery inbox and prints a message for them (which hands it over:
//! `content-handover` evidence "handed over at counter X by clerk Y"). A clerk can do none of
//! this outside an open visit of their own; every step is in the citizen's Data Tracker as
//! "by clerk Y for citizen Z at point X".

use crate::accounts::Principal;
use crate::trusted::in_force;
use crate::{new_id, Services};
use okienko_domain::audit::AuditEvent;
use okienko_domain::ids::Pesel;
use okienko_domain::trusted::IdCard;
use okienko_domain::{DomainError, FieldErrors, Role};
use okienko_store::{CounterVisit, MessageSummary, ServicePoint, User};
use serde::Deserialize;

/// What the clerk types to start a visit.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct VisitInput {
    #[serde(default)]
    pub pesel: String,
    #[serde(default)]
    pub id_document_number: String,
    /// The citizen said yes to the clerk acting for them.
    #[serde(default)]
    pub consent: bool,
}

/// An open visit as the clerk's screen shows it.
pub struct VisitView {
    pub visit: CounterVisit,
    pub point: ServicePoint,
    pub citizen: User,
    /// The citizen's own delivery mailbox and its inbox, newest first.
    pub mailbox: Option<String>,
    pub inbox: Vec<MessageSummary>,
}

impl Services {
    /// The clerk's open service point: `err-point-closed` when all of theirs are closed,
    /// not found for anyone who is no clerk.
    pub(crate) async fn clerk_point(&self, p: &Principal) -> Result<ServicePoint, DomainError> {
        let mut closed = false;
        for g in p.grants.iter().filter(|g| g.role == Role::Clerk) {
            let Some(id) = &g.service_point_id else {
                continue;
            };
            match self.store.service_point(id).await? {
                Some(sp) if sp.is_open => return Ok(sp),
                Some(_) => closed = true,
                None => {}
            }
        }
        if closed {
            Err(DomainError::Conflict("err-point-closed"))
        } else {
            Err(DomainError::NotFound)
        }
    }

    /// Starts an assisted visit: the citizen is identified by PESEL and the ID card their
    /// trusted profile was confirmed with, and consents.
    pub async fn start_visit(
        &self,
        p: &Principal,
        input: &VisitInput,
    ) -> Result<CounterVisit, DomainError> {
        let point = self.clerk_point(p).await?;
        let mut errs = FieldErrors::new();
        let pesel = errs.check("pesel", Pesel::parse(&input.pesel));
        let card = errs.check(
            "id_document_number",
            IdCard::parse(&input.id_document_number),
        );
        if !input.consent {
            errs.add("consent", "err-consent");
        }
        errs.finish()?;
        let (Some(pesel), Some(card)) = (pesel, card) else {
            return Err(DomainError::invalid("pesel", "err-pesel-format"));
        };
        let now = self.now_ms();
        let unknown = || DomainError::invalid("pesel", "err-visit-no-profile");
        let tp = self
            .store
            .trusted_profile_by_pesel(pesel.as_str())
            .await?
            .filter(|tp| in_force(tp, now))
            .ok_or_else(unknown)?;
        let app = self
            .store
            .tp_application(&tp.application)
            .await?
            .ok_or_else(unknown)?;
        if app.id_document != card.as_str() {
            return Err(DomainError::invalid(
                "id_document_number",
                "err-id-document-mismatch",
            ));
        }
        let visit = CounterVisit {
            id: new_id(),
            service_point_id: point.id.clone(),
            clerk_id: p.user.id.clone(),
            citizen_id: tp.user_id.clone(),
            consent_at: now,
            started_at: now,
            ended_at: None,
        };
        let ev = AuditEvent::new(now, Some(&p.user.id), "counter.visit.start", &visit.id)
            .subject(&tp.user_id)
            .reason(format!(
                "assisted visit by clerk {} for citizen {} {} at {}; consent recorded",
                p.user.display_name, tp.first_name, tp.last_name, point.name
            ));
        self.store.create_visit(&visit, &ev).await?;
        Ok(visit)
    }

    /// The principal's own open visit, or not found: a clerk acts for a citizen only within
    /// a visit they started and have not ended.
    async fn my_open_visit(
        &self,
        p: &Principal,
        id: &str,
    ) -> Result<(CounterVisit, ServicePoint, User), DomainError> {
        let v = self
            .store
            .visit(id)
            .await?
            .filter(|v| v.clerk_id == p.user.id && v.ended_at.is_none())
            .ok_or(DomainError::NotFound)?;
        let point = self.clerk_point(p).await?;
        if point.id != v.service_point_id {
            return Err(DomainError::NotFound);
        }
        let citizen = self
            .store
            .user_by_id(&v.citizen_id)
            .await?
            .ok_or(DomainError::NotFound)?;
        Ok((v, point, citizen))
    }

    async fn citizen_mailbox(&self, citizen: &User) -> Result<Option<String>, DomainError> {
        Ok(self
            .store
            .mailboxes_of_user(&citizen.id)
            .await?
            .into_iter()
            .find(|(m, r)| m.kind == crate::mailboxes::PERSON && r == "owner")
            .map(|(m, _)| m.address))
    }

    pub async fn visit_view(&self, p: &Principal, id: &str) -> Result<VisitView, DomainError> {
        let (visit, point, citizen) = self.my_open_visit(p, id).await?;
        let mailbox = self.citizen_mailbox(&citizen).await?;
        let inbox = match &mailbox {
            Some(a) => {
                self.store
                    .list_messages(
                        a,
                        okienko_store::Folder::Inbox,
                        &okienko_store::ListFilter::default(),
                        None,
                        50,
                    )
                    .await?
            }
            None => Vec::new(),
        };
        // The inbox shown during a visit is one event in the citizen's Data Tracker, however
        // often the clerk's page reloads.
        let shown_before = self
            .store
            .audit_for_subject(&citizen.id, 200)
            .await?
            .iter()
            .any(|e| e.action == "counter.inbox.view" && e.object == id);
        if mailbox.is_some() && !shown_before {
            let ev = AuditEvent::new(self.now_ms(), Some(&p.user.id), "counter.inbox.view", id)
                .subject(&citizen.id)
                .reason(format!(
                    "inbox shown by clerk {} for citizen {} at {}",
                    p.user.display_name, citizen.display_name, point.name
                ));
            self.store.append_audit(&ev).await?;
        }
        Ok(VisitView {
            visit,
            point,
            citizen,
            mailbox,
            inbox,
        })
    }

    /// Prints one of the citizen's messages at the counter: a PDF to hand over, and — if it
    /// had not reached them yet — its `content-handover` evidence naming the counter and
    /// the clerk.
    pub async fn print_for_citizen(
        &self,
        p: &Principal,
        visit_id: &str,
        message_id: &str,
        labels: PrintLabels,
    ) -> Result<Vec<u8>, DomainError> {
        let (_, point, citizen) = self.my_open_visit(p, visit_id).await?;
        let mailbox = self
            .citizen_mailbox(&citizen)
            .await?
            .ok_or(DomainError::NotFound)?;
        let message = self
            .stored_message(message_id)
            .await?
            .ok_or(DomainError::NotFound)?;
        let deliveries = self.store.deliveries(message_id).await?;
        if !deliveries.iter().any(|d| d.recipient == mailbox) {
            return Err(DomainError::NotFound);
        }
        // The printout is made before the hand-over is recorded: a message that cannot be
        // printed has not been handed over. The attachments follow the covering text, page
        // for page (the citizen leaves with the document, not its hash); they came from
        // outside, so they are rendered in the limited worker.
        let attachments = self.store.attachments(message_id).await?;
        let mut files = Vec::with_capacity(attachments.len());
        for a in &attachments {
            files.push(self.blob(&a.sha256).await?);
        }
        let name_of = |address: String, name: Option<String>| match name {
            Some(n) => format!("{n} ({address})"),
            None => address,
        };
        let sender_name = self.store.mailbox(&message.sender).await?.map(|m| m.name);
        let job = crate::sandbox::SheetJob {
            title: message.subject.clone(),
            paragraphs: vec![labels.note],
            rows: vec![
                (labels.from, name_of(message.sender.clone(), sender_name)),
                (
                    labels.to,
                    name_of(mailbox.clone(), Some(citizen.display_name.clone())),
                ),
                (labels.sent, (labels.when)(message.sent_at)),
            ],
            appendix_title: labels.body,
            appendix: message.body.clone(),
            footer: format!("{} · {}", point.name, message.id),
            attachment_label: labels.attachment,
            attachments: attachments
                .iter()
                .zip(&files)
                .map(|(a, f)| (a.name.clone(), a.media_type.clone(), f.len() as u64))
                .collect(),
        };
        let pdf = self.sandbox.sheet(job, files).await.map_err(|r| match r {
            crate::sandbox::Refusal::TooManySheets | crate::sandbox::Refusal::TooLarge => {
                DomainError::invalid("message", "err-letter-too-long")
            }
            crate::sandbox::Refusal::Unprintable => {
                DomainError::invalid("message", "err-attachment-not-printable")
            }
        })?;
        let extra = serde_json::json!({
            "opened_by": citizen.display_name,
            "handed_over_at_counter": point.name,
            "by_clerk": p.user.display_name,
        });
        self.hand_over(message, deliveries, std::slice::from_ref(&mailbox), extra)
            .await?;
        let ev = AuditEvent::new(
            self.now_ms(),
            Some(&p.user.id),
            "counter.message.print",
            message_id,
        )
        .subject(&citizen.id)
        .reason(format!(
            "message printed by clerk {} for citizen {} at {}",
            p.user.display_name, citizen.display_name, point.name
        ));
        self.store.append_audit(&ev).await?;
        Ok(pdf)
    }

    /// Sends an e-delivery message from the citizen's mailbox on their behalf, within the
    /// visit; the citizen's Data Tracker says which clerk sent it where.
    pub async fn send_for_citizen(
        &self,
        p: &Principal,
        visit_id: &str,
        to: Vec<String>,
        subject: &str,
        body: &str,
    ) -> Result<crate::delivery::Sent, DomainError> {
        let (_, point, citizen) = self.my_open_visit(p, visit_id).await?;
        let from = self
            .citizen_mailbox(&citizen)
            .await?
            .ok_or(DomainError::Conflict("err-visit-no-mailbox"))?;
        let now = self.now_ms();
        let acting = Principal {
            grants: self.store.grants_of(&citizen.id).await?,
            session: okienko_store::Session {
                token_hash: String::new(),
                user_id: citizen.id.clone(),
                kind: "counter".into(),
                csrf: String::new(),
                created_at: now,
                expires_at: now,
                device: String::new(),
            },
            user: citizen.clone(),
        };
        let sent = self
            .send_message(
                &acting,
                crate::delivery::Outgoing {
                    from,
                    to,
                    subject: subject.to_string(),
                    body: body.to_string(),
                    attachments: Vec::new(),
                    idempotency_key: None,
                    postal: Vec::new(),
                    reply_to: None,
                    bulk: false,
                    correctable: false,
                },
            )
            .await?;
        let ev = AuditEvent::new(
            self.now_ms(),
            Some(&p.user.id),
            "counter.message.send",
            &sent.id,
        )
        .subject(&citizen.id)
        .reason(format!(
            "message sent by clerk {} for citizen {} at {}",
            p.user.display_name, citizen.display_name, point.name
        ));
        self.store.append_audit(&ev).await?;
        Ok(sent)
    }

    pub async fn end_visit(&self, p: &Principal, id: &str) -> Result<(), DomainError> {
        let (visit, point, citizen) = self.my_open_visit(p, id).await?;
        let ev = AuditEvent::new(self.now_ms(), Some(&p.user.id), "counter.visit.end", id)
            .subject(&citizen.id)
            .reason(format!(
                "assisted visit by clerk {} for citizen {} at {} ended",
                p.user.display_name, citizen.display_name, point.name
            ));
        if !self.store.end_visit(&visit.id, self.now_ms(), &ev).await? {
            return Err(DomainError::NotFound);
        }
        Ok(())
    }
}

/// The words of a printout, in the language it is printed in.
pub struct PrintLabels {
    /// Writes a time as the printout's language does.
    pub when: Box<dyn Fn(i64) -> String + Send + Sync>,
    pub from: String,
    pub to: String,
    pub sent: String,
    pub body: String,
    pub attachment: String,
    pub note: String,
}

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
