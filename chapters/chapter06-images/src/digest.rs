//! Content addresses: `sha256:<64 hex digits>`, and the three ways images use them.
//!
//! - **DiffID**: the digest of a layer's *uncompressed* tar. The image config lists them.
//! - **blob digest**: the digest of a layer as stored or sent (usually gzip); manifests list
//!   them, and a registry serves blobs by them.
//! - **ChainID**: a layer *together with everything below it*. The same DiffID on top of
//!   different parents is a different filesystem, so the store keys layers by ChainID:
//!   `ChainID(L0) = DiffID(L0)`, `ChainID(L0..Ln) = sha256("<ChainID(L0..Ln-1)> <DiffID(Ln)>")`.
//!
//! And the **image ID** is the digest of the config JSON's exact bytes.

use std::fmt;
use std::io::{self, Read, Write};

use sha2::{Digest as _, Sha256};

/// `sha256:` and 64 lowercase hex digits.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Digest(String);

impl Digest {
    /// Parses `sha256:<hex>`; anything else is refused, naming the input.
    pub fn parse(text: &str) -> Result<Self, String> {
        let Some(hex) = text.strip_prefix("sha256:") else {
            return Err(format!(
                "invalid digest {text:?}: only sha256 digests are supported"
            ));
        };
        if hex.len() != 64
            || !hex
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        {
            return Err(format!(
                "invalid digest {text:?}: expected 64 lowercase hex digits after sha256:"
            ));
        }
        Ok(Digest(text.to_owned()))
    }

    /// The digest of `bytes`.
    pub fn of(bytes: &[u8]) -> Self {
        Digest::from_hasher(Sha256::new_with_prefix(bytes))
    }

    /// The digest a running SHA-256 computation ends with.
    pub fn of_sha256(hasher: Sha256) -> Self {
        Digest::from_hasher(hasher)
    }

    fn from_hasher(hasher: Sha256) -> Self {
        let hex: String = hasher
            .finalize()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        Digest(format!("sha256:{hex}"))
    }

    /// The 64 hex digits: the file name under `sha256/` directories.
    pub fn hex(&self) -> &str {
        &self.0["sha256:".len()..]
    }

    /// The first 12 hex digits, as `docker images` shows an image ID.
    pub fn short(&self) -> &str {
        &self.hex()[..12]
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

// ANCHOR: chain_id
/// The ChainID of `diff_id` on top of a layer whose ChainID is `parent` (none at the bottom).
pub fn chain_id(parent: Option<&Digest>, diff_id: &Digest) -> Digest {
    match parent {
        None => diff_id.clone(),
        Some(parent) => Digest::of(format!("{parent} {diff_id}").as_bytes()),
    }
}

/// The ChainIDs of a stack of layers, bottom first.
pub fn chain_ids(diff_ids: &[Digest]) -> Vec<Digest> {
    let mut chain: Vec<Digest> = Vec::with_capacity(diff_ids.len());
    for diff_id in diff_ids {
        let next = chain_id(chain.last(), diff_id);
        chain.push(next);
    }
    chain
}
// ANCHOR_END: chain_id

/// A reader that hashes what passes through it, and counts it.
pub struct HashingReader<R> {
    inner: R,
    hasher: Sha256,
    count: u64,
}

impl<R: Read> HashingReader<R> {
    pub fn new(inner: R) -> Self {
        HashingReader {
            inner,
            hasher: Sha256::new(),
            count: 0,
        }
    }

    /// The digest and length of everything read so far.
    pub fn finish(self) -> (Digest, u64) {
        (Digest::from_hasher(self.hasher), self.count)
    }
}

impl<R: Read> Read for HashingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let read = self.inner.read(buf)?;
        self.hasher.update(&buf[..read]);
        self.count += read as u64;
        Ok(read)
    }
}

/// A [`HashingReader`] whose hashing runs on a second thread, so a layer's SHA-256 costs
/// no time on the path that unpacks it (hashing 100 MB is about as long as writing it).
/// The chunks read are handed over through a bounded channel.
pub struct BackgroundHashingReader<R> {
    inner: R,
    chunks: Option<std::sync::mpsc::SyncSender<Vec<u8>>>,
    hasher: Option<std::thread::JoinHandle<(Digest, u64)>>,
}

impl<R: Read> BackgroundHashingReader<R> {
    pub fn new(inner: R) -> Self {
        let (chunks, received) = std::sync::mpsc::sync_channel::<Vec<u8>>(32);
        let hasher = std::thread::spawn(move || {
            let mut hasher = Sha256::new();
            let mut count = 0u64;
            for chunk in received {
                hasher.update(&chunk);
                count += chunk.len() as u64;
            }
            (Digest::from_hasher(hasher), count)
        });
        BackgroundHashingReader {
            inner,
            chunks: Some(chunks),
            hasher: Some(hasher),
        }
    }

    /// The digest and length of everything read so far.
    pub fn finish(mut self) -> (Digest, u64) {
        drop(self.chunks.take());
        match self.hasher.take().map(std::thread::JoinHandle::join) {
            Some(Ok(result)) => result,
            Some(Err(panic)) => std::panic::resume_unwind(panic),
            None => (Digest::of(b""), 0),
        }
    }
}

impl<R: Read> Read for BackgroundHashingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let read = self.inner.read(buf)?;
        if read > 0 {
            if let Some(chunks) = &self.chunks {
                chunks
                    .send(buf[..read].to_vec())
                    .map_err(|_| io::Error::other("the hashing thread stopped"))?;
            }
        }
        Ok(read)
    }
}

/// A writer that hashes what passes through it, and counts it.
pub struct HashingWriter<W> {
    inner: W,
    hasher: Sha256,
    count: u64,
}

impl<W: Write> HashingWriter<W> {
    pub fn new(inner: W) -> Self {
        HashingWriter {
            inner,
            hasher: Sha256::new(),
            count: 0,
        }
    }

    /// The digest and length of everything written, and the inner writer.
    pub fn finish(self) -> (Digest, u64, W) {
        (Digest::from_hasher(self.hasher), self.count, self.inner)
    }
}

impl<W: Write> Write for HashingWriter<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let written = self.inner.write(buf)?;
        self.hasher.update(&buf[..written]);
        self.count += written as u64;
        Ok(written)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// A reader that checks, at the end of the stream, that what it read has digest
/// `expected`; a mismatch is an error of the last read, naming both digests. Blobs are
/// verified while they are used, so a corrupt one is never half-trusted.
pub struct VerifyingReader<R> {
    inner: HashingReader<R>,
    expected: Digest,
    what: String,
    checked: bool,
}

impl<R: Read> VerifyingReader<R> {
    pub fn new(inner: R, expected: Digest, what: impl Into<String>) -> Self {
        VerifyingReader {
            inner: HashingReader::new(inner),
            expected,
            what: what.into(),
            checked: false,
        }
    }
}

impl<R: Read> Read for VerifyingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let read = self.inner.read(buf)?;
        if read == 0 && !buf.is_empty() && !self.checked {
            self.checked = true;
            let actual = Digest::from_hasher(self.inner.hasher.clone());
            if actual != self.expected {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidData,
                    format!(
                        "{} {} is corrupt: its content has digest {actual}",
                        self.what, self.expected
                    ),
                ));
            }
        }
        Ok(read)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_seed_002_chain_id() {
        let parent = Digest::parse(
            "sha256:f2cb0ecef392f2a630fa1205b874ab2e2aedf96de04d0b8838e4e728e28142da",
        );
        let diff = Digest::parse(
            "sha256:a9f6b7c7101b86ffaa53dc29638e577dabf5b24150577a59199d8554d7ce2921",
        );
        let chain = chain_ids(&[parent.unwrap(), diff.unwrap()]);
        assert_eq!(
            chain[1].as_str(),
            "sha256:bbb9cccab59a16cb6da78f8879e9d07a19e3a8d49010ab9c98a2c348fa116c87"
        );
    }

    #[test]
    fn bad_digests_are_named() {
        assert!(Digest::parse("md5:abc").unwrap_err().contains("md5:abc"));
        assert!(Digest::parse("sha256:ABC").is_err());
        assert!(Digest::parse(&format!("sha256:{}", "A".repeat(64))).is_err());
    }
}
