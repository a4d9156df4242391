//! What the two seed 000 test files share: reading a container's restarts back from
//! `inspect` and from its events.

#![allow(dead_code)] // not every test file uses every helper

use std::time::{Duration, SystemTime};

use crate::lifecycle::{Engine, EventLine};

/// When an event happened.
pub fn time_of(event: &EventLine) -> SystemTime {
    humantime::parse_rfc3339(&event.time).unwrap()
}

/// For each `die` followed by a `start`: the time between them (the restart delay plus the
/// cost of a start).
pub fn restart_gaps(events: &[EventLine]) -> Vec<Duration> {
    events
        .windows(2)
        .filter(|pair| pair[0].action == "die" && pair[1].action == "start")
        .map(|pair| time_of(&pair[1]).duration_since(time_of(&pair[0])).unwrap())
        .collect()
}

/// `RestartCount` from `inspect`.
pub fn restart_count(engine: &Engine, name: &str) -> u32 {
    engine.inspect(name, "{{.RestartCount}}").parse().unwrap()
}

/// `State.Status` from `inspect`.
pub fn status(engine: &Engine, name: &str) -> String {
    engine.inspect(name, "{{.State.Status}}")
}
