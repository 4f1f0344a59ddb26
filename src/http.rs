//! HTTP policy: redirects and the middleware stack, read in one place.

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::Response;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::trace::{DefaultMakeSpan, DefaultOnResponse, TraceLayer};
use tracing::Level;

use crate::handlers;
use crate::site::{Site, normalise_path};
use crate::state::AppState;

/// Wraps the routes in the site's middleware. Read from the inside out:
/// size limits, then our error page for a panic, then security headers on
/// every response (so they cover all of the above), then request logs.
/// `error_page` is what a reader sees if a handler panics.
pub fn stack(routes: Router, state: AppState, error_page: Bytes) -> Router {
    routes
        .layer(middleware::from_fn_with_state(state.clone(), limits))
        // A bug in a handler shows the reader our error page, never a
        // dropped connection.
        .layer(CatchPanicLayer::custom(move |_| {
            handlers::html(StatusCode::INTERNAL_SERVER_ERROR, error_page.clone())
        }))
        .layer(middleware::from_fn_with_state(state, security_headers))
        // Logs method, path, status and latency; never the client's address.
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(DefaultMakeSpan::new().level(Level::INFO))
                .on_response(DefaultOnResponse::new().level(Level::INFO)),
        )
}

/// The Content-Security-Policy: only what the site itself uses. Scripts,
/// styles and images come from us; `connect-src 'self'` lets audits such as
/// Lighthouse read robots.txt; nothing may frame the site or post forms.
pub const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; \
connect-src 'self'; manifest-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/// Headers every response carries, whatever produced it.
pub fn security_header_list(https: bool, shareable: bool) -> Vec<(HeaderName, HeaderValue)> {
    let mut list = vec![
        (
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(CSP),
        ),
        (
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ),
        // Readers are in legal disputes: no other site learns what they read.
        (
            header::REFERRER_POLICY,
            HeaderValue::from_static("no-referrer"),
        ),
        (
            HeaderName::from_static("cross-origin-opener-policy"),
            HeaderValue::from_static("same-origin"),
        ),
        (
            HeaderName::from_static("cross-origin-resource-policy"),
            // Preview cards and icons are fetched by other sites' apps.
            HeaderValue::from_static(if shareable {
                "cross-origin"
            } else {
                "same-origin"
            }),
        ),
        (
            HeaderName::from_static("permissions-policy"),
            HeaderValue::from_static(
                "camera=(), microphone=(), geolocation=(), payment=(), usb=(), browsing-topics=()",
            ),
        ),
    ];
    if https {
        list.push((
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000"),
        ));
    }
    list
}

/// Middleware: adds the security headers to every response.
pub async fn security_headers(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    let path = request.uri().path();
    let shareable =
        path.starts_with("/preview/") || path == "/favicon.ico" || path == "/apple-touch-icon.png";
    let https = state.site().config.base_url.starts_with("https://");
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    for (name, value) in security_header_list(https, shareable) {
        headers.entry(name).or_insert(value);
    }
    response
}

/// Middleware: refuses an oversized request target (414) or oversized
/// headers (431) with a real page.
pub async fn limits(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let site = state.site();
    let limits = site.config.server;
    let target = request
        .uri()
        .path_and_query()
        .map_or(0, |pq| pq.as_str().len());
    let header_bytes: usize = request
        .headers()
        .iter()
        .map(|(name, value)| name.as_str().len() + value.len() + 4)
        .sum();
    let status = if target > limits.max_uri_bytes {
        StatusCode::URI_TOO_LONG
    } else if header_bytes > limits.max_header_bytes {
        StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE
    } else {
        return next.run(request).await;
    };
    let mut response = site.unsupported.respond(status, &HeaderMap::new());
    response
        .headers_mut()
        .insert(header::CONNECTION, HeaderValue::from_static("close"));
    response
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
    match redirect_target(&state.site(), uri.path(), uri.query()) {
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
