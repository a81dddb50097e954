//! [`crate::DeliveryStore`] in SQL.

use super::*;
use crate::{SentTo, UnreadCount};

#[async_trait]
impl crate::DeliveryStore for SqlStore {
    async fn insert_messages(
        &self,
        packed: &[PackedBlob],
        batch: &[NewMessage],
    ) -> Result<Vec<Result<()>>> {
        let mut tx = self.writer.begin().await?;
        let results = insert_messages_in(&mut tx, packed, batch).await?;
        tx.commit().await?;
        Ok(results)
    }

    async fn packed_blob(&self, sha256: &str) -> Result<Option<PackedBlob>> {
        self.opt(
            sqlx::query(&format!(
                "SELECT {PACKED_COLS} FROM packed_blobs WHERE sha256 = $1"
            ))
            .bind(sha256),
            packed_blob_from,
        )
        .await
    }

    async fn packed_blobs_after(&self, after: &str, limit: i64) -> Result<Vec<PackedBlob>> {
        self.all(
            sqlx::query(&format!(
                "SELECT {PACKED_COLS} FROM packed_blobs WHERE sha256 > $1 ORDER BY sha256 LIMIT $2"
            ))
            .bind(after)
            .bind(limit),
            packed_blob_from,
        )
        .await
    }

    async fn unpacked_blobs_after(&self, after: &str, limit: i64) -> Result<Vec<String>> {
        let q = sqlx::query(
            "SELECT sha FROM (\
               SELECT sha256 AS sha FROM attachments \
               UNION SELECT body_sha256 FROM messages WHERE body_sha256 IS NOT NULL \
               UNION SELECT pdf_sha256 FROM paper_letters) refs \
             WHERE sha > $1 AND NOT EXISTS (SELECT 1 FROM packed_blobs p WHERE p.sha256 = sha) \
             ORDER BY sha LIMIT $2",
        )
        .bind(after)
        .bind(limit);
        self.all(q, first_text).await
    }

    async fn packed_among(&self, sha256s: &[String]) -> Result<Vec<String>> {
        if sha256s.is_empty() {
            return Ok(Vec::new());
        }
        let marks: Vec<String> = (1..=sha256s.len()).map(|i| format!("${i}")).collect();
        let q = format!(
            "SELECT sha256 FROM packed_blobs WHERE sha256 IN ({})",
            marks.join(", ")
        );
        let mut query = sqlx::query(&q);
        for h in sha256s {
            query = query.bind(h);
        }
        let rows = query.fetch_all(&self.writer).await?;
        Ok(rows
            .iter()
            .map(|r| r.try_get::<String, _>(0))
            .collect::<std::result::Result<_, _>>()?)
    }

    async fn message_by_idempotency(&self, sender: &str, key: &str) -> Result<Option<String>> {
        let r = sqlx::query("SELECT id FROM messages WHERE sender = $1 AND idempotency_key = $2")
            .bind(sender)
            .bind(key)
            .fetch_optional(&self.writer)
            .await?;
        Ok(r.map(|r| r.try_get::<String, _>(0)).transpose()?)
    }

    async fn message(&self, id: &str) -> Result<Option<Message>> {
        self.opt(
            sqlx::query(&format!(
                "SELECT {MESSAGE_COLS} FROM messages WHERE id = $1"
            ))
            .bind(id),
            message_from,
        )
        .await
    }

    async fn deliveries(&self, message_id: &str) -> Result<Vec<Delivery>> {
        self.all(
            sqlx::query(&format!(
                "SELECT {DELIVERY_COLS} FROM deliveries WHERE message_id = $1 ORDER BY recipient"
            ))
            .bind(message_id),
            delivery_from,
        )
        .await
    }

    async fn attachments(&self, message_id: &str) -> Result<Vec<Attachment>> {
        let rows = sqlx::query("SELECT message_id, n, name, size, sha256, media_type FROM attachments WHERE message_id = $1 ORDER BY n")
            .bind(message_id)
            .fetch_all(&self.reader)
            .await?;
        let mut out = Vec::with_capacity(rows.len());
        for r in &rows {
            out.push(Attachment {
                message_id: r.try_get("message_id")?,
                n: r.try_get("n")?,
                name: r.try_get("name")?,
                size: r.try_get("size")?,
                sha256: r.try_get("sha256")?,
                media_type: r.try_get("media_type")?,
            });
        }
        Ok(out)
    }

    async fn list_messages(
        &self,
        address: &str,
        folder: Folder,
        filter: &ListFilter,
        before: Option<(Millis, String)>,
        limit: i64,
    ) -> Result<Vec<MessageSummary>> {
        if filter.words.is_empty() {
            return self
                .list_page(address, folder, filter, before, limit, None)
                .await;
        }
        // Words asked: the mailbox's messages that have them, newest first, from the search
        // index (a page at a time), then those of them in the folder. Reading the folder
        // for the words was a scan of the whole mailbox.
        let mut out = Vec::new();
        let mut after = before.as_ref().map(|(_, id)| id.clone());
        // As many as the page asks (most found are in the folder asked); more if not.
        let page_size = limit.clamp(20, 200);
        loop {
            let page = self
                .search(&crate::SearchQuery {
                    scopes: vec![okienko_domain::search::mailbox_scope(address)],
                    kinds: vec![okienko_domain::search::KIND_MESSAGE.into()],
                    words: filter.words.clone(),
                    before: after.clone(),
                    limit: page_size,
                })
                .await?;
            let Some(last) = page.hits.last() else { break };
            after = Some(last.item_id.clone());
            let ids: Vec<String> = page.hits.iter().map(|h| h.item_id.clone()).collect();
            let wanted = limit - out.len() as i64;
            out.extend(
                self.list_page(address, folder, filter, before.clone(), wanted, Some(&ids))
                    .await?,
            );
            if out.len() as i64 >= limit || (page.hits.len() as i64) < page_size {
                break;
            }
        }
        Ok(out)
    }

    async fn set_archived(
        &self,
        address: &str,
        message_id: &str,
        archived_at: Option<Millis>,
    ) -> Result<bool> {
        let mut tx = self.writer.begin().await?;
        let a = sqlx::query(
            "UPDATE deliveries SET archived_at = $1 WHERE recipient = $2 AND message_id = $3",
        )
        .bind(archived_at)
        .bind(address)
        .bind(message_id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        let b = sqlx::query(
            "UPDATE messages SET sender_archived_at = $1 WHERE sender = $2 AND id = $3",
        )
        .bind(archived_at)
        .bind(address)
        .bind(message_id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        tx.commit().await?;
        Ok(a + b > 0)
    }

    async fn is_archived(&self, address: &str, message_id: &str) -> Result<bool> {
        let r = sqlx::query(
            "SELECT 1 FROM deliveries WHERE recipient = $1 AND message_id = $2 AND archived_at IS NOT NULL \
             UNION ALL SELECT 1 FROM messages WHERE sender = $1 AND id = $2 AND sender_archived_at IS NOT NULL",
        )
        .bind(address)
        .bind(message_id)
        .fetch_optional(&self.reader)
        .await?;
        Ok(r.is_some())
    }

    async fn thread_of(&self, message_id: &str) -> Result<Vec<Message>> {
        self.all(sqlx::query(&format!(
            "SELECT {MESSAGE_COLS} FROM messages WHERE thread_id = (SELECT thread_id FROM messages WHERE id = $1) ORDER BY sent_at, id"
        ))
        .bind(message_id), message_from).await
    }

    async fn settle_delivery(
        &self,
        how: Handover,
        message_id: &str,
        recipient: &str,
        at: Millis,
        evidence: &EvidenceRecord,
    ) -> Result<bool> {
        let column = match how {
            Handover::Opened => "opened_at",
            Handover::Deemed => "deemed_at",
        };
        let mut tx = self.writer.begin().await?;
        let sql = format!(
            "UPDATE deliveries SET {column} = $1 WHERE message_id = $2 AND recipient = $3 AND opened_at IS NULL AND deemed_at IS NULL"
        );
        let n = sqlx::query(&sql)
            .bind(at)
            .bind(message_id)
            .bind(recipient)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        if n == 0 {
            return Ok(false);
        }
        insert_evidence(&mut tx, &[evidence]).await?;
        tx.commit().await?;
        Ok(true)
    }

    async fn due_for_deemed_delivery(
        &self,
        delivered_before: Millis,
        limit: i64,
    ) -> Result<Vec<Delivery>> {
        self.all(sqlx::query(&format!(
            "SELECT {DELIVERY_COLS} FROM deliveries WHERE deemable = 1 AND opened_at IS NULL AND deemed_at IS NULL AND delivered_at <= $1 ORDER BY delivered_at LIMIT $2"
        ))
        .bind(delivered_before)
        .bind(limit), delivery_from).await
    }

    async fn recipients_of(&self, message_ids: &[String]) -> Result<Vec<SentTo>> {
        if message_ids.is_empty() {
            return Ok(Vec::new());
        }
        let params: Vec<String> = (1..=message_ids.len()).map(|i| format!("${i}")).collect();
        let ids = params.join(", ");
        // A paper letter's state: its outcome once recorded, else where its batch is.
        let sql = format!(
            "SELECT message_id, recipient, opened_at, deemed_at, NULL AS paper, 0 AS postal \
             FROM deliveries WHERE message_id IN ({ids}) \
             UNION ALL \
             SELECT l.message_id, l.recipient_name, NULL, NULL, \
                    COALESCE(l.outcome, CASE WHEN b.status IS NULL THEN 'waiting' \
                                             WHEN b.status = 'closed' THEN 'batched' ELSE b.status END), 1 \
             FROM paper_letters l LEFT JOIN print_batches b ON b.id = l.batch_id \
             WHERE l.message_id IN ({ids}) \
             ORDER BY 1, 6, 2"
        );
        let mut q = sqlx::query(&sql);
        for id in message_ids {
            q = q.bind(id);
        }
        self.all(q, |r| {
            Ok(SentTo {
                message_id: r.try_get(0)?,
                recipient: r.try_get(1)?,
                opened_at: r.try_get(2)?,
                deemed_at: r.try_get(3)?,
                paper: r.try_get(4)?,
            })
        })
        .await
    }

    async fn unread_counts(&self, addresses: &[String]) -> Result<Vec<UnreadCount>> {
        if addresses.is_empty() {
            return Ok(Vec::new());
        }
        let params: Vec<String> = (1..=addresses.len()).map(|i| format!("${i}")).collect();
        let sql = format!(
            "SELECT recipient, COUNT(*) AS unread, \
                    MIN(CASE WHEN deemable = 1 THEN delivered_at END) AS first_deemable_at \
             FROM deliveries WHERE recipient IN ({}) AND opened_at IS NULL AND deemed_at IS NULL \
             AND archived_at IS NULL GROUP BY recipient ORDER BY recipient",
            params.join(", ")
        );
        let mut q = sqlx::query(&sql);
        for a in addresses {
            q = q.bind(a);
        }
        self.all(q, |r| {
            Ok(UnreadCount {
                address: r.try_get("recipient")?,
                unread: r.try_get("unread")?,
                first_deemable_at: r.try_get("first_deemable_at")?,
            })
        })
        .await
    }

    async fn insert_evidence(&self, e: &EvidenceRecord) -> Result<()> {
        let mut conn = self.writer.acquire().await?;
        insert_evidence(&mut conn, &[e]).await
    }

    async fn evidence_of_message(&self, message_id: &str) -> Result<Vec<EvidenceRecord>> {
        self.all(sqlx::query(&format!("SELECT {EVIDENCE_COLS} FROM {EVIDENCE_FROM} WHERE e.message_id = $1 ORDER BY e.issued_at, e.log_index"))
            .bind(message_id), evidence_from).await
    }

    async fn evidence(&self, id: &str) -> Result<Option<EvidenceRecord>> {
        self.opt(
            sqlx::query(&format!(
                "SELECT {EVIDENCE_COLS} FROM {EVIDENCE_FROM} WHERE e.id = $1"
            ))
            .bind(id),
            evidence_from,
        )
        .await
    }
}

pub(super) const DELIVERY_COLS: &str =
    "message_id, recipient, sent_at, delivered_at, opened_at, deemed_at, deemable";

pub(super) fn delivery_from(r: &AnyRow) -> std::result::Result<Delivery, sqlx::Error> {
    Ok(Delivery {
        message_id: r.try_get("message_id")?,
        recipient: r.try_get("recipient")?,
        sent_at: r.try_get("sent_at")?,
        delivered_at: r.try_get("delivered_at")?,
        opened_at: r.try_get("opened_at")?,
        deemed_at: r.try_get("deemed_at")?,
        deemable: r.try_get::<i64, _>("deemable")? != 0,
    })
}

pub(super) const PACKED_COLS: &str = "sha256, pack, pack_offset, length";

pub(super) fn packed_blob_from(r: &AnyRow) -> std::result::Result<PackedBlob, sqlx::Error> {
    Ok(PackedBlob {
        sha256: r.try_get(0)?,
        pack: r.try_get(1)?,
        offset: r.try_get(2)?,
        length: r.try_get(3)?,
    })
}

pub(super) const MESSAGE_COLS: &str =
    "id, sender, sender_user_id, subject, body, body_sha256, sent_at, idempotency_key, reply_to";

pub(super) fn message_from(r: &AnyRow) -> std::result::Result<Message, sqlx::Error> {
    Ok(Message {
        id: r.try_get("id")?,
        sender: r.try_get("sender")?,
        sender_user_id: r.try_get("sender_user_id")?,
        subject: r.try_get("subject")?,
        body: r.try_get("body")?,
        body_sha256: r.try_get("body_sha256")?,
        sent_at: r.try_get("sent_at")?,
        idempotency_key: r.try_get("idempotency_key")?,
        reply_to: r.try_get("reply_to")?,
    })
}

/// Stores messages inside `tx` (see [`Store::insert_messages`]).
pub(super) async fn insert_messages_in(
    tx: &mut sqlx::AnyConnection,
    packed: &[PackedBlob],
    batch: &[NewMessage],
) -> Result<Vec<Result<()>>> {
    // A blob packed twice keeps its first place.
    insert_rows(
        tx,
        "packed_blobs (sha256, pack, pack_offset, length)",
        " ON CONFLICT (sha256) DO NOTHING",
        4,
        packed,
        |k| marks(k, 4),
        |q, b| q.bind(&b.sha256).bind(b.pack).bind(b.offset).bind(b.length),
    )
    .await?;
    // All at once; only when that fails (a repeated idempotency key) one by one, so that
    // one conflict does not undo the others.
    let all: Vec<&NewMessage> = batch.iter().collect();
    // Without idempotency keys or paper letters (tracking numbers) nothing in the batch can
    // clash with a stored row (its ids are new): it goes in without a savepoint, which would
    // make SQLite copy every page it touches into a sub-journal (6 % of a message's cost).
    if batch
        .iter()
        .all(|m| m.message.idempotency_key.is_none() && m.letters.is_empty())
    {
        insert_message_rows(tx, &all).await?;
        return Ok(batch.iter().map(|_| Ok(())).collect());
    }
    let mut sp = sqlx::Connection::begin(&mut *tx).await?;
    if insert_message_rows(&mut sp, &all).await.is_ok() {
        sp.commit().await?;
        return Ok(batch.iter().map(|_| Ok(())).collect());
    }
    sp.rollback().await?;
    let mut out = Vec::with_capacity(batch.len());
    for m in batch {
        let mut sp = sqlx::Connection::begin(&mut *tx).await?;
        match insert_message_rows(&mut sp, &[m]).await {
            Ok(()) => {
                sp.commit().await?;
                out.push(Ok(()));
            }
            Err(e) => {
                sp.rollback().await?;
                out.push(Err(e));
            }
        }
    }
    Ok(out)
}

/// Stores messages with their deliveries, attachments, paper letters and evidence, each
/// table in as few statements as possible.
pub(super) async fn insert_message_rows(
    conn: &mut sqlx::AnyConnection,
    batch: &[&NewMessage],
) -> Result<()> {
    let messages: Vec<&Message> = batch.iter().map(|n| &n.message).collect();
    insert_rows(
        conn,
        "messages (id, sender, sender_user_id, subject, body, body_sha256, sent_at, idempotency_key, reply_to, thread_id)",
        "",
        9,
        &messages,
        // A reply joins the thread of the message it answers; anything else starts one.
        |k| {
            format!(
                "(${a}, ${b}, ${c}, ${d}, ${e}, ${i}, ${f}, ${g}, ${h}, COALESCE((SELECT p.thread_id FROM messages p WHERE p.id = ${h}), ${a}))",
                a = k,
                b = k + 1,
                c = k + 2,
                d = k + 3,
                e = k + 4,
                f = k + 5,
                g = k + 6,
                h = k + 7,
                i = k + 8
            )
        },
        |q, m| {
            q.bind(&m.id)
                .bind(&m.sender)
                .bind(&m.sender_user_id)
                .bind(&m.subject)
                .bind(&m.body)
                .bind(m.sent_at)
                .bind(&m.idempotency_key)
                .bind(&m.reply_to)
                .bind(&m.body_sha256)
        },
    )
    .await?;
    // Each message is found in its sender's mailbox and in each recipient's.
    let items: Vec<crate::SearchItem> =
        batch
            .iter()
            .flat_map(|n| {
                let m = &n.message;
                std::iter::once(crate::search::message_item(
                    m,
                    &m.sender,
                    m.sent_at,
                    &n.search_text,
                ))
                .chain(n.deliveries.iter().map(|d| {
                    crate::search::message_item(m, &d.recipient, d.sent_at, &n.search_text)
                }))
            })
            .collect();
    super::search::index_in(conn, &items).await?;
    let deliveries: Vec<&Delivery> = batch.iter().flat_map(|n| &n.deliveries).collect();
    insert_rows(
        conn,
        "deliveries (message_id, recipient, sent_at, delivered_at, opened_at, deemed_at, deemable)",
        "",
        5,
        &deliveries,
        |k| {
            format!(
                "(${}, ${}, ${}, ${}, NULL, NULL, ${})",
                k,
                k + 1,
                k + 2,
                k + 3,
                k + 4
            )
        },
        |q, d| {
            q.bind(&d.message_id)
                .bind(&d.recipient)
                .bind(d.sent_at)
                .bind(d.delivered_at)
                .bind(flag(d.deemable))
        },
    )
    .await?;
    let attachments: Vec<&Attachment> = batch.iter().flat_map(|n| &n.attachments).collect();
    insert_rows(
        conn,
        "attachments (message_id, n, name, size, sha256, media_type)",
        "",
        6,
        &attachments,
        |k| marks(k, 6),
        |q, a| {
            q.bind(&a.message_id)
                .bind(a.n)
                .bind(&a.name)
                .bind(a.size)
                .bind(&a.sha256)
                .bind(&a.media_type)
        },
    )
    .await?;
    let letters: Vec<&PaperLetter> = batch.iter().flat_map(|n| &n.letters).collect();
    insert_rows(
        conn,
        "paper_letters (id, message_id, tracking_number, verification_code, recipient_name, street, postal_code, city, service_point_id, batch_id, pages, pdf_sha256, created_at, outcome, outcome_at, outcome_by)",
        "",
        12,
        &letters,
        |k| {
            let v: Vec<String> = (k..k + 9).map(|i| format!("${i}")).collect();
            format!(
                "({}, NULL, ${}, ${}, ${}, NULL, NULL, NULL)",
                v.join(", "),
                k + 9,
                k + 10,
                k + 11
            )
        },
        |q, l| {
            q.bind(&l.id)
                .bind(&l.message_id)
                .bind(&l.tracking_number)
                .bind(&l.verification_code)
                .bind(&l.recipient_name)
                .bind(&l.street)
                .bind(&l.postal_code)
                .bind(&l.city)
                .bind(&l.service_point_id)
                .bind(l.pages)
                .bind(&l.pdf_sha256)
                .bind(l.created_at)
        },
    )
    .await?;
    let evidence: Vec<&EvidenceRecord> = batch.iter().flat_map(|n| &n.evidence).collect();
    insert_evidence(conn, &evidence).await?;
    let submissions: Vec<&crate::forms::NewSubmission> =
        batch.iter().filter_map(|n| n.submission.as_ref()).collect();
    forms::insert_submissions(conn, &submissions).await?;
    // One row per person however many of the batch's messages reach them, in a fixed order
    // (two instances' commits then lock the rows in the same order).
    let mut counts: std::collections::BTreeMap<&str, i64> = Default::default();
    for u in batch.iter().flat_map(|n| &n.notify) {
        *counts.entry(u.as_str()).or_default() += 1;
    }
    let now = batch.iter().map(|n| n.message.sent_at).max().unwrap_or(0);
    let counts: Vec<(&str, i64)> = counts.into_iter().collect();
    notices::add_pending(conn, &counts, now).await
}

impl SqlStore {
    /// One page of a mailbox folder, newest first, narrowed by the filter's reference and
    /// time range and, when given, to the messages `ids` (what a search found).
    async fn list_page(
        &self,
        address: &str,
        folder: Folder,
        filter: &ListFilter,
        before: Option<(Millis, String)>,
        limit: i64,
        ids: Option<&[String]>,
    ) -> Result<Vec<MessageSummary>> {
        // Keyset pagination on (sent_at, id), newest first; the inbox and sent folders each
        // walk an index, the archive merges both sides.
        let mut narrow = String::from(
            "($6 IS NULL OR m.id LIKE $6) AND ($7 IS NULL OR m.sent_at >= $7) AND ($8 IS NULL OR m.sent_at < $8)",
        );
        if let Some(ids) = ids {
            if ids.is_empty() {
                return Ok(Vec::new());
            }
            let marks: Vec<String> = (0..ids.len()).map(|k| format!("${}", k + 9)).collect();
            narrow.push_str(&format!(" AND m.id IN ({})", marks.join(", ")));
        }
        // The messages a search found are looked up one by one (a CROSS JOIN keeps SQLite
        // from walking the whole inbox in date order to meet them); a folder is walked.
        let join = if ids.is_some() {
            "messages m CROSS JOIN deliveries d WHERE d.message_id = m.id AND"
        } else {
            "deliveries d JOIN messages m ON m.id = d.message_id WHERE"
        };
        let inbox = |archived: &str| {
            format!(
                "SELECT m.id AS id, m.sender AS sender, m.subject AS subject, d.sent_at AS sent_at, d.opened_at AS opened_at, \
                 d.deemed_at AS deemed_at, d.delivered_at AS delivered_at, d.deemable AS deemable, 0 AS outgoing \
                 FROM {join} d.recipient = $1 AND d.archived_at IS {archived} AND {narrow}"
            )
        };
        // Likewise the sent folder: `m.sender || ''` is no column an index has, so the
        // found ids drive (SQLite would otherwise walk the sent folder in date order).
        let sender = if ids.is_some() {
            "m.sender || ''"
        } else {
            "m.sender"
        };
        let sent = |archived: &str| {
            format!(
                "SELECT m.id AS id, m.sender AS sender, m.subject AS subject, m.sent_at AS sent_at, NULL AS opened_at, \
                 NULL AS deemed_at, NULL AS delivered_at, 0 AS deemable, 1 AS outgoing \
                 FROM messages m WHERE {sender} = $1 AND m.sender_archived_at IS {archived} AND {narrow}"
            )
        };
        let source = match folder {
            Folder::Inbox => inbox("NULL"),
            Folder::Sent => sent("NULL"),
            Folder::Archive => format!("{} UNION ALL {}", inbox("NOT NULL"), sent("NOT NULL")),
        };
        let (at, id) = before.unwrap_or((i64::MAX, String::new()));
        let sql = format!(
            "SELECT * FROM ({source}) x WHERE (x.sent_at < $2 OR (x.sent_at = $2 AND x.id < $3) OR $4 = 1) \
             ORDER BY x.sent_at DESC, x.id DESC LIMIT $5"
        );
        let reference = filter
            .reference
            .as_deref()
            .map(|t| format!("%{}%", t.to_lowercase().replace(['%', '_'], "")));
        let mut q = sqlx::query(&sql)
            .bind(address)
            .bind(at)
            .bind(&id)
            .bind(flag(id.is_empty() && at == i64::MAX))
            .bind(limit)
            .bind(reference)
            .bind(filter.since)
            .bind(filter.until);
        for i in ids.unwrap_or_default() {
            q = q.bind(i.as_str());
        }
        let rows = q.fetch_all(&self.reader).await?;
        let mut out = Vec::with_capacity(rows.len());
        for r in &rows {
            out.push(MessageSummary {
                id: r.try_get("id")?,
                sender: r.try_get("sender")?,
                subject: r.try_get("subject")?,
                sent_at: r.try_get("sent_at")?,
                opened_at: r.try_get("opened_at")?,
                deemed_at: r.try_get("deemed_at")?,
                delivered_at: r.try_get("delivered_at")?,
                deemable: r.try_get::<i64, _>("deemable")? != 0,
                outgoing: r.try_get::<i64, _>("outgoing")? != 0,
            });
        }
        Ok(out)
    }
}
