//! The URL space the site keeps for itself, which no article slug or alias
//! may take. `serve::routes` answers these; the model only needs to know
//! they are taken.

/// First path segments the site owns; no article may take one as its slug.
pub const RESERVED: &[&str] = &[
    "static",
    "preview",
    "healthz",
    "deadlines",
    "deadlines.ics",
    "challenge-a-decision",
    "get-help",
    "browse-safely",
    "letters",
    "feedback",
    "privacy",
    "topics",
    "glossary",
    "search",
];

/// Paths the site answers with one prepared response each.
pub const FIXED: &[&str] = &[
    "/feed.xml",
    "/sitemap.xml",
    "/robots.txt",
    "/favicon.ico",
    "/apple-touch-icon.png",
    "/.well-known/security.txt",
    "/healthz",
    "/privacy",
];

/// Paths answered per request by the application (never prepared, never in
/// the static export, whose nginx configuration proxies them).
pub const DYNAMIC: &[&str] = &["/deadlines", "/deadlines.ics", "/feedback", "/search"];

/// Path prefixes whose pages take posted forms: the static export proxies
/// everything under them to the application.
pub const POSTED: &[&str] = &["/letters"];
