//! Link-preview images and icons, drawn in Rust with a font compiled into
//! the binary, so every machine makes the same bytes and needs no network.

use ab_glyph::{Font, FontRef, PxScale, ScaleFont};

/// Width of a preview card, the size chat apps and social sites expect.
pub const WIDTH: u32 = 1200;
/// Height of a preview card.
pub const HEIGHT: u32 = 630;

/// Bump when the drawing changes, so cached image URLs change with it.
pub const DESIGN_VERSION: u32 = 1;

const MARGIN: f32 = 80.0;
const BACKGROUND: [u8; 3] = [0x0b, 0x3d, 0x5c];
const ACCENT: [u8; 3] = [0xff, 0xdd, 0x00];
const TITLE: [u8; 3] = [0xff, 0xff, 0xff];
const QUIET: [u8; 3] = [0xd6, 0xe6, 0xf2];

/// A picture being drawn: 8-bit RGB rows.
struct Canvas {
    width: u32,
    height: u32,
    pixels: Vec<u8>,
}

impl Canvas {
    fn new(width: u32, height: u32, colour: [u8; 3]) -> Self {
        let pixels = colour
            .iter()
            .copied()
            .cycle()
            .take((width * height * 3) as usize)
            .collect();
        Self {
            width,
            height,
            pixels,
        }
    }

    fn fill_rect(&mut self, x: u32, y: u32, w: u32, h: u32, colour: [u8; 3]) {
        for row in y..(y + h).min(self.height) {
            for col in x..(x + w).min(self.width) {
                let i = ((row * self.width + col) * 3) as usize;
                self.pixels[i..i + 3].copy_from_slice(&colour);
            }
        }
    }

    /// Blends `colour` into the pixel at (x, y) by `coverage` (0 to 1).
    fn blend(&mut self, x: i64, y: i64, colour: [u8; 3], coverage: f32) {
        if x < 0 || y < 0 || x >= i64::from(self.width) || y >= i64::from(self.height) {
            return;
        }
        let i = ((y as u64 * u64::from(self.width) + x as u64) * 3) as usize;
        let c = coverage.clamp(0.0, 1.0);
        for (channel, &value) in self.pixels[i..i + 3].iter_mut().zip(&colour) {
            *channel = (f32::from(*channel) * (1.0 - c) + f32::from(value) * c).round() as u8;
        }
    }

    /// Draws one line of text with its baseline at `baseline`.
    fn text(
        &mut self,
        font: &FontRef<'_>,
        size: f32,
        x: f32,
        baseline: f32,
        text: &str,
        colour: [u8; 3],
    ) {
        let scaled = font.as_scaled(PxScale::from(size));
        let mut caret = x;
        let mut previous = None;
        for c in text.chars() {
            let id = scaled.glyph_id(c);
            if let Some(prev) = previous {
                caret += scaled.kern(prev, id);
            }
            let glyph = id.with_scale_and_position(size, ab_glyph::point(caret, baseline));
            caret += scaled.h_advance(id);
            previous = Some(id);
            if let Some(outline) = font.outline_glyph(glyph) {
                let bounds = outline.px_bounds();
                outline.draw(|gx, gy, coverage| {
                    self.blend(
                        bounds.min.x as i64 + i64::from(gx),
                        bounds.min.y as i64 + i64::from(gy),
                        colour,
                        coverage,
                    );
                });
            }
        }
    }

    fn png(&self) -> Result<Vec<u8>, png::EncodingError> {
        let mut out = Vec::new();
        let mut encoder = png::Encoder::new(&mut out, self.width, self.height);
        encoder.set_color(png::ColorType::Rgb);
        encoder.set_depth(png::BitDepth::Eight);
        encoder.set_compression(png::Compression::High);
        let mut writer = encoder.write_header()?;
        writer.write_image_data(&self.pixels)?;
        writer.finish()?;
        Ok(out)
    }
}

fn bold() -> FontRef<'static> {
    FontRef::try_from_slice(dejavu::sans::bold()).expect("the bundled DejaVu Sans Bold parses")
}

fn regular() -> FontRef<'static> {
    FontRef::try_from_slice(dejavu::sans::regular()).expect("the bundled DejaVu Sans parses")
}

/// Width of `text` at `size`, kerning included.
fn text_width(font: &FontRef<'_>, size: f32, text: &str) -> f32 {
    let scaled = font.as_scaled(PxScale::from(size));
    let mut width = 0.0;
    let mut previous = None;
    for c in text.chars() {
        let id = scaled.glyph_id(c);
        if let Some(prev) = previous {
            width += scaled.kern(prev, id);
        }
        width += scaled.h_advance(id);
        previous = Some(id);
    }
    width
}

/// Breaks `text` into lines no wider than `max_width`. A word wider than a
/// line stands on a line of its own.
pub fn wrap(text: &str, max_width: f32, measure: &dyn Fn(&str) -> f32) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        let candidate = if line.is_empty() {
            word.to_string()
        } else {
            format!("{line} {word}")
        };
        if line.is_empty() || measure(&candidate) <= max_width {
            line = candidate;
        } else {
            lines.push(std::mem::take(&mut line));
            line = word.to_string();
        }
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines
}

/// Shortens `lines` to `max` lines, ending the last with an ellipsis.
fn clamp_lines(mut lines: Vec<String>, max: usize) -> Vec<String> {
    if lines.len() > max {
        lines.truncate(max);
        if let Some(last) = lines.last_mut() {
            last.push('…');
        }
    }
    lines
}

/// Draws a 1200×630 preview card: the site's name at the top, the title
/// large in the middle, and `footer` (the site's address) at the bottom.
pub fn card(title: &str, site_name: &str, footer: &str) -> Result<Vec<u8>, png::EncodingError> {
    let (bold, regular) = (bold(), regular());
    let mut canvas = Canvas::new(WIDTH, HEIGHT, BACKGROUND);
    canvas.fill_rect(0, 0, WIDTH, 14, ACCENT);

    canvas.text(&bold, 36.0, MARGIN, MARGIN + 40.0, site_name, QUIET);

    // The largest size at which the title fits in four lines.
    let max_width = WIDTH as f32 - 2.0 * MARGIN;
    let (size, lines) = [84.0_f32, 76.0, 68.0, 60.0, 54.0]
        .iter()
        .map(|&size| {
            (
                size,
                wrap(title, max_width, &|s| text_width(&bold, size, s)),
            )
        })
        .find(|(_, lines)| lines.len() <= 4)
        .unwrap_or_else(|| {
            let size = 54.0;
            let lines = wrap(title, max_width, &|s| text_width(&bold, size, s));
            (size, clamp_lines(lines, 4))
        });
    let line_height = size * 1.18;
    let block = line_height * lines.len() as f32;
    let top = 170.0 + (330.0 - block).max(0.0) / 2.0;
    for (i, line) in lines.iter().enumerate() {
        let baseline = top + size + line_height * i as f32;
        canvas.text(&bold, size, MARGIN, baseline, line, TITLE);
    }

    canvas.fill_rect(MARGIN as u32, HEIGHT - 110, 90, 6, ACCENT);
    canvas.text(&regular, 32.0, MARGIN, HEIGHT as f32 - 50.0, footer, QUIET);
    canvas.png()
}

/// Draws a square icon of `size` pixels: a question mark on the site colour.
pub fn icon(size: u32) -> Result<Vec<u8>, png::EncodingError> {
    let font = bold();
    let mut canvas = Canvas::new(size, size, BACKGROUND);
    let edge = (size / 10).max(2);
    canvas.fill_rect(0, size - edge, size, edge, ACCENT);
    let px = size as f32 * 0.8;
    let width = text_width(&font, px, "?");
    let x = (size as f32 - width) / 2.0;
    let baseline = size as f32 * 0.76;
    canvas.text(&font, px, x, baseline, "?", TITLE);
    canvas.png()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chars(s: &str) -> f32 {
        s.chars().count() as f32
    }

    #[test]
    fn wrap_fills_lines_up_to_the_width() {
        let lines = wrap("aa bb cc dd", 5.0, &chars);
        assert_eq!(lines, ["aa bb", "cc dd"]);
    }

    #[test]
    fn wrap_puts_an_overlong_word_on_its_own_line() {
        let lines = wrap("a enormous b", 4.0, &chars);
        assert_eq!(lines, ["a", "enormous", "b"]);
    }

    #[test]
    fn long_titles_are_clamped_with_an_ellipsis() {
        let lines = clamp_lines(vec!["a".into(), "b".into(), "c".into()], 2);
        assert_eq!(lines, ["a", "b…"]);
    }

    #[test]
    fn card_is_the_same_bytes_every_time() {
        let a = card("Same title", "Site", "example.org").unwrap();
        let b = card("Same title", "Site", "example.org").unwrap();
        assert_eq!(a, b);
        assert_ne!(a, card("Other title", "Site", "example.org").unwrap());
    }
}
