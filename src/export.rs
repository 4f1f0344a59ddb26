//! Static export: the whole site as files, byte for byte what the server
//! sends, for any static host or CDN, plus nginx configuration.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use crate::render::Pages;
use crate::render::encoding::Encoding;
use crate::render::prepared::Prepared;
use crate::serve::middleware as http;

/// What `build` wrote.
#[derive(Debug, Default)]
pub struct Summary {
    /// Files written, compressed siblings included.
    pub files: usize,
    /// Bytes written.
    pub bytes: u64,
}

/// The file a URL path is written to, relative to the output folder.
/// Pages have no extension in their URL, so they are written as `.html`
/// and a server maps `/slug` to `slug.html`.
pub fn file_for(path: &str, prepared: &Prepared) -> PathBuf {
    let relative = path.trim_start_matches('/');
    if relative.is_empty() {
        return PathBuf::from("index.html");
    }
    let is_page = prepared.content_type.starts_with("text/html") && !relative.contains('.');
    if is_page {
        PathBuf::from(format!("{relative}.html"))
    } else {
        PathBuf::from(relative)
    }
}

fn write(out: &Path, relative: &Path, bytes: &[u8], summary: &mut Summary) -> std::io::Result<()> {
    let target = out.join(relative);
    if let Some(parent) = target.parent() {
        std::fs::create_dir_all(parent)?;
    }
    std::fs::write(&target, bytes).map_err(|e| {
        std::io::Error::new(e.kind(), format!("cannot write {}: {e}", target.display()))
    })?;
    summary.files += 1;
    summary.bytes += bytes.len() as u64;
    Ok(())
}

fn write_prepared(
    out: &Path,
    relative: &Path,
    prepared: &Prepared,
    summary: &mut Summary,
) -> std::io::Result<()> {
    write(out, relative, &prepared.body, summary)?;
    for encoding in [Encoding::Gzip, Encoding::Brotli] {
        let (body, _, chosen) = prepared.variant(encoding);
        if chosen == encoding {
            let mut name = relative.as_os_str().to_owned();
            name.push(encoding.suffix());
            write(out, Path::new(&name), body, summary)?;
        }
    }
    Ok(())
}

/// Writes every URL of `pages` under `out`, with `.gz` and `.br` siblings,
/// a `404.html`, and `nginx/` configuration that serves it all with the
/// same headers and redirects as the server.
pub fn build(pages: &Pages, out: &Path) -> std::io::Result<Summary> {
    let mut summary = Summary::default();
    std::fs::create_dir_all(out)?;
    let mut paths: Vec<&String> = pages.responses.keys().collect();
    paths.sort();
    for path in paths {
        if path == "/healthz" {
            // A liveness probe belongs to a running server, not to files.
            continue;
        }
        let prepared = &pages.responses[path];
        write_prepared(out, &file_for(path, prepared), prepared, &mut summary)?;
    }
    let mut previews: Vec<&String> = pages.previews.keys().collect();
    previews.sort();
    for path in previews {
        let png = pages.previews[path]
            .png()
            .ok_or_else(|| std::io::Error::other(format!("drawing {path} failed")))?;
        write_prepared(out, &file_for(path, &png), &png, &mut summary)?;
    }
    write_prepared(out, Path::new("404.html"), &pages.not_found, &mut summary)?;
    let root = std::fs::canonicalize(out)?;
    write(
        out,
        Path::new("nginx/redirects.conf"),
        redirects_conf(pages).as_bytes(),
        &mut summary,
    )?;
    write(
        out,
        Path::new("nginx/site.conf"),
        site_conf(pages, &root).as_bytes(),
        &mut summary,
    )?;
    Ok(summary)
}

/// One exact-match `location` per old path, each a single 301 hop.
pub fn redirects_conf(pages: &Pages) -> String {
    let mut conf = String::from("# Old paths of articles (their `aliases`): one 301 hop each.\n");
    let mut redirects: Vec<(&String, &String)> = pages.site.redirects.iter().collect();
    redirects.sort();
    for (from, to) in redirects {
        let _ = writeln!(conf, "location = {from} {{ return 301 {to}; }}");
    }
    conf
}

/// A `server { ... }` body for nginx serving the export at `root`: the
/// same headers, caching and redirects as the Rust server.
pub fn site_conf(pages: &Pages, root: &Path) -> String {
    let root = root.display();
    let https = pages.site.config.base_url.starts_with("https://");
    let mut headers = String::new();
    for (name, value) in http::security_header_list(https, false) {
        let _ = writeln!(
            headers,
            "    add_header {} \"{}\" always;",
            name.as_str(),
            value.to_str().unwrap_or("")
        );
    }
    let app = pages.site.config.listen;
    let mut dynamic = String::new();
    for path in crate::site::paths::DYNAMIC {
        let _ = writeln!(
            dynamic,
            "location = {path} {{\n    proxy_pass http://{app};\n    proxy_set_header Host $host;\n    proxy_set_header X-Real-IP $remote_addr;\n}}"
        );
    }
    for prefix in crate::site::paths::POSTED {
        let _ = writeln!(
            dynamic,
            "location ^~ {prefix} {{\n    proxy_pass http://{app};\n    proxy_set_header Host $host;\n}}"
        );
    }
    format!(
        r#"# nginx configuration for the static export in {root}. Include it in a
# server block:  server {{ listen 80; include {root}/nginx/site.conf; }}
# Needs only stock nginx: precompressed .gz files are served by gzip_static.
# Pages made per request (the deadline checker) and pages that take posted
# forms (the letters) are proxied to the application at {app} (`listen` when
# this was built); it sets its own headers.
root {root};
charset utf-8;
charset_types text/css text/plain application/atom+xml application/xml image/svg+xml text/javascript;
types {{
    text/html html;
    text/css css;
    text/javascript js;
    text/plain txt;
    application/atom+xml xml;
    image/png png ico;
    image/svg+xml svg;
}}
default_type application/octet-stream;
gzip_static on;
gzip_vary on;
etag on;
server_tokens off;
error_page 404 /404.html;
include {root}/nginx/redirects.conf;

location = /sitemap.xml {{
    types {{ }} default_type application/xml;
{headers}    add_header Cache-Control "{revalidate}" always;
}}
location ^~ /static/ {{
{headers}    add_header Cache-Control "{revalidate}" always;
    location ~ "\.[0-9a-f]{{12}}\.[a-z0-9]+$" {{
{headers}        add_header Cache-Control "{immutable}" always;
    }}
}}
location ^~ /preview/ {{
{headers}    add_header Cache-Control "{immutable}" always;
}}
location ^~ /nginx/ {{ return 404; }}
{dynamic}location / {{
{headers}    add_header Cache-Control "{revalidate}" always;
    try_files $uri $uri.html =404;
}}
"#,
        revalidate = crate::render::prepared::REVALIDATE,
        immutable = crate::render::prepared::IMMUTABLE,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{Overrides, SiteConfig};
    use crate::site::LoadOptions;

    #[test]
    fn dynamic_paths_are_proxied_to_the_application() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let config = SiteConfig::load(&root.join("site.toml"), &Overrides::default()).unwrap();
        let listen = config.listen;
        let options = LoadOptions {
            content_dir: root.join("content"),
            static_dir: root.join("static"),
            drafts: false,
        };
        let pages = crate::load::load(config, &options).unwrap();
        let conf = site_conf(&pages, Path::new("/srv/site"));
        for path in crate::site::paths::DYNAMIC {
            assert!(
                conf.contains(&format!(
                    "location = {path} {{\n    proxy_pass http://{listen};"
                )),
                "{path} is not proxied:\n{conf}"
            );
        }
        assert!(
            conf.contains(&format!(
                "location ^~ /letters {{\n    proxy_pass http://{listen};"
            )),
            "the letters are not proxied:\n{conf}"
        );
    }

    #[test]
    fn topics_and_the_glossary_are_exported_as_files_nginx_serves_itself() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let config = SiteConfig::load(&root.join("site.toml"), &Overrides::default()).unwrap();
        let options = LoadOptions {
            content_dir: root.join("content"),
            static_dir: root.join("static"),
            drafts: false,
        };
        let pages = crate::load::load(config, &options).unwrap();
        let topic = pages.site.topics.first().expect("the articles have tags");
        for (path, file) in [
            ("/topics".to_string(), "topics.html".to_string()),
            (topic.url(), format!("topics/{}.html", topic.slug)),
            ("/glossary".to_string(), "glossary.html".to_string()),
        ] {
            let prepared = pages.responses.get(&path).expect("prepared at load");
            assert_eq!(file_for(&path, prepared), PathBuf::from(file));
        }
        // `try_files $uri $uri.html` finds them; nothing sends them to the
        // application.
        let conf = site_conf(&pages, Path::new("/srv/site"));
        assert!(!conf.contains("location ^~ /topics"), "{conf}");
        assert!(!conf.contains("location = /glossary"), "{conf}");
        assert!(conf.contains("try_files $uri $uri.html =404;"), "{conf}");
    }

    #[test]
    fn pages_become_html_files_and_other_paths_stay() {
        let page = Prepared::new("<p>x</p>", "text/html; charset=utf-8", "x");
        let css = Prepared::new("a{}", "text/css; charset=utf-8", "x");
        assert_eq!(file_for("/", &page), PathBuf::from("index.html"));
        assert_eq!(
            file_for("/can-you-sue", &page),
            PathBuf::from("can-you-sue.html")
        );
        assert_eq!(
            file_for("/static/site.css", &css),
            PathBuf::from("static/site.css")
        );
        assert_eq!(file_for("/feed.xml", &css), PathBuf::from("feed.xml"));
    }
}
