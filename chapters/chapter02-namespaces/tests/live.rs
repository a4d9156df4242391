//! The chapter 2 demo, live (root): one process, two views.
// In a test, a failed unwrap is a failed test with its reason: exactly what we want.
#![allow(clippy::unwrap_used)]

use std::process::{Command, Output};

use testkit::{require_root, Session};

fn demo(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_chapter02"))
        .args(args)
        .output()
        .expect("the chapter02 demo runs")
}

fn text(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// The namespace table: name → (host inode, container inode).
fn table(stdout: &str) -> Vec<(String, u64, u64)> {
    stdout
        .lines()
        .skip_while(|line| !line.starts_with("namespace"))
        .skip(1)
        .map(|line| {
            let fields: Vec<&str> = line.split_whitespace().collect();
            (
                fields[0].to_owned(),
                fields[1].parse().unwrap(),
                fields[2].parse().unwrap(),
            )
        })
        .collect()
}

#[test]
fn inside_it_is_pid_1_with_its_own_hostname_and_only_lo() {
    if !require_root("chapter02: pid 1, hostname, only lo") {
        return;
    }
    let output = demo(&["run"]);
    assert!(output.status.success(), "{output:?}");
    let stdout = text(&output);
    assert!(
        stdout.contains("inside: pid 1, uid 0, hostname \"container\""),
        "{stdout}"
    );
    assert!(
        stdout.contains("inside: network interfaces: lo (up)\n"),
        "{stdout}"
    );
    // The host knows the same process under another pid.
    let host_pid: u32 = stdout
        .split("cloned pid ")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|pid| pid.parse().ok())
        .expect("the demo prints the host pid");
    assert!(host_pid > 1);
    // The host's own hostname did not change.
    let host_name = nix::unistd::gethostname().unwrap();
    assert_ne!(host_name.to_string_lossy(), "container");
}

#[test]
fn namespace_inodes_differ_exactly_for_the_new_namespaces() {
    if !require_root("chapter02: ns inodes") {
        return;
    }
    // The command must outlive the host's look at /proc/PID/ns.
    let output = demo(&["run", "--ns", "uts,pid,net", "--", "sleep", "1"]);
    assert!(output.status.success(), "{output:?}");
    for (name, host, container) in table(&text(&output)) {
        let new = matches!(name.as_str(), "uts" | "pid" | "pid_for_children" | "net");
        assert_eq!(
            host != container,
            new,
            "{name}: host {host}, container {container}"
        );
    }
}

#[test]
fn a_user_namespace_maps_root_inside_to_an_unprivileged_uid_outside() {
    if !require_root("chapter02: user namespace") {
        return;
    }
    let output = demo(&[
        "run",
        "--ns",
        "user,pid,uts",
        "--",
        "/bin/sh",
        "-c",
        "id -u; cat /proc/self/uid_map",
    ]);
    assert!(output.status.success(), "{output:?}");
    let stdout = text(&output);
    let mut lines = stdout.lines().skip(1);
    assert_eq!(lines.next(), Some("0"), "{stdout}");
    let map: Vec<&str> = lines.next().unwrap().split_whitespace().collect();
    assert_eq!(map, ["0", "100000", "65536"], "{stdout}");
}

#[test]
fn the_exit_status_of_the_command_is_returned() {
    if !require_root("chapter02: exit status") {
        return;
    }
    let output = demo(&["run", "--", "/bin/sh", "-c", "exit 4"]);
    assert_eq!(output.status.code(), Some(4));
    let output = demo(&["run", "--", "no-such-command"]);
    assert_eq!(output.status.code(), Some(127));
}

#[test]
fn book_transcript() {
    if !require_root("chapter02: book transcript") {
        return;
    }
    let mut session = Session::new();
    // The host's name differs from machine to machine; the book calls it "myhost".
    let host_name = nix::unistd::gethostname().unwrap();
    session.replace(
        format!("still {:?}", host_name.to_string_lossy()),
        "still \"myhost\"",
    );
    session.record("sudo cargo run -p chapter02 -- run", &demo(&["run"]));
    session.record(
        "sudo cargo run -p chapter02 -- run --ns uts,pid -- /bin/sh -c 'echo pid $$ in $(hostname); sleep 1'",
        &demo(&[
            "run",
            "--ns",
            "uts,pid",
            "--",
            "/bin/sh",
            "-c",
            "echo pid $$ in $(hostname); sleep 1",
        ]),
    );
    session.assert_matches_book("ch02-tour");
}
