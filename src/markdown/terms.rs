//! Glossary links: the first use of a glossary term in an article's running
//! text links to its definition (`/glossary#id`).
//!
//! One Aho–Corasick automaton holds every term and alias, so each text is
//! scanned once however many terms there are (leftmost-longest, so
//! "Independent Case Examiner" wins over a shorter term inside it). A match
//! counts only as a whole word. A term written all in lower case ("judicial
//! review") matches in any case ("Judicial review" starts a sentence); one
//! with a capital ("CMS", "Collect and Pay") matches only as written, so
//! "cms" in a URL-like word or "ombudsman" used loosely is left alone.
//!
//! What counts as running text is the renderer's business (see
//! `markdown::render`): it never passes headings, links, images, code or
//! footnotes here.

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, Input, MatchKind};
use pulldown_cmark::{CowStr, Event};

/// Where glossary links point.
pub const GLOSSARY_PATH: &str = "/glossary";

/// Every glossary term's spellings, ready to find in text.
#[derive(Debug, Clone)]
pub struct Terms {
    automaton: AhoCorasick,
    /// For each pattern: its term's index, and its spelling when case
    /// must match.
    patterns: Vec<(usize, Option<String>)>,
    /// `<a ...>` opening tag for each term, written once.
    openings: Vec<String>,
}

impl Terms {
    /// Builds the matcher from `(id, spellings)` pairs, one per term. Ids
    /// are written into an `href`, so the caller checks they are slugs.
    pub fn new<S: AsRef<str>>(terms: &[(S, Vec<S>)]) -> Result<Terms, aho_corasick::BuildError> {
        let mut spellings: Vec<&str> = Vec::new();
        let mut patterns = Vec::new();
        let mut openings = Vec::with_capacity(terms.len());
        for (index, (id, words)) in terms.iter().enumerate() {
            let mut href = String::new();
            let _ = pulldown_cmark_escape::escape_href(
                &mut href,
                &format!("{GLOSSARY_PATH}#{}", id.as_ref()),
            );
            openings.push(format!("<a href=\"{href}\" class=\"term\">"));
            for word in words {
                let word = word.as_ref();
                spellings.push(word);
                let exact = word.chars().any(char::is_uppercase);
                patterns.push((index, exact.then(|| word.to_string())));
            }
        }
        let automaton = AhoCorasickBuilder::new()
            .match_kind(MatchKind::LeftmostLongest)
            .ascii_case_insensitive(true)
            .build(&spellings)?;
        Ok(Terms {
            automaton,
            patterns,
            openings,
        })
    }

    /// How many terms there are.
    pub fn len(&self) -> usize {
        self.openings.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.openings.is_empty()
    }

    /// Pushes `text` onto `out`, with the first use of each term not yet in
    /// `used` (indexed by term) wrapped in a link to its definition. Pushes
    /// the text as one event when nothing in it is linked.
    pub fn link<'a>(&self, text: CowStr<'a>, used: &mut [bool], out: &mut Vec<Event<'a>>) {
        let mut written = 0;
        let mut from = 0;
        while from < text.len() {
            let Some(found) = self.automaton.find(Input::new(text.as_ref()).range(from..)) else {
                break;
            };
            let (start, end) = (found.start(), found.end());
            let (term, spelled) = &self.patterns[found.pattern().as_usize()];
            let term = *term;
            let whole_word = is_boundary(&text[..start], true) && is_boundary(&text[end..], false);
            let right_case = spelled.as_ref().is_none_or(|s| &text[start..end] == s);
            if !whole_word || !right_case {
                // A shorter spelling may still start inside this one.
                from = next_char(&text, start);
                continue;
            }
            if !used[term] {
                used[term] = true;
                if start > written {
                    out.push(Event::Text(CowStr::from(text[written..start].to_string())));
                }
                out.push(Event::Html(CowStr::from(self.openings[term].clone())));
                out.push(Event::Text(CowStr::from(text[start..end].to_string())));
                out.push(Event::Html(CowStr::Borrowed("</a>")));
                written = end;
            }
            // A used term still covers its words, so "case" inside
            // "Independent Case Examiner" is never linked later.
            from = end;
        }
        if written == 0 {
            out.push(Event::Text(text));
        } else if written < text.len() {
            out.push(Event::Text(CowStr::from(text[written..].to_string())));
        }
    }
}

/// Whether the text on one side of a match ends (`before`) or starts a word
/// boundary: nothing there, or a character that is not part of a word.
fn is_boundary(side: &str, before: bool) -> bool {
    let c = if before {
        side.chars().next_back()
    } else {
        side.chars().next()
    };
    c.is_none_or(|c| !(c.is_alphanumeric() || c == '_'))
}

/// The byte index of the character after the one at `at`.
fn next_char(text: &str, at: usize) -> usize {
    text[at..]
        .chars()
        .next()
        .map_or(text.len(), |c| at + c.len_utf8())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::markdown::{parse, render_with_terms};

    fn terms() -> Terms {
        Terms::new(&[
            ("arrears", vec!["arrears"]),
            ("judicial-review", vec!["judicial review"]),
            ("case", vec!["case"]),
            ("ice", vec!["Independent Case Examiner"]),
            ("cms", vec!["Child Maintenance Service", "CMS"]),
            ("strike-out", vec!["strike out", "struck out"]),
        ])
        .unwrap()
    }

    /// The body rendered with the test terms.
    fn linked(body: &str) -> String {
        let doc = parse(body);
        assert!(doc.problems.is_empty(), "{:?}", doc.problems);
        render_with_terms(&doc, &|l| format!("/{}", l.slug), Some(&terms())).0
    }

    fn link(id: &str, text: &str) -> String {
        format!("<a href=\"/glossary#{id}\" class=\"term\">{text}</a>")
    }

    #[test]
    fn only_the_first_use_links() {
        let out = linked("Your arrears are wrong.\n\nThe arrears grew.\n");
        assert_eq!(out.matches("class=\"term\"").count(), 1, "{out}");
        assert!(
            out.contains(&format!("Your {} are", link("arrears", "arrears"))),
            "{out}"
        );
    }

    #[test]
    fn each_term_links_once_in_the_same_text() {
        let out = linked("Arrears, judicial review and arrears again.\n");
        assert!(out.contains(&link("arrears", "Arrears")), "{out}");
        assert!(
            out.contains(&link("judicial-review", "judicial review")),
            "{out}"
        );
        assert_eq!(out.matches("class=\"term\"").count(), 2, "{out}");
    }

    #[test]
    fn never_inside_a_heading_and_the_body_still_gets_its_link() {
        let out = linked("## Arrears explained\n\nAbout arrears.\n");
        let heading = &out[..out.find("</h2>").unwrap()];
        assert!(!heading.contains("class=\"term\""), "{out}");
        assert!(out.contains(&link("arrears", "arrears")), "{out}");
    }

    #[test]
    fn never_inside_a_link_or_an_image() {
        let out = linked("[your arrears](https://www.gov.uk/) ![arrears chart](/a.png)\n");
        assert!(!out.contains("class=\"term\""), "{out}");
    }

    #[test]
    fn never_inside_code() {
        let out = linked("`arrears` and\n\n```\narrears\n```\n");
        assert!(!out.contains("class=\"term\""), "{out}");
    }

    #[test]
    fn never_inside_a_footnote_and_not_used_up_by_one() {
        let out = linked("A claim.[^a]\n\n[^a]: About arrears.\n\nThen arrears.\n");
        assert_eq!(out.matches("class=\"term\"").count(), 1, "{out}");
        let notes = out.find("class=\"footnotes\"").unwrap();
        assert!(out.find("class=\"term\"").unwrap() < notes, "{out}");
    }

    #[test]
    fn the_longest_term_wins_and_covers_its_words() {
        let out = linked("Ask the Independent Case Examiner. Your case matters.\n");
        assert!(
            out.contains(&link("ice", "Independent Case Examiner")),
            "{out}"
        );
        assert!(
            out.contains(&link("case", "case")),
            "the later, separate word links: {out}"
        );
        let out = linked("The Independent Case Examiner, again the Independent Case Examiner.\n");
        assert_eq!(out.matches("class=\"term\"").count(), 1, "{out}");
    }

    #[test]
    fn only_whole_words_match() {
        let out = linked("arrearsX, Xarrears, arrears_1 and CMSs are not terms.\n");
        assert!(!out.contains("class=\"term\""), "{out}");
        let out = linked("The CMS’s letter, non-CMS (CMS).\n");
        assert!(out.contains(&link("cms", "CMS")), "{out}");
    }

    #[test]
    fn lower_case_terms_match_any_case_and_capitalised_ones_only_as_written() {
        let out = linked("Judicial Review is hard.\n");
        assert!(
            out.contains(&link("judicial-review", "Judicial Review")),
            "{out}"
        );
        let out = linked("cms and Cms are not the service.\n");
        assert!(!out.contains("class=\"term\""), "{out}");
    }

    #[test]
    fn aliases_link_to_their_term() {
        let out = linked("The claim was struck out.\n");
        assert!(out.contains(&link("strike-out", "struck out")), "{out}");
        let out = linked("The CMS, or Child Maintenance Service.\n");
        assert_eq!(out.matches("class=\"term\"").count(), 1, "{out}");
    }

    #[test]
    fn a_term_split_by_smart_punctuation_is_still_found() {
        let out = linked("It's judicial review \"today\".\n");
        assert!(
            out.contains(&link("judicial-review", "judicial review")),
            "{out}"
        );
    }

    #[test]
    fn a_term_wrapped_over_two_lines_is_still_found() {
        let out = linked("Ask the Independent Case\nExaminer.\n");
        assert!(
            out.contains(&link("ice", "Independent Case Examiner")),
            "{out}"
        );
    }

    #[test]
    fn text_around_a_link_stays_escaped() {
        let out = linked("a < b & arrears > c\n");
        assert!(
            out.contains(&format!(
                "a &lt; b &amp; {} &gt; c",
                link("arrears", "arrears")
            )),
            "{out}"
        );
    }

    #[test]
    fn render_reports_which_terms_it_linked() {
        let doc = parse("The CMS and arrears.\n");
        let (_, used) = render_with_terms(&doc, &|l| l.slug.clone(), Some(&terms()));
        assert_eq!(used, [0, 4]);
    }
}
