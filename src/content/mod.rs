//! Content loading: article files, their front matter and their bodies.

use std::path::{Path, PathBuf};

use serde::Deserialize;
use time::Date;

use crate::error::{Problem, toml_problem};
use crate::markdown::{self, Document};

/// The folder below `content/` that holds site pages (like
/// `/browse-safely`), which are not articles.
pub const PAGES_FOLDER: &str = "pages";

/// The line that opens and closes front matter.
const FENCE: &str = "+++";

/// What sort of article this is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// An explainer that stays current.
    Guide,
    /// A dated report of an event.
    News,
}

impl Kind {
    /// The label readers see.
    pub fn label(self) -> &'static str {
        match self {
            Kind::Guide => "Guide",
            Kind::News => "News",
        }
    }
}

/// The TOML between the `+++` lines at the top of an article.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FrontMatter {
    /// The headline.
    pub title: String,
    /// One sentence: the page description and the sharing preview text.
    pub summary: String,
    /// First published.
    pub published: toml::value::Datetime,
    /// Last checked as accurate.
    pub reviewed: toml::value::Datetime,
    /// Guide or news.
    pub kind: Kind,
    /// Slugs of articles to read next.
    pub related: Vec<String>,
    /// Short topic labels.
    #[serde(default)]
    pub tags: Vec<String>,
    /// A draft is served only when asked for.
    #[serde(default)]
    pub draft: bool,
    /// Old paths that should answer 301 to this article.
    #[serde(default)]
    pub aliases: Vec<String>,
    /// How the article's advice differs in Scotland, shown in a banner at
    /// the top; leave out where the advice is the same.
    pub scotland_differs: Option<String>,
}

/// One article as read from disk, before links to other articles are resolved.
#[derive(Debug)]
pub struct Source {
    /// The URL segment, from the file name.
    pub slug: String,
    /// Path of the file, for messages.
    pub path: PathBuf,
    /// Parsed front matter.
    pub front: FrontMatter,
    /// `published` as a date.
    pub published: Date,
    /// `reviewed` as a date.
    pub reviewed: Date,
    /// The parsed body.
    pub doc: Document,
    /// File line on which the body starts, to turn body offsets into lines.
    pub body_line: usize,
    /// The body text, to turn offsets into lines.
    pub body: String,
    /// The front matter text, to find a key's line.
    pub front_toml: String,
    /// The body as HTML, once the site has rendered it (see
    /// `site::Site::build`); empty until then.
    pub body_html: String,
    /// The glossary terms (by index) whose first use the body links.
    pub terms_linked: Vec<usize>,
}

impl Source {
    /// The file line of byte `offset` of the body.
    pub fn line_at(&self, offset: usize) -> usize {
        self.body_line + crate::error::line_of(&self.body, offset) - 1
    }

    /// The file line of the front-matter key `key`, or of the opening fence.
    pub fn front_line(&self, key: &str) -> usize {
        front_key_line(&self.front_toml, key)
    }
}

/// The file line of `key = ...` in front matter that starts on line 2, or 1.
fn front_key_line(toml_text: &str, key: &str) -> usize {
    toml_text
        .lines()
        .position(|l| {
            l.trim_start()
                .strip_prefix(key)
                .is_some_and(|rest| rest.trim_start().starts_with('='))
        })
        .map_or(1, |i| i + 2)
}

/// Whether `slug` is lower-case words of letters and digits joined by hyphens.
pub fn is_valid_slug(slug: &str) -> bool {
    !slug.is_empty()
        && !slug.starts_with('-')
        && !slug.ends_with('-')
        && !slug.contains("--")
        && slug
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

/// Splits a file into its front matter and body. Returns the TOML text, the
/// body, and the file line on which the body starts.
pub fn split_front_matter<'a>(
    path: &Path,
    text: &'a str,
) -> Result<(&'a str, &'a str, usize), Problem> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut lines = text.split_inclusive('\n');
    let first = lines.next().unwrap_or("");
    if first.trim_end() != FENCE {
        return Err(Problem::new(
            path,
            1,
            "an article must begin with a line `+++`, then its front matter, then another `+++`",
        ));
    }
    let start = first.len();
    let mut offset = start;
    let mut line = 1;
    for l in lines {
        line += 1;
        if l.trim_end() == FENCE {
            let toml = &text[start..offset];
            let body = &text[offset + l.len()..];
            return Ok((toml, body, line + 1));
        }
        offset += l.len();
    }
    Err(Problem::new(
        path,
        1,
        "the front matter opened here is never closed; add a line `+++` after it",
    ))
}

pub(crate) fn to_date(
    path: &Path,
    line: usize,
    field: &str,
    value: &toml::value::Datetime,
) -> Result<Date, Problem> {
    match (value.date, value.time, value.offset) {
        (Some(d), None, None) => Date::from_calendar_date(
            i32::from(d.year),
            time::Month::try_from(d.month).map_err(|_| bad_date(path, line, field))?,
            d.day,
        )
        .map_err(|_| bad_date(path, line, field)),
        _ => Err(bad_date(path, line, field)),
    }
}

fn bad_date(path: &Path, line: usize, field: &str) -> Problem {
    Problem::new(
        path,
        line,
        format!("`{field}` must be a calendar date without a time, like {field} = 2024-05-01"),
    )
}

/// Reads one article file: front matter checked, body parsed.
pub fn read_article(path: &Path, text: &str) -> Result<Source, Vec<Problem>> {
    let stem = path.file_stem().and_then(|s| s.to_str()).unwrap_or("");
    let (toml_text, body, body_line) = split_front_matter(path, text).map_err(|p| vec![p])?;
    let front: FrontMatter = toml::from_str(toml_text)
        .map_err(|e| vec![toml_problem(path, toml_text, 2, "the front matter", &e)])?;
    let mut problems = Vec::new();
    if !is_valid_slug(stem) {
        problems.push(Problem::new(
            path,
            1,
            format!(
                "file name `{stem}` is not a usable URL; rename it to lower-case words joined by hyphens, like `my-article.md`"
            ),
        ));
    }
    let mut date =
        |field: &str, value| match to_date(path, front_key_line(toml_text, field), field, value) {
            Ok(d) => Some(d),
            Err(p) => {
                problems.push(p);
                None
            }
        };
    let published = date("published", &front.published);
    let reviewed = date("reviewed", &front.reviewed);
    for (field, value) in [("title", &front.title), ("summary", &front.summary)] {
        if value.trim().is_empty() {
            problems.push(Problem::new(
                path,
                front_key_line(toml_text, field),
                format!("`{field}` is empty; write one"),
            ));
        }
    }
    if let (Some(p), Some(r)) = (published, reviewed)
        && r < p
    {
        problems.push(Problem::new(
            path,
            front_key_line(toml_text, "reviewed"),
            "`reviewed` is earlier than `published`; set it to the date you last checked the article",
        ));
    }
    let doc = markdown::parse(body);
    let source_body = body.to_string();
    for p in &doc.problems {
        let line = body_line + crate::error::line_of(&source_body, p.offset) - 1;
        problems.push(Problem::new(path, line, p.message.clone()));
    }
    match (published, reviewed) {
        (Some(published), Some(reviewed)) if problems.is_empty() => Ok(Source {
            slug: stem.to_string(),
            path: path.to_path_buf(),
            front,
            published,
            reviewed,
            doc,
            body_line,
            body: source_body,
            front_toml: toml_text.to_string(),
            body_html: String::new(),
            terms_linked: Vec::new(),
        }),
        _ => Err(problems),
    }
}

/// Lists the article files under `dir`: `*.md`, in folders too, skipping
/// hidden files, editors' backups and the site pages in `dir/pages`, sorted
/// so loads are repeatable.
pub fn article_paths(dir: &Path) -> Result<Vec<PathBuf>, Problem> {
    let mut found = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(folder) = pending.pop() {
        let entries = std::fs::read_dir(&folder).map_err(|e| {
            Problem::new(&folder, 1, format!("cannot read the content folder ({e})"))
        })?;
        for entry in entries.flatten() {
            let path = entry.path();
            let name = entry.file_name();
            let name = name.to_string_lossy();
            if name.starts_with('.') || name.ends_with('~') {
                continue;
            }
            let Ok(kind) = entry.file_type() else {
                continue;
            };
            if kind.is_dir() {
                if folder == dir && name == PAGES_FOLDER {
                    continue;
                }
                pending.push(path);
            } else if kind.is_file() && name.ends_with(".md") {
                found.push(path);
            }
        }
    }
    found.sort();
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = "+++\ntitle = \"T\"\nsummary = \"S\"\npublished = 2024-01-02\nreviewed = 2024-02-03\nkind = \"guide\"\nrelated = []\n+++\n\nBody text.\n";

    fn problems(text: &str) -> Vec<Problem> {
        read_article(Path::new("content/a.md"), text).unwrap_err()
    }

    #[test]
    fn good_article_reads() {
        let a = read_article(Path::new("content/a.md"), GOOD).unwrap();
        assert_eq!(a.slug, "a");
        assert_eq!(a.front.kind, Kind::Guide);
        assert_eq!(a.published.to_string(), "2024-01-02");
        assert_eq!(a.body_line, 9);
        assert!(!a.front.draft);
    }

    #[test]
    fn missing_opening_fence_is_reported_on_line_one() {
        let p = problems("title = \"x\"\n");
        assert_eq!(p[0].line, 1);
        assert!(p[0].message.contains("+++"));
    }

    #[test]
    fn unclosed_front_matter_is_reported() {
        let p = problems("+++\ntitle = \"x\"\n");
        assert!(p[0].message.contains("never closed"), "{}", p[0]);
    }

    #[test]
    fn missing_field_is_named() {
        let p = problems(&GOOD.replace("summary = \"S\"\n", ""));
        assert!(p[0].message.contains("missing field `summary`"), "{}", p[0]);
        assert!(p[0].message.contains("add it"), "{}", p[0]);
    }

    #[test]
    fn unknown_field_is_named_with_its_line() {
        let p =
            problems(&GOOD.replace("kind = \"guide\"\n", "kind = \"guide\"\nauthor = \"me\"\n"));
        assert!(p[0].message.contains("unknown field `author`"), "{}", p[0]);
        assert_eq!(p[0].line, 7, "{}", p[0]);
    }

    #[test]
    fn quoted_or_impossible_dates_are_refused() {
        let p = problems(&GOOD.replace("2024-01-02", "\"2024-01-02\""));
        assert_eq!(p[0].line, 4, "{}", p[0]);
        assert!(p[0].message.contains("2024-05-01"), "{}", p[0]);
        let p = problems(&GOOD.replace("2024-01-02", "2024-02-30"));
        assert_eq!(p[0].line, 4, "{}", p[0]);
        let p = problems(&GOOD.replace("2024-01-02", "2024-01-02T10:00:00"));
        assert_eq!(p[0].line, 4, "{}", p[0]);
    }

    #[test]
    fn unknown_kind_lists_the_choices() {
        let p = problems(&GOOD.replace("\"guide\"", "\"blog\""));
        assert!(p[0].message.contains("guide"), "{}", p[0]);
        assert_eq!(p[0].line, 6, "{}", p[0]);
    }

    #[test]
    fn body_problems_carry_file_lines() {
        let p = problems(&format!("{GOOD}\n[bad](javascript:alert(1))\n"));
        assert_eq!(p[0].line, 12, "{}", p[0]);
    }

    #[test]
    fn slugs_are_lower_case_words() {
        assert!(is_valid_slug("can-you-sue-the-cms"));
        assert!(is_valid_slug("2023-news"));
        for bad in [
            "",
            "Caps",
            "two--hyphens",
            "-lead",
            "trail-",
            "under_score",
            "dot.s",
        ] {
            assert!(!is_valid_slug(bad), "{bad}");
        }
    }
}
