//! Given: the types of chapter 8's `subnet` and `plan` modules, with the helpers that are
//! already written. Read them, use them, leave them as they are: the spec runs unchanged
//! against chapter 8's own types (`--features reference`), so these must keep the chapter's
//! names, fields and signatures.
//!
//! Left out of the copy: the chapter's `serde` derives (the bridge's settings are a JSON file
//! there, `<root>/network/bridge.json`; nothing here reads or writes files).

use std::fmt;
use std::net::Ipv4Addr;
use std::str::FromStr;

/// An IPv4 network: its first address and the length of its prefix. Make one with
/// `"172.18.0.0/16".parse()` or [`Ipv4Net::new`]; `to_string()` writes it back.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Ipv4Net {
    network: Ipv4Addr,
    prefix_len: u8,
}

impl Ipv4Net {
    /// The network `address/prefix_len`; host bits of `address` are cleared.
    pub fn new(address: Ipv4Addr, prefix_len: u8) -> Result<Self, String> {
        if prefix_len > 32 {
            return Err(format!("prefix length {prefix_len} is over 32"));
        }
        let network = Ipv4Addr::from(u32::from(address) & mask(prefix_len));
        Ok(Ipv4Net {
            network,
            prefix_len,
        })
    }

    pub fn network(&self) -> Ipv4Addr {
        self.network
    }

    pub fn prefix_len(&self) -> u8 {
        self.prefix_len
    }

    /// The last address, the broadcast address of the subnet.
    pub fn broadcast(&self) -> Ipv4Addr {
        Ipv4Addr::from(u32::from(self.network) | !mask(self.prefix_len))
    }

    /// Host number `n` of the subnet (`n = 1` is the first usable address); `None` when it
    /// falls on the broadcast address or outside.
    pub fn host(&self, n: u32) -> Option<Ipv4Addr> {
        let size = 1u64 << (32 - u32::from(self.prefix_len));
        (u64::from(n) + 1 < size).then(|| Ipv4Addr::from(u32::from(self.network) + n))
    }

    /// The gateway docker gives a bridge: the first usable address.
    pub fn gateway(&self) -> Option<Ipv4Addr> {
        self.host(1)
    }

    pub fn contains(&self, address: Ipv4Addr) -> bool {
        u32::from(address) & mask(self.prefix_len) == u32::from(self.network)
    }

    /// Whether the two share any address (one then contains the other's first address).
    pub fn overlaps(&self, other: &Ipv4Net) -> bool {
        self.contains(other.network) || other.contains(self.network)
    }
}

/// The netmask of a prefix length as a number: `/16` is `0xffff_0000`.
fn mask(prefix_len: u8) -> u32 {
    match prefix_len {
        // A shift by 32 would overflow: the default route's mask is written out.
        0 => 0,
        n => u32::MAX << (32 - u32::from(n)),
    }
}

impl fmt::Display for Ipv4Net {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.network, self.prefix_len)
    }
}

impl FromStr for Ipv4Net {
    type Err = String;

    /// `172.18.0.0/16`; the prefix must be between /8 and /30, like docker's `--subnet`.
    fn from_str(text: &str) -> Result<Self, String> {
        let invalid =
            || format!("invalid subnet {text:?}: expected ADDRESS/PREFIX, like 172.18.0.0/16");
        let (address, prefix) = text.split_once('/').ok_or_else(invalid)?;
        let address: Ipv4Addr = address.parse().map_err(|_| invalid())?;
        let prefix: u8 = prefix.parse().map_err(|_| invalid())?;
        if !(8..=30).contains(&prefix) {
            return Err(format!(
                "invalid subnet {text:?}: the prefix must be between /8 and /30"
            ));
        }
        Ipv4Net::new(address, prefix)
    }
}

/// The destinations of the host's IPv4 routes, from the text of `/proc/net/route`
/// (addresses there are hexadecimal in the kernel's byte order; see proc(5)). The default
/// route (0.0.0.0/0) is left out: it overlaps everything and blocks nothing.
pub fn routes_from_proc(text: &str) -> Vec<Ipv4Net> {
    text.lines()
        .skip(1)
        .filter_map(|line| {
            let fields: Vec<&str> = line.split_whitespace().collect();
            let destination = u32::from_str_radix(fields.get(1)?, 16).ok()?;
            let mask = u32::from_str_radix(fields.get(7)?, 16).ok()?;
            // The kernel writes the raw 32-bit value of a network-order address.
            let destination = Ipv4Addr::from(u32::from_be(destination));
            let prefix_len = u32::from_be(mask).leading_ones() as u8;
            (prefix_len > 0).then(|| Ipv4Net::new(destination, prefix_len).ok())?
        })
        .collect()
}

/// Docker's default pool, in the order it tries them: 172.17.0.0/16 to 172.31.0.0/16, then
/// 192.168.0.0/16 cut in /20s.
pub fn default_pool() -> Vec<Ipv4Net> {
    let sixteens = (17..=31).map(|second| Ipv4Net {
        network: Ipv4Addr::new(172, second, 0, 0),
        prefix_len: 16,
    });
    let twenties = (0..16).map(|n| Ipv4Net {
        network: Ipv4Addr::new(192, 168, n * 16, 0),
        prefix_len: 20,
    });
    sixteens.chain(twenties).collect()
}

/// The bridge of a state root, as chapter 8 keeps it in `<root>/network/bridge.json`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BridgeConfig {
    /// The bridge device (`mini0` by default).
    pub name: String,
    pub subnet: Ipv4Net,
    /// The bridge's own address in `subnet`, every container's way out.
    pub gateway: Ipv4Addr,
    /// The MTU every veth gets (docker's default 1500).
    pub mtu: u32,
}

/// Which network namespace a step runs in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    Host,
    Container,
}

/// One change to links, addresses or routes.
#[derive(Debug, Clone, PartialEq, Eq)]
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
    /// In the container's namespace (a route always is, here).
    AddDefaultRoute {
        gateway: Ipv4Addr,
    },
    /// Lets the bridge carry packets from 127.0.0.1, so NAT can send the host's own
    /// connections to `127.0.0.1:PORT` on to a container.
    RouteLocalnet {
        device: String,
    },
}

/// The name of the container's end inside its namespace.
pub const CONTAINER_DEVICE: &str = "eth0";

/// Formats a MAC address as `02:42:ac:12:00:02`.
pub fn mac_text(mac: &[u8; 6]) -> String {
    mac.iter()
        .map(|byte| format!("{byte:02x}"))
        .collect::<Vec<_>>()
        .join(":")
}

/// Making the bridge: the device, the gateway address on it, up, and `route_localnet`.
/// (Not a task: an example of a plan, the host's half of the picture.)
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

/// Each step as the `ip` command that does the same (`-n CONTAINER` for the container's
/// side: `ip netns` names a namespace; a container's has no name, only its process). The
/// spec's failure messages show plans this way.
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
            } => write!(
                f,
                "ip {}addr add {address}/{prefix_len} dev {device}",
                netns(side)
            ),
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
