//! A case's working documents: added with a first version, checked out by one official at a
//! time (the holder and since when are shown to everyone), checked in by the holder with a new
//! version or without one, released by the holder or by the head. Each act is on the case's
//! timeline and in the audit log.

use crate::accounts::Principal;
use crate::Services;
use okienko_domain::audit::AuditEvent;
use okienko_domain::cases::CaseStatus;
use okienko_domain::error::FieldErrors;
use okienko_domain::policy::{allowed, Action};
use okienko_domain::DomainError;
use okienko_store::{Case, CaseDocument, CaseEvent, DocumentVersion};

/// The largest file one version may be.
pub const MAX_DOCUMENT_BYTES: usize = 20 * 1024 * 1024;

/// A document with its versions, as the case page and the API show it.
#[derive(Debug, Clone)]
pub struct DocumentView {
    pub document: CaseDocument,
    pub versions: Vec<DocumentVersion>,
}

impl Services {
    fn document_event(
        &self,
        p: &Principal,
        case_id: &str,
        kind: &str,
        detail: String,
    ) -> CaseEvent {
        CaseEvent {
            id: okienko_store::new_id(),
            case_id: case_id.to_string(),
            at: self.now_ms(),
            actor_id: p.user.id.clone(),
            actor_name: String::new(),
            kind: kind.into(),
            detail,
        }
    }

    /// Checks a file for a version: named, not empty, not too large, of a type allowed in
    /// messages (by its content). Its media type.
    pub(crate) fn version_file(name: &str, bytes: &[u8], errors: &mut FieldErrors) -> &'static str {
        let name_ok = !name.trim().is_empty()
            && name.chars().count() <= 200
            && okienko_domain::text::clean_line(name)
            && !name.contains(['/', '\\']);
        if !name_ok {
            errors.add("file", "err-attachment-name");
            return "";
        }
        if bytes.is_empty() || bytes.len() > MAX_DOCUMENT_BYTES {
            errors.add("file", "err-document-size");
            return "";
        }
        match okienko_domain::files::sniff(name, bytes) {
            Some(t) => t,
            None => {
                errors.add("file", "err-attachment-type");
                ""
            }
        }
    }

    pub(crate) async fn stored_version(
        &self,
        p: &Principal,
        document_id: &str,
        name: &str,
        media_type: &str,
        bytes: Vec<u8>,
    ) -> Result<DocumentVersion, DomainError> {
        let size = bytes.len() as i64;
        let bytes = bytes::Bytes::from(bytes);
        // Its text for the search: a PDF's read in the sandboxed worker (one that does not
        // open is kept, only not found by its text), plain text as it is.
        let text = match media_type {
            "application/pdf" => self
                .sandbox
                .pdf_text(bytes.clone())
                .await
                .unwrap_or_default(),
            t if t.starts_with("text/") => String::from_utf8_lossy(&bytes)
                .chars()
                .take(crate::sandbox::TEXT_MAX_CHARS)
                .collect(),
            _ => String::new(),
        };
        let sha256 = self
            .blobs
            .put(bytes)
            .await
            .map_err(|e| DomainError::Internal(e.to_string()))?;
        Ok(DocumentVersion {
            document_id: document_id.to_string(),
            n: 0,
            name: name.trim().to_string(),
            media_type: media_type.to_string(),
            sha256,
            size,
            author_id: p.user.id.clone(),
            author_name: String::new(),
            at: self.now_ms(),
            text,
        })
    }

    /// Adds a working document to a case (not a closed one) with its first version.
    pub async fn add_case_document(
        &self,
        p: &Principal,
        case_id: &str,
        title: &str,
        name: &str,
        bytes: Vec<u8>,
    ) -> Result<CaseDocument, DomainError> {
        let c = self.my_case(p, case_id).await?;
        if c.status == CaseStatus::Closed.as_str() {
            return Err(DomainError::Conflict("err-case-closed"));
        }
        let mut errors = okienko_domain::library::check_title(title);
        let title = title.trim();
        let media_type = Self::version_file(name, &bytes, &mut errors);
        errors.finish()?;
        let d = CaseDocument {
            id: okienko_store::new_id(),
            case_id: c.id.clone(),
            title: title.to_string(),
            created_by: p.user.id.clone(),
            created_at: self.now_ms(),
            versions: 1,
            ..CaseDocument::default()
        };
        let first = self
            .stored_version(p, &d.id, name, media_type, bytes)
            .await?;
        let event = self.document_event(p, &c.id, "document-added", d.title.clone());
        let ev = AuditEvent::new(d.created_at, Some(&p.user.id), "document.add", &d.id);
        self.store.add_document(&d, &first, &event, &ev).await?;
        Ok(d)
    }

    /// A document of a case the person handles, with its case.
    async fn my_document(
        &self,
        p: &Principal,
        id: &str,
    ) -> Result<(CaseDocument, Case), DomainError> {
        let d = self
            .store
            .document(id)
            .await?
            .ok_or(DomainError::NotFound)?;
        let c = self.my_case(p, &d.case_id).await?;
        Ok((d, c))
    }

    /// A document of a case the person may read (who has an open task on it too).
    async fn seen_document(
        &self,
        p: &Principal,
        id: &str,
    ) -> Result<okienko_store::CaseDocument, DomainError> {
        let d = self
            .store
            .document(id)
            .await?
            .ok_or(DomainError::NotFound)?;
        self.seen_case(p, &d.case_id).await?;
        Ok(d)
    }

    /// A case's documents with their versions.
    pub async fn case_documents(
        &self,
        p: &Principal,
        case_id: &str,
    ) -> Result<Vec<DocumentView>, DomainError> {
        let (c, _) = self.seen_case(p, case_id).await?;
        let mut out = Vec::new();
        for d in self.store.documents(&c.id).await? {
            let versions = self.store.document_versions(&d.id).await?;
            out.push(DocumentView {
                document: d,
                versions,
            });
        }
        Ok(out)
    }

    /// One document with its versions.
    pub async fn case_document(
        &self,
        p: &Principal,
        id: &str,
    ) -> Result<DocumentView, DomainError> {
        let d = self.seen_document(p, id).await?;
        let versions = self.store.document_versions(&d.id).await?;
        Ok(DocumentView {
            document: d,
            versions,
        })
    }

    /// Checks a document out to the person: nobody else may check it in meanwhile. A second
    /// check-out, while anyone holds it, is refused.
    pub async fn check_out_document(
        &self,
        p: &Principal,
        id: &str,
    ) -> Result<CaseDocument, DomainError> {
        let (d, c) = self.my_document(p, id).await?;
        if c.status == CaseStatus::Closed.as_str() {
            return Err(DomainError::Conflict("err-case-closed"));
        }
        if d.holder_id.is_some() {
            return Err(DomainError::Conflict("err-document-held"));
        }
        let event = self.document_event(p, &c.id, "document-checked-out", d.title.clone());
        let ev = AuditEvent::new(self.now_ms(), Some(&p.user.id), "document.checkout", &d.id);
        if !self
            .store
            .check_out(&d.id, &p.user.id, self.now_ms(), &event, &ev)
            .await?
        {
            return Err(DomainError::Conflict("err-document-held"));
        }
        Ok(self.store.document(&d.id).await?.unwrap_or(d))
    }

    /// Checks a document in: only its holder, with a new version (a file) or without one.
    pub async fn check_in_document(
        &self,
        p: &Principal,
        id: &str,
        file: Option<(String, Vec<u8>)>,
    ) -> Result<CaseDocument, DomainError> {
        let (d, c) = self.my_document(p, id).await?;
        if d.holder_id.as_deref() != Some(p.user.id.as_str()) {
            return Err(DomainError::Conflict("err-document-not-yours"));
        }
        let version = match file {
            Some((name, bytes)) => {
                let mut errors = FieldErrors::new();
                let media_type = Self::version_file(&name, &bytes, &mut errors);
                errors.finish()?;
                Some(
                    self.stored_version(p, &d.id, &name, media_type, bytes)
                        .await?,
                )
            }
            None => None,
        };
        let detail = match &version {
            Some(_) => format!("{} v{}", d.title, d.versions + 1),
            None => d.title.clone(),
        };
        let event = self.document_event(p, &c.id, "document-checked-in", detail);
        let ev = AuditEvent::new(self.now_ms(), Some(&p.user.id), "document.checkin", &d.id);
        if !self
            .store
            .check_in(&d.id, &p.user.id, version.as_ref(), &event, &ev)
            .await?
        {
            return Err(DomainError::Conflict("err-document-not-yours"));
        }
        Ok(self.store.document(&d.id).await?.unwrap_or(d))
    }

    /// Releases a check-out without a new version: the holder, or the head of the office for
    /// someone who is away.
    pub async fn release_document(
        &self,
        p: &Principal,
        id: &str,
    ) -> Result<CaseDocument, DomainError> {
        let (d, c) = self.my_document(p, id).await?;
        let Some(holder) = d.holder_id.clone() else {
            return Err(DomainError::Conflict("err-document-not-held"));
        };
        let head = allowed(
            &p.actor(),
            Action::ApproveDecisions {
                office_id: &c.office_id,
            },
        );
        if holder != p.user.id && !head {
            return Err(DomainError::Conflict("err-document-not-yours"));
        }
        let event = self.document_event(p, &c.id, "document-released", d.title.clone());
        let ev = AuditEvent::new(self.now_ms(), Some(&p.user.id), "document.release", &d.id);
        if !self
            .store
            .check_in(&d.id, &holder, None, &event, &ev)
            .await?
        {
            return Err(DomainError::Conflict("err-document-not-held"));
        }
        Ok(self.store.document(&d.id).await?.unwrap_or(d))
    }

    /// A version of a document (the latest for `n` 0) and its bytes.
    pub async fn document_file(
        &self,
        p: &Principal,
        id: &str,
        n: i64,
    ) -> Result<(DocumentVersion, bytes::Bytes), DomainError> {
        let d = self.seen_document(p, id).await?;
        self.refuse_destroyed(&d.case_id).await?;
        let n = if n == 0 { d.versions } else { n };
        let v = self
            .store
            .document_versions(&d.id)
            .await?
            .into_iter()
            .find(|v| v.n == n)
            .ok_or(DomainError::NotFound)?;
        let bytes = self.blob(&v.sha256).await?;
        Ok((v, bytes))
    }
}
