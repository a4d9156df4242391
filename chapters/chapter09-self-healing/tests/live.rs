//! Chapter 9 as root: the demo's flapping container, whose starts must come further and
//! further apart until the policy gives up — and which leaves nothing behind.
// In a test, a failed unwrap is a failed test with its reason: exactly what we want.
#![allow(clippy::unwrap_used)]

use std::process::Command;

use chapter09::chapter08::chapter07::chapter06::chapter05::chapter04::chapter03::busybox::{
    build_rootfs, find_host_busybox,
};
use testkit::{require_root, MountTable, TempRoot};

/// The `(N ms after the exit)` gaps the demo prints: restart delay plus the cost of a start.
fn gaps(text: &str) -> Vec<u64> {
    text.lines()
        .filter_map(|line| {
            line.split("   (")
                .nth(1)?
                .split(" ms after")
                .next()?
                .parse()
                .ok()
        })
        .collect()
}

#[test]
fn the_flapping_container_backs_off_then_gives_up() {
    if !require_root("chapter09: the flapping container") {
        return;
    }
    let temp = TempRoot::new();
    let busybox = find_host_busybox().expect("busybox-static is installed (cargo xtask setup)");
    let rootfs = build_rootfs(&temp.join("rootfs"), &busybox).unwrap().path;
    let state = temp.join("state");
    let mounts = MountTable::read();
    let output = Command::new(env!("CARGO_BIN_EXE_chapter09"))
        .arg("--root")
        .arg(&state)
        .arg("flap")
        .arg(&rootfs)
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(text.contains("start #0 at"), "{text}");
    assert!(text.contains("start #4 at"), "{text}");
    assert!(
        text.contains("gave up: Exited (1) after 4 restarts"),
        "{text}"
    );
    // 100, 200, 400, 800 ms of delay, each counted from the exit and plus the cost of a
    // start: each gap at least its delay, and (loosely) not much more. On an emulated VM a
    // start now and then costs half a second more than usual, so only steps well above
    // that are compared: the last gap is longer than the first.
    let gaps = gaps(&text);
    assert_eq!(gaps.len(), 4, "{text}");
    for (gap, delay) in gaps.iter().zip([100, 200, 400, 800]) {
        assert!(*gap >= delay && *gap < delay + 3000, "{text}");
    }
    assert!(gaps[3] > gaps[0], "{text}");
    // The demo removed its container: no record, no layer, no mount.
    let records: Vec<String> = std::fs::read_dir(state.join("containers"))
        .unwrap()
        .flatten()
        .map(|entry| entry.file_name().to_string_lossy().into_owned())
        .filter(|name| name.len() == 64)
        .collect();
    assert!(records.is_empty(), "{records:?}");
    MountTable::read().assert_same_as(&mounts);
}
