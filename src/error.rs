//! Errors: an author's mistakes found at load, each naming its file and line.

use std::fmt;
use std::path::{Path, PathBuf};

/// One mistake in the site's sources, with where it is and how to fix it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// The file at fault, as given to the loader (relative paths stay relative).
    pub file: PathBuf,
    /// 1-based line in that file.
    pub line: usize,
    /// What is wrong and what to do about it.
    pub message: String,
}

impl Problem {
    /// A problem at `line` of `file`.
    pub fn new(file: &Path, line: usize, message: impl Into<String>) -> Self {
        Self {
            file: file.to_path_buf(),
            line,
            message: message.into(),
        }
    }
}

impl fmt::Display for Problem {
    /// Compiler style, so editors and terminals can jump to it: `file:line: message`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: {}", self.file.display(), self.line, self.message)
    }
}

/// Everything that stopped a load; never empty.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadError {
    /// Every problem found, in file order.
    pub problems: Vec<Problem>,
}

impl From<Problem> for LoadError {
    fn from(problem: Problem) -> Self {
        Self {
            problems: vec![problem],
        }
    }
}

impl From<Vec<Problem>> for LoadError {
    fn from(problems: Vec<Problem>) -> Self {
        Self { problems }
    }
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, problem) in self.problems.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{problem}")?;
        }
        Ok(())
    }
}

impl std::error::Error for LoadError {}

/// The 1-based line of byte `offset` in `text`.
pub fn line_of(text: &str, offset: usize) -> usize {
    let end = offset.min(text.len());
    text.as_bytes()[..end]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}

/// Turns a TOML error into a problem at the right line of `file`, with a hint
/// on how to fix the common mistakes. `first_line` is the file line on which
/// `toml_text` starts; `place` names where settings go ("the front matter").
pub fn toml_problem(
    file: &Path,
    toml_text: &str,
    first_line: usize,
    place: &str,
    err: &toml::de::Error,
) -> Problem {
    let line = err
        .span()
        .map(|span| first_line + line_of(toml_text, span.start) - 1)
        .unwrap_or(first_line);
    let message = err.message().trim().to_string();
    let hint = if message.contains("missing field") {
        format!("add it to {place}")
    } else if message.contains("unknown field") {
        "remove it, or correct its spelling".to_string()
    } else if message.contains("invalid type") && message.contains("datetime") {
        "write dates bare, without quotes, like 2024-05-01".to_string()
    } else if message.contains("date") {
        "use a real calendar date, like 2024-05-01".to_string()
    } else if message.contains("unknown variant") {
        "use one of the values listed".to_string()
    } else {
        "check the TOML syntax on this line".to_string()
    };
    Problem::new(file, line, format!("{message}; {hint}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_of_counts_newlines_before_offset() {
        let text = "a\nbb\nccc";
        assert_eq!(line_of(text, 0), 1);
        assert_eq!(line_of(text, 2), 2);
        assert_eq!(line_of(text, 6), 3);
        assert_eq!(line_of(text, 999), 3);
    }

    #[test]
    fn problem_displays_like_a_compiler() {
        let p = Problem::new(Path::new("content/a.md"), 4, "bad");
        assert_eq!(p.to_string(), "content/a.md:4: bad");
    }
}
