//! Extended attributes: the three calls we need, never following a symlink (xattr(7)).
//!
//! Which attributes travel in a layer tar (as PAX `SCHILY.xattr.<name>` records):
//! - `user.*` — the file's owner put them there; they are part of the content;
//! - `security.capability` — file capabilities (`setcap cap_net_raw+ep ping`); without them
//!   an image's programs lose powers they were built with.
//!
//! Everything else stays behind: `trusted.*` belongs to overlayfs itself (an image that
//! could set `trusted.overlay.*` could redirect lookups), and `security.selinux` and friends
//! belong to the host's policy, not the image's.

use std::ffi::CString;
use std::io;
use std::path::Path;

/// Whether an attribute travels in layer tars and exports.
pub fn carried(name: &str) -> bool {
    name.starts_with("user.") || name == "security.capability"
}

fn c_path(path: &Path) -> io::Result<CString> {
    CString::new(path.as_os_str().as_encoded_bytes())
        .map_err(|_| io::Error::from(io::ErrorKind::InvalidInput))
}

fn c_name(name: &str) -> io::Result<CString> {
    CString::new(name).map_err(|_| io::Error::from(io::ErrorKind::InvalidInput))
}

/// One attribute of `path` (a symlink itself, not its target); `None` if it has none.
pub fn get(path: &Path, name: &str) -> io::Result<Option<Vec<u8>>> {
    let (path, name) = (c_path(path)?, c_name(name)?);
    // Ask for the size first, then read; retry if it grew in between.
    loop {
        // SAFETY: a NULL buffer of size 0 asks only for the value's length.
        let size =
            unsafe { libc::lgetxattr(path.as_ptr(), name.as_ptr(), std::ptr::null_mut(), 0) };
        if size < 0 {
            let error = io::Error::last_os_error();
            return match error.raw_os_error() {
                Some(libc::ENODATA) | Some(libc::ENOTSUP) => Ok(None),
                _ => Err(error),
            };
        }
        let mut value = vec![0u8; size.unsigned_abs()];
        // SAFETY: lgetxattr writes at most `value.len()` bytes into our buffer.
        let read = unsafe {
            libc::lgetxattr(
                path.as_ptr(),
                name.as_ptr(),
                value.as_mut_ptr().cast(),
                value.len(),
            )
        };
        if read >= 0 {
            value.truncate(read.unsigned_abs());
            return Ok(Some(value));
        }
        if io::Error::last_os_error().raw_os_error() != Some(libc::ERANGE) {
            return Err(io::Error::last_os_error());
        }
    }
}

/// The names and values of the attributes of `path` that travel in layer tars, sorted.
pub fn carried_list(path: &Path) -> io::Result<Vec<(String, Vec<u8>)>> {
    let c = c_path(path)?;
    // SAFETY: a NULL buffer of size 0 asks only for the list's length.
    let size = unsafe { libc::llistxattr(c.as_ptr(), std::ptr::null_mut(), 0) };
    if size < 0 {
        let error = io::Error::last_os_error();
        return match error.raw_os_error() {
            Some(libc::ENOTSUP) => Ok(Vec::new()),
            _ => Err(error),
        };
    }
    let mut names = vec![0u8; size.unsigned_abs()];
    // SAFETY: llistxattr writes at most `names.len()` bytes into our buffer.
    let read = unsafe { libc::llistxattr(c.as_ptr(), names.as_mut_ptr().cast(), names.len()) };
    if read < 0 {
        return Err(io::Error::last_os_error());
    }
    names.truncate(read.unsigned_abs());
    let mut out = Vec::new();
    // The list is NUL-separated names.
    for name in names.split(|b| *b == 0).filter(|n| !n.is_empty()) {
        let name = String::from_utf8_lossy(name).into_owned();
        if carried(&name) {
            if let Some(value) = get(path, &name)? {
                out.push((name, value));
            }
        }
    }
    out.sort();
    Ok(out)
}

/// Sets one attribute on `path` (a symlink itself, not its target).
pub fn set(path: &Path, name: &str, value: &[u8]) -> io::Result<()> {
    let (path, name) = (c_path(path)?, c_name(name)?);
    // SAFETY: the kernel reads `value.len()` bytes from our slice.
    let result = unsafe {
        libc::lsetxattr(
            path.as_ptr(),
            name.as_ptr(),
            value.as_ptr().cast(),
            value.len(),
            0,
        )
    };
    zero_or_errno(result)
}

/// Sets one attribute on the file open as `fd` (used for a directory we hold open).
pub fn fset(fd: std::os::fd::BorrowedFd<'_>, name: &str, value: &[u8]) -> io::Result<()> {
    use std::os::fd::AsRawFd;
    let name = c_name(name)?;
    // SAFETY: the kernel reads `value.len()` bytes from our slice.
    let result = unsafe {
        libc::fsetxattr(
            fd.as_raw_fd(),
            name.as_ptr(),
            value.as_ptr().cast(),
            value.len(),
            0,
        )
    };
    zero_or_errno(result)
}

/// A system call's 0-or-minus-1 result as an `io::Result`.
fn zero_or_errno(result: libc::c_int) -> io::Result<()> {
    if result == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}
