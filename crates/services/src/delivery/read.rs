//! Reading what was delivered: opening a message (with its handover evidence), attachments, evidence, folders, the archive, threads, and deemed delivery after the statutory period.

use super::*;

impl Services {
    /// A stored message with its body, loaded from the blob store when it is kept there.
    pub(crate) async fn stored_message(&self, id: &str) -> Result<Option<Message>, DomainError> {
        match self.store.message(id).await? {
            Some(m) => Ok(Some(self.with_body(m).await?)),
            None => Ok(None),
        }
    }

    pub(crate) async fn with_body(&self, mut m: Message) -> Result<Message, DomainError> {
        if let Some(sha) = m.body_sha256.as_deref() {
            let bytes = self.blob(sha).await?;
            m.body = String::from_utf8(bytes.to_vec()).map_err(|_| {
                DomainError::Internal(format!("message {}: body is not UTF-8", m.id))
            })?;
        }
        Ok(m)
    }

    /// May the principal see this message: sender side or a recipient side. Returns the
    /// recipient mailboxes the principal stands for.
    pub(crate) async fn message_access(
        &self,
        p: &Principal,
        id: &str,
    ) -> Result<(Message, Vec<Delivery>, Vec<String>), DomainError> {
        let m = self
            .stored_message(id)
            .await?
            .ok_or(DomainError::NotFound)?;
        let deliveries = self.store.deliveries(id).await?;
        let mine: Vec<String> = self
            .my_mailboxes(p)
            .await?
            .into_iter()
            .map(|(m, _)| m.address)
            .collect();
        let as_recipient: Vec<String> = deliveries
            .iter()
            .filter(|d| mine.contains(&d.recipient))
            .map(|d| d.recipient.clone())
            .collect();
        if !mine.contains(&m.sender) && as_recipient.is_empty() {
            return Err(DomainError::NotFound);
        }
        Ok((m, deliveries, as_recipient))
    }

    /// Opens a message. A recipient's first opening issues `content-handover` evidence (and,
    /// for a person or company receiving from a public body, that is the moment of receipt).
    /// A recipient sees the sender and their own delivery only, never the other recipients;
    /// the sender sees every delivery.
    pub async fn open_message(&self, p: &Principal, id: &str) -> Result<Opened, DomainError> {
        let (message, deliveries, as_recipient) = self.message_access(p, id).await?;
        let sender_side = self.is_sender_side(p, &message).await?;
        let extra = json!({"opened_by": p.user.display_name});
        let mut o = self
            .hand_over(message, deliveries, &as_recipient, extra)
            .await?;
        if !sender_side {
            o.deliveries.retain(|d| as_recipient.contains(&d.recipient));
        }
        Ok(o)
    }

    /// Whether opening this message now would be the principal's legal receipt of it: a
    /// letter from a public body to their person's or company's mailbox, neither opened nor
    /// deemed delivered yet. Returns the sender's address and when it would be deemed
    /// delivered anyway, for the warning shown before opening.
    pub async fn opening_is_receipt(
        &self,
        p: &Principal,
        id: &str,
    ) -> Result<Option<(String, i64)>, DomainError> {
        let (message, deliveries, as_recipient) = self.message_access(p, id).await?;
        if self.is_sender_side(p, &message).await? {
            return Ok(None);
        }
        Ok(deliveries
            .iter()
            .find(|d| {
                as_recipient.contains(&d.recipient)
                    && d.deemable
                    && d.opened_at.is_none()
                    && d.deemed_at.is_none()
            })
            .map(|d| (message.sender.clone(), d.delivered_at + DEEMED_AFTER_MS)))
    }

    pub(crate) async fn is_sender_side(
        &self,
        p: &Principal,
        m: &Message,
    ) -> Result<bool, DomainError> {
        Ok(self.member_role(p, &m.sender).await?.is_some())
    }

    /// Which evidence of a message the principal may see: the sender side all of it; a
    /// recipient only what names their own mailbox as its one recipient.
    pub(crate) async fn evidence_visible(
        &self,
        p: &Principal,
        id: &str,
    ) -> Result<impl Fn(&EvidenceRecord) -> bool, DomainError> {
        let (m, _, as_recipient) = self.message_access(p, id).await?;
        let sender_side = self.is_sender_side(p, &m).await?;
        Ok(move |e: &EvidenceRecord| sender_side || as_recipient.contains(&e.recipient))
    }

    /// Records the first handover of a message to each of `recipients` that has not yet
    /// received it (`content-handover` evidence with `extra` and the receipt time), and
    /// returns the message as it now stands.
    pub(crate) async fn hand_over(
        &self,
        message: Message,
        deliveries: Vec<Delivery>,
        recipients: &[String],
        extra: serde_json::Value,
    ) -> Result<Opened, DomainError> {
        let id = message.id.clone();
        let attachments = self.store.attachments(&id).await?;
        for r in recipients {
            let Some(d) = deliveries.iter().find(|d| &d.recipient == r) else {
                continue;
            };
            if d.opened_at.is_some() || d.deemed_at.is_some() {
                continue;
            }
            let now = self.now_ms();
            let to = self.all_recipients(&message.id).await?;
            let mut extra = extra.clone();
            if let Some(o) = extra.as_object_mut() {
                o.insert("receipt_time".into(), json!(rfc3339(now)));
            }
            let event = EvidenceEvent::new("content-handover", r, now, extra);
            let record = self.message_event_record(&message, &to, &attachments, event);
            let Some(rec) = record.await? else {
                continue;
            };
            // A concurrent first opening may win: then this evidence is simply not stored.
            match self
                .store
                .settle_delivery(Handover::Opened, &message.id, r, now, &rec)
                .await
            {
                Ok(_) | Err(StoreError::Conflict(_)) => {}
                Err(e) => return Err(e.into()),
            }
        }
        let deliveries = self.store.deliveries(&id).await?;
        Ok(Opened {
            message,
            attachments,
            deliveries,
        })
    }

    pub async fn message_attachment(
        &self,
        p: &Principal,
        id: &str,
        n: i64,
    ) -> Result<(Attachment, bytes::Bytes), DomainError> {
        self.message_access(p, id).await?;
        let a = self
            .store
            .attachments(id)
            .await?
            .into_iter()
            .find(|a| a.n == n)
            .ok_or(DomainError::NotFound)?;
        let bytes = self.blob(&a.sha256).await?;
        Ok((a, bytes))
    }

    pub async fn message_evidence(
        &self,
        p: &Principal,
        id: &str,
    ) -> Result<Vec<EvidenceRecord>, DomainError> {
        let visible = self.evidence_visible(p, id).await?;
        let mut all = self.store.evidence_of_message(id).await?;
        all.retain(|e| visible(e));
        Ok(all)
    }

    pub async fn evidence_record(
        &self,
        p: &Principal,
        evidence_id: &str,
    ) -> Result<EvidenceRecord, DomainError> {
        let e = self
            .store
            .evidence(evidence_id)
            .await?
            .ok_or(DomainError::NotFound)?;
        match &e.message_id {
            Some(mid) => {
                if !self.evidence_visible(p, mid).await?(&e) {
                    return Err(DomainError::NotFound);
                }
            }
            // Evidence without a message (a rejection) belongs to the mailbox it names.
            None => {
                if self.member_role(p, &e.recipient).await?.is_none() {
                    return Err(DomainError::NotFound);
                }
            }
        }
        Ok(e)
    }

    /// A mailbox folder (inbox, sent, archive), narrowed by a search, for its owner or
    /// members.
    pub async fn list_mailbox(
        &self,
        p: &Principal,
        address: &str,
        folder: Folder,
        filter: &ListFilter,
        cursor: Option<&str>,
        limit: i64,
    ) -> Result<Vec<okienko_store::MessageSummary>, DomainError> {
        if self.member_role(p, address).await?.is_none() {
            return Err(DomainError::NotFound);
        }
        let before = match cursor.filter(|c| !c.is_empty()) {
            Some(c) => Some(parse_cursor(c).ok_or(DomainError::invalid("cursor", "err-cursor"))?),
            None => None,
        };
        self.store
            .list_messages(address, folder, filter, before, limit.clamp(1, 200))
            .await
            .map_err(DomainError::from)
    }

    /// Moves a message into or out of a mailbox's archive (for a member of that mailbox
    /// which is a party to the message).
    pub async fn archive_message(
        &self,
        p: &Principal,
        address: &str,
        id: &str,
        archived: bool,
    ) -> Result<(), DomainError> {
        if self.member_role(p, address).await?.is_none() {
            return Err(DomainError::NotFound);
        }
        let at = archived.then(|| self.now_ms());
        if !self.store.set_archived(address, id, at).await? {
            return Err(DomainError::NotFound);
        }
        Ok(())
    }

    /// The mailbox of the principal's through which they see an opened message (a recipient
    /// side first), and whether it is archived there.
    pub async fn mailbox_side(
        &self,
        o: &Opened,
        boxes: &[(Mailbox, String)],
    ) -> Result<Option<(String, bool)>, DomainError> {
        let mine = |a: &str| boxes.iter().any(|(m, _)| m.address == a);
        let side = match o.deliveries.iter().find(|d| mine(&d.recipient)) {
            Some(d) => d.recipient.clone(),
            None if mine(&o.message.sender) => o.message.sender.clone(),
            None => return Ok(None),
        };
        let archived = self.store.is_archived(&side, &o.message.id).await?;
        Ok(Some((side, archived)))
    }

    /// The messages of a message's thread that the principal may read, oldest first.
    pub async fn thread(&self, p: &Principal, id: &str) -> Result<Vec<Message>, DomainError> {
        self.message_access(p, id).await?;
        let mut out = Vec::new();
        for m in self.store.thread_of(id).await? {
            if self.message_access(p, &m.id).await.is_ok() {
                out.push(self.with_body(m).await?);
            }
        }
        Ok(out)
    }

    /// The mailboxes a message was delivered to.
    pub(crate) async fn delivered_to(&self, message_id: &str) -> Result<Vec<String>, DomainError> {
        Ok(self
            .store
            .deliveries(message_id)
            .await?
            .into_iter()
            .map(|d| d.recipient)
            .collect())
    }

    /// Every recipient of a message as evidence names them: mailbox addresses, then
    /// `PAPER:<tracking number>` for letters sent by post.
    pub(crate) async fn all_recipients(
        &self,
        message_id: &str,
    ) -> Result<Vec<String>, DomainError> {
        let mut to = self.delivered_to(message_id).await?;
        to.extend(
            self.store
                .paper_letters_of_message(message_id)
                .await?
                .iter()
                .map(crate::paper::paper_recipient),
        );
        Ok(to)
    }

    /// The names of mailboxes by address, each looked up once, for showing people and offices
    /// by name beside their address. An address that is not known here keeps no name.
    pub async fn mailbox_names(
        &self,
        addresses: &[String],
    ) -> Result<std::collections::HashMap<String, String>, DomainError> {
        let mut out = std::collections::HashMap::new();
        for a in addresses {
            if !out.contains_key(a) {
                if let Some(m) = self.store.mailbox(a).await? {
                    out.insert(a.clone(), m.name);
                }
            }
        }
        Ok(out)
    }

    /// Recipients of the listed messages, in one query.
    pub async fn recipients_of(
        &self,
        ids: &[String],
    ) -> Result<std::collections::HashMap<String, Vec<okienko_store::SentTo>>, DomainError> {
        let mut out: std::collections::HashMap<String, Vec<okienko_store::SentTo>> =
            std::collections::HashMap::new();
        for r in self.store.recipients_of(ids).await? {
            out.entry(r.message_id.clone()).or_default().push(r);
        }
        Ok(out)
    }

    /// Takes the deemed-delivery sweep for the next 50 seconds unless another instance has it:
    /// true if this one should sweep now (two sweeping at once would each sign and log the
    /// same deemed delivery, and only one be kept).
    pub async fn take_sweep_lease(&self) -> bool {
        let now = self.now_ms();
        let lease = self
            .store
            .take_lease("deemed-delivery-sweep", now, now + 50_000);
        match lease.await {
            Ok(taken) => taken,
            Err(e) => {
                tracing::warn!(error = %e, "taking the deemed-delivery sweep's lease");
                false
            }
        }
    }

    /// Issues `deemed-delivery` for every unopened message from a public body that reached a
    /// person's or company's mailbox 14 days ago or more. Safe to run from several places:
    /// each delivery is deemed once. Returns how many were deemed.
    pub async fn deemed_delivery_sweep(&self) -> Result<usize, DomainError> {
        let now = self.now_ms();
        let due = self
            .store
            .due_for_deemed_delivery(now - DEEMED_AFTER_MS, 500)
            .await?;
        let mut n = 0;
        for d in due {
            let Some(message) = self.stored_message(&d.message_id).await? else {
                continue;
            };
            let attachments = self.store.attachments(&d.message_id).await?;
            let to = self.all_recipients(&d.message_id).await?;
            let deemed_at = d.delivered_at + DEEMED_AFTER_MS;
            let extra = json!({"receipt_time": rfc3339(deemed_at), "legal_effect": "deemed delivered 14 days after reaching the mailbox", "delivered_at": rfc3339(d.delivered_at)});
            let event = EvidenceEvent::new("deemed-delivery", &d.recipient, deemed_at, extra);
            let record = self.message_event_record(&message, &to, &attachments, event);
            let Some(rec) = record.await? else {
                continue;
            };
            match self
                .store
                .settle_delivery(
                    Handover::Deemed,
                    &d.message_id,
                    &d.recipient,
                    deemed_at,
                    &rec,
                )
                .await
            {
                Ok(true) => n += 1,
                Ok(false) | Err(StoreError::Conflict(_)) => {}
                Err(e) => return Err(e.into()),
            }
        }
        Ok(n)
    }
}
