//! Trust endpoints: the installation's certificates, the RFC 3161 time-stamping authority and
//! the evidence log (RFC 6962 semantics, base64 for binary values).

use crate::ctx::CtxRef;
use crate::ctx::Cx;
use crate::error::ApiError;
use crate::St;
use crate::State;
use axum::body::Bytes;
use axum::extract::Query;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use base64::Engine;
use okienko_domain::DomainError;
use serde::{Deserialize, Serialize};

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

pub fn routes() -> Router<State> {
    Router::new()
        .route("/trust/ca.pem", get(ca_pem))
        .route("/trust/tsa.pem", get(tsa_pem))
        .route("/trust/log-key.pem", get(log_key_pem))
        .route("/trust/crl", get(crl))
        .route("/tsa", post(tsa))
        .route("/log/v1/sth", get(sth))
        .route("/log/v1/proof-by-hash", get(proof_by_hash))
        .route("/log/v1/consistency", get(consistency))
}

fn pem(r: anyhow::Result<String>) -> Response {
    match r {
        Ok(text) => ([(header::CONTENT_TYPE, "application/x-pem-file")], text).into_response(),
        Err(_) => crate::error::internal_response(),
    }
}

async fn ca_pem(axum::extract::State(state): St) -> Response {
    pem(state.services.pki.ca_pem())
}

async fn tsa_pem(axum::extract::State(state): St) -> Response {
    pem(state.services.pki.tsa_pem())
}

async fn log_key_pem(axum::extract::State(state): St) -> Response {
    pem(state.services.pki.log_public_pem())
}

async fn crl(axum::extract::State(state): St, axum::Extension(ctx): CtxRef) -> Response {
    match state.services.crl().await {
        Ok(der) => ([(header::CONTENT_TYPE, "application/pkix-crl")], der).into_response(),
        Err(e) => ApiError(e, ctx.lang).into_response(),
    }
}

async fn tsa(Cx(state, ctx): Cx, headers: HeaderMap, body: Bytes) -> Response {
    let ct = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if !ct.starts_with("application/timestamp-query") {
        let mut r = ApiError(
            DomainError::invalid("content-type", "err-tsa-content-type"),
            ctx.lang,
        )
        .into_response();
        *r.status_mut() = StatusCode::UNSUPPORTED_MEDIA_TYPE;
        return r;
    }
    match state
        .services
        .pki
        .time_stamp(&body, state.services.clock.now())
    {
        Ok(reply) => (
            [(header::CONTENT_TYPE, "application/timestamp-reply")],
            reply,
        )
            .into_response(),
        Err(e) => ApiError(DomainError::Internal(e.to_string()), ctx.lang).into_response(),
    }
}

#[derive(Serialize)]
struct SthJson {
    tree_size: u64,
    timestamp: u64,
    sha256_root_hash: String,
    tree_head_signature: String,
}

async fn sth(axum::extract::State(state): St) -> Json<SthJson> {
    let s = &state.services;
    let head = match s.log.sth().await {
        Some(h) => h,
        None => {
            // An empty log still has a signed head: size 0, the hash of nothing.
            let root = okienko_trust::merkle::root(&[]);
            let ts = okienko_domain::to_millis(s.clock.now()).max(0) as u64;
            okienko_services::log::SignedTreeHead {
                tree_size: 0,
                timestamp: ts,
                root,
                signature: okienko_services::log::sign_head(&s.pki.log_key, 0, ts, &root),
            }
        }
    };
    Json(SthJson {
        tree_size: head.tree_size,
        timestamp: head.timestamp,
        sha256_root_hash: B64.encode(head.root),
        tree_head_signature: B64.encode(&head.signature),
    })
}

#[derive(Deserialize)]
struct ProofQuery {
    #[serde(default)]
    hash: String,
    #[serde(default)]
    tree_size: Option<String>,
}

fn bad(field: &'static str, code: &'static str, ctx: &crate::ctx::Ctx) -> ApiError {
    ApiError(DomainError::invalid(field, code), ctx.lang)
}

fn number(v: Option<&String>, field: &'static str, ctx: &crate::ctx::Ctx) -> Result<u64, ApiError> {
    v.and_then(|s| s.parse::<u64>().ok())
        .ok_or_else(|| bad(field, "err-log-number", ctx))
}

#[derive(Serialize)]
struct ProofJson {
    leaf_index: u64,
    audit_path: Vec<String>,
}

async fn proof_by_hash(
    Cx(state, ctx): Cx,
    Query(q): Query<ProofQuery>,
) -> Result<Json<ProofJson>, ApiError> {
    let hash: [u8; 32] = B64
        .decode(q.hash.trim())
        .ok()
        .and_then(|v| v.try_into().ok())
        .ok_or_else(|| bad("hash", "err-log-hash", &ctx))?;
    let size = number(q.tree_size.as_ref(), "tree_size", &ctx)?;
    let (leaf_index, path) = state
        .services
        .log
        .proof_by_hash(&hash, size)
        .await
        .ok_or(ApiError(DomainError::NotFound, ctx.lang))?;
    Ok(Json(ProofJson {
        leaf_index,
        audit_path: path.iter().map(|h| B64.encode(h)).collect(),
    }))
}

#[derive(Deserialize)]
struct ConsistencyQuery {
    first: Option<String>,
    second: Option<String>,
}

#[derive(Serialize)]
struct ConsistencyJson {
    consistency: Vec<String>,
}

async fn consistency(
    Cx(state, ctx): Cx,
    Query(q): Query<ConsistencyQuery>,
) -> Result<Json<ConsistencyJson>, ApiError> {
    let first = number(q.first.as_ref(), "first", &ctx)?;
    let second = number(q.second.as_ref(), "second", &ctx)?;
    let proof = state
        .services
        .log
        .consistency(first, second)
        .await
        .ok_or_else(|| bad("second", "err-log-range", &ctx))?;
    Ok(Json(ConsistencyJson {
        consistency: proof.iter().map(|h| B64.encode(h)).collect(),
    }))
}
