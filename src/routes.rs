//! The URL table: every path the site answers, in one place.

use axum::Router;
use axum::routing::get;

use crate::handlers;
use crate::http;
use crate::state::AppState;

/// First path segments the site owns; no article may take one as its slug.
pub const RESERVED: &[&str] = &["static"];

/// The whole application: routes, then the middleware stack around them.
pub fn app(state: AppState) -> Router {
    let error_page = state.site().error_page.clone();
    let routes = Router::new()
        .route("/", get(handlers::home))
        .route("/{slug}", get(handlers::article))
        .route("/static/{*path}", get(handlers::asset))
        .fallback(handlers::not_found)
        .method_not_allowed_fallback(handlers::method_not_allowed)
        .with_state(state);
    http::stack(routes, error_page)
}
