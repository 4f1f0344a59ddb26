//! Serving: the only folder that names axum, hyper or tower-http. The
//! router (`routes`) answers every request; `middleware` is the policy
//! around it; `respond` turns prepared bytes into responses; `server` is
//! the accept loop that hands each connection to hyper; `reload` swaps in a
//! new site when the files change; `feedback` takes answers to "Is this
//! page useful?" and hands them to the store; `search` answers `/search`.
//!
//! May use everything below it: `config`, `site`, `render`, `load`, and
//! `store`, which it owns (the state carries the open store).

pub mod deadlines;
pub mod feedback;
pub mod form;
pub mod handlers;
pub mod letters;
pub mod log_format;
pub mod log_writer;
pub mod middleware;
pub mod reload;
pub mod respond;
pub mod routes;
pub mod search;
pub mod server;
pub mod state;

pub use state::AppState;

pub use middleware::ResponseBody;

use std::convert::Infallible;

use axum::body::Body;
use axum::http::{Request, Response};
use tower::Service;

/// The whole application: every route inside the site's policy. `main`
/// serves it and the tests drive it.
pub fn app(
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
    let routes = routes::router(state.clone());
    middleware::apply(routes, state)
}
