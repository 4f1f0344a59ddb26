//! Where each term occurs: for every section holding it, how often in the
//! title, the heading and the body, then the positions (for phrases).
//!
//! Lists are kept as LEB128 variable-length numbers (section gaps, counts and
//! position gaps are mostly below 128, so most take one byte). That keeps the
//! postings of 10,000 articles near 55 MB rather than ~150 MB of plain `u32`s;
//! it is an in-memory layout, never stored. Ranking needs only the counts, so
//! it skips positions by counting the bytes that end a number.

/// A long list keeps a skip entry every this many postings, so that a
/// phrase can jump over the sections its rarer words are not in.
pub(super) const SKIP_EVERY: u32 = 64;

/// Where a reader may resume: the section before a posting (the base its
/// gap is added to) and the posting's first byte.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct Skip {
    pub before: u32,
    pub at: u32,
}

/// Appends `value` as an LEB128 number.
fn push(buf: &mut Vec<u8>, mut value: u32) {
    while value >= 0x80 {
        buf.push((value as u8 & 0x7f) | 0x80);
        value >>= 7;
    }
    buf.push(value as u8);
}

/// Times a term occurs in each field of a section.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub(super) struct Counts {
    pub title: u32,
    pub heading: u32,
    pub body: u32,
}

/// Appends one posting: the gap from the term's previous section; the body
/// count shifted left by one, its low bit set when title and heading counts
/// follow (most postings are body-only); then the gaps between the
/// `title + heading + body` ascending positions.
pub(super) fn push_posting(buf: &mut Vec<u8>, section_gap: u32, counts: Counts, positions: &[u32]) {
    push(buf, section_gap);
    let others = counts.title > 0 || counts.heading > 0;
    push(buf, (counts.body << 1) | u32::from(others));
    if others {
        push(buf, counts.title);
        push(buf, counts.heading);
    }
    let mut last = 0;
    for &p in positions {
        push(buf, p - last);
        last = p;
    }
}

/// Reads a term's postings in section order.
pub(super) struct Reader<'a> {
    bytes: &'a [u8],
    skips: &'a [Skip],
    at: usize,
    section: u32,
    first: bool,
    /// Where the current posting's positions start, and how many there are.
    positions: (usize, u32),
}

fn number(bytes: &[u8], at: &mut usize) -> u32 {
    let mut value = 0u32;
    let mut shift = 0;
    while let Some(&b) = bytes.get(*at) {
        *at += 1;
        value |= u32::from(b & 0x7f).wrapping_shl(shift);
        if b & 0x80 == 0 {
            break;
        }
        shift += 7;
    }
    value
}

impl<'a> Reader<'a> {
    pub(super) fn new(bytes: &'a [u8], skips: &'a [Skip]) -> Self {
        Self {
            bytes,
            skips,
            at: 0,
            section: 0,
            first: true,
            positions: (0, 0),
        }
    }

    /// Moves to the next section holding the term; `None` at the end.
    pub(super) fn next(&mut self) -> Option<(u32, Counts)> {
        if self.at >= self.bytes.len() {
            return None;
        }
        let gap = number(self.bytes, &mut self.at);
        self.section = if self.first { gap } else { self.section + gap };
        self.first = false;
        let body = number(self.bytes, &mut self.at);
        let mut counts = Counts {
            body: body >> 1,
            ..Counts::default()
        };
        if body & 1 == 1 {
            counts.title = number(self.bytes, &mut self.at);
            counts.heading = number(self.bytes, &mut self.at);
        }
        let count = counts.title + counts.heading + counts.body;
        self.positions = (self.at, count);
        // Skip the positions: each number ends with a byte below 0x80.
        let mut left = count;
        while left > 0 {
            match self.bytes.get(self.at) {
                Some(&b) => {
                    self.at += 1;
                    left -= u32::from(b < 0x80);
                }
                None => break,
            }
        }
        Some((self.section, counts))
    }

    /// Moves to the first section at or after `target`; `None` at the end.
    /// Jumps by the skip entries first, so a long list is not read through.
    pub(super) fn advance_to(&mut self, target: u32) -> Option<u32> {
        if !self.first && self.section >= target {
            return Some(self.section);
        }
        // The last skip that starts before `target`, if it is ahead of us.
        let i = self.skips.partition_point(|s| s.before < target);
        if let Some(skip) = i.checked_sub(1).map(|i| self.skips[i])
            && skip.at as usize > self.at
        {
            self.at = skip.at as usize;
            self.section = skip.before;
            self.first = false;
        }
        loop {
            let (section, _) = self.next()?;
            if section >= target {
                return Some(section);
            }
        }
    }

    /// The positions of the term in the current section, ascending.
    pub(super) fn positions_into(&self, out: &mut Vec<u32>) {
        out.clear();
        let (mut at, count) = self.positions;
        let mut last = 0u32;
        for _ in 0..count {
            last = last.wrapping_add(number(self.bytes, &mut at));
            out.push(last);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn postings_read_back_as_written() {
        let mut buf = Vec::new();
        let counts = Counts {
            title: 1,
            heading: 0,
            body: 2,
        };
        push_posting(&mut buf, 3, counts, &[0, 5, 300]);
        let one = Counts {
            body: 1,
            ..Counts::default()
        };
        push_posting(&mut buf, 200_000, one, &[70_000]);
        let mut reader = Reader::new(&buf, &[]);
        let mut pos = Vec::new();
        assert_eq!(reader.next(), Some((3, counts)));
        reader.positions_into(&mut pos);
        assert_eq!(pos, [0, 5, 300]);
        assert_eq!(reader.next(), Some((200_003, one)));
        reader.positions_into(&mut pos);
        assert_eq!(pos, [70_000]);
        assert_eq!(reader.next(), None);
    }

    #[test]
    fn advance_to_jumps_by_skips_and_lands_where_reading_would() {
        let mut buf = Vec::new();
        let mut skips = Vec::new();
        let one = Counts {
            body: 1,
            ..Counts::default()
        };
        let mut last = 0;
        for (n, section) in (0..1000u32).map(|i| i * 3 + 1).enumerate() {
            if n > 0 && (n as u32).is_multiple_of(SKIP_EVERY) {
                skips.push(Skip {
                    before: last,
                    at: buf.len() as u32,
                });
            }
            push_posting(&mut buf, section - last, one, &[section % 7]);
            last = section;
        }
        for target in [0, 1, 2, 500, 1501, 2998, 2999] {
            let mut plain = Reader::new(&buf, &[]);
            let mut skipping = Reader::new(&buf, &skips);
            let want = plain.advance_to(target);
            assert_eq!(skipping.advance_to(target), want, "to {target}");
            let (mut a, mut b) = (Vec::new(), Vec::new());
            plain.positions_into(&mut a);
            skipping.positions_into(&mut b);
            assert_eq!(a, b, "positions at {target}");
            assert_eq!(plain.next(), skipping.next(), "after {target}");
        }
        let mut reader = Reader::new(&buf, &skips);
        assert_eq!(reader.advance_to(3000), None);
    }
}
