//! HTTP/1.1 on one connection: our own, small, because the site's answers
//! are bytes prepared at load and the general-purpose server around them
//! cost more than the answers themselves.
//!
//! The loop reads into one buffer, parses every complete request in it with
//! `httparse` (so pipelined requests are answered in order), writes all the
//! answers, and sends them with as few system calls as it can: one `writev`
//! of the heads and the last body, with no copy of that body. A request the
//! prepared table answers ([`App::quick`]) costs a hash lookup and a few
//! small copies; anything else is turned into an `http::Request` and given
//! to the application's service, whose answer is written the same way.
//!
//! What it refuses to do keeps it small and safe: it never reads a request
//! body (a request that has one is answered and the connection closed, so a
//! body can never be taken for a request), never sends `100 Continue`, and
//! never upgrades. Timeouts are not here: the watchdog in `server.rs` reads
//! [`Activity`] and closes the connection from outside.

use std::cell::RefCell;
use std::future::Future;
use std::io::{self, IoSlice};
use std::mem::MaybeUninit;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, SystemTime};

use axum::body::{Body, Bytes};
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, Request, StatusCode, Uri, Version};
use axum::response::Response;
use http_body_util::BodyExt;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::Instant;

use crate::blob::Region;
use crate::server::Limits;

/// Most header fields in one request; more gets 431.
const MAX_HEADERS: usize = 100;
/// Bodies shorter than this are copied next to their head; longer ones are
/// handed to `writev` as they are.
const COPY_BELOW: usize = 4096;
/// Answers are sent once this many bytes wait, even mid-pipeline.
const SEND_AT: usize = 64 * 1024;
/// After answering a request that must close the connection, how long and
/// how much we read and discard so the client sees our answer and not a
/// reset.
const LINGER: Duration = Duration::from_secs(1);
const LINGER_BYTES: usize = 256 * 1024;

/// A body to send: its bytes, and where the kernel can send them from
/// without a copy, if anywhere.
#[derive(Debug, Clone, Default)]
pub struct Payload {
    /// The bytes.
    pub bytes: Bytes,
    /// The same bytes in the in-memory file.
    pub file: Option<Region>,
}

/// What the connection asks of the application.
pub trait App: Clone + Send + Sync + 'static {
    /// Answers `request` from bytes prepared at load, if it can: writes the
    /// status line and header fields (not `content-length`, `date` or
    /// `connection`, which the connection adds) into `out` and returns the
    /// body. `None` writes nothing and sends the request to [`App::call`].
    fn quick(&self, request: &Quick<'_>, out: &mut Vec<u8>) -> Option<Payload>;

    /// Answers any request.
    fn call(&self, request: Request<Body>) -> impl Future<Output = Response> + Send;

    /// The page for a request that could not be parsed or was too large
    /// (400, 414, 431), with the headers every response carries.
    fn refuse(&self, status: StatusCode) -> Response;
}

/// What [`App::quick`] is told about a request.
#[derive(Debug)]
pub struct Quick<'a> {
    /// `HEAD` rather than `GET` (no other method is asked).
    pub head: bool,
    /// The request target as sent: a path, perhaps with a query.
    pub target: &'a str,
    /// The `Accept-Encoding` value as sent, when there is exactly one.
    pub accept_encoding: Option<&'a [u8]>,
    /// Whether the request is conditional or carries anything the quick
    /// path does not judge (`If-None-Match`, an oversized head).
    pub unusual: bool,
}

/// When a connection last moved bytes, whether it ever sent any, and since
/// when it has been waiting for a request's head. The watchdog reads it.
pub struct Activity {
    start: Instant,
    last_ms: AtomicU64,
    waiting_since_ms: AtomicU64,
    has_read: AtomicBool,
    busy: AtomicBool,
    closing: AtomicBool,
}

const NOT_WAITING: u64 = u64::MAX;

impl Default for Activity {
    fn default() -> Self {
        Self::new()
    }
}

impl Activity {
    /// A connection opened now, waiting for its first request.
    pub fn new() -> Self {
        Self {
            start: Instant::now(),
            last_ms: AtomicU64::new(0),
            waiting_since_ms: AtomicU64::new(0),
            has_read: AtomicBool::new(false),
            busy: AtomicBool::new(false),
            closing: AtomicBool::new(false),
        }
    }

    fn now_ms(&self) -> u64 {
        u64::try_from(self.start.elapsed().as_millis()).unwrap_or(u64::MAX - 1)
    }

    /// Bytes moved; `read` when they came from the client.
    pub fn touch(&self, read: bool) {
        self.last_ms.store(self.now_ms(), Ordering::Relaxed);
        if read {
            self.has_read.store(true, Ordering::Relaxed);
        }
    }

    /// The connection starts waiting for a request's head (`true`), or has
    /// one whole (`false`).
    fn waiting(&self, waiting: bool) {
        let since = if waiting { self.now_ms() } else { NOT_WAITING };
        self.waiting_since_ms.store(since, Ordering::Relaxed);
    }

    /// Whether the connection holds a request, whole or in part, that it
    /// has not yet answered.
    fn set_busy(&self, busy: bool) {
        self.busy.store(busy, Ordering::Relaxed);
    }

    /// Whether a request is on its way in or being answered.
    pub fn busy(&self) -> bool {
        self.busy.load(Ordering::Relaxed)
    }

    /// Asks the connection to close once the request in hand is answered.
    pub fn close_soon(&self) {
        self.closing.store(true, Ordering::Relaxed);
    }

    fn closing(&self) -> bool {
        self.closing.load(Ordering::Relaxed)
    }

    /// When, in ms from the start, the connection has been quiet too long:
    /// `first_byte_timeout` before it sends anything, `idle_timeout` after
    /// its last byte either way, and `header_read_timeout` after it started
    /// waiting for a request's head.
    fn deadline_ms(&self, limits: &Limits) -> u64 {
        let quiet = if self.has_read.load(Ordering::Relaxed) {
            limits.idle_timeout
        } else {
            limits.first_byte_timeout
        };
        let ms = |d: Duration| u64::try_from(d.as_millis()).unwrap_or(u64::MAX / 4);
        let mut deadline = self.last_ms.load(Ordering::Relaxed) + ms(quiet);
        let waiting = self.waiting_since_ms.load(Ordering::Relaxed);
        if waiting != NOT_WAITING {
            deadline = deadline.min(waiting + ms(limits.header_read_timeout));
        }
        deadline
    }

    /// Completes once a limit has passed. Each round sleeps at most the
    /// shortest limit, so a change mid-wait (the first byte arriving, a new
    /// request starting) is seen in time; a busy connection re-arms its
    /// timer only that often, not per request.
    pub async fn expired(&self, limits: &Limits) {
        let step = limits
            .first_byte_timeout
            .min(limits.idle_timeout)
            .min(limits.header_read_timeout);
        loop {
            let now = self.now_ms();
            let deadline = self.deadline_ms(limits);
            if now >= deadline {
                return;
            }
            let wake = Duration::from_millis(deadline - now).min(step);
            tokio::time::sleep(wake).await;
        }
    }
}

/// One client connection.
pub struct Connection<A> {
    stream: TcpStream,
    app: A,
    limits: Limits,
    activity: Arc<Activity>,
    /// Bytes received are `buf[..filled]`; `buf[start..filled]` is not
    /// yet parsed. The buffer grows, up to the longest head we accept,
    /// only when a head does not fit.
    buf: Vec<u8>,
    start: usize,
    filled: usize,
    /// Answers to send: `out`, then `tail` (the last body, not copied).
    out: Vec<u8>,
    tail: Option<Payload>,
}

/// What was found at the front of the buffer.
enum Parsed {
    /// Not a whole head yet.
    Partial,
    /// A whole request, answered into `out`; `keep` whether the connection
    /// may carry another.
    Answered { keep: bool },
    /// A request for the service, which must be awaited (boxed: it is
    /// large, and this path is not the hot one).
    Call {
        request: Box<Request<Body>>,
        head: bool,
        keep: bool,
        old_keep_alive: bool,
    },
    /// Unparseable or too large: this status (with no body if the request
    /// was a HEAD), then close.
    Refused { status: StatusCode, head: bool },
}

impl<A: App> Connection<A> {
    /// A connection on `stream`, reporting to `activity`.
    pub fn new(stream: TcpStream, app: A, limits: Limits, activity: Arc<Activity>) -> Self {
        Self {
            stream,
            app,
            limits,
            activity,
            buf: vec![0; 4096],
            start: 0,
            filled: 0,
            out: Vec::with_capacity(8192),
            tail: None,
        }
    }

    /// The most bytes a request head may take: room for the longest target
    /// and header fields we accept, so that what is over those limits still
    /// gets our 414 or 431 page.
    fn max_head(&self) -> usize {
        self.limits.max_uri_bytes + self.limits.max_header_bytes + 4096
    }

    /// Serves requests until the client closes, asks to close, or sends
    /// something we refuse; errors are the client's (a reset, a broken
    /// pipe) and end the connection quietly.
    pub async fn run(mut self) {
        let _ = self.serve().await;
    }

    async fn serve(&mut self) -> io::Result<()> {
        loop {
            // Answer every whole request already here, in order.
            let mut answered = false;
            loop {
                let parsed = self.parse();
                answered |= !matches!(parsed, Parsed::Partial);
                match parsed {
                    Parsed::Partial => break,
                    Parsed::Answered { keep } => {
                        if !keep {
                            return self.finish().await;
                        }
                    }
                    Parsed::Call {
                        request,
                        head,
                        keep,
                        old_keep_alive,
                    } => {
                        let response = self.app.call(*request).await;
                        let kept = self
                            .write_response(response, head, keep, old_keep_alive)
                            .await;
                        if !kept {
                            return self.finish().await;
                        }
                    }
                    Parsed::Refused { status, head } => {
                        let response = self.app.refuse(status);
                        self.write_response(response, head, false, false).await;
                        return self.finish().await;
                    }
                }
                if self.out.len() >= SEND_AT {
                    self.send().await?;
                }
            }
            self.send().await?;
            // Shutting down: close once nothing is left half-received (a
            // head still arriving is answered, or ends by its timeout).
            if self.activity.closing() && self.start == self.filled {
                return self.finish().await;
            }
            // A new head's clock starts once the last answer is sent, not
            // on each piece of a head, so a head sent slowly still times out.
            if answered {
                self.activity.waiting(true);
            }
            // Keep what is left of a head at the front of the buffer.
            if self.start == self.filled {
                self.start = 0;
                self.filled = 0;
                self.activity.set_busy(false);
            } else if self.start > 0 {
                self.buf.copy_within(self.start..self.filled, 0);
                self.filled -= self.start;
                self.start = 0;
            }
            if self.filled == self.buf.len() {
                let max = self.max_head();
                if self.buf.len() >= max {
                    // `parse` refuses a head this long before we get here.
                    return Ok(());
                }
                self.buf.resize((self.buf.len() * 2).min(max), 0);
            }
            let read = self.stream.read(&mut self.buf[self.filled..]).await?;
            if read == 0 {
                return Ok(());
            }
            self.filled += read;
            self.activity.touch(true);
            self.activity.set_busy(true);
        }
    }

    /// Parses the request at the front of the buffer and, when the prepared
    /// table can, answers it at once.
    fn parse(&mut self) -> Parsed {
        let received = &self.buf[self.start..self.filled];
        if received.is_empty() {
            return Parsed::Partial;
        }
        let mut fields = [const { MaybeUninit::<httparse::Header<'_>>::uninit() }; MAX_HEADERS];
        let mut request = httparse::Request::new(&mut []);
        let length = match request.parse_with_uninit_headers(received, &mut fields) {
            Ok(httparse::Status::Complete(length)) => length,
            Ok(httparse::Status::Partial) => {
                return if received.len() >= self.max_head() {
                    Parsed::Refused {
                        status: self.oversized(received),
                        head: received.starts_with(b"HEAD "),
                    }
                } else {
                    Parsed::Partial
                };
            }
            Err(httparse::Error::TooManyHeaders) => {
                return Parsed::Refused {
                    status: StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
                    head: received.starts_with(b"HEAD "),
                };
            }
            Err(_) => {
                return Parsed::Refused {
                    status: StatusCode::BAD_REQUEST,
                    head: received.starts_with(b"HEAD "),
                };
            }
        };
        self.activity.waiting(false);
        let (Some(method), Some(target), Some(minor)) =
            (request.method, request.path, request.version)
        else {
            return Parsed::Refused {
                status: StatusCode::BAD_REQUEST,
                head: false,
            };
        };

        let mut fields_bytes = 0;
        let mut accept_encoding = None;
        let mut encodings = 0;
        let mut conditional = false;
        let mut close = false;
        let mut keep_alive = false;
        let mut has_body = false;
        for header in request.headers.iter() {
            let name = header.name.as_bytes();
            fields_bytes += name.len() + header.value.len() + 4;
            if name.eq_ignore_ascii_case(b"accept-encoding") {
                accept_encoding = Some(header.value);
                encodings += 1;
            } else if name.eq_ignore_ascii_case(b"if-none-match") {
                conditional = true;
            } else if name.eq_ignore_ascii_case(b"connection") {
                for token in header.value.split(|b| *b == b',') {
                    let token = token.trim_ascii();
                    close |= token.eq_ignore_ascii_case(b"close");
                    keep_alive |= token.eq_ignore_ascii_case(b"keep-alive");
                }
            } else if name.eq_ignore_ascii_case(b"transfer-encoding") {
                has_body = true;
            } else if name.eq_ignore_ascii_case(b"content-length") {
                match std::str::from_utf8(header.value)
                    .ok()
                    .and_then(|v| v.trim().parse::<u64>().ok())
                {
                    Some(0) => {}
                    Some(_) => has_body = true,
                    None => {
                        return Parsed::Refused {
                            status: StatusCode::BAD_REQUEST,
                            head: method == "HEAD",
                        };
                    }
                }
            }
        }
        // HTTP/1.1 keeps the connection unless asked not to; HTTP/1.0 only
        // when asked. A request with a body is answered and the connection
        // closed, so its body is never read as a request.
        let keep =
            !has_body && !self.activity.closing() && if minor == 1 { !close } else { keep_alive };
        let old_keep_alive = minor == 0 && keep;

        let head = method == "HEAD";
        if head || method == "GET" {
            let quick = Quick {
                head,
                target,
                accept_encoding: if encodings > 1 { None } else { accept_encoding },
                unusual: conditional
                    || encodings > 1
                    || target.len() > self.limits.max_uri_bytes
                    || fields_bytes > self.limits.max_header_bytes,
            };
            // (The fields one by one: `received` still borrows the buffer.)
            if let Some(tail) = self.tail.take() {
                self.out.extend_from_slice(&tail.bytes);
            }
            let mark = self.out.len();
            match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                self.app.quick(&quick, &mut self.out)
            })) {
                Ok(Some(body)) => {
                    self.start += length;
                    end_head(&mut self.out, body.bytes.len(), keep, old_keep_alive);
                    if !head {
                        self.push_body(body);
                    }
                    return Parsed::Answered { keep };
                }
                Ok(None) => {}
                Err(_) => {
                    self.out.truncate(mark);
                    self.start += length;
                    return Parsed::Refused {
                        status: StatusCode::INTERNAL_SERVER_ERROR,
                        head,
                    };
                }
            }
        }

        let request = match build_request(method, target, minor, request.headers) {
            Some(request) => request,
            None => {
                return Parsed::Refused {
                    status: StatusCode::BAD_REQUEST,
                    head: method == "HEAD",
                };
            }
        };
        self.start += length;
        Parsed::Call {
            request: Box::new(request),
            head,
            keep,
            old_keep_alive,
        }
    }

    /// 414 when the request line alone is over the limit, else 431.
    fn oversized(&self, received: &[u8]) -> StatusCode {
        let line_end = received.iter().position(|b| *b == b'\n');
        if line_end.is_none_or(|end| end > self.limits.max_uri_bytes + 32) {
            StatusCode::URI_TOO_LONG
        } else {
            StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE
        }
    }

    /// Writes a response from the service: its head, then its body (none
    /// for HEAD, 204 or 304).
    async fn write_response(
        &mut self,
        response: Response,
        head: bool,
        keep: bool,
        old_keep_alive: bool,
    ) -> bool {
        let (parts, body) = response.into_parts();
        // Whether the connection stays open is settled now, not at parse:
        // a shutdown may have begun, or the service may close it (414, 431).
        let asked_to_close = parts
            .headers
            .get_all(axum::http::header::CONNECTION)
            .iter()
            .any(|v| v.as_bytes().eq_ignore_ascii_case(b"close"));
        let keep = keep && !asked_to_close && !self.activity.closing();
        let body = match body.collect().await {
            Ok(collected) => collected.to_bytes(),
            // Our bodies are bytes in memory; should one ever fail, the
            // client gets what the head promised: nothing more.
            Err(_) => Bytes::new(),
        };
        self.settle_tail();
        let out = &mut self.out;
        out.extend_from_slice(b"HTTP/1.1 ");
        out.extend_from_slice(parts.status.as_str().as_bytes());
        out.push(b' ');
        out.extend_from_slice(
            parts
                .status
                .canonical_reason()
                .unwrap_or("Unknown")
                .as_bytes(),
        );
        out.extend_from_slice(b"\r\n");
        let mut declared = None;
        for (name, value) in &parts.headers {
            if name == axum::http::header::CONTENT_LENGTH {
                declared = value.to_str().ok().and_then(|v| v.parse::<usize>().ok());
                continue;
            }
            if name == axum::http::header::CONNECTION
                || name == axum::http::header::DATE
                || name == axum::http::header::TRANSFER_ENCODING
            {
                continue;
            }
            field(out, name.as_str().as_bytes(), value.as_bytes());
        }
        let bodiless = parts.status.is_informational()
            || parts.status == StatusCode::NO_CONTENT
            || parts.status == StatusCode::NOT_MODIFIED;
        if bodiless {
            end_fields(out, keep, old_keep_alive);
            return keep;
        }
        // A HEAD answer states the length its GET would have.
        let length = if head {
            declared.unwrap_or(body.len())
        } else {
            body.len()
        };
        end_head(out, length, keep, old_keep_alive);
        if !head {
            self.push_body(Payload {
                bytes: body,
                file: None,
            });
        }
        keep
    }

    /// Moves a waiting body into `out`, so that what is written next
    /// follows it.
    fn settle_tail(&mut self) {
        if let Some(tail) = self.tail.take() {
            self.out.extend_from_slice(&tail.bytes);
        }
    }

    fn push_body(&mut self, body: Payload) {
        if body.bytes.len() < COPY_BELOW && body.file.is_none() {
            self.out.extend_from_slice(&body.bytes);
        } else {
            self.tail = Some(body);
        }
    }

    /// Sends everything waiting: `out`, then the tail, from the in-memory
    /// file when it is there, else in one `writev` with `out`.
    async fn send(&mut self) -> io::Result<()> {
        let tail = self.tail.take().unwrap_or_default();
        #[cfg(target_os = "linux")]
        if let Some(file) = &tail.file {
            return self.send_file(file).await;
        }
        let tail = tail.bytes;
        let (mut sent_out, mut sent_tail) = (0, 0);
        while sent_out < self.out.len() || sent_tail < tail.len() {
            let slices = [
                IoSlice::new(&self.out[sent_out..]),
                IoSlice::new(&tail[sent_tail..]),
            ];
            let written = self.stream.write_vectored(&slices).await?;
            if written == 0 {
                return Err(io::ErrorKind::WriteZero.into());
            }
            self.activity.touch(false);
            let from_out = written.min(self.out.len() - sent_out);
            sent_out += from_out;
            sent_tail += written - from_out;
        }
        self.out.clear();
        Ok(())
    }

    /// Sends `out`, held back (`MSG_MORE`) so that it leaves in the same
    /// packets as the body, then the body straight from the in-memory file.
    #[cfg(target_os = "linux")]
    async fn send_file(&mut self, file: &Region) -> io::Result<()> {
        use rustix::net::{SendFlags, send};
        use tokio::io::Interest;
        let mut sent = 0;
        while sent < self.out.len() {
            let written = self
                .stream
                .async_io(Interest::WRITABLE, || {
                    Ok(send(&self.stream, &self.out[sent..], SendFlags::MORE)?)
                })
                .await?;
            if written == 0 {
                return Err(io::ErrorKind::WriteZero.into());
            }
            self.activity.touch(false);
            sent += written;
        }
        self.out.clear();
        let mut sent = 0;
        while sent < file.len() {
            let written = self
                .stream
                .async_io(Interest::WRITABLE, || file.send_to(&self.stream, sent))
                .await?;
            if written == 0 {
                return Err(io::ErrorKind::WriteZero.into());
            }
            self.activity.touch(false);
            sent += written;
        }
        Ok(())
    }

    /// Sends the last answer and closes: our side first, then, for a
    /// moment, reads and discards what the client still sends, so that its
    /// kernel does not answer our answer with a reset.
    async fn finish(&mut self) -> io::Result<()> {
        self.send().await?;
        self.stream.shutdown().await?;
        let _ = tokio::time::timeout(LINGER, async {
            let mut discarded = 0;
            let mut scrap = [0u8; 4096];
            while discarded < LINGER_BYTES {
                match self.stream.read(&mut scrap).await {
                    Ok(0) | Err(_) => break,
                    Ok(n) => discarded += n,
                }
            }
        })
        .await;
        Ok(())
    }
}

/// An `http::Request` from a parsed head, or `None` if a part of it is not
/// valid HTTP.
fn build_request(
    method: &str,
    target: &str,
    minor: u8,
    fields: &[httparse::Header<'_>],
) -> Option<Request<Body>> {
    let mut request = Request::new(Body::empty());
    *request.method_mut() = Method::from_bytes(method.as_bytes()).ok()?;
    *request.uri_mut() = target.parse::<Uri>().ok()?;
    *request.version_mut() = if minor == 0 {
        Version::HTTP_10
    } else {
        Version::HTTP_11
    };
    let mut headers = HeaderMap::with_capacity(fields.len());
    for field in fields {
        headers.append(
            HeaderName::from_bytes(field.name.as_bytes()).ok()?,
            HeaderValue::from_bytes(field.value).ok()?,
        );
    }
    *request.headers_mut() = headers;
    Some(request)
}

/// Writes one header field, `name: value`, into `out`.
pub fn field(out: &mut Vec<u8>, name: &[u8], value: &[u8]) {
    out.extend_from_slice(name);
    out.extend_from_slice(b": ");
    out.extend_from_slice(value);
    out.extend_from_slice(b"\r\n");
}

/// Ends a head with a body of `length` bytes.
fn end_head(out: &mut Vec<u8>, length: usize, keep: bool, old_keep_alive: bool) {
    out.extend_from_slice(b"content-length: ");
    let mut digits = [0u8; 20];
    let mut at = digits.len();
    let mut rest = length;
    loop {
        at -= 1;
        digits[at] = b'0' + (rest % 10) as u8;
        rest /= 10;
        if rest == 0 {
            break;
        }
    }
    out.extend_from_slice(&digits[at..]);
    out.extend_from_slice(b"\r\n");
    end_fields(out, keep, old_keep_alive);
}

/// Adds `date` and, when needed, `connection`, and ends the head.
fn end_fields(out: &mut Vec<u8>, keep: bool, old_keep_alive: bool) {
    date_field(out);
    if !keep {
        out.extend_from_slice(b"connection: close\r\n");
    } else if old_keep_alive {
        out.extend_from_slice(b"connection: keep-alive\r\n");
    }
    out.extend_from_slice(b"\r\n");
}

/// The `date` field, formatted once a second per thread.
fn date_field(out: &mut Vec<u8>) {
    thread_local! {
        static DATE: RefCell<(u64, String)> = const { RefCell::new((u64::MAX, String::new())) };
    }
    let now = SystemTime::now();
    let second = now
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    DATE.with_borrow_mut(|(cached, line)| {
        if *cached != second {
            *cached = second;
            *line = format!("date: {}\r\n", httpdate::fmt_http_date(now));
        }
        out.extend_from_slice(line.as_bytes());
    });
}
