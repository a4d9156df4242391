//! Starting a child: fork, run the plan's steps, exec — and the parent's side of it.

use nix::errno::Errno;
use nix::unistd::{fork, ForkResult, Pid};

use crate::child::Child;
use crate::error::ContainerError;
use crate::exec::PreparedExec;
use crate::report::{report_pipe, Failure, ReportReader, ReportWriter};
use crate::step::{ChildPlan, ChildStep};

/// Exit code of a child whose setup failed (the parent reports the real reason).
const SETUP_FAILED: i32 = 125;

/// A [`ChildPlan`] with everything the child needs already in memory.
pub struct PreparedChild {
    steps: Vec<Box<dyn ChildStep>>,
    exec: PreparedExec,
}

impl PreparedChild {
    /// Prepares `plan` for a fork: C strings, pointer arrays, the full step list.
    pub fn new(plan: ChildPlan) -> Result<Self, ContainerError> {
        let exec = plan.exec.prepare()?;
        let finishing = plan.finishing_steps();
        let mut steps = plan.setup;
        steps.extend(finishing);
        Ok(PreparedChild { steps, exec })
    }

    // ANCHOR: run_in_child
    /// The child's whole life between fork and exec. Never returns: the process either becomes
    /// the command or exits after telling the parent why it could not.
    pub fn run_in_child(&self, report: &ReportWriter) -> ! {
        for (index, step) in self.steps.iter().enumerate() {
            if let Err(errno) = step.run() {
                report.send(Failure::Step {
                    index: index as u32,
                    errno,
                });
                exit_now(SETUP_FAILED);
            }
        }
        let errno = self.exec.exec_in_child();
        report.send(Failure::Exec { errno });
        exit_now(exec_failure_code(errno))
    }
    // ANCHOR_END: run_in_child

    // ANCHOR: await_exec
    /// The parent's side: wait until the child has exec'd, or learn why it did not.
    /// On failure the child has already exited; reap it so no zombie is left.
    pub fn await_exec(&self, pid: Pid, report: ReportReader) -> Result<Child, ContainerError> {
        let failure = match report.wait_for_exec() {
            Ok(failure) => failure,
            Err(errno) => {
                let _ = nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGKILL);
                let _ = Child::new(pid).wait();
                return Err(ContainerError::system(
                    "read the child's report pipe",
                    errno,
                ));
            }
        };
        let Some(failure) = failure else {
            return Ok(Child::new(pid));
        };
        let _ = Child::new(pid).wait();
        Err(match failure {
            Failure::Step { index, errno } => ContainerError::Setup {
                step: self
                    .steps
                    .get(index as usize)
                    .map_or_else(|| format!("step {index}"), |step| step.to_string()),
                errno,
            },
            Failure::Exec { errno } => {
                let program = self.exec.display_program();
                match errno {
                    Errno::ENOENT => ContainerError::CommandNotFound { program },
                    errno => ContainerError::CommandNotInvokable { program, errno },
                }
            }
        })
    }
    // ANCHOR_END: await_exec
}

// ANCHOR: exec_failure_code
/// Docker's rule for a command that could not be exec'd: 127 when it does not exist, 126
/// when it exists but may not be run (no permission, a directory), and 125 for any other
/// failure of the exec (a bad binary format, too long an argument list, a symlink loop).
pub fn exec_failure_code(errno: Errno) -> i32 {
    match errno {
        Errno::ENOENT => 127,
        Errno::EACCES | Errno::EISDIR => 126,
        _ => 125,
    }
}
// ANCHOR_END: exec_failure_code

/// `_exit(2)`: leave at once, without running atexit handlers or flushing stdio buffers that
/// belong to the parent's copy of the program.
pub fn exit_now(code: i32) -> ! {
    // SAFETY: _exit is async-signal-safe and never returns.
    unsafe { libc::_exit(code) }
}

// ANCHOR: spawn
/// Forks a child that runs `plan` and execs its command. Returns once the command is running
/// (or with the reason it is not).
pub fn spawn(plan: ChildPlan) -> Result<Child, ContainerError> {
    let prepared = PreparedChild::new(plan)?;
    let (reader, writer) =
        report_pipe().map_err(|errno| ContainerError::system("create the report pipe", errno))?;

    // SAFETY: the child only runs `run_in_child`, which makes async-signal-safe calls on
    // data prepared above; it never returns into the parent's code.
    match unsafe { fork() } {
        Err(errno) => Err(ContainerError::system("fork", errno)),
        Ok(ForkResult::Child) => {
            drop(reader);
            prepared.run_in_child(&writer)
        }
        Ok(ForkResult::Parent { child }) => {
            // Close our copy of the write end, or we would never read end-of-file.
            drop(writer);
            prepared.await_exec(child, reader)
        }
    }
}
// ANCHOR_END: spawn
