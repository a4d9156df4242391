//! Your code. Replace every `todo!()`; keep the signatures, the spec calls them.
// The parameters are unused until you fill the bodies in.
#![allow(unused_variables)]

use std::io::Read;
use std::path::Path;

use crate::UnpackedLayer;

/// Task 1a (2 points). The digest of `bytes`: `sha256:` followed by the 64 lowercase hex
/// digits of their SHA-256 (the `sha2` crate computes it). The empty input gives
/// `sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855`.
pub fn sha256_digest(bytes: &[u8]) -> String {
    todo!("task 1")
}

/// Task 1b (2 points). Checks that `text` is a digest we support and gives back its 64 hex
/// digits (the file name under docker's `sha256/` directories): exactly `sha256:` followed by
/// exactly 64 characters from `0-9a-f`. Nothing is trimmed or lowercased.
///
/// Anything else is an error that contains `text` in double quotes, as `{text:?}` writes it:
/// `invalid digest "md5:abc": only sha256 digests are supported`.
pub fn parse_digest(text: &str) -> Result<String, String> {
    todo!("task 1")
}

/// Task 2a (3 points, with task 2b). The ChainID of the layer `diff_id` on top of a layer
/// whose ChainID is `parent`:
/// - at the bottom (`parent` is `None`), the ChainID is the DiffID itself;
/// - otherwise it is the digest (task 1a) of the text `"<parent> <diff_id>"`: both digests
///   in full, `sha256:` included, with one space between them.
///
/// `parent` and `diff_id` must be digests (task 1b): the first one that is not is refused
/// with task 1b's error.
pub fn chain_id(parent: Option<&str>, diff_id: &str) -> Result<String, String> {
    todo!("task 2")
}

/// Task 2b (2 points, with task 2a). The ChainIDs of a stack of layers, given their DiffIDs
/// bottom first: one ChainID per layer, each on top of the one before. No layers, no
/// ChainIDs. The first DiffID that is not a digest is refused with task 1b's error.
pub fn chain_ids(diff_ids: &[&str]) -> Result<Vec<String>, String> {
    todo!("task 2")
}

/// Task 3a (1 point). The image ID: the digest of the config's exact bytes. The config is
/// not parsed, let alone re-encoded: the same JSON with other spacing is another image.
pub fn image_id(config: &[u8]) -> String {
    todo!("task 3")
}

/// Task 3b (3 points, with task 3c). The DiffIDs an image config lists, bottom layer first,
/// in `rootfs.diff_ids`:
///
/// ```json
/// {"architecture":"amd64","os":"linux","config":{"Cmd":["sh"]},
///  "rootfs":{"type":"layers","diff_ids":["sha256:…","sha256:…"]}}
/// ```
///
/// Other fields are not your concern. Every error starts with `invalid image config: ` and
/// is given when:
/// - the bytes are not JSON, or not a JSON object (`serde_json` says why: append its error);
/// - `rootfs` is missing, or is not an object holding a `type` and a `diff_ids` list;
/// - `rootfs.type` is not `"layers"`: the message contains the type in double quotes;
/// - an element of `diff_ids` is not a digest (task 1b): the message contains task 1b's
///   error (a string that is no digest appears in double quotes; a non-string is refused
///   too).
///
/// An empty `diff_ids` list is an image without layers: `Ok` of an empty list.
pub fn diff_ids(config: &[u8]) -> Result<Vec<String>, String> {
    todo!("task 3")
}

/// Task 3c (1 point, with task 3b). The ChainID of the image's top layer: what the image
/// holds in the layer db. `None` for an image without layers; errors as in task 3b.
pub fn top_chain_id(config: &[u8]) -> Result<Option<String>, String> {
    todo!("task 3")
}

/// Task 4 (6 points). Unpacks the uncompressed layer tar read from `tar` into `target` (an
/// existing empty directory) in overlay form, and names the layer, in this order:
///
/// 1. `parent` (the ChainID of the layer below, if any) and `expected` (the DiffID the image
///    config promises, if known) must be digests (task 1b); if one is not, return task 1b's
///    error before reading anything or touching `target`.
/// 2. Unpack with chapter 5's `chapter05::unpack_layer(reader, target)`, giving it a reader
///    that hashes every byte passing through it (write a small struct that wraps `tar` and
///    implements `std::io::Read`). `unpack_layer` reads the stream to its very end — a tar
///    ends with zero blocks and often with padding after them, and they are all part of the
///    DiffID. If it fails, return its error as text (`error.to_string()`, which names the
///    entry); it has emptied `target` already.
/// 3. The DiffID is the digest of everything the reader passed on (`sha256:<hex>`).
/// 4. With `expected`, a different DiffID is an error, exactly
///    `layer <expected> is corrupt: its uncompressed content has digest <diff id>`, and
///    `target` is emptied again (everything in it removed, `target` itself kept): a layer
///    that is not what it claims is not kept.
/// 5. The ChainID is task 2a's, on top of `parent`. `entries` and `bytes` are those of
///    `unpack_layer`'s result.
pub fn unpack_verified(
    tar: impl Read,
    target: &Path,
    parent: Option<&str>,
    expected: Option<&str>,
) -> Result<UnpackedLayer, String> {
    todo!("task 4")
}
