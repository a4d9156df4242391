//! # Chapter 9 — self-healing
//!
//! A container whose process dies stays dead, and one whose process hangs keeps "running".
//! This chapter teaches the engine to notice and to act, the way docker does:
//!
//! - a **restart policy** (`--restart no|on-failure[:N]|always|unless-stopped`): when the
//!   process ends, the monitor of chapter 7 decides whether to start it again — after a
//!   delay that doubles from 100 ms up to a minute, so a crashing container does not eat
//!   the machine, and that starts over after a run of 10 s;
//! - **health checks** (`--health-cmd` and friends, or the image's HEALTHCHECK): a probe
//!   command run inside the container every interval, whose exit codes move it between
//!   `starting`, `healthy` and `unhealthy`;
//! - **acting on unhealthy** (`--health-on-failure`, podman's option): kill, stop, or
//!   restart it through the restart policy's backoff;
//! - **coming back after a reboot** without a daemon: `system restore`, run at boot.
//!
//! The rules are pure functions with table tests ([`restart`], [`health`]); the monitor
//! supplies the clock and the processes ([`hooks`], [`checker`], [`probe`]).
//!
//! ## Left out on purpose
//! Docker's `exec_*` events for each probe, the image's `SHELL` for `CMD-SHELL`, the
//! `restart` event of newer docker versions for a policy restart (we emit `die` and `start`,
//! as docker's monitor always has), `docker update --restart`, and swarm's restart
//! conditions and delays.
//!
//! ## Modules
//! - [`restart`] — the policy, the backoff, the decision after an exit and at boot.
//! - [`health`] — HEALTHCHECK defaults, flags, what a probe result does to the health.
//! - [`flags`] — the command line's flags, checked before anything is made.
//! - [`probe`] — one probe, run inside the container with a time limit.
//! - [`checker`] — the monitor's health-check thread and `--health-on-failure`.
//! - [`hooks`] — all of it plugged into chapter 7's monitor.
//! - [`restore`] — `system restore`: the containers a reboot took down, brought back.

pub mod checker;
pub mod flags;
pub mod health;
pub mod hooks;
pub mod probe;
pub mod restart;
pub mod restore;

pub use chapter08;
pub use hooks::SelfHealingHooks;
