//! How a child ended, and the exit code a docker-like CLI returns for it.

use std::fmt;

use nix::sys::signal::Signal;
use nix::sys::wait::WaitStatus;

// ANCHOR: exit_status
/// The two ways a process can end (wait(2)): it called `exit` with a status, or a signal
/// killed it. A shell folds both into one number, `128 + signal` for the second; so does
/// docker, and so does [`ExitStatus::code`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitStatus {
    Exited(i32),
    Signaled { signal: Signal, core_dumped: bool },
}

impl ExitStatus {
    /// Reads a `waitpid` result; `None` for a status that is not an ending (stopped, continued).
    pub fn from_wait_status(status: WaitStatus) -> Option<Self> {
        match status {
            WaitStatus::Exited(_, code) => Some(ExitStatus::Exited(code)),
            WaitStatus::Signaled(_, signal, core_dumped) => Some(ExitStatus::Signaled {
                signal,
                core_dumped,
            }),
            _ => None,
        }
    }

    /// The single number a shell or `docker run` reports: the exit status, or 128 + signal.
    pub fn code(&self) -> i32 {
        match self {
            ExitStatus::Exited(code) => *code,
            ExitStatus::Signaled { signal, .. } => 128 + *signal as i32,
        }
    }

    pub fn success(&self) -> bool {
        *self == ExitStatus::Exited(0)
    }
}
// ANCHOR_END: exit_status

impl fmt::Display for ExitStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ExitStatus::Exited(code) => write!(f, "exited with status {code}"),
            ExitStatus::Signaled {
                signal,
                core_dumped,
            } => {
                write!(f, "killed by signal {}", signal.as_str())?;
                if *core_dumped {
                    f.write_str(" (core dumped)")?;
                }
                Ok(())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use nix::unistd::Pid;

    #[test]
    fn exit_codes_follow_the_shell() {
        let pid = Pid::from_raw(1);
        let table = [
            (WaitStatus::Exited(pid, 0), 0, "exited with status 0"),
            (WaitStatus::Exited(pid, 3), 3, "exited with status 3"),
            (
                WaitStatus::Signaled(pid, Signal::SIGKILL, false),
                137,
                "killed by signal SIGKILL",
            ),
            (
                WaitStatus::Signaled(pid, Signal::SIGTERM, false),
                143,
                "killed by signal SIGTERM",
            ),
            (
                WaitStatus::Signaled(pid, Signal::SIGSEGV, true),
                139,
                "killed by signal SIGSEGV (core dumped)",
            ),
        ];
        for (wait_status, code, text) in table {
            let status = ExitStatus::from_wait_status(wait_status).unwrap();
            assert_eq!(status.code(), code);
            assert_eq!(status.to_string(), text);
        }
    }

    #[test]
    fn a_stop_is_not_an_ending() {
        let stopped = WaitStatus::Stopped(Pid::from_raw(1), Signal::SIGSTOP);
        assert_eq!(ExitStatus::from_wait_status(stopped), None);
    }
}
