//! Lab 7 — the container lifecycle. Work in `src/starter.rs`; `tests/spec.rs` is the spec.
//!
//! A container outlives the command that started it, so its state is written down: a
//! [`Status`] and the booleans docker derives from it, an exit code, the times it started and
//! finished. You write the state machine that says which moves are allowed (and refuses the
//! others in docker's words), the booleans, docker's durations in words, and the STATUS column
//! of `ps` built from them. Everything is a pure function of its arguments: no test starts a
//! process or reads the clock. `cargo xtask grade lab07` prints your points.

#[cfg(not(feature = "reference"))]
mod starter;
#[cfg(not(feature = "reference"))]
pub use starter::*;

#[cfg(feature = "reference")]
mod reference;
#[cfg(feature = "reference")]
pub use reference::*;

/// A container's state, as `inspect` shows it in `State.Status`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Made by `create` (or `run` before it starts it); never started yet.
    Created,
    /// Its command runs.
    Running,
    /// Its command is frozen by the cgroup freezer (`pause`).
    Paused,
    /// Its command ended and the restart policy is bringing it back.
    Restarting,
    /// `rm` is cleaning it up.
    Removing,
    /// Its command ended and nothing brings it back.
    Exited,
    /// Its monitor was lost while the command was active: nobody knows how it ended.
    Dead,
}

/// Something that happens to a container.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transition {
    /// `start` (or a restart by the policy) got the command running.
    Start,
    /// `pause`.
    Pause,
    /// `unpause`.
    Unpause,
    /// The command ended; `restarting` when the restart policy brings it back.
    Exit { restarting: bool },
    /// `rm` begins.
    Remove,
    /// The monitor process disappeared (killed, host crash).
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

/// Docker's zero time, which `inspect` shows for "never".
pub const ZERO_TIME: &str = "0001-01-01T00:00:00Z";

/// The part of docker's `State` (`inspect`'s `State`, chapter 7's `state.json`) this lab
/// works on. The chapter's has more: the pid, `OOMKilled`, an error text, the monitor's pid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct State {
    pub status: Status,
    /// Derived from `status` by `set_status` (task 2), like the three below.
    pub running: bool,
    pub paused: bool,
    pub restarting: bool,
    pub dead: bool,
    /// How the command last ended: its exit code, or 128 + the signal that killed it.
    pub exit_code: i32,
    /// When the command last started, in RFC 3339 (UTC, `Z`, any fraction of a second):
    /// `2024-05-01T12:00:00.123456789Z`. [`ZERO_TIME`] if never.
    pub started_at: String,
    /// When the command last ended, like `started_at`.
    pub finished_at: String,
}

impl Default for State {
    /// A container `create` just made.
    fn default() -> Self {
        State {
            status: Status::Created,
            running: false,
            paused: false,
            restarting: false,
            dead: false,
            exit_code: 0,
            started_at: ZERO_TIME.to_owned(),
            finished_at: ZERO_TIME.to_owned(),
        }
    }
}
