//! The deadline checker's pages, rendered per request from the tool's
//! answer: the start page, one question per page, and the result. Every
//! value from the query reaches the page through askama's escaping.

use askama::Template;

use super::pages::{Meta, long_date};
use crate::config::SiteConfig;
use crate::site::{AssetUrls, Site};
use crate::tools::deadlines::{
    Answers, FieldError, GlanceRow, Letter, Nation, Outcome, Rules, Step,
};

/// A question the checker can ask again, named in `change=`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Question {
    /// Which letter.
    Letter,
    /// The date on it.
    Date,
    /// Which nation's rules.
    Nation,
}

impl Question {
    /// Reads a `change=` value.
    pub fn parse(value: &str) -> Option<Self> {
        match value {
            "letter" => Some(Self::Letter),
            "date" => Some(Self::Date),
            "nation" => Some(Self::Nation),
            _ => None,
        }
    }
}

/// Builds a query string from the answers given, leaving out `skip`.
pub fn query(answers: &Answers, skip: &[&str]) -> String {
    let mut out = form_urlencoded::Serializer::new(String::new());
    for (name, value) in pairs(answers) {
        if !skip.contains(&name)
            && let Some(value) = value
        {
            out.append_pair(name, value);
        }
    }
    out.finish()
}

fn pairs(answers: &Answers) -> [(&'static str, Option<&str>); 5] {
    [
        ("letter", answers.letter.as_deref()),
        ("day", answers.day.as_deref()),
        ("month", answers.month.as_deref()),
        ("year", answers.year.as_deref()),
        ("nation", answers.nation.as_deref()),
    ]
}

/// An answer carried through a question page unchanged.
struct Hidden {
    name: &'static str,
    value: String,
}

fn hidden(answers: &Answers, skip: &[&str]) -> Vec<Hidden> {
    pairs(answers)
        .into_iter()
        .filter(|(name, _)| !skip.contains(name))
        .filter_map(|(name, value)| {
            value.map(|value| Hidden {
                name,
                value: value.to_string(),
            })
        })
        .collect()
}

/// One radio button.
struct Choice {
    value: &'static str,
    label: String,
    hint: Option<String>,
    checked: bool,
}

fn letter_choices(rules: &Rules, answers: &Answers) -> Vec<Choice> {
    rules
        .letters()
        .iter()
        .map(|letter| Choice {
            value: letter.kind.as_str(),
            label: letter.label.clone(),
            hint: letter.hint.clone(),
            checked: answers.letter.as_deref() == Some(letter.kind.as_str()),
        })
        .collect()
}

fn nation_choices(answers: &Answers) -> Vec<Choice> {
    Nation::ALL
        .iter()
        .map(|nation| Choice {
            value: nation.as_str(),
            label: match nation {
                Nation::EnglandWales => "England or Wales".to_string(),
                Nation::Scotland => "Scotland".to_string(),
            },
            hint: None,
            checked: answers.nation.as_deref() == Some(nation.as_str()),
        })
        .collect()
}

#[derive(Template)]
#[template(path = "deadlines_start.html")]
struct StartPage<'a> {
    config: &'a SiteConfig,
    assets: &'a AssetUrls,
    meta: Meta,
    note: &'a str,
    glance: &'a [GlanceRow],
    choices: Vec<Choice>,
}

#[derive(Template)]
#[template(path = "deadlines_question.html")]
struct QuestionPage<'a> {
    config: &'a SiteConfig,
    assets: &'a AssetUrls,
    meta: Meta,
    question: Question,
    errors: &'a [FieldError],
    letter: Option<&'a Letter>,
    choices: Vec<Choice>,
    day: &'a str,
    month: &'a str,
    year: &'a str,
    hidden: Vec<Hidden>,
    note: &'a str,
}

impl QuestionPage<'_> {
    fn error_for(&self, field: &str) -> Option<&str> {
        self.errors
            .iter()
            .find(|e| e.field == field)
            .map(|e| e.message.as_str())
    }

    fn date_has_error(&self) -> bool {
        ["day", "month", "year"]
            .iter()
            .any(|f| self.error_for(f).is_some())
    }

    fn date_error(&self) -> Option<&str> {
        ["day", "month", "year"]
            .iter()
            .find_map(|f| self.error_for(f))
    }
}

/// One row of "Change your answers".
struct AnswerRow {
    question: &'static str,
    answer: String,
    change: String,
}

impl ResultPage<'_> {
    /// Whether the site serves the letter at `path` (`/letters/<slug>`).
    fn serves_letter(&self, path: &str) -> bool {
        let slug = path.strip_prefix("/letters/").unwrap_or("");
        self.site
            .letters
            .as_ref()
            .is_some_and(|letters| letters.get(slug).is_some())
    }
}

#[derive(Template)]
#[template(path = "deadlines_result.html")]
struct ResultPage<'a> {
    config: &'a SiteConfig,
    assets: &'a AssetUrls,
    meta: Meta,
    site: &'a Site,
    outcome: &'a Outcome<'a>,
    answers: Vec<AnswerRow>,
    calendar: Option<String>,
    note: &'a str,
}

fn meta(config: &SiteConfig, title: &str, description: &str) -> Meta {
    Meta {
        title: format!("{title} | {}", config.title),
        headline: title.to_string(),
        description: description.to_string(),
        // No canonical URL: result pages are the reader's own and carry
        // `noindex` (the layout adds it where there is no canonical).
        canonical: None,
        og_type: "website",
        image: None,
        times: None,
        json_ld: None,
    }
}

const DESCRIPTION: &str = "Work out the last day to act on a letter from the Child Maintenance Service, what to do, and the rule it comes from.";

/// The start page: what the tool does and does not, the first question,
/// and every limit at a glance.
pub fn start(site: &Site, rules: &Rules) -> Result<String, askama::Error> {
    StartPage {
        config: &site.config,
        assets: &site.asset_urls,
        meta: meta(&site.config, "Check your deadline", DESCRIPTION),
        note: &rules.earlier_date_note,
        glance: &rules.glance,
        choices: letter_choices(rules, &Answers::default()),
    }
    .render()
}

/// A question page (`question`), or the page the flow reached for `step`.
pub fn step(
    site: &Site,
    rules: &Rules,
    answers: &Answers,
    step: &Step<'_>,
) -> Result<String, askama::Error> {
    let (question, letter, errors): (Question, Option<&Letter>, &[FieldError]) = match step {
        Step::Letter { errors } => (Question::Letter, None, errors),
        Step::Date { letter, errors } => (Question::Date, Some(*letter), errors),
        Step::Nation { letter, errors } => (Question::Nation, Some(*letter), errors),
        Step::Outcome(outcome) => return result(site, rules, answers, outcome),
    };
    question_page(site, rules, answers, question, letter, errors)
}

/// The page asking `question` again, with the answers given so far.
pub fn question_page(
    site: &Site,
    rules: &Rules,
    answers: &Answers,
    question: Question,
    letter: Option<&Letter>,
    errors: &[FieldError],
) -> Result<String, askama::Error> {
    let (title, skip, choices): (&str, &[&str], Vec<Choice>) = match question {
        Question::Letter => (
            "Which letter do you have?",
            &["letter"],
            letter_choices(rules, answers),
        ),
        Question::Date => (
            "What is the date on the letter?",
            &["day", "month", "year"],
            Vec::new(),
        ),
        Question::Nation => ("Where is your case?", &["nation"], nation_choices(answers)),
    };
    let title = if errors.is_empty() {
        title.to_string()
    } else {
        format!("Error: {title}")
    };
    QuestionPage {
        config: &site.config,
        assets: &site.asset_urls,
        meta: meta(&site.config, &title, DESCRIPTION),
        question,
        errors,
        letter,
        choices,
        day: answers.day.as_deref().unwrap_or(""),
        month: answers.month.as_deref().unwrap_or(""),
        year: answers.year.as_deref().unwrap_or(""),
        hidden: hidden(answers, skip),
        note: &rules.earlier_date_note,
    }
    .render()
}

fn result(
    site: &Site,
    rules: &Rules,
    answers: &Answers,
    outcome: &Outcome<'_>,
) -> Result<String, askama::Error> {
    let change = |question: &str| format!("/deadlines?{}&change={question}", query(answers, &[]));
    let mut rows = vec![AnswerRow {
        question: "Letter",
        answer: outcome.letter.label.clone(),
        change: change("letter"),
    }];
    if let Some(start) = outcome.start {
        rows.push(AnswerRow {
            question: "Date on the letter",
            answer: long_date(&start),
            change: change("date"),
        });
    }
    if let Some(nation) = outcome.nation {
        rows.push(AnswerRow {
            question: "Where",
            answer: match nation {
                Nation::EnglandWales => "England or Wales".to_string(),
                Nation::Scotland => "Scotland".to_string(),
            },
            change: change("nation"),
        });
    }
    let calendar = outcome
        .deadline
        .filter(|d| !d.passed())
        .map(|_| format!("/deadlines.ics?{}", query(answers, &[])));
    let title = match &outcome.deadline {
        Some(deadline) => format!("Your last day: {}", deadline.last_day_long()),
        None => outcome.rule.action.clone(),
    };
    ResultPage {
        config: &site.config,
        assets: &site.asset_urls,
        meta: meta(&site.config, &title, DESCRIPTION),
        site,
        outcome,
        answers: rows,
        calendar,
        note: &rules.earlier_date_note,
    }
    .render()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_query_keeps_the_answers_in_order_and_encodes_them() {
        let answers = Answers {
            letter: Some("decision".into()),
            day: Some("1".into()),
            month: Some("2".into()),
            year: Some("20 26&x=<".into()),
            nation: None,
        };
        assert_eq!(
            query(&answers, &[]),
            "letter=decision&day=1&month=2&year=20+26%26x%3D%3C"
        );
        assert_eq!(
            query(&answers, &["day", "month"]),
            "letter=decision&year=20+26%26x%3D%3C"
        );
    }
}

#[derive(Template)]
#[template(path = "status.html")]
struct NoCalendarPage<'a> {
    config: &'a SiteConfig,
    assets: &'a AssetUrls,
    meta: Meta,
    heading: &'a str,
    message: &'a str,
    articles: &'a [crate::site::Article],
    back: Option<(&'a str, &'a str)>,
}

/// The 404 for a calendar file with nothing to hold, linking back to
/// the result at `result`.
pub fn no_calendar(site: &Site, result: &str) -> Result<String, askama::Error> {
    let heading = "There is no date to add to your calendar";
    let message = "The last day has passed, or some answers are missing. Your result page says what you can still do.";
    NoCalendarPage {
        config: &site.config,
        assets: &site.asset_urls,
        meta: meta(&site.config, heading, message),
        heading,
        message,
        articles: &[],
        back: Some((result, "Go back to your result")),
    }
    .render()
}
