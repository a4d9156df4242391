//! The health checker: a thread of the monitor that probes its container while it runs.
//!
//! Docker's daemon runs one goroutine per container with a health check; our daemonless
//! equivalent is one thread in the container's monitor, started when a run is recorded as
//! running and stopped when it ends ([`chapter07::hooks::StartHooks`]). Each round:
//!
//! 1. sleep until the next probe is due ([`crate::health::next_delay`]) — woken early
//!    when the run ends;
//! 2. skip the round while the container is paused (a frozen probe would only time out);
//! 3. run the probe ([`crate::probe`]) and record the result in the container's state
//!    under its lock ([`crate::health::HealthRules::record`]);
//! 4. on a change of status, emit `health_status: healthy|unhealthy`, and on `unhealthy`
//!    do what `--health-on-failure` says.
//!
//! Acting goes through the same doors a user's command does (chapter 7's `control`): the
//! restart action marks the run as ended on purpose and kills it, and the monitor's main
//! thread, which sees every exit, asks the restart policy — with its backoff.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use chapter08::chapter07::control::{mark_manually_stopped, send_signal};
use chapter08::chapter07::monitor::event;
use chapter08::chapter07::signals::parse_signal;
use chapter08::chapter07::spec::HealthConfig;
use chapter08::chapter07::state::Status;
use chapter08::chapter07::{Container, ContainerStore};
use nix::sys::signal::Signal;

use crate::flags::OnUnhealthy;
use crate::health::{next_delay, Health, HealthCheckRules, HealthRules, HealthStatus};
use crate::probe::run_probe;

/// The "run has ended" flag the checker sleeps on.
#[derive(Default)]
struct Ending {
    ended: Mutex<bool>,
    wake: Condvar,
}

impl Ending {
    /// Sleeps up to `delay`; true if the run ended meanwhile.
    fn wait(&self, delay: Duration) -> bool {
        // A poisoned lock means a panic on the other side; treat it as the end.
        let Ok(ended) = self.ended.lock() else {
            return true;
        };
        match self.wake.wait_timeout_while(ended, delay, |ended| !*ended) {
            Ok((ended, _)) => *ended,
            Err(_) => true,
        }
    }

    fn has_ended(&self) -> bool {
        self.ended.lock().map_or(true, |ended| *ended)
    }

    fn end(&self) {
        if let Ok(mut ended) = self.ended.lock() {
            *ended = true;
        }
        self.wake.notify_all();
    }
}

/// A running checker; [`HealthChecker::stop`] ends it.
pub struct HealthChecker {
    ending: Arc<Ending>,
    restart_requested: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

/// What one checker works with.
struct Round {
    store: ContainerStore,
    container: Container,
    config: HealthConfig,
    command: Vec<String>,
    on_unhealthy: OnUnhealthy,
    ending: Arc<Ending>,
    restart_requested: Arc<AtomicBool>,
}

impl HealthChecker {
    /// Starts probing `container` (just recorded as running) with `command`.
    pub fn start(
        store: &ContainerStore,
        container: &Container,
        config: HealthConfig,
        command: Vec<String>,
        on_unhealthy: OnUnhealthy,
    ) -> std::io::Result<HealthChecker> {
        let ending = Arc::new(Ending::default());
        let restart_requested = Arc::new(AtomicBool::new(false));
        let round = Round {
            store: store.clone(),
            container: container.clone(),
            config,
            command,
            on_unhealthy,
            ending: ending.clone(),
            restart_requested: restart_requested.clone(),
        };
        let thread = std::thread::Builder::new()
            .name("health".into())
            // Small: the thread's work is a loop and a fork; its stack counts in the
            // monitor's memory.
            .stack_size(256 * 1024)
            .spawn(move || round.run())?;
        Ok(HealthChecker {
            ending,
            restart_requested,
            thread: Some(thread),
        })
    }

    /// Whether the checker killed the run to have it restarted.
    pub fn restart_requested(&self) -> bool {
        self.restart_requested.load(Ordering::SeqCst)
    }

    /// Ends the checker (a probe under way is killed) and waits for its thread.
    pub fn stop(&mut self) {
        self.ending.end();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for HealthChecker {
    fn drop(&mut self) {
        self.stop();
    }
}

impl Round {
    // ANCHOR: run
    fn run(self) {
        let started = Instant::now();
        let mut health = Health::starting();
        loop {
            let delay = next_delay(&self.config, &health, started.elapsed());
            if self.ending.wait(delay) {
                return;
            }
            let Ok(container) = self.store.load(self.container.id()) else {
                return;
            };
            match container.state.status {
                Status::Running => {}
                // Frozen: no probe (docker skips it too); look again one interval later.
                Status::Paused => continue,
                _ => return,
            }
            let probe_began = started.elapsed();
            let result = run_probe(&container, &self.command, self.config.timeout(), &|| {
                self.ending.has_ended()
            });
            if self.ending.has_ended() {
                return;
            }
            let within_start_period = probe_began < self.config.start_period();
            match self.record(result, within_start_period) {
                Some((now, Some(status))) => {
                    health = now;
                    self.announce(status);
                }
                Some((now, None)) => health = now,
                None => return,
            }
        }
    }
    // ANCHOR_END: run

    /// Records one result in the state; the health after it and its change of status, if
    /// any. `None` if the container is gone or no longer running.
    fn record(
        &self,
        result: crate::health::ProbeResult,
        within_start_period: bool,
    ) -> Option<(Health, Option<HealthStatus>)> {
        let updated = self.store.update(self.container.id(), |container| {
            let state = &mut container.state;
            if !matches!(state.status, Status::Running | Status::Paused) {
                return Ok(None);
            }
            let health = state.health.get_or_insert_with(Health::starting);
            let changed = health.record(result, &self.config, within_start_period);
            Ok(Some((health.clone(), changed)))
        });
        updated.ok().and_then(|(_, recorded)| recorded)
    }

    /// The `health_status` event, and `--health-on-failure`'s action.
    fn announce(&self, status: HealthStatus) {
        event(
            self.store.root(),
            &format!("health_status: {}", status.as_str()),
            &self.container,
            &[],
        );
        if status == HealthStatus::Unhealthy {
            self.act();
        }
    }

    // ANCHOR: act
    fn act(&self) {
        let (store, id) = (&self.store, self.container.id());
        match self.on_unhealthy {
            OnUnhealthy::None => {}
            OnUnhealthy::Kill => {
                mark_manually_stopped(store, &self.container);
                self.kill(Signal::SIGKILL);
            }
            OnUnhealthy::Restart => {
                // Set before the kill: the monitor asks for it when it sees the exit.
                self.restart_requested.store(true, Ordering::SeqCst);
                self.kill(Signal::SIGKILL);
            }
            OnUnhealthy::Stop => {
                mark_manually_stopped(store, &self.container);
                let config = &self.container.record.config;
                let signal = parse_signal(config.stop_signal()).unwrap_or(Signal::SIGTERM);
                self.kill(signal);
                // Not `control::stop`: that waits for the monitor to exit, and we are the
                // monitor. The run's end wakes us; if it does not come, SIGKILL.
                if !self.ending.wait(Duration::from_secs(config.stop_timeout())) {
                    let _ = send_signal(store, id, Signal::SIGKILL);
                }
            }
        }
    }
    // ANCHOR_END: act

    fn kill(&self, signal: Signal) {
        event(
            self.store.root(),
            "kill",
            &self.container,
            &[("signal", &(signal as i32).to_string())],
        );
        let _ = send_signal(&self.store, self.container.id(), signal);
    }
}
