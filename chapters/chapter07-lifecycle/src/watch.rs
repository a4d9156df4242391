//! Waiting for a container's state to change, without a daemon to tell us.
//!
//! A monitor that waits out a restart delay (chapter 9) must hear at once when a user runs
//! `stop` or `rm -f`, and `wait` must hear at once when a run ends. Nobody has a line to
//! the one waiting; what every change does is write the container's `state.json`, always
//! by writing a temporary file and renaming it over the old one ([`crate::store`]). So the
//! waiter asks the kernel to watch the container's directory for a file moved into it
//! (inotify(7), `IN_MOVED_TO`) and sleeps in poll(2) until that happens or its deadline
//! passes. No polling loop, no signal, no pid to trust.

use std::os::fd::AsFd;
use std::path::Path;
use std::time::Instant;

use nix::poll::{poll, PollFd, PollFlags, PollTimeout};
use nix::sys::inotify::{AddWatchFlags, InitFlags, Inotify};

/// A watch on one container directory.
pub struct StateWatch {
    inotify: Inotify,
}

impl StateWatch {
    /// Starts watching `dir`. Changes that happen before this call are not reported: read
    /// the state *after* making the watch, then wait.
    pub fn new(dir: &Path) -> nix::Result<Self> {
        let inotify = Inotify::init(InitFlags::IN_CLOEXEC | InitFlags::IN_NONBLOCK)?;
        // A rename into the directory (a new state.json) or the directory going away (rm).
        inotify.add_watch(
            dir,
            AddWatchFlags::IN_MOVED_TO | AddWatchFlags::IN_DELETE_SELF,
        )?;
        Ok(StateWatch { inotify })
    }

    // ANCHOR: wait_until
    /// Sleeps until something changed in the directory or `deadline` passed; true if
    /// something changed. The events themselves are read and dropped: the caller reads the
    /// state again either way.
    pub fn wait_until(&self, deadline: Instant) -> bool {
        let left = deadline.saturating_duration_since(Instant::now());
        // poll(2) takes milliseconds; round up so we never wake just before the deadline.
        let millis = left.as_micros().div_ceil(1000);
        let timeout = PollTimeout::try_from(millis).unwrap_or(PollTimeout::MAX);
        let mut fds = [PollFd::new(self.inotify.as_fd(), PollFlags::POLLIN)];
        let changed = matches!(poll(&mut fds, timeout), Ok(count) if count > 0);
        if changed {
            // Non-blocking: drains what is queued, then EAGAIN.
            while matches!(self.inotify.read_events(), Ok(events) if !events.is_empty()) {}
        }
        changed
    }
    // ANCHOR_END: wait_until
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn a_rename_into_the_directory_wakes_the_watcher() {
        let dir = tempfile::tempdir().unwrap();
        let watch = StateWatch::new(dir.path()).unwrap();
        let started = Instant::now();
        assert!(!watch.wait_until(started + Duration::from_millis(30)));
        assert!(started.elapsed() >= Duration::from_millis(30));

        let path = dir.path().to_owned();
        let writer = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(20));
            std::fs::write(path.join(".state.json.tmp"), "{}").unwrap();
            std::fs::rename(path.join(".state.json.tmp"), path.join("state.json")).unwrap();
        });
        let waited = Instant::now();
        assert!(watch.wait_until(waited + Duration::from_secs(10)));
        assert!(waited.elapsed() < Duration::from_secs(5));
        writer.join().unwrap();
    }
}
