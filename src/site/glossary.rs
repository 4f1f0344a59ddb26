//! The glossary (`content/glossary.toml`): plain-English meanings of the
//! words the articles use, shown A–Z at `/glossary`. Each term's first use
//! in an article links to its definition (`markdown::terms`).

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use toml::Spanned;

use crate::error::{Problem, line_of, toml_problem};
use crate::markdown::terms::{GLOSSARY_PATH, Terms};

/// The path on which the glossary is served.
pub const PATH: &str = GLOSSARY_PATH;

/// One term and its meaning.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Term {
    /// The headword, as it appears mid-sentence.
    pub term: String,
    /// The stable id of its `<dfn>`: `/glossary#<id>`.
    pub id: String,
    /// Other spellings the articles use for it.
    pub aliases: Vec<String>,
    /// One or two plain sentences.
    pub definition: String,
    /// Links to article sections that explain it, as written.
    pub see: Vec<String>,
    /// The line of its `[[term]]` block.
    pub line: usize,
    /// The line of each `see` link.
    pub see_lines: Vec<usize>,
}

impl Term {
    /// The letter it is filed under, upper case.
    pub fn letter(&self) -> char {
        self.term
            .chars()
            .find(|c| c.is_alphanumeric())
            .map_or('#', |c| c.to_ascii_uppercase())
    }

    /// Every spelling the linker looks for: the term, then its aliases.
    pub fn spellings(&self) -> Vec<&str> {
        std::iter::once(self.term.as_str())
            .chain(self.aliases.iter().map(String::as_str))
            .collect()
    }
}

/// Every term, A–Z.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Glossary {
    /// The file, for warnings.
    pub path: PathBuf,
    /// The terms, ordered by headword, ignoring case.
    pub terms: Vec<Term>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct GlossaryFile {
    #[serde(rename = "term", default)]
    terms: Vec<Spanned<TermFile>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TermFile {
    term: String,
    id: String,
    aliases: Vec<String>,
    definition: String,
    see: Vec<Spanned<String>>,
}

/// Whether `id` is a stable fragment: lower-case letters, digits and single
/// hyphens, starting with a letter.
fn is_valid_id(id: &str) -> bool {
    id.starts_with(|c: char| c.is_ascii_lowercase())
        && id
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !id.ends_with('-')
        && !id.contains("--")
}

impl Glossary {
    /// Reads and checks the glossary at `path`.
    pub fn load(path: &Path) -> Result<Glossary, Vec<Problem>> {
        let text = std::fs::read_to_string(path).map_err(|err| {
            vec![Problem::new(
                path,
                1,
                format!("cannot read the glossary: {err}"),
            )]
        })?;
        Glossary::parse(path, &text)
    }

    /// Checks the glossary in `text`, naming `path` and the line in every
    /// problem.
    pub fn parse(path: &Path, text: &str) -> Result<Glossary, Vec<Problem>> {
        let file: GlossaryFile = toml::from_str(text)
            .map_err(|err| vec![toml_problem(path, text, 1, "each [[term]] block", &err)])?;
        let mut problems = Vec::new();
        let mut terms = Vec::new();
        let mut ids: HashMap<String, usize> = HashMap::new();
        // Every spelling, lower-cased, and the line of the term that has it:
        // one spelling cannot point to two definitions.
        let mut spellings: HashMap<String, usize> = HashMap::new();
        for spanned in file.terms {
            let line = line_of(text, spanned.span().start);
            let found = spanned.into_inner();
            let mut problem = |message: String| problems.push(Problem::new(path, line, message));
            for (field, value) in [("term", &found.term), ("definition", &found.definition)] {
                if value.trim().is_empty() {
                    problem(format!("`{field}` is empty; write one"));
                }
            }
            if !is_valid_id(&found.id) {
                problem(format!(
                    "id `{}` must be lower-case letters, digits and single hyphens, starting with a letter",
                    found.id
                ));
            } else if found.id.starts_with("letter-")
                || crate::markdown::RESERVED_IDS.contains(&found.id.as_str())
            {
                problem(format!(
                    "id `{}` is one the page uses itself; choose another",
                    found.id
                ));
            } else if let Some(first) = ids.insert(found.id.clone(), line) {
                problem(format!(
                    "id `{}` is already used by the term on line {first}; ids must be unique",
                    found.id
                ));
            }
            for spelling in std::iter::once(&found.term).chain(&found.aliases) {
                if !spelling.chars().any(char::is_alphanumeric) || spelling.trim() != spelling {
                    problem(format!(
                        "`{spelling}` cannot be found in text; write a word, without spaces at either end"
                    ));
                } else if let Some(first) = spellings.insert(spelling.to_lowercase(), line) {
                    problem(format!(
                        "`{spelling}` is also a spelling of the term on line {first}; a word can link to one definition only"
                    ));
                }
            }
            let mut see = Vec::new();
            let mut see_lines = Vec::new();
            for link in found.see {
                see_lines.push(line_of(text, link.span().start));
                see.push(link.into_inner());
            }
            terms.push(Term {
                term: found.term,
                id: found.id,
                aliases: found.aliases,
                definition: found.definition,
                see,
                line,
                see_lines,
            });
        }
        if terms.is_empty() && problems.is_empty() {
            problems.push(Problem::new(
                path,
                1,
                "the glossary is empty; add a [[term]] block",
            ));
        }
        if !problems.is_empty() {
            return Err(problems);
        }
        terms.sort_by_key(|t| t.term.to_lowercase());
        Ok(Glossary {
            path: path.to_path_buf(),
            terms,
        })
    }

    /// The matcher the Markdown renderer links terms with; term indexes are
    /// those of `terms`.
    pub fn matcher(&self) -> Terms {
        let pairs: Vec<(&str, Vec<&str>)> = self
            .terms
            .iter()
            .map(|t| (t.id.as_str(), t.spellings()))
            .collect();
        // Spellings are checked non-empty at load, and the automaton's
        // limits are far beyond any glossary's size.
        Terms::new(&pairs).unwrap_or_else(|e| panic!("glossary matcher: {e}"))
    }

    /// Warnings for terms no article uses (`used` holds term indexes) and
    /// terms no article section explains.
    pub fn warnings(&self, used: &[bool]) -> Vec<Problem> {
        let mut found = Vec::new();
        for (index, term) in self.terms.iter().enumerate() {
            if !used.get(index).copied().unwrap_or(false) {
                found.push(Problem::new(
                    &self.path,
                    term.line,
                    format!(
                        "warning: no article uses `{}` (or its aliases), so nothing links to it; remove it, or add the spelling the articles use to `aliases`",
                        term.term
                    ),
                ));
            }
            if term.see.is_empty() {
                found.push(Problem::new(
                    &self.path,
                    term.line,
                    format!(
                        "warning: `{}` has no `see` links, so its definition points nowhere; link the article section that explains it",
                        term.term
                    ),
                ));
            }
        }
        found
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Glossary, Vec<Problem>> {
        Glossary::parse(Path::new("glossary.toml"), text)
    }

    const TWO: &str = r#"
[[term]]
term = "strike out"
id = "strike-out"
aliases = ["struck out"]
definition = "Ending a claim early."
see = []

[[term]]
term = "arrears"
id = "arrears"
aliases = []
definition = "Money owed for the past."
see = ["/can-you-sue-the-cms#why-people-ask"]
"#;

    #[test]
    fn terms_are_ordered_a_to_z_with_their_lines() {
        let glossary = parse(TWO).unwrap();
        let order: Vec<(&str, usize)> = glossary
            .terms
            .iter()
            .map(|t| (t.term.as_str(), t.line))
            .collect();
        assert_eq!(order, [("arrears", 9), ("strike out", 2)]);
        assert_eq!(glossary.terms[0].see_lines, [14]);
        assert_eq!(glossary.terms[0].letter(), 'A');
    }

    #[test]
    fn an_unknown_field_names_its_line() {
        let text = TWO.replace("aliases = []\n", "alias = []\n");
        let problems = parse(&text).unwrap_err();
        assert_eq!(problems[0].line, 12, "{problems:?}");
    }

    #[test]
    fn a_bad_or_repeated_id_names_its_line() {
        let problems = parse(&TWO.replace("id = \"arrears\"", "id = \"Arrears!\"")).unwrap_err();
        assert_eq!(problems[0].line, 9);
        let problems = parse(&TWO.replace("id = \"arrears\"", "id = \"strike-out\"")).unwrap_err();
        assert_eq!(problems[0].line, 9);
        assert!(problems[0].message.contains("line 2"), "{problems:?}");
        for taken in ["letter-a", "main"] {
            let text = TWO.replace("id = \"arrears\"", &format!("id = \"{taken}\""));
            let problems = parse(&text).unwrap_err();
            assert!(
                problems[0].message.contains("the page uses"),
                "{problems:?}"
            );
        }
    }

    #[test]
    fn one_spelling_cannot_belong_to_two_terms() {
        let text = TWO.replace("aliases = []", "aliases = [\"Struck out\"]");
        let problems = parse(&text).unwrap_err();
        assert!(problems[0].message.contains("line 2"), "{problems:?}");
    }

    #[test]
    fn unused_and_unexplained_terms_are_warned_about() {
        let glossary = parse(TWO).unwrap();
        let warnings = glossary.warnings(&[true, false]);
        let lines: Vec<usize> = warnings.iter().map(|w| w.line).collect();
        assert_eq!(lines, [2, 2], "{warnings:?}");
        assert!(warnings[0].message.contains("no article uses `strike out`"));
        assert!(warnings[1].message.contains("no `see` links"));
    }
}
