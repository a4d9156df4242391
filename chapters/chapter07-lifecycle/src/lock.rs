//! File locks (`flock(2)`) that coordinate CLIs and monitors without a daemon.
//!
//! A lock belongs to an open file description and the kernel drops it when the last
//! descriptor closes — including when the process is killed with SIGKILL. That makes a lock
//! the honest answer to "is the process that held it still there?": the monitor holds its
//! container's `monitor.lock` for its whole life, and a CLI that can take the lock knows the
//! monitor is gone, whatever `state.json` says. No pid file, no pid reuse to worry about.

use std::fs::File;
use std::path::Path;

use chapter06::chapter05::chapter04::chapter03::chapter01::ContainerError;
use nix::errno::Errno;
use nix::fcntl::{Flock, FlockArg};

/// A held lock; dropping it unlocks.
pub struct FileLock {
    held: Flock<File>,
}

impl std::fmt::Debug for FileLock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        use std::os::fd::AsRawFd;
        write!(f, "FileLock(fd {})", self.held.as_raw_fd())
    }
}

fn open(path: &Path) -> Result<File, ContainerError> {
    File::options()
        .create(true)
        .truncate(false)
        .write(true)
        .open(path)
        .map_err(|error| ContainerError::io(format!("open {}", path.display()), error))
}

impl FileLock {
    /// Waits for the exclusive lock on `path` (created if missing).
    pub fn exclusive(path: &Path) -> Result<Self, ContainerError> {
        let lock = Flock::lock(open(path)?, FlockArg::LockExclusive).map_err(|(_, errno)| {
            ContainerError::system(format!("flock {}", path.display()), errno)
        })?;
        Ok(FileLock { held: lock })
    }

    /// Takes the exclusive lock if nobody holds it; `None` when somebody does.
    pub fn try_exclusive(path: &Path) -> Result<Option<Self>, ContainerError> {
        match Flock::lock(open(path)?, FlockArg::LockExclusiveNonblock) {
            Ok(lock) => Ok(Some(FileLock { held: lock })),
            Err((_, Errno::EWOULDBLOCK)) => Ok(None),
            Err((_, errno)) => Err(ContainerError::system(
                format!("flock {}", path.display()),
                errno,
            )),
        }
    }
}

impl FileLock {
    /// Whether the locked file is still the one at `path` (same inode). A lock taken on a
    /// file that was renamed away meanwhile proves nothing about what `path` is now.
    pub fn still_at(&self, path: &Path) -> bool {
        use std::os::unix::fs::MetadataExt;
        let held = self.held.metadata();
        let there = std::fs::metadata(path);
        matches!((held, there), (Ok(a), Ok(b)) if a.dev() == b.dev() && a.ino() == b.ino())
    }
}

/// Whether some process holds a lock on `path` right now. A missing file is not held.
pub fn is_held(path: &Path) -> bool {
    let Ok(file) = File::open(path) else {
        return false;
    };
    matches!(
        Flock::lock(file, FlockArg::LockSharedNonblock),
        Err((_, Errno::EWOULDBLOCK))
    )
}

/// Waits until nobody holds an exclusive lock on the open `file` (its monitor has exited),
/// at most `timeout` (forever with `None`). True if it was released in time.
pub fn wait_released(file: &File, timeout: Option<std::time::Duration>) -> bool {
    use std::os::fd::AsRawFd;
    let Some(timeout) = timeout else {
        // No deadline: let the kernel wake us when the lock is free.
        // SAFETY: flock on a descriptor we own; the shared lock is dropped at once.
        let taken = unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_SH) } == 0;
        // SAFETY: as above.
        unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_UN) };
        return taken;
    };
    let deadline = Some(std::time::Instant::now() + timeout);
    loop {
        // SAFETY: flock on a descriptor we own; a shared lock taken here is dropped at once.
        let result = unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_SH | libc::LOCK_NB) };
        if result == 0 {
            // SAFETY: as above.
            unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_UN) };
            return true;
        }
        if deadline.is_some_and(|deadline| std::time::Instant::now() >= deadline) {
            return false;
        }
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
}
