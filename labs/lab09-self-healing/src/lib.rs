//! Lab 9 — the self-healing decision core. Work in `src/starter.rs`; `tests/spec.rs` is the
//! spec.
//!
//! Chapter 9 brings a container back when its process dies (`--restart`) and watches one that
//! still runs but may have stopped working (a health check). Both come down to small rules
//! that the monitor asks at the right moment: after an exit, whether to start the container
//! again and after how long ([`decide`]); after a reboot, whether to start it at all
//! ([`start_at_boot`]); after a probe, what its result does to the container's health
//! ([`HealthRules::record`]); and when to run the next probe ([`next_delay`]). You write those
//! four. They take plain data and return plain data: no test starts a process, sleeps or
//! reads the clock. `cargo xtask grade lab09` prints your points.
//!
//! The types ([`RestartPolicy`], [`ExitFacts`], [`Decision`], [`Backoff`], [`HealthConfig`],
//! [`Health`], [`HealthStatus`], [`ProbeResult`]) and their helpers are given in
//! `src/given.rs`: copies of chapter 9's, so that the spec runs unchanged against the
//! chapter's own code (`--features reference`).

#[cfg(not(feature = "reference"))]
mod given;
#[cfg(not(feature = "reference"))]
pub use given::*;

#[cfg(not(feature = "reference"))]
mod starter;
#[cfg(not(feature = "reference"))]
pub use starter::*;

#[cfg(feature = "reference")]
mod reference;
#[cfg(feature = "reference")]
pub use reference::*;
