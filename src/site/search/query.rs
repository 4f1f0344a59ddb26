//! Reading what a reader typed: words, "quoted phrases", and the limits that
//! keep a pasted essay from costing more than a short query.

use super::text::{normalise_into, words};

/// Characters of a query that are read; the rest is ignored and the reader told.
pub const MAX_QUERY_CHARS: usize = 256;
/// Words of a query that are read, counting the words inside phrases.
pub const MAX_QUERY_WORDS: usize = 32;

/// One part of a query: a word, or words that must appear together in order.
#[derive(Debug, PartialEq)]
pub(super) enum Clause {
    Word(String),
    Phrase(Vec<String>),
}

/// A query as the engine reads it.
#[derive(Debug, PartialEq)]
pub(super) struct Parsed {
    pub clauses: Vec<Clause>,
    pub shortened: bool,
}

fn is_quote(c: char) -> bool {
    matches!(c, '"' | '\u{201C}' | '\u{201D}')
}

/// Cuts the query into clauses; an unclosed quote runs to the end of the query.
pub(super) fn parse(query: &str) -> Parsed {
    let mut shortened = false;
    let query = match query.char_indices().nth(MAX_QUERY_CHARS) {
        Some((cut, _)) => {
            shortened = true;
            &query[..cut]
        }
        None => query,
    };

    let mut clauses = Vec::new();
    let mut budget = MAX_QUERY_WORDS;
    let mut buf = String::new();
    for (i, part) in query.split(is_quote).enumerate() {
        let quoted = i % 2 == 1;
        let mut phrase = Vec::new();
        for (s, e) in words(part) {
            if budget == 0 {
                shortened = true;
                break;
            }
            budget -= 1;
            normalise_into(&part[s..e], &mut buf);
            if quoted {
                phrase.push(buf.clone());
            } else {
                push_word(&mut clauses, &buf);
            }
        }
        match phrase.len() {
            0 => {}
            1 => push_word(&mut clauses, &phrase[0]),
            _ => clauses.push(Clause::Phrase(phrase)),
        }
    }
    Parsed { clauses, shortened }
}

/// Adds a word unless it is already there: "child child" means "child".
fn push_word(clauses: &mut Vec<Clause>, word: &str) {
    let seen = clauses
        .iter()
        .any(|c| matches!(c, Clause::Word(w) if w == word));
    if !seen {
        clauses.push(Clause::Word(word.to_owned()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn word(w: &str) -> Clause {
        Clause::Word(w.to_owned())
    }

    #[test]
    fn quoted_words_become_a_phrase_and_the_rest_words() {
        let parsed = parse(r#"Appeal "duty of care" tribunal appeal"#);
        assert_eq!(
            parsed.clauses,
            [
                word("appeal"),
                Clause::Phrase(vec!["duty".into(), "of".into(), "care".into()]),
                word("tribunal"),
            ]
        );
        assert!(!parsed.shortened);
    }

    #[test]
    fn unclosed_quote_runs_to_the_end() {
        let parsed = parse("court \"judicial review");
        assert_eq!(
            parsed.clauses,
            [
                word("court"),
                Clause::Phrase(vec!["judicial".into(), "review".into()])
            ]
        );
    }

    #[test]
    fn a_quoted_single_word_is_a_word() {
        assert_eq!(parse("\"arrears\"").clauses, [word("arrears")]);
    }

    #[test]
    fn quotes_and_punctuation_alone_give_nothing() {
        for q in ["", "\"", "\"\"", "\"\"\"", "?!…", "  ", "“”"] {
            assert_eq!(parse(q).clauses, [], "{q:?}");
        }
    }

    #[test]
    fn long_query_is_cut_to_the_word_limit_and_says_so() {
        let q = (0..100)
            .map(|i| format!("w{i}"))
            .collect::<Vec<_>>()
            .join(" ");
        let parsed = parse(&q);
        assert_eq!(parsed.clauses.len(), MAX_QUERY_WORDS);
        assert!(parsed.shortened);
    }

    #[test]
    fn long_query_is_cut_to_the_character_limit_on_a_char_boundary() {
        let parsed = parse(&"é".repeat(10_000));
        assert!(parsed.shortened);
        assert_eq!(parsed.clauses, [word(&"é".repeat(MAX_QUERY_CHARS))]);
    }
}
