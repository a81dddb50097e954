//! Paper letters in the correspondence register: an official registers a letter that came on
//! paper with its scan, and certifies the scan as a true electronic copy of the paper. The
//! certification is the office seal's detached CAdES-T signature over the scan and a note
//! (what was certified, by whom, when) signed and in the evidence log, stored with the entry
//! in the commit that logs it.

use crate::accounts::Principal;
use crate::clock::rfc3339;
use crate::Services;
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use okienko_domain::audit::AuditEvent;
use okienko_domain::error::FieldErrors;
use okienko_domain::DomainError;
use okienko_store::{EvidenceRecord, RegisterEntry, RegisterScan, ScannedLetter, SignedRecord};
use serde_json::json;

/// The kinds of file a scan may be.
const SCAN_TYPES: [&str; 4] = ["application/pdf", "image/png", "image/jpeg", "image/tiff"];
const MAX_SUBJECT: usize = 300;
const MAX_CORRESPONDENT: usize = 200;

/// A paper letter to register: what the form asks.
#[derive(Debug, Clone, Default)]
pub struct PaperLetterInput {
    pub subject: String,
    pub correspondent: String,
    /// The day it came in, `YYYY-MM-DD`.
    pub received_on: String,
    /// The department it goes to (its id or its code), if one is chosen now.
    pub department: Option<String>,
}

/// A register entry with the scan of its letter, if it came on paper.
#[derive(Debug, Clone)]
pub struct EntryView {
    pub entry: RegisterEntry,
    pub scan: Option<RegisterScan>,
    /// The records of the case it joined were destroyed: its scan's file with them (the
    /// entry and the certification stay).
    pub destroyed: bool,
}

fn line(s: &str, max: usize) -> bool {
    let t = s.trim();
    !t.is_empty() && t.chars().count() <= max && okienko_domain::text::clean_line(t)
}

impl Services {
    /// Registers a letter received on paper in an office's register with its scan, certified
    /// as a true copy by the official who registers it. Bad input changes nothing.
    pub async fn register_paper(
        &self,
        p: &Principal,
        office_id: &str,
        input: &PaperLetterInput,
        file_name: &str,
        bytes: Vec<u8>,
    ) -> Result<RegisterEntry, DomainError> {
        let (departments, whole) = self.paper_departments(p, office_id).await?;
        let mut errors = FieldErrors::new();
        if !line(&input.subject, MAX_SUBJECT) {
            errors.add("subject", "err-scan-subject");
        }
        if !line(&input.correspondent, MAX_CORRESPONDENT) {
            errors.add("correspondent", "err-scan-correspondent");
        }
        let today = self.today();
        let f = time::macros::format_description!("[year]-[month]-[day]");
        let received = time::Date::parse(input.received_on.trim(), &f).ok();
        match received {
            Some(d) if d <= today && d.year() >= 2000 => {}
            _ => errors.add("received_on", "err-scan-received"),
        }
        let department = match input.department.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(id) => match departments.iter().find(|d| d.id == id || d.code == id) {
                Some(d) => Some(d.id.clone()),
                None => {
                    errors.add("department", "err-case-department");
                    None
                }
            },
        };
        // Without a department the entry is the whole office's: only who works all of its
        // cases may leave it so.
        if department.is_none() && !whole {
            errors.add("department", "err-case-department");
        }
        let media_type = Self::version_file(file_name, &bytes, &mut errors);
        if !media_type.is_empty() && !SCAN_TYPES.contains(&media_type) {
            errors.add("file", "err-scan-type");
        }
        errors.finish()?;
        let received = received.ok_or(DomainError::invalid("received_on", "err-scan-received"))?;
        let now = self.now_ms();
        // Today's letter came in now; an earlier one at the start of its day.
        let received_at = if received == today {
            now
        } else {
            okienko_domain::to_millis(self.country.day_start(received))
        };
        let entry = RegisterEntry {
            id: okienko_store::new_id(),
            office_id: office_id.to_string(),
            year: i64::from(received.year()),
            number: 0,
            direction: "in".into(),
            kind: "paper".into(),
            subject: input.subject.trim().to_string(),
            correspondent: input.correspondent.trim().to_string(),
            received_at,
            submission_id: None,
            message_id: None,
            department_id: department,
            case_id: None,
            created_by: p.user.id.clone(),
            created_at: now,
        };
        let sha256 = hex::encode(okienko_trust::sha256(&bytes));
        let size = bytes.len() as i64;
        // A scanned PDF with a text layer (most scanners write one) is found by its text: read
        // in the sandboxed worker; one that does not open is registered all the same.
        let text = if media_type == "application/pdf" {
            self.sandbox
                .pdf_text(bytes::Bytes::from(bytes.clone()))
                .await
                .unwrap_or_default()
        } else {
            String::new()
        };
        let p7s = self.seal_stamped(office_id, bytes.clone(), true).await?;
        self.blobs
            .put(bytes.into())
            .await
            .map_err(|e| DomainError::Internal(e.to_string()))?;
        let evidence_id = format!("EV-{}", okienko_store::new_id());
        let statement = self.office_lang().t("scan-statement");
        let doc = json!({
            "evidence_id": evidence_id,
            "type": "certified-copy",
            "issuing_service": self.base_url,
            "office_id": office_id,
            "register_entry": entry.id,
            "subject": entry.subject,
            "correspondent": entry.correspondent,
            "receipt_time": rfc3339(received_at),
            "documents": [{"name": file_name.trim(), "media_type": media_type, "sha256": sha256, "size": size}],
            "signature_sha256": hex::encode(okienko_trust::sha256(&p7s)),
            "statement": statement,
            "certified_by": p.user.display_name,
            "event_time": rfc3339(now),
        });
        let document =
            serde_json::to_vec_pretty(&doc).map_err(|e| DomainError::Internal(e.to_string()))?;
        let signed = self.issue_signed(document.clone(), office_id).await?;
        // Filed under the office's mailbox: its officials see it as they see the evidence of
        // the office's messages.
        let office_box = self
            .store
            .office_mailbox(office_id)
            .await?
            .map(|m| m.address)
            .unwrap_or_default();
        let mut record = SignedRecord::ScannedLetter(Box::new(ScannedLetter {
            scan: RegisterScan {
                entry_id: entry.id.clone(),
                name: file_name.trim().to_string(),
                media_type: media_type.to_string(),
                sha256,
                size,
                signature: B64.encode(&p7s),
                evidence_id: evidence_id.clone(),
                certified_by: p.user.id.clone(),
                certified_name: p.user.display_name.clone(),
                certified_at: now,
            },
            evidence: EvidenceRecord {
                id: evidence_id,
                message_id: None,
                recipient: office_box,
                kind: "certified-copy".into(),
                issued_at: now,
                log_index: -1,
                document: String::from_utf8_lossy(&document).to_string(),
                signed_b64: B64.encode(&signed),
            },
            entry,
            text,
        }));
        let ev = AuditEvent::new(now, Some(&p.user.id), "register.paper", &input.subject);
        self.log_signed(signed, &mut record, ev).await?;
        let SignedRecord::ScannedLetter(l) = record else {
            return Err(DomainError::Internal("a paper letter changed kind".into()));
        };
        // Numbered in the commit that stored it.
        self.store
            .register_entry(&l.entry.id)
            .await?
            .ok_or(DomainError::NotFound)
    }

    /// The departments of an office a person may register a paper letter for, and whether
    /// they may leave it with the whole office (no department yet). Not found for a person who
    /// works none of its cases.
    pub async fn paper_departments(
        &self,
        p: &Principal,
        office_id: &str,
    ) -> Result<(Vec<okienko_store::Department>, bool), DomainError> {
        let departments: Vec<_> = self
            .case_departments(p)
            .await?
            .into_iter()
            .filter(|d| d.office_id == office_id)
            .collect();
        if departments.is_empty() {
            return Err(DomainError::NotFound);
        }
        Ok((departments, Self::may_handle(p, office_id, None)))
    }

    /// A register entry with the scan of its letter, for the people who work its cases.
    pub async fn entry_view(&self, p: &Principal, id: &str) -> Result<EntryView, DomainError> {
        let entry = self.register_entry(p, id).await?;
        let scan = self.store.register_scan(&entry.id).await?;
        let destroyed = match &entry.case_id {
            Some(case) => !self
                .store
                .destroyed(std::slice::from_ref(case))
                .await?
                .is_empty(),
            None => false,
        };
        Ok(EntryView {
            entry,
            scan,
            destroyed,
        })
    }

    /// The scan of a paper letter: its record and its file.
    pub async fn entry_scan(
        &self,
        p: &Principal,
        id: &str,
    ) -> Result<(RegisterScan, bytes::Bytes), DomainError> {
        let v = self.entry_view(p, id).await?;
        if v.destroyed {
            return Err(DomainError::Conflict("err-case-destroyed"));
        }
        let scan = v.scan.ok_or(DomainError::NotFound)?;
        let bytes = self
            .blobs
            .get(&scan.sha256)
            .await
            .map_err(|e| DomainError::Internal(e.to_string()))?;
        Ok((scan, bytes))
    }
}
