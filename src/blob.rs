//! Bodies the kernel sends without copying them.
//!
//! Writing a body from memory makes the kernel copy it into fresh socket
//! buffers on every request; `sendfile` instead hands the socket the same
//! page-cache pages each time, which costs the server less and keeps the
//! pages warm in the CPU caches for whoever reads them. nginx serves files
//! that way, and measured against it that copy was the whole gap (see
//! the README's Benchmarks section). So at load, every prepared body of at
//! least [`MIN_BYTES`] is also written once into one file and sent from
//! there, up to [`MAX_BYTES`] in all; bodies beyond that are written from
//! memory.
//!
//! **Which file.** The pages a body sits in matter to whoever reads the
//! response (a reverse proxy on the same machine, or the benchmark's load
//! generator): the kernel checks each piece of a socket read against the
//! memory it comes from, and small pages mean more pieces. Measured with
//! `perf` on the client, an article sent from a `memfd` (shared memory,
//! 4 KB pages) cost it twice as much of that checking as the same page sent
//! by nginx from disk, and sent from an ordinary file written in large
//! aligned chunks it cost less than nginx's. So the store is, first
//! choice, an unnamed file (`O_TMPFILE`) in the temporary folder (`TMPDIR`,
//! else `/tmp`), written [`CHUNK`] bytes at a time so a filesystem with
//! large folios (ext4 and xfs on recent kernels) can hold it in large
//! pages. Being on disk, its pages can also be reclaimed under memory
//! pressure and read back, which shared memory cannot without swap. Where
//! no such file can be made (no `O_TMPFILE`, a read-only or missing
//! folder) it is a sealed `memfd`; where neither exists (not Linux, a
//! sandbox) no region is made and bodies are written from memory as
//! before.
//!
//! The heap copy stays: the service path, HEAD and the export read it. The
//! file lives as long as the site that made it (each region holds it), so a
//! reload frees the old one once the last response from it is sent.

use std::fs::File;
use std::io;
use std::sync::Arc;

/// Bodies shorter than this are written from memory: below it, the extra
/// system call costs more than the copy saves.
pub const MIN_BYTES: usize = 6 * 1024;

/// The most the file holds. It is memory (page cache) on top of the heap
/// copy (about 36 KB per article with a 26 KB page), so a very large site
/// keeps zero-copy sends for its first pages only rather than doubling its
/// memory.
pub const MAX_BYTES: u64 = 256 * 1024 * 1024;

/// Bodies are placed at multiples of this.
const PAGE: u64 = 4096;

/// The file is written in aligned pieces of this size (the usual huge
/// page), so the page cache may hold each in one large folio.
pub const CHUNK: u64 = 2 * 1024 * 1024;

/// Where a body sits in the store's file.
#[derive(Debug, Clone)]
pub struct Region {
    file: Arc<File>,
    offset: u64,
    len: usize,
}

impl Region {
    /// The body's length in bytes.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether the body is empty (never, for a stored body).
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Sends up to `count` bytes of the body, from `sent` bytes in, to
    /// `socket`; returns how many went. Errors as `write` does, including
    /// `WouldBlock` on a non-blocking socket.
    #[cfg(target_os = "linux")]
    pub fn send_to(&self, socket: impl std::os::fd::AsFd, sent: usize) -> io::Result<usize> {
        let mut offset = self.offset + sent as u64;
        let count = self.len.saturating_sub(sent);
        Ok(rustix::fs::sendfile(
            socket,
            &*self.file,
            Some(&mut offset),
            count,
        )?)
    }
}

/// What the store's file is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backing {
    /// An unnamed file in the temporary folder, in the page cache.
    TempFile,
    /// A sealed in-memory file.
    Memfd,
}

/// The file being filled at load. Bodies are gathered in memory and
/// written a [`CHUNK`] at a time; the regions [`Store::put`] hands out are
/// only good once [`Store::finish`] has succeeded.
pub struct Store {
    file: Arc<File>,
    backing: Backing,
    /// Bytes placed so far, padding included.
    len: u64,
    /// Bytes already in the file: a multiple of [`CHUNK`] until `finish`.
    written: u64,
    /// Bytes from `written` to `len`, not yet in the file.
    pending: Vec<u8>,
    /// The first write that failed; nothing more is placed after it.
    failed: Option<io::Error>,
    /// [`MAX_BYTES`], but for tests.
    max: u64,
}

impl Store {
    /// A new, empty store; `None` where the system offers no file to send
    /// from.
    pub fn new() -> Option<Self> {
        Self::in_folder(&std::env::temp_dir())
    }

    /// A new, empty store whose file is made in `folder` if it can be,
    /// else in memory.
    pub fn in_folder(folder: &std::path::Path) -> Option<Self> {
        let (file, backing) = open(folder)?;
        Some(Self {
            file: Arc::new(file),
            backing,
            len: 0,
            written: 0,
            pending: Vec::new(),
            failed: None,
            max: MAX_BYTES,
        })
    }

    /// What the file is.
    pub fn backing(&self) -> Backing {
        self.backing
    }

    /// Places `bytes` and says where they will be; `None` (and the body is
    /// written from memory) if they are too short to gain or would not fit.
    pub fn put(&mut self, bytes: &[u8]) -> Option<Region> {
        if bytes.len() < MIN_BYTES || self.failed.is_some() {
            return None;
        }
        // Each body starts on a page, as a file does: it then spans the
        // fewest pages, and the kernel hands over whole pages.
        let offset = self.len.next_multiple_of(PAGE);
        if offset + bytes.len() as u64 > self.max {
            return None;
        }
        self.pending.resize((offset - self.written) as usize, 0);
        self.pending.extend_from_slice(bytes);
        self.len = offset + bytes.len() as u64;
        if let Err(e) = self.flush(false) {
            self.failed = Some(e);
            return None;
        }
        Some(Region {
            file: self.file.clone(),
            offset,
            len: bytes.len(),
        })
    }

    /// Bytes placed.
    pub fn len(&self) -> u64 {
        self.len
    }

    /// Whether nothing is placed.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Writes what is ready of [`CHUNK`]-aligned pieces; with `all`, the
    /// rest too, up to a whole page.
    fn flush(&mut self, all: bool) -> io::Result<()> {
        use std::os::unix::fs::FileExt;
        let ready = if all {
            self.pending.len().next_multiple_of(PAGE as usize)
        } else {
            self.pending.len() / CHUNK as usize * CHUNK as usize
        };
        if ready == 0 {
            return Ok(());
        }
        if all {
            self.pending.resize(ready, 0);
        }
        self.file
            .write_all_at(&self.pending[..ready], self.written)?;
        self.pending.drain(..ready);
        self.written += ready as u64;
        Ok(())
    }

    /// Writes every placed body to the file and, for a `memfd`, seals it so
    /// nothing, not even this process, can change it. On an error, no
    /// region from this store may be used: the caller drops them and
    /// writes those bodies from memory.
    pub fn finish(mut self) -> io::Result<()> {
        if let Some(e) = self.failed.take() {
            return Err(e);
        }
        self.flush(true)?;
        #[cfg(target_os = "linux")]
        if self.backing == Backing::Memfd {
            use rustix::fs::{SealFlags, fcntl_add_seals};
            fcntl_add_seals(
                &*self.file,
                SealFlags::WRITE | SealFlags::GROW | SealFlags::SHRINK | SealFlags::SEAL,
            )?;
        }
        Ok(())
    }
}

/// The file to store bodies in: an unnamed file in `folder`, which can
/// never be given a name (`O_EXCL`) and is freed with its last region, else
/// a `memfd`. Only [`Store`] writes to it, and `finish` consumes the store.
#[cfg(target_os = "linux")]
fn open(folder: &std::path::Path) -> Option<(File, Backing)> {
    use rustix::fs::{MemfdFlags, Mode, OFlags, memfd_create};
    match rustix::fs::open(
        folder,
        OFlags::TMPFILE | OFlags::EXCL | OFlags::RDWR | OFlags::CLOEXEC,
        Mode::RUSR | Mode::WUSR,
    ) {
        Ok(fd) => return Some((File::from(fd), Backing::TempFile)),
        Err(e) => tracing::debug!(
            "no unnamed file in {} ({e}); bodies go to memory",
            folder.display()
        ),
    }
    match memfd_create(
        "advice-site-bodies",
        MemfdFlags::CLOEXEC | MemfdFlags::ALLOW_SEALING,
    ) {
        Ok(fd) => Some((File::from(fd), Backing::Memfd)),
        Err(e) => {
            tracing::warn!("no file for zero-copy sends ({e}); copying instead");
            None
        }
    }
}

#[cfg(not(target_os = "linux"))]
fn open(_folder: &std::path::Path) -> Option<(File, Backing)> {
    None
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;
    use std::io::Read;
    use std::net::{TcpListener, TcpStream};

    /// Bodies of many lengths, some short, more than two chunks in all.
    fn bodies() -> Vec<Vec<u8>> {
        let mut seed = 7u32;
        (0..200)
            .map(|n| {
                seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12_345);
                let len = if n % 10 == 0 {
                    100
                } else {
                    6_000 + (seed >> 8) as usize % 40_000
                };
                (0..len)
                    .map(|i| (i as u32 ^ seed).to_le_bytes()[0])
                    .collect()
            })
            .collect()
    }

    /// Sends each region through a real socket and returns what arrived.
    fn received(regions: &[&Region]) -> Vec<u8> {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let sender = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        let (mut receiver, _) = listener.accept().unwrap();
        let reader = std::thread::spawn(move || {
            let mut got = Vec::new();
            receiver.read_to_end(&mut got).unwrap();
            got
        });
        for region in regions {
            let mut sent = 0;
            while sent < region.len() {
                sent += region.send_to(&sender, sent).unwrap();
            }
        }
        drop(sender);
        reader.join().unwrap()
    }

    fn stores_and_sends_whole(mut store: Store) {
        let bodies = bodies();
        let regions: Vec<Option<Region>> = bodies.iter().map(|b| store.put(b)).collect();
        assert!(store.len() > 2 * CHUNK, "the bodies should span chunks");
        for (body, region) in bodies.iter().zip(&regions) {
            assert_eq!(
                region.is_some(),
                body.len() >= MIN_BYTES,
                "a body of {} bytes",
                body.len()
            );
        }
        let file = store.file.clone();
        let backing = store.backing();
        store.finish().unwrap();
        if backing == Backing::Memfd {
            use std::os::unix::fs::FileExt;
            assert!(
                file.write_all_at(b"x", 0).is_err(),
                "a sealed store was written"
            );
        }
        // Backwards, so each body is read from where it was put, not in
        // the order it was written.
        let stored: Vec<(&Vec<u8>, &Region)> = bodies
            .iter()
            .zip(&regions)
            .filter_map(|(b, r)| Some((b, r.as_ref()?)))
            .rev()
            .collect();
        let expected: Vec<u8> = stored.iter().flat_map(|(b, _)| b.iter().copied()).collect();
        let got = received(&stored.iter().map(|(_, r)| *r).collect::<Vec<_>>());
        assert_eq!(got.len(), expected.len());
        assert!(got == expected, "the bodies sent differ from those stored");
    }

    #[test]
    fn bodies_in_a_temporary_file_are_sent_whole() {
        let store = Store::new().unwrap();
        assert_eq!(
            store.backing(),
            Backing::TempFile,
            "this machine's temporary folder should take an unnamed file"
        );
        stores_and_sends_whole(store);
    }

    #[test]
    fn without_a_usable_folder_bodies_go_to_a_sealed_memfd() {
        let store = Store::in_folder(std::path::Path::new("/nonexistent/advice-site")).unwrap();
        assert_eq!(store.backing(), Backing::Memfd);
        stores_and_sends_whole(store);
    }

    #[test]
    fn a_full_store_declines_more() {
        let mut store = Store::new().unwrap();
        store.max = 2 * CHUNK;
        let big = vec![1u8; CHUNK as usize + 1];
        let small = vec![2u8; MIN_BYTES];
        let first = store.put(&big).unwrap();
        assert!(store.put(&big).is_none(), "the second would pass the limit");
        let second = store.put(&small).unwrap();
        store.finish().unwrap();
        assert_eq!(received(&[&first, &second]), [big, small].concat());
    }
}
