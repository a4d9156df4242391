//! Seed 002: "inside the container the application is PID 1; on the host the same process
//! is PID 30828". The same scenario with mini-docker, checked from both sides.
// In a test, a failed unwrap is a failed test with its reason: exactly what we want.
#![allow(clippy::unwrap_used)]

use std::time::Duration;

use acceptance::Workspace;
use testkit::require_root;

#[test]
fn pid_1_inside_is_an_ordinary_process_on_the_host() {
    if !require_root("seed 002: two views of one process") {
        return;
    }
    let workspace = Workspace::new();
    // The trap comes first: PID 1 ignores a SIGTERM it has no handler for, so the test waits
    // for the line printed after the trap is set before it sends one.
    let mut container = workspace.start(&[
        "-h",
        "django",
        "/bin/sh",
        "-c",
        "trap 'exit 0' TERM; echo inside: pid $$; while true; do sleep 0.05; done",
    ]);
    let host_pid = container.container_pid(Duration::from_secs(30));
    assert_eq!(
        container.read_line(Duration::from_secs(30)),
        "inside: pid 1"
    );
    assert!(host_pid > 1);

    // The kernel keeps both numbers: NSpid lists the pid in every namespace it is in,
    // outermost first (proc(5)).
    let status = std::fs::read_to_string(format!("/proc/{host_pid}/status")).unwrap();
    let nspid: Vec<&str> = status
        .lines()
        .find_map(|line| line.strip_prefix("NSpid:"))
        .unwrap()
        .split_whitespace()
        .collect();
    assert_eq!(nspid, [host_pid.to_string().as_str(), "1"], "{status}");

    // Its PID and UTS namespaces are not ours.
    for ns in ["pid", "uts", "mnt", "net"] {
        let theirs = std::fs::read_link(format!("/proc/{host_pid}/ns/{ns}")).unwrap();
        let ours = std::fs::read_link(format!("/proc/self/ns/{ns}")).unwrap();
        assert_ne!(theirs, ours, "{ns}");
    }

    // SIGTERM to the CLI is forwarded to the container, whose trap ends it with status 0.
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(container.cli_pid() as i32),
        nix::sys::signal::Signal::SIGTERM,
    )
    .unwrap();
    let (code, stdout, stderr) = container.finish(Duration::from_secs(30));
    assert_eq!(code, 0, "{stdout}{stderr}");
}

#[test]
fn a_container_killed_from_the_host_reports_137() {
    if !require_root("seed 002: kill from the host") {
        return;
    }
    let workspace = Workspace::new();
    let container = workspace.start(&["/bin/sh", "-c", "while true; do sleep 1; done"]);
    let host_pid = container.container_pid(Duration::from_secs(30));
    // PID 1 ignores signals it has no handler for — except SIGKILL from outside.
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(host_pid),
        nix::sys::signal::Signal::SIGKILL,
    )
    .unwrap();
    let (code, _, stderr) = container.finish(Duration::from_secs(30));
    assert_eq!(code, 137, "{stderr}");
}
