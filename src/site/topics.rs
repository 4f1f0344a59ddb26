//! Topics: the articles' `tags`, gathered into pages. `/topics` lists every
//! topic, `/topics/<slug>` the articles under one. Tags that make the same
//! slug ("Legal aid", "legal aid") are one topic.

use std::collections::BTreeMap;

use super::Article;

/// The path of the list of topics; each topic is below it.
pub const PATH: &str = "/topics";

/// One topic and the articles tagged with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Topic {
    /// URL segment: the topic lives at `/topics/<slug>`.
    pub slug: String,
    /// Its name, as most of its articles spell it (ties: the newest's).
    pub name: String,
    /// Slugs of its articles, newest first.
    pub articles: Vec<String>,
}

impl Topic {
    /// Its name with a capital first letter, for headings and lists.
    pub fn title(&self) -> String {
        let mut chars = self.name.chars();
        chars.next().map_or_else(String::new, |first| {
            first.to_uppercase().chain(chars).collect()
        })
    }

    /// The topic's path on the site.
    pub fn url(&self) -> String {
        format!("{PATH}/{}", self.slug)
    }
}

/// The slug of a tag, or `None` for a tag with no letter or digit to make
/// one from (an author's mistake `check` reports).
pub fn slug(tag: &str) -> Option<String> {
    tag.chars()
        .any(|c| c.is_ascii_alphanumeric())
        .then(|| crate::markdown::slugify(tag))
}

/// One topic while it is gathered: its spellings with their counts, in
/// first-seen order, and its articles.
type Gathering<'a> = (Vec<(&'a str, usize)>, Vec<String>);

/// Every topic, A–Z by slug, from `articles` (newest first). Tags without
/// a slug are left out; `check` has refused them already.
pub fn gather(articles: &[Article]) -> Vec<Topic> {
    let mut found: BTreeMap<String, Gathering<'_>> = BTreeMap::new();
    for article in articles {
        for tag in &article.tags {
            let Some(slug) = slug(tag) else { continue };
            let (names, slugs) = found.entry(slug).or_default();
            match names.iter_mut().find(|(name, _)| name == tag) {
                Some((_, count)) => *count += 1,
                None => names.push((tag, 1)),
            }
            if slugs.last() != Some(&article.slug) {
                slugs.push(article.slug.clone());
            }
        }
    }
    found
        .into_iter()
        .map(|(slug, (names, articles))| {
            let most = names.iter().map(|(_, n)| *n).max().unwrap_or(0);
            let name = names
                .iter()
                .find(|(_, n)| *n == most)
                .map_or(slug.as_str(), |(name, _)| name)
                .to_string();
            Topic {
                slug,
                name,
                articles,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tagged(slug: &str, tags: &[&str]) -> Article {
        let mut article = super::super::tests::article(slug, &[]);
        article.tags = tags.iter().map(|t| (*t).to_string()).collect();
        article
    }

    #[test]
    fn tags_that_slug_the_same_are_one_topic() {
        let topics = gather(&[
            tagged("new", &["Legal aid", "judicial review"]),
            tagged("mid", &["legal aid"]),
            tagged("old", &["legal aid", "Legal  Aid"]),
        ]);
        let shape: Vec<(&str, &str, Vec<&str>)> = topics
            .iter()
            .map(|t| {
                (
                    t.slug.as_str(),
                    t.name.as_str(),
                    t.articles.iter().map(String::as_str).collect(),
                )
            })
            .collect();
        assert_eq!(
            shape,
            [
                ("judicial-review", "judicial review", vec!["new"]),
                ("legal-aid", "legal aid", vec!["new", "mid", "old"]),
            ]
        );
        assert_eq!(topics[1].url(), "/topics/legal-aid");
        assert_eq!(topics[1].title(), "Legal aid");
    }

    #[test]
    fn a_tag_of_punctuation_has_no_slug() {
        assert_eq!(slug("???"), None);
        assert_eq!(slug("  "), None);
        assert_eq!(slug("Access to justice!"), Some("access-to-justice".into()));
    }
}
