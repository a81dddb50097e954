//! Files chosen in a form that came back with mistakes: kept, so the person does not have
//! to choose them again. A kept file is named in the form by a token only the same session
//! could have made (an HMAC under the session's secret hash), so nobody can attach someone
//! else's document by knowing its hash.

use super::*;
use hmac::{Hmac, Mac};

type HmacSha256 = Hmac<sha2::Sha256>;

/// A file kept for a form: its name and a token that brings it back.
#[derive(Debug, Clone)]
pub struct KeptFile {
    pub name: String,
    pub size: usize,
    pub token: String,
}

fn mac(p: &Principal, sha: &str, name: &str) -> Result<HmacSha256, DomainError> {
    let mut m = HmacSha256::new_from_slice(p.session.token_hash.as_bytes())
        .map_err(|e| DomainError::Internal(e.to_string()))?;
    m.update(b"okienko kept upload\0");
    m.update(sha.as_bytes());
    m.update(b"\0");
    m.update(name.as_bytes());
    Ok(m)
}

impl Services {
    /// Stores the files of a form that will be shown again, and returns their tokens.
    pub async fn keep_uploads(
        &self,
        p: &Principal,
        files: &[(String, bytes::Bytes)],
    ) -> Result<Vec<KeptFile>, DomainError> {
        let mut out = Vec::with_capacity(files.len());
        for (name, bytes) in files {
            let sha = self
                .blobs
                .put(bytes.clone())
                .await
                .map_err(|e| DomainError::Internal(e.to_string()))?;
            let tag = hex::encode(mac(p, &sha, name)?.finalize().into_bytes());
            let name_hex = hex::encode(name.as_bytes());
            out.push(KeptFile {
                name: name.clone(),
                size: bytes.len(),
                token: format!("{sha}.{name_hex}.{tag}"),
            });
        }
        Ok(out)
    }

    /// The file a token made by [`Services::keep_uploads`] in this session stands for.
    pub async fn kept_upload(
        &self,
        p: &Principal,
        token: &str,
    ) -> Result<(String, bytes::Bytes), DomainError> {
        let bad = || DomainError::invalid("attachment", "err-upload");
        let mut parts = token.split('.');
        let (Some(sha), Some(name_hex), Some(tag), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(bad());
        };
        let name = hex::decode(name_hex)
            .ok()
            .and_then(|b| String::from_utf8(b).ok())
            .ok_or_else(bad)?;
        let tag = hex::decode(tag).map_err(|_| bad())?;
        mac(p, sha, &name)?.verify_slice(&tag).map_err(|_| bad())?;
        let bytes = self.blob(sha).await?;
        Ok((name, bytes))
    }
}
