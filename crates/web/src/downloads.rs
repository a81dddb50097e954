//! File answers shared by the pages and the API: an attachment, and a signed evidence
//! document (DER CMS).

use axum::http::header;
use axum::response::{IntoResponse, Response};
use base64::Engine;
use okienko_domain::DomainError;
use okienko_store::{Attachment, EvidenceRecord};

pub fn download(media_type: String, file_name: &str, bytes: impl IntoResponse) -> Response {
    let disposition = format!(
        "attachment; filename=\"{}\"",
        file_name.replace(['"', '\\'], "_")
    );
    (
        [
            (header::CONTENT_TYPE, media_type),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        bytes,
    )
        .into_response()
}

pub fn attachment(a: Attachment, bytes: bytes::Bytes) -> Response {
    download(a.media_type, &a.name, bytes)
}

/// The evidence as `application/pkcs7-mime`, named after its number.
pub fn signed_evidence(e: &EvidenceRecord) -> Result<Response, DomainError> {
    signed_p7m(&e.id, &e.signed_b64)
}

/// Any signed record (enveloping CMS, base64 in the store) as `<id>.p7m`.
pub fn signed_p7m(id: &str, signed_b64: &str) -> Result<Response, DomainError> {
    let der = base64::engine::general_purpose::STANDARD
        .decode(signed_b64)
        .map_err(|x| DomainError::Internal(x.to_string()))?;
    Ok(download(
        "application/pkcs7-mime".into(),
        &format!("{id}.p7m"),
        der,
    ))
}

/// A PDF to save or print.
pub fn pdf(file_name: &str, bytes: impl IntoResponse) -> Response {
    download("application/pdf".into(), file_name, bytes)
}

/// A detached signature (`.p7s`) to keep beside the signed file `file_name`.
pub fn detached_signature(file_name: &str, der: Vec<u8>) -> Response {
    let name = if file_name.is_empty() {
        "signature".to_string()
    } else {
        file_name.to_string()
    };
    download(
        "application/pkcs7-signature".into(),
        &format!("{name}.p7s"),
        der,
    )
}

/// A ZIP archive (a case file).
pub fn zip(file_name: &str, bytes: Vec<u8>) -> Response {
    download("application/zip".into(), file_name, bytes)
}

/// A version of a case's working document, by its own name and type.
pub fn version(v: okienko_store::DocumentVersion, bytes: bytes::Bytes) -> Response {
    download(v.media_type, &v.name, bytes)
}
