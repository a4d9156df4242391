//! Your code. Replace every `todo!()`; keep the signatures, the spec calls them.
// The parameters are unused until you fill the bodies in.
#![allow(unused_variables)]

use chapter01::{ContainerError, ExitStatus};
use nix::sched::CloneFlags;

/// Task 1 (4 points). The `clone(2)` flags for a comma-separated list of namespace names as
/// they appear in `/proc/PID/ns`: cgroup, ipc, mnt, net, pid, user, uts. Spaces around names
/// are allowed; `all` means all seven; `none` or `""` means no flag. An unknown name is an
/// error whose message contains the name in double quotes.
pub fn clone_flags_for(list: &str) -> Result<CloneFlags, String> {
    todo!("task 1")
}

/// Task 2 (2 points). One line of `/proc/PID/uid_map`: ids `inside..inside+count` in the
/// namespace are `outside..outside+count` on the host. Ends with a newline.
pub fn id_map_line(inside: u32, outside: u32, count: u32) -> String {
    todo!("task 2")
}

/// Task 3 (2 points). The host id that stands for `id` under the map, or `None` when the map
/// does not cover it. Mind overflow: ids are u32.
pub fn host_id(id: u32, inside: u32, outside: u32, count: u32) -> Option<u32> {
    todo!("task 3")
}

/// Task 4 (2 points). The inode number of namespace `ns` (a name in `/proc/PID/ns/`) of
/// process `pid` (`"self"` or a number): the link reads like `uts:[4026531838]`.
pub fn namespace_inode(pid: &str, ns: &str) -> std::io::Result<u64> {
    todo!("task 4: std::fs::read_link")
}

/// Task 5 (8 points, needs root). Run `args` in new namespaces (`list` as in task 1) with
/// hostname `hostname` (set it only when the list has uts), and wait for it.
///
/// Hints: `nix::sched::clone` with the flags of task 1 and `SIGCHLD` creates the child
/// already inside the namespaces — with a new PID namespace, as PID 1. Give the child a
/// `ChildStep` that calls `sethostname`, and run chapter 1's plan in it:
/// `PreparedChild::new(plan)`, `run_in_child` in the clone callback, `await_exec` in the
/// parent, then `Child::wait`. With a `net` namespace, bring `lo` up (SIOCSIFFLAGS).
pub fn run_in_namespaces(
    list: &str,
    hostname: &str,
    args: &[&str],
) -> Result<ExitStatus, ContainerError> {
    todo!("task 5: clone into the namespaces, set the hostname, exec, wait")
}
