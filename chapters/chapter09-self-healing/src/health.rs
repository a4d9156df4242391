//! Health checks as pure rules: the HEALTHCHECK configuration, what one probe result does to a
//! container's health, and when the next probe is due.
//!
//! A process that still runs is not always a process that works: a web server can be alive and
//! deadlocked. Docker lets an image or `docker run` name a command (the probe) that the engine
//! runs inside the container every so often; its exit code says healthy (0) or not. This module
//! holds the rules, as docker's daemon has them (moby `daemon/health.go`, `daemon/commit.go`,
//! `daemon/container.go`) and its CLI reads the flags (docker/cli `container/opts.go`):
//!
//! - a new run is `starting`; a probe exiting 0 makes it `healthy` and clears the failing streak;
//! - a failing probe adds one to the streak, except while still `starting` inside the start
//!   period, and the streak reaching `retries` makes it `unhealthy`;
//! - a probe that overruns its timeout counts as a failure with exit code -1;
//! - the next probe comes one interval after the end of the previous one, or one start interval
//!   while still `starting` inside the start period;
//! - `inspect` shows the last 5 results, each output cut at 4096 bytes.
//!
//! The monitor owns the clock and the processes: it runs the probe (an exec in the container),
//! measures it, and calls [`HealthRules::record`]; a status change is its cue for the
//! `health_status` event.
//!
//! Left out on purpose: the image's `SHELL` for `CMD-SHELL` (we always use `/bin/sh -c`), and the
//! partial output docker appends to a timed-out probe's message (the monitor kills the probe
//! without reading what it wrote).

use std::time::Duration;

pub use chapter08::chapter07::spec::HealthConfig;
pub use chapter08::chapter07::state::{Health, HealthStatus, ProbeResult};
use chapter08::chapter07::timearg::parse_go_duration;

/// The longest probe output kept, in bytes; longer output is cut and marked with `...`.
pub const MAX_OUTPUT_BYTES: usize = 4096;
/// How many probe results `inspect` shows.
pub const MAX_LOG_ENTRIES: usize = 5;

const DEFAULT_INTERVAL: Duration = Duration::from_secs(30);
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);
const DEFAULT_START_PERIOD: Duration = Duration::ZERO;
const DEFAULT_START_INTERVAL: Duration = Duration::from_secs(5);
const DEFAULT_RETRIES: u32 = 3;
/// Docker's daemon refuses configured durations below this (`MinimumDuration`).
const MINIMUM_DURATION: Duration = Duration::from_millis(1);

/// Docker's rules for a [`HealthConfig`] record: its defaults, its command, and how the
/// flags build one. A trait because chapter 7 owns the record and chapter 9 the rules.
pub trait HealthCheckRules: Sized {
    /// Time between the end of one probe and the start of the next (default 30 s).
    fn interval(&self) -> Duration;
    /// How long one probe may run before it counts as failed (default 30 s).
    fn timeout(&self) -> Duration;
    /// How long after start failures do not count while still `starting` (default 0 s).
    fn start_period(&self) -> Duration;
    /// The interval used inside the start period while still `starting` (default 5 s).
    fn start_interval(&self) -> Duration;
    /// Consecutive failures that make the container `unhealthy` (default 3).
    fn retries(&self) -> u32;
    /// The command to run in the container, if a probe runs at all.
    fn command(&self) -> Option<Vec<String>>;
    /// The container's HEALTHCHECK from the flags, merged over the image's.
    fn from_flags(flags: &HealthFlags, image: Option<&Self>) -> Result<Option<Self>, String>;
}

impl HealthCheckRules for HealthConfig {
    /// Time between the end of one probe and the start of the next (default 30 s).
    fn interval(&self) -> Duration {
        nanos_or(self.interval, DEFAULT_INTERVAL)
    }

    /// How long one probe may run before it counts as failed (default 30 s).
    fn timeout(&self) -> Duration {
        nanos_or(self.timeout, DEFAULT_TIMEOUT)
    }

    /// How long after start failures do not count while still `starting` (default 0 s).
    fn start_period(&self) -> Duration {
        nanos_or(self.start_period, DEFAULT_START_PERIOD)
    }

    /// The interval used inside the start period while still `starting` (default 5 s).
    fn start_interval(&self) -> Duration {
        nanos_or(self.start_interval, DEFAULT_START_INTERVAL)
    }

    /// Consecutive failures that make the container `unhealthy` (default 3).
    fn retries(&self) -> u32 {
        match self.retries {
            0 => DEFAULT_RETRIES,
            retries => retries,
        }
    }

    /// The command to run in the container: `CMD` → as is; `CMD-SHELL` → `/bin/sh -c`;
    /// `NONE`, empty, a kind docker does not know, or a kind with no command → `None` (no probe
    /// runs, as in docker, which only logs a warning for the last two).
    fn command(&self) -> Option<Vec<String>> {
        let (kind, rest) = self.test.split_first()?;
        if rest.is_empty() {
            return None;
        }
        match kind.as_str() {
            "CMD" => Some(rest.to_vec()),
            "CMD-SHELL" => {
                let mut command = vec!["/bin/sh".to_owned(), "-c".to_owned()];
                command.extend_from_slice(rest);
                Some(command)
            }
            _ => None,
        }
    }

    /// The container's HEALTHCHECK from the `run`/`create` flags, merged over the image's.
    ///
    /// As in docker, a flag left at zero (`--health-interval 0s`, `--health-retries 0`, an
    /// empty `--health-cmd`) counts as not given, and every field the flags leave at zero is
    /// taken from the image. `--no-healthcheck` gives `Test ["NONE"]`, which switches off the
    /// image's check. `None`: neither the flags nor the image ask for a check.
    fn from_flags(
        flags: &HealthFlags,
        image: Option<&HealthConfig>,
    ) -> Result<Option<HealthConfig>, String> {
        let from_flags = flags_config(flags)?;
        if let Some(config) = &from_flags {
            check_minimums(config)?;
        }
        Ok(merge(from_flags, image))
    }
}

fn nanos_or(nanos: u64, default: Duration) -> Duration {
    match nanos {
        0 => default,
        nanos => Duration::from_nanos(nanos),
    }
}

/// The health flags of `run`/`create`, as typed (durations are Go durations: `1s`, `500ms`,
/// `1m30s`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HealthFlags {
    /// `--health-cmd`, run with `/bin/sh -c`.
    pub cmd: Option<String>,
    pub interval: Option<String>,
    pub timeout: Option<String>,
    pub retries: Option<i64>,
    pub start_period: Option<String>,
    pub start_interval: Option<String>,
    pub no_healthcheck: bool,
}

/// What the flags alone say, checked as docker's CLI checks them (in its order, so the same
/// mistake gets the same message).
fn flags_config(flags: &HealthFlags) -> Result<Option<HealthConfig>, String> {
    let interval = flag_nanos("health-interval", &flags.interval)?;
    let timeout = flag_nanos("health-timeout", &flags.timeout)?;
    let start_period = flag_nanos("health-start-period", &flags.start_period)?;
    let start_interval = flag_nanos("health-start-interval", &flags.start_interval)?;
    let retries = flags.retries.unwrap_or(0);
    let cmd = flags.cmd.as_deref().unwrap_or("");

    let durations = [interval, timeout, start_period, start_interval];
    let any_health_flag = !cmd.is_empty() || retries != 0 || durations.iter().any(|&d| d != 0);
    if flags.no_healthcheck {
        if any_health_flag {
            return Err("--no-healthcheck conflicts with --health-* options".to_owned());
        }
        return Ok(Some(HealthConfig {
            test: vec!["NONE".to_owned()],
            ..HealthConfig::default()
        }));
    }
    if !any_health_flag {
        return Ok(None);
    }
    let positive = |flag: &str, nanos: i64| {
        u64::try_from(nanos).map_err(|_| format!("--{flag} cannot be negative"))
    };
    let interval = positive("health-interval", interval)?;
    let timeout = positive("health-timeout", timeout)?;
    if retries < 0 {
        return Err("--health-retries cannot be negative".to_owned());
    }
    let retries = u32::try_from(retries).map_err(|_| {
        format!(
            "--health-retries {retries} is too large (at most {})",
            u32::MAX
        )
    })?;
    let start_period = positive("health-start-period", start_period)?;
    let start_interval = positive("health-start-interval", start_interval)?;
    let test = match cmd {
        "" => Vec::new(),
        cmd => vec!["CMD-SHELL".to_owned(), cmd.to_owned()],
    };
    Ok(Some(HealthConfig {
        test,
        interval,
        timeout,
        start_period,
        start_interval,
        retries,
    }))
}

/// A duration flag in signed nanoseconds (0 when absent). The sign is read here, not by
/// [`parse_go_duration`], so that a negative value gets docker's own message for its flag.
fn flag_nanos(flag: &str, value: &Option<String>) -> Result<i64, String> {
    let Some(text) = value else {
        return Ok(0);
    };
    let (negative, magnitude) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text.as_str()),
    };
    let invalid = |why: String| format!("invalid argument {text:?} for \"--{flag}\" flag: {why}");
    let duration = parse_go_duration(magnitude).map_err(invalid)?;
    // parse_go_duration keeps Go's limit of an i64 of nanoseconds, so this cannot fail.
    let nanos = i64::try_from(duration.as_nanos())
        .map_err(|_| invalid(format!("invalid duration {text:?}: too large")))?;
    Ok(if negative { -nanos } else { nanos })
}

/// Docker's daemon refuses durations under 1 ms (zero still means "default").
fn check_minimums(config: &HealthConfig) -> Result<(), String> {
    let fields = [
        ("Interval", config.interval),
        ("Timeout", config.timeout),
        ("StartPeriod", config.start_period),
        ("StartInterval", config.start_interval),
    ];
    for (name, nanos) in fields {
        if nanos != 0 && Duration::from_nanos(nanos) < MINIMUM_DURATION {
            return Err(format!(
                "{name} in Healthcheck cannot be less than {}",
                go_duration(MINIMUM_DURATION)
            ));
        }
    }
    Ok(())
}

/// Docker's merge of the container's HEALTHCHECK over the image's: each field the container
/// leaves empty or zero comes from the image.
fn merge(user: Option<HealthConfig>, image: Option<&HealthConfig>) -> Option<HealthConfig> {
    let Some(image) = image else {
        return user;
    };
    let Some(mut user) = user else {
        return Some(image.clone());
    };
    if user.test.is_empty() {
        user.test = image.test.clone();
    }
    let fill = |mine: &mut u64, theirs: u64| {
        if *mine == 0 {
            *mine = theirs;
        }
    };
    fill(&mut user.interval, image.interval);
    fill(&mut user.timeout, image.timeout);
    fill(&mut user.start_period, image.start_period);
    fill(&mut user.start_interval, image.start_interval);
    if user.retries == 0 {
        user.retries = image.retries;
    }
    Some(user)
}

/// A duration the way Go's `Duration.String` prints it: `0s`, `500ms`, `1.5s`, `1m0s`, `1h0m0s`.
pub fn go_duration(duration: Duration) -> String {
    const MICRO: u128 = 1_000;
    const MILLI: u128 = 1_000_000;
    const SECOND: u128 = 1_000_000_000;
    let nanos = duration.as_nanos();
    match nanos {
        0 => "0s".to_owned(),
        n if n < MICRO => format!("{n}ns"),
        n if n < MILLI => format!("{}µs", decimal(n, MICRO, 3)),
        n if n < SECOND => format!("{}ms", decimal(n, MILLI, 6)),
        n => {
            let (hours, minutes) = (n / (3600 * SECOND), n / (60 * SECOND) % 60);
            let seconds = decimal(n % (60 * SECOND), SECOND, 9);
            match (hours, minutes) {
                (0, 0) => format!("{seconds}s"),
                (0, _) => format!("{minutes}m{seconds}s"),
                _ => format!("{hours}h{minutes}m{seconds}s"),
            }
        }
    }
}

/// `value / unit` in decimal, without trailing zeros: `decimal(1_500, 1_000, 3)` = `1.5`.
fn decimal(value: u128, unit: u128, fraction_digits: usize) -> String {
    let (whole, fraction) = (value / unit, value % unit);
    if fraction == 0 {
        return whole.to_string();
    }
    let fraction = format!("{fraction:0fraction_digits$}");
    format!("{whole}.{}", fraction.trim_end_matches('0'))
}

/// Docker's rules for a container's [`Health`]: what a new run and a probe result do to it.
pub trait HealthRules {
    /// The health of a run that just started: no verdict yet.
    fn starting() -> Self;
    /// Back to `starting` for a new run, keeping the log.
    fn restart(&mut self);
    /// Applies one probe result; returns the new status when it changed.
    fn record(
        &mut self,
        result: ProbeResult,
        config: &HealthConfig,
        within_start_period: bool,
    ) -> Option<HealthStatus>;
}

impl HealthRules for Health {
    /// The health of a run that just started: no verdict yet.
    fn starting() -> Health {
        Health {
            status: HealthStatus::Starting,
            failing_streak: 0,
            log: Vec::new(),
        }
    }

    /// Back to `starting` for a new run (start or restart). The log stays: docker keeps the
    /// previous run's results in `inspect` until new ones push them out.
    fn restart(&mut self) {
        self.status = HealthStatus::Starting;
        self.failing_streak = 0;
    }

    // ANCHOR: record
    /// Applies one probe result; returns the new status when it changed (the monitor's cue for a
    /// `health_status` event).
    ///
    /// Exit 0 clears the streak and makes the container healthy. Any other code adds one to the
    /// streak, unless the container is still `starting` and `within_start_period` (the probe
    /// began inside the start period): a slow start is not a failure. A streak reaching the
    /// configured retries makes it unhealthy. The output is cut at 4096 bytes; the log keeps the
    /// last 5 results.
    fn record(
        &mut self,
        mut result: ProbeResult,
        config: &HealthConfig,
        within_start_period: bool,
    ) -> Option<HealthStatus> {
        let before = self.status;
        let exit_code = result.exit_code;
        cut_output(&mut result.output);
        if self.log.len() >= MAX_LOG_ENTRIES {
            self.log.drain(..=self.log.len() - MAX_LOG_ENTRIES);
        }
        self.log.push(result);

        if exit_code == 0 {
            self.failing_streak = 0;
            self.status = HealthStatus::Healthy;
        } else if !(self.status == HealthStatus::Starting && within_start_period) {
            self.failing_streak = self.failing_streak.saturating_add(1);
            if self.failing_streak >= config.retries() {
                self.status = HealthStatus::Unhealthy;
            }
        }
        (self.status != before).then_some(self.status)
    }
    // ANCHOR_END: record
}

/// Cuts `output` to at most [`MAX_OUTPUT_BYTES`] and marks the cut with `...`, as docker does.
/// Docker cuts bytes; a Rust string can only be cut between characters, so a character
/// straddling the limit goes too.
fn cut_output(output: &mut String) {
    if output.len() <= MAX_OUTPUT_BYTES {
        return;
    }
    let mut end = MAX_OUTPUT_BYTES;
    while !output.is_char_boundary(end) {
        end -= 1;
    }
    output.truncate(end);
    output.push_str("...");
}

/// The result docker records for a probe that overran its timeout: exit code -1 and
/// `Health check exceeded timeout (30s)`, the duration printed as Go prints it.
pub fn timed_out(start: String, end: String, timeout: Duration) -> ProbeResult {
    ProbeResult {
        start,
        end,
        exit_code: -1,
        output: format!("Health check exceeded timeout ({})", go_duration(timeout)),
    }
}

// ANCHOR: next_delay
/// How long to wait before the next probe, counted from the end of the last one (or from the
/// start of the container for the first probe): the start interval while still `starting` and
/// `since_start` (time since the container started) is inside the start period, else the
/// interval.
pub fn next_delay(config: &HealthConfig, health: &Health, since_start: Duration) -> Duration {
    if since_start < config.start_period() && health.status == HealthStatus::Starting {
        config.start_interval()
    } else {
        config.interval()
    }
}
// ANCHOR_END: next_delay

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn secs(n: u64) -> Duration {
        Duration::from_secs(n)
    }

    fn probe(second: u32, exit_code: i32, output: &str) -> ProbeResult {
        ProbeResult {
            start: format!("2026-05-01T10:00:{second:02}.100000000Z"),
            end: format!("2026-05-01T10:00:{second:02}.250000000Z"),
            exit_code,
            output: output.to_owned(),
        }
    }

    fn config_with_retries(retries: u32) -> HealthConfig {
        HealthConfig {
            test: vec!["CMD-SHELL".into(), "cat /etc/app.conf".into()],
            retries,
            ..HealthConfig::default()
        }
    }

    #[test]
    fn seed_000_healthy_then_two_failures_make_it_unhealthy() {
        // The seed's story: `ps` shows starting, the first probe passes (healthy), then the
        // config file is deleted and the probes fail until the container is unhealthy.
        let config = config_with_retries(2);
        let mut health = Health::starting();
        assert_eq!(health.status.ps_suffix(), " (health: starting)");

        // (probe, expected event, expected status, expected streak)
        let steps = [
            (
                probe(30, 0, "ok\n"),
                Some(HealthStatus::Healthy),
                HealthStatus::Healthy,
                0,
            ),
            (probe(40, 0, "ok\n"), None, HealthStatus::Healthy, 0),
            (
                probe(50, 1, "cat: /etc/app.conf: No such file\n"),
                None,
                HealthStatus::Healthy,
                1,
            ),
            (
                probe(59, 1, "cat: /etc/app.conf: No such file\n"),
                Some(HealthStatus::Unhealthy),
                HealthStatus::Unhealthy,
                2,
            ),
            (
                probe(9, 1, "still missing\n"),
                None,
                HealthStatus::Unhealthy,
                3,
            ),
            (
                probe(19, 0, "ok\n"),
                Some(HealthStatus::Healthy),
                HealthStatus::Healthy,
                0,
            ),
        ];
        for (i, (result, event, status, streak)) in steps.into_iter().enumerate() {
            assert_eq!(health.record(result, &config, false), event, "step {i}");
            assert_eq!(
                (health.status, health.failing_streak),
                (status, streak),
                "step {i}"
            );
        }
        let codes: Vec<i32> = health.log.iter().map(|r| r.exit_code).collect();
        assert_eq!(codes, [0, 1, 1, 1, 0], "the last five, oldest first");
        assert_eq!(health.log[0].output, "ok\n");
        assert_eq!(health.log[0].start, "2026-05-01T10:00:40.100000000Z");
        assert_eq!(health.status.ps_suffix(), " (healthy)");
    }

    #[test]
    fn default_retries_need_three_failures() {
        let config = config_with_retries(0);
        let mut health = Health::starting();
        assert_eq!(health.record(probe(1, 1, ""), &config, false), None);
        assert_eq!(health.record(probe(2, 2, ""), &config, false), None);
        assert_eq!(health.status, HealthStatus::Starting);
        assert_eq!(
            health.record(probe(3, 1, ""), &config, false),
            Some(HealthStatus::Unhealthy)
        );
        assert_eq!(health.failing_streak, 3);
        assert_eq!(health.status.ps_suffix(), " (unhealthy)");
    }

    #[test]
    fn failures_inside_the_start_period_do_not_count_while_starting() {
        let config = config_with_retries(1);
        let mut health = Health::starting();
        for second in 0..4 {
            assert_eq!(
                health.record(probe(second, 1, "not yet"), &config, true),
                None
            );
        }
        assert_eq!(
            (health.status, health.failing_streak),
            (HealthStatus::Starting, 0)
        );
        assert_eq!(health.log.len(), 4, "uncounted failures are still logged");

        // Once healthy, the start period no longer shields a failure.
        let mut health = Health::starting();
        health.record(probe(5, 0, ""), &config, true);
        let event = health.record(probe(6, 1, ""), &config, true);
        assert_eq!(event, Some(HealthStatus::Unhealthy));

        // Past the start period a failure while starting counts.
        let mut health = Health::starting();
        let event = health.record(probe(7, 1, ""), &config, false);
        assert_eq!(
            (event, health.failing_streak),
            (Some(HealthStatus::Unhealthy), 1)
        );
    }

    #[test]
    fn a_restart_goes_back_to_starting_and_keeps_the_log() {
        let config = config_with_retries(1);
        let mut health = Health::starting();
        health.record(probe(1, 1, "down"), &config, false);
        assert_eq!(health.status, HealthStatus::Unhealthy);
        health.restart();
        assert_eq!(
            (health.status, health.failing_streak),
            (HealthStatus::Starting, 0)
        );
        assert_eq!(health.log.len(), 1);
        assert_eq!(
            health,
            Health {
                log: health.log.clone(),
                ..Health::starting()
            }
        );
    }

    #[test]
    fn output_is_cut_at_4096_bytes() {
        let config = config_with_retries(3);
        let mut health = Health::starting();
        let exact = "a".repeat(MAX_OUTPUT_BYTES);
        health.record(probe(1, 0, &exact), &config, false);
        assert_eq!(health.log[0].output, exact);

        health.record(probe(2, 0, &"b".repeat(5000)), &config, false);
        assert_eq!(
            health.log[1].output,
            format!("{}...", "b".repeat(MAX_OUTPUT_BYTES))
        );

        // "é" is two bytes and would straddle the limit: it goes whole.
        let straddling = format!("{}é{}", "c".repeat(MAX_OUTPUT_BYTES - 1), "d".repeat(10));
        health.record(probe(3, 0, &straddling), &config, false);
        assert_eq!(
            health.log[2].output,
            format!("{}...", "c".repeat(MAX_OUTPUT_BYTES - 1))
        );
    }

    #[test]
    fn the_log_keeps_the_last_five() {
        let config = config_with_retries(100);
        let mut health = Health::starting();
        for second in 0..8 {
            health.record(
                probe(second, second as i32 % 2, &second.to_string()),
                &config,
                false,
            );
            assert!(health.log.len() <= MAX_LOG_ENTRIES);
        }
        let outputs: Vec<&str> = health.log.iter().map(|r| r.output.as_str()).collect();
        assert_eq!(outputs, ["3", "4", "5", "6", "7"]);
    }

    #[test]
    fn a_timed_out_probe_reads_like_docker() {
        let cases = [
            (secs(30), "Health check exceeded timeout (30s)"),
            (secs(60), "Health check exceeded timeout (1m0s)"),
            (
                Duration::from_millis(500),
                "Health check exceeded timeout (500ms)",
            ),
            (secs(90), "Health check exceeded timeout (1m30s)"),
            (
                Duration::from_millis(1500),
                "Health check exceeded timeout (1.5s)",
            ),
        ];
        for (timeout, text) in cases {
            let result = timed_out("s".into(), "e".into(), timeout);
            assert_eq!(
                result,
                ProbeResult {
                    start: "s".into(),
                    end: "e".into(),
                    exit_code: -1,
                    output: text.into()
                }
            );
        }
        // A timeout is a failure like any other.
        let mut health = Health::starting();
        let config = config_with_retries(1);
        let event = health.record(timed_out("s".into(), "e".into(), secs(30)), &config, false);
        assert_eq!(event, Some(HealthStatus::Unhealthy));
    }

    #[test]
    fn go_duration_prints_like_go() {
        let cases = [
            (Duration::ZERO, "0s"),
            (Duration::from_nanos(1), "1ns"),
            (Duration::from_nanos(1_500), "1.5µs"),
            (Duration::from_micros(2), "2µs"),
            (Duration::from_millis(1), "1ms"),
            (Duration::from_micros(1_250), "1.25ms"),
            (Duration::from_millis(500), "500ms"),
            (secs(1), "1s"),
            (Duration::from_nanos(1_000_000_001), "1.000000001s"),
            (secs(59), "59s"),
            (secs(60), "1m0s"),
            (Duration::from_millis(90_500), "1m30.5s"),
            (secs(3600), "1h0m0s"),
            (Duration::from_millis(9_910_500), "2h45m10.5s"),
        ];
        for (duration, text) in cases {
            assert_eq!(go_duration(duration), text, "{duration:?}");
        }
    }

    #[test]
    fn next_delay_uses_the_start_interval_only_while_starting_in_the_start_period() {
        let config = HealthConfig {
            interval: secs(10).as_nanos() as u64,
            start_period: secs(60).as_nanos() as u64,
            start_interval: secs(2).as_nanos() as u64,
            ..config_with_retries(3)
        };
        let starting = Health::starting();
        let healthy = Health {
            status: HealthStatus::Healthy,
            ..Health::starting()
        };
        let unhealthy = Health {
            status: HealthStatus::Unhealthy,
            ..Health::starting()
        };
        let cases = [
            (&starting, secs(0), secs(2)),
            (&starting, secs(59), secs(2)),
            (&starting, secs(60), secs(10)),
            (&healthy, secs(5), secs(10)),
            (&unhealthy, secs(5), secs(10)),
        ];
        for (health, since_start, expected) in cases {
            assert_eq!(
                next_delay(&config, health, since_start),
                expected,
                "{since_start:?}"
            );
        }
        // Without a start period the start interval never applies: the first probe comes one
        // interval (30 s by default) after start.
        let defaults = config_with_retries(0);
        assert_eq!(next_delay(&defaults, &starting, Duration::ZERO), secs(30));
    }

    #[test]
    fn zeros_mean_dockers_defaults() {
        let defaults = HealthConfig::default();
        let effective = (
            defaults.interval(),
            defaults.timeout(),
            defaults.start_period(),
            defaults.start_interval(),
            defaults.retries(),
        );
        assert_eq!(effective, (secs(30), secs(30), secs(0), secs(5), 3));
        let set = HealthConfig {
            interval: 1_000_000_000,
            timeout: 2_000_000_000,
            start_period: 3_000_000_000,
            start_interval: 4_000_000_000,
            retries: 5,
            test: Vec::new(),
        };
        let effective = (
            set.interval(),
            set.timeout(),
            set.start_period(),
            set.start_interval(),
            set.retries(),
        );
        assert_eq!(effective, (secs(1), secs(2), secs(3), secs(4), 5));
    }

    #[test]
    fn the_command_to_run() {
        let test = |words: &[&str]| HealthConfig {
            test: words.iter().map(|w| w.to_string()).collect(),
            ..HealthConfig::default()
        };
        let cases: [(&[&str], Option<&[&str]>); 7] = [
            (
                &["CMD", "curl", "-f", "localhost"],
                Some(&["curl", "-f", "localhost"]),
            ),
            (
                &["CMD-SHELL", "curl -f localhost || exit 1"],
                Some(&["/bin/sh", "-c", "curl -f localhost || exit 1"]),
            ),
            (&["NONE"], None),
            (&[], None),
            (&["CMD"], None),
            (&["CMD-SHELL"], None),
            (&["HTTP", "localhost"], None),
        ];
        for (words, expected) in cases {
            let expected = expected.map(|e| e.iter().map(|w| w.to_string()).collect::<Vec<_>>());
            assert_eq!(test(words).command(), expected, "{words:?}");
        }
    }

    fn flags() -> HealthFlags {
        HealthFlags::default()
    }

    fn image_check() -> HealthConfig {
        HealthConfig {
            test: vec!["CMD".into(), "/healthcheck".into()],
            interval: 5_000_000_000,
            timeout: 2_000_000_000,
            start_period: 0,
            start_interval: 0,
            retries: 12,
        }
    }

    #[test]
    fn flags_alone_build_a_shell_check() {
        assert_eq!(HealthConfig::from_flags(&flags(), None), Ok(None));
        let given = HealthFlags {
            cmd: Some("curl -f localhost".into()),
            interval: Some("1m30s".into()),
            timeout: Some("500ms".into()),
            retries: Some(4),
            start_period: Some("1s".into()),
            start_interval: Some("100ms".into()),
            no_healthcheck: false,
        };
        let config = HealthConfig::from_flags(&given, None).unwrap().unwrap();
        assert_eq!(
            config,
            HealthConfig {
                test: vec!["CMD-SHELL".into(), "curl -f localhost".into()],
                interval: 90_000_000_000,
                timeout: 500_000_000,
                start_period: 1_000_000_000,
                start_interval: 100_000_000,
                retries: 4,
            }
        );
    }

    #[test]
    fn flags_merge_over_the_image() {
        let image = image_check();
        // No flags: the image's check as is.
        assert_eq!(
            HealthConfig::from_flags(&flags(), Some(&image)),
            Ok(Some(image.clone()))
        );
        // A new command keeps the image's timings.
        let cmd = HealthFlags {
            cmd: Some("true".into()),
            ..flags()
        };
        let merged = HealthConfig::from_flags(&cmd, Some(&image))
            .unwrap()
            .unwrap();
        assert_eq!(merged.test, ["CMD-SHELL", "true"]);
        assert_eq!((merged.interval, merged.retries), (image.interval, 12));
        // A new interval keeps the image's command.
        let interval = HealthFlags {
            interval: Some("1s".into()),
            retries: Some(1),
            ..flags()
        };
        let merged = HealthConfig::from_flags(&interval, Some(&image))
            .unwrap()
            .unwrap();
        assert_eq!(merged.test, image.test);
        assert_eq!(
            (merged.interval, merged.timeout, merged.retries),
            (1_000_000_000, 2_000_000_000, 1)
        );
        // Zero flags count as not given.
        let zeros = HealthFlags {
            interval: Some("0s".into()),
            retries: Some(0),
            cmd: Some(String::new()),
            ..flags()
        };
        assert_eq!(
            HealthConfig::from_flags(&zeros, Some(&image)),
            Ok(Some(image.clone()))
        );
        assert_eq!(HealthConfig::from_flags(&zeros, None), Ok(None));
    }

    #[test]
    fn no_healthcheck_switches_the_image_check_off() {
        let off = HealthFlags {
            no_healthcheck: true,
            ..flags()
        };
        let config = HealthConfig::from_flags(&off, Some(&image_check()))
            .unwrap()
            .unwrap();
        assert_eq!(config.test, ["NONE"]);
        assert_eq!(config.command(), None);
        assert_eq!(
            HealthConfig::from_flags(&off, None).unwrap().unwrap().test,
            ["NONE"]
        );
        for clash in [
            HealthFlags {
                cmd: Some("true".into()),
                ..off.clone()
            },
            HealthFlags {
                retries: Some(-1),
                ..off.clone()
            },
            HealthFlags {
                start_interval: Some("-1s".into()),
                ..off.clone()
            },
        ] {
            assert_eq!(
                HealthConfig::from_flags(&clash, None),
                Err("--no-healthcheck conflicts with --health-* options".to_owned())
            );
        }
    }

    #[test]
    fn bad_flags_are_refused_with_dockers_words() {
        let cases = [
            (
                HealthFlags {
                    interval: Some("-1s".into()),
                    ..flags()
                },
                "--health-interval cannot be negative",
            ),
            (
                HealthFlags {
                    timeout: Some("-5m".into()),
                    ..flags()
                },
                "--health-timeout cannot be negative",
            ),
            (
                HealthFlags {
                    retries: Some(-1),
                    ..flags()
                },
                "--health-retries cannot be negative",
            ),
            (
                HealthFlags {
                    start_period: Some("-1ms".into()),
                    ..flags()
                },
                "--health-start-period cannot be negative",
            ),
            (
                HealthFlags {
                    start_interval: Some("-2s".into()),
                    ..flags()
                },
                "--health-start-interval cannot be negative",
            ),
            (
                HealthFlags {
                    interval: Some("500us".into()),
                    ..flags()
                },
                "Interval in Healthcheck cannot be less than 1ms",
            ),
            (
                HealthFlags {
                    timeout: Some("10ns".into()),
                    ..flags()
                },
                "Timeout in Healthcheck cannot be less than 1ms",
            ),
            (
                HealthFlags {
                    start_interval: Some("0.5ms".into()),
                    ..flags()
                },
                "StartInterval in Healthcheck cannot be less than 1ms",
            ),
            (
                HealthFlags {
                    interval: Some("soon".into()),
                    ..flags()
                },
                "invalid argument \"soon\" for \"--health-interval\" flag: \
                 invalid duration \"soon\": unknown unit \"soon\"",
            ),
            (
                HealthFlags {
                    retries: Some(i64::from(u32::MAX) + 1),
                    ..flags()
                },
                "--health-retries 4294967296 is too large (at most 4294967295)",
            ),
        ];
        for (given, expected) in cases {
            assert_eq!(
                HealthConfig::from_flags(&given, None),
                Err(expected.to_owned()),
                "{given:?}"
            );
        }
        // "-0s" is zero, not negative (as in Go).
        let minus_zero = HealthFlags {
            interval: Some("-0s".into()),
            ..flags()
        };
        assert_eq!(HealthConfig::from_flags(&minus_zero, None), Ok(None));
    }

    #[test]
    fn health_serializes_like_docker() {
        let mut health = Health::starting();
        health.record(probe(1, 0, "ok"), &config_with_retries(3), false);
        let json = serde_json::to_string(&health).unwrap();
        assert_eq!(
            json,
            r#"{"Status":"healthy","FailingStreak":0,"Log":[{"Start":"2026-05-01T10:00:01.100000000Z","End":"2026-05-01T10:00:01.250000000Z","ExitCode":0,"Output":"ok"}]}"#
        );
        let back: Health = serde_json::from_str(&json).unwrap();
        assert_eq!(back, health);
        for status in [
            HealthStatus::Starting,
            HealthStatus::Healthy,
            HealthStatus::Unhealthy,
        ] {
            let word = serde_json::to_string(&status).unwrap();
            assert_eq!(word, format!("\"{}\"", status.as_str()));
        }
    }

    #[test]
    fn health_config_reads_and_writes_dockers_json() {
        let from_image =
            r#"{"Test":["CMD-SHELL","curl -f localhost"],"Interval":5000000000,"Retries":12}"#;
        let config: HealthConfig = serde_json::from_str(from_image).unwrap();
        assert_eq!(config.test, ["CMD-SHELL", "curl -f localhost"]);
        assert_eq!(
            (config.interval(), config.timeout(), config.retries()),
            (secs(5), secs(30), 12)
        );
        assert_eq!(serde_json::to_string(&config).unwrap(), from_image);
        let full = r#"{"Test":["NONE"],"Interval":1,"Timeout":2,"StartPeriod":3,"StartInterval":4,"Retries":5}"#;
        let config: HealthConfig = serde_json::from_str(full).unwrap();
        assert_eq!(serde_json::to_string(&config).unwrap(), full);
        assert_eq!(
            serde_json::to_string(&HealthConfig::default()).unwrap(),
            "{}"
        );
    }
}
