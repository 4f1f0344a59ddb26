//! Serving the public: the accept loop that hands each connection to
//! hyper (through hyper-util's auto builder: HTTP/1.1, and HTTP/2 by prior
//! knowledge), with the limits we promise operators.
//!
//! `axum::serve` (0.8.9) installs no timer, so a client that sends headers
//! slowly would hold its connection for ever and block graceful shutdown.
//! Here hyper's own timer enforces the header-read timeout; a watchdog per
//! connection closes one that sends nothing at first or goes idle; a
//! semaphore caps how many are open; and shutdown waits for requests in
//! flight only until a deadline. The protocol itself is all hyper's.

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use std::convert::Infallible;

use axum::body::Body;
use axum::http::{Method, Request, Response};
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Semaphore, watch};
use tokio::task::JoinSet;
use tokio::time::Instant;
use tower::{Service, ServiceExt};

use super::ResponseBody;
use crate::config::Limits;

/// Connections the kernel may queue before we accept them. A burst of
/// clients (a link shared widely, or an attack) must not overflow it: a
/// dropped SYN costs the reader a one-second retransmit.
pub const LISTEN_BACKLOG: u32 = 8192;

/// The async runtime the site is served on. With one worker
/// (`TOKIO_WORKER_THREADS=1`, or a machine with one core) it is tokio's
/// current-thread scheduler: it runs woken connections in the order they
/// woke, where the work-stealing scheduler's last-in-first-out slot lets a
/// busy connection jump the queue, and it skips the cross-thread
/// bookkeeping one worker cannot use (measured: README, Benchmarks). With
/// more, the multi-thread scheduler, one worker per core.
pub fn runtime() -> io::Result<tokio::runtime::Runtime> {
    if worker_threads() == 1 {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
    } else {
        tokio::runtime::Runtime::new()
    }
}

/// How many workers tokio would start: `TOKIO_WORKER_THREADS`, else one
/// per core.
fn worker_threads() -> usize {
    std::env::var("TOKIO_WORKER_THREADS")
        .ok()
        .and_then(|v| v.trim().parse::<usize>().ok())
        .filter(|n| *n > 0)
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
}

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

/// The most bytes hyper buffers of a request's head. It is far above our own
/// URI and header limits, so that an oversized head gets our 414 or 431
/// page rather than hyper's bare 431; only a head past this is cut off
/// with hyper's.
pub fn head_buffer(limits: &Limits) -> usize {
    (4 * (limits.max_uri_bytes + limits.max_header_bytes)).max(256 * 1024)
}

/// One builder for every connection: hyper's timer and our limits.
fn builder(limits: &Limits) -> auto::Builder<TokioExecutor> {
    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout)
        .max_buf_size(head_buffer(limits));
    builder
        .http2()
        .timer(TokioTimer::new())
        .max_concurrent_streams(100)
        .keep_alive_interval(Some(limits.idle_timeout))
        .keep_alive_timeout(limits.idle_timeout);
    builder
}

/// Serves `app` on `listener` until `shutdown` completes; then stops
/// accepting, lets requests in flight finish, and closes whatever is left
/// when the deadline passes.
pub async fn serve<S>(
    listener: TcpListener,
    app: S,
    limits: Limits,
    shutdown: impl Future<Output = ()>,
) -> io::Result<()>
where
    S: Service<Request<Body>, Response = Response<ResponseBody>, Error = Infallible>
        + Clone
        + Send
        + 'static,
    S::Future: Send + 'static,
{
    let permits = Arc::new(Semaphore::new(limits.max_connections));
    let (stop_tx, stop_rx) = watch::channel(false);
    let builder = Arc::new(builder(&limits));
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
        let app = app.clone();
        let stop = stop_rx.clone();
        let builder = builder.clone();
        connections.spawn(async move {
            let _permit = permit;
            serve_connection(stream, app, &builder, limits, stop).await;
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

/// What the watchdog knows of a connection.
#[derive(Debug)]
struct Activity {
    /// When the connection opened.
    opened: Instant,
    /// Milliseconds after `opened` that bytes last moved either way.
    last: AtomicU64,
    /// Bytes ever read from the client.
    heard: AtomicBool,
    /// Requests being answered now.
    in_flight: AtomicUsize,
}

impl Activity {
    fn new() -> Self {
        Self {
            opened: Instant::now(),
            last: AtomicU64::new(0),
            heard: AtomicBool::new(false),
            in_flight: AtomicUsize::new(0),
        }
    }

    fn moved(&self) {
        let millis = u64::try_from(self.opened.elapsed().as_millis()).unwrap_or(u64::MAX);
        self.last.store(millis, Ordering::Relaxed);
    }

    /// When the connection may be closed, as things stand.
    fn deadline(&self, limits: &Limits) -> Instant {
        if !self.heard.load(Ordering::Relaxed) {
            return self.opened + limits.first_byte_timeout;
        }
        let last = self.opened + Duration::from_millis(self.last.load(Ordering::Relaxed));
        if self.in_flight.load(Ordering::Relaxed) > 0 {
            // A request is being answered: not idle, whatever the bytes say.
            return last.max(Instant::now()) + limits.idle_timeout;
        }
        last + limits.idle_timeout
    }
}

/// Ends when the connection should be closed: no first byte within the
/// first-byte timeout, or no bytes either way for the idle timeout while
/// no request is being answered.
async fn watchdog(activity: &Activity, limits: &Limits) {
    loop {
        let deadline = activity.deadline(limits);
        let now = Instant::now();
        if deadline <= now {
            return;
        }
        // The first byte can bring the deadline forward, so look again
        // within one idle period.
        tokio::time::sleep_until(deadline.min(now + limits.idle_timeout)).await;
    }
}

/// The client's socket, noting for the watchdog when bytes move.
struct Watched {
    stream: TcpStream,
    activity: Arc<Activity>,
}

impl AsyncRead for Watched {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let polled = Pin::new(&mut self.stream).poll_read(cx, buf);
        if buf.filled().len() > before {
            self.activity.moved();
            self.activity.heard.store(true, Ordering::Relaxed);
        }
        polled
    }
}

impl AsyncWrite for Watched {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let polled = Pin::new(&mut self.stream).poll_write(cx, buf);
        if matches!(polled, Poll::Ready(Ok(n)) if n > 0) {
            self.activity.moved();
        }
        polled
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let polled = Pin::new(&mut self.stream).poll_write_vectored(cx, bufs);
        if matches!(polled, Poll::Ready(Ok(n)) if n > 0) {
            self.activity.moved();
        }
        polled
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_shutdown(cx)
    }
}

/// Counts a request as in flight until its response is ready.
struct InFlight(Arc<Activity>);

impl InFlight {
    fn new(activity: &Arc<Activity>) -> Self {
        activity.in_flight.fetch_add(1, Ordering::Relaxed);
        Self(activity.clone())
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.in_flight.fetch_sub(1, Ordering::Relaxed);
    }
}

/// Runs one connection through hyper beside its watchdog. On shutdown an
/// idle connection closes at once and a busy one finishes the request in
/// hand first (hyper's graceful shutdown).
async fn serve_connection<S>(
    stream: TcpStream,
    app: S,
    builder: &auto::Builder<TokioExecutor>,
    limits: Limits,
    mut stop: watch::Receiver<bool>,
) where
    S: Service<Request<Body>, Response = Response<ResponseBody>, Error = Infallible>
        + Clone
        + Send
        + 'static,
    S::Future: Send + 'static,
{
    let activity = Arc::new(Activity::new());
    // Only the feedback rate limit reads it, and only in memory.
    let peer = stream.peer_addr().ok().map(axum::extract::ConnectInfo);
    let io = TokioIo::new(Watched {
        stream,
        activity: activity.clone(),
    });
    let counted = activity.clone();
    let service = hyper::service::service_fn(move |request: Request<Incoming>| {
        let in_flight = InFlight::new(&counted);
        let mut request = request.map(Body::new);
        // Only a posted form is limited per address (feedback): a page
        // read never carries the reader's address, even in memory.
        if let Some(peer) = peer
            && request.method() != Method::GET
            && request.method() != Method::HEAD
        {
            request.extensions_mut().insert(peer);
        }
        let answer = app.clone().oneshot(request);
        async move {
            let response = answer.await;
            drop(in_flight);
            response
        }
    });
    let connection = builder.serve_connection(io, service);
    tokio::pin!(connection);
    let watchdog = watchdog(&activity, &limits);
    tokio::pin!(watchdog);
    let mut stopping = false;
    loop {
        if !stopping && *stop.borrow() {
            stopping = true;
            connection.as_mut().graceful_shutdown();
        }
        tokio::select! {
            result = connection.as_mut() => {
                if let Err(e) = result {
                    tracing::debug!("connection ended with an error: {e}");
                }
                return;
            }
            () = &mut watchdog => return,
            changed = stop.changed(), if !stopping => {
                if changed.is_err() {
                    stopping = true;
                    connection.as_mut().graceful_shutdown();
                }
            }
        }
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

    fn limits(first_byte: u64, idle: u64) -> Limits {
        Limits {
            first_byte_timeout: Duration::from_secs(first_byte),
            idle_timeout: Duration::from_secs(idle),
            ..Limits::default()
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_silent_connection_expires_after_the_first_byte_timeout() {
        let activity = Activity::new();
        let started = Instant::now();
        watchdog(&activity, &limits(2, 9)).await;
        assert_eq!(started.elapsed().as_secs(), 2);
    }

    #[tokio::test(start_paused = true)]
    async fn a_connection_that_goes_quiet_expires_after_the_idle_timeout() {
        let activity = Arc::new(Activity::new());
        activity.heard.store(true, Ordering::Relaxed);
        let started = Instant::now();
        let talker = activity.clone();
        // Bytes move every second until 5 s, then stop.
        tokio::spawn(async move {
            for _ in 0..5 {
                tokio::time::sleep(Duration::from_secs(1)).await;
                talker.moved();
            }
        });
        watchdog(&activity, &limits(1, 2)).await;
        assert_eq!(started.elapsed().as_secs(), 7);
    }

    #[tokio::test(start_paused = true)]
    async fn a_request_being_answered_is_not_idle() {
        let activity = Arc::new(Activity::new());
        activity.heard.store(true, Ordering::Relaxed);
        let busy = InFlight::new(&activity);
        let started = Instant::now();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_secs(10)).await;
            drop(busy);
        });
        watchdog(&activity, &limits(1, 2)).await;
        assert!(started.elapsed().as_secs() >= 10);
    }

    #[test]
    fn the_head_buffer_leaves_room_for_our_own_limits_to_answer() {
        let limits = Limits::default();
        assert!(head_buffer(&limits) > limits.max_uri_bytes + limits.max_header_bytes);
    }
}
