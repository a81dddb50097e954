//! Per-request context: language, who is signed in, and the CSRF token. Worked out once by
//! a middleware, which also writes the cookies that go with them.

use crate::State;
use axum::extract::{ConnectInfo, Request};
use axum::http::header::{ACCEPT_LANGUAGE, AUTHORIZATION, COOKIE, SET_COOKIE};
use axum::http::{HeaderMap, HeaderValue};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use okienko_i18n::Lang;
use okienko_services::accounts::{Principal, WEB, WEB_ENROL};
use std::net::SocketAddr;
use std::sync::Arc;

pub const SESSION_COOKIE: &str = "okienko_session";
pub const LANG_COOKIE: &str = "okienko_lang";
pub const CSRF_COOKIE: &str = "okienko_csrf";

pub struct Ctx {
    pub lang: Lang,
    pub principal: Option<Principal>,
    /// The CSRF token every form carries: the session's own when signed in, else the
    /// double-submit cookie's.
    pub csrf: String,
    /// The path and query of this page without `lang`, for the language switch.
    pub path: String,
    pub client_ip: String,
    /// The browser and system the request came from, in words ("Firefox, Linux").
    pub device: String,
    pub secure_cookies: bool,
    /// The installation's country: dates and times are shown in its civil time.
    pub country: okienko_domain::country::Country,
}

pub type CtxRef = axum::Extension<Arc<Ctx>>;

/// What a handler starts from, in one extractor: the application and this request's context
/// (who asks, in which language).
pub struct Cx(pub State, pub Arc<Ctx>);

impl axum::extract::FromRequestParts<State> for Cx {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &State,
    ) -> Result<Self, Response> {
        match parts.extensions.get::<Arc<Ctx>>() {
            Some(ctx) => Ok(Cx(state.clone(), ctx.clone())),
            // Every route runs behind the context middleware; without it, refuse plainly.
            None => Err(axum::http::StatusCode::BAD_REQUEST.into_response()),
        }
    }
}

/// A form's fields read as text: what was sent, or empty.
pub trait FormText {
    fn text(&self, field: &str) -> String;
}

impl FormText for crate::Params {
    fn text(&self, field: &str) -> String {
        self.get(field).cloned().unwrap_or_default()
    }
}

impl Ctx {
    pub fn has(&self, key: &str) -> bool {
        self.lang.has(key)
    }
    pub fn t(&self, key: &str) -> String {
        self.lang.t(key)
    }
    pub fn ta(&self, key: &str, args: &[(&str, &str)]) -> String {
        self.lang.t_args(key, args)
    }
    /// A link to this page in another language.
    pub fn lang_link(&self, lang: impl std::borrow::Borrow<Lang>) -> String {
        let lang = lang.borrow();
        let sep = if self.path.contains('?') { '&' } else { '?' };
        format!("{}{sep}lang={}", self.path, lang.code())
    }
    pub fn langs(&self) -> [Lang; 4] {
        Lang::ALL
    }
    pub fn signed_in(&self) -> bool {
        self.principal
            .as_ref()
            .is_some_and(|p| p.session.kind == WEB)
    }
    pub fn user_name(&self) -> String {
        self.principal
            .as_ref()
            .map(|p| p.user.display_name.clone())
            .unwrap_or_default()
    }
    /// Navigation for who is signed in: (href, label).
    /// Signed in as an official of some office.
    pub fn is_official(&self) -> bool {
        self.principal
            .as_ref()
            .is_some_and(|p| p.has(okienko_domain::Role::Official))
    }

    pub fn nav(&self) -> Vec<(String, String)> {
        use okienko_domain::Role;
        let mut out = vec![
            ("/".to_string(), self.t("nav-home")),
            ("/services".to_string(), self.t("nav-services")),
            ("/verify".to_string(), self.t("nav-verify")),
            ("/addresses".to_string(), self.t("nav-addresses")),
        ];
        let Some(p) = self.principal.as_ref().filter(|_| self.signed_in()) else {
            return out;
        };
        if p.has(Role::PlatformAdmin) {
            out.push(("/admin/offices".into(), self.t("nav-offices")));
            out.push(("/admin/service-points".into(), self.t("nav-service-points")));
            out.push(("/admin/audit".into(), self.t("nav-audit")));
            out.push(("/admin/users".into(), self.t("users-title")));
            out.push(("/admin/trusted-profiles".into(), self.t("admin-tp-title")));
        }
        for g in &p.grants {
            if let (Some(o), true) = (
                &g.office_id,
                matches!(g.role, Role::OfficeAdmin | Role::Official),
            ) {
                let href = format!("/offices/{o}");
                if !out.iter().any(|(h, _)| *h == href) {
                    out.push((href, self.t("nav-my-office")));
                }
                if !out.iter().any(|(h, _)| h == "/cases") {
                    out.push(("/cases".into(), self.t("cases-title")));
                }
                if !out.iter().any(|(h, _)| h == "/calendar") {
                    out.push(("/calendar".into(), self.t("nav-calendar")));
                }
            }
            if let (Some(o), Role::OfficeAdmin) = (&g.office_id, g.role) {
                let href = format!("/offices/{o}/appointments");
                if !out.iter().any(|(h, _)| *h == href) {
                    out.push((href, self.t("appt-admin-title")));
                }
            }
            let archive_hand = matches!(g.role, Role::OfficeAdmin | Role::Archivist)
                || (g.role == Role::Official && g.department_id.is_none());
            if let (Some(o), true) = (&g.office_id, archive_hand) {
                let href = format!("/offices/{o}/archive");
                if !out.iter().any(|(h, _)| *h == href) {
                    out.push((href, self.t("nav-archive")));
                }
            }
            if let (Some(sp), Role::Clerk) = (&g.service_point_id, g.role) {
                out.push((format!("/service-points/{sp}"), self.t("nav-my-point")));
                out.push((format!("/service-points/{sp}/paper"), self.t("nav-paper")));
                if !out.iter().any(|(h, _)| h == "/counter/trusted-profile") {
                    out.push(("/counter/trusted-profile".into(), self.t("nav-counter-tp")));
                }
                if !out.iter().any(|(h, _)| h == "/counter/register") {
                    out.push(("/counter/register".into(), self.t("counter-register-title")));
                }
                if !out.iter().any(|(h, _)| h == "/counter/visits") {
                    out.push(("/counter/visits".into(), self.t("nav-visits")));
                }
                if !out.iter().any(|(h, _)| h == "/counter/cash-report") {
                    out.push(("/counter/cash-report".into(), self.t("cash-report")));
                }
                if !out.iter().any(|(h, _)| h == "/calendar") {
                    out.push(("/calendar".into(), self.t("nav-calendar")));
                }
            }
        }
        out.push(("/mailboxes".into(), self.t("nav-mailbox")));
        out.push(("/submissions".into(), self.t("nav-submissions")));
        out.push(("/appointments".into(), self.t("nav-appointments")));
        out.push(("/trusted-profile".into(), self.t("nav-trusted-profile")));
        out.push(("/account".into(), self.t("nav-account")));
        out.push(("/account/data-tracker".into(), self.t("nav-tracker")));
        out
    }
}

pub fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_string())
}

/// A `Set-Cookie` value; `max_age` None makes a session cookie, Some(0) deletes it.
pub fn set_cookie(
    name: &str,
    value: &str,
    max_age: Option<i64>,
    http_only: bool,
    secure: bool,
    same_site: &str,
) -> HeaderValue {
    let mut c = format!("{name}={value}; Path=/; SameSite={same_site}");
    if let Some(a) = max_age {
        c.push_str(&format!("; Max-Age={a}"));
    }
    if http_only {
        c.push_str("; HttpOnly");
    }
    if secure {
        c.push_str("; Secure");
    }
    HeaderValue::from_str(&c).unwrap_or_else(|_| HeaderValue::from_static(""))
}

fn query_lang(query: &str) -> Option<Lang> {
    query
        .split('&')
        .filter_map(|kv| kv.split_once('='))
        .find(|(k, _)| *k == "lang")
        .and_then(|(_, v)| Lang::parse(v))
}

fn path_without_lang(uri: &axum::http::Uri) -> String {
    let rest: Vec<&str> = uri
        .query()
        .unwrap_or("")
        .split('&')
        .filter(|kv| !kv.is_empty() && !kv.starts_with("lang="))
        .collect();
    if rest.is_empty() {
        uri.path().to_string()
    } else {
        format!("{}?{}", uri.path(), rest.join("&"))
    }
}

fn ctx_signed_in(req: &Request) -> bool {
    req.extensions()
        .get::<Arc<Ctx>>()
        .is_some_and(|c| c.principal.is_some())
}

/// On every answer: no framing, no type sniffing, no scripts or styles from elsewhere (the
/// pages have none inline), the full address never sent to other sites, and nothing of a
/// signed-in person's kept in a shared computer's cache (counter PCs are shared).
fn security_headers(h: &mut HeaderMap, signed_in: bool) {
    use axum::http::header;
    let set = |h: &mut HeaderMap, k: header::HeaderName, v: &'static str| {
        h.entry(k).or_insert(HeaderValue::from_static(v));
    };
    set(
        h,
        header::CONTENT_SECURITY_POLICY,
        "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; \
         frame-ancestors 'none'; form-action 'self'",
    );
    set(h, header::X_FRAME_OPTIONS, "DENY");
    set(h, header::X_CONTENT_TYPE_OPTIONS, "nosniff");
    set(h, header::REFERRER_POLICY, "same-origin");
    set(
        h,
        header::CACHE_CONTROL,
        if signed_in { "no-store" } else { "no-cache" },
    );
}

pub async fn middleware(
    axum::extract::State(state): axum::extract::State<State>,
    mut req: Request,
    next: Next,
) -> Response {
    let headers = req.headers().clone();
    let uri = req.uri().clone();
    let path = uri.path().to_string();
    let is_api = path.starts_with("/api/");
    let peer = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip());
    let client_ip = state
        .net
        .client_ip(peer, &headers)
        .map(|ip| ip.to_string())
        .unwrap_or_else(|| "unknown".into());

    // API calls authenticate with a bearer token only; pages with the session cookie only.
    let token = if is_api {
        headers
            .get(AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(|t| t.trim().to_string())
    } else {
        cookie(&headers, SESSION_COOKIE)
    };
    let principal = match token {
        Some(t) if !t.is_empty() => match state.services.principal(&t).await {
            Ok(p) => p.filter(|p| (p.session.kind == okienko_services::accounts::API) == is_api),
            Err(e) => {
                tracing::error!(error = %e, "session lookup");
                return internal_response();
            }
        },
        _ => None,
    };

    let from_query = uri.query().and_then(query_lang);
    let lang = from_query
        .or_else(|| cookie(&headers, LANG_COOKIE).and_then(|v| Lang::parse(&v)))
        .or_else(|| {
            principal
                .as_ref()
                .and_then(|p| p.user.locale.as_deref())
                .and_then(Lang::parse)
        })
        .or_else(|| {
            headers
                .get(ACCEPT_LANGUAGE)
                .and_then(|v| v.to_str().ok())
                .and_then(Lang::from_accept_language)
        })
        .unwrap_or(Lang::Pl);
    if let (Some(l), Some(p)) = (from_query, principal.as_ref()) {
        if p.user.locale.as_deref() != Some(l.code()) {
            let _ = state.services.set_locale(p, l.code()).await;
        }
    }

    let existing_csrf = cookie(&headers, CSRF_COOKIE).filter(|c| c.len() == 64);
    // A signed-in person's forms carry their session's own token (kept on the server, bound
    // to the session); before signing in, the double-submit cookie's.
    let csrf = match principal.as_ref().filter(|p| !p.session.csrf.is_empty()) {
        Some(p) if !is_api => p.session.csrf.clone(),
        _ => existing_csrf
            .clone()
            .unwrap_or_else(|| okienko_services::new_secret().0),
    };

    // A staff member who still has to set up a second factor may only do that (or leave).
    if let Some(p) = &principal {
        if p.session.kind == WEB_ENROL
            && !matches!(
                path.as_str(),
                "/account/totp" | "/logout" | "/static/style.css"
            )
        {
            return Redirect::to("/account/totp").into_response();
        }
    }

    let set_csrf_cookie = existing_csrf.is_none() && !is_api && principal.is_none();
    let ctx = Arc::new(Ctx {
        lang,
        principal,
        csrf: csrf.clone(),
        path: path_without_lang(&uri),
        client_ip,
        device: okienko_domain::device::label(
            headers
                .get(axum::http::header::USER_AGENT)
                .and_then(|v| v.to_str().ok())
                .unwrap_or(""),
        ),
        secure_cookies: state.secure_cookies,
        country: state.services.country,
    });
    req.extensions_mut().insert(ctx);
    let signed_in = ctx_signed_in(&req);
    let mut resp = next.run(req).await;
    let h = resp.headers_mut();
    security_headers(h, signed_in);
    if let Some(l) = from_query {
        h.append(
            SET_COOKIE,
            set_cookie(
                LANG_COOKIE,
                l.code(),
                Some(365 * 86400),
                false,
                state.secure_cookies,
                "Lax",
            ),
        );
    }
    if set_csrf_cookie {
        h.append(
            SET_COOKIE,
            set_cookie(
                CSRF_COOKIE,
                &csrf,
                None,
                true,
                state.secure_cookies,
                "Strict",
            ),
        );
    }
    resp
}

/// A bare 500, for when even an error page cannot be made.
pub fn internal_response() -> Response {
    (
        axum::http::StatusCode::INTERNAL_SERVER_ERROR,
        "internal error",
    )
        .into_response()
}
