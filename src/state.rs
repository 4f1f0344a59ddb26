//! Shared application state: the loaded site.

use std::sync::Arc;

use crate::site::Site;

/// What every handler can see: the site, read-only.
#[derive(Clone)]
pub struct AppState {
    site: Arc<Site>,
}

impl AppState {
    /// State serving `site`.
    pub fn new(site: Site) -> Self {
        Self {
            site: Arc::new(site),
        }
    }

    /// The site being served.
    pub fn site(&self) -> &Site {
        &self.site
    }
}
