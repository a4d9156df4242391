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

use std::time::Duration;

use crate::backend::{Backend, Reader};
use crate::plan::{CgroupPlan, Controller, Version, Write};
use crate::resources::Resources;
use crate::stats::Stats;

/// cgroup v1.
pub struct V1;

impl Backend for V1 {
    fn version(&self) -> Version {
        Version::V1
    }

    fn plan(&self, resources: &Resources) -> CgroupPlan {
        plan(resources)
    }

    fn freeze(&self, frozen: bool) -> Write {
        freezer::set(frozen)
    }

    fn freeze_state(&self) -> (Controller, &'static str) {
        (Controller::Freezer, freezer::STATE_FILE)
    }

    fn is_frozen(&self, state: &str) -> bool {
        freezer::is_frozen(state)
    }

    fn stats(&self, read: Reader) -> Stats {
        Stats {
            memory_usage: memory::usage(&read(Controller::Memory, "memory.usage_in_bytes")),
            memory_limit: memory::parse_limit(&read(Controller::Memory, "memory.limit_in_bytes")),
            cpu_time: Duration::from_nanos(cpu::usage_nanos(&read(
                Controller::Cpuacct,
                "cpuacct.usage",
            ))),
            pids: pids::current(&read(Controller::Pids, "pids.current")),
        }
    }

    fn oom_kills(&self, read: Reader) -> u64 {
        memory::oom_kills(&read(Controller::Memory, "memory.oom_control"))
    }
}

// ANCHOR: plan
/// The v1 plan: always memory, cpu, cpuacct, pids and freezer (so stats and pause work);
/// blkio and cpuset only when they are limited.
pub fn plan(r: &Resources) -> CgroupPlan {
    let always = [
        Controller::Memory,
        Controller::Cpu,
        Controller::Cpuacct,
        Controller::Pids,
        Controller::Freezer,
    ];
    let writes = [
        memory::plan(r),
        cpu::plan(r),
        cpuset::plan(r),
        pids::plan(r),
        blkio::plan(r),
    ]
    .concat();
    CgroupPlan::assemble(Version::V1, &always, r, writes)
}
// ANCHOR_END: plan
