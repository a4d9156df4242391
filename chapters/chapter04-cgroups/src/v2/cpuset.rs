//! v2 `cpuset`: `cpuset.cpus`. (Unlike v1, an empty value means "the parent's", so a new
//! group needs nothing copied.)

use crate::plan::{Controller, Write};
use crate::resources::Resources;

pub fn plan(r: &Resources) -> Vec<Write> {
    r.cpuset_cpus
        .iter()
        .map(|cpus| Write::new(Controller::Cpuset, "cpuset.cpus", cpus))
        .collect()
}
