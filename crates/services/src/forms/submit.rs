//! Submitting a form: checked against its version's rules, signed (a trusted signature when
//! the person has a trusted profile), sent as a message to the office's electronic inbox
//! with the answers (JSON and PDF) and the files, and receipted at once with the UPP.

use super::*;
use crate::delivery::{Carried, Outgoing};

/// A submission as asked for (the form pages or the API).
pub struct SubmitForm {
    pub service_id: String,
    /// The version the answers were given on (the API names it; a draft knows it).
    pub version: Option<String>,
    pub answers: Answers,
    /// Files: from the API, each part named by a file field's answer (its file name).
    pub uploads: Vec<Upload>,
    pub draft_id: Option<String>,
    /// The person confirms with their password (and one-time code) to sign.
    pub password: Option<String>,
    pub code: Option<String>,
    pub idempotency_key: Option<String>,
    /// Filled and submitted by a clerk at the counter for the person (who is `p`).
    pub assisted: Option<super::Assisted>,
}

/// What the person gets back.
#[derive(Debug, Clone)]
pub struct Submitted {
    pub reference: String,
    pub status: SubmissionStatus,
    pub upp_id: String,
    pub message_id: String,
    pub submitted_at: i64,
}

/// Every file an answer refers to: (field path, name, sha256).
fn files_of(def: &FormDef, answers: &Answers) -> Vec<(String, String, String)> {
    let file = |v: &Value| -> Option<(String, String)> {
        Some((
            v.get("name")?.as_str()?.to_string(),
            v.get("sha256")?.as_str()?.to_string(),
        ))
    };
    let mut out = Vec::new();
    for s in &def.steps {
        for f in &s.fields {
            match (f.kind, answers.get(&f.id)) {
                (Kind::File, Some(v)) => {
                    if let Some((n, h)) = file(v) {
                        out.push((f.id.clone(), n, h));
                    }
                }
                (Kind::Group, Some(Value::Array(items))) => {
                    for (i, item) in items.iter().enumerate() {
                        for g in f.fields.iter().filter(|g| g.kind == Kind::File) {
                            if let Some((n, h)) = item.get(&g.id).and_then(file) {
                                out.push((format!("{}[{i}].{}", f.id, g.id), n, h));
                            }
                        }
                    }
                }
                _ => {}
            }
        }
    }
    out
}

/// The language documents for the office are written in.
fn office_lang(c: okienko_domain::country::Country) -> okienko_i18n::Lang {
    match c {
        okienko_domain::country::Country::Serbia => okienko_i18n::Lang::SrLatn,
        _ => okienko_i18n::Lang::Pl,
    }
}

impl Services {
    /// Submits a form. Nothing is sent until every answer holds on its version's rules; the
    /// answer comes once the message, the files and the UPP are committed and in the log.
    /// The same idempotency key answers with the first submission.
    pub async fn submit_form(
        &self,
        p: &Principal,
        s: SubmitForm,
    ) -> Result<Submitted, DomainError> {
        let current = self.service_form(&s.service_id).await?;
        if let Some(v) = s.version.as_deref() {
            if v != current.version.version {
                return Err(DomainError::invalid("version", "err-form-version"));
            }
        }
        let form = current;
        let mut answers = s.answers;
        let mut errs = FieldErrors::new();
        // Files come only from this request's parts or from the person's own draft (kept by
        // its steps): an answer that names a stored file by its hash, from outside, would fetch
        // whatever document has that hash.
        if s.draft_id.is_none() {
            for (path, _, _) in files_of(&form.def, &answers) {
                errs.add_named(path, "err-form-file");
            }
        }
        // A file part is named by a file field's answer.
        for u in &s.uploads {
            match self.keep_upload(u).await {
                Ok(file) => {
                    for path in answer_paths_naming(&form.def, &answers, &u.field) {
                        place_file(&mut answers, &path, file.clone());
                    }
                }
                Err(code) => errs.add_named(u.field.clone(), code),
            }
        }
        let (answers, check) = form.def.check_all(&answers);
        errs.0.extend(check.0);
        errs.finish()?;
        let (office_box, own) = self.apply_target(p, &form.entry).await?;
        let own = own.ok_or(DomainError::Conflict("err-needs-mailbox"))?;
        // A repeated key answers with the first submission, when it carried the same answers
        // to the same service (the documents differ by their reference and time).
        if let Some(key) = s.idempotency_key.as_deref() {
            let mismatch = || DomainError::invalid("idempotency_key", "err-idempotency-mismatch");
            if let Some(mid) = self.store.message_by_idempotency(&own, key).await? {
                let first = self
                    .store
                    .submission_of_message(&mid)
                    .await?
                    .ok_or_else(mismatch)?;
                let same: Answers = serde_json::from_str(&first.answers).unwrap_or_default();
                if first.service_id != form.entry.id || same != answers {
                    return Err(mismatch());
                }
                return Ok(Submitted {
                    status: SubmissionStatus::parse(&first.status)
                        .unwrap_or(SubmissionStatus::Submitted),
                    reference: first.reference,
                    upp_id: first.upp_id,
                    message_id: first.message_id,
                    submitted_at: first.submitted_at,
                });
            }
        }
        let fee = form.fee(&answers);
        let status = if fee > 0 {
            SubmissionStatus::AwaitingPayment
        } else {
            SubmissionStatus::Submitted
        };
        let reference = new_reference();
        let lang = office_lang(self.country);
        let name = form.entry.spec.local(lang.code()).name.value;
        let document = json!({
            "type": "e-service-submission",
            "reference": reference,
            "service": {"id": form.entry.id, "code": form.entry.spec.code, "name": name},
            "office": {"id": form.entry.office.id, "name": form.entry.office.name},
            "form_version": form.version.version,
            "form_version_number": form.version.n,
            "submitted_by": {"name": p.user.display_name, "mailbox": own},
            "fee": fee,
            "answers": answers,
        });
        let json_bytes = serde_json::to_vec_pretty(&document).unwrap_or_default();
        // Signed by the person: a trusted signature when they have a trusted profile in force;
        // otherwise the submission is made by their signed-in account, confirmed with the
        // password when they gave it.
        let has_profile = self
            .store
            .trusted_profile(&p.user.id)
            .await?
            .is_some_and(|tp| crate::trusted::in_force(&tp, self.now_ms()));
        let assisted = s.assisted.clone();
        let password = if assisted.is_some() {
            None
        } else {
            s.password.as_deref()
        };
        let signature = match (password, has_profile) {
            (Some(pw), true) => Some(
                self.sign_trusted(p, "wniosek.json", json_bytes.clone(), pw, s.code.as_deref())
                    .await?,
            ),
            (Some(pw), false) => {
                self.reauthenticate(p, pw, s.code.as_deref()).await?;
                None
            }
            (None, _) => None,
        };
        let pdf = self
            .render_submission(&form, &answers, &reference, p, lang)
            .await?;
        let mut attachments: Vec<(String, bytes::Bytes)> =
            vec![("wniosek.json".into(), json_bytes.into())];
        let signed_by = if let Some(sig) = signature {
            attachments.push(("wniosek.json.p7s".into(), sig.into()));
            "trusted-signature"
        } else if assisted.is_some() {
            "counter-assisted"
        } else {
            "account"
        };
        attachments.push(("wniosek.pdf".into(), pdf.into()));
        for (_, name, sha) in files_of(&form.def, &answers) {
            let bytes = self.blob(&sha).await?;
            let mut name = name;
            if attachments.iter().any(|(n, _)| *n == name) {
                name = format!("{}-{name}", attachments.len());
            }
            attachments.push((name, bytes));
        }
        let body = format!(
            "{}\n{}: {}\n{}: {}",
            name,
            lang.t("submission-reference"),
            reference,
            lang.t("submission-office"),
            form.entry.office.name
        );
        let out = Outgoing {
            from: own.clone(),
            to: vec![office_box],
            subject: format!("{} ({reference})", truncate(&name, 150)),
            body,
            attachments,
            idempotency_key: s.idempotency_key,
            postal: Vec::new(),
            reply_to: None,
            bulk: false,
            correctable: true,
        };
        let now = self.now_ms();
        let row = Submission {
            message_id: String::new(),
            reference: reference.clone(),
            service_id: form.entry.id.clone(),
            office_id: form.entry.office.id.clone(),
            user_id: Some(p.user.id.clone()),
            version: form.version.version.clone(),
            answers: Value::Object(answers).to_string(),
            status: status.as_str().into(),
            fee,
            upp_id: String::new(),
            submitted_at: now,
            updated_at: now,
            updated_by: None,
            department: form.entry.spec.department.clone(),
        };
        let mut about = json!({
            "reference": reference,
            "office": {"id": form.entry.office.id, "name": form.entry.office.name},
            "service": {"id": form.entry.id, "code": form.entry.spec.code, "name": name},
            "form_version": form.version.version,
            "signed_by": signed_by,
            "legal_effect": "the submission time is the time of its filing with the public body",
        });
        if let (Some(a), Some(o)) = (&assisted, about.as_object_mut()) {
            // The person was identified at the counter (PESEL and ID card) and consented; the
            // receipt says where and by whom, in place of their signature.
            o.insert(
                "assisted".into(),
                json!({"visit": a.visit_id, "clerk": a.clerk_name, "clerk_id": a.clerk_id, "service_point": a.point_name}),
            );
        }
        let sent = self
            .send_submission(
                p,
                out,
                Carried {
                    row,
                    draft_id: s.draft_id,
                    about,
                },
            )
            .await?;
        if let Some(a) = &assisted {
            let ev = AuditEvent::new(
                self.now_ms(),
                Some(&a.clerk_id),
                "counter.form.submit",
                &reference,
            )
            .subject(&p.user.id)
            .reason(format!(
                "application submitted by clerk {} for citizen {} at {}",
                a.clerk_name, a.citizen_name, a.point_name
            ));
            self.store.append_audit(&ev).await?;
        }
        // A repeated idempotency key answers with the first submission's message.
        let stored = self
            .store
            .submission_of_message(&sent.id)
            .await?
            .ok_or_else(|| DomainError::invalid("idempotency_key", "err-idempotency-mismatch"))?;
        Ok(Submitted {
            reference: stored.reference,
            status: SubmissionStatus::parse(&stored.status).unwrap_or(status),
            upp_id: stored.upp_id,
            message_id: stored.message_id,
            submitted_at: stored.submitted_at,
        })
    }

    /// A submission held back for its fee reaches the office once the fee is paid: delivered
    /// to the office's mailbox with the evidence of its consignment (signed, logged and stored
    /// in one commit). Releasing one that is not waiting any more does nothing.
    pub(crate) async fn release_paid_submission(
        &self,
        message_id: &str,
    ) -> Result<(), DomainError> {
        let Some(s) = self.store.submission_of_message(message_id).await? else {
            return Err(DomainError::NotFound);
        };
        if s.status != SubmissionStatus::AwaitingPayment.as_str() {
            return Ok(());
        }
        let message = self
            .store
            .message(message_id)
            .await?
            .ok_or(DomainError::NotFound)?;
        let attachments = self.store.attachments(message_id).await?;
        let office_box = self.office_mailbox(&s.office_id).await?.address;
        let now = self.now_ms();
        let event = crate::evidence::EvidenceEvent::new(
            "content-consignment",
            &office_box,
            now,
            json!({
                "receipt_time": crate::clock::rfc3339(now),
                "legal_effect": "received on reaching the public body's mailbox",
                "released_after_payment": s.reference,
            }),
        );
        let (evidence, leaf) = self
            .sign_message_evidence(
                &message,
                std::slice::from_ref(&office_box),
                &attachments,
                vec![event],
            )
            .await?
            .into_iter()
            .next()
            .ok_or_else(|| DomainError::Internal("no evidence".into()))?;
        let release = okienko_store::SignedRecord::SubmissionRelease(Box::new(
            okienko_store::SubmissionRelease {
                delivery: okienko_store::Delivery {
                    message_id: message_id.to_string(),
                    recipient: office_box,
                    sent_at: message.sent_at,
                    delivered_at: now,
                    opened_at: None,
                    deemed_at: None,
                    deemable: false,
                },
                evidence,
            },
        ));
        let ev = AuditEvent::new(now, None, "submission.release", &s.reference);
        self.log
            .append_record(leaf, (release, ev))
            .await
            .map_err(|e| DomainError::Internal(e.to_string()))?;
        Ok(())
    }

    /// Releases the paid submissions whose release did not happen (an instance stopped
    /// between the payment and the release); run by the minute sweep.
    pub async fn release_paid_submissions(&self) -> Result<usize, DomainError> {
        let before = self.now_ms() - 60_000;
        let due = self.store.paid_unreleased(before, 100).await?;
        for p in &due {
            self.release_paid_submission(&p.message_id).await?;
        }
        Ok(due.len())
    }

    /// The answers as a readable PDF, in the office's language.
    async fn render_submission(
        &self,
        form: &ServiceForm,
        answers: &Answers,
        reference: &str,
        p: &Principal,
        lang: okienko_i18n::Lang,
    ) -> Result<Vec<u8>, DomainError> {
        let rows = answer_rows(&form.def, answers, lang);
        let title = form.entry.spec.local(lang.code()).name.value;
        let paragraphs = vec![
            format!(
                "{}: {}",
                lang.t("submission-office"),
                form.entry.office.name
            ),
            format!("{}: {reference}", lang.t("submission-reference")),
            format!("{}: {}", lang.t("submission-by"), p.user.display_name),
        ];
        let footer = format!(
            "{} {} · {}",
            lang.t("submission-form-version"),
            form.version.n,
            &form.version.version[..16.min(form.version.version.len())]
        );
        tokio::task::spawn_blocking(move || {
            okienko_print::render_sheet(&okienko_print::Sheet {
                title: &title,
                paragraphs,
                rows,
                appendix_title: "",
                appendix: "",
                footer: &footer,
                attachment_label: "",
                attachments: Vec::new(),
            })
        })
        .await
        .map_err(|e| DomainError::Internal(e.to_string()))?
        .map_err(|e| DomainError::Internal(e.to_string()))
    }
}

/// The answers read out, field by field in the form's order: (label, value); a group's
/// items as `Label 1: …`.
pub fn answer_rows(
    def: &FormDef,
    answers: &Answers,
    lang: okienko_i18n::Lang,
) -> Vec<(String, String)> {
    let yes_no = (lang.t("form-yes"), lang.t("form-no"));
    let yn = (yes_no.0.as_str(), yes_no.1.as_str());
    let mut rows = Vec::new();
    for s in &def.steps {
        for f in &s.fields {
            let label = okienko_domain::forms::text(&f.label, lang.code()).to_string();
            match (f.kind, answers.get(&f.id)) {
                (Kind::Group, Some(Value::Array(items))) => {
                    for (i, item) in items.iter().enumerate() {
                        for g in &f.fields {
                            if let Some(v) = item.get(&g.id) {
                                rows.push((
                                    format!(
                                        "{label} {} · {}",
                                        i + 1,
                                        okienko_domain::forms::text(&g.label, lang.code())
                                    ),
                                    okienko_domain::forms::plain(g, v, lang.code(), yn),
                                ));
                            }
                        }
                    }
                }
                (_, Some(v)) => {
                    rows.push((label, okienko_domain::forms::plain(f, v, lang.code(), yn)))
                }
                _ => {}
            }
        }
    }
    rows
}

/// The paths (`id` or `group[n].id`) of file answers that name `name` (the API's parts).
fn answer_paths_naming(def: &FormDef, answers: &Answers, name: &str) -> Vec<String> {
    let mut out = Vec::new();
    for (f, group) in def.all_fields() {
        if f.kind != Kind::File {
            continue;
        }
        match group {
            None => {
                if answers.get(&f.id).and_then(Value::as_str) == Some(name) {
                    out.push(f.id.clone());
                }
            }
            Some(g) => {
                if let Some(Value::Array(items)) = answers.get(&g.id) {
                    for (i, item) in items.iter().enumerate() {
                        if item.get(&f.id).and_then(Value::as_str) == Some(name) {
                            out.push(format!("{}[{i}].{}", g.id, f.id));
                        }
                    }
                }
            }
        }
    }
    out
}

/// A submission's reference: `W-` and twelve hex digits from the random end of a new id
/// (UNIQUE in the database), as `W-1A2B-3C4D-5E6F`.
fn new_reference() -> String {
    let id = new_id();
    let hex: String = id
        .chars()
        .filter(char::is_ascii_hexdigit)
        .map(|c| c.to_ascii_uppercase())
        .collect();
    let t = &hex[hex.len().saturating_sub(12)..];
    if t.len() == 12 {
        format!("W-{}-{}-{}", &t[..4], &t[4..8], &t[8..])
    } else {
        format!("W-{t}")
    }
}

fn truncate(s: &str, n: usize) -> String {
    s.chars().take(n).collect()
}
