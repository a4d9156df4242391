//! Published ports: parsing `-p`, and holding the host's port for as long as the container
//! is published on it.
//!
//! `-p 18080:80` makes the host's port 18080 lead to the container's port 80. The leading is
//! done by the firewall ([`crate::firewall`]): a destination NAT rule. But a rule alone does
//! not stop another program (or another container) from using port 18080 as well, and `-p 80`
//! (any free port) needs someone to pick a free one. So the monitor also *binds* a socket to
//! each published port and keeps it, without listening: the kernel then refuses the port to
//! everybody else, and binding port 0 lets the kernel choose a free one. Docker's daemon does
//! the same when its userland proxy is off.
//!
//! Left out on purpose: port ranges (`-p 8000-8010:8000-8010`), IPv6 and `-P`.

use std::fmt;
use std::net::{Ipv4Addr, SocketAddrV4};
use std::os::fd::OwnedFd;

use chapter07::spec::{PortBinding, PortMap};
use nix::sys::socket::{bind, getsockname, socket, AddressFamily, SockFlag, SockType, SockaddrIn};

/// The transport protocol of a port.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Protocol {
    Tcp,
    Udp,
}

impl Protocol {
    pub fn as_str(self) -> &'static str {
        match self {
            Protocol::Tcp => "tcp",
            Protocol::Udp => "udp",
        }
    }
}

/// One `-p` flag.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct PortSpec {
    /// `None`: every address of the host (docker's `0.0.0.0`).
    pub host_ip: Option<Ipv4Addr>,
    /// `None`: any free port, chosen at start.
    pub host_port: Option<u16>,
    pub container_port: u16,
    pub protocol: Protocol,
}

impl fmt::Display for PortSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.container_port, self.protocol.as_str())
    }
}

// ANCHOR: parse_publish
/// Parses `-p [[IP:][HOSTPORT]:]CPORT[/tcp|/udp]`.
pub fn parse_publish(text: &str) -> Result<PortSpec, String> {
    let (ports, protocol) = match text.rsplit_once('/') {
        Some((ports, "tcp")) => (ports, Protocol::Tcp),
        Some((ports, "udp")) => (ports, Protocol::Udp),
        Some((_, other)) => return Err(format!("invalid proto: {other}")),
        None => (text, Protocol::Tcp),
    };
    let parts: Vec<&str> = ports.split(':').collect();
    let (host_ip, host_port, container_port) = match parts[..] {
        [container] => ("", "", container),
        [host, container] => ("", host, container),
        [ip, host, container] => (ip, host, container),
        _ => return Err(format!("invalid port specification: {text:?}")),
    };
    let container_port = port_number(container_port)
        .ok_or_else(|| format!("invalid containerPort: {container_port}"))?;
    let host_port = match host_port {
        "" => None,
        port => Some(port_number(port).ok_or_else(|| format!("invalid hostPort: {port}"))?),
    };
    let host_ip = match host_ip {
        "" | "0.0.0.0" => None,
        ip => Some(ip.parse().map_err(|_| {
            format!("invalid IP address: {ip} (mini-docker publishes on IPv4 only)")
        })?),
    };
    Ok(PortSpec {
        host_ip,
        host_port,
        container_port,
        protocol,
    })
}
// ANCHOR_END: parse_publish

/// A port number 1–65535 (ranges like `8000-8010` are left out on purpose).
fn port_number(text: &str) -> Option<u16> {
    text.parse().ok().filter(|port| *port != 0)
}

/// The `-p` flags as docker records them in `HostConfig.PortBindings`.
pub fn port_map(specs: &[PortSpec]) -> PortMap {
    let mut map = PortMap::new();
    for spec in specs {
        map.entry(spec.to_string()).or_default().push(PortBinding {
            host_ip: spec.host_ip.map(|ip| ip.to_string()).unwrap_or_default(),
            host_port: spec
                .host_port
                .map(|port| port.to_string())
                .unwrap_or_default(),
        });
    }
    map
}

/// The flags back from a recorded `PortBindings` (the monitor reads them at each start).
pub fn specs_from_map(map: &PortMap) -> Result<Vec<PortSpec>, String> {
    let mut specs = Vec::new();
    for (port, bindings) in map {
        for binding in bindings {
            let text = match (binding.host_ip.as_str(), binding.host_port.as_str()) {
                ("", "") => port.clone(),
                ("", host_port) => format!("{host_port}:{port}"),
                (ip, host_port) => format!("{ip}:{host_port}:{port}"),
            };
            specs.push(parse_publish(&text)?);
        }
    }
    Ok(specs)
}

/// A published port held by its bound socket.
#[derive(Debug)]
pub struct HeldPort {
    pub spec: PortSpec,
    /// The host port actually bound (the kernel's choice for `-p CPORT`).
    pub host_port: u16,
    _socket: OwnedFd,
}

impl HeldPort {
    /// Docker's `NetworkSettings.Ports` entry for this port.
    pub fn binding(&self) -> PortBinding {
        PortBinding {
            host_ip: self
                .spec
                .host_ip
                .unwrap_or(Ipv4Addr::UNSPECIFIED)
                .to_string(),
            host_port: self.host_port.to_string(),
        }
    }
}

// ANCHOR: hold
/// Binds a socket to the host port of `spec` (any free one for `-p CPORT`) and keeps it:
/// while it is bound nobody else gets the port. It does not listen; the firewall's NAT
/// rule sends the connections to the container before they could reach it.
pub fn hold(spec: PortSpec) -> Result<HeldPort, String> {
    let kind = match spec.protocol {
        Protocol::Tcp => SockType::Stream,
        Protocol::Udp => SockType::Datagram,
    };
    let ip = spec.host_ip.unwrap_or(Ipv4Addr::UNSPECIFIED);
    let wanted = spec.host_port.unwrap_or(0);
    let failed = |why: String| format!("Bind for {ip}:{wanted} failed: {why}");
    let socket = socket(AddressFamily::Inet, kind, SockFlag::SOCK_CLOEXEC, None)
        .map_err(|errno| failed(errno.desc().to_owned()))?;
    bind(
        std::os::fd::AsRawFd::as_raw_fd(&socket),
        &SockaddrIn::from(SocketAddrV4::new(ip, wanted)),
    )
    .map_err(|errno| match errno {
        nix::errno::Errno::EADDRINUSE => failed("port is already allocated".to_owned()),
        other => failed(other.desc().to_owned()),
    })?;
    let bound: SockaddrIn = getsockname(std::os::fd::AsRawFd::as_raw_fd(&socket))
        .map_err(|errno| failed(errno.desc().to_owned()))?;
    Ok(HeldPort {
        spec,
        host_port: bound.port(),
        _socket: socket,
    })
}
// ANCHOR_END: hold

/// `port CONTAINER [PORT[/PROTO]]`: every published port as `80/tcp -> 0.0.0.0:18080`, or
/// only the host side of one (`0.0.0.0:18080`). `published` is the container's
/// `NetworkSettings.Ports`; `name` its name, for the error.
pub fn port_lines(
    published: &PortMap,
    name: &str,
    only: Option<&str>,
) -> Result<Vec<String>, String> {
    let Some(only) = only else {
        return Ok(published
            .iter()
            .flat_map(|(port, bindings)| {
                bindings
                    .iter()
                    .map(move |b| format!("{port} -> {}:{}", b.host_ip, b.host_port))
            })
            .collect());
    };
    let key = if only.contains('/') {
        only.to_owned()
    } else {
        format!("{only}/tcp")
    };
    match published.get(&key) {
        Some(bindings) if !bindings.is_empty() => Ok(bindings
            .iter()
            .map(|b| format!("{}:{}", b.host_ip, b.host_port))
            .collect()),
        _ => Err(format!("No public port '{key}' published for {name}")),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn port_command_lines() {
        let mut published = PortMap::new();
        published.insert(
            "80/tcp".into(),
            vec![PortBinding {
                host_ip: "0.0.0.0".into(),
                host_port: "18080".into(),
            }],
        );
        assert_eq!(
            port_lines(&published, "web", None).unwrap(),
            ["80/tcp -> 0.0.0.0:18080"]
        );
        assert_eq!(
            port_lines(&published, "web", Some("80")).unwrap(),
            ["0.0.0.0:18080"]
        );
        assert_eq!(
            port_lines(&published, "web", Some("81/udp")).unwrap_err(),
            "No public port '81/udp' published for web"
        );
    }

    #[test]
    fn parses_docker_forms() {
        let cases = [
            ("80", None, None, 80, Protocol::Tcp),
            ("18080:80", None, Some(18080), 80, Protocol::Tcp),
            (
                "127.0.0.1:18080:80/tcp",
                Some(Ipv4Addr::LOCALHOST),
                Some(18080),
                80,
                Protocol::Tcp,
            ),
            (
                "127.0.0.1::53/udp",
                Some(Ipv4Addr::LOCALHOST),
                None,
                53,
                Protocol::Udp,
            ),
            ("0.0.0.0:8080:80", None, Some(8080), 80, Protocol::Tcp),
        ];
        for (text, host_ip, host_port, container_port, protocol) in cases {
            assert_eq!(
                parse_publish(text).unwrap(),
                PortSpec {
                    host_ip,
                    host_port,
                    container_port,
                    protocol
                },
                "{text}"
            );
        }
    }

    #[test]
    fn rejects_bad_forms_with_docker_words() {
        for (text, error) in [
            ("abc", "invalid containerPort: abc"),
            ("x:80", "invalid hostPort: x"),
            ("80/sctp", "invalid proto: sctp"),
            ("1:2:3:4", "invalid port specification: \"1:2:3:4\""),
            ("8000-8010:80", "invalid hostPort: 8000-8010"),
            ("0", "invalid containerPort: 0"),
            (
                "nohost:80:80",
                "invalid IP address: nohost (mini-docker publishes on IPv4 only)",
            ),
        ] {
            assert_eq!(parse_publish(text).unwrap_err(), error, "{text}");
        }
    }

    #[test]
    fn port_map_round_trips() {
        let specs: Vec<PortSpec> = ["18080:80", "127.0.0.1::53/udp", "443"]
            .iter()
            .map(|text| parse_publish(text).unwrap())
            .collect();
        let map = port_map(&specs);
        assert_eq!(
            serde_json::to_string(&map).unwrap(),
            r#"{"443/tcp":[{"HostIp":"","HostPort":""}],"53/udp":[{"HostIp":"127.0.0.1","HostPort":""}],"80/tcp":[{"HostIp":"","HostPort":"18080"}]}"#
        );
        let mut back = specs_from_map(&map).unwrap();
        back.sort();
        let mut specs = specs;
        specs.sort();
        assert_eq!(back, specs);
    }

    #[test]
    fn a_held_port_is_refused_to_others_and_port_zero_picks_one() {
        let any = hold(parse_publish("127.0.0.1::80").unwrap()).unwrap();
        assert_ne!(any.host_port, 0);
        let again = format!("127.0.0.1:{}:80", any.host_port);
        let error = hold(parse_publish(&again).unwrap()).unwrap_err();
        assert_eq!(
            error,
            format!(
                "Bind for 127.0.0.1:{}:80 failed: port is already allocated",
                any.host_port
            )
            .replace(":80 failed", " failed")
        );
        assert_eq!(any.binding().host_ip, "127.0.0.1");
    }
}
