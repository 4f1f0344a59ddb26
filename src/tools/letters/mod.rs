//! Letters that do the first step for you: the author's letter files in
//! `content/letters/*.toml`, checked once at load, and the pure steps a
//! handler calls on a request: check the form, render the letter as text or
//! as structured parts for the page, and build a Word file.
//!
//! The flow is one way: `load` (files → checked [`Letter`]s) → `form`
//! (posted pairs → typed [`Answers`] or [`FormErrors`]) → `render` (answers →
//! [`RenderedLetter`]) → `docx` (rendered letter → bytes). Nothing here knows
//! about HTTP or HTML: the page template escapes every string it is given.

mod docx;
mod form;
mod load;
mod render;
mod text;

use minijinja::Environment;

pub use form::{Answer, Answers, FieldError, FormErrors, FormValue};
pub use render::{RenderError, RenderedLetter, long_date};

/// Template variables every letter may use without declaring a field.
pub const BUILT_IN_VARIABLES: &[&str] = &["today"];

/// Every letter the site offers, in slug order.
#[derive(Debug, Clone)]
pub struct Letters {
    letters: Vec<Letter>,
}

impl Letters {
    /// The letter with this slug, if there is one.
    pub fn get(&self, slug: &str) -> Option<&Letter> {
        self.letters.iter().find(|letter| letter.slug == slug)
    }

    /// All letters, in slug order (the order of the /letters index).
    pub fn iter(&self) -> impl Iterator<Item = &Letter> {
        self.letters.iter()
    }

    /// How many letters there are.
    pub fn len(&self) -> usize {
        self.letters.len()
    }

    /// Whether there are no letters at all.
    pub fn is_empty(&self) -> bool {
        self.letters.is_empty()
    }
}

/// One letter: what the page says about it, the form it asks, and its wording.
#[derive(Debug, Clone)]
pub struct Letter {
    /// URL slug, from the file name (`complaint.toml` → `complaint`).
    pub slug: String,
    /// Heading of the letter's page and its entry on the index.
    pub title: String,
    /// When to use it: one or two sentences for the /letters index.
    pub summary: String,
    /// Where to send it, for the page (never a postal address we have not checked).
    pub send_to: String,
    /// The form's questions, in order.
    pub fields: Vec<Field>,
    /// What happens next, as paragraphs of plain text.
    pub next_steps: Vec<String>,
    /// Links to the guide and tools, shown beside the letter.
    pub links: Vec<Link>,
    /// The public sources the wording and the "what next" text rest on.
    pub sources: Vec<Link>,
    /// The compiled templates of this letter (sender, recipient, reference, …).
    env: Environment<'static>,
}

impl Letter {
    /// The field with this id, if the letter asks it.
    pub fn field(&self, id: &str) -> Option<&Field> {
        self.fields.iter().find(|field| field.id == id)
    }
}

/// One question on a letter's form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Field {
    /// Form name and template variable; for a date, the inputs are `id-day`, `id-month`, `id-year`.
    pub id: String,
    /// The question, shown as the label or legend.
    pub label: String,
    /// A noun phrase for error messages, such as "your case number".
    pub name: String,
    /// Help text under the label.
    pub hint: Option<String>,
    /// What kind of input it is.
    pub kind: FieldKind,
    /// Whether the letter cannot be written without it.
    pub required: bool,
}

/// The kinds of input a letter's form can ask.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FieldKind {
    /// One line of text, at most `max_length` characters.
    Text {
        /// Longest answer accepted, in characters; stated on the form.
        max_length: usize,
    },
    /// Several lines of text, at most `max_length` characters.
    Textarea {
        /// Longest answer accepted, in characters; stated on the form.
        max_length: usize,
    },
    /// A GOV.UK three-field date (day, month, year); never in the future.
    Date,
    /// Exactly one of the options (radios).
    Choice {
        /// The options, in order.
        options: Vec<ChoiceOption>,
    },
    /// Any number of the options (checkboxes), such as the enclosures.
    Checkboxes {
        /// The options, in order.
        options: Vec<ChoiceOption>,
    },
}

impl FieldKind {
    /// The options of a choice or checkboxes field; empty for the others.
    pub fn options(&self) -> &[ChoiceOption] {
        match self {
            FieldKind::Choice { options } | FieldKind::Checkboxes { options } => options,
            _ => &[],
        }
    }

    /// The length limit of a text or textarea field.
    pub fn max_length(&self) -> Option<usize> {
        match self {
            FieldKind::Text { max_length } | FieldKind::Textarea { max_length } => {
                Some(*max_length)
            }
            _ => None,
        }
    }
}

/// One option of a choice or checkboxes field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChoiceOption {
    /// The value posted by the form.
    pub value: String,
    /// What the form shows.
    pub label: String,
    /// What the letter says when it is picked (the label unless the file says otherwise).
    pub text: String,
}

/// A link shown with a letter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Link {
    /// The link text.
    pub text: String,
    /// Where it goes: a site path (`/guides/…`, `/deadlines?letter=decision`) or a URL.
    pub href: String,
}

#[cfg(test)]
mod tests;
