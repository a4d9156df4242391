//! Lab 1 spec — DO NOT MODIFY. Points per test are in points.toml.
// In a test, a failed unwrap is a failed test with its reason: exactly what we want.
#![allow(clippy::unwrap_used)]

use std::path::PathBuf;

use lab01::{classify, exec_failure_code, exit_code, run, search_candidates, Ended, RunError};
use nix::errno::Errno;
use nix::sys::signal::Signal;
use nix::sys::wait::WaitStatus;
use nix::unistd::Pid;

#[test]
fn task1_classify_exits_and_signals() {
    let pid = Pid::from_raw(42);
    assert_eq!(classify(WaitStatus::Exited(pid, 0)), Some(Ended::Exited(0)));
    assert_eq!(classify(WaitStatus::Exited(pid, 3)), Some(Ended::Exited(3)));
    assert_eq!(
        classify(WaitStatus::Signaled(pid, Signal::SIGKILL, false)),
        Some(Ended::Killed(9))
    );
    assert_eq!(
        classify(WaitStatus::Signaled(pid, Signal::SIGSEGV, true)),
        Some(Ended::Killed(11))
    );
    assert_eq!(classify(WaitStatus::Stopped(pid, Signal::SIGSTOP)), None);
    assert_eq!(classify(WaitStatus::StillAlive), None);
}

#[test]
fn task2_exit_codes() {
    assert_eq!(exit_code(Ended::Exited(0)), 0);
    assert_eq!(exit_code(Ended::Exited(3)), 3);
    assert_eq!(exit_code(Ended::Killed(9)), 137);
    assert_eq!(exit_code(Ended::Killed(15)), 143);
}

#[test]
fn task3_exec_failure_codes() {
    assert_eq!(exec_failure_code(Errno::ENOENT), 127);
    assert_eq!(exec_failure_code(Errno::EACCES), 126);
    assert_eq!(exec_failure_code(Errno::EISDIR), 126);
    assert_eq!(exec_failure_code(Errno::ENOEXEC), 125);
    assert_eq!(exec_failure_code(Errno::E2BIG), 125);
}

#[test]
fn task4_search_candidates() {
    let paths = |v: &[&str]| v.iter().map(PathBuf::from).collect::<Vec<_>>();
    assert_eq!(
        search_candidates("ls", "/usr/bin:/bin"),
        paths(&["/usr/bin/ls", "/bin/ls"])
    );
    assert_eq!(
        search_candidates("ls", "/opt::/bin"),
        paths(&["/opt/ls", "./ls", "/bin/ls"])
    );
    assert_eq!(search_candidates("./tool", "/bin"), paths(&["./tool"]));
    assert_eq!(
        search_candidates("/bin/sh", "/usr/bin"),
        paths(&["/bin/sh"])
    );
}

#[test]
fn task5_run_reports_the_exit_status() {
    assert_eq!(run(&["/bin/sh", "-c", "exit 3"]), Ok(Ended::Exited(3)));
    assert_eq!(run(&["sh", "-c", "exit 0"]), Ok(Ended::Exited(0)));
}

#[test]
fn task5_run_reports_a_killing_signal() {
    assert_eq!(run(&["/bin/sh", "-c", "kill -9 $$"]), Ok(Ended::Killed(9)));
}

#[test]
fn task5_run_tells_not_found_from_not_executable() {
    assert_eq!(run(&["no-such-program-anywhere"]), Err(RunError::NotFound));
    assert_eq!(run(&["/no/such/file"]), Err(RunError::NotFound));
    assert_eq!(
        run(&["/etc/passwd"]),
        Err(RunError::NotExecutable(Errno::EACCES as i32))
    );
}
