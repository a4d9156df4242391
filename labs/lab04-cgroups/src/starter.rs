//! Your code. Replace every `todo!()`; keep the signatures, the spec calls them.
// The parameters are unused until you fill the bodies in.
#![allow(unused_variables)]

use std::path::Path;

use crate::{CgroupVersion, Limits};

/// Task 1 (3 points). A size in bytes, as docker reads `-m 200m`: a number, which may have a
/// fraction (`1.5g`), then an optional unit letter `b k m g t p` in either case, which may be
/// followed by `b`, `i` or `ib` (`30MB`, `10MiB`); spaces at either end and between the
/// number and the unit are allowed (`2 GB`). Units are binary: `1k` = 1024 bytes, `1m` =
/// 1024 × 1024. A fraction of a byte is dropped (`1.3k` = 1331). Anything else (no number, a
/// sign, an unknown unit, `10mm`, more than `u64::MAX` bytes) is an error whose message
/// contains the input in double quotes.
pub fn parse_size(text: &str) -> Result<u64, String> {
    todo!("task 1")
}

/// Task 2 (5 points). Check `docker run`'s flags `-m`, `--memory-swap`, `--cpus` and
/// `--cpu-shares` (each `None` when not given) and turn them into [`Limits`]:
/// - `memory`: a size (task 1), at least 6 MiB.
/// - `memory_swap` (docker's rule, seed 001): only `-m` → memory + swap may be twice the
///   memory, `Total(2 × memory)`; `"-1"` → `Unlimited`; otherwise a size, `Total(size)`, which
///   must not be below the memory. `--memory-swap` without `-m` is an error.
/// - `cpus`: a decimal number of CPUs, at least 0.01 (this lab does not look at how many CPUs
///   the host has), becomes a CFS quota: `cpu_period` 100000 µs and `cpu_quota` the number
///   × 100000, rounded.
/// - `cpu_shares`: 0 means "not given"; otherwise 2 to 262144.
///
/// Every error message starts with the long name of the flag at fault and a colon
/// (`--memory: ...`, `--memory-swap: ...`, `--cpus: ...`, `--cpu-shares: ...`).
pub fn limits_from_docker(
    memory: Option<&str>,
    memory_swap: Option<&str>,
    cpus: Option<&str>,
    cpu_shares: Option<u64>,
) -> Result<Limits, String> {
    todo!("task 2")
}

/// Task 3 (3 points). The memory files to write, as (file, value) pairs in write order, for
/// the limits that are set (none set: no pair).
/// - v1 (file names prefixed with their controller's directory): first
///   `memory/memory.limit_in_bytes` = the memory in bytes, then, when `memory_swap` is set,
///   `memory/memory.memsw.limit_in_bytes` = the memory + swap total, or `-1` for unlimited.
/// - v2: first `memory.max` = the memory, then — only when both `memory` and `memory_swap`
///   are set — `memory.swap.max` = the swap *alone*: total − memory, or `max` for unlimited.
pub fn memory_files(version: CgroupVersion, limits: &Limits) -> Vec<(String, String)> {
    todo!("task 3")
}

/// Task 4 (4 points). The CPU files to write, as (file, value) pairs in write order, for the
/// limits that are set (none set: no pair).
/// - v1 (prefixed like task 3): `cpu/cpu.shares`, then `cpu/cpu.cfs_period_us`, then
///   `cpu/cpu.cfs_quota_us` (the period first: the kernel checks the quota against it).
/// - v2: `cpu.weight` = the shares on v2's scale with runc's formula
///   `1 + (shares − 2) × 9999 / 262142` (integer arithmetic: 2 → 1, 1024 → 39,
///   262144 → 10000); then, when a quota or a period is set, `cpu.max` = `"QUOTA PERIOD"`,
///   where a missing quota is `max` and a missing period is 100000.
pub fn cpu_files(version: CgroupVersion, limits: &Limits) -> Vec<(String, String)> {
    todo!("task 4")
}

/// Task 5 (5 points). Give container `container` its cgroup under `root`, an existing
/// directory standing for `/sys/fs/cgroup` (a fake cgroupfs: create directories and files as
/// needed), and write the files of tasks 3 and 4 into it:
/// - v1: the container's group in each controller's tree, `ROOT/memory/mini-docker/CONTAINER`
///   and `ROOT/cpu/mini-docker/CONTAINER` — both created even with no limits — and
///   `memory/FILE` goes to `ROOT/memory/mini-docker/CONTAINER/FILE`, `cpu/FILE` likewise.
/// - v2: one group, `ROOT/mini-docker/CONTAINER`, with every file in it. A v2 group only has a
///   controller's files when its parent enables it, so first add `+memory` and `+cpu` to
///   `ROOT/cgroup.subtree_control` and to `ROOT/mini-docker/cgroup.subtree_control`.
///
/// Any file system error is returned.
pub fn apply(
    root: &Path,
    version: CgroupVersion,
    container: &str,
    limits: &Limits,
) -> std::io::Result<()> {
    todo!("task 5")
}
