//! The HTTP server loop. axum's own `serve` cannot bound how long a client may take to send
//! its request head, so connections are served here with hyper's builder: the head must
//! arrive within [`HEAD_TIMEOUT`] (a slow-header client is closed), and bodies are cut off
//! when they stall (see `okienko_web::limits`). On shutdown the listener closes and requests
//! in flight finish (up to [`DRAIN`]).

use axum::extract::ConnectInfo;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto::Builder;
use hyper_util::service::TowerToHyperService;
use std::future::Future;
use std::time::Duration;
use tower::ServiceExt;

/// Time for a client to send its request line and headers.
pub const HEAD_TIMEOUT: Duration = Duration::from_secs(10);
/// Time given to requests in flight when the server stops.
pub const DRAIN: Duration = Duration::from_secs(30);

pub async fn serve(
    listener: tokio::net::TcpListener,
    app: axum::Router,
    shutdown: impl Future<Output = ()>,
) {
    let mut builder = Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(HEAD_TIMEOUT);
    builder.http2().timer(TokioTimer::new());
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    tokio::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            r = listener.accept() => match r {
                Ok(x) => x,
                Err(e) => {
                    // Out of file descriptors and the like: wait a moment, keep serving.
                    tracing::warn!(error = %e, "accept");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            _ = &mut shutdown => break,
        };
        let svc = app
            .clone()
            .map_request(move |mut r: axum::extract::Request| {
                r.extensions_mut().insert(ConnectInfo(peer));
                r
            });
        let conn = builder
            .serve_connection_with_upgrades(
                TokioIo::new(stream),
                TowerToHyperService::new(svc.map_request(
                    |r: hyper::Request<hyper::body::Incoming>| r.map(axum::body::Body::new),
                )),
            )
            .into_owned();
        let conn = graceful.watch(conn);
        tokio::spawn(async move {
            let _ = conn.await;
        });
    }
    drop(listener);
    if tokio::time::timeout(DRAIN, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!("requests still in flight at shutdown were cut off");
    }
}
