//! The chapter's code behind the lab's interface (used by `cargo xtask check-labs`).
//!
//! Tasks 1 to 3 are chapter 6's own `Digest`, `chain_id(s)` and `ImageConfig`; the lab speaks
//! `str`, so digests are parsed on the way in. Task 4 composes what `LayerDb::register` does
//! around its store: chapter 5's unpacker fed through a `HashingReader`, the DiffID checked,
//! the ChainID computed.

use std::io::Read;
use std::path::Path;

use chapter06::config::ImageConfig;
use chapter06::digest::{self, Digest, HashingReader};

use crate::UnpackedLayer;

pub fn sha256_digest(bytes: &[u8]) -> String {
    Digest::of(bytes).to_string()
}

pub fn parse_digest(text: &str) -> Result<String, String> {
    Digest::parse(text).map(|digest| digest.hex().to_owned())
}

pub fn chain_id(parent: Option<&str>, diff_id: &str) -> Result<String, String> {
    let parent = parent.map(Digest::parse).transpose()?;
    let diff_id = Digest::parse(diff_id)?;
    Ok(digest::chain_id(parent.as_ref(), &diff_id).to_string())
}

pub fn chain_ids(diff_ids: &[&str]) -> Result<Vec<String>, String> {
    let diff_ids = diff_ids
        .iter()
        .map(|text| Digest::parse(text))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(digest::chain_ids(&diff_ids)
        .iter()
        .map(Digest::to_string)
        .collect())
}

pub fn image_id(config: &[u8]) -> String {
    Digest::of(config).to_string()
}

pub fn diff_ids(config: &[u8]) -> Result<Vec<String>, String> {
    let config = ImageConfig::parse(config)?;
    Ok(config
        .rootfs
        .diff_ids
        .iter()
        .map(Digest::to_string)
        .collect())
}

pub fn top_chain_id(config: &[u8]) -> Result<Option<String>, String> {
    let config = ImageConfig::parse(config)?;
    Ok(digest::chain_ids(&config.rootfs.diff_ids)
        .last()
        .map(Digest::to_string))
}

/// What `LayerDb::register` does with a layer tar, in a directory of our choice instead of
/// the store's: hash while unpacking, verify, name.
pub fn unpack_verified(
    tar: impl Read,
    target: &Path,
    parent: Option<&str>,
    expected: Option<&str>,
) -> Result<UnpackedLayer, String> {
    let parent = parent.map(Digest::parse).transpose()?;
    let expected = expected.map(Digest::parse).transpose()?;
    let mut hashing = HashingReader::new(tar);
    let unpacked = chapter06::chapter05::unpack_layer(&mut hashing, target)
        .map_err(|error| error.to_string())?;
    let (diff_id, _) = hashing.finish();
    if let Some(expected) = expected {
        if diff_id != expected {
            // The store removes the whole layer (`LayerStore::remove_layer`); here the
            // directory is the caller's, so only its content goes.
            chapter06::chapter05::unpack::empty_directory(target);
            return Err(format!(
                "layer {expected} is corrupt: its uncompressed content has digest {diff_id}"
            ));
        }
    }
    Ok(UnpackedLayer {
        chain_id: digest::chain_id(parent.as_ref(), &diff_id).to_string(),
        diff_id: diff_id.to_string(),
        entries: unpacked.entries,
        bytes: unpacked.bytes,
    })
}
