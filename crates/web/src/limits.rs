//! Who may send how much, decided before a byte of the body is read: a visitor who is not
//! signed in at most [`ANONYMOUS_MAX`], a signed-in person at most the configured message
//! size and some room for the form around it. A declared length over the limit is answered
//! `413` at once; a body without a declared length is cut off at the limit while it streams.
//! Bodies being received together share a memory budget: when it is spent, a new large
//! upload waits a little, then is answered `503`, so no number of uploads can exhaust memory.

use crate::ctx::Ctx;
use crate::State;
use axum::extract::Request;
use axum::http::{header, Method};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use okienko_domain::DomainError;
use std::sync::Arc;
use std::time::Duration;

/// The most a visitor who is not signed in may send (the public verifier's signature and
/// file together).
pub const ANONYMOUS_MAX: u64 = 25 * 1024 * 1024;
/// Room for the form or JSON around a message's attachments.
const FORM_ROOM: u64 = 2 * 1024 * 1024;
/// Bodies up to this size do not count against the budget.
const SMALL: u64 = 64 * 1024;
const MIB: u64 = 1024 * 1024;

/// The memory budget of bodies being received, in MiB.
#[derive(Clone)]
pub struct Budget(Arc<tokio::sync::Semaphore>);

impl Budget {
    pub fn new(mib: u32) -> Budget {
        Budget(Arc::new(tokio::sync::Semaphore::new(mib as usize)))
    }
}

fn refuse(req: &Request, e: DomainError) -> Response {
    let ctx = req.extensions().get::<Arc<Ctx>>().cloned();
    match ctx {
        Some(ctx) if !req.uri().path().starts_with("/api/") => {
            crate::error::PageError(e, ctx).into_response()
        }
        Some(ctx) => crate::error::ApiError(e, ctx.lang).into_response(),
        None => crate::error::ApiError(e, okienko_i18n::Lang::Pl).into_response(),
    }
}

pub async fn guard(
    axum::extract::State(state): axum::extract::State<State>,
    req: Request,
    next: Next,
) -> Response {
    if !matches!(*req.method(), Method::POST | Method::PUT | Method::PATCH) {
        return next.run(req).await;
    }
    let signed_in = req
        .extensions()
        .get::<Arc<Ctx>>()
        .is_some_and(|c| c.principal.is_some());
    let max = if signed_in {
        state.services.limits.max_total_bytes as u64 + FORM_ROOM
    } else {
        ANONYMOUS_MAX
    };
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > max) {
        return refuse(&req, DomainError::TooLarge);
    }
    let size = declared.unwrap_or(max);
    let _permit = if size > SMALL {
        let mib = size.div_ceil(MIB).min(u32::MAX as u64) as u32;
        let got = tokio::time::timeout(
            Duration::from_secs(20),
            state.uploads.0.clone().acquire_many_owned(mib),
        )
        .await;
        match got {
            Ok(Ok(p)) => Some(p),
            _ => return refuse(&req, DomainError::Busy),
        }
    } else {
        None
    };
    let (parts, body) = req.into_parts();
    let body = axum::body::Body::new(Stalling::new(http_body_util::Limited::new(
        body,
        max as usize,
    )));
    next.run(Request::from_parts(parts, body)).await
}

/// How long a request body may go without sending anything before it is cut off.
pub const BODY_STALL: Duration = Duration::from_secs(20);

/// A body that fails when no data arrives for [`BODY_STALL`]: a client trickling a body (or
/// sending none after its headers) cannot hold a connection and its memory for long. The
/// timer is armed only when the body has to wait, and moved on only when it fires: a frame
/// costs one clock read, not a timer update.
struct Stalling<B> {
    inner: std::pin::Pin<Box<B>>,
    last: tokio::time::Instant,
    idle: Option<std::pin::Pin<Box<tokio::time::Sleep>>>,
}

impl<B> Stalling<B> {
    fn new(inner: B) -> Self {
        Stalling {
            inner: Box::pin(inner),
            last: tokio::time::Instant::now(),
            idle: None,
        }
    }
}

impl<B> http_body::Body for Stalling<B>
where
    B: http_body::Body,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    type Data = B::Data;
    type Error = Box<dyn std::error::Error + Send + Sync>;

    fn poll_frame(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<http_body::Frame<Self::Data>, Self::Error>>> {
        use std::future::Future;
        use std::task::Poll;
        let this = self.get_mut();
        match this.inner.as_mut().poll_frame(cx) {
            Poll::Ready(frame) => {
                this.last = tokio::time::Instant::now();
                Poll::Ready(frame.map(|f| f.map_err(Into::into)))
            }
            Poll::Pending => {
                let deadline = this.last + BODY_STALL;
                let idle = this
                    .idle
                    .get_or_insert_with(|| Box::pin(tokio::time::sleep_until(deadline)));
                loop {
                    match idle.as_mut().poll(cx) {
                        Poll::Pending => return Poll::Pending,
                        Poll::Ready(()) if tokio::time::Instant::now() >= deadline => {
                            return Poll::Ready(Some(Err("the request body stalled".into())))
                        }
                        // Data came since the timer was set: wait from the last frame on.
                        Poll::Ready(()) => idle.as_mut().reset(deadline),
                    }
                }
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.inner.size_hint()
    }
}
