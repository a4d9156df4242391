//! From the command line's network flags to what chapter 7 records in `HostConfig`.
//!
//! `--network`, `-p`, `--link`, `--add-host` and `--dns` are checked here, before anything
//! exists; what needs other containers (does `--link web` name one?) is checked by
//! [`crate::hooks`] when `create` asks.

use chapter07::create::NetworkFlags;

use crate::mode::NetworkMode;
use crate::ports::{parse_publish, port_map, PortSpec};

/// The flags as typed.
#[derive(Debug, Clone, Default)]
pub struct NetworkArgs {
    pub network: String,
    pub publish: Vec<String>,
    pub links: Vec<String>,
    pub add_hosts: Vec<String>,
    pub dns: Vec<String>,
}

/// Parsed flags, and warnings for the user (docker's, word for word where it has one).
#[derive(Debug, Clone, Default)]
pub struct Parsed {
    pub flags: NetworkFlags,
    pub warnings: Vec<String>,
}

// ANCHOR: parse_args
/// Checks the flags and turns them into chapter 7's [`NetworkFlags`].
pub fn parse_args(args: &NetworkArgs) -> Result<Parsed, String> {
    let mode = NetworkMode::parse(&args.network)?;
    let mut specs: Vec<PortSpec> = args
        .publish
        .iter()
        .map(|text| parse_publish(text))
        .collect::<Result<_, _>>()?;
    let mut warnings = Vec::new();
    match &mode {
        NetworkMode::Container(_) if !specs.is_empty() => {
            return Err(
                "conflicting options: port publishing and the container type network mode".into(),
            )
        }
        NetworkMode::Container(_) if !args.dns.is_empty() => {
            return Err("conflicting options: dns and the network mode".into())
        }
        NetworkMode::Host | NetworkMode::None if !specs.is_empty() => {
            warnings.push(format!(
                "Published ports are discarded when using {mode} network mode"
            ));
            specs.clear();
        }
        _ => {}
    }
    if !args.links.is_empty() && mode != NetworkMode::Bridge {
        return Err(format!("conflicting options: --link works only on the bridge network, not with --network {mode}"));
    }
    let links = args
        .links
        .iter()
        .map(|link| parse_link(link).map(|(name, alias)| format!("{name}:{alias}")))
        .collect::<Result<_, _>>()?;
    for host in &args.add_hosts {
        crate::namefiles::parse_add_host(host)?;
    }
    for server in &args.dns {
        server
            .parse::<std::net::IpAddr>()
            .map_err(|_| format!("{server} is not an ip address"))?;
    }
    let mut exposed: Vec<String> = specs.iter().map(ToString::to_string).collect();
    exposed.dedup();
    Ok(Parsed {
        flags: NetworkFlags {
            mode: mode.to_string(),
            port_bindings: port_map(&specs),
            exposed_ports: exposed,
            links,
            extra_hosts: args.add_hosts.clone(),
            dns: args.dns.clone(),
        },
        warnings,
    })
}
// ANCHOR_END: parse_args

/// `--link NAME[:ALIAS]` (the alias defaults to the name).
pub fn parse_link(text: &str) -> Result<(String, String), String> {
    let (name, alias) = text.split_once(':').unwrap_or((text, text));
    let name = name.trim_start_matches('/');
    if name.is_empty() || alias.is_empty() || alias.contains(['/', ':']) {
        return Err(format!(
            "invalid link {text:?}: expected NAME or NAME:ALIAS"
        ));
    }
    Ok((name.to_owned(), alias.to_owned()))
}

/// The name and alias back from a link as the record keeps it: `/web:/agent/insideweb`.
pub fn recorded_link(text: &str) -> Option<(String, String)> {
    let (target, own) = text.split_once(':')?;
    let alias = own.rsplit('/').next()?;
    Some((target.trim_start_matches('/').to_owned(), alias.to_owned()))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn args(network: &str, publish: &[&str], links: &[&str]) -> NetworkArgs {
        NetworkArgs {
            network: network.into(),
            publish: publish.iter().map(|s| s.to_string()).collect(),
            links: links.iter().map(|s| s.to_string()).collect(),
            ..NetworkArgs::default()
        }
    }

    #[test]
    fn bridge_with_ports_and_links() {
        let parsed = parse_args(&args(
            "",
            &["18080:80", "53/udp"],
            &["web:insideweb", "mailer"],
        ))
        .unwrap();
        assert_eq!(parsed.flags.mode, "bridge");
        assert_eq!(parsed.flags.exposed_ports, ["80/tcp", "53/udp"]);
        assert_eq!(parsed.flags.links, ["web:insideweb", "mailer:mailer"]);
        assert!(parsed.warnings.is_empty());
    }

    #[test]
    fn conflicts_and_discarded_ports() {
        let error = parse_args(&args("container:web", &["80"], &[])).unwrap_err();
        assert_eq!(
            error,
            "conflicting options: port publishing and the container type network mode"
        );
        let parsed = parse_args(&args("host", &["80"], &[])).unwrap();
        assert_eq!(
            parsed.warnings,
            ["Published ports are discarded when using host network mode"]
        );
        assert!(parsed.flags.port_bindings.is_empty());
        assert!(parse_args(&args("none", &[], &["web"])).is_err());
        assert!(parse_args(&args("", &[], &["web:a/b"])).is_err());
    }

    #[test]
    fn recorded_links_read_back() {
        assert_eq!(
            recorded_link("/web:/agent/insideweb").unwrap(),
            ("web".to_owned(), "insideweb".to_owned())
        );
    }
}
