//! Lab 8 — a container's network, planned. Work in `src/starter.rs`; `tests/spec.rs` is the
//! spec.
//!
//! Chapter 8 plugs every container into a bridge on the host through a veth pair, gives it an
//! address of the bridge's subnet and a default route through the bridge. Before any of that
//! touches the kernel, it is decided by pure functions: the name of the host end of the pair,
//! the MAC address of the container's end, a subnet for the bridge that no route of the host
//! already covers, and the list of steps ([`LinkStep`]) that builds the container's side. You
//! write those four. No test needs root or creates a device.
//! `cargo xtask grade lab08` prints your points.
//!
//! The types ([`Ipv4Net`], [`BridgeConfig`], [`LinkStep`], [`Side`]) and their helpers are
//! given in `src/given.rs`: copies of chapter 8's, so that the spec runs unchanged against the
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
