//! IPv4 subnets: parsing `172.18.0.0/16`, the addresses in one, and choosing a subnet for
//! the bridge that no route of the host already covers.
//!
//! Docker picks its bridge's subnet from a pool (172.17–172.31 as /16s, then 192.168.0.0/16
//! in /20 pieces) and skips any that overlaps a route the host has: a container address that
//! is also reachable some other way would make replies go the wrong way. We do the same,
//! reading the routes from `/proc/net/route` (see proc(5)).

use std::fmt;
use std::net::Ipv4Addr;
use std::str::FromStr;

/// An IPv4 network: its first address and the length of its prefix.
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

fn mask(prefix_len: u8) -> u32 {
    match prefix_len {
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
/// (addresses there are hexadecimal in the kernel's byte order). The default route
/// (0.0.0.0/0) is left out: it overlaps everything and blocks nothing.
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

/// Docker's default pool, in the order it tries them.
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

// ANCHOR: choose_subnet
/// The first subnet of `pool` that overlaps none of `in_use`.
pub fn choose_subnet(pool: &[Ipv4Net], in_use: &[Ipv4Net]) -> Option<Ipv4Net> {
    pool.iter()
        .find(|candidate| !in_use.iter().any(|used| used.overlaps(candidate)))
        .copied()
}
// ANCHOR_END: choose_subnet

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_computes_addresses() {
        let net: Ipv4Net = "172.18.3.4/16".parse().unwrap();
        assert_eq!(net.to_string(), "172.18.0.0/16");
        assert_eq!(net.gateway(), Some(Ipv4Addr::new(172, 18, 0, 1)));
        assert_eq!(net.host(258), Some(Ipv4Addr::new(172, 18, 1, 2)));
        assert_eq!(net.broadcast(), Ipv4Addr::new(172, 18, 255, 255));
        assert_eq!(net.host(65534), Some(Ipv4Addr::new(172, 18, 255, 254)));
        assert_eq!(net.host(65535), None, "the broadcast address is no host");
        assert!(net.contains(Ipv4Addr::new(172, 18, 200, 1)));
        assert!(!net.contains(Ipv4Addr::new(172, 19, 0, 1)));
        assert!("172.18.0.0".parse::<Ipv4Net>().is_err());
        assert!("172.18.0.0/31".parse::<Ipv4Net>().is_err());
        assert!("300.1.0.0/16".parse::<Ipv4Net>().is_err());
    }

    #[test]
    fn overlap_is_symmetric() {
        let wide: Ipv4Net = "10.0.0.0/8".parse().unwrap();
        let narrow: Ipv4Net = "10.20.0.0/16".parse().unwrap();
        let other: Ipv4Net = "172.17.0.0/16".parse().unwrap();
        assert!(wide.overlaps(&narrow) && narrow.overlaps(&wide));
        assert!(!wide.overlaps(&other));
    }

    #[test]
    fn reads_proc_net_route() {
        let text =
            "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n\
eth0\t00000000\t010200C0\t0003\t0\t0\t0\t00000000\t0\t0\t0\n\
eth0\t000200C0\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0\n\
docker0\t000011AC\t00000000\t0001\t0\t0\t0\t0000FFFF\t0\t0\t0\n";
        let routes = routes_from_proc(text);
        assert_eq!(
            routes.iter().map(ToString::to_string).collect::<Vec<_>>(),
            ["192.0.2.0/24", "172.17.0.0/16"]
        );
        let chosen = choose_subnet(&default_pool(), &routes).unwrap();
        assert_eq!(chosen.to_string(), "172.18.0.0/16");
    }

    #[test]
    fn a_full_pool_gives_none() {
        let everything = Ipv4Net::new(Ipv4Addr::new(128, 0, 0, 0), 1).unwrap();
        assert_eq!(choose_subnet(&default_pool(), &[everything]), None);
        assert_eq!(default_pool().len(), 31);
    }
}
