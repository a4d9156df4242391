//! The one interface behind which cgroup v1 and v2 differ.
//!
//! Everything version-specific — which files a limit goes to, how freezing is asked for and
//! seen, where usage and OOM kills are read — is a method here, implemented once for
//! [`V1`](crate::v1::V1) and once for [`V2`](crate::v2::V2). [`Cgroup`](crate::Cgroup) does
//! the filesystem work for both and asks its backend only *what* to read or write.

use crate::plan::{CgroupPlan, Controller, Version, Write};
use crate::resources::Resources;
use crate::stats::Stats;

/// Reads a control file of the container's cgroup: `read(controller, file)`, empty when
/// missing.
pub type Reader<'a> = &'a dyn Fn(Controller, &str) -> String;

// ANCHOR: backend
pub trait Backend: Sync {
    fn version(&self) -> Version;
    /// The controllers to join and the writes for these limits, in order.
    fn plan(&self, resources: &Resources) -> CgroupPlan;
    /// The write that freezes (or thaws) the group.
    fn freeze(&self, frozen: bool) -> Write;
    /// The file that says whether freezing is done, and how to read it.
    fn freeze_state(&self) -> (Controller, &'static str);
    fn is_frozen(&self, state: &str) -> bool;
    /// Memory, CPU time and processes, read through `read`.
    fn stats(&self, read: Reader) -> Stats;
    /// How many processes of the group the kernel's OOM killer killed.
    fn oom_kills(&self, read: Reader) -> u64;
}
// ANCHOR_END: backend

impl std::fmt::Debug for dyn Backend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:?} backend", self.version())
    }
}

/// The backend for a version.
pub fn backend(version: Version) -> &'static dyn Backend {
    match version {
        Version::V1 => &crate::v1::V1,
        Version::V2 => &crate::v2::V2,
    }
}
