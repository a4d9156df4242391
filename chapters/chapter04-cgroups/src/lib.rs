//! # Chapter 4 — cgroups: limits on what a container may use
//!
//! Namespaces decide what a container can *see*; control groups decide how much it may
//! *use*. A cgroup is a directory in a special filesystem: put a process in it by writing its
//! pid to `cgroup.procs`, limit it by writing numbers to the controllers' files, read what it
//! uses from other files, freeze it with one more write, and `rmdir` it when it is empty.
//!
//! Two versions of that filesystem are in use. **v1** has one tree per controller
//! (`/sys/fs/cgroup/memory/...`, `/sys/fs/cgroup/cpu/...`), and different file names and
//! units. **v2** has a single tree, every controller's files in each group, and the rule that
//! a group with children holds no processes. Hosts still run either (or both: "hybrid"), so
//! this chapter has one trait ([`backend::Backend`]) with two implementations, and its tests
//! run on both.
//!
//! The flow: docker's flags ([`ResourceFlags`]) are checked into [`Resources`]; a backend
//! turns them into a [`CgroupPlan`] — pure data, which file gets which value; [`Cgroup`]
//! creates the directories, applies the plan, takes in the container's process while it waits
//! at chapter 2's gate, reads [`Stats`], freezes and thaws, tells an OOM kill, and removes
//! itself. [`CgroupHostSide`] plugs all that into chapter 3's foreground run.
//!
//! ## Left out on purpose
//! The `devices` controller (which device nodes may be opened: chapter 3's minimal `/dev`
//! already limits that, the hardening chapter adds the rules), hugetlb, RDMA, network
//! priorities, real-time CPU budgets, and systemd as the cgroup manager (docker can ask
//! systemd to make its cgroups; we write the filesystem ourselves).
//!
//! ## Modules
//! - [`units`] — docker's size syntax (`200m`, `30MB`, `1.5g`).
//! - [`resources`] — the flags, docker's checks, the numbers.
//! - [`backend`] — the one trait behind which v1 and v2 differ.
//! - [`plan`] — a plan: controllers, then (file, value) writes, in order.
//! - [`v1`], [`v2`] — the two backends; one file per controller: what to write, how to
//!   read it back.
//! - [`hierarchy`] — where the cgroup filesystems are mounted (v1, hybrid, v2).
//! - [`cgroup`] — create, apply, add a process, freeze, stats, OOM, remove.
//! - [`stats`] — the numbers `docker stats` shows.
//! - [`host_side`] — the cgroup as chapter 3's host-side step of a run.
//! - [`join`] — the child moving itself into its cgroup: v1's way around a slow lock.
//! - [`limited`] — a limited container held by the caller (the demo runs several).

pub mod backend;
pub mod cgroup;
pub mod hierarchy;
pub mod host_side;
pub mod join;
pub mod limited;
pub mod plan;
pub mod resources;
pub mod stats;
pub mod units;
pub mod v1;
pub mod v2;

pub use cgroup::Cgroup;
pub use chapter03;
pub use hierarchy::Hierarchy;
pub use host_side::CgroupHostSide;
pub use join::JoinCgroup;
pub use limited::LimitedContainer;
pub use plan::{CgroupPlan, Controller, Version};
pub use resources::{ResourceFlags, Resources, SystemHost};
pub use stats::Stats;

/// The plan for `resources` on a host of `version`.
pub fn plan_for(version: Version, resources: &Resources) -> CgroupPlan {
    backend::backend(version).plan(resources)
}
