//! Site configuration: `site.toml`, with per-deployment overrides.

use std::net::SocketAddr;
use std::path::Path;

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
    pub server: crate::server::Limits,
    /// What `check` warns about.
    #[serde(default)]
    pub check: crate::lint::CheckConfig,
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
    fn relative_base_url_is_refused() {
        let text = GOOD.replace("https://example.org/\"", "example.org\"");
        let mut c = SiteConfig::parse(Path::new("site.toml"), &text).unwrap();
        let err = c.validate(Path::new("site.toml"), &text).unwrap_err();
        assert_eq!(err.line, 4, "{err}");
    }
}
