//! The background job runner: claims due jobs from the database, runs them, and retries
//! failures with exponential backoff.

use crate::Services;
use std::time::Duration;

/// Backoff before retry number `attempt` (1-based): 5 s, 10 s, 20 s, … capped at one hour.
pub fn backoff_ms(attempt: i64) -> i64 {
    let exp = attempt.clamp(1, 20) - 1;
    (5_000i64 << exp).min(3_600_000)
}

/// Runs one round: turns due notices of new messages into emails, then claims up to `limit`
/// due jobs and runs them. Each job is marked done as soon as it succeeded, so an instance
/// that dies mid-round leaves only the jobs it had not finished to be claimed again once their
/// lease ends. Returns how many ran.
pub async fn run_once(s: &Services, limit: i64) -> anyhow::Result<usize> {
    let notices = crate::notices::send_due(s, limit).await?
        + s.appointment_sweep()
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
    let now = s.now_ms();
    let jobs = s.store.claim_jobs(now, 60_000, limit).await?;
    let n = jobs.len();
    for job in jobs {
        let result = match job.kind.as_str() {
            crate::mail::JOB_KIND => deliver_email(s, &job).await,
            okienko_store::EXPORT_JOB => s.run_export(&job.payload).await,
            other => Err(anyhow::anyhow!("unknown job kind {other}")),
        };
        let now = s.now_ms();
        match result {
            Ok(()) => {
                s.store
                    .complete_jobs(std::slice::from_ref(&job.id), now)
                    .await?
            }
            Err(e) => {
                let retry =
                    (job.attempts < job.max_attempts).then(|| now + backoff_ms(job.attempts));
                tracing::warn!(job = %job.id, kind = %job.kind, attempt = job.attempts, error = %e, "job failed");
                s.store
                    .fail_job(&job.id, &e.to_string(), retry, now)
                    .await?;
            }
        }
    }
    Ok(n + notices)
}

/// Sends one email job. Once it has been handed to the SMTP server it is not sent again: not
/// when the answer is lost, and not by another instance that claims it after this one died
/// mid-hand-over (its `handed_at` is still set). Those count as done, with a warning naming the
/// job, so that nobody gets a notice twice.
async fn deliver_email(s: &Services, job: &okienko_store::Job) -> anyhow::Result<()> {
    if let Some(at) = job.handed_at {
        tracing::warn!(job = %job.id, handed_at = at, "email handed to the SMTP server by an attempt that stopped before the answer; not sent again");
        return Ok(());
    }
    let hand_over = async {
        s.store
            .hand_job(&job.id, s.now_ms())
            .await
            .map_err(Into::into)
    };
    match s.mail.deliver(&job.id, &job.payload, hand_over).await {
        Ok(()) => Ok(()),
        Err(crate::mail::Sent::No(e)) => Err(e),
        Err(crate::mail::Sent::Unconfirmed(e)) => {
            tracing::warn!(job = %job.id, error = %e, "email handed to the SMTP server, its answer lost; not sent again");
            Ok(())
        }
    }
}

/// Runs jobs until the process ends, polling every `interval` when idle.
pub async fn run_forever(s: Services, interval: Duration) {
    let mut last_sweep = std::time::Instant::now() - Duration::from_secs(3600);
    // The day this instance last swept the case digests: once a day is enough (the leases per
    // official keep two instances from sending one twice; this keeps an instance from reading
    // every due case again each minute after everyone has had theirs).
    let mut last_digest: Option<time::Date> = None;
    loop {
        // Each instance looks every minute; one at a time sweeps (a lease shorter than the
        // minute, so an instance that died mid-sweep holds nobody up for long).
        if last_sweep.elapsed() >= Duration::from_secs(60) {
            last_sweep = std::time::Instant::now();
            if s.take_sweep_lease().await {
                match s.deemed_delivery_sweep().await {
                    Ok(n) if n > 0 => tracing::info!(count = n, "deemed deliveries issued"),
                    Ok(_) => {}
                    Err(e) => tracing::error!(error = %e, "deemed delivery sweep"),
                }
                match s.draft_sweep().await {
                    Ok(n) if n > 0 => tracing::info!(count = n, "draft reminders queued"),
                    Ok(_) => {}
                    Err(e) => tracing::error!(error = %e, "draft sweep"),
                }
                if let Some(day) = s.digest_day().filter(|d| last_digest != Some(*d)) {
                    match s.case_digest_sweep().await {
                        Ok(n) => {
                            last_digest = Some(day);
                            if n > 0 {
                                tracing::info!(count = n, "case digests queued");
                            }
                        }
                        Err(e) => tracing::error!(error = %e, "case digest"),
                    }
                }
                match s.blob_garbage_sweep(crate::cases::archive::BLOB_IDLE).await {
                    Ok(n) if n > 0 => {
                        tracing::info!(count = n, "files of destroyed records deleted")
                    }
                    Ok(_) => {}
                    Err(e) => tracing::error!(error = %e, "deletion of destroyed records' files"),
                }
                match s.release_paid_submissions().await {
                    Ok(n) if n > 0 => tracing::info!(count = n, "paid submissions released"),
                    Ok(_) => {}
                    Err(e) => tracing::error!(error = %e, "release of paid submissions"),
                }
            }
        }
        match run_once(&s, 20).await {
            Ok(n) if n > 0 => continue,
            Ok(_) => {}
            Err(e) => tracing::error!(error = %e, "job runner"),
        }
        tokio::time::sleep(interval).await;
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn backoff_grows_and_caps() {
        assert_eq!(super::backoff_ms(1), 5_000);
        assert_eq!(super::backoff_ms(2), 10_000);
        assert_eq!(super::backoff_ms(30), 3_600_000);
    }
}
