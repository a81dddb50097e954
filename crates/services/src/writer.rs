//! Group commit of new messages: concurrent senders hand their message to one writer task,
//! which stores whatever has queued up in a single transaction (one fsync for the batch) and
//! answers each sender with its own result. On SQLite, with one writer connection, this is
//! what lets many messages per second be durable without one fsync each.

use okienko_store::{NewMessage, Store, StoreError};
use std::sync::Arc;
use tokio::sync::{mpsc, oneshot};

type Job = (NewMessage, oneshot::Sender<Result<(), StoreError>>);

/// Most messages stored in one transaction.
const BATCH: usize = 256;

#[derive(Clone)]
pub struct MessageWriter {
    tx: mpsc::Sender<Job>,
}

impl MessageWriter {
    /// Starts the writer task on the current runtime.
    pub fn start(store: Arc<dyn Store>) -> Self {
        let (tx, mut rx) = mpsc::channel::<Job>(4 * BATCH);
        tokio::spawn(async move {
            let mut jobs: Vec<Job> = Vec::with_capacity(BATCH);
            while rx.recv_many(&mut jobs, BATCH).await > 0 {
                let (batch, answers): (Vec<NewMessage>, Vec<_>) = jobs.drain(..).unzip();
                match store.insert_messages(&batch).await {
                    Ok(results) => {
                        for (r, answer) in results.into_iter().zip(answers) {
                            let _ = answer.send(r);
                        }
                    }
                    Err(e) => {
                        let text = e.to_string();
                        for answer in answers {
                            let _ = answer.send(Err(StoreError::Db(text.clone())));
                        }
                    }
                }
            }
        });
        MessageWriter { tx }
    }

    /// Stores one message; answers once its batch is committed.
    pub async fn insert(&self, m: NewMessage) -> Result<(), StoreError> {
        let (answer, rx) = oneshot::channel();
        self.tx
            .send((m, answer))
            .await
            .map_err(|_| StoreError::Db("the message writer has stopped".into()))?;
        rx.await
            .map_err(|_| StoreError::Db("the message writer has stopped".into()))?
    }
}
