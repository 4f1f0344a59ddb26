//! Letter files → checked [`Letter`]s. Every mistake becomes a [`Problem`]
//! naming the file and line: TOML errors, bad field definitions, template
//! syntax errors, placeholders no field declares and fields no template uses.

use std::collections::{BTreeSet, HashSet};
use std::fs;
use std::path::{Path, PathBuf};

use minijinja::{AutoEscape, Environment, UndefinedBehavior, syntax::SyntaxConfig};
use serde::Deserialize;
use time::Date;
use toml::Spanned;

use super::form::{Answer, Answers};
use super::render::{PARTS, template_name};
use super::text::{clean_block, paragraphs};
use super::{BUILT_IN_VARIABLES, ChoiceOption, Field, FieldKind, Letter, Letters, Link};
use crate::error::{Problem, line_of, toml_problem};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LetterFile {
    title: String,
    summary: String,
    send_to: String,
    sender: Spanned<String>,
    recipient: Spanned<String>,
    reference: Spanned<String>,
    greeting: Spanned<String>,
    body: Spanned<String>,
    closing: Spanned<String>,
    next_steps: String,
    #[serde(default)]
    links: Vec<RawLink>,
    #[serde(default)]
    sources: Vec<RawLink>,
    fields: Vec<RawField>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLink {
    text: String,
    href: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawField {
    id: Spanned<String>,
    label: String,
    name: String,
    #[serde(default)]
    hint: Option<String>,
    kind: RawKind,
    #[serde(default)]
    required: bool,
    #[serde(default)]
    max_length: Option<usize>,
    #[serde(default)]
    options: Option<Vec<RawOption>>,
}

#[derive(Deserialize, Clone, Copy)]
#[serde(rename_all = "lowercase")]
enum RawKind {
    Text,
    Textarea,
    Date,
    Choice,
    Checkboxes,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawOption {
    value: String,
    label: String,
    #[serde(default)]
    text: Option<String>,
}

impl Letters {
    /// Loads every `*.toml` in `dir` (the slug is the file stem), or returns
    /// every problem found, each naming its file and line.
    pub fn load(dir: &Path) -> Result<Letters, Vec<Problem>> {
        let entries = match fs::read_dir(dir) {
            Ok(entries) => entries,
            Err(err) => {
                return Err(vec![Problem::new(
                    dir,
                    1,
                    format!("cannot read the letters folder: {err}"),
                )]);
            }
        };
        let mut paths: Vec<PathBuf> = entries
            .filter_map(Result::ok)
            .map(|entry| entry.path())
            .filter(|path| path.extension().is_some_and(|ext| ext == "toml"))
            .collect();
        paths.sort();

        let mut letters = Vec::new();
        let mut problems = Vec::new();
        for path in &paths {
            match fs::read_to_string(path) {
                Ok(text) => match Letter::parse(path, &text) {
                    Ok(letter) => letters.push(letter),
                    Err(mut found) => problems.append(&mut found),
                },
                Err(err) => problems.push(Problem::new(
                    path,
                    1,
                    format!("cannot read this letter file: {err}"),
                )),
            }
        }
        if problems.is_empty() {
            Ok(Letters { letters })
        } else {
            Err(problems)
        }
    }
}

impl Letter {
    /// Parses and checks one letter file; `path` names it in problems and gives the slug.
    pub fn parse(path: &Path, text: &str) -> Result<Letter, Vec<Problem>> {
        let mut problems = Vec::new();
        let slug = path
            .file_stem()
            .and_then(|stem| stem.to_str())
            .unwrap_or_default()
            .to_string();
        if !is_slug(&slug) {
            problems.push(Problem::new(
                path,
                1,
                format!(
                    "the file name `{slug}` is not a usable slug; name the file with lower-case letters, digits and hyphens, like `complaint.toml`"
                ),
            ));
        }
        let file: LetterFile = match toml::from_str(text) {
            Ok(file) => file,
            Err(err) => {
                problems.push(toml_problem(path, text, 1, "the letter file", &err));
                return Err(problems);
            }
        };

        let fields = check_fields(path, text, &file.fields, &mut problems);

        let mut env = Environment::new();
        env.set_undefined_behavior(UndefinedBehavior::Strict);
        env.set_auto_escape_callback(|_| AutoEscape::None);
        if let Ok(syntax) = SyntaxConfig::builder()
            .trim_blocks(true)
            .lstrip_blocks(true)
            .build()
        {
            env.set_syntax(syntax);
        }

        let declared: HashSet<&str> = fields
            .iter()
            .map(|field| field.id.as_str())
            .chain(BUILT_IN_VARIABLES.iter().copied())
            .collect();
        let mut used: HashSet<String> = HashSet::new();
        let sources = [
            &file.sender,
            &file.recipient,
            &file.reference,
            &file.greeting,
            &file.body,
            &file.closing,
        ];
        let mut starts = Vec::new();
        let mut compiled_all = true;
        for (part, source) in PARTS.iter().zip(sources) {
            let first_line = first_content_line(text, source);
            starts.push(first_line);
            let name = template_name(&slug, part);
            if let Err(err) = env.add_template_owned(name.clone(), source.get_ref().clone()) {
                compiled_all = false;
                let line = first_line + err.line().unwrap_or(1) - 1;
                problems.push(Problem::new(
                    path,
                    line,
                    format!(
                        "template error in `{part}`: {}; fix the {{{{ }}}} or {{% %}} tag on this line",
                        err.detail().unwrap_or("syntax error")
                    ),
                ));
                continue;
            }
            let Ok(template) = env.get_template(&name) else {
                continue;
            };
            let mut found: Vec<String> = template.undeclared_variables(false).into_iter().collect();
            found.sort();
            for variable in found {
                if !declared.contains(variable.as_str()) {
                    let line = first_line + placeholder_line(source.get_ref(), &variable) - 1;
                    problems.push(Problem::new(
                        path,
                        line,
                        format!(
                            "`{variable}` in `{part}` is not a field of this letter; declare it in [[fields]], correct its spelling, or use one of: {}",
                            BUILT_IN_VARIABLES.join(", ")
                        ),
                    ));
                }
                used.insert(variable);
            }
        }

        for (raw, field) in file.fields.iter().zip(&fields) {
            if !used.contains(&field.id) && compiled_all {
                problems.push(Problem::new(
                    path,
                    line_of(text, raw.id.span().start),
                    format!(
                        "field `{}` is asked but no template uses it; use it as {{{{ {} }}}} or remove the field",
                        field.id, field.id
                    ),
                ));
            }
        }

        let letter = Letter {
            slug,
            title: file.title.trim().to_string(),
            summary: file.summary.trim().to_string(),
            send_to: file.send_to.trim().to_string(),
            next_steps: paragraphs(&clean_block(&file.next_steps)),
            links: file.links.into_iter().map(Link::from).collect(),
            sources: file.sources.into_iter().map(Link::from).collect(),
            fields,
            env,
        };
        if problems.is_empty() {
            // Templates can still fail at run time (a filter given the wrong
            // type); try both extremes of a form now so the author hears of it.
            for answers in [
                sample_answers(&letter, true),
                sample_answers(&letter, false),
            ] {
                if let Err(err) = letter.render(&answers, sample_today()) {
                    let start = PARTS
                        .iter()
                        .position(|part| *part == err.part)
                        .and_then(|i| starts.get(i).copied())
                        .unwrap_or(1);
                    problems.push(Problem::new(
                        path,
                        start + err.line.unwrap_or(1) - 1,
                        format!("`{}` fails when rendered: {}", err.part, err.message),
                    ));
                    break;
                }
            }
        }
        if problems.is_empty() {
            Ok(letter)
        } else {
            Err(problems)
        }
    }
}

impl From<RawLink> for Link {
    fn from(raw: RawLink) -> Self {
        Link {
            text: raw.text.trim().to_string(),
            href: raw.href.trim().to_string(),
        }
    }
}

/// Checks each field's definition; returns the usable ones in order.
fn check_fields(
    path: &Path,
    text: &str,
    raws: &[RawField],
    problems: &mut Vec<Problem>,
) -> Vec<Field> {
    let mut fields = Vec::new();
    let mut seen: BTreeSet<&str> = BTreeSet::new();
    for raw in raws {
        let id = raw.id.get_ref().as_str();
        let line = line_of(text, raw.id.span().start);
        let mut problem = |message: String| problems.push(Problem::new(path, line, message));
        if !is_identifier(id) {
            problem(format!(
                "field id `{id}` must start with a lower-case letter and use only lower-case letters, digits and underscores, like `case_number`"
            ));
        }
        if BUILT_IN_VARIABLES.contains(&id) {
            problem(format!("field id `{id}` is built in; choose another id"));
        }
        if !seen.insert(id) {
            problem(format!(
                "field id `{id}` is used twice; give each field its own id"
            ));
        }
        let kind = match raw.kind {
            RawKind::Text | RawKind::Textarea => {
                if raw.options.is_some() {
                    problem("only choice and checkboxes fields take options; remove them".into());
                }
                match raw.max_length {
                    Some(max_length) if max_length > 0 => {
                        if matches!(raw.kind, RawKind::Text) {
                            FieldKind::Text { max_length }
                        } else {
                            FieldKind::Textarea { max_length }
                        }
                    }
                    _ => {
                        problem(format!(
                            "text field `{id}` needs max_length, a whole number above 0, so the form can state its limit"
                        ));
                        continue;
                    }
                }
            }
            RawKind::Date => {
                if raw.max_length.is_some() || raw.options.is_some() {
                    problem(
                        "a date field takes neither max_length nor options; remove them".into(),
                    );
                }
                FieldKind::Date
            }
            RawKind::Choice | RawKind::Checkboxes => {
                if raw.max_length.is_some() {
                    problem("only text fields take max_length; remove it".into());
                }
                let options = check_options(id, raw.options.as_deref(), &mut problem);
                if matches!(raw.kind, RawKind::Choice) {
                    FieldKind::Choice { options }
                } else {
                    FieldKind::Checkboxes { options }
                }
            }
        };
        fields.push(Field {
            id: id.to_string(),
            label: raw.label.trim().to_string(),
            name: raw.name.trim().to_string(),
            hint: raw
                .hint
                .as_deref()
                .map(str::trim)
                .filter(|hint| !hint.is_empty())
                .map(str::to_string),
            kind,
            required: raw.required,
        });
    }
    fields
}

fn check_options(
    id: &str,
    raw: Option<&[RawOption]>,
    problem: &mut impl FnMut(String),
) -> Vec<ChoiceOption> {
    let raw = raw.unwrap_or_default();
    if raw.is_empty() {
        problem(format!(
            "field `{id}` needs at least one option: [[fields.options]] with value and label"
        ));
    }
    let mut values = BTreeSet::new();
    let mut options = Vec::new();
    for option in raw {
        if !is_slug(&option.value) {
            problem(format!(
                "option value `{}` of `{id}` must use only lower-case letters, digits and hyphens",
                option.value
            ));
        }
        if !values.insert(option.value.as_str()) {
            problem(format!(
                "option value `{}` appears twice in `{id}`; give each option its own value",
                option.value
            ));
        }
        let label = option.label.trim().to_string();
        let text = option
            .text
            .as_deref()
            .map(str::trim)
            .unwrap_or(&label)
            .to_string();
        options.push(ChoiceOption {
            value: option.value.clone(),
            label,
            text,
        });
    }
    options
}

/// The file line on which the content of a TOML string starts: a multi-line
/// string's content starts on the next line when its opening quotes end one.
fn first_content_line(file_text: &str, value: &Spanned<String>) -> usize {
    let span = value.span();
    let raw = file_text.get(span.clone()).unwrap_or_default();
    let line = line_of(file_text, span.start);
    let multi = raw.starts_with("\"\"\"") || raw.starts_with("'''");
    let after_quotes = raw.get(3..).unwrap_or_default();
    if multi && (after_quotes.starts_with('\n') || after_quotes.starts_with("\r\n")) {
        line + 1
    } else {
        line
    }
}

/// The 1-based line of `template` on which `variable` first appears inside a
/// `{{ }}` or `{% %}` tag (prose that happens to contain the word is skipped).
fn placeholder_line(template: &str, variable: &str) -> usize {
    let mut from = 0;
    while let Some(open) = next_tag(template, from) {
        let close_marker = if template[open..].starts_with("{{") {
            "}}"
        } else {
            "%}"
        };
        let close = template[open..]
            .find(close_marker)
            .map_or(template.len(), |i| open + i);
        if let Some(at) = find_word(&template[open..close], variable) {
            return line_of(template, open + at);
        }
        from = close;
    }
    1
}

fn next_tag(text: &str, from: usize) -> Option<usize> {
    let rest = text.get(from..)?;
    let a = rest.find("{{");
    let b = rest.find("{%");
    let first = match (a, b) {
        (Some(a), Some(b)) => a.min(b),
        (Some(a), None) => a,
        (None, Some(b)) => b,
        (None, None) => return None,
    };
    Some(from + first)
}

fn find_word(haystack: &str, word: &str) -> Option<usize> {
    let is_ident = |c: char| c.is_ascii_alphanumeric() || c == '_';
    haystack.match_indices(word).map(|(at, _)| at).find(|&at| {
        let before = haystack[..at].chars().next_back();
        let after = haystack[at + word.len()..].chars().next();
        !before.is_some_and(is_ident) && !after.is_some_and(is_ident)
    })
}

fn is_identifier(id: &str) -> bool {
    let mut chars = id.chars();
    chars.next().is_some_and(|c| c.is_ascii_lowercase())
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

fn is_slug(slug: &str) -> bool {
    !slug.is_empty()
        && !slug.starts_with('-')
        && !slug.ends_with('-')
        && slug
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

fn sample_today() -> Date {
    time::macros::date!(2025 - 01 - 31)
}

/// Answers that fill every field (`full`) or only the required ones.
fn sample_answers(letter: &Letter, full: bool) -> Answers {
    let mut answers = Answers::default();
    for field in &letter.fields {
        if !full && !field.required {
            continue;
        }
        let answer = match &field.kind {
            FieldKind::Text { .. } => Answer::Text("Sample".into()),
            FieldKind::Textarea { .. } => Answer::Text("Sample\n\nSecond paragraph".into()),
            FieldKind::Date => Answer::Date(sample_today()),
            FieldKind::Choice { options } => match options.first() {
                Some(option) => Answer::Choice(option.value.clone()),
                None => continue,
            },
            FieldKind::Checkboxes { options } => {
                Answer::Checkboxes(options.iter().map(|o| o.value.clone()).collect())
            }
        };
        answers.insert(field.id.clone(), answer);
    }
    answers
}
