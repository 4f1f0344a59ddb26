//! The floor for `tests/bench/http.sh`: a server that only hands out bytes.
//!
//! It reads one file at start and answers every request, whatever its path,
//! with those bytes, `Content-Type` and `Content-Length`, and nothing else:
//! no routing, no middleware, no headers, no logging. Its CPU time per
//! request is the least that tokio and hyper need, so the benchmark can say
//! how much the site's own work (routing, negotiation, headers) adds.
//!
//! ```text
//! bench-bare ADDR FILE [GZIP_FILE]
//! ```
//!
//! With `GZIP_FILE`, a request whose `Accept-Encoding` mentions gzip gets
//! those bytes with `Content-Encoding: gzip` instead, so the floor for the
//! gzip runs sends the same number of bytes as the servers it is compared
//! with. It runs on the runtime the site chooses (`serve::server::runtime`,
//! from `TOKIO_WORKER_THREADS`).

use std::convert::Infallible;
use std::net::SocketAddr;
use std::process::ExitCode;

use http_body_util::Full;
use hyper::body::{Bytes, Incoming};
use hyper::header::{self, HeaderValue};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;

// The same allocator as the site, so the comparison measures the site's
// work per request and not a difference between allocators.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// The bytes served, prepared once.
struct Payload {
    plain: Bytes,
    gzip: Option<Bytes>,
}

impl Payload {
    fn respond(&self, request: &Request<Incoming>) -> Response<Full<Bytes>> {
        let gzip = self.gzip.as_ref().filter(|_| {
            request
                .headers()
                .get(header::ACCEPT_ENCODING)
                .and_then(|v| v.to_str().ok())
                .is_some_and(|v| v.contains("gzip"))
        });
        let body = gzip.unwrap_or(&self.plain).clone();
        let length = body.len();
        let mut response = Response::new(Full::new(body));
        let headers = response.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/html; charset=utf-8"),
        );
        headers.insert(header::CONTENT_LENGTH, HeaderValue::from(length));
        if gzip.is_some() {
            headers.insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
        }
        response
    }
}

fn usage() -> ExitCode {
    eprintln!("usage: bench-bare ADDR FILE [GZIP_FILE]");
    ExitCode::FAILURE
}

fn read(path: &str) -> Result<Bytes, String> {
    std::fs::read(path)
        .map(Bytes::from)
        .map_err(|e| format!("cannot read {path}: {e}"))
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (addr, file, gzip_file) = match args.as_slice() {
        [addr, file] => (addr, file, None),
        [addr, file, gzip] => (addr, file, Some(gzip)),
        _ => return usage(),
    };
    let Ok(addr) = addr.parse::<SocketAddr>() else {
        return usage();
    };
    let payload = match (read(file), gzip_file.map(|f| read(f)).transpose()) {
        (Ok(plain), Ok(gzip)) => Payload { plain, gzip },
        (Err(e), _) | (_, Err(e)) => {
            eprintln!("{e}");
            return ExitCode::FAILURE;
        }
    };
    let payload: &'static Payload = Box::leak(Box::new(payload));
    // The site's own choice of runtime, so the floor runs on the same one.
    let result =
        advice_site::serve::server::runtime().and_then(|rt| rt.block_on(serve(addr, payload)));
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("bench-bare: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn serve(addr: SocketAddr, payload: &'static Payload) -> std::io::Result<()> {
    let listener = TcpListener::bind(addr).await?;
    eprintln!("bench-bare serving on http://{}", listener.local_addr()?);
    loop {
        let (stream, _) = match listener.accept().await {
            Ok(accepted) => accepted,
            // Out of descriptors or a connection reset before accept:
            // keep serving the others, as the site does.
            Err(_) => continue,
        };
        // The site sets it too; without it small responses wait for ACKs.
        let _ = stream.set_nodelay(true);
        tokio::spawn(async move {
            let service = service_fn(move |request: Request<Incoming>| async move {
                Ok::<_, Infallible>(payload.respond(&request))
            });
            let _ = http1::Builder::new()
                .keep_alive(true)
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}
