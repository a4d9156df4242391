//! Your code. Replace every `todo!()`; keep the signatures, the spec calls them.
// The parameters are unused until you fill the bodies in.
#![allow(unused_variables)]

use std::time::{Duration, SystemTime};

use crate::{Refusal, State, Status, Transition};

/// Task 1 (6 points). The state after `transition` happens to a container in state `from`,
/// or why it may not happen now: a [`Refusal`] holding exactly the words below.
///
/// - `Start`: from `Created`, `Exited` or `Restarting` → `Running`. Refused from
///   - `Running`: `container is already running`;
///   - `Paused`: `cannot start a paused container, try unpause instead`;
///   - `Removing` and `Dead`: `container is marked for removal and cannot be started`.
/// - `Pause`: from `Running` → `Paused`. Refused from `Paused`: `container is already
///   paused`; from anything else: `container is not running`.
/// - `Unpause`: from `Paused` → `Running`. Refused from anything else: `container is not
///   paused`.
/// - `Exit { restarting }`: from `Running` or `Paused` → `Restarting` when `restarting`, else
///   `Exited`. From `Restarting` → `Exited`, whatever `restarting` says (the policy gave up
///   waiting). Refused from anything else: `container is not running`.
/// - `Remove`: from `Created`, `Exited` or `Dead` → `Removing`. Refused from
///   - `Running` and `Restarting`: `container is running: stop the container before removing
///     or force remove`;
///   - `Paused`: `container is paused and must be unpaused first: stop the container before
///     removing or force remove`;
///   - `Removing`: `removal of container is already in progress`.
/// - `MonitorLost`: from `Running`, `Paused` or `Restarting` → `Dead` (nobody saw how the
///   command ended). From any other state it changes nothing: `Ok(from)`, never refused.
pub fn next(from: Status, transition: Transition) -> Result<Status, Refusal> {
    todo!("task 1")
}

impl State {
    /// Task 2 (3 points). Sets `status`, and the four booleans docker derives from it
    /// (`inspect` shows them next to `Status`):
    /// - `running`: the command's process exists — `Running`, and `Paused` too (a paused
    ///   process is frozen, not gone);
    /// - `paused`: `Paused`; `restarting`: `Restarting`; `dead`: `Dead`.
    ///
    /// Every boolean is set, true or false, whatever it was before. No other field changes.
    pub fn set_status(&mut self, status: Status) {
        todo!("task 2")
    }
}

/// Task 3 (6 points). A duration in docker's words (Go's `go-units`, used by `ps` and
/// `images`), decided in this order:
///
/// | rule | words |
/// |---|---|
/// | `s` = whole seconds (any fraction dropped); `s < 1` | `Less than a second` |
/// | `s == 1` | `1 second` |
/// | `s < 60` | `<s> seconds` |
/// | `m` = whole minutes (`s / 60`); `m == 1` | `About a minute` |
/// | `m < 60` | `<m> minutes` |
/// | `h` = hours rounded to the nearest, half up (1 h 30 min is 2); `h == 1` | `About an hour` |
/// | `h < 48` | `<h> hours` |
/// | `h < 24 * 7 * 2` (two weeks) | `<h / 24> days` |
/// | `h < 24 * 30 * 2` (two months of 30 days) | `<h / 24 / 7> weeks` |
/// | `h < 24 * 365 * 2` (two years of 365 days) | `<h / 24 / 30> months` |
/// | otherwise | `<y> years`, `y` = whole hours (*not* rounded) `/ 24 / 365` |
///
/// Divisions are integer divisions: they round down.
pub fn human_duration(duration: Duration) -> String {
    todo!("task 3")
}

/// Task 4 (5 points). The STATUS column of `ps` for a container in `state` at time `now`.
/// `human` words a duration (the spec passes task 3's `human_duration`, or a stand-in that
/// shows the duration it was given).
///
/// | status | text |
/// |---|---|
/// | `Created` | `Created` |
/// | `Running` | `Up <human(now − started_at)>` |
/// | `Paused` | `Up <human(now − started_at)> (Paused)` |
/// | `Restarting` | `Restarting (<exit_code>) <human(now − finished_at)> ago` |
/// | `Exited` | `Exited (<exit_code>) <human(now − finished_at)> ago` |
/// | `Removing` | `Removal In Progress` |
/// | `Dead` | `Dead` |
///
/// The times are RFC 3339 text (see [`State`]); one that cannot be read, or that is later than
/// `now` (the clock was set back), counts as a duration of zero.
pub fn status_text(state: &State, now: SystemTime, human: &dyn Fn(Duration) -> String) -> String {
    todo!("task 4")
}
