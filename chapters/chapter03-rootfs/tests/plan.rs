//! Snapshots of chapter 3's pure parts: the container plan and doctor's verdicts.
// In a test, a failed unwrap is a failed test with its reason: exactly what we want.
#![allow(clippy::unwrap_used)]

use chapter03::chapter02::{Namespace, NamespaceSet};
use chapter03::doctor::{diagnose, HostFacts, Report};
use chapter03::ContainerConfig;

const ROOTFS: &str = "/var/lib/mini-docker/rootfs/busybox";

fn config(namespaces: NamespaceSet) -> ContainerConfig {
    let mut config = ContainerConfig::new(
        ROOTFS,
        vec!["/bin/sh".into(), "-c".into(), "ps".into()],
        "web",
    );
    config.namespaces = namespaces;
    config
}

#[test]
fn the_plan_of_a_default_container() {
    let mut config = config(NamespaceSet::container_default());
    config.working_dir = Some("/srv/app".into());
    config.env = vec!["MODE=demo".into()];
    let plan = config.plan_for(ROOTFS.as_ref()).unwrap();
    let env = plan.exec.env.join("\n");
    insta::assert_snapshot!(format!("{plan}\nenvironment:\n{env}"));
}

#[test]
fn the_plan_with_the_hosts_pid_namespace() {
    let mut namespaces = NamespaceSet::container_default();
    namespaces.remove(Namespace::Pid);
    namespaces.remove(Namespace::Ipc);
    let plan = config(namespaces).plan_for(ROOTFS.as_ref()).unwrap();
    insta::assert_snapshot!(plan.to_string());
}

#[test]
fn the_plan_in_a_user_namespace_binds_devices() {
    let plan = config("all".parse().unwrap())
        .plan_for(ROOTFS.as_ref())
        .unwrap();
    insta::assert_snapshot!(plan.to_string());
}

#[test]
fn a_rootfs_needs_a_mount_namespace() {
    let error = config("uts,pid".parse().unwrap())
        .plan_for(ROOTFS.as_ref())
        .err()
        .unwrap();
    assert_eq!(error.exit_code(), 125);
    insta::assert_snapshot!(error.to_string());
}

#[test]
fn bad_rootfs_paths_are_refused_before_anything_happens() {
    let root = testkit::TempRoot::new();
    std::fs::write(root.join("file"), "").unwrap();
    std::fs::create_dir(root.join("linked")).unwrap();
    std::os::unix::fs::symlink("/etc", root.join("linked/proc")).unwrap();
    let cases = [
        ("/no/such/rootfs".to_owned(), "does not exist"),
        (
            root.join("file").display().to_string(),
            "is not a directory",
        ),
        ("/".to_owned(), "host's own root"),
        (
            root.join("linked").display().to_string(),
            "/proc is a symlink",
        ),
    ];
    for (rootfs, expected) in cases {
        let config = ContainerConfig::new(&rootfs, vec!["true".into()], "web");
        let error = config.prepare().err().unwrap();
        assert!(error.to_string().contains(expected), "{rootfs}: {error}");
        assert_eq!(error.exit_code(), 125);
    }
}

fn healthy_host() -> HostFacts {
    HostFacts {
        euid: 0,
        kernel_release: "6.1.0-18-amd64".into(),
        cgroup_root_magic: Some(0x6367_7270),
        cgroup_unified_magic: None,
        filesystems: "nodev\tsysfs\nnodev\tproc\nnodev\toverlay\n\text4\n".into(),
        max_user_namespaces: Some(63_000),
        root_mountinfo: Some(
            "26 1 254:1 / / rw,relatime shared:1 - ext4 /dev/vda1 rw,errors=remount-ro".into(),
        ),
        busybox: Ok("/bin/busybox".into()),
    }
}

#[test]
fn doctor_on_made_up_hosts() {
    let mut hybrid_user = healthy_host();
    hybrid_user.euid = 1000;
    hybrid_user.cgroup_root_magic = Some(0x0102_1994);
    hybrid_user.cgroup_unified_magic = Some(0x6367_7270);
    hybrid_user.root_mountinfo = Some("22 1 8:1 / / rw,relatime - ext4 /dev/sda1 rw".into());

    let mut broken = healthy_host();
    broken.kernel_release = "4.19.0".into();
    broken.cgroup_root_magic = Some(0x0102_1994);
    broken.filesystems = "nodev\tproc\n\text4\n".into();
    broken.max_user_namespaces = Some(0);
    broken.root_mountinfo = Some("1 0 0:2 / / rw - rootfs rootfs rw".into());
    broken.busybox = Err("/bin/busybox is not statically linked".into());

    let mut report = String::new();
    for (name, facts) in [
        ("healthy cgroup v2 host", healthy_host()),
        ("hybrid host, not root", hybrid_user),
        ("a host with every problem", broken),
    ] {
        let checks = diagnose(&facts);
        report.push_str(&format!("== {name}\n{}\n", Report(&checks)));
    }
    insta::assert_snapshot!(report);
}

#[test]
fn book_transcript_of_a_plan() {
    // Printing a plan needs no root, only a rootfs to check.
    let root = testkit::TempRoot::new();
    let busybox = chapter03::busybox::find_host_busybox()
        .expect("busybox-static is installed (cargo xtask setup)");
    let rootfs = chapter03::busybox::build_rootfs(&root.join("busybox"), &busybox)
        .unwrap()
        .path;
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_chapter03"))
        .args(["plan", rootfs.to_str().unwrap(), "/bin/sh"])
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    let mut session = testkit::Session::new();
    session.replace(rootfs.display().to_string(), "/home/you/busybox");
    session.record("cargo run -p chapter03 -- plan ./busybox /bin/sh", &output);
    session.assert_matches_book("ch03-plan");
}
