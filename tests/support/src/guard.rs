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

impl Default for TempRoot {
    fn default() -> Self {
        Self::new()
    }
}
