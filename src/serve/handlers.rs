//! Request handlers: each looks up what was prepared at load and answers
//! with it. The redirect rules live here too, because they are ours: an
//! article's old paths, Blogger's `?m=1`, a trailing slash, capitals.

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header};
use axum::response::Response;

use super::respond;
use super::state::AppState;
use crate::render::Pages;
use crate::site::normalise_path;

/// Where a request for `path?query` should be sent instead, if anywhere:
/// an article's old path (its `aliases`), Blogger's `?m=1`/`?m=0`, a trailing
/// slash, or capitals in a path. Always one hop to the final URL.
pub fn redirect_target(pages: &Pages, path: &str, query: Option<&str>) -> Option<String> {
    let kept: Vec<&str> = query
        .unwrap_or("")
        .split('&')
        .filter(|p| !p.is_empty() && *p != "m=1" && *p != "m=0")
        .collect();
    let query_changed =
        query.is_some_and(|q| kept.len() != q.split('&').filter(|p| !p.is_empty()).count());
    let normal = normalise_path(path);
    let target = if pages.responses.contains_key(&normal) && !normal.starts_with("/static/") {
        normal
    } else {
        pages.site.redirects.get(&normal)?.clone()
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

/// A 301 to `location`, or `None` if it cannot be written in a header.
fn moved(location: &str) -> Option<Response> {
    let value = HeaderValue::from_str(location).ok()?;
    let mut response = Response::new(Body::empty());
    *response.status_mut() = StatusCode::MOVED_PERMANENTLY;
    response.headers_mut().insert(header::LOCATION, value);
    Some(response)
}

/// The 404 page.
pub fn not_found_page(pages: &Pages, request: &HeaderMap) -> Response {
    respond::prepared(&pages.not_found, StatusCode::NOT_FOUND, request)
}

/// A redirect if the URL has moved, else the 404 page.
fn moved_or_missing(pages: &Pages, uri: &Uri, request: &HeaderMap) -> Response {
    redirect_target(pages, uri.path(), uri.query())
        .and_then(|location| moved(&location))
        .unwrap_or_else(|| not_found_page(pages, request))
}

/// Any page prepared at load: home, an article, the feed, a static file.
/// The request's own path is the key, so routes and the prepared table
/// cannot disagree. The method is judged first: a method other than GET or
/// HEAD gets 405 (or 404 for a path the site does not have), even where a
/// GET would be redirected.
pub async fn prepared(State(state): State<AppState>, request: Request) -> Response {
    let pages = state.current();
    let (uri, headers) = (request.uri(), request.headers());
    if request.method() != Method::GET && request.method() != Method::HEAD {
        return method_not_allowed_or_missing(&pages, uri.path(), headers);
    }
    let Some(prepared) = pages.responses.get(uri.path()) else {
        return moved_or_missing(&pages, uri, headers);
    };
    // `?m=1` and the like redirect to the clean address; any other query
    // is ignored.
    if uri.query().is_some()
        && let Some(moved) =
            redirect_target(&pages, uri.path(), uri.query()).and_then(|to| moved(&to))
    {
        return moved;
    }
    let mut response = respond::prepared(prepared, StatusCode::OK, headers);
    if is_shareable(uri.path()) {
        response.headers_mut().insert(
            super::middleware::CROSS_ORIGIN_RESOURCE_POLICY,
            HeaderValue::from_static("cross-origin"),
        );
    }
    response
}

/// Whether other sites' apps fetch this path (preview cards, icons).
pub fn is_shareable(path: &str) -> bool {
    path.starts_with("/preview/") || path == "/favicon.ico" || path == "/apple-touch-icon.png"
}

/// `/preview/<name>.<hash>.png`: an article's link-preview card.
pub async fn preview(State(state): State<AppState>, request: Request) -> Response {
    let pages = state.pages();
    let path = request.uri().path().to_string();
    if request.method() != Method::GET && request.method() != Method::HEAD {
        return method_not_allowed_or_missing(&pages, &path, request.headers());
    }
    if !pages.previews.contains_key(&path) {
        return not_found_page(&pages, request.headers());
    }
    // Drawing takes a few milliseconds, once; keep it off the async threads.
    let drawn = {
        let pages = pages.clone();
        tokio::task::spawn_blocking(move || pages.previews.get(&path).and_then(|p| p.png()))
            .await
            .ok()
            .flatten()
    };
    let mut response = match drawn {
        Some(png) => respond::prepared(&png, StatusCode::OK, request.headers()),
        None => respond::prepared(
            &pages.error_page,
            StatusCode::INTERNAL_SERVER_ERROR,
            request.headers(),
        ),
    };
    response.headers_mut().insert(
        super::middleware::CROSS_ORIGIN_RESOURCE_POLICY,
        HeaderValue::from_static("cross-origin"),
    );
    response
}

/// Any path no route names: an old address that redirects, or a 404. A
/// method other than GET or HEAD is judged before any redirect.
pub async fn fallback(State(state): State<AppState>, request: Request) -> Response {
    let pages = state.current();
    let (uri, headers) = (request.uri(), request.headers());
    if request.method() == Method::GET || request.method() == Method::HEAD {
        moved_or_missing(&pages, uri, headers)
    } else {
        method_not_allowed_or_missing(&pages, uri.path(), headers)
    }
}

/// 405 with `Allow` where a GET would find something (a page, a preview,
/// a redirect); a path the site does not have is a 404 whatever the method.
fn method_not_allowed_or_missing(pages: &Pages, path: &str, request: &HeaderMap) -> Response {
    let known = pages.responses.contains_key(path)
        || pages.previews.contains_key(path)
        || redirect_target(pages, path, None).is_some();
    if !known {
        return not_found_page(pages, request);
    }
    let mut response =
        respond::prepared(&pages.unsupported, StatusCode::METHOD_NOT_ALLOWED, request);
    response
        .headers_mut()
        .insert(header::ALLOW, HeaderValue::from_static("GET, HEAD"));
    response
}
