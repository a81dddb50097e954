//! The daily digest: each morning every official who handles cases near or past their
//! deadline gets one email listing them, soonest first. Once per official per local day,
//! whichever instance gets there first (a lease per official that runs to midnight). While an
//! official is away, their cases are in the digest of the colleague who substitutes them.

use super::{date_text, parse_date};
use crate::Services;
use okienko_domain::DomainError;
use okienko_i18n::Lang;
use okienko_store::Case;

/// Cases due within this many days are in the digest.
pub const DIGEST_DAYS: i64 = 7;
/// Not before this local hour: the start of the working day.
pub const DIGEST_HOUR: u8 = 7;

impl Services {
    /// The local day whose digest is due now: today from [`DIGEST_HOUR`] on, none before.
    pub fn digest_day(&self) -> Option<time::Date> {
        let local = self.country.local(self.clock.now());
        (local.hour() >= DIGEST_HOUR).then(|| local.date())
    }

    /// Queues today's digest for every official who has one and has not had it yet; returns
    /// how many were queued.
    pub async fn case_digest_sweep(&self) -> Result<usize, DomainError> {
        let now = self.clock.now();
        let local = self.country.local(now);
        if local.hour() < DIGEST_HOUR {
            return Ok(0);
        }
        let today = local.date();
        let until = today
            .checked_add(time::Duration::days(DIGEST_DAYS))
            .unwrap_or(today);
        let midnight = today
            .next_day()
            .unwrap_or(today)
            .midnight()
            .assume_offset(local.offset());
        let midnight_ms = (midnight.unix_timestamp_nanos() / 1_000_000) as i64;
        let due = self.store.cases_due(&date_text(until), 50_000).await?;
        // Whom each handler's cases go to today: the handler, or while they are away the
        // colleague who substitutes them (with the absent official's name beside each case).
        let day = today.to_string();
        let mut to: std::collections::BTreeMap<String, Vec<(&Case, Option<String>)>> =
            Default::default();
        for group in due.chunk_by(|a, b| a.handler_id == b.handler_id) {
            let Some(handler) = group.first().and_then(|c| c.handler_id.clone()) else {
                continue;
            };
            let (recipient, absent) = match self.store.away(&handler, &day).await? {
                Some(s) => (s.substitute_id, Some(s.absent_name)),
                None => (handler, None),
            };
            to.entry(recipient)
                .or_default()
                .extend(group.iter().map(|c| (c, absent.clone())));
        }
        let mut queued = 0;
        for (recipient, mut cases) in to {
            let now_ms = self.now_ms();
            if !self
                .store
                .take_lease(&format!("case-digest:{recipient}"), now_ms, midnight_ms)
                .await?
            {
                continue;
            }
            let Some(user) = self.store.user_by_id(&recipient).await? else {
                continue;
            };
            if user.disabled {
                continue;
            }
            cases.sort_by(|a, b| (&a.0.deadline, &a.0.id).cmp(&(&b.0.deadline, &b.0.id)));
            let lang = user
                .locale
                .as_deref()
                .and_then(Lang::parse)
                .unwrap_or(Lang::Pl);
            let email = crate::mail::Email {
                attachments: Vec::new(),
                to: user.email,
                subject: lang.t_args(
                    "mail-case-digest-subject",
                    &[("count", &cases.len().to_string())],
                ),
                body: self.digest_body(lang, today, &cases),
            };
            self.mail
                .queue(self.store.as_ref(), &email, now_ms)
                .await
                .map_err(|e| DomainError::Internal(e.to_string()))?;
            queued += 1;
        }
        Ok(queued)
    }

    fn digest_body(
        &self,
        lang: Lang,
        today: time::Date,
        cases: &[(&Case, Option<String>)],
    ) -> String {
        let mut body = lang.t("mail-case-digest-intro");
        body.push_str("\n\n");
        for (c, absent) in cases {
            let due = parse_date(&c.deadline).unwrap_or(today);
            let days = (due - today).whole_days();
            let when = if days < 0 {
                lang.t_args("mail-case-digest-late", &[("days", &(-days).to_string())])
            } else if days == 0 {
                lang.t("mail-case-digest-today")
            } else {
                lang.t_args("mail-case-digest-in", &[("days", &days.to_string())])
            };
            let covering = absent
                .as_ref()
                .map(|name| {
                    format!(
                        " — {}",
                        lang.t_args("mail-case-digest-covering", &[("name", name)])
                    )
                })
                .unwrap_or_default();
            body.push_str(&format!(
                "- {} {}: {} ({when}){covering}\n  {}/cases/{}\n",
                c.signature, c.title, c.deadline, self.base_url, c.id
            ));
        }
        body
    }
}
