//! The letters' pages: the index, each letter's form (prepared at load when
//! empty; made per request when it comes back with errors), and the letter
//! itself. Every answer reaches the page through askama's escaping.

use askama::Template;

use super::pages::Meta;
use crate::config::SiteConfig;
use crate::site::{AssetUrls, Site};
use crate::tools::letters::{
    ChoiceOption, Field, FieldError, FieldKind, FormErrors, FormValue, Letter, Letters,
    RenderedLetter,
};

/// One question of a form, with what the reader typed and its error.
struct FieldView<'a> {
    field: &'a Field,
    kind: &'static str,
    max: Option<usize>,
    options: &'a [ChoiceOption],
    text: String,
    day: String,
    month: String,
    year: String,
    chosen: Vec<String>,
    error: Option<&'a FieldError>,
}

impl FieldView<'_> {
    fn is_chosen(&self, value: &str) -> bool {
        self.chosen.iter().any(|c| c == value)
    }

    /// `aria-describedby` for the input: its hint and its error, if any.
    fn described_by(&self) -> String {
        let mut ids = Vec::new();
        if self.field.hint.is_some() || self.max.is_some() {
            ids.push(format!("{}-hint", self.field.id));
        }
        if self.error.is_some() {
            ids.push(format!("{}-error", self.field.id));
        }
        ids.join(" ")
    }
}

fn views<'a>(letter: &'a Letter, errors: Option<&'a FormErrors>) -> Vec<FieldView<'a>> {
    letter
        .fields
        .iter()
        .map(|field| {
            let value = errors.and_then(|e| e.values.get(&field.id));
            let mut view = FieldView {
                field,
                kind: match field.kind {
                    FieldKind::Text { .. } => "text",
                    FieldKind::Textarea { .. } => "textarea",
                    FieldKind::Date => "date",
                    FieldKind::Choice { .. } => "choice",
                    FieldKind::Checkboxes { .. } => "checkboxes",
                },
                max: field.kind.max_length(),
                options: field.kind.options(),
                text: String::new(),
                day: String::new(),
                month: String::new(),
                year: String::new(),
                chosen: Vec::new(),
                error: errors.and_then(|e| e.for_field(&field.id)),
            };
            match value {
                Some(FormValue::Text(text)) => view.text.clone_from(text),
                Some(FormValue::Date { day, month, year }) => {
                    view.day.clone_from(day);
                    view.month.clone_from(month);
                    view.year.clone_from(year);
                }
                Some(FormValue::Choice(Some(choice))) => view.chosen = vec![choice.clone()],
                Some(FormValue::Checkboxes(ticked)) => view.chosen.clone_from(ticked),
                Some(FormValue::Choice(None)) | None => {}
            }
            view
        })
        .collect()
}

fn meta(config: &SiteConfig, title: &str, description: &str, canonical: Option<String>) -> Meta {
    Meta {
        title: format!("{title} | {}", config.title),
        headline: title.to_string(),
        description: description.to_string(),
        canonical,
        og_type: "website",
        image: None,
        times: None,
        json_ld: None,
    }
}

#[derive(Template)]
#[template(path = "letters_index.html")]
struct IndexPage<'a> {
    config: &'a SiteConfig,
    assets: &'a AssetUrls,
    meta: Meta,
    letters: Vec<&'a Letter>,
}

#[derive(Template)]
#[template(path = "letter_form.html")]
struct FormPage<'a> {
    config: &'a SiteConfig,
    assets: &'a AssetUrls,
    meta: Meta,
    letter: &'a Letter,
    fields: Vec<FieldView<'a>>,
    errors: &'a [FieldError],
}

#[derive(Template)]
#[template(path = "letter.html")]
struct LetterPage<'a> {
    config: &'a SiteConfig,
    assets: &'a AssetUrls,
    meta: Meta,
    letter: &'a Letter,
    written: &'a RenderedLetter,
    posted: &'a [(String, String)],
}

/// `/letters`: when to use which letter.
pub fn index(site: &Site, letters: &Letters) -> Result<String, askama::Error> {
    IndexPage {
        config: &site.config,
        assets: &site.asset_urls,
        meta: meta(
            &site.config,
            "Letters you can send",
            "Letters to the Child Maintenance Service, the Independent Case Examiner and your MP, written from a few answers and stored nowhere.",
            Some(format!("{}/letters", site.config.base_url)),
        ),
        letters: letters.iter().collect(),
    }
    .render()
}

/// A letter's form: empty, or shown again with `errors` and what was typed.
pub fn form(
    site: &Site,
    letter: &Letter,
    errors: Option<&FormErrors>,
) -> Result<String, askama::Error> {
    let title = if errors.is_some() {
        format!("Error: {}", letter.title)
    } else {
        letter.title.clone()
    };
    // The empty form is a page to find and share; a form with answers in
    // it is the reader's own.
    let canonical = errors
        .is_none()
        .then(|| format!("{}/letters/{}", site.config.base_url, letter.slug));
    FormPage {
        config: &site.config,
        assets: &site.asset_urls,
        meta: meta(&site.config, &title, &letter.summary, canonical),
        letter,
        fields: views(letter, errors),
        errors: errors.map_or(&[], |e| e.errors.as_slice()),
    }
    .render()
}

/// The letter written from the answers, with the same answers carried in
/// hidden forms for the Word and text downloads.
pub fn letter(
    site: &Site,
    letter: &Letter,
    written: &RenderedLetter,
    posted: &[(String, String)],
) -> Result<String, askama::Error> {
    LetterPage {
        config: &site.config,
        assets: &site.asset_urls,
        meta: meta(&site.config, "Your letter", &letter.summary, None),
        letter,
        written,
        posted,
    }
    .render()
}
