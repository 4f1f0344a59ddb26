//! The deadline rules as data: parsed from `content/deadlines.toml` once, at
//! load, and refused with file:line problems if anything is wrong.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;
use time::Date;
use toml::Spanned;

use super::dates::{add_days, add_months};
use crate::error::{Problem, line_of, toml_problem};

/// The kinds of letter a parent can have; the public `letter` query values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LetterKind {
    /// A CMS decision: ask for a mandatory reconsideration.
    Decision,
    /// A mandatory reconsideration notice: appeal to the tribunal.
    MrNotice,
    /// A final response to a complaint: go to the Independent Case Examiner.
    ComplaintResponse,
    /// The Independent Case Examiner's reply: ask an MP to refer to the Ombudsman.
    IceResponse,
    /// A decision thought unlawful: judicial review.
    Unlawful,
}

impl LetterKind {
    /// Every kind, in the order the question lists them.
    pub const ALL: [LetterKind; 5] = [
        LetterKind::Decision,
        LetterKind::MrNotice,
        LetterKind::ComplaintResponse,
        LetterKind::IceResponse,
        LetterKind::Unlawful,
    ];

    /// The query-string value, like `mr-notice`.
    pub fn as_str(self) -> &'static str {
        match self {
            LetterKind::Decision => "decision",
            LetterKind::MrNotice => "mr-notice",
            LetterKind::ComplaintResponse => "complaint-response",
            LetterKind::IceResponse => "ice-response",
            LetterKind::Unlawful => "unlawful",
        }
    }

    /// The kind for a query-string value, if it is one.
    pub fn parse(value: &str) -> Option<LetterKind> {
        LetterKind::ALL
            .into_iter()
            .find(|kind| kind.as_str() == value)
    }
}

/// The legal systems whose rules differ (only for judicial review).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Nation {
    /// England and Wales: the Civil Procedure Rules.
    EnglandWales,
    /// Scotland: the Court of Session Act 1988.
    Scotland,
}

impl Nation {
    /// Both nations, in the order the question lists them.
    pub const ALL: [Nation; 2] = [Nation::EnglandWales, Nation::Scotland];

    /// The query-string value, like `england-wales`.
    pub fn as_str(self) -> &'static str {
        match self {
            Nation::EnglandWales => "england-wales",
            Nation::Scotland => "scotland",
        }
    }

    /// The nation for a query-string value, if it is one.
    pub fn parse(value: &str) -> Option<Nation> {
        Nation::ALL
            .into_iter()
            .find(|nation| nation.as_str() == value)
    }
}

/// How long a rule allows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Period {
    /// Calendar days.
    Days(u16),
    /// Calendar months, by the corresponding-date rule.
    Months(u16),
    /// No date can honestly be worked out (the reason is in `Rule::no_date`).
    NoFixedDate,
}

/// Whether the period starts the day after the date, or on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Counting {
    /// "within 30 days after the date": the last day is the date plus the period.
    After,
    /// "3 months beginning with the date": the date is day one, so one day less.
    BeginningWith,
}

/// Where a rule comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Source {
    /// The source's title, as the reader should look for it.
    pub title: String,
    /// Where to read it.
    pub url: String,
    /// The operative words, for authors and reviewers.
    pub says: Option<String>,
}

/// One numbered "what to do" step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WhatToDo {
    /// The step in plain words.
    pub text: String,
    /// A guide section or page that explains it (checked against the site).
    pub link: Option<String>,
    /// A letter template; show it only if the site has the page.
    pub letter: Option<String>,
}

/// One deadline rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rule {
    /// What to do, short: the calendar event's title.
    pub action: String,
    /// Which date to enter, in words ("the date on the decision letter").
    pub starts: Option<String>,
    /// How long the rule allows.
    pub period: Period,
    /// How the source counts the period.
    pub counting: Counting,
    /// Why no date is worked out, for `Period::NoFixedDate`.
    pub no_date: Option<String>,
    /// The rule in plain words.
    pub wording: String,
    /// The numbered "what to do" list.
    pub steps: Vec<WhatToDo>,
    /// What a source says can still be done once the date has passed.
    pub if_passed: Vec<String>,
    /// Other things the reader must know (complaints do not stop the clock).
    pub notes: Vec<String>,
    /// Where the rule comes from; never empty.
    pub sources: Vec<Source>,
}

impl Rule {
    /// The last day to act for a letter dated `start`, or `None` when the rule
    /// gives no fixed date (or the date is off the calendar).
    pub fn last_day(&self, start: Date) -> Option<Date> {
        let end = match self.period {
            Period::Days(days) => add_days(start, i64::from(days))?,
            Period::Months(months) => add_months(start, u32::from(months))?,
            Period::NoFixedDate => return None,
        };
        match self.counting {
            Counting::After => Some(end),
            Counting::BeginningWith => add_days(end, -1),
        }
    }

    /// Whether the checker needs the letter's date for this rule.
    pub fn needs_date(&self) -> bool {
        self.period != Period::NoFixedDate
    }
}

/// The rule (or rules, by nation) for one kind of letter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LetterRules {
    /// The same everywhere in Great Britain.
    One(Rule),
    /// Different in England and Wales and in Scotland.
    ByNation {
        /// The rule in England and Wales.
        england_wales: Rule,
        /// The rule in Scotland.
        scotland: Rule,
    },
}

/// A kind of letter, as the first question offers it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Letter {
    /// Which letter this is.
    pub kind: LetterKind,
    /// The radio button's label.
    pub label: String,
    /// The radio button's hint.
    pub hint: Option<String>,
    /// Its rule or rules.
    pub rules: LetterRules,
}

impl Letter {
    /// Whether the checker must ask which nation's rules apply.
    pub fn needs_nation(&self) -> bool {
        matches!(self.rules, LetterRules::ByNation { .. })
    }

    /// Whether the checker must ask for the letter's date.
    pub fn needs_date(&self) -> bool {
        match &self.rules {
            LetterRules::One(rule) => rule.needs_date(),
            LetterRules::ByNation {
                england_wales,
                scotland,
            } => england_wales.needs_date() || scotland.needs_date(),
        }
    }

    /// The rule that applies; `nation` matters only for `ByNation`.
    pub fn rule(&self, nation: Option<Nation>) -> Option<&Rule> {
        match (&self.rules, nation) {
            (LetterRules::One(rule), _) => Some(rule),
            (LetterRules::ByNation { england_wales, .. }, Some(Nation::EnglandWales)) => {
                Some(england_wales)
            }
            (LetterRules::ByNation { scotland, .. }, Some(Nation::Scotland)) => Some(scotland),
            (LetterRules::ByNation { .. }, None) => None,
        }
    }
}

/// One row of the "deadlines at a glance" table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GlanceRow {
    /// The step, like "Appeal to the tribunal".
    pub step: String,
    /// Its time limit in words.
    pub limit: String,
    /// Where the limit comes from; never empty.
    pub sources: Vec<Source>,
}

/// Every deadline rule, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rules {
    /// "If unsure which date, use the earlier date", as the author words it.
    pub earlier_date_note: String,
    /// The "deadlines at a glance" table.
    pub glance: Vec<GlanceRow>,
    letters: Vec<Letter>,
    links: Vec<(String, usize)>,
    letter_links: Vec<(String, usize)>,
}

impl Rules {
    /// Reads and checks the rules file at `path`.
    pub fn load(path: &Path) -> Result<Rules, Vec<Problem>> {
        let text = std::fs::read_to_string(path).map_err(|err| {
            vec![Problem::new(
                path,
                1,
                format!("cannot read the rules: {err}"),
            )]
        })?;
        Rules::parse(path, &text)
    }

    /// Checks the rules in `text`, naming `path` and the line in every problem.
    pub fn parse(path: &Path, text: &str) -> Result<Rules, Vec<Problem>> {
        let file: RulesFile = toml::from_str(text)
            .map_err(|err| vec![toml_problem(path, text, 1, "the deadline rules", &err)])?;
        Checker {
            path,
            text,
            problems: Vec::new(),
            links: Vec::new(),
            letter_links: Vec::new(),
        }
        .check(file)
    }

    /// Every kind of letter, in the order the question lists them.
    pub fn letters(&self) -> &[Letter] {
        &self.letters
    }

    /// The letter of `kind`.
    pub fn letter(&self, kind: LetterKind) -> Option<&Letter> {
        self.letters.iter().find(|letter| letter.kind == kind)
    }

    /// Internal links in the steps, with their lines, for `check` to resolve.
    pub fn links(&self) -> Vec<(String, usize)> {
        self.links.clone()
    }

    /// Letter-template links, with their lines: optional, shown only if they resolve.
    pub fn letter_links(&self) -> Vec<(String, usize)> {
        self.letter_links.clone()
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RulesFile {
    earlier_date_note: String,
    #[serde(rename = "letter", default)]
    letters: Vec<LetterFile>,
    #[serde(default)]
    glance: Vec<Spanned<GlanceFile>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LetterFile {
    key: Spanned<String>,
    label: String,
    hint: Option<String>,
    rule: Option<Spanned<RuleFile>>,
    #[serde(default)]
    nations: BTreeMap<String, Spanned<RuleFile>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleFile {
    action: String,
    starts: Option<String>,
    days: Option<u16>,
    months: Option<u16>,
    counting: Option<Counting>,
    no_date: Option<String>,
    wording: String,
    #[serde(default)]
    steps: Vec<StepFile>,
    #[serde(default)]
    if_passed: Vec<String>,
    #[serde(default)]
    notes: Vec<String>,
    #[serde(default)]
    sources: Vec<SourceFile>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct StepFile {
    text: String,
    link: Option<Spanned<String>>,
    letter: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SourceFile {
    title: String,
    url: Spanned<String>,
    says: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct GlanceFile {
    step: String,
    limit: String,
    #[serde(default)]
    sources: Vec<SourceFile>,
}

/// Longest periods an author may write; anything longer is surely a typo.
const MAX_DAYS: u16 = 366;
const MAX_MONTHS: u16 = 24;

struct Checker<'a> {
    path: &'a Path,
    text: &'a str,
    problems: Vec<Problem>,
    links: Vec<(String, usize)>,
    letter_links: Vec<(String, usize)>,
}

impl Checker<'_> {
    fn check(mut self, file: RulesFile) -> Result<Rules, Vec<Problem>> {
        if file.earlier_date_note.trim().is_empty() {
            self.problem(
                1,
                "earlier_date_note is empty; say which date to use when unsure",
            );
        }
        let mut letters: Vec<Letter> = Vec::new();
        let mut named: Vec<LetterKind> = Vec::new();
        for letter in file.letters {
            let line = self.line(letter.key.span().start);
            let Some(kind) = LetterKind::parse(letter.key.get_ref()) else {
                let known: Vec<&str> = LetterKind::ALL.iter().map(|k| k.as_str()).collect();
                self.problem(
                    line,
                    format!(
                        "unknown letter key {:?}; use one of {}",
                        letter.key.get_ref(),
                        known.join(", ")
                    ),
                );
                continue;
            };
            if named.contains(&kind) {
                self.problem(
                    line,
                    format!("letter {:?} is listed twice; keep one", kind.as_str()),
                );
                continue;
            }
            named.push(kind);
            if letter.label.trim().is_empty() {
                self.problem(
                    line,
                    "the letter's label is empty; write the radio button's text",
                );
            }
            let rules = match (letter.rule, letter.nations.is_empty()) {
                (Some(rule), true) => self.rule(rule).map(LetterRules::One),
                (None, false) => self.nations(line, letter.nations),
                (Some(_), false) => {
                    self.problem(
                        line,
                        "give either [letter.rule] or [letter.nations.*], not both",
                    );
                    None
                }
                (None, true) => {
                    self.problem(line, "this letter has no rule; add a [letter.rule] table");
                    None
                }
            };
            if let Some(rules) = rules {
                letters.push(Letter {
                    kind,
                    label: letter.label,
                    hint: letter.hint,
                    rules,
                });
            }
        }
        for kind in LetterKind::ALL {
            if !named.contains(&kind) {
                self.problem(
                    1,
                    format!(
                        "no rule for letter {:?}; add a [[letter]] with key = {:?}",
                        kind.as_str(),
                        kind.as_str()
                    ),
                );
            }
        }
        letters.sort_by_key(|letter| LetterKind::ALL.iter().position(|k| *k == letter.kind));
        let mut glance = Vec::new();
        for row in file.glance {
            let line = self.line(row.span().start);
            let row = row.into_inner();
            if row.step.trim().is_empty() || row.limit.trim().is_empty() {
                self.problem(line, "a glance row needs both step and limit");
            }
            let sources = self.sources(line, row.sources);
            glance.push(GlanceRow {
                step: row.step,
                limit: row.limit,
                sources,
            });
        }
        if self.problems.is_empty() {
            Ok(Rules {
                earlier_date_note: file.earlier_date_note,
                glance,
                letters,
                links: self.links,
                letter_links: self.letter_links,
            })
        } else {
            self.problems.sort_by_key(|p| p.line);
            Err(self.problems)
        }
    }

    fn nations(
        &mut self,
        line: usize,
        mut nations: BTreeMap<String, Spanned<RuleFile>>,
    ) -> Option<LetterRules> {
        for key in nations.keys() {
            if Nation::parse(key).is_none() {
                self.problem(
                    line,
                    format!("unknown nation {key:?}; use england-wales and scotland"),
                );
            }
        }
        let mut rule_for =
            |checker: &mut Self, nation: Nation| match nations.remove(nation.as_str()) {
                Some(rule) => checker.rule(rule),
                None => {
                    checker.problem(
                        line,
                        format!(
                            "no rule for {}; add [letter.nations.{}]",
                            nation.as_str(),
                            nation.as_str()
                        ),
                    );
                    None
                }
            };
        let england_wales = rule_for(self, Nation::EnglandWales);
        let scotland = rule_for(self, Nation::Scotland);
        Some(LetterRules::ByNation {
            england_wales: england_wales?,
            scotland: scotland?,
        })
    }

    fn rule(&mut self, rule: Spanned<RuleFile>) -> Option<Rule> {
        let line = self.line(rule.span().start);
        let rule = rule.into_inner();
        let before = self.problems.len();
        if rule.action.trim().is_empty() {
            self.problem(
                line,
                "action is empty; write what to do, short, for the calendar",
            );
        }
        if rule.wording.trim().is_empty() {
            self.problem(line, "wording is empty; write the rule in plain words");
        }
        let period = match (rule.days, rule.months, &rule.no_date) {
            (Some(days), None, None) if (1..=MAX_DAYS).contains(&days) => Period::Days(days),
            (None, Some(months), None) if (1..=MAX_MONTHS).contains(&months) => {
                Period::Months(months)
            }
            (None, None, Some(reason)) if !reason.trim().is_empty() => Period::NoFixedDate,
            (Some(_), None, None) => {
                self.problem(line, format!("days must be between 1 and {MAX_DAYS}"));
                Period::NoFixedDate
            }
            (None, Some(_), None) => {
                self.problem(line, format!("months must be between 1 and {MAX_MONTHS}"));
                Period::NoFixedDate
            }
            _ => {
                self.problem(
                    line,
                    "give exactly one of days, months or no_date (with the reason no date can be worked out)",
                );
                Period::NoFixedDate
            }
        };
        let counting = match (period, rule.counting) {
            (Period::NoFixedDate, None) => Counting::After,
            (Period::NoFixedDate, Some(_)) => {
                self.problem(line, "counting only applies to days or months; remove it");
                Counting::After
            }
            (_, Some(counting)) => counting,
            (_, None) => {
                self.problem(
                    line,
                    "missing counting; use \"after\" (\"within 30 days after\") or \"beginning-with\" (\"3 months beginning with\"), as the source words it",
                );
                Counting::After
            }
        };
        if period != Period::NoFixedDate
            && rule.starts.as_deref().is_none_or(|s| s.trim().is_empty())
        {
            self.problem(
                line,
                "missing starts; say which date to enter, like \"the date on the decision letter\"",
            );
        }
        let mut steps = Vec::new();
        for step in rule.steps {
            if step.text.trim().is_empty() {
                self.problem(line, "a step's text is empty");
            }
            let link = step.link.map(|link| self.link(link));
            let letter = step.letter.map(|letter| self.letter_link(letter));
            steps.push(WhatToDo {
                text: step.text,
                link,
                letter,
            });
        }
        let sources = self.sources(line, rule.sources);
        (self.problems.len() == before).then_some(Rule {
            action: rule.action,
            starts: rule.starts,
            period,
            counting,
            no_date: rule.no_date,
            wording: rule.wording,
            steps,
            if_passed: rule.if_passed,
            notes: rule.notes,
            sources,
        })
    }

    fn sources(&mut self, line: usize, sources: Vec<SourceFile>) -> Vec<Source> {
        if sources.is_empty() {
            self.problem(
                line,
                "this rule has no source; add a sources entry with title and url (never state a deadline without one)",
            );
        }
        let mut checked = Vec::new();
        for source in sources {
            let url_line = self.line(source.url.span().start);
            let url = source.url.into_inner();
            if !(url.starts_with("https://") || url.starts_with("http://")) {
                self.problem(
                    url_line,
                    format!("source url {url:?} must be a full web address"),
                );
            }
            if source.title.trim().is_empty() {
                self.problem(url_line, "a source's title is empty");
            }
            checked.push(Source {
                title: source.title,
                url,
                says: source.says,
            });
        }
        checked
    }

    fn link(&mut self, link: Spanned<String>) -> String {
        let line = self.line(link.span().start);
        let link = link.into_inner();
        if link.starts_with('/') {
            self.links.push((link.clone(), line));
        } else if !link.starts_with("https://") {
            self.problem(
                line,
                format!("link {link:?} must start with / (this site) or https://"),
            );
        }
        link
    }

    fn letter_link(&mut self, link: Spanned<String>) -> String {
        let line = self.line(link.span().start);
        let link = link.into_inner();
        if link.starts_with("/letters/") {
            self.letter_links.push((link.clone(), line));
        } else {
            self.problem(line, format!("letter {link:?} must be a /letters/ page"));
        }
        link
    }

    fn line(&self, offset: usize) -> usize {
        line_of(self.text, offset)
    }

    fn problem(&mut self, line: usize, message: impl Into<String>) {
        self.problems.push(Problem::new(self.path, line, message));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    const FILE: &str = "content/deadlines.toml";

    fn shipped() -> Rules {
        let text = include_str!("../../../content/deadlines.toml");
        match Rules::parse(Path::new(FILE), text) {
            Ok(rules) => rules,
            Err(problems) => panic!("shipped rules refused: {problems:#?}"),
        }
    }

    fn problems(text: &str) -> Vec<Problem> {
        match Rules::parse(Path::new(FILE), text) {
            Ok(_) => panic!("rules accepted, expected problems"),
            Err(problems) => problems,
        }
    }

    /// A minimal valid file, with `extra` added to the decision rule.
    fn minimal(extra: &str) -> String {
        let mut text = String::from("earlier_date_note = \"Use the earlier date.\"\n");
        for kind in LetterKind::ALL {
            let key = kind.as_str();
            text.push_str(&format!("\n[[letter]]\nkey = \"{key}\"\nlabel = \"L\"\n"));
            let body = "action = \"Act\"\nstarts = \"the date\"\ndays = 30\ncounting = \"after\"\nwording = \"W\"\n";
            let source = "[[SRC]]\ntitle = \"T\"\nurl = \"https://example.org/\"\n";
            if kind == LetterKind::Unlawful {
                for nation in Nation::ALL {
                    let table = format!("letter.nations.{}", nation.as_str());
                    text.push_str(&format!(
                        "[{table}]\n{body}{}",
                        source.replace("SRC", &format!("{table}.sources"))
                    ));
                }
            } else {
                text.push_str(&format!("[letter.rule]\n{body}"));
                if kind == LetterKind::Decision {
                    text.push_str(extra);
                }
                text.push_str(&source.replace("SRC", "letter.rule.sources"));
            }
        }
        text
    }

    #[test]
    fn shipped_rules_load() {
        let rules = shipped();
        assert_eq!(rules.letters().len(), 5);
        assert!(!rules.glance.is_empty());
    }

    #[test]
    fn minimal_rules_load() {
        let rules = Rules::parse(Path::new(FILE), &minimal(""));
        assert!(rules.is_ok(), "{rules:?}");
    }

    #[test]
    fn every_shipped_rule_and_glance_row_has_a_source() {
        let rules = shipped();
        for letter in rules.letters() {
            for nation in [None, Some(Nation::EnglandWales), Some(Nation::Scotland)] {
                if let Some(rule) = letter.rule(nation) {
                    assert!(!rule.sources.is_empty(), "{:?}", letter.kind);
                }
            }
        }
        assert!(rules.glance.iter().all(|row| !row.sources.is_empty()));
    }

    #[test]
    fn reconsideration_is_30_days_after_the_decision() {
        let rules = shipped();
        let rule = rules
            .letter(LetterKind::Decision)
            .and_then(|l| l.rule(None))
            .expect("decision rule");
        assert_eq!(
            rule.last_day(date!(2026 - 11 - 02)),
            Some(date!(2026 - 12 - 02))
        );
        assert_eq!(
            rule.last_day(date!(2026 - 12 - 31)),
            Some(date!(2027 - 01 - 30))
        );
    }

    #[test]
    fn tribunal_appeal_is_one_month_after_the_notice_was_sent() {
        let rules = shipped();
        let rule = rules
            .letter(LetterKind::MrNotice)
            .and_then(|l| l.rule(None))
            .expect("appeal rule");
        assert_eq!(
            rule.last_day(date!(2028 - 01 - 31)),
            Some(date!(2028 - 02 - 29))
        );
        assert_eq!(
            rule.last_day(date!(2027 - 01 - 31)),
            Some(date!(2027 - 02 - 28))
        );
        assert_eq!(
            rule.last_day(date!(2026 - 12 - 31)),
            Some(date!(2027 - 01 - 31))
        );
    }

    #[test]
    fn ice_is_six_months_beginning_with_the_final_response() {
        let rules = shipped();
        let rule = rules
            .letter(LetterKind::ComplaintResponse)
            .and_then(|l| l.rule(None))
            .expect("ICE rule");
        // Counting the letter's own date as day one gives the earlier date.
        assert_eq!(
            rule.last_day(date!(2026 - 03 - 15)),
            Some(date!(2026 - 09 - 14))
        );
        assert_eq!(
            rule.last_day(date!(2026 - 08 - 31)),
            Some(date!(2027 - 02 - 27))
        );
    }

    #[test]
    fn ombudsman_gets_no_computed_date() {
        let rules = shipped();
        let letter = rules.letter(LetterKind::IceResponse).expect("ICE reply");
        assert!(!letter.needs_date());
        let rule = letter.rule(None).expect("rule");
        assert_eq!(rule.last_day(date!(2026 - 03 - 15)), None);
    }

    #[test]
    fn judicial_review_differs_by_nation() {
        let rules = shipped();
        let letter = rules.letter(LetterKind::Unlawful).expect("unlawful");
        assert!(letter.needs_nation());
        let ew = letter.rule(Some(Nation::EnglandWales)).expect("E&W");
        let scot = letter.rule(Some(Nation::Scotland)).expect("Scotland");
        // CPR 54.5: "not later than 3 months after".
        assert_eq!(
            ew.last_day(date!(2026 - 01 - 10)),
            Some(date!(2026 - 04 - 10))
        );
        // s.27A: "3 months beginning with" the date, so one day earlier.
        assert_eq!(
            scot.last_day(date!(2026 - 01 - 10)),
            Some(date!(2026 - 04 - 09))
        );
        assert_eq!(
            ew.last_day(date!(2026 - 11 - 30)),
            Some(date!(2027 - 02 - 28))
        );
        assert_eq!(
            scot.last_day(date!(2026 - 11 - 30)),
            Some(date!(2027 - 02 - 27))
        );
    }

    #[test]
    fn internal_links_come_back_with_their_lines() {
        let rules = shipped();
        let text = include_str!("../../../content/deadlines.toml");
        let links = rules.links();
        assert!(!links.is_empty());
        for (link, line) in &links {
            let source_line = text.lines().nth(line - 1).expect("line exists");
            assert!(
                source_line.contains(link.as_str()),
                "{link} not on line {line}"
            );
        }
        assert!(
            links
                .iter()
                .any(|(l, _)| l == "/can-you-sue-the-cms#tribunal-appeal")
        );
        // Each letter link names a letter file the site ships.
        let letters = rules.letter_links();
        assert_eq!(letters.len(), 3);
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        for (link, _) in letters {
            let slug = link.trim_start_matches("/letters/");
            assert!(
                root.join(format!("content/letters/{slug}.toml")).exists(),
                "{link}"
            );
        }
    }

    #[test]
    fn rule_without_source_is_refused_at_its_line() {
        let text = minimal("").replacen(
            "[[letter.rule.sources]]\ntitle = \"T\"\nurl = \"https://example.org/\"\n",
            "",
            1,
        );
        let problems = problems(&text);
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(problems[0].message.contains("no source"));
        let line = text
            .lines()
            .position(|l| l == "[letter.rule]")
            .expect("rule table")
            + 1;
        assert!(
            problems[0].line >= line && problems[0].line <= line + 1,
            "{:?}",
            problems[0]
        );
        assert!(
            problems[0]
                .to_string()
                .starts_with("content/deadlines.toml:")
        );
    }

    #[test]
    fn unknown_letter_key_is_refused_at_its_line() {
        let text = minimal("").replacen("key = \"ice-response\"", "key = \"ice-reply\"", 1);
        let problems = problems(&text);
        let line = text
            .lines()
            .position(|l| l == "key = \"ice-reply\"")
            .expect("key")
            + 1;
        assert!(
            problems
                .iter()
                .any(|p| p.line == line && p.message.contains("unknown letter key")),
            "{problems:?}"
        );
    }

    #[test]
    fn unknown_field_names_its_line() {
        let text = minimal("dayz = 3\n");
        let problems = problems(&text);
        let line = text.lines().position(|l| l == "dayz = 3").expect("field") + 1;
        assert_eq!(problems.len(), 1);
        assert_eq!(problems[0].line, line);
        assert!(
            problems[0]
                .message
                .contains("remove it, or correct its spelling")
        );
    }

    #[test]
    fn toml_syntax_error_names_its_line() {
        let text = minimal("wording2 = \n");
        let problems = problems(&text);
        let line = text
            .lines()
            .position(|l| l == "wording2 = ")
            .expect("bad line")
            + 1;
        assert_eq!(problems[0].line, line, "{problems:?}");
    }

    #[test]
    fn two_periods_are_refused() {
        let text = minimal("months = 1\n");
        let problems = problems(&text);
        assert!(
            problems[0]
                .message
                .contains("exactly one of days, months or no_date")
        );
    }

    #[test]
    fn missing_counting_is_refused() {
        let text = minimal("").replacen("counting = \"after\"\n", "", 1);
        assert!(problems(&text)[0].message.contains("missing counting"));
    }

    #[test]
    fn missing_letter_is_refused() {
        let text = minimal("").replacen("key = \"unlawful\"", "key = \"decision\"", 1);
        let problems = problems(&text);
        assert!(problems.iter().any(|p| p.message.contains("listed twice")));
        assert!(
            problems
                .iter()
                .any(|p| p.message.contains("no rule for letter \"unlawful\""))
        );
    }

    #[test]
    fn link_must_be_internal_or_https() {
        let text =
            minimal("[[letter.rule.steps]]\ntext = \"Go\"\nlink = \"can-you-sue-the-cms\"\n");
        let problems = problems(&text);
        let line = text
            .lines()
            .position(|l| l.starts_with("link = "))
            .expect("link")
            + 1;
        assert_eq!(problems[0].line, line);
    }
}
