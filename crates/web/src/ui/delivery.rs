//! A delivered message and its evidence: reading (the handover is recorded), archiving, attachments, evidence documents as JSON, signed CMS and PDF.

use super::common::{err, render, require_user, when, CsrfForm};
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

pub fn routes() -> Router<State> {
    Router::new()
        .route("/messages/{id}", get(message))
        .route(
            "/messages/{id}/archive",
            axum::routing::post(archive_toggle),
        )
        .route("/messages/{id}/attachments/{n}", get(attachment))
        .route("/evidence/{id}", get(evidence))
        .route("/evidence/{id}/signed", get(evidence_signed))
        .route("/evidence/{id}/pdf", get(evidence_printable))
}

#[derive(Template)]
#[template(path = "message_view.html")]
pub(crate) struct MessagePage<'a> {
    ctx: &'a Ctx,
    /// For officials: the tasks on it.
    linked: Option<super::tasks::Linked>,
    id: String,
    subject: String,
    /// (name, address): people and offices by name, their address beside it.
    from: (String, String),
    to: Vec<(String, String)>,
    sent_iso: String,
    sent_when: String,
    /// The short reference to read out on the phone.
    reference: String,
    body_lines: Vec<String>,
    attachments: Vec<(i64, String, String)>,
    /// (id, type label, recipient, time)
    evidence: Vec<(String, String, String, String)>,
    /// For the sender: letters sent on paper (id, tracking number, recipient, status).
    letters: Vec<(String, String, String, String)>,
    /// Other messages of the thread: (id, subject, from, when).
    thread: Vec<(String, String, String, String)>,
    /// The mailbox of mine this message is in, whether it is archived there, and whether I
    /// can answer from it.
    mine: Option<(String, bool)>,
    notice: Option<String>,
}

#[derive(Template)]
#[template(path = "open_letter.html")]
struct OpenLetterPage<'a> {
    ctx: &'a Ctx,
    id: String,
    title: String,
    detail: String,
    back: String,
}

pub(crate) async fn message(
    Cx(state, ctx): Cx,
    Path(id): Path<String>,
    Query(q): Query<Params>,
) -> Result<Response, PageError> {
    let p = require_user(&ctx)?;
    let s = &state.services;
    // Opening a public body's letter is receiving it, with legal effect: said before it is
    // opened, with the day it would be deemed delivered anyway.
    if q.get("open").map(String::as_str) != Some("1") {
        if let Some((sender, deemed)) = s.opening_is_receipt(p, &id).await.map_err(err(&ctx))? {
            let names = s
                .mailbox_names(std::slice::from_ref(&sender))
                .await
                .map_err(err(&ctx))?;
            let name = names.get(&sender).cloned().unwrap_or(sender);
            let back = s
                .my_mailboxes(p)
                .await
                .map_err(err(&ctx))?
                .into_iter()
                .next()
                .map(|(m, _)| format!("/mailboxes/{}", m.address))
                .unwrap_or_else(|| "/mailboxes".into());
            return Ok(render(&OpenLetterPage {
                ctx: &ctx,
                title: ctx.ta("open-letter-title", &[("sender", &name)]),
                detail: ctx.ta("open-letter-detail", &[("date", &when(&ctx, deemed).1)]),
                id,
                back,
            }));
        }
    }
    let o = s.open_message(p, &id).await.map_err(err(&ctx))?;
    let ev = s.message_evidence(p, &id).await.map_err(err(&ctx))?;
    let letters = s
        .sent_letters(p, &o.message)
        .await
        .map_err(err(&ctx))?
        .into_iter()
        .map(|(l, status)| {
            (
                l.id,
                l.tracking_number,
                format!("{}, {} {}", l.recipient_name, l.postal_code, l.city),
                ctx.t(&format!("paper-status-{status}")),
            )
        })
        .collect();
    let (sent_iso, sent_when) = when(&ctx, o.message.sent_at);
    let notice = q
        .get("sent")
        .map(|e| {
            ctx.ta(
                "notice-message-sent-ref",
                &[
                    ("evidence", e),
                    ("reference", &okienko_domain::ids::message_reference(&id)),
                ],
            )
        })
        .or_else(|| super::common::notice(&ctx, &q));
    let thread = s
        .thread(p, &id)
        .await
        .map_err(err(&ctx))?
        .into_iter()
        .filter(|m| m.id != id)
        .map(|m| {
            let w = when(&ctx, m.sent_at).1;
            (m.id, m.subject, m.sender, w)
        })
        .collect();
    let boxes = s.my_mailboxes(p).await.map_err(err(&ctx))?;
    let mine = s.mailbox_side(&o, &boxes).await.map_err(err(&ctx))?;
    let addresses: Vec<String> = std::iter::once(o.message.sender.clone())
        .chain(o.deliveries.iter().map(|d| d.recipient.clone()))
        .collect();
    let names = s.mailbox_names(&addresses).await.map_err(err(&ctx))?;
    let named = |a: &String| (names.get(a).cloned().unwrap_or_default(), a.clone());
    let linked = super::tasks::linked(
        &state,
        &ctx,
        okienko_domain::tasks::TaskLink::Message,
        &o.message.id,
    )
    .await;
    Ok(render(&MessagePage {
        ctx: &ctx,
        linked,
        id: o.message.id.clone(),
        subject: o.message.subject.clone(),
        from: named(&o.message.sender),
        to: o.deliveries.iter().map(|d| named(&d.recipient)).collect(),
        sent_iso,
        sent_when,
        reference: okienko_domain::ids::message_reference(&id),
        body_lines: o.message.body.lines().map(str::to_string).collect(),
        attachments: o
            .attachments
            .iter()
            .map(|a| (a.n, a.name.clone(), super::common::size_label(&ctx, a.size)))
            .collect(),
        evidence: ev
            .into_iter()
            .map(|e| {
                (
                    e.id,
                    ctx.t(&format!("evidence-{}", e.kind)),
                    match names.get(&e.recipient) {
                        Some(n) => format!("{n} ({})", e.recipient),
                        None => e.recipient,
                    },
                    when(&ctx, e.issued_at).1,
                )
            })
            .collect(),
        letters,
        thread,
        mine,
        notice,
    }))
}

pub(crate) async fn archive_toggle(
    Cx(state, ctx): Cx,
    Path(id): Path<String>,
    CsrfForm(form): CsrfForm,
) -> Result<Response, PageError> {
    let p = require_user(&ctx)?;
    let archived = form.get("archived").map(String::as_str) == Some("1");
    // The mailbox named in the form, or the one through which the person sees the message.
    let mailbox = match form.get("mailbox").filter(|m| !m.is_empty()) {
        Some(m) => m.clone(),
        None => {
            let s = &state.services;
            let o = s.open_message(p, &id).await.map_err(err(&ctx))?;
            let boxes = s.my_mailboxes(p).await.map_err(err(&ctx))?;
            s.mailbox_side(&o, &boxes)
                .await
                .map_err(err(&ctx))?
                .map(|(m, _)| m)
                .unwrap_or_default()
        }
    };
    state
        .services
        .archive_message(p, &mailbox, &id, archived)
        .await
        .map_err(err(&ctx))?;
    let notice = if archived {
        "notice-archived"
    } else {
        "notice-unarchived"
    };
    Ok(Redirect::to(&format!("/messages/{id}?notice={notice}")).into_response())
}

pub(crate) async fn attachment(
    Cx(state, ctx): Cx,
    Path((id, n)): Path<(String, String)>,
) -> Result<Response, PageError> {
    let p = require_user(&ctx)?;
    let n: i64 = n
        .parse()
        .map_err(|_| PageError(DomainError::NotFound, ctx.clone()))?;
    let (a, bytes) = state
        .services
        .message_attachment(p, &id, n)
        .await
        .map_err(err(&ctx))?;
    Ok(crate::downloads::attachment(a, bytes))
}

#[derive(Template)]
#[template(path = "evidence_view.html")]
pub(crate) struct EvidencePage<'a> {
    ctx: &'a Ctx,
    id: String,
    kind: String,
    explanation: String,
    rows: Vec<(String, String)>,
    document: String,
}

/// What a person reads about one evidence document: its type, what it means, and the
/// fields that matter, in the page's language. Shared by the page and the printable PDF.
/// The sender and recipient of an evidence document shown by name, the address beside it.
async fn evidence_rows_named(
    ctx: &Ctx,
    services: &okienko_services::Services,
    e: &okienko_store::EvidenceRecord,
) -> Result<(String, String, Vec<(String, String)>), DomainError> {
    let doc: serde_json::Value = serde_json::from_str(&e.document).unwrap_or_default();
    let parties: Vec<String> = ["sender", "recipient"]
        .iter()
        .filter_map(|k| doc.get(*k).and_then(|v| v.as_str()).map(str::to_string))
        .collect();
    let names = services.mailbox_names(&parties).await?;
    Ok(evidence_rows(ctx, e, &doc, &names))
}

fn evidence_rows(
    ctx: &Ctx,
    e: &okienko_store::EvidenceRecord,
    doc: &serde_json::Value,
    names: &std::collections::HashMap<String, String>,
) -> (String, String, Vec<(String, String)>) {
    let mut rows = Vec::new();
    for key in [
        "evidence_id",
        "reference",
        "message_id",
        "sender",
        "recipient",
        "event_time",
        "receipt_time",
        "submitted_at",
        "message_sha256",
        "tracking_number",
        "outcome",
        "legal_effect",
        "issuing_service",
    ] {
        if let Some(v) = doc.get(key).and_then(|v| v.as_str()) {
            let v = match key {
                "outcome" => ctx.t(&format!("paper-status-{v}")),
                "sender" | "recipient" => match names.get(v) {
                    Some(n) => format!("{n} ({v})"),
                    None => v.to_string(),
                },
                "legal_effect" => legal_effect(ctx, v),
                "event_time" | "receipt_time" | "submitted_at" => {
                    match time::OffsetDateTime::parse(
                        v,
                        &time::format_description::well_known::Rfc3339,
                    ) {
                        Ok(t) => when(ctx, okienko_domain::to_millis(t)).1,
                        Err(_) => v.to_string(),
                    }
                }
                _ => v.to_string(),
            };
            rows.push((
                ctx.t(&format!("evidence-field-{}", key.replace('_', "-"))),
                v,
            ));
        }
    }
    // A UPP names the office and the service (each with its id and name).
    for key in ["office", "service"] {
        if let Some(name) = doc
            .get(key)
            .and_then(|o| o.get("name"))
            .and_then(|n| n.as_str())
        {
            rows.push((ctx.t(&format!("evidence-field-{key}")), name.to_string()));
        }
    }
    for (list_key, label) in [
        ("attachments", "evidence-field-attachment"),
        ("documents", "evidence-field-document"),
    ] {
        let Some(list) = doc.get(list_key).and_then(|a| a.as_array()) else {
            continue;
        };
        for a in list {
            rows.push((
                ctx.t(label),
                format!(
                    "{} — SHA-256 {}",
                    a["name"].as_str().unwrap_or(""),
                    a["sha256"].as_str().unwrap_or("")
                ),
            ));
        }
    }
    rows.push((ctx.t("evidence-field-log-index"), e.log_index.to_string()));
    (
        ctx.t(&format!("evidence-{}", e.kind)),
        ctx.t(&format!("evidence-{}-text", e.kind)),
        rows,
    )
}

/// The evidence as a printable A4 PDF in the reader's language, with the exact signed JSON.
pub(crate) async fn evidence_pdf(
    ctx: &Ctx,
    services: &okienko_services::Services,
    e: okienko_store::EvidenceRecord,
) -> Result<Response, DomainError> {
    let (kind, explanation, rows) = evidence_rows_named(ctx, services, &e).await?;
    let note = ctx.t("evidence-pdf-note");
    let appendix_title = ctx.t("evidence-document");
    let footer = format!("{} · {}", e.id, kind);
    let pdf = tokio::task::spawn_blocking(move || {
        okienko_print::render_sheet(&okienko_print::Sheet {
            title: &kind,
            paragraphs: vec![explanation, note],
            rows,
            appendix_title: &appendix_title,
            appendix: &e.document,
            footer: &footer,
            attachment_label: "",
            attachments: Vec::new(),
        })
    })
    .await
    .map_err(|x| DomainError::Internal(x.to_string()))?
    .map_err(|x| DomainError::Internal(x.to_string()))?;
    Ok(crate::downloads::pdf(&format!("{}.pdf", e.id), pdf))
}

/// An evidence record the signed-in person may read.
async fn my_evidence(
    state: &crate::State,
    ctx: &std::sync::Arc<Ctx>,
    id: &str,
) -> Result<okienko_store::EvidenceRecord, PageError> {
    let p = require_user(ctx)?;
    state
        .services
        .evidence_record(p, id)
        .await
        .map_err(err(ctx))
}

pub(crate) async fn evidence(
    Cx(state, ctx): Cx,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let e = my_evidence(&state, &ctx, &id).await?;
    let (kind, explanation, rows) = evidence_rows_named(&ctx, &state.services, &e)
        .await
        .map_err(err(&ctx))?;
    Ok(render(&EvidencePage {
        ctx: &ctx,
        kind,
        explanation,
        id: e.id,
        rows,
        document: e.document,
    }))
}

pub(crate) async fn evidence_printable(
    Cx(state, ctx): Cx,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let e = my_evidence(&state, &ctx, &id).await?;
    evidence_pdf(&ctx, &state.services, e)
        .await
        .map_err(err(&ctx))
}

pub(crate) async fn evidence_signed(
    Cx(state, ctx): Cx,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let e = my_evidence(&state, &ctx, &id).await?;
    crate::downloads::signed_evidence(&e).map_err(|x| PageError(x, ctx.clone()))
}

/// The legal effect an evidence document states (in English, as signed), in the reader's
/// language; a statement this page does not know is shown as signed.
fn legal_effect(ctx: &Ctx, signed: &str) -> String {
    let key = match signed {
        "received on reaching the public body's mailbox" => "legal-received-public-body",
        "deemed delivered 14 days after reaching the mailbox" => "legal-deemed-14-days",
        "deemed delivered: not collected after notice" => "legal-deemed-not-collected",
        "not delivered" => "legal-not-delivered",
        "the submission time is the time of its filing with the public body" => "legal-upp-filing",
        _ => return signed.to_string(),
    };
    ctx.t(key)
}
