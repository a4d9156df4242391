//! Lab 1 — a container is a process. Work in `src/starter.rs`; `tests/spec.rs` is the spec.
//!
//! `cargo xtask grade lab01` runs the spec against your code and prints your points.
//! (`--features reference` swaps in the chapter's own code; the checker uses it to prove the
//! spec can be passed. Try yourself before you look.)

#[cfg(not(feature = "reference"))]
mod starter;
#[cfg(not(feature = "reference"))]
pub use starter::*;

#[cfg(feature = "reference")]
mod reference;
#[cfg(feature = "reference")]
pub use reference::*;

/// How a process ended (the same shape as chapter 1's `ExitStatus`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ended {
    /// It called `exit(code)`.
    Exited(i32),
    /// Signal number `signal` killed it.
    Killed(i32),
}

/// Why a command could not be run, with docker's exit code for each case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RunError {
    /// 127: no such program.
    NotFound,
    /// 126: the program exists but cannot be executed (errno given).
    NotExecutable(i32),
    /// 125: something else failed (message given).
    Engine(String),
}
