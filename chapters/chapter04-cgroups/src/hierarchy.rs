//! Where the cgroup filesystems are: one cgroup2 tree, or one v1 tree per controller.
//!
//! Detection goes by what is mounted, not by guessing paths: on some hosts `cpu` and
//! `cpuacct` share one v1 hierarchy (`/sys/fs/cgroup/cpu,cpuacct`), on others each has its
//! own. A hybrid host (v1 controllers plus an empty cgroup2 tree) is used as v1, like docker.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use chapter03::doctor::CgroupMode;

use crate::plan::{Controller, Version};

/// The cgroup trees this process sees.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Hierarchy {
    /// Each v1 controller's mount point.
    V1 {
        mounts: BTreeMap<Controller, PathBuf>,
    },
    /// The cgroup2 mount point.
    V2 { root: PathBuf },
}

const V1_CONTROLLERS: [Controller; 7] = [
    Controller::Memory,
    Controller::Cpu,
    Controller::Cpuacct,
    Controller::Cpuset,
    Controller::Pids,
    Controller::Io,
    Controller::Freezer,
];

impl Hierarchy {
    /// Reads the host's layout from `/sys/fs/cgroup` (its filesystem type) and
    /// `/proc/self/mountinfo` (where each v1 controller is mounted).
    pub fn detect() -> Result<Self, String> {
        match CgroupMode::detect() {
            Some(CgroupMode::V2) => Ok(Hierarchy::V2 {
                root: PathBuf::from("/sys/fs/cgroup"),
            }),
            Some(CgroupMode::V1 | CgroupMode::Hybrid) => {
                let mountinfo = std::fs::read_to_string("/proc/self/mountinfo")
                    .map_err(|e| format!("cannot read /proc/self/mountinfo: {e}"))?;
                Ok(Hierarchy::V1 {
                    mounts: v1_mounts(&mountinfo),
                })
            }
            None => Err("no cgroup filesystem at /sys/fs/cgroup (see mini-docker doctor)".into()),
        }
    }

    /// A v1 layout under `root` (`root/memory`, `root/cpu`, ...): for a fake cgroupfs.
    pub fn v1_under(root: &Path) -> Self {
        Hierarchy::V1 {
            mounts: V1_CONTROLLERS
                .into_iter()
                .map(|c| (c, root.join(c.v1_name())))
                .collect(),
        }
    }

    /// Whether this is a real cgroup filesystem (rather than a fake one in a temp dir).
    pub fn is_real(&self) -> bool {
        let probe = match self {
            Hierarchy::V1 { mounts } => mounts.values().next(),
            Hierarchy::V2 { root } => Some(root),
        };
        probe.is_some_and(|path| crate::cgroup::on_cgroupfs(path))
    }

    pub fn version(&self) -> Version {
        match self {
            Hierarchy::V1 { .. } => Version::V1,
            Hierarchy::V2 { .. } => Version::V2,
        }
    }
}

// ANCHOR: v1_mounts
/// v1 controllers by mount point, from mountinfo lines such as
/// `35 25 0:30 / /sys/fs/cgroup/cpu,cpuacct rw,... - cgroup cgroup rw,cpu,cpuacct`:
/// the filesystem type after ` - ` is `cgroup`, and the super options name the controllers.
pub fn v1_mounts(mountinfo: &str) -> BTreeMap<Controller, PathBuf> {
    let mut mounts = BTreeMap::new();
    for line in mountinfo.lines() {
        let Some((before, after)) = line.split_once(" - ") else {
            continue;
        };
        let mut fields = after.split(' ');
        if fields.next() != Some("cgroup") {
            continue;
        }
        let options = fields.nth(1).unwrap_or_default();
        let Some(mount_point) = before.split(' ').nth(4) else {
            continue;
        };
        for controller in V1_CONTROLLERS {
            if options.split(',').any(|o| o == controller.v1_name()) {
                mounts
                    .entry(controller)
                    .or_insert_with(|| PathBuf::from(mount_point));
            }
        }
    }
    mounts
}
// ANCHOR_END: v1_mounts

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn co_mounted_and_separate_controllers() {
        let mountinfo = "\
30 25 0:26 / /sys/fs/cgroup/unified rw - cgroup2 cgroup2 rw
35 25 0:30 / /sys/fs/cgroup/cpu,cpuacct rw,nosuid - cgroup cgroup rw,cpu,cpuacct
36 25 0:31 / /sys/fs/cgroup/memory rw,nosuid - cgroup cgroup rw,memory
37 25 0:32 / /sys/fs/cgroup/systemd rw - cgroup cgroup rw,xattr,name=systemd
";
        let mounts = v1_mounts(mountinfo);
        assert_eq!(
            mounts[&Controller::Cpu],
            Path::new("/sys/fs/cgroup/cpu,cpuacct")
        );
        assert_eq!(
            mounts[&Controller::Cpuacct],
            Path::new("/sys/fs/cgroup/cpu,cpuacct")
        );
        assert_eq!(
            mounts[&Controller::Memory],
            Path::new("/sys/fs/cgroup/memory")
        );
        assert!(!mounts.contains_key(&Controller::Pids));
    }
}
