//! Request handlers: each looks up bytes prepared at load and writes them.

use axum::body::{Body, Bytes};
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::state::AppState;

const HTML: HeaderValue = HeaderValue::from_static("text/html; charset=utf-8");

/// A prepared HTML page with a status.
pub fn html(status: StatusCode, body: Bytes) -> Response {
    let mut response = Response::new(Body::from(body));
    *response.status_mut() = status;
    response.headers_mut().insert(header::CONTENT_TYPE, HTML);
    response
}

/// `/`: every article, newest first.
pub async fn home(State(state): State<AppState>) -> Response {
    page(&state, "/")
}

/// `/<slug>`: one article.
pub async fn article(State(state): State<AppState>, Path(slug): Path<String>) -> Response {
    page(&state, &format!("/{slug}"))
}

fn page(state: &AppState, path: &str) -> Response {
    let site = state.site();
    match site.pages.get(path) {
        Some(body) => html(StatusCode::OK, body.clone()),
        None => html(StatusCode::NOT_FOUND, site.not_found.clone()),
    }
}

/// `/static/<path>`: a file from `static/`, held in memory.
pub async fn asset(State(state): State<AppState>, Path(path): Path<String>) -> Response {
    let site = state.site();
    match site.assets.get(&path) {
        Some(asset) => (
            [
                (header::CONTENT_TYPE, asset.content_type),
                (header::CACHE_CONTROL, "public, max-age=3600"),
            ],
            asset.body.clone(),
        )
            .into_response(),
        None => html(StatusCode::NOT_FOUND, site.not_found.clone()),
    }
}

/// Any path the site does not have.
pub async fn not_found(State(state): State<AppState>) -> Response {
    html(StatusCode::NOT_FOUND, state.site().not_found.clone())
}

/// A method other than GET or HEAD on a path the site has.
pub async fn method_not_allowed(State(state): State<AppState>) -> Response {
    let mut response = html(
        StatusCode::METHOD_NOT_ALLOWED,
        state.site().method_not_allowed.clone(),
    );
    response
        .headers_mut()
        .insert(header::ALLOW, HeaderValue::from_static("GET, HEAD"));
    response
}
