//! Your code. Replace every `todo!()`; keep the signatures, the spec calls them.
//! The types and helpers you need are in `src/given.rs`.
// The parameters are unused until you fill the bodies in.
#![allow(unused_variables)]

use std::net::Ipv4Addr;

use crate::{BridgeConfig, Ipv4Net, LinkStep};

/// Task 1 (2 points). The name of the host end of a container's veth pair: `veth` followed
/// by the first 7 characters of the container's id (all of them when it is shorter).
///
/// `veth_name("1a2b3c4d5e6f…")` is `"veth1a2b3c4"`: 11 bytes, well under the kernel's limit
/// of 15 for an interface name.
pub fn veth_name(container_id: &str) -> String {
    todo!("task 1")
}

/// Task 2 (2 points). The MAC address of a container's `eth0` given its IPv4 address, the
/// way docker makes it: the two bytes `0x02, 0x42`, then the four bytes of the address in
/// order. `172.18.0.2` gets `02:42:ac:12:00:02`.
pub fn mac_for(address: Ipv4Addr) -> [u8; 6] {
    todo!("task 2")
}

/// Task 3 (6 points). A subnet for the bridge: the first subnet of `pool`, in the pool's
/// order, that overlaps none of `in_use` (the destinations of the host's routes); `None`
/// when every one of them does, or the pool is empty.
///
/// Two subnets overlap when they share any address, whichever is the larger:
/// `10.0.0.0/8` overlaps `10.20.0.0/16`, and so does `10.20.5.0/24`; `172.16.255.0/24` and
/// `172.17.0.0/16` do not. [`Ipv4Net`] has the helpers you need.
pub fn choose_subnet(pool: &[Ipv4Net], in_use: &[Ipv4Net]) -> Option<Ipv4Net> {
    todo!("task 3")
}

/// Task 4 (10 points). The steps that plug container `container_id`, with address
/// `address`, into `bridge`: exactly these four, in this order.
///
/// 1. [`LinkStep::CreateVeth`]: `host` is task 1's name of the container, `master` the
///    bridge's name, `mtu` the bridge's MTU; the `peer` is [`CONTAINER_DEVICE`] (`eth0`),
///    with task 2's MAC of `address` as `peer_mac`.
/// 2. [`LinkStep::AddAddress`] on the container's side: `address` on `eth0`, with the
///    prefix length of the bridge's subnet.
/// 3. [`LinkStep::LinkUp`] of `eth0`, on the container's side.
/// 4. [`LinkStep::AddDefaultRoute`] via the bridge's gateway.
///
/// As `ip` commands (what `LinkStep`'s `Display` prints), for `mini0` on `172.18.0.0/16`:
///
/// ```text
/// ip link add veth1a2b3c4 mtu 1500 master mini0 up type veth peer name eth0 address 02:42:ac:12:00:02 mtu 1500 netns CONTAINER
/// ip -n CONTAINER addr add 172.18.0.2/16 dev eth0
/// ip -n CONTAINER link set eth0 up
/// ip -n CONTAINER route add default via 172.18.0.1
/// ```
///
/// [`CONTAINER_DEVICE`]: crate::CONTAINER_DEVICE
pub fn plan_endpoint(
    bridge: &BridgeConfig,
    container_id: &str,
    address: Ipv4Addr,
) -> Vec<LinkStep> {
    todo!("task 4")
}
