//! v2 `memory`: `memory.max`, `memory.swap.max` (swap *alone*, not memory + swap),
//! `memory.low` (the reservation), and `memory.events` for OOM kills.

use crate::plan::{Controller, Write};
use crate::resources::{Resources, SwapLimit};

// ANCHOR: memory
pub fn plan(r: &Resources) -> Vec<Write> {
    let mut writes = Vec::new();
    if let Some(memory) = r.memory {
        writes.push(Write::new(Controller::Memory, "memory.max", memory));
    }
    if let (Some(swap), Some(memory)) = (r.memory_swap, r.memory) {
        // docker's --memory-swap is memory + swap; v2 limits swap on its own.
        let swap_only = match swap {
            SwapLimit::Unlimited => "max".to_owned(),
            SwapLimit::Total(total) => total.saturating_sub(memory).to_string(),
        };
        writes.push(
            Write::new(Controller::Memory, "memory.swap.max", swap_only).or_warn(
                "your kernel does not support swap limit capabilities: memory limited without swap",
            ),
        );
    }
    if let Some(reservation) = r.memory_reservation {
        writes.push(Write::new(Controller::Memory, "memory.low", reservation));
    }
    writes
}
// ANCHOR_END: memory

/// `max` means no limit.
pub fn parse_limit(text: &str) -> Option<u64> {
    text.trim().parse().ok()
}

/// `oom_kill N` in `memory.events`.
pub fn oom_kills(events: &str) -> u64 {
    crate::stats::keyed_value(events, "oom_kill").unwrap_or(0)
}
