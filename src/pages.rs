//! Page templates: one small struct per page, rendered once at load.

use std::collections::HashMap;

use askama::Template;
use axum::body::Bytes;
use time::Date;
use time::macros::format_description;

use crate::config::SiteConfig;
use crate::site::Article;

/// Every page of the site as bytes, keyed by URL path.
pub struct Rendered {
    /// Home and article pages by path.
    pub pages: HashMap<String, Bytes>,
    /// 404 page.
    pub not_found: Bytes,
    /// 405 page.
    pub method_not_allowed: Bytes,
    /// 500 page.
    pub error_page: Bytes,
}

/// `24 November 2026`, the way GOV.UK writes dates.
pub fn long_date(date: &Date) -> String {
    date.format(format_description!(
        "[day padding:none] [month repr:long] [year]"
    ))
    .unwrap_or_else(|_| date.to_string())
}

/// `2026-11-24`, for `<time datetime>`.
pub fn iso_date(date: &Date) -> String {
    date.to_string()
}

#[derive(Template)]
#[template(path = "home.html")]
struct HomePage<'a> {
    config: &'a SiteConfig,
    articles: &'a [Article],
}

#[derive(Template)]
#[template(path = "article.html")]
struct ArticlePage<'a> {
    config: &'a SiteConfig,
    article: &'a Article,
    related: Vec<&'a Article>,
    linked_from: Vec<&'a Article>,
}

#[derive(Template)]
#[template(path = "status.html")]
struct StatusPage<'a> {
    config: &'a SiteConfig,
    heading: &'a str,
    message: &'a str,
    articles: &'a [Article],
}

/// Renders every page of the site.
pub fn render(config: &SiteConfig, articles: &[Article]) -> Result<Rendered, askama::Error> {
    let by_slug: HashMap<&str, &Article> = articles.iter().map(|a| (a.slug.as_str(), a)).collect();
    let pick = |slugs: &[String]| -> Vec<&Article> {
        slugs
            .iter()
            .filter_map(|s| by_slug.get(s.as_str()).copied())
            .collect()
    };
    let mut pages = HashMap::with_capacity(articles.len() + 1);
    pages.insert(
        "/".to_string(),
        HomePage { config, articles }.render()?.into(),
    );
    for article in articles {
        let page = ArticlePage {
            config,
            article,
            related: pick(&article.related),
            linked_from: pick(&article.linked_from),
        };
        pages.insert(article.url(), page.render()?.into());
    }
    let status =
        |heading: &str, message: &str, articles: &[Article]| -> Result<Bytes, askama::Error> {
            Ok(StatusPage {
                config,
                heading,
                message,
                articles,
            }
            .render()?
            .into())
        };
    Ok(Rendered {
        pages,
        not_found: status(
            "Page not found",
            "We could not find a page at this address. It may have been mistyped, or the page may have moved.",
            articles,
        )?,
        method_not_allowed: status(
            "That request is not supported",
            "This site only serves pages to read. Go back to the home page to find what you were looking for.",
            &[],
        )?,
        error_page: status(
            "Sorry, something went wrong",
            "There is a problem on our side. Please try again in a few minutes.",
            &[],
        )?,
    })
}
