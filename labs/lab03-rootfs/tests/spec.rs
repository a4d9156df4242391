//! Lab 3 spec — DO NOT MODIFY. Points per test are in points.toml.
// In a test, a failed unwrap is a failed test with its reason: exactly what we want.
#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};

use chapter01::ExitStatus;
use lab03::{check_rootfs, mount_plan, run_in_rootfs, Step};
use nix::mount::MsFlags;

const ROOTFS: &str = "/srv/rootfs";

fn mounts(plan: &[Step]) -> Vec<(String, PathBuf, MsFlags, Option<String>)> {
    plan.iter()
        .filter_map(|step| match step {
            Step::Mount {
                fstype,
                target,
                flags,
                data,
            } => Some((fstype.clone(), target.clone(), *flags, data.clone())),
            _ => None,
        })
        .collect()
}

fn mount_at(plan: &[Step], target: &str) -> (String, MsFlags, Option<String>) {
    mounts(plan)
        .into_iter()
        .find(|(_, t, _, _)| t == Path::new(target))
        .map(|(fstype, _, flags, data)| (fstype, flags, data))
        .unwrap_or_else(|| panic!("no mount at {target}"))
}

#[test]
fn task1_private_first_bind_second_pivot_last() {
    let plan = mount_plan(Path::new(ROOTFS), "mnt,pid,uts");
    assert_eq!(plan.first(), Some(&Step::MakePrivate));
    assert_eq!(
        plan.get(1),
        Some(&Step::BindRoot {
            path: ROOTFS.into()
        })
    );
    assert_eq!(
        plan.last(),
        Some(&Step::PivotRoot {
            new_root: ROOTFS.into()
        })
    );
    let pivots = plan
        .iter()
        .filter(|s| matches!(s, Step::PivotRoot { .. }))
        .count();
    assert_eq!(pivots, 1);
}

#[test]
fn task1_proc_and_sys_with_safe_flags() {
    let plan = mount_plan(Path::new(ROOTFS), "mnt,pid");
    let safe = MsFlags::MS_NOSUID | MsFlags::MS_NODEV | MsFlags::MS_NOEXEC;
    let (fstype, flags, _) = mount_at(&plan, "/srv/rootfs/proc");
    assert_eq!(fstype, "proc");
    assert!(flags.contains(safe) && !flags.contains(MsFlags::MS_RDONLY));
    let (fstype, flags, _) = mount_at(&plan, "/srv/rootfs/sys");
    assert_eq!(fstype, "sysfs");
    assert!(flags.contains(safe | MsFlags::MS_RDONLY));
}

#[test]
fn task1_dev_gets_exactly_the_safe_devices_after_its_tmpfs() {
    let plan = mount_plan(Path::new(ROOTFS), "mnt,pid");
    let dev_mount = plan
        .iter()
        .position(|s| matches!(s, Step::Mount { target, fstype, .. } if target == Path::new("/srv/rootfs/dev") && fstype == "tmpfs"))
        .expect("a tmpfs at /dev");
    let devices: Vec<(usize, String, u64, u64)> = plan
        .iter()
        .enumerate()
        .filter_map(|(i, s)| match s {
            Step::CharDevice { path, major, minor } => Some((
                i,
                path.file_name()?.to_string_lossy().into_owned(),
                *major,
                *minor,
            )),
            _ => None,
        })
        .collect();
    assert!(
        devices.iter().all(|(i, ..)| *i > dev_mount),
        "devices before the /dev tmpfs"
    );
    let mut named: Vec<(String, u64, u64)> = devices
        .into_iter()
        .map(|(_, n, ma, mi)| (n, ma, mi))
        .collect();
    named.sort();
    assert_eq!(
        named,
        [
            ("full".to_owned(), 1, 7),
            ("null".to_owned(), 1, 3),
            ("random".to_owned(), 1, 8),
            ("tty".to_owned(), 5, 0),
            ("urandom".to_owned(), 1, 9),
            ("zero".to_owned(), 1, 5),
        ]
    );
    let links: Vec<String> = plan
        .iter()
        .filter_map(|s| match s {
            Step::Symlink { link, .. } => Some(link.display().to_string()),
            _ => None,
        })
        .collect();
    for name in ["fd", "stdin", "stdout", "stderr", "ptmx"] {
        assert!(
            links.contains(&format!("/srv/rootfs/dev/{name}")),
            "{name}: {links:?}"
        );
    }
}

#[test]
fn task1_a_user_namespace_binds_host_devices() {
    let plan = mount_plan(Path::new(ROOTFS), "all");
    assert!(!plan.iter().any(|s| matches!(s, Step::CharDevice { .. })));
    assert!(plan.contains(&Step::BindDevice {
        host: "/dev/null".into(),
        path: "/srv/rootfs/dev/null".into()
    }));
}

#[test]
fn task1_pts_shm_and_mqueue() {
    let plan = mount_plan(Path::new(ROOTFS), "mnt,pid,ipc");
    let (fstype, _, data) = mount_at(&plan, "/srv/rootfs/dev/pts");
    assert_eq!(fstype, "devpts");
    assert!(data.unwrap_or_default().contains("newinstance"));
    assert_eq!(mount_at(&plan, "/srv/rootfs/dev/shm").0, "tmpfs");
    assert_eq!(mount_at(&plan, "/srv/rootfs/dev/mqueue").0, "mqueue");
    let without_ipc = mount_plan(Path::new(ROOTFS), "mnt,pid");
    assert!(mounts(&without_ipc)
        .iter()
        .all(|(fstype, ..)| fstype != "mqueue"));
    // Every mount lands inside the rootfs.
    for (_, target, _, _) in mounts(&plan) {
        assert!(target.starts_with(ROOTFS), "{}", target.display());
    }
}

#[test]
fn task2_check_rootfs() {
    let dir = testkit::TempRoot::new();
    std::fs::write(dir.join("file"), "").unwrap();
    let error = check_rootfs(Path::new("/no/such/dir")).unwrap_err();
    assert!(error.contains("does not exist"), "{error}");
    let error = check_rootfs(&dir.join("file")).unwrap_err();
    assert!(error.contains("is not a directory"), "{error}");
    let error = check_rootfs(Path::new("/")).unwrap_err();
    assert!(error.contains("host's own root"), "{error}");
    std::os::unix::fs::symlink(dir.path(), dir.join("link")).unwrap();
    assert_eq!(
        check_rootfs(&dir.join("link")).unwrap(),
        std::fs::canonicalize(dir.path()).unwrap()
    );
}

#[test]
fn task3_run_in_its_own_root() {
    if !testkit::require_root("lab03 task 3") {
        return;
    }
    let dir = testkit::TempRoot::new();
    let rootfs = dir.join("rootfs");
    for sub in ["bin", "proc", "sys", "dev"] {
        std::fs::create_dir_all(rootfs.join(sub)).unwrap();
    }
    std::fs::copy("/bin/busybox", rootfs.join("bin/busybox"))
        .expect("busybox-static is installed (cargo xtask setup)");
    std::os::unix::fs::symlink("busybox", rootfs.join("bin/sh")).unwrap();
    std::fs::write(rootfs.join("marker"), "").unwrap();
    let script = "export PATH=/bin; \
        test -e /marker && \
        test $$ = 1 && \
        test \"$(busybox ls /proc | busybox grep -c '^[0-9]')\" -le 4 && \
        test -c /dev/null && \
        ! busybox touch /sys/x 2>/dev/null";
    let status = run_in_rootfs(&rootfs, &["/bin/sh", "-c", script]).unwrap();
    assert_eq!(status, ExitStatus::Exited(0));
    let status = run_in_rootfs(&rootfs, &["/bin/sh", "-c", "exit 5"]).unwrap();
    assert_eq!(status, ExitStatus::Exited(5));
}
