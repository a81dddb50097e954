//! Everything the trust layer signs is checked by the real `openssl` and by our verifier,
//! and tampered copies must fail in both.
// Certificates and stamps are made for now, and openssl checks them against its own clock.
#![allow(clippy::disallowed_methods)]

use okienko_trust::pki::{self, KeyPair, LeafKind};
use okienko_trust::sign::{add_signature_timestamp, sign, signature_value, SignRequest};
use okienko_trust::tsa::Tsa;
use okienko_trust::verify::{verify, verify_time_stamp, NoRevocation, Problem, Revocation};
use proptest::prelude::*;
use std::path::{Path, PathBuf};
use std::process::Command;
use time::OffsetDateTime;
use x509_cert::Certificate;

struct Pki {
    root: KeyPair,
    inter: KeyPair,
    seal: KeyPair,
    tsa: Tsa,
    dir: PathBuf,
}

fn now() -> OffsetDateTime {
    OffsetDateTime::now_utc()
}

fn setup() -> Pki {
    let t = now();
    let root = pki::root("CN=okienko Test Root CA,O=okienko", t).expect("root");
    let inter = pki::intermediate(&root, "CN=okienko Test Intermediate CA,O=okienko", t)
        .expect("intermediate");
    let seal = pki::leaf(
        &inter,
        "CN=Urząd Gminy Przykładowo,O=okienko",
        LeafKind::Seal,
        t,
    )
    .expect("seal");
    let tsa_pair = pki::leaf(&inter, "CN=okienko TSA,O=okienko", LeafKind::Tsa, t).expect("tsa");
    let tsa = Tsa {
        chain: vec![tsa_pair.cert.clone(), inter.cert.clone()],
        pair: tsa_pair,
        policy: okienko_trust::oids::DEFAULT_TSA_POLICY,
    };
    let dir = std::env::temp_dir().join(format!(
        "okienko-trust-{}-{}",
        std::process::id(),
        rand_suffix()
    ));
    std::fs::create_dir_all(&dir).expect("dir");
    let pem = format!(
        "{}{}",
        pki::cert_pem(&root.cert).expect("pem"),
        pki::cert_pem(&inter.cert).expect("pem")
    );
    std::fs::write(dir.join("ca.pem"), pem).expect("write ca");
    Pki {
        root,
        inter,
        seal,
        tsa,
        dir,
    }
}

fn rand_suffix() -> u64 {
    use std::time::SystemTime;
    SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(0)
}

fn anchors(p: &Pki) -> Vec<Certificate> {
    vec![p.root.cert.clone()]
}

fn openssl_available() -> bool {
    let ok = Command::new("openssl")
        .arg("version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        let required = std::env::var("OKIENKO_REQUIRE_TOOLS").is_ok_and(|v| v == "1")
            || std::env::var("CI").is_ok_and(|v| v == "true");
        assert!(!required, "openssl is required");
        eprintln!("SKIPPED: openssl not installed");
    }
    ok
}

fn openssl(args: &[&str], dir: &Path) -> (bool, String) {
    let out = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("run openssl");
    (
        out.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

#[test]
fn detached_signature_verifies_in_openssl_and_ours_and_tampering_fails() {
    if !openssl_available() {
        return;
    }
    let p = setup();
    // Signatures are made by ring's key (the fast path), not p256's fallback.
    assert!(p.seal.fast().is_some(), "ring takes the P-256 key");
    let file = b"%PDF-1.4 a decision of the office\n".to_vec();
    let sig = sign(
        &SignRequest::data(&file, true, now()),
        &p.seal,
        std::slice::from_ref(&p.inter.cert),
    )
    .expect("sign");
    std::fs::write(p.dir.join("doc.pdf"), &file).expect("w");
    std::fs::write(p.dir.join("doc.p7s"), &sig).expect("w");
    let (ok, out) = openssl(
        &[
            "cms",
            "-verify",
            "-binary",
            "-inform",
            "DER",
            "-in",
            "doc.p7s",
            "-content",
            "doc.pdf",
            "-CAfile",
            "ca.pem",
            "-out",
            "/dev/null",
        ],
        &p.dir,
    );
    assert!(ok, "{out}");
    let r = verify(&sig, Some(&file), &anchors(&p), &NoRevocation);
    assert!(r.valid(), "{:?}", r.problems);
    assert!(
        r.signer
            .as_deref()
            .is_some_and(|s| s.contains("Urząd Gminy Przykładowo")),
        "{:?}",
        r.signer
    );
    assert_eq!(r.chain.len(), 3);

    let mut tampered = file.clone();
    tampered[5] ^= 1;
    std::fs::write(p.dir.join("doc.pdf"), &tampered).expect("w");
    let (ok, _) = openssl(
        &[
            "cms",
            "-verify",
            "-binary",
            "-inform",
            "DER",
            "-in",
            "doc.p7s",
            "-content",
            "doc.pdf",
            "-CAfile",
            "ca.pem",
            "-out",
            "/dev/null",
        ],
        &p.dir,
    );
    assert!(!ok, "openssl must reject a changed file");
    let r = verify(&sig, Some(&tampered), &anchors(&p), &NoRevocation);
    assert_eq!(r.problems.first(), Some(&Problem::ContentChanged));
}

#[test]
fn enveloping_signature_verifies_and_a_flipped_byte_fails() {
    if !openssl_available() {
        return;
    }
    let p = setup();
    let doc = br#"{"type":"submission-acceptance","message":"m1"}"#;
    let sig = sign(
        &SignRequest::data(doc, false, now()),
        &p.seal,
        std::slice::from_ref(&p.inter.cert),
    )
    .expect("sign");
    std::fs::write(p.dir.join("e.p7m"), &sig).expect("w");
    let (ok, out) = openssl(
        &[
            "cms", "-verify", "-inform", "DER", "-in", "e.p7m", "-CAfile", "ca.pem",
        ],
        &p.dir,
    );
    assert!(ok && out.contains("submission-acceptance"), "{out}");
    let r = verify(&sig, None, &anchors(&p), &NoRevocation);
    assert!(r.valid(), "{:?}", r.problems);
    assert_eq!(r.content.as_deref(), Some(&doc[..]));

    // Flip a byte inside the embedded document.
    let pos = sig
        .windows(10)
        .position(|w| w == b"submission")
        .expect("content in DER");
    let mut bad = sig.clone();
    bad[pos] ^= 0x20;
    std::fs::write(p.dir.join("bad.p7m"), &bad).expect("w");
    let (ok, _) = openssl(
        &[
            "cms", "-verify", "-inform", "DER", "-in", "bad.p7m", "-CAfile", "ca.pem",
        ],
        &p.dir,
    );
    assert!(!ok);
    assert!(!verify(&bad, None, &anchors(&p), &NoRevocation).valid());

    // Against another installation's root it is untrusted, in both.
    let other = pki::root("CN=Other Root", now()).expect("root");
    std::fs::write(
        p.dir.join("other.pem"),
        pki::cert_pem(&other.cert).expect("pem"),
    )
    .expect("w");
    let (ok, _) = openssl(
        &[
            "cms",
            "-verify",
            "-inform",
            "DER",
            "-in",
            "e.p7m",
            "-CAfile",
            "other.pem",
        ],
        &p.dir,
    );
    assert!(!ok);
    let r = verify(&sig, None, &[other.cert], &NoRevocation);
    assert!(r.problems.contains(&Problem::Untrusted));
}

#[test]
fn tsa_replies_verify_with_openssl_ts() {
    if !openssl_available() {
        return;
    }
    let p = setup();
    std::fs::write(p.dir.join("data.txt"), b"stamp me").expect("w");
    let (ok, out) = openssl(
        &[
            "ts", "-query", "-data", "data.txt", "-sha256", "-cert", "-out", "req.tsq",
        ],
        &p.dir,
    );
    assert!(ok, "{out}");
    let req = std::fs::read(p.dir.join("req.tsq")).expect("r");
    let resp = p.tsa.respond(&req, 1, now()).expect("respond");
    std::fs::write(p.dir.join("resp.tsr"), &resp).expect("w");
    let (ok, out) = openssl(
        &[
            "ts", "-verify", "-data", "data.txt", "-in", "resp.tsr", "-CAfile", "ca.pem",
        ],
        &p.dir,
    );
    assert!(ok && out.contains("OK"), "{out}");
    let (ok, text) = openssl(&["ts", "-reply", "-in", "resp.tsr", "-text"], &p.dir);
    assert!(
        ok && text.contains("Nonce") && text.contains("Accuracy: 0x01 seconds"),
        "{text}"
    );
    // Other data does not verify.
    std::fs::write(p.dir.join("other.txt"), b"stamp you").expect("w");
    let (ok, _) = openssl(
        &[
            "ts",
            "-verify",
            "-data",
            "other.txt",
            "-in",
            "resp.tsr",
            "-CAfile",
            "ca.pem",
        ],
        &p.dir,
    );
    assert!(!ok);
    // A garbage request gets a rejection, not a crash.
    let rej = p
        .tsa
        .respond(b"\x30\x03\x02\x01\x01", 2, now())
        .expect("respond");
    std::fs::write(p.dir.join("rej.tsr"), &rej).expect("w");
    let (_, text) = openssl(&["ts", "-reply", "-in", "rej.tsr", "-text"], &p.dir);
    assert!(
        text.contains("Rejected") || text.contains("rejection"),
        "{text}"
    );
}

#[test]
fn signature_with_time_stamp_is_cades_t() {
    if !openssl_available() {
        return;
    }
    let p = setup();
    let file = b"contract";
    let sig = sign(
        &SignRequest::data(file, true, now()),
        &p.seal,
        std::slice::from_ref(&p.inter.cert),
    )
    .expect("sign");
    let token = p
        .tsa
        .stamp(&signature_value(&sig).expect("sv"), 7, now())
        .expect("stamp");
    let t = add_signature_timestamp(&sig, &token).expect("add");
    std::fs::write(p.dir.join("c.txt"), file).expect("w");
    std::fs::write(p.dir.join("c.p7s"), &t).expect("w");
    let (ok, out) = openssl(
        &[
            "cms",
            "-verify",
            "-binary",
            "-inform",
            "DER",
            "-in",
            "c.p7s",
            "-content",
            "c.txt",
            "-CAfile",
            "ca.pem",
            "-out",
            "/dev/null",
        ],
        &p.dir,
    );
    assert!(ok, "{out}");
    let r = verify(&t, Some(file), &anchors(&p), &NoRevocation);
    assert!(r.valid(), "{:?}", r.problems);
    assert!(
        r.time_stamp.is_some()
            && r.time_stamp_authority
                .as_deref()
                .is_some_and(|a| a.contains("TSA"))
    );
    let tr = verify_time_stamp(&token, b"other", &anchors(&p), &NoRevocation);
    assert!(!tr.valid());
}

#[test]
fn expired_and_revoked_certificates_are_reported() {
    let p = setup();
    let later = now() + time::Duration::days(365 * 4);
    let sig = sign(
        &SignRequest::data(b"x", true, later),
        &p.seal,
        std::slice::from_ref(&p.inter.cert),
    )
    .expect("sign");
    let r = verify(&sig, Some(b"x"), &anchors(&p), &NoRevocation);
    assert!(
        r.problems
            .iter()
            .any(|x| matches!(x, Problem::CertificateNotValidAtSigningTime(_))),
        "{:?}",
        r.problems
    );

    struct AllRevoked;
    impl Revocation for AllRevoked {
        fn revoked_at(&self, _: &Certificate) -> Option<OffsetDateTime> {
            Some(OffsetDateTime::UNIX_EPOCH)
        }
    }
    let sig = sign(
        &SignRequest::data(b"x", true, now()),
        &p.seal,
        std::slice::from_ref(&p.inter.cert),
    )
    .expect("sign");
    let r = verify(&sig, Some(b"x"), &anchors(&p), &AllRevoked);
    assert!(r.problems.iter().any(|x| matches!(x, Problem::Revoked(_))));
    // A TSA certificate cannot sign documents.
    let sig = sign(
        &SignRequest::data(b"x", true, now()),
        &p.tsa.pair,
        std::slice::from_ref(&p.inter.cert),
    )
    .expect("sign");
    assert!(verify(&sig, Some(b"x"), &anchors(&p), &NoRevocation)
        .problems
        .contains(&Problem::NotForSigning));
    // Detached without content, truncated, garbage.
    assert_eq!(
        verify(&sig, None, &anchors(&p), &NoRevocation).problems,
        vec![Problem::NoContent]
    );
    assert!(matches!(
        verify(
            &sig[..sig.len() / 2],
            Some(b"x"),
            &anchors(&p),
            &NoRevocation
        )
        .problems[0],
        Problem::Malformed(_)
    ));
    assert!(matches!(
        verify(b"hello", None, &anchors(&p), &NoRevocation).problems[0],
        Problem::Malformed(_)
    ));
}

proptest! {
    // 512 cases in the test suite; OKIENKO_FUZZ_CASES=N for a long fuzzing run.
    #![proptest_config(ProptestConfig {
        cases: std::env::var("OKIENKO_FUZZ_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(512),
        ..ProptestConfig::default()
    })]
    /// Parsing entry points never panic on arbitrary bytes or on mutations of a valid
    /// signature, time-stamp request or certificate; mutated signatures never verify unless
    /// the mutation left the signed bytes intact.
    #[test]
    fn der_entry_points_never_panic(noise in proptest::collection::vec(any::<u8>(), 0..600), pos in any::<usize>(), byte in any::<u8>()) {
        let p = FIXTURE.with(|f| f.clone());
        let _ = verify(&noise, Some(b"x"), &[], &NoRevocation);
        let _ = p.0.respond(&noise, 1, now());
        let _ = pki::cert_from_der(&noise);
        let _ = pki::from_pkcs12(&noise, "password");
        let mut m = p.1.clone();
        let i = pos % m.len();
        if m[i] != byte {
            m[i] = byte;
            let r = verify(&m, Some(b"fuzz"), &p.2, &NoRevocation);
            // The only bytes that may change without notice are unsigned ones (e.g. inside
            // the certificate set's ordering); a verdict of valid must still be sound.
            if r.valid() {
                prop_assert!(verify(&m, Some(b"fuzz"), &p.2, &NoRevocation).valid());
            }
        }
    }
}

thread_local! {
    static FIXTURE: std::sync::Arc<(Tsa, Vec<u8>, Vec<Certificate>)> = {
        let p = setup();
        let sig = sign(&SignRequest::data(b"fuzz", true, now()), &p.seal, std::slice::from_ref(&p.inter.cert)).expect("sign");
        let anchors = vec![p.root.cert.clone()];
        std::sync::Arc::new((p.tsa, sig, anchors))
    };
}
