//! One function from the author's files to a site ready to serve, used by
//! the CLI, live reload and the tests alike.

use crate::config::SiteConfig;
use crate::error::LoadError;
use crate::render::{self, Pages};
use crate::site::{LoadOptions, Site};

/// Reads, checks, cross-links and renders everything. Reports every
/// problem found, not only the first.
pub fn load(config: SiteConfig, options: &LoadOptions) -> Result<Pages, LoadError> {
    let site = Site::build(config, options)?;
    Ok(render::render(site)?)
}
