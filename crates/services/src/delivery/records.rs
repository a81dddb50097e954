//! The evidence of a submission: signing its documents, answering a repeated idempotency key, the rejection of a bad one.

use super::*;

impl Services {
    pub(crate) async fn member_role(
        &self,
        p: &Principal,
        address: &str,
    ) -> Result<Option<String>, DomainError> {
        Ok(self.membership(p, address).await?.map(|(_, r)| r))
    }

    /// The mailbox at `address` and `p`'s role in it, when `p` is a member.
    pub(crate) async fn membership(
        &self,
        p: &Principal,
        address: &str,
    ) -> Result<Option<(Mailbox, String)>, DomainError> {
        Ok(self
            .my_mailboxes(p)
            .await?
            .into_iter()
            .find(|(m, _)| m.address == address))
    }

    /// Signs and logs evidence documents about one message, one per event. Returns the
    /// records to store.
    pub(crate) async fn message_evidence_records(
        &self,
        m: &Message,
        recipients: &[String],
        attachments: &[Attachment],
        events: Vec<EvidenceEvent>,
    ) -> Result<Vec<EvidenceRecord>, DomainError> {
        let signed = self
            .sign_message_evidence(m, recipients, attachments, events)
            .await?;
        let first = self
            .log
            .append(signed.iter().map(|(_, s)| s.clone()).collect())
            .await
            .map_err(|e| DomainError::Internal(e.to_string()))?;
        Ok(signed
            .into_iter()
            .enumerate()
            .map(|(i, (mut r, _))| {
                r.log_index = (first + i as u64) as i64;
                r
            })
            .collect())
    }

    /// The signed and logged evidence of one event about a message.
    pub(crate) async fn message_event_record(
        &self,
        m: &Message,
        recipients: &[String],
        attachments: &[Attachment],
        event: EvidenceEvent,
    ) -> Result<Option<EvidenceRecord>, DomainError> {
        let records = self
            .message_evidence_records(m, recipients, attachments, vec![event])
            .await?;
        Ok(records.into_iter().next())
    }

    /// Signs evidence documents about one message, one per event. Returns the records (not
    /// yet numbered in the log) with their signed bytes, which become their log leaves.
    pub(crate) async fn sign_message_evidence(
        &self,
        m: &Message,
        recipients: &[String],
        attachments: &[Attachment],
        events: Vec<EvidenceEvent>,
    ) -> Result<Vec<(EvidenceRecord, Vec<u8>)>, DomainError> {
        let now = self.now_ms();
        let message_hash = message_sha256(&m.subject, &m.body);
        let docs: Vec<(String, EvidenceEvent, Vec<u8>)> = events
            .into_iter()
            .map(|e| {
                let id = format!("EV-{}", new_id());
                let mut doc = json!({
                    "evidence_id": id,
                    "type": e.kind,
                    "issuing_service": self.base_url,
                    "message_id": m.id,
                    "sender": m.sender,
                    // Evidence about one recipient names only them: recipients of one
                    // message never learn of each other. Evidence about the submission
                    // (the sender's) names them all.
                    "recipients": if e.recipient.is_empty() { recipients.to_vec() } else { vec![e.recipient.clone()] },
                    "message_sha256": message_hash,
                    "attachments": attachments.iter().map(|a| json!({"name": a.name, "size": a.size, "sha256": a.sha256})).collect::<Vec<_>>(),
                    "submitted_at": rfc3339(m.sent_at),
                    "event_time": rfc3339(e.at),
                });
                if let Some(o) = doc.as_object_mut() {
                    if !e.recipient.is_empty() {
                        o.insert("recipient".into(), json!(e.recipient));
                    }
                    if let Some(extra) = e.extra.as_object() {
                        for (k, v) in extra {
                            o.insert(k.clone(), v.clone());
                        }
                    }
                }
                let bytes = serde_json::to_vec_pretty(&doc).unwrap_or_default();
                (id, e, bytes)
            })
            .collect();
        let signed = self
            .sign_platform_evidence(docs.iter().map(|d| d.2.clone()).collect())
            .await?;
        Ok(docs
            .into_iter()
            .zip(signed)
            .map(|((id, e, doc), signed)| {
                let record = EvidenceRecord {
                    id,
                    message_id: Some(m.id.clone()),
                    recipient: e.recipient,
                    kind: e.kind.into(),
                    issued_at: now,
                    log_index: -1,
                    document: String::from_utf8_lossy(&doc).to_string(),
                    signed_b64: B64.encode(&signed),
                };
                (record, signed)
            })
            .collect())
    }

    /// A repeated idempotency key must come with the same message (recipients, subject,
    /// text, attachments, letters): otherwise it is refused, never answered with the first
    /// message as if it were this one (as the IETF Idempotency-Key draft asks).
    pub(crate) async fn same_request(
        &self,
        id: &str,
        out: &Fingerprint,
    ) -> Result<(), DomainError> {
        let mismatch = || DomainError::invalid("idempotency_key", "err-idempotency-mismatch");
        let m = self.stored_message(id).await?.ok_or_else(mismatch)?;
        let mut stored = self.delivered_to(id).await?;
        stored.sort();
        let hashes: Vec<String> = self
            .store
            .attachments(id)
            .await?
            .into_iter()
            .map(|a| a.sha256)
            .collect();
        let letters = self.store.paper_letters_of_message(id).await?.len();
        if m.subject != out.subject
            || hex::encode(Sha256::digest(m.body.as_bytes())) != out.body_sha256
            || out.to != stored
            || out.attachments != hashes
            || letters != out.postal
        {
            return Err(mismatch());
        }
        Ok(())
    }

    /// Issues `submission-rejection` evidence to the sender, with the reasons; nothing is
    /// delivered. Returns the evidence id.
    pub(crate) async fn reject_submission(
        &self,
        from: &str,
        to: &[String],
        subject: &str,
        errs: &FieldErrors,
    ) -> Result<String, DomainError> {
        let now = self.now_ms();
        let id = format!("EV-{}", new_id());
        let reasons: Vec<serde_json::Value> = errs
            .0
            .iter()
            .map(|e| json!({"field": e.field, "code": e.code, "text": okienko_i18n::Lang::En.t(e.code)}))
            .collect();
        let doc = json!({
            "evidence_id": id,
            "type": "submission-rejection",
            "issuing_service": self.base_url,
            "sender": from,
            "recipients": to,
            "subject_sha256": hex::encode(okienko_trust::sha256(subject.as_bytes())),
            "reasons": reasons,
            "event_time": rfc3339(now),
        });
        let bytes = serde_json::to_vec_pretty(&doc).unwrap_or_default();
        let issued = self.issue_platform_evidence(vec![bytes.clone()]).await?;
        let Some(i) = issued.into_iter().next() else {
            return Err(DomainError::Internal("no evidence issued".into()));
        };
        let rec = EvidenceRecord {
            id: id.clone(),
            message_id: None,
            recipient: from.to_string(),
            kind: "submission-rejection".into(),
            issued_at: now,
            log_index: i.log_index as i64,
            document: String::from_utf8_lossy(&bytes).to_string(),
            signed_b64: B64.encode(&i.signed),
        };
        self.store.insert_evidence(&rec).await?;
        Ok(id)
    }

    pub(crate) async fn sent_result(&self, id: &str) -> Result<Sent, DomainError> {
        let ev = self.store.evidence_of_message(id).await?;
        Ok(Sent {
            id: id.to_string(),
            evidence: ev
                .into_iter()
                .filter(|e| e.kind != "content-handover" && e.kind != "deemed-delivery")
                .map(|e| (e.id, e.kind))
                .collect(),
        })
    }
}
