//! The name files a container reads: `/etc/hostname`, `/etc/hosts`, `/etc/resolv.conf`.
//!
//! Chapter 5 wrote first versions into the container's init layer at `create`; now that the
//! container has an address, the monitor rewrites `hosts` and `resolv.conf` at every start,
//! before the child mounts its root (nothing has the layers mounted then, so writing into
//! the init layer's directory is safe). They stay in the init layer, so `commit` leaves them
//! out of a new image, as docker's do.
//!
//! - `hosts`: localhost, the container's own address and hostname, then the `--link`
//!   aliases (`172.18.0.2  insideweb 1a2b3c4d5e6f web`) and `--add-host` entries.
//! - `resolv.conf`: the host's, without loopback name servers (the container's 127.0.0.53
//!   is its own loopback, where no resolver listens); if none is left, docker's fallback
//!   (Google's public resolvers); `--dns` replaces the name servers.

use std::net::Ipv4Addr;
use std::path::Path;

use chapter07::chapter06::chapter05::chapter04::chapter03::chapter01::ContainerError;
use chapter07::chapter06::chapter05::chapter04::chapter03::record::replace_bytes;
use chapter07::chapter06::chapter05::container_fs::{resolv_conf, LOCALHOST_ENTRIES};

/// A `--link NAME:ALIAS`, resolved at start to the linked container's address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkEntry {
    pub address: Ipv4Addr,
    pub alias: String,
    /// The linked container's short id and name, written after the alias as docker does.
    pub short_id: String,
    pub name: String,
}

/// Docker's fallback when the host has no usable name server.
pub const FALLBACK_NAME_SERVERS: [&str; 2] = ["8.8.8.8", "8.8.4.4"];

// ANCHOR: hosts
/// `/etc/hosts` of a container with address `own` (none without a network of its own).
pub fn hosts(
    hostname: &str,
    own: Option<Ipv4Addr>,
    links: &[LinkEntry],
    extra_hosts: &[(String, String)],
) -> String {
    let mut text = String::from(LOCALHOST_ENTRIES);
    match own {
        Some(address) => text.push_str(&format!("{address}\t{hostname}\n")),
        None => text.push_str(&format!("127.0.1.1\t{hostname}\n")),
    }
    for link in links {
        let mut names = vec![
            link.alias.as_str(),
            link.short_id.as_str(),
            link.name.as_str(),
        ];
        names.dedup();
        text.push_str(&format!("{}\t{}\n", link.address, names.join(" ")));
    }
    for (name, address) in extra_hosts {
        text.push_str(&format!("{address}\t{name}\n"));
    }
    text
}
// ANCHOR_END: hosts

/// `/etc/resolv.conf` from the host's text, with `--dns` servers if any were given.
pub fn resolv(host: &str, dns: &[String]) -> String {
    let kept = resolv_conf(host);
    let is_nameserver = |line: &&str| line.trim_start().starts_with("nameserver");
    let mut lines: Vec<String> = kept
        .lines()
        .filter(|line| dns.is_empty() || !is_nameserver(line))
        .map(str::to_owned)
        .collect();
    let servers: Vec<String> = if !dns.is_empty() {
        dns.to_vec()
    } else if !kept.lines().any(|line| is_nameserver(&line)) {
        FALLBACK_NAME_SERVERS
            .iter()
            .map(|s| s.to_string())
            .collect()
    } else {
        Vec::new()
    };
    lines.extend(servers.iter().map(|server| format!("nameserver {server}")));
    lines.join("\n") + "\n"
}

/// Parses `--add-host NAME:IP` (docker also accepts `NAME=IP`).
pub fn parse_add_host(text: &str) -> Result<(String, String), String> {
    let (name, address) = text
        .split_once('=')
        .or_else(|| text.split_once(':'))
        .ok_or_else(|| format!("bad format for add-host: {text:?}"))?;
    address
        .parse::<std::net::IpAddr>()
        .map_err(|_| format!("invalid IP address in add-host: {address:?}"))?;
    if name.is_empty() {
        return Err(format!("bad format for add-host: {text:?}"));
    }
    Ok((name.to_owned(), address.to_owned()))
}

/// Writes `etc/<file>` of the init layer at `init_diff` atomically (chapter 3's
/// `replace_bytes`), so a process in the container never reads half a file.
///
/// A file that already says `content` is left alone: at most starts nothing changed (a
/// container without a network, a restart), and a rewrite is not free — a new inode, the
/// old one deleted, and on ext4 a flush of the new file's data (its `auto_da_alloc` guard
/// for files renamed over others).
pub fn write(init_diff: &Path, file: &str, content: &str) -> Result<(), ContainerError> {
    let path = init_diff.join("etc").join(file);
    if std::fs::read(&path).is_ok_and(|current| current == content.as_bytes()) {
        return Ok(());
    }
    replace_bytes(&path, content.as_bytes())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn hosts_with_own_address_links_and_extra_hosts() {
        let links = [LinkEntry {
            address: Ipv4Addr::new(172, 18, 0, 2),
            alias: "insideweb".into(),
            short_id: "1a2b3c4d5e6f".into(),
            name: "web".into(),
        }];
        let extra = [("db.local".to_owned(), "10.0.0.5".to_owned())];
        assert_eq!(
            hosts("agent", Some(Ipv4Addr::new(172, 18, 0, 4)), &links, &extra),
            "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n\
172.18.0.4\tagent\n172.18.0.2\tinsideweb 1a2b3c4d5e6f web\n10.0.0.5\tdb.local\n"
        );
        assert!(hosts("x", None, &[], &[]).ends_with("127.0.1.1\tx\n"));
    }

    #[test]
    fn write_keeps_a_file_that_already_says_the_same() {
        use std::os::unix::fs::MetadataExt;
        let init_diff = tempfile::tempdir().unwrap();
        std::fs::create_dir(init_diff.path().join("etc")).unwrap();
        let hosts = init_diff.path().join("etc/hosts");
        write(init_diff.path(), "hosts", "one\n").unwrap();
        let inode = std::fs::metadata(&hosts).unwrap().ino();
        write(init_diff.path(), "hosts", "one\n").unwrap();
        assert_eq!(std::fs::metadata(&hosts).unwrap().ino(), inode, "rewritten");
        write(init_diff.path(), "hosts", "two\n").unwrap();
        assert_eq!(std::fs::read_to_string(&hosts).unwrap(), "two\n");
        assert_ne!(
            std::fs::metadata(&hosts).unwrap().ino(),
            inode,
            "not replaced"
        );
    }

    #[test]
    fn resolv_conf_falls_back_and_takes_dns() {
        let only_loopback = "nameserver 127.0.0.53\nsearch lan\n";
        let text = resolv(only_loopback, &[]);
        assert!(
            text.ends_with("search lan\nnameserver 8.8.8.8\nnameserver 8.8.4.4\n"),
            "{text}"
        );
        let text = resolv("nameserver 10.0.0.1\noptions edns0\n", &["9.9.9.9".into()]);
        assert!(
            text.ends_with("options edns0\nnameserver 9.9.9.9\n"),
            "{text}"
        );
        assert!(!text.contains("10.0.0.1"));
        let text = resolv("nameserver 10.0.0.1\n", &[]);
        assert!(
            text.ends_with("nameserver 10.0.0.1\n") && !text.contains("8.8.8.8"),
            "{text}"
        );
    }

    #[test]
    fn add_host_forms() {
        assert_eq!(
            parse_add_host("db:10.0.0.5").unwrap(),
            ("db".into(), "10.0.0.5".into())
        );
        assert_eq!(
            parse_add_host("db=10.0.0.5").unwrap(),
            ("db".into(), "10.0.0.5".into())
        );
        assert!(parse_add_host("db").is_err());
        assert!(parse_add_host("db:nowhere").is_err());
    }
}
