//! The JSON API under `/api/v1`, described by OpenAPI 3.1 at `/api/v1/openapi.json`.
//! Authentication is a bearer token from `POST /api/v1/auth/token`; errors are problem+json.

use crate::ctx::{Ctx, CtxRef};
use crate::error::{ApiError, FieldProblem, Problem};
use crate::State;
use axum::body::Bytes;
use axum::extract::Path;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use okienko_domain::DomainError;
use okienko_services::accounts::{Principal, SignIn, API, API_TOKEN_MS};
use okienko_services::orgs::OfficeInput;
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use utoipa::{OpenApi, ToSchema};

type St = axum::extract::State<State>;

pub fn routes() -> Router<State> {
    Router::new()
        .route("/api/v1/openapi.json", get(openapi))
        .route("/api/v1/auth/token", post(token).delete(revoke))
        .route("/api/v1/me", get(me))
        .route("/api/v1/me/data-tracker", get(tracker))
        .route("/api/v1/offices", get(offices).post(create_office))
        .route("/api/v1/offices/{id}", get(office))
        .route("/api/v1/service-points", get(service_points))
        .route("/api/v1/addresses", get(addresses))
        .route("/api/v1/addresses/lookup", get(address_lookup))
        .route(
            "/api/v1/offices/{id}/seal-signatures",
            post(seal_signature).layer(axum::extract::DefaultBodyLimit::max(60 * 1024 * 1024)),
        )
        .route("/api/{*rest}", axum::routing::any(not_found))
}

#[derive(OpenApi)]
#[openapi(
    info(title = "okienko API", version = "1", description = "Digital public services: accounts, organisations, audit."),
    paths(token, revoke, me, tracker, offices, create_office, office, service_points, seal_signature, addresses, address_lookup,
        crate::api_delivery::send, crate::api_delivery::list, crate::api_delivery::read, crate::api_delivery::attachment,
        crate::api_delivery::evidence_list, crate::api_delivery::evidence_json, crate::api_delivery::evidence_signed, crate::api_delivery::evidence_pdf, crate::api_delivery::archive, crate::api_delivery::unarchive, crate::api_delivery::members, crate::api_delivery::member_add, crate::api_delivery::member_remove,
        crate::api_paper::desk, crate::api_paper::make_batch, crate::api_paper::batch, crate::api_paper::batch_pdf,
        crate::api_paper::printed, crate::api_paper::dispatched, crate::api_paper::outcome, crate::api_paper::letter_pdf,
        crate::api_trusted::apply, crate::api_trusted::mine, crate::api_trusted::confirm, crate::api_trusted::refuse, crate::api_trusted::open_mailbox, crate::api_trusted::sign_trusted),
    components(schemas(TokenRequest, TokenResponse, Me, MailboxRef, AddressList,
        crate::api_delivery::MessageInput, crate::api_delivery::SentJson, crate::api_delivery::EvidenceRef, crate::api_delivery::ListJson,
        crate::api_delivery::ListItem, crate::api_delivery::MessageJson, crate::api_delivery::AttachmentJson, crate::api_delivery::ThreadItem, crate::api_delivery::MemberJson, crate::api_delivery::MembersJson, crate::api_delivery::MemberInput, crate::api_delivery::EvidenceListJson,
        crate::api_delivery::EvidenceItem, crate::api_paper::LetterJson, crate::api_paper::BatchJson, crate::api_paper::DeskJson, crate::api_paper::OutcomeInput, crate::api_trusted::ApplicationJson, crate::api_trusted::ProfileJson, crate::api_trusted::MineJson, crate::api_trusted::OpenedJson, TrustedProfileRef, TrackerItem, OfficeJson, OfficeInputJson, ServicePointJson, Problem, FieldProblem)),
    modifiers(&BearerAuth, &ProblemAnswers)
)]
pub struct ApiDoc;

struct BearerAuth;

impl utoipa::Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// Every operation's error answers, as they are sent: `application/problem+json` with the
/// [`Problem`] schema. An operation may answer 400 (a malformed link or token), 401 (no or a
/// spent token), 403 (not allowed, unproven email), 404 (no such thing, or not yours), 409 (a
/// conflict), 422 (invalid input, with the fields), 429 (too many attempts) and 503 (the
/// server's request budget is spent, try again); one that takes a body also 413 (too large,
/// refused before it is read). Answers an operation declares itself keep their description.
struct ProblemAnswers;

impl utoipa::Modify for ProblemAnswers {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::path::{ParameterBuilder, ParameterIn};
        use utoipa::openapi::schema::{ObjectBuilder, Type};
        use utoipa::openapi::{ContentBuilder, Ref, RefOr, Required, ResponseBuilder};
        let problem = ContentBuilder::new()
            .schema(Some(Ref::from_schema_name("Problem")))
            .build();
        let texts = [
            ("400", "a malformed request, link or token"),
            ("401", "not signed in, or the token is spent"),
            ("403", "not allowed"),
            ("404", "no such thing, or not yours to see"),
            ("409", "a conflict with what is stored"),
            (
                "413",
                "the body is larger than allowed (refused before reading it)",
            ),
            ("422", "invalid input; `errors` names the fields"),
            ("429", "too many attempts; try again later"),
            ("503", "the server is busy; try again"),
        ];
        for (path, item) in openapi.paths.paths.iter_mut() {
            // Path segments in braces are parameters; those an operation does not describe
            // are added as text.
            let names: Vec<&str> = path
                .split('/')
                .filter_map(|seg| seg.strip_prefix('{')?.strip_suffix('}'))
                .collect();
            for op in [
                &mut item.get,
                &mut item.delete,
                &mut item.post,
                &mut item.put,
                &mut item.patch,
            ]
            .into_iter()
            .flatten()
            {
                let params = op.parameters.get_or_insert_with(Vec::new);
                for name in &names {
                    if !params.iter().any(|p| p.name == *name) {
                        params.push(
                            ParameterBuilder::new()
                                .name(*name)
                                .parameter_in(ParameterIn::Path)
                                .required(Required::True)
                                .schema(Some(ObjectBuilder::new().schema_type(Type::String)))
                                .build(),
                        );
                    }
                }
            }
            let ops = [
                (&mut item.get, false),
                (&mut item.delete, false),
                (&mut item.post, true),
                (&mut item.put, true),
                (&mut item.patch, true),
            ];
            for (op, has_body) in ops {
                let Some(op) = op.as_mut() else { continue };
                for (code, text) in texts {
                    if (code == "413" || code == "415") && !has_body {
                        continue;
                    }
                    let answers = &mut op.responses.responses;
                    let description = match answers.get(code) {
                        Some(RefOr::T(r)) => r.description.clone(),
                        _ => text.to_string(),
                    };
                    answers.insert(
                        code.to_string(),
                        RefOr::T(
                            ResponseBuilder::new()
                                .description(description)
                                .content("application/problem+json", problem.clone())
                                .build(),
                        ),
                    );
                }
            }
        }
    }
}

async fn openapi() -> Response {
    match ApiDoc::openapi().to_json() {
        Ok(s) => ([(axum::http::header::CONTENT_TYPE, "application/json")], s).into_response(),
        Err(_) => crate::error::internal_response(),
    }
}

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

#[derive(Deserialize, ToSchema)]
pub struct TokenRequest {
    #[serde(default)]
    login: String,
    #[serde(default)]
    password: String,
    /// The six-digit one-time code; required for staff and for anyone who enrolled.
    #[serde(default)]
    totp: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct TokenResponse {
    access_token: String,
    token_type: &'static str,
    expires_in: i64,
}

/// Exchanges credentials for a bearer token.
#[utoipa::path(post, path = "/api/v1/auth/token", request_body = TokenRequest,
    responses((status = 200, body = TokenResponse), (status = 401, body = Problem), (status = 422, body = Problem), (status = 429, body = Problem)))]
async fn token(
    axum::extract::State(state): St,
    axum::Extension(ctx): CtxRef,
    body: Bytes,
) -> Result<Json<TokenResponse>, ApiError> {
    let req: TokenRequest = parse(&ctx, &body)?;
    match state
        .services
        .sign_in(
            &req.login,
            &req.password,
            req.totp.as_deref(),
            &ctx.client_ip,
            API,
        )
        .await
    {
        Ok(SignIn::Done(_, token)) => Ok(Json(TokenResponse {
            access_token: token,
            token_type: "Bearer",
            expires_in: API_TOKEN_MS / 1000,
        })),
        Ok(SignIn::MustEnrolTotp(..)) => Err(ApiError(DomainError::TotpRequired, ctx.lang)),
        Err(e) => Err(ApiError(e, ctx.lang)),
    }
}

/// Revokes the token used for this call.
#[utoipa::path(delete, path = "/api/v1/auth/token", security(("bearer" = [])), responses((status = 204), (status = 401, body = Problem)))]
async fn revoke(
    axum::extract::State(state): St,
    axum::Extension(ctx): CtxRef,
) -> Result<StatusCode, ApiError> {
    let p = user(&ctx)?;
    state
        .services
        .sign_out(p)
        .await
        .map_err(|e| ApiError(e, ctx.lang))?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Serialize, ToSchema)]
pub struct MailboxRef {
    address: String,
    name: String,
    kind: String,
}

#[derive(Serialize, ToSchema)]
pub struct TrustedProfileRef {
    valid_until: String,
}

#[derive(Serialize, ToSchema)]
pub struct Me {
    id: String,
    display_name: String,
    email: String,
    roles: Vec<String>,
    mailboxes: Vec<MailboxRef>,
    trusted_profile: Option<TrustedProfileRef>,
}

#[derive(Serialize, ToSchema)]
pub struct AddressList {
    items: Vec<MailboxRef>,
}

fn mailbox_ref(m: okienko_store::Mailbox) -> MailboxRef {
    MailboxRef {
        address: m.address,
        name: m.name,
        kind: m.kind,
    }
}

#[derive(Deserialize)]
struct AddressQuery {
    #[serde(default)]
    q: String,
}

/// The public register of public bodies' delivery addresses: search by name, NIP or city.
#[utoipa::path(get, path = "/api/v1/addresses", params(("q" = String, Query, description = "part of a name, NIP or city")),
    responses((status = 200, body = AddressList), (status = 422, body = Problem)))]
async fn addresses(
    axum::extract::State(state): St,
    axum::Extension(ctx): CtxRef,
    axum::extract::Query(q): axum::extract::Query<AddressQuery>,
) -> Result<Json<AddressList>, ApiError> {
    let list = state
        .services
        .search_register(&q.q)
        .await
        .map_err(|e| ApiError(e, ctx.lang))?;
    Ok(Json(AddressList {
        items: list.into_iter().map(mailbox_ref).collect(),
    }))
}

#[derive(Deserialize)]
struct LookupQuery {
    pesel: Option<String>,
    nip: Option<String>,
    #[serde(default)]
    reason: String,
}

/// A person's or company's delivery address by exact PESEL or NIP; for public-body senders
/// (officials) only, and recorded in the person's Data Tracker.
#[utoipa::path(get, path = "/api/v1/addresses/lookup", security(("bearer" = [])),
    params(("pesel" = Option<String>, Query), ("nip" = Option<String>, Query), ("reason" = Option<String>, Query)),
    responses((status = 200, body = MailboxRef), (status = 401, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
async fn address_lookup(
    axum::extract::State(state): St,
    axum::Extension(ctx): CtxRef,
    axum::extract::Query(q): axum::extract::Query<LookupQuery>,
) -> Result<Json<MailboxRef>, ApiError> {
    let p = user(&ctx)?;
    let m = state
        .services
        .lookup_private_address(p, q.pesel.as_deref(), q.nip.as_deref(), &q.reason)
        .await
        .map_err(|e| ApiError(e, ctx.lang))?;
    Ok(Json(mailbox_ref(m)))
}

/// Who the token belongs to.
#[utoipa::path(get, path = "/api/v1/me", security(("bearer" = [])), responses((status = 200, body = Me), (status = 401, body = Problem)))]
async fn me(
    axum::extract::State(state): St,
    axum::Extension(ctx): CtxRef,
) -> Result<Json<Me>, ApiError> {
    let p = user(&ctx)?;
    let mailboxes = state
        .services
        .my_mailboxes(p)
        .await
        .map_err(|e| ApiError(e, ctx.lang))?;
    let mut roles: Vec<String> = p
        .grants
        .iter()
        .map(|g| g.role.as_str().to_string())
        .collect();
    roles.dedup();
    let now = state.services.now_ms();
    let trusted_profile = state
        .services
        .my_trusted_profile(p)
        .await
        .map_err(|e| ApiError(e, ctx.lang))?
        .0
        .filter(|t| okienko_services::trusted::in_force(t, now))
        .map(|t| TrustedProfileRef {
            valid_until: crate::api_delivery::rfc3339(t.valid_until),
        });
    Ok(Json(Me {
        id: p.user.id.clone(),
        display_name: p.user.display_name.clone(),
        email: p.user.email.clone(),
        roles,
        mailboxes: mailboxes.into_iter().map(|(m, _)| mailbox_ref(m)).collect(),
        trusted_profile,
    }))
}

#[derive(Serialize, ToSchema)]
pub struct TrackerItem {
    at: String,
    actor: String,
    action: String,
    reason: String,
}

/// Staff reads and changes of the caller's personal data.
#[utoipa::path(get, path = "/api/v1/me/data-tracker", security(("bearer" = [])), responses((status = 200, body = [TrackerItem]), (status = 401, body = Problem)))]
async fn tracker(
    axum::extract::State(state): St,
    axum::Extension(ctx): CtxRef,
) -> Result<Json<Vec<TrackerItem>>, ApiError> {
    let p = user(&ctx)?;
    let rows = state
        .services
        .data_tracker(p)
        .await
        .map_err(|e| ApiError(e, ctx.lang))?;
    Ok(Json(
        rows.into_iter()
            .map(|r| TrackerItem {
                at: crate::ui::when(&ctx, r.entry.at).0,
                actor: r.actor_name,
                action: r.entry.action,
                reason: r.entry.reason,
            })
            .collect(),
    ))
}

#[derive(Serialize, ToSchema)]
pub struct OfficeJson {
    id: String,
    name: String,
    nip: String,
    regon: String,
    street: String,
    postal_code: String,
    city: String,
}

impl From<okienko_store::Office> for OfficeJson {
    fn from(o: okienko_store::Office) -> Self {
        OfficeJson {
            id: o.id,
            name: o.name,
            nip: o.nip,
            regon: o.regon,
            street: o.street,
            postal_code: o.postal_code,
            city: o.city,
        }
    }
}

#[derive(Deserialize, ToSchema)]
#[allow(dead_code)] // read through OfficeInput; declared for the schema
pub struct OfficeInputJson {
    name: String,
    nip: String,
    regon: String,
    street: String,
    postal_code: String,
    city: String,
}

/// All offices (platform admin).
#[utoipa::path(get, path = "/api/v1/offices", security(("bearer" = [])), responses((status = 200, body = [OfficeJson]), (status = 401, body = Problem), (status = 404, body = Problem)))]
async fn offices(
    axum::extract::State(state): St,
    axum::Extension(ctx): CtxRef,
) -> Result<Json<Vec<OfficeJson>>, ApiError> {
    let p = user(&ctx)?;
    let list = state
        .services
        .offices(p)
        .await
        .map_err(|e| ApiError(e, ctx.lang))?;
    Ok(Json(list.into_iter().map(Into::into).collect()))
}

/// Creates an office (platform admin).
#[utoipa::path(post, path = "/api/v1/offices", request_body = OfficeInputJson, security(("bearer" = [])),
    responses((status = 201, body = OfficeJson), (status = 401, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
async fn create_office(
    axum::extract::State(state): St,
    axum::Extension(ctx): CtxRef,
    body: Bytes,
) -> Result<(StatusCode, Json<OfficeJson>), ApiError> {
    let p = user(&ctx)?;
    let input: OfficeInput = parse(&ctx, &body)?;
    let o = state
        .services
        .create_office(p, &input)
        .await
        .map_err(|e| ApiError(e, ctx.lang))?;
    Ok((StatusCode::CREATED, Json(o.into())))
}

/// One office (its admins and officials, or a platform admin).
#[utoipa::path(get, path = "/api/v1/offices/{id}", security(("bearer" = [])), responses((status = 200, body = OfficeJson), (status = 404, body = Problem)))]
async fn office(
    axum::extract::State(state): St,
    axum::Extension(ctx): CtxRef,
    Path(id): Path<String>,
) -> Result<Json<OfficeJson>, ApiError> {
    let p = user(&ctx)?;
    let (o, _) = state
        .services
        .office(p, &id)
        .await
        .map_err(|e| ApiError(e, ctx.lang))?;
    Ok(Json(o.into()))
}

#[derive(Serialize, ToSchema)]
pub struct ServicePointJson {
    id: String,
    name: String,
    street: String,
    postal_code: String,
    city: String,
    is_open: bool,
}

/// All service points (platform admin).
#[utoipa::path(get, path = "/api/v1/service-points", security(("bearer" = [])), responses((status = 200, body = [ServicePointJson]), (status = 401, body = Problem), (status = 404, body = Problem)))]
async fn service_points(
    axum::extract::State(state): St,
    axum::Extension(ctx): CtxRef,
) -> Result<Json<Vec<ServicePointJson>>, ApiError> {
    let p = user(&ctx)?;
    let list = state
        .services
        .service_points(p)
        .await
        .map_err(|e| ApiError(e, ctx.lang))?;
    Ok(Json(
        list.into_iter()
            .map(|s| ServicePointJson {
                id: s.id,
                name: s.name,
                street: s.street,
                postal_code: s.postal_code,
                city: s.city,
                is_open: s.is_open,
            })
            .collect(),
    ))
}

/// Seals a file with the office's electronic seal: a detached CMS signature (.p7s) with a
/// signature time stamp (CAdES-T). Multipart part `file`. For the office's officials and admins.
#[utoipa::path(post, path = "/api/v1/offices/{id}/seal-signatures", security(("bearer" = [])),
    responses((status = 200, content_type = "application/pkcs7-signature", description = "DER CMS detached signature"), (status = 401, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
async fn seal_signature(
    axum::extract::State(state): St,
    axum::Extension(ctx): CtxRef,
    Path(id): Path<String>,
    req: axum::extract::Request,
) -> Result<Response, ApiError> {
    use axum::extract::FromRequest;
    let p = user(&ctx)?;
    // Who may seal is decided before the upload is read.
    if !okienko_domain::policy::allowed(
        &p.actor(),
        okienko_domain::policy::Action::ViewOffice { office_id: &id },
    ) {
        return Err(ApiError(DomainError::NotFound, ctx.lang));
    }
    let mut mp = axum::extract::Multipart::from_request(req, &())
        .await
        .map_err(|_| ApiError(DomainError::invalid("file", "err-upload"), ctx.lang))?;
    let mut file: Option<(String, Vec<u8>)> = None;
    loop {
        match mp.next_field().await {
            Ok(Some(f)) if f.name() == Some("file") => {
                let name = f.file_name().unwrap_or("file").to_string();
                let bytes = f
                    .bytes()
                    .await
                    .map_err(|_| ApiError(DomainError::invalid("file", "err-upload"), ctx.lang))?;
                file = Some((name, bytes.to_vec()));
            }
            Ok(Some(_)) => {}
            Ok(None) => break,
            Err(_) => {
                return Err(ApiError(
                    DomainError::invalid("file", "err-upload"),
                    ctx.lang,
                ))
            }
        }
    }
    let (name, bytes) = file.ok_or(ApiError(
        DomainError::invalid("file", "err-file-missing"),
        ctx.lang,
    ))?;
    let sig = state
        .services
        .seal_file(p, &id, &name, bytes)
        .await
        .map_err(|e| ApiError(e, ctx.lang))?;
    Ok((
        [(
            axum::http::header::CONTENT_TYPE,
            "application/pkcs7-signature",
        )],
        sig,
    )
        .into_response())
}

async fn not_found(axum::Extension(ctx): CtxRef) -> ApiError {
    ApiError(DomainError::NotFound, ctx.lang)
}
