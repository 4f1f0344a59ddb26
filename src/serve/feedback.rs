//! `POST /feedback`: "Is this page useful?" from the foot of every article.
//! Works with no script: the answer is posted, stored, and the reader is
//! sent back (303) to the page at `#feedback-yes` or `#feedback-no`, where
//! CSS shows the optional question; that posts again and comes back at
//! `#feedback-thanks`.
//!
//! Kept: the page, the answer, the text, the day (see `store`). Never kept
//! or logged: the address (counted in memory for the rate limit, for one
//! minute), the browser, the time of day, the text in any log line.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::Mutex;
use std::time::Instant;

use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;

use super::form;
use super::respond;
use super::state::AppState;
use crate::render::Pages;
use crate::store::{Entry, Place, Store, StoreError};
use crate::tools::deadlines::today_in_uk;

/// The most characters a comment may have.
pub const MAX_TEXT_CHARS: usize = 1200;

/// The honeypot's field name: hidden from people, filled in by bots.
pub const HONEYPOT: &str = "website";

/// Addresses the rate limit remembers in one minute; past this, new
/// addresses are refused until the minute turns, so memory stays bounded.
const MAX_ADDRESSES: usize = 20_000;

/// The feedback store and the rate limit: the only state besides the site.
pub struct Feedback {
    place: Place,
    store: tokio::sync::Mutex<Option<Store>>,
    limiter: Mutex<Limiter>,
}

impl Feedback {
    /// Opens the store at `place`. If it cannot be opened, the site still
    /// serves: the reason is logged, `/feedback` answers 503, and each
    /// submission tries to open it again.
    pub async fn open(place: Place) -> Self {
        let store = match Store::open(place.clone()).await {
            Ok(store) => {
                tracing::info!("feedback is kept in {place}");
                Some(store)
            }
            Err(e) => {
                tracing::error!("cannot open the feedback store ({place}): {e}");
                None
            }
        };
        Self {
            place,
            store: tokio::sync::Mutex::new(store),
            limiter: Mutex::new(Limiter::new()),
        }
    }

    /// The open store, opening it if an earlier try failed.
    pub async fn store(&self) -> Result<Store, StoreError> {
        let mut slot = self.store.lock().await;
        if let Some(store) = &*slot {
            return Ok(store.clone());
        }
        let store = Store::open(self.place.clone()).await?;
        tracing::info!("feedback store opened: {}", self.place);
        *slot = Some(store.clone());
        Ok(store)
    }

    /// Deletes entries older than `retain_days`, now and then once a day.
    pub async fn keep_for(&self, retain_days: impl Fn() -> u32) {
        let mut daily = tokio::time::interval(std::time::Duration::from_secs(24 * 60 * 60));
        loop {
            daily.tick().await;
            let result = match self.store().await {
                Ok(store) => store.apply_retention(today_in_uk(), retain_days()).await,
                Err(e) => Err(e),
            };
            match result {
                Ok(0) => {}
                Ok(n) => tracing::info!("deleted {n} feedback entries past their retention"),
                Err(e) => tracing::error!("feedback retention did not run: {e}"),
            }
        }
    }

    fn allow(&self, client: IpAddr, per_minute: u32) -> bool {
        match self.limiter.lock() {
            Ok(mut limiter) => limiter.allow(client, per_minute),
            Err(_) => false,
        }
    }
}

/// Counts per address in the current minute; forgets them all when the
/// minute turns.
struct Limiter {
    started: Instant,
    minute: u64,
    counts: HashMap<IpAddr, u32>,
}

impl Limiter {
    fn new() -> Self {
        Self {
            started: Instant::now(),
            minute: 0,
            counts: HashMap::new(),
        }
    }

    fn allow(&mut self, client: IpAddr, per_minute: u32) -> bool {
        if per_minute == 0 {
            return true;
        }
        let minute = self.started.elapsed().as_secs() / 60;
        if minute != self.minute {
            self.minute = minute;
            self.counts.clear();
            self.counts.shrink_to(MAX_ADDRESSES / 16);
        }
        if !self.counts.contains_key(&client) && self.counts.len() >= MAX_ADDRESSES {
            return false;
        }
        let count = self.counts.entry(client).or_insert(0);
        if *count >= per_minute {
            return false;
        }
        *count += 1;
        true
    }
}

/// Who sent it, for the rate limit: the peer, or the address nginx passes
/// in `X-Real-IP` when the peer is this machine (the export's proxy). An
/// IPv6 address counts by its /64, which one household or phone holds.
fn client(request: &Request) -> IpAddr {
    let peer = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(addr)| addr.ip());
    let forwarded = || {
        request
            .headers()
            .get("x-real-ip")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<IpAddr>().ok())
    };
    let address = match peer {
        Some(ip) if ip.is_loopback() => forwarded().unwrap_or(ip),
        Some(ip) => ip,
        None => IpAddr::from([0, 0, 0, 0]),
    };
    match address {
        IpAddr::V6(v6) => {
            let mut segments = v6.segments();
            segments[4..].fill(0);
            IpAddr::from(segments)
        }
        v4 => v4,
    }
}

/// A refusal with our page.
fn refused(pages: &Pages, status: StatusCode) -> Response {
    let page = if status.is_server_error() {
        &pages.error_page
    } else {
        &pages.unsupported
    };
    respond::plain_page(status, page.body.clone())
}

/// 303 See Other to `page` (one of our article paths) at `anchor`.
fn see_other(page: &str, anchor: &str) -> Response {
    let mut response = Response::new(axum::body::Body::empty());
    *response.status_mut() = StatusCode::SEE_OTHER;
    let location = format!("{page}#{anchor}");
    if let Ok(value) = HeaderValue::from_str(&location) {
        response.headers_mut().insert(header::LOCATION, value);
    }
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// What the form asked to store.
struct Submission {
    page: String,
    useful: bool,
    followup: bool,
    text: String,
    honeypot: bool,
}

impl Submission {
    /// Where the reader goes next.
    fn anchor(&self) -> &'static str {
        match (self.followup, self.useful) {
            (true, _) => "feedback-thanks",
            (false, true) => "feedback-yes",
            (false, false) => "feedback-no",
        }
    }
}

/// Reads the fields; `None` if they are not a submission from our form.
fn submission(pages: &Pages, fields: &[(String, String)]) -> Option<Submission> {
    let field = |name: &str| {
        fields
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    };
    let posted = field("page")?;
    // The path we redirect to is our own, never the posted string.
    let page = pages
        .site
        .articles
        .iter()
        .map(|a| a.url())
        .find(|url| url == posted)?;
    let (useful, followup) = match (field("answer"), field("followup")) {
        (Some("yes"), None) => (true, false),
        (Some("no"), None) => (false, false),
        (None, Some("yes")) => (true, true),
        (None, Some("no")) => (false, true),
        _ => return None,
    };
    // Browsers send a textarea's line breaks as CRLF, and `maxlength`
    // counts each as one character; so do we.
    let text = field("text").unwrap_or("").replace("\r\n", "\n");
    if text.chars().count() > MAX_TEXT_CHARS {
        return None;
    }
    Some(Submission {
        page,
        useful,
        followup,
        text,
        honeypot: field(HONEYPOT).is_some_and(|v| !v.is_empty()),
    })
}

/// `POST /feedback`.
pub async fn submit(State(state): State<AppState>, request: Request) -> Response {
    let pages = state.pages();
    let config = &pages.site.config;
    let who = client(&request);
    let (parts, body) = request.into_parts();
    let fields = match form::read(&parts.headers, body, config.server.body_timeout).await {
        Ok(fields) => fields,
        Err(refusal) => return refusal.respond(&pages),
    };
    let Some(submission) = submission(&pages, &fields) else {
        return refused(&pages, StatusCode::BAD_REQUEST);
    };
    // A bot that filled the hidden field is thanked and forgotten.
    if submission.honeypot {
        return see_other(&submission.page, submission.anchor());
    }
    // The optional question sent empty: nothing to keep.
    if submission.followup && submission.text.trim().is_empty() {
        return see_other(&submission.page, submission.anchor());
    }
    let Some(feedback) = state.feedback() else {
        tracing::error!("feedback could not be stored: no feedback store is configured");
        return refused(&pages, StatusCode::SERVICE_UNAVAILABLE);
    };
    if !feedback.allow(who, config.feedback.per_minute) {
        let mut response =
            respond::plain_page(StatusCode::TOO_MANY_REQUESTS, pages.too_many.body.clone());
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from_static("60"));
        return response;
    }
    let anchor = submission.anchor();
    let entry = Entry {
        page: submission.page,
        useful: submission.useful,
        comment: submission.text,
        followup: submission.followup,
        day: today_in_uk(),
    };
    let page = entry.page.clone();
    let stored = match feedback.store().await {
        Ok(store) => store.add(entry).await,
        Err(e) => Err(e),
    };
    match stored {
        Ok(()) => see_other(&page, anchor),
        Err(e) => {
            tracing::error!("feedback could not be stored: {e}");
            refused(&pages, StatusCode::SERVICE_UNAVAILABLE)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn from(peer: &str, real_ip: Option<&str>) -> IpAddr {
        let mut request = Request::new(axum::body::Body::empty());
        let peer: SocketAddr = peer.parse().unwrap();
        request.extensions_mut().insert(ConnectInfo(peer));
        if let Some(ip) = real_ip {
            request
                .headers_mut()
                .insert("x-real-ip", HeaderValue::from_str(ip).unwrap());
        }
        client(&request)
    }

    #[test]
    fn x_real_ip_is_believed_only_from_this_machine() {
        assert_eq!(
            from("127.0.0.1:5000", Some("198.51.100.7")),
            IpAddr::from([198, 51, 100, 7])
        );
        assert_eq!(
            from("203.0.113.9:5000", Some("198.51.100.7")),
            IpAddr::from([203, 0, 113, 9])
        );
    }

    #[test]
    fn an_ipv6_address_counts_by_its_64_bit_prefix() {
        assert_eq!(
            from("[2001:db8:1:2:aaaa:bbbb:cccc:dddd]:5000", None),
            "2001:db8:1:2::".parse::<IpAddr>().unwrap()
        );
    }

    #[test]
    fn the_limit_counts_per_address_and_zero_turns_it_off() {
        let mut limiter = Limiter::new();
        let a = IpAddr::from([192, 0, 2, 1]);
        let b = IpAddr::from([192, 0, 2, 2]);
        assert!(limiter.allow(a, 2));
        assert!(limiter.allow(a, 2));
        assert!(!limiter.allow(a, 2));
        assert!(limiter.allow(b, 2));
        assert!(limiter.allow(a, 0));
    }

    #[test]
    fn the_limit_remembers_a_bounded_number_of_addresses() {
        let mut limiter = Limiter::new();
        for i in 0..MAX_ADDRESSES as u32 {
            assert!(limiter.allow(IpAddr::from(i.to_be_bytes()), 10));
        }
        assert!(!limiter.allow(IpAddr::from([255, 255, 255, 255]), 10));
        assert_eq!(limiter.counts.len(), MAX_ADDRESSES);
    }
}
