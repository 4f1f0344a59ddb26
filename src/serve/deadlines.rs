//! `/deadlines` and `/deadlines.ics`: the deadline checker. Every answer
//! lives in the query string (a letter type and a date, never anything
//! the reader wrote), so each step is a link; nothing is kept.

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, Uri, header};
use axum::response::Response;

use super::handlers::not_found_page;
use super::respond;
use super::state::AppState;
use crate::render::Pages;
use crate::render::deadlines::{self as pages, Question};
use crate::tools::deadlines::{Answers, Step, ics, next_step, today_in_uk};

/// The answers in `uri`'s query, and which question (if any) the reader
/// asked to change. Unknown names are ignored; a repeated name keeps its
/// first value.
fn answers(uri: &Uri) -> (Answers, Option<Question>, bool) {
    let mut answers = Answers::default();
    let mut change = None;
    let query = uri.query().unwrap_or("");
    for (name, value) in form_urlencoded::parse(query.as_bytes()) {
        let slot = match name.as_ref() {
            "letter" => &mut answers.letter,
            "day" => &mut answers.day,
            "month" => &mut answers.month,
            "year" => &mut answers.year,
            "nation" => &mut answers.nation,
            "change" => {
                change = change.or_else(|| Question::parse(&value));
                continue;
            }
            _ => continue,
        };
        if slot.is_none() {
            // Long enough for any real answer; a pasted essay is cut.
            *slot = Some(value.chars().take(40).collect());
        }
    }
    (answers, change, !query.is_empty())
}

/// A page that is this reader's alone and changes every day: never kept by
/// a shared cache.
fn private_html(status: StatusCode, body: String) -> Response {
    let mut response = respond::dynamic_html(status, body);
    response.headers_mut().insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-store"),
    );
    response
}

fn failed(pages: &Pages, error: &askama::Error) -> Response {
    tracing::error!("a deadline page failed to render: {error}");
    respond::plain_page(
        StatusCode::INTERNAL_SERVER_ERROR,
        pages.error_page.body.clone(),
    )
}

/// `GET /deadlines`: the start page, the next question, or the result.
pub async fn page(State(state): State<AppState>, request: Request) -> Response {
    let pages = state.current();
    let Some(rules) = &pages.site.deadlines else {
        return not_found_page(&pages, request.headers());
    };
    let (answers, change, asked) = answers(request.uri());
    let rendered = if !asked {
        pages::start(&pages.site, rules)
    } else {
        let step = next_step(rules, &answers, today_in_uk());
        match (change, &step) {
            // Asked to change an answer the flow has already accepted.
            (Some(question), Step::Outcome(outcome)) => pages::question_page(
                &pages.site,
                rules,
                &answers,
                question,
                Some(outcome.letter),
                &[],
            ),
            _ => pages::step(&pages.site, rules, &answers, &step),
        }
    };
    match rendered {
        Ok(body) => private_html(StatusCode::OK, body),
        Err(error) => failed(&pages, &error),
    }
}

/// `GET /deadlines.ics`: the last day as a calendar event, for a deadline
/// still to come; otherwise a 404 that links back to the result.
pub async fn calendar(State(state): State<AppState>, request: Request) -> Response {
    let pages = state.current();
    let Some(rules) = &pages.site.deadlines else {
        return not_found_page(&pages, request.headers());
    };
    let (answers, _, _) = answers(request.uri());
    let query = pages::query(&answers, &[]);
    let result_url = format!("{}/deadlines?{query}", pages.site.config.base_url);
    let step = next_step(rules, &answers, today_in_uk());
    let file = match &step {
        Step::Outcome(outcome) => ics(outcome, &result_url, time::OffsetDateTime::now_utc()),
        _ => None,
    };
    match file {
        Some(file) => {
            let mut response = Response::new(Body::from(file));
            let headers = response.headers_mut();
            headers.insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/calendar; charset=utf-8"),
            );
            headers.insert(
                header::CONTENT_DISPOSITION,
                HeaderValue::from_static("attachment; filename=\"deadline.ics\""),
            );
            headers.insert(
                header::CACHE_CONTROL,
                HeaderValue::from_static("private, no-store"),
            );
            response
        }
        None => no_calendar(&pages, &query),
    }
}

/// 404 for a calendar file there is nothing to put in: the date has passed
/// or the answers are incomplete. The page links back to the result.
fn no_calendar(pages: &Pages, query: &str) -> Response {
    match pages::no_calendar(&pages.site, &format!("/deadlines?{query}")) {
        Ok(body) => private_html(StatusCode::NOT_FOUND, body),
        Err(error) => failed(pages, &error),
    }
}
