//! The chapter's code behind the lab's interface (used by `cargo xtask check-labs`).
//!
//! Tasks 1, 2 and 4 are chapter 7's `state::next`, `State::set_status` and `state::status_text`;
//! task 3 is chapter 6's `format::human_duration`, which chapter 7's `ps` uses. The lab has
//! types of its own (a `State` with only the fields it needs), so they are converted on the
//! way in and out; the matches are exhaustive, so a status added to the chapter breaks this
//! file instead of the spec.

use std::time::{Duration, SystemTime};

use chapter07::state as chapter;

use crate::{Refusal, State, Status, Transition};

pub use chapter07::chapter06::format::human_duration;

fn to_chapter(status: Status) -> chapter::Status {
    match status {
        Status::Created => chapter::Status::Created,
        Status::Running => chapter::Status::Running,
        Status::Paused => chapter::Status::Paused,
        Status::Restarting => chapter::Status::Restarting,
        Status::Removing => chapter::Status::Removing,
        Status::Exited => chapter::Status::Exited,
        Status::Dead => chapter::Status::Dead,
    }
}

fn from_chapter(status: chapter::Status) -> Status {
    match status {
        chapter::Status::Created => Status::Created,
        chapter::Status::Running => Status::Running,
        chapter::Status::Paused => Status::Paused,
        chapter::Status::Restarting => Status::Restarting,
        chapter::Status::Removing => Status::Removing,
        chapter::Status::Exited => Status::Exited,
        chapter::Status::Dead => Status::Dead,
    }
}

fn transition_to_chapter(transition: Transition) -> chapter::Transition {
    match transition {
        Transition::Start => chapter::Transition::Start,
        Transition::Pause => chapter::Transition::Pause,
        Transition::Unpause => chapter::Transition::Unpause,
        Transition::Exit { restarting } => chapter::Transition::Exit { restarting },
        Transition::Remove => chapter::Transition::Remove,
        Transition::MonitorLost => chapter::Transition::MonitorLost,
    }
}

/// The chapter's state with the lab's fields; the others as `create` leaves them.
fn state_to_chapter(state: &State) -> chapter::State {
    chapter::State {
        status: to_chapter(state.status),
        running: state.running,
        paused: state.paused,
        restarting: state.restarting,
        dead: state.dead,
        exit_code: state.exit_code,
        started_at: state.started_at.clone(),
        finished_at: state.finished_at.clone(),
        ..chapter::State::default()
    }
}

pub fn next(from: Status, transition: Transition) -> Result<Status, Refusal> {
    chapter::next(to_chapter(from), transition_to_chapter(transition))
        .map(from_chapter)
        .map_err(|refusal| Refusal(refusal.0))
}

impl State {
    pub fn set_status(&mut self, status: Status) {
        let mut state = state_to_chapter(self);
        state.set_status(to_chapter(status));
        self.status = from_chapter(state.status);
        self.running = state.running;
        self.paused = state.paused;
        self.restarting = state.restarting;
        self.dead = state.dead;
        self.exit_code = state.exit_code;
        self.started_at = state.started_at;
        self.finished_at = state.finished_at;
    }
}

pub fn status_text(state: &State, now: SystemTime, human: &dyn Fn(Duration) -> String) -> String {
    chapter::status_text(&state_to_chapter(state), now, human)
}
