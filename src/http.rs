//! HTTP policy, read in one place: what every request goes through before
//! the router, and every response after it.
//!
//! [`SiteService`] does, in order: size limits (414/431), redirects
//! (aliases, `?m=1`, trailing slash, capitals), fixed URLs answered straight
//! from the table prepared at load, and the router for the rest. Whatever
//! answered, it adds the security headers, turns a panic into our error
//! page, and logs the request. It is one hand-written service rather than a
//! stack of layers because every layer wraps every response body and boxes
//! every future, which cost a fifth of the throughput of nginx.

use std::convert::Infallible;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::sync::{Arc, LazyLock};
use std::task::{Context, Poll};
use std::time::Instant;

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, Request, StatusCode, header};
use axum::response::Response;
use tower::{Service, ServiceExt};
use tracing::Level;

use crate::h1::{App, Payload, Quick, field};
use crate::handlers;
use crate::site::{Site, normalise_path};
use crate::state::AppState;

/// Where request logs go (`RUST_LOG=advice_site::access=info`).
pub const ACCESS_LOG: &str = "advice_site::access";

/// The policy around `routes`.
pub fn stack(routes: Router, state: AppState) -> SiteService<Router> {
    SiteService {
        state,
        inner: routes,
    }
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

/// The same four sets, written out as header fields once, for answers
/// written straight to the wire.
static HEADER_BLOCKS: LazyLock<[Vec<u8>; 4]> = LazyLock::new(|| {
    HEADER_SETS.each_ref().map(|set| {
        let mut block = Vec::new();
        for (name, value) in set {
            field(&mut block, name.as_str().as_bytes(), value.as_bytes());
        }
        block
    })
});

/// Adds the security headers a response does not already carry.
pub fn add_security_headers(headers: &mut HeaderMap, https: bool, shareable: bool) {
    let set = &HEADER_SETS[usize::from(https) * 2 + usize::from(shareable)];
    headers.reserve(set.len());
    for (name, value) in set {
        headers.entry(name).or_insert_with(|| value.clone());
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

/// Answers a GET or HEAD for a page the prepared table has, straight into
/// `out`: the same status and header fields as [`answer_early`] plus
/// [`add_security_headers`] would give (a test holds them equal), without
/// building a request or a response. Anything else (a query, which may be
/// a redirect; a conditional request; an oversized head; a path not in the
/// table) is `None`, for the service.
pub fn quick(state: &AppState, request: &Quick<'_>, out: &mut Vec<u8>) -> Option<Payload> {
    if request.unusual || request.target.contains('?') {
        return None;
    }
    // Read as the service reads it (`HeaderValue::to_str`): anything but
    // visible ASCII is left for the service to judge.
    let accept_encoding = match request.accept_encoding {
        Some(raw) if raw.iter().all(|b| *b == b'\t' || (32..127).contains(b)) => {
            Some(std::str::from_utf8(raw).ok()?)
        }
        Some(_) => return None,
        None => None,
    };
    let site = state.current();
    let prepared = site.responses.get(request.target)?;
    let started = tracing::enabled!(target: ACCESS_LOG, Level::INFO).then(Instant::now);
    out.extend_from_slice(b"HTTP/1.1 200 OK\r\n");
    let body = prepared.write_fields(accept_encoding, out);
    let block = usize::from(is_https(&site)) * 2 + usize::from(is_shareable(request.target));
    out.extend_from_slice(&HEADER_BLOCKS[block]);
    if let Some(started) = started {
        tracing::info!(
            target: ACCESS_LOG,
            "{} {} 200 {:.2} ms",
            if request.head { "HEAD" } else { "GET" },
            request.target,
            started.elapsed().as_secs_f64() * 1000.0
        );
    }
    Some(body)
}

impl<S> App for SiteService<S>
where
    S: Service<Request<Body>, Response = Response, Error = Infallible>
        + Clone
        + Send
        + Sync
        + 'static,
    S::Future: Send + 'static,
{
    fn quick(&self, request: &Quick<'_>, out: &mut Vec<u8>) -> Option<Payload> {
        quick(&self.state, request, out)
    }

    fn call(&self, request: Request<Body>) -> impl Future<Output = Response> + Send {
        let service = self.clone();
        async move {
            match service.oneshot(request).await {
                Ok(response) => response,
                Err(never) => match never {},
            }
        }
    }

    fn refuse(&self, status: StatusCode) -> Response {
        let site = self.state.site();
        let mut response = if status.is_server_error() {
            error_page(&site)
        } else {
            site.unsupported.respond(status, &HeaderMap::new())
        };
        add_security_headers(response.headers_mut(), is_https(&site), false);
        response
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
        // Logs name method, path, status and time; never the reader's
        // address. Nothing is copied unless the log is on.
        let log = tracing::enabled!(target: ACCESS_LOG, Level::INFO).then(|| AccessLog {
            started: Instant::now(),
            method: request.method().clone(),
            path: request.uri().path().to_string(),
        });
        let shareable = is_shareable(request.uri().path());
        let state =
            match std::panic::catch_unwind(AssertUnwindSafe(|| answer_early(&site, &request))) {
                Ok(Some(response)) => State::Ready(Some(response)),
                Ok(None) => State::Routed(Box::pin(self.inner.call(request))),
                Err(_) => State::Ready(Some(error_page(&site))),
            };
        PolicyFuture {
            state,
            site,
            shareable,
            log,
        }
    }
}

/// The error page, for a panic anywhere in answering a request.
fn error_page(site: &Site) -> Response {
    tracing::error!("a request panicked; answered with the error page");
    handlers::html(
        StatusCode::INTERNAL_SERVER_ERROR,
        site.error_page.body.clone(),
    )
}

/// What the access log needs from a request.
pub struct AccessLog {
    started: Instant,
    method: Method,
    path: String,
}

/// Where a [`PolicyFuture`] is.
pub enum State<F> {
    /// Answered by policy; taken when polled.
    Ready(Option<Response>),
    /// Answered by the router.
    Routed(Pin<Box<F>>),
}

/// The response of [`SiteService`]: security headers added, panics caught,
/// the request logged.
pub struct PolicyFuture<F> {
    state: State<F>,
    site: Arc<Site>,
    shareable: bool,
    log: Option<AccessLog>,
}

impl<F> Future for PolicyFuture<F>
where
    F: Future<Output = Result<Response, Infallible>>,
{
    type Output = Result<Response, Infallible>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        // Every field is Unpin (the inner future is boxed).
        let this = self.get_mut();
        let mut response = match &mut this.state {
            State::Ready(response) => match response.take() {
                Some(r) => r,
                None => return Poll::Pending,
            },
            State::Routed(inner) => {
                match std::panic::catch_unwind(AssertUnwindSafe(|| inner.as_mut().poll(cx))) {
                    Ok(Poll::Ready(Ok(r))) => r,
                    Ok(Poll::Ready(Err(never))) => match never {},
                    Ok(Poll::Pending) => return Poll::Pending,
                    Err(_) => error_page(&this.site),
                }
            }
        };
        // axum adds `Allow` for any method it routed away, even when our
        // handler then found no such page; a 404 names no methods.
        if response.status() == StatusCode::NOT_FOUND {
            response.headers_mut().remove(header::ALLOW);
        }
        add_security_headers(response.headers_mut(), is_https(&this.site), this.shareable);
        if let Some(log) = &this.log {
            tracing::info!(
                target: ACCESS_LOG,
                "{} {} {} {:.2} ms",
                log.method,
                log.path,
                response.status().as_u16(),
                log.started.elapsed().as_secs_f64() * 1000.0
            );
        }
        Poll::Ready(Ok(response))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{Overrides, SiteConfig};
    use crate::site::LoadOptions;

    fn real_state() -> AppState {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let config = SiteConfig::load(&root.join("site.toml"), &Overrides::default()).unwrap();
        let options = LoadOptions {
            content_dir: root.join("content"),
            static_dir: root.join("static"),
            drafts: false,
        };
        AppState::new(Site::load(config, &options).unwrap())
    }

    #[tokio::test]
    async fn a_panicking_handler_shows_the_error_page_with_our_headers() {
        let state = real_state();
        let panics = tower::service_fn(|_: Request<Body>| async {
            if true {
                panic!("a bug in a handler");
            }
            Ok::<Response, Infallible>(Response::new(Body::empty()))
        });
        let service = SiteService {
            state: state.clone(),
            inner: panics,
        };
        let request = Request::builder()
            .uri("/no-such-page")
            .body(Body::empty())
            .unwrap();
        let response = service.oneshot(request).await.unwrap();
        assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
        assert!(
            response
                .headers()
                .contains_key(header::CONTENT_SECURITY_POLICY)
        );
        let body = http_body_util::BodyExt::collect(response.into_body())
            .await
            .unwrap()
            .to_bytes();
        assert_eq!(body, state.site().error_page.body);
    }
}
