#![allow(clippy::unwrap_used)]
//! Integration tests: the real site (and a few fixture sites) loaded with
//! `Site::load` and driven through the real router with `oneshot`, no socket.
//!
//! Each test is named for the behaviour it specifies. Expectations about the
//! real content are derived from what `Site::load` returns, never copied from
//! the articles, so editing an article does not break a test.

use std::collections::{BTreeSet, HashMap, HashSet, VecDeque};
use std::path::{Path, PathBuf};

use advice_site::config::{Overrides, SiteConfig};
use advice_site::content::Kind;
use advice_site::error::{LoadError, Problem};
use advice_site::load::load as load_site;
use advice_site::serve::{self, AppState};
use advice_site::site::LoadOptions;
use axum::body::{Body, Bytes};
use axum::http::{HeaderMap, Method, Request, StatusCode, header};
use http_body_util::BodyExt;
use time::format_description::well_known::Rfc3339;
use tower::ServiceExt;

const HTML: &str = "text/html; charset=utf-8";

// ---------------------------------------------------------------------------
// Loading and requesting
// ---------------------------------------------------------------------------

/// A path below the crate root.
fn manifest(relative: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(relative)
}

fn real_config() -> SiteConfig {
    SiteConfig::load(&manifest("site.toml"), &Overrides::default()).unwrap()
}

/// Loads the real configuration with the articles in `content` (relative to
/// the crate root) and the real static folder.
fn try_load(content: &str, drafts: bool) -> Result<advice_site::render::Pages, LoadError> {
    let options = LoadOptions {
        content_dir: manifest(content),
        static_dir: manifest("static"),
        drafts,
    };
    load_site(real_config(), &options)
}

fn load(content: &str, drafts: bool) -> AppState {
    match try_load(content, drafts) {
        Ok(site) => AppState::new(site),
        Err(err) => panic!("{content} did not load:\n{err}"),
    }
}

/// The real site, and the router serving it. Loaded once per test binary:
/// the site is read-only, and loading (with brotli at quality 11) is the
/// slowest part of most tests.
/// The application as the tests drive it: the real stack, boxed so that
/// helpers can name its type.
type App = tower::util::BoxCloneSyncService<
    axum::http::Request<Body>,
    axum::http::Response<serve::ResponseBody>,
    std::convert::Infallible,
>;

/// The application serving `state`.
fn app_for(state: AppState) -> App {
    App::new(serve::app(state))
}

fn real_site() -> (AppState, App) {
    static REAL: std::sync::OnceLock<AppState> = std::sync::OnceLock::new();
    let state = REAL.get_or_init(|| load("content", false)).clone();
    let app = app_for(state.clone());
    (state, app)
}

/// Sends one request with an empty body through the router; the body as sent.
async fn request_bytes(app: &App, method: Method, path: &str) -> (StatusCode, HeaderMap, Bytes) {
    let req = Request::builder()
        .method(method)
        .uri(path)
        .body(Body::empty())
        .unwrap();
    let response = app.clone().oneshot(req).await.unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    (status, headers, bytes)
}

/// Sends one request with an empty body through the router; the body as text.
async fn request(app: &App, method: Method, path: &str) -> (StatusCode, HeaderMap, String) {
    let (status, headers, bytes) = request_bytes(app, method, path).await;
    // Images come back too; most tests only read text out of bodies.
    let body = String::from_utf8_lossy(&bytes).into_owned();
    (status, headers, body)
}

async fn get(app: &App, path: &str) -> (StatusCode, HeaderMap, String) {
    request(app, Method::GET, path).await
}

/// GETs `path`, insisting on a 200 HTML page.
async fn page(app: &App, path: &str) -> String {
    let (status, headers, body) = get(app, path).await;
    assert_eq!(status, StatusCode::OK, "GET {path}");
    assert_eq!(content_type(&headers), HTML, "GET {path}");
    body
}

fn content_type(headers: &HeaderMap) -> &str {
    headers
        .get(header::CONTENT_TYPE)
        .map_or("", |v| v.to_str().unwrap())
}

// ---------------------------------------------------------------------------
// Reading HTML: just enough for the site's own, predictable markup
// ---------------------------------------------------------------------------

/// Every value of attribute `name` (written ` name="..."`), entities decoded.
fn attr_values(html: &str, name: &str) -> Vec<String> {
    let needle = format!(" {name}=\"");
    let mut values = Vec::new();
    let mut rest = html;
    while let Some(i) = rest.find(&needle) {
        rest = &rest[i + needle.len()..];
        let end = rest.find('"').unwrap();
        values.push(decode(&rest[..end]));
        rest = &rest[end..];
    }
    values
}

fn ids(html: &str) -> HashSet<String> {
    attr_values(html, "id").into_iter().collect()
}

/// Decodes the character references an HTML escaper writes.
fn decode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find('&') {
        out.push_str(&rest[..i]);
        rest = &rest[i..];
        let decoded = rest.find(';').and_then(|end| {
            let name = &rest[1..end];
            let c = match name {
                "amp" => Some('&'),
                "lt" => Some('<'),
                "gt" => Some('>'),
                "quot" => Some('"'),
                "apos" => Some('\''),
                _ => match name.strip_prefix('#') {
                    Some(hex) if hex.starts_with(['x', 'X']) => u32::from_str_radix(&hex[1..], 16)
                        .ok()
                        .and_then(char::from_u32),
                    Some(dec) => dec.parse().ok().and_then(char::from_u32),
                    None => None,
                },
            };
            c.map(|c| (c, end))
        });
        match decoded {
            Some((c, end)) => {
                out.push(c);
                rest = &rest[end + 1..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// The text from the first `start` up to the next `end` after it, exclusive.
fn between<'a>(html: &'a str, start: &str, end: &str) -> Option<&'a str> {
    let from = html.find(start)? + start.len();
    let to = from + html[from..].find(end)?;
    Some(&html[from..to])
}

/// The article's own body as the page shows it: from the body wrapper up to
/// the share block that follows it.
fn body_of(html: &str) -> &str {
    between(
        html,
        "<div class=\"article-body\">",
        "<section class=\"share\"",
    )
    .expect("the page has an article body followed by the share block")
}

/// A `<nav>` introduced by the heading with `id`, or `None` if the page has none.
fn nav_labelled<'a>(html: &'a str, id: &str) -> Option<&'a str> {
    between(html, &format!("aria-labelledby=\"{id}\">"), "</nav>")
}

/// Slugs of the article links (`href="/<slug>"`) in `html`, in order.
fn linked_slugs(html: &str) -> Vec<String> {
    attr_values(html, "href")
        .into_iter()
        .filter_map(|href| {
            let path = href.split('#').next().unwrap_or("");
            let slug = path.strip_prefix('/')?;
            (!slug.is_empty() && !slug.contains('/')).then(|| slug.to_string())
        })
        .collect()
}

/// Every real tag in `html` (text that starts with a literal `<`), lower-cased.
fn tags(html: &str) -> Vec<String> {
    let mut found = Vec::new();
    let mut rest = html;
    while let Some(i) = rest.find('<') {
        rest = &rest[i..];
        let end = rest.find('>').map_or(rest.len(), |e| e + 1);
        found.push(rest[..end].to_ascii_lowercase());
        rest = &rest[end..];
    }
    found
}

// ---------------------------------------------------------------------------
// The real site over HTTP
// ---------------------------------------------------------------------------

#[tokio::test]
async fn home_lists_every_article_newest_first() {
    let (state, app) = real_site();
    let pages = state.pages();
    let site = &pages.site;
    assert!(!site.articles.is_empty(), "the real site has articles");
    let home = page(&app, "/").await;

    let mut shown: Vec<(usize, &str)> = site
        .articles
        .iter()
        .map(|a| {
            let at = home
                .find(&format!("href=\"/{}\"", a.slug))
                .unwrap_or_else(|| panic!("/ has no link to /{}", a.slug));
            (at, a.slug.as_str())
        })
        .collect();
    shown.sort_unstable();
    let dates: Vec<_> = shown
        .iter()
        .map(|(_, slug)| (site.article(slug).unwrap().published, *slug))
        .collect();
    assert!(
        dates.windows(2).all(|w| w[0].0 >= w[1].0),
        "home is not newest first: {dates:?}"
    );
}

#[tokio::test]
async fn every_article_answers_200_with_its_title_in_h1_and_title_tag() {
    let (state, app) = real_site();
    let pages = state.pages();
    let site = &pages.site;
    for article in &site.articles {
        let html = page(&app, &article.url()).await;
        assert_eq!(html.matches("<h1").count(), 1, "{}: one h1", article.slug);
        let h1 = between(&html, "<h1>", "</h1>").unwrap();
        assert!(
            !h1.contains('<'),
            "{}: h1 is not plain text: {h1}",
            article.slug
        );
        assert_eq!(decode(h1), article.title, "{}: h1", article.slug);
        let title = between(&html, "<title>", "</title>").unwrap();
        assert!(!title.contains('<'), "{}: title: {title}", article.slug);
        assert_eq!(
            decode(title),
            format!("{} | {}", article.title, site.config.title),
            "{}: title tag",
            article.slug
        );
    }
}

#[tokio::test]
async fn crawl_from_home_finds_no_broken_link_or_anchor() {
    let (state, app) = real_site();
    // Pages by path, with the ids each one has.
    let mut crawled: HashMap<String, HashSet<String>> = HashMap::new();
    // (page it was on, href as written) for every fragment link.
    let mut fragments: Vec<(String, String)> = Vec::new();
    let mut queue = VecDeque::from(["/".to_string()]);
    let mut seen = HashSet::from(["/".to_string()]);
    while let Some(path) = queue.pop_front() {
        let (status, headers, body) = get(&app, &path).await;
        assert_eq!(status, StatusCode::OK, "GET {path}");
        if content_type(&headers) != HTML {
            continue;
        }
        let links = attr_values(&body, "href")
            .into_iter()
            .chain(attr_values(&body, "src"));
        for link in links {
            if link.starts_with("//") {
                panic!("{path} links off-site without a scheme: {link}");
            }
            if !(link.starts_with('/') || link.starts_with('#')) {
                continue;
            }
            let target = link.split('#').next().unwrap();
            if link.contains('#') {
                fragments.push((path.clone(), link.clone()));
            }
            if !target.is_empty() && seen.insert(target.to_string()) {
                queue.push_back(target.to_string());
            }
        }
        crawl_ids(&mut crawled, &path, &body);
    }
    for (on, href) in &fragments {
        let (target, fragment) = href.split_once('#').unwrap();
        let target = if target.is_empty() { on } else { target };
        let ids = crawled
            .get(target)
            .unwrap_or_else(|| panic!("{on} links to {href}, which is not an HTML page"));
        assert!(
            ids.contains(fragment),
            "{on} links to {href}, but {target} has no id=\"{fragment}\""
        );
    }
    let articles = state.pages().site.articles.len();
    assert!(
        crawled.len() > articles,
        "crawled {} pages, expected at least {} (home and every article)",
        crawled.len(),
        articles + 1
    );
}

fn crawl_ids(crawled: &mut HashMap<String, HashSet<String>>, path: &str, body: &str) {
    let ids = attr_values(body, "id");
    let unique: HashSet<String> = ids.iter().cloned().collect();
    assert_eq!(unique.len(), ids.len(), "{path} repeats an id: {ids:?}");
    crawled.insert(path.to_string(), unique);
}

#[tokio::test]
async fn every_article_has_support_link_disclaimer_dates_related_and_footnotes_both_ways() {
    let (state, app) = real_site();
    let pages = state.pages();
    let site = &pages.site;
    let support = format!("href=\"{}\"", site.config.support.url);
    let mut footnotes_seen = 0;
    for a in &site.articles {
        let html = page(&app, &a.url()).await;
        let slug = &a.slug;

        // The support link follows the body, before the page footer's own copy.
        let body_at = html
            .find("<div class=\"article-body\">")
            .expect("the body is on the page");
        let body_end = body_at
            + html[body_at..]
                .find("<section class=\"share\"")
                .expect("the share links follow the body");
        let after_body = &html[body_end..];
        let before_footer = &after_body[..after_body.find("<footer").unwrap()];
        assert!(
            before_footer.contains(&support),
            "{slug}: no {support} after the body"
        );
        assert!(
            before_footer.contains("general information, not legal advice"),
            "{slug}: no disclaimer after the body"
        );

        let header = between(&html, "<header class=\"article-header\">", "</header>").unwrap();
        let dates: Vec<_> = attr_values(header, "datetime");
        assert_eq!(
            dates,
            [a.published.to_string(), a.reviewed.to_string()],
            "{slug}: published and reviewed <time datetime> in the header"
        );
        assert_eq!(header.matches("<time datetime=").count(), 2, "{slug}");

        match nav_labelled(&html, "related") {
            Some(nav) => {
                let listed: BTreeSet<String> = linked_slugs(nav).into_iter().collect();
                let wanted: BTreeSet<String> = a.related.iter().cloned().collect();
                assert_eq!(listed, wanted, "{slug}: related articles");
            }
            None => assert!(a.related.is_empty(), "{slug}: no related section"),
        }

        let body = body_of(&html);
        let page_ids = ids(&html);
        let hrefs = attr_values(body, "href");
        for href in hrefs.iter().filter(|h| h.starts_with("#fn:")) {
            assert!(page_ids.contains(&href[1..]), "{slug}: {href} has no note");
        }
        let notes: Vec<&str> = body.split("<li id=\"fn:").skip(1).collect();
        for note in &notes {
            let item = &note[..note.find("</li>").unwrap()];
            let number = &item[..item.find('"').unwrap()];
            let backs: Vec<String> = attr_values(item, "href")
                .into_iter()
                .filter(|h| h.starts_with("#fnref:"))
                .collect();
            assert!(!backs.is_empty(), "{slug}: note {number} has no link back");
            for back in backs {
                assert!(
                    page_ids.contains(&back[1..]),
                    "{slug}: note {number} links back to {back}, which is not on the page"
                );
            }
            assert!(
                hrefs.contains(&format!("#fn:{number}")),
                "{slug}: note {number} is never cited"
            );
        }
        footnotes_seen += notes.len();
    }
    assert!(footnotes_seen > 0, "the real articles cite sources");
}

#[tokio::test]
async fn long_articles_show_a_contents_list() {
    let (state, app) = real_site();
    let flagship = page(&app, "/can-you-sue-the-cms").await;
    assert!(
        flagship.contains("<nav class=\"contents\""),
        "the flagship guide opens with a contents list"
    );
    for a in &state.pages().site.articles {
        let html = page(&app, &a.url()).await;
        let Some(contents) = between(&html, "<nav class=\"contents\"", "</nav>") else {
            continue;
        };
        let page_ids = ids(&html);
        let entries: Vec<String> = attr_values(contents, "href");
        for entry in &entries {
            let id = entry.strip_prefix('#').unwrap();
            assert!(page_ids.contains(id), "{}: contents entry {entry}", a.slug);
        }
        // Every section the author wrote is listed, in order.
        let body = body_of(&html);
        let sections: Vec<String> = attr_values(body, "id")
            .into_iter()
            .filter(|id| {
                [2, 3]
                    .iter()
                    .any(|n| body.contains(&format!("<h{n} id=\"{id}\">")))
                    && !id.starts_with("fn:")
            })
            .map(|id| format!("#{id}"))
            .collect();
        assert_eq!(entries, sections, "{}: contents", a.slug);
    }
    // A one-paragraph article has nothing to list.
    let short = app_for(load("tests/fixtures/drafts", false));
    let html = page(&short, "/published").await;
    assert!(!html.contains("<nav class=\"contents\""), "{html}");
}

#[tokio::test]
async fn linked_from_lists_articles_that_link_here() {
    let (state, app) = real_site();
    let pages = state.pages();
    let site = &pages.site;
    let mut links_to: HashMap<String, HashSet<String>> = HashMap::new();
    let mut pages = HashMap::new();
    for a in &site.articles {
        let html = page(&app, &a.url()).await;
        links_to.insert(
            a.slug.clone(),
            linked_slugs(body_of(&html)).into_iter().collect(),
        );
        pages.insert(a.slug.clone(), html);
    }
    let mut any = false;
    for target in &site.articles {
        let expected: BTreeSet<String> = site
            .articles
            .iter()
            .filter(|s| s.slug != target.slug && links_to[&s.slug].contains(&target.slug))
            .map(|s| s.slug.clone())
            .collect();
        let shown: BTreeSet<String> = nav_labelled(&pages[&target.slug], "linked-from")
            .map(|nav| linked_slugs(nav).into_iter().collect())
            .unwrap_or_default();
        assert_eq!(shown, expected, "articles that link to {}", target.slug);
        any |= !expected.is_empty();
    }
    assert!(any, "the real articles link to each other");
}

#[tokio::test]
async fn unknown_path_gets_the_404_page() {
    let (_, app) = real_site();
    for path in ["/no-such-article", "/static/nope.css", "/a/b/c"] {
        let (status, headers, body) = get(&app, path).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "GET {path}");
        assert_eq!(content_type(&headers), HTML, "GET {path}");
        assert!(body.contains("Page not found"), "GET {path}: {body}");
        assert!(body.contains("href=\"/\""), "GET {path}: no link home");
    }
}

#[tokio::test]
async fn head_works_wherever_get_does() {
    let (state, app) = real_site();
    let article = state.pages().site.articles[0].url();
    for path in ["/", article.as_str(), "/static/site.css"] {
        let (get_status, get_headers, _) = get(&app, path).await;
        let (status, headers, body) = request(&app, Method::HEAD, path).await;
        assert_eq!(get_status, StatusCode::OK, "GET {path}");
        assert_eq!(status, StatusCode::OK, "HEAD {path}");
        assert_eq!(
            content_type(&headers),
            content_type(&get_headers),
            "HEAD {path}"
        );
        assert_eq!(body, "", "HEAD {path} has a body");
    }
}

#[tokio::test]
async fn post_gets_405_with_allow_header() {
    let (state, app) = real_site();
    let article = state.pages().site.articles[0].url();
    for path in ["/", article.as_str(), "/static/site.css"] {
        let (status, headers, body) = request(&app, Method::POST, path).await;
        assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED, "POST {path}");
        let allow: Vec<_> = headers.get_all(header::ALLOW).iter().collect();
        assert_eq!(allow, ["GET, HEAD"], "POST {path}: Allow");
        assert_eq!(content_type(&headers), HTML, "POST {path}");
        assert!(
            body.contains("That request is not supported"),
            "POST {path}"
        );
        assert!(body.contains("href=\"/\""), "POST {path}: no link home");
    }
}

#[tokio::test]
async fn static_stylesheet_is_served_with_css_type() {
    let (state, app) = real_site();
    let (status, headers, body) = get(&app, "/static/site.css").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(content_type(&headers), "text/css; charset=utf-8");
    assert!(!body.is_empty());
    // The file may be edited while tests run; it must still be CSS from disk.
    let on_disk = std::fs::read_to_string(manifest("static/site.css")).unwrap();
    assert_eq!(body.lines().next(), on_disk.lines().next());
    // Pages link the fingerprinted copy, which may be cached for a year.
    let hashed = state.pages().site.asset_urls.url("site.css");
    assert_ne!(hashed, "/static/site.css");
    let home = page(&app, "/").await;
    assert!(
        home.contains(&format!("href=\"{hashed}\"")),
        "home links the stylesheet"
    );
    let (status, headers, hashed_body) = get(&app, &hashed).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(hashed_body, body);
    assert!(
        headers[header::CACHE_CONTROL]
            .to_str()
            .unwrap()
            .contains("immutable")
    );
}

// ---------------------------------------------------------------------------
// Fixture sites
// ---------------------------------------------------------------------------

#[tokio::test]
async fn title_with_script_is_escaped() {
    let state = load("tests/fixtures/escaping", false);
    let app = app_for(state.clone());
    let article = &state.pages().site.articles[0];
    assert!(article.title.contains("<script>"), "the fixture is hostile");
    for path in ["/".to_string(), article.url(), "/no-such-page".to_string()] {
        let (_, _, html) = get(&app, &path).await;
        let tags = tags(&html);
        // The only scripts are the site's own: structured data, share.js,
        // exit.js and feedback.js.
        let script = |name: &str| {
            format!(
                "<script src=\"{}\" defer>",
                state.pages().site.asset_urls.url(name)
            )
        };
        let (share_js, exit_js, feedback_js) =
            (script("share.js"), script("exit.js"), script("feedback.js"));
        let ours = [
            "<script type=\"application/ld+json\">",
            share_js.as_str(),
            exit_js.as_str(),
            feedback_js.as_str(),
        ];
        let openings: Vec<&String> = tags.iter().filter(|t| t.starts_with("<script")).collect();
        let closings = tags.iter().filter(|t| t.starts_with("</script")).count();
        assert_eq!(
            openings.len(),
            closings,
            "{path}: a script element was opened or closed early"
        );
        for tag in &tags {
            assert!(
                !tag.starts_with("<script") || ours.contains(&tag.as_str()),
                "{path}: a script tag got through: {tag}"
            );
            assert!(!tag.contains("onerror"), "{path}: {tag}");
            assert!(!tag.starts_with("<img"), "{path}: {tag}");
            assert!(!tag.starts_with("<b>"), "{path}: {tag}");
        }
    }
    let html = page(&app, &article.url()).await;
    let h1 = between(&html, "<h1>", "</h1>").unwrap();
    assert_eq!(decode(h1), article.title);
    let description = between(&html, "<meta name=\"description\" content=\"", "\">").unwrap();
    assert_eq!(decode(description), article.summary, "attribute escaping");
    // The raw HTML is shown to the reader as text, not dropped.
    assert!(
        html.contains("&lt;img src=x onerror=alert(1)&gt;"),
        "{html}"
    );
}

#[tokio::test]
async fn drafts_are_hidden_unless_asked_for() {
    let draft = "/unfinished";
    let state = load("tests/fixtures/drafts", false);
    let app = app_for(state);
    let (status, _, not_found) = get(&app, draft).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(
        !not_found.contains(&format!("href=\"{draft}\"")),
        "404 page offers the draft"
    );
    let home = page(&app, "/").await;
    assert!(home.contains("href=\"/published\""));
    assert!(
        !home.contains(&format!("href=\"{draft}\"")),
        "home lists the draft"
    );

    let app = app_for(load("tests/fixtures/drafts", true));
    let html = page(&app, draft).await;
    assert!(html.contains("(draft)"), "a served draft is labelled");
    let home = page(&app, "/").await;
    assert!(home.contains(&format!("href=\"{draft}\"")));
}

/// Every mistake in `tests/fixtures/broken`, one per file: (file, line,
/// parts of the message that say what is wrong and what to do). A missing
/// field has no line of its own, so it is reported on the first line of the
/// front matter; problems with the file as a whole are reported on line 1.
#[rustfmt::skip]
const BROKEN: &[(&str, usize, &[&str])] = &[
    ("Capitals.md", 1, &["file name `Capitals` is not a usable URL", "rename it to lower-case words joined by hyphens"]),
    ("bad-date.md", 4, &["invalid date, expected day between 01 and 28"]),
    ("duplicate-id.md", 12, &["heading id `same` is used twice", "choose another"]),
    ("javascript-link.md", 12, &["link target `javascript:alert(1)` is not allowed", "use an https:// or mailto: address"]),
    ("missing-anchor.md", 12, &["link `#imagined` points to no heading in this article"]),
    ("missing-field.md", 2, &["missing field `summary`", "add it to the front matter"]),
    ("missing-heading.md", 12, &["broken link `target.md#nowhere`", "has no heading with id `nowhere`; its ids are: real"]),
    ("missing-link.md", 12, &["broken link `no-such-article.md`", "no file no-such-article.md", "check the spelling"]),
    ("missing-related.md", 7, &["related: there is no article `no-such-related`", "check the spelling"]),
    ("no-fence.md", 1, &["an article must begin with a line `+++`, then its front matter, then another `+++`"]),
    ("quoted-date.md", 4, &["expected a TOML datetime", "write dates bare, without quotes"]),
    ("static.md", 1, &["the URL /static belongs to the site itself", "rename the file"]),
    ("sub/dup.md", 1, &["duplicate slug `dup`", "rename one of them"]),
    ("unclosed.md", 1, &["never closed", "add a line `+++` after it"]),
    ("unknown-field.md", 7, &["unknown field `author`", "remove it, or correct its spelling"]),
    ("unknown-kind.md", 6, &["unknown variant `blog`, expected `guide` or `news`"]),
];

#[test]
fn each_load_error_names_its_file_and_line() {
    let err = try_load("tests/fixtures/broken", false).unwrap_err();
    let dir = manifest("tests/fixtures/broken");
    let listing = err.to_string();
    for (file, line, fragments) in BROKEN {
        let path = dir.join(file);
        let found = err.problems.iter().any(|p| {
            p.file == path && p.line == *line && fragments.iter().all(|f| p.message.contains(f))
        });
        assert!(
            found,
            "expected {}:{line}: ...{fragments:?}...\ngot:\n{listing}",
            path.display()
        );
    }
    assert_eq!(
        err.problems.len(),
        BROKEN.len(),
        "one problem per mistake, none for the valid files:\n{listing}"
    );
    // The duplicate names the file it clashes with.
    let dup = err
        .problems
        .iter()
        .find(|p| p.file.ends_with("sub/dup.md"))
        .unwrap();
    assert!(
        dup.message
            .contains(&dir.join("dup.md").display().to_string()),
        "{dup}"
    );
}

#[test]
fn check_command_passes_on_real_content_and_fails_on_broken() {
    let run = run_cli;
    let ok = run(&["check"]);
    assert!(
        ok.status.success(),
        "check failed on the real content:\n{}",
        String::from_utf8_lossy(&ok.stderr)
    );

    let bad = run(&["--content", "tests/fixtures/broken", "check"]);
    assert!(!bad.status.success(), "check passed on broken content");
    let stderr = String::from_utf8(bad.stderr).unwrap();
    for (file, line, fragments) in BROKEN {
        let prefix = format!("tests/fixtures/broken/{file}:{line}: ");
        assert!(
            stderr
                .lines()
                .any(|l| l.starts_with(&prefix) && fragments.iter().all(|f| l.contains(f))),
            "no line `{prefix}...{fragments:?}` in:\n{stderr}"
        );
    }
    assert!(
        stderr.contains(&format!("{} problems found", BROKEN.len())),
        "{stderr}"
    );
}

/// A configuration file in the temp folder, removed when dropped.
struct TempConfig(PathBuf);

impl TempConfig {
    fn new(name: &str, text: &str) -> Self {
        let path = std::env::temp_dir().join(format!(
            "advice-site-test-{}-{name}.toml",
            std::process::id()
        ));
        std::fs::write(&path, text).unwrap();
        Self(path)
    }
}

impl Drop for TempConfig {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

const CONFIG: &str = r#"title = "T"
tagline = "Tag"
base_url = "https://example.org"
footer = "F"

[support]
url = "https://example.org/support"
line = "Support us."
label = "Support"
"#;

#[test]
fn a_broken_site_toml_names_its_line() {
    let text = CONFIG.replace("footer = \"F\"\n", "footer = \"F\"\ncolour = \"red\"\n");
    let config = TempConfig::new("unknown-key", &text);
    let problem: Problem = SiteConfig::load(&config.0, &Overrides::default()).unwrap_err();
    assert_eq!(problem.file, config.0);
    assert_eq!(problem.line, 5, "{problem}");
    assert!(
        problem.message.contains("unknown field `colour`"),
        "{problem}"
    );
    assert!(
        problem
            .message
            .contains("remove it, or correct its spelling"),
        "{problem}"
    );
}

// ---------------------------------------------------------------------------
// Known bugs: each test states the behaviour wanted and is ignored until fixed
// ---------------------------------------------------------------------------

#[test]
fn a_link_to_a_missing_site_path_is_a_load_error() {
    let err = match try_load("tests/fixtures/site-path-link", false) {
        Ok(_) => panic!("a link to /no-such-page loaded without a problem"),
        Err(err) => err,
    };
    let file = manifest("tests/fixtures/site-path-link/linker.md");
    assert!(
        err.problems
            .iter()
            .any(|p| p.file == file && p.line == 12 && p.message.contains("/no-such-page")),
        "{err}"
    );
}

#[test]
fn a_missing_same_page_anchor_lists_the_ids_it_could_mean() {
    let err = try_load("tests/fixtures/broken", false).unwrap_err();
    let problem = err
        .problems
        .iter()
        .find(|p| p.file.ends_with("missing-anchor.md"))
        .unwrap();
    assert!(problem.message.contains("only-heading"), "{problem}");
}

#[test]
fn a_missing_site_toml_setting_is_not_called_front_matter() {
    let config = TempConfig::new("missing-key", &CONFIG.replace("footer = \"F\"\n", ""));
    let problem = SiteConfig::load(&config.0, &Overrides::default()).unwrap_err();
    assert!(
        problem.message.contains("missing field `footer`"),
        "{problem}"
    );
    assert!(!problem.message.contains("front matter"), "{problem}");
}

// ---------------------------------------------------------------------------
// Sharing: canonical URLs, link previews, share links, redirects, feed,
// sitemap and icons, as a crawler, a chat app or a feed reader sees them
// ---------------------------------------------------------------------------

/// The page's `<head>`.
fn head_of(html: &str) -> &str {
    between(html, "<head>", "</head>").expect("the page has a <head>")
}

/// Every opening tag `<name ...>` in `html`, as written. Attribute values
/// are escaped, so the first `>` ends the tag.
fn elements<'a>(html: &'a str, name: &str) -> Vec<&'a str> {
    html.match_indices(&format!("<{name} "))
        .map(|(at, _)| {
            let rest = &html[at..];
            &rest[..rest.find('>').map_or(rest.len(), |end| end + 1)]
        })
        .collect()
}

/// The value of attribute `name` on one tag, decoded.
fn attr(tag: &str, name: &str) -> Option<String> {
    attr_values(tag, name).into_iter().next()
}

/// The `href` of every `<link rel="{rel}">` in the page's head.
fn head_links(html: &str, rel: &str) -> Vec<String> {
    elements(head_of(html), "link")
        .into_iter()
        .filter(|tag| attr(tag, "rel").as_deref() == Some(rel))
        .filter_map(|tag| attr(tag, "href"))
        .collect()
}

/// Every `<meta property=... content=...>` and `<meta name=... content=...>`
/// in the page's head, by property or name, decoded. Each may appear once:
/// a scraper that meets two `og:title`s picks one we did not choose.
fn head_meta(html: &str) -> HashMap<String, String> {
    let mut found = HashMap::new();
    for tag in elements(head_of(html), "meta") {
        let key = attr(tag, "property").or_else(|| attr(tag, "name"));
        if let (Some(key), Some(content)) = (key, attr(tag, "content")) {
            assert!(
                found.insert(key.clone(), content).is_none(),
                "the head has two {key}"
            );
        }
    }
    found
}

/// `meta[key]`, or a failure naming the page and the missing key.
fn meta_value<'a>(meta: &'a HashMap<String, String>, key: &str, page: &str) -> &'a str {
    meta.get(key)
        .unwrap_or_else(|| panic!("{page}: no <meta> {key} in {meta:#?}"))
}

/// The width and height of a PNG, after decoding all of it.
fn png_size(bytes: &[u8], what: &str) -> (u32, u32) {
    let decoder = png::Decoder::new(std::io::Cursor::new(bytes));
    let mut reader = decoder
        .read_info()
        .unwrap_or_else(|e| panic!("{what} is not a PNG: {e}"));
    let mut pixels = vec![0; reader.output_buffer_size().unwrap()];
    reader
        .next_frame(&mut pixels)
        .unwrap_or_else(|e| panic!("{what}: its pixels do not decode: {e}"));
    (reader.info().width, reader.info().height)
}

/// The site path of an absolute URL on this site.
fn site_path<'a>(url: &'a str, base: &str) -> &'a str {
    url.strip_prefix(base)
        .unwrap_or_else(|| panic!("{url} is not on this site ({base})"))
}

/// GETs `from`, insisting on one 301 to `to` that then answers 200.
async fn assert_redirects_once(app: &App, from: &str, to: &str) {
    let (status, headers, _) = get(app, from).await;
    assert_eq!(status, StatusCode::MOVED_PERMANENTLY, "GET {from}");
    let location = headers
        .get(header::LOCATION)
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_else(|| panic!("GET {from}: a 301 without Location"));
    assert_eq!(location, to, "GET {from}: Location");
    let (status, _, _) = get(app, &location).await;
    assert_eq!(
        status,
        StatusCode::OK,
        "GET {from} → {location} is not a single hop to a page"
    );
}

#[tokio::test]
async fn every_page_has_an_absolute_canonical_url() {
    let (state, app) = real_site();
    let pages = state.pages();
    let site = &pages.site;
    let base = &site.config.base_url;
    assert!(base.starts_with("http"), "base_url {base} is absolute");
    let paths = std::iter::once("/".to_string()).chain(site.articles.iter().map(|a| a.url()));
    for path in paths {
        let html = page(&app, &path).await;
        assert_eq!(
            head_links(&html, "canonical"),
            [format!("{base}{path}")],
            "{path}: one canonical link, the absolute URL of the page"
        );
        let robots = head_meta(&html).remove("robots").unwrap_or_default();
        assert!(
            !robots.contains("noindex"),
            "{path}: a page to be found says robots {robots}"
        );
    }

    let (status, _, not_found) = get(&app, "/no-such-page").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(
        head_links(&not_found, "canonical"),
        Vec::<String>::new(),
        "the 404 page claims a canonical URL"
    );
    let meta = head_meta(&not_found);
    assert_eq!(meta_value(&meta, "robots", "404"), "noindex");
    assert!(!meta.contains_key("og:url"), "the 404 page has an og:url");
}

#[tokio::test]
async fn preview_tags_match_front_matter() {
    let (state, app) = real_site();
    let pages = state.pages();
    let site = &pages.site;
    let base = &site.config.base_url;
    let mut images = HashSet::new();
    for a in &site.articles {
        let html = page(&app, &a.url()).await;
        let meta = head_meta(&html);
        let m = |key: &str| meta_value(&meta, key, &a.slug);
        let canonical = format!("{base}{}", a.url());
        let slug = &a.slug;

        assert_eq!(m("og:title"), a.title, "{slug}: og:title");
        assert_eq!(m("og:description"), a.summary, "{slug}: og:description");
        assert_eq!(m("description"), a.summary, "{slug}: description");
        assert_eq!(m("og:url"), canonical, "{slug}: og:url");
        assert_eq!(m("og:type"), "article", "{slug}: og:type");
        assert_eq!(m("og:site_name"), site.config.title, "{slug}: og:site_name");
        assert_eq!(m("og:locale"), "en_GB", "{slug}: og:locale");
        for (key, date) in [
            ("article:published_time", a.published),
            ("article:modified_time", a.reviewed),
        ] {
            let value = m(key);
            assert!(
                value.starts_with(&date.to_string()),
                "{slug}: {key} {value} is not {date}"
            );
            assert!(
                time::OffsetDateTime::parse(value, &Rfc3339).is_ok(),
                "{slug}: {key} {value} is not an RFC 3339 timestamp"
            );
        }

        let image = m("og:image");
        assert!(
            image.starts_with(&format!("{base}/")),
            "{slug}: og:image {image} is not an absolute URL on {base}"
        );
        assert_eq!(m("og:image:type"), "image/png", "{slug}");
        assert_eq!(m("og:image:width"), "1200", "{slug}");
        assert_eq!(m("og:image:height"), "630", "{slug}");
        assert!(!m("og:image:alt").trim().is_empty(), "{slug}: og:image:alt");
        assert_eq!(m("twitter:card"), "summary_large_image", "{slug}");
        assert_eq!(m("twitter:title"), a.title, "{slug}: twitter:title");
        assert_eq!(m("twitter:image"), image, "{slug}: twitter:image");
        assert!(
            images.insert(image.to_string()),
            "{slug} shares its og:image with another page"
        );
    }

    let home = page(&app, "/").await;
    let meta = head_meta(&home);
    let m = |key: &str| meta_value(&meta, key, "/");
    assert_eq!(m("og:type"), "website");
    assert_eq!(m("og:url"), format!("{base}/"));
    assert_eq!(m("og:image:width"), "1200");
    assert_eq!(m("og:image:height"), "630");
    let image = m("og:image");
    assert!(
        image.starts_with(&format!("{base}/")),
        "home og:image {image}"
    );
    assert!(
        !images.contains(image),
        "home shows an article's preview image: {image}"
    );
}

#[tokio::test]
async fn json_ld_describes_each_article() {
    let (state, app) = real_site();
    let pages = state.pages();
    let site = &pages.site;
    let base = &site.config.base_url;
    let mut kinds = HashSet::new();
    for a in &site.articles {
        let html = page(&app, &a.url()).await;
        let slug = &a.slug;
        let canonical = format!("{base}{}", a.url());
        let script = between(
            head_of(&html),
            "<script type=\"application/ld+json\">",
            "</script>",
        )
        .unwrap_or_else(|| panic!("{slug}: no JSON-LD in the head"));
        let data: serde_json::Value = serde_json::from_str(script)
            .unwrap_or_else(|e| panic!("{slug}: JSON-LD does not parse: {e}\n{script}"));
        let items = data
            .as_array()
            .unwrap_or_else(|| panic!("{slug}: JSON-LD is not a list: {data}"));
        assert_eq!(items.len(), 2, "{slug}: the article and its breadcrumbs");

        let article = &items[0];
        let wanted = match a.kind {
            Kind::Guide => "Article",
            Kind::News => "NewsArticle",
        };
        kinds.insert(wanted);
        assert_eq!(article["@context"], "https://schema.org", "{slug}");
        assert_eq!(article["@type"], wanted, "{slug}: @type");
        assert_eq!(article["headline"], a.title.as_str(), "{slug}: headline");
        assert_eq!(
            article["datePublished"],
            a.published.to_string(),
            "{slug}: datePublished"
        );
        assert_eq!(
            article["dateModified"],
            a.reviewed.to_string(),
            "{slug}: dateModified"
        );
        assert_eq!(
            article["publisher"]["name"],
            site.config.title.as_str(),
            "{slug}: publisher"
        );
        assert_eq!(
            article["mainEntityOfPage"]["@id"],
            canonical.as_str(),
            "{slug}: mainEntityOfPage"
        );

        let crumbs = &items[1];
        assert_eq!(crumbs["@type"], "BreadcrumbList", "{slug}");
        let trail = crumbs["itemListElement"]
            .as_array()
            .unwrap_or_else(|| panic!("{slug}: breadcrumbs without items: {crumbs}"));
        let urls: Vec<&serde_json::Value> = trail.iter().map(|item| &item["item"]).collect();
        assert_eq!(
            urls,
            [
                &serde_json::json!(format!("{base}/")),
                &serde_json::json!(canonical)
            ],
            "{slug}: breadcrumbs go home, then here"
        );
        let positions: Vec<&serde_json::Value> = trail.iter().map(|i| &i["position"]).collect();
        assert_eq!(positions, [1, 2], "{slug}: breadcrumb positions");
    }
    assert_eq!(
        kinds.len(),
        2,
        "the real site has both guides and news, so both types are checked"
    );
}

#[tokio::test]
async fn preview_image_is_a_1200_by_630_png_with_long_caching() {
    let (state, app) = real_site();
    let pages = state.pages();
    let site = &pages.site;
    let base = &site.config.base_url;
    let pages = std::iter::once("/".to_string()).chain(site.articles.iter().map(|a| a.url()));
    let mut drawn = HashSet::new();
    for path in pages {
        let html = page(&app, &path).await;
        let meta = head_meta(&html);
        let image = site_path(meta_value(&meta, "og:image", &path), base).to_string();

        let (status, headers, first) = request_bytes(&app, Method::GET, &image).await;
        assert_eq!(status, StatusCode::OK, "{path}: GET {image}");
        assert_eq!(content_type(&headers), "image/png", "{path}: {image}");
        let cache = headers
            .get(header::CACHE_CONTROL)
            .map_or("", |v| v.to_str().unwrap());
        assert!(
            cache.contains("immutable") && cache.contains("max-age=31536000"),
            "{path}: {image} has Cache-Control `{cache}`"
        );
        assert_eq!(png_size(&first, &image), (1200, 630), "{path}: {image}");

        let (_, _, again) = request_bytes(&app, Method::GET, &image).await;
        assert!(first == again, "{path}: {image} changed between requests");
        assert!(
            drawn.insert(first),
            "{path}: {image} is the same picture as another page's"
        );
    }

    let made_up = format!("/preview/{}.png", site.articles[0].slug);
    for path in [
        made_up.as_str(),
        "/preview/no-such-article.0123456789ab.png",
    ] {
        let (status, headers, _) = get(&app, path).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "GET {path}");
        assert_eq!(content_type(&headers), HTML, "GET {path}");
    }
}

#[tokio::test]
async fn share_links_carry_the_title_and_url_without_tracking() {
    // (what the link text names, where the link goes, the query parameter
    // carrying the URL, the one carrying the title if the service takes one)
    #[rustfmt::skip]
    const SERVICES: &[(&str, &str, &str, Option<&str>)] = &[
        ("email", "mailto:", "body", Some("subject")),
        ("WhatsApp", "https://wa.me/", "text", Some("text")),
        ("Facebook", "https://www.facebook.com/", "u", None),
        ("X", "https://x.com/", "url", Some("text")),
        ("Bluesky", "https://bsky.app/", "text", Some("text")),
        ("LinkedIn", "https://www.linkedin.com/", "url", None),
    ];
    let (state, app) = real_site();
    let pages = state.pages();
    let site = &pages.site;
    for a in &site.articles {
        let html = page(&app, &a.url()).await;
        let slug = &a.slug;
        let canonical = format!("{}{}", site.config.base_url, a.url());
        let share = between(&html, "<section class=\"share\"", "</section>")
            .unwrap_or_else(|| panic!("{slug}: no share block"));

        // (opening tag, link text) for every link in the block.
        let links: Vec<(&str, &str)> = elements(share, "a")
            .into_iter()
            .map(|tag| {
                let after = &share[share.find(tag).unwrap() + tag.len()..];
                (tag, &after[..after.find("</a>").unwrap()])
            })
            .collect();
        for (name, prefix, url_param, title_param) in SERVICES {
            let found: Vec<&(&str, &str)> = links
                .iter()
                .filter(|(tag, _)| attr(tag, "href").is_some_and(|h| h.starts_with(prefix)))
                .collect();
            assert_eq!(found.len(), 1, "{slug}: one {name} link in {share}");
            let (tag, text) = found[0];
            let href = attr(tag, "href").unwrap();
            assert!(
                text.contains(name),
                "{slug}: the {name} link reads `{text}`"
            );
            assert!(!href.contains("utm_"), "{slug}: {href}");

            let raw = query_param(&href, url_param)
                .unwrap_or_else(|| panic!("{slug}: {href} has no {url_param}="));
            assert!(
                !raw.contains([':', '/', '?', '#', '&', ' ']),
                "{slug}: {url_param}= is not percent-encoded in {href}"
            );
            let carried = decode_percent(raw);
            assert!(
                carried.contains(&canonical),
                "{slug}: {name} {url_param}= carries `{carried}`, not {canonical}"
            );
            if let Some(title_param) = title_param {
                let title = query_param(&href, title_param).map(decode_percent);
                assert!(
                    title.as_deref().is_some_and(|t| t.contains(&a.title)),
                    "{slug}: {name} {title_param}= is {title:?}, not the title"
                );
            }
        }

        let copy: Vec<Option<String>> = elements(share, "input")
            .into_iter()
            .map(|tag| attr(tag, "value"))
            .collect();
        assert_eq!(copy, [Some(canonical.clone())], "{slug}: the copy box");

        // Without script: plain links work, and the buttons that need
        // script stay hidden rather than doing nothing.
        for tag in tags(share) {
            assert!(
                !tag.split_whitespace()
                    .any(|word| word.starts_with("on") && word.contains('=')),
                "{slug}: an event handler in the share block: {tag}"
            );
        }
        for (tag, _) in &links {
            let href = attr(tag, "href").unwrap();
            assert!(
                !href.starts_with('#') && !href.starts_with("javascript:"),
                "{slug}: a share link needs script: {tag}"
            );
            assert!(!href.contains("utm_"), "{slug}: {href}");
        }
        for button in elements(share, "button") {
            assert!(
                button.contains(" hidden"),
                "{slug}: a button that needs script shows without it: {button}"
            );
        }
    }
}

/// The raw value of query parameter `name` in `href`, still percent-encoded.
fn query_param<'a>(href: &'a str, name: &str) -> Option<&'a str> {
    let (_, query) = href.split_once('?')?;
    query
        .split('&')
        .find_map(|pair| pair.strip_prefix(name)?.strip_prefix('='))
}

fn decode_percent(text: &str) -> String {
    percent_encoding::percent_decode_str(text)
        .decode_utf8()
        .unwrap()
        .into_owned()
}

#[tokio::test]
async fn heading_links_give_shareable_section_urls() {
    let (state, app) = real_site();
    let mut headings = 0;
    for a in &state.pages().site.articles {
        let html = page(&app, &a.url()).await;
        // The site's own "Sources and notes" heading is not a section of
        // the article, so it is left out.
        let body = body_of(&html)
            .split("<section class=\"footnotes\"")
            .next()
            .unwrap();
        for level in ["h2", "h3"] {
            let close = format!("</{level}>");
            for (at, _) in body.match_indices(&format!("<{level}")) {
                let heading = &body[at..at + body[at..].find(&close).unwrap()];
                let open = &heading[..heading.find('>').unwrap() + 1];
                let id = attr(open, "id")
                    .unwrap_or_else(|| panic!("{}: a heading without an id: {open}", a.slug));
                let link = format!("<a class=\"heading-link\" href=\"#{id}\">");
                assert!(
                    heading.contains(&link),
                    "{}: no {link} in {heading}",
                    a.slug
                );
                headings += 1;
            }
        }
    }
    assert!(headings > 0, "the real articles have sections");
}

#[tokio::test]
async fn aliases_answer_a_single_301_to_the_canonical_url() {
    let state = load("tests/fixtures/aliases", false);
    let app = app_for(state.clone());
    let pages = state.pages();
    let site = &pages.site;
    let moved = site
        .articles
        .iter()
        .find(|a| !a.aliases.is_empty())
        .expect("the fixture has an article with aliases");
    // One is written with capitals and a trailing slash, as an author
    // might copy it from an old address bar.
    assert_eq!(moved.aliases.len(), 3, "{:?}", moved.aliases);
    for alias in &moved.aliases {
        let bare = alias.trim_end_matches('/');
        for variant in [
            alias.clone(),
            bare.to_string(),
            format!("{bare}/"),
            alias.to_uppercase(),
            alias.to_lowercase(),
            format!("{alias}?m=1"),
        ] {
            assert_redirects_once(&app, &variant, &moved.url()).await;
        }
    }
    // An article without aliases is served where it is.
    let stays = site.articles.iter().find(|a| a.aliases.is_empty()).unwrap();
    page(&app, &stays.url()).await;
}

#[tokio::test]
async fn url_variants_redirect_once() {
    let (state, app) = real_site();
    for a in &state.pages().site.articles {
        let url = a.url();
        let upper = url.to_uppercase();
        for (from, to) in [
            (format!("{url}/"), url.clone()),
            (upper.clone(), url.clone()),
            (format!("{url}?m=1"), url.clone()),
            (format!("{url}?m=0"), url.clone()),
            (format!("{upper}/?m=1"), url.clone()),
            (format!("{url}?m=1&x=2"), format!("{url}?x=2")),
        ] {
            assert_redirects_once(&app, &from, &to).await;
        }
        for path in [url.clone(), format!("{url}?x=2")] {
            let (status, headers, _) = get(&app, &path).await;
            assert_eq!(status, StatusCode::OK, "GET {path} is not a redirect");
            assert!(headers.get(header::LOCATION).is_none(), "GET {path}");
        }
    }
    assert_redirects_once(&app, "/?m=1", "/").await;
    assert_redirects_once(&app, "/?m=0", "/").await;
}

/// The `aliases = ...` line of a fixture file.
fn aliases_line(file: &Path) -> usize {
    let text = std::fs::read_to_string(file).unwrap();
    text.lines()
        .position(|l| l.starts_with("aliases"))
        .map(|i| i + 1)
        .unwrap_or_else(|| panic!("{} has no aliases", file.display()))
}

/// The problems reported for `file`, asserting they are on its aliases line.
fn alias_problems<'a>(err: &'a LoadError, file: &Path) -> Vec<&'a Problem> {
    let line = aliases_line(file);
    let found: Vec<&Problem> = err.problems.iter().filter(|p| p.file == file).collect();
    for problem in &found {
        assert_eq!(problem.line, line, "{problem}");
    }
    found
}

#[test]
fn two_articles_claiming_one_alias_is_a_load_error() {
    let Err(err) = try_load("tests/fixtures/alias-clash", false) else {
        panic!("two articles claiming /old-page loaded without a problem");
    };
    let dir = manifest("tests/fixtures/alias-clash");
    let (first, second) = (dir.join("first.md"), dir.join("second.md"));
    assert_eq!(
        alias_problems(&err, &first),
        Vec::<&Problem>::new(),
        "the first to claim it keeps it"
    );
    let found = alias_problems(&err, &second);
    assert_eq!(found.len(), 1, "{err}");
    let message = &found[0].message;
    assert!(message.contains("/old-page"), "{message}");
    assert!(
        message.contains(&first.display().to_string()),
        "the problem names the other file: {message}"
    );
}

#[test]
fn an_alias_for_a_page_the_site_serves_is_a_load_error() {
    let Err(err) = try_load("tests/fixtures/alias-clash", false) else {
        panic!("aliases for served pages loaded without a problem");
    };
    let dir = manifest("tests/fixtures/alias-clash");
    for (file, alias) in [
        ("own-path.md", "/own-path"),
        ("takes-the-feed.md", "/feed.xml"),
    ] {
        let found = alias_problems(&err, &dir.join(file));
        assert_eq!(found.len(), 1, "{file}: one problem, for {alias}:\n{err}");
        assert!(found[0].message.contains(alias), "{}", found[0]);
    }
}

#[tokio::test]
async fn feed_parses_and_lists_every_article() {
    let (state, app) = real_site();
    let pages = state.pages();
    let site = &pages.site;
    let base = &site.config.base_url;
    let (status, headers, body) = request_bytes(&app, Method::GET, "/feed.xml").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        content_type(&headers),
        "application/atom+xml; charset=utf-8"
    );
    let feed = feed_rs::parser::parse(&body[..]).unwrap_or_else(|e| panic!("the feed: {e}"));
    assert_eq!(
        feed.entries.len(),
        site.articles.len(),
        "one entry per article"
    );
    for a in &site.articles {
        let canonical = format!("{base}{}", a.url());
        let entry = feed
            .entries
            .iter()
            .find(|e| e.links.iter().any(|l| l.href == canonical))
            .unwrap_or_else(|| panic!("no entry links to {canonical}"));
        assert_eq!(
            entry.links.iter().map(|l| &l.href).collect::<Vec<_>>(),
            [&canonical],
            "{}: the entry's links",
            a.slug
        );
        let title = entry.title.as_ref().map(|t| t.content.as_str());
        assert_eq!(title, Some(a.title.as_str()), "{}: entry title", a.slug);
        let content = entry
            .content
            .as_ref()
            .and_then(|c| c.body.as_deref())
            .unwrap_or_else(|| panic!("{}: the entry has no content", a.slug));
        for relative in ["href=\"/", "href=\"#", "src=\"/"] {
            assert!(
                !content.contains(relative),
                "{}: a relative link ({relative}...) in the feed",
                a.slug
            );
        }
        assert!(content.contains(&format!("href=\"{base}/")), "{}", a.slug);
    }

    let feed_url = format!("{base}/feed.xml");
    let paths = std::iter::once("/".to_string()).chain(site.articles.iter().map(|a| a.url()));
    for path in paths {
        let html = page(&app, &path).await;
        let feeds: Vec<String> = elements(head_of(&html), "link")
            .into_iter()
            .filter(|tag| {
                attr(tag, "rel").as_deref() == Some("alternate")
                    && attr(tag, "type").as_deref() == Some("application/atom+xml")
            })
            .filter_map(|tag| attr(tag, "href"))
            .collect();
        assert_eq!(feeds, [feed_url.as_str()], "{path}: the feed link");
    }
}

#[tokio::test]
async fn sitemap_lists_every_page_with_each_articles_review_date() {
    let (state, app) = real_site();
    let pages = state.pages();
    let site = &pages.site;
    let base = &site.config.base_url;
    let (status, headers, sitemap) = get(&app, "/sitemap.xml").await;
    assert_eq!(status, StatusCode::OK);
    assert!(content_type(&headers).contains("xml"), "{headers:?}");
    let listed: HashMap<String, String> = sitemap
        .split("<url>")
        .skip(1)
        .map(|url| {
            let loc = between(url, "<loc>", "</loc>").expect("every <url> has a <loc>");
            let lastmod = between(url, "<lastmod>", "</lastmod>").unwrap_or("");
            (decode(loc), lastmod.to_string())
        })
        .collect();
    let newest = site.articles.iter().map(|a| a.reviewed).max().unwrap();
    let mut wanted = HashMap::from([(format!("{base}/"), newest.to_string())]);
    for a in &site.articles {
        wanted.insert(format!("{base}{}", a.url()), a.reviewed.to_string());
    }
    // Pages that are not articles have no review date to give.
    for path in [
        "/challenge-a-decision",
        "/get-help",
        "/browse-safely",
        "/topics",
        "/glossary",
    ] {
        wanted.insert(format!("{base}{path}"), String::new());
    }
    for topic in &site.topics {
        wanted.insert(format!("{base}{}", topic.url()), String::new());
    }
    assert_eq!(listed, wanted, "sitemap <loc> and <lastmod>");

    let (status, _, robots) = get(&app, "/robots.txt").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        robots
            .lines()
            .any(|l| l == format!("Sitemap: {base}/sitemap.xml")),
        "robots.txt: {robots}"
    );
}

#[tokio::test]
async fn favicons_exist() {
    let (_, app) = real_site();
    for (path, size) in [("/favicon.ico", 32), ("/apple-touch-icon.png", 180)] {
        let (status, headers, bytes) = request_bytes(&app, Method::GET, path).await;
        assert_eq!(status, StatusCode::OK, "GET {path}");
        assert_eq!(content_type(&headers), "image/png", "GET {path}");
        assert_eq!(png_size(&bytes, path), (size, size), "GET {path}");
    }
    let (status, headers, svg) = get(&app, "/static/favicon.svg").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(content_type(&headers), "image/svg+xml");
    assert!(svg.contains("<svg"), "{svg}");

    // The head links all three, each to what it says it is; the SVG may
    // be linked at a fingerprinted copy of /static/favicon.svg.
    let home = page(&app, "/").await;
    let mut linked = Vec::new();
    for tag in elements(head_of(&home), "link") {
        let rel = attr(tag, "rel").unwrap_or_default();
        if rel != "icon" && rel != "apple-touch-icon" {
            continue;
        }
        let href = attr(tag, "href").unwrap();
        let (status, headers, body) = get(&app, &href).await;
        assert_eq!(status, StatusCode::OK, "{tag}");
        if let Some(kind) = attr(tag, "type") {
            assert_eq!(content_type(&headers), kind, "{tag}");
        }
        if content_type(&headers) == "image/svg+xml" {
            assert_eq!(body, svg, "{tag} is not /static/favicon.svg");
        }
        linked.push((rel, content_type(&headers).to_string(), href));
    }
    for (rel, kind, href) in [
        ("icon", "image/svg+xml", None),
        ("icon", "image/png", Some("/favicon.ico")),
        (
            "apple-touch-icon",
            "image/png",
            Some("/apple-touch-icon.png"),
        ),
    ] {
        assert!(
            linked
                .iter()
                .any(|l| l.0 == rel && l.1 == kind && href.is_none_or(|h| l.2 == h)),
            "no <link rel=\"{rel}\"> to {kind} {href:?} in {linked:?}"
        );
    }
}

#[tokio::test]
async fn an_alias_with_accented_letters_redirects_or_is_refused() {
    let site = match try_load("tests/fixtures/alias-unicode", false) {
        Ok(site) => AppState::new(site),
        // Refusing it at load, on its line, is as good as serving it.
        Err(err) => {
            let file = manifest("tests/fixtures/alias-unicode/moved.md");
            assert_eq!(alias_problems(&err, &file).len(), 1, "{err}");
            return;
        }
    };
    let app = app_for(site);
    // The path as it arrives on the wire: UTF-8, percent-encoded.
    assert_redirects_once(&app, "/caf%C3%A9-guide", "/moved").await;
}

// ---------------------------------------------------------------------------
// check as an author's assistant
// ---------------------------------------------------------------------------

/// Runs the built binary from the repository root with `args`.
fn run_cli(args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_advice-site"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env_remove("ADVICE_SITE_CONFIG")
        .env_remove("ADVICE_SITE_CONTENT")
        .env_remove("ADVICE_SITE_STATIC")
        .env_remove("ADVICE_SITE_BASE_URL")
        .output()
        .unwrap()
}

#[test]
fn check_strict_passes_on_the_real_content() {
    let out = run_cli(&["check", "--strict"]);
    assert!(
        out.status.success(),
        "check --strict failed on the real content:\n{}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("0 warnings"));
}

#[test]
fn check_warns_about_each_authoring_slip_with_file_and_line() {
    // The fixture's fresh articles were reviewed on 2026-11-01 and the stale
    // one in 2021; set the allowed age from today so the test holds in
    // later years too.
    let today = time::OffsetDateTime::now_utc().date();
    let fresh = time::Date::from_calendar_date(2026, time::Month::November, 1).unwrap();
    let allowed = (today - fresh).whole_days().max(0) + 30;
    let site_toml = std::fs::read_to_string(manifest("site.toml")).unwrap();
    let config = TempConfig::new(
        "warnings",
        &format!("{site_toml}\n[check]\nreview_after_days = {allowed}\n"),
    );
    let config_arg = config.0.to_string_lossy().into_owned();
    let args = [
        "--config",
        config_arg.as_str(),
        "--content",
        "tests/fixtures/warnings",
        "check",
    ];
    let expected: &[(&str, usize, &str)] = &[
        ("long-summary.md", 3, "summary is 167 characters"),
        ("orphan.md", 1, "no other article links here"),
        ("slips.md", 10, "only level-1 heading"),
        ("slips.md", 14, "heading level 4 follows level 2; use ###"),
        ("slips.md", 16, "image has no alt text"),
        ("slips.md", 21, "footnote [^spare] is never cited"),
        ("stale.md", 5, "last reviewed"),
    ];
    let relaxed = run_cli(&args);
    assert!(
        relaxed.status.success(),
        "warnings alone must not fail check"
    );
    let mut strict_args = args.to_vec();
    strict_args.push("--strict");
    let strict = run_cli(&strict_args);
    assert!(!strict.status.success(), "--strict must fail on warnings");
    for out in [&relaxed, &strict] {
        let stdout = String::from_utf8_lossy(&out.stdout);
        let warnings: Vec<&str> = stdout
            .lines()
            .filter(|l| l.contains(": warning: "))
            .collect();
        assert_eq!(warnings.len(), expected.len(), "{stdout}");
        for (file, line, fragment) in expected {
            let prefix = format!("tests/fixtures/warnings/{file}:{line}: warning: ");
            assert!(
                warnings
                    .iter()
                    .any(|l| l.starts_with(&prefix) && l.contains(fragment)),
                "no `{prefix}...{fragment}` in:\n{stdout}"
            );
        }
    }
}

// ---------------------------------------------------------------------------
// The deadline checker (/deadlines): every step a link, every answer checked
// ---------------------------------------------------------------------------

mod deadlines {
    use super::*;
    use advice_site::tools::deadlines::{long_date, today_in_uk};
    use time::{Date, Duration};

    /// `?letter=…&day=…&month=…&year=…` for `date`.
    fn dated(letter: &str, date: Date) -> String {
        format!(
            "/deadlines?letter={letter}&day={}&month={}&year={}",
            date.day(),
            u8::from(date.month()),
            date.year()
        )
    }

    /// The text of the page's `<h1>`, tags removed.
    fn h1(body: &str) -> String {
        let inner = between(body, "<h1", "</h1>").unwrap_or("");
        let inner = inner.split_once('>').map_or(inner, |(_, rest)| rest);
        decode(
            &inner
                .replace("<span class=\"result-date\">", "")
                .replace("</span>", ""),
        )
    }

    async fn checker(path: &str) -> (StatusCode, HeaderMap, String) {
        let (_, app) = real_site();
        get(&app, path).await
    }

    fn assert_private_and_unindexed(headers: &HeaderMap, body: &str, path: &str) {
        assert_eq!(
            headers[header::CACHE_CONTROL],
            "private, no-store",
            "{path}: a page that changes daily must not be cached publicly"
        );
        assert!(
            body.contains(r#"<meta name="robots" content="noindex">"#),
            "{path}: not noindex"
        );
    }

    #[tokio::test]
    async fn the_start_page_says_what_it_does_and_asks_the_first_question() {
        let (status, headers, body) = checker("/deadlines").await;
        assert_eq!(status, StatusCode::OK);
        assert_private_and_unindexed(&headers, &body, "/deadlines");
        assert!(body.contains("not legal advice"), "no disclaimer");
        assert!(body.contains(r#"<form method="get" action="/deadlines""#));
        for value in [
            "decision",
            "mr-notice",
            "complaint-response",
            "ice-response",
            "unlawful",
        ] {
            assert!(
                body.contains(r#"name="letter" id="#)
                    && body.contains(&format!(r#"value="{value}""#)),
                "no choice for {value}"
            );
        }
        assert!(body.contains("Deadlines at a glance"), "no table");
        assert!(
            body.contains("legislation.gov.uk"),
            "the table names no source"
        );
    }

    #[tokio::test]
    async fn each_partial_answer_leads_to_the_first_unanswered_question() {
        let today = today_in_uk();
        let cases = [
            (
                "/deadlines?letter=decision",
                "What is the date on the letter?",
            ),
            (
                "/deadlines?day=1&month=2&year=2025",
                "Which letter do you have?",
            ),
            (&*dated("unlawful", today), "Where is your case?"),
        ];
        for (path, question) in cases {
            let (status, headers, body) = checker(path).await;
            assert_eq!(status, StatusCode::OK, "{path}");
            assert_private_and_unindexed(&headers, &body, path);
            assert_eq!(h1(&body), question, "{path}");
        }
        // Answers already given ride along in the question's form.
        let (_, _, body) = checker("/deadlines?day=1&month=2&year=2025").await;
        for (name, value) in [("day", "1"), ("month", "2"), ("year", "2025")] {
            assert!(
                body.contains(&format!(
                    r#"<input type="hidden" name="{name}" value="{value}">"#
                )),
                "{name} was not kept"
            );
        }
        // A letter that needs no date goes straight to its result.
        let (_, _, body) = checker("/deadlines?letter=ice-response").await;
        assert!(h1(&body).contains("MP"), "{}", h1(&body));
    }

    #[tokio::test]
    async fn a_result_gives_the_last_day_with_its_weekday_days_left_rule_and_source() {
        let today = today_in_uk();
        let letter_date = today - Duration::days(5);
        let path = dated("decision", letter_date);
        let (status, headers, body) = checker(&path).await;
        assert_eq!(status, StatusCode::OK);
        assert_private_and_unindexed(&headers, &body, &path);
        let last = letter_date + Duration::days(30);
        assert_eq!(h1(&body), format!("Your last day: {}", long_date(last)));
        assert!(
            body.contains("25 days left, counted in UK time"),
            "days left"
        );
        assert!(body.contains(r#"href="/can-you-sue-the-cms#mandatory-reconsideration""#));
        assert!(body.contains("https://www.legislation.gov.uk/uksi/2012/2677/part/3"));
        assert!(body.contains("30 days"), "the rule in words");
        // A calendar file for a date still to come, and a way to change each answer.
        let text = decode(&body);
        assert!(text.contains(r#"href="/deadlines.ics?letter=decision&day="#));
        for question in ["letter", "date"] {
            assert!(
                text.contains(&format!("&change={question}\"")),
                "no change link for {question}"
            );
        }
    }

    #[tokio::test]
    async fn a_passed_date_is_still_shown_with_what_can_still_be_done() {
        // One month after 31 January 2024 is 29 February (a leap year).
        let path = "/deadlines?letter=mr-notice&day=31&month=1&year=2024";
        let (status, _, body) = checker(path).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(h1(&body), "Your last day: Thursday 29 February 2024");
        assert!(body.contains("This date has passed"));
        assert!(body.contains("What you can still do"));
        assert!(
            !body.contains("/deadlines.ics"),
            "a calendar for a past date"
        );
    }

    #[tokio::test]
    async fn changing_an_answer_shows_that_question_and_keeps_the_others() {
        let today = today_in_uk();
        let path = format!("{}&change=letter", dated("decision", today));
        let (_, _, body) = checker(&path).await;
        assert_eq!(h1(&body), "Which letter do you have?");
        assert!(
            body.contains(r#"value="decision" checked"#),
            "the old answer is not selected"
        );
        assert!(body.contains(&format!(
            r#"<input type="hidden" name="day" value="{}">"#,
            today.day()
        )));
        assert!(body.contains(&format!(
            r#"<input type="hidden" name="year" value="{}">"#,
            today.year()
        )));
    }

    #[tokio::test]
    async fn every_bad_answer_gets_the_error_summary_and_keeps_what_was_typed() {
        let future = today_in_uk() + Duration::days(40);
        let cases: Vec<(String, &str, &str)> = vec![
            (
                "/deadlines?letter=decision&day=31&month=2&year=2025".into(),
                "day",
                "31",
            ),
            (
                "/deadlines?letter=decision&day=ab&month=2&year=2025".into(),
                "day",
                "ab",
            ),
            (
                "/deadlines?letter=decision&day=&month=2&year=2025".into(),
                "day",
                "",
            ),
            (dated("decision", future), "day", ""),
            (
                "/deadlines?letter=decision&day=1&month=2&year=2011".into(),
                "year",
                "2011",
            ),
            ("/deadlines?letter=parking-ticket".into(), "letter", ""),
            (
                format!("{}&nation=wales", dated("unlawful", today_in_uk())),
                "nation",
                "",
            ),
        ];
        for (path, field, typed) in &cases {
            let (status, _, body) = checker(path).await;
            assert_eq!(status, StatusCode::OK, "{path}");
            assert!(
                body.contains("There is a problem"),
                "{path}: no error summary"
            );
            assert!(
                h1(&body).starts_with("Which")
                    || h1(&body).starts_with("What")
                    || h1(&body).starts_with("Where"),
                "{path}"
            );
            let summary = between(&body, "error-summary", "</div>").unwrap_or("");
            let target = if *field == "day" || *field == "month" || *field == "year" {
                // The summary links to the first date field at fault.
                summary.contains("href=\"#day\"")
                    || summary.contains("href=\"#month\"")
                    || summary.contains("href=\"#year\"")
            } else {
                summary.contains(&format!("href=\"#{field}\""))
            };
            assert!(target, "{path}: the summary does not link to the field");
            assert!(
                body.contains(&format!("id=\"{field}-error\""))
                    || body.contains("id=\"date-error\""),
                "{path}: no message by the field"
            );
            assert!(
                body.contains("aria-describedby="),
                "{path}: message not tied to the field"
            );
            if !typed.is_empty() {
                assert!(
                    body.contains(&format!("value=\"{typed}\"")),
                    "{path}: {typed:?} was not kept"
                );
            }
        }
        let (_, _, body) = checker("/deadlines?letter=decision&day=1&month=2&year=2011").await;
        assert!(
            body.contains("Child Support Agency"),
            "no word on the CSA's different rules"
        );
    }

    #[tokio::test]
    async fn nothing_from_the_query_is_reflected_unescaped() {
        let path =
            "/deadlines?letter=decision&day=%3Cscript%3Ealert(1)%3C%2Fscript%3E&month=2&year=2025";
        let (status, _, body) = checker(path).await;
        assert_eq!(status, StatusCode::OK);
        assert!(
            !body.contains("<script>alert"),
            "the query reached the page unescaped"
        );
        assert!(
            body.contains("&lt;script&gt;") || body.contains("&#60;script&#62;"),
            "the typed value was not kept, escaped"
        );
        let (_, _, body) = checker("/deadlines?letter=%22%3E%3Cb%3E").await;
        assert!(!body.contains("\"><b>"));
    }

    #[tokio::test]
    async fn the_calendar_file_is_one_all_day_event_with_a_reminder() {
        let today = today_in_uk();
        let path = dated("decision", today).replacen("/deadlines", "/deadlines.ics", 1);
        let (status, headers, body) = checker(&path).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(
            headers[header::CONTENT_TYPE],
            "text/calendar; charset=utf-8"
        );
        assert_eq!(headers[header::CACHE_CONTROL], "private, no-store");
        assert!(
            body.contains("\r\n") && !body.replace("\r\n", "").contains('\n'),
            "not CRLF"
        );
        let unfolded = icalendar::parser::unfold(&body);
        let calendar = icalendar::parser::read_calendar(&unfolded).unwrap();
        let events: Vec<_> = calendar
            .components
            .iter()
            .filter(|c| c.name == "VEVENT")
            .collect();
        assert_eq!(events.len(), 1);
        let value = |name: &str| {
            events[0]
                .properties
                .iter()
                .find(|p| p.name == name)
                .map(|p| p.val.to_string())
                .unwrap_or_default()
        };
        let last = today + Duration::days(30);
        assert_eq!(
            value("DTSTART"),
            format!(
                "{:04}{:02}{:02}",
                last.year(),
                u8::from(last.month()),
                last.day()
            )
        );
        assert!(!value("UID").is_empty() && !value("DTSTAMP").is_empty());
        assert!(value("URL").ends_with(&path.replacen("/deadlines.ics", "/deadlines", 1)));
        assert!(
            events[0].components.iter().any(|c| c.name == "VALARM"),
            "no reminder"
        );

        // Nothing to remind of: a 404 that links back to the result.
        let passed = "/deadlines.ics?letter=mr-notice&day=31&month=1&year=2024";
        let (status, _, body) = checker(passed).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        assert!(
            decode(&body)
                .contains(r#"href="/deadlines?letter=mr-notice&day=31&month=1&year=2024""#)
        );
    }

    #[tokio::test]
    async fn the_guide_links_to_the_checker() {
        let (_, app) = real_site();
        let body = page(&app, "/can-you-sue-the-cms").await;
        assert!(
            body.contains("href=\"/deadlines"),
            "the guide never links to the checker"
        );
    }
}

// ---------------------------------------------------------------------------
// The access log: what it says, and what it never says
// ---------------------------------------------------------------------------

/// Log output captured by a test.
#[derive(Clone, Default)]
struct Captured(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl Captured {
    /// Everything written so far.
    fn text(&self) -> String {
        String::from_utf8(self.0.lock().unwrap().clone()).unwrap()
    }
}

/// Captures every event at every level, written as the site writes its
/// log, for as long as the guard is kept.
fn capture_logs() -> (Captured, tracing::subscriber::DefaultGuard) {
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .event_format(advice_site::serve::log_format::SiteFormat::default())
        .with_writer(move || writer.clone())
        .finish();
    (captured, tracing::subscriber::set_default(subscriber))
}

impl std::io::Write for Captured {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test(flavor = "current_thread")]
async fn the_access_log_names_method_path_status_and_time_but_never_the_query() {
    let (_, app) = real_site();
    let (captured, _guard) = capture_logs();
    let path = "/deadlines?letter=decision&day=3&month=4&year=2025";
    let (status, _, _) = get(&app, path).await;
    assert_eq!(status, StatusCode::OK);
    let log = captured.text();
    let line = log
        .lines()
        .find(|l| l.contains("advice_site::access"))
        .unwrap_or_else(|| panic!("no access log line in:\n{log}"));
    assert!(line.contains("GET /deadlines 200 "), "{line}");
    assert!(line.trim_end().ends_with("us"), "no time in {line}");
    for secret in ["letter=", "decision", "2025", "?"] {
        assert!(!log.contains(secret), "the log holds {secret:?}:\n{log}");
    }
}

// ---------------------------------------------------------------------------
// Letters (/letters): a form that posts, a letter built and forgotten
// ---------------------------------------------------------------------------

mod letters {
    use super::*;
    use advice_site::tools::letters::{FieldKind, Letter};

    /// Text that would break HTML, XML or a template if it were not escaped.
    const TRICKY: &str = "Jo <b>O'Neil</b> & \"Sons\" {{ today }}";

    async fn post(
        app: &App,
        path: &str,
        pairs: &[(String, String)],
    ) -> (StatusCode, HeaderMap, Bytes) {
        let body = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(pairs)
            .finish();
        let req = Request::builder()
            .method(Method::POST)
            .uri(path)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(body))
            .unwrap();
        let response = app.clone().oneshot(req).await.unwrap();
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        (status, headers, bytes)
    }

    /// Answers for every field of `letter` (or only the required ones).
    fn answers(letter: &Letter, all: bool) -> Vec<(String, String)> {
        let mut pairs = Vec::new();
        for field in letter.fields.iter().filter(|f| all || f.required) {
            let id = field.id.clone();
            match &field.kind {
                FieldKind::Text { max_length } | FieldKind::Textarea { max_length } => {
                    let text: String = TRICKY.chars().take(*max_length).collect();
                    pairs.push((id, text));
                }
                FieldKind::Date => {
                    pairs.push((format!("{id}-day"), "3".into()));
                    pairs.push((format!("{id}-month"), "4".into()));
                    pairs.push((format!("{id}-year"), "2025".into()));
                }
                FieldKind::Choice { options } | FieldKind::Checkboxes { options } => {
                    pairs.push((id, options[0].value.clone()));
                }
            }
        }
        pairs
    }

    fn letters(state: &AppState) -> Vec<Letter> {
        state
            .pages()
            .site
            .letters
            .as_ref()
            .expect("the real site has letters")
            .iter()
            .cloned()
            .collect()
    }

    #[tokio::test]
    async fn the_index_says_when_to_use_each_letter_and_links_its_form() {
        let (state, app) = real_site();
        let body = page(&app, "/letters").await;
        let all = letters(&state);
        assert!(all.len() >= 3, "at least three letters");
        for letter in &all {
            assert!(
                body.contains(&format!("href=\"/letters/{}\"", letter.slug)),
                "{}",
                letter.slug
            );
            assert!(
                decode(&body).contains(&letter.summary),
                "{}: no summary",
                letter.slug
            );
        }
        assert!(body.contains("Nothing you type is stored"));
    }

    #[tokio::test]
    async fn each_form_posts_states_its_limits_and_says_nothing_is_stored() {
        let (state, app) = real_site();
        for letter in letters(&state) {
            let path = format!("/letters/{}", letter.slug);
            let body = page(&app, &path).await;
            assert!(
                body.contains(&format!(r#"<form method="post" action="{path}""#)),
                "{path}"
            );
            assert!(body.contains("Nothing you type is stored"), "{path}");
            for field in &letter.fields {
                if let Some(max) = field.kind.max_length() {
                    assert!(
                        body.contains(&format!("Up to {max} characters")),
                        "{path}: {}",
                        field.id
                    );
                }
                if !field.required {
                    assert!(
                        decode(&body).contains(&format!("{} (optional)", field.label)),
                        "{path}: {}",
                        field.id
                    );
                }
            }
        }
    }

    #[tokio::test]
    async fn each_letter_is_written_with_every_field_or_only_the_required_ones() {
        let (state, app) = real_site();
        for letter in letters(&state) {
            let path = format!("/letters/{}", letter.slug);
            for all in [true, false] {
                let (status, headers, bytes) = post(&app, &path, &answers(&letter, all)).await;
                let body = String::from_utf8_lossy(&bytes);
                assert_eq!(
                    status,
                    StatusCode::OK,
                    "{path} (all fields: {all}):\n{body}"
                );
                assert_eq!(headers[header::CACHE_CONTROL], "no-store", "{path}");
                assert!(body.contains("class=\"letter\""), "{path}: no letter");
                assert!(
                    !body.contains("<b>O'Neil"),
                    "{path}: an answer reached the page unescaped"
                );
                assert!(
                    decode(&body).contains("Jo <b>O'Neil</b>"),
                    "{path}: the name is missing"
                );
                assert!(
                    decode(&body).contains("{{ today }}"),
                    "{path}: typed braces were run as a template"
                );
                // The downloads post the same answers again.
                assert!(
                    body.contains(r#"name="format" value="docx""#)
                        && body.contains(r#"name="format" value="txt""#)
                );
            }
        }
    }

    #[tokio::test]
    async fn bad_answers_come_back_with_the_error_summary_status_422_and_everything_typed() {
        let (state, app) = real_site();
        let letter = letters(&state)
            .into_iter()
            .find(|l| l.fields.iter().any(|f| f.kind == FieldKind::Date))
            .unwrap();
        let path = format!("/letters/{}", letter.slug);
        let date = letter
            .fields
            .iter()
            .find(|f| f.kind == FieldKind::Date)
            .unwrap()
            .id
            .clone();
        let long = letter
            .fields
            .iter()
            .find(|f| matches!(f.kind, FieldKind::Text { .. }))
            .unwrap();
        let max = long.kind.max_length().unwrap();
        let required = letter
            .fields
            .iter()
            .find(|f| f.required && f.id != long.id && f.id != date)
            .unwrap();
        let mut pairs = answers(&letter, true);
        pairs.retain(|(name, _)| {
            name != &required.id && !name.starts_with(&format!("{date}-")) && name != &long.id
        });
        pairs.push((format!("{date}-day"), "31".into()));
        pairs.push((format!("{date}-month"), "2".into()));
        pairs.push((format!("{date}-year"), "2025".into()));
        pairs.push((long.id.clone(), "x".repeat(max + 1)));
        let (status, headers, bytes) = post(&app, &path, &pairs).await;
        let body = String::from_utf8_lossy(&bytes).into_owned();
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(headers[header::CACHE_CONTROL], "no-store");
        assert!(body.contains("There is a problem"));
        let summary = between(&body, "error-summary", "</div>").unwrap();
        for target in [required.id.clone(), format!("{date}-day"), long.id.clone()] {
            assert!(
                summary.contains(&format!("href=\"#{target}\"")),
                "no summary link to {target}"
            );
            assert!(
                body.contains(&format!("id=\"{target}\"")),
                "the summary links to a missing id {target}"
            );
        }
        for id in [&required.id, &date, &long.id] {
            assert!(
                body.contains(&format!("id=\"{id}-error\"")),
                "no message by {id}"
            );
        }
        assert!(body.contains("value=\"31\""), "the typed day was not kept");
        assert!(
            body.contains(&"x".repeat(max + 1)),
            "the long text was not kept"
        );
    }

    #[tokio::test]
    async fn the_text_download_is_plain_text_without_control_characters() {
        let (state, app) = real_site();
        let letter = &letters(&state)[0];
        let mut pairs = answers(letter, true);
        let first_text = pairs
            .iter()
            .position(|(n, _)| {
                letter
                    .field(n)
                    .is_some_and(|f| matches!(f.kind, FieldKind::Text { .. }))
            })
            .unwrap();
        pairs[first_text].1 = "Jo\u{7}\u{1b}[31m Bloggs".into();
        pairs.push(("format".into(), "txt".into()));
        let (status, headers, bytes) =
            post(&app, &format!("/letters/{}", letter.slug), &pairs).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(headers[header::CONTENT_TYPE], "text/plain; charset=utf-8");
        assert!(
            headers[header::CONTENT_DISPOSITION]
                .to_str()
                .unwrap()
                .starts_with("attachment")
        );
        let text = String::from_utf8(bytes.to_vec()).unwrap();
        assert!(
            text.contains("Jo[31m Bloggs") || text.contains("Jo [31m Bloggs"),
            "{text}"
        );
        assert!(
            !text
                .chars()
                .any(|c| c.is_control() && c != '\n' && c != '\t' && c != '\r'),
            "control characters in the text"
        );
    }

    #[tokio::test]
    async fn the_word_download_is_a_docx_holding_the_escaped_answers() {
        use std::io::Read as _;
        let (state, app) = real_site();
        for letter in letters(&state) {
            let mut pairs = answers(&letter, true);
            pairs.push(("format".into(), "docx".into()));
            let (status, headers, bytes) =
                post(&app, &format!("/letters/{}", letter.slug), &pairs).await;
            assert_eq!(status, StatusCode::OK, "{}", letter.slug);
            assert_eq!(
                headers[header::CONTENT_TYPE],
                "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
            );
            let mut zip =
                zip::ZipArchive::new(std::io::Cursor::new(bytes.to_vec())).expect("a zip");
            let mut xml = String::new();
            zip.by_name("word/document.xml")
                .expect("document.xml")
                .read_to_string(&mut xml)
                .unwrap();
            assert!(
                xml.contains("Jo &lt;b&gt;O"),
                "{}: the name is not in the document, escaped",
                letter.slug
            );
            assert!(!xml.contains("<b>O'Neil"), "{}: unescaped", letter.slug);
        }
    }

    #[tokio::test]
    async fn a_body_past_the_limit_gets_413_and_another_media_type_415() {
        let (state, app) = real_site();
        let letter = &letters(&state)[0];
        let path = format!("/letters/{}", letter.slug);
        let huge = vec![("x".to_string(), "y".repeat(40 * 1024))];
        let (status, _, _) = post(&app, &path, &huge).await;
        assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
        let req = Request::builder()
            .method(Method::POST)
            .uri(&path)
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from("{}"))
            .unwrap();
        let response = app.clone().oneshot(req).await.unwrap();
        assert_eq!(response.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    }

    #[tokio::test(flavor = "current_thread")]
    async fn nothing_posted_reaches_the_log_at_any_level() {
        let (state, app) = real_site();
        let letter = &letters(&state)[0];
        let (captured, _guard) = capture_logs();
        let mut pairs = answers(letter, true);
        for (_, value) in pairs.iter_mut() {
            if value.starts_with("Jo") {
                *value = "Zanzibar-7731".into();
            }
        }
        let (status, _, _) = post(&app, &format!("/letters/{}", letter.slug), &pairs).await;
        assert_eq!(status, StatusCode::OK);
        let log = captured.text();
        assert!(
            log.contains("POST /letters/"),
            "the request was not logged at all:\n{log}"
        );
        assert!(
            !log.contains("Zanzibar"),
            "a posted answer reached the log:\n{log}"
        );
    }

    #[tokio::test]
    async fn the_guide_and_the_deadline_checker_link_the_right_letters() {
        let (_, app) = real_site();
        let guide = page(&app, "/can-you-sue-the-cms").await;
        for slug in [
            "mandatory-reconsideration",
            "complaint",
            "independent-case-examiner",
        ] {
            assert!(
                guide.contains(&format!("href=\"/letters/{slug}\"")),
                "the guide does not link {slug}"
            );
        }
        let result = page(&app, "/deadlines?letter=decision&day=1&month=2&year=2025").await;
        assert!(
            result.contains("href=\"/letters/mandatory-reconsideration\""),
            "the checker does not link the letter"
        );
    }
}

// ---------------------------------------------------------------------------
// The step-by-step route, free help and the quick exit
// ---------------------------------------------------------------------------

/// The route as the real site loaded it.
fn real_route(state: &AppState) -> advice_site::site::route::Route {
    state
        .pages()
        .site
        .route
        .clone()
        .expect("content/steps.toml loads")
}

/// One `<li class="step ...">` of the route page, by its id.
fn step_block<'a>(html: &'a str, id: &str) -> &'a str {
    between(html, &format!("id=\"{id}\">"), "</li>\n\n")
        .or_else(|| between(html, &format!("id=\"{id}\">"), "</ol>"))
        .unwrap_or_else(|| panic!("the route page has no step {id}"))
}

#[tokio::test]
async fn route_page_shows_every_step_in_order_numbered_or_marked_and_or() {
    let (state, app) = real_site();
    let route = real_route(&state);
    let body = page(&app, "/challenge-a-decision").await;
    let mut last = 0;
    let mut number = 0;
    for step in &route.steps {
        let at = body
            .find(&format!("id=\"{}\"", step.id))
            .unwrap_or_else(|| panic!("no step {}", step.id));
        assert!(at > last, "step {} is out of order", step.id);
        last = at;
        let block = step_block(&body, &step.id);
        assert!(block.contains(&decode_free(&step.title)), "{}", step.id);
        let label = between(block, "<span class=\"step-label\">", "</h2>").unwrap();
        match step.kind {
            advice_site::site::route::StepKind::Step => {
                number += 1;
                assert!(
                    label.contains("<span class=\"visually-hidden\">Step </span>")
                        && label.contains(&format!("</span>{number}<")),
                    "step {} should be numbered {number}: {label}",
                    step.id
                );
            }
            advice_site::site::route::StepKind::And => assert!(label.starts_with("and<")),
            advice_site::site::route::StepKind::Or => assert!(label.starts_with("or<")),
        }
    }
    let kinds: Vec<_> = route.steps.iter().map(|s| s.kind).collect();
    assert!(kinds.contains(&advice_site::site::route::StepKind::And));
    assert!(kinds.contains(&advice_site::site::route::StepKind::Or));
}

/// Text as askama writes it into HTML (quotes and apostrophes escaped).
fn decode_free(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('\'', "&#39;")
        .replace('"', "&#34;")
}

#[tokio::test]
async fn every_link_in_a_step_leads_to_a_page_and_section_that_exist() {
    let (state, app) = real_site();
    let route = real_route(&state);
    let body = page(&app, "/challenge-a-decision").await;
    let mut checker_links = 0;
    for step in &route.steps {
        let block = step_block(&body, &step.id);
        let hrefs = attr_values(block, "href");
        for link in step.links.iter().chain(&step.letter) {
            assert!(
                hrefs.contains(&link.href),
                "step {} does not show {}",
                step.id,
                link.href
            );
            let (path, fragment) = link
                .href
                .split_once('#')
                .map_or((link.href.as_str(), None), |(p, f)| (p, Some(f)));
            let target = page(&app, path).await;
            if let Some(fragment) = fragment {
                assert!(
                    ids(&target).contains(fragment),
                    "{} has no #{fragment}",
                    path
                );
            }
            if path.starts_with("/deadlines?letter=") {
                checker_links += 1;
            }
        }
        for slug in &step.articles {
            assert!(
                hrefs.contains(&format!("/{slug}")),
                "step {} does not link {slug}",
                step.id
            );
        }
    }
    assert!(
        checker_links > 0,
        "no step links the deadline checker with a letter type"
    );
}

#[test]
fn check_names_each_broken_route_link_with_its_line() {
    let err = try_load("tests/fixtures/route-broken", false).unwrap_err();
    let file = manifest("tests/fixtures/route-broken/steps.toml");
    let at: Vec<(usize, &str)> = err
        .problems
        .iter()
        .filter(|p| p.file == file)
        .map(|p| (p.line, p.message.as_str()))
        .collect();
    let expect: &[(usize, &str)] = &[
        (10, "has no heading with id `no-such-section`"),
        (
            18,
            "the site has no page at /letters/mandatory-reconsideration",
        ),
        (19, "there is no article `no-such-article`"),
        (25, "there is no deadline checker"),
    ];
    for (line, words) in expect {
        assert!(
            at.iter().any(|(l, m)| l == line && m.contains(words)),
            "expected line {line}: {words}; got {at:?}"
        );
    }
    assert_eq!(at.len(), expect.len(), "{at:?}");
}

#[tokio::test]
async fn part_of_box_shows_on_each_route_article_with_its_neighbours_and_on_no_other() {
    let (state, app) = real_site();
    let route = real_route(&state);
    let mut on_route = 0;
    for article in &state.pages().site.articles {
        let body = page(&app, &article.url()).await;
        let nav = nav_labelled(&body, "part-of");
        match route.step_of(&article.slug) {
            None => assert!(nav.is_none(), "{} is not on the route", article.slug),
            Some(index) => {
                on_route += 1;
                let nav = nav.unwrap_or_else(|| panic!("{} has no Part of box", article.slug));
                assert!(nav.contains(&route.title), "{}", article.slug);
                let hrefs = attr_values(nav, "href");
                let step_href = |i: usize| format!("/challenge-a-decision#{}", route.steps[i].id);
                assert!(
                    hrefs.contains(&step_href(index)),
                    "{}: {hrefs:?}",
                    article.slug
                );
                if index > 0 {
                    assert!(
                        hrefs.contains(&step_href(index - 1)),
                        "{}: no step before",
                        article.slug
                    );
                }
                if index + 1 < route.steps.len() {
                    assert!(
                        hrefs.contains(&step_href(index + 1)),
                        "{}: no step after",
                        article.slug
                    );
                }
                // Near the top: before the article's own text.
                assert!(body.find("class=\"part-of\"") < body.find("class=\"article-body\""));
            }
        }
    }
    assert!(on_route > 0, "no article is on the route");
    assert!(
        on_route < state.pages().site.articles.len(),
        "every article is on the route, so the test cannot show the box is left out"
    );
}

#[tokio::test]
async fn get_help_shows_each_organisation_with_what_who_where_and_how() {
    let (state, app) = real_site();
    let help = state
        .pages()
        .site
        .help
        .clone()
        .expect("content/help.toml loads");
    let body = page(&app, "/get-help").await;
    for org in &help.orgs {
        let id = advice_site::markdown::slugify(&org.name);
        let entry = between(&body, &format!("id=\"{id}\">"), "</li>")
            .unwrap_or_else(|| panic!("no entry for {}", org.name));
        for text in [&org.what, &org.for_whom, &org.how, &org.where_label()] {
            assert!(entry.contains(&decode_free(text)), "{}: {text}", org.name);
        }
        assert!(
            entry.contains(&format!("datetime=\"{}\"", org.checked)),
            "{}: no checked date",
            org.name
        );
        if let Some(url) = &org.url {
            assert!(
                attr_values(entry, "href").contains(url),
                "{}: no link",
                org.name
            );
        }
    }
}

#[test]
fn a_help_entry_not_checked_for_a_year_is_a_warning_on_its_line() {
    let pages = try_load("tests/fixtures/help-stale", false).unwrap();
    let file = manifest("tests/fixtures/help-stale/help.toml");
    let warnings: Vec<&Problem> = pages
        .site
        .warnings
        .iter()
        .filter(|p| p.file == file)
        .collect();
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert_eq!(warnings[0].line, 17);
    assert!(
        warnings[0].message.contains("Stale advice"),
        "{}",
        warnings[0].message
    );
}

#[tokio::test]
async fn every_article_ends_with_a_get_free_help_box() {
    let (state, app) = real_site();
    for article in &state.pages().site.articles {
        let body = page(&app, &article.url()).await;
        let aside = between(&body, "aria-labelledby=\"get-help\">", "</aside>")
            .unwrap_or_else(|| panic!("{} has no Get free help box", article.slug));
        assert!(attr_values(aside, "href").contains(&"/get-help".to_string()));
    }
}

#[tokio::test]
async fn scotland_banner_shows_only_where_front_matter_sets_it() {
    let (state, app) = real_site();
    let mut shown = 0;
    for article in &state.pages().site.articles {
        let body = page(&app, &article.url()).await;
        match &article.scotland_differs {
            Some(note) => {
                shown += 1;
                let banner = between(&body, "class=\"nation-banner\"", "</div>")
                    .unwrap_or_else(|| panic!("{} has no banner", article.slug));
                assert!(banner.contains(&decode_free(note)), "{}", article.slug);
            }
            None => assert!(!body.contains("nation-banner"), "{}", article.slug),
        }
    }
    assert!(shown > 0, "the flagship should say how Scotland differs");
}

/// Asserts the page's first two links are the skip link and the exit link.
fn assert_exit_link_first(what: &str, body: &str) {
    let after_body = body.split_once("<body>").map_or("", |(_, b)| b);
    let anchors: Vec<&str> = elements(after_body, "a").into_iter().take(2).collect();
    assert_eq!(anchors.len(), 2, "{what}: too few links");
    assert_eq!(attr(anchors[0], "href").as_deref(), Some("#main"), "{what}");
    let exit = anchors[1];
    assert!(
        exit.contains("class=\"exit-link\""),
        "{what}: second link is {exit}"
    );
    assert_eq!(
        attr(exit, "href").as_deref(),
        Some("https://www.bbc.co.uk/weather"),
        "{what}"
    );
    assert_eq!(attr(exit, "rel").as_deref(), Some("noreferrer"), "{what}");
    assert!(after_body.contains("Exit this page</a>"), "{what}");
    let scripts = attr_values(head_of(body), "src");
    assert!(
        scripts.iter().any(|s| s.starts_with("/static/exit.")),
        "{what}: no exit script"
    );
}

#[tokio::test]
async fn every_page_of_every_kind_has_the_exit_link_right_after_the_skip_link() {
    let (state, app) = real_site();
    let mut paths = vec![
        "/".to_string(),
        "/challenge-a-decision".to_string(),
        "/get-help".to_string(),
        "/browse-safely".to_string(),
        "/deadlines".to_string(),
        "/deadlines?letter=decision".to_string(),
        "/deadlines?letter=decision&day=1&month=2&year=2026".to_string(),
    ];
    paths.extend(state.pages().site.articles.iter().map(|a| a.url()));
    for path in &paths {
        let body = page(&app, path).await;
        assert_exit_link_first(path, &body);
    }
    let (status, _, body) = get(&app, "/no-such-page").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_exit_link_first("404", &body);
    let (status, _, body) = request(&app, Method::POST, "/").await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
    assert_exit_link_first("405", &body);
    let error = state.pages().error_page.body.clone();
    assert_exit_link_first("500", &String::from_utf8_lossy(&error));
}

#[tokio::test]
async fn browse_safely_is_linked_beside_the_exit_link_and_from_the_footer() {
    let (_, app) = real_site();
    let home = page(&app, "/").await;
    let bar = between(&home, "class=\"exit-bar\"", "</nav>").unwrap();
    assert!(attr_values(bar, "href").contains(&"/browse-safely".to_string()));
    let footer = between(&home, "<footer", "</footer>").unwrap();
    for path in ["/browse-safely", "/get-help", "/challenge-a-decision"] {
        assert!(
            attr_values(footer, "href").contains(&path.to_string()),
            "footer lacks {path}"
        );
    }
    let safely = page(&app, "/browse-safely").await;
    assert!(
        safely.contains("no cookies"),
        "the page says the site sets no cookies"
    );
}

/// Every `<form ...>...</form>` in `html`: (method, action, field names).
fn forms(html: &str) -> Vec<(String, String, Vec<String>)> {
    let mut found = Vec::new();
    let mut rest = html;
    while let Some(start) = rest.find("<form") {
        rest = &rest[start..];
        let end = rest.find("</form>").expect("form is closed");
        let form = &rest[..end];
        let open = &form[..form.find('>').unwrap() + 1];
        let method = attr(open, "method")
            .unwrap_or_else(|| "get".into())
            .to_lowercase();
        let action = attr(open, "action").unwrap_or_default();
        found.push((method, action, attr_values(form, "name")));
        rest = &rest[end..];
    }
    found
}

#[tokio::test]
async fn forms_put_only_the_checkers_letter_type_and_date_or_a_search_in_a_url() {
    let (_, app) = real_site();
    // Crawl every page reachable from home, deadline questions included.
    let mut queue = VecDeque::from(["/".to_string()]);
    let mut seen = HashSet::from(["/".to_string()]);
    let mut pages_with_forms = 0;
    while let Some(path) = queue.pop_front() {
        let (status, headers, body) = get(&app, &path).await;
        if status != StatusCode::OK || content_type(&headers) != HTML {
            continue;
        }
        for (method, action, names) in forms(&body) {
            pages_with_forms += 1;
            if method == "get" && action == "/search" {
                // Search is the one other GET form (issue 14): its words
                // are in the URL so that it works with no script; the page
                // says so and the query is never logged or cached.
                assert_eq!(names, ["q"], "{path}: the search form sends only q");
            } else if method == "get" {
                assert_eq!(
                    action, "/deadlines",
                    "{path}: a GET form that is not the checker or search"
                );
                for name in &names {
                    assert!(
                        ["letter", "nation", "day", "month", "year"].contains(&name.as_str()),
                        "{path}: GET form field `{name}` would put more than a letter type and a date in the URL"
                    );
                }
            } else {
                assert_eq!(method, "post", "{path}: form method {method}");
            }
        }
        for link in attr_values(&body, "href") {
            if link.starts_with('/') && !link.starts_with("/static/") && !link.starts_with("/feed")
            {
                let target = link.split('#').next().unwrap().to_string();
                if seen.insert(target.clone()) {
                    queue.push_back(target);
                }
            }
        }
    }
    assert!(pages_with_forms > 0, "the crawl found no form at all");
}

// ---------------------------------------------------------------------------
// Feedback: "Is this page useful?"
// ---------------------------------------------------------------------------

use advice_site::serve::feedback::Feedback;
use advice_site::store::{Entry, Place, Store};

/// A fresh, empty folder for one test's data.
fn data_folder(test: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("advice-feedback-{}-{test}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

/// The real site keeping feedback in a SQLite file of its own.
async fn site_keeping_feedback(test: &str) -> (App, Store) {
    let place = Place::new(None, &data_folder(test));
    with_store(place).await
}

async fn with_store(place: Place) -> (App, Store) {
    let feedback = Feedback::open(place).await;
    let store = feedback.store().await.unwrap();
    let state = real_site().0.with_feedback(feedback);
    (app_for(state), store)
}

/// PostgreSQL when `ADVICE_SITE_TEST_POSTGRES` names a server (CI starts
/// one): a schema of the test's own, emptied first. `None`, said aloud,
/// when it is not set.
async fn postgres_place(test: &str) -> Option<Place> {
    let Ok(url) = std::env::var("ADVICE_SITE_TEST_POSTGRES") else {
        eprintln!(
            "skipped: set ADVICE_SITE_TEST_POSTGRES=postgres://… to run {test} against PostgreSQL"
        );
        return None;
    };
    let schema = format!("test_{test}");
    let (client, connection) = tokio_postgres::connect(&url, tokio_postgres::NoTls)
        .await
        .unwrap();
    tokio::spawn(connection);
    client
        .batch_execute(&format!(
            "DROP SCHEMA IF EXISTS {schema} CASCADE; CREATE SCHEMA {schema}"
        ))
        .await
        .unwrap();
    let join = if url.contains('?') { '&' } else { '?' };
    Some(Place::Postgres(format!(
        "{url}{join}options=-c%20search_path%3D{schema}"
    )))
}

/// Posts `body` to /feedback from `client` (an IPv4 address's last byte).
async fn post_feedback(app: &App, client: u8, body: &str) -> (StatusCode, HeaderMap, String) {
    let mut req = Request::builder()
        .method(Method::POST)
        .uri("/feedback")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(body.to_string()))
        .unwrap();
    let peer: std::net::SocketAddr = ([192, 0, 2, client], 40000).into();
    req.extensions_mut()
        .insert(axum::extract::ConnectInfo(peer));
    let response = app.clone().oneshot(req).await.unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    (
        status,
        headers,
        String::from_utf8_lossy(&bytes).into_owned(),
    )
}

/// A form body, each value percent-encoded.
fn form(fields: &[(&str, &str)]) -> String {
    form_urlencoded::Serializer::new(String::new())
        .extend_pairs(fields)
        .finish()
}

/// The path of an article the site serves.
fn an_article() -> String {
    real_site().0.pages().site.articles[0].url()
}

fn location(headers: &HeaderMap) -> &str {
    headers[header::LOCATION].to_str().unwrap()
}

#[tokio::test]
async fn a_yes_is_kept_and_the_reader_is_sent_back_to_the_question() {
    let (app, store) = site_keeping_feedback("yes").await;
    let page = an_article();
    let (status, headers, _) =
        post_feedback(&app, 1, &form(&[("page", &page), ("answer", "yes")])).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(location(&headers), format!("{page}#feedback-yes"));
    let entries = store.entries().await.unwrap();
    assert_eq!(entries.len(), 1);
    let kept = &entries[0];
    assert_eq!(
        (kept.page.as_str(), kept.useful, kept.followup),
        (page.as_str(), true, false)
    );
    assert_eq!(kept.comment, "");
    assert_eq!(kept.day, advice_site::tools::deadlines::today_in_uk());
}

#[tokio::test]
async fn a_no_with_text_keeps_the_text_as_typed() {
    let (app, store) = site_keeping_feedback("no-text").await;
    let page = an_article();
    let typed = "<script>alert(1)</script> & \"quotes\", émigré\r\nsecond line";
    let (status, headers, _) = post_feedback(
        &app,
        1,
        &form(&[("page", &page), ("answer", "no"), ("text", typed)]),
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(location(&headers), format!("{page}#feedback-no"));
    let entries = store.entries().await.unwrap();
    assert_eq!(entries.len(), 1);
    assert!(!entries[0].useful);
    // A browser's CRLF is the form's line break, kept as one.
    assert_eq!(entries[0].comment, typed.replace("\r\n", "\n"));
}

#[tokio::test]
async fn the_follow_up_question_is_kept_as_a_comment_and_an_empty_one_is_not() {
    let (app, store) = site_keeping_feedback("follow-up").await;
    let page = an_article();
    let (status, headers, _) = post_feedback(
        &app,
        1,
        &form(&[
            ("page", &page),
            ("followup", "yes"),
            ("text", "the tribunal steps"),
        ]),
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(location(&headers), format!("{page}#feedback-thanks"));
    let (status, headers, _) = post_feedback(
        &app,
        1,
        &form(&[("page", &page), ("followup", "no"), ("text", "  ")]),
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(location(&headers), format!("{page}#feedback-thanks"));
    let entries = store.entries().await.unwrap();
    assert_eq!(entries.len(), 1);
    assert!(entries[0].followup && entries[0].useful);
    assert_eq!(entries[0].comment, "the tribunal steps");
}

#[tokio::test]
async fn a_filled_honeypot_is_thanked_and_not_kept() {
    let (app, store) = site_keeping_feedback("honeypot").await;
    let page = an_article();
    let (status, headers, _) = post_feedback(
        &app,
        1,
        &form(&[
            ("page", &page),
            ("answer", "no"),
            ("website", "http://spam.example"),
        ]),
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(location(&headers), format!("{page}#feedback-no"));
    assert!(store.entries().await.unwrap().is_empty());
}

#[tokio::test]
async fn answers_past_the_rate_limit_get_429_with_our_page() {
    let (app, store) = site_keeping_feedback("rate").await;
    let per_minute = real_config().feedback.per_minute;
    assert!(per_minute > 0, "site.toml turns the limit off");
    let body = form(&[("page", &an_article()), ("answer", "yes")]);
    for _ in 0..per_minute {
        assert_eq!(post_feedback(&app, 1, &body).await.0, StatusCode::SEE_OTHER);
    }
    let (status, headers, page) = post_feedback(&app, 1, &body).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(content_type(&headers), HTML);
    assert_eq!(headers[header::RETRY_AFTER], "60");
    assert!(page.contains("Please wait a minute"), "{page}");
    assert!(page.contains("href=\"/\""), "no way back: {page}");
    // Another address is counted on its own.
    assert_eq!(post_feedback(&app, 2, &body).await.0, StatusCode::SEE_OTHER);
    assert_eq!(
        store.entries().await.unwrap().len(),
        per_minute as usize + 1
    );
}

#[tokio::test]
async fn text_past_1200_characters_is_refused_and_1200_is_kept() {
    let (app, store) = site_keeping_feedback("long").await;
    let page = an_article();
    // Characters, not bytes: 1,200 two-byte letters are allowed.
    let most = "é".repeat(1199) + "\r\n";
    let (status, _, _) = post_feedback(
        &app,
        1,
        &form(&[("page", &page), ("answer", "no"), ("text", &most)]),
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let too_long = "é".repeat(1201);
    let (status, headers, _) = post_feedback(
        &app,
        1,
        &form(&[("page", &page), ("answer", "no"), ("text", &too_long)]),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(content_type(&headers), HTML);
    assert_eq!(store.entries().await.unwrap().len(), 1);
}

#[tokio::test]
async fn feedback_for_a_page_that_is_not_ours_is_refused() {
    let (app, store) = site_keeping_feedback("unknown").await;
    for page in [
        "/no-such-article",
        "https://evil.example/",
        "//evil.example",
        "/feed.xml",
        "",
    ] {
        let (status, headers, _) =
            post_feedback(&app, 1, &form(&[("page", page), ("answer", "yes")])).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "page {page:?}");
        assert!(headers.get(header::LOCATION).is_none(), "page {page:?}");
    }
    let (status, _, _) = post_feedback(
        &app,
        1,
        &form(&[("page", &an_article()), ("answer", "maybe")]),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(store.entries().await.unwrap().is_empty());
}

#[tokio::test]
async fn feedback_over_the_body_limit_gets_413_with_our_page() {
    let (app, store) = site_keeping_feedback("body-limit").await;
    let limit = real_config().server.max_body_bytes;
    let body = form(&[
        ("page", &an_article()),
        ("answer", "no"),
        ("text", &"x".repeat(limit)),
    ]);
    let (status, headers, page) = post_feedback(&app, 1, &body).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(content_type(&headers), HTML);
    assert!(page.contains("href=\"/\""));
    assert!(store.entries().await.unwrap().is_empty());
}

#[tokio::test]
async fn a_database_that_cannot_be_opened_answers_503_while_articles_are_served() {
    // The data folder is a file, so nothing can be created in it (this
    // holds for root too, unlike a read-only file).
    let dir = data_folder("unopenable");
    std::fs::write(&dir, "not a folder").unwrap();
    let feedback = Feedback::open(Place::new(None, &dir)).await;
    assert!(feedback.store().await.is_err());
    let app = app_for(real_site().0.with_feedback(feedback));
    let page = an_article();
    let (status, headers, body) =
        post_feedback(&app, 1, &form(&[("page", &page), ("answer", "yes")])).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(content_type(&headers), HTML);
    assert!(body.contains("something went wrong"), "{body}");
    assert_eq!(get(&app, &page).await.0, StatusCode::OK);
    assert_eq!(get(&app, "/").await.0, StatusCode::OK);
    std::fs::remove_file(&dir).unwrap();
}

#[tokio::test]
async fn a_postgres_server_that_cannot_be_reached_answers_503_while_articles_are_served() {
    // Port 1 on this machine: nothing listens there, so the connection is
    // refused at once.
    let place = Place::Postgres("postgres://nobody@127.0.0.1:1/nothing".into());
    let app = app_for(real_site().0.with_feedback(Feedback::open(place).await));
    let page = an_article();
    let (status, headers, _) =
        post_feedback(&app, 1, &form(&[("page", &page), ("answer", "no")])).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(content_type(&headers), HTML);
    assert_eq!(get(&app, &page).await.0, StatusCode::OK);
}

/// Posts 200 answers at once, each from its own address, and checks every
/// one was answered 303 and kept.
async fn two_hundred_at_once(app: App, store: Store) {
    let page = an_article();
    let posts = (0..200u32).map(|i| {
        let app = app.clone();
        let body = form(&[
            ("page", &page),
            ("answer", if i % 2 == 0 { "yes" } else { "no" }),
            ("text", &format!("comment {i}")),
        ]);
        tokio::spawn(async move {
            let mut req = Request::builder()
                .method(Method::POST)
                .uri("/feedback")
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .body(Body::from(body))
                .unwrap();
            let [_, _, a, b] = i.to_be_bytes();
            let peer: std::net::SocketAddr = ([10, 0, a, b], 1).into();
            req.extensions_mut()
                .insert(axum::extract::ConnectInfo(peer));
            app.oneshot(req).await.unwrap().status()
        })
    });
    let statuses: Vec<StatusCode> = futures_join(posts.collect()).await;
    assert!(
        statuses.iter().all(|s| *s == StatusCode::SEE_OTHER),
        "{statuses:?}"
    );
    let kept: BTreeSet<String> = store
        .entries()
        .await
        .unwrap()
        .into_iter()
        .map(|e: Entry| e.comment)
        .collect();
    let sent: BTreeSet<String> = (0..200).map(|i| format!("comment {i}")).collect();
    assert_eq!(kept, sent);
}

async fn futures_join<T>(handles: Vec<tokio::task::JoinHandle<T>>) -> Vec<T> {
    let mut out = Vec::with_capacity(handles.len());
    for handle in handles {
        out.push(handle.await.unwrap());
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_hundred_concurrent_answers_are_all_kept_in_sqlite() {
    let (app, store) = site_keeping_feedback("concurrent").await;
    two_hundred_at_once(app, store).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_hundred_concurrent_answers_are_all_kept_in_postgres() {
    let Some(place) = postgres_place("concurrent").await else {
        return;
    };
    let (app, store) = with_store(place).await;
    two_hundred_at_once(app, store).await;
}

#[tokio::test]
async fn postgres_keeps_answers_and_retention_deletes_old_ones() {
    let Some(place) = postgres_place("roundtrip").await else {
        return;
    };
    let (app, store) = with_store(place.clone()).await;
    let page = an_article();
    let (status, _, _) = post_feedback(
        &app,
        1,
        &form(&[
            ("page", &page),
            ("answer", "no"),
            ("text", "it's <b>wrong</b>"),
        ]),
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    // Opening again runs no migration twice.
    let again = Store::open(place).await.unwrap();
    let entries = again.entries().await.unwrap();
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0].comment, "it's <b>wrong</b>");
    let today = advice_site::tools::deadlines::today_in_uk();
    assert_eq!(again.apply_retention(today, 0).await.unwrap(), 0);
    assert_eq!(
        again
            .apply_retention(today + time::Duration::days(2), 1)
            .await
            .unwrap(),
        1
    );
    drop(store);
}

#[tokio::test]
async fn every_article_asks_if_it_is_useful_with_a_form_that_needs_no_script() {
    let (state, app) = real_site();
    let pages = state.pages();
    for article in &pages.site.articles {
        let html = page(&app, &article.url()).await;
        let section = between(&html, "<section class=\"feedback\"", "</section>")
            .unwrap_or_else(|| panic!("{} has no feedback form", article.url()));
        assert!(section.contains("Is this page useful?"));
        assert_eq!(
            attr_values(section, "action"),
            ["/feedback", "/feedback", "/feedback"]
        );
        assert!(section.contains(&format!("name=\"page\" value=\"{}\"", article.url())));
        let ids = ids(section);
        for id in ["feedback-yes", "feedback-no", "feedback-thanks"] {
            assert!(ids.contains(id), "{}: no #{id}", article.url());
        }
        assert!(section.contains("What were you looking for?"));
        assert!(section.contains("What is wrong with this page?"));
        assert!(section.contains("maxlength=\"1200\""));
        assert!(section.contains("personal details"));
        assert!(section.contains(&format!(
            "for {} days",
            pages.site.config.feedback.retain_days
        )));
        assert!(section.contains("href=\"/privacy\""));
    }
}

#[tokio::test]
async fn the_privacy_page_says_what_is_kept_and_for_how_long() {
    let (state, app) = real_site();
    let html = page(&app, "/privacy").await;
    let config = &state.pages().site.config;
    assert!(html.contains("no cookies") || html.contains("No cookies."));
    assert!(html.contains(&format!("kept for {} days", config.feedback.retain_days)));
    assert!(html.contains("never logged"));
    let home = page(&app, "/").await;
    assert!(
        home.contains("href=\"/privacy\""),
        "the footer links to /privacy"
    );
}

// ---------------------------------------------------------------------------
// Topics (/topics) and the glossary (/glossary)
// ---------------------------------------------------------------------------

mod topics_and_glossary {
    use super::*;

    /// The `href` of every `<a class="term">` in `html`.
    fn term_links(html: &str) -> Vec<String> {
        elements(html, "a")
            .into_iter()
            .filter(|tag| attr(tag, "class").as_deref() == Some("term"))
            .filter_map(|tag| attr(tag, "href"))
            .collect()
    }

    #[tokio::test]
    async fn the_topics_page_links_every_topic_with_its_count() {
        let (state, app) = real_site();
        let pages = state.pages();
        let topics = &pages.site.topics;
        assert!(topics.len() >= 3, "the real articles have tags");
        let html = page(&app, "/topics").await;
        for topic in topics {
            let n = topic.articles.len();
            let entry = format!(
                "<a href=\"/topics/{}\">{}</a> <span class=\"topic-count\">{n} article{}</span>",
                topic.slug,
                topic.title(),
                if n == 1 { "" } else { "s" }
            );
            assert!(html.contains(&entry), "no `{entry}` in /topics");
        }
    }

    #[tokio::test]
    async fn a_topic_page_lists_its_articles_newest_first() {
        let (state, app) = real_site();
        let pages = state.pages();
        let site = &pages.site;
        for topic in &site.topics {
            let expected: Vec<String> = site
                .articles
                .iter()
                .filter(|a| {
                    a.tags
                        .iter()
                        .any(|t| advice_site::site::topics::slug(t).as_ref() == Some(&topic.slug))
                })
                .map(|a| a.slug.clone())
                .collect();
            assert!(!expected.is_empty());
            let html = page(&app, &topic.url()).await;
            let cards = between(&html, "<ul class=\"cards\">", "</ul>").unwrap();
            assert_eq!(linked_slugs(cards), expected, "{}", topic.url());
            assert!(cards.contains("class=\"card-summary\""), "cards as on home");
        }
    }

    #[tokio::test]
    async fn an_unknown_topic_is_our_404_page() {
        let (_, app) = real_site();
        let (status, headers, body) = get(&app, "/topics/no-such-topic").await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        assert_eq!(content_type(&headers), HTML);
        assert!(body.contains("Page not found"), "{body}");
    }

    #[tokio::test]
    async fn article_pages_link_their_topics() {
        let (state, app) = real_site();
        let pages = state.pages();
        for article in pages.site.articles.iter().filter(|a| !a.tags.is_empty()) {
            let html = page(&app, &article.url()).await;
            let line = between(&html, "<p class=\"article-topics\">", "</p>")
                .unwrap_or_else(|| panic!("{}: no topics", article.url()));
            for tag in &article.tags {
                let slug = advice_site::site::topics::slug(tag).unwrap();
                assert!(
                    line.contains(&format!("href=\"/topics/{slug}\"")),
                    "{}: no link to topic {slug}",
                    article.url()
                );
                let (status, _, _) = get(&app, &format!("/topics/{slug}")).await;
                assert_eq!(status, StatusCode::OK, "/topics/{slug}");
            }
        }
    }

    #[tokio::test]
    async fn the_sitemap_lists_topics_and_the_glossary() {
        let (state, app) = real_site();
        let pages = state.pages();
        let base = &pages.site.config.base_url;
        let (_, _, sitemap) = get(&app, "/sitemap.xml").await;
        let mut paths = vec!["/topics".to_string(), "/glossary".to_string()];
        paths.extend(pages.site.topics.iter().map(|t| t.url()));
        for path in paths {
            assert!(
                sitemap.contains(&format!("<loc>{base}{path}</loc>")),
                "{path} not in the sitemap"
            );
        }
    }

    #[tokio::test]
    async fn the_glossary_defines_at_least_twenty_terms_a_to_z() {
        let (_, app) = real_site();
        let html = page(&app, "/glossary").await;
        let dfns: Vec<String> = elements(&html, "dfn")
            .into_iter()
            .filter_map(|tag| attr(tag, "id"))
            .collect();
        assert!(dfns.len() >= 20, "{} terms", dfns.len());
        let terms: Vec<String> = html
            .split("<dfn id=\"")
            .skip(1)
            .map(|rest| {
                let text = rest.split_once('>').unwrap().1;
                decode(text.split_once("</dfn>").unwrap().0).to_lowercase()
            })
            .collect();
        let mut sorted = terms.clone();
        sorted.sort();
        assert_eq!(terms, sorted, "A–Z");
        let ids = ids(&html);
        for href in attr_values(
            between(&html, "aria-label=\"Jump to a letter\"", "</nav>").unwrap(),
            "href",
        ) {
            assert!(ids.contains(href.trim_start_matches('#')), "{href}");
        }
        assert!(
            term_links(&html).is_empty(),
            "the glossary does not link to itself"
        );
    }

    #[tokio::test]
    async fn an_articles_first_use_of_a_term_links_to_its_definition_and_the_second_does_not() {
        let (_, app) = real_site();
        let glossary = page(&app, "/glossary").await;
        let defined = ids(&glossary);
        let html = page(&app, "/can-you-sue-the-cms").await;
        let body = body_of(&html);
        let links = term_links(body);
        assert!(links.len() >= 10, "{links:?}");
        let unique: HashSet<&String> = links.iter().collect();
        assert_eq!(unique.len(), links.len(), "each term links once: {links:?}");
        for href in &links {
            let id = href.strip_prefix("/glossary#").unwrap();
            assert!(defined.contains(id), "{href} has no definition");
        }
        // "arrears" is used more than once; only the first links.
        let first = body
            .find("<a href=\"/glossary#arrears\" class=\"term\">arrears</a>")
            .expect("arrears is linked");
        assert!(
            body[first + 1..].contains("arrears"),
            "the term is used again later"
        );
        assert_eq!(body.matches("/glossary#arrears").count(), 1);
    }

    #[tokio::test]
    async fn no_glossary_link_sits_inside_a_heading_a_link_or_a_footnote() {
        let (state, app) = real_site();
        let pages = state.pages();
        for article in &pages.site.articles {
            let html = page(&app, &article.url()).await;
            let body = body_of(&html);
            let mut open: Vec<String> = Vec::new();
            for tag in tags(body) {
                let name: String = tag
                    .trim_start_matches(['<', '/'])
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric())
                    .collect();
                if tag.starts_with("</") {
                    if let Some(at) = open.iter().rposition(|n| *n == name) {
                        open.truncate(at);
                    }
                    continue;
                }
                if tag.contains("class=\"term\"") {
                    for outer in ["h2", "h3", "h4", "a", "code", "pre", "section", "sup"] {
                        assert!(
                            !open.iter().any(|n| n == outer),
                            "{}: a term link inside <{outer}>: {tag}",
                            article.url()
                        );
                    }
                }
                if !tag.ends_with("/>") && !["br", "img", "hr", "input"].contains(&name.as_str()) {
                    open.push(name);
                }
            }
        }
    }

    #[tokio::test]
    async fn tags_that_slug_the_same_are_one_topic() {
        let app = app_for(load("tests/fixtures/glossary", false));
        let html = page(&app, "/topics").await;
        assert_eq!(html.matches("href=\"/topics/").count(), 1, "{html}");
        assert!(html.contains("<a href=\"/topics/arrears\">Arrears</a>"));
        let guide = page(&app, "/guide").await;
        assert_eq!(guide.matches("href=\"/topics/arrears\"").count(), 1);
    }

    #[test]
    fn a_broken_see_link_and_a_tag_without_a_slug_name_file_and_line() {
        let err = try_load("tests/fixtures/glossary-broken", false).unwrap_err();
        let at = |file: &str| -> Vec<(usize, String)> {
            let file = manifest(&format!("tests/fixtures/glossary-broken/{file}"));
            err.problems
                .iter()
                .filter(|p| p.file == file)
                .map(|p| (p.line, p.message.clone()))
                .collect()
        };
        let glossary = at("glossary.toml");
        assert_eq!(glossary.len(), 2, "{glossary:?}");
        assert_eq!(glossary[0].0, 16);
        assert!(
            glossary[0]
                .1
                .contains("has no heading with id `no-such-heading`"),
            "{glossary:?}"
        );
        assert_eq!(glossary[1].0, 17);
        assert!(glossary[1].1.contains("/no-such-article"), "{glossary:?}");
        let guide = at("guide.md");
        assert_eq!(guide.len(), 1, "{guide:?}");
        assert_eq!(guide[0].0, 8);
        assert!(guide[0].1.contains("tag `***`"), "{guide:?}");
    }

    #[test]
    fn check_warns_about_a_term_no_article_uses() {
        let out = run_cli(&["--content", "tests/fixtures/glossary", "check"]);
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(out.status.success(), "warnings alone pass: {stdout}");
        let warnings: Vec<&str> = stdout
            .lines()
            .filter(|l| l.contains(": warning: "))
            .collect();
        let prefix = "tests/fixtures/glossary/glossary.toml:10: warning: ";
        assert!(
            warnings
                .iter()
                .any(|l| l.starts_with(prefix) && l.contains("no article uses `liability order`")),
            "{stdout}"
        );
        assert!(
            warnings
                .iter()
                .any(|l| l.starts_with(prefix) && l.contains("no `see` links")),
            "{stdout}"
        );
        assert!(
            !warnings.iter().any(|l| l.contains("`arrears`")),
            "a used term is not warned about: {stdout}"
        );
        let strict = run_cli(&["--content", "tests/fixtures/glossary", "check", "--strict"]);
        assert!(!strict.status.success(), "--strict fails on them");
    }
}

// ---------------------------------------------------------------------------
// Search (/search): results are sections, linked by their heading
// ---------------------------------------------------------------------------

/// The search fixture: one article all about compensation, one that
/// mentions it in passing.
fn search_fixture() -> App {
    static FIXTURE: std::sync::OnceLock<AppState> = std::sync::OnceLock::new();
    app_for(
        FIXTURE
            .get_or_init(|| load("tests/fixtures/search", false))
            .clone(),
    )
}

/// The path that searches for `q`, as the search form sends it.
fn search_path(q: &str) -> String {
    let mut query = form_urlencoded::Serializer::new(String::new());
    query.append_pair("q", q);
    format!("/search?{}", query.finish())
}

/// Searches for `q`, insisting on a 200 HTML page.
async fn search(app: &App, q: &str) -> String {
    page(app, &search_path(q)).await
}

/// The links of the results list, best first.
fn result_links(html: &str) -> Vec<String> {
    between(html, "<ol class=\"search-results\"", "</ol>")
        .map(|list| attr_values(list, "href"))
        .unwrap_or_default()
}

/// The words marked in the results' snippets, in order.
fn marked(html: &str) -> Vec<String> {
    html.split("<mark>")
        .skip(1)
        .filter_map(|part| part.split_once("</mark>"))
        .map(|(text, _)| decode(text))
        .collect()
}

#[tokio::test]
async fn search_finds_other_forms_of_a_word() {
    let app = search_fixture();
    let html = search(&app, "appealing").await;
    assert_eq!(result_links(&html), ["/special-payments#appeals"]);
    assert_eq!(marked(&html), ["appeal"]);
}

#[tokio::test]
async fn search_forgives_one_typo_in_a_long_word() {
    let app = search_fixture();
    let html = search(&app, "compensasion").await;
    assert_eq!(
        result_links(&html).first().map(String::as_str),
        Some("/special-payments#compensation")
    );
    assert!(
        marked(&html)
            .iter()
            .all(|m| m.eq_ignore_ascii_case("compensation")),
        "{:?}",
        marked(&html)
    );
    // The issue's own example, on the real articles.
    let (_, real) = real_site();
    let html = search(&real, "reconsidration").await;
    assert!(!result_links(&html).is_empty(), "nothing found");
    assert!(
        marked(&html)
            .iter()
            .any(|m| m.eq_ignore_ascii_case("reconsideration")),
        "{:?}",
        marked(&html)
    );
}

#[tokio::test]
async fn a_quoted_phrase_is_matched_as_a_phrase() {
    let app = search_fixture();
    let loose = result_links(&search(&app, "duty care").await);
    assert!(
        loose.contains(&"/other-routes#complaints".to_string()),
        "{loose:?}"
    );
    let html = search(&app, "\"duty of care\"").await;
    assert_eq!(result_links(&html), ["/special-payments#duty-of-care"]);
    assert_eq!(marked(&html), ["duty of care"]);
}

#[tokio::test]
async fn a_section_about_a_word_ranks_above_one_that_mentions_it() {
    let app = search_fixture();
    let links = result_links(&search(&app, "compensation").await);
    assert_eq!(links[0], "/special-payments#compensation", "{links:?}");
    let passing = links.iter().position(|l| l == "/other-routes#complaints");
    assert!(passing.is_some_and(|i| i > 0), "{links:?}");
}

#[tokio::test]
async fn each_result_shows_title_heading_and_a_marked_snippet() {
    let app = search_fixture();
    let html = search(&app, "compensation").await;
    let first = between(&html, "<li class=\"search-result\">", "</li>").unwrap();
    assert!(first.contains(">Compensation</a></h2>"), "{first}");
    assert!(first.contains("Asking for a special payment"), "{first}");
    assert!(
        first.contains("<mark>Compensation</mark> is a payment"),
        "{first}"
    );
}

#[tokio::test]
async fn every_result_links_to_a_heading_its_article_page_has() {
    let (state, app) = real_site();
    let pages = state.pages();
    let mut checked = 0;
    for q in advice_site::render::search::EXAMPLES
        .iter()
        .chain(&["ombudsman", "appeal"])
    {
        let links = result_links(&search(&app, q).await);
        assert!(!links.is_empty(), "{q}: nothing found");
        for link in links {
            let (path, fragment) = link.split_once('#').unwrap_or((&link, ""));
            let slug = path.trim_start_matches('/');
            assert!(
                pages.site.article(slug).is_some(),
                "{q}: {link} is no article"
            );
            if !fragment.is_empty() {
                let article = page(&app, path).await;
                assert!(ids(&article).contains(fragment), "{q}: {link}: no such id");
                checked += 1;
            }
        }
    }
    assert!(checked > 0, "no result linked to a heading");
}

#[tokio::test]
async fn the_query_is_escaped_in_the_box_and_in_no_results() {
    let (_, app) = real_site();
    let q = "<script>alert(1)</script>\"'&";
    let html = search(&app, q).await;
    assert!(!html.contains("<script>alert(1)"), "raw query in the page");
    let value = between(&html, "id=\"search-q\"", ">").unwrap();
    assert_eq!(attr_values(value, "value"), [q]);
    assert_eq!(
        decode(between(&html, "No results for “", "”").unwrap()),
        q,
        "the no-results sentence quotes it, escaped"
    );
    assert!(
        !html.contains("<title>Search results for"),
        "never in the title"
    );
}

#[tokio::test]
async fn an_empty_search_shows_suggestions_that_find_something() {
    let (_, app) = real_site();
    for path in ["/search", "/search?q=", "/search?q=+++", "/search?x=1"] {
        let html = page(&app, path).await;
        assert!(html.contains("<h1>Search</h1>"), "{path}");
        assert!(!html.contains("No results"), "{path}");
        let links = attr_values(&html, "href");
        for example in advice_site::render::search::EXAMPLES {
            assert!(links.contains(&search_path(example)), "{path}: {example}");
        }
        for link in ["/challenge-a-decision", "/get-help", "/topics", "/glossary"] {
            assert!(links.iter().any(|l| l == link), "{path}: no link to {link}");
        }
    }
    for example in advice_site::render::search::EXAMPLES {
        let html = search(&app, example).await;
        assert!(!result_links(&html).is_empty(), "{example} finds nothing");
    }
}

#[tokio::test]
async fn no_results_says_so_and_suggests_where_else_to_look() {
    let (_, app) = real_site();
    let (status, _, html) = get(&app, &search_path("xylophone")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("No results for “xylophone”"));
    assert!(result_links(&html).is_empty());
    let links = attr_values(&html, "href");
    for link in ["/challenge-a-decision", "/get-help", "/topics", "/glossary"] {
        assert!(links.iter().any(|l| l == link), "no link to {link}");
    }
}

#[tokio::test]
async fn a_long_query_is_cut_and_the_page_says_so() {
    let (state, app) = real_site();
    // Under the 8 KiB limit on a request target: answered, from its start.
    let q = format!("reconsideration {}", "word ".repeat(1400));
    let path = search_path(&q);
    assert!(path.len() < 8192);
    let html = search(&app, &q).await;
    assert!(
        html.contains("Only part of your search was used"),
        "the page says it was cut"
    );
    assert!(!result_links(&html).is_empty());
    let value = between(&html, "id=\"search-q\"", ">").unwrap();
    let shown = attr_values(value, "value").remove(0);
    assert_eq!(
        shown.chars().count(),
        advice_site::site::search::MAX_QUERY_CHARS
    );
    // 10 KB is over the limit on a request target: our 414 page, never a 500.
    let q = "appeal ".repeat(1500);
    let (status, headers, body) = get(&app, &search_path(&q)).await;
    assert_eq!(status, StatusCode::URI_TOO_LONG);
    assert_eq!(content_type(&headers), HTML);
    assert_eq!(body.as_bytes(), &state.pages().unsupported.body[..]);
}

#[tokio::test]
async fn results_are_never_indexed_nor_kept_by_a_shared_cache() {
    let (_, app) = real_site();
    for q in ["appeal", "", "xylophone"] {
        let (status, headers, html) = get(&app, &search_path(q)).await;
        assert_eq!(status, StatusCode::OK);
        assert!(
            html.contains("<meta name=\"robots\" content=\"noindex\">"),
            "{q}"
        );
        assert!(!html.contains("rel=\"canonical\""), "{q}");
        assert_eq!(headers[header::CACHE_CONTROL], "private, no-store", "{q}");
    }
}

#[tokio::test(flavor = "current_thread")]
async fn what_a_reader_searched_for_is_never_logged() {
    let (_, app) = real_site();
    let (captured, _guard) = capture_logs();
    for q in ["tribunal zanzibarish", "\"judicial review\" zanzibarish"] {
        let (status, _, _) = get(&app, &search_path(q)).await;
        assert_eq!(status, StatusCode::OK);
    }
    let log = captured.text();
    assert!(log.contains("GET /search 200 "), "{log}");
    for secret in ["zanzibarish", "tribunal", "q="] {
        assert!(!log.contains(secret), "the log holds {secret:?}:\n{log}");
    }
}

#[tokio::test]
async fn every_page_has_a_labelled_search_box_that_needs_no_script() {
    let (state, app) = real_site();
    let pages = state.pages();
    let article = &pages.site.articles[0];
    for path in ["/".to_string(), article.url()] {
        let html = page(&app, &path).await;
        let form = between(&html, "<form class=\"site-search\"", "</form>")
            .unwrap_or_else(|| panic!("{path}: no search form in the header"));
        assert!(form.contains("method=\"get\" action=\"/search\""), "{path}");
        assert!(form.contains("<label for=\"site-search-q\">"), "{path}");
        assert!(form.contains("id=\"site-search-q\" name=\"q\""), "{path}");
        assert!(
            form.contains(&format!(
                "maxlength=\"{}\"",
                advice_site::site::search::MAX_QUERY_CHARS
            )),
            "{path}: the box takes what the index reads"
        );
        assert!(
            form.contains("autocomplete=\"off\""),
            "{path}: no form history"
        );
    }
}

#[test]
fn no_article_may_take_the_search_address() {
    assert!(advice_site::site::paths::RESERVED.contains(&"search"));
    assert!(advice_site::site::paths::DYNAMIC.contains(&"/search"));
}
