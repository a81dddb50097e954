//! Trusted profile and counter over the API (contract: Trusted profile and counter): a
//! citizen applies, a clerk confirms or refuses at the counter, a citizen with a profile in
//! force opens their delivery mailbox.

use super::common::rfc3339;
use super::common::{parse, user};
use crate::ctx::Cx;
use crate::error::{ApiError, Problem};
use crate::State;
use axum::body::Bytes;
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use okienko_services::trusted::{ApplicationInput, CounterInput};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(utoipa::OpenApi)]
#[openapi(
    paths(apply, mine, confirm, refuse, open_mailbox, sign_trusted),
    components(schemas(ApplicationJson, ProfileJson, MineJson, OpenedJson))
)]
pub struct Doc;

pub fn routes() -> Router<State> {
    Router::new()
        .route("/api/v1/trusted-profile", get(mine))
        .route("/api/v1/trusted-profile/applications", post(apply))
        .route(
            "/api/v1/counter/trusted-profile/confirmations",
            post(confirm),
        )
        .route("/api/v1/counter/trusted-profile/refusals", post(refuse))
        .route("/api/v1/mailboxes", post(open_mailbox))
        .route(
            "/api/v1/signatures/trusted",
            post(sign_trusted).layer(axum::extract::DefaultBodyLimit::max(
                okienko_services::delivery::MAX_CONFIGURABLE_BYTES,
            )),
        )
}

#[derive(Serialize, ToSchema)]
pub struct ApplicationJson {
    number: String,
    expires_at: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    status: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    reason: Option<String>,
}

/// Applies for a trusted profile; show the number with the ID document at any counter
/// within 14 days.
#[utoipa::path(post, path = "/api/v1/trusted-profile/applications", security(("bearer" = [])), request_body = Object,
    responses((status = 201, body = ApplicationJson), (status = 409, body = Problem), (status = 422, body = Problem)))]
async fn apply(
    Cx(state, ctx): Cx,
    body: Bytes,
) -> Result<(StatusCode, Json<ApplicationJson>), ApiError> {
    let p = user(&ctx)?;
    let input: ApplicationInput = parse(&ctx, &body)?;
    let a = state
        .services
        .apply_trusted_profile(p, &input)
        .await
        .map_err(|e| ApiError(e, ctx.lang))?;
    Ok((
        StatusCode::CREATED,
        Json(ApplicationJson {
            number: a.number,
            expires_at: rfc3339(a.expires_at),
            status: None,
            reason: None,
        }),
    ))
}

#[derive(Serialize, ToSchema)]
pub struct ProfileJson {
    valid_until: String,
}

#[derive(Serialize, ToSchema)]
pub struct MineJson {
    /// The profile in force, if any.
    profile: Option<ProfileJson>,
    applications: Vec<ApplicationJson>,
}

/// One's own trusted profile and applications.
#[utoipa::path(get, path = "/api/v1/trusted-profile", security(("bearer" = [])), responses((status = 200, body = MineJson), (status = 401, body = Problem)))]
async fn mine(Cx(state, ctx): Cx) -> Result<Json<MineJson>, ApiError> {
    let p = user(&ctx)?;
    let s = &state.services;
    let (tp, apps) = s
        .my_trusted_profile(p)
        .await
        .map_err(|e| ApiError(e, ctx.lang))?;
    let now = s.now_ms();
    Ok(Json(MineJson {
        profile: tp
            .filter(|t| okienko_services::trusted::in_force(t, now))
            .map(|t| ProfileJson {
                valid_until: rfc3339(t.valid_until),
            }),
        applications: apps
            .into_iter()
            .map(|a| ApplicationJson {
                number: a.number,
                expires_at: rfc3339(a.expires_at),
                status: Some(a.status.to_string()),
                reason: a.reason,
            })
            .collect(),
    }))
}

/// A clerk confirms an application after comparing the ID document in person.
#[utoipa::path(post, path = "/api/v1/counter/trusted-profile/confirmations", security(("bearer" = [])), request_body = Object,
    responses((status = 201, body = ProfileJson), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
async fn confirm(
    Cx(state, ctx): Cx,
    body: Bytes,
) -> Result<(StatusCode, Json<ProfileJson>), ApiError> {
    let p = user(&ctx)?;
    let input: CounterInput = parse(&ctx, &body)?;
    let tp = state
        .services
        .confirm_trusted_profile(p, &input)
        .await
        .map_err(|e| ApiError(e, ctx.lang))?;
    Ok((
        StatusCode::CREATED,
        Json(ProfileJson {
            valid_until: rfc3339(tp.valid_until),
        }),
    ))
}

#[derive(Deserialize)]
struct RefusalInput {
    #[serde(flatten)]
    counter: CounterInput,
    #[serde(default)]
    reason: String,
}

/// A clerk refuses an application, with the reason the citizen reads.
#[utoipa::path(post, path = "/api/v1/counter/trusted-profile/refusals", security(("bearer" = [])), request_body = Object,
    responses((status = 204), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
async fn refuse(Cx(state, ctx): Cx, body: Bytes) -> Result<StatusCode, ApiError> {
    let p = user(&ctx)?;
    let input: RefusalInput = parse(&ctx, &body)?;
    state
        .services
        .refuse_trusted_profile(p, &input.counter, &input.reason)
        .await
        .map_err(|e| ApiError(e, ctx.lang))?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Serialize, ToSchema)]
pub struct OpenedJson {
    address: String,
}

/// Opens the caller's own delivery mailbox (needs a trusted profile in force).
#[utoipa::path(post, path = "/api/v1/mailboxes", security(("bearer" = [])),
    responses((status = 201, body = OpenedJson), (status = 200, description = "already open", body = OpenedJson), (status = 404, body = Problem), (status = 409, body = Problem)))]
async fn open_mailbox(Cx(state, ctx): Cx) -> Result<(StatusCode, Json<OpenedJson>), ApiError> {
    let p = user(&ctx)?;
    let (m, created) = state
        .services
        .open_my_mailbox(p)
        .await
        .map_err(|e| ApiError(e, ctx.lang))?;
    let status = if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(OpenedJson { address: m.address })))
}

/// A trusted signature over a file (multipart parts `file`, `password`, and `totp` when
/// two-step sign-in is on): a detached CMS signature naming the person (ETSI
/// signer-attributes-v2: name and PNOPL-PESEL), time-stamped, verifiable with
/// `openssl cms -verify -binary -inform DER -content FILE -CAfile ca.pem`.
#[utoipa::path(post, path = "/api/v1/signatures/trusted", security(("bearer" = [])),
    responses((status = 200, description = "application/pkcs7-signature"), (status = 409, body = Problem), (status = 422, body = Problem)))]
async fn sign_trusted(
    Cx(state, ctx): Cx,
    req: axum::extract::Request,
) -> Result<axum::response::Response, ApiError> {
    use axum::extract::FromRequest;
    let p = user(&ctx)?;
    let bad = |code| ApiError(okienko_domain::DomainError::invalid("file", code), ctx.lang);
    let mut mp = axum::extract::Multipart::from_request(req, &())
        .await
        .map_err(|_| bad("err-upload"))?;
    let (mut file, mut name, mut password, mut totp) =
        (Vec::new(), String::new(), String::new(), String::new());
    while let Some(f) = mp.next_field().await.map_err(|_| bad("err-upload"))? {
        let field = f.name().unwrap_or("").to_string();
        let file_name = f.file_name().unwrap_or("").to_string();
        let bytes = f.bytes().await.map_err(|_| bad("err-upload"))?;
        match field.as_str() {
            "file" => {
                file = bytes.to_vec();
                name = file_name;
            }
            "password" => password = String::from_utf8_lossy(&bytes).to_string(),
            "totp" => totp = String::from_utf8_lossy(&bytes).to_string(),
            _ => {}
        }
    }
    let sig = state
        .services
        .sign_trusted(p, &name, file, &password, Some(&totp))
        .await
        .map_err(|e| ApiError(e, ctx.lang))?;
    Ok(crate::downloads::detached_signature(&name, sig))
}
