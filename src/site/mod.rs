//! The site model: every article parsed, checked and cross-linked once at
//! load into a read-only [`Site`]. It holds no rendered bytes and knows
//! nothing of HTTP; `render` turns it into pages.
//!
//! May use: `config`, `error`, `fingerprint`, `markdown`, `content`, `tools`
//! (to load the tools' rules, which are content too).

pub mod glossary;
pub mod help;
pub mod lint;
pub mod page;
pub mod paths;
pub mod route;
pub mod search;
pub mod topics;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};

use time::Date;

use crate::config::SiteConfig;
use crate::content::{self, Kind, Source};
use crate::error::{LoadError, Problem};
use crate::fingerprint::fingerprint;
use crate::markdown::{self, TocEntry, terms::Terms};
use crate::tools::{deadlines, letters};

/// An article shows a contents list when it has at least this many sections.
const CONTENTS_MIN_SECTIONS: usize = 3;

/// Where to load from and what to include.
#[derive(Debug, Clone)]
pub struct LoadOptions {
    /// Folder of article files.
    pub content_dir: PathBuf,
    /// Folder of stylesheets, images and other files served as they are.
    pub static_dir: PathBuf,
    /// Serve articles marked `draft = true`.
    pub drafts: bool,
}

/// One article, ready to show.
#[derive(Debug, Clone)]
pub struct Article {
    /// URL segment: the article lives at `/<slug>`.
    pub slug: String,
    /// The file it came from.
    pub path: PathBuf,
    /// Headline.
    pub title: String,
    /// One-sentence summary.
    pub summary: String,
    /// First published.
    pub published: Date,
    /// Last checked as accurate.
    pub reviewed: Date,
    /// Guide or news.
    pub kind: Kind,
    /// Topic labels.
    pub tags: Vec<String>,
    /// Its topics, as `(slug, name)`, in the order of its tags.
    pub topics: Vec<(String, String)>,
    /// Whether it is a draft (only present when drafts are served).
    pub draft: bool,
    /// Slugs of articles the author chose to read next.
    pub related: Vec<String>,
    /// The rendered body, footnotes included. Produced and sanitised here;
    /// `render` takes it into the article's page, after which it is empty.
    pub body_html: String,
    /// h2/h3 contents list.
    pub toc: Vec<TocEntry>,
    /// Estimated minutes to read.
    pub reading_minutes: usize,
    /// Slugs of other articles this one links to, in first-link order.
    pub links_to: Vec<String>,
    /// Slugs of articles that link to this one, newest first.
    pub linked_from: Vec<String>,
    /// Old paths that redirect here.
    pub aliases: Vec<String>,
    /// Absolute canonical URL.
    pub canonical: String,
    /// How the advice differs in Scotland, for the banner.
    pub scotland_differs: Option<String>,
}

impl Article {
    /// The article's path on the site.
    pub fn url(&self) -> String {
        format!("/{}", self.slug)
    }

    /// Whether the article is long enough to open with a contents list.
    pub fn shows_contents(&self) -> bool {
        self.toc.len() >= CONTENTS_MIN_SECTIONS
    }
}

/// The host part of an absolute URL, for display.
pub fn host(url: &str) -> &str {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    rest.split('/').next().unwrap_or(rest)
}

/// Every article checked and cross-linked, with the site's settings and
/// static files: what `render` needs, built once.
#[derive(Debug)]
pub struct Site {
    /// The configuration it was built with.
    pub config: SiteConfig,
    /// Every served article, newest first.
    pub articles: Vec<Article>,
    /// Old paths (lower case, no trailing slash) and where they now live.
    pub redirects: HashMap<String, String>,
    /// The files in `static/`, read once.
    pub assets: Vec<Asset>,
    /// Fingerprinted URLs of the static files, which pages link to.
    pub asset_urls: AssetUrls,
    /// Things an author should fix that do not stop the load.
    pub warnings: Vec<Problem>,
    /// The deadline checker's rules (`content/deadlines.toml`); without
    /// the file there is no checker.
    pub deadlines: Option<deadlines::Rules>,
    /// The letters (`content/letters/*.toml`); without the folder, none.
    pub letters: Option<letters::Letters>,
    /// The step-by-step route (`content/steps.toml`), if there is one.
    pub route: Option<route::Route>,
    /// Free help (`content/help.toml`), if there is a list.
    pub help: Option<help::Help>,
    /// Site pages that are not articles (`content/pages/*.md`), rendered.
    pub pages: Vec<SitePage>,
    /// Every topic (the articles' tags), A–Z by slug.
    pub topics: Vec<topics::Topic>,
    /// The glossary (`content/glossary.toml`), if there is one.
    pub glossary: Option<glossary::Glossary>,
    /// Every section of every served article, indexed for `/search`.
    pub search: search::Index,
}

/// A site page that is not an article, ready to show.
#[derive(Debug, Clone)]
pub struct SitePage {
    /// URL segment.
    pub slug: String,
    /// Heading.
    pub title: String,
    /// Page description.
    pub summary: String,
    /// The rendered body, produced and sanitised here.
    pub body_html: String,
    /// Absolute canonical URL.
    pub canonical: String,
}

/// One file from `static/`, served as it is.
#[derive(Debug, Clone)]
pub struct Asset {
    /// Its path below `static/`, with `/` separators.
    pub key: String,
    /// Its bytes.
    pub body: Vec<u8>,
    /// Its fingerprinted URL, which caches may keep for a year.
    pub hashed_url: String,
}

impl Asset {
    /// The URL that revalidates: `/static/<key>`.
    pub fn url(&self) -> String {
        format!("/static/{}", self.key)
    }
}

/// Fingerprinted URLs of the files in `static/`, by file name, so pages
/// can link assets that caches may keep for a year.
#[derive(Debug, Clone, Default)]
pub struct AssetUrls(HashMap<String, String>);

impl AssetUrls {
    /// The URL to use for `name` (a path below `static/`).
    pub fn url(&self, name: &str) -> String {
        self.0
            .get(name)
            .cloned()
            .unwrap_or_else(|| format!("/static/{name}"))
    }
}

/// Inserts a fingerprinted name: `site.css` becomes `site.0123456789ab.css`.
pub fn fingerprinted_name(name: &str, body: &[u8]) -> String {
    let hash = &fingerprint(body)[..12];
    match name.rsplit_once('.') {
        Some((stem, ext)) => format!("{stem}.{hash}.{ext}"),
        None => format!("{name}.{hash}"),
    }
}

impl Site {
    /// Loads, checks and renders everything. Reports every problem found,
    /// not only the first.
    pub fn build(config: SiteConfig, options: &LoadOptions) -> Result<Self, LoadError> {
        let mut problems = Vec::new();
        let mut sources = Vec::new();
        // Articles that exist but failed to read: their own problem is
        // reported, so links to them are not reported again as missing.
        let mut broken: HashSet<String> = HashSet::new();
        // The glossary first: each body is rendered with its term links as
        // soon as it is read.
        let glossary_path = options.content_dir.join("glossary.toml");
        let glossary = load_optional(&glossary_path, &mut problems, glossary::Glossary::load);
        let matcher = glossary.as_ref().map(glossary::Glossary::matcher);
        let paths = content::article_paths(&options.content_dir)?;
        // The search index is built on a thread of its own while the
        // articles are read: each article's text goes to it as soon as the
        // file is parsed, so no article's text waits for the others.
        let (to_index, sections) =
            std::sync::mpsc::sync_channel::<Vec<search::Section<'static>>>(64);
        let indexer =
            std::thread::spawn(move || search::Index::build(sections.into_iter().flatten()));
        for path in paths {
            let read = std::fs::read_to_string(&path)
                .map_err(|e| {
                    vec![Problem::new(
                        &path,
                        1,
                        format!("cannot read this file ({e}); save it as UTF-8 text"),
                    )]
                })
                .and_then(|text| content::read_article(&path, &text));
            match read {
                Ok(mut source) => {
                    // Rendered now, so the parsed events can go: links are
                    // written from the slug alone, and checked below.
                    let (body_html, linked) = markdown::render_with_terms(
                        &source.doc,
                        &resolve_article_link,
                        matcher.as_ref(),
                    );
                    source.body_html = body_html;
                    source.terms_linked = linked;
                    if options.drafts || !source.front.draft {
                        // Fails only if the indexer panicked; `join` says so.
                        let _ = to_index.send(search_sections(&source));
                    }
                    source.doc.drop_events();
                    sources.push(source);
                }
                Err(mut found) => {
                    problems.append(&mut found);
                    if let Some(stem) = path.file_stem().and_then(|s| s.to_str()) {
                        broken.insert(stem.to_string());
                    }
                }
            }
        }
        drop(to_index);
        let sources = check_slugs(sources, &mut problems);
        check_tags(&sources, &mut problems);
        let (mut sources, drafts): (Vec<Source>, Vec<Source>) = sources
            .into_iter()
            .partition(|s| options.drafts || !s.front.draft);
        let draft_slugs: HashSet<&str> = drafts.iter().map(|s| s.slug.as_str()).collect();
        let by_slug: HashMap<&str, &Source> =
            sources.iter().map(|s| (s.slug.as_str(), s)).collect();
        for source in &sources {
            check_references(source, &by_slug, &draft_slugs, &broken, &mut problems);
        }
        let redirects = collect_aliases(&sources, &mut problems);
        let (assets, asset_urls) = load_assets(&options.static_dir)?;
        // The tools are content too: their rules and wording load here, and
        // their pages join the paths a link may point to.
        let letters_dir = options.content_dir.join("letters");
        let letters = if letters_dir.is_dir() {
            letters::Letters::load(&letters_dir)
                .map_err(|mut found| problems.append(&mut found))
                .ok()
        } else {
            None
        };
        let rules_path = options.content_dir.join("deadlines.toml");
        let deadlines = if rules_path.exists() {
            deadlines::Rules::load(&rules_path)
                .map_err(|mut found| problems.append(&mut found))
                .ok()
        } else {
            None
        };
        let route = load_optional(
            &options.content_dir.join("steps.toml"),
            &mut problems,
            route::Route::load,
        );
        let help_list = load_optional(
            &options.content_dir.join("help.toml"),
            &mut problems,
            help::Help::load,
        );
        let mut site_pages = Vec::new();
        for path in page::page_paths(&options.content_dir.join(page::FOLDER)) {
            match page::Page::read(&path) {
                Ok(found) => {
                    if by_slug.contains_key(found.slug.as_str()) {
                        problems.push(Problem::new(
                            &path,
                            1,
                            format!(
                                "the URL /{} is already taken by an article; rename one of them",
                                found.slug
                            ),
                        ));
                    } else {
                        site_pages.push(found);
                    }
                }
                Err(mut found) => problems.append(&mut found),
            }
        }
        let mut served: HashSet<String> = assets
            .iter()
            .flat_map(|a| [a.url(), a.hashed_url.clone()])
            .collect();
        // The checker's paths are always the site's; a link to them
        // without a checker is reported by `checker_link_problem`.
        served.extend(paths::DYNAMIC.iter().map(|p| (*p).to_string()));
        if let Some(letters) = &letters {
            served.insert("/letters".to_string());
            served.extend(letters.iter().map(|l| format!("/letters/{}", l.slug)));
        }
        if route.is_some() {
            served.insert(route::PATH.to_string());
        }
        if help_list.is_some() {
            served.insert(help::PATH.to_string());
        }
        // Both are always served, if only to say there is nothing yet.
        served.insert(glossary::PATH.to_string());
        served.insert(topics::PATH.to_string());
        served.extend(
            sources
                .iter()
                .flat_map(|s| &s.front.tags)
                .filter_map(|tag| topics::slug(tag))
                .map(|slug| format!("{}/{slug}", topics::PATH)),
        );
        served.extend(site_pages.iter().map(page::Page::url));
        for source in &sources {
            check_site_links(source, &by_slug, &served, deadlines.as_ref(), &mut problems);
        }
        for found in &site_pages {
            check_page_links(found, &by_slug, &served, &mut problems);
        }
        if let Some(rules) = &deadlines {
            for (link, line) in rules.links() {
                if let Some(message) = site_link_problem(&link, &by_slug, &served) {
                    problems.push(Problem::new(&rules_path, line, message));
                }
            }
        }
        for letter in letters.iter().flat_map(letters::Letters::iter) {
            let file = letters_dir.join(format!("{}.toml", letter.slug));
            let text = std::fs::read_to_string(&file).unwrap_or_default();
            for link in letter.links.iter().filter(|l| l.href.starts_with('/')) {
                let line = text
                    .find(&format!("\"{}\"", link.href))
                    .map_or(1, |at| crate::error::line_of(&text, at));
                if let Some(message) = site_link_problem(&link.href, &by_slug, &served) {
                    problems.push(Problem::new(&file, line, message));
                }
            }
        }
        for term in glossary.iter().flat_map(|g| &g.terms) {
            for (link, line) in term.see.iter().zip(&term.see_lines) {
                let message = if link.starts_with('/') {
                    site_link_problem(link, &by_slug, &served)
                } else {
                    Some(format!(
                        "`{link}` is not a link to this site; write a path such as /can-you-sue-the-cms#judicial-review"
                    ))
                };
                if let Some(message) = message {
                    problems.push(Problem::new(&glossary_path, *line, message));
                }
            }
        }
        if let Some(route) = &route {
            let path = options.content_dir.join("steps.toml");
            for (link, line) in route.links() {
                if let Some(message) = site_link_problem(link, &by_slug, &served)
                    .or_else(|| checker_link_problem(link, deadlines.as_ref()))
                {
                    problems.push(Problem::new(&path, *line, message));
                }
            }
            for (slug, line) in route.article_slugs() {
                if !by_slug.contains_key(slug.as_str()) {
                    let message = if draft_slugs.contains(slug.as_str()) {
                        format!(
                            "`{slug}` is a draft and is not published; publish it or remove it from the step"
                        )
                    } else {
                        format!(
                            "there is no article `{slug}` (no file {slug}.md); check the spelling"
                        )
                    };
                    problems.push(Problem::new(&path, *line, message));
                }
            }
        }
        if !problems.is_empty() {
            problems.sort_by(|a, b| (&a.file, a.line).cmp(&(&b.file, b.line)));
            return Err(problems.into());
        }

        let mut used_terms = vec![false; matcher.as_ref().map_or(0, Terms::len)];
        let mut articles: Vec<Article> = sources
            .iter_mut()
            .map(|source| build_article(source, &config.base_url, &mut used_terms))
            .collect();
        let search = indexer
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        articles.sort_by(|a, b| {
            b.published
                .cmp(&a.published)
                .then_with(|| a.title.cmp(&b.title))
        });
        link_backwards(&mut articles);
        let topic_list = topics::gather(&articles);
        let names: HashMap<&str, &str> = topic_list
            .iter()
            .map(|t| (t.slug.as_str(), t.name.as_str()))
            .collect();
        for article in &mut articles {
            for slug in article.tags.iter().filter_map(|tag| topics::slug(tag)) {
                if !article.topics.iter().any(|(s, _)| *s == slug) {
                    let name = names.get(slug.as_str()).copied().unwrap_or_default();
                    article.topics.push((slug, name.to_string()));
                }
            }
        }
        let today = time::OffsetDateTime::now_utc().date();
        let mut warnings = lint::warnings(&sources, &articles, config.check, today);
        if let Some(list) = &help_list {
            warnings.extend(list.stale(today, config.check.review_after_days));
        }
        if let Some(glossary) = &glossary {
            warnings.extend(glossary.warnings(&used_terms));
        }
        let pages = site_pages
            .iter()
            .map(|found| SitePage {
                slug: found.slug.clone(),
                title: found.title.clone(),
                summary: found.summary.clone(),
                body_html: markdown::render(&found.doc, &resolve_article_link),
                canonical: format!("{}{}", config.base_url, found.url()),
            })
            .collect();
        Ok(Site {
            config,
            articles,
            redirects,
            assets,
            asset_urls,
            warnings,
            deadlines,
            letters,
            route,
            help: help_list,
            pages,
            topics: topic_list,
            glossary,
            search,
        })
    }

    /// The article at `slug`, if it is served.
    pub fn article(&self, slug: &str) -> Option<&Article> {
        self.articles.iter().find(|a| a.slug == slug)
    }
}

/// Drops articles whose slug is taken twice or by the site itself.
fn check_slugs(sources: Vec<Source>, problems: &mut Vec<Problem>) -> Vec<Source> {
    let mut first: HashMap<String, PathBuf> = HashMap::new();
    let mut kept = Vec::with_capacity(sources.len());
    for source in sources {
        if paths::RESERVED.contains(&source.slug.as_str()) {
            problems.push(Problem::new(
                &source.path,
                1,
                format!(
                    "the URL /{} belongs to the site itself; rename the file",
                    source.slug
                ),
            ));
        } else if let Some(other) = first.get(&source.slug) {
            problems.push(Problem::new(
                &source.path,
                1,
                format!(
                    "duplicate slug `{}`: {} has the same file name; rename one of them",
                    source.slug,
                    other.display()
                ),
            ));
        } else {
            first.insert(source.slug.clone(), source.path.clone());
            kept.push(source);
        }
    }
    kept
}

/// Collects problems, leaving out those about an article that failed to
/// read (its own problem says why).
struct Reporter<'a> {
    problems: &'a mut Vec<Problem>,
    broken: &'a HashSet<String>,
}

impl Reporter<'_> {
    fn about(&mut self, slug: &str, problem: Problem) {
        if !self.broken.contains(slug) {
            self.problems.push(problem);
        }
    }
}

/// Refuses a tag that makes no topic slug: it would have no page.
fn check_tags(sources: &[Source], problems: &mut Vec<Problem>) {
    for source in sources {
        for tag in &source.front.tags {
            if topics::slug(tag).is_none() {
                problems.push(Problem::new(
                    &source.path,
                    source.front_line("tags"),
                    format!(
                        "tag `{tag}` has no letter or digit to make its topic's address from; write it in words"
                    ),
                ));
            }
        }
    }
}

/// Checks `related` and every link to another article against what is served.
fn check_references(
    source: &Source,
    by_slug: &HashMap<&str, &Source>,
    drafts: &HashSet<&str>,
    broken: &HashSet<String>,
    problems: &mut Vec<Problem>,
) {
    let mut problems = Reporter { problems, broken };
    let missing = |slug: &str| {
        if drafts.contains(slug) {
            format!("`{slug}` is a draft and is not published; publish it or remove this reference")
        } else {
            format!("there is no article `{slug}` (no file {slug}.md); check the spelling")
        }
    };
    for slug in &source.front.related {
        let message = if slug == &source.slug {
            Some("an article cannot be related to itself; remove it from `related`".to_string())
        } else if !by_slug.contains_key(slug.as_str()) {
            Some(format!("related: {}", missing(slug)))
        } else {
            None
        };
        if let Some(message) = message {
            problems.about(
                slug,
                Problem::new(&source.path, source.front_line("related"), message),
            );
        }
    }
    for link in &source.doc.article_links {
        let line = source.line_at(link.offset);
        match by_slug.get(link.slug.as_str()) {
            None => problems.about(
                &link.slug,
                Problem::new(
                    &source.path,
                    line,
                    format!("broken link `{}`: {}", link.written, missing(&link.slug)),
                ),
            ),
            Some(target) => {
                if let Some(fragment) = &link.fragment
                    && !target.doc.has_heading(fragment)
                {
                    problems.problems.push(Problem::new(
                        &source.path,
                        line,
                        format!(
                            "broken link `{}`: {} has no heading with id `{fragment}`; its ids are: {}",
                            link.written,
                            target.path.display(),
                            target.doc.id_list()
                        ),
                    ));
                }
            }
        }
    }
}

/// Checks links written as site paths (`/static/x.png`, `/other#part`)
/// against what the site will serve (`served`: static files and the tools'
/// pages).
fn check_site_links(
    source: &Source,
    by_slug: &HashMap<&str, &Source>,
    served: &HashSet<String>,
    rules: Option<&deadlines::Rules>,
    problems: &mut Vec<Problem>,
) {
    for (written, offset) in &source.doc.site_links {
        if let Some(message) = site_link_problem(written, by_slug, served)
            .or_else(|| checker_link_problem(written, rules))
        {
            problems.push(Problem::new(&source.path, source.line_at(*offset), message));
        }
    }
}

/// What is wrong with a link written as a site path, if anything: a page
/// the site does not serve, or a heading the article does not have.
fn site_link_problem(
    written: &str,
    by_slug: &HashMap<&str, &Source>,
    served: &HashSet<String>,
) -> Option<String> {
    let (path, fragment) = match written.split_once('#') {
        Some((p, f)) => (p, Some(f)),
        None => (written, None),
    };
    let path = path.split('?').next().unwrap_or(path);
    let article = by_slug.get(path.trim_start_matches('/'));
    let served =
        path == "/" || article.is_some() || paths::FIXED.contains(&path) || served.contains(path);
    if !served {
        return Some(format!(
            "broken link `{written}`: the site has no page at {path}; link an article by its file name, like other-article.md"
        ));
    }
    match (article, fragment) {
        (Some(target), Some(fragment)) if !target.doc.has_heading(fragment) => Some(format!(
            "broken link `{written}`: {} has no heading with id `{fragment}`; its ids are: {}",
            target.path.display(),
            target.doc.id_list()
        )),
        _ => None,
    }
}

/// Loads an optional data file: `None` when it is absent, or when it has
/// problems (which are added to `problems`).
fn load_optional<T>(
    path: &Path,
    problems: &mut Vec<Problem>,
    load: impl Fn(&Path) -> Result<T, Vec<Problem>>,
) -> Option<T> {
    if !path.exists() {
        return None;
    }
    match load(path) {
        Ok(value) => Some(value),
        Err(mut found) => {
            problems.append(&mut found);
            None
        }
    }
}

/// Checks a site page's links to articles and to site paths.
fn check_page_links(
    found: &page::Page,
    by_slug: &HashMap<&str, &Source>,
    assets: &HashSet<String>,
    problems: &mut Vec<Problem>,
) {
    for link in &found.doc.article_links {
        let written = match &link.fragment {
            Some(fragment) => format!("/{}#{fragment}", link.slug),
            None => format!("/{}", link.slug),
        };
        if let Some(message) = site_link_problem(&written, by_slug, assets) {
            problems.push(Problem::new(
                &found.path,
                found.line_at(link.offset),
                message,
            ));
        }
    }
    for (written, offset) in &found.doc.site_links {
        if let Some(message) = site_link_problem(written, by_slug, assets) {
            problems.push(Problem::new(&found.path, found.line_at(*offset), message));
        }
    }
}

/// What is wrong with a link to the deadline checker, if anything: a
/// `letter` the checker does not know, or no checker at all.
fn checker_link_problem(written: &str, rules: Option<&deadlines::Rules>) -> Option<String> {
    let (path, query) = written.split('#').next()?.split_once('?')?;
    if path != "/deadlines" {
        return None;
    }
    let Some(rules) = rules else {
        return Some(format!(
            "broken link `{written}`: there is no deadline checker (no content/deadlines.toml)"
        ));
    };
    for pair in query.split('&') {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        let known = match key {
            "letter" => {
                deadlines::LetterKind::parse(value).is_some_and(|kind| rules.letter(kind).is_some())
            }
            "nation" => deadlines::Nation::parse(value).is_some(),
            "day" | "month" | "year" => {
                !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit())
            }
            _ => false,
        };
        if !known {
            return Some(format!(
                "broken link `{written}`: the deadline checker takes letter=<type> (one of: {}), nation, day, month and year",
                rules
                    .letters()
                    .iter()
                    .map(|l| l.kind.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
    }
    None
}

/// An article's sections as search reads them: the summary opens the
/// intro, as it opens the page.
fn search_sections(source: &Source) -> Vec<search::Section<'static>> {
    let mut sections = markdown::text_sections(&source.doc);
    let intro = if sections.first().is_some_and(|s| s.heading.is_none()) {
        sections.remove(0).text
    } else {
        String::new()
    };
    let summary = &source.front.summary;
    let mut found = Vec::with_capacity(sections.len() + 1);
    found.push(search::Section {
        article_slug: source.slug.clone().into(),
        article_title: source.front.title.clone().into(),
        heading: None,
        anchor: None,
        text: if intro.is_empty() {
            summary.clone()
        } else {
            format!("{summary} {intro}")
        },
    });
    found.extend(sections.into_iter().map(|section| {
        let (anchor, heading) = section.heading.unzip();
        search::Section {
            article_slug: source.slug.clone().into(),
            article_title: source.front.title.clone().into(),
            heading,
            anchor,
            text: section.text,
        }
    }));
    found
}

/// The href of a link to another article, written by its file name.
fn resolve_article_link(link: &markdown::ArticleLink) -> String {
    match &link.fragment {
        Some(fragment) => format!("/{}#{fragment}", link.slug),
        None => format!("/{}", link.slug),
    }
}

/// Builds one article from its source, taking the rendered body; marks in
/// `used_terms` each glossary term the body links.
fn build_article(source: &mut Source, base_url: &str, used_terms: &mut [bool]) -> Article {
    let body_html = std::mem::take(&mut source.body_html);
    for &index in &source.terms_linked {
        if let Some(used) = used_terms.get_mut(index) {
            *used = true;
        }
    }
    let mut links_to: Vec<String> = Vec::new();
    for link in &source.doc.article_links {
        if link.slug != source.slug && !links_to.contains(&link.slug) {
            links_to.push(link.slug.clone());
        }
    }
    Article {
        slug: source.slug.clone(),
        path: source.path.clone(),
        title: source.front.title.clone(),
        summary: source.front.summary.clone(),
        published: source.published,
        reviewed: source.reviewed,
        kind: source.front.kind,
        tags: source.front.tags.clone(),
        topics: Vec::new(),
        draft: source.front.draft,
        related: source.front.related.clone(),
        body_html,
        toc: markdown::contents(&source.doc.headings),
        reading_minutes: source.doc.reading_minutes(),
        links_to,
        linked_from: Vec::new(),
        aliases: source.front.aliases.clone(),
        canonical: format!("{base_url}/{}", source.slug),
        scotland_differs: source.front.scotland_differs.clone(),
    }
}

/// Lower-cases `path` and drops a trailing slash: the form redirects match.
pub fn normalise_path(path: &str) -> String {
    let trimmed = path.trim_end_matches('/');
    if trimmed.is_empty() {
        "/".to_string()
    } else {
        trimmed.to_lowercase()
    }
}

/// Checks every article's `aliases` and maps each old path to its article.
fn collect_aliases(sources: &[Source], problems: &mut Vec<Problem>) -> HashMap<String, String> {
    let mut owner: HashMap<String, &Path> = HashMap::new();
    for source in sources {
        owner.insert(normalise_path(&format!("/{}", source.slug)), &source.path);
    }
    let mut redirects = HashMap::new();
    for source in sources {
        let line = source.front_line("aliases");
        for alias in &source.front.aliases {
            // Browsers send non-ASCII paths percent-encoded as UTF-8, so
            // that is the form the table must hold.
            let encoded = percent_encoding::utf8_percent_encode(alias, percent_encoding::CONTROLS)
                .to_string();
            let normal = normalise_path(&encoded);
            let first_segment = normal
                .trim_start_matches('/')
                .split('/')
                .next()
                .unwrap_or("");
            let message = if !alias.starts_with('/') || alias.contains(['?', '#', ' ', '\\']) {
                Some(format!(
                    "alias `{alias}` must be a path starting with `/`, without `?`, `#` or spaces"
                ))
            } else if normal == "/"
                || paths::RESERVED.contains(&first_segment)
                || paths::FIXED.contains(&normal.as_str())
            {
                Some(format!(
                    "alias `{alias}` is a path the site itself uses; remove it"
                ))
            } else {
                owner.get(&normal).map(|other| {
                    format!(
                        "alias `{alias}` is already claimed by {}; keep it in one article only",
                        other.display()
                    )
                })
            };
            match message {
                Some(message) => problems.push(Problem::new(&source.path, line, message)),
                None => {
                    owner.insert(normal.clone(), &source.path);
                    redirects.insert(normal, format!("/{}", source.slug));
                }
            }
        }
    }
    redirects
}

/// Fills `linked_from` from every article's `links_to`, keeping the
/// articles' own order (newest first).
fn link_backwards(articles: &mut [Article]) {
    let mut incoming: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for article in articles.iter() {
        for target in &article.links_to {
            incoming
                .entry(target.clone())
                .or_default()
                .push(article.slug.clone());
        }
    }
    for article in articles.iter_mut() {
        article.linked_from = incoming.remove(&article.slug).unwrap_or_default();
    }
}

/// Reads every regular file under `dir` into memory. Hidden files and
/// symbolic links are never served. Each file is served at
/// `/static/<name>` (revalidated) and at its fingerprinted name (cached for
/// a year), which is what pages link to.
fn load_assets(dir: &Path) -> Result<(Vec<Asset>, AssetUrls), Problem> {
    let mut assets = Vec::new();
    let mut urls = HashMap::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(folder) = pending.pop() {
        let entries = std::fs::read_dir(&folder).map_err(|e| {
            Problem::new(&folder, 1, format!("cannot read the static folder ({e})"))
        })?;
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            if name.starts_with('.') {
                continue;
            }
            let path = entry.path();
            // `file_type` does not follow links, so a symlink is neither.
            let Ok(kind) = entry.file_type() else {
                continue;
            };
            if kind.is_dir() {
                pending.push(path);
            } else if kind.is_file() {
                let body = std::fs::read(&path)
                    .map_err(|e| Problem::new(&path, 1, format!("cannot read this file ({e})")))?;
                let key = path
                    .strip_prefix(dir)
                    .unwrap_or(&path)
                    .components()
                    .map(|c| c.as_os_str().to_string_lossy())
                    .collect::<Vec<_>>()
                    .join("/");
                let hashed_url = format!("/static/{}", fingerprinted_name(&key, &body));
                urls.insert(key.clone(), hashed_url.clone());
                assets.push(Asset {
                    key,
                    body,
                    hashed_url,
                });
            }
        }
    }
    assets.sort_by(|a, b| a.key.cmp(&b.key));
    Ok((assets, AssetUrls(urls)))
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) fn article(slug: &str, links_to: &[&str]) -> Article {
        Article {
            slug: slug.into(),
            path: PathBuf::new(),
            title: slug.into(),
            summary: String::new(),
            published: Date::MIN,
            reviewed: Date::MIN,
            kind: Kind::Guide,
            tags: vec![],
            topics: vec![],
            draft: false,
            related: vec![],
            body_html: String::new(),
            toc: vec![],
            reading_minutes: 1,
            links_to: links_to.iter().map(|s| (*s).to_string()).collect(),
            linked_from: vec![],
            aliases: vec![],
            canonical: String::new(),
            scotland_differs: None,
        }
    }

    #[test]
    fn backlinks_are_the_reverse_of_links() {
        let mut articles = vec![
            article("a", &["b", "c"]),
            article("b", &["c"]),
            article("c", &[]),
        ];
        link_backwards(&mut articles);
        assert_eq!(articles[0].linked_from, Vec::<String>::new());
        assert_eq!(articles[1].linked_from, ["a"]);
        assert_eq!(articles[2].linked_from, ["a", "b"]);
    }

    #[test]
    fn redirect_paths_are_lower_case_without_trailing_slash() {
        assert_eq!(normalise_path("/Can-You-Sue/"), "/can-you-sue");
        assert_eq!(normalise_path("/2023/03/Post.html"), "/2023/03/post.html");
        assert_eq!(normalise_path("/"), "/");
        assert_eq!(normalise_path("//"), "/");
    }

    #[test]
    fn fingerprinted_names_keep_their_extension() {
        let name = fingerprinted_name("site.css", b"body{}");
        assert!(
            name.starts_with("site.") && name.ends_with(".css"),
            "{name}"
        );
        assert_eq!(name.len(), "site..css".len() + 12);
        assert_ne!(name, fingerprinted_name("site.css", b"body{ }"));
    }

    #[test]
    fn checker_links_may_carry_only_the_checkers_own_answers() {
        let rules = deadlines::Rules::load(
            &Path::new(env!("CARGO_MANIFEST_DIR")).join("content/deadlines.toml"),
        )
        .unwrap();
        let problem = |link: &str| checker_link_problem(link, Some(&rules));
        assert_eq!(problem("/deadlines?letter=decision"), None);
        assert_eq!(problem("/deadlines?letter=unlawful&nation=scotland"), None);
        assert_eq!(problem("/can-you-sue-the-cms?x=1"), None, "not the checker");
        assert!(problem("/deadlines?letter=bogus").is_some());
        assert!(problem("/deadlines?letter=decision&name=Jo").is_some());
        assert!(checker_link_problem("/deadlines?letter=decision", None).is_some());
    }

    #[test]
    fn host_is_taken_from_the_base_url() {
        assert_eq!(host("https://example.org"), "example.org");
        assert_eq!(host("http://127.0.0.1:3000/x"), "127.0.0.1:3000");
    }
}
