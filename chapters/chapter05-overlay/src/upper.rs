//! What an upper directory holds: the container's own files, and the marks overlayfs leaves
//! for what it deleted.
//!
//! - a deleted file or directory of a lower layer is a *whiteout*: a character device with
//!   device number 0:0, under the same name;
//! - a directory that was deleted and made again is *opaque*: the extended attribute
//!   `trusted.overlay.opaque` is `y`, and nothing of the lower layers shows through it.

use std::os::unix::fs::{FileTypeExt, MetadataExt};
use std::path::Path;

/// One entry of an upper directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UpperEntry {
    /// The path inside the container, like `/etc/passwd`.
    pub path: String,
    pub kind: EntryKind,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EntryKind {
    File {
        size: u64,
    },
    Directory {
        opaque: bool,
    },
    Symlink {
        target: String,
    },
    /// Hides the lower layers' entry of the same name.
    Whiteout,
    Other,
}

/// Every entry under `upper`, sorted by path.
pub fn entries(upper: &Path) -> Vec<UpperEntry> {
    let mut out = Vec::new();
    walk(upper, upper, &mut out);
    out.sort_by(|a, b| a.path.cmp(&b.path));
    out
}

fn walk(root: &Path, dir: &Path, out: &mut Vec<UpperEntry>) {
    let Ok(read) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in read.flatten() {
        let path = entry.path();
        let Ok(metadata) = std::fs::symlink_metadata(&path) else {
            continue;
        };
        let inside = format!("/{}", path.strip_prefix(root).unwrap_or(&path).display());
        let kind = kind_of(&path, &metadata);
        let recurse = matches!(kind, EntryKind::Directory { .. });
        out.push(UpperEntry { path: inside, kind });
        if recurse {
            walk(root, &path, out);
        }
    }
}

/// What the entry at `path` is, from its metadata (not following a symlink).
pub fn kind_of(path: &Path, metadata: &std::fs::Metadata) -> EntryKind {
    let file_type = metadata.file_type();
    if file_type.is_char_device() && metadata.rdev() == 0 {
        EntryKind::Whiteout
    } else if file_type.is_dir() {
        EntryKind::Directory {
            opaque: is_opaque(path),
        }
    } else if file_type.is_symlink() {
        EntryKind::Symlink {
            target: std::fs::read_link(path)
                .map(|t| t.display().to_string())
                .unwrap_or_default(),
        }
    } else if file_type.is_file() {
        EntryKind::File {
            size: metadata.len(),
        }
    } else {
        EntryKind::Other
    }
}

// ANCHOR: opaque
/// The extended attribute overlayfs puts on an opaque directory.
pub const OPAQUE_XATTR: &str = "trusted.overlay.opaque";

/// Whether overlayfs marked the directory opaque (`trusted.overlay.opaque` = `y`).
/// Reading `trusted.*` attributes needs CAP_SYS_ADMIN; without it the answer is "no".
pub fn is_opaque(dir: &Path) -> bool {
    matches!(crate::xattr::get(dir, OPAQUE_XATTR), Ok(Some(value)) if value == b"y")
}
// ANCHOR_END: opaque

impl std::fmt::Display for UpperEntry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.kind {
            EntryKind::File { size } => write!(f, "{} (file, {size} bytes)", self.path),
            EntryKind::Directory { opaque: true } => {
                write!(
                    f,
                    "{} (directory, opaque: trusted.overlay.opaque=y)",
                    self.path
                )
            }
            EntryKind::Directory { opaque: false } => write!(f, "{} (directory)", self.path),
            EntryKind::Symlink { target } => write!(f, "{} -> {target}", self.path),
            EntryKind::Whiteout => write!(f, "{} (whiteout: character device 0:0)", self.path),
            EntryKind::Other => write!(f, "{} (special file)", self.path),
        }
    }
}
