//! The host's mount table, to prove a test left no mount behind.

/// The mount points of the calling process's mount namespace, from `/proc/self/mountinfo`
/// (proc(5)): field 5 is the mount point. Sorted, so two tables compare as sets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MountTable {
    pub mount_points: Vec<String>,
}

impl MountTable {
    pub fn read() -> Self {
        let text = std::fs::read_to_string("/proc/self/mountinfo")
            .expect("/proc/self/mountinfo is readable on every Linux");
        let mut mount_points: Vec<String> = text
            .lines()
            .filter_map(|line| line.split(' ').nth(4))
            .map(str::to_owned)
            .collect();
        mount_points.sort();
        MountTable { mount_points }
    }

    /// Panics, listing the difference, if the table is not what it was in `before`.
    pub fn assert_same_as(&self, before: &MountTable) {
        let added: Vec<_> = self
            .mount_points
            .iter()
            .filter(|m| !before.mount_points.contains(m))
            .collect();
        let removed: Vec<_> = before
            .mount_points
            .iter()
            .filter(|m| !self.mount_points.contains(m))
            .collect();
        assert!(
            added.is_empty() && removed.is_empty() && self == before,
            "host mount table changed: added {added:?}, removed {removed:?}"
        );
    }
}
