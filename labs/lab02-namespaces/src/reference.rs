//! The chapter's code behind the lab's interface (used by `cargo xtask check-labs`).

use chapter01::{ChildPlan, ContainerError, ExecPlan, ExitStatus};
use chapter02::inspect::namespace_inodes;
use chapter02::{IdMap, Isolation, Namespace, NamespaceSet};
use nix::sched::CloneFlags;

pub fn clone_flags_for(list: &str) -> Result<CloneFlags, String> {
    list.parse::<NamespaceSet>().map(|set| set.clone_flags())
}

pub fn id_map_line(inside: u32, outside: u32, count: u32) -> String {
    IdMap {
        inside,
        outside,
        count,
    }
    .to_string()
}

pub fn host_id(id: u32, inside: u32, outside: u32, count: u32) -> Option<u32> {
    IdMap {
        inside,
        outside,
        count,
    }
    .to_host(id)
}

pub fn namespace_inode(pid: &str, ns: &str) -> std::io::Result<u64> {
    namespace_inodes(pid)?
        .into_iter()
        .find(|entry| entry.name == ns)
        .map(|entry| entry.inode)
        .ok_or_else(|| std::io::Error::new(std::io::ErrorKind::NotFound, ns.to_owned()))
}

pub fn run_in_namespaces(
    list: &str,
    hostname: &str,
    args: &[&str],
) -> Result<ExitStatus, ContainerError> {
    let namespaces: NamespaceSet = list.parse().map_err(ContainerError::Invalid)?;
    let isolation = Isolation {
        hostname: namespaces
            .contains(Namespace::Uts)
            .then(|| hostname.to_owned()),
        namespaces,
        id_map: IdMap::root_to_unprivileged_range(),
    };
    let env = vec![format!("PATH={}", chapter01::DEFAULT_PATH)];
    let exec = ExecPlan::new(args.iter().map(|a| a.to_string()).collect(), env)?;
    chapter02::create::run(&isolation, ChildPlan::new(exec))?.wait()
}
