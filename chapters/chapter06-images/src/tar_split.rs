//! Giving back the exact tar a layer came from, without keeping a second copy of it.
//!
//! The image config names each layer by its DiffID, the digest of the *exact* tar bytes.
//! Once the tar is unpacked, its bytes are gone: packing the directory again gives another
//! order, other headers, another digest — and `save` would write an image whose layers do
//! not match its own config. Keeping every tar beside its unpacked copy would double the
//! disk space.
//!
//! Docker's answer (the `tar-split` library) is ours too: while unpacking, record the
//! stream *minus the file contents* — headers, padding, the end blocks — and, for each
//! file, where its content went. To give the tar back, replay the record and read the
//! contents from the unpacked layer. A 100 MB layer makes a record of a few kilobytes.
//!
//! Our record is our own small format (docker's is JSON), gzip-compressed:
//! `0 <u64 length> <bytes>` for a stretch of the stream kept as is, and
//! `1 <u64 size> <u32 length> <path>` for a file's content, read from the layer.
//! The replayed stream is checked against the DiffID, so a layer whose files changed (or
//! a tar that wrote one name twice) is an error, never a wrong image.

use std::cell::RefCell;
use std::ffi::OsString;
use std::io::{self, Read, Write};
use std::os::fd::AsFd;
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::path::Path;
use std::rc::Rc;

use chapter05::chapter04::chapter03::chapter01::ContainerError;
use chapter05::confined::Confined;
use chapter05::unpack::FileContent;
use nix::fcntl::OFlag;
use nix::sys::stat::Mode;

use crate::digest::{Digest, HashingWriter};

const KEPT: u8 = 0;
const FILE: u8 = 1;

/// What the recorder has seen so far.
#[derive(Default)]
struct Record {
    out: Vec<u8>,
    kept: Vec<u8>,
    position: u64,
    /// The content range being skipped: `[start, end)` of the stream.
    skipping: Option<(u64, u64)>,
}

impl Record {
    fn flush_kept(&mut self) {
        if !self.kept.is_empty() {
            self.out.push(KEPT);
            self.out.extend((self.kept.len() as u64).to_le_bytes());
            self.out.append(&mut self.kept);
        }
    }

    fn take(&mut self, bytes: &[u8]) {
        let start = self.position;
        let end = start + bytes.len() as u64;
        self.position = end;
        match self.skipping {
            Some((from, to)) => {
                // Keep what lies outside the skipped range: the buffer may start before
                // the content or run past it into the next header.
                let local = |at: u64| (at.clamp(start, end) - start) as usize;
                self.kept.extend_from_slice(&bytes[..local(from)]);
                self.kept.extend_from_slice(&bytes[local(to)..]);
                if end >= to {
                    self.skipping = None;
                }
            }
            None => self.kept.extend_from_slice(bytes),
        }
    }
}

/// Wraps the uncompressed layer stream and records it; [`Recorder::observer`] is given to
/// chapter 5's unpacker so file contents are left out of the record.
pub struct Recorder<R> {
    inner: R,
    record: Rc<RefCell<Record>>,
}

impl<R: Read> Recorder<R> {
    pub fn new(inner: R) -> Self {
        Recorder {
            inner,
            record: Rc::new(RefCell::new(Record::default())),
        }
    }

    // ANCHOR: observer
    /// The callback for [`chapter05::unpack_layer_observed`].
    pub fn observer(&self) -> impl FnMut(&FileContent<'_>) {
        let record = Rc::clone(&self.record);
        move |file: &FileContent<'_>| {
            let mut record = record.borrow_mut();
            record.flush_kept();
            let path = file
                .components
                .iter()
                .map(|c| c.as_bytes())
                .collect::<Vec<_>>()
                .join(&b'/');
            record.out.push(FILE);
            record.out.extend(file.size.to_le_bytes());
            record.out.extend((path.len() as u32).to_le_bytes());
            record.out.extend(path);
            record.skipping = Some((file.position, file.position + file.size));
        }
    }
    // ANCHOR_END: observer

    /// The finished record, gzip-compressed, and the inner reader.
    pub fn finish(self) -> io::Result<(Vec<u8>, R)> {
        let mut record = self.record.borrow_mut();
        record.flush_kept();
        let mut gzip = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        gzip.write_all(&record.out)?;
        Ok((gzip.finish()?, self.inner))
    }
}

impl<R: Read> Read for Recorder<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let read = self.inner.read(buf)?;
        self.record.borrow_mut().take(&buf[..read]);
        Ok(read)
    }
}

/// The length of the tar a record rebuilds: the kept stretches plus the file contents.
pub fn replayed_size(record: &[u8]) -> Result<u64, String> {
    let mut decoded = Vec::new();
    flate2::read::GzDecoder::new(record)
        .read_to_end(&mut decoded)
        .map_err(|e| format!("unreadable tar-split record: {e}"))?;
    let mut total = 0u64;
    let mut rest = decoded.as_slice();
    while let Some((&kind, tail)) = rest.split_first() {
        let (length, tail) = take_u64(tail).ok_or("truncated tar-split record")?;
        total += length;
        rest = match kind {
            KEPT => tail
                .get(length as usize..)
                .ok_or("truncated tar-split record")?,
            FILE => {
                let (path_length, tail) = take_u32(tail).ok_or("truncated tar-split record")?;
                tail.get(path_length as usize..)
                    .ok_or("truncated tar-split record")?
            }
            _ => return Err("unknown tar-split record kind".into()),
        };
    }
    Ok(total)
}

// ANCHOR: replay
/// Writes the original tar of the layer unpacked at `layer_dir` to `out`, from its
/// record, and checks it against `diff_id`.
pub fn replay(
    record: &[u8],
    layer_dir: &Path,
    diff_id: &Digest,
    out: impl Write,
) -> Result<(), ContainerError> {
    let broken = |what: &str| {
        ContainerError::Invalid(format!(
            "cannot rebuild layer {diff_id} from {}: {what}",
            layer_dir.display()
        ))
    };
    let mut decoded = Vec::new();
    flate2::read::GzDecoder::new(record)
        .read_to_end(&mut decoded)
        .map_err(|e| broken(&format!("its tar-split record is unreadable ({e})")))?;
    let root = Confined::open(layer_dir)?;
    let mut out = HashingWriter::new(out);
    let mut rest = decoded.as_slice();
    while let Some((&kind, tail)) = rest.split_first() {
        let (length, tail) = take_u64(tail).ok_or_else(|| broken("truncated record"))?;
        match kind {
            KEPT => {
                let bytes = tail
                    .get(..length as usize)
                    .ok_or_else(|| broken("truncated record"))?;
                out.write_all(bytes)
                    .map_err(|e| ContainerError::io("write the layer tar", e))?;
                rest = &tail[bytes.len()..];
            }
            FILE => {
                let (path_length, tail) =
                    take_u32(tail).ok_or_else(|| broken("truncated record"))?;
                let path = tail
                    .get(..path_length as usize)
                    .ok_or_else(|| broken("truncated record"))?;
                copy_content(&root, path, length, &mut out).map_err(|e| broken(&e))?;
                rest = &tail[path.len()..];
            }
            _ => return Err(broken("unknown record kind")),
        }
    }
    let (digest, _, _) = out.finish();
    if &digest != diff_id {
        return Err(broken(&format!(
            "the rebuilt tar has digest {digest}: the layer's files changed"
        )));
    }
    Ok(())
}
// ANCHOR_END: replay

/// Copies exactly `size` bytes of the file at `path` below `root`, opened without following
/// any symlink: a layer's own symlinks must not make us read the host's files.
fn copy_content(
    root: &Confined,
    path: &[u8],
    size: u64,
    out: &mut impl Write,
) -> Result<(), String> {
    let components: Vec<OsString> = path
        .split(|b| *b == b'/')
        .map(|c| OsString::from_vec(c.to_vec()))
        .collect();
    let Some((name, dirs)) = components.split_last() else {
        return Err("an empty path in the record".into());
    };
    let dir = root.dir(dirs, false)?;
    let fd = nix::fcntl::openat(
        dir.as_fd(),
        name.as_os_str(),
        OFlag::O_RDONLY | OFlag::O_NOFOLLOW | OFlag::O_CLOEXEC,
        Mode::empty(),
    )
    .map_err(|e| format!("open {}: {}", String::from_utf8_lossy(path), e.desc()))?;
    let copied =
        io::copy(&mut std::fs::File::from(fd).take(size), out).map_err(|e| e.to_string())?;
    if copied != size {
        return Err(format!(
            "{} is shorter than recorded",
            String::from_utf8_lossy(path)
        ));
    }
    Ok(())
}

fn take_u64(bytes: &[u8]) -> Option<(u64, &[u8])> {
    let (head, tail) = bytes.split_at_checked(8)?;
    Some((u64::from_le_bytes(head.try_into().ok()?), tail))
}

fn take_u32(bytes: &[u8]) -> Option<(u32, &[u8])> {
    let (head, tail) = bytes.split_at_checked(4)?;
    Some((u32::from_le_bytes(head.try_into().ok()?), tail))
}
