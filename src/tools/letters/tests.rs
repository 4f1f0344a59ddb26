//! Specifications for the letters: the shipped files, the form, the outputs
//! and the author's mistakes.

use std::io::Read;
use std::path::{Path, PathBuf};

use time::Date;
use time::macros::date;

use super::*;

const TODAY: Date = date!(2025 - 03 - 31);

fn shipped() -> Letters {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("content/letters");
    match Letters::load(&dir) {
        Ok(letters) => letters,
        Err(problems) => panic!("shipped letters have problems: {problems:#?}"),
    }
}

fn letter(slug: &str) -> Letter {
    match shipped().get(slug) {
        Some(letter) => letter.clone(),
        None => panic!("no letter {slug}"),
    }
}

fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// A form answering every field (`full`) or only the required ones.
fn form_for(letter: &Letter, full: bool) -> Vec<(String, String)> {
    let mut form = Vec::new();
    for field in &letter.fields {
        if !full && !field.required {
            continue;
        }
        let id = field.id.clone();
        match &field.kind {
            FieldKind::Text { max_length } => {
                form.push((id.clone(), sample_text(&id, *max_length)));
            }
            FieldKind::Textarea { .. } => {
                form.push((id.clone(), format!("First {id}\r\n\r\nSecond {id}")));
            }
            FieldKind::Date => {
                form.push((format!("{id}-day"), "3".into()));
                form.push((format!("{id}-month"), "2".into()));
                form.push((format!("{id}-year"), "2025".into()));
            }
            FieldKind::Choice { options } => form.push((id, options[0].value.clone())),
            FieldKind::Checkboxes { options } => {
                for option in options {
                    form.push((id.clone(), option.value.clone()));
                }
            }
        }
    }
    form
}

/// "Answer <id>", cut to the field's limit.
fn sample_text(id: &str, max_length: usize) -> String {
    format!("Answer {id}").chars().take(max_length).collect()
}

fn expect_ok(letter: &Letter, form: &[(String, String)]) -> Answers {
    match letter.validate(form, TODAY) {
        Ok(answers) => answers,
        Err(errors) => panic!("{}: unexpected errors {:#?}", letter.slug, errors.errors),
    }
}

fn expect_errors(letter: &Letter, form: &[(String, String)]) -> FormErrors {
    match letter.validate(form, TODAY) {
        Ok(_) => panic!("{}: expected errors", letter.slug),
        Err(errors) => errors,
    }
}

fn render_text(letter: &Letter, answers: &Answers) -> String {
    match letter.render_text(answers, TODAY) {
        Ok(text) => text,
        Err(err) => panic!("{}: {err}", letter.slug),
    }
}

fn has_no_control_characters(text: &str) -> bool {
    text.chars().all(|c| c == '\n' || !c.is_control())
}

#[test]
fn shipped_letters_load_in_slug_order() {
    let slugs: Vec<String> = shipped().iter().map(|l| l.slug.clone()).collect();
    assert_eq!(
        slugs,
        [
            "complaint",
            "independent-case-examiner",
            "mandatory-reconsideration",
            "mp-ombudsman-referral"
        ]
    );
}

#[test]
fn every_letter_renders_with_every_field_answered() {
    for letter in shipped().iter() {
        let answers = expect_ok(letter, &form_for(letter, true));
        let text = render_text(letter, &answers);
        assert!(has_no_control_characters(&text), "{}", letter.slug);
        for field in &letter.fields {
            if let FieldKind::Text { max_length } = field.kind {
                assert!(
                    text.contains(&sample_text(&field.id, max_length)),
                    "{}: {} missing from\n{text}",
                    letter.slug,
                    field.id
                );
            }
        }
        assert!(text.contains("3 February 2025"), "{}", letter.slug);
        assert!(
            text.contains("31 March 2025"),
            "{}: the letter's date",
            letter.slug
        );
    }
}

#[test]
fn every_letter_renders_with_only_the_required_fields() {
    for letter in shipped().iter() {
        let answers = expect_ok(letter, &form_for(letter, false));
        let text = render_text(letter, &answers);
        assert!(has_no_control_characters(&text), "{}", letter.slug);
        assert!(
            !text.contains("enclose copies"),
            "{}: no enclosures given",
            letter.slug
        );
        assert!(
            !text.contains("\n\n\n\n\n"),
            "{}: stray blank lines",
            letter.slug
        );
    }
}

#[test]
fn reconsideration_names_the_decision_its_date_and_lists_enclosures() {
    let letter = letter("mandatory-reconsideration");
    let answers = expect_ok(&letter, &form_for(&letter, true));
    let rendered = match letter.render(&answers, TODAY) {
        Ok(rendered) => rendered,
        Err(err) => panic!("{err}"),
    };
    assert_eq!(
        rendered.reference,
        "Case number Answer case_number: request for a mandatory reconsideration of the decision dated 3 February 2025"
    );
    assert_eq!(
        rendered.sender,
        [
            "Answer your_name",
            "First your_address",
            "Second your_address"
        ]
    );
    assert_eq!(rendered.recipient[0], "Child Maintenance Service");
    assert!(rendered.paragraphs[0].contains("the maintenance calculation dated 3 February 2025"));
    assert!(
        rendered
            .paragraphs
            .iter()
            .any(|p| p.starts_with("I enclose copies of:\n- the decision letter\n- payslips"))
    );
    assert!(
        rendered
            .paragraphs
            .iter()
            .any(|p| p.contains("in writing") || p.contains("write to me"))
    );
    assert_eq!(
        rendered.closing.first().map(String::as_str),
        Some("Yours faithfully")
    );
    assert_eq!(
        rendered.closing.last().map(String::as_str),
        Some("Answer your_name")
    );
}

#[test]
fn text_answers_are_cleaned_of_control_characters_and_crlf() {
    let letter = letter("mandatory-reconsideration");
    let mut form = form_for(&letter, false);
    form.retain(|(k, _)| k != "what_is_wrong");
    form.push((
        "what_is_wrong".into(),
        "Bad\u{7} figure\r\nsecond\u{0} line\u{202E}".into(),
    ));
    let answers = expect_ok(&letter, &form);
    assert_eq!(
        answers.get("what_is_wrong"),
        Some(&Answer::Text("Bad figure\nsecond line".into()))
    );
    let text = render_text(&letter, &answers);
    assert!(has_no_control_characters(&text));
    assert!(!text.contains('\r'));
}

#[test]
fn answers_that_look_like_templates_are_printed_not_run() {
    let letter = letter("complaint");
    let mut form = form_for(&letter, false);
    form.retain(|(k, _)| k != "put_right");
    form.push(("put_right".into(), "{{ your_name }} {% if x %}".into()));
    let answers = expect_ok(&letter, &form);
    assert!(render_text(&letter, &answers).contains("{{ your_name }} {% if x %}"));
}

#[test]
fn missing_required_fields_are_named_gov_uk_style() {
    let letter = letter("mandatory-reconsideration");
    let errors = expect_errors(&letter, &[]);
    let first = &errors.errors[0];
    assert_eq!(first.field, "your_name");
    assert_eq!(first.target, "your_name");
    assert_eq!(first.message, "Enter your full name");
    assert_eq!(
        errors
            .for_field("decision_kind")
            .map(|e| e.message.as_str()),
        Some("Select which decision you want looked at again")
    );
    assert_eq!(
        errors.for_field("decision_date").map(|e| e.target.as_str()),
        Some("decision_date-day")
    );
    assert!(errors.for_field("phone").is_none());
}

fn date_error(day: &str, month: &str, year: &str) -> FieldError {
    let letter = letter("mandatory-reconsideration");
    let mut form = form_for(&letter, false);
    form.retain(|(k, _)| !k.starts_with("decision_date"));
    form.extend(pairs(&[
        ("decision_date-day", day),
        ("decision_date-month", month),
        ("decision_date-year", year),
    ]));
    let errors = expect_errors(&letter, &form);
    assert_eq!(errors.errors.len(), 1, "{:#?}", errors.errors);
    assert_eq!(
        errors.values.get("decision_date"),
        Some(&FormValue::Date {
            day: day.into(),
            month: month.into(),
            year: year.into()
        }),
        "the date is kept as typed"
    );
    errors.errors[0].clone()
}

#[test]
fn impossible_date_is_refused() {
    let error = date_error("30", "2", "2025");
    assert_eq!(
        error.message,
        "The date of the decision must be a real date"
    );
    assert_eq!(date_error("x", "2", "2025").message, error.message);
    assert_eq!(date_error("3", "13", "2025").message, error.message);
}

#[test]
fn date_in_the_future_is_refused() {
    let error = date_error("1", "4", "2025");
    assert_eq!(
        error.message,
        "The date of the decision must be today or in the past"
    );
}

#[test]
fn today_is_accepted() {
    let letter = letter("mandatory-reconsideration");
    let mut form = form_for(&letter, false);
    form.retain(|(k, _)| !k.starts_with("decision_date"));
    form.extend(pairs(&[
        ("decision_date-day", "31"),
        ("decision_date-month", "3"),
        ("decision_date-year", "2025"),
    ]));
    let answers = expect_ok(&letter, &form);
    assert_eq!(answers.get("decision_date"), Some(&Answer::Date(TODAY)));
}

#[test]
fn date_missing_a_part_says_which() {
    let error = date_error("3", "", "2025");
    assert_eq!(
        error.message,
        "The date of the decision must include a month"
    );
    assert_eq!(error.target, "decision_date-month");
    let error = date_error("", "", "2025");
    assert_eq!(
        error.message,
        "The date of the decision must include a day and month"
    );
    let error = date_error("3", "2", "25");
    assert_eq!(
        error.message,
        "The date of the decision must include a year with 4 numbers, like 2025"
    );
}

#[test]
fn text_past_its_limit_is_refused_and_kept() {
    let letter = letter("mandatory-reconsideration");
    let mut form = form_for(&letter, false);
    let long = "9".repeat(31);
    form.retain(|(k, _)| k != "case_number");
    form.push(("case_number".into(), long.clone()));
    let errors = expect_errors(&letter, &form);
    assert_eq!(
        errors.for_field("case_number").map(|e| e.message.as_str()),
        Some("Your case number must be 30 characters or fewer")
    );
    assert_eq!(
        errors.values.get("case_number"),
        Some(&FormValue::Text(long))
    );
}

#[test]
fn unknown_choice_is_refused() {
    let letter = letter("mandatory-reconsideration");
    let mut form = form_for(&letter, false);
    form.retain(|(k, _)| k != "decision_kind");
    form.push(("decision_kind".into(), "made-up".into()));
    let errors = expect_errors(&letter, &form);
    assert_eq!(
        errors
            .for_field("decision_kind")
            .map(|e| e.message.as_str()),
        Some("Select one of the options for which decision you want looked at again")
    );
    assert_eq!(
        errors.values.get("decision_kind"),
        Some(&FormValue::Choice(None))
    );
}

#[test]
fn unknown_checkbox_is_refused() {
    let letter = letter("mandatory-reconsideration");
    let mut form = form_for(&letter, false);
    form.extend(pairs(&[
        ("enclosures", "payslips"),
        ("enclosures", "bogus"),
    ]));
    let errors = expect_errors(&letter, &form);
    assert_eq!(
        errors.for_field("enclosures").map(|e| e.message.as_str()),
        Some("Select only the options listed for what you are sending with the letter")
    );
    assert_eq!(
        errors.values.get("enclosures"),
        Some(&FormValue::Checkboxes(vec!["payslips".into()]))
    );
}

#[test]
fn docx_holds_the_escaped_answers() {
    let letter = letter("complaint");
    let mut form = form_for(&letter, false);
    form.retain(|(k, _)| k != "your_name");
    form.push(("your_name".into(), "Jo <b>&\"' Bloggs".into()));
    let answers = expect_ok(&letter, &form);
    let bytes = match letter.docx(&answers, TODAY) {
        Ok(bytes) => bytes,
        Err(err) => panic!("{err}"),
    };
    let mut archive = match zip::ZipArchive::new(std::io::Cursor::new(bytes)) {
        Ok(archive) => archive,
        Err(err) => panic!("not a zip: {err}"),
    };
    let mut xml = String::new();
    match archive.by_name("word/document.xml") {
        Ok(mut file) => {
            if let Err(err) = file.read_to_string(&mut xml) {
                panic!("{err}");
            }
        }
        Err(err) => panic!("no document.xml: {err}"),
    }
    assert!(!xml.contains("<b>&"), "raw answer in the XML");
    assert!(xml.contains("Jo &lt;b&gt;&amp;"), "escaped answer missing");
    assert!(xml.contains("Case number Answer case_number: complaint"));
    assert!(
        xml.contains("<w:b />") || xml.contains("<w:b/>"),
        "bold reference"
    );
    assert!(
        xml.contains("w:w=\"11906\"") && xml.contains("w:h=\"16838\""),
        "A4"
    );
}

// Author mistakes: each names the file and the line.

fn problems_in(text: &str) -> Vec<crate::error::Problem> {
    match Letter::parse(Path::new("content/letters/test.toml"), text) {
        Ok(_) => panic!("expected problems"),
        Err(problems) => problems,
    }
}

const MINIMAL: &str = r#"title = "T"
summary = "S"
send_to = "To the address on your letter."
sender = "{{ your_name }}"
recipient = "Child Maintenance Service"
reference = "Ref"
greeting = "Dear Sir or Madam"
body = """
Hello.

{{ your_name }} writes.
"""
closing = "Yours faithfully"
next_steps = "Wait."

[[fields]]
id = "your_name"
label = "Name"
name = "your name"
kind = "text"
required = true
max_length = 10
"#;

#[test]
fn minimal_letter_file_loads() {
    if let Err(problems) = Letter::parse(Path::new("t.toml"), MINIMAL) {
        panic!("{problems:#?}");
    }
}

#[test]
fn unknown_placeholder_names_file_and_line() {
    let text = MINIMAL.replace("{{ your_name }} writes.", "{{ your_nmae }} writes.");
    let problems = problems_in(&text);
    let problem = problems
        .iter()
        .find(|p| p.message.contains("your_nmae"))
        .unwrap_or_else(|| panic!("{problems:#?}"));
    assert_eq!(problem.file, Path::new("content/letters/test.toml"));
    assert_eq!(problem.line, 11, "{problem}");
}

#[test]
fn unused_field_names_file_and_line() {
    let text = format!(
        "{MINIMAL}\n[[fields]]\nid = \"phone\"\nlabel = \"Phone\"\nname = \"your phone\"\nkind = \"text\"\nmax_length = 5\n"
    );
    let problems = problems_in(&text);
    assert_eq!(problems.len(), 1, "{problems:#?}");
    assert!(
        problems[0]
            .message
            .contains("`phone` is asked but no template uses it")
    );
    assert_eq!(problems[0].line, 25);
}

#[test]
fn template_syntax_error_names_the_file_line() {
    let text = MINIMAL.replace("Hello.", "Hello {% if %}.");
    let problems = problems_in(&text);
    assert!(
        problems[0].message.contains("template error in `body`"),
        "{problems:#?}"
    );
    assert_eq!(problems[0].line, 9);
}

#[test]
fn duplicate_field_id_is_refused() {
    let text = format!(
        "{MINIMAL}\n[[fields]]\nid = \"your_name\"\nlabel = \"Name\"\nname = \"n\"\nkind = \"text\"\nmax_length = 5\n"
    );
    let problems = problems_in(&text);
    assert!(
        problems
            .iter()
            .any(|p| p.line == 25 && p.message.contains("used twice")),
        "{problems:#?}"
    );
}

#[test]
fn bad_kind_names_its_line() {
    let text = MINIMAL.replace("kind = \"text\"", "kind = \"txt\"");
    let problems = problems_in(&text);
    assert_eq!(problems[0].line, 20, "{problems:#?}");
    assert!(problems[0].message.contains("unknown variant `txt`"));
}

#[test]
fn unknown_key_is_refused() {
    let text = MINIMAL.replace("title = \"T\"", "title = \"T\"\ncolour = \"red\"");
    let problems = problems_in(&text);
    assert_eq!(problems[0].line, 2, "{problems:#?}");
}

#[test]
fn text_field_without_a_limit_is_refused() {
    let text = MINIMAL.replace("max_length = 10\n", "");
    let problems = problems_in(&text);
    assert!(
        problems[0].message.contains("needs max_length"),
        "{problems:#?}"
    );
    assert_eq!(problems[0].line, 17);
}
