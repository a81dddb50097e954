//! Password hashing with argon2id on a small set of dedicated threads (one per core), so a
//! burst of logins cannot starve page rendering of the async runtime, and so the 19 MiB
//! working memory of each hash is reused by the same few threads instead of being spread
//! over a growing pool of blocking threads (each keeping its own allocator arena).

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use std::sync::{mpsc, Arc, Mutex};
use tokio::sync::oneshot;

/// OWASP Password Storage Cheat Sheet (2024) minimum for argon2id: 19 MiB, 2 iterations,
/// parallelism 1.
pub const MEMORY_KIB: u32 = 19 * 1024;
pub const ITERATIONS: u32 = 2;
pub const PARALLELISM: u32 = 1;

enum Job {
    Hash(String, oneshot::Sender<anyhow::Result<String>>),
    Verify(String, String, oneshot::Sender<bool>),
}

#[derive(Clone)]
pub struct Hasher {
    jobs: mpsc::Sender<Job>,
    /// A hash of a random password, verified against when the account does not exist, so
    /// that a missing account costs the same time as a wrong password.
    dummy: Arc<String>,
}

impl Hasher {
    pub fn new() -> anyhow::Result<Self> {
        Self::with_params(MEMORY_KIB, ITERATIONS, PARALLELISM)
    }

    pub fn with_params(m: u32, t: u32, p: u32) -> anyhow::Result<Self> {
        let params =
            Params::new(m, t, p, None).map_err(|e| anyhow::anyhow!("argon2 params: {e}"))?;
        let threads = std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(2);
        let dummy = hash_sync(&params, &crate::new_secret().0)?;
        let (tx, rx) = mpsc::channel::<Job>();
        let rx = Arc::new(Mutex::new(rx));
        for i in 0..threads {
            let rx = rx.clone();
            let params = params.clone();
            std::thread::Builder::new()
                .name(format!("argon2-{i}"))
                .spawn(move || loop {
                    let job = match rx.lock() {
                        Ok(r) => r.recv(),
                        Err(_) => return,
                    };
                    match job {
                        Ok(Job::Hash(pw, reply)) => {
                            let _ = reply.send(hash_sync(&params, &pw));
                        }
                        Ok(Job::Verify(pw, hash, reply)) => {
                            let ok = PasswordHash::new(&hash)
                                .map(|parsed| {
                                    Argon2::default()
                                        .verify_password(pw.as_bytes(), &parsed)
                                        .is_ok()
                                })
                                .unwrap_or(false);
                            let _ = reply.send(ok);
                        }
                        Err(_) => return, // every Hasher is gone
                    }
                })?;
        }
        Ok(Hasher {
            jobs: tx,
            dummy: Arc::new(dummy),
        })
    }

    pub async fn hash(&self, password: &str) -> anyhow::Result<String> {
        let (reply, rx) = oneshot::channel();
        self.jobs
            .send(Job::Hash(password.to_string(), reply))
            .map_err(|_| anyhow::anyhow!("hashing threads stopped"))?;
        rx.await?
    }

    /// True when `password` matches `hash` (or, with no hash, after the same work: false).
    pub async fn verify(&self, password: &str, hash: Option<&str>) -> bool {
        let (h, known) = match hash {
            Some(h) => (h.to_string(), true),
            None => (self.dummy.as_ref().clone(), false),
        };
        let (reply, rx) = oneshot::channel();
        if self
            .jobs
            .send(Job::Verify(password.to_string(), h, reply))
            .is_err()
        {
            return false;
        }
        rx.await.unwrap_or(false) && known
    }
}

fn hash_sync(params: &Params, pw: &str) -> anyhow::Result<String> {
    let salt = SaltString::generate(&mut rand::rngs::OsRng);
    let a = Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone());
    a.hash_password(pw.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| anyhow::anyhow!("argon2: {e}"))
}

#[cfg(test)]
mod tests {
    #[tokio::test]
    async fn hash_and_verify() {
        let h = super::Hasher::with_params(1024, 1, 1).expect("hasher");
        let hash = h.hash("correct horse").await.expect("hash");
        assert!(hash.starts_with("$argon2id$"));
        assert!(h.verify("correct horse", Some(&hash)).await);
        assert!(!h.verify("wrong horse", Some(&hash)).await);
        assert!(!h.verify("correct horse", None).await);
        assert!(!h.verify("x", Some("not a hash")).await);
    }
}
