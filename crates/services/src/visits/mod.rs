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

pub(crate) mod cash;
mod history;
pub use cash::{
    format_amount, parse_amount, unused_numbers, void_reason, CashForm, CashInput, CashReport,
};
pub use history::{PastVisit, VisitRecord};

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
    pub(crate) async fn my_open_visit(
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

    /// The citizen as the clerk acts for them during a visit (a session of kind `counter`).
    pub(crate) async fn acting_citizen(&self, citizen: &User) -> Result<Principal, DomainError> {
        let now = self.now_ms();
        Ok(Principal {
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
            covering: Vec::new(),
        })
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
        let acting = self.acting_citizen(&citizen).await?;
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
