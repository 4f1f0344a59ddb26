//! The feedback store: the only SQL in the site. SQLite in the data folder
//! by default (through rusqlite, bundled, so nothing is installed), or
//! PostgreSQL when `[feedback] database` names one (through tokio-postgres).
//! Both run the same migrations, kept in `migrations/` and applied at open,
//! and the same queries (`$1` placeholders, which SQLite also reads).
//!
//! A row holds the page, the answer, the text and the day, nothing else:
//! no address, no browser, no time of day, not even an id that would put
//! rows in the order they came.
//!
//! Used by `serve` (which owns the open store) and by the CLI.

pub mod export;
pub mod report;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use time::Date;

/// The migrations, in order, as (version, SQL). Each runs once, in a
/// transaction, and is recorded in `schema_migrations`.
const MIGRATIONS: &[(i32, &str)] = &[(1, include_str!("../../migrations/0001_feedback.sql"))];

const INSERT: &str =
    "INSERT INTO feedback (page, useful, comment, followup, day) VALUES ($1, $2, $3, $4, $5)";
const SELECT_ALL: &str = "SELECT page, useful, comment, followup, day FROM feedback \
     ORDER BY day, page, followup, useful, comment";
const DELETE_BEFORE: &str = "DELETE FROM feedback WHERE day < $1";
const CREATE_MIGRATIONS: &str =
    "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY NOT NULL)";
const APPLIED: &str = "SELECT version FROM schema_migrations";
const RECORD: &str = "INSERT INTO schema_migrations (version) VALUES ($1)";

/// The name of the SQLite file inside the data folder.
pub const SQLITE_FILE: &str = "feedback.sqlite3";

/// Where the feedback lives.
#[derive(Clone, PartialEq, Eq)]
pub enum Place {
    /// A SQLite file.
    Sqlite(PathBuf),
    /// A PostgreSQL connection string (`postgres://…`).
    Postgres(String),
}

impl Place {
    /// PostgreSQL when `database` is set, otherwise SQLite in `data`.
    pub fn new(database: Option<&str>, data: &Path) -> Self {
        match database {
            Some(url) => Self::Postgres(url.to_string()),
            None => Self::Sqlite(data.join(SQLITE_FILE)),
        }
    }
}

impl std::fmt::Display for Place {
    /// Where, for logs: never a PostgreSQL password.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Sqlite(path) => write!(f, "SQLite at {}", path.display()),
            Self::Postgres(url) => {
                let host = url.rsplit_once('@').map_or(url.as_str(), |(_, h)| h);
                let host = host.trim_start_matches("postgres://");
                let host = host.trim_start_matches("postgresql://");
                write!(f, "PostgreSQL at {}", host.split('?').next().unwrap_or(""))
            }
        }
    }
}

impl std::fmt::Debug for Place {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Display::fmt(self, f)
    }
}

/// Why the store could not do what it was asked. Says what failed, never
/// what a reader wrote (drivers do not put parameters in their errors).
#[derive(Debug)]
pub struct StoreError(String);

impl std::fmt::Display for StoreError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for StoreError {}

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> Self {
        Self(format!("SQLite: {e}"))
    }
}

impl From<tokio_postgres::Error> for StoreError {
    fn from(e: tokio_postgres::Error) -> Self {
        // The source says why (refused, authentication, disk full).
        match std::error::Error::source(&e) {
            Some(source) => Self(format!("PostgreSQL: {e}: {source}")),
            None => Self(format!("PostgreSQL: {e}")),
        }
    }
}

/// One piece of feedback.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// The page's path, e.g. `/can-you-sue-the-cms`.
    pub page: String,
    /// Yes (true) or No (false) to "Is this page useful?".
    pub useful: bool,
    /// What the reader wrote, as typed; may be empty.
    pub comment: String,
    /// Sent after the answer (the optional question), so not counted again.
    pub followup: bool,
    /// The day it was sent, in the UK.
    pub day: Date,
}

/// An open store. Cheap to clone; SQLite work runs on tokio's blocking
/// threads, PostgreSQL queries are sent over one pipelined connection.
#[derive(Clone)]
pub struct Store {
    place: Arc<Place>,
    backend: Backend,
}

#[derive(Clone)]
enum Backend {
    Sqlite(Arc<Mutex<rusqlite::Connection>>),
    Postgres(Arc<tokio::sync::Mutex<Arc<tokio_postgres::Client>>>),
}

fn day_text(day: Date) -> String {
    format!(
        "{:04}-{:02}-{:02}",
        day.year(),
        u8::from(day.month()),
        day.day()
    )
}

fn parse_day(text: &str) -> Result<Date, StoreError> {
    let format = time::macros::format_description!("[year]-[month]-[day]");
    Date::parse(text, format).map_err(|e| StoreError(format!("a stored day `{text}`: {e}")))
}

fn open_sqlite(path: &Path) -> Result<rusqlite::Connection, StoreError> {
    if let Some(folder) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(folder).map_err(|e| {
            StoreError(format!(
                "cannot create the data folder {}: {e}",
                folder.display()
            ))
        })?;
    }
    let mut connection = rusqlite::Connection::open(path)?;
    // Writers wait for each other rather than fail (the CLI may be reading).
    connection.busy_timeout(std::time::Duration::from_secs(5))?;
    let mode: String =
        connection.pragma_update_and_check(None, "journal_mode", "WAL", |row| row.get(0))?;
    if !mode.eq_ignore_ascii_case("wal") {
        return Err(StoreError(format!(
            "SQLite at {} would not use WAL mode (got {mode})",
            path.display()
        )));
    }
    // A commit is on disk before it returns, so a 303 means stored.
    connection.pragma_update(None, "synchronous", "FULL")?;
    let tx = connection.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    tx.execute(CREATE_MIGRATIONS, [])?;
    let applied: Vec<i32> = tx
        .prepare(APPLIED)?
        .query_map([], |row| row.get(0))?
        .collect::<Result<_, _>>()?;
    for (version, sql) in MIGRATIONS {
        if !applied.contains(version) {
            tx.execute_batch(sql)?;
            tx.execute(RECORD, [version])?;
        }
    }
    tx.commit()?;
    Ok(connection)
}

async fn connect_postgres(url: &str) -> Result<Arc<tokio_postgres::Client>, StoreError> {
    let (client, connection) = tokio_postgres::connect(url, tokio_postgres::NoTls).await?;
    tokio::spawn(async move {
        if let Err(e) = connection.await {
            tracing::error!("the feedback database connection closed: {e}");
        }
    });
    Ok(Arc::new(client))
}

async fn migrate_postgres(client: &mut tokio_postgres::Client) -> Result<(), StoreError> {
    client.batch_execute(CREATE_MIGRATIONS).await?;
    let tx = client.transaction().await?;
    // Two servers starting at once: the second waits, then sees the work done.
    tx.batch_execute("LOCK TABLE schema_migrations IN EXCLUSIVE MODE")
        .await?;
    let applied: Vec<i32> = tx
        .query(APPLIED, &[])
        .await?
        .iter()
        .map(|row| row.get(0))
        .collect();
    for (version, sql) in MIGRATIONS {
        if !applied.contains(version) {
            tx.batch_execute(sql).await?;
            tx.execute(RECORD, &[version]).await?;
        }
    }
    tx.commit().await?;
    Ok(())
}

impl Store {
    /// Opens (creating if need be) the store at `place` and applies the
    /// migrations it lacks.
    pub async fn open(place: Place) -> Result<Self, StoreError> {
        let backend = match &place {
            Place::Sqlite(path) => {
                let path = path.clone();
                let connection = blocking(move || open_sqlite(&path)).await?;
                Backend::Sqlite(Arc::new(Mutex::new(connection)))
            }
            Place::Postgres(url) => {
                let (mut client, connection) =
                    tokio_postgres::connect(url, tokio_postgres::NoTls).await?;
                tokio::spawn(async move {
                    if let Err(e) = connection.await {
                        tracing::error!("the feedback database connection closed: {e}");
                    }
                });
                migrate_postgres(&mut client).await?;
                Backend::Postgres(Arc::new(tokio::sync::Mutex::new(Arc::new(client))))
            }
        };
        Ok(Self {
            place: Arc::new(place),
            backend,
        })
    }

    /// Where it is, for logs.
    pub fn place(&self) -> &Place {
        &self.place
    }

    /// The PostgreSQL client, reconnected if the server closed it.
    async fn client(
        &self,
        shared: &tokio::sync::Mutex<Arc<tokio_postgres::Client>>,
    ) -> Result<Arc<tokio_postgres::Client>, StoreError> {
        let mut client = shared.lock().await;
        if client.is_closed() {
            let Place::Postgres(url) = &*self.place else {
                return Err(StoreError("not a PostgreSQL store".into()));
            };
            *client = connect_postgres(url).await?;
        }
        Ok(client.clone())
    }

    /// Stores `entry`; returns once it is committed.
    pub async fn add(&self, entry: Entry) -> Result<(), StoreError> {
        let day = day_text(entry.day);
        let useful = i32::from(entry.useful);
        let followup = i32::from(entry.followup);
        match &self.backend {
            Backend::Sqlite(connection) => {
                let connection = connection.clone();
                blocking(move || {
                    let connection = connection
                        .lock()
                        .map_err(|_| StoreError("the SQLite connection was poisoned".into()))?;
                    connection.execute(
                        INSERT,
                        rusqlite::params![entry.page, useful, entry.comment, followup, day],
                    )?;
                    Ok(())
                })
                .await
            }
            Backend::Postgres(shared) => {
                let client = self.client(shared).await?;
                client
                    .execute(
                        INSERT,
                        &[&entry.page, &useful, &entry.comment, &followup, &day],
                    )
                    .await?;
                Ok(())
            }
        }
    }

    /// Every entry, by day then page.
    pub async fn entries(&self) -> Result<Vec<Entry>, StoreError> {
        let rows: Vec<(String, i32, String, i32, String)> = match &self.backend {
            Backend::Sqlite(connection) => {
                let connection = connection.clone();
                blocking(move || {
                    let connection = connection
                        .lock()
                        .map_err(|_| StoreError("the SQLite connection was poisoned".into()))?;
                    let mut statement = connection.prepare(SELECT_ALL)?;
                    let rows = statement
                        .query_map([], |row| {
                            Ok((
                                row.get(0)?,
                                row.get(1)?,
                                row.get(2)?,
                                row.get(3)?,
                                row.get(4)?,
                            ))
                        })?
                        .collect::<Result<Vec<_>, _>>()?;
                    Ok(rows)
                })
                .await?
            }
            Backend::Postgres(shared) => {
                let client = self.client(shared).await?;
                client
                    .query(SELECT_ALL, &[])
                    .await?
                    .iter()
                    .map(|row| (row.get(0), row.get(1), row.get(2), row.get(3), row.get(4)))
                    .collect()
            }
        };
        rows.into_iter()
            .map(|(page, useful, comment, followup, day)| {
                Ok(Entry {
                    page,
                    useful: useful != 0,
                    comment,
                    followup: followup != 0,
                    day: parse_day(&day)?,
                })
            })
            .collect()
    }

    /// Deletes every entry from before `day`; returns how many.
    pub async fn delete_before(&self, day: Date) -> Result<u64, StoreError> {
        let day = day_text(day);
        match &self.backend {
            Backend::Sqlite(connection) => {
                let connection = connection.clone();
                blocking(move || {
                    let connection = connection
                        .lock()
                        .map_err(|_| StoreError("the SQLite connection was poisoned".into()))?;
                    Ok(connection.execute(DELETE_BEFORE, [day])? as u64)
                })
                .await
            }
            Backend::Postgres(shared) => {
                let client = self.client(shared).await?;
                Ok(client.execute(DELETE_BEFORE, &[&day]).await?)
            }
        }
    }

    /// Deletes what is older than `retain_days` before `today`.
    pub async fn apply_retention(&self, today: Date, retain_days: u32) -> Result<u64, StoreError> {
        let cutoff = today
            .checked_sub(time::Duration::days(i64::from(retain_days)))
            .unwrap_or(Date::MIN);
        self.delete_before(cutoff).await
    }
}

/// Runs SQLite work on a blocking thread.
async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, StoreError> + Send + 'static,
) -> Result<T, StoreError> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| StoreError(format!("the store's thread failed: {e}")))?
}

/// Yes and No counts and the comments for one page.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct PageSummary {
    /// Answers of Yes.
    pub yes: usize,
    /// Answers of No.
    pub no: usize,
    /// Comments, newest day first, with the answer they followed.
    pub comments: Vec<(Date, bool, String)>,
}

/// Per page, in path order: the counts and comments among `entries` from
/// `since` on.
pub fn summarise(entries: &[Entry], since: Date) -> Vec<(String, PageSummary)> {
    let mut pages: std::collections::BTreeMap<String, PageSummary> = Default::default();
    for entry in entries.iter().filter(|e| e.day >= since) {
        let summary = pages.entry(entry.page.clone()).or_default();
        if !entry.followup {
            if entry.useful {
                summary.yes += 1;
            } else {
                summary.no += 1;
            }
        }
        if !entry.comment.is_empty() {
            summary
                .comments
                .push((entry.day, entry.useful, entry.comment.clone()));
        }
    }
    for summary in pages.values_mut() {
        summary.comments.sort_by_key(|c| std::cmp::Reverse(c.0));
    }
    pages.into_iter().collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    fn entry(page: &str, useful: bool, comment: &str, followup: bool, day: Date) -> Entry {
        Entry {
            page: page.into(),
            useful,
            comment: comment.into(),
            followup,
            day,
        }
    }

    #[test]
    fn a_followup_comment_is_listed_but_not_counted_again() {
        let entries = [
            entry("/a", true, "", false, date!(2026 - 01 - 02)),
            entry("/a", true, "found it", true, date!(2026 - 01 - 02)),
            entry("/a", false, "", false, date!(2026 - 01 - 03)),
        ];
        let summary = summarise(&entries, Date::MIN);
        assert_eq!(summary.len(), 1);
        assert_eq!((summary[0].1.yes, summary[0].1.no), (1, 1));
        assert_eq!(summary[0].1.comments.len(), 1);
    }

    #[test]
    fn entries_before_since_are_left_out() {
        let entries = [entry("/a", false, "", false, date!(2026 - 01 - 02))];
        assert!(summarise(&entries, date!(2026 - 02 - 01)).is_empty());
    }

    #[test]
    fn a_postgres_password_never_reaches_the_log() {
        let place = Place::Postgres("postgres://site:secret@db.local:5432/site".into());
        assert_eq!(place.to_string(), "PostgreSQL at db.local:5432/site");
    }

    #[tokio::test]
    async fn sqlite_runs_the_migrations_once_and_keeps_entries() {
        let dir = std::env::temp_dir().join(format!("advice-store-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let place = Place::new(None, &dir);
        let store = Store::open(place.clone()).await.unwrap();
        let e = entry("/a", true, "it's <fine>", false, date!(2026 - 01 - 02));
        store.add(e.clone()).await.unwrap();
        drop(store);
        let again = Store::open(place).await.unwrap();
        assert_eq!(again.entries().await.unwrap(), [e]);
        assert_eq!(
            again
                .apply_retention(date!(2027 - 01 - 03), 365)
                .await
                .unwrap(),
            1
        );
        assert!(again.entries().await.unwrap().is_empty());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
