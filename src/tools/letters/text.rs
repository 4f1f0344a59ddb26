//! Text hygiene shared by the form and the renderer: what a letter may contain.

/// Whether `c` may appear in a letter: no control characters except newline
/// and tab, no bidirectional overrides (they can make text read differently
/// from how it is stored), and no characters XML 1.0 forbids.
fn allowed(c: char) -> bool {
    match c {
        '\n' | '\t' => true,
        '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{FFFE}' | '\u{FFFF}' => false,
        c => !c.is_control(),
    }
}

/// Normalises line ends to `\n` and drops every character a letter may not contain.
pub(crate) fn clean(raw: &str) -> String {
    let unified = raw.replace("\r\n", "\n").replace('\r', "\n");
    unified.chars().filter(|&c| allowed(c)).collect()
}

/// `clean`, then one line: newlines and tabs become spaces, runs of spaces one.
pub(crate) fn clean_line(raw: &str) -> String {
    clean(raw)
        .split(['\n', '\t', ' '])
        .filter(|word| !word.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// `clean`, then trailing spaces cut from each line and blank lines at the
/// start and end removed.
pub(crate) fn clean_block(raw: &str) -> String {
    let cleaned = clean(raw);
    let lines: Vec<&str> = cleaned.lines().map(str::trim_end).collect();
    let first = lines.iter().position(|line| !line.trim().is_empty());
    let last = lines.iter().rposition(|line| !line.trim().is_empty());
    match (first, last) {
        (Some(first), Some(last)) => lines[first..=last].join("\n"),
        _ => String::new(),
    }
}

/// The non-blank lines of `text`, each trimmed at the end.
pub(crate) fn lines(text: &str) -> Vec<String> {
    text.lines()
        .map(str::trim_end)
        .filter(|line| !line.trim().is_empty())
        .map(str::to_string)
        .collect()
}

/// Paragraphs: runs of non-blank lines, split at blank lines; the lines of a
/// paragraph are kept, joined with `\n`.
pub(crate) fn paragraphs(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current: Vec<&str> = Vec::new();
    for line in text.lines().map(str::trim_end) {
        if line.trim().is_empty() {
            if !current.is_empty() {
                out.push(current.join("\n"));
                current.clear();
            }
        } else {
            current.push(line);
        }
    }
    if !current.is_empty() {
        out.push(current.join("\n"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clean_normalises_line_ends_and_drops_controls() {
        assert_eq!(clean("a\r\nb\rc\u{7}d\u{0}\te\u{202E}f"), "a\nb\ncd\tef");
    }

    #[test]
    fn clean_line_makes_one_line() {
        assert_eq!(clean_line("  Jo \r\n  Bloggs\t "), "Jo Bloggs");
    }

    #[test]
    fn clean_block_trims_blank_edges_but_keeps_inner_blank_lines() {
        assert_eq!(clean_block("\n \nOne  \n\nTwo\n\n"), "One\n\nTwo");
    }

    #[test]
    fn paragraphs_split_at_blank_lines() {
        assert_eq!(
            paragraphs("One\nstill one\n\n  \n\nTwo\n"),
            vec!["One\nstill one".to_string(), "Two".to_string()]
        );
    }
}
