//! The service point's paper desk: print batches, marking them printed and dispatched, letters' outcomes with their evidence, checking a letter by its code.

use super::*;

impl Services {
    /// The service point, if the principal may handle its paper and it is open.
    pub(crate) async fn paper_point(
        &self,
        p: &Principal,
        point_id: &str,
    ) -> Result<ServicePoint, DomainError> {
        if !allowed(
            &p.actor(),
            Action::HandlePaper {
                service_point_id: point_id,
            },
        ) {
            return Err(DomainError::NotFound);
        }
        let point = self
            .store
            .service_point(point_id)
            .await?
            .ok_or(DomainError::NotFound)?;
        if !point.is_open {
            return Err(DomainError::Conflict("err-point-closed"));
        }
        Ok(point)
    }

    /// Service points where the principal handles paper.
    pub async fn my_paper_points(&self, p: &Principal) -> Result<Vec<ServicePoint>, DomainError> {
        let mut out = Vec::new();
        for g in &p.grants {
            if let Some(id) = &g.service_point_id {
                if allowed(
                    &p.actor(),
                    Action::HandlePaper {
                        service_point_id: id,
                    },
                ) {
                    if let Some(sp) = self.store.service_point(id).await? {
                        if !out.iter().any(|x: &ServicePoint| x.id == sp.id) {
                            out.push(sp);
                        }
                    }
                }
            }
        }
        Ok(out)
    }

    pub async fn paper_desk(
        &self,
        p: &Principal,
        point_id: &str,
    ) -> Result<PaperDesk, DomainError> {
        let point = self.paper_point(p, point_id).await?;
        Ok(PaperDesk {
            waiting: self.store.waiting_letters(point_id).await?,
            batches: self.store.print_batches(point_id, 50).await?,
            point,
        })
    }

    /// Puts every letter waiting at the point into a new print batch.
    pub async fn make_print_batch(
        &self,
        p: &Principal,
        point_id: &str,
    ) -> Result<PrintBatch, DomainError> {
        self.paper_point(p, point_id).await?;
        let now = self.now_ms();
        let batch = PrintBatch {
            id: new_id(),
            service_point_id: point_id.to_string(),
            status: okienko_domain::status::BatchStatus::Closed,
            created_at: now,
            created_by: p.user.id.clone(),
            printed_at: None,
            printed_by: None,
            dispatched_at: None,
            dispatched_by: None,
            letters: 0,
            pages: 0,
        };
        let ev = AuditEvent::new(now, Some(&p.user.id), "paper.batch", &batch.id)
            .reason(format!("service point {point_id}"));
        let n = self.store.create_print_batch(&batch, &ev).await?;
        if n == 0 {
            return Err(DomainError::Conflict("err-nothing-waiting"));
        }
        self.store
            .print_batch(&batch.id)
            .await?
            .ok_or(DomainError::NotFound)
    }

    pub async fn print_batch_view(
        &self,
        p: &Principal,
        id: &str,
    ) -> Result<BatchView, DomainError> {
        let batch = self
            .store
            .print_batch(id)
            .await?
            .ok_or(DomainError::NotFound)?;
        let point = self.paper_point(p, &batch.service_point_id).await?;
        let letters = self.store.batch_letters(id).await?;
        Ok(BatchView {
            batch,
            point,
            letters,
        })
    }

    /// The print-ready PDF of a batch: its letters one after the other.
    pub async fn print_batch_pdf(&self, p: &Principal, id: &str) -> Result<Vec<u8>, DomainError> {
        let view = self.print_batch_view(p, id).await?;
        let mut pdfs = Vec::new();
        for l in &view.letters {
            pdfs.push(self.blob(&l.pdf_sha256).await?);
        }
        // Our own letters, but they carry attached PDFs' pages: joined in a worker too.
        self.sandbox
            .concat(pdfs)
            .await
            .map_err(|e| DomainError::Internal(format!("joining the batch: {e:?}")))
    }

    /// Marks a batch printed.
    pub async fn mark_batch_printed(&self, p: &Principal, id: &str) -> Result<(), DomainError> {
        let view = self.print_batch_view(p, id).await?;
        let now = self.now_ms();
        let ev = AuditEvent::new(now, Some(&p.user.id), "paper.printed", id)
            .reason(format!("service point {}", view.point.id));
        if !self
            .store
            .advance_print_batch(
                id,
                okienko_domain::status::BatchStatus::Closed,
                okienko_domain::status::BatchStatus::Printed,
                &p.user.id,
                now,
                &[],
                &ev,
            )
            .await?
        {
            return Err(DomainError::Conflict("err-batch-state"));
        }
        Ok(())
    }

    /// Marks a printed batch handed to the post: `paper-dispatch` evidence for every letter.
    pub async fn mark_batch_dispatched(&self, p: &Principal, id: &str) -> Result<(), DomainError> {
        let view = self.print_batch_view(p, id).await?;
        if view.batch.status != okienko_domain::status::BatchStatus::Printed {
            return Err(DomainError::Conflict("err-batch-state"));
        }
        let now = self.now_ms();
        let mut records = Vec::new();
        for l in &view.letters {
            let extra = json!({
                "dispatched_at_service_point": view.point.name,
                "dispatched_by": p.user.display_name,
            });
            records.extend(self.paper_evidence(l, "paper-dispatch", now, extra).await?);
        }
        let ev = AuditEvent::new(now, Some(&p.user.id), "paper.dispatched", id)
            .reason(format!("service point {}", view.point.id));
        if !self
            .store
            .advance_print_batch(
                id,
                okienko_domain::status::BatchStatus::Printed,
                okienko_domain::status::BatchStatus::Dispatched,
                &p.user.id,
                now,
                &records,
                &ev,
            )
            .await?
        {
            return Err(DomainError::Conflict("err-batch-state"));
        }
        Ok(())
    }

    /// Records how a dispatched letter ended: `paper-outcome` evidence for the sender.
    pub async fn record_letter_outcome(
        &self,
        p: &Principal,
        letter_id: &str,
        outcome: &str,
    ) -> Result<PaperLetter, DomainError> {
        let letter = self
            .store
            .paper_letter(letter_id)
            .await?
            .ok_or(DomainError::NotFound)?;
        let point = self.paper_point(p, &letter.service_point_id).await?;
        let Some(outcome) = OUTCOMES.iter().find(|o| **o == outcome).copied() else {
            return Err(DomainError::invalid("outcome", "err-outcome"));
        };
        let now = self.now_ms();
        let t = crate::clock::rfc3339(now);
        let extra = match outcome {
            "delivered" | "delivered-household" | "picked-up" => json!({
                "outcome": outcome,
                "receipt_time": t,
                "recorded_at_service_point": point.name,
            }),
            "returned-after-notice" => json!({
                "outcome": outcome,
                "receipt_time": t,
                "legal_effect": "deemed delivered: not collected after notice",
                "recorded_at_service_point": point.name,
            }),
            _ => json!({
                "outcome": outcome,
                "legal_effect": "not delivered",
                "recorded_at_service_point": point.name,
            }),
        };
        let Some(rec) = self
            .paper_evidence(&letter, "paper-outcome", now, extra)
            .await?
            .into_iter()
            .next()
        else {
            return Err(DomainError::Internal("no evidence issued".into()));
        };
        let ev = AuditEvent::new(now, Some(&p.user.id), "paper.outcome", letter_id).reason(outcome);
        if !self
            .store
            .set_letter_outcome(letter_id, outcome, &p.user.id, now, &rec, &ev)
            .await?
        {
            return Err(DomainError::Conflict("err-batch-state"));
        }
        self.store
            .paper_letter(letter_id)
            .await?
            .ok_or(DomainError::NotFound)
    }

    /// Signs and logs one evidence document about a paper letter.
    pub(crate) async fn paper_evidence(
        &self,
        l: &PaperLetter,
        kind: &'static str,
        at: i64,
        extra: serde_json::Value,
    ) -> Result<Vec<okienko_store::EvidenceRecord>, DomainError> {
        let message: Message = self
            .stored_message(&l.message_id)
            .await?
            .ok_or(DomainError::NotFound)?;
        let attachments: Vec<Attachment> = self.store.attachments(&l.message_id).await?;
        let recipients = self.all_recipients(&l.message_id).await?;
        let mut extra = extra;
        if let Some(o) = extra.as_object_mut() {
            o.insert("tracking_number".into(), json!(l.tracking_number));
            o.insert(
                "postal_recipient".into(),
                json!({"name": l.recipient_name, "street": l.street, "postal_code": l.postal_code, "city": l.city}),
            );
            o.insert("letter_sha256".into(), json!(l.pdf_sha256));
            o.insert("letter_pages".into(), json!(l.pages));
        }
        self.message_evidence_records(
            &message,
            &recipients,
            &attachments,
            vec![crate::evidence::EvidenceEvent::new(
                kind,
                &paper_recipient(l),
                at,
                extra,
            )],
        )
        .await
    }

    /// Checks a letter by its tracking number and verification code (anyone holding it).
    pub async fn check_letter(
        &self,
        tracking: &str,
        code: &str,
    ) -> Result<LetterCheck, DomainError> {
        let tracking = okienko_domain::tracking::parse(tracking)
            .map_err(|c| DomainError::invalid("tracking", c))?;
        let wrong = || DomainError::invalid("code", "err-verification-code");
        let letter = self
            .store
            .paper_letter_by_tracking(&tracking)
            .await?
            .ok_or_else(wrong)?;
        let typed: String = code
            .chars()
            .filter(|c| c.is_ascii_alphanumeric())
            .collect::<String>()
            .to_uppercase();
        let expected: String = letter.verification_code.replace('-', "");
        if !subtle_eq(typed.as_bytes(), expected.as_bytes()) {
            return Err(wrong());
        }
        let message = self
            .stored_message(&letter.message_id)
            .await?
            .ok_or(DomainError::NotFound)?;
        let sender = self
            .store
            .mailbox(&message.sender)
            .await?
            .ok_or(DomainError::NotFound)?;
        let batch = match &letter.batch_id {
            Some(b) => self.store.print_batch(b).await?,
            None => None,
        };
        Ok(LetterCheck {
            status: letter_status(&letter, batch.as_ref()),
            sender_name: sender.name,
            sender_address: sender.address,
            sent_at: message.sent_at,
            letter,
        })
    }

    /// The letter's PDF, for whoever checked it with its code.
    pub async fn checked_letter_pdf(
        &self,
        tracking: &str,
        code: &str,
    ) -> Result<(String, bytes::Bytes), DomainError> {
        let c = self.check_letter(tracking, code).await?;
        let bytes = self.blob(&c.letter.pdf_sha256).await?;
        Ok((c.letter.tracking_number, bytes))
    }
}
