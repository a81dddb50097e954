//! `okienko fuzz-documents`: feeds generated and mutated documents to the entry points that
//! parse documents from outside, for a set time, and reports what happened. PDFs and images
//! go through the render worker exactly as a paper letter's attachments do; signatures go
//! through the verifier in this process, as `/verify` runs it. The run fails if this process
//! dies (it cannot report then) or a worker runs over its limits without being stopped.
//!
//! A structure-aware generator rather than a coverage-guided fuzzer: the inputs that broke
//! the server were deep nesting, huge declared sizes and truncation, and those are generated
//! directly here; it needs no nightly toolchain.

use okienko_services::sandbox::{LetterSpec, LettersJob, Refusal, Sandbox};
use rand::{Rng, SeedableRng};
use std::time::{Duration, Instant};

#[derive(clap::Args, Debug, Clone)]
pub struct FuzzArgs {
    /// pdf, image or verify.
    #[arg(long, default_value = "pdf")]
    pub target: String,
    #[arg(long, default_value_t = 60)]
    pub seconds: u64,
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
}

/// A PDF made of these objects (1 is the catalog), with a correct cross-reference table.
pub fn pdf(objects: &[String]) -> Vec<u8> {
    let mut out = b"%PDF-1.7\n".to_vec();
    let mut offsets = Vec::new();
    for (i, o) in objects.iter().enumerate() {
        offsets.push(out.len());
        out.extend_from_slice(format!("{} 0 obj\n{o}\nendobj\n", i + 1).as_bytes());
    }
    let xref = out.len();
    out.extend_from_slice(
        format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).as_bytes(),
    );
    for o in offsets {
        out.extend_from_slice(format!("{o:010} 00000 n \n").as_bytes());
    }
    out.extend_from_slice(
        format!(
            "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n",
            objects.len() + 1
        )
        .as_bytes(),
    );
    out
}

fn nest(r: &mut impl Rng, depth: usize) -> String {
    let (open, close) = if r.gen_bool(0.5) {
        ("[", "]")
    } else {
        ("<< /K ", " >>")
    };
    format!("{}{}", open.repeat(depth), close.repeat(depth))
}

fn gen_pdf(r: &mut impl Rng) -> Vec<u8> {
    let depth = match r.gen_range(0..4) {
        0 => r.gen_range(0..64),
        1 => r.gen_range(64..4_000),
        2 => r.gen_range(4_000..100_000),
        _ => r.gen_range(100_000..1_000_000),
    };
    let keys = [
        "Nest",
        "Resources",
        "Annots",
        "Group",
        "MediaBox",
        "Contents",
    ];
    let key = keys[r.gen_range(0..keys.len())];
    let content = "q 1 0 0 1 72 720 cm 0 0 100 100 re f Q";
    let objects = vec![
        "<< /Type /Catalog /Pages 2 0 R >>".to_string(),
        format!(
            "<< /Type /Pages /Kids [3 0 R] /Count {} >>",
            r.gen_range(0..3)
        ),
        format!(
            "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {} {}] /Contents 4 0 R /{key} {} >>",
            r.gen_range(-10..100_000),
            r.gen_range(-10..100_000),
            nest(r, depth)
        ),
        format!(
            "<< /Length {} >>\nstream\n{content}\nendstream",
            content.len()
        ),
    ];
    let mut b = pdf(&objects);
    mutate(r, &mut b);
    b
}

fn mutate(r: &mut impl Rng, b: &mut Vec<u8>) {
    for _ in 0..r.gen_range(0..4) {
        if b.is_empty() {
            break;
        }
        let at = r.gen_range(0..b.len());
        match r.gen_range(0..4) {
            0 => b[at] = r.gen(),
            1 => b.truncate(at.max(8)),
            2 => {
                let junk: Vec<u8> = (0..r.gen_range(1..64)).map(|_| r.gen()).collect();
                b.splice(at..at, junk);
            }
            _ => {
                let tok: &[u8] = [b"[".as_slice(), b"<<", b"(", b"stream\n", b"9999999999 0 R"]
                    [r.gen_range(0..5)];
                let times = r.gen_range(1..2_000);
                b.splice(at..at, tok.repeat(times));
            }
        }
    }
}

fn gen_image(r: &mut impl Rng) -> (Vec<u8>, &'static str) {
    let dim = |r: &mut dyn rand::RngCore| -> u32 {
        match r.gen_range(0..3) {
            0 => r.gen_range(1..2_000),
            1 => r.gen_range(2_000..60_000),
            _ => r.gen(),
        }
    };
    if r.gen_bool(0.5) {
        let mut png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
        png.extend_from_slice(&dim(r).to_be_bytes());
        png.extend_from_slice(&dim(r).to_be_bytes());
        png.extend_from_slice(&[8, r.gen_range(0..7), 0, 0, r.gen_range(0..2), 0, 0, 0, 0]);
        let body: Vec<u8> = (0..r.gen_range(0..20_000)).map(|_| r.gen()).collect();
        png.extend_from_slice(&(body.len() as u32).to_be_bytes());
        png.extend_from_slice(b"IDAT");
        png.extend_from_slice(&body);
        png.extend_from_slice(&[0, 0, 0, 0, b'I', b'E', b'N', b'D', 0xAE, 0x42, 0x60, 0x82]);
        mutate(r, &mut png);
        (png, "image/png")
    } else {
        let (w, h) = ((dim(r) & 0xFFFF) as u16, (dim(r) & 0xFFFF) as u16);
        let mut jpg = vec![0xFF, 0xD8, 0xFF, 0xE0, 0, 16];
        jpg.extend_from_slice(b"JFIF\0\x01\x01\0\0\x01\0\x01\0\0");
        jpg.extend_from_slice(&[0xFF, 0xC0, 0, 17, 8]);
        jpg.extend_from_slice(&h.to_be_bytes());
        jpg.extend_from_slice(&w.to_be_bytes());
        jpg.extend_from_slice(&[3, 1, 0x22, 0, 2, 0x11, 1, 3, 0x11, 1]);
        let body: Vec<u8> = (0..r.gen_range(0..20_000)).map(|_| r.gen()).collect();
        jpg.extend_from_slice(&[0xFF, 0xDA, 0, 12, 3, 1, 0, 2, 0x11, 3, 0x11, 0, 0x3F, 0]);
        jpg.extend_from_slice(&body);
        jpg.extend_from_slice(&[0xFF, 0xD9]);
        mutate(r, &mut jpg);
        (jpg, "image/jpeg")
    }
}

fn job(name: &str, media_type: &str, len: usize) -> LettersJob {
    LettersJob {
        sender_lines: vec!["Urząd".into()],
        date: "2026-11-25".into(),
        subject: "Fuzz".into(),
        body: "x".into(),
        signature_lines: Vec::new(),
        attachments: vec![(name.into(), media_type.into(), len as u64)],
        letters: vec![LetterSpec {
            tracking_number: "RR123456785PL".into(),
            verification_code: "ABCD-EFGH".into(),
            verify_url: "http://127.0.0.1/letters/verify".into(),
            recipient_lines: vec!["Jan".into()],
        }],
    }
}

pub async fn run(args: FuzzArgs) -> anyhow::Result<()> {
    let mut r = rand::rngs::StdRng::seed_from_u64(args.seed);
    let sandbox = Sandbox::current();
    let until = Instant::now() + Duration::from_secs(args.seconds);
    let (mut runs, mut ok, mut refused, mut slowest) = (0u64, 0u64, 0u64, Duration::ZERO);
    // The verifier's seed: a real detached signature made here.
    let seed_sig = if args.target == "verify" {
        #[allow(clippy::disallowed_methods)] // the fuzzer is no server: any time will do
        let now = time::OffsetDateTime::now_utc();
        let root = okienko_trust::pki::root("CN=fuzz root", now)?;
        let seal = okienko_trust::pki::leaf(
            &root,
            "CN=fuzz seal",
            okienko_trust::pki::LeafKind::Seal,
            now,
        )?;
        let sig = okienko_trust::sign::sign(
            &okienko_trust::sign::SignRequest::data(b"document", true, now),
            &seal,
            &[],
        )?;
        Some((sig, root.cert))
    } else {
        None
    };
    while Instant::now() < until {
        runs += 1;
        let started = Instant::now();
        let outcome: Result<(), Refusal> = match args.target.as_str() {
            "pdf" => {
                let b = gen_pdf(&mut r);
                let len = b.len();
                sandbox
                    .letters(job("a.pdf", "application/pdf", len), vec![b.into()])
                    .await
                    .map(|_| ())
            }
            "image" => {
                let (b, t) = gen_image(&mut r);
                let len = b.len();
                sandbox
                    .letters(job("a.img", t, len), vec![b.into()])
                    .await
                    .map(|_| ())
            }
            "verify" => {
                let (sig, cert) = seed_sig.clone().ok_or_else(|| anyhow::anyhow!("seed"))?;
                let mut b = sig;
                mutate(&mut r, &mut b);
                let report = okienko_trust::verify::verify(
                    &b,
                    Some(b"document"),
                    &[cert],
                    &okienko_trust::verify::NoRevocation,
                );
                if report.valid() {
                    Ok(())
                } else {
                    Err(Refusal::Unprintable)
                }
            }
            t => anyhow::bail!("unknown target {t}: pdf, image or verify"),
        };
        let took = started.elapsed();
        slowest = slowest.max(took);
        match outcome {
            Ok(()) => ok += 1,
            Err(_) => refused += 1,
        }
        if took > sandbox.wall + Duration::from_secs(5) {
            anyhow::bail!("a run took {took:?}, over the worker's wall-clock limit");
        }
    }
    println!(
        "fuzz {}: {runs} inputs in {} s (seed {}): {ok} accepted, {refused} refused, slowest {:.2} s; this process survived every one",
        args.target,
        args.seconds,
        args.seed,
        slowest.as_secs_f64()
    );
    Ok(())
}
