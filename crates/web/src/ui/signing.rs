//! Signing a document with one's trusted profile (a detached CAdES signature).

use super::common::{check_csrf, render, render_invalid, require_user, FormView};
use crate::ctx::Cx;
use crate::ctx::{Ctx, CtxRef};
use crate::error::PageError;
use crate::State;
use askama::Template;
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use okienko_domain::DomainError;

pub fn routes() -> Router<State> {
    Router::new().route(
        "/signatures/trusted",
        get(sign_page)
            .post(sign)
            .layer(axum::extract::DefaultBodyLimit::max(
                okienko_services::delivery::MAX_CONFIGURABLE_BYTES,
            )),
    )
}

#[derive(Template)]
#[template(path = "sign_trusted.html")]
pub(crate) struct SignPage<'a> {
    ctx: &'a Ctx,
    form: FormView,
    notice: Option<String>,
}

pub(crate) async fn sign_page(axum::Extension(ctx): CtxRef) -> Result<Response, PageError> {
    require_user(&ctx)?;
    Ok(render(&SignPage {
        ctx: &ctx,
        form: FormView::default(),
        notice: None,
    }))
}

/// Signs the uploaded file (or typed text) after the person confirms with their password
/// (and one-time code); answers with the `.p7s` to save beside the file.
pub(crate) async fn sign(
    Cx(state, ctx): Cx,
    req: axum::extract::Request,
) -> Result<Response, PageError> {
    let p = require_user(&ctx)?;
    let Ok(fields) = super::common::read_multipart_named(req).await else {
        let form = FormView::default().with_error(
            &ctx,
            &DomainError::invalid("file", "err-upload"),
            "file",
        );
        return Ok(render_invalid(&SignPage {
            ctx: &ctx,
            form,
            notice: None,
        }));
    };
    let text = |k: &str| {
        fields
            .get(k)
            .map(|(_, b)| String::from_utf8_lossy(b).to_string())
            .unwrap_or_default()
    };
    check_csrf(
        &ctx,
        &[("csrf".to_string(), text("csrf"))].into_iter().collect(),
    )?;
    let (mut name, mut content) = fields.get("file").cloned().unwrap_or_default();
    if content.is_empty() && !text("text").is_empty() {
        name = "text.txt".into();
        content = text("text").into_bytes();
    }
    match state
        .services
        .sign_trusted(p, &name, content, &text("password"), Some(&text("totp")))
        .await
    {
        Ok(sig) => Ok(crate::downloads::detached_signature(&name, sig)),
        Err(e @ DomainError::Invalid(_)) => {
            let form = FormView::default().with_error(&ctx, &e, "file");
            Ok(render_invalid(&SignPage {
                ctx: &ctx,
                form,
                notice: None,
            }))
        }
        Err(DomainError::Conflict(code)) => Ok(render(&SignPage {
            ctx: &ctx,
            form: FormView::default(),
            notice: Some(ctx.t(code)),
        })),
        Err(e) => Err(PageError(e, ctx.clone())),
    }
}
