//! E-delivery pages: mailboxes, folders, writing a message with attachments, reading one with
//! its evidence, and a human-readable view of each evidence document.

use super::common::{err, render, render_invalid, require_user, when, CsrfForm, FormView};
use crate::ctx::Ctx;
use crate::ctx::Cx;
use crate::ctx::FormText;
use crate::error::PageError;
use crate::Params;
use crate::State;
use askama::Template;
use axum::extract::{Path, Query};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::Router;
use okienko_domain::DomainError;
use okienko_services::delivery::{cursor_of, DEEMED_AFTER_MS};
use std::sync::Arc;

pub fn routes() -> Router<State> {
    Router::new()
        .route("/mailboxes", get(mailboxes))
        .route("/write", get(write))
        .route("/mailboxes/{address}", get(folder))
        .route(
            "/mailboxes/{address}/members",
            get(members).post(member_add),
        )
        .route(
            "/mailboxes/{address}/members/{user}/remove",
            axum::routing::post(member_remove),
        )
}

#[derive(Template)]
#[template(path = "mailboxes.html")]
struct MailboxesPage<'a> {
    ctx: &'a Ctx,
    boxes: Vec<(String, String)>,
}

async fn mailboxes(Cx(state, ctx): Cx) -> Result<Response, PageError> {
    let p = require_user(&ctx)?;
    let boxes = state.services.my_mailboxes(p).await.map_err(err(&ctx))?;
    Ok(render(&MailboxesPage {
        ctx: &ctx,
        boxes: boxes
            .into_iter()
            .map(|(m, _)| (m.address, m.name))
            .collect(),
    }))
}

/// "Write to this office" from the public register: the compose form of one's own mailbox
/// (a person's or company's before an office's they work for), the recipient filled in.
/// Without a mailbox: the page that says how to open one.
async fn write(Cx(state, ctx): Cx, Query(q): Query<Params>) -> Result<Response, PageError> {
    let p = require_user(&ctx)?;
    let to = q.get("to").cloned().unwrap_or_default();
    let mut boxes = state.services.my_mailboxes(p).await.map_err(err(&ctx))?;
    boxes.sort_by_key(|(_, role)| role != "owner");
    Ok(match boxes.first() {
        Some((m, _)) => Redirect::to(&format!(
            "/mailboxes/{}/compose?to={}",
            m.address,
            super::common::url_encode(&to)
        )),
        None => Redirect::to("/mailboxes"),
    }
    .into_response())
}

/// A sent message's status in the list: received by everyone (opened, deemed delivered or
/// delivered on paper), by some ("2 of 3"), returned on paper, or not yet; grey when
/// nothing more is awaited.
fn outgoing_status(ctx: &Ctx, to: &[okienko_store::SentTo]) -> (String, bool, String) {
    let received = |t: &&okienko_store::SentTo| match &t.paper {
        Some(p) => matches!(
            p.as_str(),
            "delivered" | "delivered-household" | "picked-up" | "returned-after-notice"
        ),
        None => t.opened_at.is_some() || t.deemed_at.is_some(),
    };
    let returned = to
        .iter()
        .filter(|t| t.paper.as_deref() == Some("returned-other"))
        .count();
    let got = to.iter().filter(received).count();
    let total = to.len();
    let counts =
        |key: &str, n: usize| ctx.ta(key, &[("n", &n.to_string()), ("total", &total.to_string())]);
    if returned > 0 {
        (
            ctx.t("status-out-returned"),
            false,
            counts("status-out-of", got),
        )
    } else if total > 0 && got == total {
        (ctx.t("status-out-received"), true, String::new())
    } else if got > 0 {
        (
            ctx.t("status-out-partly"),
            false,
            counts("status-out-of", got),
        )
    } else {
        (ctx.t("status-out-awaiting"), false, String::new())
    }
}

struct Row {
    id: String,
    subject: String,
    /// (name, address, where it stands) of the sender or each recipient; a postal
    /// addressee has no address, and the sender no state.
    parties: Vec<(String, String, String)>,
    iso: String,
    when: String,
    status: String,
    grey: bool,
    remaining: String,
}

#[derive(Template)]
#[template(path = "mailbox.html")]
struct FolderPage<'a> {
    ctx: &'a Ctx,
    address: String,
    name: String,
    /// `inbox`, `sent` or `archive`.
    folder: String,
    folder_label: String,
    /// The name of the column of the other party: from, to, or either.
    party_label: String,
    /// The folder's tabs: (name, label).
    tabs: Vec<(String, String)>,
    form: FormView,
    /// The search as query parameters to carry to the next page ("" when none).
    search_query: String,
    searching: bool,
    can_send: bool,
    can_manage: bool,
    rows: Vec<Row>,
    next: Option<String>,
    notice: Option<String>,
}

async fn folder(
    Cx(state, ctx): Cx,
    Path(address): Path<String>,
    Query(q): Query<Params>,
) -> Result<Response, PageError> {
    let p = require_user(&ctx)?;
    let s = &state.services;
    let (mailbox, role) = member_with_role(&state, &ctx, &address).await?;
    let folder_name = match q.text("folder").as_str() {
        "sent" => "sent",
        "archive" => "archive",
        _ => "inbox",
    };
    let folder = okienko_services::delivery::folder_named(folder_name).map_err(err(&ctx))?;
    let tabs: Vec<(String, String)> = ["inbox", "sent", "archive"]
        .iter()
        .map(|f| (f.to_string(), ctx.t(&format!("mailbox-{f}"))))
        .collect();
    let form = FormView::new(
        ["q", "since", "until"]
            .iter()
            .map(|k| (k.to_string(), q.text(k)))
            .collect(),
    );
    let searching = ["q", "since", "until"]
        .iter()
        .any(|k| !q.text(k).trim().is_empty());
    let search_query = if searching {
        format!(
            "&q={}&since={}&until={}",
            super::common::url_encode(&q.text("q")),
            super::common::url_encode(&q.text("since")),
            super::common::url_encode(&q.text("until"))
        )
    } else {
        String::new()
    };
    let page = |rows, next, form, notice| FolderPage {
        ctx: &ctx,
        address: address.clone(),
        name: mailbox.name.clone(),
        folder: folder_name.to_string(),
        folder_label: ctx.t(&format!("mailbox-{folder_name}")),
        party_label: ctx.t(match folder_name {
            "sent" => "mailbox-to",
            "inbox" => "mailbox-from",
            _ => "mailbox-party",
        }),
        tabs: tabs.clone(),
        form,
        search_query: search_query.clone(),
        searching,
        can_send: okienko_services::mailboxes::may_send(&role),
        can_manage: role == "owner" && mailbox.kind != okienko_services::mailboxes::PERSON
            || role == "administrator",
        rows,
        next,
        notice,
    };
    let filter = match okienko_services::delivery::list_filter(
        &q.text("q"),
        &q.text("since"),
        &q.text("until"),
    ) {
        Ok(f) => f,
        Err(e) => {
            let form = form.with_error(&ctx, &e, "q");
            return Ok(render_invalid(&page(Vec::new(), None, form, None)));
        }
    };
    const PAGE: i64 = 25;
    let mut items = s
        .list_mailbox(
            p,
            &address,
            folder,
            &filter,
            q.get("cursor").map(String::as_str),
            PAGE + 1,
        )
        .await
        .map_err(err(&ctx))?;
    let next = if items.len() as i64 > PAGE {
        items.truncate(PAGE as usize);
        items
            .last()
            .map(|r| super::common::url_encode(&cursor_of(r.sent_at, &r.id)))
    } else {
        None
    };
    let to = s
        .recipients_of(
            &items
                .iter()
                .filter(|r| r.outgoing)
                .map(|r| r.id.clone())
                .collect::<Vec<_>>(),
        )
        .await
        .map_err(err(&ctx))?;
    let parties: Vec<String> = items
        .iter()
        .filter(|r| !r.outgoing)
        .map(|r| r.sender.clone())
        .chain(
            to.values()
                .flatten()
                .filter(|t| t.paper.is_none())
                .map(|t| t.recipient.clone()),
        )
        .collect();
    let names = s.mailbox_names(&parties).await.map_err(err(&ctx))?;
    let named = |a: &String| {
        (
            names.get(a).cloned().unwrap_or_default(),
            a.clone(),
            String::new(),
        )
    };
    // A recipient as the sent folder shows them: who, and how far the message got.
    let recipient = |t: &okienko_store::SentTo| match &t.paper {
        Some(state) => (
            t.recipient.clone(),
            String::new(),
            ctx.t(&format!("paper-status-{state}")),
        ),
        None => (
            names.get(&t.recipient).cloned().unwrap_or_default(),
            t.recipient.clone(),
            ctx.t(if t.opened_at.is_some() {
                "status-opened"
            } else if t.deemed_at.is_some() {
                "status-deemed"
            } else {
                "status-out-waiting"
            }),
        ),
    };
    let now = s.now_ms();
    let rows = items
        .into_iter()
        .map(|r| {
            let (iso, w) = when(&ctx, r.sent_at);
            let sent_to = to.get(&r.id).map(Vec::as_slice).unwrap_or_default();
            let (status, grey, remaining) = if r.outgoing {
                outgoing_status(&ctx, sent_to)
            } else if r.deemed_at.is_some() {
                (ctx.t("status-deemed"), false, String::new())
            } else if r.opened_at.is_some() {
                (ctx.t("status-opened"), true, String::new())
            } else {
                let remaining = match (r.deemable, r.delivered_at) {
                    (true, Some(d)) => {
                        let days = ((d + DEEMED_AFTER_MS - now).max(0) + 86_399_999) / 86_400_000;
                        ctx.ta(
                            "status-days-left",
                            &[
                                ("days", &days.to_string()),
                                ("date", &when(&ctx, d + DEEMED_AFTER_MS).1),
                            ],
                        )
                    }
                    _ => String::new(),
                };
                (ctx.t("status-new"), false, remaining)
            };
            Row {
                parties: if r.outgoing {
                    sent_to.iter().map(recipient).collect()
                } else {
                    vec![named(&r.sender)]
                },
                id: r.id,
                subject: r.subject,
                iso,
                when: w,
                status,
                grey,
                remaining,
            }
        })
        .collect();
    let notice = super::common::notice(&ctx, &q);
    Ok(render(&page(rows, next, form, notice)))
}

/// The mailbox and one's role in it, if the signed-in person may use it; 404 otherwise.
pub(super) async fn member_with_role(
    state: &State,
    ctx: &Arc<Ctx>,
    address: &str,
) -> Result<(okienko_store::Mailbox, String), PageError> {
    let p = require_user(ctx)?;
    let boxes = state.services.my_mailboxes(p).await.map_err(err(ctx))?;
    boxes
        .into_iter()
        .find(|(m, _)| m.address == address)
        .ok_or_else(|| PageError(DomainError::NotFound, ctx.clone()))
}

#[derive(Template)]
#[template(path = "mailbox_members.html")]
struct MembersPage<'a> {
    ctx: &'a Ctx,
    address: String,
    name: String,
    owner: Option<String>,
    /// (user id, name, email, role label)
    members: Vec<(String, String, String, String)>,
    roles: Vec<(String, String)>,
    form: FormView,
    notice: Option<String>,
}

async fn members_page(
    state: &State,
    ctx: &Arc<Ctx>,
    address: &str,
    form: FormView,
    notice: Option<String>,
) -> Result<Response, PageError> {
    let p = require_user(ctx)?;
    let a = state
        .services
        .mailbox_access(p, address)
        .await
        .map_err(err(ctx))?;
    let invalid = form.has_errors();
    let page = MembersPage {
        ctx,
        address: a.mailbox.address.clone(),
        name: a.mailbox.name.clone(),
        owner: a.owner.map(|u| format!("{} ({})", u.display_name, u.email)),
        members: a
            .members
            .into_iter()
            .map(|(u, r)| {
                (
                    u.id,
                    u.display_name,
                    u.email,
                    ctx.t(&format!("mailbox-role-{r}")),
                )
            })
            .collect(),
        roles: a
            .roles
            .iter()
            .map(|r| (r.to_string(), ctx.t(&format!("mailbox-role-{r}"))))
            .collect(),
        form,
        notice,
    };
    Ok(super::common::render_form(&page, invalid))
}

async fn members(
    Cx(state, ctx): Cx,
    Path(address): Path<String>,
    Query(q): Query<Params>,
) -> Result<Response, PageError> {
    let notice = super::common::notice(&ctx, &q);
    members_page(&state, &ctx, &address, FormView::default(), notice).await
}

async fn member_add(
    Cx(state, ctx): Cx,
    Path(address): Path<String>,
    CsrfForm(form): CsrfForm,
) -> Result<Response, PageError> {
    let p = require_user(&ctx)?;
    match state
        .services
        .grant_mailbox(p, &address, &form.text("email"), &form.text("role"))
        .await
    {
        Ok(()) => Ok(Redirect::to(&format!(
            "/mailboxes/{address}/members?notice=notice-member-added"
        ))
        .into_response()),
        Err(e @ DomainError::Invalid(_)) => {
            let view = FormView::new(form.clone()).with_error(&ctx, &e, "email");
            members_page(&state, &ctx, &address, view, None).await
        }
        Err(e) => Err(PageError(e, ctx.clone())),
    }
}

async fn member_remove(
    Cx(state, ctx): Cx,
    Path((address, user)): Path<(String, String)>,
    CsrfForm(_form): CsrfForm,
) -> Result<Response, PageError> {
    let p = require_user(&ctx)?;
    state
        .services
        .revoke_mailbox(p, &address, &user)
        .await
        .map_err(err(&ctx))?;
    Ok(Redirect::to(&format!(
        "/mailboxes/{address}/members?notice=notice-member-removed"
    ))
    .into_response())
}
