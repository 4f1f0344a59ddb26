//! The reader's answers, as they arrive in the query string, turned into the
//! next question to ask (with GOV.UK-style errors) or the outcome.

use time::{Date, Month};

use super::dates::long_date;
use super::rules::{Letter, LetterKind, Nation, Rule, Rules};

/// Letters dated before this year predate the 2012 scheme: the CSA's rules
/// applied and differ, so the checker sends the reader to advice instead.
const SCHEME_START_YEAR: i32 = 2012;

/// The answers so far; `None` means the question has not been answered yet,
/// `Some("")` that it was submitted empty.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Answers {
    /// Which letter: a `LetterKind` value like `mr-notice`.
    pub letter: Option<String>,
    /// Day of the date on the letter.
    pub day: Option<String>,
    /// Month of the date on the letter.
    pub month: Option<String>,
    /// Year of the date on the letter.
    pub year: Option<String>,
    /// Which nation's rules, where they differ: `england-wales` or `scotland`.
    pub nation: Option<String>,
}

/// One error message and the id of the field it belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    /// The input's id (and query name): letter, day, month, year or nation.
    pub field: &'static str,
    /// What to fix, GOV.UK style.
    pub message: String,
}

/// What to show next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step<'r> {
    /// Ask which letter the reader has.
    Letter {
        /// Errors to show; empty on a first visit.
        errors: Vec<FieldError>,
    },
    /// Ask the date on the letter.
    Date {
        /// The letter chosen.
        letter: &'r Letter,
        /// Errors to show; empty on a first visit.
        errors: Vec<FieldError>,
    },
    /// Ask which nation's rules apply.
    Nation {
        /// The letter chosen.
        letter: &'r Letter,
        /// Errors to show; empty on a first visit.
        errors: Vec<FieldError>,
    },
    /// Every answer is in: the result.
    Outcome(Outcome<'r>),
}

/// The result page's facts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome<'r> {
    /// The letter the reader has.
    pub letter: &'r Letter,
    /// The nation chosen, where it matters.
    pub nation: Option<Nation>,
    /// The rule that applies.
    pub rule: &'r Rule,
    /// The date on the letter, where the rule needs one.
    pub start: Option<Date>,
    /// The last day, where the rule gives one.
    pub deadline: Option<Deadline>,
}

/// The last day to act and where today stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Deadline {
    /// The last day, by the strict rule.
    pub last_day: Date,
    /// Days from today (UK) to the last day: 0 means today is the last day,
    /// negative means it has passed.
    pub days_left: i64,
}

impl Deadline {
    /// Whether the last day is before today.
    pub fn passed(&self) -> bool {
        self.days_left < 0
    }

    /// The last day with its weekday, like "Wednesday 2 December 2026".
    pub fn last_day_long(&self) -> String {
        long_date(self.last_day)
    }
}

/// Works out what to show for `answers`, with `today` the UK date.
pub fn next_step<'r>(rules: &'r Rules, answers: &Answers, today: Date) -> Step<'r> {
    let letter = match answers.letter.as_deref().map(str::trim) {
        None => return Step::Letter { errors: Vec::new() },
        Some(value) => match LetterKind::parse(value).and_then(|kind| rules.letter(kind)) {
            Some(letter) => letter,
            None => {
                return Step::Letter {
                    errors: vec![error("letter", "Select which letter you have")],
                };
            }
        },
    };
    let start = if letter.needs_date() {
        match date(answers, today) {
            DateAnswer::NotAsked => {
                return Step::Date {
                    letter,
                    errors: Vec::new(),
                };
            }
            DateAnswer::Invalid(errors) => return Step::Date { letter, errors },
            DateAnswer::Valid(date) => Some(date),
        }
    } else {
        None
    };
    let nation = if letter.needs_nation() {
        match answers.nation.as_deref().map(str::trim) {
            None => {
                return Step::Nation {
                    letter,
                    errors: Vec::new(),
                };
            }
            Some(value) => match Nation::parse(value) {
                Some(nation) => Some(nation),
                None => {
                    return Step::Nation {
                        letter,
                        errors: vec![error(
                            "nation",
                            "Select whether your case is in England and Wales or in Scotland",
                        )],
                    };
                }
            },
        }
    } else {
        None
    };
    let Some(rule) = letter.rule(nation) else {
        return Step::Nation {
            letter,
            errors: Vec::new(),
        };
    };
    let deadline = start.and_then(|start| {
        rule.last_day(start).map(|last_day| Deadline {
            last_day,
            days_left: (last_day - today).whole_days(),
        })
    });
    Step::Outcome(Outcome {
        letter,
        nation,
        rule,
        start,
        deadline,
    })
}

enum DateAnswer {
    NotAsked,
    Invalid(Vec<FieldError>),
    Valid(Date),
}

fn date(answers: &Answers, today: Date) -> DateAnswer {
    let parts = [
        ("day", answers.day.as_deref()),
        ("month", answers.month.as_deref()),
        ("year", answers.year.as_deref()),
    ];
    if parts.iter().all(|(_, value)| value.is_none()) {
        return DateAnswer::NotAsked;
    }
    let parts = parts.map(|(field, value)| (field, value.unwrap_or("").trim()));
    let missing: Vec<&str> = parts
        .iter()
        .filter(|(_, value)| value.is_empty())
        .map(|(field, _)| *field)
        .collect();
    if missing.len() == 3 {
        return invalid("day", "Enter the date on your letter");
    }
    if let Some(first) = missing.first() {
        let words = match missing.as_slice() {
            [one] => (*one).to_string(),
            [one, two] => format!("{one} and {two}"),
            _ => String::new(),
        };
        return invalid(
            first,
            format!("The date on your letter must include a {words}"),
        );
    }
    let mut errors = Vec::new();
    let mut numbers = [0u32; 3];
    for (index, (field, value)) in parts.iter().enumerate() {
        match value.parse::<u32>() {
            Ok(number) if value.bytes().all(|b| b.is_ascii_digit()) => numbers[index] = number,
            _ => errors.push(error(
                field,
                format!("Enter the {field} as a number, like {}", example(field)),
            )),
        }
    }
    if !errors.is_empty() {
        return DateAnswer::Invalid(errors);
    }
    let [day, month, year] = numbers;
    if parts[2].1.len() != 4 {
        return invalid("year", "Year must include 4 numbers, like 2026");
    }
    let real = u8::try_from(month)
        .ok()
        .and_then(|m| Month::try_from(m).ok())
        .zip(u8::try_from(day).ok())
        .zip(i32::try_from(year).ok())
        .and_then(|((month, day), year)| Date::from_calendar_date(year, month, day).ok());
    let Some(date) = real else {
        let field = if !(1..=12).contains(&month) {
            "month"
        } else {
            "day"
        };
        return invalid(field, "The date on your letter must be a real date");
    };
    if date > today {
        return invalid(
            "day",
            "The date on your letter must be today or in the past",
        );
    }
    if date.year() < SCHEME_START_YEAR {
        return invalid(
            "year",
            "The date on your letter must be in 2012 or later. Before the Child Maintenance Service began in 2012, cases were run by the Child Support Agency (CSA) under different rules, so this checker cannot work out your date: get advice instead",
        );
    }
    DateAnswer::Valid(date)
}

fn example(field: &str) -> &'static str {
    match field {
        "day" => "27",
        "month" => "3",
        _ => "2026",
    }
}

fn error(field: &'static str, message: impl Into<String>) -> FieldError {
    FieldError {
        field,
        message: message.into(),
    }
}

fn invalid(field: &'static str, message: impl Into<String>) -> DateAnswer {
    DateAnswer::Invalid(vec![error(field, message)])
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;
    use time::macros::date;

    const TODAY: Date = date!(2026 - 12 - 01);

    fn rules() -> Rules {
        let text = include_str!("../../../content/deadlines.toml");
        Rules::parse(Path::new("content/deadlines.toml"), text).expect("shipped rules load")
    }

    fn answers(letter: &str, day: &str, month: &str, year: &str) -> Answers {
        Answers {
            letter: Some(letter.into()),
            day: Some(day.into()),
            month: Some(month.into()),
            year: Some(year.into()),
            nation: None,
        }
    }

    fn date_errors(answers: &Answers) -> Vec<FieldError> {
        let rules = rules();
        match next_step(&rules, answers, TODAY) {
            Step::Date { errors, .. } => errors,
            other => panic!("expected the date question, got {other:?}"),
        }
    }

    fn outcome_deadline(answers: &Answers) -> Deadline {
        let rules = rules();
        match next_step(&rules, answers, TODAY) {
            Step::Outcome(outcome) => outcome.deadline.expect("a deadline"),
            other => panic!("expected an outcome, got {other:?}"),
        }
    }

    #[test]
    fn no_answers_asks_for_the_letter_without_errors() {
        let rules = rules();
        assert_eq!(
            next_step(&rules, &Answers::default(), TODAY),
            Step::Letter { errors: vec![] }
        );
    }

    #[test]
    fn unknown_letter_is_an_error_on_the_letter_field() {
        let rules = rules();
        let answers = Answers {
            letter: Some("court-order".into()),
            ..Answers::default()
        };
        let Step::Letter { errors } = next_step(&rules, &answers, TODAY) else {
            panic!("expected the letter question");
        };
        assert_eq!(errors[0].field, "letter");
    }

    #[test]
    fn empty_letter_is_an_error() {
        let rules = rules();
        let answers = Answers {
            letter: Some(String::new()),
            ..Answers::default()
        };
        assert!(
            matches!(next_step(&rules, &answers, TODAY), Step::Letter { errors } if errors.len() == 1)
        );
    }

    #[test]
    fn known_letter_asks_for_the_date() {
        let rules = rules();
        let answers = Answers {
            letter: Some("decision".into()),
            ..Answers::default()
        };
        assert!(
            matches!(next_step(&rules, &answers, TODAY), Step::Date { errors, .. } if errors.is_empty())
        );
    }

    #[test]
    fn empty_date_asks_to_enter_it() {
        let errors = date_errors(&answers("decision", "", "", ""));
        assert_eq!(errors[0].field, "day");
        assert_eq!(errors[0].message, "Enter the date on your letter");
    }

    #[test]
    fn missing_part_names_the_part() {
        let errors = date_errors(&answers("decision", "2", "", "2026"));
        assert_eq!(errors[0].field, "month");
        assert_eq!(
            errors[0].message,
            "The date on your letter must include a month"
        );
        let errors = date_errors(&answers("decision", "", "11", ""));
        assert_eq!(errors[0].field, "day");
        assert!(errors[0].message.ends_with("include a day and year"));
    }

    #[test]
    fn letters_in_a_date_field_are_errors_on_that_field() {
        let errors = date_errors(&answers("decision", "two", "11", "2O26"));
        let fields: Vec<&str> = errors.iter().map(|e| e.field).collect();
        assert_eq!(fields, ["day", "year"]);
        assert_eq!(errors[0].message, "Enter the day as a number, like 27");
        let errors = date_errors(&answers("decision", "-1", "11", "2026"));
        assert_eq!(errors[0].field, "day");
    }

    #[test]
    fn thirty_first_of_february_is_not_a_real_date() {
        let errors = date_errors(&answers("decision", "31", "2", "2026"));
        assert_eq!(errors[0].field, "day");
        assert_eq!(
            errors[0].message,
            "The date on your letter must be a real date"
        );
        let errors = date_errors(&answers("decision", "1", "13", "2026"));
        assert_eq!(errors[0].field, "month");
    }

    #[test]
    fn two_digit_year_is_refused() {
        let errors = date_errors(&answers("decision", "2", "11", "26"));
        assert_eq!(errors[0].field, "year");
    }

    #[test]
    fn future_date_is_refused() {
        let errors = date_errors(&answers("decision", "2", "12", "2026"));
        assert_eq!(
            errors[0].message,
            "The date on your letter must be today or in the past"
        );
    }

    #[test]
    fn date_before_2012_sends_the_reader_to_advice() {
        let errors = date_errors(&answers("decision", "31", "12", "2011"));
        assert_eq!(errors[0].field, "year");
        assert!(errors[0].message.contains("Child Support Agency (CSA)"));
        assert!(errors[0].message.contains("get advice"));
    }

    #[test]
    fn decision_gives_the_last_day_and_days_left() {
        let deadline = outcome_deadline(&answers("decision", "2", "11", "2026"));
        assert_eq!(deadline.last_day, date!(2026 - 12 - 02));
        assert_eq!(deadline.last_day_long(), "Wednesday 2 December 2026");
        assert_eq!(deadline.days_left, 1);
        assert!(!deadline.passed());
    }

    #[test]
    fn last_day_today_has_not_passed() {
        let deadline = outcome_deadline(&answers("decision", "1", "11", "2026"));
        assert_eq!(deadline.days_left, 0);
        assert!(!deadline.passed());
    }

    #[test]
    fn passed_date_says_so() {
        let deadline = outcome_deadline(&answers("mr-notice", "15", "9", "2026"));
        assert_eq!(deadline.last_day, date!(2026 - 10 - 15));
        assert!(deadline.passed());
        assert_eq!(deadline.days_left, -47);
    }

    #[test]
    fn unlawful_asks_for_the_nation_after_the_date() {
        let rules = rules();
        let answers = answers("unlawful", "10", "11", "2026");
        assert!(
            matches!(next_step(&rules, &answers, TODAY), Step::Nation { errors, .. } if errors.is_empty())
        );
        let bad = Answers {
            nation: Some("wales".into()),
            ..answers.clone()
        };
        let Step::Nation { errors, .. } = next_step(&rules, &bad, TODAY) else {
            panic!("expected the nation question");
        };
        assert_eq!(errors[0].field, "nation");
        let scotland = Answers {
            nation: Some("scotland".into()),
            ..answers
        };
        let Step::Outcome(outcome) = next_step(&rules, &scotland, TODAY) else {
            panic!("expected an outcome");
        };
        assert_eq!(outcome.nation, Some(Nation::Scotland));
        assert_eq!(
            outcome.deadline.map(|d| d.last_day),
            Some(date!(2027 - 02 - 09))
        );
    }

    #[test]
    fn nation_is_not_asked_where_rules_do_not_differ() {
        let rules = rules();
        let mut answers = answers("decision", "2", "11", "2026");
        answers.nation = Some("atlantis".into());
        assert!(matches!(
            next_step(&rules, &answers, TODAY),
            Step::Outcome(_)
        ));
    }

    #[test]
    fn ice_reply_skips_the_date_and_gives_no_deadline() {
        let rules = rules();
        let answers = Answers {
            letter: Some("ice-response".into()),
            ..Answers::default()
        };
        let Step::Outcome(outcome) = next_step(&rules, &answers, TODAY) else {
            panic!("expected an outcome");
        };
        assert_eq!(outcome.deadline, None);
        assert!(outcome.rule.no_date.is_some());
    }
}
