//! The report pipe: how a child tells its parent that something failed before or during exec.
//!
//! Both ends are opened with `O_CLOEXEC` (pipe2(2)). The child keeps the write end while it
//! prepares itself. Then:
//! - `execve` succeeds → the kernel closes every close-on-exec descriptor, the parent's `read`
//!   returns end-of-file, and the parent knows the command is running;
//! - a step or `execve` fails → the child writes one small [`Failure`] record and exits; the
//!   parent reads it and turns it into a [`ContainerError`](crate::ContainerError).
//!
//! A record is 9 bytes, far below `PIPE_BUF`, so the write is atomic (pipe(7)).

use std::os::fd::{AsFd, OwnedFd};

use nix::errno::Errno;
use nix::fcntl::OFlag;

/// What failed in the child.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failure {
    /// Step number `index` of the child's plan failed with `errno`.
    Step { index: u32, errno: Errno },
    /// Every `execve` attempt failed; `errno` is the most telling error.
    Exec { errno: Errno },
}

impl Failure {
    const SIZE: usize = 9;

    fn encode(self) -> [u8; Self::SIZE] {
        let (kind, index, errno) = match self {
            Failure::Step { index, errno } => (0u8, index, errno),
            Failure::Exec { errno } => (1u8, 0, errno),
        };
        let mut bytes = [0u8; Self::SIZE];
        bytes[0] = kind;
        bytes[1..5].copy_from_slice(&index.to_le_bytes());
        bytes[5..9].copy_from_slice(&(errno as i32).to_le_bytes());
        bytes
    }

    fn decode(bytes: &[u8; Self::SIZE]) -> Self {
        let index = u32::from_le_bytes([bytes[1], bytes[2], bytes[3], bytes[4]]);
        let errno = Errno::from_raw(i32::from_le_bytes([bytes[5], bytes[6], bytes[7], bytes[8]]));
        match bytes[0] {
            0 => Failure::Step { index, errno },
            _ => Failure::Exec { errno },
        }
    }
}

/// The child's end.
pub struct ReportWriter(OwnedFd);

/// The parent's end.
pub struct ReportReader(OwnedFd);

// ANCHOR: report_pipe
/// Opens a report pipe (both ends close-on-exec).
pub fn report_pipe() -> Result<(ReportReader, ReportWriter), Errno> {
    let (read, write) = nix::unistd::pipe2(OFlag::O_CLOEXEC)?;
    Ok((ReportReader(read), ReportWriter(write)))
}

impl ReportWriter {
    /// Sends a failure to the parent. Runs in the child: a single `write(2)`, nothing else.
    pub fn send(&self, failure: Failure) {
        // If the parent is gone there is nobody to tell; the exit code still says it.
        let _ = nix::unistd::write(self.0.as_fd(), &failure.encode());
    }
}

impl ReportReader {
    /// Blocks until the child either execs (end-of-file → `None`) or reports a failure.
    pub fn wait_for_exec(self) -> Result<Option<Failure>, Errno> {
        let mut buffer = [0u8; Failure::SIZE];
        let mut filled = 0;
        while filled < Failure::SIZE {
            match nix::unistd::read(&self.0, &mut buffer[filled..]) {
                Ok(0) => break,
                Ok(n) => filled += n,
                Err(Errno::EINTR) => continue,
                Err(errno) => return Err(errno),
            }
        }
        match filled {
            0 => Ok(None),
            Failure::SIZE => Ok(Some(Failure::decode(&buffer))),
            // A torn record cannot happen with an atomic write; treat it as an I/O error.
            _ => Err(Errno::EIO),
        }
    }
}
// ANCHOR_END: report_pipe

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failures_survive_the_pipe() {
        for failure in [
            Failure::Step {
                index: 7,
                errno: Errno::EINVAL,
            },
            Failure::Exec {
                errno: Errno::ENOENT,
            },
        ] {
            let (reader, writer) = report_pipe().unwrap();
            writer.send(failure);
            drop(writer);
            assert_eq!(reader.wait_for_exec().unwrap(), Some(failure));
        }
    }

    #[test]
    fn end_of_file_means_exec_succeeded() {
        let (reader, writer) = report_pipe().unwrap();
        drop(writer);
        assert_eq!(reader.wait_for_exec().unwrap(), None);
    }
}
