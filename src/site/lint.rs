//! Warnings for authors: things that do not stop the site loading but that
//! a careful editor would fix. `check --strict` turns them into failures.

use time::Date;

use crate::config::CheckConfig;
use crate::content::Source;
use crate::error::Problem;
use crate::site::Article;

/// Longest summary that previews show without cutting it.
pub const SUMMARY_MAX_CHARS: usize = 160;

/// Every warning for the served articles, in file and line order.
pub fn warnings(
    sources: &[Source],
    articles: &[Article],
    config: CheckConfig,
    today: Date,
) -> Vec<Problem> {
    let mut found = Vec::new();
    for source in sources {
        let path = &source.path;
        let chars = source.front.summary.chars().count();
        if chars > SUMMARY_MAX_CHARS {
            found.push(Problem::new(
                path,
                source.front_line("summary"),
                format!(
                    "warning: summary is {chars} characters; link previews cut it after {SUMMARY_MAX_CHARS}, so shorten it"
                ),
            ));
        }
        let age = (today - source.reviewed).whole_days();
        if age > i64::from(config.review_after_days) {
            found.push(Problem::new(
                path,
                source.front_line("reviewed"),
                format!(
                    "warning: last reviewed {age} days ago (more than {}); check the facts and update `reviewed`",
                    config.review_after_days
                ),
            ));
        }
        if articles
            .iter()
            .any(|a| a.slug == source.slug && a.linked_from.is_empty())
        {
            found.push(Problem::new(
                path,
                1,
                "warning: no other article links here; link to it where another article says \"see\", so readers can find it",
            ));
        }
        let mut previous = 1u8;
        for heading in &source.doc.headings {
            if heading.level == 1 {
                found.push(Problem::new(
                    path,
                    source.line_at(heading.offset),
                    "warning: the title is the page's only level-1 heading; start sections at ##",
                ));
            } else if heading.level > previous + 1 {
                found.push(Problem::new(
                    path,
                    source.line_at(heading.offset),
                    format!(
                        "warning: heading level {} follows level {previous}; use {} so the outline has no gap",
                        heading.level,
                        "#".repeat(usize::from(previous) + 1)
                    ),
                ));
            }
            previous = heading.level;
        }
        for &offset in &source.doc.images_without_alt {
            found.push(Problem::new(
                path,
                source.line_at(offset),
                "warning: image has no alt text; describe it in the brackets: ![what it shows](...)",
            ));
        }
        for (label, offset) in &source.doc.uncited_footnotes {
            found.push(Problem::new(
                path,
                source.line_at(*offset),
                format!("warning: footnote [^{label}] is never cited, so readers never see it; cite it or remove it"),
            ));
        }
    }
    found.sort_by(|a, b| (&a.file, a.line).cmp(&(&b.file, b.line)));
    found
}
