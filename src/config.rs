//! Site configuration: `site.toml`, with per-deployment overrides.

use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

use serde::Deserialize;

use crate::error::{Problem, toml_problem};

/// Where the server listens when nothing else says.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:3000";

/// The settings in `site.toml`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SiteConfig {
    /// The site's name, shown in the header and page titles.
    pub title: String,
    /// One line under the name saying what the site is for.
    pub tagline: String,
    /// Public address of the site, without a trailing slash.
    pub base_url: String,
    /// Socket address the server binds.
    #[serde(default = "default_listen")]
    pub listen: SocketAddr,
    /// Text at the foot of every page.
    pub footer: String,
    /// Where to report a security problem (a `mailto:` or `https:` URI),
    /// published in `/.well-known/security.txt`.
    pub security_contact: String,
    /// The author's support link.
    pub support: Support,
    /// Connection limits and timeouts.
    #[serde(default)]
    pub server: Limits,
    /// What `check` warns about.
    #[serde(default)]
    pub check: CheckConfig,
    /// The "Is this page useful?" form and where its answers are kept.
    #[serde(default)]
    pub feedback: FeedbackConfig,
}

/// `[feedback]` in `site.toml`.
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct FeedbackConfig {
    /// A PostgreSQL connection string (`postgres://…`); without it the
    /// answers go to SQLite in the data folder.
    pub database: Option<String>,
    /// Days an answer is kept before it is deleted.
    pub retain_days: u32,
    /// Answers one address may send in a minute; 0 turns the limit off.
    pub per_minute: u32,
}

impl Default for FeedbackConfig {
    fn default() -> Self {
        Self {
            database: None,
            retain_days: 365,
            per_minute: 10,
        }
    }
}

impl std::fmt::Debug for FeedbackConfig {
    // The connection string may hold a password.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FeedbackConfig")
            .field("database", &self.database.as_ref().map(|_| "…"))
            .field("retain_days", &self.retain_days)
            .field("per_minute", &self.per_minute)
            .finish()
    }
}

/// The support call to action shown after every article and in the footer.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Support {
    /// Where the link goes.
    pub url: String,
    /// The sentence that introduces the link.
    pub line: String,
    /// The link's own text; it must make sense read on its own.
    pub label: String,
}

/// Connection limits and timeouts; `[server]` in `site.toml`, in seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(from = "RawLimits")]
pub struct Limits {
    /// Time a client may take to send a request's head. The clock starts
    /// whenever the connection waits for a request, so it also caps how
    /// long a keep-alive connection may idle.
    pub header_read_timeout: Duration,
    /// Time a new connection may take to send its first byte.
    pub first_byte_timeout: Duration,
    /// Time an open connection may go with no bytes either way.
    pub idle_timeout: Duration,
    /// Connections open at once; more wait in the kernel's listen queue.
    pub max_connections: usize,
    /// Time requests in flight get after a shutdown signal.
    pub shutdown_deadline: Duration,
    /// Longest request target; longer gets 414.
    pub max_uri_bytes: usize,
    /// Most bytes of request headers; more gets 431.
    pub max_header_bytes: usize,
    /// Most bytes of a posted form; more gets 413.
    pub max_body_bytes: usize,
    /// Time a client may take to send a request's body; longer gets 408.
    pub body_timeout: Duration,
    /// Time a request may take from its head to its answer; longer gets 503.
    pub request_timeout: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        RawLimits::default().into()
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, default)]
struct RawLimits {
    header_read_timeout: u64,
    first_byte_timeout: u64,
    idle_timeout: u64,
    max_connections: usize,
    shutdown_deadline: u64,
    max_uri_bytes: usize,
    max_header_bytes: usize,
    max_body_bytes: usize,
    body_timeout: u64,
    request_timeout: u64,
}

impl Default for RawLimits {
    fn default() -> Self {
        Self {
            header_read_timeout: 10,
            first_byte_timeout: 5,
            idle_timeout: 5,
            max_connections: 4096,
            shutdown_deadline: 10,
            max_uri_bytes: 8192,
            max_header_bytes: 16384,
            max_body_bytes: 32 * 1024,
            body_timeout: 10,
            request_timeout: 30,
        }
    }
}

impl From<RawLimits> for Limits {
    fn from(raw: RawLimits) -> Self {
        Self {
            header_read_timeout: Duration::from_secs(raw.header_read_timeout.max(1)),
            first_byte_timeout: Duration::from_secs(raw.first_byte_timeout.max(1)),
            idle_timeout: Duration::from_secs(raw.idle_timeout.max(1)),
            max_connections: raw.max_connections.max(1),
            shutdown_deadline: Duration::from_secs(raw.shutdown_deadline),
            max_uri_bytes: raw.max_uri_bytes.max(256),
            max_header_bytes: raw.max_header_bytes.max(1024),
            max_body_bytes: raw.max_body_bytes.max(1024),
            body_timeout: Duration::from_secs(raw.body_timeout.max(1)),
            request_timeout: Duration::from_secs(raw.request_timeout.max(1)),
        }
    }
}

/// Settings for the warnings; `[check]` in `site.toml`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CheckConfig {
    /// An article whose `reviewed` date is older than this many days gets
    /// a warning.
    pub review_after_days: u32,
}

impl Default for CheckConfig {
    fn default() -> Self {
        Self {
            review_after_days: 365,
        }
    }
}

/// Settings that differ per deployment and win over `site.toml`.
#[derive(Debug, Clone, Default)]
pub struct Overrides {
    /// Replaces `listen`.
    pub listen: Option<SocketAddr>,
    /// Replaces `base_url`.
    pub base_url: Option<String>,
}

fn default_listen() -> SocketAddr {
    DEFAULT_LISTEN
        .parse()
        .expect("the default address is valid")
}

impl SiteConfig {
    /// Reads and checks `path`, then applies `overrides`.
    pub fn load(path: &Path, overrides: &Overrides) -> Result<Self, Problem> {
        let text = std::fs::read_to_string(path).map_err(|e| {
            Problem::new(
                path,
                1,
                format!("cannot read the site configuration ({e}); create it or pass --config"),
            )
        })?;
        let mut config = Self::parse(path, &text)?;
        if let Some(listen) = overrides.listen {
            config.listen = listen;
        }
        if let Some(base_url) = &overrides.base_url {
            config.base_url = base_url.clone();
        }
        config.validate(path, &text)?;
        Ok(config)
    }

    /// Parses the text of a configuration file.
    pub fn parse(path: &Path, text: &str) -> Result<Self, Problem> {
        toml::from_str(text).map_err(|e| toml_problem(path, text, 1, "site.toml", &e))
    }

    fn validate(&mut self, path: &Path, text: &str) -> Result<(), Problem> {
        let line_with = |key: &str| {
            text.lines()
                .position(|l| l.trim_start().starts_with(key))
                .map_or(1, |i| i + 1)
        };
        let base = self.base_url.trim_end_matches('/');
        if !(base.starts_with("https://") || base.starts_with("http://")) || base.contains(' ') {
            return Err(Problem::new(
                path,
                line_with("base_url"),
                format!(
                    "base_url `{}` must be an absolute http(s) address like https://example.org",
                    self.base_url
                ),
            ));
        }
        self.base_url = base.to_string();
        if !(self.security_contact.starts_with("mailto:")
            || self.security_contact.starts_with("https://"))
        {
            return Err(Problem::new(
                path,
                line_with("security_contact"),
                "security_contact must be a mailto: or https:// address",
            ));
        }
        if let Some(url) = &self.feedback.database
            && !(url.starts_with("postgres://") || url.starts_with("postgresql://"))
        {
            return Err(Problem::new(
                path,
                line_with("database"),
                "feedback.database must be a postgres:// address; leave it out to keep feedback in SQLite in the data folder",
            ));
        }
        if !self.support.url.starts_with("https://") {
            return Err(Problem::new(
                path,
                line_with("url"),
                "support.url must be an https:// address",
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_read_from_toml_in_seconds_with_defaults() {
        let limits: Limits =
            toml::from_str("header_read_timeout = 3\nmax_connections = 7").unwrap();
        assert_eq!(limits.header_read_timeout, Duration::from_secs(3));
        assert_eq!(limits.max_connections, 7);
        assert_eq!(limits.idle_timeout, Limits::default().idle_timeout);
        assert_eq!(limits.max_body_bytes, 32 * 1024);
    }

    #[test]
    fn unknown_limit_is_refused() {
        assert!(toml::from_str::<Limits>("header_timeout = 3").is_err());
    }

    const GOOD: &str = r#"
title = "T"
tagline = "Tag"
base_url = "https://example.org/"
footer = "F"
security_contact = "mailto:security@example.org"
[support]
url = "https://example.org/support"
line = "Support us."
label = "Support"
"#;

    #[test]
    fn trailing_slash_is_trimmed_and_listen_defaults() {
        let mut c = SiteConfig::parse(Path::new("site.toml"), GOOD).unwrap();
        c.validate(Path::new("site.toml"), GOOD).unwrap();
        assert_eq!(c.base_url, "https://example.org");
        assert_eq!(c.listen.to_string(), DEFAULT_LISTEN);
    }

    #[test]
    fn unknown_setting_names_its_line() {
        let text = format!("{GOOD}\ncolour = \"red\"\n");
        let err = SiteConfig::parse(Path::new("site.toml"), &text).unwrap_err();
        assert!(err.message.contains("colour"), "{err}");
        assert_eq!(err.line, 12, "{err}");
    }

    #[test]
    fn feedback_defaults_to_sqlite_a_year_and_ten_a_minute() {
        let c = SiteConfig::parse(Path::new("site.toml"), GOOD).unwrap();
        assert_eq!(c.feedback.database, None);
        assert_eq!(c.feedback.retain_days, 365);
        assert_eq!(c.feedback.per_minute, 10);
    }

    #[test]
    fn a_feedback_database_that_is_not_postgres_names_its_line() {
        let text = format!("{GOOD}[feedback]\ndatabase = \"mysql://x\"\n");
        let mut c = SiteConfig::parse(Path::new("site.toml"), &text).unwrap();
        let err = c.validate(Path::new("site.toml"), &text).unwrap_err();
        assert_eq!(err.line, 12, "{err}");
    }

    #[test]
    fn the_feedback_database_password_is_not_printed() {
        let text = format!("{GOOD}[feedback]\ndatabase = \"postgres://u:secret@h/db\"\n");
        let c = SiteConfig::parse(Path::new("site.toml"), &text).unwrap();
        assert!(!format!("{c:?}").contains("secret"));
    }

    #[test]
    fn relative_base_url_is_refused() {
        let text = GOOD.replace("https://example.org/\"", "example.org\"");
        let mut c = SiteConfig::parse(Path::new("site.toml"), &text).unwrap();
        let err = c.validate(Path::new("site.toml"), &text).unwrap_err();
        assert_eq!(err.line, 4, "{err}");
    }
}
