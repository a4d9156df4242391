//! The chapter 1 demo, run for real: exit statuses, signals, 126 and 127.
//! None of this needs root: any user may fork and exec.
// In a test, a failed unwrap is a failed test with its reason: exactly what we want.
#![allow(clippy::unwrap_used)]

use std::process::Command;

use testkit::Session;

fn demo(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_chapter01"))
        .args(args)
        .output()
        .expect("the chapter01 demo runs")
}

fn stdout(output: &std::process::Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

#[test]
fn an_exit_status_is_passed_on() {
    let output = demo(&["run", "/bin/sh", "-c", "exit 3"]);
    assert_eq!(output.status.code(), Some(3));
    let text = stdout(&output);
    assert!(text.contains("started child pid "), "{text}");
    assert!(text.contains("exited with status 3"), "{text}");
}

#[test]
fn a_child_killed_by_sigkill_is_reported_as_such() {
    let output = demo(&["run", "/bin/sh", "-c", "kill -9 $$"]);
    assert_eq!(output.status.code(), Some(137));
    assert!(stdout(&output).contains("killed by signal SIGKILL"));
}

#[test]
fn a_missing_command_is_127_and_is_never_started() {
    let output = demo(&["run", "no-such-command-here"]);
    assert_eq!(output.status.code(), Some(127));
    assert!(
        stdout(&output).is_empty(),
        "nothing was started, so nothing to report"
    );
    let error = String::from_utf8_lossy(&output.stderr);
    assert_eq!(
        error.trim(),
        "chapter01: exec: \"no-such-command-here\": executable file not found in $PATH"
    );
}

#[test]
fn a_file_that_is_not_executable_is_126() {
    let output = demo(&["run", "/etc/passwd"]);
    assert_eq!(output.status.code(), Some(126));
    assert!(String::from_utf8_lossy(&output.stderr).contains("Permission denied (EACCES)"));
}

#[test]
fn sigpipe_is_not_inherited_from_the_rust_parent() {
    // Rust ignores SIGPIPE; if the child inherited that, `yes` would loop forever on EPIPE
    // errors instead of dying when `head` closes the pipe.
    let output = demo(&["run", "/bin/sh", "-c", "yes | head -n 1"]);
    assert_eq!(output.status.code(), Some(0));
}

#[test]
fn no_host_descriptor_leaks_into_the_child() {
    // The test harness holds descriptors above 2; the child must see only 0, 1 and 2
    // (and the one `ls` opens to read the directory).
    let output = demo(&["run", "/bin/sh", "-c", "ls /proc/self/fd | wc -l"]);
    // The child's line may come before or after the parent's "started" line.
    let text = stdout(&output);
    let count = text
        .lines()
        .map(str::trim)
        .find(|l| l.parse::<u32>().is_ok());
    assert_eq!(count, Some("4"), "{text}");
}

#[test]
fn book_transcript() {
    let mut session = Session::new();
    session
        .record(
            "cargo run -p chapter01 -- run /bin/sh -c 'exit 3'",
            &demo(&["run", "/bin/sh", "-c", "exit 3"]),
        )
        .record(
            "cargo run -p chapter01 -- run /bin/sh -c 'kill -9 $$'",
            &demo(&["run", "/bin/sh", "-c", "kill -9 $$"]),
        )
        .record(
            "cargo run -p chapter01 -- run /etc/passwd",
            &demo(&["run", "/etc/passwd"]),
        )
        .record(
            "cargo run -p chapter01 -- run no-such-command",
            &demo(&["run", "no-such-command"]),
        );
    session.assert_matches_book("ch01-run");
}
