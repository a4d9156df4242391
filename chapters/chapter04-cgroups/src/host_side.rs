//! The container's cgroup as chapter 3's host-side step: made and joined between create
//! and start, read and removed after the end.

use chapter03::chapter01::ContainerError;
use chapter03::{AfterExit, HostSide};
use nix::unistd::Pid;

use crate::cgroup::Cgroup;
use crate::hierarchy::Hierarchy;
use crate::plan::CgroupPlan;

/// Puts a container into its own cgroup, with `plan`'s limits.
pub struct CgroupHostSide {
    hierarchy: Hierarchy,
    name: String,
    plan: CgroupPlan,
    cgroup: Option<Cgroup>,
}

impl CgroupHostSide {
    /// `name` is the group's directory under `mini-docker/` (the container id).
    pub fn new(hierarchy: Hierarchy, name: impl Into<String>, plan: CgroupPlan) -> Self {
        CgroupHostSide {
            hierarchy,
            name: name.into(),
            plan,
            cgroup: None,
        }
    }

    /// The cgroup while the container runs (for stats, freezing).
    pub fn cgroup(&self) -> Option<&Cgroup> {
        self.cgroup.as_ref()
    }
}

impl HostSide for CgroupHostSide {
    // ANCHOR: before_start
    /// Create the group, write the limits, then move the waiting child in: limits first, so
    /// not one instruction of the command runs unlimited.
    fn before_start(&mut self, pid: Pid) -> Result<Vec<String>, ContainerError> {
        let cgroup = self
            .cgroup
            .insert(Cgroup::create(&self.hierarchy, &self.name, &self.plan)?);
        let warnings = cgroup.apply(&self.plan)?;
        cgroup.add_process(pid)?;
        Ok(warnings)
    }
    // ANCHOR_END: before_start

    fn after_exit(&mut self) -> AfterExit {
        let Some(cgroup) = self.cgroup.take() else {
            return AfterExit::default();
        };
        let oom_killed = cgroup.oom_killed();
        // A cgroup that cannot be removed is reported, not fatal: the container is over.
        if let Err(error) = cgroup.remove() {
            eprintln!("mini-docker: {error}");
        }
        AfterExit { oom_killed }
    }
}
