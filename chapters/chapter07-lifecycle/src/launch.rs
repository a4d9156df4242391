//! The CLI's side of `start`: launch the container's monitor and learn whether the container
//! runs.
//!
//! The monitor is this same program, executed again (`/proc/self/exe`, so even a binary
//! replaced on disk since the CLI started launches the CLI's own version) with the
//! arguments the caller names — `mini-docker monitor ID` for the CLI, the demo's own for
//! `chapter07`. Before exec it calls `setsid(2)`: a session of its own has no controlling
//! terminal, so closing the terminal (SIGHUP) or Ctrl-C in it (SIGINT to the foreground
//! process group) never reaches the monitor, and the CLI may exit at once.
//!
//! Three descriptors connect them: the monitor's stdout is a pipe on which it writes one
//! JSON [`Report`] and closes it; its stdin is the socket of the first attached client (or
//! /dev/null); its stderr is the container's `monitor.log`.

use std::ffi::OsString;
use std::fs::File;
use std::io::Read;
use std::os::fd::OwnedFd;
use std::os::unix::process::CommandExt;
use std::process::{Command, Stdio};

use chapter06::chapter05::chapter04::chapter03::chapter01::ContainerError;

use crate::monitor::Report;
use crate::store::Container;

/// How to run a monitor: a program and the arguments before the container id.
#[derive(Debug, Clone)]
pub struct MonitorProgram {
    pub program: std::path::PathBuf,
    pub args: Vec<OsString>,
}

impl MonitorProgram {
    /// This very program, run again with `args` (see the module docs).
    pub fn this_program(args: Vec<OsString>) -> Self {
        MonitorProgram {
            program: "/proc/self/exe".into(),
            args,
        }
    }
}

/// A container whose monitor reported success.
pub struct Started {
    pub pid: i32,
    pub warnings: Vec<String>,
    /// The monitor's lock file, open: [`crate::lock::wait_released`] on it waits for the
    /// monitor to finish, even after `--rm` removed the directory.
    pub monitor_lock: File,
}

// ANCHOR: launch
/// Launches the monitor of `container` and waits for its report. `attach` is the socket
/// end that becomes the monitor's first client.
pub fn start_monitor(
    program: &MonitorProgram,
    container: &Container,
    attach: Option<OwnedFd>,
) -> Result<Started, ContainerError> {
    let log_path = container.dir().join("monitor.log");
    let log = File::options()
        .create(true)
        .append(true)
        .open(&log_path)
        .map_err(|error| ContainerError::io(format!("open {}", log_path.display()), error))?;
    let monitor_lock = File::options()
        .create(true)
        .truncate(false)
        .write(true)
        .open(container.monitor_lock_path())
        .map_err(|error| ContainerError::io("open the monitor's lock file", error))?;
    let mut command = Command::new(&program.program);
    command
        .arg0("mini-docker-monitor")
        .args(&program.args)
        .arg(container.id())
        .stdin(attach.map_or_else(Stdio::null, Stdio::from))
        .stdout(Stdio::piped())
        .stderr(Stdio::from(log));
    // SAFETY: setsid(2) and close_range(2) are plain system calls, async-signal-safe,
    // touching no memory of ours.
    unsafe {
        command.pre_exec(|| {
            if libc::setsid() < 0 {
                return Err(std::io::Error::last_os_error());
            }
            // Whatever the CLI's caller left open without close-on-exec (a shell's `7>file`,
            // the pipe of `$(…)` or a make jobserver) must not live on in the monitor for the
            // container's whole life: mark every descriptor above 2 close-on-exec.
            libc::syscall(
                libc::SYS_close_range,
                3u32,
                u32::MAX,
                libc::CLOSE_RANGE_CLOEXEC,
            );
            Ok(())
        });
    }
    let mut child = command
        .spawn()
        .map_err(|error| ContainerError::io("launch the container's monitor", error))?;
    let mut text = String::new();
    if let Some(mut pipe) = child.stdout.take() {
        let _ = pipe.read_to_string(&mut text);
    }
    // The monitor lives on; if it already ended (a failed start), reap it now. Otherwise
    // it is reparented when we exit.
    let _ = child.try_wait();
    let report: Report = serde_json::from_str(text.trim()).map_err(|_| {
        ContainerError::Invalid(format!(
            "the container's monitor ended without a report; see {}",
            log_path.display()
        ))
    })?;
    match (report.pid, report.error) {
        (Some(pid), None) => Ok(Started {
            pid,
            warnings: report.warnings,
            monitor_lock,
        }),
        (_, error) => Err(error_from_report(
            error.unwrap_or_else(|| "the monitor did not start the container".into()),
            report.exit_code,
            report.program,
            report.errno,
        )),
    }
}
// ANCHOR_END: launch

/// The monitor's error as the CLI's own, so it prints and exits the same way (127 for a
/// missing command, 126 for one that cannot be run, 125 otherwise).
fn error_from_report(
    message: String,
    code: i32,
    program: Option<String>,
    errno: Option<i32>,
) -> ContainerError {
    match (code, program) {
        (127, Some(program)) => ContainerError::CommandNotFound { program },
        (126, Some(program)) => ContainerError::CommandNotInvokable {
            program,
            errno: nix::errno::Errno::from_raw(errno.unwrap_or(libc::EACCES)),
        },
        _ => ContainerError::Invalid(message),
    }
}
