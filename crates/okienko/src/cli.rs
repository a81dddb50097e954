//! The verification commands: `okienko verify` and `okienko log verify`.

use crate::config::{Flags, Settings};
use okienko_trust::verify::{verify as verify_cms, NoRevocation};
use okienko_trust::x509_cert::Certificate;
use std::path::Path;
use std::process::ExitCode;

fn usage(msg: String) -> anyhow::Result<ExitCode> {
    eprintln!("error: {msg}");
    Ok(ExitCode::from(2))
}

/// Prints a plain report and answers 0 (valid) or 1 (not valid); 2 for usage or IO errors.
pub async fn verify(
    file: &Path,
    signature: &Path,
    ca: Option<&Path>,
    flags: &Flags,
) -> anyhow::Result<ExitCode> {
    let content = match std::fs::read(file) {
        Ok(c) => c,
        Err(e) => return usage(format!("cannot read {}: {e}", file.display())),
    };
    let sig = match std::fs::read(signature) {
        Ok(c) => c,
        Err(e) => return usage(format!("cannot read {}: {e}", signature.display())),
    };
    let mut revocation: Box<dyn okienko_trust::verify::Revocation> = Box::new(NoRevocation);
    let anchors: Vec<Certificate> = match ca {
        Some(p) => match std::fs::read_to_string(p)
            .map_err(anyhow::Error::from)
            .and_then(|t| Ok(okienko_trust::pki::certs_from_pem(&t)?))
        {
            Ok(c) if !c.is_empty() => c,
            Ok(_) => return usage(format!("{} holds no certificate", p.display())),
            Err(e) => {
                return usage(format!(
                    "cannot read trust anchors from {}: {e}",
                    p.display()
                ))
            }
        },
        None => {
            let s = Settings::resolve(flags)?;
            let store = match okienko_store::open(&s.database_url()).await {
                Ok(st) => st,
                Err(e) => {
                    return usage(format!(
                        "no --ca given and the installation's database cannot be opened: {e}"
                    ))
                }
            };
            if let Ok(r) = okienko_services::pki::stored_revocation(&store).await {
                revocation = Box::new(r);
            }
            match okienko_services::pki::public_parts(&store).await {
                Ok(Some((root, _))) => vec![root],
                _ => return usage("no --ca given and the installation has no PKI yet".into()),
            }
        }
    };
    let mut report = verify_cms(&sig, Some(&content), &anchors, revocation.as_ref());
    let mut notes = Vec::new();
    if let Some(inner) = &report.content {
        if *inner != content && content != sig {
            notes.push("the file differs from the document inside the signature".to_string());
        }
    }
    let valid = report.valid() && notes.is_empty();
    println!(
        "{}",
        if valid {
            "VALID signature"
        } else {
            "NOT VALID"
        }
    );
    for p in &report.problems {
        println!("  because {p}");
    }
    for n in &notes {
        println!("  because {n}");
    }
    if let Some(s) = report.signer.take() {
        println!("signed by:    {s}");
    }
    if let Some(s) = &report.issuer {
        println!("issued by:    {s}");
    }
    if let Some(t) = report.signing_time {
        println!("signed at:    {t} (as claimed by the signer)");
    }
    if let Some(t) = report.time_stamp {
        println!(
            "time stamp:   {t} ({})",
            report.time_stamp_authority.clone().unwrap_or_default()
        );
    }
    for (oid, text) in &report.attributes {
        println!("attribute:    {text} ({oid})");
    }
    if !report.chain.is_empty() {
        println!("chain:        {}", report.chain.join(" -> "));
    }
    Ok(if valid {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

pub async fn log_verify(flags: &Flags) -> anyhow::Result<ExitCode> {
    use okienko_trust::p256::pkcs8::DecodePublicKey;
    let s = Settings::resolve(flags)?;
    let store = okienko_store::open(&s.database_url()).await?;
    let Some((_, pem)) = okienko_services::pki::public_parts(&store).await? else {
        println!("no evidence log here yet");
        return Ok(ExitCode::SUCCESS);
    };
    let key = okienko_trust::p256::ecdsa::VerifyingKey::from_public_key_pem(&pem)
        .map_err(|e| anyhow::anyhow!("log key: {e}"))?;
    match okienko_services::log::verify_log(&store, &key).await? {
        Ok((leaves, heads)) => {
            println!("evidence log intact: {leaves} leaves, {heads} signed tree heads verified");
            Ok(ExitCode::SUCCESS)
        }
        Err(problem) => {
            println!("evidence log BROKEN: {problem}");
            Ok(ExitCode::from(1))
        }
    }
}

pub async fn blobs_verify(flags: &Flags) -> anyhow::Result<ExitCode> {
    let s = Settings::resolve(flags)?;
    let blobs = okienko_services::blobs::Blobs::open(&s.blob_url())?;
    let store = okienko_store::open(&s.database_url()).await?;
    let mut broken = Vec::new();
    if blobs.packs() {
        let r = blobs.verify_packs(&store).await?;
        println!(
            "{} packs read: {} packed blobs whole, {} broken; {} records no row points at ({} bytes, harmless)",
            r.packs,
            r.indexed_ok,
            r.broken.len(),
            r.unindexed,
            r.unindexed_bytes
        );
        broken.extend(r.broken);
    }
    let r = blobs.verify_objects(&store).await?;
    println!(
        "{}: {} blobs whole, {} missing or broken",
        blobs.describe(),
        r.ok,
        r.broken.len()
    );
    broken.extend(r.broken);
    for b in &broken {
        println!("BROKEN {b}");
    }
    Ok(if broken.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
