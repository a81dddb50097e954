//! Time stamps for signatures okienko makes (CAdES-T): from the built-in TSA, or from an
//! external RFC 3161 TSA at a configured URL.

use crate::accounts::Principal;
use crate::Services;
use okienko_domain::audit::AuditEvent;
use okienko_domain::policy::{allowed, Action};
use okienko_domain::DomainError;
use okienko_trust::sign::{add_signature_timestamp, sign, signature_value, SignRequest};

#[derive(Clone, Debug)]
pub enum TimeStamper {
    Internal,
    /// POSTs `application/timestamp-query` to this URL.
    External {
        url: String,
        client: reqwest::Client,
    },
}

impl TimeStamper {
    pub fn from_url(url: Option<&str>) -> anyhow::Result<Self> {
        match url {
            None => Ok(TimeStamper::Internal),
            Some(u) if u.starts_with("http://") || u.starts_with("https://") => {
                Ok(TimeStamper::External {
                    url: u.to_string(),
                    client: reqwest::Client::builder()
                        .timeout(std::time::Duration::from_secs(10))
                        .build()?,
                })
            }
            Some(u) => anyhow::bail!("unsupported TSA URL {u:?}: use http:// or https://"),
        }
    }
}

impl Services {
    /// A time-stamp token (DER) over `data`.
    pub async fn time_stamp_token(&self, data: &[u8]) -> Result<Vec<u8>, DomainError> {
        let ie = |e: String| DomainError::Internal(e);
        match &self.stamper {
            TimeStamper::Internal => self
                .pki
                .tsa
                .stamp(data, self.pki.next_serial(), self.clock.now())
                .map_err(|e| ie(e.to_string())),
            TimeStamper::External { url, client } => {
                let req = okienko_trust::tsa::request_der(data).map_err(|e| ie(e.to_string()))?;
                let resp = client
                    .post(url)
                    .header("content-type", "application/timestamp-query")
                    .body(req)
                    .send()
                    .await
                    .map_err(|e| ie(format!("TSA {url}: {e}")))?;
                if !resp.status().is_success() {
                    return Err(ie(format!("TSA {url} answered {}", resp.status())));
                }
                let body = resp
                    .bytes()
                    .await
                    .map_err(|e| ie(format!("TSA {url}: {e}")))?;
                okienko_trust::tsa::token_from_response(&body, data)
                    .map_err(|e| ie(format!("TSA {url}: {e}")))
            }
        }
    }

    /// Seals a file with the office's seal: a detached CMS signature with a signature time
    /// stamp (CAdES-T). For officials and admins of the office.
    pub async fn seal_file(
        &self,
        p: &Principal,
        office_id: &str,
        name: &str,
        content: Vec<u8>,
    ) -> Result<Vec<u8>, DomainError> {
        if !allowed(&p.actor(), Action::ViewOffice { office_id }) {
            return Err(DomainError::NotFound);
        }
        if content.is_empty() {
            return Err(DomainError::invalid("file", "err-file-empty"));
        }
        let digest = hex::encode(okienko_trust::sha256(&content));
        let out = self.seal_stamped(office_id, content, true).await?;
        let ev = AuditEvent::new(
            self.now_ms(),
            Some(&p.user.id),
            "seal.sign",
            format!("{office_id}:{name}:{digest}"),
        );
        self.store.append_audit(&ev).await?;
        Ok(out)
    }
}

impl Services {
    /// Signs `content` with the office's seal and time-stamps the signature (CAdES-T):
    /// detached (a `.p7s` beside the file) or enveloping (an evidence document).
    pub(crate) async fn seal_stamped(
        &self,
        office_id: &str,
        content: Vec<u8>,
        detached: bool,
    ) -> Result<Vec<u8>, DomainError> {
        let (signer, chain) = self.office_signer(office_id).await?;
        let at = self.clock.now();
        let signed = tokio::task::spawn_blocking(move || {
            sign(&SignRequest::data(&content, detached, at), &signer, &chain)
        })
        .await
        .map_err(|e| DomainError::Internal(e.to_string()))?
        .map_err(|e| DomainError::Internal(e.to_string()))?;
        let sv = signature_value(&signed).map_err(|e| DomainError::Internal(e.to_string()))?;
        let token = self.time_stamp_token(&sv).await?;
        add_signature_timestamp(&signed, &token).map_err(|e| DomainError::Internal(e.to_string()))
    }
}
