//! # Chapter 1 — a container is a process
//!
//! Before namespaces, root filesystems or cgroups, a container is one thing: a process that
//! some other process started and waits for. This crate is that starting and waiting, done
//! by hand with the three system calls every container engine is built on:
//!
//! - `fork(2)` makes a copy of the caller; the copy (the *child*) prepares itself,
//! - `execve(2)` replaces the child's program with the command to run,
//! - `waitpid(2)` lets the parent learn how the child ended: its exit status, or the signal
//!   that killed it.
//!
//! It also settles how a failure is reported, the way docker does: `125` when the engine itself
//! fails, `126` when the command exists but may not be run, `127` when it does not exist, and
//! otherwise the command's own status (`128 + N` when signal N killed it).
//!
//! The trick that makes the 126/127 distinction possible is the *report pipe*: a pipe whose
//! write end is close-on-exec. If `execve` succeeds the kernel closes it and the parent reads
//! end-of-file; if anything fails, the child writes what and why before it exits.
//!
//! Between `fork` and `execve` the child runs a list of [`ChildStep`]s. This chapter's steps are
//! small (reset signals, close inherited descriptors, change directory); later chapters add
//! namespaces, mounts and cgroups as more steps, without touching this crate.
//!
//! ## Left out on purpose
//! No isolation at all: the child sees the host's processes, files and network. Chapter 2 adds
//! namespaces, chapter 3 a root filesystem.
//!
//! ## Modules
//! - [`exec`] — the command to run, turned into C strings *before* the fork ([`ExecPlan`]).
//! - [`step`] — what a child does between fork and exec ([`ChildStep`], [`ChildPlan`]).
//! - [`steps`] — this chapter's steps: reset signals, close inherited fds, change directory.
//! - [`report`] — the close-on-exec pipe that carries a failure from child to parent.
//! - [`spawn`] — fork, run the steps, exec; and the parent's side of the report.
//! - [`status`] — how a child ended ([`ExitStatus`]) and docker's exit-code rules.
//! - [`child`] — a started child: wait for it, forward signals to it, kill it.
//! - [`error`] — every way starting a process can fail, each with its exit code.

pub mod child;
pub mod error;
pub mod exec;
pub mod report;
pub mod spawn;
pub mod status;
pub mod step;
pub mod steps;

pub use child::{Child, SignalForwarding};
pub use error::ContainerError;
pub use exec::{ExecPlan, DEFAULT_PATH};
pub use spawn::spawn;
pub use status::ExitStatus;
pub use step::{ChildPlan, ChildStep};
