//! Answers → the letter, as structured parts (for the page template, which
//! escapes them) and as plain text. Templates only ever see the answers as
//! values: an answer that contains `{{ }}` is printed, never run.

use std::collections::BTreeMap;
use std::fmt;

use minijinja::Value;
use time::Date;
use time::macros::format_description;

use super::form::{Answer, Answers};
use super::text::{clean, clean_line, lines, paragraphs};
use super::{FieldKind, Letter};

/// The template parts of a letter file, in the order they appear in the letter.
pub(crate) const PARTS: [&str; 6] = [
    "sender",
    "recipient",
    "reference",
    "greeting",
    "body",
    "closing",
];

/// The name a letter's template part has in its environment.
pub(crate) fn template_name(slug: &str, part: &str) -> String {
    format!("{slug}/{part}")
}

/// A letter ready to show, print or save: plain strings, no markup.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenderedLetter {
    /// The writer's name and address, one line each (top right).
    pub sender: Vec<String>,
    /// The date of the letter, like "3 March 2025".
    pub date: String,
    /// Who it goes to, one line each.
    pub recipient: Vec<String>,
    /// The reference line, shown in bold.
    pub reference: String,
    /// "Dear …".
    pub greeting: String,
    /// The body, one string per paragraph; a `\n` inside is a line break.
    pub paragraphs: Vec<String>,
    /// The sign-off, one line each; blank lines leave room to sign.
    pub closing: Vec<String>,
}

/// A template that failed while rendering (load checks make this rare).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenderError {
    /// Which part of the letter failed: `body`, `reference`, … or `docx`.
    pub part: String,
    /// The line within that part, when known.
    pub line: Option<usize>,
    /// What went wrong.
    pub message: String,
}

impl fmt::Display for RenderError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "letter part `{}`: {}", self.part, self.message)
    }
}

impl std::error::Error for RenderError {}

/// A date as a UK letter writes it: "3 March 2025".
pub fn long_date(date: Date) -> String {
    date.format(format_description!(
        "[day padding:none] [month repr:long] [year]"
    ))
    .unwrap_or_else(|_| date.to_string())
}

impl Letter {
    /// Renders the letter for `answers` (from [`Letter::validate`]) on `today`.
    pub fn render(&self, answers: &Answers, today: Date) -> Result<RenderedLetter, RenderError> {
        let context = self.context(answers, today);
        let part = |name: &str| -> Result<String, RenderError> {
            let failed = |err: minijinja::Error| RenderError {
                part: name.to_string(),
                line: err.line(),
                message: err.detail().map_or_else(|| err.to_string(), str::to_string),
            };
            let template = self
                .env
                .get_template(&template_name(&self.slug, name))
                .map_err(failed)?;
            template
                .render(&context)
                .map(|out| clean(&out))
                .map_err(failed)
        };
        let closing = part("closing")?;
        Ok(RenderedLetter {
            sender: lines(&part("sender")?),
            date: long_date(today),
            recipient: lines(&part("recipient")?),
            reference: clean_line(&part("reference")?),
            greeting: clean_line(&part("greeting")?),
            paragraphs: paragraphs(&part("body")?),
            closing: closing
                .trim_matches('\n')
                .lines()
                .map(|line| line.trim_end().to_string())
                .collect(),
        })
    }

    /// The letter as plain text, ready to copy into an email or a letter.
    pub fn render_text(&self, answers: &Answers, today: Date) -> Result<String, RenderError> {
        Ok(self.render(answers, today)?.to_text())
    }

    /// Every declared field as a template value: text as given (empty when
    /// left out), dates written long, choices as their letter wording and
    /// checkboxes as a list of it, plus `today`.
    fn context(&self, answers: &Answers, today: Date) -> Value {
        let mut map: BTreeMap<String, Value> = BTreeMap::new();
        for field in &self.fields {
            let options = field.kind.options();
            let wording = |value: &str| {
                options
                    .iter()
                    .find(|option| option.value == value)
                    .map_or_else(String::new, |option| option.text.clone())
            };
            let value = match (answers.get(&field.id), &field.kind) {
                (Some(Answer::Text(text)), _) => Value::from(text.as_str()),
                (Some(Answer::Date(date)), _) => Value::from(long_date(*date)),
                (Some(Answer::Choice(value)), _) => Value::from(wording(value)),
                (Some(Answer::Checkboxes(values)), _) => {
                    Value::from(values.iter().map(|v| wording(v)).collect::<Vec<_>>())
                }
                (None, FieldKind::Checkboxes { .. }) => Value::from(Vec::<String>::new()),
                (None, _) => Value::from(""),
            };
            map.insert(field.id.clone(), value);
        }
        map.insert("today".into(), Value::from(long_date(today)));
        Value::from(map)
    }
}

impl RenderedLetter {
    /// Plain text: blocks separated by blank lines; no control characters but newlines.
    pub fn to_text(&self) -> String {
        let mut blocks: Vec<String> = vec![
            self.sender.join("\n"),
            self.date.clone(),
            self.recipient.join("\n"),
            self.reference.clone(),
            self.greeting.clone(),
        ];
        blocks.extend(self.paragraphs.iter().cloned());
        blocks.push(self.closing.join("\n"));
        let text = blocks
            .into_iter()
            .filter(|block| !block.is_empty())
            .collect::<Vec<_>>()
            .join("\n\n");
        // Tabs are allowed in answers but mean nothing in a letter.
        format!("{}\n", text.replace('\t', " "))
    }
}
