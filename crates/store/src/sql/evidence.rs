//! Rows of evidence documents: their columns, the signed bytes kept as base64 and read back as bytes on PostgreSQL, and their insertion in a message's commit.

use super::*;

/// Evidence rows with their signed bytes: kept in the row, or, when they are exactly the log
/// leaf the row points at (marked `=log`, which no base64 text can be), read from there.
/// Signed evidence is most of what a message adds to the database, and it is in the log
/// anyway.
pub(super) const EVIDENCE_COLS: &str =
    "e.id, e.message_id, e.recipient, e.kind, e.issued_at, e.log_index, e.document, \
     CASE WHEN e.signed = '=log' THEN l.leaf ELSE e.signed END AS signed";

pub(super) const EVIDENCE_FROM: &str = "evidence e LEFT JOIN log_leaves l ON l.idx = e.log_index";

/// The stored `signed` value of a new evidence row, given the row's log index (`$i`) and
/// signed bytes (`$s`).
pub(super) fn evidence_signed_sql(i: usize, s: usize) -> String {
    format!("CASE WHEN (SELECT l.leaf FROM log_leaves l WHERE l.idx = ${i}) = ${s} THEN '=log' ELSE ${s} END")
}

pub(super) fn evidence_from(r: &AnyRow) -> std::result::Result<EvidenceRecord, sqlx::Error> {
    Ok(EvidenceRecord {
        id: r.try_get("id")?,
        message_id: r.try_get("message_id")?,
        recipient: r.try_get("recipient")?,
        kind: r.try_get("kind")?,
        issued_at: r.try_get("issued_at")?,
        log_index: r.try_get("log_index")?,
        document: r.try_get("document")?,
        signed_b64: r.try_get("signed")?,
    })
}

pub(super) async fn insert_evidence(
    conn: &mut sqlx::AnyConnection,
    rows: &[&EvidenceRecord],
) -> Result<()> {
    insert_rows(
        conn,
        "evidence (id, message_id, recipient, kind, issued_at, log_index, document, signed)",
        "",
        8,
        rows,
        |k| {
            let v: Vec<String> = (k..k + 7).map(|i| format!("${i}")).collect();
            format!("({}, {})", v.join(", "), evidence_signed_sql(k + 5, k + 7))
        },
        |q, e| {
            q.bind(&e.id)
                .bind(&e.message_id)
                .bind(&e.recipient)
                .bind(&e.kind)
                .bind(e.issued_at)
                .bind(e.log_index)
                .bind(&e.document)
                .bind(&e.signed_b64)
        },
    )
    .await
}
