//! The hybrid paper channel: a public body may address a recipient who has no electronic
//! address by post. The letter is rendered as an A4 PDF (cover page with tracking number and
//! verification code, the letter, its attachments), waits at the service point that serves the
//! recipient's postcode, is printed there in a batch, dispatched (`paper-dispatch` evidence)
//! and its outcome recorded by the clerk (`paper-outcome` evidence; returned after notice
//! counts as deemed delivery).

use crate::accounts::Principal;
use crate::{new_id, Services};
use okienko_domain::audit::AuditEvent;
use okienko_domain::policy::{allowed, Action};
use okienko_domain::{DomainError, FieldErrors};
use okienko_store::{Attachment, Mailbox, Message, PaperLetter, PrintBatch, ServicePoint};
use serde::Deserialize;
use serde_json::json;
use sha2::{Digest, Sha256};
mod desk;

/// What a letter's preview prints instead of its tracking number and verification code.
pub const PREVIEW: &str = "PODGLĄD / WZÓR";

/// A recipient addressed by post.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
pub struct PostalRecipient {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub street: String,
    #[serde(default)]
    pub postal_code: String,
    #[serde(default)]
    pub city: String,
}

/// What a clerk can record about a dispatched letter.
pub const OUTCOMES: [&str; 5] = [
    "delivered",
    "delivered-household",
    "picked-up",
    "returned-after-notice",
    "returned-other",
];

/// The evidence `recipient` of a paper letter.
pub fn paper_recipient(l: &PaperLetter) -> String {
    format!("PAPER:{}", l.tracking_number)
}

/// Chooses the open service point that serves a postcode: the one whose own postcode shares
/// the longest prefix with it (same district first), ties by name. None if no point is open.
pub fn serving_point<'a>(
    points: &'a [ServicePoint],
    postal_code: &str,
) -> Option<&'a ServicePoint> {
    let shared = |p: &ServicePoint| {
        p.postal_code
            .chars()
            .zip(postal_code.chars())
            .take_while(|(a, b)| a == b)
            .count()
    };
    points
        .iter()
        .filter(|p| p.is_open)
        .max_by(|a, b| shared(a).cmp(&shared(b)).then_with(|| b.name.cmp(&a.name)))
}

/// A letter prepared for storing: the record and its PDF.
pub(crate) struct Prepared {
    pub letter: PaperLetter,
    pub pdf: Vec<u8>,
}

fn verification_code() -> String {
    use rand::Rng;
    // Crockford's base32 alphabet: no I, L, O, U to misread on paper.
    const ALPHABET: &[u8] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
    let mut rng = rand::rngs::OsRng;
    let c: String = (0..8)
        .map(|_| char::from(ALPHABET[rng.gen_range(0..ALPHABET.len())]))
        .collect();
    format!("{}-{}", &c[..4], &c[4..])
}

impl Services {
    /// Checks postal recipients and the attachments they would get on paper, recording
    /// problems in `errs`; returns the serving point of each recipient.
    pub(crate) async fn check_postal(
        &self,
        sender: &Mailbox,
        postal: &[PostalRecipient],
        attachment_types: &[&str],
        errs: &mut FieldErrors,
    ) -> Result<Vec<ServicePoint>, DomainError> {
        if postal.is_empty() {
            return Ok(Vec::new());
        }
        if sender.kind != crate::mailboxes::PUBLIC_BODY {
            errs.add("postal", "err-postal-public-only");
            return Ok(Vec::new());
        }
        if attachment_types
            .iter()
            .any(|t| !okienko_print::printable(t))
        {
            errs.add("attachment", "err-attachment-not-printable");
        }
        let points = self.store.service_points().await?;
        let mut out = Vec::new();
        for r in postal {
            let short = |s: &str, max: usize| {
                s.trim().is_empty()
                    || s.chars().count() > max
                    || !okienko_domain::text::clean_line(s)
            };
            if short(&r.name, 200) {
                errs.add("postal", "err-postal-name");
            }
            if short(&r.street, 200) {
                errs.add("postal", "err-postal-street");
            }
            if short(&r.city, 100) {
                errs.add("postal", "err-postal-city");
            }
            match okienko_domain::ids::postal_code(&r.postal_code) {
                Err(c) => errs.add("postal", c),
                Ok(code) => match serving_point(&points, &code) {
                    Some(p) => out.push(p.clone()),
                    None => errs.add("postal", "err-no-service-point"),
                },
            }
        }
        Ok(out)
    }

    /// Renders one letter per postal recipient. Problems that only rendering finds (an
    /// attachment that does not open, too many sheets) go to `errs`.
    #[allow(clippy::too_many_arguments)]
    pub(crate) async fn render_letters(
        &self,
        sender: &Mailbox,
        message_id: &str,
        subject: &str,
        body: &str,
        attachments: &[(String, bytes::Bytes)],
        types: &[&'static str],
        postal: &[PostalRecipient],
        points: &[ServicePoint],
        (signatory, preview, errs): (&str, bool, &mut FieldErrors),
    ) -> Result<Vec<Prepared>, DomainError> {
        if postal.is_empty() || !errs.is_empty() {
            return Ok(Vec::new());
        }
        let mut sender_lines = vec![sender.name.clone()];
        let mut place = String::new();
        if let Some(office) = match &sender.office_id {
            Some(id) => self.store.office(id).await?,
            None => None,
        } {
            sender_lines.push(office.street);
            sender_lines.push(format!("{} {}", office.postal_code, office.city));
            place = office.city;
        }
        sender_lines.push(sender.address.clone());
        let now = self.now_ms();
        // The letter's date as the post's country writes it, in its own time zone: "Przykładowo,
        // 5 grudnia 2026".
        let day = self.country.local(okienko_domain::from_millis(now)).date();
        let pl = okienko_i18n::Lang::Pl;
        let date = pl.t_args(
            "date-only",
            &[
                ("day", &day.day().to_string()),
                ("month", &pl.t(&format!("month-{}", u8::from(day.month())))),
                ("year", &day.year().to_string()),
            ],
        );
        let date = if place.is_empty() {
            date
        } else {
            format!("{place}, {date}")
        };
        let mut jobs = Vec::new();
        for (r, point) in postal.iter().zip(points) {
            let serial = rand::Rng::gen_range(&mut rand::rngs::OsRng, 0..100_000_000u32);
            let letter = PaperLetter {
                id: new_id(),
                message_id: message_id.to_string(),
                tracking_number: if preview {
                    PREVIEW.to_string()
                } else {
                    okienko_domain::tracking::tracking_number(serial, "PL")
                },
                verification_code: if preview {
                    PREVIEW.to_string()
                } else {
                    verification_code()
                },
                recipient_name: r.name.trim().to_string(),
                street: r.street.trim().to_string(),
                postal_code: r.postal_code.trim().to_string(),
                city: r.city.trim().to_string(),
                service_point_id: point.id.clone(),
                batch_id: None,
                pages: 0,
                pdf_sha256: String::new(),
                created_at: now,
                outcome: None,
                outcome_at: None,
                outcome_by: None,
            };
            jobs.push(letter);
        }
        let base = self.base_url.clone();
        let job = crate::sandbox::LettersJob {
            sender_lines,
            date,
            subject: subject.to_string(),
            body: body.to_string(),
            signature_lines: [signatory, sender.name.as_str()]
                .iter()
                .filter(|s| !s.trim().is_empty())
                .map(|s| s.to_string())
                .collect(),
            attachments: attachments
                .iter()
                .zip(types)
                .map(|((n, b), t)| (n.clone(), t.to_string(), b.len() as u64))
                .collect(),
            letters: jobs
                .iter()
                .map(|l| crate::sandbox::LetterSpec {
                    tracking_number: l.tracking_number.clone(),
                    verification_code: l.verification_code.clone(),
                    verify_url: format!("{base}/letters/verify?tracking={}", l.tracking_number),
                    recipient_lines: vec![
                        l.recipient_name.clone(),
                        l.street.clone(),
                        format!("{} {}", l.postal_code, l.city),
                    ],
                })
                .collect(),
        };
        let files = attachments.iter().map(|(_, b)| b.clone()).collect();
        // Attachments came from outside: parsed and rendered only in a limited worker.
        let mut out = Vec::new();
        match self.sandbox.letters(job, files).await {
            Ok(rendered) => {
                for (mut letter, r) in jobs.into_iter().zip(rendered) {
                    letter.pages = r.pages as i64;
                    out.push(Prepared { letter, pdf: r.pdf });
                }
            }
            Err(crate::sandbox::Refusal::Unprintable) => {
                errs.add("attachment", "err-attachment-not-printable")
            }
            Err(crate::sandbox::Refusal::TooManySheets) => {
                errs.add("postal", "err-letter-too-long")
            }
            Err(crate::sandbox::Refusal::TooLarge) => errs.add("postal", "err-letters-too-large"),
        }
        if !errs.is_empty() {
            return Ok(Vec::new());
        }
        // The PDF is stored with the message, by the message writer.
        for p in &mut out {
            p.letter.pdf_sha256 = hex::encode(Sha256::digest(&p.pdf));
        }
        Ok(out)
    }
}

/// A service point's paper work: letters waiting and batches made.
pub struct PaperDesk {
    pub point: ServicePoint,
    pub waiting: Vec<PaperLetter>,
    pub batches: Vec<PrintBatch>,
}

/// A batch with its letters.
pub struct BatchView {
    pub batch: PrintBatch,
    pub point: ServicePoint,
    pub letters: Vec<PaperLetter>,
}

/// What anyone holding a letter sees after typing its verification code.
pub struct LetterCheck {
    pub letter: PaperLetter,
    pub sender_name: String,
    pub sender_address: String,
    pub sent_at: i64,
    pub status: &'static str,
}

/// Where a letter is: waiting, in a batch, printed, dispatched, or its outcome.
pub fn letter_status(l: &PaperLetter, batch: Option<&PrintBatch>) -> &'static str {
    if let Some(o) = &l.outcome {
        return OUTCOMES
            .iter()
            .find(|x| *x == o)
            .copied()
            .unwrap_or("returned-other");
    }
    match batch.map(|b| b.status) {
        None => "waiting",
        Some(okienko_domain::status::BatchStatus::Closed) => "batched",
        Some(okienko_domain::status::BatchStatus::Printed) => "printed",
        Some(okienko_domain::status::BatchStatus::Dispatched) => "dispatched",
    }
}

/// Constant-time comparison of equal-length secrets (length itself is not secret here).
fn subtle_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

impl Services {
    /// A message's paper letters with their status, for the sender's side only (empty for
    /// anyone else).
    pub async fn sent_letters(
        &self,
        p: &Principal,
        message: &Message,
    ) -> Result<Vec<(PaperLetter, &'static str)>, DomainError> {
        if !self
            .my_mailboxes(p)
            .await?
            .iter()
            .any(|(m, _)| m.address == message.sender)
        {
            return Ok(Vec::new());
        }
        let mut out = Vec::new();
        for l in self.store.paper_letters_of_message(&message.id).await? {
            let batch = match &l.batch_id {
                Some(b) => self.store.print_batch(b).await?,
                None => None,
            };
            let status = letter_status(&l, batch.as_ref());
            out.push((l, status));
        }
        Ok(out)
    }

    /// A letter's PDF for its sender or a clerk of the point that prints it.
    /// The print batch a letter is in, for a clerk of its service point.
    pub async fn letter_batch(&self, p: &Principal, id: &str) -> Result<String, DomainError> {
        let l = self
            .store
            .paper_letter(id)
            .await?
            .ok_or(DomainError::NotFound)?;
        if !allowed(
            &p.actor(),
            Action::HandlePaper {
                service_point_id: &l.service_point_id,
            },
        ) {
            return Err(DomainError::NotFound);
        }
        Ok(l.batch_id.unwrap_or_default())
    }

    pub async fn letter_pdf(
        &self,
        p: &Principal,
        letter_id: &str,
    ) -> Result<(PaperLetter, bytes::Bytes), DomainError> {
        let l = self
            .store
            .paper_letter(letter_id)
            .await?
            .ok_or(DomainError::NotFound)?;
        let clerk = allowed(
            &p.actor(),
            Action::HandlePaper {
                service_point_id: &l.service_point_id,
            },
        );
        if !clerk {
            let m = self
                .stored_message(&l.message_id)
                .await?
                .ok_or(DomainError::NotFound)?;
            if self.sent_letters(p, &m).await?.is_empty() {
                return Err(DomainError::NotFound);
            }
        }
        let bytes = self.blob(&l.pdf_sha256).await?;
        Ok((l, bytes))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn point(id: &str, code: &str, open: bool) -> ServicePoint {
        ServicePoint {
            id: id.into(),
            name: id.into(),
            street: String::new(),
            postal_code: code.into(),
            city: String::new(),
            is_open: open,
            created_at: 0,
        }
    }

    #[test]
    fn the_nearest_open_point_serves_a_postcode() {
        let points = vec![
            point("warszawa", "00-950", true),
            point("krakow", "30-001", true),
            point("warszawa-closed", "00-951", false),
        ];
        let pick = |c| serving_point(&points, c).map(|p| p.id.as_str());
        assert_eq!(pick("00-951"), Some("warszawa"));
        assert_eq!(pick("31-100"), Some("krakow"));
        assert!(serving_point(&[point("x", "00-001", false)], "00-001").is_none());
    }

    #[test]
    fn codes_are_readable_and_unlike() {
        let a = verification_code();
        assert_eq!(a.len(), 9);
        assert!(!a.contains(['I', 'L', 'O', 'U']));
        assert_ne!(a, verification_code());
        assert!(subtle_eq(b"AB", b"AB") && !subtle_eq(b"AB", b"AC") && !subtle_eq(b"A", b"AB"));
    }
}
