//! Private keys at rest, sealed with ChaCha20-Poly1305 under the installation's master key.
//! A sealed key is `hex(nonce || ciphertext)`; the key's name is bound as associated
//! data, so a sealed key cannot be swapped for another one.

use crate::{Result, TrustError};
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{ChaCha20Poly1305, Key, Nonce};

pub struct MasterKey(Key);

impl MasterKey {
    /// From 32 raw bytes or 64 hex characters.
    pub fn parse(text: &str) -> Result<Self> {
        let t = text.trim();
        let bytes = hex::decode(t).map_err(|_| {
            TrustError::Key("the master key must be 64 hexadecimal characters".into())
        })?;
        if bytes.len() != 32 {
            return Err(TrustError::Key(
                "the master key must be 32 bytes (64 hexadecimal characters)".into(),
            ));
        }
        Ok(MasterKey(*Key::from_slice(&bytes)))
    }

    pub fn generate_hex() -> String {
        use rand_core::RngCore;
        let mut b = [0u8; 32];
        rand_core::OsRng.fill_bytes(&mut b);
        hex::encode(b)
    }

    pub fn seal(&self, name: &str, secret: &[u8]) -> Result<String> {
        use rand_core::RngCore;
        let mut nonce = [0u8; 12];
        rand_core::OsRng.fill_bytes(&mut nonce);
        let c = ChaCha20Poly1305::new(&self.0)
            .encrypt(
                Nonce::from_slice(&nonce),
                Payload {
                    msg: secret,
                    aad: name.as_bytes(),
                },
            )
            .map_err(|_| TrustError::Key("sealing failed".into()))?;
        let mut out = nonce.to_vec();
        out.extend_from_slice(&c);
        Ok(hex::encode(out))
    }

    pub fn open(&self, name: &str, sealed: &str) -> Result<Vec<u8>> {
        let raw = hex::decode(sealed)
            .map_err(|_| TrustError::Key(format!("sealed key {name} is not hex")))?;
        if raw.len() < 12 + 16 {
            return Err(TrustError::Key(format!("sealed key {name} is truncated")));
        }
        let (nonce, c) = raw.split_at(12);
        ChaCha20Poly1305::new(&self.0)
            .decrypt(
                Nonce::from_slice(nonce),
                Payload {
                    msg: c,
                    aad: name.as_bytes(),
                },
            )
            .map_err(|_| {
                TrustError::Key(format!(
                    "cannot open key {name}: wrong master key or damaged data"
                ))
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seal_open_and_wrong_key_or_name() {
        let k = MasterKey::parse(&MasterKey::generate_hex()).expect("key");
        let s = k.seal("tsa", b"secret").expect("seal");
        assert_eq!(k.open("tsa", &s).expect("open"), b"secret");
        assert!(k.open("root", &s).is_err());
        let other = MasterKey::parse(&MasterKey::generate_hex()).expect("key");
        assert!(other.open("tsa", &s).is_err());
        assert!(MasterKey::parse("abc").is_err());
    }
}
