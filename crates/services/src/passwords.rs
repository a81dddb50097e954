//! Password hashing with argon2id on a bounded pool of blocking threads, so a burst of
//! logins cannot starve page rendering of the async runtime.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use std::sync::Arc;
use tokio::sync::Semaphore;

/// OWASP Password Storage Cheat Sheet (2024) minimum for argon2id: 19 MiB, 2 iterations,
/// parallelism 1.
pub const MEMORY_KIB: u32 = 19 * 1024;
pub const ITERATIONS: u32 = 2;
pub const PARALLELISM: u32 = 1;

#[derive(Clone)]
pub struct Hasher {
    permits: Arc<Semaphore>,
    params: Params,
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
        Ok(Hasher {
            permits: Arc::new(Semaphore::new(threads)),
            params,
            dummy: Arc::new(dummy),
        })
    }

    pub async fn hash(&self, password: &str) -> anyhow::Result<String> {
        let _permit = self.permits.acquire().await?;
        let params = self.params.clone();
        let pw = password.to_string();
        tokio::task::spawn_blocking(move || hash_sync(&params, &pw)).await?
    }

    /// True when `password` matches `hash` (or, with no hash, after the same work: false).
    pub async fn verify(&self, password: &str, hash: Option<&str>) -> bool {
        let Ok(_permit) = self.permits.acquire().await else {
            return false;
        };
        let pw = password.to_string();
        let (h, known) = match hash {
            Some(h) => (h.to_string(), true),
            None => (self.dummy.as_ref().clone(), false),
        };
        let ok = tokio::task::spawn_blocking(move || {
            PasswordHash::new(&h)
                .map(|parsed| {
                    Argon2::default()
                        .verify_password(pw.as_bytes(), &parsed)
                        .is_ok()
                })
                .unwrap_or(false)
        })
        .await
        .unwrap_or(false);
        ok && known
    }
}

fn hash_sync(params: &Params, pw: &str) -> anyhow::Result<String> {
    let salt = SaltString::generate(&mut rand::rngs::OsRng);
    let a = Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone());
    a.hash_password(pw.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| anyhow::anyhow!("argon2: {e}"))
}
