//! Share links: plain links that prefill each service with the title and
//! URL. No third-party script, no tracking parameters.

use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};

/// One way to share a page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShareLink {
    /// Link text; says where it goes.
    pub label: &'static str,
    /// Short class name for styling.
    pub service: &'static str,
    /// The prefilled address.
    pub href: String,
}

fn enc(s: &str) -> String {
    utf8_percent_encode(s, NON_ALPHANUMERIC).to_string()
}

/// The share links for a page at absolute `url` with `title`.
pub fn links(url: &str, title: &str) -> Vec<ShareLink> {
    let (u, t) = (enc(url), enc(title));
    let text = enc(&format!("{title} {url}"));
    vec![
        ShareLink {
            label: "Share by email",
            service: "email",
            href: format!("mailto:?subject={t}&body={text}"),
        },
        ShareLink {
            label: "Share on WhatsApp",
            service: "whatsapp",
            href: format!("https://wa.me/?text={text}"),
        },
        ShareLink {
            label: "Share on Facebook",
            service: "facebook",
            href: format!("https://www.facebook.com/sharer/sharer.php?u={u}"),
        },
        ShareLink {
            label: "Share on X",
            service: "x",
            href: format!("https://x.com/intent/post?text={t}&url={u}"),
        },
        ShareLink {
            label: "Share on Bluesky",
            service: "bluesky",
            href: format!("https://bsky.app/intent/compose?text={text}"),
        },
        ShareLink {
            label: "Share on LinkedIn",
            service: "linkedin",
            href: format!("https://www.linkedin.com/sharing/share-offsite/?url={u}"),
        },
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_link_carries_the_encoded_url_and_nothing_to_track() {
        let url = "https://example.org/can-you-sue-the-cms";
        for link in links(url, "Can you sue? Yes & no") {
            assert!(
                link.href
                    .contains("https%3A%2F%2Fexample%2Eorg%2Fcan%2Dyou%2Dsue%2Dthe%2Dcms"),
                "{link:?}"
            );
            assert!(!link.href.contains("utm_"), "{link:?}");
            assert!(!link.href.contains(' '), "{link:?}");
        }
    }

    #[test]
    fn title_is_encoded_so_it_cannot_break_the_query() {
        let email = &links("https://e.org/x", "A & B?")[0];
        assert!(
            email
                .href
                .starts_with("mailto:?subject=A%20%26%20B%3F&body="),
            "{}",
            email.href
        );
    }
}
