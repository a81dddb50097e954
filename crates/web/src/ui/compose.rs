//! Writing a message: the form with attachments (kept when the form comes back with mistakes),
//! replies, and sending.

use super::common::{check_csrf, err, render, render_invalid, require_user, FormView};
use super::mailbox::member_with_role;
use crate::ctx::Ctx;
use crate::ctx::Cx;
use crate::error::PageError;
use crate::Params;
use crate::State;
use askama::Template;
use axum::extract::{Path, Query};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::Router;
use okienko_domain::DomainError;
use okienko_services::delivery::Outgoing;
use std::collections::HashMap;
use std::sync::Arc;

pub fn routes() -> Router<State> {
    Router::new().route(
        "/mailboxes/{address}/compose",
        get(compose_page)
            .post(compose)
            .layer(axum::extract::DefaultBodyLimit::max(
                okienko_services::delivery::MAX_CONFIGURABLE_BYTES + 1024 * 1024,
            )),
    )
}

#[derive(Template)]
#[template(path = "compose.html")]
struct ComposePage<'a> {
    ctx: &'a Ctx,
    address: String,
    form: FormView,
    /// The refusal and its evidence, when a submission was rejected.
    rejection: Option<String>,
    /// A public body's mailbox may also write to a postal address.
    postal: bool,
    /// The sending mailbox's name.
    from_name: String,
    /// Files chosen before the form came back with mistakes, kept for the next sending.
    /// (token, name, size)
    kept: Vec<(String, String, String)>,
}

/// How many recipients by post one message from the form may have.
const POSTAL_SLOTS: usize = 3;
/// The parts of a postal address in the form: `postal_<part>_<n>`, n from 1.
const POSTAL_PARTS: [&str; 4] = ["name", "street", "code", "city"];

impl ComposePage<'_> {
    /// The postal address blocks as typed (for public bodies).
    fn slots(&self) -> Vec<Slot> {
        slots(&self.form)
    }
}

/// The fields a checked message carries back to the form or on to sending.
fn field_names() -> Vec<String> {
    let mut out: Vec<String> = ["to", "subject", "body", "reply_to"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    for n in 1..=POSTAL_SLOTS {
        out.extend(POSTAL_PARTS.iter().map(|part| format!("postal_{part}_{n}")));
    }
    out
}

/// One postal address block of the form, as typed.
struct Slot {
    n: usize,
    name: String,
    street: String,
    code: String,
    city: String,
}

impl Slot {
    fn filled(&self) -> bool {
        [&self.name, &self.street, &self.code, &self.city]
            .iter()
            .any(|v| !v.trim().is_empty())
    }
}

/// The form's postal address blocks.
fn slots(form: &FormView) -> Vec<Slot> {
    (1..=POSTAL_SLOTS)
        .map(|n| {
            let v = |part: &str| form.value(&format!("postal_{part}_{n}")).to_string();
            Slot {
                n,
                name: v("name"),
                street: v("street"),
                code: v("code"),
                city: v("city"),
            }
        })
        .collect()
}

/// "Check your message": everything as it will be sent, before anything legal happens.
#[derive(Template)]
#[template(path = "compose_check.html")]
struct CheckPage<'a> {
    ctx: &'a Ctx,
    /// (name, address) of the sending mailbox.
    from: (String, String),
    /// (name, address) of each recipient.
    to: Vec<(String, String)>,
    /// Each postal address, on one line.
    postal: Vec<String>,
    form: FormView,
    fields: Vec<String>,
    /// (token, name, size) of each attachment.
    kept: Vec<(String, String, String)>,
}

/// The mailbox, if the signed-in person may use it; 404 otherwise.
async fn member(
    state: &State,
    ctx: &Arc<Ctx>,
    address: &str,
) -> Result<okienko_store::Mailbox, PageError> {
    Ok(member_with_role(state, ctx, address).await?.0)
}

async fn compose_page(
    Cx(state, ctx): Cx,
    Path(address): Path<String>,
    Query(q): Query<Params>,
) -> Result<Response, PageError> {
    let (mb, role) = member_with_role(&state, &ctx, &address).await?;
    // A reader of the mailbox is not offered a form it may not send (its page has no link
    // to it either).
    if !okienko_services::mailboxes::may_send(&role) {
        return Err(PageError(DomainError::NotFound, ctx.clone()));
    }
    let mut values = Params::new();
    // From a service's page: to the office, its name as the subject.
    for key in ["to", "subject"] {
        if let Some(v) = q.get(key) {
            values.insert(key.into(), v.clone());
        }
    }
    // A reply: to the other party, "Re:" subject, in the same thread.
    if let Some(r) = q.get("reply_to").filter(|r| !r.is_empty()) {
        let p = require_user(&ctx)?;
        let o = state.services.open_message(p, r).await.map_err(err(&ctx))?;
        let to = if o.message.sender == address {
            o.deliveries
                .iter()
                .map(|d| d.recipient.clone())
                .collect::<Vec<_>>()
                .join(", ")
        } else {
            o.message.sender.clone()
        };
        let subject = if o.message.subject.starts_with("Re: ") {
            o.message.subject.clone()
        } else {
            format!("Re: {}", o.message.subject)
        };
        values.insert("to".into(), to);
        values.insert("subject".into(), subject);
        values.insert("reply_to".into(), r.clone());
    }
    Ok(render(&ComposePage {
        ctx: &ctx,
        address,
        form: FormView::new(values),
        rejection: None,
        postal: mb.kind == okienko_services::mailboxes::PUBLIC_BODY,
        from_name: mb.name.clone(),
        kept: Vec::new(),
    }))
}

async fn compose(
    Cx(state, ctx): Cx,
    Path(address): Path<String>,
    req: axum::extract::Request,
) -> Result<Response, PageError> {
    let p = require_user(&ctx)?;
    let mb = member(&state, &ctx, &address).await?;
    let postal_form = mb.kind == okienko_services::mailboxes::PUBLIC_BODY;
    let from_name = mb.name.clone();
    let Ok(mut fields) = read_multipart_files(req).await else {
        let form = FormView::default().with_error(
            &ctx,
            &DomainError::invalid("attachment", "err-upload"),
            "attachment",
        );
        return Ok(render_invalid(&ComposePage {
            ctx: &ctx,
            address,
            form,
            rejection: None,
            postal: postal_form,
            from_name: mb.name.clone(),
            kept: Vec::new(),
        }));
    };
    let text = |f: &HashMap<String, Vec<(String, Vec<u8>)>>, k: &str| {
        f.get(k)
            .and_then(|v| v.first())
            .map(|(_, b)| String::from_utf8_lossy(b).to_string())
            .unwrap_or_default()
    };
    check_csrf(
        &ctx,
        &[("csrf".to_string(), text(&fields, "csrf"))]
            .into_iter()
            .collect(),
    )?;
    let values: Params = field_names()
        .into_iter()
        .map(|k| {
            let v = text(&fields, &k);
            (k, v)
        })
        .collect();
    // The form's "Continue" checks, the check page's buttons send or go back to change.
    let action = text(&fields, "action");
    let attachments: Vec<(String, bytes::Bytes)> = fields
        .remove("attachment")
        .unwrap_or_default()
        .into_iter()
        .filter(|(_, b)| !b.is_empty())
        .map(|(n, b)| (n, b.into()))
        .collect();
    // Files kept from an earlier try of this form come first, in the order chosen.
    let mut kept_files = Vec::new();
    for token in fields.remove("kept").unwrap_or_default() {
        let token = String::from_utf8_lossy(&token.1).to_string();
        kept_files.push(
            state
                .services
                .kept_upload(p, &token)
                .await
                .map_err(err(&ctx))?,
        );
    }
    let attachments: Vec<(String, bytes::Bytes)> =
        kept_files.into_iter().chain(attachments).collect();
    let keep = |files: Vec<(String, bytes::Bytes)>| {
        let services = state.services.clone();
        let ctx = ctx.clone();
        async move {
            Ok::<_, PageError>(
                services
                    .keep_uploads(p, &files)
                    .await
                    .map_err(err(&ctx))?
                    .into_iter()
                    .map(|k| {
                        (
                            k.token,
                            k.name,
                            super::common::size_label(&ctx, k.size as i64),
                        )
                    })
                    .collect::<Vec<_>>(),
            )
        }
    };
    if action == "change" {
        return Ok(render(&ComposePage {
            ctx: &ctx,
            address: address.clone(),
            form: FormView::new(values),
            rejection: None,
            postal: postal_form,
            from_name: mb.name.clone(),
            kept: keep(attachments).await?,
        }));
    }
    // A form that comes back keeps its files: the person does not choose them again.
    let back = |values: Params, e: DomainError, field: &'static str| {
        let ctx = ctx.clone();
        let address = address.clone();
        let files = attachments.clone();
        let keep = &keep;
        async move {
            let kept = keep(files).await?;
            let rejection = match &e {
                DomainError::Rejected(_, id) => {
                    Some(ctx.ta("notice-rejected", &[("evidence", id)]))
                }
                _ => None,
            };
            let form = FormView::new(values).with_error(&ctx, &e, field);
            Ok::<Response, PageError>(render_invalid(&ComposePage {
                ctx: &ctx,
                address,
                form,
                rejection,
                postal: postal_form,
                from_name: from_name.clone(),
                kept,
            }))
        }
    };
    let to = match state.services.resolve_recipients(&values["to"]).await {
        Ok(to) => to,
        Err(e) => return back(values, e, "to").await,
    };
    let postal: Vec<okienko_services::paper::PostalRecipient> =
        slots(&FormView::new(values.clone()))
            .into_iter()
            .filter(Slot::filled)
            .map(|s| okienko_services::paper::PostalRecipient {
                name: s.name,
                street: s.street,
                postal_code: s.code,
                city: s.city,
            })
            .collect();
    let out = Outgoing {
        from: address.clone(),
        to,
        subject: values["subject"].clone(),
        body: values["body"].clone(),
        attachments: attachments.clone(),
        idempotency_key: None,
        postal,
        reply_to: Some(values["reply_to"].clone()).filter(|r| !r.is_empty()),
        // A public body may write to many at once; the form has no separate switch.
        bulk: postal_form,
        correctable: true,
    };
    if action != "send" {
        let to_names: Vec<String> = out.to.clone();
        let postal_line: Vec<String> = out
            .postal
            .iter()
            .map(|r| {
                format!(
                    "{}, {}, {} {}",
                    r.name.trim(),
                    r.street.trim(),
                    r.postal_code.trim(),
                    r.city.trim()
                )
            })
            .collect();
        if action == "preview" {
            return match state.services.preview_letter(p, out).await {
                Ok(pdf) => Ok(crate::downloads::pdf("preview.pdf", pdf)),
                Err(e @ (DomainError::Invalid(_) | DomainError::Rejected(..))) => {
                    back(values, e, "postal").await
                }
                Err(e) => Err(PageError(e, ctx.clone())),
            };
        }
        return match state.services.check_message(p, out).await {
            Ok(()) => {
                let mut all = to_names.clone();
                all.push(address.clone());
                let names = state
                    .services
                    .mailbox_names(&all)
                    .await
                    .map_err(err(&ctx))?;
                let named = |a: &String| (names.get(a).cloned().unwrap_or_default(), a.clone());
                Ok(render(&CheckPage {
                    ctx: &ctx,
                    from: named(&address),
                    to: to_names.iter().map(named).collect(),
                    postal: postal_line,
                    form: FormView::new(values),
                    fields: field_names(),
                    kept: keep(attachments.clone()).await?,
                }))
            }
            Err(e @ (DomainError::Invalid(_) | DomainError::Rejected(..))) => {
                back(values, e, "to").await
            }
            Err(e) => Err(PageError(e, ctx.clone())),
        };
    }
    match state.services.send_message(p, out).await {
        Ok(sent) => {
            let ev = sent
                .evidence
                .first()
                .map(|(id, _)| id.clone())
                .unwrap_or_default();
            Ok(Redirect::to(&format!(
                "/messages/{}?sent={}",
                sent.id,
                super::common::url_encode(&ev)
            ))
            .into_response())
        }
        Err(e @ (DomainError::Invalid(_) | DomainError::Rejected(..))) => {
            back(values, e, "to").await
        }
        Err(e) => Err(PageError(e, ctx.clone())),
    }
}

/// A multipart form where a name may repeat (several attachments): name to (file name, bytes).
async fn read_multipart_files(
    req: axum::extract::Request,
) -> Result<HashMap<String, Vec<(String, Vec<u8>)>>, ()> {
    use axum::extract::FromRequest;
    let mut mp = axum::extract::Multipart::from_request(req, &())
        .await
        .map_err(|_| ())?;
    let mut out: HashMap<String, Vec<(String, Vec<u8>)>> = HashMap::new();
    while let Some(f) = mp.next_field().await.map_err(|_| ())? {
        let name = f.name().unwrap_or("").to_string();
        let file = f.file_name().unwrap_or("").to_string();
        let bytes = f.bytes().await.map_err(|_| ())?;
        out.entry(name).or_default().push((file, bytes.to_vec()));
    }
    Ok(out)
}
