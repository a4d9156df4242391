//! The chapter 3 demo, live (root): a container in its own root filesystem.
// In a test, a failed unwrap is a failed test with its reason: exactly what we want.
#![allow(clippy::unwrap_used)]

use std::path::Path;
use std::process::{Command, Output};

use chapter03::busybox::{build_rootfs, find_host_busybox};
use testkit::{require_root, MountTable, Session, TempRoot};

/// A fresh busybox rootfs in the test's own temp dir.
fn busybox_rootfs(root: &TempRoot) -> std::path::PathBuf {
    let busybox = find_host_busybox().expect("busybox-static is installed (cargo xtask setup)");
    build_rootfs(&root.join("rootfs"), &busybox).unwrap().path
}

fn demo(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_chapter03"))
        .args(args)
        .output()
        .expect("the chapter03 demo runs")
}

fn run_in(rootfs: &Path, script: &str) -> Output {
    demo(&["run", rootfs.to_str().unwrap(), "/bin/sh", "-c", script])
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

#[test]
fn ps_sees_only_the_containers_processes() {
    if !require_root("chapter03: ps inside") {
        return;
    }
    let root = TempRoot::new();
    let rootfs = busybox_rootfs(&root);
    // `; exit 0` keeps the shell around (it would exec a lone last command in its place).
    let output = run_in(&rootfs, "ps -o pid,comm; exit 0");
    assert!(output.status.success(), "{output:?}");
    let text = stdout(&output);
    let processes: Vec<&str> = text
        .lines()
        .filter(|line| line.trim_start().starts_with(|c: char| c.is_ascii_digit()))
        .collect();
    // PID 1 is the shell, and ps itself: nothing from the host.
    assert_eq!(processes.len(), 2, "{text}");
    assert!(processes[0].trim_start().starts_with("1 "), "{text}");
}

#[test]
fn slash_is_the_rootfs_and_the_old_root_is_gone() {
    if !require_root("chapter03: old root gone") {
        return;
    }
    let root = TempRoot::new();
    let rootfs = busybox_rootfs(&root);
    std::fs::write(rootfs.join("marker"), "inside\n").unwrap();
    let output = run_in(&rootfs, "cat /marker; cut -d' ' -f5 /proc/self/mountinfo");
    assert!(output.status.success(), "{output:?}");
    let text = stdout(&output);
    let mut lines = text.lines().skip(1);
    assert_eq!(lines.next(), Some("inside"));
    let mut mount_points: Vec<&str> = lines.take_while(|l| !l.starts_with("host:")).collect();
    mount_points.sort();
    // Only the container's own mounts: no path of the host's is reachable any more.
    assert_eq!(
        mount_points,
        [
            "/",
            "/dev",
            "/dev/mqueue",
            "/dev/pts",
            "/dev/shm",
            "/proc",
            "/sys"
        ],
        "{text}"
    );
}

#[test]
fn sys_is_read_only_and_proc_is_nosuid_noexec_nodev() {
    if !require_root("chapter03: /sys read-only") {
        return;
    }
    let root = TempRoot::new();
    let rootfs = busybox_rootfs(&root);
    let output = run_in(
        &rootfs,
        "grep -E ' /(sys|proc) ' /proc/mounts; echo x > /sys/kernel/uevent_helper && echo WROTE",
    );
    let text = stdout(&output);
    assert!(
        text.contains("sysfs /sys sysfs ro,nosuid,nodev,noexec"),
        "{text}"
    );
    assert!(
        text.contains("proc /proc proc rw,nosuid,nodev,noexec"),
        "{text}"
    );
    assert!(!text.contains("WROTE"), "{text}");
}

#[test]
fn dev_has_only_the_safe_devices() {
    if !require_root("chapter03: /dev") {
        return;
    }
    let root = TempRoot::new();
    let rootfs = busybox_rootfs(&root);
    let output = run_in(
        &rootfs,
        "ls /dev; head -c 4 /dev/zero | wc -c; echo hi > /dev/null",
    );
    assert!(output.status.success(), "{output:?}");
    let text = stdout(&output);
    let entries: Vec<&str> = text
        .lines()
        .skip(1)
        .take_while(|l| !l.trim().starts_with('4'))
        .collect();
    assert_eq!(
        entries,
        [
            "fd", "full", "mqueue", "null", "ptmx", "pts", "random", "shm", "stderr", "stdin",
            "stdout", "tty", "urandom", "zero"
        ],
        "{text}"
    );
}

#[test]
fn the_host_mount_table_is_unchanged_after_success_and_failure() {
    if !require_root("chapter03: no mount leak") {
        return;
    }
    let root = TempRoot::new();
    let rootfs = busybox_rootfs(&root);
    let before = MountTable::read();
    assert!(run_in(&rootfs, "mount | wc -l").status.success());
    assert_eq!(run_in(&rootfs, "exit 3").status.code(), Some(3));
    let missing = demo(&["run", rootfs.to_str().unwrap(), "/no/such/program"]);
    assert_eq!(missing.status.code(), Some(127));
    // A setup failure after some mounts were made: /dev/pts cannot be created, because in
    // this rootfs /dev... is fine, but a file named `sys` makes the sysfs mount fail.
    let broken = root.join("broken");
    std::fs::create_dir(&broken).unwrap();
    std::fs::write(broken.join("sys"), "not a directory").unwrap();
    let failed = demo(&["run", broken.to_str().unwrap(), "/bin/true"]);
    assert_eq!(failed.status.code(), Some(125), "{failed:?}");
    assert!(
        String::from_utf8_lossy(&failed.stderr).contains("sysfs"),
        "{failed:?}"
    );
    MountTable::read().assert_same_as(&before);
}

#[test]
fn nothing_leaks_even_where_the_hosts_root_is_shared() {
    if !require_root("chapter03: shared / propagation") {
        return;
    }
    // systemd makes / shared; this machine may not. unshare(1) gives the demo a mount
    // namespace of its own whose / is shared, so the first step of the plan (make it all
    // private) has to earn its place: without it pivot_root fails with EINVAL and the
    // container's mounts would show up in the demo's namespace.
    let root = TempRoot::new();
    let rootfs = busybox_rootfs(&root);
    let output = Command::new("unshare")
        .args(["--mount", "--propagation", "shared", "--"])
        .arg(env!("CARGO_BIN_EXE_chapter03"))
        .args([
            "run",
            rootfs.to_str().unwrap(),
            "/bin/sh",
            "-c",
            "mount | wc -l",
        ])
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    assert!(
        stdout(&output).contains("host:   mount table unchanged"),
        "{output:?}"
    );
}

#[test]
fn a_user_namespace_container_is_root_inside_and_binds_its_devices() {
    if !require_root("chapter03: user namespace rootfs") {
        return;
    }
    let root = TempRoot::new();
    let rootfs = busybox_rootfs(&root);
    let output = demo(&[
        "run",
        "--ns",
        "all",
        rootfs.to_str().unwrap(),
        "/bin/sh",
        "-c",
        "id -u; cat /proc/self/uid_map; echo ok > /dev/null && grep -c ' /dev/null ' /proc/self/mountinfo",
    ]);
    assert!(output.status.success(), "{output:?}");
    let text = stdout(&output);
    let lines: Vec<&str> = text.lines().skip(1).take(3).collect();
    assert_eq!(lines[0], "0", "{text}");
    assert_eq!(
        lines[1].split_whitespace().collect::<Vec<_>>(),
        ["0", "100000", "65536"],
        "{text}"
    );
    // mknod is not allowed in a user namespace: /dev/null is the host's, bind-mounted.
    assert_eq!(lines[2], "1", "{text}");
}

#[test]
fn book_transcript() {
    if !require_root("chapter03: book transcript") {
        return;
    }
    let root = TempRoot::new();
    let rootfs = busybox_rootfs(&root);
    let shown = "./busybox";
    let mut session = Session::new();
    session.replace(rootfs.display().to_string(), shown);
    // The line for `/` names the host's disk and its options; they differ between machines.
    let output = run_in(&rootfs, "mount | grep ' on / '");
    let root_line = stdout(&output)
        .lines()
        .nth(1)
        .unwrap_or_default()
        .to_owned();
    session.replace(root_line, "<host disk> on / type <fs> (<options>)");
    // Kernels built with CONFIG_TMPFS_INODE64 add this option to every tmpfs.
    session.replace(",inode64)", ")");
    session.record(
        &format!("sudo cargo run -p chapter03 -- run {shown} /bin/sh -c 'ps; ls /; mount'"),
        &run_in(&rootfs, "ps; ls /; mount"),
    );
    session.assert_matches_book("ch03-run");
}
