//! Content-addressed blob storage: a local folder by default, or any S3-compatible bucket.
//! A blob's key is its SHA-256, so storing the same bytes twice keeps one copy.
//!
//! Message attachments in a local folder go into append-only pack files instead of a file
//! each: the evidence log's sequencer (`log.rs`) appends a whole batch's attachments with one
//! write and one fdatasync, then commits the batch with the blobs' places (table
//! `packed_blobs`) in the same transaction. A file per blob costs an inode, a file fsync and a folder fsync each,
//! which on 2 cores capped the platform at a few hundred messages per second.

use bytes::Bytes;
use futures::StreamExt;
use object_store::aws::AmazonS3Builder;
use object_store::local::LocalFileSystem;
use object_store::path::Path;
use object_store::{ObjectStore, PutPayload};
use okienko_store::PackedBlob;
use sha2::{Digest, Sha256};
use std::sync::Arc;
use std::time::Duration;

#[derive(Clone)]
pub struct Blobs {
    inner: Arc<dyn ObjectStore>,
    /// The folder, when blobs are local files: written here with fsync (see `put_local`).
    local: Option<std::path::PathBuf>,
    /// The pack files, when blobs are local.
    packs: Option<Arc<Packs>>,
}

/// Pack files `packs/NNNNNNNN.pack`, each a sequence of records: `OKB1`, the blob's SHA-256
/// (32 bytes), its length (8 bytes, big-endian), then its bytes. The records make a pack
/// readable on its own; the index in the database says where each blob's bytes start.
struct Packs {
    dir: std::path::PathBuf,
    current: std::sync::Mutex<Option<OpenPack>>,
}

struct OpenPack {
    number: i64,
    file: std::fs::File,
    /// Where the next batch goes: the file's length rounded up to `ALIGN`.
    len: u64,
    /// Written with direct I/O.
    direct: bool,
    /// The batch being written (see `AlignedWriter`), kept between batches.
    buf: Vec<u8>,
}

/// Batches are written at offsets and in lengths that are multiples of this, from a buffer
/// aligned to it, so that the pack can be written with direct I/O (O_DIRECT on Linux), which
/// skips the page cache. Measured on the 2-core machine with a sync per batch: a buffered write
/// cost 1.2–2.1 ms of CPU per MB (the copy into the page cache and its write-back, about
/// 150 µs for each 100 KB attachment), a direct one 0.04–0.1 ms. A batch is padded with zero
/// bytes to the next multiple; a reader that scans a pack skips zeros where it expects
/// `RECORD_MAGIC`, up to the next multiple.
const ALIGN: usize = 4096;
/// The part of a batch written at once: memory for a batch stays bounded however big it is.
const CHUNK: usize = 1 << 22;

fn round_up(n: u64) -> u64 {
    n.div_ceil(ALIGN as u64) * ALIGN as u64
}

/// Copies a batch's records into an aligned buffer and writes it out a chunk at a time, each
/// chunk a multiple of `ALIGN` at an offset that is one too.
struct AlignedWriter<'a> {
    file: &'a std::fs::File,
    buf: &'a mut [u8],
    filled: usize,
    at: u64,
}

impl<'a> AlignedWriter<'a> {
    fn new(file: &'a std::fs::File, buf: &'a mut Vec<u8>, at: u64) -> Self {
        if buf.len() < CHUNK + ALIGN {
            buf.resize(CHUNK + ALIGN, 0);
        }
        // Safe code cannot ask the allocator for an aligned Vec<u8>, so the buffer is one
        // ALIGN longer than needed and used from its first aligned byte.
        let skip = buf.as_ptr().align_offset(ALIGN).min(ALIGN);
        let buf = &mut buf[skip..skip + CHUNK];
        AlignedWriter {
            file,
            buf,
            filled: 0,
            at,
        }
    }

    fn put(&mut self, mut data: &[u8]) -> std::io::Result<()> {
        use std::os::unix::fs::FileExt;
        while !data.is_empty() {
            let n = data.len().min(CHUNK - self.filled);
            self.buf[self.filled..self.filled + n].copy_from_slice(&data[..n]);
            self.filled += n;
            data = &data[n..];
            if self.filled == CHUNK {
                self.file.write_all_at(self.buf, self.at)?;
                self.at += CHUNK as u64;
                self.filled = 0;
            }
        }
        Ok(())
    }

    /// Pads the last chunk with zeros to a multiple of ALIGN and writes it; returns where the
    /// next batch goes.
    fn finish(self) -> std::io::Result<u64> {
        use std::os::unix::fs::FileExt;
        let end = round_up(self.filled as u64) as usize;
        self.buf[self.filled..end].fill(0);
        if end > 0 {
            self.file.write_all_at(&self.buf[..end], self.at)?;
        }
        Ok(self.at + end as u64)
    }
}

/// Creates a new pack for writing (`direct`), with direct I/O where the system and file system allow it (some
/// refuse O_DIRECT at open), else buffered: the bytes on disk are the same either way.
/// Returns the file and whether it is direct.
fn open_for_append(path: &std::path::Path, direct: bool) -> std::io::Result<(std::fs::File, bool)> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true);
    if !direct {
        // Reopening a pack this process created, buffered.
        return Ok((options.open(path)?, false));
    }
    // A new pack is created here or not at all (it exists: another process's), so two
    // processes never append to one file.
    options.create_new(true);
    #[cfg(target_os = "linux")]
    {
        use std::os::unix::fs::OpenOptionsExt;
        let mut with_direct = options.clone();
        with_direct.custom_flags(libc::O_DIRECT);
        match with_direct.open(path) {
            Ok(f) => return Ok((f, true)),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => return Err(e),
            // The file system refused O_DIRECT, perhaps after creating the file.
            Err(_) if path.exists() => {
                return Ok((std::fs::OpenOptions::new().write(true).open(path)?, false))
            }
            Err(_) => {}
        }
    }
    Ok((options.open(path)?, false))
}

/// Objects from this size up are put in parts of [`PART`] bytes (S3 wants parts of at least
/// 5 MiB, all but the last).
const MULTIPART_FROM: usize = 16 << 20;
const PART: usize = 8 << 20;
/// How many blobs of a batch go into the object store at once.
const PUTS_AT_ONCE: usize = 16;

/// A pack is closed and the next one started once it holds this many bytes.
const PACK_LIMIT: u64 = 1 << 30;
const RECORD_MAGIC: &[u8; 4] = b"OKB1";
const RECORD_HEADER: u64 = 4 + 32 + 8;

impl Packs {
    fn path(&self, number: i64) -> std::path::PathBuf {
        self.dir.join(format!("{number:08}.pack"))
    }

    /// The pack to append to: the newest one, or a new one when it is full or missing. A new
    /// pack's folder entry is synced before anything in it is relied on.
    fn open_current<'a>(
        &self,
        slot: &'a mut Option<OpenPack>,
    ) -> std::io::Result<&'a mut OpenPack> {
        let first = match slot.as_ref() {
            Some(p) if p.len < PACK_LIMIT => None,
            Some(p) => Some(p.number + 1),
            None => {
                std::fs::create_dir_all(&self.dir)?;
                let newest = std::fs::read_dir(&self.dir)?
                    .filter_map(|e| e.ok())
                    .filter_map(|e| {
                        e.file_name()
                            .to_str()?
                            .strip_suffix(".pack")?
                            .parse::<i64>()
                            .ok()
                    })
                    .max()
                    .unwrap_or(0);
                Some(newest + 1)
            }
        };
        if let Some(first) = first {
            // Each process appends only to packs it created: a pack another instance (or this
            // one before a restart) started is left to it, and the next free number taken.
            let mut number = first;
            let (file, direct) = loop {
                match open_for_append(&self.path(number), true) {
                    Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => number += 1,
                    r => break r?,
                }
            };
            let len = round_up(file.metadata()?.len());
            std::fs::File::open(&self.dir)?.sync_all()?;
            let buf = slot.take().map(|p| p.buf).unwrap_or_default();
            *slot = Some(OpenPack {
                number,
                file,
                len,
                direct,
                buf,
            });
        }
        slot.as_mut()
            .ok_or_else(|| std::io::Error::other("no pack open"))
    }

    /// Appends blobs (SHA-256 hex, bytes) and syncs them; returns where each one's bytes are.
    fn append(&self, blobs: &[(String, Bytes)]) -> std::io::Result<Vec<PackedBlob>> {
        let mut slot = self
            .current
            .lock()
            .map_err(|_| std::io::Error::other("pack lock poisoned"))?;
        let pack = self.open_current(&mut slot)?;
        match write_batch(pack, blobs) {
            // A device that wants direct I/O aligned to more than ALIGN refuses the write:
            // the pack is reopened buffered and the batch written again after what is there.
            Err(e) if pack.direct && e.kind() == std::io::ErrorKind::InvalidInput => {
                tracing::warn!(error = %e, pack = pack.number, "direct I/O refused; writing packs buffered");
                pack.file = open_for_append(&self.path(pack.number), false)?.0;
                pack.direct = false;
                write_batch(pack, blobs)
            }
            r => r,
        }
    }

    fn read(&self, b: &PackedBlob) -> std::io::Result<Vec<u8>> {
        use std::os::unix::fs::FileExt;
        let file = std::fs::File::open(self.path(b.pack))?;
        let len = usize::try_from(b.length).map_err(std::io::Error::other)?;
        let offset = u64::try_from(b.offset).map_err(std::io::Error::other)?;
        let mut buf = vec![0u8; len];
        file.read_exact_at(&mut buf, offset)?;
        Ok(buf)
    }
}

/// Writes a batch of blobs at the end of `pack` and syncs it; returns their places.
fn write_batch(pack: &mut OpenPack, blobs: &[(String, Bytes)]) -> std::io::Result<Vec<PackedBlob>> {
    let start = pack.len;
    let mut places = Vec::with_capacity(blobs.len());
    let mut out = AlignedWriter::new(&pack.file, &mut pack.buf, start);
    let mut at = start;
    let written = (|| {
        for (sha, data) in blobs {
            let hash =
                hex::decode(sha).map_err(|_| std::io::Error::other("blob key is not a SHA-256"))?;
            out.put(RECORD_MAGIC)?;
            out.put(&hash)?;
            out.put(&(data.len() as u64).to_be_bytes())?;
            out.put(data)?;
            places.push(PackedBlob {
                sha256: sha.clone(),
                pack: pack.number,
                offset: (at + RECORD_HEADER) as i64,
                length: data.len() as i64,
            });
            at += RECORD_HEADER + data.len() as u64;
        }
        out.finish()
    })();
    // Whatever reached the file counts towards its length, even after a failed write: a
    // torn record is never indexed, and later records go after it.
    pack.len = match &written {
        Ok(end) => *end,
        Err(_) => round_up(pack.file.metadata().map(|m| m.len()).unwrap_or(at).max(at)),
    };
    written?;
    pack.file.sync_data()?;
    Ok(places)
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
            return Ok(Blobs {
                inner,
                local: None,
                packs: None,
            });
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
            packs: Some(Arc::new(Packs {
                dir: std::path::Path::new(dir).join("packs"),
                current: std::sync::Mutex::new(None),
            })),
        })
    }

    /// Whether the blob store can be reached: the folder is there and writable, or the
    /// object store answers a listing.
    pub async fn reachable(&self) -> anyhow::Result<()> {
        match &self.local {
            Some(dir) => {
                let meta = std::fs::metadata(dir)?;
                anyhow::ensure!(
                    meta.is_dir() && !meta.permissions().readonly(),
                    "{} is not a writable folder",
                    dir.display()
                );
                Ok(())
            }
            None => {
                let mut list = self.inner.list(None);
                match std::future::poll_fn(|cx| list.as_mut().poll_next(cx)).await {
                    Some(Err(e)) => Err(e.into()),
                    _ => Ok(()),
                }
            }
        }
    }

    /// Where blobs are kept, for a person: the folder or the object store.
    pub fn describe(&self) -> String {
        match &self.local {
            Some(dir) => format!("files in {}", dir.display()),
            None => format!("object store {}", self.inner),
        }
    }

    /// True when blobs go into pack files (a local folder).
    pub fn packs(&self) -> bool {
        self.packs.is_some()
    }

    /// Packs blobs (SHA-256 hex, bytes) with one write and one sync; returns their places,
    /// to be committed with whatever refers to them.
    pub async fn pack(&self, blobs: Vec<(String, Bytes)>) -> anyhow::Result<Vec<PackedBlob>> {
        let Some(packs) = self.packs.clone() else {
            anyhow::bail!("blobs in {} are not packed", self.inner);
        };
        if blobs.is_empty() {
            return Ok(Vec::new());
        }
        Ok(tokio::task::spawn_blocking(move || packs.append(&blobs)).await??)
    }

    /// A packed blob's bytes, checked against its SHA-256.
    pub async fn read_packed(&self, b: &PackedBlob) -> anyhow::Result<Bytes> {
        let Some(packs) = self.packs.clone() else {
            anyhow::bail!("blobs in {} are not packed", self.inner);
        };
        let place = b.clone();
        let data = tokio::task::spawn_blocking(move || packs.read(&place)).await??;
        if hex::encode(Sha256::digest(&data)) != b.sha256 {
            anyhow::bail!(
                "pack {} at {}: bytes do not match {}",
                b.pack,
                b.offset,
                b.sha256
            );
        }
        Ok(Bytes::from(data))
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
            None => self.put_object(&Self::path(&sha)?, data).await?,
        }
        Ok(sha)
    }

    /// Puts one object; the object store answers only once it holds it durably. A large one
    /// goes up in parts (S3 multipart upload), several at once, so that no single request
    /// carries more than [`PART`] and a failed part is not the whole file again.
    async fn put_object(&self, path: &Path, data: Bytes) -> anyhow::Result<()> {
        if data.len() < MULTIPART_FROM {
            self.inner.put(path, PutPayload::from_bytes(data)).await?;
            return Ok(());
        }
        let mut upload = self.inner.put_multipart(path).await?;
        let parts: Vec<_> = (0..data.len())
            .step_by(PART)
            .map(|at| {
                upload.put_part(PutPayload::from_bytes(
                    data.slice(at..(at + PART).min(data.len())),
                ))
            })
            .collect();
        let sent = futures::stream::iter(parts)
            .buffer_unordered(4)
            .collect::<Vec<_>>()
            .await
            .into_iter()
            .collect::<Result<Vec<()>, _>>();
        match sent {
            Ok(_) => {
                upload.complete().await?;
                Ok(())
            }
            Err(e) => {
                // The parts already up are dropped by the store, not left to cost space.
                let _ = upload.abort().await;
                Err(e.into())
            }
        }
    }

    /// Deletes a blob that no record needs any more, unless it was stored or stored again
    /// within `idle` (a record that wants the same bytes may be on its way to its commit):
    /// true when it is gone. In a local folder the file is first renamed aside and its time
    /// read there, so a `put` of the same bytes either touched it before (and it is put back)
    /// or finds it gone and writes it anew. An object store offers no such step: there the
    /// object's time is read, then it is deleted.
    pub async fn delete_idle(&self, sha256: &str, idle: Duration) -> anyhow::Result<bool> {
        let path = Self::path(sha256)?;
        match &self.local {
            Some(root) => {
                let dir = root.join("sha256").join(&sha256[..2]);
                let name = sha256.to_string();
                Ok(tokio::task::spawn_blocking(move || delete_local(&dir, &name, idle)).await??)
            }
            None => {
                let meta = match self.inner.head(&path).await {
                    Ok(m) => m,
                    Err(object_store::Error::NotFound { .. }) => return Ok(true),
                    Err(e) => return Err(e.into()),
                };
                let age = age_of_millis(meta.last_modified.timestamp_millis());
                if age < idle {
                    return Ok(false);
                }
                match self.inner.delete(&path).await {
                    Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(true),
                    Err(e) => Err(e.into()),
                }
            }
        }
    }

    pub async fn get(&self, sha256: &str) -> anyhow::Result<Bytes> {
        Ok(self.inner.get(&Self::path(sha256)?).await?.bytes().await?)
    }
}

impl Blobs {
    /// Stores the blobs of a batch about to be committed (SHA-256 hex, bytes; one list per
    /// message): packed with one write and one sync when blobs are local (returning the new
    /// places, which the batch's transaction records), else put one by one into the object
    /// store. Blobs already packed are not packed again.
    pub async fn store_for_commit(
        &self,
        store: &dyn okienko_store::Store,
        data: Vec<Vec<(String, Bytes)>>,
    ) -> anyhow::Result<Vec<PackedBlob>> {
        let mut seen = std::collections::HashSet::new();
        let mut pending: Vec<(String, Bytes)> = Vec::new();
        for (key, bytes) in data.into_iter().flatten() {
            if seen.insert(key.clone()) {
                pending.push((key, bytes));
            }
        }
        if !self.packs() {
            // Into the object store side by side: a batch waits for its slowest blob, not
            // for the sum of them.
            futures::stream::iter(pending.into_iter().map(|(_, bytes)| self.put(bytes)))
                .buffer_unordered(PUTS_AT_ONCE)
                .collect::<Vec<_>>()
                .await
                .into_iter()
                .collect::<anyhow::Result<Vec<String>>>()?;
            return Ok(Vec::new());
        }
        let keys: Vec<String> = pending.iter().map(|(k, _)| k.clone()).collect();
        let known: std::collections::HashSet<String> =
            store.packed_among(&keys).await?.into_iter().collect();
        pending.retain(|(k, _)| !known.contains(k));
        self.pack(pending).await
    }
}

impl crate::Services {
    /// A stored blob's bytes, from the packs or the object store.
    pub async fn blob(&self, sha256: &str) -> Result<Bytes, okienko_domain::DomainError> {
        let fail = |e: anyhow::Error| okienko_domain::DomainError::Internal(e.to_string());
        match self.store.packed_blob(sha256).await? {
            Some(place) => self.blobs.read_packed(&place).await.map_err(fail),
            None => self.blobs.get(sha256).await.map_err(fail),
        }
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
    // The same bytes again: the file is touched, so that the sweep of files no record needs
    // (`delete_idle`) leaves it alone while the record that wants it now is being committed.
    let kept = match std::fs::File::options().write(true).open(&target) {
        Ok(f) => {
            // The file system's own clock, the one its times are read against by the sweep
            // (`delete_local`): not the service clock, which tests move.
            #[allow(clippy::disallowed_methods)]
            let now = std::time::SystemTime::now();
            f.set_modified(now)?;
            true
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => false,
        Err(e) => return Err(e),
    };
    if !kept {
        let tmp = dir.join(format!(".{name}.{}.tmp", crate::new_id()));
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(data)?;
        f.sync_all()?;
        std::fs::rename(&tmp, &target)?;
    }
    std::fs::File::open(dir)?.sync_all()
}

/// How long ago an object store's time (milliseconds since the epoch) was, by this machine's
/// clock (the one the store's times are set by, not the service clock, which tests move).
fn age_of_millis(at: i64) -> Duration {
    (std::time::UNIX_EPOCH + Duration::from_millis(at.max(0) as u64))
        .elapsed()
        .unwrap_or(Duration::ZERO)
}

/// `delete_idle` in a local folder: rename aside, read the time there, then delete or put back.
fn delete_local(dir: &std::path::Path, name: &str, idle: Duration) -> std::io::Result<bool> {
    let target = dir.join(name);
    let aside = dir.join(format!(".{name}.{}.gone", crate::new_id()));
    match std::fs::rename(&target, &aside) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(true),
        Err(e) => return Err(e),
    }
    let age = std::fs::metadata(&aside)?
        .modified()?
        .elapsed()
        .unwrap_or(Duration::ZERO);
    if age < idle {
        // Stored again lately: back in place (a `put` that found it gone meanwhile wrote the
        // same bytes, which this replaces).
        std::fs::rename(&aside, &target)?;
        std::fs::File::open(dir)?.sync_all()?;
        return Ok(false);
    }
    std::fs::remove_file(&aside)?;
    std::fs::File::open(dir)?.sync_all()?;
    Ok(true)
}

mod verify;
pub use verify::{scan_pack, ObjectReport, PackReport, ScannedRecord};

#[cfg(test)]
mod tests;
