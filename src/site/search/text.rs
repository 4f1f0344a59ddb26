//! How text and queries are cut into words and terms, so that both sides agree.

use rust_stemmers::{Algorithm, Stemmer};

/// Byte ranges of the words in `text`: runs of letters and digits, keeping an
/// apostrophe between two of them ("parent's", "don’t"). An iterator, so
/// that indexing 15 million words allocates nothing per section.
pub(super) fn words(text: &str) -> Words<'_> {
    Words {
        text,
        chars: text.char_indices().peekable(),
    }
}

/// The iterator [`words`] returns.
pub(super) struct Words<'a> {
    text: &'a str,
    chars: std::iter::Peekable<std::str::CharIndices<'a>>,
}

impl Iterator for Words<'_> {
    type Item = (usize, usize);

    fn next(&mut self) -> Option<(usize, usize)> {
        let mut start: Option<usize> = None;
        while let Some((i, c)) = self.chars.next() {
            if c.is_alphanumeric() {
                start.get_or_insert(i);
                continue;
            }
            let inner_apostrophe = is_apostrophe(c)
                && start.is_some()
                && self
                    .chars
                    .peek()
                    .is_some_and(|&(_, next)| next.is_alphanumeric());
            if inner_apostrophe {
                continue;
            }
            if let Some(s) = start {
                return Some((s, i));
            }
        }
        start.map(|s| (s, self.text.len()))
    }
}

fn is_apostrophe(c: char) -> bool {
    c == '\'' || c == '\u{2019}'
}

/// Writes the lower-case form of `word` into `out`, with curly apostrophes made straight.
pub(super) fn normalise_into(word: &str, out: &mut String) {
    out.clear();
    if word.is_ascii() {
        // Nearly every word: a byte-wise copy is several times faster.
        out.push_str(word);
        out.make_ascii_lowercase();
        return;
    }
    for c in word.chars() {
        if is_apostrophe(c) {
            out.push('\'');
        } else {
            out.extend(c.to_lowercase());
        }
    }
}

/// The English (Snowball) stemmer, so that "appealing" and "appeal" meet.
pub(super) struct English(Stemmer);

impl English {
    pub(super) fn new() -> Self {
        Self(Stemmer::create(Algorithm::English))
    }

    /// The term for an already normalised word.
    pub(super) fn stem(&self, normalised: &str) -> String {
        self.0.stem(normalised).into_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cut(text: &str) -> Vec<&str> {
        words(text).map(|(s, e)| &text[s..e]).collect()
    }

    #[test]
    fn words_split_on_punctuation_and_keep_inner_apostrophes() {
        assert_eq!(
            cut("A parent's £1,200 arrears—don’t panic! 'quoted'"),
            [
                "A", "parent's", "1", "200", "arrears", "don’t", "panic", "quoted"
            ]
        );
    }

    #[test]
    fn stemming_joins_forms_of_a_word() {
        let en = English::new();
        assert_eq!(en.stem("appealing"), en.stem("appeal"));
        assert_eq!(en.stem("appeals"), en.stem("appealed"));
    }
}
