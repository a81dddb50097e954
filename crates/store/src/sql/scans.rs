//! [`crate::ScanStore`] in SQL, and the paper letter's rows in the commit that logs its note.

use super::*;
use crate::scans::{RegisterScan, ScannedLetter};
use crate::RegisterEntry;

const SCAN_COLUMNS: &str = "entry_id, name, media_type, sha256, size, signature, evidence_id, \
     certified_by, certified_name, certified_at";

fn scan_from(r: &AnyRow) -> std::result::Result<RegisterScan, sqlx::Error> {
    Ok(RegisterScan {
        entry_id: r.try_get("entry_id")?,
        name: r.try_get("name")?,
        media_type: r.try_get("media_type")?,
        sha256: r.try_get("sha256")?,
        size: r.try_get("size")?,
        signature: r.try_get("signature")?,
        evidence_id: r.try_get("evidence_id")?,
        certified_by: r.try_get("certified_by")?,
        certified_name: r.try_get("certified_name")?,
        certified_at: r.try_get("certified_at")?,
    })
}

/// Stores a paper letter inside `tx`: its entry, numbered per office and year here, its scan
/// and the evidence of its note.
pub(super) async fn scanned_letter_in(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    l: &ScannedLetter,
) -> Result<()> {
    let number = super::cases::insert_entry_in(tx, &l.entry).await?;
    if !l.text.trim().is_empty() {
        let entry = RegisterEntry {
            number,
            ..l.entry.clone()
        };
        let item = crate::search::entry_item_with(&entry, &l.text);
        super::search::reindex_in(tx, &[item]).await?;
    }
    let s = &l.scan;
    let sql = format!(
        "INSERT INTO register_scans ({SCAN_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"
    );
    sqlx::query(&sql)
        .bind(&s.entry_id)
        .bind(&s.name)
        .bind(&s.media_type)
        .bind(&s.sha256)
        .bind(s.size)
        .bind(&s.signature)
        .bind(&s.evidence_id)
        .bind(&s.certified_by)
        .bind(&s.certified_name)
        .bind(s.certified_at)
        .execute(&mut **tx)
        .await?;
    super::evidence::insert_evidence(tx, &[&l.evidence]).await
}

#[async_trait]
impl crate::ScanStore for SqlStore {
    async fn register_scan(&self, entry_id: &str) -> Result<Option<RegisterScan>> {
        let sql = format!("SELECT {SCAN_COLUMNS} FROM register_scans WHERE entry_id = $1");
        self.opt(sqlx::query(&sql).bind(entry_id), scan_from).await
    }
}
