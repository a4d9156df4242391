//! Lab 3 — a root filesystem of its own. Work in `src/starter.rs`; `tests/spec.rs` is the spec.
//!
//! You build on chapter 2's solution: `chapter02::create` clones into namespaces and takes
//! a `ChildPlan` whose setup steps run inside them; your mount plan becomes those steps.
//! `cargo xtask grade lab03` prints your points; the live task needs root and busybox-static.

use std::path::PathBuf;

use nix::mount::MsFlags;

#[cfg(not(feature = "reference"))]
mod starter;
#[cfg(not(feature = "reference"))]
pub use starter::*;

#[cfg(feature = "reference")]
mod reference;
#[cfg(feature = "reference")]
pub use reference::*;

/// One step of preparing a root filesystem, as data. All paths are host paths (the steps run
/// before `pivot_root`), except a symlink's `target`, which is read inside the container.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// `mount --make-rprivate /`
    MakePrivate,
    /// `mount --rbind PATH PATH`: make the rootfs a mount point.
    BindRoot { path: PathBuf },
    /// `mkdir -p PATH` (allowed anywhere; the spec does not look at these).
    Mkdir { path: PathBuf },
    /// `mount -t FSTYPE -o FLAGS,DATA FSTYPE TARGET`
    Mount {
        fstype: String,
        target: PathBuf,
        flags: MsFlags,
        data: Option<String>,
    },
    /// `mknod PATH c MAJOR MINOR`, mode 0666.
    CharDevice {
        path: PathBuf,
        major: u64,
        minor: u64,
    },
    /// `touch PATH && mount --bind HOST PATH` (device nodes in a user namespace).
    BindDevice { host: PathBuf, path: PathBuf },
    /// `ln -s TARGET LINK`
    Symlink { target: PathBuf, link: PathBuf },
    /// `cd NEW_ROOT && pivot_root . . && umount -l .`
    PivotRoot { new_root: PathBuf },
}
