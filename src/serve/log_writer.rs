//! Where log lines go: into memory, written out by a thread of its own in
//! batches, so that answering a request never waits on a terminal, a pipe
//! or a disk, and never wakes another thread. Lines reach standard error
//! within [`FLUSH_EVERY`], or as soon as [`FLUSH_AT`] bytes are waiting.
//!
//! This is what nginx's `access_log … buffer=` does. tracing-appender's
//! non-blocking writer sends each line to its thread and wakes it, which on
//! a busy core cost a fifth of the requests per second (measured: README,
//! Benchmarks); batching in place of waking costs 3%.

use std::io::{self, Write};
use std::sync::{Arc, Condvar, Mutex, PoisonError};
use std::thread::JoinHandle;
use std::time::Duration;

/// The longest a line waits before it is written.
pub const FLUSH_EVERY: Duration = Duration::from_millis(200);
/// Bytes waiting that get written at once, without waiting for the timer.
pub const FLUSH_AT: usize = 64 * 1024;

#[derive(Default)]
struct Shared {
    buffer: Mutex<Batch>,
    ready: Condvar,
}

#[derive(Default)]
struct Batch {
    bytes: Vec<u8>,
    closing: bool,
}

/// Hands out writers for `tracing_subscriber::fmt().with_writer(…)`.
#[derive(Clone)]
pub struct LogWriter {
    shared: Arc<Shared>,
}

/// Stops the writing thread, after writing whatever is left, when dropped.
pub struct FlushOnDrop {
    shared: Arc<Shared>,
    thread: Option<JoinHandle<()>>,
}

/// A batched writer to `out`, and the guard that flushes it at exit.
pub fn batched<W: Write + Send + 'static>(mut out: W) -> io::Result<(LogWriter, FlushOnDrop)> {
    let shared = Arc::new(Shared::default());
    let worker = shared.clone();
    let thread = std::thread::Builder::new()
        .name("log-writer".into())
        .spawn(move || {
            // Two buffers swapped in turn, so neither is grown again from
            // nothing after every write.
            let mut spare = Vec::with_capacity(FLUSH_AT);
            loop {
                let closing = {
                    let guard = worker.buffer.lock().unwrap_or_else(PoisonError::into_inner);
                    let (mut guard, _) = worker
                        .ready
                        .wait_timeout_while(guard, FLUSH_EVERY, |batch| {
                            !batch.closing && batch.bytes.len() < FLUSH_AT
                        })
                        .unwrap_or_else(PoisonError::into_inner);
                    std::mem::swap(&mut guard.bytes, &mut spare);
                    guard.closing
                };
                if !spare.is_empty() {
                    // Nowhere to report a failure to write the log itself.
                    let _ = out.write_all(&spare).and_then(|()| out.flush());
                    spare.clear();
                }
                if closing {
                    return;
                }
            }
        })?;
    Ok((
        LogWriter {
            shared: shared.clone(),
        },
        FlushOnDrop {
            shared,
            thread: Some(thread),
        },
    ))
}

impl Drop for FlushOnDrop {
    fn drop(&mut self) {
        self.shared
            .buffer
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .closing = true;
        self.shared.ready.notify_one();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// One event's writer: appends to the batch.
pub struct Line<'a> {
    shared: &'a Shared,
}

impl Write for Line<'_> {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        let mut batch = self
            .shared
            .buffer
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        batch.bytes.extend_from_slice(bytes);
        if batch.bytes.len() >= FLUSH_AT {
            self.shared.ready.notify_one();
        }
        Ok(bytes.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for LogWriter {
    type Writer = Line<'a>;

    fn make_writer(&'a self) -> Self::Writer {
        Line {
            shared: &self.shared,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tracing_subscriber::fmt::MakeWriter;

    /// A `Write` whose bytes the test can read.
    #[derive(Clone, Default)]
    struct Seen(Arc<Mutex<Vec<u8>>>);

    impl Write for Seen {
        fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(bytes);
            Ok(bytes.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn lines_are_written_within_the_flush_interval() {
        let seen = Seen::default();
        let (writer, _guard) = batched(seen.clone()).unwrap();
        writer.make_writer().write_all(b"one\n").unwrap();
        std::thread::sleep(FLUSH_EVERY * 3);
        assert_eq!(&*seen.0.lock().unwrap(), b"one\n");
    }

    #[test]
    fn everything_waiting_is_written_when_the_guard_drops() {
        let seen = Seen::default();
        let (writer, guard) = batched(seen.clone()).unwrap();
        for i in 0..1000 {
            writeln!(writer.make_writer(), "line {i}").unwrap();
        }
        drop(guard);
        let text = String::from_utf8(seen.0.lock().unwrap().clone()).unwrap();
        assert_eq!(text.lines().count(), 1000);
        assert!(text.ends_with("line 999\n"));
    }
}
