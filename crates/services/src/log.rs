//! The evidence log service: one sequencer task appends leaves in batches (one transaction,
//! one fsync per batch), keeps the tree's compact range in memory, and signs a tree head at
//! least every second while there is new data. One sequencer per installation: a second
//! writer is refused by the store (its expected size no longer matches).
//!
//! New messages come through here too (group commit): a batch's attachments are packed and
//! synced, then its leaves and its messages are committed in one transaction, so a message
//! and its evidence are durable together and concurrent senders share the syncs. A cash
//! receipt is committed the same way, with its row and audit event. Packing and
//! committing are two tasks, so batch N+1's blobs are written while batch N commits; commits
//! stay in order.

use crate::blobs::Blobs;
use crate::Clock;
use base64::Engine;
use bytes::Bytes;
use okienko_store::{NewMessage, Store, StoreError, TreeHead};
use okienko_trust::merkle::{self, Hash};
use okienko_trust::p256::ecdsa::{signature::Signer, DerSignature, SigningKey};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::{mpsc, oneshot, RwLock};

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

/// A signed tree head as served at `/log/v1/sth`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedTreeHead {
    pub tree_size: u64,
    pub timestamp: u64,
    pub root: Hash,
    pub signature: Vec<u8>,
}

/// The peaks of the tree: perfect subtrees of decreasing size, from which the root of the
/// whole tree follows in O(log n) (RFC 9162's MTH splits at the largest power of two).
#[derive(Default, Clone)]
struct CompactRange {
    peaks: Vec<(u64, Hash)>,
}

impl CompactRange {
    fn push(&mut self, h: Hash) {
        let mut cur = (1u64, h);
        while let Some(&(size, left)) = self.peaks.last() {
            if size != cur.0 {
                break;
            }
            self.peaks.pop();
            cur = (size * 2, merkle::node_hash(&left, &cur.1));
        }
        self.peaks.push(cur);
    }

    fn root(&self) -> Hash {
        let mut it = self.peaks.iter().rev();
        match it.next() {
            None => merkle::root(&[]),
            Some(&(_, last)) => it.fold(last, |acc, (_, left)| merkle::node_hash(left, &acc)),
        }
    }
}

struct State {
    hashes: Vec<Hash>,
    range: CompactRange,
    sth: Option<SignedTreeHead>,
}

/// A message stored in the same transaction as its evidence's leaves: the message (its
/// evidence records in the order of the leaves) and the blobs it refers to.
pub type MessageToStore = (NewMessage, Vec<(String, Bytes)>);

/// The first leaf's index and the message's own result (a repeated idempotency key), or why
/// nothing was committed.
type Appended = Result<(u64, Result<(), StoreError>), String>;

struct Append {
    leaves: Vec<Vec<u8>>,
    message: Option<MessageToStore>,
    /// Another signed record (its one leaf is `leaves[0]`), stored with its audit event.
    record: Option<RecordToStore>,
    reply: oneshot::Sender<Appended>,
}

/// A signed record (a cash receipt, a receipt's void) and its audit event, stored in the
/// commit that logs it.
pub type RecordToStore = (
    okienko_store::SignedRecord,
    okienko_domain::audit::AuditEvent,
);

#[derive(Clone)]
pub struct EvidenceLog {
    tx: mpsc::Sender<Append>,
    state: Arc<RwLock<State>>,
    store: Arc<dyn Store>,
}

/// Where the sequencer commits: the store, and the blobs messages refer to.
struct Sink {
    store: Arc<dyn Store>,
    blobs: Blobs,
    clock: Arc<dyn Clock>,
}

fn decode_hash(hex_text: &str) -> anyhow::Result<Hash> {
    let v = hex::decode(hex_text)?;
    v.try_into().map_err(|_| anyhow::anyhow!("bad leaf hash"))
}

pub fn sign_head(key: &SigningKey, tree_size: u64, timestamp: u64, root: &Hash) -> Vec<u8> {
    let sig: DerSignature = key.sign(&merkle::tree_head_input(timestamp, tree_size, root));
    sig.as_bytes().to_vec()
}

impl EvidenceLog {
    /// Loads the log and starts its sequencer.
    pub async fn start(
        store: Arc<dyn Store>,
        blobs: Blobs,
        key: SigningKey,
        clock: Arc<dyn Clock>,
    ) -> anyhow::Result<Self> {
        let hashes: Vec<Hash> = store
            .log_leaf_hashes(0)
            .await?
            .iter()
            .map(|h| decode_hash(h))
            .collect::<anyhow::Result<_>>()?;
        let mut range = CompactRange::default();
        for h in &hashes {
            range.push(*h);
        }
        let sth = match store.latest_tree_head().await? {
            Some(h) => Some(SignedTreeHead {
                tree_size: h.tree_size as u64,
                timestamp: h.timestamp_ms as u64,
                root: decode_hash(&h.root_hash)?,
                signature: B64.decode(&h.signature)?,
            }),
            None => None,
        };
        let state = Arc::new(RwLock::new(State { hashes, range, sth }));
        let (tx, rx) = mpsc::channel(4096);
        let sink = Sink {
            store: store.clone(),
            blobs,
            clock,
        };
        tokio::spawn(sequencer(rx, state.clone(), sink, key));
        Ok(EvidenceLog { tx, state, store })
    }

    /// Appends leaves; answers with the index of the first once they are committed.
    pub async fn append(&self, leaves: Vec<Vec<u8>>) -> anyhow::Result<u64> {
        Ok(self.submit(leaves, None, None).await?.0)
    }

    /// Appends a message's evidence (`leaves`, in the order of its evidence records) and
    /// stores the message in the same transaction, its records numbered by their leaves.
    /// Concurrent messages share one commit. Answers once both are durable; the inner result
    /// is the message's own (a conflict for a repeated idempotency key).
    pub async fn append_message(
        &self,
        leaves: Vec<Vec<u8>>,
        message: MessageToStore,
    ) -> anyhow::Result<Result<(), StoreError>> {
        Ok(self.submit(leaves, Some(message), None).await?.1)
    }

    /// Appends a signed record (`leaf`) and stores it, numbered by its leaf, with its audit
    /// event in the same transaction. Returns its log index once both are durable.
    pub async fn append_record(&self, leaf: Vec<u8>, record: RecordToStore) -> anyhow::Result<u64> {
        Ok(self.submit(vec![leaf], None, Some(record)).await?.0)
    }

    async fn submit(
        &self,
        leaves: Vec<Vec<u8>>,
        message: Option<MessageToStore>,
        record: Option<RecordToStore>,
    ) -> anyhow::Result<(u64, Result<(), StoreError>)> {
        let (reply, rx) = oneshot::channel();
        self.tx
            .send(Append {
                leaves,
                message,
                record,
                reply,
            })
            .await
            .map_err(|_| anyhow::anyhow!("evidence log stopped"))?;
        rx.await
            .map_err(|_| anyhow::anyhow!("evidence log stopped"))?
            .map_err(|e| anyhow::anyhow!(e))
    }

    /// Takes in what other instances appended since this one last looked (the committer
    /// also does so every 200 ms).
    pub async fn refresh(&self) -> anyhow::Result<()> {
        catch_up(&self.state, self.store.as_ref()).await.map(|_| ())
    }

    pub async fn sth(&self) -> Option<SignedTreeHead> {
        self.state.read().await.sth.clone()
    }

    pub async fn size(&self) -> u64 {
        self.state.read().await.hashes.len() as u64
    }

    /// Inclusion proof of the leaf with this hash in the tree of `tree_size` leaves.
    pub async fn proof_by_hash(
        &self,
        leaf_hash: &Hash,
        tree_size: u64,
    ) -> Option<(u64, Vec<Hash>)> {
        // A leaf another instance appended a moment ago.
        if tree_size > self.size().await {
            let _ = self.refresh().await;
        }
        let st = self.state.read().await;
        let n = usize::try_from(tree_size)
            .ok()
            .filter(|n| *n <= st.hashes.len() && *n > 0)?;
        let idx = st.hashes[..n].iter().position(|h| h == leaf_hash)?;
        Some((idx as u64, merkle::inclusion_proof(idx, &st.hashes[..n])))
    }

    /// Consistency proof between two tree sizes, or None when they are not both in the log.
    pub async fn consistency(&self, first: u64, second: u64) -> Option<Vec<Hash>> {
        let st = self.state.read().await;
        let (m, n) = (usize::try_from(first).ok()?, usize::try_from(second).ok()?);
        if m > n || n > st.hashes.len() {
            return None;
        }
        Some(merkle::consistency_proof(m, &st.hashes[..n]))
    }
}

/// A batch whose blobs are packed and synced, on its way to its commit.
struct Packed {
    batch: Vec<Append>,
    places: Result<Vec<okienko_store::PackedBlob>, String>,
}

/// Takes batches off the queue and packs their blobs, then hands them to the committer. Two
/// stages, so that one batch's blobs are written and synced while the batch before it is
/// being committed; the hand-over holds one batch, so order is kept and memory bounded.
async fn sequencer(
    mut rx: mpsc::Receiver<Append>,
    state: Arc<RwLock<State>>,
    sink: Sink,
    key: SigningKey,
) {
    let (to_commit, committing) = mpsc::channel::<Packed>(1);
    let sink = Arc::new(sink);
    let committer = tokio::spawn(committer(committing, state, sink.clone(), key));
    while let Some(first) = rx.recv().await {
        let mut batch = vec![first];
        let mut count = batch[0].leaves.len();
        // Bounded so that a backlog is worked off in commits of a few megabytes each rather
        // than one long one that everyone waits for.
        while count < 1024 {
            match rx.try_recv() {
                Ok(m) => {
                    count += m.leaves.len();
                    batch.push(m);
                }
                Err(_) => break,
            }
        }
        let blobs: Vec<Vec<(String, Bytes)>> = batch
            .iter_mut()
            .filter_map(|a| a.message.as_mut().map(|(_, b)| std::mem::take(b)))
            .collect();
        let places = if blobs.iter().all(|b| b.is_empty()) {
            Ok(Vec::new())
        } else {
            sink.blobs
                .store_for_commit(sink.store.as_ref(), blobs)
                .await
                .map_err(|e| e.to_string())
        };
        if to_commit.send(Packed { batch, places }).await.is_err() {
            break;
        }
    }
    drop(to_commit);
    let _ = committer.await;
}

/// Commits packed batches in order, and signs a tree head at least every second while there
/// is new data.
async fn committer(
    mut rx: mpsc::Receiver<Packed>,
    state: Arc<RwLock<State>>,
    sink: Arc<Sink>,
    key: SigningKey,
) {
    let (store, clock) = (sink.store.clone(), sink.clock.clone());
    let mut tick = tokio::time::interval(Duration::from_millis(200));
    let mut last_head = Instant::now() - Duration::from_secs(2);
    loop {
        tokio::select! {
            p = rx.recv() => {
                let Some(p) = p else { break };
                commit(&state, &sink, p).await;
            }
            _ = tick.tick() => {
                if let Err(e) = catch_up(&state, store.as_ref()).await {
                    tracing::warn!(error = %e, "reading what other instances appended to the log");
                }
            }
        }
        if last_head.elapsed() >= Duration::from_secs(1) {
            match sign_if_new(&state, store.as_ref(), &key, &clock).await {
                Ok(true) => last_head = Instant::now(),
                Ok(false) => {}
                Err(e) => tracing::error!(error = %e, "signing a tree head"),
            }
        }
    }
}

async fn commit(state: &RwLock<State>, sink: &Sink, packed: Packed) {
    let Packed { mut batch, places } = packed;
    let mut rows = Vec::new();
    let mut hashes = Vec::new();
    let mut offsets = Vec::with_capacity(batch.len());
    for a in &batch {
        offsets.push(rows.len() as u64);
        for l in &a.leaves {
            let h = merkle::leaf_hash(l);
            rows.push((hex::encode(h), B64.encode(l)));
            hashes.push(h);
        }
    }
    // The messages and other records in the batch, and which append each came from.
    let mut messages = Vec::new();
    let mut senders = Vec::new();
    let mut records = Vec::new();
    let mut recorders = Vec::new();
    for (k, a) in batch.iter_mut().enumerate() {
        if let Some((m, _)) = a.message.take() {
            messages.push(m);
            senders.push(k);
        }
        if let Some(r) = a.record.take() {
            records.push(r);
            recorders.push(k);
        }
    }
    let store = sink.store.as_ref();
    let mut tries = 0;
    let stored = loop {
        let places = match &places {
            Ok(p) => p,
            Err(e) => break Err(e.clone()),
        };
        // Records are numbered by where their leaves go: after the log as this instance
        // knows it.
        let expected = state.read().await.hashes.len() as i64;
        for (m, k) in messages.iter_mut().zip(&senders) {
            for (j, e) in m.evidence.iter_mut().enumerate() {
                e.log_index = expected + (offsets[*k] + j as u64) as i64;
            }
        }
        for ((r, _), k) in records.iter_mut().zip(&recorders) {
            r.set_log_index(expected + offsets[*k] as i64);
        }
        let at = okienko_domain::to_millis(sink.clock.now());
        let result = if messages.is_empty() && records.is_empty() {
            store
                .append_log_leaves(expected, &rows, at)
                .await
                .map(|first| (first, Vec::new()))
        } else {
            store
                .append_log_and_messages(expected, &rows, at, places, &messages, &records)
                .await
        };
        match result {
            // Another instance appended meanwhile: take in its leaves and number again.
            Err(StoreError::Conflict(e)) if tries < 100 => {
                tries += 1;
                match catch_up(state, store).await {
                    Ok(n) if n > 0 => continue,
                    // Not the log: something in the batch itself clashed.
                    Ok(_) => break Err(format!("conflict: {e}")),
                    Err(e) => break Err(e.to_string()),
                }
            }
            // The database broke a deadlock with another instance's transaction by ending
            // this one: nothing of it was kept, so it is tried again.
            Err(StoreError::Transient(e)) if tries < 100 => {
                tries += 1;
                tracing::warn!(error = %e, "batch commit tried again");
                continue;
            }
            r => break r.map_err(|e| e.to_string()),
        }
    };
    match stored {
        Ok((first, results)) => {
            {
                let mut st = state.write().await;
                // A catch-up may have taken these leaves in already.
                if st.hashes.len() as i64 == first {
                    for h in &hashes {
                        st.range.push(*h);
                    }
                    st.hashes.extend(hashes);
                }
            }
            let mut own: Vec<Option<Result<(), StoreError>>> = batch.iter().map(|_| None).collect();
            for (k, r) in senders.into_iter().zip(results) {
                own[k] = Some(r);
            }
            for ((a, offset), r) in batch.into_iter().zip(offsets).zip(own) {
                let _ = a
                    .reply
                    .send(Ok((first as u64 + offset, r.unwrap_or(Ok(())))));
            }
        }
        Err(e) => {
            tracing::error!(error = %e, "appending to the evidence log");
            for a in batch {
                let _ = a.reply.send(Err(e.clone()));
            }
        }
    }
}

/// Takes in the leaves other instances appended after those this one knows, and the newest
/// tree head any of them signed; returns how many leaves were new.
async fn catch_up(state: &RwLock<State>, store: &dyn Store) -> anyhow::Result<usize> {
    let mut st = state.write().await;
    let new = store.log_leaf_hashes(st.hashes.len() as i64).await?;
    for h in &new {
        let h = decode_hash(h)?;
        st.range.push(h);
        st.hashes.push(h);
    }
    if !new.is_empty() {
        if let Some(h) = store.latest_tree_head().await? {
            if st
                .sth
                .as_ref()
                .is_none_or(|s| (s.tree_size as i64) < h.tree_size)
            {
                st.sth = Some(SignedTreeHead {
                    tree_size: h.tree_size as u64,
                    timestamp: h.timestamp_ms as u64,
                    root: decode_hash(&h.root_hash)?,
                    signature: B64.decode(&h.signature)?,
                });
            }
        }
    }
    Ok(new.len())
}

async fn sign_if_new(
    state: &RwLock<State>,
    store: &dyn Store,
    key: &SigningKey,
    clock: &Arc<dyn Clock>,
) -> anyhow::Result<bool> {
    let (size, root, prev_ts) = {
        let st = state.read().await;
        let size = st.hashes.len() as u64;
        if size == 0 || st.sth.as_ref().is_some_and(|s| s.tree_size == size) {
            return Ok(false);
        }
        (
            size,
            st.range.root(),
            st.sth.as_ref().map(|s| s.timestamp).unwrap_or(0),
        )
    };
    // Tree heads never go back in time, whatever the clock does, nor behind one another
    // instance signed.
    let latest = store.latest_tree_head().await?;
    if latest.as_ref().is_some_and(|h| h.tree_size as u64 >= size) {
        return Ok(false);
    }
    let prev_ts = prev_ts.max(latest.map(|h| h.timestamp_ms.max(0) as u64).unwrap_or(0));
    let timestamp = (okienko_domain::to_millis(clock.now()).max(0) as u64).max(prev_ts);
    let signature = sign_head(key, size, timestamp, &root);
    store
        .insert_tree_head(&TreeHead {
            tree_size: size as i64,
            timestamp_ms: timestamp as i64,
            root_hash: hex::encode(root),
            signature: B64.encode(&signature),
        })
        .await?;
    state.write().await.sth = Some(SignedTreeHead {
        tree_size: size,
        timestamp,
        root,
        signature,
    });
    Ok(true)
}

/// Recomputes the whole log from storage and checks every signed tree head against it.
/// Returns (leaves, heads) checked, or the first problem found.
pub async fn verify_log(
    store: &dyn Store,
    public_key: &okienko_trust::p256::ecdsa::VerifyingKey,
) -> anyhow::Result<Result<(u64, u64), String>> {
    use okienko_trust::p256::ecdsa::signature::Verifier;
    let heads = store.tree_heads().await?;
    let mut range = CompactRange::default();
    let mut roots_at: std::collections::HashMap<u64, Hash> = std::collections::HashMap::new();
    let wanted: std::collections::HashSet<u64> = heads.iter().map(|h| h.tree_size as u64).collect();
    let mut next = 0i64;
    loop {
        let page = store.log_leaves(next, 10_000).await?;
        if page.is_empty() {
            break;
        }
        for l in &page {
            if l.idx != next {
                return Ok(Err(format!(
                    "leaf {next} is missing (the next stored leaf is {})",
                    l.idx
                )));
            }
            let bytes = B64
                .decode(&l.leaf_b64)
                .map_err(|e| anyhow::anyhow!("leaf {}: {e}", l.idx))?;
            let h = merkle::leaf_hash(&bytes);
            if hex::encode(h) != l.leaf_hash {
                return Ok(Err(format!(
                    "leaf {} was modified (its hash does not match its bytes)",
                    l.idx
                )));
            }
            range.push(h);
            next += 1;
            if wanted.contains(&(next as u64)) {
                roots_at.insert(next as u64, range.root());
            }
        }
    }
    let mut prev_ts = 0u64;
    for h in &heads {
        let size = h.tree_size as u64;
        let Some(root) = roots_at.get(&size) else {
            return Ok(Err(format!(
                "the tree head for size {size} is beyond the {next} stored leaves (leaves removed)"
            )));
        };
        if hex::encode(root) != h.root_hash {
            return Ok(Err(format!("the tree head for size {size} does not match the leaves (modified, removed or reordered)")));
        }
        let sig = B64
            .decode(&h.signature)
            .ok()
            .and_then(|s| okienko_trust::p256::ecdsa::DerSignature::try_from(s.as_slice()).ok());
        let ok = sig.is_some_and(|s| {
            public_key
                .verify(
                    &merkle::tree_head_input(h.timestamp_ms as u64, size, root),
                    &s,
                )
                .is_ok()
        });
        if !ok {
            return Ok(Err(format!(
                "the signature of the tree head for size {size} does not verify"
            )));
        }
        if (h.timestamp_ms as u64) < prev_ts {
            return Ok(Err(format!(
                "the tree head for size {size} is dated before the previous one (backdated)"
            )));
        }
        prev_ts = h.timestamp_ms as u64;
    }
    Ok(Ok((next as u64, heads.len() as u64)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compact_range_root_matches_full_root() {
        let leaves: Vec<Hash> = (0..70u32)
            .map(|i| merkle::leaf_hash(&i.to_be_bytes()))
            .collect();
        let mut r = CompactRange::default();
        assert_eq!(r.root(), merkle::root(&[]));
        for (i, h) in leaves.iter().enumerate() {
            r.push(*h);
            assert_eq!(r.root(), merkle::root(&leaves[..=i]), "size {}", i + 1);
        }
    }
}
