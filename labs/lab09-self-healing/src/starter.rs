//! Your code. Replace every `todo!()`; keep the signatures, the spec calls them.
//! The types and helpers you need are in `src/given.rs`.
// The parameters are unused until you fill the bodies in.
#![allow(unused_variables)]

use std::time::Duration;

use crate::{
    Backoff, Decision, ExitFacts, Health, HealthConfig, HealthRules, HealthStatus, ProbeResult,
    RestartPolicy,
};

/// Task 1 (10 points). What happens after a container's process ended: start it again after
/// a delay ([`Decision::RestartAfter`]), or leave it down ([`Decision::StayDown`]).
///
/// In this order:
///
/// 1. `facts.manually_stopped` (a `stop` or `kill` by the user ended the run): `StayDown`,
///    whatever the policy.
/// 2. Whether the policy restarts this exit:
///    - `No`: never;
///    - `Always` and `UnlessStopped`: always, whatever the exit code (0 too);
///    - `OnFailure { max_retries }`: only a non-zero `exit_code`, and only while
///      `restart_count < max_retries`; `max_retries == 0` means no limit.
/// 3. If it does, the delay:
///    - `backoff.initial` when there was no previous delay (`previous_delay` is `None`, or
///      `Some` of a zero duration), or when the run lasted at least `backoff.reset_after`
///      (`ran_for >= reset_after`);
///    - otherwise twice `previous_delay`;
///    - either way, never more than `backoff.max`.
///
/// With docker's [`Backoff::default`], quick crashes wait 100 ms, 200 ms, 400 ms … up to 1
/// minute. `decide` does not count restarts: the caller adds one to `restart_count` after a
/// `RestartAfter`, and passes its delay back as `previous_delay` at the next exit.
pub fn decide(policy: &RestartPolicy, facts: &ExitFacts, backoff: &Backoff) -> Decision {
    todo!("task 1")
}

/// Task 2 (2 points). Whether the container is started again when the host comes back up
/// after a reboot (`system restore`).
///
/// `manually_stopped`: a user's `stop` or `kill` ended its last run. `was_running`: it was
/// running (or restarting) when the host went down.
///
/// - `No`: never.
/// - `Always`: always, even after a manual stop and even if it was not running.
/// - `UnlessStopped`: unless the user stopped it.
/// - `OnFailure { .. }`: only if it was running and the user did not stop it (the reboot is
///   what ended it); the retry count plays no part.
pub fn start_at_boot(policy: &RestartPolicy, manually_stopped: bool, was_running: bool) -> bool {
    todo!("task 2")
}

impl HealthRules for Health {
    /// Given (leave it as it is): the health of a run that just started.
    fn starting() -> Health {
        Health {
            status: HealthStatus::Starting,
            failing_streak: 0,
            log: Vec::new(),
        }
    }

    /// Given (leave it as it is): back to `starting` for a new run, keeping the log.
    fn restart(&mut self) {
        self.status = HealthStatus::Starting;
        self.failing_streak = 0;
    }

    /// Task 3 (6 points). Applies one probe's result to the health; returns the new status
    /// when the status changed, `None` when it stayed the same.
    ///
    /// - The result always goes to the end of `log`, its `output` cut first when it is longer
    ///   than [`MAX_OUTPUT_BYTES`] (4096) bytes: keep the longest start of it that is at most
    ///   that many bytes *and* ends between two characters, then append `...`. The log keeps
    ///   only the last [`MAX_LOG_ENTRIES`] (5) results: drop the oldest.
    /// - `exit_code == 0`: the streak goes back to 0 and the status is `Healthy`.
    /// - Any other exit code is a failure (a probe that timed out has -1, see
    ///   [`timed_out`]): the streak grows by one, and reaching `config.retries()` makes the
    ///   status `Unhealthy` — *except* while the status is still `Starting` and
    ///   `within_start_period` is true (the probe began inside the start period): then
    ///   nothing but the log changes.
    ///
    /// Use `config.retries()` (from [`HealthCheckRules`]), not the `retries` field: a zero
    /// there means docker's default, 3.
    ///
    /// [`MAX_OUTPUT_BYTES`]: crate::MAX_OUTPUT_BYTES
    /// [`MAX_LOG_ENTRIES`]: crate::MAX_LOG_ENTRIES
    /// [`timed_out`]: crate::timed_out
    /// [`HealthCheckRules`]: crate::HealthCheckRules
    fn record(
        &mut self,
        result: ProbeResult,
        config: &HealthConfig,
        within_start_period: bool,
    ) -> Option<HealthStatus> {
        todo!("task 3")
    }
}

/// Task 4 (2 points). How long the monitor waits before the next probe (counted from the end
/// of the previous probe, or from the start of the container for the first one).
///
/// `config.start_interval()` while both hold: the health is still `Starting`, and
/// `since_start` (the time since the container started) is shorter than
/// `config.start_period()`. Otherwise `config.interval()`. Use the methods of
/// [`HealthCheckRules`](crate::HealthCheckRules): they apply docker's defaults.
pub fn next_delay(config: &HealthConfig, health: &Health, since_start: Duration) -> Duration {
    todo!("task 4")
}
