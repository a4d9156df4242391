//! Lab 2 spec — DO NOT MODIFY. Points per test are in points.toml.
// In a test, a failed unwrap is a failed test with its reason: exactly what we want.
#![allow(clippy::unwrap_used)]

use chapter01::ExitStatus;
use lab02::{clone_flags_for, host_id, id_map_line, namespace_inode, run_in_namespaces};
use nix::sched::CloneFlags;

#[test]
fn task1_clone_flags() {
    assert_eq!(clone_flags_for("uts"), Ok(CloneFlags::CLONE_NEWUTS));
    assert_eq!(
        clone_flags_for("pid, mnt ,net"),
        Ok(CloneFlags::CLONE_NEWPID | CloneFlags::CLONE_NEWNS | CloneFlags::CLONE_NEWNET)
    );
    assert_eq!(clone_flags_for("none"), Ok(CloneFlags::empty()));
    let all = CloneFlags::CLONE_NEWCGROUP
        | CloneFlags::CLONE_NEWIPC
        | CloneFlags::CLONE_NEWNS
        | CloneFlags::CLONE_NEWNET
        | CloneFlags::CLONE_NEWPID
        | CloneFlags::CLONE_NEWUSER
        | CloneFlags::CLONE_NEWUTS;
    assert_eq!(clone_flags_for("all"), Ok(all));
    let error = clone_flags_for("uts,time").unwrap_err();
    assert!(error.contains("\"time\""), "{error}");
}

#[test]
fn task2_id_map_line() {
    assert_eq!(id_map_line(0, 100_000, 65_536), "0 100000 65536\n");
    assert_eq!(id_map_line(0, 1000, 1), "0 1000 1\n");
}

#[test]
fn task3_host_id() {
    assert_eq!(host_id(0, 0, 100_000, 65_536), Some(100_000));
    assert_eq!(host_id(1000, 0, 100_000, 65_536), Some(101_000));
    assert_eq!(host_id(65_536, 0, 100_000, 65_536), None);
    assert_eq!(host_id(5, 10, 100_000, 5), None);
    assert_eq!(host_id(u32::MAX, 0, 0, u32::MAX), None);
}

#[test]
fn task4_namespace_inode() {
    let uts = namespace_inode("self", "uts").unwrap();
    let expected = std::fs::read_link("/proc/self/ns/uts").unwrap();
    assert_eq!(expected.to_string_lossy(), format!("uts:[{uts}]"));
    assert!(namespace_inode("self", "nonsense").is_err());
}

#[test]
fn task5_pid_1_with_its_own_hostname() {
    if !testkit::require_root("lab02 task 5") {
        return;
    }
    let status = run_in_namespaces(
        "uts,pid",
        "lab-host",
        &[
            "/bin/sh",
            "-c",
            "test $$ = 1 && test \"$(uname -n)\" = lab-host",
        ],
    )
    .unwrap();
    assert_eq!(status, ExitStatus::Exited(0));
    assert_ne!(nix::unistd::gethostname().unwrap(), "lab-host");
}

#[test]
fn task5_only_loopback_in_a_new_network_namespace() {
    if !testkit::require_root("lab02 task 5 (net)") {
        return;
    }
    let script = "test \"$(tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d ' ')\" = lo";
    let status = run_in_namespaces("net,uts", "lab-net", &["/bin/sh", "-c", script]).unwrap();
    assert_eq!(status, ExitStatus::Exited(0));
}

#[test]
fn task5_exit_codes_pass_through() {
    if !testkit::require_root("lab02 task 5 (exit codes)") {
        return;
    }
    assert_eq!(
        run_in_namespaces("pid", "x", &["/bin/sh", "-c", "exit 7"]).unwrap(),
        ExitStatus::Exited(7)
    );
    let error = run_in_namespaces("pid", "x", &["no-such-program"]).unwrap_err();
    assert_eq!(error.exit_code(), 127);
}
