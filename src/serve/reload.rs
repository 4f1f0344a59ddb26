//! Live reload: watch the content, configuration and static folders, wait
//! for edits to settle, rebuild the whole site off the request path, and swap
//! it in only if it loads cleanly.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use notify::{RecommendedWatcher, RecursiveMode, Watcher};
use tokio::sync::mpsc;

use super::state::AppState;
use crate::error::LoadError;
use crate::render::Pages;

/// How long the files must stay still before a rebuild starts. Editors save
/// by writing a temporary file and renaming it over the old one; waiting
/// lets the whole save land first.
pub const SETTLE: Duration = Duration::from_millis(150);

/// Builds a new site from the files on disk.
pub type Loader = Arc<dyn Fn() -> Result<Pages, LoadError> + Send + Sync>;

/// What reloads are asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trigger {
    /// A watched file changed.
    Change,
    /// The operator sent SIGHUP.
    Signal,
}

/// Counts of finished reloads, for logs, tests and operators.
#[derive(Debug, Default)]
pub struct Counters {
    /// Reloads swapped in.
    pub succeeded: AtomicU64,
    /// Reloads refused because the files did not load cleanly.
    pub refused: AtomicU64,
}

impl Counters {
    /// Reloads finished either way.
    pub fn finished(&self) -> u64 {
        self.succeeded.load(Ordering::SeqCst) + self.refused.load(Ordering::SeqCst)
    }
}

/// Keeps the watcher alive; dropping it stops watching.
pub struct Watching {
    _watcher: Option<RecommendedWatcher>,
    /// Send a trigger here to force a reload (as SIGHUP does).
    pub trigger: mpsc::UnboundedSender<Trigger>,
    /// How reloads have gone so far.
    pub counters: Arc<Counters>,
}

/// Starts reloading `state` with `load`: on changes under `folders` (or to
/// the file `config`) when `watch` is true, and whenever a trigger arrives.
pub fn start(
    state: AppState,
    load: Loader,
    config: &Path,
    folders: &[PathBuf],
    watch: bool,
) -> notify::Result<Watching> {
    let (tx, rx) = mpsc::unbounded_channel();
    let watcher = if watch {
        Some(watch_paths(tx.clone(), config, folders)?)
    } else {
        None
    };
    let counters = Arc::new(Counters::default());
    tokio::spawn(run(state, load, rx, counters.clone()));
    Ok(Watching {
        _watcher: watcher,
        trigger: tx,
        counters,
    })
}

fn watch_paths(
    tx: mpsc::UnboundedSender<Trigger>,
    config: &Path,
    folders: &[PathBuf],
) -> notify::Result<RecommendedWatcher> {
    // Watch canonical paths so the paths in events compare with them.
    let folders: Vec<PathBuf> = folders
        .iter()
        .map(|f| std::fs::canonicalize(f).unwrap_or_else(|_| f.clone()))
        .collect();
    let config = std::fs::canonicalize(config).unwrap_or_else(|_| config.to_path_buf());
    let config_dir = config
        .parent()
        .map_or_else(|| PathBuf::from("."), Path::to_path_buf);
    let (watched, config_file) = (folders.clone(), config);
    let mut watcher = notify::recommended_watcher(move |event: notify::Result<notify::Event>| {
        let Ok(event) = event else { return };
        if matches!(event.kind, notify::EventKind::Access(_)) {
            return;
        }
        // The configuration's folder is watched, not the file, because an
        // editor that renames a new file over it would end a file watch;
        // so only events naming the file itself count from there.
        let relevant = event
            .paths
            .iter()
            .any(|p| *p == config_file || watched.iter().any(|f| p.starts_with(f)));
        if relevant {
            let _ = tx.send(Trigger::Change);
        }
    })?;
    for folder in &folders {
        watcher.watch(folder, RecursiveMode::Recursive)?;
    }
    watcher.watch(&config_dir, RecursiveMode::NonRecursive)?;
    Ok(watcher)
}

/// Waits for triggers, lets them settle, rebuilds, swaps.
async fn run(
    state: AppState,
    load: Loader,
    mut rx: mpsc::UnboundedReceiver<Trigger>,
    counters: Arc<Counters>,
) {
    while let Some(first) = rx.recv().await {
        // Gather everything that arrives until the files are quiet.
        let mut signalled = first == Trigger::Signal;
        loop {
            match tokio::time::timeout(SETTLE, rx.recv()).await {
                Ok(Some(t)) => signalled |= t == Trigger::Signal,
                Ok(None) => return,
                Err(_) => break,
            }
        }
        let started = Instant::now();
        let load = load.clone();
        let result = tokio::task::spawn_blocking(move || load()).await;
        match result {
            Ok(Ok(pages)) => {
                for warning in &pages.site.warnings {
                    tracing::warn!("{warning}");
                }
                let articles = pages.site.articles.len();
                state.replace(pages);
                counters.succeeded.fetch_add(1, Ordering::SeqCst);
                tracing::info!(
                    "reloaded{}: {articles} articles in {:.0} ms",
                    if signalled { " on SIGHUP" } else { "" },
                    started.elapsed().as_secs_f64() * 1000.0
                );
            }
            Ok(Err(err)) => {
                for problem in &err.problems {
                    tracing::error!("{problem}");
                }
                tracing::error!(
                    "reload refused: {} problem(s); still serving the last good site",
                    err.problems.len()
                );
                counters.refused.fetch_add(1, Ordering::SeqCst);
            }
            Err(e) => {
                tracing::error!("reload failed: {e}; still serving the last good site");
                counters.refused.fetch_add(1, Ordering::SeqCst);
            }
        }
    }
}

/// Forwards SIGHUP to `trigger` as a forced reload.
pub async fn forward_sighup(trigger: mpsc::UnboundedSender<Trigger>) {
    #[cfg(unix)]
    {
        let Ok(mut hangup) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup())
        else {
            return;
        };
        while hangup.recv().await.is_some() {
            if trigger.send(Trigger::Signal).is_err() {
                return;
            }
        }
    }
    #[cfg(not(unix))]
    let _ = trigger;
}
