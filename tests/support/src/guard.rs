//! Guards that clean up on drop, even when a test panics half-way.

use std::path::{Path, PathBuf};

/// Runs a closure when dropped. Use it for anything a test creates outside its temp dir
/// (a process to kill, a mount to detach): the closure runs during unwinding too.
#[must_use = "the cleanup runs when this value is dropped; bind it to a variable"]
pub struct Cleanup<F: FnOnce()> {
    action: Option<F>,
}

impl<F: FnOnce()> Cleanup<F> {
    pub fn new(action: F) -> Self {
        Cleanup {
            action: Some(action),
        }
    }
}

impl<F: FnOnce()> Drop for Cleanup<F> {
    fn drop(&mut self) {
        if let Some(action) = self.action.take() {
            action();
        }
    }
}

/// A private temporary directory for one test: its own state root, rootfs, files.
/// Removed with everything in it when dropped.
pub struct TempRoot {
    dir: tempfile::TempDir,
}

impl TempRoot {
    pub fn new() -> Self {
        let dir = tempfile::Builder::new()
            .prefix("mini-docker-test-")
            .tempdir()
            .expect("cannot create a temporary directory for the test");
        TempRoot { dir }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn join(&self, relative: &str) -> PathBuf {
        self.dir.path().join(relative)
    }
}

impl Drop for TempRoot {
    /// A state root in here may have made a bridge and its firewall table (chapter 8);
    /// they live outside the directory, so they go first. Containers must be gone by now
    /// (the test's own guards remove them before the temp root is dropped).
    fn drop(&mut self) {
        remove_bridges_under(self.dir.path());
    }
}

/// Removes the bridge (and nftables table) of every state root directly under `dir`
/// (`<dir>/<state>/network/bridge.json`), if that root owns it (its alias names the root).
fn remove_bridges_under(dir: &Path) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for state_root in entries.flatten().map(|entry| entry.path()) {
        let Ok(settings) = std::fs::read_to_string(state_root.join("network/bridge.json")) else {
            continue;
        };
        // `"Name": "md1a2b3c4d"`: the one field we need, without a JSON parser.
        let Some(name) = settings
            .split("\"Name\"")
            .nth(1)
            .and_then(|rest| rest.split('"').nth(1))
        else {
            continue;
        };
        let alias = std::fs::read_to_string(format!("/sys/class/net/{name}/ifalias"));
        match alias {
            Ok(alias) if alias.trim_end() == format!("mini-docker {}", state_root.display()) => {
                let _ = std::process::Command::new("ip")
                    .args(["link", "del", name])
                    .output();
            }
            // Another root's bridge of that name (never ours to touch), and its table.
            Ok(_) => continue,
            // No such device: a table may still be left from a failed start.
            Err(_) => {}
        }
        let table: String = name
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
            .collect();
        let _ = std::process::Command::new("nft")
            .args(["delete", "table", "ip", &format!("mini_docker_{table}")])
            .output();
    }
}

impl Default for TempRoot {
    fn default() -> Self {
        Self::new()
    }
}
