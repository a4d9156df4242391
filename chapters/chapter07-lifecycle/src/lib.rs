//! # Chapter 7 — the container lifecycle, without a daemon
//!
//! Until now `run` lived exactly as long as its container: the CLI was the container's
//! parent, waited for it, and wrote down how it ended. This chapter splits that life in
//! two so containers can outlive the command that started them:
//!
//! - a **state store** (`<root>/containers/<id>/`) that any number of CLIs read and write at
//!   once, with atomic files and `flock(2)` locks — the only thing they share;
//! - a **monitor** per running container (like podman's conmon, or containerd's shim): a
//!   small process that starts the container, owns its stdio and log, reaps it and records
//!   its end. The CLI launches it and may then exit, crash, or be upgraded.
//!
//! On top of these come docker's everyday commands: `create`, `start`, `run -d`, `ps`,
//! `stop`, `kill`, `rm`, `rename`, `logs`, `inspect`, `events`, `wait`, `exec`, `attach`,
//! `pause`, `unpause`, and the volumes, tmpfs mounts, read-only roots, users and the tiny
//! `--init` that real containers need.
//!
//! ## Left out on purpose
//! Networking (chapter 8 plugs it in through [`hooks`]; without it containers get an empty
//! network namespace with `lo`),
//! restart policies and health checks (chapter 9 plugs them in through [`hooks`]; the
//! monitor keeps the container's record of them and restarts when asked),
//! log rotation and other log drivers, `docker cp`, checkpoint/restore.
//!
//! ## Modules
//! - [`state`] — the state machine and `ps`'s STATUS words.
//! - [`spec`] — docker's `Config` and `HostConfig`: what a container is created with.
//! - [`store`] — the container directories: atomic create/remove, names, prefix lookup.
//! - [`lock`] — `flock(2)` locks, and why a lock proves a monitor is alive.
//! - [`names`] — generated `adjective_surname` names and name rules.
//! - [`create`] — from flags and an image to a created container.
//! - [`launch`] — the CLI starting a monitor; [`monitor`] — the monitor itself;
//!   [`relay`] — its loop over output, clients and the container's pidfd; [`trim`] —
//!   giving back the memory only the start needed.
//! - [`stdio`], [`tty`], [`stream`], [`detach`] — pipes or a pty; the attach protocol;
//!   detach keys.
//! - [`logs`], [`events`], [`timearg`] — the json-file log, the event log, `--since`.
//! - [`mounts`], [`volumes`] — `-v`, `--tmpfs`, `--read-only`, the volume store.
//! - [`user`], [`init`], [`enter`] — `-u`, `--init`, and joining a container for `exec`.
//! - [`client`] — the attached client: raw mode, detach keys, signal proxy.
//! - [`hooks`] — where later chapters plug in (chapter 8's network, chapter 9's restarts
//!   and health checks); [`watch`] — a monitor waiting for its state to change.
//! - [`control`] — start, stop, kill, pause, wait, rm, rename; [`signals`] — signals by
//!   name and by pidfd; [`remove`] — cleaning up what a container leaves.
//! - [`listing`] and [`template`] — `ps`'s table, `inspect`'s JSON and `--format`.

pub mod client;
pub mod control;
pub mod create;
pub mod detach;
pub mod enter;
pub mod events;
pub mod hooks;
pub mod init;
pub mod launch;
pub mod listing;
pub mod lock;
pub mod logs;
pub mod monitor;
pub mod mounts;
pub mod names;
pub mod relay;
pub mod remove;
pub mod signals;
pub mod spec;
pub mod state;
pub mod stdio;
pub mod store;
pub mod stream;
pub mod template;
pub mod timearg;
pub mod trim;
pub mod tty;
pub mod user;
pub mod volumes;
pub mod watch;

pub use chapter06;
pub use store::{Container, ContainerStore};
