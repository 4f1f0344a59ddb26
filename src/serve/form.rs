//! Posted forms: `application/x-www-form-urlencoded` bodies read within the
//! size and time limits the middleware sets, decoded into name–value pairs.
//! What a reader posts is never logged: errors name only what went wrong.

use std::time::Duration;

use axum::body::Body;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::Response;
use http_body_util::{BodyExt, LengthLimitError};
use tower_http::timeout::{DeadlineBody, TimeoutError};

use super::respond;
use crate::render::Pages;

/// Why a posted body could not be read, as the status to answer with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refused {
    /// Not a urlencoded form (415).
    NotAForm,
    /// Longer than the body limit (413).
    TooLarge,
    /// Did not arrive before the body deadline (408).
    TooSlow,
    /// The connection failed mid-body (400).
    Broken,
}

impl Refused {
    /// The status that says so.
    pub fn status(self) -> StatusCode {
        match self {
            Self::NotAForm => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Self::TooSlow => StatusCode::REQUEST_TIMEOUT,
            Self::Broken => StatusCode::BAD_REQUEST,
        }
    }

    /// Our page, with the status that says why.
    pub fn respond(self, pages: &Pages) -> Response {
        respond::plain_page(self.status(), pages.unsupported.body.clone())
    }
}

/// Whether `error`, or anything it wraps, is a `T`.
fn caused_by<T: std::error::Error + 'static>(error: &(dyn std::error::Error + 'static)) -> bool {
    let mut current = Some(error);
    while let Some(e) = current {
        if e.is::<T>() {
            return true;
        }
        current = e.source();
    }
    false
}

/// Reads a posted form, which must arrive within `deadline`. The size
/// limit comes from the middleware (`RequestBodyLimit`); the deadline is
/// tower-http's `DeadlineBody`, set here so that only requests that read a
/// body pay for a timer.
pub async fn read(
    headers: &HeaderMap,
    body: Body,
    deadline: Duration,
) -> Result<Vec<(String, String)>, Refused> {
    let is_form = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|v| {
            v.trim()
                .eq_ignore_ascii_case("application/x-www-form-urlencoded")
        });
    if !is_form {
        return Err(Refused::NotAForm);
    }
    let bytes = match DeadlineBody::new(deadline, body).collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(error) => {
            return Err(if caused_by::<LengthLimitError>(&*error) {
                Refused::TooLarge
            } else if caused_by::<TimeoutError>(&*error) {
                Refused::TooSlow
            } else {
                Refused::Broken
            });
        }
    };
    Ok(form_urlencoded::parse(&bytes).into_owned().collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form_headers() -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::CONTENT_TYPE,
            "application/x-www-form-urlencoded; charset=utf-8"
                .parse()
                .unwrap(),
        );
        headers
    }

    const SOON: Duration = Duration::from_secs(5);

    #[tokio::test]
    async fn a_form_is_decoded_into_pairs() {
        let pairs = read(
            &form_headers(),
            Body::from("a=1&b=two+words&c=%3Cx%3E"),
            SOON,
        )
        .await
        .unwrap();
        assert_eq!(
            pairs,
            [
                ("a".to_string(), "1".to_string()),
                ("b".to_string(), "two words".to_string()),
                ("c".to_string(), "<x>".to_string()),
            ]
        );
    }

    #[tokio::test]
    async fn another_media_type_is_refused() {
        let mut headers = HeaderMap::new();
        headers.insert(header::CONTENT_TYPE, "application/json".parse().unwrap());
        assert_eq!(
            read(&headers, Body::from("{}"), SOON).await,
            Err(Refused::NotAForm)
        );
        assert_eq!(
            read(&HeaderMap::new(), Body::from("a=1"), SOON).await,
            Err(Refused::NotAForm)
        );
    }

    #[tokio::test]
    async fn a_body_past_the_limit_is_too_large() {
        let limited = http_body_util::Limited::new(Body::from("a=".repeat(100)), 10);
        assert_eq!(
            read(&form_headers(), Body::new(limited), SOON).await,
            Err(Refused::TooLarge)
        );
    }
}
