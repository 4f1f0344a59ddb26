//! HTTP policy, read in one place: what every request goes through before
//! the router, and every response after it.
//!
//! From the outside in: request logs (`TraceLayer`), our error page if
//! anything panics (`CatchPanicLayer`), then [`SiteService`]: size limits
//! (414/431), redirects (aliases, `?m=1`, trailing slash, capitals), fixed
//! URLs answered straight from the table prepared at load, and the router for
//! the rest; security headers go on every response, whichever step made it.

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::sync::LazyLock;
use std::task::{Context, Poll};

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, Request, StatusCode, header};
use axum::response::Response;
use tower::{Layer, Service};
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::trace::{DefaultMakeSpan, DefaultOnResponse, TraceLayer};
use tracing::Level;

use crate::handlers;
use crate::site::{Site, normalise_path};
use crate::state::AppState;

/// The whole stack around `routes`, as a router that sends everything
/// through [`SiteService`].
pub fn stack(routes: Router, state: AppState) -> Router {
    let service = tower::ServiceBuilder::new()
        // Logs method, path, status and latency; never the client's address.
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(DefaultMakeSpan::new().level(Level::INFO))
                .on_response(DefaultOnResponse::new().level(Level::INFO)),
        )
        // A bug shows the reader our error page, never a dropped connection.
        .layer(CatchPanicLayer::custom({
            let state = state.clone();
            move |_| {
                let site = state.site();
                let mut response = handlers::html(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    site.error_page.body.clone(),
                );
                add_security_headers(response.headers_mut(), is_https(&site), false);
                response
            }
        }))
        .layer(PolicyLayer { state })
        .service(routes);
    Router::new().fallback_service(service)
}

/// The Content-Security-Policy: only what the site itself uses. Scripts,
/// styles and images come from us; `connect-src 'self'` lets audits such as
/// Lighthouse read robots.txt; nothing may frame the site or post forms;
/// Trusted Types forbid string-to-DOM sinks (our script uses none).
pub const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; \
connect-src 'self'; manifest-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'; \
require-trusted-types-for 'script'";

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

/// The four possible header sets, built once.
static HEADER_SETS: LazyLock<[Vec<(HeaderName, HeaderValue)>; 4]> = LazyLock::new(|| {
    [
        security_header_list(false, false),
        security_header_list(false, true),
        security_header_list(true, false),
        security_header_list(true, true),
    ]
});

/// Adds the security headers a response does not already carry.
pub fn add_security_headers(headers: &mut HeaderMap, https: bool, shareable: bool) {
    let set = &HEADER_SETS[usize::from(https) * 2 + usize::from(shareable)];
    for (name, value) in set {
        if !headers.contains_key(name) {
            headers.insert(name.clone(), value.clone());
        }
    }
}

fn is_https(site: &Site) -> bool {
    site.config.base_url.starts_with("https://")
}

/// Whether other sites' apps fetch this path (preview cards, icons).
fn is_shareable(path: &str) -> bool {
    path.starts_with("/preview/") || path == "/favicon.ico" || path == "/apple-touch-icon.png"
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

/// A 301 to `location`.
fn moved(location: &str) -> Option<Response> {
    let value = HeaderValue::from_str(location).ok()?;
    let mut response = Response::new(Body::empty());
    *response.status_mut() = StatusCode::MOVED_PERMANENTLY;
    response.headers_mut().insert(header::LOCATION, value);
    Some(response)
}

/// Answers what policy decides before any route: 414/431 for oversized
/// requests, 301 for old and variant URLs, and fixed URLs from the prepared
/// table. `None` sends the request on to the router.
pub fn answer_early<B>(site: &Site, request: &Request<B>) -> Option<Response> {
    let limits = site.config.server;
    let uri = request.uri();
    let target = uri.path_and_query().map_or(0, |pq| pq.as_str().len());
    let too_large = if target > limits.max_uri_bytes {
        Some(StatusCode::URI_TOO_LONG)
    } else {
        let header_bytes: usize = request
            .headers()
            .iter()
            .map(|(name, value)| name.as_str().len() + value.len() + 4)
            .sum();
        (header_bytes > limits.max_header_bytes)
            .then_some(StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE)
    };
    if let Some(status) = too_large {
        let mut response = site.unsupported.respond(status, &HeaderMap::new());
        response
            .headers_mut()
            .insert(header::CONNECTION, HeaderValue::from_static("close"));
        return Some(response);
    }
    let path = uri.path();
    // The common case, a page asked for by its own address, costs one
    // lookup; only other paths pay for redirect matching.
    let prepared = site.responses.get(path);
    if (prepared.is_none() || uri.query().is_some())
        && let Some(location) = redirect_target(site, path, uri.query())
    {
        return moved(&location);
    }
    match (prepared, request.method()) {
        (Some(prepared), &Method::GET) => Some(prepared.respond(StatusCode::OK, request.headers())),
        (Some(prepared), &Method::HEAD) => {
            // The headers of a GET, its length included, and no body.
            let mut response = prepared.respond(StatusCode::OK, request.headers());
            let length = http_body::Body::size_hint(response.body())
                .exact()
                .unwrap_or(0);
            response
                .headers_mut()
                .insert(header::CONTENT_LENGTH, HeaderValue::from(length));
            *response.body_mut() = Body::empty();
            Some(response)
        }
        _ => None,
    }
}

/// Wraps a service in [`SiteService`].
#[derive(Clone)]
pub struct PolicyLayer {
    state: AppState,
}

impl<S> Layer<S> for PolicyLayer {
    type Service = SiteService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        SiteService {
            state: self.state.clone(),
            inner,
        }
    }
}

/// Policy around the router; see the module documentation.
#[derive(Clone)]
pub struct SiteService<S> {
    state: AppState,
    inner: S,
}

impl<S, B> Service<Request<B>> for SiteService<S>
where
    S: Service<Request<B>, Response = Response, Error = Infallible> + Clone + Send + 'static,
    S::Future: Send + 'static,
    B: Send + 'static,
{
    type Response = Response;
    type Error = Infallible;
    type Future = PolicyFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<B>) -> Self::Future {
        let site = self.state.site();
        let https = is_https(&site);
        let shareable = is_shareable(request.uri().path());
        match answer_early(&site, &request) {
            Some(response) => PolicyFuture::Ready {
                response: Some(response),
                https,
                shareable,
            },
            None => PolicyFuture::Routed {
                inner: Box::pin(self.inner.call(request)),
                https,
                shareable,
            },
        }
    }
}

/// The response of [`SiteService`], with security headers added.
pub enum PolicyFuture<F> {
    /// Answered by policy.
    Ready {
        /// The response, taken when polled.
        response: Option<Response>,
        /// Whether to send HSTS.
        https: bool,
        /// Whether other sites may embed it.
        shareable: bool,
    },
    /// Answered by the router.
    Routed {
        /// The router's future.
        inner: Pin<Box<F>>,
        /// Whether to send HSTS.
        https: bool,
        /// Whether other sites may embed it.
        shareable: bool,
    },
}

impl<F> Future for PolicyFuture<F>
where
    F: Future<Output = Result<Response, Infallible>>,
{
    type Output = Result<Response, Infallible>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        // Every field is Unpin (the inner future is boxed), so this is safe
        // to treat as a plain mutable reference.
        let this = self.get_mut();
        let (mut response, https, shareable) = match this {
            PolicyFuture::Ready {
                response,
                https,
                shareable,
            } => match response.take() {
                Some(r) => (r, *https, *shareable),
                None => return Poll::Pending,
            },
            PolicyFuture::Routed {
                inner,
                https,
                shareable,
            } => match inner.as_mut().poll(cx) {
                Poll::Ready(Ok(r)) => (r, *https, *shareable),
                Poll::Ready(Err(never)) => match never {},
                Poll::Pending => return Poll::Pending,
            },
        };
        // axum adds `Allow` for any method it routed away, even when our
        // handler then found no such page; a 404 names no methods.
        if response.status() == StatusCode::NOT_FOUND {
            response.headers_mut().remove(header::ALLOW);
        }
        add_security_headers(response.headers_mut(), https, shareable);
        Poll::Ready(Ok(response))
    }
}
