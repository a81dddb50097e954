//! A department's document library (`domain::library`): folders, documents with versions and
//! check-out, folders shared with other departments, and documents linked into tasks and cases.

use crate::cases::DocumentVersion;
use crate::Result;
use async_trait::async_trait;
use okienko_domain::audit::AuditEvent;
use okienko_domain::Millis;

/// A folder of a department's library (inside another one, or at its top).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct LibraryFolder {
    pub id: String,
    pub office_id: String,
    pub department_id: String,
    pub parent_id: Option<String>,
    pub name: String,
    pub created_by: String,
    pub created_at: Millis,
}

/// A document of a department's library. Its versions are [`DocumentVersion`]s.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct LibraryDocument {
    pub id: String,
    pub office_id: String,
    pub department_id: String,
    /// None at the library's top.
    pub folder_id: Option<String>,
    pub title: String,
    pub created_by: String,
    pub created_at: Millis,
    /// Who has it checked out (editing it), since when; filled in when read: their name.
    pub holder_id: Option<String>,
    pub holder_name: Option<String>,
    pub held_since: Option<Millis>,
    /// How many versions it has (the latest is number `versions`).
    pub versions: i64,
}

/// A folder shared with another department.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct LibraryShare {
    pub folder_id: String,
    pub department_id: String,
    /// `domain::library::ShareLevel` as its word.
    pub level: String,
    pub shared_by: String,
    pub shared_at: Millis,
    /// Filled in when read: the department's name.
    pub department_name: String,
}

/// A document linked into a task or a case.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct LibraryLink {
    pub document_id: String,
    /// `domain::library::LinkKind` as its word.
    pub kind: String,
    pub target_id: String,
    pub created_by: String,
    pub created_at: Millis,
}

#[async_trait]
pub trait LibraryStore: Send + Sync {
    /// Adds a folder; `Err(Conflict)` when its place has one of that name already.
    async fn add_folder(&self, f: &LibraryFolder, audit: &AuditEvent) -> Result<()>;
    async fn folder(&self, id: &str) -> Result<Option<LibraryFolder>>;
    /// Renames a folder; `Err(Conflict)` when its place has one of that name already.
    async fn rename_folder(&self, id: &str, name: &str, audit: &AuditEvent) -> Result<()>;
    /// Removes a folder with nothing in it (no folder, no document), and its shares; false
    /// when it holds something.
    async fn remove_folder(&self, id: &str, audit: &AuditEvent) -> Result<bool>;
    /// Gives a document a new title (in the search index too).
    async fn retitle_library_document(
        &self,
        id: &str,
        title: &str,
        audit: &AuditEvent,
    ) -> Result<()>;
    /// Removes a document with its versions and its search entry (the files stay in the blob
    /// store until nothing refers to them), unless someone holds it checked out or it is
    /// linked into a task or a case: false then, and nothing removed.
    async fn remove_library_document(&self, id: &str, audit: &AuditEvent) -> Result<bool>;
    /// The folders in a folder (`None`: at the department library's top), by name.
    async fn folders(
        &self,
        department_id: &str,
        parent_id: Option<&str>,
    ) -> Result<Vec<LibraryFolder>>;
    /// Adds a document with its first version.
    async fn add_library_document(
        &self,
        d: &LibraryDocument,
        first: &DocumentVersion,
        audit: &AuditEvent,
    ) -> Result<()>;
    async fn library_document(&self, id: &str) -> Result<Option<LibraryDocument>>;
    /// The documents in a folder (`None`: at the library's top), by title.
    async fn library_documents(
        &self,
        department_id: &str,
        folder_id: Option<&str>,
    ) -> Result<Vec<LibraryDocument>>;
    async fn library_versions(&self, id: &str) -> Result<Vec<DocumentVersion>>;
    /// Checks a document out to `user_id` if nobody holds it; false when someone does.
    async fn library_check_out(
        &self,
        id: &str,
        user_id: &str,
        at: Millis,
        audit: &AuditEvent,
    ) -> Result<bool>;
    /// Checks a document in if `holder_id` still holds it, with a new version (numbered next)
    /// or none; false when it does not.
    async fn library_check_in(
        &self,
        id: &str,
        holder_id: &str,
        version: Option<&DocumentVersion>,
        audit: &AuditEvent,
    ) -> Result<bool>;
    /// Shares a folder with a department, or changes the level it is shared at.
    async fn share_folder(&self, s: &LibraryShare, audit: &AuditEvent) -> Result<()>;
    /// Stops sharing a folder with a department; false when it was not shared with it.
    async fn unshare_folder(
        &self,
        folder_id: &str,
        department_id: &str,
        audit: &AuditEvent,
    ) -> Result<bool>;
    /// Whom a folder is shared with, by department name.
    async fn folder_shares(&self, folder_id: &str) -> Result<Vec<LibraryShare>>;
    /// The folders shared with any of these departments, with the share (whose
    /// `department_name` is then the folder's own department's), by that name and the folder's.
    async fn shared_with(
        &self,
        department_ids: &[String],
    ) -> Result<Vec<(LibraryShare, LibraryFolder)>>;
    /// Links a document into a task or a case; false when it is linked there already.
    async fn link_document(&self, l: &LibraryLink, audit: &AuditEvent) -> Result<bool>;
    /// Takes a link away; false when there was none.
    async fn unlink_document(
        &self,
        document_id: &str,
        kind: &str,
        target_id: &str,
        audit: &AuditEvent,
    ) -> Result<bool>;
    /// Where a document is linked, the oldest link first.
    async fn document_links(&self, document_id: &str) -> Result<Vec<LibraryLink>>;
    /// The documents linked into a task or a case, by title.
    async fn linked_documents(&self, kind: &str, target_id: &str) -> Result<Vec<LibraryDocument>>;
}
