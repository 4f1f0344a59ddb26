//! Model to prepared bytes: every page rendered through its template,
//! compressed and tagged once at load, plus the feed, the sitemap, icons,
//! static files and preview cards. Nothing here knows about HTTP requests;
//! `serve` only chooses among what this prepares.
//!
//! May use: `config`, `error`, `fingerprint`, `markdown`, `content`, `site`.

pub mod deadlines;
pub mod encoding;
pub mod letters;
pub mod pages;
pub mod prepared;
pub mod preview;
pub mod search;
pub mod share;

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, OnceLock};

use crate::config::SiteConfig;
use crate::error::Problem;
use crate::fingerprint::fingerprint;
use crate::site::{Site, host};
use prepared::{IMMUTABLE, Prepared, REVALIDATE};

/// The site ready to serve: the model and every response prepared from it.
#[derive(Debug)]
pub struct Pages {
    /// The model it was rendered from.
    pub site: Site,
    /// Every fixed URL the site answers (pages, feed, sitemap, icons,
    /// static files) with its prepared body.
    pub responses: HashMap<String, Prepared>,
    /// Preview cards by URL path.
    pub previews: HashMap<String, Preview>,
    /// Each article's preview card path, by slug.
    pub images: HashMap<String, String>,
    /// The 404 page.
    pub not_found: Prepared,
    /// The page for a request the site will not serve (405, 413, 414, 431).
    pub unsupported: Prepared,
    /// The page for feedback sent too often (429).
    pub too_many: Prepared,
    /// The page for a fault of ours.
    pub error_page: Prepared,
}

impl Pages {
    /// Adds `extra` to the headers of every prepared response, so that a
    /// response built from one carries them already. Responses that share
    /// a media type, a `Cache-Control` and encodings share one map.
    pub fn add_headers(&mut self, extra: &[(http::HeaderName, http::HeaderValue)]) {
        let mut shared: HashMap<(&'static str, &'static str, bool), Arc<http::HeaderMap>> =
            HashMap::new();
        let Pages {
            responses,
            not_found,
            unsupported,
            too_many,
            error_page,
            ..
        } = self;
        let every = responses
            .values_mut()
            .chain([not_found, unsupported, too_many, error_page]);
        for prepared in every {
            let key = (
                prepared.content_type,
                prepared.cache_control,
                prepared.varies(),
            );
            let headers = shared.entry(key).or_insert_with(|| {
                let mut headers = (*prepared.headers).clone();
                for (name, value) in extra {
                    headers.insert(name.clone(), value.clone());
                }
                Arc::new(headers)
            });
            prepared.headers = headers.clone();
        }
    }
}

/// A link-preview card, drawn on first request and then kept.
#[derive(Debug)]
pub struct Preview {
    title: String,
    site_name: String,
    footer: String,
    png: OnceLock<Option<Prepared>>,
}

impl Preview {
    fn new(title: &str, config: &SiteConfig) -> Self {
        Self {
            title: title.to_string(),
            site_name: config.title.clone(),
            footer: host(&config.base_url).to_string(),
            png: OnceLock::new(),
        }
    }

    /// The path it is served at: changes whenever what it shows changes.
    fn path(&self, name: &str) -> String {
        let key = format!(
            "{}\n{}\n{}\n{}",
            preview::DESIGN_VERSION,
            self.title,
            self.site_name,
            self.footer
        );
        format!("/preview/{name}.{}.png", &fingerprint(key.as_bytes())[..12])
    }

    /// The PNG, drawn once. `None` only if encoding failed.
    pub fn png(&self) -> Option<Prepared> {
        self.png
            .get_or_init(|| {
                preview::card(&self.title, &self.site_name, &self.footer)
                    .map(|png| Prepared::new(png, "image/png", IMMUTABLE))
                    .map_err(|e| {
                        tracing::error!("drawing the preview of {:?} failed: {e}", self.title);
                    })
                    .ok()
            })
            .clone()
    }
}

/// Renders and prepares everything `site` serves.
pub fn render(mut site: Site) -> Result<Pages, Problem> {
    let config = &site.config;
    let mut previews = HashMap::new();
    let mut images = HashMap::with_capacity(site.articles.len());
    for article in &site.articles {
        let preview = Preview::new(&article.title, config);
        let path = preview.path(&article.slug);
        images.insert(article.slug.clone(), path.clone());
        previews.insert(path, preview);
    }
    let home_preview = Preview::new(&config.tagline, config);
    let home_image = home_preview.path("home");
    previews.insert(home_image.clone(), home_preview);

    // The bodies move into the pages; the model keeps what serving needs.
    let bodies: Vec<String> = site
        .articles
        .iter_mut()
        .map(|article| std::mem::take(&mut article.body_html))
        .collect();
    let config = &site.config;
    let rendered = pages::render(
        config,
        &site.articles,
        bodies,
        &images,
        &home_image,
        &site.asset_urls,
        &pages::Extras {
            route: site.route.as_ref(),
            help: site.help.as_ref(),
            pages: &site.pages,
            topics: &site.topics,
            glossary: site.glossary.as_ref(),
        },
    )
    .map_err(|e| {
        Problem::new(
            Path::new("templates"),
            1,
            format!("a template failed to render: {e}"),
        )
    })?;
    let mut responses = rendered.responses;
    if let Some(found) = &site.letters {
        let failed = |e: askama::Error| {
            Problem::new(
                Path::new("templates"),
                1,
                format!("a letter page failed to render: {e}"),
            )
        };
        let effort = encoding::Effort::for_pages(site.articles.len() + 1);
        responses.insert(
            "/letters".to_string(),
            Prepared::html(letters::index(&site, found).map_err(failed)?, effort),
        );
        for letter in found.iter() {
            responses.insert(
                format!("/letters/{}", letter.slug),
                Prepared::html(letters::form(&site, letter, None).map_err(failed)?, effort),
            );
        }
    }
    for asset in &site.assets {
        let kind = content_type(&asset.key);
        let prepared = Prepared::new(asset.body.clone(), kind, REVALIDATE);
        let immutable = prepared.clone().with_cache_control(IMMUTABLE);
        responses.insert(asset.url(), prepared);
        responses.insert(asset.hashed_url.clone(), immutable);
    }
    for (path, size) in [("/favicon.ico", 32), ("/apple-touch-icon.png", 180)] {
        let png = preview::icon(size).map_err(|e| {
            Problem::new(Path::new(path), 1, format!("drawing the icon failed: {e}"))
        })?;
        responses.insert(
            path.to_string(),
            Prepared::new(png, "image/png", "public, max-age=86400"),
        );
    }
    Ok(Pages {
        site,
        responses,
        previews,
        images,
        not_found: rendered.not_found,
        unsupported: rendered.unsupported,
        too_many: rendered.too_many,
        error_page: rendered.error_page,
    })
}

/// The media type for a file name, by its extension.
pub fn content_type(name: &str) -> &'static str {
    match name
        .rsplit_once('.')
        .map(|(_, ext)| ext.to_ascii_lowercase())
        .as_deref()
    {
        Some("css") => "text/css; charset=utf-8",
        Some("js") => "text/javascript; charset=utf-8",
        Some("svg") => "image/svg+xml",
        Some("png") => "image/png",
        Some("jpg" | "jpeg") => "image/jpeg",
        Some("webp") => "image/webp",
        Some("ico") => "image/x-icon",
        Some("txt") => "text/plain; charset=utf-8",
        Some("woff2") => "font/woff2",
        _ => "application/octet-stream",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_types_carry_charset_for_text() {
        assert_eq!(content_type("site.css"), "text/css; charset=utf-8");
        assert_eq!(content_type("ICON.PNG"), "image/png");
        assert_eq!(content_type("x"), "application/octet-stream");
    }
}
