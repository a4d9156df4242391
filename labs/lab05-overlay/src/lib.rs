//! Lab 5 — overlay filesystems. Work in `src/starter.rs`; `tests/spec.rs` is the spec.
//!
//! overlayfs and layer tars mark a deletion in two dialects: a whiteout in an upper directory
//! is a character device 0:0, in a tar it is an empty file called `.wh.<name>`; an opaque
//! directory carries the xattr `trusted.overlay.opaque=y`, in a tar it holds an empty
//! `.wh..wh..opq`. You convert both ways — as pure functions on names, so no test needs root
//! or even a file. `cargo xtask grade lab05` prints your points.

#[cfg(not(feature = "reference"))]
mod starter;
#[cfg(not(feature = "reference"))]
pub use starter::*;

#[cfg(feature = "reference")]
mod reference;
#[cfg(feature = "reference")]
pub use reference::*;

/// What an entry of an upper directory is (what a walk of the directory finds).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EntryKind {
    /// A regular file.
    File,
    /// A directory; `opaque` when overlayfs set `trusted.overlay.opaque=y` on it (nothing of
    /// the lower layers shows through it).
    Directory { opaque: bool },
    /// A symbolic link.
    Symlink,
    /// A character device with device number 0:0: it hides the lower layers' entry of the
    /// same name.
    Whiteout,
}

/// What the last component of a tar entry's name asks for in overlay form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OverlayForm {
    /// An ordinary entry: create it under its own name.
    Entry,
    /// `.wh.<name>`: put a whiteout called `<name>` (the `String`) next to the marker.
    Whiteout(String),
    /// `.wh..wh..opq`: mark the directory holding the marker opaque.
    Opaque,
    /// `.wh..wh.<anything else>`: old AUFS bookkeeping; nothing to do.
    Metadata,
}

/// One step of unpacking a layer tar into a directory in overlay form. Paths are relative to
/// the target directory, their components joined by single `/`s, like `etc/passwd`; the
/// target itself is `.`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Create the entry at this path (a file, a directory, a link: the tar header says which).
    Create(String),
    /// Put a whiteout (character device 0:0) at this path.
    Whiteout(String),
    /// Mark the directory at this path opaque.
    Opaque(String),
    /// Nothing to write for this tar entry.
    Skip,
}
