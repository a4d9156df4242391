//! Given: the types of chapter 9's `restart` and `health` modules (and the health records
//! chapter 7 keeps), with the helpers that are already written. Read them, use them, leave
//! them as they are: the spec runs unchanged against chapter 9's own code
//! (`--features reference`), so these must keep the chapter's names, fields and signatures.
//!
//! Left out of the copy: the chapter's `serde` derives (the records are JSON files there,
//! `state.json` and `config.json`; nothing here reads or writes files), the conversions of a
//! policy to and from its stored record, and `HealthConfig::from_flags`, which reads the
//! `--health-*` flags of `run`.

use std::time::Duration;

// ---------------------------------------------------------------------------------------
// Restart policies (chapter 9's `restart` module).
// ---------------------------------------------------------------------------------------

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
    /// Like `Always`, except that a container stopped by the user stays down when the host
    /// comes back.
    UnlessStopped,
}

impl RestartPolicy {
    /// Reads `--restart no|on-failure[:N]|always|unless-stopped` like docker: `name[:count]`,
    /// the count only with `on-failure`. An empty text is `no`.
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
        // Docker reads the count with Go's strconv.Atoi: an optional sign, decimal digits.
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
}

/// Docker's check of a policy name and retry count, with its error texts.
fn validate(name: &str, count: i64) -> Result<RestartPolicy, String> {
    let policy = match name {
        "no" => RestartPolicy::No,
        "always" => RestartPolicy::Always,
        "unless-stopped" => RestartPolicy::UnlessStopped,
        "on-failure" if count < 0 => {
            return Err("invalid restart policy: maximum retry count cannot be negative".to_owned())
        }
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

// ---------------------------------------------------------------------------------------
// Health checks: the records (chapter 7's `spec` and `state`) and chapter 9's given rules.
// ---------------------------------------------------------------------------------------

/// The longest probe output kept, in bytes; longer output is cut and marked with `...`.
pub const MAX_OUTPUT_BYTES: usize = 4096;
/// How many probe results `inspect` shows.
pub const MAX_LOG_ENTRIES: usize = 5;

/// A HEALTHCHECK, as docker keeps it in the image config and in the container's `Config`.
/// Durations are nanoseconds; zero means docker's default (read them through
/// [`HealthCheckRules`], which applies the defaults).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HealthConfig {
    /// `["CMD", program, args…]`, `["CMD-SHELL", command]` or `["NONE"]`; empty = inherit.
    pub test: Vec<String>,
    pub interval: u64,
    pub timeout: u64,
    pub start_period: u64,
    pub start_interval: u64,
    pub retries: u32,
}

/// A container's health, as `inspect` shows it and `health_status` events name it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HealthStatus {
    Starting,
    Healthy,
    Unhealthy,
}

impl HealthStatus {
    /// The word docker uses, in `inspect` and in `health_status: healthy` events.
    pub fn as_str(self) -> &'static str {
        match self {
            HealthStatus::Starting => "starting",
            HealthStatus::Healthy => "healthy",
            HealthStatus::Unhealthy => "unhealthy",
        }
    }

    /// What `ps` adds to `Up 5 minutes` for a container with a health check.
    pub fn ps_suffix(self) -> &'static str {
        match self {
            HealthStatus::Starting => " (health: starting)",
            HealthStatus::Healthy => " (healthy)",
            HealthStatus::Unhealthy => " (unhealthy)",
        }
    }
}

/// One probe, as docker's `HealthcheckResult`: RFC 3339 times with nanoseconds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProbeResult {
    pub start: String,
    pub end: String,
    pub exit_code: i32,
    pub output: String,
}

/// Docker's `State.Health`: `{"Status":"healthy","FailingStreak":0,"Log":[…]}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Health {
    pub status: HealthStatus,
    /// Failed probes in a row that counted.
    pub failing_streak: u32,
    /// The last results, oldest first.
    pub log: Vec<ProbeResult>,
}

const DEFAULT_INTERVAL: Duration = Duration::from_secs(30);
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);
const DEFAULT_START_PERIOD: Duration = Duration::ZERO;
const DEFAULT_START_INTERVAL: Duration = Duration::from_secs(5);
const DEFAULT_RETRIES: u32 = 3;

/// Docker's rules for a [`HealthConfig`] record: its values with the defaults applied. A trait
/// because, in the chapters, chapter 7 owns the record and chapter 9 the rules.
pub trait HealthCheckRules {
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
}

impl HealthCheckRules for HealthConfig {
    fn interval(&self) -> Duration {
        nanos_or(self.interval, DEFAULT_INTERVAL)
    }

    fn timeout(&self) -> Duration {
        nanos_or(self.timeout, DEFAULT_TIMEOUT)
    }

    fn start_period(&self) -> Duration {
        nanos_or(self.start_period, DEFAULT_START_PERIOD)
    }

    fn start_interval(&self) -> Duration {
        nanos_or(self.start_interval, DEFAULT_START_INTERVAL)
    }

    fn retries(&self) -> u32 {
        match self.retries {
            0 => DEFAULT_RETRIES,
            retries => retries,
        }
    }

    /// `CMD` → as is; `CMD-SHELL` → `/bin/sh -c`; `NONE`, empty, or a kind with no command →
    /// `None` (no probe runs).
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
}

fn nanos_or(nanos: u64, default: Duration) -> Duration {
    match nanos {
        0 => default,
        nanos => Duration::from_nanos(nanos),
    }
}

/// Docker's rules for a container's [`Health`]: what a new run and a probe result do to it.
/// `src/starter.rs` implements it for [`Health`]; `starting` and `restart` are written there
/// already, `record` is task 3.
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
