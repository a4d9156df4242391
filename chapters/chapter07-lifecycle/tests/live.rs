//! Chapter 7 as root: the walk of the demo (a container outliving its CLI), recorded as the
//! book's transcript, and the monitor's promises checked from outside.
// In a test, a failed unwrap is a failed test with its reason: exactly what we want.
#![allow(clippy::unwrap_used)]

use std::process::Command;

use chapter07::chapter06::chapter05::chapter04::chapter03::busybox::{
    build_rootfs, find_host_busybox,
};
use testkit::{require_root, MountTable, Session, TempRoot};

fn busybox_rootfs(root: &TempRoot) -> std::path::PathBuf {
    let busybox = find_host_busybox().expect("busybox-static is installed (cargo xtask setup)");
    build_rootfs(&root.join("rootfs"), &busybox).unwrap().path
}

#[test]
fn the_walk_a_container_outlives_its_cli() {
    if !require_root("chapter07: the lifecycle walk") {
        return;
    }
    let temp = TempRoot::new();
    let rootfs = busybox_rootfs(&temp);
    let state = temp.join("state");
    let mounts = MountTable::read();
    let output = Command::new(env!("CARGO_BIN_EXE_chapter07"))
        .arg("--root")
        .arg(&state)
        .arg("walk")
        .arg(&rootfs)
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    let text = String::from_utf8_lossy(&output.stdout);
    // What the walk claims, checked: three ticks were logged, the stop took SIGKILL (sleep
    // as PID 1 ignores SIGTERM), and the CLI that started it was not the monitor's parent.
    assert!(text.contains("tick 1\ntick 2\ntick 3\n"), "{text}");
    assert!(text.contains("exited  (exit code 137)"), "{text}");
    let cli_pid = text
        .split("from CLI pid ")
        .nth(1)
        .and_then(|rest| rest.split(';').next())
        .unwrap();
    let parent = text
        .split("whose parent is now pid ")
        .nth(1)
        .and_then(|rest| rest.split(':').next())
        .unwrap();
    assert_ne!(cli_pid, parent, "{text}");
    // Nothing is left: no record, no layer, no mount.
    let containers: Vec<_> = std::fs::read_dir(state.join("containers"))
        .unwrap()
        .flatten()
        .map(|entry| entry.file_name().to_string_lossy().into_owned())
        .filter(|name| !name.starts_with('.'))
        .collect();
    assert!(containers.is_empty(), "{containers:?}");
    MountTable::read().assert_same_as(&mounts);

    let mut session = Session::new();
    session.replace(rootfs.display().to_string(), "$ROOTFS");
    // Init, or a subreaper (systemd --user) on some machines: a pid of its own either way.
    session.replace(format!("now pid {parent}:"), "now pid [PID]:");
    session.record("chapter07 walk $ROOTFS", &output);
    session.assert_matches_book("ch07-walk");
}
