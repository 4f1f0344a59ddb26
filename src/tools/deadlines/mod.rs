//! The deadline checker: which letter a parent has, its date and (for judicial
//! review) the nation, turned into the last day to act, from rules an author
//! keeps in `content/deadlines.toml`.
//!
//! Flow: `rules` loads and checks the data once; `answers` turns query-string
//! answers into the next question or an `Outcome`; `dates` does the calendar
//! arithmetic; `calendar` writes the `.ics` file. Nothing here knows about HTTP.

mod answers;
mod calendar;
mod dates;
mod rules;

pub use answers::{Answers, Deadline, FieldError, Outcome, Step, next_step};
pub use calendar::ics;
pub use dates::{add_days, add_months, long_date, today_in_uk, uk_date};
pub use rules::{
    Counting, GlanceRow, Letter, LetterKind, LetterRules, Nation, Period, Rule, Rules, Source,
    WhatToDo,
};
