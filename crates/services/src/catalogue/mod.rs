//! The catalogue of public services (`domain::catalogue`): one national search across every
//! office's services, a service's own page, and each office's list, imported and exported as
//! CSV or JSON by its admin. Until a service has its e-form, applying online is writing to
//! the office's delivery mailbox (`apply_target`), with the evidence every message gets.

use crate::accounts::Principal;
use crate::orgs::check;
use crate::{new_id, Services};
use okienko_domain::audit::AuditEvent;
use okienko_domain::catalogue::{self, ImportError, ServiceSpec};
use okienko_domain::policy::Action;
use okienko_domain::DomainError;
use okienko_store::{Office, PublicService, ServiceQuery};

pub mod demo;

/// A service with its office, as people see it.
#[derive(Debug, Clone)]
pub struct CatalogueEntry {
    pub id: String,
    pub office: Office,
    pub spec: ServiceSpec,
    pub updated_at: i64,
    /// The current version of its form; None while it is applied for by a message.
    pub form_version: Option<String>,
}

/// One page of a search.
#[derive(Debug, Clone)]
pub struct CataloguePage {
    pub items: Vec<CatalogueEntry>,
    pub next_cursor: Option<String>,
}

/// What a person searches for.
#[derive(Debug, Clone, Default)]
pub struct CatalogueSearch {
    pub q: String,
    pub office: Option<String>,
    pub city: Option<String>,
    pub category: Option<String>,
    pub event: Option<String>,
    pub cursor: Option<String>,
    pub limit: i64,
}

/// The formats an office's catalogue is imported and exported in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CatalogueFormat {
    Csv,
    Json,
}

/// How an import ended: the number of services saved, or the file's first problem.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ImportOutcome {
    Saved(usize),
    Refused(ImportError),
}

/// A service's categories and life events as the store finds them: `;a;event:b;`.
fn tags(s: &ServiceSpec) -> String {
    let mut out = String::from(";");
    for c in &s.categories {
        out.push_str(c);
        out.push(';');
    }
    for e in &s.life_events {
        out.push_str("event:");
        out.push_str(e);
        out.push(';');
    }
    out
}

fn cursor_of(s: &PublicService) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .encode(format!("{}\u{0}{}", s.name_folded, s.id))
}

fn parse_cursor(c: &str) -> Option<(String, String)> {
    use base64::Engine;
    let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(c)
        .ok()?;
    let text = String::from_utf8(raw).ok()?;
    let (name, id) = text.split_once('\u{0}')?;
    Some((name.to_string(), id.to_string()))
}

impl Services {
    pub(crate) async fn entries(
        &self,
        rows: Vec<PublicService>,
    ) -> Result<Vec<CatalogueEntry>, DomainError> {
        let mut offices: std::collections::HashMap<String, Office> = Default::default();
        let mut out = Vec::with_capacity(rows.len());
        for r in rows {
            let office = match offices.get(&r.office_id) {
                Some(o) => o.clone(),
                None => {
                    let o = self
                        .store
                        .office(&r.office_id)
                        .await?
                        .ok_or(DomainError::NotFound)?;
                    offices.insert(o.id.clone(), o.clone());
                    o
                }
            };
            let spec: ServiceSpec = serde_json::from_str(&r.spec)
                .map_err(|e| DomainError::Internal(format!("service {}: {e}", r.id)))?;
            out.push(CatalogueEntry {
                id: r.id,
                office,
                spec,
                updated_at: r.updated_at,
                form_version: r.form_version,
            });
        }
        Ok(out)
    }

    /// Searches every office's services (anyone may, signed in or not).
    pub async fn search_catalogue(
        &self,
        s: &CatalogueSearch,
    ) -> Result<CataloguePage, DomainError> {
        let mut errs = okienko_domain::FieldErrors::new();
        let after = match s.cursor.as_deref().filter(|c| !c.is_empty()) {
            Some(c) => match parse_cursor(c) {
                Some(k) => Some(k),
                None => {
                    errs.add("cursor", "err-cursor");
                    None
                }
            },
            None => None,
        };
        let category = s.category.clone().filter(|c| !c.is_empty());
        if let Some(c) = &category {
            if !catalogue::CATEGORIES.contains(&c.as_str()) {
                errs.add("category", "err-service-category");
            }
        }
        let event = s.event.clone().filter(|e| !e.is_empty());
        if let Some(e) = &event {
            if !catalogue::LIFE_EVENTS.contains(&e.as_str()) {
                errs.add("event", "err-service-event");
            }
        }
        if s.q.chars().count() > 200 {
            errs.add("q", "err-too-long");
        }
        errs.finish()?;
        let limit = s.limit.clamp(1, 100);
        let q = ServiceQuery {
            words: catalogue::query_words(&s.q),
            office_id: s.office.clone().filter(|o| !o.is_empty()),
            city: s.city.clone().filter(|c| !c.trim().is_empty()),
            category,
            event,
            after,
            limit: limit + 1,
        };
        let mut rows = self.store.search_services(&q).await?;
        let next_cursor = if rows.len() as i64 > limit {
            rows.truncate(limit as usize);
            rows.last().map(cursor_of)
        } else {
            None
        };
        Ok(CataloguePage {
            items: self.entries(rows).await?,
            next_cursor,
        })
    }

    /// One service, for its page.
    pub async fn catalogue_entry(&self, id: &str) -> Result<CatalogueEntry, DomainError> {
        let row = self
            .store
            .public_service(id)
            .await?
            .ok_or(DomainError::NotFound)?;
        self.entries(vec![row])
            .await?
            .pop()
            .ok_or(DomainError::NotFound)
    }

    /// An office's services, for its admin.
    pub async fn office_catalogue(
        &self,
        p: &Principal,
        office_id: &str,
    ) -> Result<Vec<CatalogueEntry>, DomainError> {
        check(p, Action::ManageCatalogue { office_id })?;
        let rows = self.store.office_services(office_id).await?;
        self.entries(rows).await
    }

    /// An office's services as a file.
    pub async fn export_catalogue(
        &self,
        p: &Principal,
        office_id: &str,
        format: CatalogueFormat,
    ) -> Result<String, DomainError> {
        let specs: Vec<ServiceSpec> = self
            .office_catalogue(p, office_id)
            .await?
            .into_iter()
            .map(|e| e.spec)
            .collect();
        Ok(match format {
            CatalogueFormat::Csv => catalogue::to_csv(&specs),
            CatalogueFormat::Json => serde_json::to_string_pretty(&specs)
                .map_err(|e| DomainError::Internal(e.to_string()))?,
        })
    }

    /// Adds or replaces (matched by their codes) an office's services from a file, all or
    /// none: a file with any problem changes nothing and says where the first one is.
    pub async fn import_catalogue(
        &self,
        p: &Principal,
        office_id: &str,
        format: CatalogueFormat,
        text: &str,
    ) -> Result<ImportOutcome, DomainError> {
        check(p, Action::ManageCatalogue { office_id })?;
        let parsed = match format {
            CatalogueFormat::Csv => catalogue::parse_csv(text),
            CatalogueFormat::Json => catalogue::parse_json(text),
        };
        let specs = match parsed {
            Ok(s) => s,
            Err(e) => return Ok(ImportOutcome::Refused(e)),
        };
        if specs.is_empty() {
            return Ok(ImportOutcome::Refused(ImportError::at(
                1,
                None,
                "err-import-empty",
            )));
        }
        Ok(
            match self
                .save_catalogue(office_id, format, &specs, Some(&p.user.id))
                .await?
            {
                Ok(n) => ImportOutcome::Saved(n),
                Err(e) => ImportOutcome::Refused(e),
            },
        )
    }

    /// Saves checked services of an office (matched by code), all in one commit: refused
    /// when one names a department the office does not have or a code twice.
    pub(crate) async fn save_catalogue(
        &self,
        office_id: &str,
        format: CatalogueFormat,
        specs: &[ServiceSpec],
        actor: Option<&str>,
    ) -> Result<Result<usize, ImportError>, DomainError> {
        let departments = self.store.departments(office_id).await?;
        let mut codes = std::collections::HashSet::new();
        for (n, s) in specs.iter().enumerate() {
            // Where the problem is: a CSV line (after the header) or a JSON item.
            let place = |field: &str, code: &'static str| match format {
                CatalogueFormat::Csv => ImportError::at(n + 2, Some(field), code),
                CatalogueFormat::Json => ImportError::at(0, Some(&format!("[{n}].{field}")), code),
            };
            if let Some(d) = &s.department {
                if !departments.iter().any(|x| &x.code == d) {
                    return Ok(Err(place("department", "err-import-department")));
                }
            }
            if !codes.insert(s.code.clone()) {
                return Ok(Err(place("code", "err-import-code-twice")));
            }
        }
        let now = self.now_ms();
        let rows = specs
            .iter()
            .map(|s| {
                Ok(PublicService {
                    form_version: None,
                    id: new_id(),
                    office_id: office_id.to_string(),
                    code: s.code.clone(),
                    name_folded: catalogue::fold(&s.local("pl").name.value),
                    spec: serde_json::to_string(s)
                        .map_err(|e| DomainError::Internal(e.to_string()))?,
                    search: s.search_text(),
                    tags: tags(s),
                    created_at: now,
                    updated_at: now,
                })
            })
            .collect::<Result<Vec<_>, DomainError>>()?;
        let ev = AuditEvent::new(now, actor, "catalogue.import", office_id)
            .reason(format!("{} services", rows.len()));
        self.store.save_services(&rows, &ev).await?;
        Ok(Ok(rows.len()))
    }

    /// Where applying online for a service goes: the office's delivery mailbox, and the
    /// mailbox of the person's own to write from (None: they have none that may send).
    pub async fn apply_target(
        &self,
        p: &Principal,
        entry: &CatalogueEntry,
    ) -> Result<(String, Option<String>), DomainError> {
        let office_box = self.office_mailbox(&entry.office.id).await?;
        let own = self
            .store
            .mailboxes_of_user(&p.user.id)
            .await?
            .into_iter()
            .find(|(m, role)| m.office_id.is_none() && crate::mailboxes::may_send(role))
            .map(|(m, _)| m.address);
        Ok((office_box.address, own))
    }
}
