//! Shared application state: the site being served, swappable whole.

use std::sync::Arc;

use arc_swap::ArcSwap;

use crate::render::Pages;

/// What every handler can see: the site, read-only. A reload swaps in a new
/// site atomically; a request holds the `Arc` it started with, so it sees
/// the old site or the new one, never a mix.
#[derive(Clone)]
pub struct AppState {
    pages: Arc<ArcSwap<Pages>>,
}

impl AppState {
    /// State serving `pages`.
    pub fn new(pages: Pages) -> Self {
        Self {
            pages: Arc::new(ArcSwap::from_pointee(pages)),
        }
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
        self.pages.store(Arc::new(pages));
    }
}
