//! Messages, their deliveries, attachments and evidence.

use crate::*;
use async_trait::async_trait;
#[allow(unused_imports)]
use okienko_domain::audit::{AuditEntry, AuditEvent};
#[allow(unused_imports)]
use okienko_domain::{Millis, RoleGrant};

#[async_trait]
pub trait DeliveryStore: Send + Sync {
    /// Stores messages, each with its deliveries, attachments, evidence and paper letters, in
    /// one transaction (group commit). Each message succeeds or fails on its own: a second
    /// message with the same sender and idempotency key is a conflict. The outer error means
    /// nothing was stored.
    /// `packed` are the places of blobs the batch's attachments were just packed into (a
    /// blob already known keeps its first place).
    async fn insert_messages(
        &self,
        packed: &[PackedBlob],
        batch: &[NewMessage],
    ) -> Result<Vec<Result<()>>>;
    /// Stores one message (see [`crate::DeliveryStore::insert_messages`]).
    async fn insert_message(&self, m: &NewMessage) -> Result<()> {
        self.insert_messages(&[], std::slice::from_ref(m))
            .await?
            .pop()
            .unwrap_or(Ok(()))
    }
    /// Where a packed blob is, if it is packed.
    async fn packed_blob(&self, sha256: &str) -> Result<Option<PackedBlob>>;
    /// Which of these blobs are already packed.
    async fn packed_among(&self, sha256s: &[String]) -> Result<Vec<String>>;
    /// Packed blobs' places in the order of their SHA-256, after `after`, at most `limit`.
    async fn packed_blobs_after(&self, after: &str, limit: i64) -> Result<Vec<PackedBlob>>;
    /// The blobs that something refers to (an attachment, a long message body, a printed
    /// letter) and that are not packed, so live in the object store: their SHA-256 in order,
    /// after `after`, at most `limit`.
    async fn unpacked_blobs_after(&self, after: &str, limit: i64) -> Result<Vec<String>>;
    async fn message_by_idempotency(&self, sender: &str, key: &str) -> Result<Option<String>>;
    async fn message(&self, id: &str) -> Result<Option<Message>>;
    async fn deliveries(&self, message_id: &str) -> Result<Vec<Delivery>>;
    async fn attachments(&self, message_id: &str) -> Result<Vec<Attachment>>;
    /// A mailbox folder, newest first, after the keyset cursor (sent_at, id), narrowed by
    /// `filter`.
    async fn list_messages(
        &self,
        address: &str,
        folder: Folder,
        filter: &ListFilter,
        before: Option<(Millis, String)>,
        limit: i64,
    ) -> Result<Vec<MessageSummary>>;
    /// Moves a message into (`archived_at` set) or out of this mailbox's archive, on the
    /// sides where the mailbox is a party; false if it is no party.
    async fn set_archived(
        &self,
        address: &str,
        message_id: &str,
        archived_at: Option<Millis>,
    ) -> Result<bool>;
    /// Whether the message is in this mailbox's archive (on either side).
    async fn is_archived(&self, address: &str, message_id: &str) -> Result<bool>;
    /// Every message of the thread the message belongs to, oldest first.
    async fn thread_of(&self, message_id: &str) -> Result<Vec<Message>>;
    /// Settles a delivery once — its first opening, or its deemed delivery — and stores its
    /// evidence, in one transaction; false if it was already opened or deemed.
    async fn settle_delivery(
        &self,
        how: Handover,
        message_id: &str,
        recipient: &str,
        at: Millis,
        evidence: &EvidenceRecord,
    ) -> Result<bool>;
    /// Deliveries that may be deemed delivered: deemable, unopened, not yet deemed, delivered
    /// at or before `delivered_before`.
    async fn due_for_deemed_delivery(
        &self,
        delivered_before: Millis,
        limit: i64,
    ) -> Result<Vec<Delivery>>;
    /// Recipients of several messages at once: (message id, recipient address).
    /// The recipients of these messages with where each stands: mailboxes first, then
    /// postal addressees, by message.
    async fn recipients_of(&self, message_ids: &[String]) -> Result<Vec<SentTo>>;
    /// For each of these mailboxes that has any: how many messages in its inbox nobody has
    /// opened (and none deemed delivered), and when the earliest of those that can be
    /// deemed delivered reached it.
    async fn unread_counts(&self, addresses: &[String]) -> Result<Vec<UnreadCount>>;
    /// Stores evidence not tied to a stored message (a rejected submission).
    async fn insert_evidence(&self, e: &EvidenceRecord) -> Result<()>;
    async fn evidence_of_message(&self, message_id: &str) -> Result<Vec<EvidenceRecord>>;
    async fn evidence(&self, id: &str) -> Result<Option<EvidenceRecord>>;
}
