//! The plan of a container's network: which links to make, which addresses and routes to
//! add, on which side — as plain data, printed as the `ip` commands that would do the same.
//!
//! ```text
//!  host                                        container's network namespace
//!  ┌────────────────────────────────┐          ┌──────────────────────────────┐
//!  │ mini0 (bridge) 172.18.0.1/16   │          │ eth0 172.18.0.2/16           │
//!  │   └─ veth1a2b3c4 ◄─────────────┼─ veth ──►│ default via 172.18.0.1       │
//!  └────────────────────────────────┘   pair   └──────────────────────────────┘
//! ```
//!
//! Pure functions only: [`plan_bridge`] and [`plan_endpoint`] touch nothing, so they are
//! snapshot-tested without root, and lab 8 asks you to write [`plan_endpoint`] yourself.
//! [`crate::apply`] carries a plan out with netlink.

use std::fmt;
use std::net::Ipv4Addr;

use serde::{Deserialize, Serialize};

use crate::subnet::Ipv4Net;

/// The bridge of a state root, as `<root>/network/bridge.json` keeps it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct BridgeConfig {
    /// The bridge device (`mini0` by default).
    pub name: String,
    #[serde(with = "as_text")]
    pub subnet: Ipv4Net,
    pub gateway: Ipv4Addr,
    /// The bridge's MTU, which every veth gets: 1500 for a new bridge (docker's default);
    /// each start reads the bridge's current one, in case it was changed.
    pub mtu: u32,
}

mod as_text {
    use serde::{Deserialize, Deserializer, Serializer};

    use crate::subnet::Ipv4Net;

    pub fn serialize<S: Serializer>(net: &Ipv4Net, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&net.to_string())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Ipv4Net, D::Error> {
        String::deserialize(d)?
            .parse()
            .map_err(serde::de::Error::custom)
    }
}

/// Which network namespace a step runs in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Side {
    Host,
    Container,
}

/// One change to links, addresses or routes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum LinkStep {
    /// A bridge device on the host.
    CreateBridge {
        name: String,
    },
    /// A veth pair: `host` stays on the host, plugged into `master` and up; `peer` is born
    /// inside the container's namespace with a fixed MAC address, still down.
    CreateVeth {
        host: String,
        master: String,
        mtu: u32,
        peer: String,
        peer_mac: [u8; 6],
    },
    AddAddress {
        side: Side,
        device: String,
        address: Ipv4Addr,
        prefix_len: u8,
    },
    LinkUp {
        side: Side,
        device: String,
    },
    AddDefaultRoute {
        gateway: Ipv4Addr,
    },
    /// Lets the bridge carry packets from 127.0.0.1, so NAT can send the host's own
    /// connections to `127.0.0.1:PORT` on to a container (see [`crate::firewall`]).
    RouteLocalnet {
        device: String,
    },
}

/// The name of the container's end inside its namespace.
pub const CONTAINER_DEVICE: &str = "eth0";

// ANCHOR: names
/// The host end of a container's veth pair: `veth` and the first 7 characters of its id
/// (interface names have at most 15 bytes; see IFNAMSIZ in if.h).
pub fn veth_name(container_id: &str) -> String {
    let short: String = container_id.chars().take(7).collect();
    format!("veth{short}")
}

/// Docker's MAC address for a container address: `02:42` (a locally administered unicast
/// prefix) followed by the four bytes of the IPv4 address. Two containers never share one,
/// and an address given to a new container keeps its MAC, so neighbours' ARP caches stay
/// right.
pub fn mac_for(address: Ipv4Addr) -> [u8; 6] {
    let [a, b, c, d] = address.octets();
    [0x02, 0x42, a, b, c, d]
}
// ANCHOR_END: names

/// Formats a MAC address as `02:42:ac:12:00:02`.
pub fn mac_text(mac: &[u8; 6]) -> String {
    mac.iter()
        .map(|byte| format!("{byte:02x}"))
        .collect::<Vec<_>>()
        .join(":")
}

// ANCHOR: plan_bridge
/// Making the bridge: the device, the gateway address on it, up, and `route_localnet`.
pub fn plan_bridge(bridge: &BridgeConfig) -> Vec<LinkStep> {
    vec![
        LinkStep::CreateBridge {
            name: bridge.name.clone(),
        },
        LinkStep::AddAddress {
            side: Side::Host,
            device: bridge.name.clone(),
            address: bridge.gateway,
            prefix_len: bridge.subnet.prefix_len(),
        },
        LinkStep::LinkUp {
            side: Side::Host,
            device: bridge.name.clone(),
        },
        LinkStep::RouteLocalnet {
            device: bridge.name.clone(),
        },
    ]
}
// ANCHOR_END: plan_bridge

// ANCHOR: plan_endpoint
/// Plugging container `container_id` with address `address` into the bridge.
pub fn plan_endpoint(
    bridge: &BridgeConfig,
    container_id: &str,
    address: Ipv4Addr,
) -> Vec<LinkStep> {
    let device = CONTAINER_DEVICE.to_owned();
    vec![
        LinkStep::CreateVeth {
            host: veth_name(container_id),
            master: bridge.name.clone(),
            mtu: bridge.mtu,
            peer: device.clone(),
            peer_mac: mac_for(address),
        },
        LinkStep::AddAddress {
            side: Side::Container,
            device: device.clone(),
            address,
            prefix_len: bridge.subnet.prefix_len(),
        },
        LinkStep::LinkUp {
            side: Side::Container,
            device,
        },
        LinkStep::AddDefaultRoute {
            gateway: bridge.gateway,
        },
    ]
}
// ANCHOR_END: plan_endpoint

/// Each step as the `ip` command that does the same (`-n CONTAINER` for the container's
/// side: `ip netns` names a namespace; ours have no name, only the container's process).
impl fmt::Display for LinkStep {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let netns = |side: &Side| match side {
            Side::Host => "",
            Side::Container => "-n CONTAINER ",
        };
        match self {
            LinkStep::CreateBridge { name } => write!(f, "ip link add {name} type bridge"),
            LinkStep::CreateVeth {
                host,
                master,
                mtu,
                peer,
                peer_mac,
            } => write!(
                f,
                "ip link add {host} mtu {mtu} master {master} up type veth peer name {peer} address {} mtu {mtu} netns CONTAINER",
                mac_text(peer_mac)
            ),
            LinkStep::AddAddress {
                side,
                device,
                address,
                prefix_len,
            } => write!(f, "ip {}addr add {address}/{prefix_len} dev {device}", netns(side)),
            LinkStep::LinkUp { side, device } => {
                write!(f, "ip {}link set {device} up", netns(side))
            }
            LinkStep::AddDefaultRoute { gateway } => {
                write!(f, "ip -n CONTAINER route add default via {gateway}")
            }
            LinkStep::RouteLocalnet { device } => {
                write!(f, "sysctl -w net.ipv4.conf.{device}.route_localnet=1")
            }
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn names_and_macs() {
        assert_eq!(veth_name("1a2b3c4d5e6f7a8b"), "veth1a2b3c4");
        assert!(veth_name(&"f".repeat(64)).len() <= 15);
        assert_eq!(
            mac_text(&mac_for(Ipv4Addr::new(172, 18, 0, 2))),
            "02:42:ac:12:00:02"
        );
    }
}
