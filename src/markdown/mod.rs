//! Markdown rendering: pulldown-cmark plus the site's rules for headings,
//! footnotes, callouts, links and raw HTML.
//!
//! Rendering happens in two steps so that links between articles can be
//! checked against headings in other files: [`parse`] reads one body into a
//! [`Document`] (events, headings, outgoing links), then [`render`] writes the
//! HTML once every document's headings are known.

pub mod terms;

use std::collections::{HashMap, HashSet};
use std::fmt::Write as _;
use std::ops::Range;

use pulldown_cmark::{
    BlockQuoteKind, CowStr, Event, HeadingLevel, LinkType, Options, Parser, Tag, TagEnd,
    html::push_html,
};

/// Ids the page templates use; a heading may not take one of them.
pub const RESERVED_IDS: &[&str] = &[
    "main",
    "contents",
    "related",
    "linked-from",
    "support",
    "share",
    "share-url",
    "part-of",
    "get-help",
    "scotland-differs",
    "site-search",
    "site-search-q",
    "search-q",
    "results",
];

/// Words read per minute, for the reading-time estimate.
const WORDS_PER_MINUTE: usize = 200;

/// The Markdown features articles may use, chosen in one place.
pub fn options() -> Options {
    Options::ENABLE_TABLES
        | Options::ENABLE_FOOTNOTES
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_SMART_PUNCTUATION
        | Options::ENABLE_HEADING_ATTRIBUTES
        | Options::ENABLE_GFM
}

/// A heading of an article body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Heading {
    /// 1 to 6.
    pub level: u8,
    /// The id it is given in the page, unique within it.
    pub id: String,
    /// Its plain text.
    pub text: String,
    /// Byte offset in the body, for error messages.
    pub offset: usize,
}

/// A link from a body to another article: `other.md` or `other.md#section`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArticleLink {
    /// The target's slug (its file name without `.md`).
    pub slug: String,
    /// The heading id after `#`, if any.
    pub fragment: Option<String>,
    /// The link as written, for error messages.
    pub written: String,
    /// Byte offset in the body.
    pub offset: usize,
}

/// A mistake in a body, at a byte offset; the caller turns it into a line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BodyProblem {
    /// Byte offset in the body.
    pub offset: usize,
    /// What is wrong and how to fix it.
    pub message: String,
}

/// One entry of a contents list, with the h3s under an h2.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TocEntry {
    /// The heading's id.
    pub id: String,
    /// The heading's text.
    pub text: String,
    /// Subsections.
    pub children: Vec<TocEntry>,
}

/// A parsed body, ready to render once links can be resolved.
#[derive(Debug)]
pub struct Document {
    events: Vec<(Event<'static>, Range<usize>)>,
    /// Headings in order, with their final ids.
    pub headings: Vec<Heading>,
    /// The same ids, for lookups.
    heading_ids: HashSet<String>,
    /// Links to other articles.
    pub article_links: Vec<ArticleLink>,
    /// Links to other paths on this site (`/static/...`, `/`), with offsets.
    pub site_links: Vec<(String, usize)>,
    /// Words of running text, for the reading time.
    pub words: usize,
    /// Offsets of images with no alt text.
    pub images_without_alt: Vec<usize>,
    /// Footnotes defined but never cited, with their offsets.
    pub uncited_footnotes: Vec<(String, usize)>,
    /// Mistakes found while parsing.
    pub problems: Vec<BodyProblem>,
}

impl Document {
    /// Forgets the parsed events, keeping what was learnt from them
    /// (headings, links, counts). For a body already rendered: the events
    /// of every article held until all were read were the largest part of
    /// a load's peak memory. Rendering afterwards gives an empty body.
    pub fn drop_events(&mut self) {
        self.events = Vec::new();
    }

    /// Minutes a reader needs, at least one.
    pub fn reading_minutes(&self) -> usize {
        self.words.div_ceil(WORDS_PER_MINUTE).max(1)
    }

    /// The heading ids, for error messages: the first twenty at most.
    pub fn id_list(&self) -> String {
        let mut list: Vec<&str> = self
            .headings
            .iter()
            .take(20)
            .map(|h| h.id.as_str())
            .collect();
        if self.headings.len() > 20 {
            list.push("…");
        }
        list.join(", ")
    }

    /// Whether `id` names a heading of this document.
    pub fn has_heading(&self, id: &str) -> bool {
        self.heading_ids.contains(id)
    }
}

/// Makes an id from heading text: lower case ASCII letters and digits,
/// words joined by single hyphens.
pub fn slugify(text: &str) -> String {
    let mut slug = String::with_capacity(text.len());
    let mut pending_hyphen = false;
    for c in text.chars().flat_map(char::to_lowercase) {
        if c.is_ascii_alphanumeric() {
            if pending_hyphen && !slug.is_empty() {
                slug.push('-');
            }
            pending_hyphen = false;
            slug.push(c);
        } else if c.is_whitespace() || c == '-' || c == '_' {
            pending_hyphen = true;
        }
    }
    if slug.is_empty() {
        slug.push_str("section");
    }
    slug
}

/// Whether an author's `{#id}` is usable: ASCII letters, digits, `-` and `_`,
/// starting with a letter. Footnote ids contain `:`, so they can never clash.
pub fn is_valid_custom_id(id: &str) -> bool {
    id.starts_with(|c: char| c.is_ascii_alphabetic())
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

/// Builds a nested contents list from h2 and h3 headings. An h3 before any
/// h2 stands at the top level.
pub fn contents(headings: &[Heading]) -> Vec<TocEntry> {
    let mut toc: Vec<TocEntry> = Vec::new();
    for h in headings.iter().filter(|h| h.level == 2 || h.level == 3) {
        let entry = TocEntry {
            id: h.id.clone(),
            text: h.text.clone(),
            children: Vec::new(),
        };
        match toc.last_mut() {
            Some(parent) if h.level == 3 => parent.children.push(entry),
            _ => toc.push(entry),
        }
    }
    toc
}

/// What a link target is, by its form alone.
#[derive(Debug, PartialEq, Eq)]
enum Target<'a> {
    /// `#id` on the same page.
    SamePage(&'a str),
    /// `other.md` or `other.md#id`.
    Article {
        slug: &'a str,
        fragment: Option<&'a str>,
    },
    /// A path on this site such as `/static/x.png`, checked at load.
    SitePath(&'a str),
    /// A relative path that is neither: ambiguous, so refused.
    Relative,
    /// http(s) or mailto.
    Allowed,
    /// Anything else: `javascript:`, `data:`, `//host`, `file:`...
    Refused,
}

fn classify(dest: &str) -> Target<'_> {
    // Browsers ignore ASCII whitespace and control characters inside a
    // scheme, so `java\tscript:` must be judged as `javascript:`.
    let before_colon: String = match dest.find(':') {
        Some(i) => dest[..i]
            .chars()
            .filter(|c| !c.is_ascii_whitespace() && !c.is_ascii_control())
            .collect::<String>()
            .to_ascii_lowercase(),
        None => String::new(),
    };
    let has_scheme = dest.contains(':') && !before_colon.contains(['/', '?', '#']);
    if has_scheme {
        return match before_colon.as_str() {
            "http" | "https" | "mailto" => Target::Allowed,
            _ => Target::Refused,
        };
    }
    if dest.starts_with("//") || dest.contains('\\') {
        return Target::Refused;
    }
    if let Some(id) = dest.strip_prefix('#') {
        return Target::SamePage(id);
    }
    let (path, fragment) = match dest.split_once('#') {
        Some((p, f)) => (p, Some(f)),
        None => (dest, None),
    };
    if let Some(stem) = path.strip_suffix(".md") {
        let slug = stem.rsplit('/').next().unwrap_or(stem);
        return Target::Article { slug, fragment };
    }
    if dest.starts_with('/') {
        return Target::SitePath(dest);
    }
    Target::Relative
}

/// Reads one article body. Never fails: mistakes are listed in `problems`.
pub fn parse(body: &str) -> Document {
    let events: Vec<(Event<'static>, Range<usize>)> = Parser::new_ext(body, options())
        .into_offset_iter()
        .map(|(e, r)| (e.into_static(), r))
        .collect();
    let mut doc = Document {
        events,
        headings: Vec::new(),
        heading_ids: HashSet::new(),
        article_links: Vec::new(),
        site_links: Vec::new(),
        words: 0,
        images_without_alt: Vec::new(),
        uncited_footnotes: Vec::new(),
        problems: Vec::new(),
    };
    assign_heading_ids(&mut doc);
    doc.heading_ids = doc.headings.iter().map(|h| h.id.clone()).collect();
    check_links_and_count_words(&mut doc);
    find_authoring_slips(&mut doc);
    doc
}

/// Things worth a warning but not worth refusing the article for: images
/// without alt text, footnotes never cited.
fn find_authoring_slips(doc: &mut Document) {
    let mut cited: HashSet<String> = HashSet::new();
    let mut defined: Vec<(String, usize)> = Vec::new();
    // Images can nest (an image in another's alt text), so one pass with a
    // stack of open images keeps this linear.
    let mut open_images: Vec<(usize, bool)> = Vec::new();
    for (event, range) in &doc.events {
        match event {
            Event::Start(Tag::Image { .. }) => open_images.push((range.start, false)),
            Event::Text(t) | Event::Code(t) if !t.trim().is_empty() => {
                if let Some(top) = open_images.last_mut() {
                    top.1 = true;
                }
            }
            Event::End(TagEnd::Image) => {
                if let Some((offset, has_alt)) = open_images.pop() {
                    if !has_alt {
                        doc.images_without_alt.push(offset);
                    }
                    // A described inner image describes its parent too.
                    if has_alt && let Some(parent) = open_images.last_mut() {
                        parent.1 = true;
                    }
                }
            }
            Event::FootnoteReference(label) => {
                cited.insert(label.to_string());
            }
            Event::Start(Tag::FootnoteDefinition(label)) => {
                defined.push((label.to_string(), range.start));
            }
            _ => {}
        }
    }
    doc.images_without_alt.sort_unstable();
    doc.uncited_footnotes = defined
        .into_iter()
        .filter(|(label, _)| !cited.contains(label))
        .collect();
}

/// Gives every heading a unique id: custom ids first, then ids from text.
fn assign_heading_ids(doc: &mut Document) {
    let mut taken: HashSet<String> = RESERVED_IDS.iter().map(|s| (*s).to_string()).collect();
    let mut next_suffix: HashMap<String, usize> = HashMap::new();
    // Custom ids win, so claim them before any automatic id is made.
    for (event, range) in &doc.events {
        if let Event::Start(Tag::Heading { id: Some(id), .. }) = event {
            if !is_valid_custom_id(id) {
                doc.problems.push(BodyProblem {
                    offset: range.start,
                    message: format!(
                        "heading id `{id}` must start with a letter and use only letters, digits, `-` and `_`"
                    ),
                });
            } else if !taken.insert(id.to_string()) {
                doc.problems.push(BodyProblem {
                    offset: range.start,
                    message: format!(
                        "heading id `{id}` is used twice or is reserved by the page; choose another"
                    ),
                });
            }
        }
    }
    let mut i = 0;
    while i < doc.events.len() {
        let (Event::Start(Tag::Heading { level, id, .. }), range) = &doc.events[i] else {
            i += 1;
            continue;
        };
        let (level, custom, offset) = (heading_number(*level), id.clone(), range.start);
        let mut text = String::new();
        let mut j = i + 1;
        while j < doc.events.len() {
            match &doc.events[j].0 {
                Event::End(TagEnd::Heading(_)) => break,
                Event::Text(t) | Event::Code(t) => text.push_str(t),
                Event::SoftBreak | Event::HardBreak => text.push(' '),
                _ => {}
            }
            j += 1;
        }
        let id = match custom {
            Some(id) => id.to_string(),
            None => {
                let base = slugify(&text);
                let mut candidate = base.clone();
                // Remember where numbering got to for each base, so a page
                // with thousands of equal headings stays linear.
                let n = next_suffix.entry(base.clone()).or_insert(1);
                while taken.contains(&candidate) {
                    candidate = format!("{base}-{n}");
                    *n += 1;
                }
                taken.insert(candidate.clone());
                candidate
            }
        };
        // Authors' classes and attributes are dropped: `{onclick=...}` must
        // never reach the page.
        doc.events[i].0 = Event::Start(Tag::Heading {
            level: doc_level(level),
            id: Some(CowStr::from(id.clone())),
            classes: Vec::new(),
            attrs: Vec::new(),
        });
        doc.headings.push(Heading {
            level,
            id,
            text: text.trim().to_string(),
            offset,
        });
        i = j;
    }
}

fn heading_number(level: HeadingLevel) -> u8 {
    level as u8
}

fn doc_level(n: u8) -> HeadingLevel {
    HeadingLevel::try_from(usize::from(n)).unwrap_or(HeadingLevel::H6)
}

fn check_links_and_count_words(doc: &mut Document) {
    let mut in_footnote_or_code = 0usize;
    for (event, range) in &doc.events {
        match event {
            Event::Start(Tag::Link {
                dest_url,
                link_type,
                ..
            })
            | Event::Start(Tag::Image {
                dest_url,
                link_type,
                ..
            }) => {
                if *link_type == LinkType::Email {
                    continue;
                }
                match classify(dest_url) {
                    Target::Refused => doc.problems.push(BodyProblem {
                        offset: range.start,
                        message: format!(
                            "link target `{dest_url}` is not allowed; use an https:// or mailto: address, or a relative link such as other-article.md"
                        ),
                    }),
                    Target::Article { slug, fragment } => doc.article_links.push(ArticleLink {
                        slug: slug.to_string(),
                        fragment: fragment.map(str::to_string),
                        written: dest_url.to_string(),
                        offset: range.start,
                    }),
                    Target::SitePath(path) => doc.site_links.push((path.to_string(), range.start)),
                    Target::Relative => doc.problems.push(BodyProblem {
                        offset: range.start,
                        message: format!(
                            "relative link `{dest_url}` is ambiguous; link an article by its file name (other-article.md) or a site page by its path (/static/file.png)"
                        ),
                    }),
                    Target::SamePage(_) | Target::Allowed => {}
                }
            }
            Event::Start(Tag::CodeBlock(_)) => in_footnote_or_code += 1,
            Event::End(TagEnd::CodeBlock) => in_footnote_or_code -= 1,
            Event::Start(Tag::FootnoteDefinition(_)) => in_footnote_or_code += 1,
            Event::End(TagEnd::FootnoteDefinition) => in_footnote_or_code -= 1,
            Event::Text(t) if in_footnote_or_code == 0 => doc.words += t.split_whitespace().count(),
            _ => {}
        }
    }
    // Same-page anchors can only be checked once every heading has its id.
    for (event, range) in &doc.events {
        if let Event::Start(Tag::Link { dest_url, .. }) = event
            && let Target::SamePage(id) = classify(dest_url)
            && !doc.has_heading(id)
        {
            let ids = doc.id_list();
            doc.problems.push(BodyProblem {
                offset: range.start,
                message: format!(
                    "link `{dest_url}` points to no heading in this article; its ids are: {ids}"
                ),
            });
        }
    }
}

/// The plain text of one part of a body: what comes before the first
/// heading, or one heading and what follows it up to the next. Search
/// indexes these so that a hit links to the heading it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TextSection {
    /// The heading's id and text; `None` for the part before any heading.
    pub heading: Option<(String, String)>,
    /// The words a reader sees there, blocks separated by a space.
    pub text: String,
}

/// Cuts a body into [`TextSection`]s at every heading, as plain text.
/// Footnotes are left out (they are shown at the foot of the page, under no
/// heading of their own), and so are images' alt text; raw HTML is kept as
/// the text it is shown as. A heading with nothing under it is still a
/// section, so its own words can be found.
pub fn text_sections(doc: &Document) -> Vec<TextSection> {
    let mut sections = vec![TextSection {
        heading: None,
        text: String::new(),
    }];
    let mut headings = doc.headings.iter();
    let (mut in_heading, mut skipped) = (false, 0usize);
    for (event, _) in &doc.events {
        match event {
            Event::Start(Tag::Heading { .. }) => {
                in_heading = true;
                let heading = headings.next().map(|h| (h.id.clone(), h.text.clone()));
                sections.push(TextSection {
                    heading,
                    text: String::new(),
                });
            }
            Event::End(TagEnd::Heading(_)) => in_heading = false,
            Event::Start(Tag::FootnoteDefinition(_) | Tag::Image { .. }) => skipped += 1,
            Event::End(TagEnd::FootnoteDefinition | TagEnd::Image) => {
                skipped = skipped.saturating_sub(1);
            }
            _ if in_heading || skipped > 0 => {}
            Event::Text(t) | Event::Code(t) | Event::Html(t) | Event::InlineHtml(t) => {
                if let Some(last) = sections.last_mut() {
                    last.text.push_str(t);
                }
            }
            Event::SoftBreak
            | Event::HardBreak
            | Event::End(
                TagEnd::Paragraph
                | TagEnd::Item
                | TagEnd::TableCell
                | TagEnd::CodeBlock
                | TagEnd::HtmlBlock,
            ) => {
                if let Some(last) = sections.last_mut()
                    && !last.text.ends_with(' ')
                    && !last.text.is_empty()
                {
                    last.text.push(' ');
                }
            }
            _ => {}
        }
    }
    for section in &mut sections {
        let kept = section.text.trim_end().len();
        section.text.truncate(kept);
    }
    if sections[0].text.is_empty() && sections.len() > 1 {
        sections.remove(0);
    }
    sections
}

/// Renders a parsed body to HTML. `resolve` turns a link to another article
/// into its URL; it has already been checked, so it cannot fail here.
pub fn render(doc: &Document, resolve: &dyn Fn(&ArticleLink) -> String) -> String {
    render_with_terms(doc, resolve, None).0
}

/// Renders like [`render`], and links the first use of each glossary term
/// in running text to its definition (see [`terms`]). Also returns which
/// terms were linked, by index.
pub fn render_with_terms(
    doc: &Document,
    resolve: &dyn Fn(&ArticleLink) -> String,
    glossary: Option<&terms::Terms>,
) -> (String, Vec<usize>) {
    let mut renderer = Renderer::default();
    let mut link_index = 0;
    let mut out_events: Vec<Event<'_>> = Vec::with_capacity(doc.events.len());
    let mut footnote: Option<(String, Vec<Event<'_>>)> = None;
    let mut used = vec![false; glossary.map_or(0, terms::Terms::len)];
    // Open headings, links, images and code blocks: no term is linked
    // inside one (footnotes are told apart by `footnote`).
    let mut no_terms = 0usize;

    let mut i = 0;
    while i < doc.events.len() {
        let event = doc.events[i].0.clone();
        i += 1;
        match &event {
            Event::Start(
                Tag::Heading { .. } | Tag::Link { .. } | Tag::Image { .. } | Tag::CodeBlock(_),
            ) => no_terms += 1,
            Event::End(TagEnd::Heading(_) | TagEnd::Link | TagEnd::Image | TagEnd::CodeBlock) => {
                no_terms = no_terms.saturating_sub(1);
            }
            _ => {}
        }
        if let (Some(glossary), Event::Text(text), None, 0) =
            (glossary, &event, &footnote, no_terms)
        {
            // pulldown-cmark splits text at punctuation and line ends; a
            // term must be found across the pieces. A line end inside a
            // paragraph shows as a space, so it is written as one.
            let mut text = text.clone();
            loop {
                match doc.events.get(i) {
                    Some((Event::Text(more), _)) => text = CowStr::from(format!("{text}{more}")),
                    Some((Event::SoftBreak, _))
                        if matches!(doc.events.get(i + 1), Some((Event::Text(_), _))) =>
                    {
                        text = CowStr::from(format!("{text} "));
                    }
                    _ => break,
                }
                i += 1;
            }
            glossary.link(text, &mut used, &mut out_events);
            continue;
        }
        // Footnote definitions are taken out of the flow and written at the end.
        if let Event::Start(Tag::FootnoteDefinition(label)) = &event {
            footnote = Some((label.to_string(), Vec::new()));
            continue;
        }
        if let Event::End(TagEnd::FootnoteDefinition) = &event {
            if let Some((label, events)) = footnote.take() {
                renderer.definitions.insert(label, events);
            }
            continue;
        }
        let target = match &mut footnote {
            Some((_, events)) => events,
            None => &mut out_events,
        };
        let event = match event {
            // A bare URL shown as its own text is marked, so print styles
            // do not print it twice.
            Event::Start(Tag::Link {
                link_type: LinkType::Autolink,
                dest_url,
                ..
            }) => {
                let mut href = String::new();
                let _ = pulldown_cmark_escape::escape_href(&mut href, &dest_url);
                Event::Html(CowStr::from(format!("<a class=\"url\" href=\"{href}\">")))
            }
            Event::Start(Tag::Link {
                link_type,
                dest_url,
                title,
                id,
            }) => {
                let dest_url = if matches!(classify(&dest_url), Target::Article { .. })
                    && link_type != LinkType::Email
                {
                    let url = resolve(&doc.article_links[link_index]);
                    link_index += 1;
                    CowStr::from(url)
                } else {
                    dest_url
                };
                Event::Start(Tag::Link {
                    link_type,
                    dest_url,
                    title,
                    id,
                })
            }
            Event::Start(Tag::Image {
                link_type,
                dest_url,
                title,
                id,
            }) => {
                if matches!(classify(&dest_url), Target::Article { .. }) {
                    link_index += 1;
                }
                Event::Start(Tag::Image {
                    link_type,
                    dest_url,
                    title,
                    id,
                })
            }
            other => {
                renderer.transform(other, target);
                continue;
            }
        };
        target.push(event);
    }

    let mut html = String::with_capacity(doc.events.len() * 16);
    push_html(&mut html, out_events.into_iter());
    renderer.write_footnotes(&mut html);
    let linked = used
        .iter()
        .enumerate()
        .filter_map(|(index, &was)| was.then_some(index))
        .collect();
    (html, linked)
}

/// State carried through one render: open callouts, footnote numbering.
#[derive(Default)]
struct Renderer<'a> {
    /// The id of the heading being written, so its self-link can follow.
    heading_id: Option<String>,
    /// Footnote labels in order of first citation, with citation counts.
    cited: Vec<(String, usize)>,
    /// Where each label stands in `cited`.
    cited_index: HashMap<String, usize>,
    /// Footnote bodies by label.
    definitions: HashMap<String, Vec<Event<'a>>>,
}

impl<'a> Renderer<'a> {
    /// Rewrites one event into what the page shows, pushing it onto `out`.
    fn transform(&mut self, event: Event<'a>, out: &mut Vec<Event<'a>>) {
        let html = |s: String| Event::Html(CowStr::from(s));
        match event {
            // Raw HTML is shown as the text it is, never passed through.
            Event::Html(text) | Event::InlineHtml(text) => out.push(Event::Text(text)),
            Event::Start(Tag::HtmlBlock) => out.push(Event::Start(Tag::Paragraph)),
            Event::End(TagEnd::HtmlBlock) => out.push(Event::End(TagEnd::Paragraph)),
            Event::Start(Tag::Heading { ref id, .. }) => {
                self.heading_id = id.as_ref().map(|i| i.to_string());
                out.push(event);
            }
            Event::End(TagEnd::Heading(level)) => {
                if let Some(id) = self.heading_id.take() {
                    // Ids are checked at parse, but the link escapes its own
                    // attribute rather than rely on that.
                    let mut escaped = String::new();
                    let _ = pulldown_cmark_escape::escape_href(&mut escaped, &id);
                    let id = escaped;
                    out.push(html(format!(
                        "<a class=\"heading-link\" href=\"#{id}\"><span aria-hidden=\"true\">#</span><span class=\"visually-hidden\">Link to this section</span></a>"
                    )));
                }
                out.push(Event::End(TagEnd::Heading(level)));
            }
            Event::Start(Tag::BlockQuote(Some(kind))) => {
                let (class, title) = callout(kind);
                out.push(html(format!(
                    "<div class=\"callout callout-{class}\" role=\"note\">\n<p class=\"callout-title\">{title}</p>\n"
                )));
            }
            Event::End(TagEnd::BlockQuote(Some(_))) => out.push(html("</div>\n".into())),
            Event::Start(Tag::Table(_)) => {
                // A wide table scrolls inside its own focusable box rather
                // than making the whole page scroll sideways on a phone.
                out.push(html(
                    "<div class=\"table-scroll\" role=\"region\" aria-label=\"Table\" tabindex=\"0\">\n".into(),
                ));
                out.push(event);
            }
            Event::End(TagEnd::Table) => {
                out.push(event);
                out.push(html("</div>\n".into()));
            }
            Event::FootnoteReference(label) => {
                let number = match self.cited_index.get(label.as_ref()) {
                    Some(&i) => {
                        self.cited[i].1 += 1;
                        i + 1
                    }
                    None => {
                        self.cited.push((label.to_string(), 1));
                        self.cited_index
                            .insert(label.to_string(), self.cited.len() - 1);
                        self.cited.len()
                    }
                };
                let ref_id = footnote_ref_id(number, self.cited[number - 1].1);
                out.push(html(format!(
                    "<sup class=\"footnote-ref\"><a href=\"#fn:{number}\" id=\"{ref_id}\"><span class=\"visually-hidden\">Note </span>{number}</a></sup>"
                )));
            }
            other => out.push(other),
        }
    }

    /// Writes the cited footnotes as a numbered list, each with links back
    /// to every place it was cited.
    fn write_footnotes(&mut self, html: &mut String) {
        if self.cited.is_empty() {
            return;
        }
        html.push_str("<section class=\"footnotes\" aria-labelledby=\"fn:title\">\n<h2 id=\"fn:title\">Sources and notes</h2>\n<ol>\n");
        let cited = std::mem::take(&mut self.cited);
        for (i, (label, count)) in cited.iter().enumerate() {
            let number = i + 1;
            let _ = write!(html, "<li id=\"fn:{number}\">");
            let mut body = String::new();
            if let Some(events) = self.definitions.remove(label) {
                // Already transformed when they were taken out of the flow.
                push_html(&mut body, events.into_iter());
            }
            let mut back = String::new();
            for n in 1..=*count {
                let label_text = if *count == 1 {
                    format!("Back to where note {number} is cited")
                } else {
                    format!("Back to citation {n} of note {number}")
                };
                let _ = write!(
                    back,
                    " <a class=\"footnote-back\" href=\"#{}\"><span aria-hidden=\"true\">↩</span><span class=\"visually-hidden\">{label_text}</span></a>",
                    footnote_ref_id(number, n)
                );
            }
            let body = body.trim_end();
            match body.strip_suffix("</p>") {
                Some(inner) => {
                    html.push_str(inner);
                    html.push_str(&back);
                    html.push_str("</p>");
                }
                None => {
                    html.push_str(body);
                    html.push_str(&back);
                }
            }
            html.push_str("</li>\n");
        }
        html.push_str("</ol>\n</section>\n");
    }
}

fn footnote_ref_id(number: usize, nth: usize) -> String {
    if nth == 1 {
        format!("fnref:{number}")
    } else {
        format!("fnref:{number}-{nth}")
    }
}

fn callout(kind: BlockQuoteKind) -> (&'static str, &'static str) {
    match kind {
        BlockQuoteKind::Note => ("note", "Note"),
        BlockQuoteKind::Tip => ("tip", "Tip"),
        BlockQuoteKind::Important => ("important", "Important"),
        BlockQuoteKind::Warning => ("warning", "Warning"),
        BlockQuoteKind::Caution => ("caution", "Caution"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn html(body: &str) -> String {
        let doc = parse(body);
        assert!(doc.problems.is_empty(), "{:?}", doc.problems);
        render(&doc, &|link| format!("/{}", link.slug))
    }

    fn heading(level: u8, id: &str) -> Heading {
        Heading {
            level,
            id: id.into(),
            text: id.into(),
            offset: 0,
        }
    }

    #[test]
    fn slugify_keeps_words_and_drops_punctuation() {
        assert_eq!(slugify("Can you sue the CMS?"), "can-you-sue-the-cms");
        assert_eq!(slugify("  Step 1 -- ask  again "), "step-1-ask-again");
        assert_eq!(slugify("Don’t panic!"), "dont-panic");
        assert_eq!(slugify("???"), "section");
    }

    #[test]
    fn text_sections_split_at_headings_and_drop_footnotes_and_alt_text() {
        let doc = parse(
            "Intro *text*.\n\n## First part\n\nOne.\nTwo `code`.\n\n- a\n- b\n\n\
             ![alt words](/static/x.png)\n\n### Inner {#inner}\n\nThree.[^n]\n\n[^n]: A note.\n",
        );
        let sections = text_sections(&doc);
        let got: Vec<(Option<&str>, &str)> = sections
            .iter()
            .map(|s| {
                (
                    s.heading.as_ref().map(|(id, _)| id.as_str()),
                    s.text.as_str(),
                )
            })
            .collect();
        assert_eq!(
            got,
            [
                (None, "Intro text."),
                (Some("first-part"), "One. Two code. a b"),
                (Some("inner"), "Three."),
            ]
        );
        assert_eq!(sections[1].heading.as_ref().unwrap().1, "First part");
    }

    #[test]
    fn a_body_starting_with_a_heading_has_no_empty_intro() {
        let sections = text_sections(&parse("## Only\n\nWords."));
        assert_eq!(sections.len(), 1);
        assert_eq!(sections[0].text, "Words.");
        assert_eq!(text_sections(&parse("")).len(), 1);
    }

    #[test]
    fn repeated_headings_get_numbered_ids() {
        let doc = parse("## Costs\n\n## Costs\n\n## Costs\n");
        let ids: Vec<_> = doc.headings.iter().map(|h| h.id.as_str()).collect();
        assert_eq!(ids, ["costs", "costs-1", "costs-2"]);
    }

    #[test]
    fn custom_id_wins_over_generated_one() {
        let doc = parse("## Appeals\n\n## Other {#appeals}\n");
        let ids: Vec<_> = doc.headings.iter().map(|h| h.id.as_str()).collect();
        assert_eq!(ids, ["appeals-1", "appeals"]);
    }

    #[test]
    fn heading_may_not_take_a_template_id() {
        let doc = parse("## Contents\n\n## Main\n");
        let ids: Vec<_> = doc.headings.iter().map(|h| h.id.as_str()).collect();
        assert_eq!(ids, ["contents-1", "main-1"]);
        assert!(!parse("## X {#contents}\n").problems.is_empty());
    }

    #[test]
    fn heading_attributes_other_than_id_are_dropped() {
        let out = html("## Hi {#hi .big onclick=alert(1)}\n");
        assert!(out.contains("<h2 id=\"hi\">Hi"), "{out}");
        assert!(!out.contains("onclick"), "{out}");
        assert!(!out.contains("big"), "{out}");
    }

    #[test]
    fn heading_self_link_escapes_even_an_id_that_parse_refused() {
        let doc = parse("## Costs {#costs\"onclick=\"alert(1)}\n");
        assert_eq!(doc.problems.len(), 1, "the id is refused at parse");
        let out = render(&doc, &|l| format!("/{}", l.slug));
        assert!(!out.contains("\"onclick"), "{out}");
    }

    #[test]
    fn heading_has_a_link_to_itself() {
        let out = html("## Judicial review\n");
        assert!(
            out.contains("<a class=\"heading-link\" href=\"#judicial-review\">"),
            "{out}"
        );
    }

    #[test]
    fn contents_nests_h3_under_h2() {
        let toc = contents(&[
            heading(3, "orphan"),
            heading(2, "a"),
            heading(3, "a1"),
            heading(4, "deep"),
            heading(3, "a2"),
            heading(2, "b"),
        ]);
        let shape: Vec<(String, Vec<String>)> = toc
            .iter()
            .map(|e| {
                (
                    e.id.clone(),
                    e.children.iter().map(|c| c.id.clone()).collect(),
                )
            })
            .collect();
        assert_eq!(
            shape,
            [
                ("orphan".into(), vec![]),
                ("a".into(), vec!["a1".into(), "a2".into()]),
                ("b".into(), vec![]),
            ]
        );
    }

    #[test]
    fn raw_html_is_shown_as_text() {
        let out = html("Hello <script>alert(1)</script>\n\n<div onclick=\"x\">block</div>\n");
        assert!(!out.contains("<script>"), "{out}");
        assert!(!out.contains("<div onclick"), "{out}");
        assert!(out.contains("&lt;script&gt;"), "{out}");
        assert!(out.contains("&lt;div onclick="), "{out}");
    }

    #[test]
    fn dangerous_link_schemes_are_problems() {
        for target in [
            "javascript:alert(1)",
            "JavaScript:alert(1)",
            "java%0ascript:x",
            "data:text/html,x",
            "vbscript:x",
            "//evil.example/x",
            "file:///etc/passwd",
        ] {
            let doc = parse(&format!("[x]({target})\n"));
            assert_eq!(doc.problems.len(), 1, "{target} was accepted");
        }
        let doc = parse("[x](java&#115;cript:alert(1))\n");
        assert_eq!(doc.problems.len(), 1, "entity-encoded scheme was accepted");
        let doc = parse("![x](javascript:alert(1))\n");
        assert_eq!(doc.problems.len(), 1, "image scheme was accepted");
    }

    #[test]
    fn ordinary_links_are_allowed() {
        for target in [
            "https://www.gov.uk/",
            "http://example.org",
            "mailto:a@b.example",
            "/",
            "other.md",
            "other.md#part",
            "#here",
        ] {
            let doc = parse(&format!("## Here\n\n[x]({target})\n"));
            assert!(doc.problems.is_empty(), "{target}: {:?}", doc.problems);
        }
    }

    #[test]
    fn article_links_are_collected_and_resolved() {
        let doc = parse("See [a](can-you-sue.md#judicial-review) and [b](../x/other.md).\n");
        let slugs: Vec<_> = doc
            .article_links
            .iter()
            .map(|l| (l.slug.as_str(), l.fragment.as_deref()))
            .collect();
        assert_eq!(
            slugs,
            [("can-you-sue", Some("judicial-review")), ("other", None)]
        );
        let out = render(&doc, &|l| match &l.fragment {
            Some(f) => format!("/{}#{f}", l.slug),
            None => format!("/{}", l.slug),
        });
        assert!(
            out.contains("href=\"/can-you-sue#judicial-review\""),
            "{out}"
        );
        assert!(out.contains("href=\"/other\""), "{out}");
    }

    #[test]
    fn same_page_anchor_to_missing_heading_is_a_problem() {
        let doc = parse("## Real\n\n[x](#real) [y](#imagined)\n");
        assert_eq!(doc.problems.len(), 1);
        assert!(doc.problems[0].message.contains("#imagined"));
        assert!(
            doc.problems[0].message.contains("real"),
            "the fix lists the ids"
        );
    }

    #[test]
    fn site_paths_are_collected_and_bare_relative_paths_refused() {
        let doc = parse("[a](/static/x.png) ![b](/) [c](picture.png)\n");
        let paths: Vec<&str> = doc.site_links.iter().map(|(p, _)| p.as_str()).collect();
        assert_eq!(paths, ["/static/x.png", "/"]);
        assert_eq!(doc.problems.len(), 1, "{:?}", doc.problems);
        assert!(doc.problems[0].message.contains("picture.png"));
    }

    #[test]
    fn footnotes_link_both_ways_and_never_clash_with_headings() {
        let out = html("## fn 1\n\nA claim.[^src] Again.[^src]\n\n[^src]: A source.\n");
        assert!(out.contains("<h2 id=\"fn-1\">"), "{out}");
        assert!(out.contains("href=\"#fn:1\" id=\"fnref:1\""), "{out}");
        assert!(out.contains("href=\"#fn:1\" id=\"fnref:1-2\""), "{out}");
        assert!(out.contains("<li id=\"fn:1\">"), "{out}");
        assert!(out.contains("href=\"#fnref:1\""), "{out}");
        assert!(out.contains("href=\"#fnref:1-2\""), "{out}");
        let list = out.find("<section class=\"footnotes\"").unwrap();
        assert!(
            out.find("A source.").unwrap() > list,
            "definition not at the end"
        );
    }

    #[test]
    fn footnotes_are_numbered_in_citation_order() {
        let out = html("B[^b] then A[^a].\n\n[^a]: First defined.\n[^b]: Second defined.\n");
        let b = out.find("Second defined").unwrap();
        let a = out.find("First defined").unwrap();
        assert!(b < a, "{out}");
    }

    #[test]
    fn alerts_become_titled_callouts() {
        let out = html("> [!WARNING]\n> Act within 30 days.\n");
        assert!(
            out.contains("<div class=\"callout callout-warning\" role=\"note\">"),
            "{out}"
        );
        assert!(
            out.contains("<p class=\"callout-title\">Warning</p>"),
            "{out}"
        );
        assert!(!out.contains("<blockquote"), "{out}");
    }

    #[test]
    fn tables_scroll_in_a_focusable_region() {
        let out = html("| a | b |\n|---|---|\n| 1 | 2 |\n");
        assert!(out.contains("<div class=\"table-scroll\""), "{out}");
        assert!(out.contains("<th>a</th>"), "{out}");
        assert!(out.trim_end().ends_with("</table>\n</div>"), "{out}");
    }

    #[test]
    fn bare_urls_are_marked_and_escaped() {
        let out = html("<https://example.org/a?b=1&c=\"2\">\n");
        assert!(
            out.contains("<a class=\"url\" href=\"https://example.org/a?b=1&amp;c=%222%22\">"),
            "{out}"
        );
    }

    #[test]
    fn smart_punctuation_and_strikethrough_apply() {
        let out = html("It's \"fine\" -- ~~wrong~~\n");
        assert!(out.contains("It’s “fine” –"), "{out}");
        assert!(out.contains("<del>wrong</del>"), "{out}");
    }

    #[test]
    fn images_without_alt_and_uncited_footnotes_are_noticed() {
        let doc =
            parse("![](/a.png) ![A chart](/b.png)\n\nText.[^used]\n\n[^used]: x\n[^spare]: y\n");
        assert_eq!(doc.images_without_alt, [0]);
        let labels: Vec<&str> = doc
            .uncited_footnotes
            .iter()
            .map(|(l, _)| l.as_str())
            .collect();
        assert_eq!(labels, ["spare"]);
    }

    #[test]
    fn reading_time_counts_body_words() {
        let words = "word ".repeat(450);
        assert_eq!(parse(&words).reading_minutes(), 3);
        assert_eq!(parse("short").reading_minutes(), 1);
    }
}
