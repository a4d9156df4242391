//! v1 `memory`: `memory.limit_in_bytes`, `memory.memsw.limit_in_bytes` (memory + swap),
//! `memory.soft_limit_in_bytes` (the reservation), and `memory.oom_control` for OOM kills.

use crate::plan::{Controller, Write};
use crate::resources::{Resources, SwapLimit};

// ANCHOR: memory
pub fn plan(r: &Resources) -> Vec<Write> {
    let mut writes = Vec::new();
    // The limit first: memsw may never be below it, and a new group starts unlimited.
    if let Some(memory) = r.memory {
        writes.push(Write::new(
            Controller::Memory,
            "memory.limit_in_bytes",
            memory,
        ));
    }
    if let Some(swap) = r.memory_swap {
        let total = match swap {
            SwapLimit::Unlimited => "-1".to_owned(),
            SwapLimit::Total(bytes) => bytes.to_string(),
        };
        writes.push(
            Write::new(Controller::Memory, "memory.memsw.limit_in_bytes", total).or_warn(
                "your kernel does not support swap limit capabilities (swap accounting is off): memory limited without swap",
            ),
        );
    }
    if let Some(reservation) = r.memory_reservation {
        writes.push(Write::new(
            Controller::Memory,
            "memory.soft_limit_in_bytes",
            reservation,
        ));
    }
    writes
}
// ANCHOR_END: memory

/// A byte count file (`memory.usage_in_bytes`, v2's `memory.current`).
pub fn usage(text: &str) -> u64 {
    text.trim().parse().unwrap_or(0)
}

/// v1 shows "no limit" as a huge number (the largest page-aligned `i64`).
pub fn parse_limit(text: &str) -> Option<u64> {
    text.trim()
        .parse::<u64>()
        .ok()
        .filter(|limit| *limit < (1 << 62))
}

/// `oom_kill N` in `memory.oom_control` (Linux 4.13 and later): processes the OOM killer
/// killed in this group.
pub fn oom_kills(oom_control: &str) -> u64 {
    crate::stats::keyed_value(oom_control, "oom_kill").unwrap_or(0)
}
