//! Group commit for small writes that all take the same rows (a case's number, the audit
//! chain's head): concurrent requests queue up, and one task stores everything that waits (up
//! to a limit) in one transaction. Each request still gets its own answer, and nothing is
//! answered before its commit. Without it every request waited for the one before to commit
//! (its row locks and its fsync), so requests per second stopped at the disk's commit rate.

use std::future::Future;
use tokio::sync::{mpsc, oneshot};

/// A queue in front of one storing function.
pub struct Batcher<T, R> {
    tx: mpsc::Sender<(T, oneshot::Sender<R>)>,
}

impl<T, R> Clone for Batcher<T, R> {
    fn clone(&self) -> Self {
        Batcher {
            tx: self.tx.clone(),
        }
    }
}

impl<T: Send + 'static, R: Send + 'static> Batcher<T, R> {
    /// Starts the task that stores batches of at most `max` with `store`, which answers
    /// each item in order.
    pub fn start<F, Fut>(max: usize, store: F) -> Self
    where
        F: Fn(Vec<T>) -> Fut + Send + 'static,
        Fut: Future<Output = Vec<R>> + Send,
    {
        let (tx, mut rx) = mpsc::channel::<(T, oneshot::Sender<R>)>(max.max(1) * 4);
        tokio::spawn(async move {
            while let Some(first) = rx.recv().await {
                let mut items = vec![first];
                while items.len() < max {
                    match rx.try_recv() {
                        Ok(next) => items.push(next),
                        Err(_) => break,
                    }
                }
                let (values, replies): (Vec<T>, Vec<_>) = items.into_iter().unzip();
                for (reply, answer) in replies.into_iter().zip(store(values).await) {
                    // The requester may have gone (a closed connection): nothing to tell.
                    let _ = reply.send(answer);
                }
            }
        });
        Batcher { tx }
    }

    /// Stores one item with the others waiting; `None` if the storing task has stopped.
    pub async fn submit(&self, item: T) -> Option<R> {
        let (reply, answer) = oneshot::channel();
        self.tx.send((item, reply)).await.ok()?;
        answer.await.ok()
    }
}
