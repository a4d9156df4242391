//! The container's stdin, stdout and stderr: pipes, or a pseudo-terminal with `-t`.
//!
//! The monitor keeps the far ends. Without a terminal, stdout and stderr are two pipes, so
//! the log can say which stream each line came from; stdin is a pipe with `-i` and
//! `/dev/null` otherwise (a container that reads stdin gets end-of-file at once, as in
//! docker). With `-t` all three are the pty's slave, which also becomes the container's
//! controlling terminal; the monitor holds the master, and there is only one stream.

use std::fmt;
use std::fs::File;
use std::os::fd::{AsRawFd, OwnedFd, RawFd};

use chapter06::chapter05::chapter04::chapter03::chapter01::{ChildStep, ContainerError};
use nix::errno::Errno;
use nix::fcntl::OFlag;

use crate::tty::{open_pty, ControllingTerminal};

/// The monitor's ends of the container's stdio.
pub enum MonitorEnds {
    Pipes {
        /// Write end of the container's stdin (with `-i`).
        stdin: Option<OwnedFd>,
        stdout: OwnedFd,
        stderr: OwnedFd,
    },
    Terminal {
        master: OwnedFd,
    },
}

/// The container's ends: kept open by the monitor only until the child has started.
pub struct ContainerEnds {
    fds: Vec<OwnedFd>,
    step: Box<dyn ChildStep>,
}

impl ContainerEnds {
    /// The step that installs them as fds 0, 1, 2 in the child.
    pub fn into_step(self) -> (Box<dyn ChildStep>, Vec<OwnedFd>) {
        (self.step, self.fds)
    }
}

fn pipe() -> Result<(OwnedFd, OwnedFd), ContainerError> {
    nix::unistd::pipe2(OFlag::O_CLOEXEC)
        .map_err(|errno| ContainerError::system("create a pipe for the container's stdio", errno))
}

/// Makes the container's stdio: a pty with `tty`, else pipes (stdin a pipe with `stdin`).
pub fn make(tty: bool, stdin: bool) -> Result<(MonitorEnds, ContainerEnds), ContainerError> {
    if tty {
        let pty =
            open_pty().map_err(|errno| ContainerError::system("open a pseudo-terminal", errno))?;
        let step = Box::new(ControllingTerminal {
            slave_fd: pty.slave.as_raw_fd(),
        });
        return Ok((
            MonitorEnds::Terminal { master: pty.master },
            ContainerEnds {
                fds: vec![pty.slave],
                step,
            },
        ));
    }
    let (stdin_read, stdin_write) = if stdin {
        let (read, write) = pipe()?;
        (read, Some(write))
    } else {
        let null =
            File::open("/dev/null").map_err(|error| ContainerError::io("open /dev/null", error))?;
        (OwnedFd::from(null), None)
    };
    let (stdout_read, stdout_write) = pipe()?;
    let (stderr_read, stderr_write) = pipe()?;
    let step = Box::new(RedirectStdio {
        fds: [
            stdin_read.as_raw_fd(),
            stdout_write.as_raw_fd(),
            stderr_write.as_raw_fd(),
        ],
    });
    Ok((
        MonitorEnds::Pipes {
            stdin: stdin_write,
            stdout: stdout_read,
            stderr: stderr_read,
        },
        ContainerEnds {
            fds: vec![stdin_read, stdout_write, stderr_write],
            step,
        },
    ))
}

/// `dup2` the given descriptors onto 0, 1 and 2 in the child. The originals are
/// close-on-exec, so after exec only the three copies remain.
pub struct RedirectStdio {
    pub fds: [RawFd; 3],
}

impl ChildStep for RedirectStdio {
    fn run(&self) -> Result<(), Errno> {
        for (target, fd) in self.fds.iter().enumerate() {
            // SAFETY: dup2 on descriptors that are open in this process.
            if unsafe { libc::dup2(*fd, target as RawFd) } < 0 {
                return Err(Errno::last());
            }
        }
        Ok(())
    }
}

impl fmt::Display for RedirectStdio {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("connect stdin, stdout and stderr to the monitor's pipes")
    }
}
