//! End-to-end scenarios against the `mini-docker` binary, taken from the seed articles.
//!
//! This library holds what the scenarios share: finding the binary, a per-test state root
//! and rootfs, and a background container that is killed if the test fails half-way.
//! The scenarios themselves are in `tests/`.

use std::io::{BufRead, BufReader, Read};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{channel, Receiver};
use std::time::{Duration, Instant};

use chapter03::busybox::{build_rootfs, find_host_busybox};
use testkit::TempRoot;

/// The `mini-docker` binary of this workspace's target directory (`cargo test --workspace`
/// builds it; so does `cargo build -p mini-docker`).
pub fn mini_docker_binary() -> PathBuf {
    // Test binaries live in target/<profile>/deps; the CLI one level up.
    let exe = std::env::current_exe().expect("the test knows its own path");
    let profile_dir = exe
        .parent()
        .and_then(Path::parent)
        .expect("test binaries live in target/<profile>/deps");
    let binary = profile_dir.join("mini-docker");
    assert!(
        binary.is_file(),
        "{} is missing: run `cargo build -p mini-docker` (cargo xtask test does)",
        binary.display()
    );
    binary
}

/// A state root and a busybox rootfs of the test's own.
pub struct Workspace {
    pub dir: TempRoot,
    pub rootfs: PathBuf,
}

impl Workspace {
    pub fn new() -> Self {
        let dir = TempRoot::new();
        let busybox = find_host_busybox().expect("busybox-static is installed (cargo xtask setup)");
        let rootfs = build_rootfs(&dir.join("rootfs"), &busybox)
            .expect("a busybox rootfs can be built")
            .path;
        Workspace { dir, rootfs }
    }

    pub fn state_root(&self) -> PathBuf {
        self.dir.join("state")
    }

    /// `mini-docker run --rootfs <rootfs> ARGS...` with this workspace's state root.
    pub fn run_command(&self, args: &[&str]) -> Command {
        let mut command = Command::new(mini_docker_binary());
        command
            .env("MINI_DOCKER_ROOT", self.state_root())
            .arg("run")
            .arg("--rootfs")
            .arg(&self.rootfs)
            .args(args);
        command
    }

    /// Starts a container in the background; see [`Background`].
    pub fn start(&self, args: &[&str]) -> Background {
        let mut child = self
            .run_command(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            // Its own process group: the CLI and its container can be killed as one.
            .process_group(0)
            .spawn()
            .expect("mini-docker starts");
        // A thread reads the container's output, so a test can wait for a line with a
        // deadline instead of blocking forever on a container that never prints.
        let (sender, lines) = channel();
        if let Some(stdout) = child.stdout.take() {
            std::thread::spawn(move || {
                for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                    if sender.send(line).is_err() {
                        break;
                    }
                }
            });
        }
        Background {
            child: Some(child),
            lines,
            state_root: self.state_root(),
        }
    }
}

impl Default for Workspace {
    fn default() -> Self {
        Self::new()
    }
}

/// A `mini-docker run` in the background. Dropping it kills the CLI and its container.
pub struct Background {
    child: Option<Child>,
    lines: Receiver<String>,
    state_root: PathBuf,
}

impl Background {
    /// The pid of the CLI process.
    pub fn cli_pid(&self) -> u32 {
        self.child.as_ref().map_or(0, Child::id)
    }

    /// Waits until the container's `state.json` says it runs, and returns its host pid.
    pub fn container_pid(&self, timeout: Duration) -> i32 {
        let deadline = Instant::now() + timeout;
        while Instant::now() < deadline {
            if let Some(pid) = self.running_pid() {
                return pid;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        panic!("the container did not start within {timeout:?}");
    }

    fn running_pid(&self) -> Option<i32> {
        let containers = std::fs::read_dir(self.state_root.join("containers")).ok()?;
        for entry in containers.flatten() {
            // The store's own entries (`.names`, a staging directory) are not containers.
            let Ok(text) = std::fs::read_to_string(entry.path().join("state.json")) else {
                continue;
            };
            let Ok(state) = serde_json::from_str::<serde_json::Value>(&text) else {
                continue;
            };
            if state["Running"] == true {
                return state["Pid"].as_i64().map(|pid| pid as i32);
            }
        }
        None
    }

    /// The next line the container prints, waiting at most `timeout`.
    pub fn read_line(&mut self, timeout: Duration) -> String {
        self.lines.recv_timeout(timeout).unwrap_or_else(|error| {
            panic!("no line from the container within {timeout:?}: {error}")
        })
    }

    /// Waits (at most `timeout`) for the CLI to exit; returns its exit code, the rest of its
    /// stdout, and its stderr. Panics on timeout (the container is killed on drop).
    pub fn finish(mut self, timeout: Duration) -> (i32, String, String) {
        let deadline = Instant::now() + timeout;
        let status = loop {
            let child = self.child.as_mut().expect("finish is called once");
            if let Some(status) = child.try_wait().expect("mini-docker can be waited for") {
                break status;
            }
            assert!(
                Instant::now() < deadline,
                "mini-docker did not exit within {timeout:?}"
            );
            std::thread::sleep(Duration::from_millis(20));
        };
        // The reader thread ends at end-of-file, once the CLI has exited.
        let stdout: String = self.lines.iter().map(|line| line + "\n").collect();
        let mut stderr = String::new();
        if let Some(pipe) = self.child.as_mut().and_then(|child| child.stderr.as_mut()) {
            let _ = pipe.read_to_string(&mut stderr);
        }
        self.child = None;
        (status.code().unwrap_or(-1), stdout, stderr)
    }
}

impl Drop for Background {
    /// Kills the CLI and its container together (their process group), then reaps the CLI.
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            if let Some(pid) = self.running_pid() {
                let _ = nix::sys::signal::kill(
                    nix::unistd::Pid::from_raw(pid),
                    nix::sys::signal::Signal::SIGKILL,
                );
            }
            let group = nix::unistd::Pid::from_raw(-(child.id() as i32));
            let _ = nix::sys::signal::kill(group, nix::sys::signal::Signal::SIGKILL);
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}
