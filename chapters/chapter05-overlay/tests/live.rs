//! Chapter 5 live (root): copy-on-write in a real overlay, 120 layers, an untouched rootfs,
//! and no mount left behind — also when the overlay mount fails half-way.

// In a test, a failed unwrap is a failed test with its reason: exactly what we want.
#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use chapter05::chapter04::chapter03::busybox::{build_rootfs, find_host_busybox};
use chapter05::{ContainerFs, LayerStore, Lower};
use testkit::{require_root, MountTable, Session, TempRoot};

fn busybox_rootfs(dir: &Path) -> PathBuf {
    let busybox = find_host_busybox().expect("busybox-static is installed (cargo xtask setup)");
    build_rootfs(&dir.join("busybox"), &busybox).unwrap().path
}

fn demo(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_chapter05"))
        .args(args)
        .output()
        .unwrap()
}

#[test]
fn copy_on_write_walkthrough() {
    if !require_root("chapter05: copy-on-write walkthrough") {
        return;
    }
    let dir = TempRoot::new();
    let rootfs = busybox_rootfs(dir.path());
    let mounts = MountTable::read();
    let output = demo(&["cow", rootfs.to_str().unwrap()]);
    assert!(output.status.success(), "{output:?}");
    let text = String::from_utf8_lossy(&output.stdout).into_owned();
    let section = |title: &str| -> String {
        text.split("== ")
            .find(|s| s.starts_with(title))
            .unwrap_or_else(|| panic!("no section {title}: {text}"))
            .to_owned()
    };
    // Add: the new file is in the upper layer, and only it.
    assert!(
        section("add a file").contains("/hello.txt (file, 6 bytes)"),
        "{text}"
    );
    // Read: nothing new.
    assert_eq!(section("read a file").lines().count(), 3, "{text}");
    // Modify: copied up whole, with its directory.
    let modify = section("modify a file");
    assert!(
        modify.contains("/etc (directory)") && modify.contains("/etc/passwd (file,"),
        "{text}"
    );
    // Delete a file: a whiteout.
    assert!(
        section("delete a file").contains("/bin/vi (whiteout: character device 0:0)"),
        "{text}"
    );
    // Delete and remake a directory: opaque.
    assert!(
        section("delete a directory")
            .contains("/var/log (directory, opaque: trusted.overlay.opaque=y)"),
        "{text}"
    );
    let diff = section("docker diff");
    for line in ["D /bin/vi", "C /etc/passwd", "A /hello.txt", "C /var/log"] {
        assert!(diff.contains(line), "{line}: {text}");
    }
    // In a layer tar, the whiteout and the opaque mark are marker files.
    let tar = section("the upper layer as a layer tar");
    for line in [
        "- bin/.wh.vi (0 bytes)",
        "d var/log/",
        "- var/log/.wh..wh..opq (0 bytes)",
    ] {
        assert!(tar.contains(line), "{line}: {text}");
    }
    // The rootfs is the read-only bottom layer: untouched.
    assert!(
        text.contains("/etc/passwd has 2 lines, /bin/vi exists: true"),
        "{text}"
    );
    MountTable::read().assert_same_as(&mounts);

    let mut session = Session::new();
    session.replace(rootfs.display().to_string(), "./busybox");
    session.record("sudo cargo run -p chapter05 -- cow ./busybox", &output);
    session.assert_matches_book("ch05-cow");
}

#[test]
fn a_container_on_120_layers() {
    if !require_root("chapter05: 120 layers") {
        return;
    }
    let dir = TempRoot::new();
    let rootfs = busybox_rootfs(dir.path());
    let output = demo(&["layers", rootfs.to_str().unwrap(), "120"]);
    assert!(output.status.success(), "{output:?}");
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(text.contains("120 image layers + the init layer"), "{text}");
    assert!(
        text.contains("inside: 120 files in /layers, busybox from the bottom layer"),
        "{text}"
    );
}

#[test]
fn a_failing_overlay_mount_leaves_no_mount_and_is_reported() {
    if !require_root("chapter05: failure mid-setup") {
        return;
    }
    let dir = TempRoot::new();
    let rootfs = busybox_rootfs(dir.path());
    let store = LayerStore::open(&dir.join("state")).unwrap();
    let fs = ContainerFs::create(&store, "broken", &Lower::Directory(rootfs.clone()), "x").unwrap();
    // Inject a failure after some mounts were made: the overlay's work directory is gone.
    std::fs::remove_dir(fs.layer.dir.join("work")).unwrap();
    let mounts = MountTable::read();
    let error = fs.run(vec!["/bin/true".into()], "x").err().unwrap();
    assert_eq!(error.exit_code(), 125);
    assert!(error.to_string().contains("mount -t overlay"), "{error}");
    MountTable::read().assert_same_as(&mounts);
    fs.remove();
    assert!(!fs.layer.dir.exists() && !fs.init.dir.exists());
    assert!(rootfs.join("bin/busybox").is_file());
}

#[test]
fn export_demo_writes_a_flat_tar() {
    if !require_root("chapter05: export demo") {
        return;
    }
    let dir = TempRoot::new();
    let rootfs = busybox_rootfs(dir.path());
    let tar_file = dir.join("export.tar");
    let output = demo(&[
        "export",
        rootfs.to_str().unwrap(),
        tar_file.to_str().unwrap(),
    ]);
    assert!(output.status.success(), "{output:?}");
    let list = |pattern: &str| {
        Command::new("sh")
            .arg("-c")
            .arg(format!(
                "tar -tf {} | grep -E '{pattern}'",
                tar_file.display()
            ))
            .output()
            .unwrap()
    };
    let kept = list("^(hello.txt|etc/passwd|bin/vi|bin/busybox)$");
    assert_eq!(
        String::from_utf8_lossy(&kept.stdout),
        "bin/busybox\netc/passwd\nhello.txt\n"
    );
    let whiteouts = list("\\.wh\\.");
    assert_eq!(
        whiteouts.status.code(),
        Some(1),
        "no whiteouts: {whiteouts:?}"
    );

    let mut session = Session::new();
    session.replace(rootfs.display().to_string(), "./busybox");
    session.replace(tar_file.display().to_string(), "export.tar");
    session.record(
        "sudo cargo run -p chapter05 -- export ./busybox export.tar",
        &output,
    );
    session.record(
        "tar -tf export.tar | grep -E '^(hello.txt|etc/passwd|bin/vi|bin/busybox)$'",
        &kept,
    );
    session.record(
        "tar -tf export.tar | grep -c '\\.wh\\.' || true",
        &list_count(&tar_file),
    );
    session.assert_matches_book("ch05-export");
}

fn list_count(tar_file: &Path) -> Output {
    Command::new("sh")
        .arg("-c")
        .arg(format!(
            "tar -tf {} | grep -c '\\.wh\\.' || true",
            tar_file.display()
        ))
        .output()
        .unwrap()
}
