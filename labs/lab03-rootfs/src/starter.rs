//! Your code. Replace every `todo!()`; keep the signatures, the spec calls them.
// The parameters are unused until you fill the bodies in.
#![allow(unused_variables)]

use std::path::{Path, PathBuf};

use chapter01::{ContainerError, ExitStatus};

use crate::Step;

/// Task 1 (10 points). The steps that give a container `rootfs` (absolute) as its `/`, for the
/// namespaces in `namespaces` (a list like `"mnt,pid,uts"` or `"all"`):
/// 1. make every mount private; bind the rootfs onto itself;
/// 2. `proc` at ROOTFS/proc with nosuid, nodev, noexec;
/// 3. `sysfs` at ROOTFS/sys, read-only, nosuid, nodev, noexec;
/// 4. a `tmpfs` at ROOTFS/dev, then the devices null (1,3), zero (1,5), full (1,7),
///    random (1,8), urandom (1,9), tty (5,0) — in a user namespace bind the host's
///    /dev/NAME instead of mknod; the symlinks fd, stdin, stdout, stderr, ptmx;
/// 5. `devpts` at ROOTFS/dev/pts with `newinstance` in its data; a `tmpfs` at ROOTFS/dev/shm;
///    `mqueue` at ROOTFS/dev/mqueue only when the container has its own ipc namespace;
/// 6. last, pivot into the rootfs.
pub fn mount_plan(rootfs: &Path, namespaces: &str) -> Vec<Step> {
    todo!("task 1")
}

/// Task 2 (3 points). Check a rootfs before anything is created: it must exist (error message
/// contains "does not exist"), be a directory ("is not a directory"), and not be the host's
/// `/` ("host's own root"). Returns the absolute, symlink-free path.
pub fn check_rootfs(rootfs: &Path) -> Result<PathBuf, String> {
    todo!("task 2")
}

/// Task 3 (7 points, needs root). Run `args` with `rootfs` as `/`, in new mount, pid, uts,
/// ipc, net and cgroup namespaces, hostname `box`, and wait for it. Turn your plan of task 1
/// into `ChildStep`s (implement the trait for `Step`), and hand them to `chapter02::create`
/// as the setup of a `chapter01::ChildPlan`; start it, wait for it.
pub fn run_in_rootfs(rootfs: &Path, args: &[&str]) -> Result<ExitStatus, ContainerError> {
    todo!("task 3")
}
