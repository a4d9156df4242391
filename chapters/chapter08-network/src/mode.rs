//! `--network`: which network namespace a container gets.
//!
//! - `bridge` (the default): a namespace of its own, plugged into the host's bridge by a
//!   veth pair, with an address, a default route, NAT and published ports;
//! - `none`: a namespace of its own with only `lo` (chapter 2's containers);
//! - `host`: no namespace of its own — the host's interfaces, addresses and ports, and, as
//!   in docker, the host's hostname too;
//! - `container:NAME`: the namespace of another running container — the same `eth0`, the
//!   same address, `localhost` shared (the way a Kubernetes pod's containers talk).
//!
//! Left out on purpose: user-defined networks (`network create`) and their DNS server.

use std::fmt;

/// A parsed `--network` value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NetworkMode {
    Bridge,
    None,
    Host,
    /// Shares the network namespace of the container with this name or id.
    Container(String),
}

impl NetworkMode {
    /// Parses `--network` (docker also accepts `default` for the bridge).
    pub fn parse(text: &str) -> Result<NetworkMode, String> {
        match text {
            "" | "bridge" | "default" => Ok(NetworkMode::Bridge),
            "none" => Ok(NetworkMode::None),
            "host" => Ok(NetworkMode::Host),
            other => match other.strip_prefix("container:") {
                Some("") => Err("invalid network mode: container: needs a name or id".into()),
                Some(name) => Ok(NetworkMode::Container(name.to_owned())),
                None => Err(format!(
                    "network {other} not found (mini-docker has bridge, none, host and container:NAME)"
                )),
            },
        }
    }
}

impl fmt::Display for NetworkMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NetworkMode::Bridge => f.write_str("bridge"),
            NetworkMode::None => f.write_str("none"),
            NetworkMode::Host => f.write_str("host"),
            NetworkMode::Container(name) => write!(f, "container:{name}"),
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_four_modes() {
        for (text, mode) in [
            ("", NetworkMode::Bridge),
            ("default", NetworkMode::Bridge),
            ("none", NetworkMode::None),
            ("host", NetworkMode::Host),
            ("container:web", NetworkMode::Container("web".into())),
        ] {
            assert_eq!(NetworkMode::parse(text).unwrap(), mode);
        }
        assert_eq!(
            NetworkMode::parse("container:web").unwrap().to_string(),
            "container:web"
        );
        assert!(NetworkMode::parse("container:").is_err());
        assert!(NetworkMode::parse("mynet")
            .unwrap_err()
            .starts_with("network mynet not found"));
    }
}
