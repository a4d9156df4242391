//! Signals by name or number, the way `kill -s`, `--stop-signal` and STOPSIGNAL take them,
//! and sending one to a container's process without hitting a stranger.

use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};

use chapter06::chapter05::chapter04::chapter03::chapter01::ContainerError;
use nix::errno::Errno;
use nix::sys::signal::Signal;

/// `SIGTERM`, `TERM`, `term` or `15`; docker's error text otherwise.
pub fn parse_signal(text: &str) -> Result<Signal, ContainerError> {
    let invalid = || ContainerError::Invalid(format!("invalid signal: {text}"));
    if let Ok(number) = text.parse::<i32>() {
        return Signal::try_from(number).map_err(|_| invalid());
    }
    let upper = text.to_ascii_uppercase();
    let name = if upper.starts_with("SIG") {
        upper
    } else {
        format!("SIG{upper}")
    };
    name.parse::<Signal>().map_err(|_| invalid())
}

/// A descriptor for a process (pidfd_open(2)): signals sent through it reach that process
/// or nobody, even if the pid is reused meanwhile.
pub struct ProcessHandle {
    fd: OwnedFd,
}

impl ProcessHandle {
    /// Opens a pidfd for `pid`; `None` if the process is gone.
    pub fn open(pid: i32) -> Result<Option<Self>, ContainerError> {
        // SAFETY: a raw system call with integer arguments; on success it returns a new fd
        // that we own from here on.
        let fd = unsafe { libc::syscall(libc::SYS_pidfd_open, pid, 0) };
        if fd < 0 {
            return match Errno::last() {
                Errno::ESRCH => Ok(None),
                errno => Err(ContainerError::system(format!("pidfd_open {pid}"), errno)),
            };
        }
        // SAFETY: `fd` is a fresh descriptor nobody else owns.
        let fd = unsafe { OwnedFd::from_raw_fd(fd as i32) };
        Ok(Some(ProcessHandle { fd }))
    }

    /// Sends `signal`; `Ok(false)` if the process has already ended.
    pub fn signal(&self, signal: Signal) -> Result<bool, ContainerError> {
        // SAFETY: a raw system call on a descriptor we own; no siginfo (NULL), no flags.
        let result = unsafe {
            libc::syscall(
                libc::SYS_pidfd_send_signal,
                self.fd.as_raw_fd(),
                signal as i32,
                std::ptr::null::<libc::siginfo_t>(),
                0,
            )
        };
        if result == 0 {
            return Ok(true);
        }
        match Errno::last() {
            Errno::ESRCH => Ok(false),
            errno => Err(ContainerError::system(format!("send {signal}"), errno)),
        }
    }

    /// The descriptor, readable once the process has exited (for poll(2)).
    pub fn into_fd(self) -> OwnedFd {
        self.fd
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn names_and_numbers() {
        for text in ["SIGTERM", "TERM", "term", "15"] {
            assert_eq!(parse_signal(text).unwrap(), Signal::SIGTERM, "{text}");
        }
        assert_eq!(parse_signal("KILL").unwrap(), Signal::SIGKILL);
        assert_eq!(
            parse_signal("SIGFOO").unwrap_err().to_string(),
            "invalid signal: SIGFOO"
        );
        assert!(parse_signal("99").is_err());
    }
}
