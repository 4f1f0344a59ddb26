//! Site pages written in Markdown that are not articles
//! (`content/pages/*.md`, like `/browse-safely`): no dates, no feed entry,
//! no place in article lists. Only `title` and `summary` in front matter.

use std::path::{Path, PathBuf};

use serde::Deserialize;

pub use crate::content::PAGES_FOLDER as FOLDER;
use crate::content::{is_valid_slug, split_front_matter};
use crate::error::{Problem, line_of, toml_problem};
use crate::markdown::{self, Document};

/// One page, parsed.
#[derive(Debug)]
pub struct Page {
    /// The URL segment, from the file name.
    pub slug: String,
    /// The file it came from.
    pub path: PathBuf,
    /// The heading.
    pub title: String,
    /// One sentence: the page description.
    pub summary: String,
    /// The parsed body.
    pub doc: Document,
    body: String,
    body_line: usize,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PageFront {
    title: String,
    summary: String,
}

impl Page {
    /// The page's path on the site.
    pub fn url(&self) -> String {
        format!("/{}", self.slug)
    }

    /// The file line of byte `offset` of the body.
    pub fn line_at(&self, offset: usize) -> usize {
        self.body_line + line_of(&self.body, offset) - 1
    }

    /// Reads one page file.
    pub fn read(path: &Path) -> Result<Page, Vec<Problem>> {
        let text = std::fs::read_to_string(path).map_err(|e| {
            vec![Problem::new(
                path,
                1,
                format!("cannot read this file ({e}); save it as UTF-8 text"),
            )]
        })?;
        let slug = path
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or("")
            .to_string();
        let (toml_text, body, body_line) = split_front_matter(path, &text).map_err(|p| vec![p])?;
        let front: PageFront = toml::from_str(toml_text)
            .map_err(|e| vec![toml_problem(path, toml_text, 2, "the front matter", &e)])?;
        let mut problems = Vec::new();
        if !is_valid_slug(&slug) {
            problems.push(Problem::new(
                path,
                1,
                format!(
                    "file name `{slug}` is not a usable URL; use lower-case words joined by hyphens"
                ),
            ));
        }
        let doc = markdown::parse(body);
        for p in &doc.problems {
            problems.push(Problem::new(
                path,
                body_line + line_of(body, p.offset) - 1,
                p.message.clone(),
            ));
        }
        if !problems.is_empty() {
            return Err(problems);
        }
        Ok(Page {
            slug,
            path: path.to_path_buf(),
            title: front.title,
            summary: front.summary,
            doc,
            body: body.to_string(),
            body_line,
        })
    }
}

/// The page files in `dir` (not its sub-folders), sorted.
pub fn page_paths(dir: &Path) -> Vec<PathBuf> {
    let mut found: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .flatten()
                .map(|e| e.path())
                .filter(|p| {
                    p.is_file()
                        && p.extension().is_some_and(|e| e == "md")
                        && !p
                            .file_name()
                            .is_some_and(|n| n.to_string_lossy().starts_with('.'))
                })
                .collect()
        })
        .unwrap_or_default();
    found.sort();
    found
}
