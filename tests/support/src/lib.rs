//! Shared test support for every crate of the workshop.
//!
//! One place for the things every test suite needs and that must behave the same everywhere:
//!
//! - [`root`]: gate live tests on root. Off CI they skip *loudly*; with `CI` set they fail, so
//!   nothing is silently skipped where it counts.
//! - [`filters`]: insta settings that replace container ids, pids, times and temp paths with
//!   stable placeholders, so snapshots do not change from run to run.
//! - [`guard`]: values that clean up when dropped — also when the test panics half-way.
//! - [`mounts`]: a snapshot of the host mount table, to prove a test left no mount behind.
//! - [`transcript`]: compare console output with the transcript file the book includes.

pub mod filters;
pub mod guard;
pub mod mounts;
pub mod root;
pub mod transcript;

pub use filters::{normalize, snapshot_settings};
pub use guard::{Cleanup, TempRoot};
pub use mounts::MountTable;
pub use root::{require_root, running_in_ci};
pub use transcript::{assert_transcript, Session};
