//! `advice-site feedback`: per page, the Yes and No counts and the latest
//! comments, for the author's terminal.

use std::io::Write;

use super::{Entry, summarise};

/// Makes a reader's text safe to print: control characters (which could
/// move the cursor, recolour or clear the author's terminal) are shown as
/// escapes, and the comment stays on one line.
pub fn printable(text: &str) -> String {
    text.chars()
        .flat_map(|c| match c {
            '\n' => vec!['⏎', ' '],
            c if c.is_control() => c.escape_unicode().collect(),
            // Bidirectional overrides can make text read backwards.
            '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' => c.escape_unicode().collect(),
            c => vec![c],
        })
        .collect()
}

/// Writes the report on `entries`, with at most `latest` comments a page.
pub fn write(entries: &[Entry], latest: usize, mut out: impl Write) -> std::io::Result<()> {
    let pages = summarise(entries, time::Date::MIN);
    if pages.is_empty() {
        writeln!(out, "No feedback yet.")?;
    }
    for (page, summary) in pages {
        writeln!(out, "{page}: {} yes, {} no", summary.yes, summary.no)?;
        for (day, useful, comment) in summary.comments.iter().take(latest) {
            let after = if *useful { "yes" } else { "no" };
            writeln!(out, "  {day} ({after}): {}", printable(comment))?;
        }
        if summary.comments.len() > latest {
            writeln!(
                out,
                "  … and {} more (see `advice-site feedback export`)",
                summary.comments.len() - latest
            )?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terminal_escapes_in_a_comment_are_shown_not_obeyed() {
        assert_eq!(printable("a\u{1b}[2Jb"), "a\\u{1b}[2Jb");
        assert_eq!(printable("one\ntwo"), "one⏎ two");
        assert_eq!(printable("x\u{202E}y"), "x\\u{202e}y");
    }
}
