//! Prepared bytes to a response: the encoding a request accepts, its ETag,
//! and `304 Not Modified` when the client already has it. Every page the
//! site answers with goes through here, errors included.

use axum::body::{Body, Bytes};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::Response;

use crate::render::prepared::{Prepared, etag_matches};

/// `text/html; charset=utf-8`.
pub const HTML: HeaderValue = HeaderValue::from_static("text/html; charset=utf-8");

/// Answers a request with `prepared`: picks the encoding from
/// `Accept-Encoding`, and answers `304 Not Modified` when `If-None-Match`
/// already has it.
pub fn prepared(prepared: &Prepared, status: StatusCode, request: &HeaderMap) -> Response {
    let accept = request
        .get(header::ACCEPT_ENCODING)
        .and_then(|v| v.to_str().ok());
    let (body, etag, encoding) = prepared.negotiate(accept);
    let not_modified = status == StatusCode::OK
        && request
            .get_all(header::IF_NONE_MATCH)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .any(|v| etag_matches(v, etag));
    let mut response = Response::new(if not_modified {
        Body::empty()
    } else {
        Body::from(body.clone())
    });
    *response.status_mut() = if not_modified {
        StatusCode::NOT_MODIFIED
    } else {
        status
    };
    let headers = response.headers_mut();
    if not_modified {
        // A 304 names the representation's tag and caching, not its type.
        headers.insert(
            header::CACHE_CONTROL,
            HeaderValue::from_static(prepared.cache_control),
        );
        if prepared.varies() {
            headers.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
        }
    } else {
        // Copied whole: type, caching, and the headers every response gets.
        *headers = HeaderMap::clone(&prepared.headers);
        if let Some(token) = encoding.token() {
            headers.insert(header::CONTENT_ENCODING, HeaderValue::from_static(token));
        }
    }
    if status == StatusCode::OK {
        headers.insert(header::ETAG, etag.clone());
    }
    response
}

/// An HTML page made for this request alone (a result, a form): never
/// stored by a shared cache, compressed on the way out by the middleware.
pub fn dynamic_html(status: StatusCode, body: String) -> Response {
    let mut response = Response::new(Body::from(body));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HTML);
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// A prepared HTML body with `status`, whatever the request accepts: for
/// answers given before a request is understood (a panic, an oversized
/// head), where negotiating would be one more thing to go wrong.
pub fn plain_page(status: StatusCode, body: Bytes) -> Response {
    let mut response = Response::new(Body::from(body));
    *response.status_mut() = status;
    response.headers_mut().insert(header::CONTENT_TYPE, HTML);
    response.headers_mut().insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static(crate::render::prepared::ERROR),
    );
    response
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::encoding::Effort;

    fn page() -> Prepared {
        Prepared::html(
            "<p>hello hello hello hello hello hello hello hello</p>".repeat(20),
            Effort::Best,
        )
    }

    #[test]
    fn matching_tag_gets_304_without_body_type() {
        let p = page();
        let mut req = HeaderMap::new();
        req.insert(header::IF_NONE_MATCH, p.etag.clone());
        let r = prepared(&p, StatusCode::OK, &req);
        assert_eq!(r.status(), StatusCode::NOT_MODIFIED);
        assert_eq!(r.headers()[header::ETAG], p.etag);
        assert!(r.headers().get(header::CONTENT_TYPE).is_none());
    }

    #[test]
    fn error_statuses_never_answer_304() {
        let p = page();
        let mut req = HeaderMap::new();
        req.insert(header::IF_NONE_MATCH, HeaderValue::from_static("*"));
        let r = prepared(&p, StatusCode::NOT_FOUND, &req);
        assert_eq!(r.status(), StatusCode::NOT_FOUND);
    }

    #[test]
    fn the_encoding_asked_for_is_sent_with_its_own_tag() {
        let p = page();
        let mut req = HeaderMap::new();
        req.insert(header::ACCEPT_ENCODING, HeaderValue::from_static("gzip"));
        let r = prepared(&p, StatusCode::OK, &req);
        assert_eq!(r.headers()[header::CONTENT_ENCODING], "gzip");
        assert_eq!(r.headers()[header::ETAG], p.gzip.as_ref().unwrap().etag);
        assert_eq!(r.headers()[header::VARY], "accept-encoding");
    }
}
