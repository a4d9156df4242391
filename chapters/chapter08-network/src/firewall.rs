//! NAT and published ports, as nftables rules in a table of our own.
//!
//! Each state root's bridge gets one table, `ip mini_docker_<bridge>`: `nft list table ip
//! mini_docker_mini0` shows everything mini-docker asked of the firewall, and `nft delete
//! table …` takes all of it away. In it:
//!
//! - `postrouting` (source NAT): containers' packets leaving through another interface get
//!   the host's address (*masquerade*), so replies find their way back; and connections the
//!   host made to `127.0.0.1:PORT`, or a container made to the host's published port
//!   (*hairpin*), are masqueraded on their way into the bridge, so the container answers
//!   through the host rather than straight to an address that never talked to it.
//! - `prerouting` and `output` (destination NAT): a packet for a local address (`fib daddr
//!   type local`) is looked up by protocol and port in the verdict map `published`; a hit
//!   jumps to the publishing container's chain `c_<id>`, which rewrites the destination to
//!   the container's address and port. `prerouting` sees packets from other hosts and
//!   namespaces, `output` the host's own.
//!
//! Why the `nft` tool and not netlink: nftables' netlink protocol (batches of expressions
//! for a small virtual machine in the kernel) is a chapter of its own; `nft -f -` takes a
//! whole script and applies it in one transaction — all of it or none. The rules are
//! printed in the book beside this code, exactly as we send them.
//!
//! The map is keyed by protocol and port alone, so one host port leads to one container:
//! `-p 127.0.0.1:8080:80` and `-p 127.0.0.2:8080:80` on two containers of one bridge is
//! refused for the second (docker allows it).
//!
//! Left out on purpose: IPv6, and filtering in the `forward` hook (docker adds `ACCEPT`
//! rules there because it sets the FORWARD policy to DROP; we leave the host's policy alone).

use std::io::Write;
use std::net::Ipv4Addr;
use std::process::{Command, Stdio};

use chapter07::chapter06::chapter05::chapter04::chapter03::chapter01::ContainerError;

use crate::plan::BridgeConfig;
use crate::ports::PortSpec;

/// The table of bridge `bridge`: `mini_docker_` and the bridge's name, with characters nft
/// does not take in a name replaced by `_`.
pub fn table_name(bridge: &str) -> String {
    let safe: String = bridge
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect();
    format!("mini_docker_{safe}")
}

/// A container's chain: `c_` and the first 12 characters of its id.
pub fn chain_name(container_id: &str) -> String {
    let short: String = container_id.chars().take(12).collect();
    format!("c_{short}")
}

// ANCHOR: base_rules
/// The bridge's table: NAT for containers' outgoing traffic and the hooks for published
/// ports. Safe to apply again (`add` keeps what exists; the base chains are flushed first).
pub fn base_rules(bridge: &BridgeConfig) -> String {
    let table = table_name(&bridge.name);
    let (name, subnet) = (&bridge.name, bridge.subnet);
    format!(
        "add table ip {table}
add map ip {table} published {{ type inet_proto . inet_service : verdict ; }}
add chain ip {table} prerouting {{ type nat hook prerouting priority dstnat ; policy accept ; }}
add chain ip {table} output {{ type nat hook output priority -100 ; policy accept ; }}
add chain ip {table} postrouting {{ type nat hook postrouting priority srcnat ; policy accept ; }}
flush chain ip {table} prerouting
flush chain ip {table} output
flush chain ip {table} postrouting
add rule ip {table} prerouting fib daddr type local meta l4proto . th dport vmap @published
add rule ip {table} output fib daddr type local meta l4proto . th dport vmap @published
add rule ip {table} postrouting ip saddr {subnet} oifname != \"{name}\" masquerade
add rule ip {table} postrouting oifname \"{name}\" ct status dnat ip saddr {{ 127.0.0.0/8, {subnet} }} masquerade
"
    )
}
// ANCHOR_END: base_rules

// ANCHOR: publish_rules
/// Publishing container `container_id` (address `address`) on `ports`: its chain with one
/// DNAT rule per port, and one map entry per port that jumps to it.
pub fn publish_rules(
    bridge: &str,
    container_id: &str,
    address: Ipv4Addr,
    ports: &[(PortSpec, u16)],
) -> String {
    let table = table_name(bridge);
    let chain = chain_name(container_id);
    let mut script = format!("add chain ip {table} {chain}\n");
    for (spec, host_port) in ports {
        let protocol = spec.protocol.as_str();
        let only_address = spec
            .host_ip
            .map(|ip| format!("ip daddr {ip} "))
            .unwrap_or_default();
        script.push_str(&format!(
            "add rule ip {table} {chain} {only_address}{protocol} dport {host_port} dnat to {address}:{}\n",
            spec.container_port
        ));
    }
    for (spec, host_port) in ports {
        script.push_str(&format!(
            "add element ip {table} published {{ {} . {host_port} : jump {chain} }}\n",
            spec.protocol.as_str()
        ));
    }
    script
}

/// Undoing [`publish_rules`]: the map entries first (they point at the chain), then the
/// chain's rules, then the chain.
pub fn unpublish_rules(bridge: &str, container_id: &str, ports: &[(PortSpec, u16)]) -> String {
    let table = table_name(bridge);
    let chain = chain_name(container_id);
    let mut script = String::new();
    for (spec, host_port) in ports {
        script.push_str(&format!(
            "delete element ip {table} published {{ {} . {host_port} }}\n",
            spec.protocol.as_str()
        ));
    }
    script.push_str(&format!(
        "flush chain ip {table} {chain}\ndelete chain ip {table} {chain}\n"
    ));
    script
}
// ANCHOR_END: publish_rules

// ANCHOR: nft
/// Runs `nft -f -` with `script` as one transaction: all of it applies, or none.
pub fn apply(script: &str) -> Result<(), ContainerError> {
    let mut child = Command::new("nft")
        .args(["-f", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|error| {
            ContainerError::io(
                "run nft (the nftables tool; install it: apt-get install nftables)",
                error,
            )
        })?;
    if let Some(mut stdin) = child.stdin.take() {
        stdin
            .write_all(script.as_bytes())
            .map_err(|error| ContainerError::io("write the rules to nft", error))?;
    }
    let output = child
        .wait_with_output()
        .map_err(|error| ContainerError::io("wait for nft", error))?;
    if output.status.success() {
        return Ok(());
    }
    let stderr = String::from_utf8_lossy(&output.stderr);
    let first = stderr
        .lines()
        .find(|line| !line.trim().is_empty())
        .unwrap_or("");
    Err(ContainerError::Invalid(format!(
        "cannot apply firewall rules: nft: {}",
        first.trim()
    )))
}
// ANCHOR_END: nft

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn names_are_nft_identifiers() {
        assert_eq!(table_name("md-t1.x"), "mini_docker_md_t1_x");
        assert_eq!(chain_name("0123456789abcdef"), "c_0123456789ab");
    }
}
