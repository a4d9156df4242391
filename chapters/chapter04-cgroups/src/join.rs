//! A container that moves itself into its cgroup: the fast way in, on cgroup v1.
//!
//! The plain way in is for the host to write the child's pid to `cgroup.procs`. To move a
//! whole process safely, the kernel holds its global `cgroup_threadgroup_rwsem` for writing,
//! so that no thread of the process is born or dies meanwhile — and taking that lock for
//! writing first waits for an RCU grace period: 10–20 ms on this book's machine, longer than
//! all the rest of a container's start.
//!
//! There is a way around it. A process that writes `0` ("me") to a v1 `tasks` file moves
//! only its calling thread, and a thread that is the caller cannot exit or exec while the
//! kernel moves it — so the kernel skips the global lock (`cgroup_procs_write_start` in
//! kernel/cgroup/cgroup.c: the lock is taken only for another pid, or for a whole thread
//! group). A child fresh from `clone(2)` has a single thread, so moving that thread moves the
//! process, in microseconds. On a kernel without that shortcut the same write simply takes
//! the lock: slower, never wrong.
//!
//! The child cannot reach the host's cgroup files once it has pivoted into its own root, so
//! the host creates the cgroup *before* the clone and opens the `tasks` files then; the
//! child inherits the open descriptors (close-on-exec: its command never sees them).
//!
//! v2 has no such file for a normal ("domain") group: `cgroup.threads` is only for threaded
//! groups, and `0` in `cgroup.procs` moves the thread group, lock and all. There the host
//! moves the child as before. (v2's own fast way in is `clone3(2)`'s `CLONE_INTO_CGROUP`,
//! which creates the child inside the group; our chapter 2 uses `clone(2)`, so that is left
//! out.)

use std::fmt;
use std::os::fd::{AsRawFd, OwnedFd};
use std::path::{Path, PathBuf};

use chapter03::chapter01::{ChildStep, ContainerError};
use nix::errno::Errno;
use nix::fcntl::OFlag;
use nix::sys::stat::Mode;

use crate::hierarchy::Hierarchy;
use crate::plan::Version;

// ANCHOR: join
/// The child's step that moves it into its cgroup: `0` written to each v1 `tasks` file.
pub struct JoinCgroup {
    /// `tasks` of each of the group's directories, opened by the host, write-only.
    tasks: Vec<OwnedFd>,
    /// Their paths, to describe the step.
    paths: Vec<PathBuf>,
}

impl JoinCgroup {
    /// Whether a child can join a group of `hierarchy` by itself: on a real cgroup v1, not
    /// on v2, nor on a fake cgroupfs in a test's temp dir.
    pub fn possible(hierarchy: &Hierarchy) -> bool {
        hierarchy.version() == Version::V1 && hierarchy.is_real()
    }

    /// Opens the `tasks` file in each of a group's directories, which must exist already
    /// (see [`crate::Cgroup::unique_dirs`]).
    pub fn open<'a>(dirs: impl IntoIterator<Item = &'a Path>) -> Result<Self, ContainerError> {
        let paths: Vec<PathBuf> = dirs.into_iter().map(|dir| dir.join("tasks")).collect();
        let tasks = paths
            .iter()
            .map(|path| {
                nix::fcntl::open(path, OFlag::O_WRONLY | OFlag::O_CLOEXEC, Mode::empty()).map_err(
                    |errno| ContainerError::system(format!("open {}", path.display()), errno),
                )
            })
            .collect::<Result<_, _>>()?;
        Ok(JoinCgroup { tasks, paths })
    }
}

impl ChildStep for JoinCgroup {
    fn run(&self) -> Result<(), Errno> {
        for tasks in &self.tasks {
            // SAFETY: one byte from a static buffer to a descriptor this struct owns.
            let written = unsafe { libc::write(tasks.as_raw_fd(), b"0".as_ptr().cast(), 1) };
            if written != 1 {
                return Err(Errno::last());
            }
        }
        Ok(())
    }
}
// ANCHOR_END: join

impl fmt::Display for JoinCgroup {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let paths: Vec<String> = self.paths.iter().map(|p| p.display().to_string()).collect();
        write!(f, "join the cgroup: echo 0 > {}", paths.join(", "))
    }
}
