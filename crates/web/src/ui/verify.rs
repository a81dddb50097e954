//! The public verifier: anyone uploads a signature (and the signed file, for a detached one)
//! and gets a plain-language report in their language. No account needed.

use super::common::{check_csrf, render, render_invalid, when, FormView};
use crate::ctx::{Ctx, CtxRef};
use crate::error::PageError;
use crate::State;
use askama::Template;
use axum::extract::DefaultBodyLimit;
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use okienko_domain::DomainError;
use okienko_trust::verify::{verify, Report};
use std::collections::HashMap;

/// Signatures and files up to this size are accepted.
const MAX_UPLOAD: usize = 60 * 1024 * 1024;

pub fn routes() -> Router<State> {
    Router::new().route(
        "/verify",
        get(page)
            .post(check)
            .layer(DefaultBodyLimit::max(MAX_UPLOAD)),
    )
}

#[derive(Template)]
#[template(path = "verify.html")]
struct VerifyPage<'a> {
    ctx: &'a Ctx,
    form: FormView,
}

#[derive(Template)]
#[template(path = "verify_report.html")]
struct ReportPage<'a> {
    ctx: &'a Ctx,
    valid: bool,
    /// Nothing could be checked (a warning, not a verdict on the signature).
    unchecked: bool,
    verdict: String,
    reasons: Vec<String>,
    rows: Vec<(String, String)>,
    content: Option<String>,
}

async fn page(axum::Extension(ctx): CtxRef) -> Response {
    render(&VerifyPage {
        ctx: &ctx,
        form: FormView::default(),
    })
}

/// The report as rows of (label, value) in the visitor's language.
pub fn report_rows(ctx: &Ctx, r: &Report, log: Option<(u64, u64)>) -> Vec<(String, String)> {
    let mut rows = Vec::new();
    if let Some(s) = &r.signer {
        rows.push((ctx.t("verify-signer"), s.clone()));
    }
    for (oid, text) in &r.attributes {
        if *oid == okienko_trust::oids::ID_AA_ETS_SIGNER_ATTR_V2.to_string() {
            rows.push((ctx.t("verify-signed-for"), text.clone()));
        } else {
            rows.push((ctx.t("verify-attribute"), format!("{text} ({oid})")));
        }
    }
    if let Some(s) = &r.issuer {
        rows.push((ctx.t("verify-issuer"), s.clone()));
    }
    if let Some(s) = &r.signer_serial {
        rows.push((ctx.t("verify-serial"), s.clone()));
    }
    if let Some(t) = r.signing_time {
        rows.push((
            ctx.t("verify-signing-time"),
            when(ctx, okienko_domain::to_millis(t)).1,
        ));
    }
    if let Some(t) = r.time_stamp {
        let by = r.time_stamp_authority.clone().unwrap_or_default();
        rows.push((
            ctx.t("verify-time-stamp"),
            format!("{} ({by})", when(ctx, okienko_domain::to_millis(t)).1),
        ));
    }
    if !r.chain.is_empty() {
        rows.push((ctx.t("verify-chain"), r.chain.join(" → ")));
    }
    rows.push((
        ctx.t("verify-log"),
        match log {
            Some((idx, size)) => ctx.ta(
                "verify-log-yes",
                &[("index", &idx.to_string()), ("size", &size.to_string())],
            ),
            None => ctx.t("verify-log-no"),
        },
    ));
    rows
}

async fn check(
    axum::extract::State(state): axum::extract::State<State>,
    axum::Extension(ctx): CtxRef,
    req: axum::extract::Request,
) -> Result<Response, PageError> {
    let Ok(mut fields) = super::common::read_multipart(req).await else {
        return Err(PageError(
            DomainError::invalid("signature", "err-upload"),
            ctx.clone(),
        ));
    };
    let text: HashMap<String, String> = fields
        .get("csrf")
        .map(|v| {
            [("csrf".to_string(), String::from_utf8_lossy(v).to_string())]
                .into_iter()
                .collect()
        })
        .unwrap_or_default();
    check_csrf(&ctx, &text)?;
    let signature = fields.remove("signature").filter(|s| !s.is_empty());
    let Some(signature) = signature else {
        let form = FormView::default().with_error(
            &ctx,
            &DomainError::invalid("signature", "err-signature-missing"),
            "signature",
        );
        return Ok(render_invalid(&VerifyPage { ctx: &ctx, form }));
    };
    let document = fields.remove("document").filter(|d| !d.is_empty());
    let s = &state.services;
    let anchors = s.pki.anchors();
    let revocation = s
        .revocation()
        .await
        .map_err(|e| PageError(e, ctx.clone()))?;
    let sig = signature.clone();
    let report = tokio::task::spawn_blocking(move || {
        verify(&sig, document.as_deref(), &anchors, &revocation)
    })
    .await
    .map_err(|e| PageError(DomainError::Internal(e.to_string()), ctx.clone()))?;
    let hash = okienko_trust::merkle::leaf_hash(&signature);
    let size = s.log.sth().await.map(|h| h.tree_size).unwrap_or(0);
    let log = s
        .log
        .proof_by_hash(&hash, size)
        .await
        .map(|(i, _)| (i, size));
    let valid = report.valid();
    let unchecked = report.cannot_check();
    let content = report
        .content
        .as_ref()
        .filter(|_| report.content_type.as_deref() == Some("1.2.840.113549.1.7.1"))
        .and_then(|c| String::from_utf8(c.clone()).ok());
    Ok(render(&ReportPage {
        ctx: &ctx,
        valid,
        unchecked,
        verdict: ctx.t(if valid {
            "verify-valid"
        } else if unchecked {
            "verify-unchecked"
        } else {
            "verify-invalid"
        }),
        reasons: report.problems.iter().map(|p| ctx.t(p.code())).collect(),
        rows: if unchecked {
            Vec::new()
        } else {
            report_rows(&ctx, &report, log)
        },
        content,
    }))
}
