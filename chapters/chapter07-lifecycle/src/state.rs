//! The container's state machine: which states there are, which moves between them are
//! allowed, and how `ps` words each state.
//!
//! ```text
//!             create          start                    exit (policy: no restart)
//!   (none) ──────────► Created ─────► Running ───────────────────────► Exited ──┐
//!                         │           │  ▲  │ exit (policy: restart)     │  ▲     │
//!                         │     pause │  │  └──────► Restarting ─────────┘  │     │ rm
//!                         │           ▼  │ unpause        │  start          │     │
//!                         │          Paused ──────────────┼────────► Running│     ▼
//!                         │                               stop / kill ──────┘  Removing ─► (gone)
//!                         └──────────────────────────── rm ──────────────────────▲
//!   monitor lost while Running / Paused / Restarting ──► Dead ──── rm ────────────┘
//! ```
//!
//! Everything here is pure: the store applies a [`Transition`] under the container's lock,
//! and the same function explains a refusal (`container is running: stop the container
//! before removing or force remove`) in docker's words.

use std::time::{Duration, SystemTime};

use serde::{Deserialize, Serialize};

/// What `inspect` shows as `State.Status`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Created,
    Running,
    Paused,
    Restarting,
    Removing,
    Exited,
    Dead,
}

impl Status {
    /// Docker's word for the state, as `inspect` and `ps --filter status=` use it.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Created => "created",
            Status::Running => "running",
            Status::Paused => "paused",
            Status::Restarting => "restarting",
            Status::Removing => "removing",
            Status::Exited => "exited",
            Status::Dead => "dead",
        }
    }

    /// A process (or a monitor about to start one) exists for this state.
    pub fn is_active(self) -> bool {
        matches!(self, Status::Running | Status::Paused | Status::Restarting)
    }
}

/// Something that happens to a container.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transition {
    /// `start` (or a restart by the policy) got the command running.
    Start,
    Pause,
    Unpause,
    /// The command ended; `restarting` when the restart policy brings it back (chapter 9).
    Exit {
        restarting: bool,
    },
    /// `rm` begins.
    Remove,
    /// The monitor disappeared while the container was active (killed, host crash).
    MonitorLost,
}

/// Why a transition is refused, in docker's words (the caller adds the container's name).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal(pub String);

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

// ANCHOR: next
/// The state after `transition`, or why it may not happen now.
pub fn next(from: Status, transition: Transition) -> Result<Status, Refusal> {
    use Status::*;
    use Transition::*;
    let refuse = |why: &str| Err(Refusal(why.to_owned()));
    match (from, transition) {
        (Created | Exited | Restarting, Start) => Ok(Running),
        (Running, Start) => refuse("container is already running"),
        (Paused, Start) => refuse("cannot start a paused container, try unpause instead"),
        (Removing | Dead, Start) => refuse("container is marked for removal and cannot be started"),
        (Running, Pause) => Ok(Paused),
        (Paused, Pause) => refuse("container is already paused"),
        (_, Pause) => refuse("container is not running"),
        (Paused, Unpause) => Ok(Running),
        (_, Unpause) => refuse("container is not paused"),
        (Running | Paused, Exit { restarting }) => Ok(if restarting { Restarting } else { Exited }),
        (Restarting, Exit { .. }) => Ok(Exited),
        (_, Exit { .. }) => refuse("container is not running"),
        (Created | Exited | Dead, Remove) => Ok(Removing),
        (Running, Remove) => {
            refuse("container is running: stop the container before removing or force remove")
        }
        (Restarting, Remove) => {
            refuse("container is restarting: stop the container before removing or force remove")
        }
        (Paused, Remove) => refuse("container is paused and must be unpaused first"),
        (Removing, Remove) => refuse("removal of container is already in progress"),
        (Running | Paused | Restarting, MonitorLost) => Ok(Dead),
        (other, MonitorLost) => Ok(other),
    }
}
// ANCHOR_END: next

/// Docker's zero time, which `inspect` shows for "never".
pub const ZERO_TIME: &str = "0001-01-01T00:00:00Z";

/// What `state.json` holds: docker's `State`, field for field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct State {
    pub status: Status,
    pub running: bool,
    pub paused: bool,
    pub restarting: bool,
    #[serde(rename = "OOMKilled")]
    pub oom_killed: bool,
    pub dead: bool,
    /// The command's host pid while it runs, else 0.
    pub pid: i32,
    pub exit_code: i32,
    pub error: String,
    pub started_at: String,
    pub finished_at: String,
    /// The monitor's pid while it lives (ours, not docker's: docker has no monitor per
    /// container in its state).
    #[serde(default)]
    pub monitor_pid: i32,
    /// A `stop` or `kill` by the user: the restart policy leaves the container down.
    #[serde(default)]
    pub manually_stopped: bool,
    /// How often the restart policy has restarted it (chapter 9); `RestartCount` in
    /// `inspect`.
    #[serde(default)]
    pub restart_count: u32,
    /// The network the running container got (chapter 8); empty when it does not run.
    #[serde(default)]
    pub network_settings: NetworkSettings,
    /// The health check's verdict and last results (chapter 9); absent without a check.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub health: Option<Health>,
}

/// A container's health, as `inspect` shows it and `health_status` events name it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
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
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ProbeResult {
    pub start: String,
    pub end: String,
    pub exit_code: i32,
    pub output: String,
}

/// Docker's `State.Health`: `{"Status":"healthy","FailingStreak":0,"Log":[…]}`. Chapter 9
/// decides what each probe result does to it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Health {
    pub status: HealthStatus,
    /// Failed probes in a row that counted.
    pub failing_streak: u32,
    /// The last results, oldest first.
    pub log: Vec<ProbeResult>,
}

/// Docker's `NetworkSettings`: what the container's current run was given. Chapter 8 fills
/// it in at start; the monitor empties it at the end, as docker does.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct NetworkSettings {
    /// The host's bridge the container is plugged into.
    pub bridge: String,
    /// Where its network namespace can be opened (`/proc/PID/ns/net`).
    pub sandbox_key: String,
    /// Published ports as actually bound (a random host port is known only here).
    pub ports: crate::spec::PortMap,
    pub gateway: String,
    #[serde(rename = "IPAddress")]
    pub ip_address: String,
    #[serde(rename = "IPPrefixLen")]
    pub ip_prefix_len: u8,
    pub mac_address: String,
    /// The same, by network name (`{{.NetworkSettings.Networks.bridge.IPAddress}}`).
    pub networks: std::collections::BTreeMap<String, EndpointSettings>,
}

/// One network of a container in [`NetworkSettings`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct EndpointSettings {
    pub gateway: String,
    #[serde(rename = "IPAddress")]
    pub ip_address: String,
    #[serde(rename = "IPPrefixLen")]
    pub ip_prefix_len: u8,
    pub mac_address: String,
}

impl Default for State {
    fn default() -> Self {
        State {
            status: Status::Created,
            running: false,
            paused: false,
            restarting: false,
            oom_killed: false,
            dead: false,
            pid: 0,
            exit_code: 0,
            error: String::new(),
            started_at: ZERO_TIME.to_owned(),
            finished_at: ZERO_TIME.to_owned(),
            monitor_pid: 0,
            manually_stopped: false,
            restart_count: 0,
            network_settings: NetworkSettings::default(),
            health: None,
        }
    }
}

impl State {
    /// Sets `status` and the booleans docker derives from it. A restarting container counts
    /// as running, as in docker (so `ps` without `-a` lists it).
    pub fn set_status(&mut self, status: Status) {
        self.status = status;
        self.running = matches!(
            status,
            Status::Running | Status::Paused | Status::Restarting
        );
        self.paused = status == Status::Paused;
        self.restarting = status == Status::Restarting;
        self.dead = status == Status::Dead;
    }

    /// Applies `transition`, refusing it like docker would.
    pub fn apply(&mut self, transition: Transition) -> Result<(), Refusal> {
        let status = next(self.status, transition)?;
        self.set_status(status);
        Ok(())
    }
}

// ANCHOR: status_text
/// The STATUS column of `ps`: `Up 5 minutes`, `Exited (0) 2 hours ago`, …
/// `human` turns a duration into docker's words ("Less than a second", "About a minute").
pub fn status_text(state: &State, now: SystemTime, human: &dyn Fn(Duration) -> String) -> String {
    let since = |time: &str| {
        humantime::parse_rfc3339_weak(time)
            .ok()
            .and_then(|then| now.duration_since(then).ok())
            .unwrap_or_default()
    };
    match state.status {
        Status::Created => "Created".to_owned(),
        Status::Running => format!(
            "Up {}{}",
            human(since(&state.started_at)),
            state
                .health
                .as_ref()
                .map_or("", |health| health.status.ps_suffix())
        ),
        Status::Paused => format!("Up {} (Paused)", human(since(&state.started_at))),
        Status::Restarting => format!(
            "Restarting ({}) {} ago",
            state.exit_code,
            human(since(&state.finished_at))
        ),
        Status::Exited => format!(
            "Exited ({}) {} ago",
            state.exit_code,
            human(since(&state.finished_at))
        ),
        Status::Removing => "Removal In Progress".to_owned(),
        Status::Dead => "Dead".to_owned(),
    }
}
// ANCHOR_END: status_text

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn a_container_lives_through_its_states() {
        let mut state = State::default();
        for (transition, expected) in [
            (Transition::Start, Status::Running),
            (Transition::Pause, Status::Paused),
            (Transition::Unpause, Status::Running),
            (Transition::Exit { restarting: true }, Status::Restarting),
            (Transition::Start, Status::Running),
            (Transition::Exit { restarting: false }, Status::Exited),
            (Transition::Start, Status::Running),
            (Transition::MonitorLost, Status::Dead),
            (Transition::Remove, Status::Removing),
        ] {
            state.apply(transition).unwrap();
            assert_eq!(state.status, expected, "after {transition:?}");
        }
        assert!(state.apply(Transition::Start).is_err());
    }

    #[test]
    fn the_booleans_follow_the_status() {
        let mut state = State::default();
        state.set_status(Status::Paused);
        assert!(state.running && state.paused && !state.restarting && !state.dead);
        state.set_status(Status::Dead);
        assert!(!state.running && state.dead);
    }

    #[test]
    fn refusals_use_dockers_words() {
        let refusal = next(Status::Running, Transition::Remove).unwrap_err();
        assert_eq!(
            refusal.0,
            "container is running: stop the container before removing or force remove"
        );
        assert_eq!(
            next(Status::Exited, Transition::Unpause).unwrap_err().0,
            "container is not paused"
        );
    }
}
