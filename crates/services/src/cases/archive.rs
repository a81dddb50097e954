//! The office archive (`domain::archive`): closed cases with how long each is kept (by its
//! JRWA class's category), and destruction lists taken through three hands: prepared by an
//! official of the whole office (or its admin), reviewed by the head (an admin of the office),
//! approved by the office's archivist; no one takes two steps of one list. Category A cases
//! and those whose time has not come are refused, naming the case.

use crate::accounts::Principal;
use crate::Services;
use okienko_domain::archive::{self, destroyable_from, next_step, refuse_listing, ListStatus};
use okienko_domain::audit::AuditEvent;
use okienko_domain::cases::{Category, JrwaClass};
use okienko_domain::policy::{allowed, Action};
use okienko_domain::{from_millis, DomainError, FieldErrors};
use okienko_store::{
    ArchiveTransfer, Case, CaseEvent, DestructionItem, DestructionList, StoreError,
};

/// A closed case as the archive shows it.
#[derive(Debug, Clone)]
pub struct ArchivedCase {
    pub case: Case,
    pub category: Option<Category>,
    /// The first year it may be destroyed; `None` for category A (kept for ever).
    pub destroyable_from: Option<i32>,
    /// It may go on a destruction list this year.
    pub due: bool,
    /// It is on a list that was not rejected.
    pub listed: bool,
    /// It was handed over to the state archive.
    pub transferred: bool,
    /// Its records were destroyed (an approved destruction list had it).
    pub destroyed: bool,
}

/// A page of the archive.
pub struct ArchivePage {
    pub cases: Vec<ArchivedCase>,
    pub next: Option<String>,
    pub year: i32,
    pub may_prepare: bool,
}

/// A destruction list with its cases and what the person looking may do with it.
pub struct ListView {
    pub list: DestructionList,
    pub items: Vec<(DestructionItem, Case)>,
    /// Names of who prepared, reviewed, approved or rejected it.
    pub names: Vec<(String, String)>,
    pub may_review: bool,
    pub may_approve: bool,
}

fn category_of(classes: &[JrwaClass], symbol: &str) -> Option<Category> {
    classes
        .iter()
        .find(|c| c.symbol == symbol)
        .and_then(|c| c.category)
}

impl Services {
    /// May the person see the office's archive and its lists (any of the three hands)?
    fn archive_hand(p: &Principal, office_id: &str) -> bool {
        let a = p.actor();
        allowed(&a, Action::PrepareDestruction { office_id })
            || allowed(&a, Action::ReviewDestruction { office_id })
            || allowed(&a, Action::ApproveDestruction { office_id })
    }

    fn closed_year(&self, c: &Case) -> Option<i32> {
        c.closed_at
            .map(|at| self.country.local(from_millis(at)).year())
    }

    /// An office's closed cases in the order they closed, 100 a page after `cursor`.
    pub async fn archive(
        &self,
        p: &Principal,
        office_id: &str,
        cursor: Option<&str>,
    ) -> Result<ArchivePage, DomainError> {
        if !Self::archive_hand(p, office_id) {
            return Err(DomainError::NotFound);
        }
        let after = match cursor.map(str::trim).filter(|c| !c.is_empty()) {
            None => None,
            Some(c) => {
                let parsed = c
                    .split_once('~')
                    .and_then(|(at, id)| Some((at.parse::<i64>().ok()?, id.to_string())))
                    .filter(|(_, id)| !id.is_empty() && id.len() <= 64);
                Some(parsed.ok_or_else(|| DomainError::invalid("cursor", "err-cursor"))?)
            }
        };
        let limit = 100;
        let mut cases = self
            .store
            .archive_cases(office_id, after, limit + 1)
            .await?;
        let next = (cases.len() as i64 > limit).then(|| {
            cases.truncate(limit as usize);
            cases
                .last()
                .map(|c| format!("{}~{}", c.closed_at.unwrap_or(0), c.id))
        });
        let classes = self.store.jrwa(office_id).await?;
        let ids: Vec<String> = cases.iter().map(|c| c.id.clone()).collect();
        let listed = self.store.cases_on_lists(&ids).await?;
        let transferred = self.store.transferred(&ids).await?;
        let destroyed = self.store.destroyed(&ids).await?;
        let year = self.today().year();
        let cases = cases
            .into_iter()
            .map(|c| {
                let category = category_of(&classes, &c.jrwa);
                let closed = self.closed_year(&c);
                let from = category
                    .zip(closed)
                    .and_then(|(k, y)| destroyable_from(k, y));
                ArchivedCase {
                    due: refuse_listing(category, closed, year).is_none(),
                    listed: listed.contains(&c.id),
                    transferred: transferred.contains(&c.id),
                    destroyed: destroyed.contains(&c.id),
                    category,
                    destroyable_from: from,
                    case: c,
                }
            })
            .collect();
        Ok(ArchivePage {
            cases,
            next: next.flatten(),
            year,
            may_prepare: allowed(&p.actor(), Action::PrepareDestruction { office_id }),
        })
    }

    /// Prepares a destruction list of closed cases whose time has come. Each case refused is
    /// named (`case`, with its signature); nothing is stored then.
    pub async fn prepare_destruction(
        &self,
        p: &Principal,
        office_id: &str,
        case_ids: &[String],
    ) -> Result<DestructionList, DomainError> {
        if !allowed(&p.actor(), Action::PrepareDestruction { office_id }) {
            return Err(DomainError::NotFound);
        }
        let mut ids: Vec<String> = case_ids
            .iter()
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
            .collect();
        ids.sort();
        ids.dedup();
        if ids.is_empty() || ids.len() > 1000 {
            return Err(DomainError::invalid("cases", "err-archive-choose"));
        }
        let classes = self.store.jrwa(office_id).await?;
        let year = self.today().year();
        let mut items = Vec::new();
        let mut errors = FieldErrors::new();
        for id in &ids {
            let c = match self.store.case(id).await? {
                Some(c) if c.office_id == office_id => c,
                _ => {
                    errors.add("cases", "err-archive-unknown");
                    continue;
                }
            };
            let category = category_of(&classes, &c.jrwa);
            let closed = self.closed_year(&c);
            if let Some(code) = refuse_listing(category, closed, year) {
                errors.add_named(format!("case-{}", c.signature), code);
                continue;
            }
            // Listable: it has a category other than A and a closing year.
            let (Some(k), Some(from)) = (
                category,
                closed
                    .zip(category)
                    .and_then(|(y, k)| destroyable_from(k, y)),
            ) else {
                continue;
            };
            items.push(DestructionItem {
                case_id: c.id.clone(),
                category: k.to_string(),
                destroyable_from: i64::from(from),
            });
        }
        errors.finish()?;
        let now = self.now_ms();
        let list = DestructionList {
            id: okienko_store::new_id(),
            office_id: office_id.to_string(),
            year: i64::from(year),
            number: 0,
            status: ListStatus::Prepared.as_str().into(),
            prepared_by: p.user.id.clone(),
            prepared_at: now,
            ..Default::default()
        };
        let ev = AuditEvent::new(now, Some(&p.user.id), "archive.prepare", list.id.clone());
        match self.store.add_destruction_list(&list, &items, &ev).await {
            Ok(l) => Ok(l),
            Err(StoreError::Conflict(_)) => Err(DomainError::Conflict("err-archive-listed")),
            Err(e) => Err(e.into()),
        }
    }

    /// An office's destruction lists, newest first.
    pub async fn destruction_lists(
        &self,
        p: &Principal,
        office_id: &str,
    ) -> Result<Vec<DestructionList>, DomainError> {
        if !Self::archive_hand(p, office_id) {
            return Err(DomainError::NotFound);
        }
        Ok(self.store.destruction_lists(office_id, 100).await?)
    }

    /// A destruction list with its cases.
    pub async fn destruction_list(&self, p: &Principal, id: &str) -> Result<ListView, DomainError> {
        let list = self
            .store
            .destruction_list(id)
            .await?
            .ok_or(DomainError::NotFound)?;
        let office_id = list.office_id.clone();
        if !Self::archive_hand(p, &office_id) {
            return Err(DomainError::NotFound);
        }
        let items = self.store.destruction_items(&list.id).await?;
        let mut names = Vec::new();
        for u in [
            Some(&list.prepared_by),
            list.reviewed_by.as_ref(),
            list.approved_by.as_ref(),
            list.rejected_by.as_ref(),
        ]
        .into_iter()
        .flatten()
        {
            if let Some(user) = self.store.user_by_id(u).await? {
                names.push((user.id, user.display_name));
            }
        }
        let status = ListStatus::parse(&list.status);
        let a = p.actor();
        let may_review = status == Some(ListStatus::Prepared)
            && list.prepared_by != p.user.id
            && allowed(
                &a,
                Action::ReviewDestruction {
                    office_id: &office_id,
                },
            );
        let may_approve = status == Some(ListStatus::Reviewed)
            && list.prepared_by != p.user.id
            && list.reviewed_by.as_deref() != Some(p.user.id.as_str())
            && allowed(
                &a,
                Action::ApproveDestruction {
                    office_id: &office_id,
                },
            );
        Ok(ListView {
            list,
            items,
            names,
            may_review,
            may_approve,
        })
    }

    /// Takes a list's next step (`accept`), or rejects it with a reason: the head reviews a
    /// prepared list, the archivist approves a reviewed one. Approval puts an event on each of
    /// its cases' timelines in the same commit.
    pub async fn decide_destruction(
        &self,
        p: &Principal,
        id: &str,
        accept: bool,
        reason: &str,
    ) -> Result<DestructionList, DomainError> {
        let list = self
            .store
            .destruction_list(id)
            .await?
            .ok_or(DomainError::NotFound)?;
        let office_id = list.office_id.clone();
        if !Self::archive_hand(p, &office_id) {
            return Err(DomainError::NotFound);
        }
        let status = ListStatus::parse(&list.status)
            .ok_or_else(|| DomainError::Internal(format!("list status {}", list.status)))?;
        let action = match status {
            ListStatus::Prepared => Action::ReviewDestruction {
                office_id: &office_id,
            },
            _ => Action::ApproveDestruction {
                office_id: &office_id,
            },
        };
        if !allowed(&p.actor(), action) {
            return Err(DomainError::Conflict("err-archive-not-your-step"));
        }
        let step = next_step(
            status,
            &p.user.id,
            &list.prepared_by,
            list.reviewed_by.as_deref(),
        )
        .map_err(DomainError::Conflict)?;
        let now = self.now_ms();
        let reason = reason.trim();
        let mut after = list.clone();
        let mut events = Vec::new();
        let action_name = if !accept {
            if reason.is_empty() || reason.chars().count() > 1000 {
                return Err(DomainError::invalid("reason", "err-archive-reason"));
            }
            after.status = ListStatus::Rejected.as_str().into();
            after.rejected_by = Some(p.user.id.clone());
            after.rejected_at = Some(now);
            after.reason = reason.to_string();
            "archive.reject"
        } else if step == ListStatus::Reviewed {
            after.status = step.as_str().into();
            after.reviewed_by = Some(p.user.id.clone());
            after.reviewed_at = Some(now);
            "archive.review"
        } else {
            after.status = step.as_str().into();
            after.approved_by = Some(p.user.id.clone());
            after.approved_at = Some(now);
            for (_, c) in self.store.destruction_items(&list.id).await? {
                events.push(CaseEvent {
                    id: okienko_store::new_id(),
                    case_id: c.id,
                    at: now,
                    actor_id: p.user.id.clone(),
                    actor_name: String::new(),
                    kind: "destruction-approved".into(),
                    detail: format!("{}/{}", list.number, list.year),
                });
            }
            "archive.approve"
        };
        let ev = AuditEvent::new(now, Some(&p.user.id), action_name, list.id.clone());
        if self
            .store
            .update_destruction_list(&after, &list.status, &events, &ev)
            .await?
        {
            Ok(after)
        } else {
            Err(DomainError::Conflict("err-archive-changed"))
        }
    }
}

/// A file of destroyed records is deleted once it has lain this long untouched (a record that
/// wants the same bytes may be on its way to its commit).
pub const BLOB_IDLE: std::time::Duration = std::time::Duration::from_secs(600);

impl Services {
    /// Refuses what a case's records were (a document's file, a decision's PDF, the case file)
    /// once an approved destruction list destroyed them.
    pub(crate) async fn refuse_destroyed(&self, case_id: &str) -> Result<(), DomainError> {
        if self
            .store
            .destroyed(&[case_id.to_string()])
            .await?
            .is_empty()
        {
            Ok(())
        } else {
            Err(DomainError::Conflict("err-case-destroyed"))
        }
    }

    /// Deletes the files of destroyed records that nothing else needs any more, up to 100 a
    /// round (the sweep, under the sweep lease), each once it has lain `idle` untouched.
    /// Every file looked at leaves the queue: deleted, needed by another record, or stored
    /// again lately (then whatever stored it refers to it, or it stays as any file whose
    /// record failed to commit). Returns how many files were deleted.
    pub async fn blob_garbage_sweep(&self, idle: std::time::Duration) -> anyhow::Result<usize> {
        let queued = self.store.blob_garbage(100).await?;
        if queued.is_empty() {
            return Ok(0);
        }
        let free: std::collections::HashSet<String> = self
            .store
            .unreferenced_blobs(&queued)
            .await?
            .into_iter()
            .collect();
        let mut deleted = 0;
        let mut done = Vec::new();
        for sha in queued {
            if free.contains(&sha) {
                match self.blobs.delete_idle(&sha, idle).await {
                    Ok(true) => deleted += 1,
                    Ok(false) => {}
                    Err(e) => {
                        tracing::warn!(sha256 = %sha, error = %e, "file of destroyed records not deleted; tried again next round");
                        continue;
                    }
                }
            }
            done.push(sha);
        }
        self.store.forget_blob_garbage(&done).await?;
        Ok(deleted)
    }
}

/// The year a category A case goes to the state archive.
pub fn transfer_year(closed_year: i32) -> i32 {
    closed_year + archive::TRANSFER_AFTER_YEARS + 1
}

/// At most this many cases go into one transfer package (the oldest first).
pub const TRANSFER_MAX: usize = 100;

/// How to check a transfer package, in the package.
const TRANSFER_README: &str = "\
A transfer package of category A case files for the state archive, made by okienko.

transfer-list.csv lists the cases; cases/ holds each case's file, a ZIP with its own signed
manifest (see the README.txt inside each). This package's manifest.json lists every file with
its SHA-256 and is signed with the office seal (CAdES-T, detached):
  openssl cms -verify -binary -inform DER -in manifest.json.p7s \\
    -content manifest.json -CAfile ca.pem -out /dev/null
(compare ca.pem's fingerprint with the one the operator publishes).

Paczka do przekazania akt kategorii A do archiwum państwowego: spis w transfer-list.csv,
akta spraw w cases/, manifest podpisany pieczęcią urzędu (polecenie powyżej).
";

impl Services {
    /// An office's category A cases whose 25 years have passed and that were not handed over
    /// yet, the oldest first, at most [`TRANSFER_MAX`].
    async fn due_for_transfer(&self, office_id: &str) -> Result<Vec<Case>, DomainError> {
        let classes = self.store.jrwa(office_id).await?;
        let year = self.today().year();
        let mut due = Vec::new();
        let mut after = None;
        'pages: loop {
            let page = self.store.archive_cases(office_id, after, 100).await?;
            let Some(last) = page.last() else { break };
            after = Some((last.closed_at.unwrap_or(0), last.id.clone()));
            let ids: Vec<String> = page.iter().map(|c| c.id.clone()).collect();
            let gone = self.store.transferred(&ids).await?;
            for c in page {
                let Some(closed) = self.closed_year(&c) else {
                    continue;
                };
                // In the order they closed: once one is too young, all after it are.
                if transfer_year(closed) > year {
                    break 'pages;
                }
                if category_of(&classes, &c.jrwa) == Some(Category::A) && !gone.contains(&c.id) {
                    due.push(c);
                    if due.len() == TRANSFER_MAX {
                        break 'pages;
                    }
                }
            }
        }
        Ok(due)
    }

    /// Makes the transfer package of an office's category A cases whose 25 years have passed
    /// (the oldest first, at most [`TRANSFER_MAX`], none handed over before): each case's
    /// file, the transfer list and a manifest signed with the office seal. The package is
    /// kept (downloaded again from [`Self::transfer_package`]) and its cases are marked handed
    /// over in the commit that numbers it. For the three hands of the archive. A conflict when
    /// no case is due.
    pub async fn make_transfer(
        &self,
        p: &Principal,
        office_id: &str,
    ) -> Result<ArchiveTransfer, DomainError> {
        if !Self::archive_hand(p, office_id) {
            return Err(DomainError::NotFound);
        }
        let due = self.due_for_transfer(office_id).await?;
        if due.is_empty() {
            return Err(DomainError::Conflict("err-archive-no-transfer"));
        }
        let id = okienko_store::new_id();
        let now = self.now_ms();
        let case_ids: Vec<String> = due.iter().map(|c| c.id.clone()).collect();
        let mut parts = Vec::new();
        let mut csv =
            String::from("no,signature,title,jrwa,category,started_on,closed_on,file\r\n");
        for (n, c) in due.into_iter().enumerate() {
            let closed = c
                .closed_at
                .map(|at| self.country.local(from_millis(at)).date().to_string())
                .unwrap_or_default();
            let row = [
                (n + 1).to_string(),
                c.signature.clone(),
                c.title.clone(),
                c.jrwa.clone(),
                "A".to_string(),
                c.started_on.clone(),
                closed,
                format!("cases/{}.zip", c.signature),
            ];
            let cells: Vec<String> = row
                .iter()
                .map(|v| okienko_domain::text::csv_cell(v))
                .collect();
            csv.push_str(&cells.join(","));
            csv.push_str("\r\n");
            let view = self.view_of(c).await?;
            let (name, zip) = self.case_file_of(p, view).await?;
            parts.push(super::file::Part {
                path: format!("cases/{name}"),
                bytes: zip,
            });
        }
        parts.insert(
            0,
            super::file::Part {
                path: "transfer-list.csv".into(),
                bytes: csv.into_bytes(),
            },
        );
        parts.push(super::file::Part {
            path: "ca.pem".into(),
            bytes: self
                .pki
                .ca_pem()
                .map_err(|e| DomainError::Internal(e.to_string()))?
                .into_bytes(),
        });
        let manifest = serde_json::json!({
            "office_id": office_id,
            "kind": "transfer-to-state-archive",
            "transfer_id": id,
            "prepared_at": crate::clock::rfc3339(now),
            "issuing_service": self.base_url,
            "files": parts.iter().map(|p| serde_json::json!({
                "path": p.path,
                "size": p.bytes.len(),
                "sha256": hex::encode(okienko_trust::sha256(&p.bytes)),
            })).collect::<Vec<_>>(),
        });
        let manifest = serde_json::to_vec_pretty(&manifest)
            .map_err(|e| DomainError::Internal(e.to_string()))?;
        let seal = self.seal_stamped(office_id, manifest.clone(), true).await?;
        parts.push(super::file::Part {
            path: "manifest.json".into(),
            bytes: manifest,
        });
        parts.push(super::file::Part {
            path: "manifest.json.p7s".into(),
            bytes: seal,
        });
        parts.push(super::file::Part {
            path: "README.txt".into(),
            bytes: TRANSFER_README.as_bytes().to_vec(),
        });
        let zip = tokio::task::spawn_blocking(move || super::file::write_zip(&parts))
            .await
            .map_err(|e| DomainError::Internal(e.to_string()))??;
        let size = zip.len() as i64;
        // Durable before the commit that points at it.
        let sha256 = self
            .blobs
            .put(zip.into())
            .await
            .map_err(|e| DomainError::Internal(e.to_string()))?;
        let year = self.today().year();
        let transfer = ArchiveTransfer {
            id: id.clone(),
            office_id: office_id.to_string(),
            year: i64::from(year),
            number: 0,
            made_by: p.user.id.clone(),
            made_at: now,
            cases: case_ids.len() as i64,
            name: format!("transfer-{year}-{id}.zip"),
            sha256,
            size,
        };
        let events: Vec<CaseEvent> = case_ids
            .iter()
            .map(|c| CaseEvent {
                id: okienko_store::new_id(),
                case_id: c.clone(),
                at: now,
                actor_id: p.user.id.clone(),
                actor_name: String::new(),
                kind: "transferred".into(),
                // The store writes the transfer's number here.
                detail: String::new(),
            })
            .collect();
        let ev = AuditEvent::new(now, Some(&p.user.id), "archive.transfer", id);
        match self
            .store
            .add_transfer(&transfer, &case_ids, &events, &ev)
            .await
        {
            Ok(t) => Ok(t),
            Err(StoreError::Conflict(_)) => {
                Err(DomainError::Conflict("err-archive-transfer-changed"))
            }
            Err(e) => Err(e.into()),
        }
    }

    /// An office's transfers to the state archive, newest first.
    pub async fn transfers(
        &self,
        p: &Principal,
        office_id: &str,
    ) -> Result<Vec<ArchiveTransfer>, DomainError> {
        if !Self::archive_hand(p, office_id) {
            return Err(DomainError::NotFound);
        }
        Ok(self.store.transfers(office_id, 100).await?)
    }

    /// A transfer with its package, as it was made.
    pub async fn transfer_package(
        &self,
        p: &Principal,
        id: &str,
    ) -> Result<(ArchiveTransfer, Vec<u8>), DomainError> {
        let t = self
            .store
            .transfer(id)
            .await?
            .ok_or(DomainError::NotFound)?;
        if !Self::archive_hand(p, &t.office_id) {
            return Err(DomainError::NotFound);
        }
        let bytes = self.blob(&t.sha256).await?;
        Ok((t, bytes.to_vec()))
    }
}
