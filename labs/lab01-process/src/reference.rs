//! The chapter's code behind the lab's interface (used by `cargo xtask check-labs`).

use std::path::PathBuf;

use chapter01::{spawn, ChildPlan, ContainerError, ExecPlan, ExitStatus};
use nix::errno::Errno;
use nix::sys::wait::WaitStatus;

use crate::{Ended, RunError};

fn to_ended(status: ExitStatus) -> Ended {
    match status {
        ExitStatus::Exited(code) => Ended::Exited(code),
        ExitStatus::Signaled { signal, .. } => Ended::Killed(signal as i32),
    }
}

pub fn classify(status: WaitStatus) -> Option<Ended> {
    ExitStatus::from_wait_status(status).map(to_ended)
}

pub fn exit_code(ended: Ended) -> i32 {
    match ended {
        Ended::Exited(code) => ExitStatus::Exited(code).code(),
        Ended::Killed(signal) => 128 + signal,
    }
}

pub fn exec_failure_code(errno: Errno) -> i32 {
    chapter01::spawn::exec_failure_code(errno)
}

pub fn search_candidates(program: &str, path: &str) -> Vec<PathBuf> {
    ExecPlan {
        args: vec![program.to_owned()],
        env: vec![format!("PATH={path}")],
        cwd: None,
    }
    .candidates()
}

pub fn run(args: &[&str]) -> Result<Ended, RunError> {
    let env = std::env::var("PATH")
        .map(|path| vec![format!("PATH={path}")])
        .unwrap_or_default();
    let args = args.iter().map(|a| a.to_string()).collect();
    let child = ExecPlan::new(args, env)
        .and_then(|exec| spawn(ChildPlan::new(exec)))
        .map_err(to_run_error)?;
    child.wait().map(to_ended).map_err(to_run_error)
}

fn to_run_error(error: ContainerError) -> RunError {
    match error {
        ContainerError::CommandNotFound { .. } => RunError::NotFound,
        ContainerError::CommandNotInvokable { errno, .. } => RunError::NotExecutable(errno as i32),
        other => RunError::Engine(other.to_string()),
    }
}
