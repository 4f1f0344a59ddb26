//! The `.ics` file for a deadline: one all-day event with a reminder, written
//! by the icalendar crate (CRLF line ends, folding and escaping are its job).

use icalendar::{Alarm, Calendar, Component, Event, EventLike, Trigger};
use time::OffsetDateTime;

use super::answers::Outcome;

/// Days before the last day that the calendar reminds the reader.
const REMINDER_DAYS: i64 = 7;

/// The calendar file for `outcome`, linking back to `result_url`; `now` is the
/// DTSTAMP. `None` when there is no date or it has passed: a reminder for a
/// past deadline would only mislead.
pub fn ics(outcome: &Outcome<'_>, result_url: &str, now: OffsetDateTime) -> Option<String> {
    let deadline = outcome.deadline.filter(|deadline| !deadline.passed())?;
    let last_day = chrono::NaiveDate::from_ymd_opt(
        deadline.last_day.year(),
        u32::from(u8::from(deadline.last_day.month())),
        u32::from(deadline.last_day.day()),
    )?;
    let stamp = chrono::DateTime::from_timestamp(now.unix_timestamp(), 0)?;
    // Same answers, same UID: downloading twice updates the event, not doubles it.
    let uid = format!(
        "deadline-{}-{}-{}@advice-site",
        outcome.letter.kind.as_str(),
        outcome.nation.map_or("gb", |nation| nation.as_str()),
        outcome
            .start
            .map(|start| start.to_string())
            .unwrap_or_default(),
    );
    let description = format!(
        "Last day: {}. {}\n\nYour answers and what to do: {result_url}",
        deadline.last_day_long(),
        outcome.rule.wording
    );
    let reminder = format!("{} by {}", outcome.rule.action, deadline.last_day_long());
    let event = Event::with_uid(&uid)
        .timestamp(stamp)
        .all_day(last_day)
        .summary(&outcome.rule.action)
        .description(&description)
        .url(result_url)
        .alarm(Alarm::display(
            &reminder,
            Trigger::before_start(chrono::Duration::days(REMINDER_DAYS)),
        ))
        .done();
    Some(Calendar::new().push(event).done().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tools::deadlines::{Answers, Rules, Step, next_step};
    use std::path::Path;
    use time::macros::{date, datetime};

    const URL: &str = "https://example.org/deadlines?letter=decision&day=2&month=11&year=2026";

    fn calendar_for(letter: &str, day: &str, month: &str, year: &str) -> Option<String> {
        let text = include_str!("../../../content/deadlines.toml");
        let rules = Rules::parse(Path::new("content/deadlines.toml"), text).expect("rules load");
        let answers = Answers {
            letter: Some(letter.into()),
            day: Some(day.into()),
            month: Some(month.into()),
            year: Some(year.into()),
            nation: None,
        };
        let Step::Outcome(outcome) = next_step(&rules, &answers, date!(2026 - 12 - 01)) else {
            panic!("expected an outcome");
        };
        ics(&outcome, URL, datetime!(2026-12-01 20:15:00 UTC))
    }

    #[test]
    fn ics_is_valid_and_parses_with_a_real_parser() {
        let text = calendar_for("decision", "2", "11", "2026").expect("a calendar");
        assert!(text.contains("\r\n"));
        assert!(
            text.lines().all(|line| line.len() <= 75),
            "lines are folded"
        );
        assert!(
            text.split("\r\n").filter(|l| !l.is_empty()).count()
                == text.lines().filter(|l| !l.is_empty()).count(),
            "every line ends in CRLF"
        );
        let unfolded = icalendar::parser::unfold(&text);
        let calendar = icalendar::parser::read_calendar(&unfolded).expect("parses");
        let events: Vec<_> = calendar
            .components
            .iter()
            .filter(|c| c.name == "VEVENT")
            .collect();
        assert_eq!(events.len(), 1);
        let event = events[0];
        let value = |name: &str| {
            event
                .properties
                .iter()
                .find(|p| p.name == name)
                .map(|p| p.val.to_string())
                .unwrap_or_default()
        };
        assert_eq!(
            value("SUMMARY"),
            "Ask the CMS for a mandatory reconsideration"
        );
        assert_eq!(value("DTSTART"), "20261202");
        assert_eq!(value("DTSTAMP"), "20261201T201500Z");
        assert_eq!(value("URL"), URL);
        assert_eq!(value("UID"), "deadline-decision-gb-2026-11-02@advice-site");
        assert!(value("DESCRIPTION").contains("Wednesday 2 December 2026"));
        let alarms: Vec<_> = event
            .components
            .iter()
            .filter(|c| c.name == "VALARM")
            .collect();
        assert_eq!(alarms.len(), 1);
        let trigger = alarms[0]
            .properties
            .iter()
            .find(|p| p.name == "TRIGGER")
            .map(|p| p.val.to_string());
        // icalendar writes durations in seconds: 7 days before the start.
        assert_eq!(trigger.as_deref(), Some("-PT604800S"));
    }

    #[test]
    fn no_calendar_for_a_passed_deadline() {
        assert_eq!(calendar_for("mr-notice", "15", "9", "2026"), None);
    }
}
