//! The whole content path for one file, and the rules every rendered body
//! must keep. The fuzz target (`fuzz/fuzz_targets/content.rs`) and the
//! regression tests (`tests/pathological.rs`) both include this file, so
//! the two hold the renderer to the same rules.

use std::path::Path;

use advice_site::content;
use advice_site::markdown::{self, ArticleLink};

/// Where the file is said to come from: a valid slug, so a good file is
/// accepted.
pub const FAKE_PATH: &str = "content/fuzz.md";

/// What one file turned into.
#[derive(Debug)]
pub struct Rendered {
    /// The body's HTML.
    pub html: String,
    /// Whether the site would serve it.
    pub verdict: Verdict,
}

/// Whether the site would serve a file. Only what it would serve must be
/// safe: a body with problems stops the load and is never shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// `read_article` accepted the whole file.
    Accepted,
    /// The front matter was refused but the body has no problems, so it
    /// would be served once the front matter is right.
    BodyAccepted,
    /// The body has problems.
    Refused,
}

/// Resolves a link to another article the way the site does once it has
/// checked that the article exists.
pub fn resolve(link: &ArticleLink) -> String {
    match &link.fragment {
        Some(fragment) => format!("/{}#{fragment}", link.slug),
        None => format!("/{}", link.slug),
    }
}

/// Reads, parses and renders one file. When the front matter is refused
/// the body (or, with no closed front matter, the whole text) is still
/// parsed and rendered, so the Markdown path always runs.
pub fn run(text: &str) -> Rendered {
    let path = Path::new(FAKE_PATH);
    match content::read_article(path, text) {
        Ok(source) => Rendered {
            html: markdown::render(&source.doc, &resolve),
            verdict: Verdict::Accepted,
        },
        Err(_) => {
            let body = content::split_front_matter(path, text).map_or(text, |(_, body, _)| body);
            let doc = markdown::parse(body);
            Rendered {
                html: markdown::render(&doc, &resolve),
                verdict: if doc.problems.is_empty() {
                    Verdict::BodyAccepted
                } else {
                    Verdict::Refused
                },
            }
        }
    }
}

/// Elements the renderer may write. Anything else (`script`, `iframe`,
/// `svg`, `style`...) reached the page some way it should not have.
const TAGS: &[&str] = &[
    "a",
    "blockquote",
    "br",
    "code",
    "dd",
    "del",
    "div",
    "dl",
    "dt",
    "em",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "hr",
    "img",
    "input",
    "li",
    "ol",
    "p",
    "pre",
    "section",
    "span",
    "strong",
    "sub",
    "sup",
    "table",
    "tbody",
    "td",
    "th",
    "thead",
    "tr",
    "ul",
];

/// Attributes the renderer may write.
const ATTRIBUTES: &[&str] = &[
    "alt",
    "aria-hidden",
    "aria-label",
    "aria-labelledby",
    "checked",
    "class",
    "disabled",
    "href",
    "id",
    "role",
    "src",
    "start",
    "style",
    "tabindex",
    "title",
    "type",
];

/// URL schemes a link or image may use; every other scheme is refused at
/// load, so none may reach a page.
const SCHEMES: &[&str] = &["http", "https", "mailto"];

/// Checks rendered HTML the way a browser would read it: no `<script`
/// anywhere; every `<` opens a tag the renderer writes; no event-handler
/// attribute (`on...=`); and no `href` or `src` whose scheme, after
/// entity decoding, is other than http, https or mailto (which catches
/// `javascript:` in any spelling a browser accepts). Text an author typed
/// is escaped, so `&lt;img onerror=...` is fine.
pub fn check_html(html: &str) -> Result<(), String> {
    if html.to_ascii_lowercase().contains("<script") {
        return Err(near(
            html,
            html.to_ascii_lowercase().find("<script"),
            "a script tag",
        ));
    }
    let bytes = html.as_bytes();
    let mut i = 0;
    while let Some(found) = html[i..].find('<') {
        let open = i + found;
        i = read_tag(html, bytes, open)?;
    }
    Ok(())
}

/// Reads the tag that starts at `open` (a `<`) and returns the index just
/// past its `>`.
fn read_tag(html: &str, bytes: &[u8], open: usize) -> Result<usize, String> {
    let mut i = open + 1;
    if bytes.get(i) == Some(&b'/') {
        i += 1;
    }
    let name_start = i;
    while i < bytes.len() && bytes[i].is_ascii_alphanumeric() {
        i += 1;
    }
    let name = html[name_start..i].to_ascii_lowercase();
    if name.is_empty() || !bytes[name_start].is_ascii_alphabetic() {
        return Err(near(html, Some(open), "a `<` that opens no tag"));
    }
    if !TAGS.contains(&name.as_str()) {
        return Err(near(html, Some(open), &format!("a <{name}> element")));
    }
    // Attributes, as the HTML tokenizer splits them.
    loop {
        while i < bytes.len() && (bytes[i].is_ascii_whitespace() || bytes[i] == b'/') {
            i += 1;
        }
        match bytes.get(i) {
            None => return Err(near(html, Some(open), "a tag that is never closed")),
            Some(b'>') => return Ok(i + 1),
            Some(_) => {}
        }
        let attr_start = i;
        i += 1; // A name may begin with `=`.
        while i < bytes.len()
            && !matches!(
                bytes[i],
                b'>' | b'/' | b'=' | b' ' | b'\t' | b'\n' | b'\r' | b'\x0c'
            )
        {
            i += 1;
        }
        let attr = html[attr_start..i].to_ascii_lowercase();
        while i < bytes.len() && bytes[i].is_ascii_whitespace() {
            i += 1;
        }
        let mut value = String::new();
        if bytes.get(i) == Some(&b'=') {
            i += 1;
            while i < bytes.len() && bytes[i].is_ascii_whitespace() {
                i += 1;
            }
            let (start, end) = match bytes.get(i) {
                Some(&quote @ (b'"' | b'\'')) => {
                    let start = i + 1;
                    let Some(len) = html[start..].find(char::from(quote)) else {
                        return Err(near(html, Some(open), "an attribute value never closed"));
                    };
                    i = start + len + 1;
                    (start, start + len)
                }
                _ => {
                    let start = i;
                    while i < bytes.len() && !bytes[i].is_ascii_whitespace() && bytes[i] != b'>' {
                        i += 1;
                    }
                    (start, i)
                }
            };
            value = decode_entities(&html[start..end]);
        }
        if is_event_handler(&attr) {
            return Err(near(
                html,
                Some(attr_start),
                &format!("an event handler `{attr}`"),
            ));
        }
        if !ATTRIBUTES.contains(&attr.as_str()) {
            return Err(near(
                html,
                Some(attr_start),
                &format!("an attribute `{attr}`"),
            ));
        }
        if (attr == "href" || attr == "src")
            && let Some(scheme) = scheme(&value)
            && !SCHEMES.contains(&scheme.as_str())
        {
            return Err(near(
                html,
                Some(attr_start),
                &format!("a `{scheme}:` URL in {attr}"),
            ));
        }
    }
}

/// `on` followed by letters: `onclick`, `onerror`...
fn is_event_handler(attr: &str) -> bool {
    attr.strip_prefix("on")
        .is_some_and(|rest| !rest.is_empty() && rest.bytes().all(|b| b.is_ascii_alphabetic()))
}

/// Decodes the character references a browser decodes in an attribute
/// value: numeric ones (with or without `;`) and the named ones that can
/// spell a scheme.
fn decode_entities(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    let mut rest = value;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        rest = &rest[amp..];
        let (decoded, used) = decode_one(rest);
        match decoded {
            Some(c) => {
                out.push(c);
                rest = &rest[used..];
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

/// Decodes the reference at the start of `s` (which starts with `&`).
fn decode_one(s: &str) -> (Option<char>, usize) {
    const NAMED: &[(&str, char)] = &[
        ("&amp;", '&'),
        ("&lt;", '<'),
        ("&gt;", '>'),
        ("&quot;", '"'),
        ("&apos;", '\''),
        ("&colon;", ':'),
        ("&Tab;", '\t'),
        ("&NewLine;", '\n'),
        ("&sol;", '/'),
    ];
    for (name, c) in NAMED {
        if s.starts_with(name) {
            return (Some(*c), name.len());
        }
    }
    let Some(num) = s.strip_prefix("&#") else {
        return (None, 0);
    };
    let (radix, digits_start) = match num.as_bytes().first() {
        Some(b'x' | b'X') => (16, 3),
        _ => (10, 2),
    };
    let digits: String = s[digits_start..]
        .chars()
        .take_while(|c| c.is_digit(radix))
        .collect();
    if digits.is_empty() {
        return (None, 0);
    }
    let mut used = digits_start + digits.len();
    if s[used..].starts_with(';') {
        used += 1;
    }
    let c = u32::from_str_radix(&digits, radix)
        .ok()
        .and_then(char::from_u32)
        .unwrap_or('\u{fffd}');
    (Some(c), used)
}

/// The scheme of a URL as a browser reads it (leading controls and spaces
/// trimmed, tabs and newlines dropped), lower-cased; `None` for a path or
/// fragment.
fn scheme(url: &str) -> Option<String> {
    let cleaned: String = url
        .trim_start_matches(|c: char| c <= ' ')
        .chars()
        .filter(|c| !matches!(c, '\t' | '\n' | '\r'))
        .collect();
    let (candidate, _) = cleaned.split_once(':')?;
    let mut chars = candidate.chars();
    let first = chars.next()?;
    (first.is_ascii_alphabetic()
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.')))
    .then(|| candidate.to_ascii_lowercase())
}

/// A message naming what was found, with the HTML around it.
fn near(html: &str, at: Option<usize>, what: &str) -> String {
    let at = at.unwrap_or(0);
    let mut start = at.saturating_sub(40);
    while !html.is_char_boundary(start) {
        start -= 1;
    }
    let mut end = (at + 80).min(html.len());
    while !html.is_char_boundary(end) {
        end += 1;
    }
    format!("rendered HTML contains {what}: …{}…", &html[start..end])
}
