//! HTTP policy: redirects and the middleware stack, read in one place.

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::Response;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::trace::{DefaultMakeSpan, DefaultOnResponse, TraceLayer};
use tracing::Level;

use crate::handlers;
use crate::site::{Site, normalise_path};
use crate::state::AppState;

/// Wraps the routes in the site's middleware, outermost last.
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

/// Where a request for `path?query` should be sent instead, if anywhere:
/// an article's old path (its `aliases`), Blogger's `?m=1`/`?m=0`, a trailing
/// slash, or capitals in a path. Always one hop to the final URL.
pub fn redirect_target(site: &Site, path: &str, query: Option<&str>) -> Option<String> {
    let kept: Vec<&str> = query
        .unwrap_or("")
        .split('&')
        .filter(|p| !p.is_empty() && *p != "m=1" && *p != "m=0")
        .collect();
    let query_changed =
        query.is_some_and(|q| kept.len() != q.split('&').filter(|p| !p.is_empty()).count());
    let normal = normalise_path(path);
    let target = if site.responses.contains_key(&normal) && !normal.starts_with("/static/") {
        normal
    } else {
        site.redirects.get(&normal)?.clone()
    };
    if target == path && !query_changed {
        return None;
    }
    Some(if kept.is_empty() {
        target
    } else {
        format!("{target}?{}", kept.join("&"))
    })
}

/// Middleware: answers 301 for old and variant URLs of a page.
pub async fn redirect(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let uri = request.uri();
    match redirect_target(state.site(), uri.path(), uri.query()) {
        Some(location) => match HeaderValue::from_str(&location) {
            Ok(value) => {
                let mut response = Response::new(Body::empty());
                *response.status_mut() = StatusCode::MOVED_PERMANENTLY;
                response.headers_mut().insert(header::LOCATION, value);
                response
            }
            Err(_) => next.run(request).await,
        },
        None => next.run(request).await,
    }
}
