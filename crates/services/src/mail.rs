//! Outgoing email. Messages are queued as durable jobs and delivered by the job runner: over
//! SMTP when configured, otherwise written to an outbox folder (and the log) so that a demo
//! works offline.

use lettre::message::header::ContentType;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use okienko_store::Store;
use serde::{Deserialize, Serialize};
use std::path::PathBuf;

#[derive(Clone, Debug)]
pub enum Transport {
    /// `smtp://host:port` (plain SMTP, e.g. a local relay).
    Smtp {
        host: String,
        port: u16,
    },
    Outbox(PathBuf),
}

#[derive(Clone, Debug)]
pub struct Mailer {
    pub transport: Transport,
    pub from: String,
}

#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
pub struct Email {
    pub to: String,
    pub subject: String,
    pub body: String,
}

pub const JOB_KIND: &str = "email";

/// Whether mail can reach the address: not one in the reserved `.invalid` domain (RFC 2606;
/// the logins of people registered at a counter).
pub fn can_receive(to: &str) -> bool {
    !to.trim_end_matches('>').ends_with(".invalid")
}

impl Mailer {
    /// Parses `smtp://host:port`; anything else is an error.
    pub fn smtp_from_url(url: &str, from: &str) -> anyhow::Result<Self> {
        let rest = url.strip_prefix("smtp://").ok_or_else(|| {
            anyhow::anyhow!("unsupported SMTP URL {url:?}: expected smtp://host:port")
        })?;
        let (host, port) = match rest.trim_end_matches('/').rsplit_once(':') {
            Some((h, p)) => (
                h.to_string(),
                p.parse()
                    .map_err(|_| anyhow::anyhow!("bad SMTP port in {url:?}"))?,
            ),
            None => (rest.to_string(), 25),
        };
        Ok(Mailer {
            transport: Transport::Smtp { host, port },
            from: from.to_string(),
        })
    }

    /// Queues an email; it is sent by the job runner, with retries.
    /// Queues an email. Addresses in the reserved `.invalid` domain (RFC 2606; the logins of
    /// people registered at a counter) can receive nothing and are skipped.
    pub async fn queue(&self, store: &dyn Store, email: &Email, now: i64) -> anyhow::Result<()> {
        if !can_receive(&email.to) {
            return Ok(());
        }
        let payload = serde_json::to_string(email)?;
        store.enqueue_job(JOB_KIND, &payload, now, 8).await?;
        Ok(())
    }

    /// The Message-ID of the email job `job_id`: the same every time the job is tried, so a
    /// mail server (or the person's program) that sees it twice, because an instance died
    /// between the server's acceptance and marking the job done, can tell it is one email.
    pub fn message_id(&self, job_id: &str) -> String {
        let domain = self
            .from
            .trim_end_matches('>')
            .rsplit_once('@')
            .map_or("okienko.invalid", |(_, d)| d);
        format!("<{job_id}@{domain}>")
    }

    /// Delivers one queued email (the job `job_id`) now.
    pub async fn deliver(&self, job_id: &str, payload: &str) -> anyhow::Result<()> {
        let email: Email = serde_json::from_str(payload)?;
        match &self.transport {
            Transport::Smtp { host, port } => {
                let msg = Message::builder()
                    .message_id(Some(self.message_id(job_id)))
                    .from(self.from.parse()?)
                    .to(email.to.parse()?)
                    .subject(email.subject.clone())
                    .header(ContentType::TEXT_PLAIN)
                    .body(email.body.clone())?;
                let t = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host.as_str())
                    .port(*port)
                    .build();
                t.send(msg).await?;
            }
            Transport::Outbox(dir) => {
                tokio::fs::create_dir_all(dir).await?;
                // Named by the job: tried again, it is the same file.
                let name = format!("{job_id}.eml");
                let text = format!(
                    "Message-ID: {}\nFrom: {}\nTo: {}\nSubject: {}\n\n{}\n",
                    self.message_id(job_id),
                    self.from,
                    email.to,
                    email.subject,
                    email.body
                );
                tokio::fs::write(dir.join(&name), text.as_bytes()).await?;
                tracing::info!(to = %email.to, subject = %email.subject, body = %email.body, file = %name, "email written to outbox");
            }
        }
        Ok(())
    }
}
