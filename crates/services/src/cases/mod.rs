//! Case management for officials (EZD): the office's JRWA list, the correspondence register,
//! cases with their signatures, handlers and KPA deadlines (`domain::cases`), and each case's
//! timeline.

pub mod archive;
pub mod decisions;
pub mod delay;
pub mod demo;
pub mod digest;
pub mod documents;
pub mod file;
pub mod places;
pub mod scans;
pub mod substitutes;

use crate::accounts::Principal;
use crate::orgs::check;
use crate::Services;
use okienko_domain::audit::AuditEvent;
use okienko_domain::cases::{self, CaseStatus, JrwaClass, Term};
use okienko_domain::catalogue::ImportError;
use okienko_domain::policy::{allowed, Action};
use okienko_domain::{from_millis, DomainError};
use okienko_store::{Case, CaseEvent, CaseQuery, Department, NewCase, RegisterEntry, StoreError};
use time::Date;

/// Opens cases in group commits ([`crate::batch`]): the cases asked for at the same moment are
/// numbered and stored in one transaction. A batch the store refuses (a register entry that
/// has a case already) is tried again case by case, so only the case at fault fails.
pub type CaseOpener = crate::batch::Batcher<NewCase, Result<Case, StoreError>>;

/// Starts the case opener on a store.
pub fn case_opener(store: std::sync::Arc<dyn okienko_store::Store>) -> CaseOpener {
    crate::batch::Batcher::start(64, move |batch: Vec<NewCase>| {
        let store = store.clone();
        async move {
            match store.open_cases(&batch).await {
                Ok(cases) => cases.into_iter().map(Ok).collect(),
                Err(_) if batch.len() > 1 => {
                    let mut out = Vec::with_capacity(batch.len());
                    for one in &batch {
                        out.push(
                            store
                                .open_cases(std::slice::from_ref(one))
                                .await
                                .and_then(|mut c| c.pop().ok_or(StoreError::NotFound)),
                        );
                    }
                    out
                }
                Err(e) => vec![Err(e)],
            }
        }
    })
}

/// What an official asks to open a case with.
#[derive(Debug, Clone, Default)]
pub struct CaseInput {
    /// The department's id or code.
    pub department: String,
    pub jrwa: String,
    pub title: String,
    /// `month` (default), `two-months` or `appeal`.
    pub term: Option<String>,
    /// The party's name, when the case does not come from the register.
    pub party: Option<String>,
    /// The register entry the case starts from: its party, its receipt date.
    pub register_entry_id: Option<String>,
}

/// A case as its page shows it.
#[derive(Debug, Clone)]
pub struct CaseView {
    pub case: Case,
    pub department: Department,
    pub class: Option<JrwaClass>,
    pub handler_name: Option<String>,
    pub events: Vec<CaseEvent>,
    pub entry: Option<RegisterEntry>,
    /// The officials who may be given the case (id, name).
    pub officials: Vec<(String, String)>,
    /// While the handler is away: the last day of their absence and who substitutes them.
    pub handler_away: Option<(String, String)>,
    /// Whether the person may work the case (not only read it for a task they were given).
    pub work: bool,
    /// The approved destruction list that destroyed its records, once one did.
    pub destroyed: Option<okienko_store::DestructionList>,
}

/// Where a list of cases goes on from: the last one's deadline and id.
pub fn cursor_of(c: &Case) -> String {
    format!("{}~{}", c.deadline, c.id)
}

fn parse_cursor(s: &str) -> Option<(String, String)> {
    let (d, id) = s.split_once('~')?;
    (d.len() == 10 && !id.is_empty() && id.len() <= 64).then(|| (d.to_string(), id.to_string()))
}

fn date_text(d: Date) -> String {
    format!("{:04}-{:02}-{:02}", d.year(), d.month() as u8, d.day())
}

fn parse_date(s: &str) -> Option<Date> {
    let f = time::macros::format_description!("[year]-[month]-[day]");
    Date::parse(s, &f).ok()
}

impl Services {
    pub(crate) fn today(&self) -> Date {
        self.country.local(self.clock.now()).date()
    }

    /// The offices whose cases the person works (an office admin's or an official's).
    pub(crate) fn case_offices(p: &Principal) -> Vec<String> {
        let mut offices: Vec<String> = p
            .grants
            .iter()
            .filter(|g| {
                matches!(
                    g.role,
                    okienko_domain::Role::Official | okienko_domain::Role::OfficeAdmin
                )
            })
            .filter_map(|g| g.office_id.clone())
            .collect();
        offices.sort();
        offices.dedup();
        offices
    }

    /// The departments whose cases the person works, over their offices.
    pub async fn case_departments(&self, p: &Principal) -> Result<Vec<Department>, DomainError> {
        let actor = p.actor();
        let mut out = Vec::new();
        for office_id in Self::case_offices(p) {
            for d in self.store.departments(&office_id).await? {
                if allowed(
                    &actor,
                    Action::HandleCases {
                        office_id: &office_id,
                        department_id: Some(&d.id),
                    },
                ) {
                    out.push(d);
                }
            }
        }
        Ok(out)
    }

    pub(crate) fn may_handle(p: &Principal, office_id: &str, department_id: Option<&str>) -> bool {
        allowed(
            &p.actor(),
            Action::HandleCases {
                office_id,
                department_id,
            },
        )
    }

    /// Replaces an office's JRWA list from CSV (`symbol,title,category`). `Ok(Err(..))` names
    /// the line of a file that was refused; nothing changed then.
    pub async fn import_jrwa(
        &self,
        p: &Principal,
        office_id: &str,
        csv: &str,
    ) -> Result<Result<usize, ImportError>, DomainError> {
        check(p, Action::ManageJrwa { office_id })?;
        let classes = match cases::parse_jrwa_csv(csv) {
            Ok(c) => c,
            Err(e) => return Ok(Err(e)),
        };
        let ev = AuditEvent::new(
            self.now_ms(),
            Some(&p.user.id),
            "jrwa.import",
            format!("{office_id}:{}", classes.len()),
        );
        match self.store.replace_jrwa(office_id, &classes, &ev).await {
            Ok(()) => Ok(Ok(classes.len())),
            Err(okienko_store::StoreError::Conflict(symbol)) => Ok(Err(ImportError {
                line: 0,
                field: Some(symbol),
                code: "err-jrwa-in-use",
            })),
            Err(e) => Err(e.into()),
        }
    }

    /// An office's JRWA list, for its admins and the people who work its cases.
    pub async fn jrwa_list(
        &self,
        p: &Principal,
        office_id: &str,
    ) -> Result<Vec<JrwaClass>, DomainError> {
        if !allowed(&p.actor(), Action::ManageJrwa { office_id })
            && !self
                .case_departments(p)
                .await?
                .iter()
                .any(|d| d.office_id == office_id)
        {
            return Err(DomainError::NotFound);
        }
        Ok(self.store.jrwa(office_id).await?)
    }

    /// Registers an e-service submission in its office's correspondence register (once: a
    /// second call gives the same entry). Its receipt time (the UPP's) is the entry's.
    pub async fn register_submission(
        &self,
        p: &Principal,
        reference: &str,
    ) -> Result<RegisterEntry, DomainError> {
        let (s, form) = self.submission_view(p, reference).await?;
        // The submitter sees their submission too, but only its office registers it.
        let department = self
            .department_of(&s.office_id, s.department.as_deref())
            .await?;
        if !Self::may_handle(p, &s.office_id, department.as_ref().map(|d| d.id.as_str())) {
            return Err(DomainError::NotFound);
        }
        if let Some(e) = self
            .store
            .register_entry_for_submission(&s.message_id)
            .await?
        {
            return Ok(e);
        }
        let correspondent = match &s.user_id {
            Some(u) => self
                .store
                .user_by_id(u)
                .await?
                .map(|u| u.display_name)
                .unwrap_or_default(),
            None => String::new(),
        };
        let texts = &form.entry.spec.texts;
        let name = texts
            .get(self.country.content_lang())
            .or_else(|| texts.get("pl"))
            .map_or("", |t| t.name.as_str());
        let now = self.now_ms();
        let entry = RegisterEntry {
            id: okienko_store::new_id(),
            office_id: s.office_id.clone(),
            year: i64::from(self.country.local(from_millis(s.submitted_at)).year()),
            number: 0,
            direction: "in".into(),
            kind: "submission".into(),
            subject: format!("{} ({})", name, s.reference),
            correspondent,
            received_at: s.submitted_at,
            submission_id: Some(s.message_id.clone()),
            message_id: Some(s.message_id.clone()),
            department_id: department.map(|d| d.id),
            case_id: None,
            created_by: p.user.id.clone(),
            created_at: now,
        };
        let ev = AuditEvent::new(now, Some(&p.user.id), "register.add", s.reference.clone());
        match self.store.add_register_entry(&entry, &ev).await {
            Ok(e) => Ok(e),
            // Registered by a colleague at the same moment: theirs is the entry.
            Err(okienko_store::StoreError::Conflict(_)) => self
                .store
                .register_entry_for_submission(&s.message_id)
                .await?
                .ok_or(DomainError::NotFound),
            Err(e) => Err(e.into()),
        }
    }

    async fn department_of(
        &self,
        office_id: &str,
        code: Option<&str>,
    ) -> Result<Option<Department>, DomainError> {
        let Some(code) = code else { return Ok(None) };
        Ok(self
            .store
            .departments(office_id)
            .await?
            .into_iter()
            .find(|d| d.code == code))
    }

    /// An office's correspondence register of a year (this year's by default), the newest
    /// entries first, before number `before`; for the people who work its cases. An official
    /// placed in a department sees the entries given to that department.
    pub async fn register_list(
        &self,
        p: &Principal,
        office_id: &str,
        year: Option<i64>,
        before: Option<i64>,
    ) -> Result<(i64, Vec<RegisterEntry>), DomainError> {
        let departments: Vec<String> = self
            .case_departments(p)
            .await?
            .into_iter()
            .filter(|d| d.office_id == office_id)
            .map(|d| d.id)
            .collect();
        if departments.is_empty() {
            return Err(DomainError::NotFound);
        }
        let whole = Self::may_handle(p, office_id, None);
        let year = year.unwrap_or_else(|| i64::from(self.today().year()));
        if !(1900..=9999).contains(&year) {
            return Err(DomainError::invalid("year", "err-register-year"));
        }
        let entries = self
            .store
            .register_entries(office_id, year, before, 200)
            .await?
            .into_iter()
            .filter(|e| {
                whole
                    || e.department_id
                        .as_ref()
                        .is_some_and(|d| departments.contains(d))
            })
            .collect();
        Ok((year, entries))
    }

    /// A register entry, for the people who work its office's cases.
    pub async fn register_entry(
        &self,
        p: &Principal,
        id: &str,
    ) -> Result<RegisterEntry, DomainError> {
        let e = self
            .store
            .register_entry(id)
            .await?
            .ok_or(DomainError::NotFound)?;
        if !Self::may_handle(p, &e.office_id, e.department_id.as_deref()) {
            return Err(DomainError::NotFound);
        }
        Ok(e)
    }

    /// Opens a case in a department the person works for, numbered in the database: the
    /// signature is `UNIT.JRWA.NUMBER.YEAR`. From a register entry, its correspondent is the
    /// party and its receipt day starts the KPA clock; otherwise today does.
    pub async fn open_case(&self, p: &Principal, input: &CaseInput) -> Result<Case, DomainError> {
        let departments = self.case_departments(p).await?;
        let wanted = input.department.trim();
        let mut errors = okienko_domain::error::FieldErrors::new();
        let department = departments
            .iter()
            .find(|d| d.id == wanted)
            .or_else(|| departments.iter().find(|d| d.code == wanted))
            .cloned();
        if department.is_none() {
            errors.add("department", "err-case-department");
        }
        // In the order of the page's fields, so that the error summary reads top down.
        let jrwa = input.jrwa.trim();
        if let Some(d) = &department {
            let class = self
                .store
                .jrwa(&d.office_id)
                .await?
                .into_iter()
                .find(|c| c.symbol == jrwa && c.category.is_some());
            if class.is_none() {
                errors.add("jrwa", "err-case-jrwa");
            }
            if !cases::valid_unit(&d.code) {
                errors.add("department", "err-case-unit");
            }
        }
        let title = input.title.trim();
        if title.is_empty() || title.chars().count() > 300 {
            errors.add("title", "err-case-title");
        }
        let term = match input.term.as_deref().map(str::trim) {
            None | Some("") => Some(Term::Month),
            Some(t) => Term::parse(t),
        };
        if term.is_none() {
            errors.add("term", "err-case-term");
        }
        let party = input.party.as_deref().map(str::trim).unwrap_or("");
        if party.chars().count() > 200 {
            errors.add("party", "err-case-party");
        }
        let (Some(department), Some(term)) = (department, term) else {
            errors.finish()?;
            return Err(DomainError::invalid("department", "err-case-department"));
        };
        let entry = match input.register_entry_id.as_deref().filter(|e| !e.is_empty()) {
            Some(id) => {
                let e = self.register_entry(p, id).await?;
                if e.office_id != department.office_id {
                    return Err(DomainError::NotFound);
                }
                if e.case_id.is_some() {
                    return Err(DomainError::Conflict("err-case-entry-taken"));
                }
                Some(e)
            }
            None => None,
        };
        errors.finish()?;
        let now = self.now_ms();
        let today = self.today();
        let started = entry.as_ref().map_or(today, |e| {
            self.country.local(from_millis(e.received_at)).date()
        });
        let party_user_id = match &entry {
            Some(e) => match &e.submission_id {
                Some(sid) => self
                    .store
                    .submission_of_message(sid)
                    .await?
                    .and_then(|s| s.user_id),
                None => None,
            },
            None => None,
        };
        let party_name = match &entry {
            Some(e) if party.is_empty() => e.correspondent.clone(),
            _ => party.to_string(),
        };
        let year = today.year();
        let case = Case {
            id: okienko_store::new_id(),
            office_id: department.office_id.clone(),
            department_id: department.id.clone(),
            jrwa: jrwa.to_string(),
            number: 0,
            year: i64::from(year),
            signature: String::new(),
            title: title.to_string(),
            party_user_id,
            party_name,
            handler_id: None,
            status: CaseStatus::Open.as_str().into(),
            term: term.as_str().into(),
            started_on: date_text(started),
            excluded_days: 0,
            extended_days: 0,
            suspended_on: None,
            deadline: date_text(cases::deadline(self.country, started, term, 0)),
            register_entry_id: entry.as_ref().map(|e| e.id.clone()),
            created_by: p.user.id.clone(),
            created_at: now,
            closed_at: None,
        };
        let event = CaseEvent {
            id: okienko_store::new_id(),
            case_id: case.id.clone(),
            at: now,
            actor_id: p.user.id.clone(),
            actor_name: String::new(),
            kind: "opened".into(),
            detail: entry
                .as_ref()
                .map(|e| format!("{}/{}", e.number, e.year))
                .unwrap_or_default(),
        };
        let ev = AuditEvent::new(now, Some(&p.user.id), "case.open", case.id.clone());
        let ev = match &case.party_user_id {
            Some(u) => ev.subject(u),
            None => ev,
        };
        let new = NewCase {
            case,
            unit: department.code.clone(),
            event,
            audit: ev,
        };
        match self.cases.submit(new).await {
            Some(Ok(c)) => Ok(c),
            Some(Err(StoreError::Conflict(_))) => {
                Err(DomainError::Conflict("err-case-entry-taken"))
            }
            Some(Err(e)) => Err(e.into()),
            None => Err(DomainError::Internal("the case opener has stopped".into())),
        }
    }

    /// The cases of the departments the person works (one of them with `department`), in a
    /// status, by deadline; `limit` at most 200. Returns the page and the cursor of the next.
    pub async fn case_list(
        &self,
        p: &Principal,
        department: Option<&str>,
        status: Option<&str>,
        mine: bool,
        cursor: Option<&str>,
        limit: i64,
    ) -> Result<(Vec<Case>, Option<String>), DomainError> {
        let all = self.case_departments(p).await?;
        if all.is_empty() {
            // Someone who works no office's cases: there is nothing of theirs here.
            return Err(DomainError::NotFound);
        }
        let mut departments: Vec<String> = all
            .into_iter()
            .filter(|d| department.is_none_or(|w| w.is_empty() || d.id == w || d.code == w))
            .map(|d| d.id)
            .collect();
        departments.sort();
        let statuses = match status.map(str::trim).filter(|s| !s.is_empty()) {
            None => vec!["open".to_string(), "suspended".to_string()],
            Some(s) => vec![CaseStatus::parse(s)
                .ok_or_else(|| DomainError::invalid("status", "err-case-status"))?
                .as_str()
                .to_string()],
        };
        let after = match cursor.filter(|c| !c.is_empty()) {
            Some(c) => {
                Some(parse_cursor(c).ok_or_else(|| DomainError::invalid("cursor", "err-cursor"))?)
            }
            None => None,
        };
        let limit = limit.clamp(1, 200);
        let mut page = self
            .store
            .cases(&CaseQuery {
                department_ids: departments,
                statuses,
                // Mine: and those of whom I substitute today.
                handler_ids: if mine {
                    std::iter::once(p.user.id.clone())
                        .chain(p.covering.iter().map(|c| c.substitution.absent_id.clone()))
                        .collect()
                } else {
                    Vec::new()
                },
                after,
                limit: limit + 1,
            })
            .await?;
        let next = (page.len() as i64 > limit).then(|| {
            page.truncate(limit as usize);
            page.last().map(cursor_of)
        });
        Ok((page, next.flatten()))
    }

    pub(crate) async fn my_case(&self, p: &Principal, id: &str) -> Result<Case, DomainError> {
        let c = self.store.case(id).await?.ok_or(DomainError::NotFound)?;
        if !Self::may_handle(p, &c.office_id, Some(&c.department_id)) {
            return Err(DomainError::NotFound);
        }
        Ok(c)
    }

    /// A case with its timeline. Reading a party's case is in the party's Data Tracker.
    pub async fn case_view(&self, p: &Principal, id: &str) -> Result<CaseView, DomainError> {
        let (case, work) = self.seen_case(p, id).await?;
        if let Some(party) = &case.party_user_id {
            if *party != p.user.id {
                let ev = AuditEvent::new(
                    self.now_ms(),
                    Some(&p.user.id),
                    "person.read",
                    case.signature.clone(),
                )
                .subject(party)
                .reason("case handling");
                self.store.append_audit(&ev).await?;
            }
        }
        let mut v = self.view_of(case).await?;
        v.work = work;
        Ok(v)
    }

    /// A case's view, for a use case that checked who may see it.
    pub(crate) async fn view_of(&self, case: Case) -> Result<CaseView, DomainError> {
        let department = self
            .store
            .departments(&case.office_id)
            .await?
            .into_iter()
            .find(|d| d.id == case.department_id)
            .ok_or(DomainError::NotFound)?;
        let class = self
            .store
            .jrwa(&case.office_id)
            .await?
            .into_iter()
            .find(|c| c.symbol == case.jrwa);
        let handler_name = match &case.handler_id {
            Some(h) => self.store.user_by_id(h).await?.map(|u| u.display_name),
            None => None,
        };
        let entry = match &case.register_entry_id {
            Some(e) => self.store.register_entry(e).await?,
            None => None,
        };
        let officials = self
            .store
            .office_staff(&case.office_id)
            .await?
            .into_iter()
            .filter(|(_, grants)| {
                let a = okienko_domain::policy::Actor {
                    user_id: String::new(),
                    grants: grants.clone(),
                };
                allowed(
                    &a,
                    Action::HandleCases {
                        office_id: &case.office_id,
                        department_id: Some(&case.department_id),
                    },
                )
            })
            .map(|(u, _)| (u.id, u.display_name))
            .collect();
        let events = self.store.case_events(&case.id).await?;
        let today = self.today().to_string();
        let handler_away = match &case.handler_id {
            Some(h) => self
                .store
                .away(h, &today)
                .await?
                .map(|s| (s.ends_on, s.substitute_name)),
            None => None,
        };
        let destroyed = if case.status == CaseStatus::Closed.as_str() {
            self.store.destroyed_by(&case.id).await?
        } else {
            None
        };
        Ok(CaseView {
            case,
            department,
            class,
            handler_name,
            events,
            entry,
            officials,
            handler_away,
            work: true,
            destroyed,
        })
    }

    /// Stores a change of a case made from `before`, with its timeline event.
    async fn change_case(
        &self,
        p: &Principal,
        before: &Case,
        after: Case,
        kind: &'static str,
        detail: String,
    ) -> Result<Case, DomainError> {
        self.change_case_with(p, before, after, kind, detail, None)
            .await
    }

    /// The same, with the register entry of what went out, in the same commit.
    async fn change_case_with(
        &self,
        p: &Principal,
        before: &Case,
        after: Case,
        kind: &'static str,
        detail: String,
        outgoing: Option<&okienko_store::RegisterEntry>,
    ) -> Result<Case, DomainError> {
        let now = self.now_ms();
        let event = CaseEvent {
            id: okienko_store::new_id(),
            case_id: before.id.clone(),
            at: now,
            actor_id: p.user.id.clone(),
            actor_name: String::new(),
            kind: kind.into(),
            detail,
        };
        let action = match kind {
            "assigned" => "case.assign",
            "suspended" => "case.suspend",
            "resumed" => "case.resume",
            "note" => "case.note",
            "delayed" => "case.delay",
            _ => "case.close",
        };
        let ev = AuditEvent::new(now, Some(&p.user.id), action, before.id.clone());
        if self
            .store
            .update_case(&after, &before.status, &event, &ev, outgoing)
            .await?
        {
            Ok(after)
        } else {
            Err(DomainError::Conflict("err-case-changed"))
        }
    }

    /// Gives a case to an official who works its department (routing, dekretacja).
    pub async fn assign_case(
        &self,
        p: &Principal,
        id: &str,
        handler_id: &str,
    ) -> Result<Case, DomainError> {
        let c = self.my_case(p, id).await?;
        if c.status == CaseStatus::Closed.as_str() {
            return Err(DomainError::Conflict("err-case-closed"));
        }
        let grants = self.store.grants_of(handler_id).await?;
        let a = okienko_domain::policy::Actor {
            user_id: handler_id.to_string(),
            grants,
        };
        let can = allowed(
            &a,
            Action::HandleCases {
                office_id: &c.office_id,
                department_id: Some(&c.department_id),
            },
        );
        let user = self.store.user_by_id(handler_id).await?;
        let (true, Some(user)) = (can, user) else {
            return Err(DomainError::invalid("handler", "err-case-handler"));
        };
        let after = Case {
            handler_id: Some(user.id.clone()),
            ..c.clone()
        };
        self.change_case(p, &c, after, "assigned", user.display_name)
            .await
    }

    /// Suspends a case (waiting for the party, or suspended under art. 97 KPA): the clock stops
    /// from today until it is resumed.
    pub async fn suspend_case(
        &self,
        p: &Principal,
        id: &str,
        reason: &str,
    ) -> Result<Case, DomainError> {
        let c = self.my_case(p, id).await?;
        if c.status != CaseStatus::Open.as_str() {
            return Err(DomainError::Conflict("err-case-not-open"));
        }
        let reason = reason.trim();
        if reason.is_empty() || reason.chars().count() > 500 {
            return Err(DomainError::invalid("reason", "err-case-reason"));
        }
        let after = Case {
            status: CaseStatus::Suspended.as_str().into(),
            suspended_on: Some(date_text(self.today())),
            ..c.clone()
        };
        self.change_case(p, &c, after, "suspended", reason.to_string())
            .await
    }

    /// Resumes a suspended case: the days it stood still are added to its deadline, which is
    /// then moved off a day free from work.
    pub async fn resume_case(&self, p: &Principal, id: &str) -> Result<Case, DomainError> {
        let c = self.my_case(p, id).await?;
        if c.status != CaseStatus::Suspended.as_str() {
            return Err(DomainError::Conflict("err-case-not-suspended"));
        }
        let today = self.today();
        let since = c
            .suspended_on
            .as_deref()
            .and_then(parse_date)
            .unwrap_or(today);
        let days = cases::days_between(since, today);
        let excluded = c.excluded_days + days;
        let started = parse_date(&c.started_on)
            .ok_or_else(|| DomainError::Internal(format!("case start {}", c.started_on)))?;
        let term = Term::parse(&c.term).unwrap_or(Term::Month);
        let after = Case {
            status: CaseStatus::Open.as_str().into(),
            suspended_on: None,
            excluded_days: excluded,
            deadline: date_text(cases::deadline(
                self.country,
                started,
                term,
                excluded + c.extended_days,
            )),
            ..c.clone()
        };
        self.change_case(p, &c, after, "resumed", days.to_string())
            .await
    }

    /// Closes a case (settled).
    pub async fn close_case(&self, p: &Principal, id: &str) -> Result<Case, DomainError> {
        let c = self.my_case(p, id).await?;
        if c.status == CaseStatus::Closed.as_str() {
            return Err(DomainError::Conflict("err-case-closed"));
        }
        let after = Case {
            status: CaseStatus::Closed.as_str().into(),
            closed_at: Some(self.now_ms()),
            ..c.clone()
        };
        self.change_case(p, &c, after, "closed", String::new())
            .await
    }

    /// Adds a note to a case's timeline (for those who handle it).
    pub async fn add_case_note(
        &self,
        p: &Principal,
        id: &str,
        text: &str,
    ) -> Result<Case, DomainError> {
        let c = self.my_case(p, id).await?;
        let text = text.trim();
        if text.is_empty() || text.chars().count() > 2000 || !okienko_domain::text::clean_text(text)
        {
            return Err(DomainError::invalid("note", "err-case-note"));
        }
        self.change_case(p, &c, c.clone(), "note", text.to_string())
            .await
    }
}
