//! The e-Delivery API (contract: e-Delivery): sending messages with attachments, mailbox
//! listings, reading messages and attachments, and the evidence with its signed form.

use crate::ctx::Cx;
use crate::error::{ApiError, Problem};
use crate::State;
use axum::extract::{FromRequest, Path, Query};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use okienko_domain::DomainError;
use okienko_services::delivery::{cursor_of, Outgoing};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(utoipa::OpenApi)]
#[openapi(
    paths(
        send,
        list,
        read,
        attachment,
        evidence_list,
        evidence_json,
        evidence_signed,
        evidence_pdf,
        archive,
        unarchive,
    ),
    components(schemas(
        MessageInput,
        SentJson,
        EvidenceRef,
        ListJson,
        ListItem,
        MessageJson,
        AttachmentJson,
        ThreadItem,
        EvidenceListJson,
        EvidenceItem
    ))
)]
pub struct Doc;

pub fn routes() -> Router<State> {
    Router::new()
        .route(
            "/api/v1/messages",
            post(send).layer(axum::extract::DefaultBodyLimit::max(
                okienko_services::delivery::MAX_CONFIGURABLE_BYTES + 1024 * 1024,
            )),
        )
        .route("/api/v1/mailboxes/{address}/messages", get(list))
        .route("/api/v1/messages/{id}", get(read))
        .route(
            "/api/v1/mailboxes/{address}/archive/{id}",
            axum::routing::put(archive).delete(unarchive),
        )
        .route("/api/v1/messages/{id}/attachments/{n}", get(attachment))
        .route("/api/v1/messages/{id}/evidence", get(evidence_list))
        .route("/api/v1/evidence/{id}", get(evidence_json))
        .route("/api/v1/evidence/{id}/signed", get(evidence_signed))
        .route("/api/v1/evidence/{id}/pdf", get(evidence_pdf))
}

use super::common::{rfc3339, user};

#[derive(Deserialize, ToSchema)]
pub struct MessageInput {
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: Vec<String>,
    #[serde(default)]
    subject: String,
    #[serde(default)]
    body: String,
    /// Recipients without an electronic address, reached on paper through the post
    /// (public-body senders only): `[{"name","street","postal_code","city"}]`.
    #[serde(default)]
    #[schema(value_type = Vec<Object>)]
    postal: Vec<okienko_services::paper::PostalRecipient>,
    /// The id of the message this one answers; the reply joins its thread.
    #[serde(default)]
    reply_to: Option<String>,
    /// Bulk mode (public bodies): up to 1,000 recipients by default.
    #[serde(default)]
    bulk: bool,
}

#[derive(Serialize, ToSchema)]
pub struct EvidenceRef {
    id: String,
    #[serde(rename = "type")]
    kind: String,
}

#[derive(Serialize, ToSchema)]
pub struct SentJson {
    id: String,
    evidence: Vec<EvidenceRef>,
}

/// Sends a message: multipart part `message` (JSON `{from, to, subject, body}`) and zero or
/// more parts `attachment`. `Idempotency-Key`: the same key from the same sender returns the
/// first result. 201 means the message and its evidence are committed and logged.
#[utoipa::path(post, path = "/api/v1/messages", security(("bearer" = [])),
    responses((status = 201, body = SentJson), (status = 401, body = Problem), (status = 422, body = Problem)))]
async fn send(
    Cx(state, ctx): Cx,
    headers: HeaderMap,
    req: axum::extract::Request,
) -> Result<(StatusCode, Json<SentJson>), ApiError> {
    let p = user(&ctx)?;
    let bad = |field: &'static str, code: &'static str| {
        ApiError(DomainError::invalid(field, code), ctx.lang)
    };
    let mut mp = axum::extract::Multipart::from_request(req, &())
        .await
        .map_err(|_| bad("message", "err-upload"))?;
    let mut input: Option<MessageInput> = None;
    let mut attachments = Vec::new();
    while let Some(f) = mp
        .next_field()
        .await
        .map_err(|_| bad("attachment", "err-upload"))?
    {
        let name = f.name().unwrap_or("").to_string();
        let file_name = f.file_name().unwrap_or("attachment").to_string();
        let bytes = f
            .bytes()
            .await
            .map_err(|_| bad("attachment", "err-upload"))?;
        match name.as_str() {
            "message" => {
                input =
                    Some(serde_json::from_slice(&bytes).map_err(|_| bad("message", "err-json"))?)
            }
            "attachment" => attachments.push((file_name, bytes)),
            _ => {}
        }
    }
    let input = input.ok_or_else(|| bad("message", "err-json"))?;
    let key = headers
        .get("idempotency-key")
        .and_then(|v| v.to_str().ok())
        .map(|s| s.trim().chars().take(200).collect::<String>())
        .filter(|s| !s.is_empty());
    let out = Outgoing {
        from: input.from,
        to: input.to,
        subject: input.subject,
        body: input.body,
        attachments,
        idempotency_key: key,
        postal: input.postal,
        reply_to: input.reply_to,
        bulk: input.bulk,
        correctable: false,
    };
    let sent = state
        .services
        .send_message(p, out)
        .await
        .map_err(|e| ApiError(e, ctx.lang))?;
    Ok((
        StatusCode::CREATED,
        Json(SentJson {
            id: sent.id,
            evidence: sent
                .evidence
                .into_iter()
                .map(|(id, kind)| EvidenceRef { id, kind })
                .collect(),
        }),
    ))
}

#[derive(Deserialize)]
struct ListQuery {
    folder: Option<String>,
    limit: Option<String>,
    cursor: Option<String>,
    #[serde(default)]
    q: String,
    #[serde(default)]
    since: String,
    #[serde(default)]
    until: String,
}

#[derive(Serialize, ToSchema)]
pub struct ListItem {
    id: String,
    subject: String,
    from: String,
    to: Vec<String>,
    sent_at: String,
    opened_at: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct ListJson {
    items: Vec<ListItem>,
    next_cursor: Option<String>,
}

/// A mailbox's inbox or sent folder, newest first, with keyset pagination.
#[utoipa::path(get, path = "/api/v1/mailboxes/{address}/messages", security(("bearer" = [])),
    params(("address" = String, Path), ("folder" = Option<String>, Query), ("limit" = Option<u32>, Query), ("cursor" = Option<String>, Query), ("q" = Option<String>, Query), ("since" = Option<String>, Query), ("until" = Option<String>, Query)),
    responses((status = 200, body = ListJson), (status = 401, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
async fn list(
    Cx(state, ctx): Cx,
    Path(address): Path<String>,
    Query(q): Query<ListQuery>,
) -> Result<Json<ListJson>, ApiError> {
    let p = user(&ctx)?;
    let folder = okienko_services::delivery::folder_named(q.folder.as_deref().unwrap_or(""))
        .map_err(|e| ApiError(e, ctx.lang))?;
    let filter = okienko_services::delivery::list_filter(&q.q, &q.since, &q.until)
        .map_err(|e| ApiError(e, ctx.lang))?;
    let limit = match q.limit.as_deref() {
        None => 50,
        Some(l) => l
            .parse::<i64>()
            .ok()
            .filter(|n| (1..=200).contains(n))
            .ok_or(ApiError(
                DomainError::invalid("limit", "err-limit"),
                ctx.lang,
            ))?,
    };
    let s = &state.services;
    let rows = s
        .list_mailbox(p, &address, folder, &filter, q.cursor.as_deref(), limit + 1)
        .await
        .map_err(|e| ApiError(e, ctx.lang))?;
    let more = rows.len() as i64 > limit;
    let rows: Vec<_> = rows.into_iter().take(limit as usize).collect();
    let next_cursor = if more {
        rows.last().map(|r| cursor_of(r.sent_at, &r.id))
    } else {
        None
    };
    let to = if folder != okienko_services::delivery::Folder::Inbox {
        s.recipients_of(&rows.iter().map(|r| r.id.clone()).collect::<Vec<_>>())
            .await
            .map_err(|e| ApiError(e, ctx.lang))?
    } else {
        Default::default()
    };
    let items = rows
        .into_iter()
        .map(|r| ListItem {
            to: if r.outgoing {
                to.get(&r.id)
                    .map(|v| {
                        v.iter()
                            .filter(|t| t.paper.is_none())
                            .map(|t| t.recipient.clone())
                            .collect()
                    })
                    .unwrap_or_default()
            } else {
                vec![address.clone()]
            },
            id: r.id,
            subject: r.subject,
            from: r.sender,
            sent_at: rfc3339(r.sent_at),
            opened_at: r.opened_at.map(rfc3339),
        })
        .collect();
    Ok(Json(ListJson { items, next_cursor }))
}

#[derive(Serialize, ToSchema)]
pub struct ThreadItem {
    id: String,
    subject: String,
    from: String,
    sent_at: String,
}

#[derive(Serialize, ToSchema)]
pub struct AttachmentJson {
    name: String,
    size: i64,
    sha256: String,
    media_type: String,
}

#[derive(Serialize, ToSchema)]
pub struct MessageJson {
    id: String,
    from: String,
    to: Vec<String>,
    subject: String,
    body: String,
    attachments: Vec<AttachmentJson>,
    sent_at: String,
    /// The message this one answers, if any.
    reply_to: Option<String>,
    /// The messages of its thread the caller may read, oldest first (this one included).
    thread: Vec<ThreadItem>,
    /// For the sender: the letters sent on paper with their status.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    paper: Vec<super::paper::LetterJson>,
}

/// Reads a message. The recipient's first read issues `content-handover` evidence.
#[utoipa::path(get, path = "/api/v1/messages/{id}", security(("bearer" = [])), responses((status = 200, body = MessageJson), (status = 401, body = Problem), (status = 404, body = Problem)))]
async fn read(Cx(state, ctx): Cx, Path(id): Path<String>) -> Result<Json<MessageJson>, ApiError> {
    let p = user(&ctx)?;
    let o = state
        .services
        .open_message(p, &id)
        .await
        .map_err(|e| ApiError(e, ctx.lang))?;
    let paper = state
        .services
        .sent_letters(p, &o.message)
        .await
        .map_err(|e| ApiError(e, ctx.lang))?
        .into_iter()
        .map(|(l, status)| super::paper::letter_json(l, status))
        .collect();
    let thread = state
        .services
        .thread(p, &id)
        .await
        .map_err(|e| ApiError(e, ctx.lang))?
        .into_iter()
        .map(|m| ThreadItem {
            id: m.id,
            subject: m.subject,
            from: m.sender,
            sent_at: rfc3339(m.sent_at),
        })
        .collect();
    Ok(Json(MessageJson {
        reply_to: o.message.reply_to.clone(),
        thread,
        paper,
        id: o.message.id,
        from: o.message.sender,
        to: o.deliveries.into_iter().map(|d| d.recipient).collect(),
        subject: o.message.subject,
        body: o.message.body,
        attachments: o
            .attachments
            .into_iter()
            .map(|a| AttachmentJson {
                name: a.name,
                size: a.size,
                sha256: a.sha256,
                media_type: a.media_type,
            })
            .collect(),
        sent_at: rfc3339(o.message.sent_at),
    }))
}

/// One attachment's bytes; `n` counts from 0 in the order of `attachments`.
#[utoipa::path(get, path = "/api/v1/messages/{id}/attachments/{n}", security(("bearer" = [])), responses((status = 200, description = "the file"), (status = 404, body = Problem)))]
async fn attachment(
    Cx(state, ctx): Cx,
    Path((id, n)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let p = user(&ctx)?;
    let n: i64 = n
        .parse()
        .map_err(|_| ApiError(DomainError::NotFound, ctx.lang))?;
    let (a, bytes) = state
        .services
        .message_attachment(p, &id, n)
        .await
        .map_err(|e| ApiError(e, ctx.lang))?;
    Ok(crate::downloads::attachment(a, bytes))
}

#[derive(Serialize, ToSchema)]
pub struct EvidenceItem {
    id: String,
    #[serde(rename = "type")]
    kind: String,
    issued_at: String,
    log_index: i64,
}

#[derive(Serialize, ToSchema)]
pub struct EvidenceListJson {
    items: Vec<EvidenceItem>,
}

/// The evidence issued about a message, for both parties.
#[utoipa::path(get, path = "/api/v1/messages/{id}/evidence", security(("bearer" = [])), responses((status = 200, body = EvidenceListJson), (status = 404, body = Problem)))]
async fn evidence_list(
    Cx(state, ctx): Cx,
    Path(id): Path<String>,
) -> Result<Json<EvidenceListJson>, ApiError> {
    let p = user(&ctx)?;
    let list = state
        .services
        .message_evidence(p, &id)
        .await
        .map_err(|e| ApiError(e, ctx.lang))?;
    Ok(Json(EvidenceListJson {
        items: list
            .into_iter()
            .map(|e| EvidenceItem {
                id: e.id,
                kind: e.kind,
                issued_at: rfc3339(e.issued_at),
                log_index: e.log_index,
            })
            .collect(),
    }))
}

/// An evidence record the caller may read.
async fn my_evidence(
    state: &crate::State,
    ctx: &std::sync::Arc<crate::ctx::Ctx>,
    id: &str,
) -> Result<okienko_store::EvidenceRecord, ApiError> {
    let p = user(ctx)?;
    let e = state.services.evidence_record(p, id).await;
    e.map_err(|e| ApiError(e, ctx.lang))
}

/// The evidence document itself (JSON).
#[utoipa::path(get, path = "/api/v1/evidence/{id}", security(("bearer" = [])), responses((status = 200, description = "the evidence JSON"), (status = 404, body = Problem)))]
async fn evidence_json(Cx(state, ctx): Cx, Path(id): Path<String>) -> Result<Response, ApiError> {
    let e = my_evidence(&state, &ctx, &id).await?;
    Ok(([(header::CONTENT_TYPE, "application/json")], e.document).into_response())
}

/// DER CMS SignedData enveloping exactly the evidence JSON; verifies with
/// `openssl cms -verify -inform DER -CAfile ca.pem`.
#[utoipa::path(get, path = "/api/v1/evidence/{id}/signed", security(("bearer" = [])), responses((status = 200, content_type = "application/pkcs7-mime", description = "DER CMS"), (status = 404, body = Problem)))]
async fn evidence_signed(Cx(state, ctx): Cx, Path(id): Path<String>) -> Result<Response, ApiError> {
    let e = my_evidence(&state, &ctx, &id).await?;
    crate::downloads::signed_evidence(&e).map_err(|x| ApiError(x, ctx.lang))
}

/// The evidence as a printable PDF in the request's language, with the exact signed JSON.
#[utoipa::path(get, path = "/api/v1/evidence/{id}/pdf", security(("bearer" = [])), responses((status = 200, description = "application/pdf"), (status = 404, body = Problem)))]
async fn evidence_pdf(Cx(state, ctx): Cx, Path(id): Path<String>) -> Result<Response, ApiError> {
    let e = my_evidence(&state, &ctx, &id).await?;
    crate::ui::evidence_pdf(&ctx, &state.services, e)
        .await
        .map_err(|e| ApiError(e, ctx.lang))
}

async fn set_archived(
    state: &State,
    ctx: &std::sync::Arc<crate::ctx::Ctx>,
    address: &str,
    id: &str,
    archived: bool,
) -> Result<StatusCode, ApiError> {
    let p = user(ctx)?;
    state
        .services
        .archive_message(p, address, id, archived)
        .await
        .map_err(|e| ApiError(e, ctx.lang))?;
    Ok(StatusCode::NO_CONTENT)
}

/// Moves a message into the mailbox's archive (out of its inbox or sent folder).
#[utoipa::path(put, path = "/api/v1/mailboxes/{address}/archive/{id}", security(("bearer" = [])), responses((status = 204), (status = 404, body = Problem)))]
async fn archive(
    Cx(state, ctx): Cx,
    Path((address, id)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    set_archived(&state, &ctx, &address, &id, true).await
}

/// Moves a message out of the archive, back to the inbox or sent folder.
#[utoipa::path(delete, path = "/api/v1/mailboxes/{address}/archive/{id}", security(("bearer" = [])), responses((status = 204), (status = 404, body = Problem)))]
async fn unarchive(
    Cx(state, ctx): Cx,
    Path((address, id)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    set_archived(&state, &ctx, &address, &id, false).await
}
