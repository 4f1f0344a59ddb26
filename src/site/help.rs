//! Free help (`content/help.toml`): organisations that advise parents for
//! free, shown at `/get-help`. Each entry carries the date its details were
//! last confirmed; `check` warns when that is older than
//! `[check] review_after_days`.

use std::path::{Path, PathBuf};

use serde::Deserialize;
use time::Date;
use toml::Spanned;

use crate::content::to_date;
use crate::error::{Problem, line_of, toml_problem};

/// The path on which the list is served.
pub const PATH: &str = "/get-help";

/// A nation of Great Britain an organisation serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Nation {
    /// England.
    England,
    /// Wales.
    Wales,
    /// Scotland.
    Scotland,
}

impl Nation {
    fn name(self) -> &'static str {
        match self {
            Nation::England => "England",
            Nation::Wales => "Wales",
            Nation::Scotland => "Scotland",
        }
    }
}

/// One organisation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Org {
    /// Its name, as it uses it.
    pub name: String,
    /// What it does, in our words.
    pub what: String,
    /// Who it is for.
    pub for_whom: String,
    /// The nations it serves, in a fixed order.
    pub nations: Vec<Nation>,
    /// How to reach it.
    pub how: String,
    /// Its website, when one was confirmed.
    pub url: Option<String>,
    /// When its details were last confirmed.
    pub checked: Date,
    /// The page on which they were confirmed.
    pub source: String,
    /// The line of `checked`, for the stale-entry warning.
    checked_line: usize,
}

impl Org {
    /// The nations it serves, in words: "England and Wales".
    pub fn where_label(&self) -> String {
        let names: Vec<&str> = self.nations.iter().map(|n| n.name()).collect();
        match names.as_slice() {
            [] => String::new(),
            [one] => (*one).to_string(),
            [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
        }
    }

    /// Its website's host, for the link text.
    pub fn host(&self) -> Option<&str> {
        self.url.as_deref().map(|url| {
            let host = super::host(url);
            host.strip_prefix("www.").unwrap_or(host)
        })
    }
}

/// Every organisation, in the order the file lists them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Help {
    /// The file, for warnings.
    pub path: PathBuf,
    /// The organisations.
    pub orgs: Vec<Org>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct HelpFile {
    #[serde(rename = "org", default)]
    orgs: Vec<Spanned<OrgFile>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct OrgFile {
    name: String,
    what: String,
    for_whom: String,
    #[serde(rename = "where")]
    nations: Vec<Nation>,
    how: String,
    url: Option<String>,
    checked: Spanned<toml::value::Datetime>,
    source: String,
}

impl Help {
    /// Reads and checks the list at `path`.
    pub fn load(path: &Path) -> Result<Help, Vec<Problem>> {
        let text = std::fs::read_to_string(path).map_err(|err| {
            vec![Problem::new(
                path,
                1,
                format!("cannot read the help list: {err}"),
            )]
        })?;
        Help::parse(path, &text)
    }

    /// Checks the list in `text`, naming `path` and the line in every problem.
    pub fn parse(path: &Path, text: &str) -> Result<Help, Vec<Problem>> {
        let file: HelpFile = toml::from_str(text)
            .map_err(|err| vec![toml_problem(path, text, 1, "the help list", &err)])?;
        let mut problems = Vec::new();
        let mut orgs = Vec::new();
        for spanned in file.orgs {
            let at = line_of(text, spanned.span().start);
            let org = spanned.into_inner();
            let checked_line = line_of(text, org.checked.span().start);
            for (field, value) in [
                ("name", &org.name),
                ("what", &org.what),
                ("for_whom", &org.for_whom),
                ("how", &org.how),
            ] {
                if value.trim().is_empty() {
                    problems.push(Problem::new(
                        path,
                        at,
                        format!("`{field}` is empty; write one"),
                    ));
                }
            }
            if org.nations.is_empty() {
                problems.push(Problem::new(
                    path,
                    at,
                    "`where` is empty; list the nations it serves: \"england\", \"wales\", \"scotland\"",
                ));
            }
            for (field, value) in [("url", org.url.as_deref()), ("source", Some(&org.source))] {
                if let Some(value) = value
                    && !value.starts_with("https://")
                {
                    problems.push(Problem::new(
                        path,
                        at,
                        format!("`{field}` must be an https:// address, exactly as seen"),
                    ));
                }
            }
            let checked = match to_date(path, checked_line, "checked", org.checked.get_ref()) {
                Ok(date) => date,
                Err(problem) => {
                    problems.push(problem);
                    continue;
                }
            };
            let mut nations = org.nations;
            nations.sort();
            nations.dedup();
            orgs.push(Org {
                name: org.name,
                what: org.what,
                for_whom: org.for_whom,
                nations,
                how: org.how,
                url: org.url,
                checked,
                source: org.source,
                checked_line,
            });
        }
        if orgs.is_empty() && problems.is_empty() {
            problems.push(Problem::new(
                path,
                1,
                "the help list is empty; add an [[org]] block",
            ));
        }
        if !problems.is_empty() {
            return Err(problems);
        }
        Ok(Help {
            path: path.to_path_buf(),
            orgs,
        })
    }

    /// A warning for each entry last checked more than `days` before `today`.
    pub fn stale(&self, today: Date, days: u32) -> Vec<Problem> {
        self.orgs
            .iter()
            .filter_map(|org| {
                let age = (today - org.checked).whole_days();
                (age > i64::from(days)).then(|| {
                    Problem::new(
                        &self.path,
                        org.checked_line,
                        format!(
                            "warning: {} was last checked {age} days ago (more than {days}); confirm its details and update `checked`",
                            org.name
                        ),
                    )
                })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ENTRY: &str = "[[org]]\nname = \"N\"\nwhat = \"W\"\nfor_whom = \"F\"\nwhere = [\"wales\", \"england\"]\nhow = \"H\"\nchecked = 2026-01-01\nsource = \"https://example.org/\"\n";

    #[test]
    fn nations_read_in_a_fixed_order() {
        let help = Help::parse(Path::new("help.toml"), ENTRY).unwrap();
        assert_eq!(help.orgs[0].where_label(), "England and Wales");
    }

    #[test]
    fn an_entry_checked_over_the_limit_ago_warns_on_its_checked_line() {
        let help = Help::parse(Path::new("help.toml"), ENTRY).unwrap();
        let soon = Date::from_calendar_date(2026, time::Month::June, 1).unwrap();
        assert!(help.stale(soon, 365).is_empty());
        let later = Date::from_calendar_date(2027, time::Month::June, 1).unwrap();
        let warnings = help.stale(later, 365);
        assert_eq!(warnings.len(), 1);
        assert_eq!(warnings[0].line, 7);
    }

    #[test]
    fn a_plain_http_url_is_refused() {
        let text = ENTRY.replace("https://example.org/", "http://example.org/");
        let problems = Help::parse(Path::new("help.toml"), &text).unwrap_err();
        assert!(problems[0].message.contains("https://"), "{problems:?}");
    }
}
