//! v2 `cpu`: `cpu.weight` (1–10000, default 100) and `cpu.max` (`QUOTA PERIOD`).

use crate::plan::{Controller, Write};
use crate::resources::Resources;

// ANCHOR: weight
/// Docker's `--cpu-shares` (v1's 2–262144, default 1024) as a v2 weight (1–10000, default
/// 100), with the linear map of the OCI runtime spec's conversion (runc before 1.3.2, crun
/// before 1.23): 2 → 1, 262144 → 10000, 1024 → 39. Newer runc and crun use a curve that maps
/// 1024 to the v2 default of 100; either way two containers' ratio is what counts here.
pub fn shares_to_weight(shares: u64) -> u64 {
    1 + (shares.saturating_sub(2) * 9_999) / 262_142
}
// ANCHOR_END: weight

pub fn plan(r: &Resources) -> Vec<Write> {
    let mut writes = Vec::new();
    if let Some(shares) = r.cpu_shares {
        writes.push(Write::new(
            Controller::Cpu,
            "cpu.weight",
            shares_to_weight(shares),
        ));
    }
    if r.cpu_quota.is_some() || r.cpu_period.is_some() {
        let quota = r.cpu_quota.map_or("max".to_owned(), |q| q.to_string());
        let period = r.cpu_period.unwrap_or(crate::resources::DEFAULT_CPU_PERIOD);
        writes.push(Write::new(
            Controller::Cpu,
            "cpu.max",
            format!("{quota} {period}"),
        ));
    }
    writes
}

/// `usage_usec` of `cpu.stat`: CPU time in microseconds.
pub fn usage_micros(cpu_stat: &str) -> u64 {
    crate::stats::keyed_value(cpu_stat, "usage_usec").unwrap_or(0)
}
