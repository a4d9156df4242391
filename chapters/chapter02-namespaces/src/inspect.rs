//! Looking at namespaces from outside (and inside): inodes and network interfaces.

use std::path::Path;

/// One entry of `/proc/PID/ns/`: its name and the inode that identifies the namespace.
/// Two processes are in the same namespace exactly when their inodes match.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NamespaceInode {
    pub name: String,
    pub inode: u64,
}

// ANCHOR: inodes
/// Reads every `/proc/<pid>/ns/*` link (`net:[4026531840]`), sorted by name.
/// `pid` is a number or `self`.
pub fn namespace_inodes(pid: &str) -> std::io::Result<Vec<NamespaceInode>> {
    let dir = Path::new("/proc").join(pid).join("ns");
    let mut inodes = Vec::new();
    for entry in std::fs::read_dir(&dir)? {
        let entry = entry?;
        let target = std::fs::read_link(entry.path())?;
        let target = target.to_string_lossy();
        let inode = target
            .rsplit_once('[')
            .and_then(|(_, rest)| rest.trim_end_matches(']').parse().ok())
            .ok_or_else(|| std::io::Error::other(format!("unexpected ns link {target}")))?;
        inodes.push(NamespaceInode {
            name: entry.file_name().to_string_lossy().into_owned(),
            inode,
        });
    }
    inodes.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(inodes)
}
// ANCHOR_END: inodes

/// The network interfaces of the caller's network namespace, from `/proc/net/dev`
/// (which, unlike `/sys/class/net`, always shows the reader's own namespace).
pub fn network_interfaces() -> std::io::Result<Vec<String>> {
    let text = std::fs::read_to_string("/proc/net/dev")?;
    Ok(text
        .lines()
        .skip(2) // two header lines
        .filter_map(|line| line.split_once(':'))
        .map(|(name, _)| name.trim().to_owned())
        .collect())
}
