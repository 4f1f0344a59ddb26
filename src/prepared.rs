//! Responses prepared at load: every representation compressed, tagged and
//! ready, so a request only chooses one and writes it.

use axum::body::{Body, Bytes};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::Response;

use crate::blob::{Region, Store};
use crate::encoding::{self, Effort, Encoding};
use crate::fingerprint::fingerprint;
use crate::h1::{Payload, field};

/// Pages and other URLs whose content can change: caches keep them briefly
/// and then revalidate with the ETag, so a CDN in front stays correct.
pub const REVALIDATE: &str = "public, max-age=300, must-revalidate";
/// URLs that name their content (fingerprinted): cached for a year.
pub const IMMUTABLE: &str = "public, max-age=31536000, immutable";
/// Error pages: long enough to absorb a flood, short enough to heal.
pub const ERROR: &str = "public, max-age=60";

/// One representation of a response: its bytes and its entity tag.
#[derive(Debug, Clone)]
pub struct Variant {
    /// The bytes sent.
    pub body: Bytes,
    /// Strong entity tag, quoted.
    pub etag: HeaderValue,
    /// The same bytes in the in-memory file, for zero-copy sends.
    pub file: Option<Region>,
}

/// A response body prepared at load, in every encoding worth sending.
#[derive(Debug, Clone)]
pub struct Prepared {
    /// The uncompressed bytes.
    pub body: Bytes,
    /// Entity tag of the uncompressed bytes.
    pub etag: HeaderValue,
    /// Its media type.
    pub content_type: &'static str,
    /// Its `Cache-Control`.
    pub cache_control: &'static str,
    /// Gzip variant, when it is smaller.
    pub gzip: Option<Variant>,
    /// Brotli variant, when it is smaller.
    pub brotli: Option<Variant>,
    /// The uncompressed bytes in the in-memory file, for zero-copy sends.
    pub file: Option<Region>,
}

fn etag(hash: &str, suffix: &str) -> HeaderValue {
    HeaderValue::from_str(&format!("\"{hash}{suffix}\""))
        .unwrap_or(HeaderValue::from_static("\"0\""))
}

impl Prepared {
    /// Prepares `body`: fingerprints it and, for text, compresses it hard.
    pub fn new(
        body: impl Into<Bytes>,
        content_type: &'static str,
        cache_control: &'static str,
    ) -> Self {
        Self::with_effort(body, content_type, cache_control, Effort::Best)
    }

    /// Prepares `body`, compressing text with brotli at `effort`.
    pub fn with_effort(
        body: impl Into<Bytes>,
        content_type: &'static str,
        cache_control: &'static str,
        effort: Effort,
    ) -> Self {
        let body = body.into();
        let hash = fingerprint(&body);
        let (mut gzip, mut brotli) = (None, None);
        if encoding::compressible(content_type) {
            let smaller = |bytes: Bytes, suffix: &str| {
                (bytes.len() < body.len()).then(|| Variant {
                    etag: etag(&hash, suffix),
                    body: bytes,
                    file: None,
                })
            };
            gzip = smaller(encoding::gzip(&body), "-gz");
            if effort == Effort::Best {
                brotli = smaller(encoding::brotli(&body), "-br");
            }
        }
        Self {
            etag: etag(&hash, ""),
            body,
            content_type,
            cache_control,
            gzip,
            brotli,
            file: None,
        }
    }

    /// Copies every representation long enough to gain into `store`, so
    /// it can be sent without copying.
    pub fn store_in(&mut self, store: &mut Store) {
        self.file = store.put(&self.body);
        for variant in [&mut self.gzip, &mut self.brotli].into_iter().flatten() {
            variant.file = store.put(&variant.body);
        }
    }

    /// Forgets where `store_in` put the bodies, when that store failed.
    pub fn unstore(&mut self) {
        self.file = None;
        for variant in [&mut self.gzip, &mut self.brotli].into_iter().flatten() {
            variant.file = None;
        }
    }

    /// A prepared HTML page that revalidates.
    pub fn html(body: impl Into<Bytes>, effort: Effort) -> Self {
        Self::with_effort(body, "text/html; charset=utf-8", REVALIDATE, effort)
    }

    /// The bytes and tag of `encoding`, falling back to identity.
    pub fn variant(&self, encoding: Encoding) -> (Bytes, &HeaderValue, Encoding) {
        let (body, etag, encoding, _) = self.chosen(encoding);
        (body.clone(), etag, encoding)
    }

    /// The representation for `encoding`, identity when there is none:
    /// bytes, tag, the encoding really chosen, and its stored copy.
    fn chosen(&self, encoding: Encoding) -> (&Bytes, &HeaderValue, Encoding, &Option<Region>) {
        let variant = match encoding {
            Encoding::Brotli => self.brotli.as_ref(),
            Encoding::Gzip => self.gzip.as_ref(),
            Encoding::Identity => None,
        };
        match variant {
            Some(v) => (&v.body, &v.etag, encoding, &v.file),
            None => (&self.body, &self.etag, Encoding::Identity, &self.file),
        }
    }

    /// Writes the header fields [`Prepared::respond`] gives a `200` for a
    /// request with this `Accept-Encoding` into `out`, and returns the body.
    pub fn write_fields(&self, accept_encoding: Option<&str>, out: &mut Vec<u8>) -> Payload {
        let choice =
            encoding::negotiate(accept_encoding, self.brotli.is_some(), self.gzip.is_some());
        let (body, etag, encoding, file) = self.chosen(choice);
        field(out, b"content-type", self.content_type.as_bytes());
        if let Some(token) = encoding.token() {
            field(out, b"content-encoding", token.as_bytes());
        }
        field(out, b"cache-control", self.cache_control.as_bytes());
        if self.gzip.is_some() || self.brotli.is_some() {
            field(out, b"vary", b"accept-encoding");
        }
        field(out, b"etag", etag.as_bytes());
        Payload {
            bytes: body.clone(),
            file: file.clone(),
        }
    }

    /// Answers a request: picks the encoding from `Accept-Encoding`, and
    /// answers `304 Not Modified` when `If-None-Match` already has it.
    pub fn respond(&self, status: StatusCode, request: &HeaderMap) -> Response {
        let accept = request
            .get(header::ACCEPT_ENCODING)
            .and_then(|v| v.to_str().ok());
        let choice = encoding::negotiate(accept, self.brotli.is_some(), self.gzip.is_some());
        let (body, etag, encoding) = self.variant(choice);
        let not_modified = status == StatusCode::OK
            && request
                .get_all(header::IF_NONE_MATCH)
                .iter()
                .filter_map(|v| v.to_str().ok())
                .any(|v| etag_matches(v, etag));
        let mut response = if not_modified {
            let mut r = Response::new(Body::empty());
            *r.status_mut() = StatusCode::NOT_MODIFIED;
            r
        } else {
            let mut r = Response::new(Body::from(body));
            // Room for ours and the security headers, so the map
            // never grows while a response is built.
            *r.headers_mut() = HeaderMap::with_capacity(24);
            *r.status_mut() = status;
            r.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static(self.content_type),
            );
            if let Some(token) = encoding.token() {
                r.headers_mut()
                    .insert(header::CONTENT_ENCODING, HeaderValue::from_static(token));
            }
            r
        };
        let headers = response.headers_mut();
        headers.insert(
            header::CACHE_CONTROL,
            HeaderValue::from_static(self.cache_control),
        );
        if self.gzip.is_some() || self.brotli.is_some() {
            headers.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
        }
        if status == StatusCode::OK {
            headers.insert(header::ETAG, etag.clone());
        }
        response
    }
}

/// Whether an `If-None-Match` value names `etag` (weak comparison, as
/// RFC 9110 asks for this header; `*` matches anything).
pub fn etag_matches(if_none_match: &str, etag: &HeaderValue) -> bool {
    let ours = etag.to_str().unwrap_or("");
    if_none_match.split(',').map(str::trim).any(|candidate| {
        candidate == "*" || candidate.strip_prefix("W/").unwrap_or(candidate) == ours
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page() -> Prepared {
        Prepared::html(
            "<p>hello hello hello hello hello hello hello hello</p>".repeat(20),
            Effort::Best,
        )
    }

    #[test]
    fn text_gets_smaller_variants_with_their_own_tags() {
        let p = page();
        let gz = p.gzip.as_ref().unwrap();
        let br = p.brotli.as_ref().unwrap();
        assert!(gz.body.len() < p.body.len() && br.body.len() < p.body.len());
        assert_ne!(gz.etag, p.etag);
        assert_ne!(br.etag, gz.etag);
    }

    #[test]
    fn images_are_not_recompressed() {
        let p = Prepared::new(vec![0u8; 4000], "image/png", IMMUTABLE);
        assert!(p.gzip.is_none() && p.brotli.is_none());
    }

    #[test]
    fn etag_comparison_is_weak_and_takes_lists() {
        let tag = HeaderValue::from_static("\"abc\"");
        assert!(etag_matches("\"abc\"", &tag));
        assert!(etag_matches("W/\"abc\"", &tag));
        assert!(etag_matches("\"x\", \"abc\"", &tag));
        assert!(etag_matches("*", &tag));
        assert!(!etag_matches("\"abcd\"", &tag));
        assert!(!etag_matches("abc", &tag));
    }

    #[test]
    fn matching_tag_gets_304_without_body_type() {
        let p = page();
        let mut req = HeaderMap::new();
        req.insert(header::IF_NONE_MATCH, p.etag.clone());
        let r = p.respond(StatusCode::OK, &req);
        assert_eq!(r.status(), StatusCode::NOT_MODIFIED);
        assert_eq!(r.headers()[header::ETAG], p.etag);
        assert!(r.headers().get(header::CONTENT_TYPE).is_none());
    }

    #[test]
    fn error_statuses_never_answer_304() {
        let p = page();
        let mut req = HeaderMap::new();
        req.insert(header::IF_NONE_MATCH, HeaderValue::from_static("*"));
        let r = p.respond(StatusCode::NOT_FOUND, &req);
        assert_eq!(r.status(), StatusCode::NOT_FOUND);
    }
}
