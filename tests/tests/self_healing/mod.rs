//! What the two seed 000 test files share: a container's status and restart count, read
//! back from `inspect`.

use crate::lifecycle::Engine;

/// `RestartCount` from `inspect`.
pub fn restart_count(engine: &Engine, name: &str) -> u32 {
    engine.inspect(name, "{{.RestartCount}}").parse().unwrap()
}

/// `State.Status` from `inspect`.
pub fn status(engine: &Engine, name: &str) -> String {
    engine.inspect(name, "{{.State.Status}}")
}
