//! A department's document library (`domain::library`). The people of a department (and who
//! works the whole office, and its admin) keep folders and documents there; a document has
//! versions, checked out by one official at a time and checked in with a new version or
//! without; a folder (with all inside it) is shared with another department of the office to
//! read or to work in; a document is linked into a task or a case, and who may see that task
//! or case may read the document. Each change is in the audit log.

pub mod demo;

use crate::accounts::Principal;
use crate::Services;
use okienko_domain::audit::AuditEvent;
use okienko_domain::cases::CaseStatus;
use okienko_domain::library::{check_folder, check_title, parse_target, LinkKind, ShareLevel};
use okienko_domain::policy::{allowed, Action};
use okienko_domain::DomainError;
use okienko_store::{
    CaseQuery, Department, DocumentVersion, LibraryDocument, LibraryFolder, LibraryLink,
    LibraryShare,
};

/// The libraries a person may open: their departments' and the folders shared with them.
#[derive(Debug, Clone, Default)]
pub struct LibraryIndex {
    pub departments: Vec<Department>,
    pub shared: Vec<(LibraryShare, LibraryFolder)>,
}

/// A place in a library (its top, or a folder) and what the person may do there.
#[derive(Debug, Clone)]
pub struct LibraryPlace {
    pub department: Department,
    /// The folders down to this one (last), from the first the person may open; empty at the
    /// top.
    pub trail: Vec<LibraryFolder>,
    /// The person may open the library's top (they are of its department).
    pub at_home: bool,
    pub folders: Vec<LibraryFolder>,
    pub documents: Vec<LibraryDocument>,
    /// Add folders and documents here.
    pub may_edit: bool,
    /// Whom this folder is shared with, and the departments it may be shared with (for the
    /// department's own people, in a folder).
    pub shares: Vec<LibraryShare>,
    pub share_to: Vec<Department>,
}

/// Something a document is linked into, as the person may see it.
#[derive(Debug, Clone)]
pub struct LinkedPlace {
    pub kind: LinkKind,
    pub id: String,
    pub label: String,
}

/// A document with its versions and what the person may do with it.
#[derive(Debug, Clone)]
pub struct LibraryDocumentView {
    pub document: LibraryDocument,
    pub versions: Vec<DocumentVersion>,
    pub place: LibraryPlace,
    /// Check out, check in, link.
    pub may_edit: bool,
    /// Release someone else's check-out (the office's head).
    pub may_release: bool,
    pub links: Vec<LinkedPlace>,
    /// What the person may link it into (`task:<id>` or `case:<id>`, and its label).
    pub link_choices: Vec<(String, String)>,
}

impl Services {
    /// The libraries the person may open.
    pub async fn libraries(&self, p: &Principal) -> Result<LibraryIndex, DomainError> {
        let departments = self.task_boards(p).await?;
        if Self::case_offices(p).is_empty() {
            return Err(DomainError::NotFound);
        }
        let ids: Vec<String> = departments.iter().map(|d| d.id.clone()).collect();
        let shared = self
            .store
            .shared_with(&ids)
            .await?
            .into_iter()
            .filter(|(_, f)| !ids.contains(&f.department_id))
            .collect();
        Ok(LibraryIndex {
            departments,
            shared,
        })
    }

    async fn library_department(
        &self,
        office_id: &str,
        department_id: &str,
    ) -> Result<Department, DomainError> {
        self.store
            .departments(office_id)
            .await?
            .into_iter()
            .find(|d| d.id == department_id)
            .ok_or(DomainError::NotFound)
    }

    /// The folders from the library's top down to `folder_id` (last).
    async fn folder_trail(
        &self,
        folder_id: Option<&str>,
    ) -> Result<Vec<LibraryFolder>, DomainError> {
        let mut trail = Vec::new();
        let mut next = folder_id.map(str::to_string);
        while let Some(id) = next {
            if trail.len() > okienko_domain::library::MAX_DEPTH {
                break;
            }
            let f = self.store.folder(&id).await?.ok_or(DomainError::NotFound)?;
            next = f.parent_id.clone();
            trail.push(f);
        }
        trail.reverse();
        Ok(trail)
    }

    /// What the person may do in a department's library down `trail`: everything for its
    /// own people; what a share of one of the folders on the way gives to a department of
    /// theirs otherwise (with where the trail starts for them). None: nothing.
    async fn library_level(
        &self,
        p: &Principal,
        department: &Department,
        trail: &[LibraryFolder],
    ) -> Result<Option<(ShareLevel, usize)>, DomainError> {
        if Self::may_handle(p, &department.office_id, Some(&department.id)) {
            return Ok(Some((ShareLevel::Edit, 0)));
        }
        let mine: Vec<String> = self
            .task_boards(p)
            .await?
            .into_iter()
            .map(|d| d.id)
            .collect();
        let mut best: Option<(ShareLevel, usize)> = None;
        for (i, f) in trail.iter().enumerate() {
            for s in self.store.folder_shares(&f.id).await? {
                let Some(level) = ShareLevel::parse(&s.level) else {
                    continue;
                };
                if mine.contains(&s.department_id) {
                    best = Some(match best {
                        Some((l, from)) => (l.max(level), from),
                        None => (level, i),
                    });
                }
            }
        }
        Ok(best)
    }

    /// A place of a library (`folder_id` None: the top of the department's) as the person may
    /// see it.
    async fn library_place(
        &self,
        p: &Principal,
        office_id: &str,
        department_id: &str,
        folder_id: Option<&str>,
    ) -> Result<LibraryPlace, DomainError> {
        let department = self.library_department(office_id, department_id).await?;
        let trail = self.folder_trail(folder_id).await?;
        if trail.iter().any(|f| f.department_id != department.id) {
            return Err(DomainError::NotFound);
        }
        let (level, from) = self
            .library_level(p, &department, &trail)
            .await?
            .ok_or(DomainError::NotFound)?;
        let at_home = Self::may_handle(p, office_id, Some(department_id));
        let (shares, share_to) = match (at_home, folder_id) {
            (true, Some(f)) => (
                self.store.folder_shares(f).await?,
                self.store
                    .departments(office_id)
                    .await?
                    .into_iter()
                    .filter(|d| d.id != department.id)
                    .collect(),
            ),
            _ => (Vec::new(), Vec::new()),
        };
        Ok(LibraryPlace {
            folders: self.store.folders(&department.id, folder_id).await?,
            documents: self
                .store
                .library_documents(&department.id, folder_id)
                .await?,
            department,
            trail: trail.into_iter().skip(from).collect(),
            at_home,
            may_edit: level == ShareLevel::Edit,
            shares,
            share_to,
        })
    }

    /// The top of a department's library.
    pub async fn library_top(
        &self,
        p: &Principal,
        office_id: &str,
        department_id: &str,
    ) -> Result<LibraryPlace, DomainError> {
        self.library_place(p, office_id, department_id, None).await
    }

    /// A folder of a library.
    pub async fn library_folder(
        &self,
        p: &Principal,
        folder_id: &str,
    ) -> Result<LibraryPlace, DomainError> {
        let f = self
            .store
            .folder(folder_id)
            .await?
            .ok_or(DomainError::NotFound)?;
        self.library_place(p, &f.office_id, &f.department_id, Some(&f.id))
            .await
    }

    /// Where something new goes: the folder (or the top of the department's library), for who
    /// may add there.
    async fn library_target(
        &self,
        p: &Principal,
        office_id: &str,
        department_id: &str,
        folder_id: Option<&str>,
    ) -> Result<LibraryPlace, DomainError> {
        let folder_id = folder_id.map(str::trim).filter(|f| !f.is_empty());
        let place = self
            .library_place(p, office_id, department_id, folder_id)
            .await?;
        if !place.may_edit {
            return Err(DomainError::NotFound);
        }
        Ok(place)
    }

    /// Makes a folder (at the top or in `parent`).
    pub async fn add_library_folder(
        &self,
        p: &Principal,
        office_id: &str,
        department_id: &str,
        parent: Option<&str>,
        name: &str,
    ) -> Result<LibraryFolder, DomainError> {
        let place = self
            .library_target(p, office_id, department_id, parent)
            .await?;
        let parent = place.trail.last().map(|f| f.id.clone());
        let depth = self.folder_trail(parent.as_deref()).await?.len() + 1;
        check_folder(name, depth)?;
        let f = LibraryFolder {
            id: okienko_store::new_id(),
            office_id: place.department.office_id.clone(),
            department_id: place.department.id.clone(),
            parent_id: parent,
            name: name.trim().to_string(),
            created_by: p.user.id.clone(),
            created_at: self.now_ms(),
        };
        let ev = AuditEvent::new(f.created_at, Some(&p.user.id), "library.folder", &f.id);
        self.store
            .add_folder(&f, &ev)
            .await
            .map_err(crate::store_err("err-library-folder-exists"))?;
        Ok(f)
    }

    /// Adds a document with its first version (a file) at the top or in a folder.
    #[allow(clippy::too_many_arguments)]
    pub async fn upload_library_document(
        &self,
        p: &Principal,
        office_id: &str,
        department_id: &str,
        folder: Option<&str>,
        title: &str,
        name: &str,
        bytes: Vec<u8>,
    ) -> Result<LibraryDocument, DomainError> {
        let place = self
            .library_target(p, office_id, department_id, folder)
            .await?;
        let mut errors = check_title(title);
        let media_type = Self::version_file(name, &bytes, &mut errors);
        errors.finish()?;
        let d = LibraryDocument {
            id: okienko_store::new_id(),
            office_id: place.department.office_id.clone(),
            department_id: place.department.id.clone(),
            folder_id: place.trail.last().map(|f| f.id.clone()),
            title: title.trim().to_string(),
            created_by: p.user.id.clone(),
            created_at: self.now_ms(),
            versions: 1,
            ..Default::default()
        };
        let first = self
            .stored_version(p, &d.id, name, media_type, bytes)
            .await?;
        let ev = AuditEvent::new(d.created_at, Some(&p.user.id), "library.add", &d.id);
        self.store.add_library_document(&d, &first, &ev).await?;
        Ok(d)
    }

    /// What a document is linked into that the person may see, and what they may read it
    /// by (Read when only a link lets them).
    async fn seen_links(
        &self,
        p: &Principal,
        document_id: &str,
    ) -> Result<Vec<LinkedPlace>, DomainError> {
        let mut out = Vec::new();
        for l in self.store.document_links(document_id).await? {
            let label = match LinkKind::parse(&l.kind) {
                Some(LinkKind::Task) => match self.seen_task(p, &l.target_id).await {
                    Ok((task, _)) => Some((LinkKind::Task, task.headline())),
                    Err(_) => None,
                },
                Some(LinkKind::Case) => match self.seen_case(p, &l.target_id).await {
                    Ok((c, _)) => Some((LinkKind::Case, format!("{} {}", c.signature, c.title))),
                    Err(_) => None,
                },
                None => None,
            };
            if let Some((kind, label)) = label {
                out.push(LinkedPlace {
                    kind,
                    id: l.target_id,
                    label,
                });
            }
        }
        Ok(out)
    }

    /// A document with its versions, for who may open its folder or a task or case it is
    /// linked into.
    pub async fn library_document_view(
        &self,
        p: &Principal,
        id: &str,
    ) -> Result<LibraryDocumentView, DomainError> {
        let d = self
            .store
            .library_document(id)
            .await?
            .ok_or(DomainError::NotFound)?;
        let links = self.seen_links(p, &d.id).await?;
        let place = match self
            .library_place(p, &d.office_id, &d.department_id, d.folder_id.as_deref())
            .await
        {
            Ok(place) => place,
            Err(DomainError::NotFound) if !links.is_empty() => LibraryPlace {
                department: self
                    .library_department(&d.office_id, &d.department_id)
                    .await?,
                trail: Vec::new(),
                at_home: false,
                folders: Vec::new(),
                documents: Vec::new(),
                may_edit: false,
                shares: Vec::new(),
                share_to: Vec::new(),
            },
            Err(e) => return Err(e),
        };
        let may_edit = place.may_edit;
        let link_choices = if may_edit {
            self.link_choices(p, &links).await?
        } else {
            Vec::new()
        };
        Ok(LibraryDocumentView {
            versions: self.store.library_versions(&d.id).await?,
            may_release: may_edit
                && allowed(
                    &p.actor(),
                    Action::ApproveDecisions {
                        office_id: &d.office_id,
                    },
                ),
            document: d,
            place,
            may_edit,
            links,
            link_choices,
        })
    }

    /// The person's active tasks and the open cases of their departments (those they handle
    /// first), but those linked already.
    async fn link_choices(
        &self,
        p: &Principal,
        linked: &[LinkedPlace],
    ) -> Result<Vec<(String, String)>, DomainError> {
        let taken = |kind: LinkKind, id: &str| linked.iter().any(|l| l.kind == kind && l.id == id);
        let mut out: Vec<(String, String)> = self
            .store
            .open_tasks_of(&p.user.id)
            .await?
            .into_iter()
            .filter(|t| !taken(LinkKind::Task, &t.id))
            .map(|t| (format!("task:{}", t.id), t.headline()))
            .collect();
        let department_ids: Vec<String> = self
            .task_boards(p)
            .await?
            .into_iter()
            .map(|d| d.id)
            .collect();
        if department_ids.is_empty() {
            return Ok(out);
        }
        // The open cases the person handles first, then the rest of their departments'.
        let mut q = CaseQuery {
            department_ids,
            statuses: vec![
                CaseStatus::Open.as_str().into(),
                CaseStatus::Suspended.as_str().into(),
            ],
            handler_ids: vec![p.user.id.clone()],
            after: None,
            limit: 100,
        };
        let mut cases = self.store.cases(&q).await?;
        q.handler_ids.clear();
        for c in self.store.cases(&q).await? {
            if !cases.iter().any(|x| x.id == c.id) {
                cases.push(c);
            }
        }
        out.extend(
            cases
                .into_iter()
                .filter(|c| !taken(LinkKind::Case, &c.id))
                .map(|c| {
                    (
                        format!("case:{}", c.id),
                        format!("{} {}", c.signature, c.title),
                    )
                }),
        );
        Ok(out)
    }

    /// A document the person may work on.
    async fn editable_document(
        &self,
        p: &Principal,
        id: &str,
    ) -> Result<LibraryDocumentView, DomainError> {
        let v = self.library_document_view(p, id).await?;
        if !v.may_edit {
            return Err(DomainError::NotFound);
        }
        Ok(v)
    }

    /// Renames a folder of the person's department (who works in it through a share does
    /// not).
    pub async fn rename_library_folder(
        &self,
        p: &Principal,
        id: &str,
        name: &str,
    ) -> Result<(), DomainError> {
        self.own_folder(p, id).await?;
        check_folder(name, self.folder_trail(Some(id)).await?.len())?;
        let ev = AuditEvent::new(self.now_ms(), Some(&p.user.id), "library.rename", id);
        self.store
            .rename_folder(id, name.trim(), &ev)
            .await
            .map_err(crate::store_err("err-library-folder-exists"))
    }

    /// Removes an empty folder of the person's department (its shares end with it); returns
    /// it, so the page can go to where it was.
    pub async fn remove_library_folder(
        &self,
        p: &Principal,
        id: &str,
    ) -> Result<LibraryFolder, DomainError> {
        let folder = self.own_folder(p, id).await?;
        let ev = AuditEvent::new(self.now_ms(), Some(&p.user.id), "library.remove_folder", id);
        if !self.store.remove_folder(id, &ev).await? {
            return Err(DomainError::Conflict("err-library-folder-not-empty"));
        }
        Ok(folder)
    }

    /// Gives a document a new title.
    pub async fn retitle_library_document(
        &self,
        p: &Principal,
        id: &str,
        title: &str,
    ) -> Result<(), DomainError> {
        self.editable_document(p, id).await?;
        check_title(title).finish()?;
        let ev = AuditEvent::new(self.now_ms(), Some(&p.user.id), "library.retitle", id);
        self.store
            .retitle_library_document(id, title.trim(), &ev)
            .await
            .map_err(DomainError::from)
    }

    /// Removes a document added by mistake, with its versions: not while someone holds it,
    /// nor while it is linked into a task or a case (it is part of that work then). Returns
    /// it, so the page can go to where it was.
    pub async fn remove_library_document(
        &self,
        p: &Principal,
        id: &str,
    ) -> Result<LibraryDocument, DomainError> {
        let v = self.editable_document(p, id).await?;
        if v.document.holder_id.is_some() {
            return Err(DomainError::Conflict("err-library-remove-held"));
        }
        let ev = AuditEvent::new(self.now_ms(), Some(&p.user.id), "library.remove", id);
        if !self.store.remove_library_document(id, &ev).await? {
            return Err(DomainError::Conflict("err-library-remove-linked"));
        }
        Ok(v.document)
    }

    /// Checks a document out to the person; refused while anyone holds it.
    pub async fn check_out_library_document(
        &self,
        p: &Principal,
        id: &str,
    ) -> Result<(), DomainError> {
        let v = self.editable_document(p, id).await?;
        let now = self.now_ms();
        let ev = AuditEvent::new(now, Some(&p.user.id), "library.checkout", id);
        if v.document.holder_id.is_some()
            || !self
                .store
                .library_check_out(id, &p.user.id, now, &ev)
                .await?
        {
            return Err(DomainError::Conflict("err-document-held"));
        }
        Ok(())
    }

    /// Checks a document in (its holder), with a new version or without one.
    pub async fn check_in_library_document(
        &self,
        p: &Principal,
        id: &str,
        file: Option<(String, Vec<u8>)>,
    ) -> Result<(), DomainError> {
        let v = self.editable_document(p, id).await?;
        if v.document.holder_id.as_deref() != Some(p.user.id.as_str()) {
            return Err(DomainError::Conflict("err-document-not-yours"));
        }
        let version = match file {
            Some((name, bytes)) => {
                let mut errors = okienko_domain::error::FieldErrors::new();
                let media_type = Self::version_file(&name, &bytes, &mut errors);
                errors.finish()?;
                Some(self.stored_version(p, id, &name, media_type, bytes).await?)
            }
            None => None,
        };
        let ev = AuditEvent::new(self.now_ms(), Some(&p.user.id), "library.checkin", id);
        if !self
            .store
            .library_check_in(id, &p.user.id, version.as_ref(), &ev)
            .await?
        {
            return Err(DomainError::Conflict("err-document-not-yours"));
        }
        Ok(())
    }

    /// Releases a check-out without a new version: its holder, or the office's head for
    /// someone who is away.
    pub async fn release_library_document(
        &self,
        p: &Principal,
        id: &str,
    ) -> Result<(), DomainError> {
        let v = self.editable_document(p, id).await?;
        let Some(holder) = v.document.holder_id else {
            return Err(DomainError::Conflict("err-document-not-held"));
        };
        if holder != p.user.id && !v.may_release {
            return Err(DomainError::Conflict("err-document-not-yours"));
        }
        let ev = AuditEvent::new(self.now_ms(), Some(&p.user.id), "library.release", id);
        if !self.store.library_check_in(id, &holder, None, &ev).await? {
            return Err(DomainError::Conflict("err-document-not-held"));
        }
        Ok(())
    }

    /// A version of a document (the latest for `n` 0) and its bytes.
    pub async fn library_file(
        &self,
        p: &Principal,
        id: &str,
        n: i64,
    ) -> Result<(DocumentVersion, bytes::Bytes), DomainError> {
        let v = self.library_document_view(p, id).await?;
        let n = if n == 0 { v.document.versions } else { n };
        let version = v
            .versions
            .into_iter()
            .find(|x| x.n == n)
            .ok_or(DomainError::NotFound)?;
        let bytes = self.blob(&version.sha256).await?;
        Ok((version, bytes))
    }

    /// A folder the person's department owns (only they share it).
    async fn own_folder(&self, p: &Principal, id: &str) -> Result<LibraryFolder, DomainError> {
        let f = self.store.folder(id).await?.ok_or(DomainError::NotFound)?;
        if !Self::may_handle(p, &f.office_id, Some(&f.department_id)) {
            return Err(DomainError::NotFound);
        }
        Ok(f)
    }

    /// Shares a folder with another department of the office, to read or to work in (again:
    /// changes the level).
    pub async fn share_library_folder(
        &self,
        p: &Principal,
        folder_id: &str,
        department_id: &str,
        level: &str,
    ) -> Result<(), DomainError> {
        let f = self.own_folder(p, folder_id).await?;
        let to = self
            .library_department(&f.office_id, department_id.trim())
            .await
            .ok()
            .filter(|d| d.id != f.department_id);
        let level = ShareLevel::parse(level);
        let mut errors = okienko_domain::error::FieldErrors::new();
        if to.is_none() {
            errors.add("department", "err-library-share-department");
        }
        if level.is_none() {
            errors.add("level", "err-library-share-level");
        }
        errors.finish()?;
        let (Some(to), Some(level)) = (to, level) else {
            return Err(DomainError::NotFound);
        };
        let s = LibraryShare {
            folder_id: f.id.clone(),
            department_id: to.id,
            level: level.as_str().into(),
            shared_by: p.user.id.clone(),
            shared_at: self.now_ms(),
            department_name: String::new(),
        };
        let ev = AuditEvent::new(s.shared_at, Some(&p.user.id), "library.share", &f.id);
        self.store.share_folder(&s, &ev).await?;
        Ok(())
    }

    /// Stops sharing a folder with a department.
    pub async fn unshare_library_folder(
        &self,
        p: &Principal,
        folder_id: &str,
        department_id: &str,
    ) -> Result<(), DomainError> {
        let f = self.own_folder(p, folder_id).await?;
        let ev = AuditEvent::new(self.now_ms(), Some(&p.user.id), "library.unshare", &f.id);
        if !self.store.unshare_folder(&f.id, department_id, &ev).await? {
            return Err(DomainError::NotFound);
        }
        Ok(())
    }

    /// Links a document into one of the person's active tasks or open cases (`target`:
    /// `task:<id>` or `case:<id>`).
    pub async fn link_library_document(
        &self,
        p: &Principal,
        id: &str,
        target: &str,
    ) -> Result<(), DomainError> {
        let v = self.editable_document(p, id).await?;
        let chosen = v.link_choices.iter().any(|(t, _)| t == target.trim());
        let Some((kind, target_id)) = parse_target(target).filter(|_| chosen) else {
            return Err(DomainError::invalid("target", "err-library-link-target"));
        };
        let l = LibraryLink {
            document_id: v.document.id.clone(),
            kind: kind.as_str().into(),
            target_id: target_id.to_string(),
            created_by: p.user.id.clone(),
            created_at: self.now_ms(),
        };
        let ev = AuditEvent::new(l.created_at, Some(&p.user.id), "library.link", id);
        self.store.link_document(&l, &ev).await?;
        Ok(())
    }

    /// Takes a document's link away (who may work on the document and see the place).
    pub async fn unlink_library_document(
        &self,
        p: &Principal,
        id: &str,
        target: &str,
    ) -> Result<(), DomainError> {
        let v = self.editable_document(p, id).await?;
        let found = parse_target(target)
            .filter(|(k, t)| v.links.iter().any(|l| l.kind == *k && l.id == *t));
        let Some((kind, target_id)) = found else {
            return Err(DomainError::NotFound);
        };
        let ev = AuditEvent::new(self.now_ms(), Some(&p.user.id), "library.unlink", id);
        if !self
            .store
            .unlink_document(id, kind.as_str(), target_id, &ev)
            .await?
        {
            return Err(DomainError::NotFound);
        }
        Ok(())
    }

    /// The library documents linked into a task or a case, for who may see it.
    pub async fn linked_library_documents(
        &self,
        p: &Principal,
        kind: LinkKind,
        id: &str,
    ) -> Result<Vec<LibraryDocument>, DomainError> {
        match kind {
            LinkKind::Task => {
                self.seen_task(p, id).await?;
            }
            LinkKind::Case => {
                self.seen_case(p, id).await?;
            }
        }
        Ok(self.store.linked_documents(kind.as_str(), id).await?)
    }
}
