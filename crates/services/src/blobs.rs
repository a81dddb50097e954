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
    /// The folder, when blobs are local files: written here with fsync (see `put_local`).
    local: Option<std::path::PathBuf>,
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
        if let Some(bucket) = url.strip_prefix("s3://") {
            if bucket.is_empty() {
                anyhow::bail!("blob URL {url:?} names no bucket");
            }
            let inner = Arc::new(AmazonS3Builder::from_env().with_url(url).build()?);
            return Ok(Blobs { inner, local: None });
        }
        let dir = match url.strip_prefix("file://") {
            Some(dir) => dir,
            None if url.contains("://") => anyhow::bail!(
                "unsupported blob URL {url:?}: use a folder, file://DIR or s3://BUCKET"
            ),
            None => url,
        };
        Ok(Blobs {
            inner: Self::local(dir)?,
            local: Some(std::path::PathBuf::from(dir)),
        })
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

    /// Stores bytes durably and returns their SHA-256 (hex).
    pub async fn put(&self, data: Bytes) -> anyhow::Result<String> {
        let sha = hex::encode(Sha256::digest(&data));
        match &self.local {
            Some(root) => {
                let dir = root.join("sha256").join(&sha[..2]);
                let name = sha.clone();
                tokio::task::spawn_blocking(move || put_local(&dir, &name, &data)).await??;
            }
            None => {
                self.inner
                    .put(&Self::path(&sha)?, PutPayload::from_bytes(data))
                    .await?;
            }
        }
        Ok(sha)
    }

    pub async fn get(&self, sha256: &str) -> anyhow::Result<Bytes> {
        Ok(self.inner.get(&Self::path(sha256)?).await?.bytes().await?)
    }
}

/// Writes one blob so that it survives a power cut before `put` answers: a temporary file,
/// fsync, rename into place, fsync of the folder. object_store's local store does not fsync,
/// which is why this one path is written by hand. The same bytes stored again are not
/// rewritten (renaming over an existing file makes ext4 flush it synchronously); the folder is
/// still synced so an entry left by an interrupted earlier write is durable too.
fn put_local(dir: &std::path::Path, name: &str, data: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let target = dir.join(name);
    if !dir.exists() {
        std::fs::create_dir_all(dir)?;
        if let Some(parent) = dir.parent() {
            std::fs::File::open(parent)?.sync_all()?;
        }
    }
    if !target.exists() {
        let tmp = dir.join(format!(".{name}.{}.tmp", crate::new_id()));
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(data)?;
        f.sync_all()?;
        std::fs::rename(&tmp, &target)?;
    }
    std::fs::File::open(dir)?.sync_all()
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
