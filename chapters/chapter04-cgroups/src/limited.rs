//! A container with limits, started and held by the caller — for the chapter demo, which
//! runs two at once and freezes one while it runs. (`mini-docker run` goes through chapter
//! 3's `ForegroundRun` with [`CgroupHostSide`](crate::CgroupHostSide) instead.)

use chapter03::chapter01::{Child, ContainerError, ExitStatus};
use chapter03::{ContainerConfig, HostSide};

use crate::cgroup::Cgroup;
use crate::hierarchy::Hierarchy;
use crate::host_side::CgroupHostSide;
use crate::resources::Resources;

/// A running container in its own cgroup.
pub struct LimitedContainer {
    child: Child,
    host_side: CgroupHostSide,
    /// Limits this kernel could not apply (see [`crate::plan::Write::optional`]).
    pub warnings: Vec<String>,
}

impl LimitedContainer {
    // ANCHOR: start
    /// create → put into a new cgroup `mini-docker/<name>` with `resources` → start.
    pub fn start(
        config: &ContainerConfig,
        resources: &Resources,
        hierarchy: Hierarchy,
        name: &str,
    ) -> Result<Self, ContainerError> {
        let plan = crate::plan_for(hierarchy.version(), resources);
        let mut host_side = CgroupHostSide::new(hierarchy, name, plan);
        let created = config.prepare()?.create()?;
        let started = host_side
            .before_start(created.pid())
            .and_then(|warnings| Ok((warnings, created.start()?)));
        match started {
            Ok((warnings, child)) => Ok(LimitedContainer {
                child,
                host_side,
                warnings,
            }),
            Err(error) => {
                host_side.after_exit();
                Err(error)
            }
        }
    }
    // ANCHOR_END: start

    pub fn child(&self) -> &Child {
        &self.child
    }

    /// The container's cgroup (for stats, freezing).
    pub fn cgroup(&self) -> Option<&Cgroup> {
        self.host_side.cgroup()
    }

    /// Waits for the end; returns how it ended and whether the OOM killer did it. The cgroup
    /// is removed.
    pub fn wait(mut self) -> Result<(ExitStatus, bool), ContainerError> {
        let status = self.child.wait();
        let after = self.host_side.after_exit();
        Ok((status?, after.oom_killed))
    }
}

impl Drop for LimitedContainer {
    /// A container dropped without `wait` is killed, and its cgroup removed.
    fn drop(&mut self) {
        if self.host_side.cgroup().is_some() {
            let _ = self.child.signal(nix::sys::signal::Signal::SIGKILL);
            let _ = self.child.wait();
            self.host_side.after_exit();
        }
    }
}
