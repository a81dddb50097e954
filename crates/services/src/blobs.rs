//! Content-addressed blob storage: a local folder by default, or any S3-compatible bucket.
//! A blob's key is its SHA-256, so storing the same bytes twice keeps one copy.

use bytes::Bytes;
use object_store::aws::AmazonS3Builder;
use object_store::local::LocalFileSystem;
use object_store::path::Path;
use object_store::{ObjectStore, PutPayload};
use sha2::{Digest, Sha256};
use std::sync::Arc;

#[derive(Clone)]
pub struct Blobs {
    inner: Arc<dyn ObjectStore>,
}

impl std::fmt::Debug for Blobs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Blobs({})", self.inner)
    }
}

impl Blobs {
    /// `file://DIR` or a plain directory path for the local folder; `s3://bucket[/prefix]`
    /// with credentials from the standard `AWS_*` variables. Any other scheme is an error.
    pub fn open(url: &str) -> anyhow::Result<Self> {
        let inner: Arc<dyn ObjectStore> = if let Some(bucket) = url.strip_prefix("s3://") {
            if bucket.is_empty() {
                anyhow::bail!("blob URL {url:?} names no bucket");
            }
            Arc::new(AmazonS3Builder::from_env().with_url(url).build()?)
        } else if let Some(dir) = url.strip_prefix("file://") {
            Self::local(dir)?
        } else if url.contains("://") {
            anyhow::bail!("unsupported blob URL {url:?}: use a folder, file://DIR or s3://BUCKET");
        } else {
            Self::local(url)?
        };
        Ok(Blobs { inner })
    }

    fn local(dir: &str) -> anyhow::Result<Arc<dyn ObjectStore>> {
        std::fs::create_dir_all(dir)?;
        Ok(Arc::new(LocalFileSystem::new_with_prefix(dir)?))
    }

    fn path(sha256: &str) -> anyhow::Result<Path> {
        if sha256.len() != 64 || !sha256.bytes().all(|b| b.is_ascii_hexdigit()) {
            anyhow::bail!("not a SHA-256: {sha256}");
        }
        Ok(Path::from(format!("sha256/{}/{}", &sha256[..2], sha256)))
    }

    /// Stores bytes and returns their SHA-256 (hex).
    pub async fn put(&self, data: Bytes) -> anyhow::Result<String> {
        let sha = hex::encode(Sha256::digest(&data));
        self.inner
            .put(&Self::path(&sha)?, PutPayload::from_bytes(data))
            .await?;
        Ok(sha)
    }

    pub async fn get(&self, sha256: &str) -> anyhow::Result<Bytes> {
        Ok(self.inner.get(&Self::path(sha256)?).await?.bytes().await?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn local_round_trip_and_bad_urls() {
        let dir = std::env::temp_dir().join(format!("okienko-blobs-{}", crate::new_id()));
        let b = Blobs::open(&dir.display().to_string()).expect("open");
        let sha = b.put(Bytes::from_static(b"hello")).await.expect("put");
        assert_eq!(
            sha,
            "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"
        );
        assert_eq!(
            b.get(&sha).await.expect("get"),
            Bytes::from_static(b"hello")
        );
        assert!(b.get("../etc/passwd").await.is_err());
        assert!(Blobs::open("ftp://x").is_err());
        assert!(Blobs::open("s3://").is_err());
    }
}
