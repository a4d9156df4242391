//! v1 `pids`: how many processes (and threads) the group may have.

use crate::plan::{Controller, Write};
use crate::resources::Resources;

pub fn plan(r: &Resources) -> Vec<Write> {
    r.pids_limit
        .map(|limit| Write::new(Controller::Pids, "pids.max", limit))
        .into_iter()
        .collect()
}

/// `pids.current`.
pub fn current(text: &str) -> u64 {
    text.trim().parse().unwrap_or(0)
}
