//! `POST /letters/<slug>`: a letter written from the answers in the posted
//! form, as a page, a Word file or plain text. Nothing posted is stored,
//! logged or put in a URL: the answers live in this request and go out in
//! its response, marked `no-store`.

use axum::body::Body;
use axum::extract::{Path, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;

use super::form;
use super::handlers::not_found_page;
use super::respond;
use super::state::AppState;
use crate::render::Pages;
use crate::render::letters as pages;
use crate::tools::deadlines::today_in_uk;
use crate::tools::letters::Letter;

/// What the reader asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    Page,
    Word,
    Text,
}

/// Answers the posted form of the letter at `slug`.
pub async fn submit(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    request: Request,
) -> Response {
    let pages = state.pages();
    let Some(letter) = pages.site.letters.as_ref().and_then(|l| l.get(&slug)) else {
        return not_found_page(&pages, request.headers());
    };
    let deadline = pages.site.config.server.body_timeout;
    let (parts, body) = request.into_parts();
    let pairs = match form::read(&parts.headers, body, deadline).await {
        Ok(pairs) => pairs,
        Err(refused) => return refused.respond(&pages),
    };
    let format = match pairs.iter().find(|(name, _)| name == "format") {
        Some((_, value)) if value == "docx" => Format::Word,
        Some((_, value)) if value == "txt" => Format::Text,
        _ => Format::Page,
    };
    let today = today_in_uk();
    let answers = match letter.validate(&pairs, today) {
        Ok(answers) => answers,
        Err(errors) => {
            return match pages::form(&pages.site, letter, Some(&errors)) {
                Ok(html) => private(respond::dynamic_html(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    html,
                )),
                Err(e) => failed(&pages, &e.to_string()),
            };
        }
    };
    let written = match letter.render(&answers, today) {
        Ok(written) => written,
        Err(e) => return failed(&pages, &e.to_string()),
    };
    match format {
        Format::Page => {
            // Carried back in the download forms: the answers as posted,
            // without the choice of format.
            let posted: Vec<(String, String)> = pairs
                .into_iter()
                .filter(|(name, _)| known(letter, name))
                .collect();
            match pages::letter(&pages.site, letter, &written, &posted) {
                Ok(html) => private(respond::dynamic_html(StatusCode::OK, html)),
                Err(e) => failed(&pages, &e.to_string()),
            }
        }
        Format::Text => download(
            written.to_text().into_bytes(),
            "text/plain; charset=utf-8",
            &format!("{}.txt", letter.slug),
        ),
        Format::Word => match written.to_docx() {
            Ok(bytes) => download(
                bytes,
                "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
                &format!("{}.docx", letter.slug),
            ),
            Err(e) => failed(&pages, &e.to_string()),
        },
    }
}

/// Whether `name` is one of the letter's inputs (a date posts three).
fn known(letter: &Letter, name: &str) -> bool {
    let base = name
        .strip_suffix("-day")
        .or_else(|| name.strip_suffix("-month"))
        .or_else(|| name.strip_suffix("-year"))
        .unwrap_or(name);
    letter.field(name).is_some() || letter.field(base).is_some()
}

/// Marks an answer built from what a reader typed: no cache may keep it.
fn private(mut response: Response) -> Response {
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

fn download(bytes: Vec<u8>, content_type: &'static str, file_name: &str) -> Response {
    let mut response = Response::new(Body::from(bytes));
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    if let Ok(value) = HeaderValue::from_str(&format!("attachment; filename=\"{file_name}\"")) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    private(response)
}

/// Our error page. The cause is logged without any of the answers.
fn failed(pages: &Pages, cause: &str) -> Response {
    tracing::error!("a letter failed to render: {cause}");
    private(respond::plain_page(
        StatusCode::INTERNAL_SERVER_ERROR,
        pages.error_page.body.clone(),
    ))
}
