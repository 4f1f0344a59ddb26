//! Serving the public: our own accept loop, so that every connection has
//! timeouts and a cap, and shutdown has a deadline.
//!
//! `axum::serve` (0.8.9) installs no timer, so a client that sends headers
//! slowly holds its connection for ever and blocks graceful shutdown. Here
//! each connection runs our HTTP/1.1 loop (`h1.rs`) beside a watchdog that
//! closes it when it sends nothing, idles, or takes too long over a
//! request's head; a semaphore caps how many are open; and shutdown waits
//! for requests in flight only until a deadline.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use serde::Deserialize;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Semaphore, watch};
use tokio::task::JoinSet;

use crate::h1::{Activity, App, Connection};

/// Connection limits and timeouts; `[server]` in `site.toml`, in seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(from = "RawLimits")]
pub struct Limits {
    /// Time a client may take to send a request's head. The clock starts
    /// whenever the connection waits for a request, so it also caps how
    /// long a keep-alive connection may idle.
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
pub async fn serve<A: App>(
    listener: TcpListener,
    app: A,
    limits: Limits,
    shutdown: impl Future<Output = ()>,
) -> std::io::Result<()> {
    let permits = Arc::new(Semaphore::new(limits.max_connections));
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
        let app = app.clone();
        let stop = stop_rx.clone();
        connections.spawn(async move {
            let _permit = permit;
            serve_connection(stream, app, limits, stop).await;
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

/// Runs one connection beside its watchdog. A connection quiet too long is
/// dropped; on shutdown an idle one is dropped and a busy one finishes the
/// request in hand first.
async fn serve_connection<A: App>(
    stream: TcpStream,
    app: A,
    limits: Limits,
    mut stop: watch::Receiver<bool>,
) {
    let activity = Arc::new(Activity::new());
    let connection = Connection::new(stream, app, limits, activity.clone()).run();
    tokio::pin!(connection);
    let mut stopping = *stop.borrow();
    if stopping {
        activity.close_soon();
    }
    loop {
        tokio::select! {
            () = connection.as_mut() => return,
            () = activity.expired(&limits) => return,
            changed = stop.changed(), if !stopping => {
                stopping = true;
                if changed.is_err() || *stop.borrow() {
                    activity.close_soon();
                    if !activity.busy() {
                        return;
                    }
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

    fn limits(first_byte: u64, idle: u64, header: u64) -> Limits {
        Limits {
            first_byte_timeout: Duration::from_secs(first_byte),
            idle_timeout: Duration::from_secs(idle),
            header_read_timeout: Duration::from_secs(header),
            ..Limits::default()
        }
    }

    #[tokio::test(start_paused = true)]
    async fn the_idle_limit_applies_once_bytes_arrive_mid_wait() {
        let activity = Arc::new(Activity::new());
        let started = tokio::time::Instant::now();
        let reader = activity.clone();
        // The client sends its first byte after 1 s; idle is 2 s after that.
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_secs(1)).await;
            reader.touch(true);
        });
        activity.expired(&limits(30, 2, 60)).await;
        assert_eq!(started.elapsed().as_secs(), 3);
    }

    #[tokio::test(start_paused = true)]
    async fn a_silent_connection_expires_after_the_first_byte_timeout() {
        let activity = Activity::new();
        let started = tokio::time::Instant::now();
        activity.expired(&limits(2, 9, 60)).await;
        assert_eq!(started.elapsed().as_secs(), 2);
    }

    #[tokio::test(start_paused = true)]
    async fn a_head_sent_a_byte_a_second_expires_after_the_header_timeout() {
        let activity = Arc::new(Activity::new());
        let started = tokio::time::Instant::now();
        let dribbler = activity.clone();
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(Duration::from_secs(1)).await;
                dribbler.touch(true);
            }
        });
        activity.expired(&limits(5, 5, 4)).await;
        assert_eq!(started.elapsed().as_secs(), 4);
    }
}
