//! The kinds of namespace, and the set of them a container gets.

use std::collections::BTreeSet;
use std::fmt;
use std::str::FromStr;

use nix::sched::CloneFlags;

/// One kind of namespace (namespaces(7)).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Namespace {
    /// Cgroup root: `/proc/self/cgroup` shows `/` inside.
    Cgroup,
    /// System V IPC and POSIX message queues.
    Ipc,
    /// Mount points: mounts made inside are invisible outside (with private propagation).
    Mount,
    /// Network devices, addresses, routes, firewall rules, ports.
    Net,
    /// Process ids: the first process is PID 1 and sees only its descendants.
    Pid,
    /// User and group ids: root inside can be an unprivileged id outside.
    User,
    /// Hostname and NIS domain name.
    Uts,
}

impl Namespace {
    pub const ALL: [Namespace; 7] = [
        Namespace::Cgroup,
        Namespace::Ipc,
        Namespace::Mount,
        Namespace::Net,
        Namespace::Pid,
        Namespace::User,
        Namespace::Uts,
    ];

    /// The `clone(2)` / `unshare(2)` flag that creates this namespace.
    pub fn clone_flag(self) -> CloneFlags {
        match self {
            Namespace::Cgroup => CloneFlags::CLONE_NEWCGROUP,
            Namespace::Ipc => CloneFlags::CLONE_NEWIPC,
            Namespace::Mount => CloneFlags::CLONE_NEWNS,
            Namespace::Net => CloneFlags::CLONE_NEWNET,
            Namespace::Pid => CloneFlags::CLONE_NEWPID,
            Namespace::User => CloneFlags::CLONE_NEWUSER,
            Namespace::Uts => CloneFlags::CLONE_NEWUTS,
        }
    }

    /// The entry in `/proc/PID/ns/` (and the name this crate parses).
    pub fn proc_name(self) -> &'static str {
        match self {
            Namespace::Cgroup => "cgroup",
            Namespace::Ipc => "ipc",
            Namespace::Mount => "mnt",
            Namespace::Net => "net",
            Namespace::Pid => "pid",
            Namespace::User => "user",
            Namespace::Uts => "uts",
        }
    }
}

impl fmt::Display for Namespace {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.proc_name())
    }
}

impl FromStr for Namespace {
    type Err = String;

    fn from_str(name: &str) -> Result<Self, Self::Err> {
        let name = name.trim();
        Namespace::ALL
            .into_iter()
            .find(|ns| ns.proc_name() == name || (name == "mount" && *ns == Namespace::Mount))
            .ok_or_else(|| {
                format!(
                    "unknown namespace {name:?}: expected one of cgroup, ipc, mnt, net, pid, user, uts"
                )
            })
    }
}

/// The namespaces a container gets.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct NamespaceSet(BTreeSet<Namespace>);

impl NamespaceSet {
    /// Nothing new: the child shares every namespace with its parent.
    pub fn none() -> Self {
        NamespaceSet::default()
    }

    /// What docker gives a container by default: everything but a user namespace.
    pub fn container_default() -> Self {
        Namespace::ALL
            .into_iter()
            .filter(|ns| *ns != Namespace::User)
            .collect()
    }

    pub fn contains(&self, namespace: Namespace) -> bool {
        self.0.contains(&namespace)
    }

    pub fn insert(&mut self, namespace: Namespace) {
        self.0.insert(namespace);
    }

    pub fn remove(&mut self, namespace: Namespace) {
        self.0.remove(&namespace);
    }

    pub fn iter(&self) -> impl Iterator<Item = Namespace> + '_ {
        self.0.iter().copied()
    }

    // ANCHOR: clone_flags
    /// The flags for `clone(2)`: one `CLONE_NEW*` bit per namespace.
    pub fn clone_flags(&self) -> CloneFlags {
        self.iter()
            .fold(CloneFlags::empty(), |flags, ns| flags | ns.clone_flag())
    }
    // ANCHOR_END: clone_flags
}

impl FromIterator<Namespace> for NamespaceSet {
    fn from_iter<I: IntoIterator<Item = Namespace>>(iter: I) -> Self {
        NamespaceSet(iter.into_iter().collect())
    }
}

/// Parses `"uts,pid,net"`, `"all"` (the seven above; Linux's eighth, the time namespace, is
/// left out, as docker leaves it out) or `"none"`.
impl FromStr for NamespaceSet {
    type Err = String;

    fn from_str(list: &str) -> Result<Self, Self::Err> {
        match list.trim() {
            "all" => Ok(Namespace::ALL.into_iter().collect()),
            "none" | "" => Ok(NamespaceSet::none()),
            list => list.split(',').map(str::parse).collect(),
        }
    }
}

impl fmt::Display for NamespaceSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&str> = self.iter().map(Namespace::proc_name).collect();
        f.write_str(&names.join(","))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_parse_in_any_order() {
        let set: NamespaceSet = "uts, pid,mount".parse().unwrap();
        assert_eq!(set.to_string(), "mnt,pid,uts");
        assert_eq!(
            set.clone_flags(),
            CloneFlags::CLONE_NEWNS | CloneFlags::CLONE_NEWPID | CloneFlags::CLONE_NEWUTS
        );
    }

    #[test]
    fn unknown_names_are_named_in_the_error() {
        let error = "uts,time".parse::<NamespaceSet>().unwrap_err();
        assert!(error.contains("\"time\""), "{error}");
    }

    #[test]
    fn the_default_has_no_user_namespace() {
        let set = NamespaceSet::container_default();
        assert!(!set.contains(Namespace::User));
        assert_eq!(set.iter().count(), 6);
    }
}
