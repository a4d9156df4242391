//! v1 `cpu` (weights and quotas) and `cpuacct` (CPU time used).

use crate::plan::{Controller, Write};
use crate::resources::Resources;

// ANCHOR: cpu
pub fn plan(r: &Resources) -> Vec<Write> {
    let mut writes = Vec::new();
    if let Some(shares) = r.cpu_shares {
        writes.push(Write::new(Controller::Cpu, "cpu.shares", shares));
    }
    // The period before the quota: the kernel checks the quota against the period.
    if let Some(period) = r.cpu_period {
        writes.push(Write::new(Controller::Cpu, "cpu.cfs_period_us", period));
    }
    if let Some(quota) = r.cpu_quota {
        writes.push(Write::new(Controller::Cpu, "cpu.cfs_quota_us", quota));
    }
    writes
}
// ANCHOR_END: cpu

/// `cpuacct.usage`: CPU time in nanoseconds.
pub fn usage_nanos(text: &str) -> u64 {
    text.trim().parse().unwrap_or(0)
}
