//! The step-by-step route (`content/steps.toml`): the order in which a
//! parent challenges a CMS decision, shown at `/challenge-a-decision` and in
//! the "Part of" box of every article on it. Parsed here with file:line
//! problems; its links are checked against the site in `site::build`.

use std::collections::HashMap;
use std::path::Path;

use serde::Deserialize;
use toml::Spanned;

use crate::error::{Problem, line_of, toml_problem};

/// Where a step sits relative to the one before it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum StepKind {
    /// A stage taken in order; numbered.
    Step,
    /// Something done as well as the step before it.
    And,
    /// An alternative to the step before it.
    Or,
}

/// A link the reader follows from a step.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Link {
    /// What the reader sees; says where it goes.
    pub text: String,
    /// A site path, maybe with a query or a heading id.
    pub href: String,
}

/// One step of the route.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    /// Its anchor on the route page, like `step-2`.
    pub id: String,
    /// Where it sits: in order, as well as, or instead of the one before.
    pub kind: StepKind,
    /// What shows in the step's circle: its number, "and" or "or".
    pub label: String,
    /// What the reader does.
    pub title: String,
    /// One to three plain sentences.
    pub summary: String,
    /// Sections, tools and pages that explain it.
    pub links: Vec<Link>,
    /// The letter template for the step, once the site serves it.
    pub letter: Option<Link>,
    /// Slugs of the articles that belong to it.
    pub articles: Vec<String>,
}

impl Step {
    /// Whether the step is numbered (a stage taken in order).
    pub fn numbered(&self) -> bool {
        self.kind == StepKind::Step
    }

    /// The class that styles the step's marker: `step`, `and` or `or`.
    pub fn label_class(&self) -> &'static str {
        match self.kind {
            StepKind::Step => "numbered",
            StepKind::And => "and",
            StepKind::Or => "or",
        }
    }

    /// How a screen reader and the "Part of" box name the step:
    /// "Step 2", "And", "Or".
    pub fn name(&self) -> String {
        match self.kind {
            StepKind::Step => format!("Step {}", self.label),
            StepKind::And => "And".to_string(),
            StepKind::Or => "Or".to_string(),
        }
    }
}

/// The whole route, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    /// Its name, like "Challenge a CMS decision".
    pub title: String,
    /// One sentence under the heading; the page description.
    pub summary: String,
    /// Every step, in order.
    pub steps: Vec<Step>,
    /// Every link (steps' links and letters) with its line, for `check`.
    links: Vec<(String, usize)>,
    /// Every article slug with its line, for `check`.
    articles: Vec<(String, usize)>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RouteFile {
    title: String,
    summary: String,
    #[serde(rename = "step", default)]
    steps: Vec<Spanned<StepFile>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct StepFile {
    title: String,
    kind: StepKind,
    summary: String,
    #[serde(default)]
    links: Vec<Spanned<Link>>,
    letter: Option<Spanned<Link>>,
    articles: Option<Spanned<Vec<String>>>,
}

/// The path on which the route is served.
pub const PATH: &str = "/challenge-a-decision";

impl Route {
    /// Reads and checks the route file at `path`.
    pub fn load(path: &Path) -> Result<Route, Vec<Problem>> {
        let text = std::fs::read_to_string(path).map_err(|err| {
            vec![Problem::new(
                path,
                1,
                format!("cannot read the steps: {err}"),
            )]
        })?;
        Route::parse(path, &text)
    }

    /// Checks the route in `text`, naming `path` and the line in every problem.
    pub fn parse(path: &Path, text: &str) -> Result<Route, Vec<Problem>> {
        let file: RouteFile = toml::from_str(text)
            .map_err(|err| vec![toml_problem(path, text, 1, "the steps", &err)])?;
        let mut problems = Vec::new();
        let line = |offset: usize| line_of(text, offset);
        for (field, value) in [("title", &file.title), ("summary", &file.summary)] {
            if value.trim().is_empty() {
                problems.push(Problem::new(
                    path,
                    1,
                    format!("`{field}` is empty; write one"),
                ));
            }
        }
        if file.steps.is_empty() {
            problems.push(Problem::new(
                path,
                1,
                "the route has no steps; add a [[step]] block",
            ));
        }
        let mut steps = Vec::new();
        let mut links = Vec::new();
        let mut articles = Vec::new();
        let mut owner: HashMap<String, usize> = HashMap::new();
        let mut number = 0;
        for (index, spanned) in file.steps.into_iter().enumerate() {
            let step_line = line(spanned.span().start);
            let step = spanned.into_inner();
            if index == 0 && step.kind != StepKind::Step {
                problems.push(Problem::new(
                    path,
                    step_line,
                    "the first step must have kind = \"step\": \"and\" and \"or\" relate a step to the one before it",
                ));
            }
            for (field, value) in [("title", &step.title), ("summary", &step.summary)] {
                if value.trim().is_empty() {
                    problems.push(Problem::new(
                        path,
                        step_line,
                        format!("this step's `{field}` is empty; write one"),
                    ));
                }
            }
            let mut step_links = Vec::new();
            for link in step.links {
                let at = line(link.span().start);
                let link = link.into_inner();
                if link.text.trim().is_empty() {
                    problems.push(Problem::new(
                        path,
                        at,
                        "a link has no text; say where it goes",
                    ));
                }
                links.push((link.href.clone(), at));
                step_links.push(link);
            }
            let letter = step.letter.map(|letter| {
                links.push((letter.get_ref().href.clone(), line(letter.span().start)));
                letter.into_inner()
            });
            let slugs = match step.articles {
                Some(spanned) => {
                    let at = line(spanned.span().start);
                    let slugs = spanned.into_inner();
                    for slug in &slugs {
                        if let Some(other) = owner.insert(slug.clone(), index) {
                            problems.push(Problem::new(
                                path,
                                at,
                                format!(
                                    "`{slug}` is already in step {} of the route; an article belongs to one step only",
                                    other + 1
                                ),
                            ));
                        }
                        articles.push((slug.clone(), at));
                    }
                    slugs
                }
                None => Vec::new(),
            };
            let label = match step.kind {
                StepKind::Step => {
                    number += 1;
                    number.to_string()
                }
                StepKind::And => "and".to_string(),
                StepKind::Or => "or".to_string(),
            };
            steps.push(Step {
                id: format!("step-{}", index + 1),
                kind: step.kind,
                label,
                title: step.title,
                summary: step.summary,
                links: step_links,
                letter,
                articles: slugs,
            });
        }
        if !problems.is_empty() {
            return Err(problems);
        }
        Ok(Route {
            title: file.title,
            summary: file.summary,
            steps,
            links,
            articles,
        })
    }

    /// Every link in the steps with its line, for `check` to resolve.
    pub fn links(&self) -> &[(String, usize)] {
        &self.links
    }

    /// Every article slug named by a step, with its line.
    pub fn article_slugs(&self) -> &[(String, usize)] {
        &self.articles
    }

    /// The position of the step that `slug` belongs to, if any.
    pub fn step_of(&self, slug: &str) -> Option<usize> {
        self.steps
            .iter()
            .position(|step| step.articles.iter().any(|a| a == slug))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Route, Vec<Problem>> {
        Route::parse(Path::new("content/steps.toml"), text)
    }

    const HEAD: &str = "title = \"T\"\nsummary = \"S\"\n";

    #[test]
    fn steps_are_numbered_and_and_or_steps_are_named() {
        let text = format!(
            "{HEAD}[[step]]\ntitle = \"A\"\nkind = \"step\"\nsummary = \"a\"\n\
             [[step]]\ntitle = \"B\"\nkind = \"and\"\nsummary = \"b\"\n\
             [[step]]\ntitle = \"C\"\nkind = \"step\"\nsummary = \"c\"\n\
             [[step]]\ntitle = \"D\"\nkind = \"or\"\nsummary = \"d\"\n"
        );
        let route = parse(&text).unwrap();
        let labels: Vec<&str> = route.steps.iter().map(|s| s.label.as_str()).collect();
        assert_eq!(labels, ["1", "and", "2", "or"]);
        assert_eq!(route.steps[2].id, "step-3");
        assert_eq!(route.steps[2].name(), "Step 2");
    }

    #[test]
    fn an_article_in_two_steps_is_refused_on_its_line() {
        let text = format!(
            "{HEAD}[[step]]\ntitle = \"A\"\nkind = \"step\"\nsummary = \"a\"\narticles = [\"x\"]\n\
             [[step]]\ntitle = \"B\"\nkind = \"step\"\nsummary = \"b\"\narticles = [\"x\"]\n"
        );
        let problems = parse(&text).unwrap_err();
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert_eq!(problems[0].line, 12);
        assert!(problems[0].message.contains("one step only"));
    }

    #[test]
    fn the_first_step_cannot_be_an_alternative() {
        let text = format!("{HEAD}[[step]]\ntitle = \"A\"\nkind = \"or\"\nsummary = \"a\"\n");
        let problems = parse(&text).unwrap_err();
        assert_eq!(problems[0].line, 3);
    }

    #[test]
    fn an_unknown_kind_names_its_line() {
        let text = format!("{HEAD}[[step]]\ntitle = \"A\"\nkind = \"then\"\nsummary = \"a\"\n");
        let problems = parse(&text).unwrap_err();
        assert_eq!(problems[0].line, 5, "{problems:?}");
    }
}
