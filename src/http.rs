//! HTTP policy: the middleware stack, read in one place, outermost last.

use axum::Router;
use axum::body::Bytes;
use axum::http::StatusCode;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::trace::{DefaultMakeSpan, DefaultOnResponse, TraceLayer};
use tracing::Level;

use crate::handlers;

/// Wraps the routes in the site's middleware.
/// `error_page` is what a reader sees if a handler panics.
pub fn stack(routes: Router, error_page: Bytes) -> Router {
    routes
        // A bug in a handler shows the reader our error page, never a
        // dropped connection.
        .layer(CatchPanicLayer::custom(move |_| {
            handlers::html(StatusCode::INTERNAL_SERVER_ERROR, error_page.clone())
        }))
        // Logs method, path, status and latency; never the client's address.
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(DefaultMakeSpan::new().level(Level::INFO))
                .on_response(DefaultOnResponse::new().level(Level::INFO)),
        )
}
