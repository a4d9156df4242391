//! Writing into a directory tree without ever leaving it.
//!
//! A layer tar is untrusted input: its names can say `../../etc/passwd`, `/etc/passwd`, or
//! first make `lib -> /etc` and then write `lib/passwd`. Joining names to the target path
//! and checking the string is not enough, because the kernel follows symlinks the string
//! check never saw (this is how tar-slip bugs happen, in docker's history too).
//!
//! So we never hand the kernel a path with more than one component. We hold an open file
//! descriptor of the target, and walk down one name at a time with `openat(2)` and
//! `O_NOFOLLOW | O_DIRECTORY`: a symlink anywhere on the way is an error, not a detour.
//! Every create (`mkdirat`, `mknodat`, `symlinkat`, `linkat`, `openat(O_CREAT | O_EXCL)`)
//! is relative to the parent's descriptor and never follows a symlink in the last name.
//! `..` never reaches the kernel: [`entry_components`] refuses it first.

use std::ffi::{OsStr, OsString};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd};
use std::path::{Component, Path, PathBuf};

use chapter04::chapter03::chapter01::ContainerError;
use nix::errno::Errno;
use nix::fcntl::{AtFlags, OFlag};
use nix::sys::stat::{fstatat, Mode, SFlag};

// ANCHOR: entry_components
/// The components of a tar entry's name below the root, refusing escapes:
/// - a leading `/` is dropped: `/etc/passwd` means `etc/passwd` of the layer (as GNU tar
///   reads it), which is where the container would see it anyway;
/// - `.` components are skipped;
/// - `..` is refused, wherever it is: a layer has no business naming a parent.
///
/// An empty list means the root itself (a `./` entry).
pub fn entry_components(name: &Path) -> Result<Vec<OsString>, String> {
    let mut components = Vec::new();
    for component in name.components() {
        match component {
            Component::RootDir | Component::CurDir => {}
            Component::Normal(part) => components.push(part.to_owned()),
            Component::ParentDir => {
                return Err("the name contains \"..\": it would leave the layer".into())
            }
            Component::Prefix(_) => return Err("the name has a drive prefix".into()),
        }
    }
    Ok(components)
}
// ANCHOR_END: entry_components

/// A directory we create entries in, held open by descriptor.
pub struct Confined {
    root: OwnedFd,
    path: PathBuf,
}

/// What is at a name, looked at without following it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Occupant {
    Nothing,
    Directory,
    Other,
}

impl Confined {
    /// Opens `path` as the root (the caller chose it, so it may be reached through symlinks).
    pub fn open(path: &Path) -> Result<Self, ContainerError> {
        let root = nix::fcntl::open(
            path,
            OFlag::O_RDONLY | OFlag::O_DIRECTORY | OFlag::O_CLOEXEC,
            Mode::empty(),
        )
        .map_err(|errno| ContainerError::system(format!("open {}", path.display()), errno))?;
        Ok(Confined {
            root,
            path: path.to_path_buf(),
        })
    }

    /// The root's path on the host, for messages.
    pub fn path(&self) -> &Path {
        &self.path
    }

    // ANCHOR: walk
    /// Opens the directory `dirs` below the root, one component at a time, never following a
    /// symlink. With `create`, missing directories are made (mode 0755, like `mkdir -p`).
    pub fn dir(&self, dirs: &[OsString], create: bool) -> Result<OwnedFd, String> {
        let mut current = self.root.try_clone().map_err(|e| e.to_string())?;
        for name in dirs {
            let flags = OFlag::O_RDONLY | OFlag::O_DIRECTORY | OFlag::O_NOFOLLOW | OFlag::O_CLOEXEC;
            let opened = match nix::fcntl::openat(&current, name.as_os_str(), flags, Mode::empty())
            {
                Err(Errno::ENOENT) if create => {
                    nix::sys::stat::mkdirat(
                        &current,
                        name.as_os_str(),
                        Mode::from_bits_truncate(0o755),
                    )
                    .map_err(|errno| format!("mkdir {}: {}", shown(name), errno.desc()))?;
                    nix::fcntl::openat(&current, name.as_os_str(), flags, Mode::empty())
                }
                other => other,
            };
            current = opened.map_err(|errno| match errno {
                // O_NOFOLLOW on a symlink gives ELOOP, or ENOTDIR with O_DIRECTORY: ask
                // what is there before saying which.
                Errno::ELOOP | Errno::ENOTDIR if is_symlink(current.as_fd(), name) => format!(
                    "{} is a symbolic link: refusing to write through it",
                    shown(name)
                ),
                Errno::ENOTDIR => format!("{} is not a directory", shown(name)),
                Errno::ENOENT => format!("{} does not exist in the layer", shown(name)),
                other => format!("open {}: {}", shown(name), other.desc()),
            })?;
        }
        Ok(current)
    }
    // ANCHOR_END: walk
}

fn is_symlink(dir: BorrowedFd<'_>, name: &OsStr) -> bool {
    fstatat(dir, name, AtFlags::AT_SYMLINK_NOFOLLOW)
        .is_ok_and(|stat| SFlag::from_bits_truncate(stat.st_mode) & SFlag::S_IFMT == SFlag::S_IFLNK)
}

/// What is at `name` in `dir`, without following a symlink.
pub fn occupant(dir: BorrowedFd<'_>, name: &OsStr) -> Result<Occupant, Errno> {
    match fstatat(dir, name, AtFlags::AT_SYMLINK_NOFOLLOW) {
        Ok(stat) if SFlag::from_bits_truncate(stat.st_mode) & SFlag::S_IFMT == SFlag::S_IFDIR => {
            Ok(Occupant::Directory)
        }
        Ok(_) => Ok(Occupant::Other),
        Err(Errno::ENOENT) => Ok(Occupant::Nothing),
        Err(errno) => Err(errno),
    }
}

/// A path naming `name` inside the directory `dir` through `/proc/self/fd`, for the few calls
/// that have no `*at` form (`lsetxattr`): the directory part is our open descriptor, so
/// nothing on the way can be swapped.
pub fn proc_path(dir: BorrowedFd<'_>, name: &OsStr) -> PathBuf {
    Path::new("/proc/self/fd")
        .join(dir.as_raw_fd().to_string())
        .join(name)
}

/// A name for messages: at most 80 characters, so a 10 000-byte name stays one line.
pub fn shown(name: &OsStr) -> String {
    let text = name.to_string_lossy();
    if text.chars().count() <= 80 {
        format!("{text:?}")
    } else {
        let start: String = text.chars().take(60).collect();
        format!("{start:?}… ({} bytes)", name.len())
    }
}

impl AsFd for Confined {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.root.as_fd()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_read_below_the_root() {
        let parts = |name: &str| entry_components(Path::new(name));
        assert_eq!(
            parts("./etc/passwd"),
            Ok(vec!["etc".into(), "passwd".into()])
        );
        assert_eq!(
            parts("/etc/passwd"),
            Ok(vec!["etc".into(), "passwd".into()])
        );
        assert_eq!(parts("./"), Ok(vec![]));
        assert!(parts("../etc/passwd").is_err());
        assert!(parts("a/../../b").is_err());
        assert!(parts("a/b/..").is_err());
    }
}
