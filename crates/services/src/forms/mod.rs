//! E-service forms: publishing versions of a service's form, people's drafts (one step at a
//! time, saved at every step), and submitting a form to the office's electronic inbox with
//! its official receipt (UPP). The form language itself is `domain::forms`.

use crate::accounts::Principal;
use crate::catalogue::CatalogueEntry;
use crate::{new_id, Services};
use okienko_domain::audit::AuditEvent;
use okienko_domain::forms::{Answers, DefError, FormDef, Kind};
use okienko_domain::policy::{allowed, Action};
use okienko_domain::status::SubmissionStatus;
use okienko_domain::{DomainError, FieldErrors};
use okienko_store::{Draft, FormVersion, Submission};
use serde_json::{json, Value};

mod assist;
pub mod demo;
mod export;
mod submit;

pub use assist::{Assisted, Filler};
pub use submit::{answer_rows, SubmitForm, Submitted};

/// How long a draft is kept after it was last saved.
pub const DRAFT_DAYS: i64 = 30;
const DAY_MS: i64 = 24 * 3600 * 1000;

/// Whose submissions of an office someone handles.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Handled {
    /// The whole office's (its admins, officials placed in no department).
    All,
    /// Those of these departments (codes).
    Departments(std::collections::BTreeSet<String>),
}

/// A service's form at one version.
#[derive(Debug, Clone)]
pub struct ServiceForm {
    pub entry: CatalogueEntry,
    pub version: FormVersion,
    pub def: std::sync::Arc<FormDef>,
}

impl ServiceForm {
    /// What these answers cost, in the smallest unit: the catalogue's fixed fee, or the
    /// form's computed one; 0 when nothing is due.
    pub fn fee(&self, answers: &Answers) -> i64 {
        match self.entry.spec.fee {
            okienko_domain::catalogue::Fee::None => 0,
            okienko_domain::catalogue::Fee::Fixed(g) => g,
            okienko_domain::catalogue::Fee::Computed => self.def.fee(answers).unwrap_or(0),
        }
    }
}

/// A draft as its owner sees it.
#[derive(Debug, Clone)]
pub struct DraftView {
    pub draft: Draft,
    pub answers: Answers,
    pub form: ServiceForm,
    /// Fields to check again: the draft was carried to a newer version of the form.
    pub recheck: Vec<String>,
}

/// What saving a step did.
#[derive(Debug)]
pub enum StepSaved {
    /// Saved; the next step that applies, or None when the answers are complete.
    Next(Option<usize>),
    /// Saved as typed, but these answers do not hold yet.
    Invalid(FieldErrors),
}

/// A file uploaded with a step: the field it answers (`id`, or `group[n].id`), its name and
/// bytes.
pub struct Upload {
    pub field: String,
    pub name: String,
    pub bytes: bytes::Bytes,
}

/// Published versions with their parsed definitions, by (service, version). A published
/// version never changes (its id is the hash of its definition), so an entry can never be
/// stale, on any instance; the map is emptied when it grows past a bound.
type Published = (FormVersion, std::sync::Arc<FormDef>);
static PUBLISHED: std::sync::OnceLock<
    std::sync::Mutex<std::collections::HashMap<(String, String), Published>>,
> = std::sync::OnceLock::new();

impl Services {
    /// A published version of a service's form and its parsed definition.
    async fn published(&self, service_id: &str, version: &str) -> Result<Published, DomainError> {
        let cache = PUBLISHED.get_or_init(Default::default);
        let key = (service_id.to_string(), version.to_string());
        if let Some(hit) = cache.lock().ok().and_then(|c| c.get(&key).cloned()) {
            return Ok(hit);
        }
        let v = self
            .store
            .form_version(service_id, version)
            .await?
            .ok_or(DomainError::NotFound)?;
        let def = std::sync::Arc::new(FormDef::parse(v.definition.as_bytes()).map_err(|e| {
            DomainError::Internal(format!("stored form {}: {}", v.version, e.code))
        })?);
        if let Ok(mut c) = cache.lock() {
            if c.len() >= 1_000 {
                c.clear();
            }
            c.insert(key, (v.clone(), def.clone()));
        }
        Ok((v, def))
    }
}

impl Services {
    /// Publishes a new version of a service's form (office admins of its office). The
    /// definition is checked first; a definition equal to the current version changes
    /// nothing and answers with it.
    pub async fn publish_form(
        &self,
        p: &Principal,
        service_id: &str,
        bytes: &[u8],
    ) -> Result<Result<FormVersion, DefError>, DomainError> {
        let entry = self.catalogue_entry(service_id).await?;
        if !allowed(
            &p.actor(),
            Action::ManageCatalogue {
                office_id: &entry.office.id,
            },
        ) {
            return Err(DomainError::NotFound);
        }
        let def = match FormDef::parse(bytes) {
            Ok(d) => d,
            Err(e) => return Ok(Err(e)),
        };
        let version = def.version();
        if let Some(v) = self
            .store
            .form_versions(service_id)
            .await?
            .into_iter()
            .find(|v| v.version == version)
        {
            return Ok(Ok(v));
        }
        let now = self.now_ms();
        let ev = AuditEvent::new(
            now,
            Some(&p.user.id),
            "form.publish",
            format!("{service_id}:{version}"),
        );
        let row = FormVersion {
            service_id: service_id.into(),
            version,
            n: 0,
            definition: String::from_utf8_lossy(&def.canonical()).into_owned(),
            published_at: now,
            published_by: Some(p.user.id.clone()),
        };
        Ok(Ok(self.store.publish_form(&row, &ev).await?))
    }

    /// A service and its form's versions (newest first), for the office admins who publish.
    pub async fn form_history(
        &self,
        p: &Principal,
        service_id: &str,
    ) -> Result<(CatalogueEntry, Vec<FormVersion>), DomainError> {
        let entry = self.catalogue_entry(service_id).await?;
        if !allowed(
            &p.actor(),
            Action::ManageCatalogue {
                office_id: &entry.office.id,
            },
        ) {
            return Err(DomainError::NotFound);
        }
        let versions = self.store.form_versions(service_id).await?;
        Ok((entry, versions))
    }

    /// The current (latest published) form of a service; NotFound when it has none.
    pub async fn service_form(&self, service_id: &str) -> Result<ServiceForm, DomainError> {
        let entry = self.catalogue_entry(service_id).await?;
        // The current version is kept with the service (set in the commit that publishes).
        let current = entry.form_version.clone().ok_or(DomainError::NotFound)?;
        let (version, def) = self.published(service_id, &current).await?;
        Ok(ServiceForm {
            entry,
            version,
            def,
        })
    }

    /// A service's form at one version (for a draft or an old submission).
    pub async fn form_at(
        &self,
        service_id: &str,
        version: &str,
    ) -> Result<ServiceForm, DomainError> {
        let entry = self.catalogue_entry(service_id).await?;
        let (version, def) = self.published(service_id, version).await?;
        Ok(ServiceForm {
            entry,
            version,
            def,
        })
    }

    /// Starts filling a service's form, or goes on with the person's draft of it (unless
    /// `another`). Answers the draft's id. What the trusted profile and the account know is
    /// filled in.
    pub async fn start_draft(
        &self,
        p: &Principal,
        service_id: &str,
        another: bool,
    ) -> Result<String, DomainError> {
        let form = self.service_form(service_id).await?;
        if !another {
            if let Some(d) = self
                .store
                .drafts_of(&p.user.id)
                .await?
                .into_iter()
                .find(|d| d.service_id == service_id)
            {
                return Ok(d.id);
            }
        }
        let now = self.now_ms();
        let mut answers = Answers::new();
        let tp = self
            .store
            .trusted_profile(&p.user.id)
            .await?
            .filter(|tp| crate::trusted::in_force(tp, now));
        let address = self.my_address(p).await?;
        for (f, group) in form.def.all_fields() {
            if group.is_some() {
                continue;
            }
            use okienko_domain::forms::Prefill::*;
            let value = match (f.prefill, &tp) {
                (Some(FirstName), Some(tp)) => json!(tp.first_name),
                (Some(LastName), Some(tp)) => json!(tp.last_name),
                (Some(Name), Some(tp)) => json!(format!("{} {}", tp.first_name, tp.last_name)),
                (Some(Name), None) => json!(p.user.display_name),
                (Some(Pesel), Some(tp)) => json!(tp.pesel),
                (Some(Email), _) => json!(p.user.email),
                (Some(Address), _) => match &address {
                    Some(a) => a.clone(),
                    None => continue,
                },
                _ => continue,
            };
            answers.insert(f.id.clone(), value);
        }
        let d = Draft {
            id: new_id(),
            user_id: p.user.id.clone(),
            service_id: service_id.into(),
            version: form.version.version.clone(),
            answers: Value::Object(answers).to_string(),
            step: 0,
            created_at: now,
            updated_at: now,
            expires_at: now + DRAFT_DAYS * DAY_MS,
            reminded_at: None,
        };
        self.store.save_draft(&d).await?;
        Ok(d.id)
    }

    /// One of the person's drafts. A draft made on a version that has since been replaced
    /// is carried to the current one (saved so), and the fields to check again are named.
    pub async fn my_draft(&self, p: &Principal, id: &str) -> Result<DraftView, DomainError> {
        let draft = self.store.draft(id).await?.ok_or(DomainError::NotFound)?;
        self.draft_view(p, draft).await
    }

    /// A draft as read, seen by its owner (not found for anyone else or once expired),
    /// carried to the service's current version when it has changed.
    pub(crate) async fn draft_view(
        &self,
        p: &Principal,
        draft: Draft,
    ) -> Result<DraftView, DomainError> {
        let now = self.now_ms();
        let mut draft = Some(draft)
            .filter(|d| d.user_id == p.user.id && d.expires_at > now)
            .ok_or(DomainError::NotFound)?;
        let mut answers: Answers = serde_json::from_str(&draft.answers).unwrap_or_default();
        let current = self.service_form(&draft.service_id).await?;
        if current.version.version == draft.version {
            return Ok(DraftView {
                draft,
                answers,
                form: current,
                recheck: Vec::new(),
            });
        }
        let (kept, recheck) = okienko_domain::forms::carry(&answers, &current.def);
        answers = kept;
        draft.version = current.version.version.clone();
        draft.answers = Value::Object(answers.clone()).to_string();
        draft.step = 0;
        draft.updated_at = now;
        self.store.save_draft(&draft).await?;
        Ok(DraftView {
            draft,
            answers,
            form: current,
            recheck,
        })
    }

    /// Reminds people of drafts that expire within three days (one email per draft, once),
    /// and deletes expired drafts. Run by one instance at a time (the sweep lease).
    pub async fn draft_sweep(&self) -> Result<usize, DomainError> {
        let now = self.now_ms();
        let due = self
            .store
            .drafts_to_remind(now, now + 3 * DAY_MS, 500)
            .await?;
        let mut sent = 0;
        for d in due {
            if !self.store.mark_draft_reminded(&d.id, now).await? {
                continue;
            }
            let Some(user) = self.store.user_by_id(&d.user_id).await? else {
                continue;
            };
            let lang = user
                .locale
                .as_deref()
                .and_then(okienko_i18n::Lang::parse)
                .unwrap_or(okienko_i18n::Lang::Pl);
            let service = self
                .catalogue_entry(&d.service_id)
                .await
                .map(|e| e.spec.local(lang.code()).name.value)
                .unwrap_or_default();
            let link = format!("{}/drafts/{}", self.base_url, d.id);
            let email = crate::mail::Email {
                attachments: Vec::new(),
                to: user.email,
                subject: lang.t_args("mail-draft-subject", &[("service", &service)]),
                body: lang.t_args("mail-draft-body", &[("service", &service), ("link", &link)]),
            };
            self.mail
                .queue(self.store.as_ref(), &email, now)
                .await
                .map_err(|e| DomainError::Internal(e.to_string()))?;
            sent += 1;
        }
        self.store.delete_expired_drafts(now).await?;
        Ok(sent)
    }

    /// The person's drafts with their services' names, the latest first.
    pub async fn my_drafts(
        &self,
        p: &Principal,
    ) -> Result<Vec<(Draft, CatalogueEntry)>, DomainError> {
        let now = self.now_ms();
        let mut out = Vec::new();
        for d in self.store.drafts_of(&p.user.id).await? {
            if d.expires_at <= now {
                continue;
            }
            if let Ok(e) = self.catalogue_entry(&d.service_id).await {
                out.push((d, e));
            }
        }
        Ok(out)
    }

    pub async fn discard_draft(&self, p: &Principal, id: &str) -> Result<(), DomainError> {
        if self.store.delete_draft(id, &p.user.id).await? {
            Ok(())
        } else {
            Err(DomainError::NotFound)
        }
    }

    /// Saves the answers of one step (`given`: the step's fields, as typed) with the files
    /// uploaded on it, checks them, and says where to go next. The draft keeps what was
    /// typed even when it does not hold yet, so nothing typed is lost.
    pub async fn save_step(
        &self,
        p: &Principal,
        id: &str,
        step: usize,
        given: Answers,
        uploads: Vec<Upload>,
    ) -> Result<StepSaved, DomainError> {
        let view = self.my_draft(p, id).await?;
        let def = &view.form.def;
        let Some(s) = def.steps.get(step) else {
            return Err(DomainError::NotFound);
        };
        let mut answers = view.answers.clone();
        let mut errs = FieldErrors::new();
        for f in &s.fields {
            match given.get(&f.id) {
                Some(v) if f.kind == Kind::Group => {
                    // An item keeps its earlier files where no new one was given: `__from`
                    // names the item it was (items move up when one above is removed).
                    let mut v = v.clone();
                    let old = answers.get(&f.id).and_then(Value::as_array).cloned();
                    if let Value::Array(items) = &mut v {
                        for (n, item) in items.iter_mut().enumerate() {
                            let Value::Object(item) = item else { continue };
                            let from = item
                                .remove("__from")
                                .and_then(|x| x.as_u64())
                                .map(|x| x as usize)
                                .unwrap_or(n);
                            let prev = old.as_ref().and_then(|o| o.get(from));
                            for g in f.fields.iter().filter(|g| g.kind == Kind::File) {
                                if item.get(&g.id).is_none_or(Value::is_null) {
                                    match prev.and_then(|o| o.get(&g.id)) {
                                        Some(p) => {
                                            item.insert(g.id.clone(), p.clone());
                                        }
                                        None => {
                                            item.remove(&g.id);
                                        }
                                    }
                                }
                            }
                        }
                    }
                    answers.insert(f.id.clone(), v);
                }
                Some(v) if f.kind == Kind::File && v.is_null() => {}
                Some(v) => {
                    answers.insert(f.id.clone(), v.clone());
                }
                None if f.kind == Kind::File || f.kind == Kind::Group => {}
                None => {
                    answers.remove(&f.id);
                }
            }
        }
        for u in uploads {
            match self.keep_upload(&u).await {
                Ok(file) => place_file(&mut answers, &u.field, file),
                Err(code) => errs.add_named(u.field.clone(), code),
            }
        }
        let mut checked = answers.clone();
        let step_errs = def.check_step(step, &mut checked);
        errs.0.extend(step_errs.0);
        let now = self.now_ms();
        let mut draft = view.draft;
        let valid = errs.is_empty();
        let next = if valid {
            answers = checked;
            (step + 1..def.steps.len()).find(|i| def.step_applies(*i, &answers))
        } else {
            None
        };
        draft.answers = Value::Object(answers).to_string();
        draft.step = match (valid, next) {
            (true, Some(n)) => n as i64,
            (true, None) => def.steps.len() as i64,
            (false, _) => step as i64,
        };
        draft.updated_at = now;
        draft.expires_at = now + DRAFT_DAYS * DAY_MS;
        draft.reminded_at = None;
        self.store.save_draft(&draft).await?;
        Ok(if valid {
            StepSaved::Next(next)
        } else {
            StepSaved::Invalid(errs)
        })
    }

    /// Checks an uploaded file as e-delivery would (type by content, within the allow-list
    /// and the size of one message) and keeps its bytes in the blob store.
    async fn keep_upload(&self, u: &Upload) -> Result<Value, &'static str> {
        let name: String = u
            .name
            .rsplit(['/', '\\'])
            .next()
            .unwrap_or("")
            .chars()
            .filter(|c| !c.is_control())
            .take(200)
            .collect();
        if name.trim().is_empty() || u.bytes.is_empty() {
            return Err("err-form-file");
        }
        if u.bytes.len() > self.limits.max_total_bytes {
            return Err("err-attachments-too-large");
        }
        let media = match okienko_domain::files::sniff(&name, &u.bytes) {
            Some(t) if self.limits.allowed_types.contains(&t) => t,
            _ => return Err("err-attachment-type"),
        };
        let sha = self
            .blobs
            .put(u.bytes.clone())
            .await
            .map_err(|_| "err-busy")?;
        Ok(json!({"name": name, "sha256": sha, "size": u.bytes.len(), "media_type": media}))
    }

    /// A submission as its submitter, or an official of its office, sees it.
    pub async fn submission_view(
        &self,
        p: &Principal,
        reference: &str,
    ) -> Result<(Submission, ServiceForm), DomainError> {
        let s = self
            .store
            .submission(reference)
            .await?
            .ok_or(DomainError::NotFound)?;
        let mine = s.user_id.as_deref() == Some(p.user.id.as_str());
        if !mine
            && !self
                .handles(p, &s.office_id, s.department.as_deref())
                .await?
        {
            return Err(DomainError::NotFound);
        }
        let form = self.form_at(&s.service_id, &s.version).await?;
        Ok((s, form))
    }

    /// Whether the person handles an office's submissions of a department (by its code; with
    /// None, every submission of the office).
    pub async fn handles(
        &self,
        p: &Principal,
        office_id: &str,
        department: Option<&str>,
    ) -> Result<bool, DomainError> {
        Ok(match self.handled_departments(p, office_id).await? {
            Handled::All => true,
            Handled::Departments(codes) => department.is_some_and(|c| codes.contains(c)),
        })
    }

    /// Whose submissions of an office the person handles: all of them, or those of some
    /// departments (by code; none for someone who handles nothing there).
    pub async fn handled_departments(
        &self,
        p: &Principal,
        office_id: &str,
    ) -> Result<Handled, DomainError> {
        let actor = p.actor();
        let all = Action::HandleSubmissions {
            office_id,
            department_id: None,
        };
        if allowed(&actor, all) {
            return Ok(Handled::All);
        }
        Ok(Handled::Departments(
            self.store
                .departments(office_id)
                .await?
                .into_iter()
                .filter(|d| {
                    allowed(
                        &actor,
                        Action::HandleSubmissions {
                            office_id,
                            department_id: Some(&d.id),
                        },
                    )
                })
                .map(|d| d.code)
                .collect(),
        ))
    }

    /// An office's services that take applications by form and whose submissions the person
    /// handles (every one of the office's, however many), by name.
    pub async fn handled_form_services(
        &self,
        p: &Principal,
        office_id: &str,
    ) -> Result<Vec<CatalogueEntry>, DomainError> {
        let handled = self.handled_departments(p, office_id).await?;
        let rows = self.store.office_services(office_id).await?;
        Ok(self
            .entries(rows)
            .await?
            .into_iter()
            .filter(|e| e.form_version.is_some())
            .filter(|e| match &handled {
                Handled::All => true,
                Handled::Departments(codes) => e
                    .spec
                    .department
                    .as_ref()
                    .is_some_and(|c| codes.contains(c)),
            })
            .collect())
    }

    /// The person's submissions, the latest first.
    pub async fn my_submissions(&self, p: &Principal) -> Result<Vec<Submission>, DomainError> {
        Ok(self.store.submissions_of(&p.user.id, 200).await?)
    }

    /// An office's submissions for its officials: of one service, of one status; an official
    /// placed in a department sees their department's only.
    pub async fn office_submissions(
        &self,
        p: &Principal,
        office_id: &str,
        service_id: Option<&str>,
        status: Option<SubmissionStatus>,
    ) -> Result<Vec<Submission>, DomainError> {
        const LIMIT: i64 = 500;
        let status = status.map(|s| s.as_str());
        let mine = match self.handled_departments(p, office_id).await? {
            Handled::All => {
                return Ok(self
                    .store
                    .office_submissions(office_id, service_id, status, None, LIMIT)
                    .await?)
            }
            Handled::Departments(codes) => codes,
        };
        if mine.is_empty() {
            return Err(DomainError::NotFound);
        }
        let mut out = Vec::new();
        for code in &mine {
            out.extend(
                self.store
                    .office_submissions(office_id, service_id, status, Some(code), LIMIT)
                    .await?,
            );
        }
        out.sort_by_key(|s| std::cmp::Reverse(s.submitted_at));
        out.truncate(LIMIT as usize);
        Ok(out)
    }

    /// Moves a submission on (an official of its office).
    pub async fn move_submission(
        &self,
        p: &Principal,
        reference: &str,
        to: &str,
    ) -> Result<(), DomainError> {
        let (s, _) = self.submission_view(p, reference).await?;
        if !self
            .handles(p, &s.office_id, s.department.as_deref())
            .await?
        {
            return Err(DomainError::NotFound);
        }
        let to = SubmissionStatus::parse(to)
            .ok_or_else(|| DomainError::invalid("status", "err-submission-status"))?;
        let from = SubmissionStatus::parse(&s.status)
            .ok_or_else(|| DomainError::Internal(format!("status {}", s.status)))?;
        if !from.next().contains(&to) {
            return Err(DomainError::Conflict("err-submission-status"));
        }
        let now = self.now_ms();
        let ev = AuditEvent::new(
            now,
            Some(&p.user.id),
            "submission.status",
            format!("{}:{}", s.reference, to.as_str()),
        );
        if self
            .store
            .set_submission_status(
                &s.message_id,
                from.as_str(),
                to.as_str(),
                now,
                &p.user.id,
                &ev,
            )
            .await?
        {
            Ok(())
        } else {
            Err(DomainError::Conflict("err-submission-status"))
        }
    }
}

/// Puts a kept file at `field` (`id` or `group[n].id`) of the answers.
fn place_file(answers: &mut Answers, field: &str, file: Value) {
    match field.split_once('[') {
        None => {
            answers.insert(field.to_string(), file);
        }
        Some((group, rest)) => {
            let Some((n, id)) = rest.split_once("].") else {
                return;
            };
            let Ok(n) = n.parse::<usize>() else {
                return;
            };
            if let Some(Value::Array(items)) = answers.get_mut(group) {
                if let Some(Value::Object(item)) = items.get_mut(n) {
                    item.insert(id.to_string(), file);
                }
            }
        }
    }
}
