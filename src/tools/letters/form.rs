//! Posted form pairs → typed [`Answers`], or [`FormErrors`] that hold every
//! value as typed (so the form can be shown again) and GOV.UK-style messages
//! keyed by field id.

use std::collections::BTreeMap;

use time::{Date, Month};

use super::text::{clean_block, clean_line};
use super::{Field, FieldKind, Letter};

/// One checked answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    /// Cleaned text: one line for `text`, lines kept for `textarea`.
    Text(String),
    /// A real date, not in the future.
    Date(Date),
    /// The value of the option picked.
    Choice(String),
    /// The values of the options ticked, in the form's order.
    Checkboxes(Vec<String>),
}

/// Checked answers by field id; a field left out was optional and not given.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Answers {
    by_id: BTreeMap<String, Answer>,
}

impl Answers {
    /// The answer to the field with this id, if one was given.
    pub fn get(&self, id: &str) -> Option<&Answer> {
        self.by_id.get(id)
    }

    /// Records an answer; `Letter::validate` is the usual way to build answers.
    pub fn insert(&mut self, id: impl Into<String>, answer: Answer) {
        self.by_id.insert(id.into(), answer);
    }
}

/// A value as the reader typed it (after cleaning), to show the form again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FormValue {
    /// What was typed in a text or textarea field.
    Text(String),
    /// The three parts of a date, as typed.
    Date {
        /// As typed in `id-day`.
        day: String,
        /// As typed in `id-month`.
        month: String,
        /// As typed in `id-year`.
        year: String,
    },
    /// The option picked, if it is one of the options.
    Choice(Option<String>),
    /// The options ticked that are among the options.
    Checkboxes(Vec<String>),
}

/// One error message, GOV.UK style.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    /// The field's id.
    pub field: String,
    /// The id of the input the error summary links to (`id-month` for a date missing its month).
    pub target: String,
    /// The message, for both the error summary and the field.
    pub message: String,
}

/// Why a form was refused: the values to show again and the errors, in form order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FormErrors {
    /// Every field's value as typed, by field id.
    pub values: BTreeMap<String, FormValue>,
    /// The errors, in the order of the fields; never empty.
    pub errors: Vec<FieldError>,
}

impl FormErrors {
    /// The error for the field with this id, if it has one.
    pub fn for_field(&self, id: &str) -> Option<&FieldError> {
        self.errors.iter().find(|error| error.field == id)
    }
}

impl Letter {
    /// Checks the decoded form pairs against this letter's fields. `today` is
    /// the reader's date (UK time), used to refuse dates in the future.
    pub fn validate(&self, form: &[(String, String)], today: Date) -> Result<Answers, FormErrors> {
        let mut answers = Answers::default();
        let mut values = BTreeMap::new();
        let mut errors = Vec::new();
        for field in &self.fields {
            let (value, result) = check_field(field, form, today);
            values.insert(field.id.clone(), value);
            match result {
                Ok(Some(answer)) => answers.insert(field.id.clone(), answer),
                Ok(None) => {}
                Err((target, message)) => errors.push(FieldError {
                    field: field.id.clone(),
                    target,
                    message,
                }),
            }
        }
        if errors.is_empty() {
            Ok(answers)
        } else {
            Err(FormErrors { values, errors })
        }
    }
}

type Checked = Result<Option<Answer>, (String, String)>;

fn first<'a>(form: &'a [(String, String)], key: &str) -> &'a str {
    form.iter()
        .find(|(name, _)| name == key)
        .map_or("", |(_, value)| value.as_str())
}

fn check_field(field: &Field, form: &[(String, String)], today: Date) -> (FormValue, Checked) {
    let id = field.id.as_str();
    let error = |message: String| Err((id.to_string(), message));
    match &field.kind {
        FieldKind::Text { max_length } | FieldKind::Textarea { max_length } => {
            let raw = first(form, id);
            let text = if matches!(field.kind, FieldKind::Text { .. }) {
                clean_line(raw)
            } else {
                clean_block(raw)
            };
            let result = if text.is_empty() {
                if field.required {
                    error(format!("Enter {}", field.name))
                } else {
                    Ok(None)
                }
            } else if text.chars().count() > *max_length {
                error(format!(
                    "{} must be {max_length} characters or fewer",
                    capitalise(&field.name)
                ))
            } else {
                Ok(Some(Answer::Text(text.clone())))
            };
            (FormValue::Text(text), result)
        }
        FieldKind::Date => {
            let part = |suffix: &str| clean_line(first(form, &format!("{id}-{suffix}")));
            let (day, month, year) = (part("day"), part("month"), part("year"));
            let result = check_date(field, &day, &month, &year, today);
            (FormValue::Date { day, month, year }, result)
        }
        FieldKind::Choice { options } => {
            let raw = clean_line(first(form, id));
            let known = options.iter().any(|option| option.value == raw);
            let result = if raw.is_empty() {
                if field.required {
                    error(format!("Select {}", field.name))
                } else {
                    Ok(None)
                }
            } else if !known {
                error(format!("Select one of the options for {}", field.name))
            } else {
                Ok(Some(Answer::Choice(raw.clone())))
            };
            (FormValue::Choice(known.then_some(raw)), result)
        }
        FieldKind::Checkboxes { options } => {
            let posted: Vec<String> = form
                .iter()
                .filter(|(name, _)| name == id)
                .map(|(_, value)| clean_line(value))
                .filter(|value| !value.is_empty())
                .collect();
            let ticked: Vec<String> = options
                .iter()
                .filter(|option| posted.contains(&option.value))
                .map(|option| option.value.clone())
                .collect();
            let unknown = posted
                .iter()
                .any(|value| !options.iter().any(|option| &option.value == value));
            let result = if unknown {
                error(format!("Select only the options listed for {}", field.name))
            } else if ticked.is_empty() {
                if field.required {
                    error(format!("Select {}", field.name))
                } else {
                    Ok(None)
                }
            } else {
                Ok(Some(Answer::Checkboxes(ticked.clone())))
            };
            (FormValue::Checkboxes(ticked), result)
        }
    }
}

fn check_date(field: &Field, day: &str, month: &str, year: &str, today: Date) -> Checked {
    let id = &field.id;
    let name = capitalise(&field.name);
    let parts = [("day", day), ("month", month), ("year", year)];
    let missing: Vec<&str> = parts
        .iter()
        .filter(|(_, value)| value.is_empty())
        .map(|(part, _)| *part)
        .collect();
    if missing.len() == 3 {
        return if field.required {
            Err((format!("{id}-day"), format!("Enter {}", field.name)))
        } else {
            Ok(None)
        };
    }
    if let Some(first_missing) = missing.first() {
        let list = match missing.as_slice() {
            [one] => (*one).to_string(),
            [one, two] => format!("{one} and {two}"),
            _ => String::new(),
        };
        return Err((
            format!("{id}-{first_missing}"),
            format!("{name} must include a {list}"),
        ));
    }
    let real = format!("{name} must be a real date");
    let number = |value: &str, digits: usize| {
        (value.len() <= digits && value.chars().all(|c| c.is_ascii_digit()))
            .then(|| value.parse::<u16>().ok())
            .flatten()
    };
    let Some(d) = number(day, 2) else {
        return Err((format!("{id}-day"), real));
    };
    let Some(m) = number(month, 2) else {
        return Err((format!("{id}-month"), real));
    };
    let Some(y) = number(year, 4).filter(|_| year.len() == 4) else {
        return Err((
            format!("{id}-year"),
            format!("{name} must include a year with 4 numbers, like 2025"),
        ));
    };
    let date = u8::try_from(m)
        .ok()
        .and_then(|m| Month::try_from(m).ok())
        .and_then(|month| {
            let d = u8::try_from(d).ok()?;
            Date::from_calendar_date(i32::from(y), month, d).ok()
        });
    let Some(date) = date else {
        return Err((format!("{id}-day"), real));
    };
    if date > today {
        return Err((
            format!("{id}-day"),
            format!("{name} must be today or in the past"),
        ));
    }
    Ok(Some(Answer::Date(date)))
}

/// The phrase with its first letter in upper case, to start a sentence.
fn capitalise(phrase: &str) -> String {
    let mut chars = phrase.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}
