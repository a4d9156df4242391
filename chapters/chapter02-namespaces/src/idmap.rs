//! User-namespace id maps: which ids inside stand for which ids outside.
//!
//! A new user namespace starts with no mapping at all: every id shows up as the overflow id
//! 65534 ("nobody"). A process *outside* writes one line per range to `/proc/PID/uid_map` and
//! `/proc/PID/gid_map` (user_namespaces(7)), once, before the child relies on its ids.

use std::fmt;
use std::path::PathBuf;

use chapter01::ContainerError;
use nix::unistd::{Pid, Uid};

/// `inside` .. `inside+count` in the namespace are `outside` .. `outside+count` on the host.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IdMap {
    pub inside: u32,
    pub outside: u32,
    pub count: u32,
}

impl IdMap {
    /// Root inside mapped to an unprivileged range outside, like a `/etc/subuid` entry:
    /// root on the host gets 0 → 100000 for 65536 ids; anyone else can map only themselves.
    pub fn root_to_unprivileged_range() -> Self {
        let me = Uid::effective();
        if me.is_root() {
            IdMap {
                inside: 0,
                outside: 100_000,
                count: 65_536,
            }
        } else {
            IdMap {
                inside: 0,
                outside: me.as_raw(),
                count: 1,
            }
        }
    }

    /// Which host id stands for `inside`, if it is in the range.
    pub fn to_host(&self, inside: u32) -> Option<u32> {
        let offset = inside.checked_sub(self.inside)?;
        if offset < self.count {
            self.outside.checked_add(offset)
        } else {
            None
        }
    }

    // ANCHOR: write_maps
    /// Writes this map as both the uid and the gid map of `pid`. Must happen after the child
    /// exists (it is in its new user namespace) and before it opens the gate.
    pub fn write_for(&self, pid: Pid) -> Result<(), ContainerError> {
        let proc_dir = PathBuf::from(format!("/proc/{pid}"));
        if !Uid::effective().is_root() {
            // An unprivileged writer must give up setgroups(2) before writing a gid map,
            // or it could use the new gid to drop a group that denies it access.
            std::fs::write(proc_dir.join("setgroups"), "deny")
                .map_err(|e| ContainerError::io(format!("write {pid}'s setgroups"), e))?;
        }
        for file in ["uid_map", "gid_map"] {
            std::fs::write(proc_dir.join(file), self.to_string())
                .map_err(|e| ContainerError::io(format!("write /proc/{pid}/{file}"), e))?;
        }
        Ok(())
    }
    // ANCHOR_END: write_maps
}

/// The line format of `/proc/PID/uid_map`: `inside outside count`.
impl fmt::Display for IdMap {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{} {} {}", self.inside, self.outside, self.count)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_map_line_is_what_the_kernel_reads() {
        let map = IdMap {
            inside: 0,
            outside: 100_000,
            count: 65_536,
        };
        assert_eq!(map.to_string(), "0 100000 65536\n");
        assert_eq!(map.to_host(0), Some(100_000));
        assert_eq!(map.to_host(65_535), Some(165_535));
        assert_eq!(map.to_host(65_536), None);
    }
}
