//! Tools that do the next step for a reader: pure calculators with no HTTP
//! and no rendering. Their rules are content an author edits; the site
//! model loads them, `render` shows their answers, `serve` asks them.
//!
//! May use: `error`.

pub mod deadlines;
pub mod letters;
