//! Where later chapters plug into a container's life, without chapter 7 knowing them.
//!
//! Chapter 8 gives containers a network: it must check `--network` and `-p` at `create`,
//! build a veth pair and firewall rules at every start, take them down at every end, and
//! clean up after a monitor that was killed. Chapter 7 cannot call chapter 8 (chapter 8 is
//! built on chapter 7), so it calls whatever [`Hooks`] the binary registered instead.
//!
//! Chapter 9 keeps containers alive: at the end of every run the monitor asks the hooks
//! whether to start the container again ([`Hooks::restart_delay`]), and while a run lasts a
//! hook may work beside it (the health checks, started by [`StartHooks::started`]).
//!
//! A binary registers its hooks once, first thing in `main`. `mini-docker` is one binary
//! for the CLI and for every monitor (`mini-docker monitor ID`), so both sides see the same
//! hooks. Chapter 7's own demo registers none: its containers get an empty network
//! namespace with `lo`, as in chapter 2.

use std::path::Path;
use std::sync::RwLock;
use std::time::Duration;

use chapter06::chapter05::chapter04::chapter03::chapter01::{ChildStep, ContainerError};
use chapter06::chapter05::chapter04::chapter03::{ContainerConfig, HostSide};

use crate::state::State;
use crate::store::{Container, ContainerStore, Record};

/// What a later chapter adds to every container.
pub trait Hooks: Sync {
    /// At `create`, before anything is made: refuse a record this chapter cannot run
    /// (`--network container:` naming no container, say).
    fn check_create(&self, store: &ContainerStore, record: &Record) -> Result<(), ContainerError>;

    /// In the monitor, before a start builds its plan: may change the config (a network
    /// namespace shared instead of new, say) and returns this start's host-side work.
    /// Whatever it reserved (an address, a port) is given back by the returned value's
    /// `after_exit`.
    fn prepare_start(
        &self,
        store: &ContainerStore,
        container: &Container,
        config: &mut ContainerConfig,
    ) -> Result<Box<dyn StartHooks>, ContainerError>;

    /// At `rm`: removes what may outlive a monitor that was killed (firewall rules, say).
    /// Must be safe to call for a container that never started.
    fn clean_up(&self, state_root: &Path, id: &str);

    /// When a run has ended: start the container again after the returned delay, or `None`
    /// to leave it down. Asked under the container's lock, so a `stop` cannot slip between
    /// the question and the recorded answer. Chapter 7 alone never restarts.
    fn restart_delay(&self, _ended: &RunEnded<'_>) -> Option<Duration> {
        None
    }
}

/// What the monitor knows when a container's process has ended.
pub struct RunEnded<'a> {
    /// The container as recorded before this end (its policy, `RestartCount`, and whether a
    /// user stopped it).
    pub container: &'a Container,
    pub exit_code: i32,
    /// From the start of this run to its end.
    pub ran_for: Duration,
    /// The delay waited before this run, if the monitor itself restarted it.
    pub previous_delay: Option<Duration>,
    /// A hook of this run asked for a restart (chapter 9: unhealthy with
    /// `--health-on-failure restart`).
    pub restart_requested: bool,
}

/// One start's work around the child (see [`HostSide`]: `before_start` runs while the
/// child waits at its gate, on a thread of its own, beside the cgroup's).
pub trait StartHooks: HostSide + Send {
    /// This value as its [`HostSide`] (write `self`; Rust 1.80 cannot upcast by itself).
    fn as_host_side(&mut self) -> &mut (dyn HostSide + Send);

    /// Steps the child runs first in its new namespaces, before its root is mounted.
    fn first_steps(&mut self) -> Vec<Box<dyn ChildStep>> {
        Vec::new()
    }

    /// Writes what this start set up into the state (its addresses and ports, say).
    fn record(&self, _state: &mut State) {}

    /// The start is recorded (`running`, with its pid): work that goes on beside the
    /// container may begin (chapter 9's health checks). `after_exit` ends it.
    fn started(&mut self, _store: &ContainerStore, _container: &Container) {}

    /// Whether this run was ended on purpose to be started again (see [`RunEnded`]).
    fn restart_requested(&self) -> bool {
        false
    }
}

/// The first registered hook's answer to [`Hooks::restart_delay`].
pub fn restart_delay(ended: &RunEnded<'_>) -> Option<Duration> {
    registered()
        .into_iter()
        .find_map(|hooks| hooks.restart_delay(ended))
}

static REGISTERED: RwLock<Vec<&'static dyn Hooks>> = RwLock::new(Vec::new());

/// Registers `hooks` for the rest of the process (call it once, from `main`).
pub fn register(hooks: &'static dyn Hooks) {
    // A poisoned lock only means another registration panicked; the list is still whole.
    let mut registered = REGISTERED
        .write()
        .unwrap_or_else(|poison| poison.into_inner());
    registered.push(hooks);
}

/// The hooks registered so far, in order.
pub fn registered() -> Vec<&'static dyn Hooks> {
    REGISTERED
        .read()
        .unwrap_or_else(|poison| poison.into_inner())
        .clone()
}

/// The start work of every registered hook. If one fails, the ones already prepared are
/// undone (their `after_exit`), so a failed start leaves nothing reserved.
pub fn prepare_start(
    store: &ContainerStore,
    container: &Container,
    config: &mut ContainerConfig,
) -> Result<Vec<Box<dyn StartHooks>>, ContainerError> {
    let mut prepared: Vec<Box<dyn StartHooks>> = Vec::new();
    for hooks in registered() {
        match hooks.prepare_start(store, container, config) {
            Ok(start) => prepared.push(start),
            Err(error) => {
                for mut start in prepared {
                    start.after_exit();
                }
                return Err(error);
            }
        }
    }
    Ok(prepared)
}
