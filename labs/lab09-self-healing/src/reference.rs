//! The chapter's code behind the lab's interface (used by `cargo xtask check-labs`).
//!
//! The lab's interface *is* chapter 9's: the four tasks are `restart::decide`,
//! `restart::start_at_boot`, `health::HealthRules::record` (implemented for `Health`) and
//! `health::next_delay`, and the given types and helpers are the chapter's own (the health
//! records are chapter 7's, which `chapter09::health` re-exports), so everything is
//! re-exported as it is. A type changed in the chapter breaks the spec's build against this
//! file, which is what `check-labs` is for.

pub use chapter09::health::{
    go_duration, next_delay, timed_out, Health, HealthCheckRules, HealthConfig, HealthRules,
    HealthStatus, ProbeResult, MAX_LOG_ENTRIES, MAX_OUTPUT_BYTES,
};
pub use chapter09::restart::{decide, start_at_boot, Backoff, Decision, ExitFacts, RestartPolicy};
