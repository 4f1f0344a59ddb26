//! Page templates: one small struct per page, rendered once at load.

use std::collections::HashMap;

use askama::Template;
use serde_json::json;
use time::Date;
use time::macros::format_description;

use super::encoding::Effort;
use super::prepared::{ERROR, Prepared, REVALIDATE};
use super::preview;
use super::share::{self, ShareLink};
use crate::config::SiteConfig;
use crate::site::glossary::{self, Glossary, Term};
use crate::site::help::{Help, Org};
use crate::site::route::{self, Route, Step};
use crate::site::topics::{self, Topic};
use crate::site::{Article, AssetUrls, SitePage, help};

/// Every page of the site, keyed by URL path.
pub struct Rendered {
    /// Home, articles, feed, sitemap and robots.txt by path.
    pub responses: HashMap<String, Prepared>,
    /// 404 page.
    pub not_found: Prepared,
    /// Page for a request the site will not serve (405, 414, 431).
    pub unsupported: Prepared,
    /// The page for feedback sent too often (429).
    pub too_many: Prepared,
    /// 500 page.
    pub error_page: Prepared,
}

/// `24 November 2026`, the way GOV.UK writes dates.
pub fn long_date(date: &Date) -> String {
    date.format(format_description!(
        "[day padding:none] [month repr:long] [year]"
    ))
    .unwrap_or_else(|_| date.to_string())
}

/// `2026-11-24`, for `<time datetime>` and sitemaps.
pub fn iso_date(date: &Date) -> String {
    date.to_string()
}

/// A date as an RFC 3339 timestamp at midnight UTC, for feeds and Open Graph.
pub fn timestamp(date: &Date) -> String {
    format!("{date}T00:00:00Z")
}

/// A preview image, as meta tags describe it.
pub struct Image {
    /// Absolute URL.
    pub url: String,
    /// What it shows, for readers who cannot see it.
    pub alt: String,
}

/// What goes in a page's `<head>` besides the stylesheet.
pub struct Meta {
    /// The `<title>`.
    pub title: String,
    /// The headline for previews (without the site name).
    pub headline: String,
    /// Page description and preview text.
    pub description: String,
    /// Absolute canonical URL; none for error pages.
    pub canonical: Option<String>,
    /// Open Graph type: `website` or `article`.
    pub og_type: &'static str,
    /// Preview image.
    pub image: Option<Image>,
    /// Published and modified timestamps for articles.
    pub times: Option<(String, String)>,
    /// Structured data, already escaped for a `<script>` block.
    pub json_ld: Option<String>,
}

impl Meta {
    /// Preview image width, for `og:image:width`.
    pub fn image_width(&self) -> u32 {
        preview::WIDTH
    }

    /// Preview image height, for `og:image:height`.
    pub fn image_height(&self) -> u32 {
        preview::HEIGHT
    }
}

#[derive(Template)]
#[template(path = "home.html")]
struct HomePage<'a> {
    config: &'a SiteConfig,
    assets: &'a AssetUrls,
    meta: Meta,
    articles: &'a [Article],
}

#[derive(Template)]
#[template(path = "article.html")]
struct ArticlePage<'a> {
    config: &'a SiteConfig,
    assets: &'a AssetUrls,
    meta: Meta,
    article: &'a Article,
    /// The article's body as HTML, produced and sanitised by the model.
    body: &'a str,
    related: Vec<&'a Article>,
    linked_from: Vec<&'a Article>,
    share: Vec<ShareLink>,
    part_of: Option<PartOf<'a>>,
}

/// The "Part of" box: the route step an article belongs to, with its
/// neighbours.
struct PartOf<'a> {
    route: &'a str,
    step: &'a Step,
    previous: Option<&'a Step>,
    next: Option<&'a Step>,
}

impl<'a> PartOf<'a> {
    fn for_article(route: Option<&'a Route>, slug: &str) -> Option<Self> {
        let route = route?;
        let index = route.step_of(slug)?;
        Some(PartOf {
            route: &route.title,
            step: &route.steps[index],
            previous: index.checked_sub(1).map(|i| &route.steps[i]),
            next: route.steps.get(index + 1),
        })
    }
}

#[derive(Template)]
#[template(path = "route.html")]
struct RoutePage<'a> {
    config: &'a SiteConfig,
    assets: &'a AssetUrls,
    meta: Meta,
    route: &'a Route,
    articles: &'a [Article],
}

impl RoutePage<'_> {
    /// The served articles that belong to `step`, in the step's order.
    fn articles_of(&self, step: &Step) -> Vec<&Article> {
        step.articles
            .iter()
            .filter_map(|slug| self.articles.iter().find(|a| &a.slug == slug))
            .collect()
    }
}

#[derive(Template)]
#[template(path = "help.html")]
struct HelpPage<'a> {
    config: &'a SiteConfig,
    assets: &'a AssetUrls,
    meta: Meta,
    help: &'a Help,
}

impl HelpPage<'_> {
    /// The anchor of an organisation's entry, from its name.
    fn org_id(&self, org: &Org) -> String {
        crate::markdown::slugify(&org.name)
    }
}

#[derive(Template)]
#[template(path = "page.html")]
struct PlainPage<'a> {
    config: &'a SiteConfig,
    assets: &'a AssetUrls,
    meta: Meta,
    page: &'a SitePage,
}

#[derive(Template)]
#[template(path = "topics.html")]
struct TopicsPage<'a> {
    config: &'a SiteConfig,
    assets: &'a AssetUrls,
    meta: Meta,
    topics: &'a [Topic],
}

#[derive(Template)]
#[template(path = "topic.html")]
struct TopicPage<'a> {
    config: &'a SiteConfig,
    assets: &'a AssetUrls,
    meta: Meta,
    topic: &'a Topic,
    articles: Vec<&'a Article>,
}

#[derive(Template)]
#[template(path = "glossary.html")]
struct GlossaryPage<'a> {
    config: &'a SiteConfig,
    assets: &'a AssetUrls,
    meta: Meta,
    letters: Vec<char>,
    groups: Vec<(char, Vec<GlossaryEntry<'a>>)>,
}

/// A term as the glossary page shows it: its `see` links with the text of
/// the sections they lead to.
struct GlossaryEntry<'a> {
    term: &'a Term,
    see: Vec<(String, String)>,
}

/// The words of a link to `/slug#id`: the heading's text and the article's
/// title, or the path itself for a page that is not an article.
fn section_label(href: &str, by_slug: &HashMap<&str, &Article>) -> String {
    let (path, fragment) = href.split_once('#').unwrap_or((href, ""));
    let Some(article) = by_slug.get(path.trim_start_matches('/')) else {
        return path.to_string();
    };
    let heading = article
        .toc
        .iter()
        .flat_map(|e| std::iter::once(e).chain(&e.children))
        .find(|e| e.id == fragment);
    match heading {
        Some(entry) => format!("{} ({})", entry.text, article.title),
        None => article.title.clone(),
    }
}

/// The glossary's terms grouped by letter, A–Z.
fn glossary_groups<'a>(
    glossary: Option<&'a Glossary>,
    by_slug: &HashMap<&str, &Article>,
) -> Vec<(char, Vec<GlossaryEntry<'a>>)> {
    let mut groups: Vec<(char, Vec<GlossaryEntry<'a>>)> = Vec::new();
    for term in glossary.iter().flat_map(|g| &g.terms) {
        let entry = GlossaryEntry {
            term,
            see: term
                .see
                .iter()
                .map(|href| (href.clone(), section_label(href, by_slug)))
                .collect(),
        };
        match groups.last_mut() {
            Some((letter, entries)) if *letter == term.letter() => entries.push(entry),
            _ => groups.push((term.letter(), vec![entry])),
        }
    }
    groups
}

/// What the site serves besides articles: the route, the help list and
/// plain pages, each optional.
pub struct Extras<'a> {
    /// The step-by-step route.
    pub route: Option<&'a Route>,
    /// The free help list.
    pub help: Option<&'a Help>,
    /// Plain pages from `content/pages`.
    pub pages: &'a [SitePage],
    /// Every topic, A–Z.
    pub topics: &'a [Topic],
    /// The glossary, if there is one.
    pub glossary: Option<&'a Glossary>,
}

#[derive(Template)]
#[template(path = "privacy.html")]
struct PrivacyPage<'a> {
    config: &'a SiteConfig,
    assets: &'a AssetUrls,
    meta: Meta,
}

#[derive(Template)]
#[template(path = "status.html")]
struct StatusPage<'a> {
    config: &'a SiteConfig,
    assets: &'a AssetUrls,
    meta: Meta,
    heading: &'a str,
    message: &'a str,
    articles: &'a [Article],
    back: Option<(&'a str, &'a str)>,
}

#[derive(Template)]
#[template(path = "feed.xml")]
struct Feed<'a> {
    config: &'a SiteConfig,
    updated: String,
    entries: Vec<FeedEntry<'a>>,
}

struct FeedEntry<'a> {
    article: &'a Article,
    content: Option<String>,
}

#[derive(Template)]
#[template(path = "sitemap.xml")]
struct Sitemap<'a> {
    config: &'a SiteConfig,
    updated: String,
    articles: &'a [Article],
    /// Pages that are not articles (the route, help, plain pages): their
    /// absolute URLs, which have no review date of their own.
    others: Vec<String>,
}

/// JSON for a `<script type="application/ld+json">` block: `<` is escaped
/// so no string in it can close the script element.
fn script_json(value: &serde_json::Value) -> String {
    value.to_string().replace('<', "\\u003c")
}

fn article_meta(config: &SiteConfig, article: &Article, image_path: &str) -> Meta {
    let base = &config.base_url;
    let image_url = format!("{base}{image_path}");
    let kind = match article.kind {
        crate::content::Kind::Guide => "Article",
        crate::content::Kind::News => "NewsArticle",
    };
    let data = json!([
        {
            "@context": "https://schema.org",
            "@type": kind,
            "headline": article.title,
            "description": article.summary,
            "datePublished": iso_date(&article.published),
            "dateModified": iso_date(&article.reviewed),
            "inLanguage": "en-GB",
            "image": [image_url],
            "mainEntityOfPage": { "@type": "WebPage", "@id": article.canonical },
            "author": { "@type": "Organization", "name": config.title, "url": format!("{base}/") },
            "publisher": { "@type": "Organization", "name": config.title, "url": format!("{base}/") },
        },
        {
            "@context": "https://schema.org",
            "@type": "BreadcrumbList",
            "itemListElement": [
                { "@type": "ListItem", "position": 1, "name": "Home", "item": format!("{base}/") },
                { "@type": "ListItem", "position": 2, "name": article.title, "item": article.canonical },
            ],
        },
    ]);
    Meta {
        title: format!("{} | {}", article.title, config.title),
        headline: article.title.clone(),
        description: article.summary.clone(),
        canonical: Some(article.canonical.clone()),
        og_type: "article",
        image: Some(Image {
            url: image_url,
            alt: format!("{} – {}", article.title, config.title),
        }),
        times: Some((timestamp(&article.published), timestamp(&article.reviewed))),
        json_ld: Some(script_json(&data)),
    }
}

/// Meta for a page of the site's own that is not an article.
fn page_meta(config: &SiteConfig, path: &str, heading: &str, description: &str) -> Meta {
    Meta {
        title: format!("{heading} | {}", config.title),
        headline: heading.to_string(),
        description: description.to_string(),
        canonical: Some(format!("{}{path}", config.base_url)),
        og_type: "website",
        image: None,
        times: None,
        json_ld: None,
    }
}

fn home_meta(config: &SiteConfig, image_path: &str) -> Meta {
    let base = &config.base_url;
    let data = json!({
        "@context": "https://schema.org",
        "@type": "WebSite",
        "name": config.title,
        "description": config.tagline,
        "url": format!("{base}/"),
        "inLanguage": "en-GB",
    });
    Meta {
        title: format!("{}: {}", config.title, config.tagline),
        headline: config.title.clone(),
        description: config.tagline.clone(),
        canonical: Some(format!("{base}/")),
        og_type: "website",
        image: Some(Image {
            url: format!("{base}{image_path}"),
            alt: format!("{} – {}", config.title, config.tagline),
        }),
        times: None,
        json_ld: Some(script_json(&data)),
    }
}

fn status_meta(config: &SiteConfig, heading: &str, message: &str) -> Meta {
    Meta {
        title: format!("{heading} | {}", config.title),
        headline: heading.to_string(),
        description: message.to_string(),
        canonical: None,
        og_type: "website",
        image: None,
        times: None,
        json_ld: None,
    }
}

/// Makes an article's links absolute, for feed readers that show it
/// away from the site.
fn absolute_links(html: &str, base: &str, slug: &str) -> String {
    html.replace("href=\"/", &format!("href=\"{base}/"))
        .replace("href=\"#", &format!("href=\"{base}/{slug}#"))
        .replace("src=\"/", &format!("src=\"{base}/"))
}

/// RFC 9116 `security.txt`: who to tell about a vulnerability. It expires
/// a year after `today`, so a site left unmaintained stops vouching for it.
pub fn security_txt(config: &SiteConfig, today: Date) -> String {
    let expires = today
        .checked_add(time::Duration::days(365))
        .unwrap_or(today);
    format!(
        "Contact: {}\nExpires: {}\nPreferred-Languages: en\nCanonical: {}/.well-known/security.txt\n",
        config.security_contact,
        timestamp(&expires),
        config.base_url
    )
}

/// The 404 page suggests this many of the newest articles.
pub const NOT_FOUND_SUGGESTIONS: usize = 8;
/// The feed carries the full text of this many of the newest articles.
pub const FEED_FULL_TEXT: usize = 20;

/// Maps `items` through `work` on every core, keeping their order.
/// Rendering and compressing pages is most of a load's time.
fn in_parallel<T: Send, R: Send>(items: Vec<T>, work: &(dyn Fn(T) -> R + Sync)) -> Vec<R> {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    if threads < 2 || items.len() < 2 {
        return items.into_iter().map(work).collect();
    }
    let chunk = items.len().div_ceil(threads);
    let mut parts: Vec<Vec<T>> = Vec::with_capacity(threads);
    let mut rest = items.into_iter();
    loop {
        let part: Vec<T> = rest.by_ref().take(chunk).collect();
        if part.is_empty() {
            break;
        }
        parts.push(part);
    }
    std::thread::scope(|scope| {
        let handles: Vec<_> = parts
            .into_iter()
            .map(|part| scope.spawn(move || part.into_iter().map(work).collect::<Vec<R>>()))
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
            .collect()
    })
}

/// Renders every page of the site.
///
/// `bodies` are the articles' bodies as HTML, in the order of `articles`.
/// Each is dropped as soon as its page is written, so a large site never
/// holds every body and every page at once.
pub fn render(
    config: &SiteConfig,
    articles: &[Article],
    bodies: Vec<String>,
    images: &HashMap<String, String>,
    home_image: &str,
    assets: &AssetUrls,
    extras: &Extras<'_>,
) -> Result<Rendered, askama::Error> {
    let by_slug: HashMap<&str, &Article> = articles.iter().map(|a| (a.slug.as_str(), a)).collect();
    let pick = |slugs: &[String]| -> Vec<&Article> {
        slugs
            .iter()
            .filter_map(|s| by_slug.get(s.as_str()).copied())
            .collect()
    };
    let updated = articles
        .iter()
        .map(|a| a.reviewed)
        .max()
        .unwrap_or(Date::MIN);
    let mut responses = HashMap::with_capacity(articles.len() + 4);
    let home = HomePage {
        config,
        assets,
        meta: home_meta(config, home_image),
        articles,
    };
    let effort = Effort::for_pages(articles.len() + 1);
    responses.insert("/".to_string(), Prepared::html(home.render()?, effort));
    // The newest articles' full text for the feed, taken before the
    // bodies are handed to the pages that drop them.
    let feed_text: Vec<String> = articles
        .iter()
        .zip(&bodies)
        .take(FEED_FULL_TEXT)
        .map(|(article, body)| absolute_links(body, &config.base_url, &article.slug))
        .collect();
    let render_article =
        |(article, body): (&Article, String)| -> Result<(String, Prepared), askama::Error> {
            let page = ArticlePage {
                config,
                assets,
                meta: article_meta(
                    config,
                    article,
                    images.get(&article.slug).map_or("", String::as_str),
                ),
                article,
                body: &body,
                related: pick(&article.related),
                linked_from: pick(&article.linked_from),
                share: share::links(&article.canonical, &article.title),
                part_of: PartOf::for_article(extras.route, &article.slug),
            };
            Ok((article.url(), Prepared::html(page.render()?, effort)))
        };
    for page in in_parallel(articles.iter().zip(bodies).collect(), &render_article) {
        let (path, prepared) = page?;
        responses.insert(path, prepared);
    }
    if let Some(route) = extras.route {
        let page = RoutePage {
            config,
            assets,
            meta: page_meta(
                config,
                route::PATH,
                &format!("{}: step by step", route.title),
                &route.summary,
            ),
            route,
            articles,
        };
        responses.insert(
            route::PATH.to_string(),
            Prepared::html(page.render()?, effort),
        );
    }
    if let Some(help) = extras.help {
        let page = HelpPage {
            config,
            assets,
            meta: page_meta(
                config,
                help::PATH,
                "Get free help",
                "Organisations that give free help or information about child maintenance in England, Wales and Scotland.",
            ),
            help,
        };
        responses.insert(
            help::PATH.to_string(),
            Prepared::html(page.render()?, effort),
        );
    }
    for plain in extras.pages {
        let path = format!("/{}", plain.slug);
        let page = PlainPage {
            config,
            assets,
            meta: page_meta(config, &path, &plain.title, &plain.summary),
            page: plain,
        };
        responses.insert(path, Prepared::html(page.render()?, effort));
    }
    let list = TopicsPage {
        config,
        assets,
        meta: page_meta(
            config,
            topics::PATH,
            "Topics",
            "Every subject the articles cover, with the articles on each.",
        ),
        topics: extras.topics,
    };
    responses.insert(
        topics::PATH.to_string(),
        Prepared::html(list.render()?, effort),
    );
    let render_topic = |topic: &Topic| -> Result<(String, Prepared), askama::Error> {
        let articles = pick(&topic.articles);
        let page = TopicPage {
            config,
            assets,
            meta: page_meta(
                config,
                &topic.url(),
                &format!("Topic: {}", topic.title()),
                &format!(
                    "{} article{} about {}.",
                    articles.len(),
                    if articles.len() == 1 { "" } else { "s" },
                    topic.name
                ),
            ),
            topic,
            articles,
        };
        Ok((topic.url(), Prepared::html(page.render()?, effort)))
    };
    for page in in_parallel(extras.topics.iter().collect(), &render_topic) {
        let (path, prepared) = page?;
        responses.insert(path, prepared);
    }
    let groups = glossary_groups(extras.glossary, &by_slug);
    let glossary_page = GlossaryPage {
        config,
        assets,
        meta: page_meta(
            config,
            glossary::PATH,
            "Glossary",
            "Plain-English meanings of the legal and Child Maintenance Service words our articles use.",
        ),
        letters: groups.iter().map(|(letter, _)| *letter).collect(),
        groups,
    };
    responses.insert(
        glossary::PATH.to_string(),
        Prepared::html(glossary_page.render()?, effort),
    );
    let feed = Feed {
        config,
        updated: timestamp(&updated),
        // Every article is listed; the newest carry their full text, so
        // the feed stays small however large the site grows.
        entries: {
            let mut text = feed_text.into_iter();
            articles
                .iter()
                .map(|article| FeedEntry {
                    article,
                    content: text.next(),
                })
                .collect()
        },
    };
    responses.insert(
        "/feed.xml".to_string(),
        Prepared::with_effort(
            feed.render()?,
            "application/atom+xml; charset=utf-8",
            REVALIDATE,
            effort,
        ),
    );
    let mut others: Vec<String> = Vec::new();
    if extras.route.is_some() {
        others.push(format!("{}{}", config.base_url, route::PATH));
    }
    if extras.help.is_some() {
        others.push(format!("{}{}", config.base_url, help::PATH));
    }
    others.extend(extras.pages.iter().map(|p| p.canonical.clone()));
    others.push(format!("{}{}", config.base_url, topics::PATH));
    others.extend(
        extras
            .topics
            .iter()
            .map(|t| format!("{}{}", config.base_url, t.url())),
    );
    if extras.glossary.is_some() {
        others.push(format!("{}{}", config.base_url, glossary::PATH));
    }
    let sitemap = Sitemap {
        config,
        updated: iso_date(&updated),
        articles,
        others,
    };
    responses.insert(
        "/sitemap.xml".to_string(),
        Prepared::with_effort(
            sitemap.render()?,
            "application/xml; charset=utf-8",
            REVALIDATE,
            effort,
        ),
    );
    responses.insert(
        "/robots.txt".to_string(),
        Prepared::new(
            format!(
                "User-agent: *\nAllow: /\n\nSitemap: {}/sitemap.xml\n",
                config.base_url
            ),
            "text/plain; charset=utf-8",
            REVALIDATE,
        ),
    );
    responses.insert(
        "/.well-known/security.txt".to_string(),
        Prepared::new(
            security_txt(config, time::OffsetDateTime::now_utc().date()),
            "text/plain; charset=utf-8",
            REVALIDATE,
        ),
    );
    let privacy = PrivacyPage {
        config,
        assets,
        meta: Meta {
            canonical: Some(format!("{}/privacy", config.base_url)),
            ..status_meta(
                config,
                "Privacy: what this site keeps",
                "What this site records when you use it, and what it does not: no cookies, no trackers, and feedback kept only as long as it says.",
            )
        },
    };
    responses.insert(
        "/privacy".to_string(),
        Prepared::html(privacy.render()?, effort),
    );
    responses.insert(
        "/healthz".to_string(),
        Prepared::new("ok\n", "text/plain; charset=utf-8", "no-store"),
    );
    let status =
        |heading: &str, message: &str, articles: &[Article]| -> Result<Prepared, askama::Error> {
            let page = StatusPage {
                config,
                assets,
                meta: status_meta(config, heading, message),
                heading,
                message,
                articles,
                back: None,
            };
            Ok(Prepared::new(
                page.render()?,
                "text/html; charset=utf-8",
                ERROR,
            ))
        };
    Ok(Rendered {
        responses,
        not_found: status(
            "Page not found",
            "We could not find a page at this address. It may have been mistyped, or the page may have moved.",
            &articles[..articles.len().min(NOT_FOUND_SUGGESTIONS)],
        )?,
        unsupported: status(
            "That request is not supported",
            "This site only serves pages to read. Go back to the home page to find what you were looking for.",
            &[],
        )?,
        too_many: status(
            "Please wait a minute",
            "We have had several answers from your connection in the last minute. Wait a minute, then go back and send yours again.",
            &[],
        )?,
        error_page: status(
            "Sorry, something went wrong",
            "There is a problem on our side. Please try again in a few minutes.",
            &[],
        )?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn script_json_cannot_close_its_script_element() {
        let out = script_json(&json!({ "headline": "</script><script>alert(1)</script>" }));
        assert!(!out.contains("</"), "{out}");
        let back: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert_eq!(back["headline"], "</script><script>alert(1)</script>");
    }

    #[test]
    fn feed_links_are_made_absolute() {
        let html =
            r##"<a href="/other">x</a> <a href="#fn:1">1</a> <a href="https://gov.uk/">g</a>"##;
        let out = absolute_links(html, "https://e.org", "this");
        assert!(out.contains(r#"href="https://e.org/other""#), "{out}");
        assert!(out.contains(r#"href="https://e.org/this#fn:1""#), "{out}");
        assert!(out.contains(r#"href="https://gov.uk/""#), "{out}");
    }

    #[test]
    fn in_parallel_keeps_order() {
        let items: Vec<usize> = (0..100).collect();
        let out = in_parallel(items, &|n| n * 2);
        assert_eq!(out, (0..100).map(|n| n * 2).collect::<Vec<_>>());
    }

    #[test]
    fn dates_are_written_for_readers_and_machines() {
        let d = Date::from_calendar_date(2023, time::Month::March, 10).unwrap();
        assert_eq!(long_date(&d), "10 March 2023");
        assert_eq!(iso_date(&d), "2023-03-10");
        assert_eq!(timestamp(&d), "2023-03-10T00:00:00Z");
    }
}
