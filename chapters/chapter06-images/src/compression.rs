//! Layer blobs come plain or compressed; the first bytes tell which (a "magic number").
//!
//! - `1f 8b` — gzip, what docker and most registries use;
//! - `28 b5 2f fd` — zstd, which newer tools can write: refused with a clear message;
//! - anything else is read as a plain tar (the tar reader checks it).

use std::io::{BufRead, BufReader, Read};

pub const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];
pub const ZSTD_MAGIC: [u8; 4] = [0x28, 0xb5, 0x2f, 0xfd];

/// How a blob is compressed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compression {
    None,
    Gzip,
    Zstd,
}

/// Tells the compression from a blob's first bytes.
pub fn detect(start: &[u8]) -> Compression {
    if start.starts_with(&GZIP_MAGIC) {
        Compression::Gzip
    } else if start.starts_with(&ZSTD_MAGIC) {
        Compression::Zstd
    } else {
        Compression::None
    }
}

// ANCHOR: decompressed
/// The uncompressed stream of a layer blob.
pub fn decompressed<'a>(blob: impl Read + 'a) -> Result<Box<dyn Read + 'a>, String> {
    let mut reader = BufReader::with_capacity(1 << 16, blob);
    let start = reader
        .fill_buf()
        .map_err(|e| format!("cannot read the layer: {e}"))?;
    match detect(start) {
        Compression::Gzip => Ok(Box::new(flate2::read::MultiGzDecoder::new(reader))),
        Compression::Zstd => Err("zstd-compressed layers are not supported; use gzip".into()),
        Compression::None => Ok(Box::new(reader)),
    }
}
// ANCHOR_END: decompressed
