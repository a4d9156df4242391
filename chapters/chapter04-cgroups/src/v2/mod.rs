//! The cgroup v2 backend: one hierarchy, one directory per group, every controller's files
//! in it — enabled for the children through the parent's `cgroup.subtree_control`.

pub mod cpu;
pub mod cpuset;
pub mod freezer;
pub mod io;
pub mod memory;
pub mod pids;

use crate::plan::{CgroupPlan, Controller, Version};
use crate::resources::Resources;

// ANCHOR: plan
/// The v2 plan: memory, cpu and pids always (for stats), io and cpuset when limited.
/// Freezing needs no controller in v2.
pub fn plan(r: &Resources) -> CgroupPlan {
    let mut controllers = vec![Controller::Memory, Controller::Cpu, Controller::Pids];
    if io::is_used(r) {
        controllers.push(Controller::Io);
    }
    if r.cpuset_cpus.is_some() {
        controllers.push(Controller::Cpuset);
    }
    let writes = [
        memory::plan(r),
        cpu::plan(r),
        cpuset::plan(r),
        pids::plan(r),
        io::plan(r),
    ]
    .concat();
    CgroupPlan {
        version: Version::V2,
        controllers,
        writes,
    }
}
// ANCHOR_END: plan
