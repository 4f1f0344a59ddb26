//! Inputs known to make Markdown parsers slow, run through the whole
//! content path: front matter, Markdown parse, link resolution, render.
//!
//! Each is sized so that a linear implementation takes milliseconds and a
//! quadratic one takes minutes, so a generous time bound cannot flake yet
//! still catches the regression. Every output must also be safe HTML by
//! the rules the fuzz target checks (`fuzz/content_path.rs`).

#![allow(clippy::unwrap_used)]

use std::fmt::Write as _;
use std::time::{Duration, Instant};

#[path = "../fuzz/content_path.rs"]
mod content_path;

/// Valid front matter, so the body goes through `read_article`.
const FRONT: &str = "+++\ntitle = \"T\"\nsummary = \"S\"\npublished = 2024-01-02\nreviewed = 2024-02-03\nkind = \"guide\"\nrelated = []\n+++\n\n";

/// Generous for a debug build on a busy two-core machine; every input
/// below takes well under half a second there when parsing is linear.
const BOUND: Duration = Duration::from_secs(5);

/// Runs `body` through the content path and checks that it was accepted,
/// in time, and rendered to safe HTML, which it returns.
fn renders_quickly_and_safely(body: &str) -> String {
    let file = format!("{FRONT}{body}");
    let started = Instant::now();
    let rendered = content_path::run(&file);
    let elapsed = started.elapsed();
    assert!(elapsed < BOUND, "{} bytes took {elapsed:?}", file.len());
    assert_eq!(rendered.verdict, content_path::Verdict::Accepted);
    if let Err(problem) = content_path::check_html(&rendered.html) {
        panic!("{problem}");
    }
    rendered.html
}

#[test]
fn nested_and_unmatched_brackets_take_linear_time() {
    let n = 50_000;
    renders_quickly_and_safely(&format!("{}a{}", "[".repeat(n), "]".repeat(n)));
    renders_quickly_and_safely(&"[a".repeat(n));
    renders_quickly_and_safely(&"a]".repeat(n));
    renders_quickly_and_safely(&"[ (](".repeat(n));
}

#[test]
fn interleaved_emphasis_delimiters_take_linear_time() {
    let n = 50_000;
    renders_quickly_and_safely(&"*a_ ".repeat(n));
    renders_quickly_and_safely(&"_a ".repeat(n));
    renders_quickly_and_safely(&"a_ ".repeat(n));
    renders_quickly_and_safely(&format!("a**b{}", "c* ".repeat(n)));
    renders_quickly_and_safely(&format!(
        "{}b{}",
        "*a **a ".repeat(n / 2),
        " a** a*".repeat(n / 2)
    ));
    renders_quickly_and_safely(&"[ a_".repeat(n));
}

#[test]
fn many_link_reference_definitions_take_linear_time() {
    let n = 20_000;
    let mut body = String::new();
    for i in 0..n {
        writeln!(body, "[ref{i}]: https://example.org/{i}").unwrap();
    }
    body.push('\n');
    for i in 0..n {
        write!(body, "[ref{i}] [text][ref{i}] ").unwrap();
    }
    let html = renders_quickly_and_safely(&body);
    assert_eq!(html.matches("<a href=").count(), 2 * n);
    renders_quickly_and_safely(&"[same]: https://example.org/\n".repeat(n));
}

#[test]
fn deeply_nested_quotes_and_lists_take_linear_time() {
    let n = 20_000;
    for (body, tag) in [
        (format!("{}a\n", ">".repeat(n)), "<blockquote>"),
        (format!("{}a\n", "> ".repeat(n)), "<blockquote>"),
        (format!("{}a\n", "- ".repeat(n)), "<ul>"),
        (format!("{}a\n", "1. ".repeat(n)), "<ol>"),
    ] {
        let html = renders_quickly_and_safely(&body);
        assert_eq!(html.matches(tag).count(), n, "{tag}");
    }
}

#[test]
fn code_spans_with_many_backtick_lengths_take_linear_time() {
    // Every run length appears once, so no run closes: a parser that
    // searches ahead for each opener does n²/2 work.
    let n = 1_000;
    let mut body = String::from("e");
    for i in 1..=n {
        body.push_str(&"`".repeat(i));
        body.push('e');
    }
    renders_quickly_and_safely(&body);
    renders_quickly_and_safely(&"`a``".repeat(50_000));
}

#[test]
fn deeply_nested_inline_links_take_linear_time() {
    let n = 20_000;
    let url = "(https://example.org/)";
    let html = renders_quickly_and_safely(&format!(
        "{}a{}",
        "[".repeat(n),
        format!("]{url}").repeat(n)
    ));
    // A link cannot contain a link: only the innermost one is made.
    assert_eq!(html.matches("<a href=").count(), 1);
    renders_quickly_and_safely(&"[a](<b".repeat(n));
    renders_quickly_and_safely(&"[a](b".repeat(n));
}

#[test]
fn many_angle_brackets_and_ampersands_are_escaped_in_linear_time() {
    let n = 50_000;
    let html = renders_quickly_and_safely(&"<".repeat(n));
    assert!(html.contains(&"&lt;".repeat(n)));
    let html = renders_quickly_and_safely(&"&".repeat(n));
    assert!(html.contains(&"&amp;".repeat(n)));
    renders_quickly_and_safely(&"<a".repeat(n));
    renders_quickly_and_safely(&format!("</{}", "<!--".repeat(n)));
    renders_quickly_and_safely(&"<!".repeat(n));
    renders_quickly_and_safely(&"&#".repeat(n));
    renders_quickly_and_safely(&"<script>x</script>".repeat(n / 10));
    renders_quickly_and_safely(&"<img src=x onerror=alert(1)>".repeat(n / 10));
}

// The site's own passes over the parsed events, beyond the parser.

#[test]
fn deeply_nested_images_take_linear_time() {
    let n = 50_000;
    renders_quickly_and_safely(&format!(
        "{}a{}",
        "![alt ".repeat(n),
        "](https://example.org/)".repeat(n)
    ));
}

#[test]
fn repeated_heading_text_gets_ids_in_linear_time() {
    let n = 20_000;
    let html = renders_quickly_and_safely(&"## Costs\n".repeat(n));
    assert!(html.contains(&format!("id=\"costs-{}\"", n - 1)));
}

#[test]
fn many_same_page_links_are_checked_in_linear_time() {
    let n = 50_000;
    let mut body = String::new();
    for i in 0..n {
        writeln!(body, "## Part {i}\n").unwrap();
    }
    for i in 0..n {
        write!(body, "[see](#part-{i}) ").unwrap();
    }
    renders_quickly_and_safely(&body);
}

#[test]
fn many_footnotes_render_in_linear_time() {
    let n = 50_000;
    let mut body = String::new();
    for i in 0..n {
        write!(body, "Claim.[^n{i}] ").unwrap();
    }
    body.push_str("\n\n");
    for i in 0..n {
        writeln!(body, "[^n{i}]: Source {i}.").unwrap();
    }
    let html = renders_quickly_and_safely(&body);
    assert!(html.contains(&format!("<li id=\"fn:{n}\">")));
}
