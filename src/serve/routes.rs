//! The URL table: every path the site answers, in one place.

use axum::Router;
use axum::routing::{any, get, post};

use super::state::AppState;
use axum::http::StatusCode;
use tower_http::timeout::TimeoutLayer;

use super::{deadlines, feedback, handlers, letters, middleware, search};
use crate::site::paths::FIXED;

/// Every route, without the policy around them (see `middleware`).
///
/// Pages prepared at load take any method and judge it themselves, so that
/// a method they do not allow gets 405 before any redirect rule runs, and a
/// path the site does not have gets 404 with no `Allow`, whatever the
/// method. Routes for forms name their methods.
pub fn router(state: AppState) -> Router {
    let limits = state.current().site.config.server;
    let mut routes = Router::new()
        .route("/", any(handlers::prepared))
        .route("/{slug}", any(handlers::prepared))
        .route("/static/{*path}", any(handlers::prepared))
        .route("/topics/{slug}", any(handlers::prepared))
        .route(
            "/preview/{file}",
            any(handlers::preview).layer(TimeoutLayer::with_status_code(
                StatusCode::SERVICE_UNAVAILABLE,
                limits.request_timeout,
            )),
        );
    // Made per request, from answers (or a search) in the query string.
    routes = routes
        .route(
            "/deadlines",
            get(deadlines::page).layer(middleware::made_per_request(&limits)),
        )
        .route(
            "/deadlines.ics",
            get(deadlines::calendar).layer(middleware::made_per_request(&limits)),
        )
        .route(
            "/search",
            get(search::page_for).layer(middleware::made_per_request(&limits)),
        );
    // The letters: each form is prepared at load; posting it writes the
    // letter in the request, within the body limit.
    routes = routes.route("/letters", any(handlers::prepared)).route(
        "/letters/{slug}",
        get(handlers::prepared)
            .merge(post(letters::submit).layer(middleware::reads_a_form(&limits))),
    );
    // Answers to "Is this page useful?", posted from every article.
    routes = routes.route(
        "/feedback",
        post(feedback::submit).layer(middleware::reads_a_form(&limits)),
    );
    for path in FIXED {
        routes = routes.route(path, any(handlers::prepared));
    }
    routes.fallback(handlers::fallback).with_state(state)
}
