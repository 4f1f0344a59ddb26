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
use advice_site::error::{LoadError, Problem};
use advice_site::routes;
use advice_site::site::{LoadOptions, Site};
use advice_site::state::AppState;
use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, Method, Request, StatusCode, header};
use http_body_util::BodyExt;
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
fn try_load(content: &str, drafts: bool) -> Result<Site, LoadError> {
    let options = LoadOptions {
        content_dir: manifest(content),
        static_dir: manifest("static"),
        drafts,
    };
    Site::load(real_config(), &options)
}

fn load(content: &str, drafts: bool) -> AppState {
    match try_load(content, drafts) {
        Ok(site) => AppState::new(site),
        Err(err) => panic!("{content} did not load:\n{err}"),
    }
}

/// The real site, and the router serving it.
fn real_site() -> (AppState, Router) {
    let state = load("content", false);
    let app = routes::app(state.clone());
    (state, app)
}

/// Sends one request with an empty body through the router.
async fn request(app: &Router, method: Method, path: &str) -> (StatusCode, HeaderMap, String) {
    let req = Request::builder()
        .method(method)
        .uri(path)
        .body(Body::empty())
        .unwrap();
    let response = app.clone().oneshot(req).await.unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    // Images come back too; the tests only read text out of bodies.
    let body = String::from_utf8_lossy(&bytes).into_owned();
    (status, headers, body)
}

async fn get(app: &Router, path: &str) -> (StatusCode, HeaderMap, String) {
    request(app, Method::GET, path).await
}

/// GETs `path`, insisting on a 200 HTML page.
async fn page(app: &Router, path: &str) -> String {
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
    let site = state.site();
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
    let site = state.site();
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
    let articles = state.site().articles.len();
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
    let site = state.site();
    let support = format!("href=\"{}\"", site.config.support.url);
    let mut footnotes_seen = 0;
    for a in &site.articles {
        let html = page(&app, &a.url()).await;
        let slug = &a.slug;

        // The support link follows the body, before the page footer's own copy.
        let body_at = html.find(&a.body_html).expect("the body is on the page");
        let after_body = &html[body_at + a.body_html.len()..];
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
    for a in &state.site().articles {
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
    let short = routes::app(load("tests/fixtures/drafts", false));
    let html = page(&short, "/published").await;
    assert!(!html.contains("<nav class=\"contents\""), "{html}");
}

#[tokio::test]
async fn linked_from_lists_articles_that_link_here() {
    let (state, app) = real_site();
    let site = state.site();
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
    let article = state.site().articles[0].url();
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
    let article = state.site().articles[0].url();
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
    let (_, app) = real_site();
    let (status, headers, body) = get(&app, "/static/site.css").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(content_type(&headers), "text/css; charset=utf-8");
    assert!(!body.is_empty());
    // The file may be edited while tests run; it must still be CSS from disk.
    let on_disk = std::fs::read_to_string(manifest("static/site.css")).unwrap();
    assert_eq!(body.lines().next(), on_disk.lines().next());
    let home = page(&app, "/").await;
    assert!(
        home.contains("href=\"/static/site.css\""),
        "home links the stylesheet"
    );
}

// ---------------------------------------------------------------------------
// Fixture sites
// ---------------------------------------------------------------------------

#[tokio::test]
async fn title_with_script_is_escaped() {
    let state = load("tests/fixtures/escaping", false);
    let app = routes::app(state.clone());
    let article = &state.site().articles[0];
    assert!(article.title.contains("<script>"), "the fixture is hostile");
    for path in ["/".to_string(), article.url(), "/no-such-page".to_string()] {
        let (_, _, html) = get(&app, &path).await;
        let tags = tags(&html);
        // The only scripts are the site's own: structured data and share.js.
        let ours = [
            "<script type=\"application/ld+json\">",
            "<script src=\"/static/share.js\" defer>",
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
    let app = routes::app(state);
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

    let app = routes::app(load("tests/fixtures/drafts", true));
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
    let run = |args: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_advice-site"))
            .args(args)
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .env_remove("ADVICE_SITE_CONFIG")
            .env_remove("ADVICE_SITE_CONTENT")
            .env_remove("ADVICE_SITE_STATIC")
            .env_remove("ADVICE_SITE_BASE_URL")
            .output()
            .unwrap()
    };
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
