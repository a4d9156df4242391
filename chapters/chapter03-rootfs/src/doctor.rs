//! `mini-docker doctor`: can this host run containers? One check per requirement, each with
//! a fix when it fails.
//!
//! Split like everything else: [`HostFacts::gather`] reads the host (files under `/proc` and
//! `/sys`, `statfs`, `uname`), [`diagnose`] is a pure function from facts to verdicts, so the
//! verdicts are snapshot-tested with made-up hosts.

use std::fmt;

use crate::busybox::{find_host_busybox, HOST_BUSYBOX_CANDIDATES};

const CGROUP2_SUPER_MAGIC: i64 = 0x6367_7270;
const TMPFS_MAGIC: i64 = 0x0102_1994;

/// Raw facts about the host, as read.
#[derive(Debug, Clone)]
pub struct HostFacts {
    pub euid: u32,
    /// `uname -r`.
    pub kernel_release: String,
    /// `statfs("/sys/fs/cgroup").f_type`, if it exists.
    pub cgroup_root_magic: Option<i64>,
    /// `statfs("/sys/fs/cgroup/unified").f_type`, if it exists (hybrid hosts).
    pub cgroup_unified_magic: Option<i64>,
    /// Contents of `/proc/filesystems`.
    pub filesystems: String,
    /// `/proc/sys/user/max_user_namespaces`.
    pub max_user_namespaces: Option<u64>,
    /// The line of `/proc/self/mountinfo` whose mount point is `/`.
    pub root_mountinfo: Option<String>,
    /// A statically linked busybox, or why there is none.
    pub busybox: Result<String, String>,
}

/// How a check came out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Ok,
    Warn,
    Fail,
}

/// One line of the report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Check {
    pub name: &'static str,
    pub verdict: Verdict,
    pub detail: String,
    /// What to do about it, for `Warn` and `Fail`.
    pub fix: Option<String>,
}

/// The cgroup layout of a host (chapter 4 builds on this).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CgroupMode {
    /// Only cgroup v1 hierarchies, one per controller.
    V1,
    /// v1 controllers plus an empty cgroup2 hierarchy at `/sys/fs/cgroup/unified`.
    Hybrid,
    /// One cgroup2 hierarchy at `/sys/fs/cgroup` ("unified").
    V2,
}

impl CgroupMode {
    /// Tells the mode from the filesystem types, as read by `statfs(2)`.
    pub fn from_magic(root: Option<i64>, unified: Option<i64>) -> Option<Self> {
        match (root?, unified) {
            (CGROUP2_SUPER_MAGIC, _) => Some(CgroupMode::V2),
            (TMPFS_MAGIC, Some(CGROUP2_SUPER_MAGIC)) => Some(CgroupMode::Hybrid),
            (TMPFS_MAGIC, _) => Some(CgroupMode::V1),
            _ => None,
        }
    }
}

impl CgroupMode {
    /// The running host's mode: two `statfs(2)` calls.
    pub fn detect() -> Option<Self> {
        CgroupMode::from_magic(
            statfs_magic("/sys/fs/cgroup"),
            statfs_magic("/sys/fs/cgroup/unified"),
        )
    }
}

/// The filesystem type of `path` (its `statfs(2)` magic number), if it exists.
fn statfs_magic(path: &str) -> Option<i64> {
    // f_type is an i64 on x86_64 but narrower on other targets, hence the cast.
    #[allow(clippy::unnecessary_cast)]
    nix::sys::statfs::statfs(path)
        .ok()
        .map(|s| s.filesystem_type().0 as i64)
}

impl HostFacts {
    /// Reads the facts from the running host.
    pub fn gather() -> Self {
        let read = |path: &str| std::fs::read_to_string(path).ok();
        HostFacts {
            euid: nix::unistd::geteuid().as_raw(),
            kernel_release: nix::sys::utsname::uname()
                .map(|u| u.release().to_string_lossy().into_owned())
                .unwrap_or_default(),
            cgroup_root_magic: statfs_magic("/sys/fs/cgroup"),
            cgroup_unified_magic: statfs_magic("/sys/fs/cgroup/unified"),
            filesystems: read("/proc/filesystems").unwrap_or_default(),
            max_user_namespaces: read("/proc/sys/user/max_user_namespaces")
                .and_then(|s| s.trim().parse().ok()),
            root_mountinfo: read("/proc/self/mountinfo").and_then(|text| {
                text.lines()
                    .find(|line| line.split(' ').nth(4) == Some("/"))
                    .map(str::to_owned)
            }),
            busybox: find_host_busybox().map(|p| p.display().to_string()),
        }
    }
}

// ANCHOR: diagnose
/// Turns facts into checks. Pure.
pub fn diagnose(facts: &HostFacts) -> Vec<Check> {
    vec![
        check_root(facts),
        check_kernel(facts),
        check_cgroups(facts),
        check_overlay(facts),
        check_user_namespaces(facts),
        check_root_mount(facts),
        check_busybox(facts),
    ]
}
// ANCHOR_END: diagnose

fn ok(name: &'static str, detail: String) -> Check {
    Check {
        name,
        verdict: Verdict::Ok,
        detail,
        fix: None,
    }
}

fn problem(name: &'static str, verdict: Verdict, detail: String, fix: &str) -> Check {
    Check {
        name,
        verdict,
        detail,
        fix: Some(fix.to_owned()),
    }
}

fn check_root(facts: &HostFacts) -> Check {
    if facts.euid == 0 {
        ok("root", "running as uid 0".into())
    } else {
        problem(
            "root",
            Verdict::Fail,
            format!(
                "running as uid {}: namespaces, mounts and cgroups need root",
                facts.euid
            ),
            "run mini-docker with sudo (or as root)",
        )
    }
}

fn check_kernel(facts: &HostFacts) -> Check {
    let mut numbers = facts
        .kernel_release
        .split(|c: char| !c.is_ascii_digit())
        .filter_map(|n| n.parse::<u32>().ok());
    let version = (numbers.next().unwrap_or(0), numbers.next().unwrap_or(0));
    let release = &facts.kernel_release;
    if version >= (5, 11) {
        ok("kernel", format!("{release} (5.11 or newer)"))
    } else if version >= (4, 18) {
        problem(
            "kernel",
            Verdict::Warn,
            format!("{release}: older than 5.11, some features fall back to slower paths"),
            "use a kernel from 5.11 on (Debian 12 and Ubuntu 22.04 ship newer ones)",
        )
    } else {
        problem(
            "kernel",
            Verdict::Fail,
            format!("{release}: too old (needs 4.18 or newer)"),
            "upgrade the kernel",
        )
    }
}

fn check_cgroups(facts: &HostFacts) -> Check {
    match CgroupMode::from_magic(facts.cgroup_root_magic, facts.cgroup_unified_magic) {
        Some(CgroupMode::V2) => ok("cgroups", "v2 (unified hierarchy at /sys/fs/cgroup)".into()),
        Some(CgroupMode::Hybrid) => ok(
            "cgroups",
            "hybrid: v1 controllers, cgroup2 at /sys/fs/cgroup/unified".into(),
        ),
        Some(CgroupMode::V1) => ok("cgroups", "v1 (one hierarchy per controller)".into()),
        None => problem(
            "cgroups",
            Verdict::Fail,
            "no cgroup filesystem at /sys/fs/cgroup".into(),
            "mount cgroup2: mount -t cgroup2 none /sys/fs/cgroup",
        ),
    }
}

fn check_overlay(facts: &HostFacts) -> Check {
    let supported = facts
        .filesystems
        .lines()
        .any(|line| line.split_whitespace().last() == Some("overlay"));
    if supported {
        ok("overlayfs", "supported".into())
    } else {
        problem(
            "overlayfs",
            Verdict::Fail,
            "overlay is not in /proc/filesystems".into(),
            "load the module: modprobe overlay",
        )
    }
}

fn check_user_namespaces(facts: &HostFacts) -> Check {
    match facts.max_user_namespaces {
        Some(0) => problem(
            "user namespaces",
            Verdict::Fail,
            "disabled (user.max_user_namespaces = 0)".into(),
            "sysctl -w user.max_user_namespaces=15000",
        ),
        Some(max) => ok("user namespaces", format!("allowed (max {max})")),
        None => problem(
            "user namespaces",
            Verdict::Fail,
            "not supported by this kernel".into(),
            "use a kernel built with CONFIG_USER_NS=y",
        ),
    }
}

fn check_root_mount(facts: &HostFacts) -> Check {
    let Some(line) = &facts.root_mountinfo else {
        return problem(
            "/ mount",
            Verdict::Fail,
            "no mount for / in /proc/self/mountinfo".into(),
            "is /proc mounted?",
        );
    };
    // mountinfo: ... mount-point options [optional fields...] - fstype source super-options
    let (before, after) = line.split_once(" - ").unwrap_or((line, ""));
    let fstype = after.split(' ').next().unwrap_or("?");
    let optional: Vec<&str> = before.split(' ').skip(6).collect();
    let propagation = if optional.iter().any(|f| f.starts_with("shared:")) {
        "shared"
    } else if optional.iter().any(|f| f.starts_with("master:")) {
        "slave"
    } else {
        "private"
    };
    if matches!(fstype, "rootfs" | "ramfs") {
        return problem(
            "/ mount",
            Verdict::Fail,
            format!("/ is the initial {fstype}: pivot_root cannot move it"),
            "run from a system booted into a real root filesystem (not an initramfs)",
        );
    }
    ok(
        "/ mount",
        format!(
            "{fstype}, propagation {propagation} (containers make their copy private before pivot_root)"
        ),
    )
}

fn check_busybox(facts: &HostFacts) -> Check {
    match &facts.busybox {
        Ok(path) => ok("busybox", format!("{path}, statically linked")),
        Err(why) => problem(
            "busybox",
            Verdict::Fail,
            format!("{why} (looked in {})", HOST_BUSYBOX_CANDIDATES.join(", ")),
            "apt-get install busybox-static, then cargo xtask setup",
        ),
    }
}

/// The report as printed by `mini-docker doctor`.
pub struct Report<'a>(pub &'a [Check]);

impl Report<'_> {
    pub fn failed(&self) -> bool {
        self.0.iter().any(|c| c.verdict == Verdict::Fail)
    }
}

impl fmt::Display for Report<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for check in self.0 {
            let mark = match check.verdict {
                Verdict::Ok => "ok",
                Verdict::Warn => "warn",
                Verdict::Fail => "FAIL",
            };
            writeln!(f, "[{mark:>4}] {:<16} {}", check.name, check.detail)?;
            if let Some(fix) = &check.fix {
                writeln!(f, "       {:<16} fix: {fix}", "")?;
            }
        }
        let failures = self.0.iter().filter(|c| c.verdict == Verdict::Fail).count();
        match failures {
            0 => writeln!(f, "all checks passed"),
            n => writeln!(f, "{n} check(s) failed"),
        }
    }
}
