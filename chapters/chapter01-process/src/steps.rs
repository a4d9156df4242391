//! The steps every container process takes just before exec.

use std::ffi::CString;
use std::fmt;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

use nix::errno::Errno;
use nix::sys::signal::{SigHandler, SigSet, SigmaskHow, Signal};

use crate::step::ChildStep;

// ANCHOR: reset_signals
/// Restores default signal handling: empty mask, default disposition for every signal.
///
/// Both survive `execve` for ignored signals (signal(7), "Signal disposition"): the Rust
/// runtime ignores `SIGPIPE`, and a parent that forwards signals blocks some of them.
pub struct ResetSignals;

impl ChildStep for ResetSignals {
    fn run(&self) -> Result<(), Errno> {
        for signal in Signal::iterator() {
            if matches!(signal, Signal::SIGKILL | Signal::SIGSTOP) {
                continue;
            }
            // SAFETY: installing SIG_DFL runs no Rust code in a handler.
            unsafe { nix::sys::signal::signal(signal, SigHandler::SigDfl) }?;
        }
        nix::sys::signal::sigprocmask(SigmaskHow::SIG_SETMASK, Some(&SigSet::empty()), None)
    }
}
// ANCHOR_END: reset_signals

impl fmt::Display for ResetSignals {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("reset signal mask and dispositions to defaults")
    }
}

// ANCHOR: close_fds
/// Marks every descriptor from 3 up close-on-exec with `close_range(2)`.
///
/// Marking rather than closing keeps the report pipe usable until exec; exec then closes
/// them all at once.
pub struct CloseInheritedFds;

impl ChildStep for CloseInheritedFds {
    fn run(&self) -> Result<(), Errno> {
        // SAFETY: a raw system call with integer arguments.
        let result = unsafe {
            libc::syscall(
                libc::SYS_close_range,
                3u32,
                u32::MAX,
                libc::CLOSE_RANGE_CLOEXEC,
            )
        };
        if result == 0 {
            return Ok(());
        }
        // Kernels before 5.11 lack CLOSE_RANGE_CLOEXEC: mark them one by one, up to the
        // descriptor limit (which may be far above 1024).
        let mut limit = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        // SAFETY: getrlimit writes into the struct we pass.
        if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) } != 0 {
            return Err(Errno::last());
        }
        let highest = limit.rlim_cur.min(libc::c_int::MAX as libc::rlim_t) as libc::c_int;
        for fd in 3..highest {
            // SAFETY: fcntl on a number that may not be an open fd just returns EBADF.
            unsafe { libc::fcntl(fd, libc::F_SETFD, libc::FD_CLOEXEC) };
        }
        Ok(())
    }
}
// ANCHOR_END: close_fds

impl fmt::Display for CloseInheritedFds {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("mark inherited file descriptors 3.. close-on-exec")
    }
}

/// `chdir(2)` into the working directory.
pub struct ChangeDirectory {
    path: CString,
}

impl ChangeDirectory {
    pub fn new(path: &Path) -> Self {
        ChangeDirectory {
            path: cstring(path),
        }
    }
}

impl ChildStep for ChangeDirectory {
    /// Changes directory, then makes sure the new directory is inside the process's root.
    ///
    /// A working directory like `/proc/self/fd/7` leads through a descriptor the child
    /// inherited — until exec closes it — to wherever that descriptor points, possibly a host
    /// directory outside the container's root (CVE-2024-21626, "Leaky Vessels"). The kernel
    /// then cannot name the directory from our root, and `getcwd(3)` fails with `ENOENT`;
    /// refuse to go on, as runc does since that CVE.
    ///
    /// The raw system call, not glibc's `getcwd(3)`: when the kernel answers
    /// `(unreachable)/…`, glibc falls back to walking `..` with a heap buffer — allocation,
    /// which a child must not do (see [`ChildStep`]).
    fn run(&self) -> Result<(), Errno> {
        nix::unistd::chdir(self.path.as_c_str())?;
        let mut buffer = [0u8; 4096];
        // SAFETY: getcwd(2) writes at most `buffer.len()` bytes into our stack buffer.
        let length = unsafe { libc::syscall(libc::SYS_getcwd, buffer.as_mut_ptr(), buffer.len()) };
        if length <= 0 || buffer[0] != b'/' {
            return Err(Errno::EPERM);
        }
        Ok(())
    }
}

impl fmt::Display for ChangeDirectory {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "change directory to {} (refusing a directory outside the root)",
            self.path.to_string_lossy()
        )
    }
}

/// Gives a command-line program the default `SIGPIPE` behaviour: die quietly when the
/// reader of its output goes away (`demo | head`). Rust programs start with `SIGPIPE`
/// ignored, so `println!` would panic on `EPIPE` instead.
pub fn default_sigpipe() {
    // SAFETY: installing SIG_DFL runs no code of ours in a handler.
    let _ = unsafe { nix::sys::signal::signal(Signal::SIGPIPE, SigHandler::SigDfl) };
}

/// A path as a C string. Paths from the OS cannot contain NUL; a NUL typed by a user is
/// replaced, which makes the system call fail with a clear "not found" instead of panicking.
pub fn cstring(path: &Path) -> CString {
    let bytes: Vec<u8> = path
        .as_os_str()
        .as_bytes()
        .iter()
        .map(|&b| if b == 0 { b'?' } else { b })
        .collect();
    // No NUL bytes are left, so this cannot fail.
    CString::new(bytes).unwrap_or_default()
}
