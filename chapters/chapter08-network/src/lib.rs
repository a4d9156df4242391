//! # Chapter 8 — networking
//!
//! Until now a container had a network namespace of its own with nothing in it but `lo`:
//! isolated, and useless for a web server. This chapter plugs each container into a
//! **bridge** on the host — a virtual switch — through a **veth pair**, a virtual cable
//! whose one end is the container's `eth0`. The bridge has the gateway address; each
//! container gets the next free address of the subnet (**IPAM**), a default route via the
//! gateway, and a MAC address derived from its IP. **NAT** rules in nftables masquerade its
//! traffic out through the host and bring published ports (`-p 18080:80`) in. `--link`
//! and `--add-host` names go into its `/etc/hosts`; the host's name servers into its
//! `/etc/resolv.conf`.
//!
//! Everything hangs off chapter 7's monitor through [`chapter07::hooks`]: the monitor
//! builds the network while the child waits at its gate, and takes it down when the child
//! ends.
//!
//! ## Left out on purpose
//! User-defined networks and their DNS server (docker's `network create`, port 53 at
//! 127.0.0.11), IPv6, port ranges and `-P`, the userland proxy, and the `FORWARD` policy
//! (we leave the host's firewall policy alone).
//!
//! ## Modules
//! - [`subnet`] — IPv4 subnets; choosing one no host route overlaps.
//! - [`mode`] — `--network bridge|none|host|container:X`.
//! - [`flags`] — the command line's flags checked and recorded.
//! - [`plan`] — the links, addresses and routes to make, as data (and as `ip` commands).
//! - [`netlink`] — a small rtnetlink client: the messages `ip` sends; [`apply`] runs a plan with it.
//! - [`bridge`] — the state root's bridge: its settings, and the device made when missing.
//! - [`ipam`] — addresses leased to containers, with `flock(2)` so crashes free them.
//! - [`ports`] — `-p`, and holding a host port while it is published.
//! - [`firewall`] — the nftables table: masquerade, DNAT for published ports.
//! - [`namefiles`] — `/etc/hosts` and `/etc/resolv.conf`.
//! - [`hooks`] — all of it plugged into chapter 7's monitor.

pub mod apply;
pub mod bridge;
pub mod firewall;
pub mod flags;
pub mod hooks;
pub mod ipam;
pub mod mode;
pub mod namefiles;
pub mod netlink;
pub mod plan;
pub mod ports;
pub mod subnet;

pub use chapter07;
pub use hooks::NetworkHooks;
