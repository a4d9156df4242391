//! Chapter 8 as root: the demo's walk (two containers on a bridge, a published web server)
//! recorded as the book's transcript, and the promise that nothing of it stays behind.
// In a test, a failed unwrap is a failed test with its reason: exactly what we want.
#![allow(clippy::unwrap_used)]

use std::process::Command;

use chapter08::chapter07::chapter06::chapter05::chapter04::chapter03::busybox::{
    build_rootfs, find_host_busybox,
};
use testkit::{require_root, MountTable, Session, TempRoot};

/// The host's network links, by name.
fn links() -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir("/sys/class/net")
        .unwrap()
        .flatten()
        .map(|entry| entry.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

fn nft_tables() -> String {
    let output = Command::new("nft")
        .args(["list", "tables"])
        .output()
        .unwrap();
    String::from_utf8_lossy(&output.stdout).into_owned()
}

#[test]
fn the_walk_two_containers_and_a_published_port() {
    if !require_root("chapter08: the network walk") {
        return;
    }
    let temp = TempRoot::new();
    let busybox = find_host_busybox().expect("busybox-static is installed (cargo xtask setup)");
    let rootfs = build_rootfs(&temp.join("rootfs"), &busybox).unwrap().path;
    let state = temp.join("state");
    let links_before = links();
    let mounts = MountTable::read();
    let output = Command::new(env!("CARGO_BIN_EXE_chapter08"))
        .arg("--root")
        .arg(&state)
        .arg("walk")
        .arg(&rootfs)
        .output()
        .unwrap();
    // The walk removes what it made even when a step fails; if it did not, say so below.
    assert!(output.status.success(), "{output:?}");
    let text = String::from_utf8_lossy(&output.stdout);
    // What the walk claims, checked: the link alias resolved to web's address, the ping
    // came back, the page came through the container link and through the host's port.
    assert!(
        text.contains("started web: eth0 10.208.8.2/24 (MAC 02:42:0a:d0:08:02)"),
        "{text}"
    );
    assert!(
        text.contains("  10.208.8.2\n  1 packets received\n  hello from web\n"),
        "{text}"
    );
    assert!(
        text.contains("(DNAT to web's port 80):\n  hello from web\n"),
        "{text}"
    );
    // The kernel destroys a container's veth pair with its namespace, a moment after the
    // last process is gone (cleanup_net runs on a workqueue): allow it that moment.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    while links() != links_before && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    assert_eq!(links(), links_before, "a link was left behind");
    assert!(
        !nft_tables().contains("mini_docker_mdemo0"),
        "the table was left behind"
    );
    MountTable::read().assert_same_as(&mounts);

    let mut session = Session::new();
    session.replace(rootfs.display().to_string(), "$ROOTFS");
    session.record("chapter08 walk $ROOTFS", &output);
    session.assert_matches_book("ch08-walk");
}
