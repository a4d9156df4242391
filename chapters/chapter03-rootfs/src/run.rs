//! Running a container in the foreground: record it, start it, wait, record how it ended.

use std::path::Path;

use chapter01::{ChildStep, ContainerError, ExitStatus, SignalForwarding};
use nix::unistd::Pid;

use crate::config::ContainerConfig;
use crate::record::{ContainerId, ContainerRecord};

/// Work the host does around a container's run, for later chapters to fill in (chapter 4
/// puts the container into its cgroup; chapter 8 will give it a network).
pub trait HostSide {
    /// Between create and start: the child exists (here is its host pid) and waits at the
    /// gate; its command has not run. Warnings (a limit this kernel cannot apply, say) are
    /// returned for the caller to show.
    fn before_start(&mut self, pid: Pid) -> Result<Vec<String>, ContainerError>;
    /// After the container ended — or failed to start: undo what `before_start` did, and
    /// say whether the kernel's OOM killer ended it. Must be safe to call when
    /// `before_start` never ran or failed half-way.
    fn after_exit(&mut self) -> AfterExit;
}

/// What the host side learned at the end.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AfterExit {
    pub oom_killed: bool,
}

/// No host-side work: chapter 3's containers.
pub struct NoHostSide;

impl HostSide for NoHostSide {
    fn before_start(&mut self, _pid: Pid) -> Result<Vec<String>, ContainerError> {
        Ok(Vec::new())
    }

    fn after_exit(&mut self) -> AfterExit {
        AfterExit::default()
    }
}

/// How a foreground run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Finished {
    pub status: ExitStatus,
    pub oom_killed: bool,
}

/// What `mini-docker run` (without `-d`) does with a config.
pub struct ForegroundRun<'a> {
    /// The state root (`--root`): the record goes to `<root>/containers/<id>/`.
    pub state_root: &'a Path,
    pub id: ContainerId,
    pub config: ContainerConfig,
    /// `--rm`: remove the record once the container has exited.
    pub remove_when_done: bool,
    /// Steps that make the rootfs appear inside the container's mount namespace (chapter 5:
    /// the overlay mount); see [`crate::ContainerPlan::rootfs_source`].
    pub rootfs_source: Vec<Box<dyn ChildStep>>,
    /// Host-side work between create and start, and after the end.
    pub host_side: &'a mut dyn HostSide,
    /// Shows a warning to the user (the CLI prints `WARNING: ...` on stderr).
    pub warn: &'a dyn Fn(&str),
}

impl ForegroundRun<'_> {
    // ANCHOR: run_foreground
    /// Runs the container to its end and returns how it ended.
    ///
    /// The plan is checked before anything is written, so a bad rootfs or flag leaves no
    /// trace. If the container cannot be started (its command is missing, say) the record is
    /// removed as well: docker keeps such a container in the `Created` state, but until
    /// chapter 7 there is no `rm` to get rid of it.
    pub fn run(self) -> Result<Finished, ContainerError> {
        let mut plan = self.config.prepare()?;
        plan.rootfs_source = self.rootfs_source;
        // Block the signals we forward before the child exists, and keep them blocked until
        // the record is final: no moment in which Ctrl-C kills us but not the container, or
        // kills us between its end and the record of it.
        let forwarding = SignalForwarding::install()?;
        let mut record = ContainerRecord::create(self.state_root, &self.id, &self.config)?;
        let host_side = self.host_side;
        let started = plan.create().and_then(|created| {
            // On error `created` is dropped here, which kills and reaps the child.
            for warning in host_side.before_start(created.pid())? {
                (self.warn)(&warning);
            }
            created.start()
        });
        let child = match started {
            Ok(child) => child,
            Err(error) => {
                host_side.after_exit();
                record.remove();
                return Err(error);
            }
        };
        // From here on the container runs: a failure to write state is reported, but never
        // hides the container's own exit code.
        let warn_record = |error: ContainerError| {
            (self.warn)(&format!("cannot update the container's record: {error}"));
        };
        record
            .mark_running(child.pid().as_raw())
            .unwrap_or_else(warn_record);
        let waited = child.wait_forwarding(&forwarding);
        let after = host_side.after_exit();
        let status = waited?;
        if self.remove_when_done {
            record.remove();
        } else {
            record
                .mark_exited(status, after.oom_killed)
                .unwrap_or_else(warn_record);
        }
        // Dropping `forwarding` discards signals that came too late for the container.
        drop(forwarding);
        Ok(Finished {
            status,
            oom_killed: after.oom_killed,
        })
    }
    // ANCHOR_END: run_foreground
}
