//! The commands that act on an existing container: `start`, `kill`, `stop`, `pause`,
//! `unpause`, `wait`, `rm`, `rename`. Each is a few steps on the store and the monitor;
//! none needs a daemon.

use std::fs::File;
use std::time::{Duration, Instant};

use chapter06::chapter05::chapter04::chapter03::chapter01::ContainerError;
use chapter06::chapter05::chapter04::{Cgroup, Hierarchy};
use nix::sys::signal::Signal;

use crate::launch::{start_monitor, MonitorProgram, Started};
use crate::lock;
use crate::monitor::event;
use crate::signals::{parse_signal, ProcessHandle};
use crate::state::{State, Status, Transition};
use crate::store::{Container, ContainerStore};
use crate::watch::StateWatch;

/// How long `rm -f`, `kill` and the end of `stop` wait for a killed container's monitor.
const KILLED_GRACE: Duration = Duration::from_secs(30);

fn not_running(reference: &str, container: &Container) -> ContainerError {
    let why = if container.state.status == Status::Restarting {
        "is restarting, wait until the container is running"
    } else {
        "is not running"
    };
    ContainerError::Invalid(format!(
        "Cannot kill container: {reference}: Container {} {why}",
        container.id()
    ))
}

/// The monitor is waiting out a restart delay (chapter 9): there is no process to signal,
/// but there is a restart to cancel.
fn waiting_to_restart(container: &Container) -> bool {
    container.state.status == Status::Restarting && container.monitor_alive()
}

// ANCHOR: start
/// `start`: launches the monitor unless the container runs already (then it is a no-op,
/// like docker's). `attach` becomes the monitor's first client.
pub fn start(
    program: &MonitorProgram,
    container: &Container,
    attach: Option<std::os::fd::OwnedFd>,
) -> Result<Option<Started>, ContainerError> {
    match container.state.status {
        Status::Running | Status::Restarting if container.monitor_alive() => return Ok(None),
        status => {
            crate::state::next(status, Transition::Start).map_err(|refusal| {
                ContainerError::Invalid(format!(
                    "cannot start container {}: {refusal}",
                    container.name()
                ))
            })?;
        }
    }
    start_monitor(program, container, attach).map(Some)
}
// ANCHOR_END: start

// ANCHOR: send_signal
/// Sends `signal` to the container's process, never to a stranger: the pid is read from
/// the state, a pidfd is opened for it, and the state is read again — the monitor records
/// an exit *before* it reaps, so a pid still recorded after the pidfd was opened is ours.
pub fn send_signal(
    store: &ContainerStore,
    id: &str,
    signal: Signal,
) -> Result<bool, ContainerError> {
    let Some(pid) = store.load(id)?.running_pid() else {
        return Ok(false);
    };
    let Some(process) = ProcessHandle::open(pid)? else {
        return Ok(false);
    };
    if store.load(id)?.running_pid() != Some(pid) {
        return Ok(false);
    }
    process.signal(signal)
}
// ANCHOR_END: send_signal

/// `kill -s SIGNAL` (SIGKILL by default).
pub fn kill(
    store: &ContainerStore,
    reference: &str,
    signal: Option<&str>,
) -> Result<Container, ContainerError> {
    let container = store.get(reference)?;
    let signal = parse_signal(signal.unwrap_or("KILL"))?;
    if container.running_pid().is_none() {
        return Err(not_running(reference, &container));
    }
    // Only a signal meant to end it (SIGKILL, or the stop signal) is a user's stop, as in
    // docker: `kill -s HUP` to reload a configuration keeps the restart policy in force.
    if signal == Signal::SIGKILL || parse_signal(container.record.config.stop_signal())? == signal {
        mark_manually_stopped(store, &container);
    }
    event(
        store.root(),
        "kill",
        &container,
        &[("signal", &(signal as i32).to_string())],
    );
    if !send_signal(store, container.id(), signal)? {
        return Err(not_running(reference, &container));
    }
    thaw_for(&container);
    Ok(container)
}

/// A user's stop or kill: the restart policy leaves the container down (chapter 9).
pub fn mark_manually_stopped(store: &ContainerStore, container: &Container) {
    let _ = store.write_state(container.id(), |state| state.manually_stopped = true);
}

/// A frozen process does not act on a signal until it is thawed; so a paused container
/// that is sent SIGKILL (or its stop signal) is unpaused too, as docker does.
fn thaw_for(container: &Container) {
    if container.state.status == Status::Paused {
        if let Ok(cgroup) = Hierarchy::detect()
            .map_err(ContainerError::Invalid)
            .and_then(|hierarchy| Cgroup::open(&hierarchy, container.id()))
        {
            let _ = cgroup.set_frozen(false);
        }
    }
}

// ANCHOR: stop
/// `stop -t SECONDS`: the stop signal, a grace period, then SIGKILL. Events: kill (the
/// signal), die (from the monitor), stop — in that order. A container waiting to be
/// restarted is only marked: its monitor wakes up, sees the mark and gives up.
pub fn stop(
    store: &ContainerStore,
    reference: &str,
    timeout: Option<u64>,
) -> Result<Container, ContainerError> {
    let container = store.get(reference)?;
    if container.running_pid().is_none() && !waiting_to_restart(&container) {
        // Docker's stop of a stopped container succeeds quietly.
        return Ok(container);
    }
    let signal = parse_signal(container.record.config.stop_signal())?;
    let grace = Duration::from_secs(timeout.unwrap_or(container.record.config.stop_timeout()));
    let monitor = open_monitor_lock(&container)?;
    // Marked before the signal, so the restart policy of chapter 9 sees a user's stop.
    mark_manually_stopped(store, &container);
    if container.running_pid().is_some() {
        event(
            store.root(),
            "kill",
            &container,
            &[("signal", &(signal as i32).to_string())],
        );
        send_signal(store, container.id(), signal)?;
        thaw_for(&container);
    }
    if !lock::wait_released(&monitor, Some(grace)) {
        // Still running: it ignored the signal — or a restart was under way.
        event(store.root(), "kill", &container, &[("signal", "9")]);
        send_signal(store, container.id(), Signal::SIGKILL)?;
        lock::wait_released(&monitor, Some(KILLED_GRACE));
    }
    event(store.root(), "stop", &container, &[]);
    Ok(container)
}
// ANCHOR_END: stop

fn open_monitor_lock(container: &Container) -> Result<File, ContainerError> {
    File::open(container.monitor_lock_path())
        .map_err(|error| ContainerError::io("open the monitor's lock file", error))
}

/// `wait`: blocks until the container's current run ends, returns its exit code.
///
/// As in docker, that is the end of a *run*, not of the container's life: a container
/// whose restart policy will start it again has ended its run when it turns `restarting`,
/// and `wait` returns then, with the run's exit code. `wait` on a container that is
/// waiting out a restart delay returns at the end of its next run (or when a user stops
/// it).
///
/// Every end of a run is a rename of `state.json` (or the directory going away, for
/// `--rm`), so `wait` sleeps on an inotify watch of the container directory
/// ([`StateWatch`], the one a monitor waiting to restart uses) rather than polling. A monitor killed with SIGKILL writes nothing: for
/// that case alone, `wait` also looks at the monitor's lock once a second.
pub fn wait(store: &ContainerStore, reference: &str) -> Result<i32, ContainerError> {
    let container = store.get(reference)?;
    // Watch first, read again second: an end written between the two still wakes us.
    let watch = StateWatch::new(container.dir()).ok();
    let first = match store.load(container.id()) {
        Ok(first) => first,
        Err(_) => return exit_code_after_removal(store, reference, container.id()),
    };
    let mut current = first.clone();
    while !run_has_ended(&first.state, &current.state, current.monitor_alive()) {
        let recheck = Instant::now() + MONITOR_RECHECK;
        match &watch {
            Some(watch) => {
                watch.wait_until(recheck);
            }
            None => std::thread::sleep(Duration::from_millis(50)),
        }
        current = match store.load(container.id()) {
            Ok(current) => current,
            Err(_) => return exit_code_after_removal(store, reference, container.id()),
        };
    }
    Ok(current.state.exit_code)
}

/// How often `wait` checks that the monitor it relies on still lives.
const MONITOR_RECHECK: Duration = Duration::from_secs(1);

/// Whether the run that `wait` found (`first`) is over, seen from the state now.
///
/// Running or paused: not yet, while a monitor watches over it (without one, it is dead and
/// will never record an end). Restarting: only once a later run has ended too (its finish
/// time moved on); a user's stop during the delay makes it `exited`. Any other status:
/// nothing runs.
fn run_has_ended(first: &State, now: &State, monitor_alive: bool) -> bool {
    match now.status {
        Status::Running | Status::Paused | Status::Removing => !monitor_alive,
        Status::Restarting => !monitor_alive || now.finished_at != first.finished_at,
        Status::Created | Status::Exited | Status::Dead => true,
    }
}

/// `wait`'s answer for a container removed meanwhile (`--rm`, or `rm -f` by another CLI):
/// its last `die` event still tells how it ended.
fn exit_code_after_removal(
    store: &ContainerStore,
    reference: &str,
    id: &str,
) -> Result<i32, ContainerError> {
    last_exit_code(store, id)
        .ok_or_else(|| ContainerError::Invalid(format!("No such container: {reference}")))
}

/// The exit code of the newest `die` event of container `id`.
fn last_exit_code(store: &ContainerStore, id: &str) -> Option<i32> {
    let filter = crate::events::EventFilter {
        filters: vec![
            ("container".into(), id.into()),
            ("event".into(), "die".into()),
        ],
        ..Default::default()
    };
    let events = crate::events::EventLog::at(store.root())
        .read(&filter)
        .ok()?;
    events.last()?.attributes.get("exitCode")?.parse().ok()
}

/// `pause` / `unpause`: the cgroup freezer of chapter 4.
pub fn set_paused(
    store: &ContainerStore,
    reference: &str,
    paused: bool,
) -> Result<Container, ContainerError> {
    let id = store.resolve(reference)?;
    let (container, ()) = store.update(&id, |container| {
        let transition = if paused {
            Transition::Pause
        } else {
            Transition::Unpause
        };
        container.state.apply(transition).map_err(|refusal| {
            ContainerError::Invalid(format!(
                "Container {id} {}",
                refusal.0.trim_start_matches("container ")
            ))
        })?;
        let hierarchy = Hierarchy::detect().map_err(ContainerError::Invalid)?;
        Cgroup::open(&hierarchy, &id)?.set_frozen(paused)
    })?;
    event(
        store.root(),
        if paused { "pause" } else { "unpause" },
        &container,
        &[],
    );
    Ok(container)
}

/// Makes a `dead` container (its monitor was lost: killed, or the host went down) an
/// `exited` one that can be started again: what its lost run left is cleaned up, and the
/// end is recorded as docker records it after a crash (exit code 255). Used by chapter 9's
/// `system restore`; anything but a dead container is left as it is.
pub fn recover(store: &ContainerStore, id: &str) -> Result<Container, ContainerError> {
    let container = store.load(id)?;
    if container.state.status != Status::Dead {
        return Ok(container);
    }
    crate::remove::clean_up_run(store.root(), id);
    let (container, ()) = store.update(id, |container| {
        // Checked again under the lock: a monitor may have started meanwhile.
        if container.state.status == Status::Dead {
            let state = &mut container.state;
            state.set_status(Status::Exited);
            state.pid = 0;
            state.exit_code = 255;
            state.finished_at = crate::store::now();
            state.network_settings = Default::default();
        }
        Ok(())
    })?;
    Ok(container)
}

// ANCHOR: remove
/// `rm [-f] [-v]`: a running container needs `-f`, which kills it first.
pub fn remove(
    store: &ContainerStore,
    reference: &str,
    force: bool,
    volumes: bool,
) -> Result<Container, ContainerError> {
    let container = store.get(reference)?;
    if force && container.monitor_alive() {
        let monitor = open_monitor_lock(&container)?;
        // No restart after this kill (chapter 9), and none pending.
        mark_manually_stopped(store, &container);
        send_signal(store, container.id(), Signal::SIGKILL)?;
        thaw_for(&container);
        if !lock::wait_released(&monitor, Some(KILLED_GRACE)) {
            return Err(ContainerError::Invalid(format!(
                "could not kill container {}: its monitor does not exit",
                container.id()
            )));
        }
        // A `--rm` container's monitor removes it at this exit, before it lets go of its
        // lock (and says `destroy`): what was asked for is done.
        if container.record.host_config.auto_remove && !container.dir().exists() {
            return Ok(container);
        }
    }
    let root = store.root().to_path_buf();
    let removed = store.remove(container.id(), force, |container| {
        crate::remove::clean_up(&root, container.id(), volumes.then_some(container));
    })?;
    event(store.root(), "destroy", &removed, &[]);
    Ok(removed)
}
// ANCHOR_END: remove

/// `rename OLD NEW`.
pub fn rename(
    store: &ContainerStore,
    reference: &str,
    new_name: &str,
) -> Result<(), ContainerError> {
    let new_name = crate::names::validate(new_name).map_err(ContainerError::Invalid)?;
    let id = store.resolve(reference)?;
    let old = store.rename(&id, new_name)?;
    let container = store.load(&id)?;
    event(
        store.root(),
        "rename",
        &container,
        &[("oldName", &format!("/{old}"))],
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state(status: Status, finished_at: &str) -> State {
        let mut state = State {
            finished_at: finished_at.to_owned(),
            ..State::default()
        };
        state.set_status(status);
        state
    }

    #[test]
    fn wait_returns_at_the_end_of_the_run_it_found() {
        let running = state(Status::Running, "T0");
        // Still running, or restarted already without our noticing the gap: not yet.
        assert!(!run_has_ended(&running, &running, true));
        assert!(!run_has_ended(&running, &state(Status::Paused, "T0"), true));
        // The run ended: stays down, or is about to be restarted by its policy.
        assert!(run_has_ended(&running, &state(Status::Exited, "T1"), true));
        assert!(run_has_ended(
            &running,
            &state(Status::Restarting, "T1"),
            true
        ));
        // The monitor was killed: nobody will ever record the end.
        assert!(run_has_ended(&running, &running, false));
    }

    #[test]
    fn wait_on_a_restarting_container_waits_for_its_next_run_to_end() {
        let restarting = state(Status::Restarting, "T1");
        assert!(!run_has_ended(&restarting, &restarting, true));
        assert!(!run_has_ended(
            &restarting,
            &state(Status::Running, "T1"),
            true
        ));
        assert!(run_has_ended(
            &restarting,
            &state(Status::Restarting, "T2"),
            true
        ));
        // A user's stop during the delay.
        assert!(run_has_ended(
            &restarting,
            &state(Status::Exited, "T1"),
            true
        ));
    }

    #[test]
    fn wait_on_a_container_that_does_not_run_returns_at_once() {
        for status in [Status::Created, Status::Exited, Status::Dead] {
            let now = state(status, "T0");
            assert!(run_has_ended(&now, &now, false), "{status:?}");
        }
    }
}
