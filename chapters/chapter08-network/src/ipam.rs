//! IP address management: which container holds which address of the bridge's subnet.
//!
//! Each address in use is a *lease*, a file `<root>/network/leases/<address>` holding the
//! container's id. The container's monitor keeps that file `flock(2)`ed for as long as it
//! holds the address — the same trick as `monitor.lock` in chapter 7: the kernel drops the
//! lock when the monitor exits, however it exits, so a lease whose lock is free belongs to
//! nobody and is taken back by the next allocation. No clean-up pass, no stale addresses
//! after a `kill -9` or a reboot.
//!
//! One case the lock alone gets wrong: a monitor killed while its container runs on. The
//! container still uses the address, so the lease also names the container's process (pid
//! and start time, which together never repeat): a lease whose lock is free but whose
//! process still lives stays taken until `rm -f` ends that process.
//!
//! Allocation happens under one more lock, `<root>/network/leases.lock`, so 20 containers
//! starting at once get 20 different addresses: each looks at the leases and creates its own
//! while no other allocator looks.

use std::fs;
use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};

use chapter07::chapter06::chapter05::chapter04::chapter03::chapter01::ContainerError;
use chapter07::lock::FileLock;

use crate::subnet::Ipv4Net;

/// The leases of one state root's bridge.
#[derive(Debug, Clone)]
pub struct Leases {
    dir: PathBuf,
    subnet: Ipv4Net,
    /// Addresses never handed out (the gateway, and any the user keeps for other uses).
    reserved: Vec<Ipv4Addr>,
}

/// An address held for a container. Dropping it gives the address back (the file goes
/// before its lock); a monitor killed with SIGKILL leaves the file without its lock, a stale
/// lease the next allocation takes back.
#[derive(Debug)]
pub struct Lease {
    pub address: Ipv4Addr,
    path: PathBuf,
    _lock: FileLock,
}

fn io(what: String) -> impl FnOnce(std::io::Error) -> ContainerError {
    move |error| ContainerError::io(what, error)
}

impl Leases {
    /// The leases under `<state_root>/network/leases/` for addresses of `subnet`.
    pub fn open(
        state_root: &Path,
        subnet: Ipv4Net,
        reserved: Vec<Ipv4Addr>,
    ) -> Result<Self, ContainerError> {
        let dir = state_root.join("network").join("leases");
        fs::create_dir_all(&dir).map_err(io(format!("create {}", dir.display())))?;
        Ok(Leases {
            dir,
            subnet,
            reserved,
        })
    }

    // ANCHOR: allocate
    /// The lowest free address of the subnet, leased to `owner` (a container id).
    pub fn allocate(&self, owner: &str) -> Result<Lease, ContainerError> {
        let _allocating = FileLock::exclusive(&self.dir.with_extension("lock"))?;
        let taken = self.live_leases()?;
        let free = (1..)
            .map_while(|n| self.subnet.host(n))
            .find(|address| !self.reserved.contains(address) && !taken.contains(address))
            .ok_or_else(|| {
                ContainerError::Invalid(format!(
                    "no free address left in {} ({} in use)",
                    self.subnet,
                    taken.len()
                ))
            })?;
        let path = self.dir.join(free.to_string());
        fs::write(&path, owner).map_err(io(format!("write {}", path.display())))?;
        let lock = FileLock::try_exclusive(&path)?.ok_or_else(|| {
            // Nobody else allocates while we hold the allocation lock.
            ContainerError::Invalid(format!(
                "the new lease {} is locked by another",
                path.display()
            ))
        })?;
        Ok(Lease {
            address: free,
            path,
            _lock: lock,
        })
    }
    // ANCHOR_END: allocate

    /// The addresses whose lease is held, with their owner; stale leases (lock free) are
    /// removed on the way. Call it under the allocation lock.
    fn live_leases(&self) -> Result<Vec<Ipv4Addr>, ContainerError> {
        Ok(self
            .scan()?
            .into_iter()
            .filter_map(|(address, _owner, held)| held.then_some(address))
            .collect())
    }

    /// Every lease file: address, owner, and whether its lock is held. A free one is
    /// removed (it is stale) and reported as not held.
    pub fn list(&self) -> Result<Vec<(Ipv4Addr, String, bool)>, ContainerError> {
        // Under the allocation lock: a lease being made is briefly a file without its lock.
        let _allocating = FileLock::exclusive(&self.dir.with_extension("lock"))?;
        self.scan()
    }

    // ANCHOR: scan
    /// At `rm`: gives back every lease of container `owner` that no monitor holds (its
    /// processes are gone by then: `rm` removed its cgroup first).
    pub fn release_owned_by(&self, owner: &str) -> Result<(), ContainerError> {
        let _allocating = FileLock::exclusive(&self.dir.with_extension("lock"))?;
        let entries =
            fs::read_dir(&self.dir).map_err(io(format!("read {}", self.dir.display())))?;
        for path in entries.flatten().map(|entry| entry.path()) {
            let text = fs::read_to_string(&path).unwrap_or_default();
            if text.lines().next() == Some(owner) {
                if let Some(_free) = FileLock::try_exclusive(&path)? {
                    let _ = fs::remove_file(&path);
                }
            }
        }
        Ok(())
    }

    fn scan(&self) -> Result<Vec<(Ipv4Addr, String, bool)>, ContainerError> {
        let entries =
            fs::read_dir(&self.dir).map_err(io(format!("read {}", self.dir.display())))?;
        let mut leases = Vec::new();
        for entry in entries.flatten() {
            let Some(address) = entry.file_name().to_str().and_then(|n| n.parse().ok()) else {
                continue;
            };
            let path = entry.path();
            let text = fs::read_to_string(&path).unwrap_or_default();
            let held = match FileLock::try_exclusive(&path)? {
                // Its monitor is gone, but the container may not be.
                Some(_lock) if process_alive(&text) => true,
                // We got the lock: its owner is gone. Remove it while we hold it.
                Some(_stale) => {
                    let _ = fs::remove_file(&path);
                    false
                }
                None => true,
            };
            let owner = text.lines().next().unwrap_or_default().to_owned();
            leases.push((address, owner, held));
        }
        leases.sort();
        Ok(leases)
    }
    // ANCHOR_END: scan
}

impl Lease {
    /// Adds the container's process to the lease (see the module docs).
    pub fn record_process(&self, pid: i32) -> Result<(), ContainerError> {
        let owner = fs::read_to_string(&self.path).unwrap_or_default();
        let owner = owner.lines().next().unwrap_or_default();
        let started = start_time(pid).unwrap_or_default();
        fs::write(&self.path, format!("{owner}\n{pid} {started}\n"))
            .map_err(io(format!("write {}", self.path.display())))
    }
}

/// The start time of process `pid` (field 22 of `/proc/PID/stat`, in clock ticks since
/// boot; see proc(5)): with the pid, it names one process for ever.
fn start_time(pid: i32) -> Option<u64> {
    let stat = fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name (field 2) may hold spaces and parentheses: count from the last ')'.
    let after_name = stat.rsplit_once(')')?.1;
    after_name.split_whitespace().nth(19)?.parse().ok()
}

/// Whether the process a lease names (its second line: `PID START`) still runs. A zombie
/// does not: its namespaces, and the address, are gone; only its exit status waits.
fn process_alive(lease: &str) -> bool {
    let Some((pid, started)) = lease.lines().nth(1).and_then(|line| line.split_once(' ')) else {
        return false;
    };
    match (pid.parse::<i32>(), started.parse::<u64>()) {
        (Ok(pid), Ok(started)) => {
            start_time(pid) == Some(started) && process_state(pid) != Some('Z')
        }
        _ => false,
    }
}

/// The state letter of process `pid` (field 3 of `/proc/PID/stat`: R, S, D, Z, …).
fn process_state(pid: i32) -> Option<char> {
    let stat = fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    stat.rsplit_once(')')?
        .1
        .split_whitespace()
        .next()?
        .chars()
        .next()
}

impl Drop for Lease {
    fn drop(&mut self) {
        let _ = fs::remove_file(&self.path);
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn leases(root: &Path) -> Leases {
        let subnet: Ipv4Net = "10.77.0.0/29".parse().unwrap();
        Leases::open(root, subnet, vec![subnet.gateway().unwrap()]).unwrap()
    }

    #[test]
    fn lowest_free_address_first_and_released_ones_come_back() {
        let root = tempfile::tempdir().unwrap();
        let leases = leases(root.path());
        let a = leases.allocate("a").unwrap();
        let b = leases.allocate("b").unwrap();
        assert_eq!(a.address, Ipv4Addr::new(10, 77, 0, 2));
        assert_eq!(b.address, Ipv4Addr::new(10, 77, 0, 3));
        drop(a);
        assert_eq!(
            leases.allocate("c").unwrap().address,
            Ipv4Addr::new(10, 77, 0, 2)
        );
    }

    #[test]
    fn a_dropped_lease_is_stale_and_taken_back() {
        let root = tempfile::tempdir().unwrap();
        let leases = leases(root.path());
        let held = leases.allocate("alive").unwrap();
        // What a monitor killed with SIGKILL leaves: the file, without its lock.
        fs::write(root.path().join("network/leases/10.77.0.3"), "dead").unwrap();
        let listed = leases.list().unwrap();
        assert_eq!(
            listed,
            [
                (held.address, "alive".to_owned(), true),
                (Ipv4Addr::new(10, 77, 0, 3), "dead".to_owned(), false)
            ]
        );
        assert_eq!(
            leases.list().unwrap().len(),
            1,
            "the stale lease file is gone"
        );
        assert_eq!(
            leases.allocate("new").unwrap().address,
            Ipv4Addr::new(10, 77, 0, 3)
        );
    }

    #[test]
    fn a_lease_whose_process_lives_stays_taken() {
        let root = tempfile::tempdir().unwrap();
        let leases = leases(root.path());
        // A killed monitor: the lock is free, but the container's process (here: us) runs.
        let me = std::process::id();
        let started = start_time(me as i32).unwrap();
        let dir = root.path().join("network/leases");
        fs::write(dir.join("10.77.0.2"), format!("ours\n{me} {started}\n")).unwrap();
        // The same pid with another start time is another process: that lease is stale.
        fs::write(
            dir.join("10.77.0.3"),
            format!("old\n{me} {}\n", started + 1),
        )
        .unwrap();
        let listed = leases.list().unwrap();
        assert_eq!(
            listed,
            [
                (Ipv4Addr::new(10, 77, 0, 2), "ours".to_owned(), true),
                (Ipv4Addr::new(10, 77, 0, 3), "old".to_owned(), false)
            ]
        );
        assert_eq!(
            leases.allocate("new").unwrap().address,
            Ipv4Addr::new(10, 77, 0, 3)
        );
    }

    #[test]
    fn a_full_subnet_says_so() {
        let root = tempfile::tempdir().unwrap();
        let leases = leases(root.path());
        // A /29 has hosts .1–.6; .1 is the gateway.
        let held: Vec<Lease> = (0..5)
            .map(|n| leases.allocate(&n.to_string()).unwrap())
            .collect();
        let error = leases.allocate("one more").unwrap_err().to_string();
        assert!(
            error.contains("no free address left in 10.77.0.0/29 (5 in use)"),
            "{error}"
        );
        drop(held);
    }

    #[test]
    fn parallel_allocations_get_distinct_addresses() {
        let root = tempfile::tempdir().unwrap();
        let subnet: Ipv4Net = "10.78.0.0/24".parse().unwrap();
        let leases = Leases::open(root.path(), subnet, Vec::new()).unwrap();
        let addresses: Vec<Ipv4Addr> = std::thread::scope(|scope| {
            let threads: Vec<_> = (0..20)
                .map(|n| {
                    let leases = leases.clone();
                    scope.spawn(move || leases.allocate(&format!("c{n}")).unwrap())
                })
                .collect();
            threads
                .into_iter()
                .map(|t| t.join().unwrap())
                .collect::<Vec<Lease>>()
        })
        .iter()
        .map(|lease| lease.address)
        .collect();
        let mut unique = addresses.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), 20, "{addresses:?}");
    }
}
