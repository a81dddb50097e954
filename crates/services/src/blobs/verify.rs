//! Reading packs back: every record found from a pack's start, and every packed blob the
//! database knows of checked against its pack (`okienko blobs verify`).

use super::*;

/// One record found by reading a pack from its start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScannedRecord {
    /// Where its bytes start.
    pub offset: i64,
    pub sha256: String,
    pub length: i64,
    /// The bytes hash to the SHA-256 in the record's header.
    pub intact: bool,
}

/// Reads a pack from start to end, record by record: zeros (the padding after a batch, or a
/// gap left by a failed write) and anything unreadable are skipped up to the next `ALIGN`
/// boundary, where a batch starts. Stops at a record cut off by the end of the file.
pub fn scan_pack(path: &std::path::Path) -> std::io::Result<Vec<ScannedRecord>> {
    use std::io::{Read, Seek, SeekFrom};
    let mut file = std::io::BufReader::with_capacity(1 << 20, std::fs::File::open(path)?);
    let end = file.get_ref().metadata()?.len();
    let mut out = Vec::new();
    let mut pos = 0u64;
    let mut header = [0u8; RECORD_HEADER as usize];
    let mut chunk = vec![0u8; 1 << 16];
    while pos + RECORD_HEADER <= end {
        file.seek(SeekFrom::Start(pos))?;
        file.read_exact(&mut header)?;
        let length = u64::from_be_bytes(header[36..44].try_into().unwrap_or([0; 8]));
        if &header[..4] != RECORD_MAGIC {
            pos = if pos.is_multiple_of(ALIGN as u64) {
                pos + ALIGN as u64
            } else {
                round_up(pos)
            };
            continue;
        }
        if pos + RECORD_HEADER + length > end {
            break;
        }
        let mut hasher = Sha256::new();
        let mut left = length;
        while left > 0 {
            let n = usize::try_from(left.min(chunk.len() as u64)).unwrap_or(chunk.len());
            file.read_exact(&mut chunk[..n])?;
            hasher.update(&chunk[..n]);
            left -= n as u64;
        }
        out.push(ScannedRecord {
            offset: (pos + RECORD_HEADER) as i64,
            sha256: hex::encode(&header[4..36]),
            length: length as i64,
            intact: hasher.finalize()[..] == header[4..36],
        });
        pos += RECORD_HEADER + length;
    }
    Ok(out)
}

/// What `verify_packs` found.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct PackReport {
    pub packs: u64,
    /// Blobs the database points at whose bytes are there and whole.
    pub indexed_ok: u64,
    /// Blobs the database points at that are missing or damaged, with what is wrong.
    pub broken: Vec<String>,
    /// Records no database row points at (a batch whose commit never happened, or the same
    /// bytes packed twice at once): harmless, only space.
    pub unindexed: u64,
    pub unindexed_bytes: u64,
}

impl Blobs {
    /// Reads every pack and checks every packed blob the store knows of against it.
    pub async fn verify_packs(
        &self,
        store: &dyn okienko_store::Store,
    ) -> anyhow::Result<PackReport> {
        let Some(packs) = self.packs.clone() else {
            anyhow::bail!("blobs in {} are not packed", self.inner);
        };
        let scanned = tokio::task::spawn_blocking(move || {
            let mut found = std::collections::HashMap::new();
            let mut numbers = Vec::new();
            if packs.dir.exists() {
                for e in std::fs::read_dir(&packs.dir)? {
                    let name = e?.file_name();
                    if let Some(n) = name
                        .to_str()
                        .and_then(|n| n.strip_suffix(".pack"))
                        .and_then(|n| n.parse::<i64>().ok())
                    {
                        numbers.push(n);
                    }
                }
            }
            numbers.sort();
            for &n in &numbers {
                for r in scan_pack(&packs.path(n))? {
                    found.insert((n, r.offset), r);
                }
            }
            anyhow::Ok((numbers.len() as u64, found))
        })
        .await??;
        let (packs, mut found) = scanned;
        let mut report = PackReport {
            packs,
            ..Default::default()
        };
        let mut after = String::new();
        loop {
            let page = store.packed_blobs_after(&after, 1000).await?;
            let Some(last) = page.last() else { break };
            after = last.sha256.clone();
            for b in page {
                let problem = match found.remove(&(b.pack, b.offset)) {
                    None => Some("no record there".to_string()),
                    Some(r) if r.sha256 != b.sha256 => {
                        Some(format!("the record there is {}", r.sha256))
                    }
                    Some(r) if r.length != b.length => Some(format!(
                        "the record there is {} bytes, not {}",
                        r.length, b.length
                    )),
                    Some(r) if !r.intact => Some("its bytes do not match its SHA-256".to_string()),
                    Some(_) => None,
                };
                match problem {
                    None => report.indexed_ok += 1,
                    Some(p) => report.broken.push(format!(
                        "{} (pack {} at {}): {p}",
                        b.sha256, b.pack, b.offset
                    )),
                }
            }
        }
        report.unindexed = found.len() as u64;
        report.unindexed_bytes = found.values().map(|r| r.length.max(0) as u64).sum();
        Ok(report)
    }
}

/// What `verify_objects` found.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct ObjectReport {
    /// Blobs the database refers to that are in the object store (or folder), whole.
    pub ok: u64,
    /// Blobs the database refers to that are missing or damaged, with what is wrong.
    pub broken: Vec<String>,
}

impl Blobs {
    /// Reads back every blob the database refers to that is not packed (all of them, when
    /// blobs are in an object store) and checks its bytes against its SHA-256.
    pub async fn verify_objects(
        &self,
        store: &dyn okienko_store::Store,
    ) -> anyhow::Result<ObjectReport> {
        let mut report = ObjectReport::default();
        let mut after = String::new();
        loop {
            let page = store.unpacked_blobs_after(&after, 1000).await?;
            let Some(last) = page.last() else { break };
            after = last.clone();
            let checked = futures::stream::iter(page.into_iter().map(|sha| async move {
                let problem = match self.get(&sha).await {
                    Err(e) => Some(format!("cannot be read: {e}")),
                    Ok(b) if hex::encode(Sha256::digest(&b)) != sha => {
                        Some("its bytes do not match its SHA-256".to_string())
                    }
                    Ok(_) => None,
                };
                (sha, problem)
            }))
            .buffer_unordered(PUTS_AT_ONCE)
            .collect::<Vec<_>>()
            .await;
            for (sha, problem) in checked {
                match problem {
                    None => report.ok += 1,
                    Some(p) => report.broken.push(format!("{sha}: {p}")),
                }
            }
        }
        Ok(report)
    }
}
