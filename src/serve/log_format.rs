//! How log lines look. Every event is written as tracing-subscriber's
//! default format writes it, except the access log's own event (one per
//! response, target [`ACCESS_LOG`]), which is written to the same layout by
//! a direct writer:
//!
//! ```text
//! 2026-12-01T23:35:41.628292Z  INFO advice_site::access: GET /can-you-sue-the-cms 200 41us
//! ```
//!
//! Its fields are recorded as they are (strings and numbers, never a
//! message to format), the date is worked out once a second, and nothing
//! needs escaping: a method and a path cannot hold a control character once
//! hyper has parsed them. Measured with callgrind, the default format cost
//! about 6,800 instructions per request, a fifth of all the site's own work
//! on a prepared page (README, Benchmarks).

use std::cell::RefCell;
use std::fmt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use tracing::field::{Field, Visit};
use tracing::{Event, Subscriber};
use tracing_subscriber::fmt::format::{Format, Writer};
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields};
use tracing_subscriber::registry::LookupSpan;

use super::middleware::ACCESS_LOG;

/// The access-log field written with a unit after it.
pub const MICROS_FIELD: &str = "us";

/// The site's event format: tracing-subscriber's default for every event,
/// and a direct writer for access-log events.
#[derive(Debug, Default)]
pub struct SiteFormat {
    other: Format,
}

impl<S, N> FormatEvent<S, N> for SiteFormat
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
{
    fn format_event(
        &self,
        ctx: &FmtContext<'_, S, N>,
        mut writer: Writer<'_>,
        event: &Event<'_>,
    ) -> fmt::Result {
        if event.metadata().target() != ACCESS_LOG {
            return self.other.format_event(ctx, writer, event);
        }
        let ansi = writer.has_ansi_escapes();
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default();
        write_timestamp(&mut writer, now, ansi)?;
        let level = event.metadata().level().as_str();
        if ansi {
            // As the default format colours them: the level in colour, the
            // target dimmed.
            writer.write_str(" \x1b[32m ")?;
            writer.write_str(level)?;
            writer.write_str("\x1b[0m \x1b[2m")?;
            writer.write_str(ACCESS_LOG)?;
            writer.write_str(":\x1b[0m")?;
        } else {
            writer.write_str("  ")?;
            writer.write_str(level)?;
            writer.write_str(" ")?;
            writer.write_str(ACCESS_LOG)?;
            writer.write_str(":")?;
        }
        let mut fields = Fields {
            writer: &mut writer,
            result: Ok(()),
        };
        event.record(&mut fields);
        fields.result?;
        writer.write_char('\n')
    }
}

/// Writes each field's value after a space: strings as they are, numbers
/// in decimal, the time with its unit. Anything else (a field added later)
/// is written `name=value`, so nothing is lost.
struct Fields<'w, 'a> {
    writer: &'w mut Writer<'a>,
    result: fmt::Result,
}

impl Fields<'_, '_> {
    fn put(&mut self, write: impl FnOnce(&mut Writer<'_>) -> fmt::Result) {
        if self.result.is_ok() {
            self.result = self
                .writer
                .write_char(' ')
                .and_then(|()| write(self.writer));
        }
    }
}

impl Visit for Fields<'_, '_> {
    fn record_str(&mut self, _field: &Field, value: &str) {
        self.put(|w| w.write_str(value));
    }

    fn record_u64(&mut self, field: &Field, value: u64) {
        self.put(|w| {
            w.write_str(itoa::Buffer::new().format(value))?;
            if field.name() == MICROS_FIELD {
                w.write_str(MICROS_FIELD)?;
            }
            Ok(())
        });
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        self.put(|w| write!(w, "{}={value:?}", field.name()));
    }
}

thread_local! {
    /// The last whole second written, and its text up to the seconds.
    static SECOND: RefCell<(u64, String)> = const { RefCell::new((u64::MAX, String::new())) };
}

/// `2026-12-01T23:35:41.628292Z`, in UTC, as the default format writes it.
fn write_timestamp(writer: &mut Writer<'_>, now: Duration, ansi: bool) -> fmt::Result {
    if ansi {
        writer.write_str("\x1b[2m")?;
    }
    SECOND.with(|cell| {
        let mut cached = cell.borrow_mut();
        if cached.0 != now.as_secs() {
            *cached = (now.as_secs(), date_and_time(now.as_secs()));
        }
        writer.write_str(&cached.1)
    })?;
    writer.write_char('.')?;
    let mut digits = itoa::Buffer::new();
    let micros = digits.format(now.subsec_micros());
    for _ in micros.len()..6 {
        writer.write_char('0')?;
    }
    writer.write_str(micros)?;
    writer.write_char('Z')?;
    if ansi {
        writer.write_str("\x1b[0m")?;
    }
    Ok(())
}

/// `2026-12-01T23:35:41` for seconds since 1970, in UTC.
fn date_and_time(seconds: u64) -> String {
    let at = i64::try_from(seconds)
        .ok()
        .and_then(|s| time::OffsetDateTime::from_unix_timestamp(s).ok())
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}",
        at.year(),
        u8::from(at.month()),
        at.day(),
        at.hour(),
        at.minute(),
        at.second()
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Mutex};

    #[derive(Clone, Default)]
    struct Lines(Arc<Mutex<Vec<u8>>>);

    impl std::io::Write for Lines {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    fn logged(ansi: bool, emit: impl FnOnce()) -> String {
        let lines = Lines::default();
        let writer = lines.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_ansi(ansi)
            .event_format(SiteFormat::default())
            .with_writer(move || writer.clone())
            .finish();
        tracing::subscriber::with_default(subscriber, emit);
        String::from_utf8(lines.0.lock().unwrap().clone()).unwrap()
    }

    #[test]
    fn an_access_event_is_one_line_in_the_default_layout() {
        let log = logged(false, || {
            tracing::info!(target: ACCESS_LOG, method = "GET", path = "/a-b", status = 200_u64, us = 41_u64);
        });
        let (stamp, rest) = log.split_once("  ").unwrap();
        assert_eq!(rest, "INFO advice_site::access: GET /a-b 200 41us\n");
        // 2026-12-01T23:35:41.628292Z
        assert_eq!(stamp.len(), 27, "{stamp}");
        assert!(
            time::OffsetDateTime::parse(stamp, &time::format_description::well_known::Rfc3339)
                .is_ok()
        );
    }

    #[test]
    fn other_events_keep_the_default_format() {
        let log = logged(false, || tracing::warn!("a \"quoted\" warning"));
        assert!(log.contains(" WARN "), "{log}");
        assert!(log.contains("a \"quoted\" warning"), "{log}");
    }

    #[test]
    fn a_field_of_another_kind_is_still_written() {
        let log = logged(false, || {
            tracing::info!(target: ACCESS_LOG, method = "GET", extra = ?Some(1));
        });
        assert!(log.ends_with(": GET extra=Some(1)\n"), "{log}");
    }

    #[test]
    fn colours_only_when_asked() {
        let plain = logged(false, || {
            tracing::info!(target: ACCESS_LOG, method = "GET");
        });
        assert!(!plain.contains('\x1b'));
        let coloured = logged(true, || {
            tracing::info!(target: ACCESS_LOG, method = "GET");
        });
        assert!(coloured.contains("\x1b[32m INFO\x1b[0m"), "{coloured:?}");
    }

    #[test]
    fn dates_are_utc_and_zero_padded() {
        assert_eq!(date_and_time(0), "1970-01-01T00:00:00");
        assert_eq!(date_and_time(1_764_632_141), "2025-12-01T23:35:41");
    }
}
