//! Documents that came from outside (attached PDFs and images) are parsed and rendered in a
//! worker process, never in the server: a PDF nested deep enough overflows any parser's stack,
//! and a stack overflow cannot be caught, so it must only ever end a worker. The worker
//! (`okienko render-worker`) limits itself before it reads a byte: address space, CPU time, no
//! files written, no more open files; the server adds a wall-clock limit, kills a worker that
//! runs over it, runs at most a few workers at once and stops reading once the letters of one
//! message exceed their size limit. Whatever goes wrong in the worker, the server hears "this
//! document cannot be printed" and keeps serving.
//!
//! The wire format is ours (a JSON header, then the attachments' bytes; back, one framed result
//! per letter): both ends are this program, so no library format is needed.

use serde::{Deserialize, Serialize};
use std::io::{Read, Write};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Where the worker is and what it may use.
#[derive(Debug, Clone)]
pub struct Sandbox {
    /// The okienko executable (the worker is its `render-worker` command).
    pub exe: PathBuf,
    /// Address space of one worker.
    pub memory_bytes: u64,
    /// CPU seconds of one worker.
    pub cpu_seconds: u64,
    /// Wall-clock time of one worker.
    pub wall: Duration,
    /// The letters of one message together (bulk mode multiplies them).
    pub max_output_bytes: u64,
    permits: Arc<tokio::sync::Semaphore>,
}

impl Sandbox {
    pub fn new(exe: PathBuf) -> Sandbox {
        let workers = std::thread::available_parallelism().map_or(2, |n| n.get());
        Sandbox {
            exe,
            memory_bytes: 1024 * 1024 * 1024,
            cpu_seconds: 60,
            wall: Duration::from_secs(90),
            max_output_bytes: 512 * 1024 * 1024,
            permits: Arc::new(tokio::sync::Semaphore::new(workers)),
        }
    }

    /// The running program itself.
    pub fn current() -> Sandbox {
        Sandbox::new(std::env::current_exe().unwrap_or_else(|_| PathBuf::from("okienko")))
    }
}

/// What one letter has of its own.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LetterSpec {
    pub tracking_number: String,
    pub verification_code: String,
    pub verify_url: String,
    pub recipient_lines: Vec<String>,
}

/// Letters that share a sender, a text and attachments (one message's postal recipients).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LettersJob {
    pub sender_lines: Vec<String>,
    pub date: String,
    pub subject: String,
    pub body: String,
    /// Who signs, under the text.
    #[serde(default)]
    pub signature_lines: Vec<String>,
    /// (name, media type, length); the bytes follow the header in this order.
    pub attachments: Vec<(String, String, u64)>,
    pub letters: Vec<LetterSpec>,
}

/// A one-document printout with files from outside after it (see `okienko_print::Sheet`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SheetJob {
    pub title: String,
    pub paragraphs: Vec<String>,
    pub rows: Vec<(String, String)>,
    pub appendix_title: String,
    pub appendix: String,
    pub footer: String,
    pub attachment_label: String,
    /// (name, media type, length); the bytes follow the header in this order.
    pub attachments: Vec<(String, String, u64)>,
}

#[derive(Debug, Serialize, Deserialize)]
enum Job {
    Letters(LettersJob),
    Sheet(SheetJob),
    /// Join PDFs (lengths; the bytes follow) into one.
    Concat(Vec<u64>),
    /// The text of a PDF (its length; the bytes follow).
    Text(u64),
}

/// Why a document was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// An attachment cannot be printed: it does not open, or opening it ran into a limit.
    Unprintable,
    /// The letter would need more sheets than hybrid mail prints.
    TooManySheets,
    /// The letters of one message together are too large.
    TooLarge,
}

/// A rendered letter: its PDF and number of pages.
#[derive(Debug)]
pub struct RenderedLetter {
    pub pdf: Vec<u8>,
    pub pages: usize,
}

const OK: u8 = 0;
const UNPRINTABLE: u8 = 1;
const TOO_MANY_SHEETS: u8 = 2;
const FAILED: u8 = 3;

impl Sandbox {
    /// Renders letters in a worker. `Err(Refusal)` for anything the worker refused, could
    /// not finish within its limits, or died of.
    pub async fn letters(
        &self,
        job: LettersJob,
        attachments: Vec<bytes::Bytes>,
    ) -> Result<Vec<RenderedLetter>, Refusal> {
        let n = job.letters.len();
        let results = self.run(Job::Letters(job), attachments, n).await?;
        results
            .into_iter()
            .map(|(tag, pages, pdf)| match tag {
                OK => Ok(RenderedLetter { pdf, pages }),
                TOO_MANY_SHEETS => Err(Refusal::TooManySheets),
                _ => Err(Refusal::Unprintable),
            })
            .collect()
    }

    /// Renders a sheet followed by its attachments in a worker.
    pub async fn sheet(
        &self,
        job: SheetJob,
        attachments: Vec<bytes::Bytes>,
    ) -> Result<Vec<u8>, Refusal> {
        let mut r = self.run(Job::Sheet(job), attachments, 1).await?;
        match r.pop() {
            Some((OK, _, pdf)) => Ok(pdf),
            Some((TOO_MANY_SHEETS, _, _)) => Err(Refusal::TooManySheets),
            _ => Err(Refusal::Unprintable),
        }
    }

    /// The text of a PDF (for the search index), read in a worker: at most
    /// [`TEXT_MAX_CHARS`] characters.
    pub async fn pdf_text(&self, pdf: bytes::Bytes) -> Result<String, Refusal> {
        let len = pdf.len() as u64;
        let mut r = self.run(Job::Text(len), vec![pdf], 1).await?;
        match r.pop() {
            Some((OK, _, text)) => String::from_utf8(text).map_err(|_| Refusal::Unprintable),
            _ => Err(Refusal::Unprintable),
        }
    }

    /// Joins PDFs in a worker.
    pub async fn concat(&self, pdfs: Vec<bytes::Bytes>) -> Result<Vec<u8>, Refusal> {
        let lens = pdfs.iter().map(|p| p.len() as u64).collect();
        let mut r = self.run(Job::Concat(lens), pdfs, 1).await?;
        match r.pop() {
            Some((OK, _, pdf)) => Ok(pdf),
            _ => Err(Refusal::Unprintable),
        }
    }

    async fn run(
        &self,
        job: Job,
        data: Vec<bytes::Bytes>,
        results: usize,
    ) -> Result<Vec<(u8, usize, Vec<u8>)>, Refusal> {
        let _permit = self
            .permits
            .acquire()
            .await
            .map_err(|_| Refusal::Unprintable)?;
        let header = serde_json::to_vec(&job).map_err(|_| Refusal::Unprintable)?;
        let mut child = tokio::process::Command::new(&self.exe)
            .arg("render-worker")
            .arg(self.memory_bytes.to_string())
            .arg(self.cpu_seconds.to_string())
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .env_clear()
            // The binary's allocator (mimalloc) would reserve a 1 GiB arena at start, before
            // the worker limits its address space; that reservation alone would exceed the
            // limit and every later allocation would fail. 4 MiB at a time fits under it.
            .env("MIMALLOC_ARENA_RESERVE", "4M")
            .kill_on_drop(true)
            .spawn()
            .map_err(|e| {
                tracing::error!(error = %e, exe = %self.exe.display(), "starting the render worker");
                Refusal::Unprintable
            })?;
        let (Some(mut stdin), Some(mut stdout)) = (child.stdin.take(), child.stdout.take()) else {
            return Err(Refusal::Unprintable);
        };
        // Feeding and reading at once: the worker may answer before it has read everything.
        let feed = async move {
            stdin
                .write_all(&(header.len() as u32).to_le_bytes())
                .await?;
            stdin.write_all(&header).await?;
            for d in &data {
                stdin.write_all(d).await?;
            }
            stdin.shutdown().await
        };
        let limit = self.max_output_bytes;
        let read = async move {
            let mut out = Vec::with_capacity(results);
            let mut total = 0u64;
            for _ in 0..results {
                let mut head = [0u8; 13];
                stdout
                    .read_exact(&mut head)
                    .await
                    .map_err(|_| Refusal::Unprintable)?;
                let tag = head[0];
                let pages = u32::from_le_bytes([head[1], head[2], head[3], head[4]]) as usize;
                let mut len = [0u8; 8];
                len.copy_from_slice(&head[5..13]);
                let len = u64::from_le_bytes(len);
                total = total.saturating_add(len);
                if total > limit {
                    return Err(Refusal::TooLarge);
                }
                let mut pdf = vec![0u8; len as usize];
                stdout
                    .read_exact(&mut pdf)
                    .await
                    .map_err(|_| Refusal::Unprintable)?;
                out.push((tag, pages, pdf));
            }
            Ok(out)
        };
        let both = async {
            let (fed, read) = tokio::join!(feed, read);
            // A worker that stopped reading its input has already answered or died.
            let _ = fed;
            read
        };
        let out = match tokio::time::timeout(self.wall, both).await {
            Ok(r) => r,
            Err(_) => {
                tracing::warn!("a render worker ran over its time and was stopped");
                Err(Refusal::Unprintable)
            }
        };
        if out.is_err() {
            let _ = child.start_kill();
        }
        let status = child.wait().await;
        match (&out, status) {
            (Ok(_), Ok(s)) if s.success() => {}
            (Ok(_), _) => return Err(Refusal::Unprintable),
            (Err(_), Ok(s)) if !s.success() => {
                tracing::warn!(status = %s, "a render worker refused a document or died")
            }
            _ => {}
        }
        out
    }
}

/// The worker: limits itself, reads one job from stdin, writes its results to stdout.
/// Returns the exit code.
pub fn worker_main(args: &[String]) -> i32 {
    let num = |i: usize, d: u64| args.get(i).and_then(|s| s.parse::<u64>().ok()).unwrap_or(d);
    if let Err(e) = limit_self(num(0, 1024 * 1024 * 1024), num(1, 60)) {
        eprintln!("render-worker: cannot limit itself: {e}");
        return 2;
    }
    // Parsing runs on a thread with a small stack: a document nested deeper than any real one
    // overflows it and ends this worker (the server answers that it cannot be printed).
    let work = std::thread::Builder::new()
        .stack_size(WORKER_STACK)
        .spawn(|| serve_one(&mut std::io::stdin().lock(), &mut std::io::stdout().lock()));
    match work.map(|h| h.join()) {
        Ok(Ok(Ok(()))) => 0,
        Ok(Ok(Err(e))) => {
            eprintln!("render-worker: {e}");
            1
        }
        _ => 1,
    }
}

#[cfg(target_os = "linux")]
fn limit_self(memory: u64, cpu: u64) -> std::io::Result<()> {
    use rustix::process::{getrlimit, setrlimit, Resource, Rlimit};
    // Never above a hard limit already in place (raising it would be refused).
    let set = |r: Resource, n: u64| {
        let n = getrlimit(r).maximum.map_or(n, |hard| hard.min(n));
        setrlimit(
            r,
            Rlimit {
                current: Some(n),
                maximum: Some(n),
            },
        )
    };
    set(Resource::As, memory)?;
    set(Resource::Cpu, cpu)?;
    set(Resource::Fsize, 0)?;
    set(Resource::Core, 0)?;
    set(Resource::Nofile, 16)?;
    Ok(())
}

#[cfg(not(target_os = "linux"))]
fn limit_self(_memory: u64, _cpu: u64) -> std::io::Result<()> {
    Err(std::io::Error::other(
        "resource limits are only implemented on Linux",
    ))
}

fn read_bytes(input: &mut impl Read, len: u64, cap: u64) -> std::io::Result<Vec<u8>> {
    if len > cap {
        return Err(std::io::Error::other("input too large"));
    }
    let mut b = vec![0u8; len as usize];
    input.read_exact(&mut b)?;
    Ok(b)
}

fn frame(out: &mut impl Write, tag: u8, pages: usize, bytes: &[u8]) -> std::io::Result<()> {
    out.write_all(&[tag])?;
    out.write_all(&(pages as u32).to_le_bytes())?;
    out.write_all(&(bytes.len() as u64).to_le_bytes())?;
    out.write_all(bytes)?;
    out.flush()
}

/// The stack the worker parses on: as much as a server thread has; ordinary documents need a
/// small part of it.
const WORKER_STACK: usize = 2 * 1024 * 1024;

/// The most text one PDF gives the search index.
pub const TEXT_MAX_CHARS: usize = 1_000_000;

const INPUT_CAP: u64 = 4 * 1024 * 1024 * 1024;

fn serve_one(input: &mut impl Read, out: &mut impl Write) -> std::io::Result<()> {
    let mut len = [0u8; 4];
    input.read_exact(&mut len)?;
    let header = read_bytes(input, u32::from_le_bytes(len) as u64, 16 * 1024 * 1024)?;
    let job: Job = serde_json::from_slice(&header).map_err(std::io::Error::other)?;
    match job {
        Job::Letters(job) => {
            let mut files = Vec::new();
            for (_, _, len) in &job.attachments {
                files.push(read_bytes(input, *len, INPUT_CAP)?);
            }
            let labels = labels();
            for l in &job.letters {
                let spec = okienko_print::Letter {
                    labels: &labels,
                    tracking_number: &l.tracking_number,
                    verification_code: &l.verification_code,
                    verify_url: &l.verify_url,
                    sender_lines: job.sender_lines.clone(),
                    recipient_lines: l.recipient_lines.clone(),
                    date: &job.date,
                    subject: &job.subject,
                    body: &job.body,
                    signature_lines: job.signature_lines.clone(),
                    attachments: appendices(&job.attachments, &files),
                };
                match okienko_print::render_letter(&spec) {
                    Ok(r) => frame(out, OK, r.pages, &r.pdf)?,
                    Err(e) => frame(out, refusal_tag(&e), 0, &[])?,
                }
            }
        }
        Job::Sheet(job) => {
            let mut files = Vec::new();
            for (_, _, len) in &job.attachments {
                files.push(read_bytes(input, *len, INPUT_CAP)?);
            }
            let sheet = okienko_print::Sheet {
                title: &job.title,
                paragraphs: job.paragraphs.clone(),
                rows: job.rows.clone(),
                appendix_title: &job.appendix_title,
                appendix: &job.appendix,
                footer: &job.footer,
                attachment_label: &job.attachment_label,
                attachments: appendices(&job.attachments, &files),
            };
            match okienko_print::render_sheet(&sheet) {
                Ok(pdf) => frame(out, OK, 0, &pdf)?,
                Err(e) => frame(out, refusal_tag(&e), 0, &[])?,
            }
        }
        Job::Text(len) => {
            let pdf = read_bytes(input, len, INPUT_CAP)?;
            match okienko_print::pdf_text(&pdf, TEXT_MAX_CHARS) {
                Some(text) => frame(out, OK, 0, text.as_bytes())?,
                None => frame(out, UNPRINTABLE, 0, &[])?,
            }
        }
        Job::Concat(lens) => {
            let mut pdfs = Vec::new();
            for len in lens {
                pdfs.push(read_bytes(input, len, INPUT_CAP)?);
            }
            let refs: Vec<&[u8]> = pdfs.iter().map(|p| p.as_slice()).collect();
            match okienko_print::concat(&refs) {
                Ok(pdf) => frame(out, OK, 0, &pdf)?,
                Err(_) => frame(out, FAILED, 0, &[])?,
            }
        }
    }
    Ok(())
}

fn appendices<'a>(
    specs: &'a [(String, String, u64)],
    files: &'a [Vec<u8>],
) -> Vec<okienko_print::Appendix<'a>> {
    specs
        .iter()
        .zip(files)
        .map(|((name, t, _), bytes)| okienko_print::Appendix {
            name,
            media_type: t,
            bytes,
        })
        .collect()
}

fn refusal_tag(e: &okienko_print::PrintError) -> u8 {
    match e {
        okienko_print::PrintError::TooManySheets(_) => TOO_MANY_SHEETS,
        okienko_print::PrintError::Unprintable(_) => UNPRINTABLE,
        _ => FAILED,
    }
}

/// The printed labels of a letter (in Polish: the letters go through the Polish post).
pub(crate) fn labels() -> okienko_print::Labels {
    let t = |k| okienko_i18n::Lang::Pl.t(k);
    okienko_print::Labels {
        cover_title: t("paper-cover-title"),
        tracking_number: t("paper-tracking-number"),
        verification_code: t("paper-verification-code"),
        verify_at: t("paper-verify-at"),
        sender: t("paper-sender"),
        recipient: t("paper-recipient"),
        pages: t("paper-pages"),
        attachment: t("paper-attachment"),
        page_of: t("paper-page"),
    }
}
