#![allow(clippy::unwrap_used)]
//! Socket-level tests: the real site served by our own accept loop
//! (`server::serve`) on a loopback port, spoken to with raw `TcpStream`s so
//! each test sees exactly the bytes that go over the wire. Hostile and slow
//! clients are written by hand; every wait is bounded, so a bug fails a test
//! instead of hanging CI.
//!
//! Timing tests set their own short limits and leave every other timer long,
//! so that only the limit under test can end the connection.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use advice_site::config::Limits;
use advice_site::config::{Overrides, SiteConfig};
use advice_site::load::load as load_site;
use advice_site::serve::{self, AppState, server};
use advice_site::site::LoadOptions;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use tokio::time::timeout;

const HTML: &str = "text/html; charset=utf-8";

/// The longest any single step may take before the test gives up.
const WAIT: Duration = Duration::from_secs(5);

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

// ---------------------------------------------------------------------------
// Loading and serving
// ---------------------------------------------------------------------------

/// A path below the crate root.
fn manifest(relative: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(relative)
}

/// Limits long enough that no timer fires unless a test shortens it, and
/// small size limits so oversized requests are cheap to write.
fn patient() -> Limits {
    Limits {
        header_read_timeout: Duration::from_secs(10),
        first_byte_timeout: Duration::from_secs(10),
        idle_timeout: Duration::from_secs(10),
        max_connections: 64,
        shutdown_deadline: Duration::from_secs(10),
        max_uri_bytes: 1024,
        max_header_bytes: 2048,
        max_body_bytes: 4096,
        body_timeout: Duration::from_secs(10),
        request_timeout: Duration::from_secs(10),
    }
}

/// Loads the real site.toml and articles with `static_dir`. The router reads
/// the size limits (414/431) from the configuration, so they are set there.
fn load(overrides: &Overrides, static_dir: &Path) -> AppState {
    let mut config = SiteConfig::load(&manifest("site.toml"), overrides).unwrap();
    config.server = patient();
    let options = LoadOptions {
        content_dir: manifest("content"),
        static_dir: static_dir.to_path_buf(),
        drafts: false,
    };
    match load_site(config, &options) {
        Ok(site) => AppState::new(site),
        Err(err) => panic!("the site did not load:\n{err}"),
    }
}

/// The real site, loaded once for the whole binary: loading renders and
/// compresses every page, and most tests only need to read it.
fn site() -> AppState {
    static SITE: OnceLock<AppState> = OnceLock::new();
    SITE.get_or_init(|| load(&Overrides::default(), &manifest("static")))
        .clone()
}

/// A server running on a loopback port until `stop` is sent (or dropped).
struct Server {
    addr: SocketAddr,
    stop: oneshot::Sender<()>,
    served: JoinHandle<std::io::Result<()>>,
}

async fn start(state: AppState, limits: Limits) -> Server {
    let listener = server::bind("127.0.0.1:0".parse().unwrap()).await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = oneshot::channel::<()>();
    let app = serve::app(state);
    let served = tokio::spawn(server::serve(listener, app, limits, async {
        let _ = stopped.await;
    }));
    Server { addr, stop, served }
}

impl Server {
    /// Sends the shutdown signal and waits (bounded) for `serve` to return;
    /// how long that took.
    async fn shut_down(self) -> Duration {
        let started = Instant::now();
        self.stop.send(()).unwrap();
        match timeout(WAIT, self.served).await {
            Ok(result) => result.unwrap().unwrap(),
            Err(_) => panic!("serve did not return within {WAIT:?} of the shutdown signal"),
        }
        started.elapsed()
    }
}

// ---------------------------------------------------------------------------
// A raw HTTP/1.1 client: bytes in, bytes out, nothing normalised
// ---------------------------------------------------------------------------

/// One response as it came over the wire.
#[derive(Debug)]
struct Reply {
    status: u16,
    headers: Vec<(String, String)>,
    /// The bytes after the head.
    body: Vec<u8>,
}

impl Reply {
    /// The first value of header `name` (case-insensitive).
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    fn content_type(&self) -> &str {
        self.header("content-type").unwrap_or("")
    }

    fn content_length(&self) -> usize {
        match self.header("content-length") {
            Some(v) => v.parse().unwrap(),
            None => panic!("no Content-Length: {self:?}"),
        }
    }

    fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// Parses a response head at the start of `raw`; the reply (empty body)
/// and where the head ends. `None` until the head is complete.
fn parse_head(raw: &[u8]) -> Option<(Reply, usize)> {
    let end = raw.windows(4).position(|w| w == b"\r\n\r\n")? + 4;
    let head = std::str::from_utf8(&raw[..end]).expect("response head is not UTF-8");
    let mut lines = head.split("\r\n");
    let status_line = lines.next().unwrap();
    let mut parts = status_line.splitn(3, ' ');
    // hyper answers an HTTP/1.0 request in HTTP/1.0.
    assert!(
        matches!(parts.next(), Some("HTTP/1.1" | "HTTP/1.0")),
        "status line {status_line:?}"
    );
    let status = parts.next().unwrap().parse().unwrap();
    let headers = lines
        .filter(|l| !l.is_empty())
        .map(|l| {
            let (name, value) = l.split_once(':').expect("header line without a colon");
            (name.to_string(), value.trim().to_string())
        })
        .collect();
    Some((
        Reply {
            status,
            headers,
            body: Vec::new(),
        },
        end,
    ))
}

/// A request with `Connection: close`, so the reply ends when the socket does.
fn request(method: &str, path: &str, headers: &[(&str, &str)]) -> Vec<u8> {
    let mut out = format!("{method} {path} HTTP/1.1\r\nHost: test\r\n");
    for (name, value) in headers {
        out.push_str(&format!("{name}: {value}\r\n"));
    }
    if !matches!(method, "GET" | "HEAD") {
        out.push_str("Content-Length: 0\r\n");
    }
    out.push_str("Connection: close\r\n\r\n");
    out.into_bytes()
}

fn get(path: &str) -> Vec<u8> {
    request("GET", path, &[])
}

/// Sends `raw` on a new connection and reads until the server closes it. The
/// body is every byte after the head, so a wrong Content-Length or a body on
/// a HEAD shows. A server that resets after answering (it may, when the
/// request was too large to read) still yields what it sent first.
async fn exchange(addr: SocketAddr, raw: &[u8]) -> Reply {
    let work = async {
        let mut stream = TcpStream::connect(addr).await.unwrap();
        // The server may stop reading (and close) part-way through a huge
        // request; its answer is still there to read.
        let _ = stream.write_all(raw).await;
        let mut received = Vec::new();
        let mut chunk = [0u8; 16384];
        loop {
            match stream.read(&mut chunk).await {
                Ok(0) | Err(_) => break,
                Ok(n) => received.extend_from_slice(&chunk[..n]),
            }
        }
        received
    };
    let received = match timeout(WAIT, work).await {
        Ok(received) => received,
        Err(_) => panic!("the server neither answered nor closed within {WAIT:?}"),
    };
    let Some((mut reply, end)) = parse_head(&received) else {
        panic!(
            "no complete response head in {:?}",
            String::from_utf8_lossy(&received)
        )
    };
    reply.body = received[end..].to_vec();
    reply
}

/// A connection kept open across requests.
struct Client {
    stream: TcpStream,
    buf: Vec<u8>,
}

impl Client {
    async fn connect(addr: SocketAddr) -> Self {
        let stream = timeout(WAIT, TcpStream::connect(addr))
            .await
            .expect("connect timed out")
            .unwrap();
        Self {
            stream,
            buf: Vec::new(),
        }
    }

    async fn send(&mut self, bytes: &[u8]) {
        timeout(WAIT, self.stream.write_all(bytes))
            .await
            .expect("write timed out")
            .unwrap();
    }

    /// Reads one response to a GET, its body delimited by Content-Length.
    /// Unbounded: wrap it in a timeout. Cancel-safe, since bytes read are
    /// kept in `buf`.
    async fn read_reply(&mut self) -> Reply {
        loop {
            if let Some((mut reply, end)) = parse_head(&self.buf) {
                let length = if reply.status == 304 {
                    0
                } else {
                    reply.content_length()
                };
                if self.buf.len() >= end + length {
                    reply.body = self.buf[end..end + length].to_vec();
                    self.buf.drain(..end + length);
                    return reply;
                }
            }
            let mut chunk = [0u8; 16384];
            match self.stream.read(&mut chunk).await {
                Ok(0) => panic!("connection closed before a full response"),
                Ok(n) => self.buf.extend_from_slice(&chunk[..n]),
                Err(e) => panic!("connection failed before a full response: {e}"),
            }
        }
    }

    /// One response, within `WAIT`.
    async fn reply(&mut self) -> Reply {
        match timeout(WAIT, self.read_reply()).await {
            Ok(reply) => reply,
            Err(_) => panic!("no response within {WAIT:?}"),
        }
    }

    /// Waits up to `limit` for the server to close the connection (end of
    /// stream or a reset); anything it sends first is kept in `buf`. `true`
    /// if it closed.
    async fn closed_within(&mut self, limit: Duration) -> bool {
        let work = async {
            let mut chunk = [0u8; 4096];
            loop {
                match self.stream.read(&mut chunk).await {
                    Ok(0) | Err(_) => return,
                    Ok(n) => self.buf.extend_from_slice(&chunk[..n]),
                }
            }
        };
        timeout(limit, work).await.is_ok()
    }
}

/// The `href` of the page's stylesheet link.
fn stylesheet_href(html: &str) -> String {
    let start = html.find("rel=\"stylesheet\"").expect("no stylesheet link");
    let rest = &html[start..];
    let rest = &rest[rest.find("href=\"").expect("stylesheet link has no href") + 6..];
    rest[..rest.find('"').unwrap()].to_string()
}

// ---------------------------------------------------------------------------
// Timeouts, the connection cap and shutdown
// ---------------------------------------------------------------------------

#[tokio::test]
async fn slow_header_client_is_cut_off_while_a_normal_request_is_answered() {
    let limits = Limits {
        header_read_timeout: ms(500),
        ..patient()
    };
    let server = start(site(), limits).await;

    let slow = async {
        let started = Instant::now();
        let mut client = Client::connect(server.addr).await;
        client
            .send(b"GET / HTTP/1.1\r\nHost: test\r\nX-Slow: ")
            .await;
        // One more byte of the header every 100 ms: never silent, never done.
        loop {
            assert!(
                started.elapsed() < WAIT,
                "a slow-header client was still connected after {WAIT:?}"
            );
            if client.stream.write_all(b"a").await.is_err() || client.closed_within(ms(100)).await {
                return started.elapsed();
            }
        }
    };
    let normal = async {
        tokio::time::sleep(ms(200)).await;
        let reply = timeout(ms(1000), exchange(server.addr, &get("/")))
            .await
            .expect("a normal request was not answered within 1 s");
        assert_eq!(reply.status, 200);
    };
    let (cut_after, ()) = tokio::join!(slow, normal);
    assert!(
        cut_after > ms(400) && cut_after < ms(2000),
        "the slow client was cut off after {cut_after:?}; header_read_timeout is 500 ms"
    );
}

#[tokio::test]
async fn silent_connection_is_closed_after_first_byte_timeout() {
    let limits = Limits {
        first_byte_timeout: ms(400),
        ..patient()
    };
    let server = start(site(), limits).await;
    let started = Instant::now();
    let mut client = Client::connect(server.addr).await;
    assert!(
        client.closed_within(ms(2000)).await,
        "a connection that sent nothing was still open after 2 s"
    );
    let closed_after = started.elapsed();
    assert!(
        closed_after > ms(350),
        "closed after {closed_after:?}, before the 400 ms first-byte timeout"
    );
    assert!(
        client.buf.is_empty(),
        "the server sent {:?} to a client that asked nothing",
        String::from_utf8_lossy(&client.buf)
    );
}

#[tokio::test]
async fn idle_keep_alive_connection_is_closed() {
    let limits = Limits {
        idle_timeout: ms(400),
        ..patient()
    };
    let server = start(site(), limits).await;
    let mut client = Client::connect(server.addr).await;
    // As a browser that opens a connection before it needs it: the server
    // is already watching the connection when the first byte arrives.
    tokio::time::sleep(ms(100)).await;
    client.send(b"GET / HTTP/1.1\r\nHost: test\r\n\r\n").await;
    let reply = client.reply().await;
    assert_eq!(reply.status, 200);
    assert_ne!(reply.header("connection"), Some("close"), "not kept alive");

    let answered = Instant::now();
    assert!(
        client.closed_within(ms(2000)).await,
        "an idle keep-alive connection was still open 2 s after its last response"
    );
    let closed_after = answered.elapsed();
    assert!(
        closed_after > ms(300),
        "closed {closed_after:?} after the response, before the 400 ms idle timeout"
    );
}

/// After shutdown, the listener is gone: a new connection is refused.
async fn assert_refuses_new_connections(addr: SocketAddr) {
    assert!(
        timeout(WAIT, TcpStream::connect(addr))
            .await
            .unwrap()
            .is_err(),
        "a new connection was accepted after shutdown"
    );
}

#[tokio::test]
async fn shutdown_finishes_within_its_deadline_with_a_stalled_client() {
    let limits = Limits {
        shutdown_deadline: ms(500),
        ..patient()
    };
    let server = start(site(), limits).await;
    let addr = server.addr;

    // A request that completed before shutdown, on a connection kept open.
    let mut done = Client::connect(addr).await;
    done.send(b"GET / HTTP/1.1\r\nHost: test\r\n\r\n").await;
    assert_eq!(done.reply().await.status, 200);

    // Half a request head, then nothing: only the deadline can end it.
    let mut stalled = Client::connect(addr).await;
    stalled.send(b"GET / HTTP/1.1\r\nHost: test\r\n").await;
    tokio::time::sleep(ms(100)).await;

    let took = server.shut_down().await;
    assert!(
        took > ms(400) && took < ms(2000),
        "serve returned {took:?} after the signal; the deadline is 500 ms"
    );
    for (name, client) in [("stalled", &mut stalled), ("kept-alive", &mut done)] {
        assert!(
            client.closed_within(ms(500)).await,
            "the {name} connection is still open after serve returned"
        );
    }
    assert_refuses_new_connections(addr).await;
}

#[tokio::test]
async fn requests_in_flight_finish_during_graceful_shutdown() {
    // A request whose head is on its way when the signal comes must still be
    // answered. (A request sent at the same instant as the signal on an idle
    // connection may legitimately meet a closed socket, so the test makes
    // the request in flight first, deterministically.)
    let state = site();
    let path = state.pages().site.articles[0].url();
    let expected = state.pages().responses[&path].body.clone();
    let server = start(state, patient()).await;

    let mut client = Client::connect(server.addr).await;
    client
        .send(format!("GET {path} HTTP/1.1\r\nHost: test\r\n").as_bytes())
        .await;
    tokio::time::sleep(ms(100)).await;
    let Server { addr, stop, served } = server;
    stop.send(()).unwrap();
    tokio::time::sleep(ms(100)).await;
    assert!(
        !served.is_finished(),
        "serve returned with a request in flight"
    );

    client.send(b"\r\n").await;
    let reply = client.reply().await;
    assert_eq!(reply.status, 200, "GET {path} during shutdown");
    assert_eq!(reply.body, expected, "GET {path}: body cut short");
    assert_eq!(
        reply.header("connection"),
        Some("close"),
        "a response during shutdown should say the connection closes"
    );
    assert!(
        client.closed_within(ms(1000)).await,
        "the connection stayed open after its last response during shutdown"
    );
    // Well before the 10 s deadline: it waited for the request, not the clock.
    match timeout(ms(2000), served).await {
        Ok(result) => result.unwrap().unwrap(),
        Err(_) => panic!("serve did not return once its last request was answered"),
    }
    assert_refuses_new_connections(addr).await;
}

#[tokio::test]
async fn connection_cap_holds_extra_clients_in_the_queue() {
    let limits = Limits {
        max_connections: 2,
        ..patient()
    };
    let server = start(site(), limits).await;
    let first = Client::connect(server.addr).await;
    let _second = Client::connect(server.addr).await;
    // The kernel completes the handshake; the server must not take it up.
    let mut third = Client::connect(server.addr).await;
    third.send(&get("/")).await;
    assert!(
        timeout(ms(500), third.read_reply()).await.is_err(),
        "a third client was answered while two connections were open (cap 2)"
    );
    assert!(
        third.buf.is_empty(),
        "the third client got a partial answer"
    );

    drop(first);
    let reply = match timeout(ms(2000), third.read_reply()).await {
        Ok(reply) => reply,
        Err(_) => panic!("the queued client was not answered after a connection closed"),
    };
    assert_eq!(reply.status, 200);
}

// ---------------------------------------------------------------------------
// What may be asked for
// ---------------------------------------------------------------------------

#[tokio::test]
async fn traversal_matrix_answers_404() {
    let state = site();
    let not_found = state.pages().not_found.body.clone();
    let server = start(state, patient()).await;
    let cases: &[(&str, u16)] = &[
        ("/../Cargo.toml", 404),
        ("/static/../Cargo.toml", 404),
        ("/static/../../Cargo.toml", 404),
        ("/static/%2e%2e/Cargo.toml", 404),
        ("/static/%2E%2E/Cargo.toml", 404),
        ("/static/..%2fCargo.toml", 404),
        ("/static/%2e%2e%2fCargo.toml", 404),
        ("/static/%252e%252e/Cargo.toml", 404),
        // hyper passes `\` through as it is; the lookup must still miss.
        ("/static/..\\Cargo.toml", 404),
        ("/static\\..\\Cargo.toml", 404),
        ("/static/%5c..%5cCargo.toml", 404),
        ("/static/site.css%00", 404),
        ("/static/site.css%00.txt", 404),
        ("/static/.hidden", 404),
        ("/static/.gitkeep", 404),
        ("/.git/config", 404),
        ("/.git/HEAD", 404),
        ("/.env", 404),
        ("/static/", 404),
        ("/static", 404),
        ("//etc/passwd", 404),
        ("/static//etc/passwd", 404),
        ("/static/%2fetc%2fpasswd", 404),
    ];
    for &(path, expected) in cases {
        let reply = exchange(server.addr, &get(path)).await;
        let body = reply.text();
        assert_eq!(reply.status, expected, "GET {path}: {body}");
        assert!(!body.contains("[package]"), "GET {path} leaked Cargo.toml");
        assert!(!body.contains("root:"), "GET {path} leaked /etc/passwd");
        if expected == 404 {
            assert_eq!(reply.content_type(), HTML, "GET {path}");
            assert_eq!(reply.body, not_found, "GET {path}: not our 404 page");
        }
    }
}

/// A copy of `static/` in a temporary folder, removed on drop.
#[cfg(unix)]
struct TempStatic(PathBuf);

#[cfg(unix)]
impl Drop for TempStatic {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[cfg(unix)]
#[tokio::test]
async fn a_symlink_out_of_static_is_never_followed() {
    let dir = TempStatic(
        std::env::temp_dir().join(format!("advice-site-http-static-{}", std::process::id())),
    );
    let _ = std::fs::remove_dir_all(&dir.0);
    std::fs::create_dir_all(&dir.0).unwrap();
    for entry in std::fs::read_dir(manifest("static")).unwrap() {
        let entry = entry.unwrap();
        if entry.file_type().unwrap().is_file() {
            std::fs::copy(entry.path(), dir.0.join(entry.file_name())).unwrap();
        }
    }
    std::os::unix::fs::symlink(manifest("Cargo.toml"), dir.0.join("leak.txt")).unwrap();
    std::os::unix::fs::symlink(manifest("."), dir.0.join("repo")).unwrap();
    std::fs::write(dir.0.join(".secret"), "[package] secret").unwrap();
    std::fs::write(dir.0.join("visible.txt"), "visible").unwrap();

    let server = start(load(&Overrides::default(), &dir.0), patient()).await;
    // The control: a plain file in the same folder is served.
    let visible = exchange(server.addr, &get("/static/visible.txt")).await;
    assert_eq!(visible.status, 200, "the copied folder is not being served");
    assert_eq!(visible.text(), "visible");
    for path in [
        "/static/leak.txt",
        "/static/repo/Cargo.toml",
        "/static/.secret",
    ] {
        let reply = exchange(server.addr, &get(path)).await;
        assert_eq!(reply.status, 404, "GET {path}");
        assert!(!reply.text().contains("[package]"), "GET {path} leaked");
    }
}

#[tokio::test]
async fn other_methods_get_405_with_allow() {
    let state = site();
    let article = state.pages().site.articles[0].url();
    let unsupported = state.pages().unsupported.body.clone();
    let not_found = state.pages().not_found.body.clone();
    let server = start(state, patient()).await;
    for method in ["POST", "PUT", "DELETE", "PATCH", "OPTIONS", "TRACE"] {
        for path in ["/", article.as_str()] {
            let reply = exchange(server.addr, &request(method, path, &[])).await;
            assert_eq!(reply.status, 405, "{method} {path}");
            assert_eq!(reply.header("allow"), Some("GET, HEAD"), "{method} {path}");
            assert_eq!(reply.content_type(), HTML, "{method} {path}");
            assert_eq!(reply.body, unsupported, "{method} {path}: not our page");
        }
        let reply = exchange(server.addr, &request(method, "/no-such-page", &[])).await;
        assert_eq!(reply.status, 404, "{method} /no-such-page");
        assert_eq!(
            reply.header("allow"),
            None,
            "{method} /no-such-page: a 404 names no methods"
        );
        assert_eq!(
            reply.body, not_found,
            "{method} /no-such-page: not our page"
        );
    }
}

#[tokio::test]
async fn oversized_uri_gets_414_and_oversized_headers_431() {
    let state = site();
    let unsupported = state.pages().unsupported.body.clone();
    let server = start(state, patient()).await;

    let long_path = format!("/{}", "a".repeat(2048));
    let big_value = "b".repeat(4096);
    for (what, raw, status) in [
        ("a 2 KB path", get(&long_path), 414),
        (
            "a 4 KB header",
            request("GET", "/", &[("X-Big", &big_value)]),
            431,
        ),
    ] {
        let reply = exchange(server.addr, &raw).await;
        assert_eq!(reply.status, status, "{what}");
        assert_eq!(reply.content_type(), HTML, "{what}");
        assert_eq!(reply.body, unsupported, "{what}: not our page");
        assert_eq!(reply.content_length(), reply.body.len(), "{what}");
        assert_eq!(reply.header("connection"), Some("close"), "{what}");
    }

    // Far beyond what the server buffers: it stops reading, still answers
    // with our page and headers, and closes (the exchange fails if the
    // connection is left open).
    // (hyper counts at most 100 fields, so the bulk is in fewer, longer ones.)
    let mut huge = b"GET / HTTP/1.1\r\nHost: test\r\n".to_vec();
    for i in 0..80 {
        huge.extend_from_slice(format!("X-Filler-{i}: {}\r\n", "c".repeat(2500)).as_bytes());
    }
    huge.extend_from_slice(b"\r\n");
    let reply = exchange(server.addr, &huge).await;
    assert_eq!(reply.status, 431, "200 KB of headers");
    assert_eq!(reply.body, unsupported, "200 KB of headers: not our page");
    assert_security_headers(&reply, "200 KB of headers", false);
    // hyper itself refuses a target over 64 KiB, so 60 KB is the longest
    // that can reach us.
    let endless_path = format!("GET /{} HTTP/1.1\r\n\r\n", "d".repeat(60_000));
    let reply = exchange(server.addr, endless_path.as_bytes()).await;
    assert_eq!(reply.status, 414, "a 60 KB request line");
    assert_eq!(
        reply.body, unsupported,
        "a 60 KB request line: not our page"
    );
}

// ---------------------------------------------------------------------------
// Our HTTP/1.1: framing, pipelining, bodies, and the quick path
// ---------------------------------------------------------------------------

/// The headers of a reply without `date`, which changes by the second.
fn dateless(reply: &Reply) -> Vec<(String, String)> {
    let mut headers: Vec<(String, String)> = reply
        .headers
        .iter()
        .filter(|(name, _)| !name.eq_ignore_ascii_case("date"))
        .map(|(name, value)| (name.to_ascii_lowercase(), value.clone()))
        .collect();
    headers.sort();
    headers
}

#[tokio::test]
async fn a_query_or_a_stale_etag_never_changes_a_prepared_answer() {
    // A plain GET or HEAD of a prepared URL, the same URL with a query the
    // site ignores, and one with an If-None-Match that does not match must
    // send the same bytes, in every encoding.
    let state = site();
    let mut paths: Vec<String> = state.pages().responses.keys().cloned().collect();
    paths.sort();
    let server = start(state, patient()).await;
    for path in &paths {
        for encoding in [None, Some("gzip"), Some("br"), Some("gzip, br")] {
            for method in ["GET", "HEAD"] {
                let mut headers = vec![];
                if let Some(encoding) = encoding {
                    headers.push(("Accept-Encoding", encoding));
                }
                let quick = exchange(server.addr, &request(method, path, &headers)).await;
                let what = format!("{method} {path} ({encoding:?})");
                assert_eq!(quick.status, 200, "{what}");
                let with_query = format!("{path}?utm_source=test");
                let routed = exchange(server.addr, &request(method, &with_query, &headers)).await;
                let mut conditional = headers.clone();
                conditional.push(("If-None-Match", "\"not-this-one\""));
                let checked = exchange(server.addr, &request(method, path, &conditional)).await;
                for (other, name) in [(&routed, "with a query"), (&checked, "conditional")] {
                    assert_eq!(dateless(&quick), dateless(other), "{what} vs {name}");
                    assert_eq!(quick.body, other.body, "{what} vs {name}");
                }
                if method == "HEAD" {
                    assert!(quick.body.is_empty(), "{what} sent a body");
                } else {
                    assert_eq!(quick.content_length(), quick.body.len(), "{what}");
                }
                assert!(quick.header("date").is_some(), "{what}: no Date");
            }
        }
    }
}

#[tokio::test]
async fn pipelined_requests_are_answered_in_order() {
    let state = site();
    let home = state.pages().responses["/"].body.clone();
    let robots = state.pages().responses["/robots.txt"].body.clone();
    let server = start(state, patient()).await;
    let mut client = Client::connect(server.addr).await;
    // Three requests in one write: quick, quick HEAD, and one the service
    // answers (a 404), then a quick one again.
    client
        .send(
            b"GET / HTTP/1.1\r\nHost: t\r\n\r\n\
              HEAD /robots.txt HTTP/1.1\r\nHost: t\r\n\r\n\
              GET /no-such-page HTTP/1.1\r\nHost: t\r\n\r\n\
              GET /robots.txt HTTP/1.1\r\nHost: t\r\n\r\n",
        )
        .await;
    let first = client.reply().await;
    assert_eq!((first.status, &first.body), (200, &home.to_vec()));
    // A HEAD's reply states the length but carries no body; read its head
    // only.
    let head = loop {
        if let Some((reply, end)) = parse_head(&client.buf) {
            client.buf.drain(..end);
            break reply;
        }
        let mut chunk = [0u8; 4096];
        let n = timeout(WAIT, client.stream.read(&mut chunk))
            .await
            .unwrap()
            .unwrap();
        assert!(n > 0, "closed after the HEAD");
        client.buf.extend_from_slice(&chunk[..n]);
    };
    assert_eq!(head.status, 200);
    assert_eq!(head.content_length(), robots.len());
    assert_eq!(client.reply().await.status, 404);
    let last = client.reply().await;
    assert_eq!((last.status, &last.body), (200, &robots.to_vec()));
    assert_eq!(last.header("connection"), None, "kept alive");
}

#[tokio::test]
async fn a_request_body_is_never_read_as_a_request() {
    let server = start(site(), patient()).await;
    // A body that looks like a request (request smuggling), sent with a
    // length and chunked: the server answers the outer request only. hyper
    // frames the body and discards it, or closes; either way the body is
    // never answered as a request of its own.
    let with_length = concat!(
        "POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 33\r\n\r\n",
        "GET /robots.txt HTTP/1.1\r\nX: y\r\n\r\n",
    );
    let chunked = concat!(
        "GET / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n",
        "21\r\nGET /robots.txt HTTP/1.1\r\nX: y\r\n\r\n\r\n0\r\n\r\n",
    );
    for (what, raw) in [("with a length", with_length), ("chunked", chunked)] {
        let raw = raw.as_bytes();
        let mut client = Client::connect(server.addr).await;
        client.send(raw).await;
        let reply = client.reply().await;
        assert!(
            matches!(reply.status, 200 | 405),
            "{what}: {}",
            reply.status
        );
        // Closed or kept open, nothing more may arrive.
        let _ = client.closed_within(ms(1000)).await;
        assert!(
            client.buf.is_empty(),
            "{what}: the body was answered as a request: {:?}",
            String::from_utf8_lossy(&client.buf)
        );
    }
}

#[tokio::test]
async fn a_head_still_arriving_at_shutdown_is_answered() {
    let server = start(site(), patient()).await;
    let mut client = Client::connect(server.addr).await;
    client
        .send(b"GET /robots.txt HTTP/1.1\r\nHost: t\r\n")
        .await;
    tokio::time::sleep(ms(100)).await;
    let Server { stop, served, .. } = server;
    stop.send(()).unwrap();
    tokio::time::sleep(ms(100)).await;
    // The rest of the head comes in two more pieces after the signal.
    client.send(b"User-Agent: x\r\n").await;
    tokio::time::sleep(ms(100)).await;
    client.send(b"\r\n").await;
    let reply = client.reply().await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.header("connection"), Some("close"));
    assert!(client.closed_within(ms(2000)).await);
    timeout(ms(3000), served).await.unwrap().unwrap().unwrap();
}

#[tokio::test]
async fn refusals_close_the_connection_and_a_head_gets_no_body() {
    let server = start(site(), patient()).await;
    // A 414 from the service closes the connection: the request pipelined
    // behind it is not answered.
    let mut client = Client::connect(server.addr).await;
    let long = format!(
        "GET /{} HTTP/1.1\r\nHost: t\r\n\r\nGET /robots.txt HTTP/1.1\r\nHost: t\r\n\r\n",
        "a".repeat(9000)
    );
    client.send(long.as_bytes()).await;
    let reply = client.reply().await;
    assert_eq!(reply.status, 414);
    assert_eq!(reply.header("connection"), Some("close"));
    assert!(client.closed_within(ms(2000)).await, "left open after 414");
    assert!(client.buf.is_empty(), "answered a request after the 414");

    // A HEAD refused for its size gets the head of the refusal only.
    let mut raw = b"HEAD / HTTP/1.1\r\nHost: t\r\n".to_vec();
    for i in 0..120 {
        raw.extend_from_slice(format!("X-{i}: y\r\n").as_bytes());
    }
    raw.extend_from_slice(b"\r\n");
    let reply = exchange(server.addr, &raw).await;
    assert_eq!(reply.status, 431);
    assert!(
        reply.body.is_empty(),
        "a HEAD got a {}-byte body",
        reply.body.len()
    );
}

#[tokio::test]
async fn an_unreadable_accept_encoding_gets_the_same_answer_with_or_without_a_query() {
    let server = start(site(), patient()).await;
    let odd = "gzip, \u{e9}";
    let quick = exchange(
        server.addr,
        &request("GET", "/", &[("Accept-Encoding", odd)]),
    )
    .await;
    let routed = exchange(
        server.addr,
        &request("GET", "/?q=1", &[("Accept-Encoding", odd)]),
    )
    .await;
    assert_eq!(dateless(&quick), dateless(&routed));
    assert_eq!(quick.body, routed.body);
}

#[tokio::test]
async fn http_1_0_closes_unless_asked_to_keep_alive() {
    let server = start(site(), patient()).await;
    let mut client = Client::connect(server.addr).await;
    client
        .send(b"GET /robots.txt HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
        .await;
    let kept = client.reply().await;
    assert_eq!(kept.status, 200);
    assert_eq!(kept.header("connection"), Some("keep-alive"));
    // The same through the service (a 404), which must say so too.
    client
        .send(b"GET /no-such-page HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
        .await;
    let missing = client.reply().await;
    assert_eq!(missing.status, 404);
    assert_eq!(missing.header("connection"), Some("keep-alive"));
    client.send(b"GET /robots.txt HTTP/1.0\r\n\r\n").await;
    let last = client.reply().await;
    assert_eq!(last.status, 200);
    // HTTP/1.0 closes unless asked not to; hyper need not say so.
    assert_ne!(last.header("connection"), Some("keep-alive"));
    assert!(client.closed_within(ms(2000)).await, "HTTP/1.0 left open");
}

#[tokio::test]
async fn malformed_requests_get_400_and_are_closed() {
    // hyper refuses a head it cannot parse before any service sees it: a
    // bare 400, and the connection closes. Nothing of ours runs.
    let server = start(site(), patient()).await;
    for raw in [
        &b"GET / HTTP/1.1\r\nNo colon here\r\n\r\n"[..],
        &b"NOT HTTP AT ALL\r\n\r\n"[..],
        &b"GET / HTTP/1.1\r\nContent-Length: lots\r\n\r\n"[..],
        &b"GET / HTTP/1.1\r\nX: \x01\r\n\r\n"[..],
    ] {
        let what = String::from_utf8_lossy(raw).into_owned();
        let reply = exchange(server.addr, raw).await;
        assert_eq!(reply.status, 400, "{what:?}");
        assert_eq!(reply.header("connection"), Some("close"), "{what:?}");
    }
}

// ---------------------------------------------------------------------------
// Headers on the wire
// ---------------------------------------------------------------------------

fn assert_security_headers(reply: &Reply, what: &str, https: bool) {
    let csp = reply
        .header("content-security-policy")
        .unwrap_or_else(|| panic!("{what}: no Content-Security-Policy"));
    for directive in [
        "default-src 'none'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
        "form-action",
    ] {
        assert!(csp.contains(directive), "{what}: CSP lacks {directive}");
    }
    assert_eq!(
        reply.header("x-content-type-options"),
        Some("nosniff"),
        "{what}"
    );
    for name in [
        "referrer-policy",
        "cross-origin-resource-policy",
        "cross-origin-opener-policy",
        "permissions-policy",
    ] {
        assert!(
            reply.header(name).is_some_and(|v| !v.is_empty()),
            "{what}: no {name}"
        );
    }
    assert_eq!(reply.header("set-cookie"), None, "{what} sets a cookie");
    assert_eq!(reply.header("server"), None, "{what} names the server");
    let kind = reply.content_type();
    if kind.starts_with("text/") || kind.contains("xml") || kind.contains("json") {
        assert!(
            kind.contains("charset=utf-8"),
            "{what}: {kind} lacks charset"
        );
    }
    match reply.header("strict-transport-security") {
        Some(hsts) => {
            assert!(https, "{what}: HSTS on a site served over http");
            assert!(hsts.contains("max-age="), "{what}: HSTS {hsts}");
        }
        None => assert!(!https, "{what}: no HSTS on an https site"),
    }
}

#[tokio::test]
async fn security_headers_on_every_kind_of_response() {
    let https_site = load(
        &Overrides {
            base_url: Some("https://example.org".to_string()),
            ..Overrides::default()
        },
        &manifest("static"),
    );
    for (state, https) in [(site(), false), (https_site, true)] {
        let loaded = state.pages();
        let article = loaded.site.articles[0].url();
        let preview = loaded.images[&loaded.site.articles[0].slug].clone();
        let stylesheet = loaded.site.asset_urls.url("site.css");
        let server = start(state, patient()).await;

        let home = exchange(server.addr, &get("/")).await;
        let etag = home.header("etag").unwrap().to_string();
        let long_path = format!("/{}", "a".repeat(2048));
        let big_value = "b".repeat(4096);
        let cases: Vec<(&str, Vec<u8>, u16)> = vec![
            ("a page", get("/"), 200),
            ("an article", get(&article), 200),
            ("the 404 page", get("/no-such-page"), 404),
            ("a redirect", get(&format!("{article}/")), 301),
            ("a static file", get("/static/site.css"), 200),
            ("a fingerprinted static file", get(&stylesheet), 200),
            ("a preview image", get(&preview), 200),
            ("the favicon", get("/favicon.ico"), 200),
            ("405", request("POST", "/", &[]), 405),
            ("414", get(&long_path), 414),
            ("431", request("GET", "/", &[("X-Big", &big_value)]), 431),
            ("304", request("GET", "/", &[("If-None-Match", &etag)]), 304),
            ("the feed", get("/feed.xml"), 200),
            ("the sitemap", get("/sitemap.xml"), 200),
            ("robots.txt", get("/robots.txt"), 200),
            ("healthz", get("/healthz"), 200),
        ];
        for (what, raw, status) in cases {
            let what = format!("{what} ({})", if https { "https" } else { "http" });
            let reply = exchange(server.addr, &raw).await;
            assert_eq!(reply.status, status, "{what}");
            assert_security_headers(&reply, &what, https);
        }
    }
}

#[tokio::test]
async fn encodings_etags_and_head() {
    let state = site();
    let path = state.pages().site.articles[0].url();
    let expected = state.pages().responses[&path].body.clone();
    let server = start(state, patient()).await;

    let mut etags: Vec<(Option<&str>, String)> = Vec::new();
    for (accept, encoding) in [
        (Some("br"), Some("br")),
        (Some("gzip"), Some("gzip")),
        (Some("br;q=0, gzip"), Some("gzip")),
        (Some("identity"), None),
        (None, None),
    ] {
        let what = format!("GET {path} with Accept-Encoding {accept:?}");
        let headers: Vec<(&str, &str)> =
            accept.map(|a| ("Accept-Encoding", a)).into_iter().collect();
        let reply = exchange(server.addr, &request("GET", &path, &headers)).await;
        assert_eq!(reply.status, 200, "{what}");
        assert_eq!(reply.header("content-encoding"), encoding, "{what}");
        assert_eq!(reply.header("vary"), Some("accept-encoding"), "{what}");
        assert_eq!(reply.content_length(), reply.body.len(), "{what}");
        let cache = reply.header("cache-control").unwrap_or("");
        assert!(cache.contains("must-revalidate"), "{what}: {cache}");
        let decoded = match encoding {
            Some("br") => {
                let mut out = Vec::new();
                brotli::BrotliDecompress(&mut &reply.body[..], &mut out).unwrap();
                out
            }
            Some("gzip") => {
                let mut out = Vec::new();
                std::io::Read::read_to_end(
                    &mut flate2::read::GzDecoder::new(&reply.body[..]),
                    &mut out,
                )
                .unwrap();
                out
            }
            _ => reply.body.clone(),
        };
        assert!(decoded == expected, "{what}: decodes to other bytes");

        let etag = reply.header("etag").unwrap().to_string();
        assert!(
            etag.starts_with('"') && etag.ends_with('"') && etag.len() > 2,
            "{what}: ETag {etag} is not a strong tag"
        );
        for (other_encoding, other) in &etags {
            assert_eq!(
                *other == etag,
                *other_encoding == encoding,
                "{what}: ETag {etag} vs {other} of {other_encoding:?}"
            );
        }
        etags.push((encoding, etag.clone()));

        let mut revalidate = headers.clone();
        revalidate.push(("If-None-Match", &etag));
        let not_modified = exchange(server.addr, &request("GET", &path, &revalidate)).await;
        assert_eq!(not_modified.status, 304, "{what}, revalidated");
        assert!(not_modified.body.is_empty(), "{what}: 304 with a body");
        assert_eq!(not_modified.header("etag"), Some(etag.as_str()), "{what}");
    }

    let got = exchange(server.addr, &get(&path)).await;
    let head = exchange(server.addr, &request("HEAD", &path, &[])).await;
    assert_eq!(head.status, 200, "HEAD {path}");
    assert!(
        head.body.is_empty(),
        "HEAD {path}: {} body bytes on the wire",
        head.body.len()
    );
    assert_eq!(head.content_length(), got.body.len(), "HEAD {path}");
    let without_date = |reply: &Reply| {
        let mut headers: Vec<(String, String)> = reply
            .headers
            .iter()
            .filter(|(n, _)| !n.eq_ignore_ascii_case("date"))
            .map(|(n, v)| (n.to_ascii_lowercase(), v.clone()))
            .collect();
        headers.sort();
        headers
    };
    assert_eq!(
        without_date(&head),
        without_date(&got),
        "HEAD {path} headers"
    );

    let stylesheet = stylesheet_href(&exchange(server.addr, &get("/")).await.text());
    assert_ne!(
        stylesheet, "/static/site.css",
        "the stylesheet is not fingerprinted"
    );
    let reply = exchange(server.addr, &get(&stylesheet)).await;
    assert_eq!(reply.status, 200, "GET {stylesheet}");
    let cache = reply.header("cache-control").unwrap_or("");
    assert!(
        cache.contains("immutable") && cache.contains("max-age=31536000"),
        "GET {stylesheet}: Cache-Control {cache}"
    );
}

#[tokio::test]
async fn health_and_security_txt() {
    let server = start(site(), patient()).await;
    let health = exchange(server.addr, &get("/healthz")).await;
    assert_eq!(health.status, 200);
    assert_eq!(health.text().trim(), "ok");
    assert_eq!(health.header("cache-control"), Some("no-store"));

    let security = exchange(server.addr, &get("/.well-known/security.txt")).await;
    assert_eq!(security.status, 200);
    assert_eq!(security.content_type(), "text/plain; charset=utf-8");
    let text = security.text();
    let field = |name: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(name))
            .map(str::trim)
            .unwrap_or_else(|| panic!("security.txt has no {name}\n{text}"))
    };
    assert!(!field("Contact:").is_empty());
    let expires = OffsetDateTime::parse(field("Expires:"), &Rfc3339).unwrap();
    assert!(
        expires > OffsetDateTime::now_utc(),
        "security.txt expired on {expires}"
    );
}

// ---------------------------------------------------------------------------
// Posted forms and methods (through a form route only the tests mount)
// ---------------------------------------------------------------------------

/// The site with one extra route that reads a posted form and answers with
/// how many fields it had: the real middleware, the real form reader.
async fn start_with_form(state: AppState, limits: Limits) -> Server {
    use advice_site::serve::{form, middleware, routes};
    use axum::routing::post;
    let listener = server::bind("127.0.0.1:0".parse().unwrap()).await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = oneshot::channel::<()>();
    let pages = state.clone();
    let deadline = limits.body_timeout;
    let echo = move |request: axum::extract::Request| {
        let pages = pages.clone();
        async move {
            let (parts, body) = request.into_parts();
            match form::read(&parts.headers, body, deadline).await {
                Ok(fields) => format!("{} fields", fields.len()).into_response(),
                Err(refused) => refused.respond(&pages.pages()),
            }
        }
    };
    let router = routes::router(state.clone()).route(
        "/test-form",
        post(echo).layer(middleware::reads_a_form(&limits)),
    );
    let app = middleware::apply(router, state);
    let served = tokio::spawn(server::serve(listener, app, limits, async {
        let _ = stopped.await;
    }));
    Server { addr, stop, served }
}

use axum::response::IntoResponse as _;

fn post_form(path: &str, body: &str) -> Vec<u8> {
    format!(
        "POST {path} HTTP/1.1\r\nHost: test\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

#[tokio::test]
async fn a_posted_form_is_read() {
    let server = start_with_form(site(), patient()).await;
    let reply = exchange(server.addr, &post_form("/test-form", "a=1&b=2&c=%3Cx%3E")).await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.text(), "3 fields");
    assert_security_headers(&reply, "a posted form", false);
}

#[tokio::test]
async fn a_form_over_the_body_limit_gets_413_with_our_page() {
    let state = site();
    let unsupported = state.pages().unsupported.body.clone();
    let server = start_with_form(state, patient()).await;
    // patient() allows 4 KiB: one with its length stated, refused before
    // it is read, and one chunked, refused as it is read.
    let big = format!("a={}", "x".repeat(5000));
    let stated = exchange(server.addr, &post_form("/test-form", &big)).await;
    let mut chunked = b"POST /test-form HTTP/1.1\r\nHost: t\r\nContent-Type: application/x-www-form-urlencoded\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n".to_vec();
    for _ in 0..6 {
        chunked.extend_from_slice(format!("400\r\n{}\r\n", "y".repeat(1024)).as_bytes());
    }
    chunked.extend_from_slice(b"0\r\n\r\n");
    let streamed = exchange(server.addr, &chunked).await;
    for (what, reply) in [("with a length", stated), ("chunked", streamed)] {
        assert_eq!(reply.status, 413, "{what}");
        assert_eq!(reply.content_type(), HTML, "{what}");
        assert_eq!(reply.body, unsupported, "{what}: not our page");
        assert_security_headers(&reply, what, false);
    }
}

#[tokio::test]
async fn a_form_body_that_stalls_is_cut_off_with_408() {
    let limits = Limits {
        body_timeout: ms(400),
        ..patient()
    };
    let server = start_with_form(site(), limits).await;
    let mut client = Client::connect(server.addr).await;
    let started = Instant::now();
    // Says 100 bytes are coming, sends 10, then nothing.
    client
        .send(b"POST /test-form HTTP/1.1\r\nHost: t\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 100\r\n\r\na=12345678")
        .await;
    let reply = client.reply().await;
    assert_eq!(reply.status, 408);
    assert_eq!(reply.content_type(), HTML);
    let waited = started.elapsed();
    assert!(
        waited >= ms(350) && waited < ms(3000),
        "answered after {waited:?}; the body timeout is 400 ms"
    );
}

#[tokio::test]
async fn a_method_is_judged_before_any_redirect() {
    let state = site();
    let article = state.pages().site.articles[0].url();
    let server = start_with_form(state, patient()).await;
    // A GET of these would be a 301; any other method is a 405 first.
    let shouting = article.to_uppercase();
    let slashed = format!("{article}/");
    for path in [shouting.as_str(), slashed.as_str(), "/?m=1"] {
        let reply = exchange(server.addr, &post_form(path, "a=1")).await;
        assert_eq!(reply.status, 405, "POST {path}");
        assert_eq!(reply.header("allow"), Some("GET, HEAD"), "POST {path}");
        assert_eq!(reply.header("location"), None, "POST {path}");
    }
    // CONNECT names a host, not a path: never a redirect.
    let reply = exchange(
        server.addr,
        b"CONNECT evil.example:443 HTTP/1.1\r\nHost: evil.example:443\r\nConnection: close\r\n\r\n",
    )
    .await;
    assert!(
        matches!(reply.status, 400 | 404 | 405),
        "CONNECT got {}",
        reply.status
    );
    assert_eq!(reply.header("location"), None, "CONNECT was redirected");
    // A form route takes only POST: GET gets 405 naming POST.
    let reply = exchange(server.addr, &get("/test-form")).await;
    assert_eq!(reply.status, 405);
    assert_eq!(reply.header("allow"), Some("POST"));
}

/// Every file under `dir`, read as bytes.
fn files_under(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut found = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(folder) = pending.pop() {
        for entry in std::fs::read_dir(&folder).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                pending.push(path);
            } else if let Ok(bytes) = std::fs::read(&path) {
                found.push((path, bytes));
            }
        }
    }
    found
}

#[tokio::test]
async fn a_posted_letter_reaches_no_log_line_and_no_file_at_the_most_verbose_level() {
    // The real binary, logging everything, in a folder of its own, with a
    // temporary folder of its own.
    let work = std::env::temp_dir().join(format!("advice-privacy-{}", std::process::id()));
    let tmp = work.join("tmp");
    std::fs::create_dir_all(&tmp).unwrap();
    let port = {
        let probe = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        probe.local_addr().unwrap().port()
    };
    let log_path = work.join("server.log");
    let log = std::fs::File::create(&log_path).unwrap();
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_advice-site"))
        .current_dir(&work)
        .env("RUST_LOG", "trace")
        .env("TMPDIR", &tmp)
        .args(["--config", manifest("site.toml").to_str().unwrap()])
        .args(["--content", manifest("content").to_str().unwrap()])
        .args(["--static", manifest("static").to_str().unwrap()])
        .args([
            "serve",
            "--no-watch",
            "--listen",
            &format!("127.0.0.1:{port}"),
        ])
        .stderr(log.try_clone().unwrap())
        .stdout(log)
        .spawn()
        .unwrap();
    let addr: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
    let mut up = false;
    for _ in 0..200 {
        if TcpStream::connect(addr).await.is_ok() {
            up = true;
            break;
        }
        tokio::time::sleep(ms(50)).await;
    }
    assert!(up, "the server did not start");
    let secret = "Quetzalcoatl-5521";
    let body = format!(
        "your_name={secret}&your_address={secret}+Street&case_number=1234&decision_kind=calculation&decision_date-day=3&decision_date-month=4&decision_date-year=2025&what_is_wrong={secret}+is+wrong"
    );
    let mut statuses = Vec::new();
    for format in ["", "&format=txt", "&format=docx"] {
        let reply = exchange(
            addr,
            &post_form(
                "/letters/mandatory-reconsideration",
                &format!("{body}{format}"),
            ),
        )
        .await;
        statuses.push(reply.status);
    }
    // A graceful stop, so the log writer writes out everything it holds.
    std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    child.wait().unwrap();
    assert!(
        statuses.iter().all(|s| *s == 200),
        "the letter was not written: {statuses:?}"
    );
    let written = files_under(&work);
    let log_text = String::from_utf8_lossy(&std::fs::read(&log_path).unwrap()).into_owned();
    assert!(
        log_text.contains("POST /letters/mandatory-reconsideration"),
        "the log is not at trace level:\n{log_text}"
    );
    for (path, bytes) in &written {
        assert!(
            !String::from_utf8_lossy(bytes).contains(secret),
            "{} holds what the reader typed",
            path.display()
        );
    }
    let _ = std::fs::remove_dir_all(&work);
}

// ---------------------------------------------------------------------------
// Feedback survives the server being killed
// ---------------------------------------------------------------------------

/// The real binary serving on a free port with its data in `data`; the
/// child and the address it printed.
fn spawn_server(data: &Path) -> (std::process::Child, SocketAddr) {
    use std::io::BufRead;
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_advice-site"))
        .current_dir(manifest(""))
        .args(["--data", data.to_str().unwrap(), "serve", "--no-watch"])
        .args(["--listen", "127.0.0.1:0"])
        .env("RUST_LOG", "advice_site=info")
        .stderr(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let (found, addr) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut sent = false;
        // Keep reading so the server never blocks on a full pipe.
        for line in std::io::BufReader::new(stderr).lines() {
            let Ok(line) = line else { break };
            if !sent && let Some((_, rest)) = line.split_once("serving on http://") {
                let _ = found.send(rest.trim().parse::<SocketAddr>().unwrap());
                sent = true;
            }
        }
    });
    let addr = addr
        .recv_timeout(Duration::from_secs(60))
        .expect("the server did not say where it listens");
    (child, addr)
}

#[tokio::test]
async fn every_answer_confirmed_with_303_survives_kill_9() {
    const N: usize = 40;
    let data = std::env::temp_dir().join(format!("advice-crash-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&data);
    let (mut child, addr) = spawn_server(&data);
    let page = site().pages().site.articles[0].url();
    for i in 0..N {
        let body = format!("page={page}&answer=no&text=crash+{i}");
        // Each from its own reader, as nginx would say, so the rate limit
        // (per address, 10 a minute by default) lets them all through.
        let raw = String::from_utf8(post_form("/feedback", &body))
            .unwrap()
            .replacen(
                "Host: test\r\n",
                &format!("Host: test\r\nX-Real-IP: 192.0.2.{i}\r\n"),
                1,
            );
        let reply = exchange(addr, raw.as_bytes()).await;
        assert_eq!(reply.status, 303, "answer {i}");
    }
    // At once after the last 303: no shutdown, no flush.
    child.kill().unwrap();
    child.wait().unwrap();
    // Restarting opens the same file (SQLite replays its WAL).
    let (mut again, addr) = spawn_server(&data);
    assert_eq!(exchange(addr, &get(&page)).await.status, 200);
    again.kill().unwrap();
    again.wait().unwrap();
    let export = std::process::Command::new(env!("CARGO_BIN_EXE_advice-site"))
        .current_dir(manifest(""))
        .args(["--data", data.to_str().unwrap(), "feedback", "export"])
        .output()
        .unwrap();
    assert!(export.status.success(), "{export:?}");
    let csv = String::from_utf8(export.stdout).unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines[0], "date,page,useful,after_answer,text");
    for i in 0..N {
        assert!(
            lines
                .iter()
                .any(|l| l.ends_with(&format!(",{page},no,no,crash {i}"))),
            "answer {i} was lost:\n{csv}"
        );
    }
    assert_eq!(lines.len(), N + 1);
    std::fs::remove_dir_all(&data).unwrap();
}

/// Runs the real binary with `args` from the crate root; its stdout.
fn run_cli(args: &[&str]) -> String {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_advice-site"))
        .current_dir(manifest(""))
        .args(args)
        .output()
        .unwrap();
    assert!(output.status.success(), "{args:?}: {output:?}");
    String::from_utf8(output.stdout).unwrap()
}

#[tokio::test]
async fn the_author_reads_feedback_safely_and_check_names_unhelpful_pages() {
    use advice_site::store::{Entry, Place, Store};
    let data = std::env::temp_dir().join(format!("advice-cli-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&data);
    let page = site().pages().site.articles[0].url();
    let store = Store::open(Place::new(None, &data)).await.unwrap();
    let today = advice_site::tools::deadlines::today_in_uk();
    let hostile = "\u{1b}[2J<b>gone</b>\nnext";
    for (useful, followup, comment) in [
        (false, false, ""),
        (false, true, hostile),
        (false, false, ""),
        (true, false, ""),
    ] {
        let entry = Entry {
            page: page.clone(),
            useful,
            comment: comment.into(),
            followup,
            day: today,
        };
        store.add(entry).await.unwrap();
    }
    drop(store);
    let dir = data.to_str().unwrap();
    let report = run_cli(&["--data", dir, "feedback"]);
    assert!(report.contains(&format!("{page}: 1 yes, 2 no")), "{report}");
    // The terminal sees the escape written out, never obeys it.
    assert!(!report.contains('\u{1b}'), "{report:?}");
    assert!(report.contains("\\u{1b}[2J<b>gone</b>⏎ next"), "{report}");
    let csv = run_cli(&["--data", dir, "feedback", "export"]);
    assert!(csv.contains("\"\u{1b}[2J<b>gone</b>\nnext\""), "{csv:?}");
    let check = run_cli(&["--data", dir, "check"]);
    assert!(
        check.contains(&format!(
            "feedback: {page}: 2 No and 1 Yes in the last 90 days"
        )),
        "{check}"
    );
    std::fs::remove_dir_all(&data).unwrap();
}
