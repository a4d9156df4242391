//! Running a container in the foreground: record it, start it, wait, record how it ended.

use std::path::Path;

use chapter01::{ContainerError, ExitStatus, SignalForwarding};

use crate::config::ContainerConfig;
use crate::record::{ContainerId, ContainerRecord};

/// What `mini-docker run` (without `-d`) does with a config.
pub struct ForegroundRun<'a> {
    /// The state root (`--root`): the record goes to `<root>/containers/<id>/`.
    pub state_root: &'a Path,
    pub id: ContainerId,
    pub config: ContainerConfig,
    /// `--rm`: remove the record once the container has exited.
    pub remove_when_done: bool,
}

impl ForegroundRun<'_> {
    // ANCHOR: run_foreground
    /// Runs the container to its end and returns how it ended.
    ///
    /// The plan is checked before anything is written, so a bad rootfs or flag leaves no
    /// trace. If the container cannot be started (its command is missing, say) the record is
    /// removed as well: docker keeps such a container in the `Created` state, but until
    /// chapter 7 there is no `rm` to get rid of it.
    pub fn run(self) -> Result<ExitStatus, ContainerError> {
        let plan = self.config.prepare()?;
        let mut record = ContainerRecord::create(self.state_root, &self.id, &self.config)?;
        // Block the signals we forward before the child exists: no moment in which Ctrl-C
        // would kill us but not the container.
        let started = SignalForwarding::install().and_then(|forwarding| {
            let child = plan.create()?.start()?;
            Ok((forwarding, child))
        });
        let (forwarding, child) = match started {
            Ok(started) => started,
            Err(error) => {
                record.remove();
                return Err(error);
            }
        };
        // From here on the container runs; failing to write state must not orphan it.
        let _ = record.mark_running(child.pid().as_raw());
        let status = child.wait_forwarding(&forwarding)?;
        drop(forwarding);
        if self.remove_when_done {
            record.remove();
        } else {
            record.mark_exited(status)?;
        }
        Ok(status)
    }
    // ANCHOR_END: run_foreground
}
