//! `system restore`: bringing containers back after the host comes up again.
//!
//! Docker's daemon does this when it starts: it looks at every container and starts those
//! whose restart policy says so. We have no daemon — a host reboot simply leaves every
//! container whose monitor was running as `dead` (its monitor is gone; chapter 7 reports it
//! so). So the same walk is a command, meant to run once at boot from a systemd unit
//! (`mini-docker/systemd/mini-docker-restore.service`):
//!
//! 1. skip containers whose monitor lives (already running) and those never started;
//! 2. ask the policy ([`crate::restart::start_at_boot`]): `always` comes back,
//!    `unless-stopped` unless a user stopped it, `on-failure` if the reboot is what ended it;
//! 3. turn a `dead` container back into an `exited` one, cleaning what its lost run left
//!    (chapter 7's `recover`), and start it like `docker start` does.

use chapter08::chapter07::chapter06::chapter05::chapter04::chapter03::chapter01::ContainerError;
use chapter08::chapter07::control;
use chapter08::chapter07::launch::MonitorProgram;
use chapter08::chapter07::state::{Status, ZERO_TIME};
use chapter08::chapter07::{Container, ContainerStore};

use crate::restart::{start_at_boot, RestartPolicy};

/// What restore decided for one container.
#[derive(Debug)]
pub enum Restored {
    /// Started again.
    Started(Container),
    /// Its start failed (the error says why).
    Failed(Container, ContainerError),
}

// ANCHOR: wanted
/// Whether `system restore` brings `container` back (pure: reads the record only).
pub fn wanted_at_boot(container: &Container) -> bool {
    let state = &container.state;
    if container.monitor_alive() || state.started_at == ZERO_TIME {
        return false;
    }
    let Ok(policy) = RestartPolicy::of_record(&container.record.host_config.restart_policy) else {
        return false;
    };
    // `dead`: it was running (or waiting to restart) when its monitor was lost.
    let was_running = state.status == Status::Dead;
    start_at_boot(&policy, state.manually_stopped, was_running)
}
// ANCHOR_END: wanted

/// Starts every container whose policy wants it back, oldest first.
pub fn restore(store: &ContainerStore, program: &MonitorProgram) -> Vec<Restored> {
    let mut containers = store.list();
    containers.sort_by(|a, b| a.record.created.cmp(&b.record.created));
    containers
        .into_iter()
        .filter(wanted_at_boot)
        .map(|container| match start_again(store, program, &container) {
            Ok(started) => Restored::Started(started),
            Err(error) => Restored::Failed(container, error),
        })
        .collect()
}

fn start_again(
    store: &ContainerStore,
    program: &MonitorProgram,
    container: &Container,
) -> Result<Container, ContainerError> {
    let container = control::recover(store, container.id())?;
    control::start(program, &container, None)?;
    store.load(container.id())
}
