//! v1 `freezer`: `freezer.state` is `FROZEN` or `THAWED` (and `FREEZING` on the way).

use crate::plan::{Controller, Write};

pub const STATE_FILE: &str = "freezer.state";

pub fn set(frozen: bool) -> Write {
    Write::new(
        Controller::Freezer,
        STATE_FILE,
        if frozen { "FROZEN" } else { "THAWED" },
    )
}

/// Freezing is done when the state reads `FROZEN` (not `FREEZING`).
pub fn is_frozen(state: &str) -> bool {
    state.trim() == "FROZEN"
}
