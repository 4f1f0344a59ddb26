//! `GET /search?q=`: the site search, answered per request from the index
//! the site was loaded with. What the reader typed is read from the query
//! string, used, and dropped: it is never logged (the access log leaves
//! query strings out) and the page is never kept by a shared cache.

use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;

use super::respond;
use super::state::AppState;
use crate::render::search::{SHOWN, page};
use crate::site::search::{MAX_QUERY_CHARS, Results};

/// The first `q` in a query string, cut to [`MAX_QUERY_CHARS`] characters
/// (what the index reads; the page says when it was cut).
fn query_of(query: Option<&str>) -> (String, bool) {
    let q = form_urlencoded::parse(query.unwrap_or("").as_bytes())
        .find(|(name, _)| name == "q")
        .map(|(_, value)| value.into_owned())
        .unwrap_or_default();
    match q.char_indices().nth(MAX_QUERY_CHARS) {
        Some((cut, _)) => (q[..cut].to_string(), true),
        None => (q, false),
    }
}

/// `GET /search`: results for `q`, or the search page with suggestions.
pub async fn page_for(State(state): State<AppState>, request: Request) -> Response {
    let pages = state.current();
    let (query, cut) = query_of(request.uri().query());
    let mut results = if query.trim().is_empty() {
        Results::default()
    } else {
        pages.site.search.search(&query, SHOWN)
    };
    results.shortened |= cut;
    match page(&pages.site, &query, &results) {
        Ok(body) => {
            let mut response = respond::dynamic_html(StatusCode::OK, body);
            // What a reader searched for is theirs alone: no shared cache,
            // and no copy on their disk either.
            response.headers_mut().insert(
                header::CACHE_CONTROL,
                HeaderValue::from_static("private, no-store"),
            );
            response
        }
        Err(error) => {
            // The error, never the query.
            tracing::error!("the search page failed to render: {error}");
            respond::plain_page(
                StatusCode::INTERNAL_SERVER_ERROR,
                pages.error_page.body.clone(),
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_q_is_read_and_cut_on_a_character_boundary() {
        assert_eq!(query_of(Some("x=1&q=a+b&q=c")), ("a b".to_string(), false));
        assert_eq!(query_of(None), (String::new(), false));
        let long = format!("q={}", "%C3%A9".repeat(MAX_QUERY_CHARS + 5));
        let (q, cut) = query_of(Some(&long));
        assert!(cut);
        assert_eq!(q.chars().count(), MAX_QUERY_CHARS);
    }
}
