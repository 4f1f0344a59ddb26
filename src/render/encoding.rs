//! Content encodings: compress once at load, choose per request.

use std::io::Write as _;

use bytes::Bytes;

/// A representation the server can send.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    /// Brotli.
    Brotli,
    /// Gzip.
    Gzip,
    /// The bytes as they are.
    Identity,
}

impl Encoding {
    /// The `Content-Encoding` token, or `None` for identity.
    pub fn token(self) -> Option<&'static str> {
        match self {
            Encoding::Brotli => Some("br"),
            Encoding::Gzip => Some("gzip"),
            Encoding::Identity => None,
        }
    }

    /// The file suffix used by the static export (`.br`, `.gz`).
    pub fn suffix(self) -> &'static str {
        match self {
            Encoding::Brotli => ".br",
            Encoding::Gzip => ".gz",
            Encoding::Identity => "",
        }
    }
}

/// Reads `Accept-Encoding` and picks the best of the encodings on offer.
/// q-values are honoured (`q=0` refuses), `*` stands for any encoding not
/// named, and on a tie the smaller representation (br, then gzip) wins.
/// Identity is acceptable unless refused outright; if everything is
/// refused the bytes go as they are, which every client can read.
pub fn negotiate(accept: Option<&str>, has_br: bool, has_gzip: bool) -> Encoding {
    let Some(accept) = accept else {
        return Encoding::Identity;
    };
    // What browsers and common clients send, answered without parsing,
    // which cost about 1,500 instructions of the 30,000 a prepared page
    // took (callgrind; README, Benchmarks).
    let named_br = match accept {
        "gzip, deflate, br, zstd" | "gzip, deflate, br" | "br, gzip" => true,
        "gzip" | "gzip, deflate" | "deflate, gzip" => false,
        _ => return parse_and_choose(accept, has_br, has_gzip),
    };
    if named_br && has_br {
        Encoding::Brotli
    } else if has_gzip {
        Encoding::Gzip
    } else {
        Encoding::Identity
    }
}

/// [`negotiate`] for any `Accept-Encoding` value.
fn parse_and_choose(accept: &str, has_br: bool, has_gzip: bool) -> Encoding {
    let mut q_br = None;
    let mut q_gzip = None;
    let mut q_identity = None;
    let mut q_any = None;
    for item in accept.split(',') {
        let mut parts = item.split(';');
        let coding = parts.next().unwrap_or("").trim();
        let mut q = 1.0_f32;
        for param in parts {
            if let Some((k, v)) = param.split_once('=')
                && k.trim().eq_ignore_ascii_case("q")
            {
                q = v.trim().parse().unwrap_or(0.0);
            }
        }
        // Compared without allocating: this runs on every request.
        let slot = if coding.eq_ignore_ascii_case("br") {
            &mut q_br
        } else if coding.eq_ignore_ascii_case("gzip") || coding.eq_ignore_ascii_case("x-gzip") {
            &mut q_gzip
        } else if coding.eq_ignore_ascii_case("identity") {
            &mut q_identity
        } else if coding == "*" {
            &mut q_any
        } else {
            continue;
        };
        *slot = Some(q);
    }
    let q_br = if has_br {
        q_br.or(q_any).unwrap_or(0.0)
    } else {
        0.0
    };
    let q_gzip = if has_gzip {
        q_gzip.or(q_any).unwrap_or(0.0)
    } else {
        0.0
    };
    // Identity is always acceptable unless named (or `*`) with q=0.
    let q_identity = q_identity.or(q_any.filter(|q| *q == 0.0)).unwrap_or(0.001);
    let best = q_br.max(q_gzip).max(q_identity);
    if best <= 0.0 {
        Encoding::Identity
    } else if q_br == best {
        Encoding::Brotli
    } else if q_gzip == best {
        Encoding::Gzip
    } else {
        Encoding::Identity
    }
}

/// Whether a media type is worth compressing.
pub fn compressible(content_type: &str) -> bool {
    content_type.starts_with("text/")
        || content_type.starts_with("application/xml")
        || content_type.starts_with("application/atom+xml")
        || content_type.starts_with("application/json")
        || content_type.starts_with("image/svg+xml")
}

/// Gzip at the highest level: done once at load, so size is all that counts.
pub fn gzip(bytes: &[u8]) -> Bytes {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    // Writing to a Vec cannot fail.
    let _ = encoder.write_all(bytes);
    super::prepared::compact(encoder.finish().unwrap_or_default())
}

/// How hard compression works at load. Brotli at quality 11 makes a 25 KB
/// page about 20% smaller than gzip but takes some 24 ms; at the qualities
/// cheap enough for thousands of pages (4 and below) it is no smaller than
/// gzip, and quality 5 and up spend most of their time zeroing multi-megabyte
/// tables. So a large site sends gzip alone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Effort {
    /// Gzip at level 9 and brotli at quality 11.
    Best,
    /// Gzip at level 9 only.
    Fast,
}

impl Effort {
    /// Pages a site may have and still get `Best` for all of them.
    pub const BEST_UP_TO_PAGES: usize = 300;

    /// The effort for a site of `pages` pages.
    pub fn for_pages(pages: usize) -> Self {
        if pages <= Self::BEST_UP_TO_PAGES {
            Effort::Best
        } else {
            Effort::Fast
        }
    }
}

/// Brotli at quality 11.
pub fn brotli(bytes: &[u8]) -> Bytes {
    let mut out = Vec::with_capacity(bytes.len() / 3);
    let params = brotli::enc::BrotliEncoderParams {
        quality: 11,
        // A 64 KiB window covers any page; larger only costs memory.
        lgwin: 16,
        ..Default::default()
    };
    let _ = brotli::BrotliCompress(&mut &bytes[..], &mut out, &params);
    super::prepared::compact(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use Encoding::*;

    fn pick(accept: &str) -> Encoding {
        negotiate(Some(accept), true, true)
    }

    #[test]
    fn the_common_values_answer_as_parsing_them_would() {
        let common = [
            "gzip, deflate, br, zstd",
            "gzip, deflate, br",
            "br, gzip",
            "gzip",
            "gzip, deflate",
            "deflate, gzip",
        ];
        for accept in common {
            for (has_br, has_gzip) in [(true, true), (true, false), (false, true), (false, false)] {
                assert_eq!(
                    negotiate(Some(accept), has_br, has_gzip),
                    parse_and_choose(accept, has_br, has_gzip),
                    "{accept:?} with br {has_br}, gzip {has_gzip}"
                );
            }
        }
    }

    #[test]
    fn no_header_means_identity() {
        assert_eq!(negotiate(None, true, true), Identity);
    }

    #[test]
    fn brotli_wins_a_tie_then_gzip() {
        assert_eq!(pick("gzip, deflate, br"), Brotli);
        assert_eq!(pick("gzip, deflate"), Gzip);
        assert_eq!(negotiate(Some("gzip, br"), false, true), Gzip);
    }

    #[test]
    fn q_values_are_honoured() {
        assert_eq!(pick("br;q=0.5, gzip;q=0.8"), Gzip);
        assert_eq!(pick("br;q=0, gzip"), Gzip);
        assert_eq!(pick("gzip;q=0, br;q=0"), Identity);
        assert_eq!(pick("identity;q=1, gzip;q=0.5"), Identity);
        assert_eq!(pick("BR;Q=0.9, GZIP;q=0.1"), Brotli);
    }

    #[test]
    fn star_covers_unnamed_encodings() {
        assert_eq!(pick("*"), Brotli);
        assert_eq!(pick("br;q=0, *;q=0.5"), Gzip);
    }

    #[test]
    fn refusing_everything_still_gets_readable_bytes() {
        assert_eq!(pick("identity;q=0"), Identity);
        assert_eq!(pick("*;q=0"), Identity);
        assert_eq!(pick("identity;q=0, gzip"), Gzip);
    }

    #[test]
    fn unknown_codings_and_junk_are_ignored() {
        assert_eq!(pick("zstd, deflate"), Identity);
        assert_eq!(pick("gzip;q=nonsense, br"), Brotli);
        assert_eq!(pick(",,;;"), Identity);
    }

    #[test]
    fn compressed_bytes_decompress_to_the_original() {
        use std::io::Read as _;
        let text = "Can you sue the CMS? ".repeat(200);
        let mut out = String::new();
        flate2::read::GzDecoder::new(&gzip(text.as_bytes())[..])
            .read_to_string(&mut out)
            .unwrap();
        assert_eq!(out, text);
        let mut out = Vec::new();
        brotli::BrotliDecompress(&mut &brotli(text.as_bytes())[..], &mut out).unwrap();
        assert_eq!(out, text.as_bytes());
    }
}
