//! An art. 36 KPA delay notice: when a case cannot be settled in time, the office tells the
//! party why and names a new date. The notice goes through e-delivery (or on paper), is entered
//! in the register of outgoing correspondence, and the case's deadline moves to that date in
//! the same commit (a later suspension still moves it further).

use super::{date_text, parse_date};
use crate::accounts::Principal;
use crate::delivery::Outgoing;
use crate::paper::PostalRecipient;
use crate::Services;
use okienko_domain::cases::{self, CaseStatus, Term};
use okienko_domain::error::FieldErrors;
use okienko_domain::DomainError;
use okienko_store::{Case, RegisterEntry};

impl Services {
    /// Moves an open case's deadline to `new_deadline` (`YYYY-MM-DD`; a day off moves to the
    /// next working day) and sends the party the notice with the reason and the new date.
    pub async fn delay_case(
        &self,
        p: &Principal,
        id: &str,
        new_deadline: &str,
        reason: &str,
        postal: Option<PostalRecipient>,
    ) -> Result<Case, DomainError> {
        let c = self.my_case(p, id).await?;
        if c.status != CaseStatus::Open.as_str() {
            return Err(DomainError::Conflict("err-case-not-open"));
        }
        let start = parse_date(&c.started_on)
            .ok_or_else(|| DomainError::Internal(format!("case start {}", c.started_on)))?;
        let term = Term::parse(&c.term).unwrap_or(Term::Month);
        let mut errors = FieldErrors::new();
        let today = self.today();
        let latest = today
            .checked_add(time::Duration::days(731))
            .unwrap_or(today);
        let new = parse_date(new_deadline.trim())
            .filter(|d| *d <= latest)
            .map(|d| cases::next_working_day(self.country, d));
        let extended = new.and_then(|d| {
            cases::extension_to(
                self.country,
                start,
                term,
                c.excluded_days,
                c.extended_days,
                d,
            )
        });
        if extended.is_none() {
            errors.add("deadline", "err-case-delay-date");
        }
        let reason = reason.trim();
        if reason.is_empty()
            || reason.chars().count() > 1000
            || !okienko_domain::text::clean_text(reason)
        {
            errors.add("reason", "err-case-reason");
        }
        let to = self.party_address(&c).await?;
        if to.is_none() && postal.is_none() {
            errors.add("postal", "err-decision-no-address");
        }
        errors.finish()?;
        let (Some(new), Some(extended)) = (new, extended) else {
            return Err(DomainError::invalid("deadline", "err-case-delay-date"));
        };
        let office_box = self
            .store
            .office_mailbox(&c.office_id)
            .await?
            .ok_or_else(|| DomainError::invalid("from", "err-from-not-yours"))?;
        let lang = self.office_lang();
        let date = format!("{:02}.{:02}.{}", new.day(), new.month() as u8, new.year());
        let out = Outgoing {
            from: office_box.address,
            to: to.into_iter().collect(),
            subject: format!("{} {}", lang.t("case-delay-subject"), c.signature),
            body: lang.t_args(
                "case-delay-body",
                &[
                    ("signature", &c.signature),
                    ("title", &c.title),
                    ("reason", reason),
                    ("date", &date),
                ],
            ),
            attachments: Vec::new(),
            idempotency_key: Some(format!("delay-{}-{}", c.id, date_text(new))),
            postal: postal.into_iter().collect(),
            reply_to: None,
            bulk: false,
            correctable: true,
        };
        let sent = self.send_message(p, out).await?;
        let now = self.now_ms();
        let entry = RegisterEntry {
            id: okienko_store::new_id(),
            office_id: c.office_id.clone(),
            year: i64::from(today.year()),
            number: 0,
            direction: "out".into(),
            kind: "delay-notice".into(),
            subject: format!("{} {}", lang.t("case-delay-subject"), c.signature),
            correspondent: c.party_name.clone(),
            received_at: now,
            submission_id: None,
            message_id: Some(sent.id),
            department_id: Some(c.department_id.clone()),
            case_id: Some(c.id.clone()),
            created_by: p.user.id.clone(),
            created_at: now,
        };
        let after = Case {
            extended_days: extended,
            deadline: date_text(new),
            ..c.clone()
        };
        self.change_case_with(
            p,
            &c,
            after,
            "delayed",
            format!("{}: {reason}", date_text(new)),
            Some(&entry),
        )
        .await
    }
}
