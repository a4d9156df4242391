//! # Chapter 2 — namespaces
//!
//! Chapter 1 started a process that saw everything the host sees. A *namespace* gives a
//! process its own copy of one kind of global resource: process ids, the hostname, mount
//! points, IPC objects, network devices, user ids, its cgroup root. This chapter starts the
//! child with `clone(2)` and `CLONE_NEW*` flags instead of `fork(2)`, so it is born inside new
//! namespaces — PID 1 of its own process tree, with its own hostname and only a loopback
//! interface — while the host still sees it as an ordinary process with an ordinary pid.
//!
//! It also introduces the *gate*: the child is created, then waits until the host has done
//! its part (write the user-namespace id maps; in later chapters, put it in a cgroup, give it
//! a network interface) and opens the gate. Real runtimes split `create` and `start` the same
//! way.
//!
//! ## Left out on purpose
//! The child still uses the host's root filesystem, so `ps` in it still reads the host's
//! `/proc` and lists every process — chapter 3 gives it its own root and its own `/proc`.
//!
//! ## Modules
//! - [`namespace`] — the seven namespaces docker uses (of Linux's eight: the time namespace
//!   is left out, as docker does), their clone flags and `/proc/PID/ns` names.
//! - [`idmap`] — user-namespace id maps (`/proc/PID/uid_map`).
//! - [`steps`] — what the child does inside: wait at the gate, become root, set the
//!   hostname, bring up `lo`.
//! - [`create`] — [`Isolation`] settings, `clone(2)` into new namespaces, the gate.
//! - [`inspect`] — read namespace inodes and network interfaces, for the demo and tests.

pub mod create;
pub mod idmap;
pub mod inspect;
pub mod namespace;
pub mod steps;

pub use create::{create, Created, Isolation};
pub use idmap::IdMap;
pub use namespace::{Namespace, NamespaceSet};
