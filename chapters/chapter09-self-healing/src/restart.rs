//! The restart policy as pure decisions: parse `--restart`, decide what happens when a
//! container's process ends, and decide what happens when the host comes back up.
//!
//! Everything here is plain data in, plain data out. The monitor (chapter 7) knows the facts of
//! an exit — the exit code, how long the run lasted, how often the container was restarted, whether
//! a user stopped it — and asks [`decide`] whether to start it again and after how long. Keeping
//! the rule free of clocks, timers and processes lets the tests walk through whole sequences
//! (`on-failure:3` giving up after three restarts, the delay doubling up to its cap) in
//! microseconds, and lets the book print the same sequences with [`timeline`].
//!
//! The rules are docker's (moby's `restartmanager` package and `daemon/monitor.go`):
//!
//! - the delay before a restart starts at 100 ms and doubles with each restart (200, 400, 800 ms
//!   …), capped at 1 minute; a run that lasted at least 10 s resets it to 100 ms;
//! - `always` and `unless-stopped` restart whatever the exit code; `on-failure[:N]` restarts only
//!   a non-zero exit, and only while the restart count is below N (N = 0: no limit);
//! - a `stop` or `kill` by the user never leads to a restart (docker cancels the pending restart).
//!
//! Left out on purpose: the timer itself, the `Restarting` state and the `die`/`start` events
//! (the monitor's job), and docker's migration of very old records whose policy name is empty
//! (we read an empty name as `no`, which is what those records mean).

use std::time::Duration;

use chapter08::chapter07::spec;

/// Docker's `--restart` policies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum RestartPolicy {
    /// Never restart (docker's default).
    #[default]
    No,
    /// Restart a non-zero exit, at most `max_retries` times (0 = no limit).
    OnFailure { max_retries: u32 },
    /// Restart after every exit, whatever its code.
    Always,
    /// Like `Always`, except that a container stopped by the user stays down when the host (for
    /// docker: the daemon) comes back.
    UnlessStopped,
}

impl RestartPolicy {
    /// Reads `--restart no|on-failure[:N]|always|unless-stopped` like docker 25 and later:
    /// the CLI only splits `name[:count]`, the daemon then checks the combination. An empty text
    /// is `no` (the CLI sends an empty name, which the daemon reads as `no`).
    pub fn parse(text: &str) -> Result<RestartPolicy, String> {
        if text.is_empty() {
            return Ok(RestartPolicy::No);
        }
        let (name, count) = match text.split_once(':') {
            Some(("", _)) => {
                return Err(
                    "invalid restart policy format: no policy provided before colon".to_owned(),
                )
            }
            Some((name, count)) => (name, count),
            None => (text, ""),
        };
        // Go's strconv.Atoi, which docker uses, takes an optional sign and decimal digits,
        // exactly like i64's FromStr. An empty count ("on-failure:") means no count.
        let count = match count {
            "" => 0,
            digits => digits.parse::<i64>().map_err(|_| {
                "invalid restart policy format: maximum retry count must be an integer".to_owned()
            })?,
        };
        validate(name, count)
    }

    /// Docker's `HostConfig.RestartPolicy.Name`.
    pub fn name(&self) -> &'static str {
        match self {
            RestartPolicy::No => "no",
            RestartPolicy::OnFailure { .. } => "on-failure",
            RestartPolicy::Always => "always",
            RestartPolicy::UnlessStopped => "unless-stopped",
        }
    }

    /// Docker's `HostConfig.RestartPolicy.MaximumRetryCount` (0 unless `on-failure:N`).
    pub fn maximum_retry_count(&self) -> u32 {
        match self {
            RestartPolicy::OnFailure { max_retries } => *max_retries,
            _ => 0,
        }
    }

    /// The policy back from a stored `RestartPolicy` record (`Name`, `MaximumRetryCount`),
    /// checked as docker's daemon checks one it receives. An empty name is `no`, whatever the
    /// count, as docker accepts it from records written before version 25.
    pub fn from_docker(name: &str, maximum_retry_count: u32) -> Result<RestartPolicy, String> {
        if name.is_empty() {
            return Ok(RestartPolicy::No);
        }
        validate(name, i64::from(maximum_retry_count))
    }

    /// The policy as docker records it in `HostConfig.RestartPolicy`.
    pub fn to_record(&self) -> spec::RestartPolicy {
        spec::RestartPolicy {
            name: self.name().to_owned(),
            maximum_retry_count: self.maximum_retry_count(),
        }
    }

    /// The policy of a container's record (checked again: a record is a file anyone can edit).
    pub fn of_record(record: &spec::RestartPolicy) -> Result<RestartPolicy, String> {
        RestartPolicy::from_docker(&record.name, record.maximum_retry_count)
    }
}

/// Docker's daemon-side check of a policy name and retry count, with its error texts.
fn validate(name: &str, count: i64) -> Result<RestartPolicy, String> {
    let policy = match name {
        "no" => RestartPolicy::No,
        "always" => RestartPolicy::Always,
        "unless-stopped" => RestartPolicy::UnlessStopped,
        "on-failure" if count < 0 => {
            return Err("invalid restart policy: maximum retry count cannot be negative".to_owned())
        }
        // Docker keeps the count in a Go int; ours is the u32 of chapter 7's RestartCount,
        // so a count past it (over four billion restarts) is refused instead of cut.
        "on-failure" => {
            let max_retries = u32::try_from(count).map_err(|_| {
                format!(
                    "invalid restart policy: maximum retry count {count} is too large \
                     (at most {})",
                    u32::MAX
                )
            })?;
            return Ok(RestartPolicy::OnFailure { max_retries });
        }
        unknown => {
            return Err(format!(
                "invalid restart policy: unknown policy '{unknown}'; use one of 'no', 'always', \
                 'on-failure', or 'unless-stopped'"
            ))
        }
    };
    let only_on_failure =
        "invalid restart policy: maximum retry count can only be used with 'on-failure'";
    match count {
        0 => Ok(policy),
        negative if negative < 0 => Err(format!("{only_on_failure} and cannot be negative")),
        _ => Err(only_on_failure.to_owned()),
    }
}

/// What the monitor knows when the container's process has ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExitFacts {
    /// The exit code as docker records it (128 + signal for a killed process).
    pub exit_code: i32,
    /// How long this run lasted, from start to exit.
    pub ran_for: Duration,
    /// How often the policy has restarted the container so far (`RestartCount`).
    pub restart_count: u32,
    /// A `stop` or `kill` by the user ended this run.
    pub manually_stopped: bool,
    /// The delay waited before this run, if it was itself a restart by the policy.
    pub previous_delay: Option<Duration>,
}

/// What to do after an exit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Start the container again once this delay has passed (the caller counts the restart).
    RestartAfter(Duration),
    /// Leave it exited.
    StayDown,
}

/// The delays between restarts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    /// The first delay, and the delay again after a long run.
    pub initial: Duration,
    /// The cap of the doubling.
    pub max: Duration,
    /// A run at least this long counts as healthy: the next delay starts over at `initial`.
    pub reset_after: Duration,
}

impl Default for Backoff {
    /// Docker's values (moby's restartmanager): 100 ms, doubling up to 1 min, reset after 10 s.
    fn default() -> Self {
        Backoff {
            initial: Duration::from_millis(100),
            max: Duration::from_secs(60),
            reset_after: Duration::from_secs(10),
        }
    }
}

// ANCHOR: decide
/// Decides whether the container comes back after an exit, and after how long.
///
/// Docker's rule: the delay starts at `initial` and doubles with each restart, capped at `max`;
/// a run that lasted at least `reset_after` resets it to `initial`. `on-failure` restarts only a
/// non-zero exit and only while `restart_count` < N (N = 0: unlimited). A manual stop or kill
/// never restarts. When the answer is a restart, the caller adds one to the restart count and
/// passes the delay back as `previous_delay` at the next exit.
pub fn decide(policy: &RestartPolicy, facts: &ExitFacts, backoff: &Backoff) -> Decision {
    // Docker cancels the container's restart manager when the user stops or kills it, so the
    // policy is not even consulted: `always` too stays down until the next start.
    if facts.manually_stopped {
        return Decision::StayDown;
    }
    let restart = match *policy {
        RestartPolicy::No => false,
        RestartPolicy::Always | RestartPolicy::UnlessStopped => true,
        RestartPolicy::OnFailure { max_retries } => {
            facts.exit_code != 0 && (max_retries == 0 || facts.restart_count < max_retries)
        }
    };
    if restart {
        Decision::RestartAfter(next_delay(facts, backoff))
    } else {
        Decision::StayDown
    }
}
// ANCHOR_END: decide

// ANCHOR: next_delay
/// The delay before the next restart: `initial` after a long run (or for the first restart),
/// else twice the previous one, never above `max`.
fn next_delay(facts: &ExitFacts, backoff: &Backoff) -> Duration {
    let doubled = match facts.previous_delay {
        // Docker keeps the delay in the restart manager, where zero means "none yet".
        Some(previous) if !previous.is_zero() && facts.ran_for < backoff.reset_after => {
            previous.saturating_mul(2)
        }
        _ => backoff.initial,
    };
    doubled.min(backoff.max)
}
// ANCHOR_END: next_delay

// ANCHOR: start_at_boot
/// Whether `system restore` starts the container after a host reboot.
///
/// `was_running`: the container was running, or restarting (waiting out a delay), when the host
/// went down. Callers pass only containers that were started at least once: docker never
/// starts at boot a container that was only created (its `HasBeenStartedBefore`).
///
/// - `no`: never.
/// - `always`: yes, even after a manual stop. This is what `always` promises over
///   `unless-stopped`, and docker does it.
/// - `unless-stopped`: yes unless the user stopped it.
/// - `on-failure`: only if it was running and not stopped by the user, that is, if the host
///   going down is what ended it.
///
/// What docker does for `on-failure`: at daemon start it runs the same check as after an exit
/// (`daemon/daemon.go` `restore` → `Container.ShouldRestart` → the restart manager) with the
/// recorded exit code, and a container that was still running when the host died is recorded
/// with exit code 255, so it restarts (moby issue #47846). The same check also restarts an
/// `on-failure` container that the user stopped, because `stop` leaves exit code 143 or 137
/// behind and `on-failure` does not look at the manual stop (moby issue #35166, reported as a
/// surprise, and documented by docker only as "restarts on a failure"). We keep the first half and
/// not the second: a user's `stop` means down, for `on-failure` as for `unless-stopped`. A
/// container that exited non-zero and was given up (its limit reached) was not running, so it
/// stays down, as in docker.
pub fn start_at_boot(policy: &RestartPolicy, manually_stopped: bool, was_running: bool) -> bool {
    match policy {
        RestartPolicy::No => false,
        RestartPolicy::Always => true,
        RestartPolicy::UnlessStopped => !manually_stopped,
        RestartPolicy::OnFailure { .. } => was_running && !manually_stopped,
    }
}
// ANCHOR_END: start_at_boot

/// The decisions for a sequence of exits `(exit code, run length)`, one line each, for the book:
/// `exit 1 after 0.0s → restart #1 in 100ms` … `exit 1 after 0.0s → stays down (3 restarts,
/// the limit)`. It stops at the first exit that stays down: nothing runs after it.
pub fn timeline(
    policy: &RestartPolicy,
    exits: &[(i32, Duration)],
    backoff: &Backoff,
) -> Vec<String> {
    let mut lines = Vec::new();
    let mut restart_count = 0;
    let mut previous_delay = None;
    for &(exit_code, ran_for) in exits {
        let facts = ExitFacts {
            exit_code,
            ran_for,
            restart_count,
            manually_stopped: false,
            previous_delay,
        };
        let exit = format!("exit {exit_code} after {:.1}s", ran_for.as_secs_f64());
        match decide(policy, &facts, backoff) {
            Decision::RestartAfter(delay) => {
                restart_count += 1;
                previous_delay = Some(delay);
                lines.push(format!(
                    "{exit} → restart #{restart_count} in {}",
                    delay_text(delay)
                ));
            }
            Decision::StayDown => {
                lines.push(format!(
                    "{exit} → stays down ({})",
                    stay_down_reason(policy, &facts)
                ));
                break;
            }
        }
    }
    lines
}

/// Why [`decide`] said `StayDown` for an exit that no user caused.
fn stay_down_reason(policy: &RestartPolicy, facts: &ExitFacts) -> String {
    match policy {
        RestartPolicy::OnFailure { .. } if facts.exit_code == 0 => "exit 0 is a success".to_owned(),
        RestartPolicy::OnFailure { max_retries } => {
            let plural = if *max_retries == 1 { "" } else { "s" };
            format!("{max_retries} restart{plural}, the limit")
        }
        other => format!("restart policy {}", other.name()),
    }
}

/// A delay the way Go prints it in the range the backoff uses: `100ms`, `1.6s`, `1m0s`.
fn delay_text(delay: Duration) -> String {
    let millis = delay.as_millis();
    if millis < 1000 {
        return format!("{millis}ms");
    }
    let (minutes, seconds) = (millis / 60_000, (millis % 60_000) as f64 / 1000.0);
    // `{}` on an f64 prints the shortest exact form: 1.6, 12.8, 0 (never 1.6000000001 here,
    // as whole milliseconds divided by 1000 round-trip).
    match minutes {
        0 => format!("{seconds}s"),
        _ => format!("{minutes}m{seconds}s"),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    fn secs(n: u64) -> Duration {
        Duration::from_secs(n)
    }

    fn exit(code: i32, ran_for: Duration, count: u32, previous: Option<Duration>) -> ExitFacts {
        ExitFacts {
            exit_code: code,
            ran_for,
            restart_count: count,
            manually_stopped: false,
            previous_delay: previous,
        }
    }

    /// Feeds exits to `decide` the way a monitor would: count the restarts, remember the delay.
    fn run(policy: RestartPolicy, exits: &[(i32, Duration)], backoff: &Backoff) -> Vec<Decision> {
        let (mut count, mut previous) = (0, None);
        let mut decisions = Vec::new();
        for &(code, ran_for) in exits {
            let decision = decide(&policy, &exit(code, ran_for, count, previous), backoff);
            if let Decision::RestartAfter(delay) = decision {
                count += 1;
                previous = Some(delay);
            }
            decisions.push(decision);
        }
        decisions
    }

    #[test]
    fn on_failure_3_restarts_three_times_then_gives_up() {
        let quick_failure = (1, ms(0));
        let decisions = run(
            RestartPolicy::OnFailure { max_retries: 3 },
            &[quick_failure; 4],
            &Backoff::default(),
        );
        assert_eq!(
            decisions,
            [
                Decision::RestartAfter(ms(100)),
                Decision::RestartAfter(ms(200)),
                Decision::RestartAfter(ms(400)),
                Decision::StayDown,
            ]
        );
        // The fourth exit comes with restart_count 3: that alone stops it.
        let policy = RestartPolicy::OnFailure { max_retries: 3 };
        let facts = exit(1, ms(0), 3, Some(ms(400)));
        assert_eq!(
            decide(&policy, &facts, &Backoff::default()),
            Decision::StayDown
        );
        let facts = exit(1, ms(0), 2, Some(ms(200)));
        assert_eq!(
            decide(&policy, &facts, &Backoff::default()),
            Decision::RestartAfter(ms(400))
        );
    }

    #[test]
    fn which_exits_each_policy_restarts() {
        let backoff = Backoff::default();
        let cases = [
            (RestartPolicy::No, 0, 0, false),
            (RestartPolicy::No, 1, 0, false),
            (RestartPolicy::No, 137, 0, false),
            (RestartPolicy::Always, 0, 0, true),
            (RestartPolicy::Always, 1, 500, true),
            (RestartPolicy::UnlessStopped, 0, 0, true),
            (RestartPolicy::UnlessStopped, 2, 9, true),
            (RestartPolicy::OnFailure { max_retries: 0 }, 0, 0, false),
            (RestartPolicy::OnFailure { max_retries: 0 }, 1, 0, true),
            (
                RestartPolicy::OnFailure { max_retries: 0 },
                -1,
                100_000,
                true,
            ),
            (RestartPolicy::OnFailure { max_retries: 2 }, 1, 1, true),
            (RestartPolicy::OnFailure { max_retries: 2 }, 1, 2, false),
            (RestartPolicy::OnFailure { max_retries: 2 }, 0, 0, false),
        ];
        for (policy, code, count, restarts) in cases {
            let decision = decide(&policy, &exit(code, ms(5), count, None), &backoff);
            assert_eq!(
                matches!(decision, Decision::RestartAfter(_)),
                restarts,
                "{policy:?} exit {code} count {count}"
            );
        }
    }

    #[test]
    fn always_keeps_restarting_a_clean_exit_with_a_doubling_delay() {
        let decisions = run(
            RestartPolicy::Always,
            &[(0, ms(50)); 6],
            &Backoff::default(),
        );
        let delays: Vec<u64> = decisions
            .iter()
            .map(|d| match d {
                Decision::RestartAfter(delay) => delay.as_millis() as u64,
                Decision::StayDown => panic!("always stayed down"),
            })
            .collect();
        assert_eq!(delays, [100, 200, 400, 800, 1600, 3200]);
    }

    #[test]
    fn a_run_of_at_least_reset_after_starts_the_delay_over() {
        let backoff = Backoff::default();
        let policy = RestartPolicy::Always;
        // Just under 10 s still doubles; exactly 10 s resets (docker: ran >= 10 s).
        let short = exit(1, Duration::from_millis(9_999), 4, Some(ms(1600)));
        assert_eq!(
            decide(&policy, &short, &backoff),
            Decision::RestartAfter(ms(3200))
        );
        let long = exit(1, secs(10), 4, Some(ms(1600)));
        assert_eq!(
            decide(&policy, &long, &backoff),
            Decision::RestartAfter(ms(100))
        );
        let decisions = run(
            policy,
            &[(1, ms(0)), (1, ms(0)), (1, secs(3600)), (1, ms(0))],
            &backoff,
        );
        assert_eq!(
            decisions,
            [ms(100), ms(200), ms(100), ms(200)].map(Decision::RestartAfter)
        );
    }

    #[test]
    fn a_short_reset_after_is_honoured() {
        let backoff = Backoff {
            reset_after: ms(50),
            ..Backoff::default()
        };
        let decisions = run(
            RestartPolicy::Always,
            &[(1, ms(10)), (1, ms(10)), (1, ms(50))],
            &backoff,
        );
        assert_eq!(
            decisions,
            [ms(100), ms(200), ms(100)].map(Decision::RestartAfter)
        );
    }

    #[test]
    fn the_delay_is_capped_at_one_minute() {
        let decisions = run(
            RestartPolicy::Always,
            &[(1, ms(0)); 12],
            &Backoff::default(),
        );
        let last_three = &decisions[9..];
        // 100 ms × 2^9 = 51.2 s, then 102.4 s would be next: capped.
        assert_eq!(
            last_three,
            [ms(51_200), secs(60), secs(60)].map(Decision::RestartAfter)
        );
        let facts = exit(1, ms(0), 20, Some(secs(60)));
        assert_eq!(
            decide(&RestartPolicy::Always, &facts, &Backoff::default()),
            Decision::RestartAfter(secs(60))
        );
    }

    #[test]
    fn a_zero_previous_delay_counts_as_none() {
        let facts = exit(1, ms(0), 0, Some(Duration::ZERO));
        let decision = decide(&RestartPolicy::Always, &facts, &Backoff::default());
        assert_eq!(decision, Decision::RestartAfter(ms(100)));
    }

    #[test]
    fn a_manual_stop_never_restarts() {
        for policy in [
            RestartPolicy::No,
            RestartPolicy::Always,
            RestartPolicy::UnlessStopped,
            RestartPolicy::OnFailure { max_retries: 0 },
        ] {
            for code in [0, 137, 143] {
                let facts = ExitFacts {
                    manually_stopped: true,
                    ..exit(code, secs(1), 0, None)
                };
                let decision = decide(&policy, &facts, &Backoff::default());
                assert_eq!(decision, Decision::StayDown, "{policy:?} exit {code}");
            }
        }
    }

    #[test]
    fn parse_reads_every_form() {
        let cases = [
            ("", RestartPolicy::No),
            ("no", RestartPolicy::No),
            ("no:0", RestartPolicy::No),
            ("always", RestartPolicy::Always),
            ("always:", RestartPolicy::Always),
            ("unless-stopped", RestartPolicy::UnlessStopped),
            ("on-failure", RestartPolicy::OnFailure { max_retries: 0 }),
            ("on-failure:", RestartPolicy::OnFailure { max_retries: 0 }),
            ("on-failure:0", RestartPolicy::OnFailure { max_retries: 0 }),
            ("on-failure:3", RestartPolicy::OnFailure { max_retries: 3 }),
            ("on-failure:+5", RestartPolicy::OnFailure { max_retries: 5 }),
            (
                "on-failure:007",
                RestartPolicy::OnFailure { max_retries: 7 },
            ),
            (
                "on-failure:4294967295",
                RestartPolicy::OnFailure {
                    max_retries: u32::MAX,
                },
            ),
        ];
        for (text, expected) in cases {
            assert_eq!(RestartPolicy::parse(text), Ok(expected), "{text:?}");
        }
    }

    #[test]
    fn parse_refuses_with_dockers_words() {
        let only_on_failure =
            "invalid restart policy: maximum retry count can only be used with 'on-failure'";
        let unknown = |name: &str| {
            format!(
                "invalid restart policy: unknown policy '{name}'; use one of 'no', 'always', \
                 'on-failure', or 'unless-stopped'"
            )
        };
        let not_integer = "invalid restart policy format: maximum retry count must be an integer";
        let cases = [
            (
                ":3",
                "invalid restart policy format: no policy provided before colon".to_owned(),
            ),
            (
                ":",
                "invalid restart policy format: no policy provided before colon".to_owned(),
            ),
            ("on-failure:x", not_integer.to_owned()),
            ("on-failure:1.5", not_integer.to_owned()),
            ("on-failure: 3", not_integer.to_owned()),
            ("on-failure:3:4", not_integer.to_owned()),
            ("on-failure:99999999999999999999", not_integer.to_owned()),
            (
                "on-failure:-1",
                "invalid restart policy: maximum retry count cannot be negative".to_owned(),
            ),
            (
                "on-failure:4294967296",
                "invalid restart policy: maximum retry count 4294967296 is too large \
                 (at most 4294967295)"
                    .to_owned(),
            ),
            ("always:3", only_on_failure.to_owned()),
            ("unless-stopped:1", only_on_failure.to_owned()),
            ("no:2", only_on_failure.to_owned()),
            (
                "always:-1",
                format!("{only_on_failure} and cannot be negative"),
            ),
            ("sometimes", unknown("sometimes")),
            ("Always", unknown("Always")),
            ("on-failure ", unknown("on-failure ")),
            ("sometimes:3", unknown("sometimes")),
        ];
        for (text, expected) in cases {
            assert_eq!(RestartPolicy::parse(text), Err(expected), "{text:?}");
        }
    }

    #[test]
    fn the_record_round_trips_through_name_and_count() {
        for policy in [
            RestartPolicy::No,
            RestartPolicy::Always,
            RestartPolicy::UnlessStopped,
            RestartPolicy::OnFailure { max_retries: 0 },
            RestartPolicy::OnFailure { max_retries: 5 },
        ] {
            let back = RestartPolicy::from_docker(policy.name(), policy.maximum_retry_count());
            assert_eq!(back, Ok(policy));
        }
        assert_eq!(
            RestartPolicy::OnFailure { max_retries: 5 }.name(),
            "on-failure"
        );
        assert_eq!(
            RestartPolicy::OnFailure { max_retries: 5 }.maximum_retry_count(),
            5
        );
        assert_eq!(RestartPolicy::UnlessStopped.name(), "unless-stopped");
        assert_eq!(RestartPolicy::Always.maximum_retry_count(), 0);
        assert_eq!(RestartPolicy::from_docker("", 7), Ok(RestartPolicy::No));
        assert!(RestartPolicy::from_docker("always", 3)
            .unwrap_err()
            .contains("only be used"));
        assert!(RestartPolicy::from_docker("bogus", 0)
            .unwrap_err()
            .contains("'bogus'"));
    }

    #[test]
    fn start_at_boot_per_policy() {
        let on_failure = RestartPolicy::OnFailure { max_retries: 3 };
        // (policy, manually stopped, was running, starts)
        let cases = [
            (RestartPolicy::No, false, true, false),
            (RestartPolicy::No, false, false, false),
            (RestartPolicy::Always, false, true, true),
            (RestartPolicy::Always, true, false, true),
            (RestartPolicy::Always, false, false, true),
            (RestartPolicy::UnlessStopped, false, true, true),
            (RestartPolicy::UnlessStopped, false, false, true),
            (RestartPolicy::UnlessStopped, true, false, false),
            (on_failure, false, true, true),
            (on_failure, false, false, false),
            (on_failure, true, false, false),
        ];
        for (policy, stopped, running, expected) in cases {
            assert_eq!(
                start_at_boot(&policy, stopped, running),
                expected,
                "{policy:?} stopped={stopped} running={running}"
            );
        }
    }

    #[test]
    fn timeline_of_on_failure_3() {
        let lines = timeline(
            &RestartPolicy::OnFailure { max_retries: 3 },
            &[(1, ms(0)), (1, ms(20)), (1, ms(0)), (1, ms(0)), (1, ms(0))],
            &Backoff::default(),
        );
        assert_eq!(
            lines,
            [
                "exit 1 after 0.0s → restart #1 in 100ms",
                "exit 1 after 0.0s → restart #2 in 200ms",
                "exit 1 after 0.0s → restart #3 in 400ms",
                "exit 1 after 0.0s → stays down (3 restarts, the limit)",
            ]
        );
    }

    #[test]
    fn timeline_reasons_and_long_delays() {
        let backoff = Backoff::default();
        let no = timeline(&RestartPolicy::No, &[(2, ms(1500))], &backoff);
        assert_eq!(no, ["exit 2 after 1.5s → stays down (restart policy no)"]);
        let once = RestartPolicy::OnFailure { max_retries: 1 };
        let lines = timeline(&once, &[(1, ms(0)), (1, ms(0))], &backoff);
        assert_eq!(
            lines[1],
            "exit 1 after 0.0s → stays down (1 restart, the limit)"
        );
        let clean = timeline(
            &RestartPolicy::OnFailure { max_retries: 0 },
            &[(0, secs(3))],
            &backoff,
        );
        assert_eq!(
            clean,
            ["exit 0 after 3.0s → stays down (exit 0 is a success)"]
        );

        let always = timeline(&RestartPolicy::Always, &[(0, ms(0)); 11], &backoff);
        assert_eq!(always[4], "exit 0 after 0.0s → restart #5 in 1.6s");
        assert_eq!(always[9], "exit 0 after 0.0s → restart #10 in 51.2s");
        assert_eq!(always[10], "exit 0 after 0.0s → restart #11 in 1m0s");
        let reset = timeline(
            &RestartPolicy::Always,
            &[(0, ms(0)), (0, secs(12))],
            &backoff,
        );
        assert_eq!(reset[1], "exit 0 after 12.0s → restart #2 in 100ms");
    }

    #[test]
    fn delay_text_reads_like_go() {
        let cases = [
            (ms(0), "0ms"),
            (ms(100), "100ms"),
            (ms(999), "999ms"),
            (ms(1000), "1s"),
            (ms(12_800), "12.8s"),
            (secs(60), "1m0s"),
            (ms(90_500), "1m30.5s"),
        ];
        for (delay, text) in cases {
            assert_eq!(delay_text(delay), text);
        }
    }
}
