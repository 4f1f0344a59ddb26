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
use advice_site::serve::{self, AppState, reload, server};
use advice_site::site::LoadOptions;

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
    /// Write the whole site as static files (with .gz and .br siblings and
    /// nginx configuration) for a static host or CDN.
    Build {
        /// Folder to write to; created if missing.
        #[arg(long)]
        out: PathBuf,
    },
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
        Some(Command::Check { strict }) => check(&cli.config, &overrides, &options, strict),
        Some(Command::Build { ref out }) => build(&cli.config, &overrides, &options, out),
        Some(Command::Serve { no_watch, .. }) => {
            serve(&cli.config, &overrides, &options, !no_watch)
        }
        None => serve(&cli.config, &overrides, &options, true),
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

fn check(
    config: &std::path::Path,
    overrides: &Overrides,
    options: &LoadOptions,
    strict: bool,
) -> ExitCode {
    match load(config, overrides, options) {
        Ok(pages) => {
            for warning in &pages.site.warnings {
                println!("{warning}");
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

fn serve(
    config: &std::path::Path,
    overrides: &Overrides,
    options: &LoadOptions,
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
        .with_writer(writer)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
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
    let runtime = match tokio::runtime::Runtime::new() {
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
        let state = AppState::new(pages);
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
