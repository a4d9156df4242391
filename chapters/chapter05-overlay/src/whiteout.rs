//! Whiteouts both ways: how overlayfs marks a deletion, and how a layer tar spells it.
//!
//! overlayfs and tar files speak two dialects of the same idea (see the OCI image spec,
//! "Representing Changes"):
//!
//! | meaning                          | in an upper directory                 | in a layer tar            |
//! |----------------------------------|---------------------------------------|---------------------------|
//! | `name` was deleted               | character device 0:0 called `name`    | empty file `.wh.name`     |
//! | nothing below shows through `d/` | xattr `trusted.overlay.opaque=y` on d | empty file `d/.wh..wh..opq` |
//!
//! A tar cannot hold a device reliably across tools, and an xattr in the `trusted.`
//! namespace is not something an image may set, so images use plain marker files. This file
//! is pure: names in, names out. [`crate::pack`] and [`crate::unpack`] do the file work.

use std::ffi::{OsStr, OsString};
use std::fmt;
use std::os::unix::ffi::{OsStrExt, OsStringExt};

use crate::upper::EntryKind;

/// A tar entry called `.wh.<name>` deletes `<name>` from the layers below.
pub const WHITEOUT_PREFIX: &str = ".wh.";
/// A tar entry `<dir>/.wh..wh..opq` makes `<dir>` opaque.
pub const OPAQUE_MARKER: &str = ".wh..wh..opq";
/// Names starting like this are whiteout metadata: AUFS, docker's first storage driver,
/// kept its hardlink bookkeeping in `.wh..wh.plnk` and friends. They carry nothing for us.
pub const METADATA_PREFIX: &str = ".wh..wh.";

// ANCHOR: to_tar
/// The tar paths that carry one upper-directory entry (`path` is its container path, like
/// `/bin/vi`). A whiteout becomes a `.wh.` file; an opaque directory is written as itself,
/// followed by its opaque marker; everything else keeps its name.
pub fn tar_paths(path: &str, kind: &EntryKind) -> Vec<String> {
    let relative = path.trim_start_matches('/');
    match kind {
        EntryKind::Whiteout => {
            let (dir, name) = match relative.rsplit_once('/') {
                Some((dir, name)) => (format!("{dir}/"), name),
                None => (String::new(), relative),
            };
            vec![format!("{dir}{WHITEOUT_PREFIX}{name}")]
        }
        EntryKind::Directory { opaque: true } => {
            vec![relative.to_owned(), format!("{relative}/{OPAQUE_MARKER}")]
        }
        _ => vec![relative.to_owned()],
    }
}
// ANCHOR_END: to_tar

/// What the last component of a tar entry's name asks for in overlay form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OverlayForm {
    /// An ordinary entry: create it under its own name.
    Entry,
    /// `.wh.<name>`: put a whiteout (character device 0:0) called `<name>`.
    Whiteout(OsString),
    /// `.wh..wh..opq`: mark the directory holding it opaque.
    Opaque,
    /// `.wh..wh.<anything else>`: old AUFS bookkeeping; nothing to do.
    Metadata,
}

// ANCHOR: from_tar
/// Reads the last component of a tar entry's name. Names that would whiteout nothing
/// (`.wh.`), the directory itself (`.wh..`) or its parent (`.wh...`), or that contain a
/// slash, are refused: a layer that says them is malformed.
pub fn overlay_form(name: &OsStr) -> Result<OverlayForm, String> {
    let bytes = name.as_bytes();
    if bytes == OPAQUE_MARKER.as_bytes() {
        return Ok(OverlayForm::Opaque);
    }
    if bytes.starts_with(METADATA_PREFIX.as_bytes()) {
        return Ok(OverlayForm::Metadata);
    }
    let Some(hidden) = bytes.strip_prefix(WHITEOUT_PREFIX.as_bytes()) else {
        return Ok(OverlayForm::Entry);
    };
    if hidden.is_empty() || hidden == b"." || hidden == b".." || hidden.contains(&b'/') {
        return Err(format!(
            "invalid whiteout {:?}: it names no entry",
            name.to_string_lossy()
        ));
    }
    Ok(OverlayForm::Whiteout(OsString::from_vec(hidden.to_vec())))
}
// ANCHOR_END: from_tar

impl fmt::Display for OverlayForm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            OverlayForm::Entry => f.write_str("create it"),
            OverlayForm::Whiteout(name) => {
                write!(
                    f,
                    "whiteout: character device 0:0 named {:?}",
                    name.to_string_lossy()
                )
            }
            OverlayForm::Opaque => f.write_str("make the directory opaque"),
            OverlayForm::Metadata => f.write_str("skip (AUFS metadata)"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_directions_agree() {
        let whiteout = tar_paths("/usr/bin/vi", &EntryKind::Whiteout);
        assert_eq!(whiteout, ["usr/bin/.wh.vi"]);
        let name = whiteout[0].rsplit('/').next().unwrap_or_default();
        assert_eq!(
            overlay_form(OsStr::new(name)),
            Ok(OverlayForm::Whiteout("vi".into()))
        );
        let opaque = tar_paths("/var/log", &EntryKind::Directory { opaque: true });
        assert_eq!(opaque, ["var/log", "var/log/.wh..wh..opq"]);
        assert_eq!(
            overlay_form(OsStr::new(OPAQUE_MARKER)),
            Ok(OverlayForm::Opaque)
        );
        assert_eq!(tar_paths("/top", &EntryKind::Whiteout), [".wh.top"]);
    }
}
