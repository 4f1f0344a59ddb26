//! The HTTP policy, read in one place. Around the whole router, outermost
//! first:
//!
//! 1. the access log: one event per response (method, path, status, time;
//!    never the query, a body or the client's address);
//! 2. security headers on every response (`SetResponseHeader`);
//! 3. a panic becomes our 500 page (`CatchPanic`);
//! 4. our refusals: 414/431 for oversized heads, before any routing, and
//!    our own page on any error a layer answered without one (413, 503).
//!
//! Around the routes that make a page per request ([`made_per_request`]):
//! compression (`Compression`) and a deadline for the answer (`Timeout`);
//! around routes that read a posted form ([`reads_a_form`]), the body limit
//! (`RequestBodyLimit`) too. Prepared pages need neither: they are
//! compressed at load and answered at once, so they do not pay for a timer
//! or a compression check on every request (measured: README, Benchmarks).
//!
//! The stack wraps the router from outside, so the refusals run before
//! routing and each request boxes one future fewer than `Router::layer`
//! would. Headers are single `SetResponseHeader` layers rather than one
//! multiple-header layer, which would box each value per response.

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, ready};
use std::time::Instant;

use axum::body::{Body, Bytes};
use axum::http::{HeaderName, HeaderValue, Request, Response, StatusCode, header};
use axum::{BoxError, Router};
use pin_project_lite::pin_project;
use tower::{Layer, Service, ServiceBuilder};
use tower_http::body::UnsyncBoxBody;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::compression::CompressionLayer;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::timeout::TimeoutLayer;
use tracing::Level;

use super::respond;
use super::state::AppState;
use crate::config::Limits;

/// The body of every response the application sends.
pub type ResponseBody = UnsyncBoxBody<Bytes, BoxError>;

/// Where request logs go (`RUST_LOG=advice_site::access=info`).
pub const ACCESS_LOG: &str = "advice_site::access";

/// `Cross-Origin-Resource-Policy`: `same-origin` unless a handler says a
/// resource is fetched by other sites' apps.
pub const CROSS_ORIGIN_RESOURCE_POLICY: HeaderName =
    HeaderName::from_static("cross-origin-resource-policy");

/// The Content-Security-Policy: only what the site itself uses. Scripts,
/// styles and images come from us; `connect-src 'self'` lets audits such as
/// Lighthouse read robots.txt; forms post only to us; nothing may frame the
/// site; Trusted Types forbid string-to-DOM sinks (our script uses none).
pub const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; \
connect-src 'self'; manifest-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'; \
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
            CROSS_ORIGIN_RESOURCE_POLICY,
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

/// Wraps `router` in the site's policy; see the module documentation.
pub fn apply(
    router: Router,
    state: AppState,
) -> impl Service<
    Request<Body>,
    Response = Response<ResponseBody>,
    Error = Infallible,
    Future: Send + 'static,
> + Clone
+ Send
+ Sync
+ 'static {
    let pages = state.current();
    let https = pages.site.config.base_url.starts_with("https://");
    drop(pages);
    // Six headers on every response, and HSTS where the site is served
    // over https. Each is a plain layer: an optional one would wrap every
    // response future in one more `Either`.
    let mut layers = security_header_list(https, false)
        .into_iter()
        .map(|(name, value)| SetResponseHeaderLayer::if_not_present(name, value));
    let (Some(csp), Some(nosniff), Some(referrer), Some(coop), Some(corp), Some(permissions)) = (
        layers.next(),
        layers.next(),
        layers.next(),
        layers.next(),
        layers.next(),
        layers.next(),
    ) else {
        unreachable!("security_header_list always gives six headers first")
    };
    let hsts = layers.next();
    let panicked = state.clone();
    ServiceBuilder::new()
        .layer(AccessLogLayer)
        .layer(csp)
        .layer(nosniff)
        .layer(referrer)
        .layer(coop)
        .layer(corp)
        .layer(permissions)
        .option_layer(hsts)
        .layer(CatchPanicLayer::custom(move |_| {
            tracing::error!("a request panicked; answered with the error page");
            respond::plain_page(
                StatusCode::INTERNAL_SERVER_ERROR,
                panicked.current().error_page.body.clone(),
            )
        }))
        .layer(RefusalsLayer { state })
        .service(router)
}

/// The layers for a route that makes its page per request: compressed on
/// the way out, and answered within `[server] request_timeout` (else 503).
pub fn made_per_request(limits: &Limits) -> (CompressionLayer, TimeoutLayer) {
    (
        CompressionLayer::new(),
        TimeoutLayer::with_status_code(StatusCode::SERVICE_UNAVAILABLE, limits.request_timeout),
    )
}

/// The layers for a route that reads a posted form: the body limit
/// (`[server] max_body_bytes`, else 413), then those of
/// [`made_per_request`].
pub fn reads_a_form(limits: &Limits) -> (RequestBodyLimitLayer, CompressionLayer, TimeoutLayer) {
    let (compression, timeout) = made_per_request(limits);
    (
        RequestBodyLimitLayer::new(limits.max_body_bytes),
        compression,
        timeout,
    )
}

// ---------------------------------------------------------------------------
// The access log
// ---------------------------------------------------------------------------

/// One log event per response; see [`ACCESS_LOG`].
#[derive(Debug, Clone, Copy)]
pub struct AccessLogLayer;

impl<S> Layer<S> for AccessLogLayer {
    type Service = AccessLog<S>;

    fn layer(&self, inner: S) -> Self::Service {
        AccessLog { inner }
    }
}

/// The service [`AccessLogLayer`] makes.
#[derive(Debug, Clone)]
pub struct AccessLog<S> {
    inner: S,
}

/// What a log line says of the request: never its query, which can hold
/// what a reader typed.
struct Entry {
    started: Instant,
    method: axum::http::Method,
    uri: axum::http::Uri,
}

impl<S, B, R> Service<Request<B>> for AccessLog<S>
where
    S: Service<Request<B>, Response = Response<R>>,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = AccessLogFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<B>) -> Self::Future {
        // Nothing is copied unless the log is on.
        let entry = tracing::enabled!(target: ACCESS_LOG, Level::INFO).then(|| Entry {
            started: Instant::now(),
            method: request.method().clone(),
            uri: request.uri().clone(),
        });
        AccessLogFuture {
            inner: self.inner.call(request),
            entry,
        }
    }
}

pin_project! {
    /// The response future of [`AccessLog`].
    pub struct AccessLogFuture<F> {
        #[pin]
        inner: F,
        entry: Option<Entry>,
    }
}

impl<F, R, E> Future for AccessLogFuture<F>
where
    F: Future<Output = Result<Response<R>, E>>,
{
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let result = ready!(this.inner.poll(cx));
        if let (Some(entry), Ok(response)) = (this.entry.take(), &result) {
            // Fields, not a message: written without formatting by
            // `log_format`. Whole microseconds.
            tracing::info!(
                target: ACCESS_LOG,
                method = entry.method.as_str(),
                path = entry.uri.path(),
                status = u64::from(response.status().as_u16()),
                us = u64::try_from(entry.started.elapsed().as_micros()).unwrap_or(u64::MAX),
            );
        }
        Poll::Ready(result)
    }
}

// ---------------------------------------------------------------------------
// Our refusals
// ---------------------------------------------------------------------------

/// Answers oversized heads with 414/431 before routing, and puts our page
/// on any error response a layer made without one.
#[derive(Clone)]
pub struct RefusalsLayer {
    state: AppState,
}

impl<S> Layer<S> for RefusalsLayer {
    type Service = Refusals<S>;

    fn layer(&self, inner: S) -> Self::Service {
        Refusals {
            inner,
            state: self.state.clone(),
        }
    }
}

/// The service [`RefusalsLayer`] makes.
#[derive(Clone)]
pub struct Refusals<S> {
    inner: S,
    state: AppState,
}

/// Which limit, if any, the head of `request` is over.
fn oversized<B>(request: &Request<B>, max_uri: usize, max_headers: usize) -> Option<StatusCode> {
    let target = request
        .uri()
        .path_and_query()
        .map_or(0, |pq| pq.as_str().len());
    if target > max_uri {
        return Some(StatusCode::URI_TOO_LONG);
    }
    let header_bytes: usize = request
        .headers()
        .iter()
        .map(|(name, value)| name.as_str().len() + value.len() + 4)
        .sum();
    (header_bytes > max_headers).then_some(StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE)
}

impl<S, B, R> Service<Request<B>> for Refusals<S>
where
    S: Service<Request<B>, Response = Response<R>, Error = Infallible>,
    R: http_body::Body<Data = axum::body::Bytes> + Send + 'static,
    R::Error: Into<axum::BoxError>,
{
    type Response = Response<Body>;
    type Error = Infallible;
    type Future = RefusalsFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<B>) -> Self::Future {
        let limits = self.state.current().site.config.server;
        match oversized(&request, limits.max_uri_bytes, limits.max_header_bytes) {
            Some(status) => {
                let mut response =
                    respond::plain_page(status, self.state.current().unsupported.body.clone());
                response
                    .headers_mut()
                    .insert(header::CONNECTION, HeaderValue::from_static("close"));
                RefusalsFuture::Refused {
                    response: Some(response),
                }
            }
            None => RefusalsFuture::Routed {
                inner: self.inner.call(request),
                state: self.state.clone(),
            },
        }
    }
}

pin_project! {
    /// The response future of [`Refusals`].
    #[project = RefusalsProj]
    #[allow(missing_docs)]
    pub enum RefusalsFuture<F> {
        /// Refused before routing: our page, until it is taken.
        Refused { response: Option<Response<Body>> },
        /// Routed: the router's answer, and where our pages are.
        Routed { #[pin] inner: F, state: AppState },
    }
}

impl<F, R> Future for RefusalsFuture<F>
where
    F: Future<Output = Result<Response<R>, Infallible>>,
    R: http_body::Body<Data = axum::body::Bytes> + Send + 'static,
    R::Error: Into<axum::BoxError>,
{
    type Output = Result<Response<Body>, Infallible>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match self.project() {
            RefusalsProj::Refused { response } => {
                Poll::Ready(Ok(response.take().unwrap_or_default()))
            }
            RefusalsProj::Routed { inner, state } => {
                let Ok(response) = ready!(inner.poll(cx));
                Poll::Ready(Ok(our_page_on_errors(response, state)))
            }
        }
    }
}

/// An error response without an HTML page (one a layer made: 413 from the
/// body limit, 503 from the timeout) gets ours. A 404 names no methods:
/// axum adds `Allow` to whatever its method fallback answers.
fn our_page_on_errors<R>(response: Response<R>, state: &AppState) -> Response<Body>
where
    R: http_body::Body<Data = axum::body::Bytes> + Send + 'static,
    R::Error: Into<axum::BoxError>,
{
    let status = response.status();
    if !status.is_client_error() && !status.is_server_error() {
        return response.map(Body::new);
    }
    let is_html = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"text/html"));
    let mut response = if is_html {
        response.map(Body::new)
    } else {
        let pages = state.current();
        let page = if status.is_server_error() {
            &pages.error_page
        } else {
            &pages.unsupported
        };
        let mut ours = respond::plain_page(status, page.body.clone());
        if let Some(allow) = response.headers().get(header::ALLOW) {
            ours.headers_mut().insert(header::ALLOW, allow.clone());
        }
        ours
    };
    if status == StatusCode::NOT_FOUND {
        response.headers_mut().remove(header::ALLOW);
    }
    response
}
