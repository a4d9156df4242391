//! One health probe: the HEALTHCHECK's command run inside the container, as `docker exec`
//! would run it (chapter 7's [`spawn_in`]: the container's namespaces, cgroup, root,
//! environment and user), with its output captured and a time limit.
//!
//! The probe's stdout and stderr go into one pipe; we keep reading it while the probe runs,
//! so a chatty probe never blocks on a full pipe, and keep a little more than docker shows
//! (the rules in [`crate::health`] cut it to 4096 bytes). We stop when the probe has exited
//! — not at the pipe's end: a probe that leaves a background child behind would otherwise
//! hold us until that child exits. Past its timeout the probe is killed and counts as a
//! failure with exit code -1, as in docker.
//!
//! Left out on purpose: docker's `exec_create`/`exec_start`/`exec_die` events for each probe
//! (a probe every second would bury the events a learner is looking for), and the image's
//! `SHELL` for `CMD-SHELL` (always `/bin/sh -c`).

use std::fs::File;
use std::io::Read;
use std::os::fd::{AsFd, AsRawFd, OwnedFd};
use std::time::{Duration, Instant};

use chapter08::chapter07::chapter06::chapter05::chapter04::chapter03::chapter01::{
    Child, ContainerError,
};
use chapter08::chapter07::enter::{spawn_in, ExecRequest};
use chapter08::chapter07::stdio::RedirectStdio;
use chapter08::chapter07::store::now;
use chapter08::chapter07::Container;
use nix::fcntl::OFlag;
use nix::poll::{poll, PollFd, PollFlags, PollTimeout};
use nix::sys::signal::Signal;

use crate::health::{timed_out, ProbeResult, MAX_OUTPUT_BYTES};

/// How often a running probe is looked at between reads: the longest we notice its exit
/// late, or a request to give up.
const LOOK_EVERY: Duration = Duration::from_millis(20);

// ANCHOR: run_probe
/// Runs `command` in `container` and reports it as docker's `HealthcheckResult`. `give_up`
/// is asked between reads: true kills the probe at once (the container is ending).
pub fn run_probe(
    container: &Container,
    command: &[String],
    timeout: Duration,
    give_up: &dyn Fn() -> bool,
) -> ProbeResult {
    let start = now();
    match spawn_probe(container, command) {
        Ok((child, output)) => {
            let deadline = Instant::now() + timeout;
            let (code, text) = collect(&child, output, deadline, give_up);
            match code {
                Some(code) => ProbeResult {
                    start,
                    end: now(),
                    exit_code: code,
                    output: text,
                },
                None => timed_out(start, now(), timeout),
            }
        }
        // Docker records a probe that could not even start as a failure, with the reason.
        Err(error) => ProbeResult {
            start,
            end: now(),
            exit_code: match error.exit_code() {
                code @ (126 | 127) => code,
                _ => -1,
            },
            output: error.to_string(),
        },
    }
}
// ANCHOR_END: run_probe

/// Starts the probe with stdin on /dev/null and stdout+stderr on a pipe; returns the pipe's
/// reading end.
fn spawn_probe(container: &Container, command: &[String]) -> Result<(Child, File), ContainerError> {
    let (read_end, write_end) = nix::unistd::pipe2(OFlag::O_CLOEXEC)
        .map_err(|errno| ContainerError::system("create the probe's pipe", errno))?;
    let null: OwnedFd = File::open("/dev/null")
        .map_err(|error| ContainerError::io("open /dev/null", error))?
        .into();
    let mut request =
        ExecRequest::for_container(container, command.to_vec(), Vec::new(), None, None)?;
    request.extra_steps.push(Box::new(RedirectStdio {
        fds: [
            null.as_raw_fd(),
            write_end.as_raw_fd(),
            write_end.as_raw_fd(),
        ],
    }));
    let child = spawn_in(request)?;
    // Ours would keep the pipe open after the probe is gone.
    drop(write_end);
    Ok((child, File::from(read_end)))
}

/// Reads the probe's output until it exits (`Some(exit code)`) or the deadline passes or
/// `give_up` says so (`None`; the probe is killed and reaped).
fn collect(
    child: &Child,
    mut output: File,
    deadline: Instant,
    give_up: &dyn Fn() -> bool,
) -> (Option<i32>, String) {
    let mut kept = Vec::new();
    let mut open = true;
    loop {
        if open {
            open = read_ready(&mut output, &mut kept);
        } else {
            std::thread::sleep(LOOK_EVERY);
        }
        if let Ok(Some(status)) = child.try_wait() {
            // Exited: what it wrote last is already in the pipe.
            if open {
                read_rest(&mut output, &mut kept);
            }
            return (
                Some(status.code()),
                String::from_utf8_lossy(&kept).into_owned(),
            );
        }
        if Instant::now() >= deadline || give_up() {
            let _ = child.signal(Signal::SIGKILL);
            let _ = child.wait();
            return (None, String::new());
        }
    }
}

/// Waits up to [`LOOK_EVERY`] for output and reads what is there; false at the pipe's end.
fn read_ready(output: &mut File, kept: &mut Vec<u8>) -> bool {
    let mut fds = [PollFd::new(output.as_fd(), PollFlags::POLLIN)];
    let timeout = PollTimeout::try_from(LOOK_EVERY.as_millis()).unwrap_or(PollTimeout::MAX);
    match poll(&mut fds, timeout) {
        Ok(0) | Err(_) => true,
        Ok(_) => read_some(output, kept),
    }
}

/// One read; false at the end of the pipe (or an error, which ends it too).
fn read_some(output: &mut File, kept: &mut Vec<u8>) -> bool {
    let mut buffer = [0u8; 4096];
    match output.read(&mut buffer) {
        Ok(0) | Err(_) => false,
        Ok(count) => {
            // A little more than is shown, so the cut is visible ("...").
            let room = (MAX_OUTPUT_BYTES + 1).saturating_sub(kept.len());
            kept.extend_from_slice(&buffer[..count.min(room)]);
            true
        }
    }
}

/// After the probe exited: what is still in the pipe, without waiting for writers the probe
/// may have left behind.
fn read_rest(output: &mut File, kept: &mut Vec<u8>) {
    loop {
        let mut fds = [PollFd::new(output.as_fd(), PollFlags::POLLIN)];
        if !matches!(poll(&mut fds, PollTimeout::ZERO), Ok(count) if count > 0) {
            return;
        }
        if !read_some(output, kept) {
            return;
        }
    }
}
