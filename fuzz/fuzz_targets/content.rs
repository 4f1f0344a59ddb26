//! Fuzzes the whole content path for one file: front matter split and
//! parse, Markdown parse, link resolution and render. Invariants: no
//! panic, a body the site would serve renders to safe HTML (see
//! `check_html`), and each input takes well under a second.
//!
//! Only stable Rust is needed: RUSTC_BOOTSTRAP lets it take the
//! sanitizer-coverage flags, and `-s none` needs no sanitizer runtime.
//! From `fuzz/`, for eleven minutes on one core:
//!
//! ```sh
//! mkdir -p corpus/grown
//! RUSTC_BOOTSTRAP=1 cargo fuzz run content -s none --jobs 1 \
//!     corpus/grown corpus/content -- -dict=content.dict \
//!     -max_len=65536 -timeout=5 -max_total_time=660 -print_final_stats=1
//! ```
//!
//! New inputs go to the first folder, `corpus/grown/`, which git ignores;
//! copy the few worth keeping into `corpus/content/`. A failure is saved
//! under `artifacts/content/`; shrink it with
//! `RUSTC_BOOTSTRAP=1 cargo fuzz tmin content -s none <file>`.

#![no_main]

use std::time::{Duration, Instant};

use libfuzzer_sys::fuzz_target;

#[path = "../content_path.rs"]
mod content_path;

/// Far above what any input up to `-max_len` needs with a linear parser,
/// far below what a quadratic one would take on the worst of them.
const TIME_BOUND: Duration = Duration::from_secs(1);

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let started = Instant::now();
    let rendered = content_path::run(&text);
    if rendered.verdict != content_path::Verdict::Refused
        && let Err(problem) = content_path::check_html(&rendered.html)
    {
        panic!("{problem}");
    }
    let elapsed = started.elapsed();
    assert!(
        elapsed < TIME_BOUND,
        "{} bytes took {elapsed:?}",
        data.len()
    );
});
