//! A started child: wait for it, forward signals to it, kill it.

use std::time::Duration;

use nix::errno::Errno;
use nix::sys::signal::{SigSet, SigmaskHow, Signal};
use nix::sys::wait::{waitpid, WaitPidFlag};
use nix::unistd::Pid;

use crate::error::ContainerError;
use crate::status::ExitStatus;

/// A child process that is running its command. Dropping it neither kills nor reaps it —
/// exactly like a process whose parent forgot about it; call [`Child::wait`].
#[derive(Debug)]
pub struct Child {
    pid: Pid,
}

impl Child {
    /// Takes charge of an existing child of this process.
    pub fn new(pid: Pid) -> Self {
        Child { pid }
    }

    /// The child's pid as this (the host's) PID namespace numbers it.
    pub fn pid(&self) -> Pid {
        self.pid
    }

    // ANCHOR: wait
    /// Blocks until the child ends and reaps it (no zombie is left).
    pub fn wait(&self) -> Result<ExitStatus, ContainerError> {
        loop {
            match waitpid(self.pid, None) {
                Ok(status) => {
                    if let Some(ended) = ExitStatus::from_wait_status(status) {
                        return Ok(ended);
                    }
                }
                Err(Errno::EINTR) => continue,
                Err(errno) => return Err(ContainerError::system("waitpid", errno)),
            }
        }
    }
    // ANCHOR_END: wait

    /// Non-blocking check: `Some(status)` once the child has ended (and is reaped).
    pub fn try_wait(&self) -> Result<Option<ExitStatus>, ContainerError> {
        match waitpid(self.pid, Some(WaitPidFlag::WNOHANG)) {
            Ok(status) => Ok(ExitStatus::from_wait_status(status)),
            Err(Errno::EINTR) => Ok(None),
            Err(errno) => Err(ContainerError::system("waitpid", errno)),
        }
    }

    /// Sends `signal` to the child.
    pub fn signal(&self, signal: Signal) -> Result<(), ContainerError> {
        nix::sys::signal::kill(self.pid, signal)
            .map_err(|errno| ContainerError::system(format!("kill -{signal} {}", self.pid), errno))
    }

    // ANCHOR: forward
    /// Waits for the child while passing on the signals in `forwarding` — what `docker run`
    /// does for a foreground container, so Ctrl-C or a `kill` of the CLI reaches the command.
    pub fn wait_forwarding(
        &self,
        forwarding: &SignalForwarding,
    ) -> Result<ExitStatus, ContainerError> {
        loop {
            if let Some(status) = self.try_wait()? {
                return Ok(status);
            }
            // The signals are blocked, so they queue up instead of killing us; collect one,
            // or time out now and then to look at the child again. (A SIGCHLD may be taken by
            // another thread of a multi-threaded caller; the timeout makes that harmless.)
            if let Some(signal) = forwarding.next(Duration::from_millis(100)) {
                if signal != Signal::SIGCHLD {
                    // The child may have just exited; then there is nobody left to tell.
                    let _ = self.signal(signal);
                }
            }
        }
    }
    // ANCHOR_END: forward
}

/// Blocks the signals a foreground run forwards, for as long as it lives.
///
/// Create it *before* spawning, so there is no moment in which Ctrl-C kills the CLI but not
/// the container. The child unblocks them again (see `ResetSignals`). Dropping it discards
/// the signals still pending (they came too late for the container) and restores the
/// previous mask.
///
/// The mask is per thread: use it in a single-threaded program (like the CLI), or block the
/// signals in `main` before any thread starts — otherwise another thread may take a SIGINT
/// with its default action and end the whole process.
pub struct SignalForwarding {
    set: SigSet,
    previous: SigSet,
}

impl SignalForwarding {
    /// The signals we pass on: the ones a terminal or a supervisor sends. (docker's CLI passes
    /// on every catchable signal but SIGCHLD, SIGPIPE and SIGURG; these six are the ones that
    /// matter to a foreground container.) SIGCHLD is added to the set to wake us up.
    pub const SIGNALS: [Signal; 6] = [
        Signal::SIGINT,
        Signal::SIGTERM,
        Signal::SIGHUP,
        Signal::SIGQUIT,
        Signal::SIGUSR1,
        Signal::SIGUSR2,
    ];

    pub fn install() -> Result<Self, ContainerError> {
        let mut set = SigSet::empty();
        for signal in Self::SIGNALS {
            set.add(signal);
        }
        set.add(Signal::SIGCHLD);
        let mut previous = SigSet::empty();
        nix::sys::signal::pthread_sigmask(SigmaskHow::SIG_BLOCK, Some(&set), Some(&mut previous))
            .map_err(|errno| ContainerError::system("block signals to forward", errno))?;
        Ok(SignalForwarding { set, previous })
    }

    /// The next pending signal of the set, waiting at most `timeout`.
    fn next(&self, timeout: Duration) -> Option<Signal> {
        let timeout = libc::timespec {
            tv_sec: timeout.as_secs() as libc::time_t,
            tv_nsec: timeout.subsec_nanos() as libc::c_long,
        };
        // SAFETY: sigtimedwait reads the set and the timeout, and may write a siginfo we do
        // not need (NULL is allowed).
        let number =
            unsafe { libc::sigtimedwait(self.set.as_ref(), std::ptr::null_mut(), &timeout) };
        Signal::try_from(number).ok()
    }
}

impl Drop for SignalForwarding {
    fn drop(&mut self) {
        while self.next(Duration::ZERO).is_some() {}
        let _ =
            nix::sys::signal::pthread_sigmask(SigmaskHow::SIG_SETMASK, Some(&self.previous), None);
    }
}
