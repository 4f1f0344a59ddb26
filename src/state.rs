//! Shared application state: the site being served, swappable whole.

use std::sync::Arc;

use arc_swap::ArcSwap;

use crate::site::Site;

/// What every handler can see: the site, read-only. A reload swaps in a new
/// site atomically; a request holds the `Arc` it started with, so it sees
/// the old site or the new one, never a mix.
#[derive(Clone)]
pub struct AppState {
    site: Arc<ArcSwap<Site>>,
}

impl AppState {
    /// State serving `site`.
    pub fn new(site: Site) -> Self {
        Self {
            site: Arc::new(ArcSwap::from_pointee(site)),
        }
    }

    /// The site being served now.
    pub fn site(&self) -> Arc<Site> {
        self.site.load_full()
    }

    /// The site being served now, without taking a reference count: for
    /// work that ends before the caller next awaits.
    pub fn current(&self) -> arc_swap::Guard<Arc<Site>> {
        self.site.load()
    }

    /// Serves `site` from now on.
    pub fn replace(&self, site: Site) {
        self.site.store(Arc::new(site));
    }
}
