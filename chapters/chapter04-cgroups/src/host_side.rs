//! The container's cgroup as chapter 3's host-side step: made and joined between create
//! and start, read and removed after the end.

use chapter03::chapter01::ContainerError;
use chapter03::{AfterExit, HostSide};
use nix::unistd::Pid;

use crate::cgroup::Cgroup;
use crate::hierarchy::Hierarchy;
use crate::join::JoinCgroup;
use crate::plan::CgroupPlan;

/// Puts a container into its own cgroup, with `plan`'s limits.
pub struct CgroupHostSide {
    hierarchy: Hierarchy,
    name: String,
    plan: CgroupPlan,
    cgroup: Option<Cgroup>,
    /// Limits the kernel could not apply, for `before_start` to hand over.
    warnings: Vec<String>,
    /// The child moves itself in ([`JoinCgroup`]): `before_start` must not move it again.
    joined_by_child: bool,
}

impl CgroupHostSide {
    /// `name` is the group's directory under `mini-docker/` (the container id).
    pub fn new(hierarchy: Hierarchy, name: impl Into<String>, plan: CgroupPlan) -> Self {
        CgroupHostSide {
            hierarchy,
            name: name.into(),
            plan,
            cgroup: None,
            warnings: Vec::new(),
            joined_by_child: false,
        }
    }

    // ANCHOR: prepare_for_child
    /// Creates the group and writes its limits now, before the child exists, and returns
    /// the step by which the child moves itself in (cgroup v1; see [`crate::join`]), for the
    /// caller to put into the child's plan before exec. `None` where the host must move the
    /// child: `before_start` then does it, as without this call.
    pub fn prepare_for_child(&mut self) -> Result<Option<JoinCgroup>, ContainerError> {
        let possible = JoinCgroup::possible(&self.hierarchy);
        let cgroup = self.make()?;
        let join = if possible {
            Some(JoinCgroup::open(cgroup.unique_dirs())?)
        } else {
            None
        };
        self.joined_by_child = possible;
        Ok(join)
    }
    // ANCHOR_END: prepare_for_child

    /// Creates the group and writes the limits, once.
    fn make(&mut self) -> Result<&Cgroup, ContainerError> {
        match &mut self.cgroup {
            Some(cgroup) => Ok(cgroup),
            empty => {
                let cgroup = empty.insert(Cgroup::create(&self.hierarchy, &self.name, &self.plan)?);
                self.warnings = cgroup.apply(&self.plan)?;
                Ok(cgroup)
            }
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
    /// not one instruction of the command runs unlimited. (After [`Self::prepare_for_child`]
    /// the group exists, and on v1 the child moves itself.)
    fn before_start(&mut self, pid: Pid) -> Result<Vec<String>, ContainerError> {
        let joined_by_child = self.joined_by_child;
        let cgroup = self.make()?;
        if !joined_by_child {
            cgroup.add_process(pid)?;
        }
        Ok(std::mem::take(&mut self.warnings))
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
