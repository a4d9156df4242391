//! Every way starting a container process can fail, and the exit code docker uses for each.

use std::fmt;

use nix::errno::Errno;

/// Why a container process could not be started.
///
/// The exit codes follow docker: 125 when the engine failed (bad input, a system call during
/// setup, an exec that failed for another reason), 126 when the command exists but may not be
/// run, 127 when it cannot be found.
#[derive(Debug)]
pub enum ContainerError {
    /// The request is wrong; found before anything was created.
    Invalid(String),
    /// A system call in the engine failed (`what` names the call and its object).
    System { what: String, errno: Errno },
    /// A [`ChildStep`](crate::ChildStep) failed in the child, before exec.
    Setup { step: String, errno: Errno },
    /// No candidate path for the program exists.
    CommandNotFound { program: String },
    /// `execve` refused the program: 126 for permission (or a directory), 125 for anything
    /// else (a bad format, say), as docker decides.
    CommandNotInvokable { program: String, errno: Errno },
}

impl ContainerError {
    /// The exit code a docker-like CLI returns for this error.
    pub fn exit_code(&self) -> i32 {
        match self {
            ContainerError::Invalid(_)
            | ContainerError::System { .. }
            | ContainerError::Setup { .. } => 125,
            ContainerError::CommandNotInvokable { errno, .. } => {
                crate::spawn::exec_failure_code(*errno)
            }
            ContainerError::CommandNotFound { .. } => 127,
        }
    }

    /// Shorthand for a failed system call in the engine.
    pub fn system(what: impl Into<String>, errno: Errno) -> Self {
        ContainerError::System {
            what: what.into(),
            errno,
        }
    }

    /// Shorthand for a failed I/O call in the engine.
    pub fn io(what: impl Into<String>, error: std::io::Error) -> Self {
        let errno = Errno::from_raw(error.raw_os_error().unwrap_or(libc::EIO));
        ContainerError::system(what, errno)
    }
}

/// `Invalid argument (EINVAL)`: the text for people, the name for searching man pages.
pub struct ErrnoText(pub Errno);

impl fmt::Display for ErrnoText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({:?})", self.0.desc(), self.0)
    }
}

impl fmt::Display for ContainerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ContainerError::Invalid(message) => f.write_str(message),
            ContainerError::System { what, errno } => {
                write!(f, "{what}: {}", ErrnoText(*errno))?;
                if *errno == Errno::EPERM {
                    f.write_str(" — run as root")?;
                }
                Ok(())
            }
            ContainerError::Setup { step, errno } => {
                write!(
                    f,
                    "container setup failed at \"{step}\": {}",
                    ErrnoText(*errno)
                )
            }
            ContainerError::CommandNotFound { program } if program.contains('/') => {
                write!(f, "exec: \"{program}\": no such file or directory")
            }
            ContainerError::CommandNotFound { program } => {
                write!(f, "exec: \"{program}\": executable file not found in $PATH")
            }
            ContainerError::CommandNotInvokable { program, errno } => {
                write!(f, "exec: \"{program}\": {}", ErrnoText(*errno))
            }
        }
    }
}

impl std::error::Error for ContainerError {}
