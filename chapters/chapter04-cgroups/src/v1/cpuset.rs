//! v1 `cpuset`: which CPUs (and memory nodes) the group may use.

use crate::plan::{Controller, Value, Write};
use crate::resources::Resources;

pub fn plan(r: &Resources) -> Vec<Write> {
    let Some(cpus) = &r.cpuset_cpus else {
        return Vec::new();
    };
    vec![
        Write::new(Controller::Cpuset, "cpuset.cpus", cpus),
        // A new cpuset group has no memory nodes and takes no process until it has some.
        Write {
            controller: Controller::Cpuset,
            file: "cpuset.mems",
            value: Value::FromParent,
            optional: None,
        },
    ]
}
