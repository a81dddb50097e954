//! Email notices of new messages (rules in `okienko_domain::notices`): the message's commit
//! adds to the person's pending count; here the job runner turns due counts into one email
//! each ("3 new messages are waiting"), queued in the same commit that marks them sent.

use crate::mail::{Email, JOB_KIND};
use crate::Services;
use okienko_store::notices::SentNotice;

/// Claims up to `limit` due notices and queues their emails; returns how many were due.
pub async fn send_due(s: &Services, limit: i64) -> anyhow::Result<usize> {
    let now = s.now_ms();
    let due = s.store.claim_notices(now, 60_000, limit).await?;
    if due.is_empty() {
        return Ok(0);
    }
    let mut sent = Vec::with_capacity(due.len());
    for d in &due {
        let user = s.store.user_by_id(&d.user_id).await?;
        // Only to a proven address that can receive mail (not a counter login, `.invalid`).
        let email = user
            .filter(|u| u.email_verified && crate::mail::can_receive(&u.email))
            .map(|u| {
                let lang = u
                    .locale
                    .as_deref()
                    .and_then(okienko_i18n::Lang::parse)
                    .unwrap_or(okienko_i18n::Lang::Pl);
                let link = format!("{}/mailboxes", s.base_url);
                Email {
                    attachments: Vec::new(),
                    to: u.email,
                    subject: lang.t_count("mail-new-messages-subject", d.pending, &[]),
                    body: lang.t_count("mail-new-messages-body", d.pending, &[("link", &link)]),
                }
            });
        sent.push(SentNotice {
            user_id: d.user_id.clone(),
            told: d.pending,
            email_payload: email.map(|e| serde_json::to_string(&e)).transpose()?,
        });
    }
    s.store.finish_notices(&sent, JOB_KIND, now).await?;
    Ok(due.len())
}
