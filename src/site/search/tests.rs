//! Behaviour of the whole engine on a few hand-written sections.

use super::*;

fn section<'a>(slug: &'a str, title: &'a str, heading: Option<&str>, text: &str) -> Section<'a> {
    Section {
        article_slug: slug.into(),
        article_title: title.into(),
        heading: heading.map(str::to_owned),
        anchor: heading.map(|h| h.to_lowercase().replace(' ', "-")),
        text: text.to_owned(),
    }
}

fn index() -> &'static Index {
    static INDEX: std::sync::OnceLock<Index> = std::sync::OnceLock::new();
    INDEX.get_or_init(|| Index::build([
        section(
            "appeals",
            "Appeals to the tribunal",
            None,
            "If you disagree with a decision you can ask for a mandatory reconsideration first.",
        ),
        section(
            "appeals",
            "Appeals to the tribunal",
            Some("How to appeal"),
            "You appeal to the First-tier Tribunal after the reconsideration. An appeal is free.",
        ),
        section(
            "negligence",
            "Can you sue the CMS?",
            Some("Duty of care"),
            "The courts held that the agency owed parents no duty of care. Without a duty, \
             a negligence claim fails. Care was taken.",
        ),
        section(
            "negligence",
            "Can you sue the CMS?",
            Some("Compensation"),
            "A special payment may be made. Care and a duty are different things here, \
             and appealing is a separate route.",
        ),
    ]))
}

fn anchors<'a>(results: &Results<'a>) -> Vec<(&'a str, Option<&'a str>)> {
    results.hits.iter().map(|h| (h.slug, h.anchor)).collect()
}

/// The snippet's text as shown, marks and all.
fn shown(hit: &Hit<'_>) -> String {
    hit.snippet
        .segments
        .iter()
        .map(|s| s.text.as_str())
        .collect()
}

fn marked<'a>(hit: &'a Hit<'_>) -> Vec<&'a str> {
    hit.snippet
        .segments
        .iter()
        .filter(|s| s.marked)
        .map(|s| s.text.as_str())
        .collect()
}

#[test]
fn stemming_finds_other_forms_of_a_word() {
    let results = index().search("appealing", 10);
    assert_eq!(results.total, 3);
    assert!(anchors(&results).contains(&("appeals", Some("how-to-appeal"))));
}

#[test]
fn one_typo_in_a_long_word_is_forgiven() {
    let results = index().search("reconsidration", 10);
    assert_eq!(results.total, 2);
    assert!(results.hits.iter().all(|h| h.slug == "appeals"));
    assert_eq!(marked(&results.hits[0]), ["reconsideration"]);
}

#[test]
fn a_transposed_letter_is_one_typo() {
    assert_eq!(index().search("negilgence", 10).total, 1);
}

#[test]
fn short_words_are_not_read_as_typos() {
    assert_eq!(index().search("dutx", 10).total, 0);
}

#[test]
fn a_quoted_phrase_matches_only_words_in_that_order() {
    let index = index();
    let loose = index.search("duty care", 10);
    assert_eq!(loose.total, 2);
    let phrase = index.search("\"duty of care\"", 10);
    assert_eq!(anchors(&phrase), [("negligence", Some("duty-of-care"))]);
    assert_eq!(marked(&phrase.hits[0]), ["duty of care"]);
}

#[test]
fn a_phrase_of_common_and_rare_words_is_found_in_long_lists() {
    // Long enough for the common words' lists to have skip entries.
    let texts: Vec<String> = (0..2000)
        .map(|i| {
            let mut text = String::from("the fox ran and the dog sat in the sun");
            if i % 97 == 5 {
                text.push_str(" and the quick fox jumped");
            }
            if i % 89 == 3 {
                text.push_str(" quick, the fox");
            }
            text
        })
        .collect();
    let slugs: Vec<String> = (0..2000).map(|i| format!("a{i}")).collect();
    let index = Index::build(
        texts
            .iter()
            .zip(&slugs)
            .map(|(text, slug)| section(slug, "T", None, text)),
    );
    let results = index.search("\"the quick fox\"", MAX_HITS);
    let mut found: Vec<&str> = results.hits.iter().map(|h| h.slug).collect();
    found.sort_unstable();
    let mut want: Vec<&str> = slugs
        .iter()
        .enumerate()
        .filter(|(i, _)| i % 97 == 5)
        .map(|(_, s)| s.as_str())
        .collect();
    want.sort_unstable();
    assert_eq!(results.total, want.len());
    assert_eq!(found, want);
}

#[test]
fn a_section_headed_by_the_word_ranks_above_a_passing_mention() {
    let results = index().search("compensation", 10);
    assert_eq!(results.hits[0].anchor, Some("compensation"));
    let results = index().search("appeal", 10);
    assert_eq!(results.hits[0].anchor, Some("how-to-appeal"));
    assert_eq!(results.hits.last().map(|h| h.slug), Some("negligence"));
}

#[test]
fn title_words_count_for_every_section_of_the_article() {
    let results = index().search("tribunal", 10);
    assert_eq!(results.total, 2);
    assert!(results.hits.iter().all(|h| h.slug == "appeals"));
}

#[test]
fn sections_matching_more_words_rank_first() {
    let results = index().search("special duty", 10);
    assert_eq!(results.hits[0].anchor, Some("compensation"));
}

#[test]
fn snippet_marks_matches_and_keeps_the_text_whole() {
    let results = index().search("Appeal", 10);
    let hit = &results.hits[0];
    assert_eq!(
        shown(hit),
        "You appeal to the First-tier Tribunal after the reconsideration. An appeal is free."
    );
    assert_eq!(marked(hit), ["appeal", "appeal"]);
    assert!(!hit.snippet.starts_mid && !hit.snippet.ends_mid);
}

#[test]
fn snippet_of_a_long_section_is_about_thirty_words_around_the_match() {
    let mut text = "filler ".repeat(200);
    text.push_str("the arrears were wrong ");
    text.push_str(&"padding ".repeat(200));
    let index = Index::build([section("long", "Long", Some("Long"), &text)]);
    let results = index.search("arrears", 1);
    let snippet = &results.hits[0].snippet;
    let text = shown(&results.hits[0]);
    assert_eq!(text.split_whitespace().count(), 30);
    assert!(text.starts_with("filler filler"));
    assert!(snippet.starts_mid && snippet.ends_mid);
    assert_eq!(marked(&results.hits[0]), ["arrears"]);
}

#[test]
fn query_text_never_becomes_markup() {
    let index = Index::build([section("x", "X", None, "Use <b>bold</b> & care.")]);
    let results = index.search("<script>alert(1)</script> bold", 10);
    assert_eq!(marked(&results.hits[0]), ["bold"]);
    assert_eq!(
        shown(&results.hits[0]),
        "Use <b>bold</b> & care.",
        "segments are the section's own text"
    );
}

#[test]
fn empty_query_finds_nothing() {
    let results = index().search("", 10);
    assert_eq!(results, Results::default());
}

#[test]
fn unknown_words_find_nothing() {
    let results = index().search("xylophone zebra", 10);
    assert_eq!(results.total, 0);
    assert!(results.hits.is_empty());
}

#[test]
fn limit_caps_hits_but_not_total() {
    let results = index().search("care duty appeal", 1);
    assert_eq!(results.hits.len(), 1);
    assert!(results.total > 1);
    assert!(index().search("care", 0).hits.is_empty());
}

#[test]
fn long_query_is_answered_from_its_start_and_says_so() {
    let query = format!(
        "reconsideration {}",
        "lorem ipsum dolor sit amet ".repeat(400)
    );
    let results = index().search(&query, 10);
    assert!(results.shortened);
    assert_eq!(results.total, 2);
}

#[test]
fn odd_inputs_do_not_panic() {
    let index = index();
    let odd = [
        "\"",
        "\"\"",
        "\" \"",
        "'''",
        "’s",
        "!!!???",
        "\u{0}\u{FEFF}\u{200B}",
        "🦀🦀 appeal 🦀",
        "ÉCOLE école ß straße İstanbul",
        "日本語のテキスト",
        "a\"b\"c\"d",
        "“duty of care”",
        "\"care\" \"\" \"duty",
        &"x".repeat(100_000),
        &"\"".repeat(10_000),
        &"é ".repeat(5_000),
    ];
    for q in odd {
        let _ = index.search(q, 10);
    }
}

#[test]
fn an_empty_index_answers_every_query() {
    let index = Index::build(Vec::new());
    assert_eq!(
        index
            .search("appeal \"duty of care\" reconsidration", 10)
            .total,
        0
    );
}

#[test]
fn index_can_be_shared_between_threads() {
    fn shared<T: Send + Sync>() {}
    shared::<Index>();
}

proptest::proptest! {
    #[test]
    fn any_query_is_answered_without_panic(query in "\\PC{0,300}") {
        let results = index().search(&query, 10);
        proptest::prop_assert!(results.hits.len() <= 10);
    }

    #[test]
    fn any_text_indexes_and_snippets_without_panic(text in "\\PC{0,300}", query in "[a-zé\" ]{0,30}") {
        let index = Index::build([section("p", "P", Some("P"), &text)]);
        let _ = index.search(&query, 10);
    }
}
