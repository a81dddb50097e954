//! Decisions in cases: drafted from the office's templates with fields from the case,
//! approved by the head where the template asks so, rendered as PDF/A, signed with the office
//! seal (CAdES-T) with the signing evidence in the log, and dispatched to the party through
//! e-delivery or on paper; the delivery evidence of that message starts the appeal period.

use super::{date_text, parse_date};
use crate::accounts::Principal;
use crate::clock::rfc3339;
use crate::delivery::Outgoing;
use crate::paper::PostalRecipient;
use crate::Services;
use base64::Engine;
use okienko_domain::audit::AuditEvent;
use okienko_domain::cases::{self, CaseStatus, TemplateError};
use okienko_domain::error::FieldErrors;
use okienko_domain::policy::{allowed, Action};
use okienko_domain::{from_millis, DomainError};
use okienko_i18n::Lang;
use okienko_store::{
    Case, CaseEvent, Decision, DecisionTemplate, EvidenceRecord, SignedDecision, SignedRecord,
};
use serde_json::json;
use time::Date;

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

/// The longest text a template or a decision may have.
pub const MAX_DECISION_CHARS: usize = 50_000;

/// The states of a decision, in order.
pub const DRAFT: &str = "draft";
pub const FOR_APPROVAL: &str = "for-approval";
pub const APPROVED: &str = "approved";
pub const SIGNED: &str = "signed";
pub const DISPATCHED: &str = "dispatched";

/// What an office admin saves as a template.
#[derive(Debug, Clone, Default)]
pub struct TemplateInput {
    /// Empty for a new template.
    pub id: Option<String>,
    pub name: String,
    /// A JRWA class with a category, or empty for any.
    pub jrwa: String,
    pub body: String,
    pub approval: bool,
}

/// How a dispatched decision reached the party: when (opened or deemed delivered), the
/// evidence of it, and the last day to appeal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivered {
    pub recipient: String,
    pub at: i64,
    /// Deemed delivered (14 days in the mailbox) rather than opened.
    pub deemed: bool,
    pub evidence_id: Option<String>,
    pub appeal_until: String,
}

/// A decision as the case page shows it.
#[derive(Debug, Clone)]
pub struct DecisionView {
    pub decision: Decision,
    pub delivered: Option<Delivered>,
    /// Recipients the message still waits for (neither opened nor deemed delivered).
    pub waiting: Vec<String>,
    /// Paper letters (tracking numbers) that carry it.
    pub letters: Vec<String>,
}

fn template_error(e: TemplateError) -> DomainError {
    match e {
        TemplateError::UnknownField(_) => DomainError::invalid("body", "err-template-field"),
        TemplateError::Unbalanced => DomainError::invalid("body", "err-template-braces"),
    }
}

fn dotted(d: Date) -> String {
    format!("{:02}.{:02}.{}", d.day(), d.month() as u8, d.year())
}

impl Services {
    /// The language of what an office issues (Serbian offices in Cyrillic, the official
    /// script).
    pub(super) fn office_lang(&self) -> Lang {
        Lang::parse(self.country.content_lang()).unwrap_or(Lang::SrCyrl)
    }

    /// An office's decision templates, for its officials and admins.
    pub async fn decision_templates(
        &self,
        p: &Principal,
        office_id: &str,
    ) -> Result<Vec<DecisionTemplate>, DomainError> {
        if !Self::may_handle(p, office_id, None)
            && !Self::case_departments(self, p)
                .await?
                .iter()
                .any(|d| d.office_id == office_id)
        {
            return Err(DomainError::NotFound);
        }
        Ok(self.store.decision_templates(office_id).await?)
    }

    /// Adds or changes a template (office admins). Its text may name only the fields of
    /// [`cases::TEMPLATE_FIELDS`].
    pub async fn save_decision_template(
        &self,
        p: &Principal,
        office_id: &str,
        input: &TemplateInput,
    ) -> Result<DecisionTemplate, DomainError> {
        if !allowed(&p.actor(), Action::ManageJrwa { office_id }) {
            return Err(DomainError::NotFound);
        }
        let existing = self.store.decision_templates(office_id).await?;
        let id = match input.id.as_deref().map(str::trim).filter(|i| !i.is_empty()) {
            Some(id) if existing.iter().any(|t| t.id == id) => id.to_string(),
            Some(_) => return Err(DomainError::NotFound),
            None => okienko_store::new_id(),
        };
        let mut errors = FieldErrors::new();
        let name = input.name.trim();
        if name.is_empty() || name.chars().count() > 200 || !okienko_domain::text::clean_line(name)
        {
            errors.add("name", "err-template-name");
        }
        let jrwa = input.jrwa.trim();
        if !jrwa.is_empty()
            && !self
                .store
                .jrwa(office_id)
                .await?
                .iter()
                .any(|c| c.symbol == jrwa && c.category.is_some())
        {
            errors.add("jrwa", "err-case-jrwa");
        }
        let body = input.body.replace("\r\n", "\n");
        if body.trim().is_empty()
            || body.chars().count() > MAX_DECISION_CHARS
            || !okienko_domain::text::clean_text(&body)
        {
            errors.add("body", "err-template-body");
        } else if let Err(e) = cases::fill_template(&body, |_| String::new()) {
            errors.add(
                "body",
                match e {
                    TemplateError::UnknownField(_) => "err-template-field",
                    TemplateError::Unbalanced => "err-template-braces",
                },
            );
        }
        errors.finish()?;
        let t = DecisionTemplate {
            id,
            office_id: office_id.to_string(),
            name: name.to_string(),
            jrwa: jrwa.to_string(),
            body,
            approval: input.approval,
            updated_at: self.now_ms(),
        };
        let ev = AuditEvent::new(
            t.updated_at,
            Some(&p.user.id),
            "decision.template",
            format!("{office_id}:{}", t.id),
        );
        self.store.save_decision_template(&t, &ev).await?;
        Ok(t)
    }

    /// The values of a template's fields for a case.
    async fn template_values(
        &self,
        p: &Principal,
        c: &Case,
    ) -> Result<Vec<(&'static str, String)>, DomainError> {
        let office = self
            .store
            .office(&c.office_id)
            .await?
            .ok_or(DomainError::NotFound)?;
        let department = self
            .store
            .departments(&c.office_id)
            .await?
            .into_iter()
            .find(|d| d.id == c.department_id)
            .map(|d| d.name)
            .unwrap_or_default();
        let started = parse_date(&c.started_on).map(dotted).unwrap_or_default();
        Ok(vec![
            ("party", c.party_name.clone()),
            ("signature", c.signature.clone()),
            ("title", c.title.clone()),
            ("office", office.name),
            ("department", department),
            ("place", office.city),
            ("date", dotted(self.today())),
            ("started", started),
            ("official", p.user.display_name.clone()),
        ])
    }

    /// A case the person handles that is not closed.
    async fn open_case_of(&self, p: &Principal, case_id: &str) -> Result<Case, DomainError> {
        let c = self.my_case(p, case_id).await?;
        if c.status == CaseStatus::Closed.as_str() {
            return Err(DomainError::Conflict("err-case-closed"));
        }
        Ok(c)
    }

    fn decision_event(&self, p: &Principal, d: &Decision, kind: &str) -> CaseEvent {
        CaseEvent {
            id: okienko_store::new_id(),
            case_id: d.case_id.clone(),
            at: self.now_ms(),
            actor_id: p.user.id.clone(),
            actor_name: String::new(),
            kind: kind.into(),
            detail: format!("{} {}", d.n, d.title),
        }
    }

    /// Drafts a decision in a case from one of the office's templates, its fields filled from
    /// the case.
    pub async fn draft_decision(
        &self,
        p: &Principal,
        case_id: &str,
        template_id: &str,
    ) -> Result<Decision, DomainError> {
        let c = self.open_case_of(p, case_id).await?;
        let t = self
            .store
            .decision_templates(&c.office_id)
            .await?
            .into_iter()
            .find(|t| t.id == template_id && (t.jrwa.is_empty() || t.jrwa == c.jrwa))
            .ok_or_else(|| DomainError::invalid("template", "err-decision-template"))?;
        let values = self.template_values(p, &c).await?;
        let body = cases::fill_template(&t.body, |name| {
            values
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, v)| v.clone())
                .unwrap_or_default()
        })
        .map_err(template_error)?;
        let now = self.now_ms();
        let d = Decision {
            id: okienko_store::new_id(),
            case_id: c.id.clone(),
            n: 0,
            template_id: Some(t.id.clone()),
            title: t.name.clone(),
            body,
            approval: t.approval,
            status: DRAFT.into(),
            drafted_by: p.user.id.clone(),
            drafted_at: now,
            ..Decision::default()
        };
        let mut event = self.decision_event(p, &d, "decision-drafted");
        event.detail = t.name.clone();
        let ev = AuditEvent::new(now, Some(&p.user.id), "decision.draft", &d.id);
        Ok(self.store.add_decision(&d, &event, &ev).await?)
    }

    /// A decision of a case the person handles, with its case.
    async fn my_decision(&self, p: &Principal, id: &str) -> Result<(Decision, Case), DomainError> {
        let d = self
            .store
            .decision(id)
            .await?
            .ok_or(DomainError::NotFound)?;
        let c = self.my_case(p, &d.case_id).await?;
        Ok((d, c))
    }

    /// Stores a decision's change made from status `from`, with its case event.
    async fn change_decision(
        &self,
        p: &Principal,
        after: Decision,
        from: &str,
        kind: &str,
        action: &'static str,
    ) -> Result<Decision, DomainError> {
        self.change_decision_with(p, after, from, kind, action, None)
            .await
    }

    /// The same, with the register entry of what goes out, in the same commit.
    async fn change_decision_with(
        &self,
        p: &Principal,
        after: Decision,
        from: &str,
        kind: &str,
        action: &'static str,
        outgoing: Option<&okienko_store::RegisterEntry>,
    ) -> Result<Decision, DomainError> {
        let event = self.decision_event(p, &after, kind);
        let ev = AuditEvent::new(self.now_ms(), Some(&p.user.id), action, &after.id);
        if self
            .store
            .update_decision(&after, from, &event, &ev, outgoing)
            .await?
        {
            Ok(after)
        } else {
            Err(DomainError::Conflict("err-decision-changed"))
        }
    }

    /// Changes a draft's title and text.
    pub async fn edit_decision(
        &self,
        p: &Principal,
        id: &str,
        title: &str,
        body: &str,
    ) -> Result<Decision, DomainError> {
        let (d, c) = self.my_decision(p, id).await?;
        if c.status == CaseStatus::Closed.as_str() {
            return Err(DomainError::Conflict("err-case-closed"));
        }
        if d.status != DRAFT {
            return Err(DomainError::Conflict("err-decision-not-draft"));
        }
        let mut errors = FieldErrors::new();
        let title = title.trim();
        if title.is_empty()
            || title.chars().count() > 200
            || !okienko_domain::text::clean_line(title)
        {
            errors.add("title", "err-decision-title");
        }
        let body = body.replace("\r\n", "\n");
        if body.trim().is_empty()
            || body.chars().count() > MAX_DECISION_CHARS
            || !okienko_domain::text::clean_text(&body)
        {
            errors.add("body", "err-template-body");
        }
        errors.finish()?;
        let after = Decision {
            title: title.to_string(),
            body,
            ..d
        };
        self.change_decision(p, after, DRAFT, "decision-edited", "decision.edit")
            .await
    }

    /// Sends a draft to the head for approval.
    pub async fn submit_decision(&self, p: &Principal, id: &str) -> Result<Decision, DomainError> {
        let (d, _) = self.my_decision(p, id).await?;
        if d.status != DRAFT {
            return Err(DomainError::Conflict("err-decision-not-draft"));
        }
        if !d.approval {
            return Err(DomainError::Conflict("err-decision-no-approval"));
        }
        let after = Decision {
            status: FOR_APPROVAL.into(),
            ..d
        };
        self.change_decision(p, after, DRAFT, "decision-submitted", "decision.submit")
            .await
    }

    /// The head approves a decision (or, `approve` false, returns it to its author as a
    /// draft). Nobody approves their own draft.
    pub async fn approve_decision(
        &self,
        p: &Principal,
        id: &str,
        approve: bool,
    ) -> Result<Decision, DomainError> {
        let d = self
            .store
            .decision(id)
            .await?
            .ok_or(DomainError::NotFound)?;
        let c = self
            .store
            .case(&d.case_id)
            .await?
            .ok_or(DomainError::NotFound)?;
        if !allowed(
            &p.actor(),
            Action::ApproveDecisions {
                office_id: &c.office_id,
            },
        ) {
            // Approval is the head's: to anyone else there is nothing here to approve.
            return Err(DomainError::NotFound);
        }
        if d.status != FOR_APPROVAL {
            return Err(DomainError::Conflict("err-decision-not-for-approval"));
        }
        if approve && d.drafted_by == p.user.id {
            return Err(DomainError::Conflict("err-decision-own"));
        }
        let (after, kind, action) = if approve {
            let now = self.now_ms();
            (
                Decision {
                    status: APPROVED.into(),
                    approved_by: Some(p.user.id.clone()),
                    approved_at: Some(now),
                    ..d
                },
                "decision-approved",
                "decision.approve",
            )
        } else {
            (
                Decision {
                    status: DRAFT.into(),
                    ..d
                },
                "decision-returned",
                "decision.return",
            )
        };
        self.change_decision(p, after, FOR_APPROVAL, kind, action)
            .await
    }

    /// Signs a decision with the office seal: rendered as PDF/A, a detached CAdES-T signature
    /// of it, and the evidence of the signing in the log, stored with the decision in the
    /// commit that logs it. A decision whose template asks for approval must be approved.
    pub async fn sign_decision(&self, p: &Principal, id: &str) -> Result<Decision, DomainError> {
        let (d, c) = self.my_decision(p, id).await?;
        if c.status == CaseStatus::Closed.as_str() {
            return Err(DomainError::Conflict("err-case-closed"));
        }
        let ready = d.status == APPROVED || (d.status == DRAFT && !d.approval);
        if !ready {
            return Err(DomainError::Conflict(match d.status.as_str() {
                DRAFT | FOR_APPROVAL => "err-decision-needs-approval",
                _ => "err-decision-signed",
            }));
        }
        let pdf = self.decision_pdf(p, &d, &c).await?;
        let pdf_sha256 = hex::encode(okienko_trust::sha256(&pdf));
        let pdf_size = pdf.len() as i64;
        let p7s = self.seal_stamped(&c.office_id, pdf.clone(), true).await?;
        self.blobs
            .put(pdf.into())
            .await
            .map_err(|e| DomainError::Internal(e.to_string()))?;
        let now = self.now_ms();
        let evidence_id = format!("EV-{}", okienko_store::new_id());
        let doc = json!({
            "evidence_id": evidence_id,
            "type": "decision-signature",
            "issuing_service": self.base_url,
            "office_id": c.office_id,
            "case": c.signature,
            "decision_id": d.id,
            "decision_number": d.n,
            "title": d.title,
            "document": {"media_type": "application/pdf", "profile": "PDF/A-2u", "sha256": pdf_sha256, "size": pdf_size},
            "signature_sha256": hex::encode(okienko_trust::sha256(&p7s)),
            "signed_by": p.user.display_name,
            "approved_by": d.approved_by,
            "event_time": rfc3339(now),
        });
        let bytes =
            serde_json::to_vec_pretty(&doc).map_err(|e| DomainError::Internal(e.to_string()))?;
        let signed = self.issue_signed(bytes.clone(), &c.office_id).await?;
        // Filed under the office's mailbox: its members (the officials) see it as they see the
        // evidence of the office's messages.
        let office_box = self
            .store
            .office_mailbox(&c.office_id)
            .await?
            .map(|m| m.address)
            .unwrap_or_default();
        let after = Decision {
            status: SIGNED.into(),
            signed_by: Some(p.user.id.clone()),
            signed_at: Some(now),
            pdf_sha256: Some(pdf_sha256),
            pdf_size: Some(pdf_size),
            signature: Some(B64.encode(&p7s)),
            evidence_id: Some(evidence_id.clone()),
            ..d.clone()
        };
        let mut record = SignedRecord::DecisionSigned(Box::new(SignedDecision {
            event: self.decision_event(p, &after, "decision-signed"),
            expected: d.status.clone(),
            evidence: EvidenceRecord {
                id: evidence_id,
                message_id: None,
                recipient: office_box,
                kind: "decision-signature".into(),
                issued_at: now,
                log_index: -1,
                document: String::from_utf8_lossy(&bytes).to_string(),
                signed_b64: B64.encode(&signed),
            },
            decision: after.clone(),
        }));
        let ev = AuditEvent::new(now, Some(&p.user.id), "decision.sign", &after.id);
        let ev = match &c.party_user_id {
            Some(u) => ev.subject(u),
            None => ev,
        };
        self.log_signed(signed, &mut record, ev)
            .await
            .map_err(|e| match e {
                DomainError::Internal(m) if m.contains("changed") => {
                    DomainError::Conflict("err-decision-changed")
                }
                e => e,
            })?;
        Ok(after)
    }

    /// The decision as PDF/A, in the office's language.
    async fn decision_pdf(
        &self,
        p: &Principal,
        d: &Decision,
        c: &Case,
    ) -> Result<Vec<u8>, DomainError> {
        let office = self
            .store
            .office(&c.office_id)
            .await?
            .ok_or(DomainError::NotFound)?;
        let lang = self.office_lang();
        let now = self.clock.now();
        let local = self.country.local(now);
        let place_date = format!("{}, {}", office.city, dotted(local.date()));
        let case_line = format!("{} {}", lang.t("decision-pdf-case"), c.signature);
        let approved = match &d.approved_by {
            Some(a) => self.store.user_by_id(a).await?.map(|u| u.display_name),
            None => None,
        };
        let mut signature_lines = vec![p.user.display_name.clone()];
        if let Some(a) = approved {
            signature_lines.push(format!("{} {a}", lang.t("decision-pdf-approved")));
        }
        signature_lines.push(lang.t("decision-pdf-sealed"));
        let title = format!("{} {}/{}", d.title, d.n, c.year);
        let doc = okienko_print::Decision {
            office_lines: vec![
                office.name.clone(),
                office.street.clone(),
                format!("{} {}", office.postal_code, office.city),
            ],
            place_date: &place_date,
            case_line: &case_line,
            party_lines: vec![c.party_name.clone()],
            title: &title,
            body: &d.body,
            signature_lines,
            page_of: &lang.t("decision-pdf-page"),
            lang: lang.code(),
            made: (
                now.year() as u16,
                now.month() as u8,
                now.day(),
                now.hour(),
                now.minute(),
                now.second(),
            ),
        };
        okienko_print::render_decision(&doc).map_err(|e| DomainError::Internal(e.to_string()))
    }

    /// Sends a signed decision to the party: to the mailbox the case's submission came from
    /// (or the party's own), else on paper to `postal`. Sent once: a repeat after a failure
    /// finds the message sent the first time.
    pub async fn dispatch_decision(
        &self,
        p: &Principal,
        id: &str,
        postal: Option<PostalRecipient>,
    ) -> Result<Decision, DomainError> {
        let (d, c) = self.my_decision(p, id).await?;
        if d.status != SIGNED {
            return Err(DomainError::Conflict(if d.status == DISPATCHED {
                "err-decision-dispatched"
            } else {
                "err-decision-unsigned"
            }));
        }
        let office_box = self
            .store
            .office_mailbox(&c.office_id)
            .await?
            .ok_or_else(|| DomainError::invalid("from", "err-from-not-yours"))?;
        let to = self.party_address(&c).await?;
        let postal: Vec<PostalRecipient> = match (&to, postal) {
            (Some(_), _) => Vec::new(),
            (None, Some(r)) => vec![r],
            (None, None) => {
                return Err(DomainError::invalid("postal", "err-decision-no-address"));
            }
        };
        let pdf = self
            .blob(d.pdf_sha256.as_deref().unwrap_or_default())
            .await?;
        let p7s = B64
            .decode(d.signature.as_deref().unwrap_or_default())
            .map_err(|e| DomainError::Internal(e.to_string()))?;
        let lang = self.office_lang();
        let file = format!("{}-{}", c.signature, d.n);
        let out = Outgoing {
            from: office_box.address.clone(),
            to: to.into_iter().collect(),
            subject: format!(
                "{} {}: {}",
                lang.t("decision-mail-subject"),
                c.signature,
                d.title
            ),
            body: lang.t("decision-mail-body"),
            attachments: vec![
                (format!("{file}.pdf"), pdf),
                (format!("{file}.pdf.p7s"), p7s.into()),
            ],
            idempotency_key: Some(format!("decision-{}", d.id)),
            postal,
            reply_to: None,
            bulk: false,
            correctable: true,
        };
        let sent = self.send_message(p, out).await?;
        let now = self.now_ms();
        // What goes out is in the register too: the next number of the office's year.
        let entry = okienko_store::RegisterEntry {
            id: okienko_store::new_id(),
            office_id: c.office_id.clone(),
            year: i64::from(self.today().year()),
            number: 0,
            direction: "out".into(),
            kind: "decision".into(),
            subject: format!("{} {}/{}", d.title, d.n, c.year),
            correspondent: c.party_name.clone(),
            received_at: now,
            submission_id: None,
            message_id: Some(sent.id.clone()),
            department_id: Some(c.department_id.clone()),
            case_id: Some(c.id.clone()),
            created_by: p.user.id.clone(),
            created_at: now,
        };
        let after = Decision {
            status: DISPATCHED.into(),
            message_id: Some(sent.id),
            dispatched_at: Some(now),
            ..d
        };
        self.change_decision_with(
            p,
            after,
            SIGNED,
            "decision-dispatched",
            "decision.dispatch",
            Some(&entry),
        )
        .await
    }

    /// Where a case's party is reached electronically: the mailbox its submission came from,
    /// else the party's own.
    pub(super) async fn party_address(&self, c: &Case) -> Result<Option<String>, DomainError> {
        if let Some(e) = &c.register_entry_id {
            if let Some(entry) = self.store.register_entry(e).await? {
                if let Some(m) = entry.submission_id.as_deref() {
                    if let Some(m) = self.store.message(m).await? {
                        return Ok(Some(m.sender));
                    }
                }
            }
        }
        let Some(u) = &c.party_user_id else {
            return Ok(None);
        };
        Ok(self
            .store
            .mailboxes_of_user(u)
            .await?
            .into_iter()
            .find(|(m, _)| {
                m.kind == crate::mailboxes::PERSON && m.owner_user_id.as_ref() == Some(u)
            })
            .map(|(m, _)| m.address))
    }

    /// A case's decisions, each with how it reached the party.
    pub async fn decision_views(&self, case_id: &str) -> Result<Vec<DecisionView>, DomainError> {
        let mut out = Vec::new();
        for d in self.store.decisions(case_id).await? {
            let (mut delivered, mut waiting, mut letters) = (None, Vec::new(), Vec::new());
            if let Some(m) = &d.message_id {
                let evidence = self.store.evidence_of_message(m).await?;
                for dl in self.store.deliveries(m).await? {
                    let at = dl.opened_at.or(dl.deemed_at);
                    match at {
                        Some(at) if delivered.is_none() => {
                            let deemed = dl.opened_at.is_none();
                            let kind = if deemed {
                                "deemed-delivery"
                            } else {
                                "content-handover"
                            };
                            let day = self.country.local(from_millis(at)).date();
                            delivered = Some(Delivered {
                                recipient: dl.recipient.clone(),
                                at,
                                deemed,
                                evidence_id: evidence
                                    .iter()
                                    .find(|e| e.recipient == dl.recipient && e.kind == kind)
                                    .map(|e| e.id.clone()),
                                appeal_until: date_text(cases::appeal_deadline(self.country, day)),
                            });
                        }
                        Some(_) => {}
                        None => waiting.push(dl.recipient.clone()),
                    }
                }
                letters = self
                    .store
                    .paper_letters_of_message(m)
                    .await?
                    .into_iter()
                    .map(|l| l.tracking_number)
                    .collect();
            }
            out.push(DecisionView {
                decision: d,
                delivered,
                waiting,
                letters,
            });
        }
        Ok(out)
    }

    /// One decision with how it reached the party, for those who handle its case.
    pub async fn decision_view(
        &self,
        p: &Principal,
        id: &str,
    ) -> Result<DecisionView, DomainError> {
        let (d, _) = self.my_decision(p, id).await?;
        self.decision_views(&d.case_id)
            .await?
            .into_iter()
            .find(|v| v.decision.id == d.id)
            .ok_or(DomainError::NotFound)
    }

    /// A case's decisions with their delivery, for those who handle it.
    pub async fn case_decisions(
        &self,
        p: &Principal,
        case_id: &str,
    ) -> Result<Vec<DecisionView>, DomainError> {
        let (c, _) = self.seen_case(p, case_id).await?;
        self.decision_views(&c.id).await
    }

    /// Whether the person may approve the decisions of an office.
    pub fn may_approve(p: &Principal, office_id: &str) -> bool {
        allowed(&p.actor(), Action::ApproveDecisions { office_id })
    }

    /// A signed decision's PDF and its detached signature, for those who handle its case.
    pub async fn decision_files(
        &self,
        p: &Principal,
        id: &str,
    ) -> Result<(Decision, Case, bytes::Bytes, Vec<u8>), DomainError> {
        let d = self
            .store
            .decision(id)
            .await?
            .ok_or(DomainError::NotFound)?;
        let (c, _) = self.seen_case(p, &d.case_id).await?;
        self.refuse_destroyed(&c.id).await?;
        let (Some(sha), Some(sig)) = (d.pdf_sha256.as_deref(), d.signature.as_deref()) else {
            return Err(DomainError::NotFound);
        };
        let pdf = self.blob(sha).await?;
        let p7s = B64
            .decode(sig)
            .map_err(|e| DomainError::Internal(e.to_string()))?;
        Ok((d, c, pdf, p7s))
    }
}
