//! Site search: an index of every article section, built once at load and
//! answered from memory.
//!
//! It lives in `site` because it is part of the read-only model: built by
//! [`crate::site::Site::build`] from the checked articles, kept in the `Site`
//! (so a live reload swaps it with everything else), read by `render` to
//! write the results page and by `serve` to answer `/search`. It knows
//! nothing of HTML or HTTP, and uses nothing else of the crate.
//!
//! A section is the intro of an article or one heading and what follows it, so
//! a hit links straight to `/{slug}#{anchor}`. Words are stemmed (Snowball
//! English), a word of five letters or more that is in no article is read as
//! its one-typo neighbours (a Levenshtein automaton run over the word list),
//! "quoted words" must appear in order, and sections are ranked by BM25 with
//! title and heading words counting more than body words.
//!
//! Why not a search engine crate: tantivy was measured at 10,000 articles
//! (7 minutes and 150 crates to build, +177 MiB resident) and rejected. What is not ours here is still a library's: the word
//! list is an `fst` map, typos are `levenshtein_automata`'s, stemming is
//! `rust-stemmers`'. What is hand-written is the postings layout and BM25.

mod postings;
mod query;
mod snippet;
mod text;

use std::borrow::Cow;
use std::collections::HashMap;

use rustc_hash::FxHashMap;

use fst::{IntoStreamer, Map, Streamer};
use levenshtein_automata::LevenshteinAutomatonBuilder;

pub use query::{MAX_QUERY_CHARS, MAX_QUERY_WORDS};
pub use snippet::{Segment, Snippet};

use postings::{Counts, Skip};
use query::Clause;
use snippet::Marks;
use text::{English, normalise_into, words};

/// A title word counts as much as this many body words.
const TITLE_WEIGHT: f32 = 2.0;
/// A heading word counts as much as this many body words.
const HEADING_WEIGHT: f32 = 3.0;
/// A typo's neighbour counts this much of an exact match.
const TYPO_WEIGHT: f32 = 0.7;
/// Shorter words are too easily another word with one letter changed.
const MIN_TYPO_CHARS: usize = 5;
/// Neighbours of a typo that are searched, at most.
const MAX_TYPO_TERMS: usize = 16;
/// BM25's term-frequency saturation and length normalisation.
const K1: f32 = 1.2;
/// BM25's length normalisation.
const B: f32 = 0.75;
/// Hits returned by one search, at most, whatever the caller asks.
pub const MAX_HITS: usize = 100;
/// Postings one search reads, at most (past the cheapest word), so that a
/// query of many very common words stays fast: its commonest words are dropped
/// and the reader told the query was shortened. About three words found in
/// every section of 10,000 articles.
pub const MAX_POSTINGS_PER_QUERY: usize = 250_000;

/// One part of an article that a search can land on: the intro, or a heading
/// and what follows it. The article's slug and title may be borrowed, since
/// every section of an article shares them; the rest is moved into the index.
#[derive(Debug, Clone, PartialEq)]
pub struct Section<'a> {
    /// The article's slug, as in its URL.
    pub article_slug: Cow<'a, str>,
    /// The article's title.
    pub article_title: Cow<'a, str>,
    /// The heading's text; `None` for the intro before the first heading.
    pub heading: Option<String>,
    /// The heading's id, for the URL fragment; `None` for the intro.
    pub anchor: Option<String>,
    /// The section's plain text (no markup), as a reader sees it.
    pub text: String,
}

/// What a search found.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Results<'a> {
    /// The best sections, best first.
    pub hits: Vec<Hit<'a>>,
    /// How many sections matched at least one word.
    pub total: usize,
    /// Only part of the query was used: it was longer than [`MAX_QUERY_CHARS`]
    /// or [`MAX_QUERY_WORDS`], or its commonest words went past [`MAX_POSTINGS_PER_QUERY`].
    pub shortened: bool,
}

/// One section that matched.
#[derive(Debug, Clone, PartialEq)]
pub struct Hit<'a> {
    /// The article's slug.
    pub slug: &'a str,
    /// The heading id to link to; `None` links to the top of the article.
    pub anchor: Option<&'a str>,
    /// The article's title.
    pub article_title: &'a str,
    /// The section's heading; `None` for the intro.
    pub heading: Option<&'a str>,
    /// Words around the best match, with the matches marked.
    pub snippet: Snippet,
    /// The ranking score (higher is better); for tests and tuning, not for readers.
    pub score: f32,
}

struct Article {
    slug: Box<str>,
    title: Box<str>,
    /// The plain text of all its sections, one after another, deflated:
    /// kept only for snippets, and real text shrinks about threefold.
    text: Box<[u8]>,
}

/// Deflates an article's text: fast, since it runs for every article at load.
fn deflate(text: &str) -> Box<[u8]> {
    use std::io::Write;
    let mut encoder = flate2::write::DeflateEncoder::new(
        Vec::with_capacity(text.len() / 2),
        flate2::Compression::fast(),
    );
    // Writing to a Vec cannot fail.
    let _ = encoder.write_all(text.as_bytes());
    encoder.finish().unwrap_or_default().into_boxed_slice()
}

/// The text [`deflate`] made, back.
fn inflate(bytes: &[u8]) -> String {
    use std::io::Read;
    let mut text = String::new();
    let _ = flate2::read::DeflateDecoder::new(bytes).read_to_string(&mut text);
    text
}

/// A section as kept: positions run title, then heading, then body, with a
/// gap of one between them so that a phrase never spans two of them.
struct Entry {
    article: u32,
    heading: Option<Box<str>>,
    anchor: Option<Box<str>>,
    /// Where its text is in its article's text.
    text: (u32, u32),
    heading_start: u32,
    body_start: u32,
}

/// A query clause resolved to terms.
enum Resolved {
    /// A word's terms, each with its weight (several for a typo).
    Word(Vec<(u32, f32)>),
    /// A phrase's terms, in order.
    Phrase(Vec<u32>),
}

/// The search index over all sections of all articles; read-only once built.
pub struct Index {
    articles: Vec<Article>,
    sections: Vec<Entry>,
    /// Stem → term.
    stems: Map<Vec<u8>>,
    /// Every normalised word seen → its term; typos are looked for here.
    words: Map<Vec<u8>>,
    /// Each term's postings, see [`postings`].
    postings: Vec<Box<[u8]>>,
    /// Each term's skip entries (for long lists only), see [`postings`].
    skips: Vec<Box<[Skip]>>,
    /// Sections holding each term.
    df: Vec<u32>,
    /// BM25's length normalisation of each section, `K1 * (1 - B + B * len / avg_len)`.
    norms: Vec<f32>,
    english: English,
    typos: LevenshteinAutomatonBuilder,
}

impl std::fmt::Debug for Index {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Index")
            .field("articles", &self.articles.len())
            .field("sections", &self.sections.len())
            .field("terms", &self.df.len())
            .field(
                "postings_bytes",
                &self.postings.iter().map(|l| l.len()).sum::<usize>(),
            )
            .field(
                "text_bytes",
                &self.articles.iter().map(|a| a.text.len()).sum::<usize>(),
            )
            .finish_non_exhaustive()
    }
}

/// Collects terms and postings while sections are added.
struct Builder {
    english: English,
    word_terms: FxHashMap<String, u32>,
    stem_terms: FxHashMap<String, u32>,
    lists: Vec<Vec<u8>>,
    skips: Vec<Vec<Skip>>,
    df: Vec<u32>,
    last_section: Vec<u32>,
    buf: String,
}

impl Builder {
    fn term(&mut self, word: &str) -> u32 {
        if let Some(&t) = self.word_terms.get(word) {
            return t;
        }
        let next = u32::try_from(self.lists.len()).unwrap_or(u32::MAX);
        let t = *self
            .stem_terms
            .entry(self.english.stem(word))
            .or_insert(next);
        if t == next {
            self.lists.push(Vec::new());
            self.skips.push(Vec::new());
            self.df.push(0);
            self.last_section.push(0);
        }
        self.word_terms.insert(word.to_owned(), t);
        t
    }

    /// Adds the terms of `text` at positions from `*pos` on.
    fn add(&mut self, text: &str, pos: &mut u32, hits: &mut Vec<(u32, u32)>) {
        for (s, e) in words(text) {
            let mut buf = std::mem::take(&mut self.buf);
            normalise_into(&text[s..e], &mut buf);
            hits.push((self.term(&buf), *pos));
            self.buf = buf;
            *pos += 1;
        }
    }

    fn post(
        &mut self,
        section: u32,
        entry: &Entry,
        hits: &mut [(u32, u32)],
        positions: &mut Vec<u32>,
    ) {
        hits.sort_unstable();
        for run in hits.chunk_by(|a, b| a.0 == b.0) {
            let t = run[0].0 as usize;
            positions.clear();
            positions.extend(run.iter().map(|&(_, p)| p));
            let mut counts = Counts::default();
            for &p in positions.iter() {
                match field(entry, p) {
                    Field::Title => counts.title += 1,
                    Field::Heading => counts.heading += 1,
                    Field::Body => counts.body += 1,
                }
            }
            if self.df[t] > 0 && self.df[t].is_multiple_of(postings::SKIP_EVERY) {
                let at = u32::try_from(self.lists[t].len()).unwrap_or(u32::MAX);
                self.skips[t].push(Skip {
                    before: self.last_section[t],
                    at,
                });
            }
            let gap = section - self.last_section[t];
            postings::push_posting(&mut self.lists[t], gap, counts, positions);
            self.df[t] += 1;
            self.last_section[t] = section;
        }
    }
}

/// The parts of a section that a position can fall in.
enum Field {
    Title,
    Heading,
    Body,
}

fn field(entry: &Entry, pos: u32) -> Field {
    if pos < entry.heading_start {
        Field::Title
    } else if pos < entry.body_start {
        Field::Heading
    } else {
        Field::Body
    }
}

/// A sorted map from the keys of `terms`.
fn fst_map(terms: FxHashMap<String, u32>) -> Map<Vec<u8>> {
    let mut sorted: Vec<(String, u32)> = terms.into_iter().collect();
    sorted.sort_unstable();
    Map::from_iter(sorted.iter().map(|(k, t)| (k.as_bytes(), u64::from(*t))))
        .expect("keys are sorted and unique, the only way building an fst map fails")
}

impl Index {
    /// Builds the index; sections of one article must come together, intro
    /// first (a section whose slug differs from the one before starts a new
    /// article).
    pub fn build<'a>(sections: impl IntoIterator<Item = Section<'a>>) -> Index {
        let mut b = Builder {
            english: English::new(),
            word_terms: FxHashMap::default(),
            stem_terms: FxHashMap::default(),
            lists: Vec::new(),
            skips: Vec::new(),
            df: Vec::new(),
            last_section: Vec::new(),
            buf: String::new(),
        };
        let mut articles: Vec<Article> = Vec::new();
        let mut entries = Vec::new();
        let mut hits = Vec::new();
        let mut positions = Vec::new();
        let mut lens: Vec<u32> = Vec::new();
        // The current article's title as terms, read once for all its sections.
        let mut title_terms: Vec<u32> = Vec::new();
        // The current article's text so far, deflated when the next begins.
        let mut article_text = String::new();

        for (i, s) in sections.into_iter().enumerate() {
            let Ok(id) = u32::try_from(i) else { break };
            let same_article = articles.last().is_some_and(|a| *a.slug == *s.article_slug);
            if !same_article {
                if let Some(last) = articles.last_mut() {
                    last.text = deflate(&article_text);
                }
                article_text.clear();
                articles.push(Article {
                    slug: s.article_slug.as_ref().into(),
                    title: s.article_title.as_ref().into(),
                    text: Box::default(),
                });
                title_terms.clear();
                hits.clear();
                let mut pos = 0;
                b.add(&s.article_title, &mut pos, &mut hits);
                title_terms.extend(hits.drain(..).map(|(t, _)| t));
            }
            let article = u32::try_from(articles.len() - 1).unwrap_or(u32::MAX);

            hits.clear();
            hits.extend((0..).zip(&title_terms).map(|(p, &t)| (t, p)));
            let mut pos = u32::try_from(title_terms.len()).unwrap_or(u32::MAX) + 1;
            let heading_start = pos;
            b.add(s.heading.as_deref().unwrap_or(""), &mut pos, &mut hits);
            pos += 1;
            let body_start = pos;
            b.add(&s.text, &mut pos, &mut hits);
            lens.push(u32::try_from(hits.len()).unwrap_or(u32::MAX));
            let entry = Entry {
                article,
                heading: s.heading.map(String::into_boxed_str),
                anchor: s.anchor.map(String::into_boxed_str),
                text: (
                    u32::try_from(article_text.len()).unwrap_or(u32::MAX),
                    u32::try_from(article_text.len() + s.text.len()).unwrap_or(u32::MAX),
                ),
                heading_start,
                body_start,
            };
            b.post(id, &entry, &mut hits, &mut positions);
            entries.push(entry);
            article_text.push_str(&s.text);
        }
        if let Some(last) = articles.last_mut() {
            last.text = deflate(&article_text);
        }

        // Growing lists keep up to half their room spare: give it back.
        let postings = b.lists.into_iter().map(Vec::into_boxed_slice).collect();
        let skips = b.skips.into_iter().map(Vec::into_boxed_slice).collect();
        let total_len: u64 = lens.iter().map(|&l| u64::from(l)).sum();
        let avg_len = (total_len as f64 / lens.len().max(1) as f64).max(1.0) as f32;
        let norms = lens
            .iter()
            .map(|&len| K1 * (1.0 - B + B * len as f32 / avg_len))
            .collect();
        Index {
            articles,
            sections: entries,
            stems: fst_map(b.stem_terms),
            words: fst_map(b.word_terms),
            postings,
            skips,
            df: b.df,
            norms,
            english: b.english,
            typos: LevenshteinAutomatonBuilder::new(1, true),
        }
    }

    /// Finds the sections that best match `query`, at most `limit` (and at most [`MAX_HITS`]).
    pub fn search(&self, query: &str, limit: usize) -> Results<'_> {
        let parsed = query::parse(query);
        let mut shortened = parsed.shortened;
        let limit = limit.min(MAX_HITS);
        let n = self.sections.len();

        // Words and phrases no section holds can match nothing: leave them out.
        let mut clauses: Vec<(usize, Resolved)> = parsed
            .clauses
            .iter()
            .filter_map(|clause| {
                let resolved = match clause {
                    Clause::Word(word) => Resolved::Word(self.variants(word)),
                    Clause::Phrase(phrase) => Resolved::Phrase(
                        phrase
                            .iter()
                            .map(|w| self.exact(w))
                            .collect::<Option<_>>()?,
                    ),
                };
                let terms: Vec<u32> = match &resolved {
                    Resolved::Word(variants) => variants.iter().map(|&(t, _)| t).collect(),
                    Resolved::Phrase(terms) => terms.clone(),
                };
                let cost = terms.iter().map(|&t| self.df_of(t)).sum::<usize>();
                (cost > 0).then_some((cost, resolved))
            })
            .collect();
        clauses.sort_by_key(|&(cost, _)| cost);

        let mut score = vec![0f32; n];
        let mut matched = vec![0u8; n];
        let mut marks = Marks::default();
        let mut spent = 0;
        for (i, (cost, clause)) in clauses.into_iter().enumerate() {
            if i > 0 && spent + cost > MAX_POSTINGS_PER_QUERY {
                shortened = true;
                continue;
            }
            spent += cost;
            match clause {
                Resolved::Word(variants) => {
                    self.score_word(&variants, &mut score, &mut matched);
                    marks.words.extend(variants.iter().map(|&(t, _)| t));
                }
                Resolved::Phrase(terms) => {
                    self.score_phrase(&terms, &mut score, &mut matched);
                    marks.phrases.push(terms);
                }
            }
        }

        let mut found: Vec<usize> = (0..n).filter(|&i| matched[i] > 0).collect();
        let total = found.len();
        let order = |a: &usize, b: &usize| {
            (matched[*b].cmp(&matched[*a]))
                .then(score[*b].total_cmp(&score[*a]))
                .then(a.cmp(b))
        };
        if found.len() > limit {
            if limit > 0 {
                found.select_nth_unstable_by(limit, order);
            }
            found.truncate(limit);
        }
        found.sort_unstable_by(order);
        // Each article's text is inflated once, however many of its sections are hits.
        let mut texts: HashMap<u32, String> = HashMap::new();

        let hits = found
            .into_iter()
            .map(|i| self.hit(i, score[i], &marks, &mut texts))
            .collect();
        Results {
            hits,
            total,
            shortened,
        }
    }

    fn hit(
        &self,
        i: usize,
        score: f32,
        marks: &Marks,
        texts: &mut HashMap<u32, String>,
    ) -> Hit<'_> {
        let entry = &self.sections[i];
        let article = &self.articles[entry.article as usize];
        let text = texts
            .entry(entry.article)
            .or_insert_with(|| inflate(&article.text));
        let (start, end) = (entry.text.0 as usize, entry.text.1 as usize);
        let section = text.get(start..end).unwrap_or_default();
        let snippet = snippet::snippet(section, marks, |w| self.term_of_word(w));
        Hit {
            slug: &article.slug,
            anchor: entry.anchor.as_deref(),
            article_title: &article.title,
            heading: entry.heading.as_deref(),
            snippet,
            score,
        }
    }

    fn term_of_word(&self, word: &str) -> Option<u32> {
        self.words.get(word).and_then(|t| u32::try_from(t).ok())
    }

    /// The term of a normalised query word, if some article has it.
    fn exact(&self, word: &str) -> Option<u32> {
        self.term_of_word(word).or_else(|| {
            let stem = self.english.stem(word);
            self.stems.get(stem).and_then(|t| u32::try_from(t).ok())
        })
    }

    /// The terms a query word stands for, each with its weight: itself, or
    /// when no article has it and it is long enough, its one-typo neighbours.
    fn variants(&self, word: &str) -> Vec<(u32, f32)> {
        if let Some(t) = self.exact(word) {
            return vec![(t, 1.0)];
        }
        if word.chars().count() < MIN_TYPO_CHARS {
            return Vec::new();
        }
        let dfa = self.typos.build_dfa(word);
        let mut stream = self.words.search(&dfa).into_stream();
        let mut out: Vec<(u32, f32)> = Vec::new();
        while let Some((_, t)) = stream.next() {
            let Ok(t) = u32::try_from(t) else { continue };
            if !out.iter().any(|&(o, _)| o == t) {
                out.push((t, TYPO_WEIGHT));
                if out.len() == MAX_TYPO_TERMS {
                    break;
                }
            }
        }
        out
    }

    fn reader(&self, term: u32) -> postings::Reader<'_> {
        let t = term as usize;
        postings::Reader::new(
            self.postings.get(t).map_or(&[], |list| list),
            self.skips.get(t).map_or(&[], |skips| skips),
        )
    }

    fn df_of(&self, term: u32) -> usize {
        self.df.get(term as usize).map_or(0, |&df| df as usize)
    }

    fn idf(&self, df: usize) -> f32 {
        let n = self.sections.len() as f32;
        let df = df as f32;
        (1.0 + (n - df + 0.5) / (df + 0.5)).ln()
    }

    /// BM25 of a (field-weighted) term frequency in section `i`.
    fn bm25(&self, i: usize, tf: f32) -> f32 {
        tf * (K1 + 1.0) / (tf + self.norms[i])
    }

    /// Adds a word's score to each section holding it; of several typo
    /// neighbours in one section, only the best counts.
    fn score_word(&self, variants: &[(u32, f32)], score: &mut [f32], matched: &mut [u8]) {
        let mut best: HashMap<usize, f32> = HashMap::new();
        for &(term, weight) in variants {
            let idf = self.idf(self.df_of(term));
            let mut reader = self.reader(term);
            while let Some((s, counts)) = reader.next() {
                let i = s as usize;
                let tf = TITLE_WEIGHT * counts.title as f32
                    + HEADING_WEIGHT * counts.heading as f32
                    + counts.body as f32;
                let value = weight * idf * self.bm25(i, tf);
                if variants.len() == 1 {
                    score[i] += value;
                    matched[i] = matched[i].saturating_add(1);
                } else {
                    let b = best.entry(i).or_insert(0.0);
                    *b = b.max(value);
                }
            }
        }
        for (i, value) in best {
            score[i] += value;
            matched[i] = matched[i].saturating_add(1);
        }
    }

    /// Adds a phrase's score to each section holding its terms in order.
    fn score_phrase(&self, terms: &[u32], score: &mut [f32], matched: &mut [u8]) {
        let k = terms.len();
        let mut readers: Vec<_> = terms.iter().map(|&t| self.reader(t)).collect();
        let (mut starts, mut list) = (Vec::new(), Vec::new());
        let mut current: Vec<Option<u32>> = readers
            .iter_mut()
            .map(|r| r.next().map(|(s, _)| s))
            .collect();
        let mut found: Vec<(usize, f32)> = Vec::new();
        'merge: loop {
            let mut max = 0;
            for c in &current {
                match c {
                    Some(s) => max = max.max(*s),
                    None => break 'merge,
                }
            }
            let mut all_at_max = true;
            for j in 0..k {
                if current[j].is_some_and(|s| s < max) {
                    // Common words jump over the sections rarer ones lack.
                    current[j] = readers[j].advance_to(max);
                }
                match current[j] {
                    None => break 'merge,
                    Some(s) => all_at_max &= s == max,
                }
            }
            if !all_at_max {
                continue;
            }
            let i = max as usize;
            let entry = &self.sections[i];
            // Starts of the phrase: positions of its first term followed by
            // the next terms, read one term at a time and only while some remain.
            readers[0].positions_into(&mut starts);
            for (j, reader) in readers.iter().enumerate().skip(1) {
                reader.positions_into(&mut list);
                starts.retain(|&p| list.binary_search(&(p + j as u32)).is_ok());
                if starts.is_empty() {
                    break;
                }
            }
            let tf: f32 = starts
                .iter()
                .map(|&p| match field(entry, p) {
                    Field::Title => TITLE_WEIGHT,
                    Field::Heading => HEADING_WEIGHT,
                    Field::Body => 1.0,
                })
                .sum();
            if tf > 0.0 {
                found.push((i, tf));
            }
            for (c, reader) in current.iter_mut().zip(readers.iter_mut()) {
                *c = reader.next().map(|(s, _)| s);
            }
        }
        let idf = self.idf(found.len());
        for (i, tf) in found {
            score[i] += idf * self.bm25(i, tf);
            matched[i] = matched[i].saturating_add(1);
        }
    }
}

#[cfg(test)]
mod tests;
