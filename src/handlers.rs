//! Request handlers: each looks up bytes prepared at load and writes them.

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::response::Response;

use crate::state::AppState;

const HTML: HeaderValue = HeaderValue::from_static("text/html; charset=utf-8");

/// A prepared HTML page with a status.
pub fn html(status: StatusCode, body: Bytes) -> Response {
    let mut response = Response::new(Body::from(body));
    *response.status_mut() = status;
    response.headers_mut().insert(header::CONTENT_TYPE, HTML);
    response
}

/// Any fixed URL: home, an article, the feed, a static file. The request's
/// own path is the key, so routes and the prepared table cannot disagree.
pub async fn prepared(State(state): State<AppState>, uri: Uri, headers: HeaderMap) -> Response {
    let site = state.site();
    match site.responses.get(uri.path()) {
        Some(prepared) => prepared.respond(StatusCode::OK, &headers),
        None => site.not_found.respond(StatusCode::NOT_FOUND, &headers),
    }
}

/// `/preview/<name>.<hash>.png`: an article's link-preview card.
pub async fn preview(State(state): State<AppState>, uri: Uri, headers: HeaderMap) -> Response {
    let site = state.site();
    if !site.previews.contains_key(uri.path()) {
        return site.not_found.respond(StatusCode::NOT_FOUND, &headers);
    }
    // Drawing takes a few milliseconds, once; keep it off the async threads.
    let drawn = {
        let state = state.clone();
        let path = uri.path().to_string();
        tokio::task::spawn_blocking(move || state.site().previews.get(&path).and_then(|p| p.png()))
            .await
            .ok()
            .flatten()
    };
    match drawn {
        Some(png) => png.respond(StatusCode::OK, &headers),
        None => site
            .error_page
            .respond(StatusCode::INTERNAL_SERVER_ERROR, &headers),
    }
}

/// Any path the site does not have.
pub async fn not_found(State(state): State<AppState>, headers: HeaderMap) -> Response {
    state
        .site()
        .not_found
        .respond(StatusCode::NOT_FOUND, &headers)
}

/// A method other than GET or HEAD. A path the site does not have is still
/// a 404, whatever the method.
pub async fn method_not_allowed(
    State(state): State<AppState>,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    let site = state.site();
    if !site.responses.contains_key(uri.path()) && !site.previews.contains_key(uri.path()) {
        return site.not_found.respond(StatusCode::NOT_FOUND, &headers);
    }
    let mut response = site
        .unsupported
        .respond(StatusCode::METHOD_NOT_ALLOWED, &headers);
    response
        .headers_mut()
        .insert(header::ALLOW, HeaderValue::from_static("GET, HEAD"));
    response
}
