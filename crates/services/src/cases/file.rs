//! A case's file as one ZIP: its metadata and timeline (`case.json`), every document (the
//! submission's attachments, each decision's PDF/A with its CAdES-T signature), every piece of
//! evidence (each JSON document beside its signed CMS), and a manifest of all of them with
//! their SHA-256, signed with the office seal (`manifest.json.p7s`, CAdES-T). A verifier
//! checks it offline with OpenSSL and sha256sum, as `README.txt` in the file says.

use super::decisions::DecisionView;
use crate::accounts::Principal;
use crate::clock::rfc3339;
use crate::Services;
use base64::Engine;
use okienko_domain::DomainError;
use okienko_store::EvidenceRecord;
use serde_json::json;
use std::io::Write;

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

/// One file of a case file.
pub(super) struct Part {
    pub(super) path: String,
    pub(super) bytes: Vec<u8>,
}

/// A file name made safe inside a ZIP: no directories, no controls.
fn safe_name(name: &str) -> String {
    let s: String = name
        .chars()
        .map(|c| {
            if c.is_control() || matches!(c, '/' | '\\' | ':') {
                '_'
            } else {
                c
            }
        })
        .take(120)
        .collect();
    match s.trim_start_matches('.') {
        "" => "file".into(),
        t => t.to_string(),
    }
}

fn evidence_parts(out: &mut Vec<Part>, e: &EvidenceRecord) -> Result<(), DomainError> {
    out.push(Part {
        path: format!("evidence/{}.json", safe_name(&e.id)),
        bytes: e.document.clone().into_bytes(),
    });
    out.push(Part {
        path: format!("evidence/{}.p7m", safe_name(&e.id)),
        bytes: B64
            .decode(&e.signed_b64)
            .map_err(|x| DomainError::Internal(x.to_string()))?,
    });
    Ok(())
}

impl Services {
    /// The case's file as a ZIP with a signed manifest; its name. For those who handle the
    /// case; reading it is in the party's Data Tracker.
    pub async fn case_file(
        &self,
        p: &Principal,
        case_id: &str,
    ) -> Result<(String, Vec<u8>), DomainError> {
        let view = self.case_view(p, case_id).await?;
        self.case_file_of(p, view).await
    }

    /// The ZIP of a case whose view the caller may have (checked by the caller).
    pub(crate) async fn case_file_of(
        &self,
        p: &Principal,
        view: super::CaseView,
    ) -> Result<(String, Vec<u8>), DomainError> {
        if view.destroyed.is_some() {
            return Err(DomainError::Conflict("err-case-destroyed"));
        }
        let c = &view.case;
        let decisions = self.decision_views(&c.id).await?;
        let mut parts: Vec<Part> = Vec::new();
        let mut documents = Vec::new();
        // What came in: the submission's message, its attachments and evidence (the UPP).
        if let Some(m) = view.entry.as_ref().and_then(|e| e.submission_id.clone()) {
            for a in self.store.attachments(&m).await? {
                let path = format!("documents/submission/{:02}-{}", a.n + 1, safe_name(&a.name));
                parts.push(Part {
                    path: path.clone(),
                    bytes: self.blob(&a.sha256).await?.to_vec(),
                });
                documents.push(json!({"path": path, "name": a.name, "media_type": a.media_type, "source": "submission"}));
            }
            for e in self.store.evidence_of_message(&m).await? {
                evidence_parts(&mut parts, &e)?;
            }
        }
        // The working documents, every version.
        for (i, d) in self.store.documents(&c.id).await?.iter().enumerate() {
            for v in self.store.document_versions(&d.id).await? {
                let path = format!(
                    "documents/case/{:02}-v{}-{}",
                    i + 1,
                    v.n,
                    safe_name(&v.name)
                );
                parts.push(Part {
                    path: path.clone(),
                    bytes: self.blob(&v.sha256).await?.to_vec(),
                });
                documents.push(json!({"path": path, "title": d.title, "version": v.n, "author": v.author_name, "at": rfc3339(v.at), "media_type": v.media_type, "source": "case"}));
            }
        }
        // What went out: each signed decision, its signing evidence and its message's.
        for DecisionView { decision: d, .. } in &decisions {
            let (Some(sha), Some(sig)) = (&d.pdf_sha256, &d.signature) else {
                continue;
            };
            let path = format!("documents/decision-{}.pdf", d.n);
            parts.push(Part {
                path: path.clone(),
                bytes: self.blob(sha).await?.to_vec(),
            });
            parts.push(Part {
                path: format!("{path}.p7s"),
                bytes: B64
                    .decode(sig)
                    .map_err(|e| DomainError::Internal(e.to_string()))?,
            });
            documents.push(json!({"path": path, "signature": format!("{path}.p7s"), "title": d.title, "media_type": "application/pdf", "source": "decision"}));
            if let Some(e) = &d.evidence_id {
                if let Some(e) = self.store.evidence(e).await? {
                    evidence_parts(&mut parts, &e)?;
                }
            }
            if let Some(m) = &d.message_id {
                for e in self.store.evidence_of_message(m).await? {
                    evidence_parts(&mut parts, &e)?;
                }
            }
        }
        let meta = json!({
            "signature": c.signature,
            "title": c.title,
            "office_id": c.office_id,
            "department": {"code": view.department.code, "name": view.department.name},
            "jrwa": {"symbol": c.jrwa, "title": view.class.as_ref().map(|k| k.title.clone()), "category": view.class.as_ref().and_then(|k| k.category.map(|x| x.to_string()))},
            "party": c.party_name,
            "handler": view.handler_name,
            "status": c.status,
            "term": c.term,
            "started_on": c.started_on,
            "excluded_days": c.excluded_days,
            "deadline": c.deadline,
            "closed_at": c.closed_at.map(rfc3339),
            "register_entry": view.entry.as_ref().map(|e| json!({"number": e.number, "year": e.year, "subject": e.subject, "correspondent": e.correspondent, "received_at": rfc3339(e.received_at)})),
            "documents": documents,
            "decisions": decisions.iter().map(|v| json!({
                "number": v.decision.n,
                "title": v.decision.title,
                "status": v.decision.status,
                "signed_at": v.decision.signed_at.map(rfc3339),
                "evidence_id": v.decision.evidence_id,
                "message_id": v.decision.message_id,
                "delivered_at": v.delivered.as_ref().map(|x| rfc3339(x.at)),
                "deemed_delivery": v.delivered.as_ref().map(|x| x.deemed),
                "delivery_evidence_id": v.delivered.as_ref().and_then(|x| x.evidence_id.clone()),
                "appeal_until": v.delivered.as_ref().map(|x| x.appeal_until.clone()),
            })).collect::<Vec<_>>(),
            "timeline": view.events.iter().map(|e| json!({"at": rfc3339(e.at), "kind": e.kind, "by": e.actor_name, "detail": e.detail})).collect::<Vec<_>>(),
        });
        parts.insert(
            0,
            Part {
                path: "case.json".into(),
                bytes: serde_json::to_vec_pretty(&meta)
                    .map_err(|e| DomainError::Internal(e.to_string()))?,
            },
        );
        parts.push(Part {
            path: "ca.pem".into(),
            bytes: self
                .pki
                .ca_pem()
                .map_err(|e| DomainError::Internal(e.to_string()))?
                .into_bytes(),
        });
        // The same evidence can come twice (a message's and a decision's): once is enough.
        let mut seen = std::collections::HashSet::new();
        parts.retain(|p| seen.insert(p.path.clone()));
        let manifest = json!({
            "case": c.signature,
            "office_id": c.office_id,
            "exported_at": rfc3339(self.now_ms()),
            "issuing_service": self.base_url,
            "files": parts.iter().map(|p| json!({
                "path": p.path,
                "size": p.bytes.len(),
                "sha256": hex::encode(okienko_trust::sha256(&p.bytes)),
            })).collect::<Vec<_>>(),
        });
        let manifest = serde_json::to_vec_pretty(&manifest)
            .map_err(|e| DomainError::Internal(e.to_string()))?;
        let seal = self
            .seal_stamped(&c.office_id, manifest.clone(), true)
            .await?;
        parts.push(Part {
            path: "manifest.json".into(),
            bytes: manifest,
        });
        parts.push(Part {
            path: "manifest.json.p7s".into(),
            bytes: seal,
        });
        parts.push(Part {
            path: "README.txt".into(),
            bytes: README.as_bytes().to_vec(),
        });
        let ev = okienko_domain::audit::AuditEvent::new(
            self.now_ms(),
            Some(&p.user.id),
            "case.export",
            c.id.clone(),
        );
        let ev = match &c.party_user_id {
            Some(u) => ev.subject(u),
            None => ev,
        };
        self.store.append_audit(&ev).await?;
        let zip = tokio::task::spawn_blocking(move || write_zip(&parts))
            .await
            .map_err(|e| DomainError::Internal(e.to_string()))??;
        Ok((format!("{}.zip", c.signature), zip))
    }
}

pub(super) fn write_zip(parts: &[Part]) -> Result<Vec<u8>, DomainError> {
    let fail = |e: &dyn std::fmt::Display| DomainError::Internal(format!("zip: {e}"));
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let opts = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .last_modified_time(zip::DateTime::default());
    for p in parts {
        w.start_file(p.path.as_str(), opts).map_err(|e| fail(&e))?;
        w.write_all(&p.bytes).map_err(|e| fail(&e))?;
    }
    Ok(w.finish().map_err(|e| fail(&e))?.into_inner())
}

/// How to check a case file, in the file (English and Polish: what an archive or a court
/// reads).
const README: &str = "\
This is a case file exported by okienko. To check it offline:

1. The manifest is signed with the office seal (CAdES-T, detached). Check the signature
   against the platform's root certificate as published by the operator (ca.pem here is a
   copy; compare its fingerprint with the published one):
     openssl cms -verify -binary -inform DER -in manifest.json.p7s \\
       -content manifest.json -CAfile ca.pem -out /dev/null
2. Every file listed in manifest.json has the SHA-256 written there:
     python3 -c 'import json,hashlib; m=json.load(open(\"manifest.json\")); \\
       print(all(hashlib.sha256(open(f[\"path\"],\"rb\").read()).hexdigest()==f[\"sha256\"] for f in m[\"files\"]))'
3. Each decision's PDF has its own signature beside it (decision-N.pdf.p7s), checked the
   same way with -content decision-N.pdf; each evidence/*.p7m is an enveloping signature
   of the JSON beside it (openssl cms -verify -inform DER -in X.p7m -CAfile ca.pem).

Akta sprawy wyeksportowane z okienka. Sprawdzenie bez sieci: podpis manifestu (pieczęć
urzędu, CAdES-T) poleceniem z punktu 1, skróty SHA-256 plików z manifestu poleceniem z
punktu 2, podpisy decyzji i dowodów jak w punkcie 3.
";
