//! Office seals: each office's own key and certificate under the platform CA, revocation, the CRL, replacement.

use super::*;

impl Services {
    /// A new seal certificate for `subject`, issued now by the installation's intermediate.
    fn new_seal_pair(&self, subject: &str) -> Result<KeyPair, DomainError> {
        pki::leaf(
            &self.pki.intermediate,
            subject,
            LeafKind::Seal,
            self.clock.now(),
        )
        .map_err(|e| DomainError::Internal(e.to_string()))
    }

    pub(crate) async fn office_seal_blob(
        &self,
        office_id: &str,
    ) -> Result<OfficeSealBlob, DomainError> {
        let text = self.store.setting(&office_key(office_id)).await?;
        Ok(text
            .and_then(|t| serde_json::from_str(&t).ok())
            .unwrap_or_default())
    }

    /// The office's seal, created under the installation's issuing CA on first use.
    pub async fn office_seal(&self, office_id: &str) -> Result<KeyPair, DomainError> {
        if let Some(p) = self
            .pki
            .seals
            .read()
            .ok()
            .and_then(|m| m.get(office_id).cloned())
        {
            return Ok(p);
        }
        let pair = self.load_office_seal(office_id).await?;
        if let Ok(mut m) = self.pki.seals.write() {
            m.insert(office_id.to_string(), pair.clone());
        }
        Ok(pair)
    }

    pub(crate) async fn load_office_seal(&self, office_id: &str) -> Result<KeyPair, DomainError> {
        let ie = |e: anyhow::Error| DomainError::Internal(e.to_string());
        let blob = self.office_seal_blob(office_id).await?;
        if let Some(cur) = &blob.current {
            return open_pair(&self.pki.master, &office_key(office_id), cur).map_err(ie);
        }
        let office = self
            .store
            .office(office_id)
            .await?
            .ok_or(DomainError::NotFound)?;
        let subject = format!(
            "CN={},O={},serialNumber=NIP-{}",
            pki::dn_escape(&office.name),
            pki::dn_escape(&office.name),
            office.nip
        );
        let pair = self.new_seal_pair(&subject)?;
        let blob = OfficeSealBlob {
            current: Some(seal_pair(&self.pki.master, &office_key(office_id), &pair).map_err(ie)?),
            previous: Vec::new(),
            imported: false,
            chain: Vec::new(),
        };
        let text =
            serde_json::to_string(&blob).map_err(|e| DomainError::Internal(e.to_string()))?;
        let stored = self
            .store
            .setting_init(&office_key(office_id), &text)
            .await?;
        let blob: OfficeSealBlob =
            serde_json::from_str(&stored).map_err(|e| DomainError::Internal(e.to_string()))?;
        let cur = blob
            .current
            .ok_or(DomainError::Internal("seal vanished".into()))?;
        open_pair(&self.pki.master, &office_key(office_id), &cur).map_err(ie)
    }

    /// The office's seal with the certificates to send along with its signatures: the
    /// installation's issuing CA, or an imported seal's own chain.
    pub async fn office_signer(
        &self,
        office_id: &str,
    ) -> Result<(KeyPair, Vec<Certificate>), DomainError> {
        let pair = self.office_seal(office_id).await?;
        if let Some(chain) = self
            .pki
            .chains
            .read()
            .ok()
            .and_then(|m| m.get(office_id).cloned())
        {
            return Ok((pair, chain));
        }
        let blob = self.office_seal_blob(office_id).await?;
        let chain = if blob.imported {
            let mut chain = Vec::new();
            for pem in &blob.chain {
                chain.extend(
                    pki::certs_from_pem(pem).map_err(|e| DomainError::Internal(e.to_string()))?,
                );
            }
            chain
        } else {
            vec![self.pki.intermediate.cert.clone()]
        };
        if let Ok(mut m) = self.pki.chains.write() {
            m.insert(office_id.to_string(), chain.clone());
        }
        Ok((pair, chain))
    }

    pub async fn office_seal_info(
        &self,
        p: &Principal,
        office_id: &str,
    ) -> Result<SealInfo, DomainError> {
        if !allowed(&p.actor(), Action::ViewOffice { office_id }) {
            return Err(DomainError::NotFound);
        }
        let pair = self.office_seal(office_id).await?;
        let blob = self.office_seal_blob(office_id).await?;
        let v = &pair.cert.tbs_certificate.validity;
        Ok(SealInfo {
            subject: pair.cert.tbs_certificate.subject.to_string(),
            serial: hex::encode(pair.cert.tbs_certificate.serial_number.as_bytes()),
            not_before: pki::from_x509_time(&v.not_before),
            not_after: pki::from_x509_time(&v.not_after),
            imported: blob.imported,
            previous: blob.previous.len(),
            cert_pem: pki::cert_pem(&pair.cert)
                .map_err(|e| DomainError::Internal(e.to_string()))?,
        })
    }

    pub async fn revoked(&self) -> Result<Vec<RevokedCert>, DomainError> {
        let text = self.store.setting(REVOKED_KEY).await?;
        Ok(text
            .and_then(|t| serde_json::from_str(&t).ok())
            .unwrap_or_default())
    }

    pub async fn revocation(&self) -> Result<StoredRevocation, DomainError> {
        Ok(StoredRevocation(self.revoked().await?))
    }

    /// The issuing CA's CRL (DER), at `/trust/crl`.
    pub async fn crl(&self) -> Result<Vec<u8>, DomainError> {
        let entries = self
            .revoked()
            .await?
            .into_iter()
            .filter(|r| {
                r.issuer
                    == self
                        .pki
                        .intermediate
                        .cert
                        .tbs_certificate
                        .subject
                        .to_string()
            })
            .filter_map(|r| {
                let bytes = hex::decode(&r.serial).ok()?;
                let serial =
                    okienko_trust::x509_cert::serial_number::SerialNumber::new(&bytes).ok()?;
                Some(pki::RevokedEntry {
                    serial,
                    at: okienko_domain::from_millis(r.at),
                })
            })
            .collect::<Vec<_>>();
        pki::crl(&self.pki.intermediate, &entries, self.clock.now())
            .map_err(|e| DomainError::Internal(e.to_string()))
    }

    /// Revokes the office's current seal (its key may be compromised) and issues a new one.
    /// What the old key signed before now still verifies; anything dated later does not.
    pub async fn revoke_office_seal(
        &self,
        p: &Principal,
        office_id: &str,
    ) -> Result<(), DomainError> {
        crate::orgs::check(p, Action::ManageStaff { office_id })?;
        let old = self.office_seal(office_id).await?;
        self.replace_office_seal(p, office_id, None).await?;
        let mut list = self.revoked().await?;
        list.push(RevokedCert {
            serial: hex::encode(old.cert.tbs_certificate.serial_number.as_bytes()),
            issuer: old.cert.tbs_certificate.issuer.to_string(),
            at: self.now_ms(),
        });
        let text =
            serde_json::to_string(&list).map_err(|e| DomainError::Internal(e.to_string()))?;
        self.store.setting_put(REVOKED_KEY, &text).await?;
        self.store
            .append_audit(&AuditEvent::new(
                self.now_ms(),
                Some(&p.user.id),
                "seal.revoke",
                office_id,
            ))
            .await
            .map_err(DomainError::from)
    }

    /// Replaces the office's seal: with an imported seal when given, otherwise with a fresh
    /// key under the installation's issuing CA. Old certificates are kept so that what they
    /// signed still verifies.
    pub async fn replace_office_seal(
        &self,
        p: &Principal,
        office_id: &str,
        import: Option<SealImport<'_>>,
    ) -> Result<(), DomainError> {
        crate::orgs::check(p, Action::ManageStaff { office_id })?;
        let ie = |e: anyhow::Error| DomainError::Internal(e.to_string());
        let current = self.office_seal(office_id).await?;
        let mut blob = self.office_seal_blob(office_id).await?;
        let (pair, chain) = match import {
            Some(SealImport::Pem { certificate, key }) => {
                let mut certs = pki::certs_from_pem(certificate)
                    .map_err(|_| DomainError::invalid("certificate", "err-seal-certificate"))?;
                let key = pki::key_from_pem(key)
                    .map_err(|_| DomainError::invalid("key", "err-seal-key"))?;
                let pos = certs
                    .iter()
                    .position(|c| pki::matches(c, &key))
                    .ok_or(DomainError::invalid("key", "err-seal-mismatch"))?;
                let cert = certs.remove(pos);
                (KeyPair::new(key, cert), Some(certs))
            }
            Some(SealImport::Pkcs12 { data, password }) => {
                let (pair, rest) = pki::from_pkcs12(data, password)
                    .map_err(|_| DomainError::invalid("file", "err-seal-p12"))?;
                (pair, Some(rest))
            }
            None => {
                let subject = current.cert.tbs_certificate.subject.to_string();
                let pair = self.new_seal_pair(&subject)?;
                (pair, None)
            }
        };
        if !pki::can_sign_documents(&pair.cert) {
            return Err(DomainError::invalid("certificate", "err-seal-usage"));
        }
        blob.previous.insert(
            0,
            pki::cert_pem(&current.cert).map_err(|e| DomainError::Internal(e.to_string()))?,
        );
        blob.current =
            Some(seal_pair(&self.pki.master, &office_key(office_id), &pair).map_err(ie)?);
        blob.imported = chain.is_some();
        blob.chain = chain
            .unwrap_or_default()
            .iter()
            .map(pki::cert_pem)
            .collect::<Result<_, _>>()
            .map_err(|e| DomainError::Internal(e.to_string()))?;
        let text =
            serde_json::to_string(&blob).map_err(|e| DomainError::Internal(e.to_string()))?;
        self.store
            .setting_put(&office_key(office_id), &text)
            .await?;
        if let Ok(mut m) = self.pki.seals.write() {
            m.insert(office_id.to_string(), pair);
        }
        if let Ok(mut m) = self.pki.chains.write() {
            m.remove(office_id);
        }
        let action = if blob.imported {
            "seal.import"
        } else {
            "seal.rotate"
        };
        self.store
            .append_audit(&AuditEvent::new(
                self.now_ms(),
                Some(&p.user.id),
                action,
                office_id,
            ))
            .await
            .map_err(DomainError::from)
    }
}
