//! Outgoing email. Messages are queued as durable jobs and delivered by the job runner: over
//! SMTP when configured, otherwise written to an outbox folder (and the log) so that a demo
//! works offline.

use lettre::message::header::ContentType;
use lettre::Message;
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

#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq, Default)]
pub struct Email {
    pub to: String,
    pub subject: String,
    pub body: String,
    /// Files sent with the text (an appointment's `.ics`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attachments: Vec<EmailFile>,
}

/// A file sent with an email: its name, its media type and its text.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq, Default)]
pub struct EmailFile {
    pub name: String,
    pub content_type: String,
    pub text: String,
}

pub const JOB_KIND: &str = "email";

/// How long each step of an SMTP transaction may take (connecting, the envelope, the message):
/// together well under the job's lease (a minute), so that no other instance claims the job
/// while this attempt may still hand it over.
const SMTP_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(15);

/// Why an email was not (certainly) delivered.
#[derive(Debug)]
pub enum Sent {
    /// Not handed over (or refused by the server): try again later.
    No(anyhow::Error),
    /// Handed over, then the answer was lost: the server may have it, so it is not sent again.
    Unconfirmed(anyhow::Error),
}

/// Ends a connection that failed, without waiting long for a server that stopped answering.
async fn abort(c: &mut lettre::transport::smtp::client::AsyncSmtpConnection) {
    let _ = tokio::time::timeout(std::time::Duration::from_secs(2), c.abort()).await;
}

/// One SMTP transaction (RFC 5321) with `hand_over` committed between the server's 354 to DATA
/// and the message. Written out here, rather than through lettre's `send`, only for that point
/// in the middle; lettre's connection does the protocol. An instance killed before the
/// hand-over is committed leaves the job to be sent again by another (a server drops a
/// transaction whose connection closes in the middle of DATA); killed after it, the email is
/// not sent again, so nobody gets it twice. What is lost is only an email whose hand-over
/// committed and whose message the kill stopped in the few microseconds before it was
/// written (at most once, rather than twice, in that window).
async fn smtp_send<F>(host: &str, port: u16, msg: &Message, hand_over: F) -> Result<(), Sent>
where
    F: std::future::Future<Output = anyhow::Result<()>>,
{
    use lettre::transport::smtp::client::AsyncSmtpConnection;
    use lettre::transport::smtp::commands::{Data, Mail, Rcpt};
    use lettre::transport::smtp::extension::{
        ClientId, Extension, MailBodyParameter, MailParameter,
    };
    let no = |e: lettre::transport::smtp::Error| Sent::No(e.into());
    let mut c = AsyncSmtpConnection::connect_tokio1(
        (host, port),
        Some(SMTP_TIMEOUT),
        &ClientId::default(),
        None,
        None,
    )
    .await
    .map_err(no)?;
    let envelope = msg.envelope();
    let bytes = msg.formatted();
    let mut options = vec![];
    let non_ascii = envelope
        .from()
        .into_iter()
        .chain(envelope.to())
        .any(|a| !AsRef::<str>::as_ref(a).is_ascii());
    if non_ascii {
        options.push(MailParameter::SmtpUtfEight);
    }
    if !bytes.is_ascii() && c.server_info().supports_feature(Extension::EightBitMime) {
        options.push(MailParameter::Body(MailBodyParameter::EightBitMime));
    }
    let started = tokio::time::timeout(SMTP_TIMEOUT, async {
        c.command(Mail::new(envelope.from().cloned(), options))
            .await?;
        for to in envelope.to() {
            c.command(Rcpt::new(to.clone(), vec![])).await?;
        }
        c.command(Data).await
    })
    .await;
    match started {
        Ok(Ok(_)) => {}
        Ok(Err(e)) => {
            abort(&mut c).await;
            return Err(no(e));
        }
        Err(_) => {
            abort(&mut c).await;
            return Err(Sent::No(anyhow::anyhow!(
                "the SMTP server did not answer in time"
            )));
        }
    }
    if let Err(e) = hand_over.await {
        abort(&mut c).await;
        return Err(Sent::No(e));
    }
    match tokio::time::timeout(SMTP_TIMEOUT, c.message(&bytes)).await {
        Ok(Ok(_)) => {
            // The email is the server's; a goodbye that fails changes nothing.
            let _ = tokio::time::timeout(SMTP_TIMEOUT, c.quit()).await;
            Ok(())
        }
        // The server answered and refused it: it does not have it.
        Ok(Err(e)) if e.is_transient() || e.is_permanent() => {
            abort(&mut c).await;
            Err(no(e))
        }
        Ok(Err(e)) => {
            abort(&mut c).await;
            Err(Sent::Unconfirmed(e.into()))
        }
        Err(_) => {
            abort(&mut c).await;
            Err(Sent::Unconfirmed(anyhow::anyhow!(
                "the SMTP server did not answer to the message in time"
            )))
        }
    }
}

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

    /// Delivers one queued email (the job `job_id`) now. Over SMTP, `hand_over` is awaited
    /// once the server has agreed to take the message (its 354 to DATA) and before the message
    /// is written: it must commit that the job was handed over, because from then on the
    /// server may have the email whatever becomes of this process. A server's refusal of the
    /// message is an `Err` of [`Refused`] (the hand-over did not happen); any other failure
    /// after it leaves the email counted as sent (see `jobs::run_once`).
    pub async fn deliver<F>(&self, job_id: &str, payload: &str, hand_over: F) -> Result<(), Sent>
    where
        F: std::future::Future<Output = anyhow::Result<()>>,
    {
        let email: Email = serde_json::from_str(payload).map_err(|e| Sent::No(e.into()))?;
        match &self.transport {
            Transport::Smtp { host, port } => {
                let msg = Message::builder()
                    .message_id(Some(self.message_id(job_id)))
                    .from(
                        self.from
                            .parse()
                            .map_err(|e| Sent::No(anyhow::Error::from(e)))?,
                    )
                    .to(email
                        .to
                        .parse()
                        .map_err(|e| Sent::No(anyhow::Error::from(e)))?)
                    .subject(email.subject.clone());
                let msg = if email.attachments.is_empty() {
                    msg.header(ContentType::TEXT_PLAIN).body(email.body.clone())
                } else {
                    use lettre::message::{Attachment, MultiPart, SinglePart};
                    let mut parts =
                        MultiPart::mixed().singlepart(SinglePart::plain(email.body.clone()));
                    for f in &email.attachments {
                        let kind = ContentType::parse(&f.content_type)
                            .map_err(|e| Sent::No(anyhow::anyhow!("{e}")))?;
                        parts = parts
                            .singlepart(Attachment::new(f.name.clone()).body(f.text.clone(), kind));
                    }
                    msg.multipart(parts)
                }
                .map_err(|e| Sent::No(e.into()))?;
                smtp_send(host, *port, &msg, hand_over).await?;
            }
            Transport::Outbox(dir) => {
                tokio::fs::create_dir_all(dir)
                    .await
                    .map_err(|e| Sent::No(e.into()))?;
                // Named by the job: tried again, it is the same file.
                let name = format!("{job_id}.eml");
                let mut text = format!(
                    "Message-ID: {}\nFrom: {}\nTo: {}\nSubject: {}\n\n{}\n",
                    self.message_id(job_id),
                    self.from,
                    email.to,
                    email.subject,
                    email.body
                );
                for f in &email.attachments {
                    text.push_str(&format!(
                        "\n--- {} ({}) ---\n{}\n",
                        f.name, f.content_type, f.text
                    ));
                }
                tokio::fs::write(dir.join(&name), text.as_bytes())
                    .await
                    .map_err(|e| Sent::No(e.into()))?;
                tracing::info!(to = %email.to, subject = %email.subject, body = %email.body, file = %name, "email written to outbox");
            }
        }
        Ok(())
    }
}
