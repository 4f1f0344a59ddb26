//! Serving the public: our own accept loop, so that every connection has
//! timeouts and a cap, and shutdown has a deadline.
//!
//! `axum::serve` (0.8.9) installs no timer, so hyper's header-read timeout
//! never fires: a client that sends headers slowly holds its connection for
//! ever and blocks graceful shutdown. Here hyper gets a timer and a header
//! timeout; a watchdog per connection closes connections that send nothing
//! or sit idle; a semaphore caps how many are open; and shutdown waits for
//! requests in flight only until a deadline.

use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use std::convert::Infallible;

use axum::http::Request;
use axum::response::Response;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use serde::Deserialize;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Semaphore, watch};
use tokio::task::JoinSet;
use tokio::time::Instant;
use tower::Service;

/// Connection limits and timeouts; `[server]` in `site.toml`, in seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(from = "RawLimits")]
pub struct Limits {
    /// Time a client may take to send a request's headers. hyper starts
    /// this clock whenever it waits for a request, so it also caps how long
    /// a keep-alive connection may idle.
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
        }
    }
}

/// Connections the kernel may queue before we accept them. A burst of
/// clients (a link shared widely, or an attack) must not overflow it: a
/// dropped SYN costs the reader a one-second retransmit.
pub const LISTEN_BACKLOG: u32 = 8192;

/// Binds `addr` with a deep listen queue, saying which address failed if it
/// cannot.
pub async fn bind(addr: SocketAddr) -> std::io::Result<TcpListener> {
    let socket = if addr.is_ipv4() {
        tokio::net::TcpSocket::new_v4()
    } else {
        tokio::net::TcpSocket::new_v6()
    };
    socket
        .and_then(|socket| {
            socket.set_reuseaddr(true)?;
            socket.bind(addr)?;
            socket.listen(LISTEN_BACKLOG)
        })
        .map_err(|e| std::io::Error::new(e.kind(), format!("cannot listen on {addr}: {e}")))
}

/// Serves `app` on `listener` until `shutdown` completes; then stops
/// accepting, lets requests in flight finish, and closes whatever is left
/// when the deadline passes.
pub async fn serve<S>(
    listener: TcpListener,
    app: S,
    limits: Limits,
    shutdown: impl Future<Output = ()>,
) -> std::io::Result<()>
where
    S: Service<Request<Incoming>, Response = Response, Error = Infallible>
        + Clone
        + Send
        + Sync
        + 'static,
    S::Future: Send + 'static,
{
    let permits = Arc::new(Semaphore::new(limits.max_connections));
    let mut builder = http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout)
        // Room for the largest head we accept, so our 414/431 pages answer;
        // beyond this hyper itself answers 431.
        .max_buf_size((limits.max_uri_bytes + limits.max_header_bytes + 4096).max(8192))
        .keep_alive(true);
    let (stop_tx, stop_rx) = watch::channel(false);
    let mut connections = JoinSet::new();
    tokio::pin!(shutdown);

    loop {
        let permit = tokio::select! {
            permit = permits.clone().acquire_owned() => match permit {
                Ok(p) => p,
                Err(_) => break,
            },
            () = &mut shutdown => break,
        };
        let stream = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(e) => {
                    // Out of file descriptors or similar: back off, keep serving.
                    tracing::warn!("accept failed: {e}");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let _ = stream.set_nodelay(true);
        let service = TowerToHyperService::new(app.clone());
        let builder = builder.clone();
        let stop = stop_rx.clone();
        connections.spawn(async move {
            let _permit = permit;
            serve_connection(stream, builder, service, limits, stop).await;
        });
        // Reap finished connections so the set stays small.
        while connections.try_join_next().is_some() {}
    }

    drop(listener);
    tracing::info!(
        "shutting down: {} connections open, waiting up to {:?}",
        connections.len(),
        limits.shutdown_deadline
    );
    let _ = stop_tx.send(true);
    let drained = tokio::time::timeout(limits.shutdown_deadline, async {
        while connections.join_next().await.is_some() {}
    })
    .await;
    if drained.is_err() {
        tracing::warn!(
            "shutdown deadline passed; closing {} connections",
            connections.len()
        );
        connections.abort_all();
        while connections.join_next().await.is_some() {}
    }
    Ok(())
}

async fn serve_connection<S>(
    stream: TcpStream,
    builder: http1::Builder,
    service: TowerToHyperService<S>,
    limits: Limits,
    mut stop: watch::Receiver<bool>,
) where
    S: Service<Request<Incoming>, Response = Response, Error = Infallible> + Clone + Send + 'static,
    S::Future: Send + 'static,
{
    let activity = Arc::new(Activity::new());
    let io = TokioIo::new(Tracked {
        inner: stream,
        activity: activity.clone(),
    });
    let connection = builder.serve_connection(io, service);
    tokio::pin!(connection);
    let mut closing = false;
    loop {
        tokio::select! {
            _ = connection.as_mut() => break,
            () = activity.quiet_for(limits.first_byte_timeout, limits.idle_timeout), if !closing => {
                // Finishes a request in flight, then closes.
                connection.as_mut().graceful_shutdown();
                closing = true;
            }
            _ = stop.changed(), if !closing => {
                connection.as_mut().graceful_shutdown();
                closing = true;
            }
        }
    }
}

/// When a connection last moved bytes, and whether it ever sent any.
struct Activity {
    start: Instant,
    last_ms: AtomicU64,
    has_read: AtomicBool,
}

impl Activity {
    fn new() -> Self {
        Self {
            start: Instant::now(),
            last_ms: AtomicU64::new(0),
            has_read: AtomicBool::new(false),
        }
    }

    fn touch(&self, read: bool) {
        let ms = u64::try_from(self.start.elapsed().as_millis()).unwrap_or(u64::MAX);
        self.last_ms.store(ms, Ordering::Relaxed);
        if read {
            self.has_read.store(true, Ordering::Relaxed);
        }
    }

    /// Completes once the connection has been silent too long: `first_byte`
    /// before it has sent anything, `idle` after. Each round sleeps only for
    /// the shorter of the two, so bytes arriving mid-wait switch the limit.
    async fn quiet_for(&self, first_byte: Duration, idle: Duration) {
        let step = first_byte.min(idle);
        loop {
            let limit = if self.has_read.load(Ordering::Relaxed) {
                idle
            } else {
                first_byte
            };
            let last = self.start + Duration::from_millis(self.last_ms.load(Ordering::Relaxed));
            let now = Instant::now();
            if now >= last + limit {
                return;
            }
            tokio::time::sleep_until((last + limit).min(now + step)).await;
        }
    }
}

/// A TCP stream that records its activity.
struct Tracked {
    inner: TcpStream,
    activity: Arc<Activity>,
}

impl AsyncRead for Tracked {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let before = buf.filled().len();
        let result = Pin::new(&mut self.inner).poll_read(cx, buf);
        if buf.filled().len() > before {
            self.activity.touch(true);
        }
        result
    }
}

impl AsyncWrite for Tracked {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        let result = Pin::new(&mut self.inner).poll_write(cx, buf);
        if matches!(result, Poll::Ready(Ok(n)) if n > 0) {
            self.activity.touch(false);
        }
        result
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        let result = Pin::new(&mut self.inner).poll_write_vectored(cx, bufs);
        if matches!(result, Poll::Ready(Ok(n)) if n > 0) {
            self.activity.touch(false);
        }
        result
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

/// Completes on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut sig) => {
                sig.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
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
    }

    #[test]
    fn unknown_limit_is_refused() {
        assert!(toml::from_str::<Limits>("header_timeout = 3").is_err());
    }

    #[tokio::test(start_paused = true)]
    async fn the_idle_limit_applies_once_bytes_arrive_mid_wait() {
        let activity = std::sync::Arc::new(Activity::new());
        let started = Instant::now();
        let reader = activity.clone();
        // The client sends its first byte after 1 s; idle is 2 s after that.
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_secs(1)).await;
            reader.touch(true);
        });
        activity
            .quiet_for(Duration::from_secs(30), Duration::from_secs(2))
            .await;
        assert_eq!(started.elapsed().as_secs(), 3);
    }

    #[tokio::test(start_paused = true)]
    async fn a_silent_connection_is_quiet_after_the_first_byte_timeout() {
        let activity = Activity::new();
        let started = Instant::now();
        activity
            .quiet_for(Duration::from_secs(2), Duration::from_secs(9))
            .await;
        assert_eq!(started.elapsed().as_secs(), 2);
    }
}
