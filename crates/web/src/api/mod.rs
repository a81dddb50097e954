//! The JSON API under `/api/v1`, described by OpenAPI 3.1 at `/api/v1/openapi.json`.
//! Authentication is a bearer token from `POST /api/v1/auth/token`; errors are problem+json.

mod accounts;
mod appointments;
mod archive;
mod availability;
mod cases;
mod cash;
mod catalogue;
mod common;
pub(crate) mod decisions;
pub mod delivery;
mod documents;
mod forms;
mod library;
mod mailboxes;
mod orgs;
pub mod paper;
mod payments;
pub(crate) mod places;
mod scans;
mod search;
mod substitutes;
mod tasks;
pub mod trusted;

use crate::ctx::CtxRef;
use crate::error::{ApiError, FieldProblem, Problem};
use crate::State;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use okienko_domain::DomainError;
use utoipa::openapi::OpenApi as Document;
use utoipa::{Modify, OpenApi};

/// Every feature's API routes, the OpenAPI document, and problem+json for unknown paths.
pub fn routes() -> Router<State> {
    Router::new()
        .route("/api/v1/openapi.json", get(openapi))
        .merge(accounts::routes())
        .merge(mailboxes::routes())
        .merge(orgs::routes())
        .merge(delivery::routes())
        .merge(paper::routes())
        .merge(trusted::routes())
        .merge(cash::routes())
        .merge(catalogue::routes())
        .merge(forms::routes())
        .merge(payments::routes())
        .merge(cases::routes())
        .merge(decisions::routes())
        .merge(documents::routes())
        .merge(search::routes())
        .merge(places::routes())
        .merge(archive::routes())
        .merge(scans::routes())
        .merge(substitutes::routes())
        .merge(tasks::routes())
        .merge(library::routes())
        .merge(availability::routes())
        .merge(appointments::routes())
        .route("/api/{*rest}", axum::routing::any(not_found))
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "okienko API",
        version = "1",
        description = "Digital public services: accounts, organisations, electronic delivery, the paper channel, trusted profiles, cash at the counter."
    ),
    components(schemas(Problem, FieldProblem))
)]
struct Base;

/// The OpenAPI document: each feature's own paths and schemas, then what holds for all.
pub fn document() -> Document {
    let mut doc = Base::openapi();
    for part in [
        accounts::Doc::openapi(),
        mailboxes::Doc::openapi(),
        orgs::Doc::openapi(),
        delivery::Doc::openapi(),
        paper::Doc::openapi(),
        trusted::Doc::openapi(),
        cash::Doc::openapi(),
        catalogue::Doc::openapi(),
        forms::Doc::openapi(),
        payments::Doc::openapi(),
        cases::Doc::openapi(),
        decisions::Doc::openapi(),
        documents::Doc::openapi(),
        search::Doc::openapi(),
        places::Doc::openapi(),
        archive::Doc::openapi(),
        scans::Doc::openapi(),
        substitutes::Doc::openapi(),
        tasks::Doc::openapi(),
        library::Doc::openapi(),
        availability::Doc::openapi(),
        appointments::Doc::openapi(),
    ] {
        doc.merge(part);
    }
    BearerAuth.modify(&mut doc);
    ProblemAnswers.modify(&mut doc);
    doc
}

struct BearerAuth;

impl Modify for BearerAuth {
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

impl Modify for ProblemAnswers {
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
    match document().to_json() {
        Ok(s) => ([(axum::http::header::CONTENT_TYPE, "application/json")], s).into_response(),
        Err(_) => crate::error::internal_response(),
    }
}

async fn not_found(axum::Extension(ctx): CtxRef) -> ApiError {
    ApiError(DomainError::NotFound, ctx.lang)
}
