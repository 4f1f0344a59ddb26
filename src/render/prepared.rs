//! Responses prepared at load: every representation compressed, tagged and
//! ready, so a request only chooses one and writes it.

use std::collections::HashMap;
use std::sync::{Arc, LazyLock, Mutex, PoisonError};

use bytes::Bytes;
use http::{HeaderMap, HeaderValue, header};

use super::encoding::{self, Effort, Encoding};
use crate::fingerprint::fingerprint;

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
    /// The headers every representation is sent with: `Content-Type`,
    /// `Cache-Control`, `Vary` when there is more than one, and whatever
    /// the server adds to every response (see `Pages::add_headers`). Built
    /// once and shared, so a response copies them instead of inserting
    /// each one again.
    pub headers: Arc<HeaderMap>,
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
                })
            };
            gzip = smaller(encoding::gzip(&body), "-gz");
            if effort == Effort::Best {
                brotli = smaller(encoding::brotli(&body), "-br");
            }
        }
        let varies = gzip.is_some() || brotli.is_some();
        Self {
            etag: etag(&hash, ""),
            body,
            content_type,
            cache_control,
            gzip,
            brotli,
            headers: representation_headers(content_type, cache_control, varies),
        }
    }

    /// The same bytes with another `Cache-Control`.
    pub fn with_cache_control(mut self, cache_control: &'static str) -> Self {
        self.cache_control = cache_control;
        self.headers = representation_headers(self.content_type, cache_control, self.varies());
        self
    }

    /// A prepared HTML page that revalidates.
    pub fn html(body: impl Into<String>, effort: Effort) -> Self {
        Self::with_effort(
            compact(body.into().into_bytes()),
            "text/html; charset=utf-8",
            REVALIDATE,
            effort,
        )
    }

    /// The representation for `encoding`, identity when there is none:
    /// bytes, tag, and the encoding really chosen.
    pub fn variant(&self, encoding: Encoding) -> (&Bytes, &HeaderValue, Encoding) {
        let variant = match encoding {
            Encoding::Brotli => self.brotli.as_ref(),
            Encoding::Gzip => self.gzip.as_ref(),
            Encoding::Identity => None,
        };
        match variant {
            Some(v) => (&v.body, &v.etag, encoding),
            None => (&self.body, &self.etag, Encoding::Identity),
        }
    }

    /// The representation a request with this `Accept-Encoding` gets.
    pub fn negotiate(&self, accept_encoding: Option<&str>) -> (&Bytes, &HeaderValue, Encoding) {
        self.variant(encoding::negotiate(
            accept_encoding,
            self.brotli.is_some(),
            self.gzip.is_some(),
        ))
    }

    /// Whether it has a compressed variant, so caches must vary by
    /// `Accept-Encoding`.
    pub fn varies(&self) -> bool {
        self.gzip.is_some() || self.brotli.is_some()
    }
}

/// `bytes` held in an allocation of their own size. A page or a
/// compressed body is built in a buffer that grows by doubling; kept as
/// it is, a 29 KB page would hold 48 KB for as long as it is served
/// (measured with massif; README, Benchmarks).
pub fn compact(mut bytes: Vec<u8>) -> Bytes {
    bytes.shrink_to_fit();
    Bytes::from(bytes)
}

/// Room for the representation headers, the headers every response gets,
/// and `Content-Encoding` and `ETag` added per response, so that the map
/// is never rehashed while a response is built.
const HEADER_ROOM: usize = 16;

/// `Content-Type`, `Cache-Control` and, when the bytes come in more than
/// one encoding, `Vary`. The few combinations a site has are built once
/// and shared by every response with the same three: a map per page would
/// cost 10,000 articles some 18 MB.
pub fn representation_headers(
    content_type: &'static str,
    cache_control: &'static str,
    varies: bool,
) -> Arc<HeaderMap> {
    type Key = (&'static str, &'static str, bool);
    static BUILT: LazyLock<Mutex<HashMap<Key, Arc<HeaderMap>>>> = LazyLock::new(Mutex::default);
    let mut built = BUILT.lock().unwrap_or_else(PoisonError::into_inner);
    built
        .entry((content_type, cache_control, varies))
        .or_insert_with(|| {
            let mut headers = HeaderMap::with_capacity(HEADER_ROOM);
            headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
            headers.insert(
                header::CACHE_CONTROL,
                HeaderValue::from_static(cache_control),
            );
            if varies {
                headers.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
            }
            Arc::new(headers)
        })
        .clone()
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
}
