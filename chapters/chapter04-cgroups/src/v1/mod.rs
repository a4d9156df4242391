//! The cgroup v1 backend: one hierarchy per controller, one directory per controller.
//!
//! Each file here is one controller: what to write for a set of [`Resources`], and how to
//! read its numbers back.

pub mod blkio;
pub mod cpu;
pub mod cpuset;
pub mod freezer;
pub mod memory;
pub mod pids;

use crate::plan::{CgroupPlan, Controller, Version};
use crate::resources::Resources;

// ANCHOR: plan
/// The v1 plan: always memory, cpu, cpuacct, pids and freezer (so stats and pause work);
/// blkio and cpuset only when they are limited.
pub fn plan(r: &Resources) -> CgroupPlan {
    let mut controllers = vec![
        Controller::Memory,
        Controller::Cpu,
        Controller::Cpuacct,
        Controller::Pids,
        Controller::Freezer,
    ];
    if blkio::is_used(r) {
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
        blkio::plan(r),
    ]
    .concat();
    CgroupPlan {
        version: Version::V1,
        controllers,
        writes,
    }
}
// ANCHOR_END: plan
