//! The cgroup v2 backend: one hierarchy, one directory per group, every controller's files
//! in it — enabled for the children through the parent's `cgroup.subtree_control`.

pub mod cpu;
pub mod cpuset;
pub mod freezer;
pub mod io;
pub mod memory;
pub mod pids;

use std::time::Duration;

use crate::backend::{Backend, Reader};
use crate::plan::{CgroupPlan, Controller, Version, Write};
use crate::resources::Resources;
use crate::stats::Stats;

/// cgroup v2.
pub struct V2;

impl Backend for V2 {
    fn version(&self) -> Version {
        Version::V2
    }

    fn plan(&self, resources: &Resources) -> CgroupPlan {
        plan(resources)
    }

    fn freeze(&self, frozen: bool) -> Write {
        freezer::set(frozen)
    }

    fn freeze_state(&self) -> (Controller, &'static str) {
        (Controller::Freezer, "cgroup.events")
    }

    fn is_frozen(&self, state: &str) -> bool {
        freezer::is_frozen(state)
    }

    fn stats(&self, read: Reader) -> Stats {
        Stats {
            memory_usage: crate::v1::memory::usage(&read(Controller::Memory, "memory.current")),
            memory_limit: memory::parse_limit(&read(Controller::Memory, "memory.max")),
            cpu_time: Duration::from_micros(cpu::usage_micros(&read(Controller::Cpu, "cpu.stat"))),
            pids: crate::v1::pids::current(&read(Controller::Pids, "pids.current")),
        }
    }

    fn oom_kills(&self, read: Reader) -> u64 {
        memory::oom_kills(&read(Controller::Memory, "memory.events"))
    }
}

// ANCHOR: plan
/// The v2 plan: memory, cpu and pids always (for stats), io and cpuset when limited.
/// Freezing needs no controller in v2.
pub fn plan(r: &Resources) -> CgroupPlan {
    let always = [Controller::Memory, Controller::Cpu, Controller::Pids];
    let writes = [
        memory::plan(r),
        cpu::plan(r),
        cpuset::plan(r),
        pids::plan(r),
        io::plan(r),
    ]
    .concat();
    CgroupPlan::assemble(Version::V2, &always, r, writes)
}
// ANCHOR_END: plan
