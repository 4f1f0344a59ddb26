//! The URL table: every path the site answers, in one place.

use axum::Router;
use axum::middleware;
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

/// The whole application: routes, then the middleware stack around them.
pub fn app(state: AppState) -> Router {
    let error_page = state.site().error_page.body.clone();
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
        // Old and variant URLs answer 301 before any route sees them.
        .layer(middleware::from_fn_with_state(
            state.clone(),
            http::redirect,
        ))
        .with_state(state.clone());
    http::stack(routes, state, error_page)
}
