//! Your code. Replace every `todo!()`; keep the signatures, the spec calls them.
// The parameters are unused until you fill the bodies in.
#![allow(unused_variables)]

use std::path::PathBuf;

use nix::errno::Errno;
use nix::sys::wait::WaitStatus;

use crate::{Ended, RunError};

/// Task 1 (3 points). Turn a `waitpid` result into how the process ended: `Exited(code)` or
/// `Killed(signal number)`. Anything else (stopped, continued, still alive) is `None`.
pub fn classify(status: WaitStatus) -> Option<Ended> {
    todo!("task 1: match on WaitStatus::Exited and WaitStatus::Signaled")
}

/// Task 2 (2 points). The one number a shell or `docker run` reports: the exit code, or
/// 128 + the signal number.
pub fn exit_code(ended: Ended) -> i32 {
    todo!("task 2")
}

/// Task 3 (2 points). Docker's code for a command whose `execve` failed with `errno`:
/// 127 when it does not exist (ENOENT), 126 when it may not be run (EACCES, EISDIR), and
/// 125 for every other reason.
pub fn exec_failure_code(errno: Errno) -> i32 {
    todo!("task 3")
}

/// Task 4 (3 points). The paths `execve` should try for `program`, like `execvp(3)`:
/// the program itself if it contains a `/`; otherwise each directory of `path` (split at `:`)
/// joined with it, in order, an empty entry meaning the current directory `.`.
pub fn search_candidates(program: &str, path: &str) -> Vec<PathBuf> {
    todo!("task 4")
}

/// Task 5 (6 points). Run `args` (program first) as a child process and wait for it:
/// `fork`, then `execve` in the child (try every candidate of task 4 with this process's
/// `PATH`), `waitpid` in the parent. If exec fails, the parent must find out *why*, and
/// return `NotFound` or `NotExecutable(errno)` — hint: a pipe opened with `O_CLOEXEC` is
/// closed by a successful exec, so the parent reads end-of-file; a failed exec can write the
/// errno into it first. Remember `_exit` in the child, never `return`.
pub fn run(args: &[&str]) -> Result<Ended, RunError> {
    todo!("task 5: fork, exec, report, wait")
}
