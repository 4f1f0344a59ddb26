//! Shared application state: the site being served, swappable whole, and
//! the feedback store with its in-memory rate limit. Nothing else.

use std::sync::Arc;

use arc_swap::ArcSwap;

use super::feedback::Feedback;
use super::middleware::security_header_list;
use crate::render::Pages;

/// What every handler can see: the site, read-only, and where feedback
/// goes. A reload swaps in a new site atomically; a request holds the `Arc`
/// it started with, so it sees the old site or the new one, never a mix.
#[derive(Clone)]
pub struct AppState {
    pages: Arc<ArcSwap<Pages>>,
    feedback: Option<Arc<Feedback>>,
}

impl AppState {
    /// State serving `pages`, with no feedback store (`/feedback` answers
    /// 503).
    pub fn new(pages: Pages) -> Self {
        Self {
            pages: Arc::new(ArcSwap::from_pointee(with_policy_headers(pages))),
            feedback: None,
        }
    }

    /// The same site, keeping feedback in `feedback`.
    pub fn with_feedback(self, feedback: Feedback) -> Self {
        Self {
            feedback: Some(Arc::new(feedback)),
            ..self
        }
    }

    /// Where feedback goes, if anywhere.
    pub fn feedback(&self) -> Option<&Arc<Feedback>> {
        self.feedback.as_ref()
    }

    /// The site being served now.
    pub fn pages(&self) -> Arc<Pages> {
        self.pages.load_full()
    }

    /// The site being served now, without taking a reference count: for
    /// work that ends before the caller next awaits.
    pub fn current(&self) -> arc_swap::Guard<Arc<Pages>> {
        self.pages.load()
    }

    /// Serves `pages` from now on.
    pub fn replace(&self, pages: Pages) {
        self.pages.store(Arc::new(with_policy_headers(pages)));
    }
}

/// `pages` with the security headers already in every prepared response,
/// set once here rather than inserted by the policy layers on every
/// request (they still add them to any response made per request).
fn with_policy_headers(mut pages: Pages) -> Pages {
    let https = pages.site.config.base_url.starts_with("https://");
    pages.add_headers(&security_header_list(https, false));
    pages
}
