//! [`crate::LibraryStore`] in SQL.

use super::cases::{insert_version_in, version_from, versions_select};
use super::*;
use crate::cases::DocumentVersion;
use crate::library::{LibraryDocument, LibraryFolder, LibraryLink, LibraryShare};

const FOLDER_SELECT: &str = "SELECT f.id, f.office_id, f.department_id, f.parent_id, f.name, \
     f.created_by, f.created_at FROM library_folders f";

const DOCUMENT_SELECT: &str = "SELECT d.id, d.office_id, d.department_id, d.folder_id, \
     d.title, d.created_by, d.created_at, d.holder_id, u.display_name AS holder_name, \
     d.held_since, d.versions FROM library_documents d LEFT JOIN users u ON u.id = d.holder_id";

const SHARE_COLUMNS: &str = "s.folder_id, s.department_id, s.level, s.shared_by, s.shared_at, \
     p.name AS department_name";

fn folder_from(r: &AnyRow) -> std::result::Result<LibraryFolder, sqlx::Error> {
    Ok(LibraryFolder {
        id: r.try_get("id")?,
        office_id: r.try_get("office_id")?,
        department_id: r.try_get("department_id")?,
        parent_id: r.try_get("parent_id")?,
        name: r.try_get("name")?,
        created_by: r.try_get("created_by")?,
        created_at: r.try_get("created_at")?,
    })
}

fn document_from(r: &AnyRow) -> std::result::Result<LibraryDocument, sqlx::Error> {
    Ok(LibraryDocument {
        id: r.try_get("id")?,
        office_id: r.try_get("office_id")?,
        department_id: r.try_get("department_id")?,
        folder_id: r.try_get("folder_id")?,
        title: r.try_get("title")?,
        created_by: r.try_get("created_by")?,
        created_at: r.try_get("created_at")?,
        holder_id: r.try_get("holder_id")?,
        holder_name: r.try_get("holder_name")?,
        held_since: r.try_get("held_since")?,
        versions: r.try_get("versions")?,
    })
}

fn share_from(r: &AnyRow) -> std::result::Result<LibraryShare, sqlx::Error> {
    Ok(LibraryShare {
        folder_id: r.try_get("folder_id")?,
        department_id: r.try_get("department_id")?,
        level: r.try_get("level")?,
        shared_by: r.try_get("shared_by")?,
        shared_at: r.try_get("shared_at")?,
        department_name: r.try_get("department_name")?,
    })
}

fn link_from(r: &AnyRow) -> std::result::Result<LibraryLink, sqlx::Error> {
    Ok(LibraryLink {
        document_id: r.try_get("document_id")?,
        kind: r.try_get("kind")?,
        target_id: r.try_get("target_id")?,
        created_by: r.try_get("created_by")?,
        created_at: r.try_get("created_at")?,
    })
}

/// `column = $n`, or `column IS NULL` for the library's top.
fn place(column: &str, value: Option<&str>, n: usize) -> String {
    match value {
        Some(_) => format!("{column} = ${n}"),
        None => format!("{column} IS NULL"),
    }
}

#[async_trait]
impl crate::LibraryStore for SqlStore {
    async fn add_folder(&self, f: &LibraryFolder, audit: &AuditEvent) -> Result<()> {
        let q = sqlx::query(
            "INSERT INTO library_folders (id, office_id, department_id, parent_id, name, \
             created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(&f.id)
        .bind(&f.office_id)
        .bind(&f.department_id)
        .bind(&f.parent_id)
        .bind(&f.name)
        .bind(&f.created_by)
        .bind(f.created_at);
        self.exec_audited(q, audit).await
    }

    async fn folder(&self, id: &str) -> Result<Option<LibraryFolder>> {
        let sql = format!("{FOLDER_SELECT} WHERE f.id = $1");
        self.opt(sqlx::query(&sql).bind(id), folder_from).await
    }

    async fn rename_folder(&self, id: &str, name: &str, audit: &AuditEvent) -> Result<()> {
        let q = sqlx::query("UPDATE library_folders SET name = $1 WHERE id = $2")
            .bind(name)
            .bind(id);
        self.exec_audited(q, audit).await
    }

    async fn remove_folder(&self, id: &str, audit: &AuditEvent) -> Result<bool> {
        let mut tx = self.writer.begin().await?;
        sqlx::query("DELETE FROM library_shares WHERE folder_id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        let gone = sqlx::query(
            "DELETE FROM library_folders WHERE id = $1              AND NOT EXISTS (SELECT 1 FROM library_folders c WHERE c.parent_id = $1)              AND NOT EXISTS (SELECT 1 FROM library_documents d WHERE d.folder_id = $1)",
        )
        .bind(id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if gone == 0 {
            // Dropped without commit: the shares stay.
            return Ok(false);
        }
        Self::audit_in(&mut tx, audit).await?;
        tx.commit().await?;
        Ok(true)
    }

    async fn retitle_library_document(
        &self,
        id: &str,
        title: &str,
        audit: &AuditEvent,
    ) -> Result<()> {
        let mut tx = self.writer.begin().await?;
        let changed = sqlx::query("UPDATE library_documents SET title = $1 WHERE id = $2")
            .bind(title)
            .bind(id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        if changed == 0 {
            return Err(StoreError::NotFound);
        }
        let sql = format!("{DOCUMENT_SELECT} WHERE d.id = $1");
        let d = document_from(&sqlx::query(&sql).bind(id).fetch_one(&mut *tx).await?)?;
        // The index keeps the words it had (the versions' text is only there) with the new
        // title's: the old title still finds it, the new one too.
        let scope = okienko_domain::search::department_scope(&d.department_id);
        let words =
            super::search::words_in(&mut tx, &scope, okienko_domain::search::KIND_LIBRARY, id)
                .await?;
        let item = crate::search::library_item(&d, audit.at, &words);
        super::search::reindex_in(&mut tx, &[item]).await?;
        Self::audit_in(&mut tx, audit).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn remove_library_document(&self, id: &str, audit: &AuditEvent) -> Result<bool> {
        let mut tx = self.writer.begin().await?;
        let sql = format!("{DOCUMENT_SELECT} WHERE d.id = $1");
        let Some(row) = sqlx::query(&sql).bind(id).fetch_optional(&mut *tx).await? else {
            return Ok(false);
        };
        let d = document_from(&row)?;
        sqlx::query("DELETE FROM library_versions WHERE document_id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        let gone = sqlx::query(
            "DELETE FROM library_documents WHERE id = $1 AND holder_id IS NULL              AND NOT EXISTS (SELECT 1 FROM library_links l WHERE l.document_id = $1)",
        )
        .bind(id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if gone == 0 {
            // Dropped without commit: the versions stay.
            return Ok(false);
        }
        let item = crate::search::library_item(&d, audit.at, "");
        super::search::unindex_in(&mut tx, &[item]).await?;
        Self::audit_in(&mut tx, audit).await?;
        tx.commit().await?;
        Ok(true)
    }

    async fn folders(
        &self,
        department_id: &str,
        parent_id: Option<&str>,
    ) -> Result<Vec<LibraryFolder>> {
        let sql = format!(
            "{FOLDER_SELECT} WHERE f.department_id = $1 AND {} ORDER BY f.name, f.id",
            place("f.parent_id", parent_id, 2)
        );
        let mut q = sqlx::query(&sql).bind(department_id);
        if let Some(p) = parent_id {
            q = q.bind(p);
        }
        self.all(q, folder_from).await
    }

    async fn add_library_document(
        &self,
        d: &LibraryDocument,
        first: &DocumentVersion,
        audit: &AuditEvent,
    ) -> Result<()> {
        let mut tx = self.writer.begin().await?;
        sqlx::query(
            "INSERT INTO library_documents (id, office_id, department_id, folder_id, title, \
             created_by, created_at, holder_id, held_since, versions) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, NULL, NULL, 1)",
        )
        .bind(&d.id)
        .bind(&d.office_id)
        .bind(&d.department_id)
        .bind(&d.folder_id)
        .bind(&d.title)
        .bind(&d.created_by)
        .bind(d.created_at)
        .execute(&mut *tx)
        .await?;
        let first = DocumentVersion {
            n: 1,
            ..first.clone()
        };
        insert_version_in(&mut tx, "library_versions", &first).await?;
        let item = crate::search::library_item(d, first.at, &first.text);
        super::search::index_in(&mut tx, &[item]).await?;
        Self::audit_in(&mut tx, audit).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn library_document(&self, id: &str) -> Result<Option<LibraryDocument>> {
        let sql = format!("{DOCUMENT_SELECT} WHERE d.id = $1");
        self.opt(sqlx::query(&sql).bind(id), document_from).await
    }

    async fn library_documents(
        &self,
        department_id: &str,
        folder_id: Option<&str>,
    ) -> Result<Vec<LibraryDocument>> {
        let sql = format!(
            "{DOCUMENT_SELECT} WHERE d.department_id = $1 AND {} ORDER BY d.title, d.id",
            place("d.folder_id", folder_id, 2)
        );
        let mut q = sqlx::query(&sql).bind(department_id);
        if let Some(f) = folder_id {
            q = q.bind(f);
        }
        self.all(q, document_from).await
    }

    async fn library_versions(&self, id: &str) -> Result<Vec<DocumentVersion>> {
        let sql = versions_select("library_versions");
        self.all(sqlx::query(&sql).bind(id), version_from).await
    }

    async fn library_check_out(
        &self,
        id: &str,
        user_id: &str,
        at: Millis,
        audit: &AuditEvent,
    ) -> Result<bool> {
        let q = sqlx::query(
            "UPDATE library_documents SET holder_id = $1, held_since = $2 \
             WHERE id = $3 AND holder_id IS NULL",
        )
        .bind(user_id)
        .bind(at)
        .bind(id);
        self.exec_audited_if(q, audit).await
    }

    async fn library_check_in(
        &self,
        id: &str,
        holder_id: &str,
        version: Option<&DocumentVersion>,
        audit: &AuditEvent,
    ) -> Result<bool> {
        let mut tx = self.writer.begin().await?;
        let row = sqlx::query(
            "UPDATE library_documents SET holder_id = NULL, held_since = NULL, \
             versions = versions + $1 WHERE id = $2 AND holder_id = $3 RETURNING versions",
        )
        .bind(i64::from(version.is_some()))
        .bind(id)
        .bind(holder_id)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(row) = row else {
            return Ok(false);
        };
        if let Some(v) = version {
            let n: i64 = row.try_get("versions")?;
            let v = DocumentVersion { n, ..v.clone() };
            insert_version_in(&mut tx, "library_versions", &v).await?;
            // The index has the latest version's text.
            let sql = format!("{DOCUMENT_SELECT} WHERE d.id = $1");
            let d = document_from(&sqlx::query(&sql).bind(id).fetch_one(&mut *tx).await?)?;
            let item = crate::search::library_item(&d, v.at, &v.text);
            super::search::reindex_in(&mut tx, &[item]).await?;
        }
        Self::audit_in(&mut tx, audit).await?;
        tx.commit().await?;
        Ok(true)
    }

    async fn share_folder(&self, s: &LibraryShare, audit: &AuditEvent) -> Result<()> {
        let q = sqlx::query(
            "INSERT INTO library_shares (folder_id, department_id, level, shared_by, shared_at) \
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT (folder_id, department_id) \
             DO UPDATE SET level = excluded.level, shared_by = excluded.shared_by, \
             shared_at = excluded.shared_at",
        )
        .bind(&s.folder_id)
        .bind(&s.department_id)
        .bind(&s.level)
        .bind(&s.shared_by)
        .bind(s.shared_at);
        self.exec_audited(q, audit).await
    }

    async fn unshare_folder(
        &self,
        folder_id: &str,
        department_id: &str,
        audit: &AuditEvent,
    ) -> Result<bool> {
        let q =
            sqlx::query("DELETE FROM library_shares WHERE folder_id = $1 AND department_id = $2")
                .bind(folder_id)
                .bind(department_id);
        self.exec_audited_if(q, audit).await
    }

    async fn folder_shares(&self, folder_id: &str) -> Result<Vec<LibraryShare>> {
        let sql = format!(
            "SELECT {SHARE_COLUMNS} FROM library_shares s JOIN departments p \
             ON p.id = s.department_id WHERE s.folder_id = $1 ORDER BY p.name, s.department_id"
        );
        self.all(sqlx::query(&sql).bind(folder_id), share_from)
            .await
    }

    async fn shared_with(
        &self,
        department_ids: &[String],
    ) -> Result<Vec<(LibraryShare, LibraryFolder)>> {
        if department_ids.is_empty() {
            return Ok(Vec::new());
        }
        // The folder's own department's name, for who the share comes from.
        let sql = format!(
            "SELECT {SHARE_COLUMNS}, f.id, f.office_id, f.department_id AS owner_id, f.parent_id, \
             f.name, f.created_by, f.created_at FROM library_shares s \
             JOIN library_folders f ON f.id = s.folder_id \
             JOIN departments p ON p.id = f.department_id \
             WHERE s.department_id IN {} ORDER BY p.name, f.name, f.id",
            marks(1, department_ids.len())
        );
        let mut q = sqlx::query(&sql);
        for d in department_ids {
            q = q.bind(d);
        }
        self.all(q, |r| {
            let share = share_from(r)?;
            let folder = LibraryFolder {
                department_id: r.try_get("owner_id")?,
                ..folder_from(r)?
            };
            Ok((share, folder))
        })
        .await
    }

    async fn link_document(&self, l: &LibraryLink, audit: &AuditEvent) -> Result<bool> {
        let q = sqlx::query(
            "INSERT INTO library_links (document_id, kind, target_id, created_by, created_at) \
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
        )
        .bind(&l.document_id)
        .bind(&l.kind)
        .bind(&l.target_id)
        .bind(&l.created_by)
        .bind(l.created_at);
        self.exec_audited_if(q, audit).await
    }

    async fn unlink_document(
        &self,
        document_id: &str,
        kind: &str,
        target_id: &str,
        audit: &AuditEvent,
    ) -> Result<bool> {
        let q = sqlx::query(
            "DELETE FROM library_links WHERE document_id = $1 AND kind = $2 AND target_id = $3",
        )
        .bind(document_id)
        .bind(kind)
        .bind(target_id);
        self.exec_audited_if(q, audit).await
    }

    async fn document_links(&self, document_id: &str) -> Result<Vec<LibraryLink>> {
        let q = sqlx::query(
            "SELECT document_id, kind, target_id, created_by, created_at FROM library_links \
             WHERE document_id = $1 ORDER BY created_at, kind, target_id",
        )
        .bind(document_id);
        self.all(q, link_from).await
    }

    async fn linked_documents(&self, kind: &str, target_id: &str) -> Result<Vec<LibraryDocument>> {
        let sql = format!(
            "{DOCUMENT_SELECT} JOIN library_links l ON l.document_id = d.id \
             WHERE l.kind = $1 AND l.target_id = $2 ORDER BY d.title, d.id"
        );
        self.all(sqlx::query(&sql).bind(kind).bind(target_id), document_from)
            .await
    }
}
