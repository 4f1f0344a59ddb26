//! The `advice-site` command: serve the site, or check its content.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Instant;

use clap::{Parser, Subcommand};

use advice_site::config::{Overrides, SiteConfig};
use advice_site::error::LoadError;
use advice_site::render::Pages;
use advice_site::serve::feedback::Feedback;
use advice_site::serve::{self, AppState, reload, server};
use advice_site::site::LoadOptions;
use advice_site::store;

// glibc's malloc gives brotli's multi-megabyte tables back to the kernel
// after every page and faults them in again for the next, which doubled
// load time; mimalloc keeps and reuses them.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Serves the advice site, or checks its content without serving it.
#[derive(Parser)]
#[command(version, about)]
struct Cli {
    /// Site configuration file.
    #[arg(
        long,
        global = true,
        env = "ADVICE_SITE_CONFIG",
        default_value = "site.toml"
    )]
    config: PathBuf,
    /// Folder of article files.
    #[arg(
        long,
        global = true,
        env = "ADVICE_SITE_CONTENT",
        default_value = "content"
    )]
    content: PathBuf,
    /// Folder of static files.
    #[arg(
        long = "static",
        global = true,
        env = "ADVICE_SITE_STATIC",
        default_value = "static"
    )]
    static_dir: PathBuf,
    /// Include articles marked `draft = true`.
    #[arg(long, global = true)]
    drafts: bool,
    /// Public address of the site (overrides `base_url` in the configuration).
    #[arg(long, global = true, env = "ADVICE_SITE_BASE_URL")]
    base_url: Option<String>,
    /// Folder for the feedback database (SQLite), created if missing.
    #[arg(long, global = true, env = "ADVICE_SITE_DATA", default_value = "data")]
    data: PathBuf,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the site (the default).
    Serve {
        /// Address to listen on (overrides `listen` in the configuration).
        #[arg(long, env = "ADVICE_SITE_LISTEN")]
        listen: Option<SocketAddr>,
        /// Do not watch for edits (SIGHUP still reloads).
        #[arg(long, env = "ADVICE_SITE_NO_WATCH")]
        no_watch: bool,
    },
    /// Load and check everything, print each problem and warning as
    /// `file:line: message`, and exit non-zero if there is a problem.
    Check {
        /// Fail on warnings too (long summary, stale review date, article
        /// nothing links to, image without alt text, skipped heading level).
        #[arg(long)]
        strict: bool,
    },
    /// Print each page's Yes and No counts and its latest comments.
    Feedback {
        #[command(subcommand)]
        action: Option<FeedbackAction>,
    },
    /// Write the whole site as static files (with .gz and .br siblings and
    /// nginx configuration) for a static host or CDN.
    Build {
        /// Folder to write to; created if missing.
        #[arg(long)]
        out: PathBuf,
    },
}

#[derive(Subcommand)]
enum FeedbackAction {
    /// Write every entry to standard output as CSV, with a header row.
    Export,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let listen = match &cli.command {
        Some(Command::Serve { listen, .. }) => *listen,
        _ => None,
    };
    let overrides = Overrides {
        listen,
        base_url: cli.base_url.clone(),
    };
    let options = LoadOptions {
        content_dir: cli.content.clone(),
        static_dir: cli.static_dir.clone(),
        drafts: cli.drafts,
    };
    match cli.command {
        Some(Command::Check { strict }) => {
            check(&cli.config, &overrides, &options, &cli.data, strict)
        }
        Some(Command::Feedback { action }) => {
            feedback(&cli.config, &overrides, &cli.data, action.is_some())
        }
        Some(Command::Build { ref out }) => build(&cli.config, &overrides, &options, out),
        Some(Command::Serve { no_watch, .. }) => {
            serve(&cli.config, &overrides, &options, &cli.data, !no_watch)
        }
        None => serve(&cli.config, &overrides, &options, &cli.data, true),
    }
}

fn load(
    config: &std::path::Path,
    overrides: &Overrides,
    options: &LoadOptions,
) -> Result<Pages, LoadError> {
    let config = SiteConfig::load(config, overrides)?;
    advice_site::load::load(config, options)
}

fn report(err: &LoadError) {
    for problem in &err.problems {
        eprintln!("{problem}");
    }
    let n = err.problems.len();
    eprintln!("{n} problem{} found", if n == 1 { "" } else { "s" });
}

/// Opens the feedback store on a runtime of its own, for the CLI.
fn with_store<T>(
    config: &SiteConfig,
    data: &std::path::Path,
    work: impl AsyncFnOnce(&store::Store) -> Result<T, store::StoreError>,
) -> Result<T, String> {
    let place = store::Place::new(config.feedback.database.as_deref(), data);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the async runtime: {e}"))?;
    runtime.block_on(async {
        let store = store::Store::open(place.clone())
            .await
            .map_err(|e| format!("cannot open the feedback store ({place}): {e}"))?;
        work(&store).await.map_err(|e| e.to_string())
    })
}

/// Whether there is feedback to read: PostgreSQL is configured, or the
/// SQLite file exists (`check` must not create one).
fn has_feedback(config: &SiteConfig, data: &std::path::Path) -> bool {
    config.feedback.database.is_some() || data.join(store::SQLITE_FILE).exists()
}

/// Pages with more No than Yes in the last 90 days, as warnings for
/// `check` (not failures: readers' answers are not the author's mistake).
fn unhelpful_pages(config: &SiteConfig, data: &std::path::Path) -> Vec<String> {
    if !has_feedback(config, data) {
        return Vec::new();
    }
    let since = advice_site::tools::deadlines::today_in_uk() - time::Duration::days(90);
    match with_store(config, data, async |store| store.entries().await) {
        Ok(entries) => store::summarise(&entries, since)
            .into_iter()
            .filter(|(_, s)| s.no > s.yes)
            .map(|(page, s)| {
                format!(
                    "feedback: {page}: {} No and {} Yes in the last 90 days; see `advice-site feedback`",
                    s.no, s.yes
                )
            })
            .collect(),
        Err(e) => vec![format!("feedback: not read: {e}")],
    }
}

fn check(
    config: &std::path::Path,
    overrides: &Overrides,
    options: &LoadOptions,
    data: &std::path::Path,
    strict: bool,
) -> ExitCode {
    match load(config, overrides, options) {
        Ok(pages) => {
            for warning in &pages.site.warnings {
                println!("{warning}");
            }
            for note in unhelpful_pages(&pages.site.config, data) {
                println!("{note}");
            }
            let n = pages.site.warnings.len();
            println!(
                "{}: {} articles, {} URLs checked, {n} warning{}",
                if strict && n > 0 { "failed" } else { "ok" },
                pages.site.articles.len(),
                pages.responses.len() + pages.previews.len(),
                if n == 1 { "" } else { "s" }
            );
            if strict && n > 0 {
                ExitCode::FAILURE
            } else {
                ExitCode::SUCCESS
            }
        }
        Err(err) => {
            report(&err);
            ExitCode::FAILURE
        }
    }
}

fn build(
    config: &std::path::Path,
    overrides: &Overrides,
    options: &LoadOptions,
    out: &std::path::Path,
) -> ExitCode {
    let site = match load(config, overrides, options) {
        Ok(site) => site,
        Err(err) => {
            report(&err);
            return ExitCode::FAILURE;
        }
    };
    match advice_site::export::build(&site, out) {
        Ok(summary) => {
            println!(
                "wrote {} files ({} bytes) to {}",
                summary.files,
                summary.bytes,
                out.display()
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("build failed: {e}");
            ExitCode::FAILURE
        }
    }
}

/// How many comments `feedback` prints per page.
const LATEST_COMMENTS: usize = 10;

/// `feedback`: per page, the counts and the latest comments; or, with
/// `export`, every entry as CSV.
fn feedback(
    config: &std::path::Path,
    overrides: &Overrides,
    data: &std::path::Path,
    export: bool,
) -> ExitCode {
    let config = match SiteConfig::load(config, overrides) {
        Ok(config) => config,
        Err(problem) => {
            eprintln!("{problem}");
            return ExitCode::FAILURE;
        }
    };
    if !has_feedback(&config, data) {
        eprintln!(
            "no feedback yet: {} does not exist (pass --data, or set [feedback] database)",
            data.join(store::SQLITE_FILE).display()
        );
        return ExitCode::FAILURE;
    }
    let entries = match with_store(&config, data, async |store| store.entries().await) {
        Ok(entries) => entries,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::FAILURE;
        }
    };
    let stdout = std::io::stdout().lock();
    let written = if export {
        advice_site::store::export::write(&entries, stdout).map_err(|e| e.to_string())
    } else {
        advice_site::store::report::write(&entries, LATEST_COMMENTS, stdout)
            .map_err(|e| e.to_string())
    };
    match written {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("cannot write the feedback: {e}");
            ExitCode::FAILURE
        }
    }
}

fn serve(
    config: &std::path::Path,
    overrides: &Overrides,
    options: &LoadOptions,
    data: &std::path::Path,
    watch: bool,
) -> ExitCode {
    // Logs are written in batches by a thread of their own, so a slow
    // terminal or pipe never holds up a response; the guard flushes at exit.
    let (writer, _flush_on_exit) = match serve::log_writer::batched(std::io::stderr()) {
        Ok(pair) => pair,
        Err(e) => {
            eprintln!("cannot start the log writer: {e}");
            return ExitCode::FAILURE;
        }
    };
    tracing_subscriber::fmt()
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .event_format(serve::log_format::SiteFormat::default())
        .with_writer(writer)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "advice_site=info".into()),
        )
        .init();
    let started = Instant::now();
    let pages = match load(config, overrides, options) {
        Ok(pages) => pages,
        Err(err) => {
            report(&err);
            return ExitCode::FAILURE;
        }
    };
    let addr = pages.site.config.listen;
    for warning in &pages.site.warnings {
        tracing::warn!("{warning}");
    }
    tracing::info!(
        "loaded {} articles in {:.1} ms",
        pages.site.articles.len(),
        started.elapsed().as_secs_f64() * 1000.0
    );
    let runtime = match server::runtime() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async {
        let listener = server::bind(addr).await?;
        tracing::info!("serving on http://{}", listener.local_addr()?);
        let limits = pages.site.config.server;
        let place = store::Place::new(pages.site.config.feedback.database.as_deref(), data);
        let state = AppState::new(pages).with_feedback(Feedback::open(place).await);
        if let Some(feedback) = state.feedback().cloned() {
            let site = state.clone();
            tokio::spawn(async move {
                feedback
                    .keep_for(|| site.current().site.config.feedback.retain_days)
                    .await;
            });
        }
        let loader: reload::Loader = {
            let (config, overrides, options) =
                (config.to_path_buf(), overrides.clone(), options.clone());
            Arc::new(move || load(&config, &overrides, &options))
        };
        let folders = [options.content_dir.clone(), options.static_dir.clone()];
        let watching = reload::start(state.clone(), loader, config, &folders, watch)
            .map_err(|e| std::io::Error::other(format!("cannot watch for edits: {e}")))?;
        if watch {
            tracing::info!(
                "watching {} and {} for edits",
                options.content_dir.display(),
                config.display()
            );
        }
        tokio::spawn(reload::forward_sighup(watching.trigger.clone()));
        server::serve(
            listener,
            serve::app(state),
            limits,
            server::shutdown_signal(),
        )
        .await
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("{e}");
            ExitCode::FAILURE
        }
    }
}
