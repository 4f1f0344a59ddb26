//! Serving: bind, serve, and shut down cleanly on Ctrl-C or SIGTERM.

use std::net::SocketAddr;
use std::time::Duration;

use axum::Router;
use tokio::net::TcpListener;

/// How long requests in flight may run on after a shutdown signal.
pub const SHUTDOWN_DEADLINE: Duration = Duration::from_secs(10);

/// Serves `app` on `listener` until a shutdown signal, then waits for
/// requests in flight for at most `deadline`.
pub async fn serve(listener: TcpListener, app: Router, deadline: Duration) -> std::io::Result<()> {
    let (signalled_tx, signalled_rx) = tokio::sync::oneshot::channel::<()>();
    let server = axum::serve(listener, app).with_graceful_shutdown(async move {
        shutdown_signal().await;
        tracing::info!("shutting down; waiting up to {deadline:?} for requests in flight");
        let _ = signalled_tx.send(());
    });
    // axum's graceful shutdown waits for every connection, and a client that
    // never finishes its request would hold it open for ever.
    let deadline_passed = async move {
        if signalled_rx.await.is_ok() {
            tokio::time::sleep(deadline).await;
        } else {
            std::future::pending::<()>().await;
        }
    };
    tokio::select! {
        result = server => result,
        () = deadline_passed => {
            tracing::warn!("shutdown deadline passed; closing remaining connections");
            Ok(())
        }
    }
}

/// Binds `addr`, saying which address failed if it cannot.
pub async fn bind(addr: SocketAddr) -> std::io::Result<TcpListener> {
    TcpListener::bind(addr)
        .await
        .map_err(|e| std::io::Error::new(e.kind(), format!("cannot listen on {addr}: {e}")))
}

async fn shutdown_signal() {
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
