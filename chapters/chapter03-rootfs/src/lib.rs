//! # Chapter 3 — a root filesystem of its own
//!
//! After chapter 2 the container has its own process tree, hostname and network, but it still
//! looks at the host's files: `ps` reads the host's `/proc` and lists every process on the
//! machine. This chapter gives it a directory tree of its own as `/`:
//!
//! 1. make every mount in the new mount namespace *private*, so nothing we mount leaks back
//!    to the host — and so `pivot_root(2)` does not fail with `EINVAL`, which it does when the
//!    new root's parent mount is shared;
//! 2. bind-mount the rootfs onto itself, because `pivot_root` wants a mount point;
//! 3. mount a fresh `/proc` (it shows the PID namespace of whoever mounts it), `/sys`
//!    read-only, a small `/dev` with only the safe devices, `/dev/pts`, `/dev/shm`;
//! 4. `pivot_root` into it and detach the old root, so not even a path to the host's files
//!    remains.
//!
//! The plan of mounts is plain data ([`RootfsPlan`]) — printable, snapshot-tested without root —
//! and each entry is a [`chapter01::ChildStep`] the child runs after `clone`.
//!
//! ## Left out on purpose
//! The rootfs is a plain directory and the container writes straight into it; chapter 5 puts
//! an overlay filesystem in between. No resource limits yet (chapter 4), no masked `/proc`
//! paths or dropped capabilities (the hardening chapter).
//!
//! ## Modules
//! - [`mounts`] — the mount plan: what is mounted where, with which flags, in which order.
//! - [`devices`] — the device nodes and `/dev` symlinks a container gets.
//! - [`pivot`] — `pivot_root(2)` and detaching the old root.
//! - [`config`] — a container's settings, its environment, and the full plan to run it.
//! - [`record`] — container ids and the per-container state directory under the state root.
//! - [`run`] — run a container in the foreground from start to end.
//! - [`busybox`] — build a busybox root filesystem from the host's `busybox-static`.
//! - [`doctor`] — check that a host can run containers, with a fix for each problem.

pub mod busybox;
pub mod config;
pub mod devices;
pub mod doctor;
pub mod mounts;
pub mod pivot;
pub mod record;
pub mod run;

pub use chapter01;
pub use chapter02;
pub use config::{ContainerConfig, ContainerPlan};
pub use mounts::{MountStep, RootfsPlan};
pub use record::{ContainerId, ContainerRecord};
pub use run::{AfterExit, Finished, ForegroundRun, HostSide, NoHostSide};
