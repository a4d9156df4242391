//! v2 freezing: every non-root group has `cgroup.freeze` (write 1 or 0); `cgroup.events`
//! says `frozen 1` once every process in it is stopped.

use crate::plan::{Controller, Write};

pub fn set(frozen: bool) -> Write {
    // The controller is only a label here: cgroup.freeze is a core file of every group.
    Write::new(
        Controller::Freezer,
        "cgroup.freeze",
        if frozen { 1 } else { 0 },
    )
}

pub fn is_frozen(events: &str) -> bool {
    crate::stats::keyed_value(events, "frozen") == Some(1)
}
