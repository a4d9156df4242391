//! v2 `pids`: `pids.max` and `pids.current`, as in v1.

use crate::plan::{Controller, Write};
use crate::resources::Resources;

pub fn plan(r: &Resources) -> Vec<Write> {
    r.pids_limit
        .map(|limit| Write::new(Controller::Pids, "pids.max", limit))
        .into_iter()
        .collect()
}
