//! Lab 4 — cgroups. Work in `src/starter.rs`; `tests/spec.rs` is the spec.
//!
//! You turn docker's memory and CPU flags into limits, the limits into cgroup files for
//! both versions of the cgroup filesystem, and write them into a *fake* cgroupfs: plain
//! directories under a temporary root, so no test needs root.
//! `cargo xtask grade lab04` prints your points.

#[cfg(not(feature = "reference"))]
mod starter;
#[cfg(not(feature = "reference"))]
pub use starter::*;

#[cfg(feature = "reference")]
mod reference;
#[cfg(feature = "reference")]
pub use reference::*;

/// Which cgroup filesystem the files are for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CgroupVersion {
    /// One tree per controller (`memory/`, `cpu/`, ...), v1 file names.
    V1,
    /// One tree, every controller's files in each group, v2 file names.
    V2,
}

/// Docker's `--memory-swap`: memory *and* swap together.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Swap {
    /// `--memory-swap -1`: swap is not limited.
    Unlimited,
    /// Memory plus swap may use this many bytes in all.
    Total(u64),
}

/// Checked limits; `None` means "not limited by us" (nothing is written).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Limits {
    /// Memory, in bytes.
    pub memory: Option<u64>,
    /// Memory plus swap.
    pub memory_swap: Option<Swap>,
    /// A relative CPU weight in v1 units (2 to 262144; docker's default is 1024).
    pub cpu_shares: Option<u64>,
    /// The CFS period, in microseconds.
    pub cpu_period: Option<u64>,
    /// The CPU time the group may use per period, in microseconds.
    pub cpu_quota: Option<i64>,
}
