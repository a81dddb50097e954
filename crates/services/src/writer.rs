//! Group commit of new messages: concurrent senders hand their message and its attachments'
//! bytes to one writer task, which stores whatever has queued up together and answers each
//! sender with its own result. For a batch it packs the attachments (one write, one
//! fdatasync; see `blobs`), then commits every message with the blobs' places in a single
//! transaction (one fsync). On SQLite, with one writer connection, this is what lets many
//! messages per second be durable without several fsyncs each.

use crate::blobs::Blobs;
use bytes::Bytes;
use okienko_store::{NewMessage, PackedBlob, Store, StoreError};
use std::collections::HashSet;
use std::sync::Arc;
use tokio::sync::{mpsc, oneshot};

/// A message, the blobs it refers to (SHA-256 hex, bytes), and who waits.
type Job = (
    NewMessage,
    Vec<(String, Bytes)>,
    oneshot::Sender<Result<(), StoreError>>,
);

/// Most messages stored in one transaction.
const BATCH: usize = 256;

#[derive(Clone)]
pub struct MessageWriter {
    tx: mpsc::Sender<Job>,
}

/// Stores a batch's attachment bytes before the batch is committed: packed (returning their
/// places) when blobs are local, else put one by one into the object store.
async fn store_blobs(
    store: &dyn Store,
    blobs: &Blobs,
    data: Vec<Vec<(String, Bytes)>>,
) -> Result<Vec<PackedBlob>, String> {
    let mut seen = HashSet::new();
    let mut pending: Vec<(String, Bytes)> = Vec::new();
    for (key, bytes) in data.into_iter().flatten() {
        if seen.insert(key.clone()) {
            pending.push((key, bytes));
        }
    }
    if !blobs.packs() {
        for (_, bytes) in pending {
            blobs.put(bytes).await.map_err(|e| e.to_string())?;
        }
        return Ok(Vec::new());
    }
    let keys: Vec<String> = pending.iter().map(|(k, _)| k.clone()).collect();
    let known: HashSet<String> = store
        .packed_among(&keys)
        .await
        .map_err(|e| e.to_string())?
        .into_iter()
        .collect();
    pending.retain(|(k, _)| !known.contains(k));
    blobs.pack(pending).await.map_err(|e| e.to_string())
}

impl MessageWriter {
    /// Starts the writer task on the current runtime.
    pub fn start(store: Arc<dyn Store>, blobs: Blobs) -> Self {
        let (tx, mut rx) = mpsc::channel::<Job>(4 * BATCH);
        tokio::spawn(async move {
            let mut jobs: Vec<Job> = Vec::with_capacity(BATCH);
            while rx.recv_many(&mut jobs, BATCH).await > 0 {
                let mut batch = Vec::with_capacity(jobs.len());
                let mut data = Vec::with_capacity(jobs.len());
                let mut answers = Vec::with_capacity(jobs.len());
                for (m, d, a) in jobs.drain(..) {
                    batch.push(m);
                    data.push(d);
                    answers.push(a);
                }
                let stored = match store_blobs(store.as_ref(), &blobs, data).await {
                    Ok(places) => store
                        .insert_messages(&places, &batch)
                        .await
                        .map_err(|e| e.to_string()),
                    Err(e) => Err(e),
                };
                match stored {
                    Ok(results) => {
                        for (r, answer) in results.into_iter().zip(answers) {
                            let _ = answer.send(r);
                        }
                    }
                    Err(text) => {
                        tracing::error!(error = %text, "storing a batch of messages");
                        for answer in answers {
                            let _ = answer.send(Err(StoreError::Db(text.clone())));
                        }
                    }
                }
            }
        });
        MessageWriter { tx }
    }

    /// Stores one message with the blobs it refers to (SHA-256 hex, bytes); answers once its
    /// batch is committed.
    pub async fn insert(
        &self,
        m: NewMessage,
        blobs: Vec<(String, Bytes)>,
    ) -> Result<(), StoreError> {
        let (answer, rx) = oneshot::channel();
        self.tx
            .send((m, blobs, answer))
            .await
            .map_err(|_| StoreError::Db("the message writer has stopped".into()))?;
        rx.await
            .map_err(|_| StoreError::Db("the message writer has stopped".into()))?
    }
}
