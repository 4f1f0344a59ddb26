//! The URL table: every path the site answers, in one place.

use axum::Router;
use axum::routing::get;

use crate::handlers;
use crate::http;
use crate::state::AppState;

/// First path segments the site owns; no article may take one as its slug.
pub const RESERVED: &[&str] = &["static", "preview", "healthz"];

/// Paths the site answers with one prepared response each.
pub const FIXED: &[&str] = &[
    "/feed.xml",
    "/sitemap.xml",
    "/robots.txt",
    "/favicon.ico",
    "/apple-touch-icon.png",
    "/.well-known/security.txt",
    "/healthz",
];

/// The whole application: routes, then the policy around them (see
/// `http.rs`). Fixed URLs are answered from the table prepared at load before
/// routing; the routes below still define them, so that other methods get a
/// 405 and the table and the routes cannot disagree.
pub fn app(state: AppState) -> Router {
    Router::new().fallback_service(service(state))
}

/// The same application as a service, as the server runs it (without the
/// router wrapper `app` adds for callers that want a `Router`).
pub fn service(state: AppState) -> http::SiteService<Router> {
    let mut routes = Router::new()
        .route("/", get(handlers::prepared))
        .route("/{slug}", get(handlers::prepared))
        .route("/static/{*path}", get(handlers::prepared))
        .route("/preview/{file}", get(handlers::preview));
    for path in FIXED {
        routes = routes.route(path, get(handlers::prepared));
    }
    let routes = routes
        .fallback(handlers::not_found)
        .method_not_allowed_fallback(handlers::method_not_allowed)
        .with_state(state.clone());
    http::stack(routes, state)
}
