//! Chapter 9 plugged into chapter 7's monitor ([`chapter07::hooks`]).
//!
//! - At `create` ([`SelfHealingHooks::check_create`]): the recorded policy and
//!   `--health-on-failure` must make sense; `--rm` with a restart policy is refused.
//! - At each start ([`HealthStart`]): the health goes back to `starting`; once the run is
//!   recorded, the health checker starts; when it ends, the checker stops.
//! - At each end ([`SelfHealingHooks::restart_delay`]): the restart policy's decision.

use std::path::Path;
use std::time::Duration;

use chapter08::chapter07::chapter06::chapter05::chapter04::chapter03::chapter01::ContainerError;
use chapter08::chapter07::chapter06::chapter05::chapter04::chapter03::{
    AfterExit, ContainerConfig, HostSide,
};
use chapter08::chapter07::hooks::{Hooks, RunEnded, StartHooks};
use chapter08::chapter07::spec::HealthConfig;
use chapter08::chapter07::state::State;
use chapter08::chapter07::store::Record;
use chapter08::chapter07::{Container, ContainerStore};
use nix::unistd::Pid;

use crate::checker::HealthChecker;
use crate::flags::OnUnhealthy;
use crate::health::{Health, HealthCheckRules, HealthRules};
use crate::restart::{decide, Backoff, Decision, ExitFacts, RestartPolicy};

/// Chapter 9's hooks; `backoff` is docker's unless a test asks for other delays.
#[derive(Debug, Clone, Copy, Default)]
pub struct SelfHealingHooks {
    pub backoff: Backoff,
}

fn invalid(message: String) -> ContainerError {
    ContainerError::Invalid(message)
}

impl Hooks for SelfHealingHooks {
    fn check_create(&self, _store: &ContainerStore, record: &Record) -> Result<(), ContainerError> {
        let host = &record.host_config;
        let policy = RestartPolicy::of_record(&host.restart_policy).map_err(invalid)?;
        if host.auto_remove && policy != RestartPolicy::No {
            return Err(invalid("Conflicting options: --restart and --rm".into()));
        }
        OnUnhealthy::parse(&host.health_on_failure).map_err(invalid)?;
        Ok(())
    }

    fn prepare_start(
        &self,
        _store: &ContainerStore,
        container: &Container,
        _config: &mut ContainerConfig,
    ) -> Result<Box<dyn StartHooks>, ContainerError> {
        let record = &container.record;
        let check = record
            .config
            .healthcheck
            .clone()
            .and_then(|config| config.command().map(|command| (config, command)));
        let on_unhealthy =
            OnUnhealthy::parse(&record.host_config.health_on_failure).map_err(invalid)?;
        Ok(Box::new(HealthStart {
            check,
            on_unhealthy,
            checker: None,
        }))
    }

    fn clean_up(&self, _state_root: &Path, _id: &str) {
        // Nothing outlives a monitor: the checker is one of its threads.
    }

    // ANCHOR: restart_delay
    fn restart_delay(&self, ended: &RunEnded<'_>) -> Option<Duration> {
        let state = &ended.container.state;
        let recorded = &ended.container.record.host_config.restart_policy;
        // An unreadable policy restarts nothing (create checked it; someone edited it).
        let policy = RestartPolicy::of_record(recorded).ok()?;
        // Killed by `--health-on-failure restart`: brought back as `always` would be.
        let policy = if ended.restart_requested {
            RestartPolicy::Always
        } else {
            policy
        };
        let facts = ExitFacts {
            exit_code: ended.exit_code,
            ran_for: ended.ran_for,
            restart_count: state.restart_count,
            manually_stopped: state.manually_stopped,
            previous_delay: ended.previous_delay,
        };
        match decide(&policy, &facts, &self.backoff) {
            Decision::RestartAfter(delay) => Some(delay),
            Decision::StayDown => None,
        }
    }
    // ANCHOR_END: restart_delay
}

/// One run's health check: the config and command, and the checker while the run lasts.
pub struct HealthStart {
    check: Option<(HealthConfig, Vec<String>)>,
    on_unhealthy: OnUnhealthy,
    checker: Option<HealthChecker>,
}

impl HostSide for HealthStart {
    fn before_start(&mut self, _pid: Pid) -> Result<Vec<String>, ContainerError> {
        Ok(Vec::new())
    }

    fn after_exit(&mut self) -> AfterExit {
        if let Some(checker) = &mut self.checker {
            checker.stop();
        }
        AfterExit::default()
    }
}

impl StartHooks for HealthStart {
    fn as_host_side(&mut self) -> &mut (dyn HostSide + Send) {
        self
    }

    fn record(&self, state: &mut State) {
        // Every run starts without a verdict; the log of earlier runs stays, as in docker.
        state.health = match (&self.check, state.health.take()) {
            (None, _) => None,
            (Some(_), Some(mut health)) => {
                health.restart();
                Some(health)
            }
            (Some(_), None) => Some(Health::starting()),
        };
    }

    fn started(&mut self, store: &ContainerStore, container: &Container) {
        let Some((config, command)) = self.check.clone() else {
            return;
        };
        match HealthChecker::start(store, container, config, command, self.on_unhealthy) {
            Ok(checker) => self.checker = Some(checker),
            // The container runs; only its health will stay `starting`. Say why.
            Err(error) => {
                eprintln!("mini-docker monitor: cannot start the health checker: {error}")
            }
        }
    }

    fn restart_requested(&self) -> bool {
        self.checker
            .as_ref()
            .is_some_and(HealthChecker::restart_requested)
    }
}
