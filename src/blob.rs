//! Bodies the kernel sends without copying them.
//!
//! Writing a body from memory makes the kernel copy it into fresh socket
//! buffers on every request; `sendfile` instead hands the socket the same
//! page-cache pages each time, which costs the server less and keeps the
//! pages warm in the CPU caches for whoever reads them. nginx serves files
//! that way, and measured against it that copy was the whole gap (see
//! the README's Benchmarks section). So at load, every prepared body of at
//! least [`MIN_BYTES`] is also written once into one in-memory file
//! (`memfd`), sealed so nothing can change it, and sent from there, up to
//! [`MAX_BYTES`] in all; bodies beyond that are written from memory.
//!
//! The heap copy stays: the service path, HEAD and the export read it. The
//! file lives as long as the site that made it (each region holds it), so a
//! reload frees the old one once the last response from it is sent. Where
//! `memfd` is missing (not Linux, or forbidden by a sandbox) no region is
//! made and bodies are written from memory as before.

use std::fs::File;
use std::io;
use std::sync::Arc;

/// Bodies shorter than this are written from memory: below it, the extra
/// system call costs more than the copy saves.
pub const MIN_BYTES: usize = 6 * 1024;

/// The most the in-memory file holds. It is memory on top of the heap copy
/// (about 36 KB per article with a 26 KB page), so a very large site keeps
/// zero-copy sends for its first pages only rather than doubling its
/// memory.
pub const MAX_BYTES: u64 = 256 * 1024 * 1024;

/// Bodies are placed at multiples of this.
const PAGE: u64 = 4096;

/// Where a body sits in the in-memory file.
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

/// The in-memory file being filled at load.
pub struct Store {
    file: Arc<File>,
    len: u64,
}

impl Store {
    /// A new, empty store; `None` where the system has no `memfd`.
    pub fn new() -> Option<Self> {
        #[cfg(target_os = "linux")]
        {
            use rustix::fs::{MemfdFlags, memfd_create};
            match memfd_create(
                "advice-site-bodies",
                MemfdFlags::CLOEXEC | MemfdFlags::ALLOW_SEALING,
            ) {
                Ok(fd) => Some(Self {
                    file: Arc::new(File::from(fd)),
                    len: 0,
                }),
                Err(e) => {
                    tracing::warn!("no in-memory file for zero-copy sends ({e}); copying instead");
                    None
                }
            }
        }
        #[cfg(not(target_os = "linux"))]
        None
    }

    /// Appends `bytes` and says where they are; `None` (and the body is
    /// written from memory) if they are too short to gain or cannot be
    /// stored.
    pub fn put(&mut self, bytes: &[u8]) -> Option<Region> {
        use std::os::unix::fs::FileExt;
        if bytes.len() < MIN_BYTES {
            return None;
        }
        // Each body starts on a page, as a file does: it then spans the
        // fewest pages, and the kernel hands over whole pages.
        let offset = self.len.next_multiple_of(PAGE);
        if offset + bytes.len() as u64 > MAX_BYTES {
            return None;
        }
        if let Err(e) = self.file.write_all_at(bytes, offset) {
            tracing::warn!("cannot store a body for zero-copy sends ({e}); copying it instead");
            return None;
        }
        self.len = offset + bytes.len() as u64;
        Some(Region {
            file: self.file.clone(),
            offset,
            len: bytes.len(),
        })
    }

    /// Bytes stored.
    pub fn len(&self) -> u64 {
        self.len
    }

    /// Whether nothing is stored.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Seals the file: from now on nothing, not even this process, can
    /// write, grow or shrink it, so a region always holds what was put.
    pub fn seal(self) -> io::Result<()> {
        #[cfg(target_os = "linux")]
        {
            use rustix::fs::{SealFlags, fcntl_add_seals};
            fcntl_add_seals(
                &*self.file,
                SealFlags::WRITE | SealFlags::GROW | SealFlags::SHRINK | SealFlags::SEAL,
            )?;
        }
        Ok(())
    }
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;
    use std::io::Read;
    use std::net::{TcpListener, TcpStream};

    #[test]
    fn a_stored_body_is_sent_whole_and_the_store_is_sealed() {
        let mut store = Store::new().unwrap();
        let first: Vec<u8> = (0..10_000u32).map(|i| (i % 251) as u8).collect();
        let second = vec![7u8; MIN_BYTES];
        assert!(
            store.put(&[1, 2, 3]).is_none(),
            "short bodies are not stored"
        );
        let a = store.put(&first).unwrap();
        let b = store.put(&second).unwrap();
        let file = store.file.clone();
        store.seal().unwrap();
        {
            use std::os::unix::fs::FileExt;
            assert!(
                file.write_all_at(b"x", 0).is_err(),
                "a sealed store was written"
            );
        }

        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let sender = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        let (mut receiver, _) = listener.accept().unwrap();
        for region in [&b, &a] {
            let mut sent = 0;
            while sent < region.len() {
                sent += region.send_to(&sender, sent).unwrap();
            }
        }
        drop(sender);
        let mut got = Vec::new();
        receiver.read_to_end(&mut got).unwrap();
        assert_eq!(got, [second, first].concat());
    }
}
