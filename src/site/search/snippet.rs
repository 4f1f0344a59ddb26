//! The few words shown under a hit, around its best match, with the matches
//! marked. Segments are the section's own plain text (never the query's); the
//! template escapes them and wraps marked ones in `<mark>`, so nothing from
//! the query is ever HTML.

use super::text::{normalise_into, words};

/// Words shown in a snippet.
const SNIPPET_WORDS: usize = 30;
/// Words of context kept before the first match, when there is room.
const LEAD_WORDS: usize = 6;

/// A short extract of a section with the query's matches marked.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Snippet {
    /// The extract, in order; join the texts to read it.
    pub segments: Vec<Segment>,
    /// The extract begins inside the section (show an ellipsis before it).
    pub starts_mid: bool,
    /// The extract stops before the end of the section (show an ellipsis after it).
    pub ends_mid: bool,
}

/// A run of snippet text, marked when it matched the query.
#[derive(Debug, Clone, PartialEq)]
pub struct Segment {
    /// Plain text: escape it when writing HTML.
    pub text: String,
    /// Whether this run matched the query.
    pub marked: bool,
}

/// What the query matched: terms on their own, and phrases (terms in order).
#[derive(Debug, Default)]
pub(super) struct Marks {
    pub words: Vec<u32>,
    pub phrases: Vec<Vec<u32>>,
}

/// Builds the snippet of `text`; `term_of` gives the term of a normalised word.
pub(super) fn snippet(text: &str, marks: &Marks, term_of: impl Fn(&str) -> Option<u32>) -> Snippet {
    let spans: Vec<(usize, usize)> = words(text).collect();
    let n = spans.len();
    if n == 0 {
        return Snippet::default();
    }

    let mut buf = String::new();
    let terms: Vec<Option<u32>> = spans
        .iter()
        .map(|&(s, e)| {
            normalise_into(&text[s..e], &mut buf);
            term_of(&buf)
        })
        .collect();
    let mut marked: Vec<bool> = terms
        .iter()
        .map(|t| t.is_some_and(|t| marks.words.contains(&t)))
        .collect();
    for phrase in &marks.phrases {
        for i in 0..n {
            let fits = terms[i..].len() >= phrase.len()
                && phrase.iter().zip(&terms[i..]).all(|(&p, &t)| t == Some(p));
            if fits {
                marked[i..i + phrase.len()].fill(true);
            }
        }
    }

    // The window of SNIPPET_WORDS words holding the most marks, earliest first.
    let w = SNIPPET_WORDS.min(n);
    let mut count = marked[..w].iter().filter(|&&m| m).count();
    let (mut best, mut best_count) = (0, count);
    for s in 1..=n - w {
        count = count + usize::from(marked[s + w - 1]) - usize::from(marked[s - 1]);
        if count > best_count {
            (best, best_count) = (s, count);
        }
    }
    let start = if best_count == 0 {
        0
    } else {
        let first = (best..best + w).find(|&i| marked[i]).unwrap_or(best);
        let last = (best..best + w).rev().find(|&i| marked[i]).unwrap_or(first);
        first
            .saturating_sub(LEAD_WORDS)
            .max((last + 1).saturating_sub(w))
            .min(n - w)
    };
    let end = start + w;

    let from = spans[start].0;
    let to = if end == n {
        text.trim_end().len()
    } else {
        spans[end - 1].1
    };
    let mut segments = Vec::new();
    let mut at = from;
    let mut i = start;
    while i < end {
        if !marked[i] {
            i += 1;
            continue;
        }
        let mut j = i;
        while j + 1 < end && marked[j + 1] {
            j += 1;
        }
        let (ms, me) = (spans[i].0, spans[j].1);
        if ms > at {
            segments.push(Segment {
                text: text[at..ms].to_owned(),
                marked: false,
            });
        }
        segments.push(Segment {
            text: text[ms..me].to_owned(),
            marked: true,
        });
        at = me;
        i = j + 1;
    }
    if at < to {
        segments.push(Segment {
            text: text[at..to].to_owned(),
            marked: false,
        });
    }
    Snippet {
        segments,
        starts_mid: start > 0,
        ends_mid: end < n,
    }
}
