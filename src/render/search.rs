//! The `/search` page, rendered per request from what the index found.
//! The query reaches the page only through askama's escaping: in the box,
//! in "no results for", never in the title, a link or a log.

use askama::Template;

use super::pages::Meta;
use crate::config::SiteConfig;
use crate::site::search::{Hit, MAX_QUERY_CHARS, MAX_QUERY_WORDS, Results};
use crate::site::{AssetUrls, Site};

/// Hits shown on the page: the best ones; a reader with more to look
/// through is asked to add words.
pub const SHOWN: usize = 20;

/// Searches a reader can start from on the empty page; each finds
/// sections in the site's own articles (a test checks it).
pub const EXAMPLES: &[&str] = &[
    "mandatory reconsideration",
    "tribunal appeal",
    "complaint",
    "judicial review",
];

#[derive(Template)]
#[template(path = "search.html")]
struct SearchPage<'a> {
    config: &'a SiteConfig,
    assets: &'a AssetUrls,
    meta: Meta,
    /// What the reader typed, cut to what was read; empty for the bare page.
    query: &'a str,
    hits: &'a [Hit<'a>],
    total: usize,
    shortened: bool,
    examples: &'a [&'a str],
    max_chars: usize,
    max_words: usize,
    shown: usize,
}

impl SearchPage<'_> {
    /// The link to a hit: its article, at its heading when it has one.
    fn href(&self, hit: &Hit<'_>) -> String {
        match hit.anchor {
            Some(anchor) => format!("/{}#{anchor}", hit.slug),
            None => format!("/{}", hit.slug),
        }
    }

    /// A link that searches for `words`.
    fn search_href(&self, words: &str) -> String {
        let mut query = form_urlencoded::Serializer::new(String::new());
        query.append_pair("q", words);
        format!("/search?{}", query.finish())
    }
}

fn meta(config: &SiteConfig, title: &str) -> Meta {
    Meta {
        title: format!("{title} | {}", config.title),
        headline: title.to_string(),
        description: "Search the articles: each result links to the part of the page it came from."
            .to_string(),
        // No canonical URL: the layout then adds `noindex`, as results
        // pages must never be indexed.
        canonical: None,
        og_type: "website",
        image: None,
        times: None,
        json_ld: None,
    }
}

/// The page for `query` (already cut to [`MAX_QUERY_CHARS`]) and what the
/// index found for it; an empty query gets the page with suggestions.
pub fn page(site: &Site, query: &str, results: &Results<'_>) -> Result<String, askama::Error> {
    // The query is not put in the title: the tab and the history list are
    // seen by whoever picks up the phone next.
    let title = if query.trim().is_empty() {
        "Search"
    } else {
        "Search results"
    };
    SearchPage {
        config: &site.config,
        assets: &site.asset_urls,
        meta: meta(&site.config, title),
        query,
        hits: &results.hits,
        total: results.total,
        shortened: results.shortened,
        examples: EXAMPLES,
        max_chars: MAX_QUERY_CHARS,
        max_words: MAX_QUERY_WORDS,
        shown: SHOWN,
    }
    .render()
}
