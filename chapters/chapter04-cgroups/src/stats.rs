//! What a container uses: memory, CPU time, processes — the numbers `docker stats` shows.

use std::time::Duration;

/// One reading of a container's cgroup.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Stats {
    /// Bytes of memory charged to the group (page cache included, as the kernel counts it).
    pub memory_usage: u64,
    /// `None` when memory is not limited.
    pub memory_limit: Option<u64>,
    /// CPU time used by all its processes, user and system.
    pub cpu_time: Duration,
    /// Processes (and threads) in the group now.
    pub pids: u64,
}

/// The number after `key` in a flat-keyed file (`oom_kill 1`, `usage_usec 4242`).
pub fn keyed_value(text: &str, key: &str) -> Option<u64> {
    text.lines().find_map(|line| {
        let (name, value) = line.split_once(' ')?;
        (name == key).then(|| value.trim().parse().ok()).flatten()
    })
}

#[cfg(test)]
mod tests {
    use super::keyed_value;

    #[test]
    fn flat_keyed_files() {
        let events = "low 0\nhigh 0\nmax 3\noom 1\noom_kill 1\noom_group_kill 0\n";
        assert_eq!(keyed_value(events, "oom_kill"), Some(1));
        assert_eq!(keyed_value(events, "oom"), Some(1));
        assert_eq!(keyed_value(events, "missing"), None);
    }
}
