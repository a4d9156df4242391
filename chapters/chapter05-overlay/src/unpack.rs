//! Layer tar → overlay form: what chapter 6 does with every layer it loads or pulls.
//!
//! Each tar entry is created inside the target directory through [`crate::confined`], so
//! nothing a tar says can reach outside it. On the way, the whiteout marker files become
//! what overlayfs understands ([`crate::whiteout`]). What a layer may not carry is refused
//! with an error naming the entry, and the target is emptied again:
//! - names with `..` (an absolute name is read below the target, not refused);
//! - a write through a symbolic link, or a hardlink to anything not already in the layer;
//! - device nodes: a layer that ships `/dev/sda` would hand the disk to every container
//!   made from it (containers get their `/dev` from the engine, chapter 3);
//! - invalid whiteouts (`.wh.`, `.wh..`) and entry types we cannot represent.
//!
//! Ownership is restored when we run as root (like `tar --same-owner`); otherwise the files
//! are ours, as GNU tar does for ordinary users.

use std::ffi::{OsStr, OsString};
use std::fs::File;
use std::io::{self, Read, Write};
use std::os::fd::{AsFd, BorrowedFd};
use std::path::Path;

use chapter04::chapter03::chapter01::ContainerError;
use nix::errno::Errno;
use nix::fcntl::{AtFlags, OFlag};
use nix::sys::stat::{FchmodatFlags, Mode, SFlag, UtimensatFlags};
use nix::sys::time::TimeSpec;
use nix::unistd::{Gid, Uid, UnlinkatFlags};
use tar::EntryType;

use crate::confined::{entry_components, occupant, proc_path, shown, Confined, Occupant};
use crate::upper::OPAQUE_XATTR;
use crate::whiteout::{overlay_form, OverlayForm};

/// What [`unpack_layer`] wrote.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Unpacked {
    /// Tar entries read (whiteouts and markers included).
    pub entries: u64,
    /// Bytes of regular-file content written: the layer's size, as docker reports it.
    pub bytes: u64,
}

/// A regular file about to be written: where its content starts in the tar stream, how long
/// it is, and where it goes below the target. Chapter 6 keeps these to rebuild the exact tar
/// later without keeping a copy of the content.
#[derive(Debug)]
pub struct FileContent<'a> {
    pub position: u64,
    pub size: u64,
    pub components: &'a [OsString],
}

// ANCHOR: unpack_layer
/// Unpacks the layer tar read from `tar` into `target`, an existing empty directory, in
/// overlay form. On error `target` is emptied again, and the error names the entry.
///
/// The whole stream is read, up to its end, so a caller hashing it (a DiffID, chapter 6)
/// sees every byte.
pub fn unpack_layer(tar: impl Read, target: &Path) -> Result<Unpacked, ContainerError> {
    unpack_layer_observed(tar, target, &mut |_| {})
}

/// [`unpack_layer`], telling `observe` about each regular file just before its content is
/// read from the stream.
pub fn unpack_layer_observed(
    tar: impl Read,
    target: &Path,
    observe: &mut dyn FnMut(&FileContent<'_>),
) -> Result<Unpacked, ContainerError> {
    let root = Confined::open(target)?;
    let mut archive = tar::Archive::new(tar);
    let result = unpack_entries(&root, &mut archive, observe).and_then(|unpacked| {
        io::copy(&mut archive.into_inner(), &mut io::sink())
            .map_err(|e| malformed(&e))
            .map(|_| unpacked)
    });
    if result.is_err() {
        empty_directory(target);
    }
    result
}
// ANCHOR_END: unpack_layer

fn malformed(error: &io::Error) -> ContainerError {
    match error.raw_os_error() {
        Some(errno) => ContainerError::system("read the layer tar", Errno::from_raw(errno)),
        None => ContainerError::Invalid(format!("malformed layer tar: {error}")),
    }
}

/// Removes everything inside `dir`, never following a symlink (`remove_dir_all` does not).
pub fn empty_directory(dir: &Path) {
    if let Ok(read) = std::fs::read_dir(dir) {
        for entry in read.flatten() {
            let path = entry.path();
            match entry.file_type() {
                Ok(kind) if kind.is_dir() => {
                    let _ = std::fs::remove_dir_all(&path);
                }
                _ => {
                    let _ = std::fs::remove_file(&path);
                }
            }
        }
    }
}

fn unpack_entries<R: Read>(
    root: &Confined,
    archive: &mut tar::Archive<R>,
    observe: &mut dyn FnMut(&FileContent<'_>),
) -> Result<Unpacked, ContainerError> {
    let mut unpacked = Unpacked::default();
    // Directory times are set last: creating their entries would change them again.
    let mut directories = Vec::new();
    for entry in archive.entries().map_err(|e| malformed(&e))? {
        let mut entry = entry.map_err(|e| malformed(&e))?;
        let name = entry.path().map_err(|e| malformed(&e))?.into_owned();
        let refused = |message: String| {
            ContainerError::Invalid(format!(
                "layer entry {}: {message}",
                shown(name.as_os_str())
            ))
        };
        unpacked.entries += 1;
        let components = entry_components(&name).map_err(refused)?;
        let written = unpack_entry(root, &mut entry, &components, observe).map_err(refused)?;
        unpacked.bytes += written.bytes;
        if written.directory {
            directories.push((components, mtime(entry.header())));
        }
    }
    for (components, time) in directories.iter().rev() {
        set_directory_time(root, components, *time).map_err(|message| {
            ContainerError::Invalid(format!("set the time of {components:?}: {message}"))
        })?;
    }
    Ok(unpacked)
}

#[derive(Default)]
struct Written {
    bytes: u64,
    directory: bool,
}

// ANCHOR: unpack_entry
fn unpack_entry<R: Read>(
    root: &Confined,
    entry: &mut tar::Entry<'_, R>,
    components: &[OsString],
    observe: &mut dyn FnMut(&FileContent<'_>),
) -> Result<Written, String> {
    let kind = entry.header().entry_type();
    if kind == EntryType::XGlobalHeader {
        return Ok(Written::default()); // PAX defaults for later entries; the reader applies them
    }
    let Some((name, dirs)) = components.split_last() else {
        return Ok(Written::default()); // `./` itself: the target's own metadata stays ours
    };
    let parent = root.dir(dirs, true)?;
    match overlay_form(name)? {
        OverlayForm::Opaque => return mark_opaque(parent.as_fd()),
        OverlayForm::Whiteout(hidden) => {
            put_whiteout(parent.as_fd(), &hidden)?;
            set_owner(parent.as_fd(), &hidden, entry.header())?;
            set_time(parent.as_fd(), &hidden, mtime(entry.header()))?;
            return Ok(Written::default());
        }
        OverlayForm::Metadata => return Ok(Written::default()),
        OverlayForm::Entry => {}
    }
    let (parent, name) = (parent.as_fd(), name.as_os_str());
    let mut written = Written::default();
    match kind {
        EntryType::Directory => {
            if occupant(parent, name).map_err(errno_text)? != Occupant::Directory {
                clear(parent, name)?;
                nix::sys::stat::mkdirat(parent, name, Mode::from_bits_truncate(0o700))
                    .map_err(errno_text)?;
            }
            written.directory = true;
        }
        EntryType::Regular | EntryType::Continuous | EntryType::GNUSparse => {
            clear(parent, name)?;
            let flags = OFlag::O_WRONLY
                | OFlag::O_CREAT
                | OFlag::O_EXCL
                | OFlag::O_NOFOLLOW
                | OFlag::O_CLOEXEC;
            let fd = nix::fcntl::openat(parent, name, flags, Mode::from_bits_truncate(0o600))
                .map_err(errno_text)?;
            if kind != EntryType::GNUSparse {
                observe(&FileContent {
                    position: entry.raw_file_position(),
                    size: entry.size(),
                    components,
                });
            }
            // Through a 128 KiB buffer: `io::copy` reads straight into a BufWriter's buffer,
            // so a 100 MB layer takes ~800 writes instead of ~13 000 of 8 KiB.
            let mut file = io::BufWriter::with_capacity(1 << 17, File::from(fd));
            written.bytes = io::copy(entry, &mut file).map_err(|e| e.to_string())?;
            file.flush().map_err(|e| e.to_string())?;
        }
        EntryType::Symlink => {
            let target = link_target(entry)?;
            clear(parent, name)?;
            nix::unistd::symlinkat(target.as_os_str(), parent, name).map_err(errno_text)?;
        }
        EntryType::Link => return hardlink(root, parent, name, entry),
        EntryType::Fifo => {
            clear(parent, name)?;
            nix::unistd::mkfifoat(parent, name, Mode::from_bits_truncate(0o600))
                .map_err(errno_text)?;
        }
        EntryType::Char | EntryType::Block => {
            return Err("device nodes are not allowed in a layer".into())
        }
        other => return Err(format!("unsupported entry type {other:?}")),
    }
    apply_metadata(parent, name, entry, kind == EntryType::Symlink)?;
    Ok(written)
}
// ANCHOR_END: unpack_entry

fn errno_text(errno: Errno) -> String {
    errno.desc().to_owned()
}

/// Makes room for a new entry called `name`: a later tar entry replaces an earlier one.
fn clear(parent: BorrowedFd<'_>, name: &OsStr) -> Result<(), String> {
    match occupant(parent, name).map_err(errno_text)? {
        Occupant::Nothing => Ok(()),
        Occupant::Directory => std::fs::remove_dir_all(proc_path(parent, name))
            .map_err(|e| format!("replace the directory {}: {e}", shown(name))),
        Occupant::Other => nix::unistd::unlinkat(parent, name, UnlinkatFlags::NoRemoveDir)
            .map_err(|errno| format!("replace {}: {}", shown(name), errno.desc())),
    }
}

// ANCHOR: whiteouts
/// `.wh.<name>`: overlayfs's whiteout is a character device with device number 0:0.
fn put_whiteout(parent: BorrowedFd<'_>, hidden: &OsStr) -> Result<(), String> {
    clear(parent, hidden)?;
    nix::sys::stat::mknodat(parent, hidden, SFlag::S_IFCHR, Mode::empty(), 0)
        .map_err(|errno| format!("make the whiteout {}: {}", shown(hidden), errno.desc()))
}

/// `.wh..wh..opq`: overlayfs shows nothing of the lower layers inside an opaque directory.
fn mark_opaque(directory: BorrowedFd<'_>) -> Result<Written, String> {
    crate::xattr::fset(directory, OPAQUE_XATTR, b"y")
        .map_err(|e| format!("set {OPAQUE_XATTR}: {e}"))?;
    Ok(Written::default())
}
// ANCHOR_END: whiteouts

fn link_target<R: Read>(entry: &tar::Entry<'_, R>) -> Result<std::path::PathBuf, String> {
    match entry.link_name() {
        Ok(Some(target)) if !target.as_os_str().is_empty() => Ok(target.into_owned()),
        Ok(_) => Err("a link without a target".into()),
        Err(error) => Err(error.to_string()),
    }
}

/// A hardlink may only point at an entry already unpacked into this layer; its target
/// name is read with the same rules as entry names.
fn hardlink<R: Read>(
    root: &Confined,
    parent: BorrowedFd<'_>,
    name: &OsStr,
    entry: &tar::Entry<'_, R>,
) -> Result<Written, String> {
    let target = link_target(entry)?;
    let components = entry_components(&target).map_err(|e| format!("hardlink target: {e}"))?;
    let outside = || {
        format!(
            "hardlink to {}, which is not in the layer",
            shown(target.as_os_str())
        )
    };
    let Some((target_name, target_dirs)) = components.split_last() else {
        return Err(outside());
    };
    let target_parent = root.dir(target_dirs, false).map_err(|_| outside())?;
    if occupant(target_parent.as_fd(), target_name).map_err(errno_text)? != Occupant::Other {
        return Err(outside()); // missing, or a directory (which cannot be hardlinked)
    }
    clear(parent, name)?;
    // Flags 0: link the entry itself, even if it is a symlink, never what it points to.
    nix::unistd::linkat(
        &target_parent,
        target_name.as_os_str(),
        parent,
        name,
        AtFlags::empty(),
    )
    .map_err(errno_text)?;
    Ok(Written::default())
}

// ANCHOR: metadata
/// Owner, mode, extended attributes and time, in that order: `chown` clears the set-user-ID
/// bit, so the mode comes after it.
fn apply_metadata<R: Read>(
    parent: BorrowedFd<'_>,
    name: &OsStr,
    entry: &mut tar::Entry<'_, R>,
    is_symlink: bool,
) -> Result<(), String> {
    let header = entry.header();
    set_owner(parent, name, header)?;
    if !is_symlink {
        let mode = header.mode().map_err(|e| e.to_string())? & 0o7777;
        // The entry is ours and not a symlink, so following is harmless; Linux cannot
        // chmod a symlink anyway.
        nix::sys::stat::fchmodat(
            parent,
            name,
            Mode::from_bits_truncate(mode),
            FchmodatFlags::FollowSymlink,
        )
        .map_err(|errno| format!("chmod: {}", errno.desc()))?;
    }
    let time = mtime(entry.header());
    let directory = entry.header().entry_type() == EntryType::Directory;
    for (key, value) in pax_xattrs(entry)? {
        crate::xattr::set(&proc_path(parent, name), &key, &value)
            .map_err(|e| format!("set the extended attribute {key}: {e}"))?;
    }
    if !directory {
        set_time(parent, name, time)?;
    }
    Ok(())
}
// ANCHOR_END: metadata

/// The entry's owner, when we are root (otherwise what we create is ours, as with GNU tar).
fn set_owner(parent: BorrowedFd<'_>, name: &OsStr, header: &tar::Header) -> Result<(), String> {
    if !nix::unistd::geteuid().is_root() {
        return Ok(());
    }
    let uid = header.uid().map_err(|e| e.to_string())?;
    let gid = header.gid().map_err(|e| e.to_string())?;
    let (Ok(uid), Ok(gid)) = (u32::try_from(uid), u32::try_from(gid)) else {
        return Err("owner out of range".into());
    };
    nix::unistd::fchownat(
        parent,
        name,
        Some(Uid::from_raw(uid)),
        Some(Gid::from_raw(gid)),
        AtFlags::AT_SYMLINK_NOFOLLOW,
    )
    .map_err(|errno| format!("chown: {}", errno.desc()))
}

/// The extended attributes an entry carries in PAX records (`SCHILY.xattr.<name>`), those
/// [`crate::xattr::carried`] lets through.
fn pax_xattrs<R: Read>(entry: &mut tar::Entry<'_, R>) -> Result<Vec<(String, Vec<u8>)>, String> {
    let mut out = Vec::new();
    let Some(extensions) = entry.pax_extensions().map_err(|e| e.to_string())? else {
        return Ok(out);
    };
    for extension in extensions {
        let extension = extension.map_err(|e| e.to_string())?;
        let Ok(key) = extension.key() else { continue };
        if let Some(name) = key.strip_prefix(crate::pack::PAX_XATTR) {
            if crate::xattr::carried(name) {
                out.push((name.to_owned(), extension.value_bytes().to_vec()));
            }
        }
    }
    Ok(out)
}

fn mtime(header: &tar::Header) -> i64 {
    header
        .mtime()
        .ok()
        .and_then(|t| i64::try_from(t).ok())
        .unwrap_or(0)
}

fn set_time(parent: BorrowedFd<'_>, name: &OsStr, seconds: i64) -> Result<(), String> {
    let time = TimeSpec::new(seconds, 0);
    nix::sys::stat::utimensat(parent, name, &time, &time, UtimensatFlags::NoFollowSymlink)
        .map_err(|errno| format!("set the time: {}", errno.desc()))
}

fn set_directory_time(
    root: &Confined,
    components: &[OsString],
    seconds: i64,
) -> Result<(), String> {
    let Some((name, dirs)) = components.split_last() else {
        return Ok(());
    };
    let parent = root.dir(dirs, false)?;
    set_time(parent.as_fd(), name, seconds)
}
