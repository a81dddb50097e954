//! What every API handler shares: the signed-in principal, JSON bodies, times.

use crate::ctx::Ctx;
use crate::error::ApiError;
use axum::body::Bytes;
use okienko_domain::DomainError;
use okienko_services::accounts::Principal;
use serde::Deserialize;
use std::sync::Arc;

pub(crate) use okienko_services::clock::rfc3339;

/// The signed-in principal, or 401.
pub(crate) fn user(ctx: &Arc<Ctx>) -> Result<&Principal, ApiError> {
    ctx.principal
        .as_ref()
        .ok_or(ApiError(DomainError::Unauthenticated, ctx.lang))
}

/// Parses a JSON body; malformed JSON is a 422 problem naming the body, not a bare 400.
pub(crate) fn parse<T: for<'de> Deserialize<'de>>(ctx: &Ctx, body: &Bytes) -> Result<T, ApiError> {
    serde_json::from_slice(body)
        .map_err(|_| ApiError(DomainError::invalid("body", "err-json"), ctx.lang))
}
