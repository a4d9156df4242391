//! What the seed 003 scenarios share: a state root and busybox rootfs of the test's own, the
//! CLI run with a deadline, a few readers of the store's files, a pseudo-terminal to drive
//! `-it` sessions, and guards that leave the host clean when a test fails half-way.
//!
//! Every test gets its own [`Engine`] (its own `MINI_DOCKER_ROOT`), so tests may run in
//! parallel. Cgroups are the one thing state roots share (`/sys/fs/cgroup/<c>/mini-docker/<id>`):
//! checks on them only look at the ids of their own test.

#![allow(dead_code)] // not every test file uses every helper

use std::io::{Read, Write};
use std::os::fd::{AsRawFd, OwnedFd};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use acceptance::{mini_docker_binary, Workspace};
use nix::sys::signal::{kill, Signal};
use nix::unistd::Pid;

/// How long one CLI call may take before the test calls it hung. Generous: a loaded CI
/// machine is slow, and a hang fails the test either way.
pub const CLI_DEADLINE: Duration = Duration::from_secs(60);

/// What a finished CLI call left: its exit code and both streams.
#[derive(Debug)]
pub struct Output {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Output {
    /// The first line of stdout, trimmed (an id, a name, a `--format` result).
    pub fn line(&self) -> String {
        self.stdout
            .lines()
            .next()
            .unwrap_or_default()
            .trim()
            .to_owned()
    }
}

/// The names in directory `dir`, sorted; none if it does not exist (or is not a directory).
pub fn dir_names(dir: impl AsRef<Path>) -> Vec<String> {
    let mut names: Vec<String> = match std::fs::read_dir(dir) {
        Ok(entries) => entries
            .flatten()
            .map(|entry| entry.file_name().to_string_lossy().into_owned())
            .collect(),
        Err(_) => Vec::new(),
    };
    names.sort();
    names
}

/// A state root and busybox rootfs of one test; dropping it removes every container it
/// still has (`rm -f -v`), kills what is left of them, then deletes the directory.
pub struct Engine {
    pub workspace: Workspace,
    binary: PathBuf,
}

impl Engine {
    pub fn new() -> Self {
        let workspace = Workspace::new();
        // Real images have /var/run (seed 003's WordPress writes its lock files there);
        // the busybox rootfs does not, so add it: a read-only root must fail on the
        // write, not on a missing directory.
        std::fs::create_dir_all(workspace.rootfs.join("var/run")).unwrap();
        Engine {
            workspace,
            binary: mini_docker_binary(),
        }
    }

    pub fn root(&self) -> PathBuf {
        self.workspace.state_root()
    }

    pub fn rootfs(&self) -> &Path {
        &self.workspace.rootfs
    }

    /// `mini-docker ARGS…` with this test's state root, not yet started.
    pub fn command(&self, args: &[&str]) -> Command {
        self.command_with(&self.binary, args)
    }

    /// Like [`Engine::command`], with another binary (a copy of ours, say).
    pub fn command_with(&self, binary: &Path, args: &[&str]) -> Command {
        let mut command = Command::new(binary);
        command
            .env("MINI_DOCKER_ROOT", self.root())
            .args(args)
            .stdin(Stdio::null());
        command
    }

    /// Runs `mini-docker ARGS…` to its end (at most [`CLI_DEADLINE`]).
    pub fn cli(&self, args: &[&str]) -> Output {
        finish(self.command(args), CLI_DEADLINE)
    }

    /// Runs `mini-docker ARGS…`, which must succeed; returns its first stdout line.
    pub fn ok(&self, args: &[&str]) -> String {
        let output = self.cli(args);
        assert_eq!(output.code, 0, "mini-docker {args:?} failed: {output:?}");
        output.line()
    }

    /// `["run", FLAGS…, "--rootfs", ROOTFS, COMMAND…]`: the rootfs must come before the
    /// command, which takes every argument after it.
    pub fn run_args(&self, verb: &str, flags: &[&str], command: &[&str]) -> Vec<String> {
        let mut args: Vec<String> = vec![verb.to_owned()];
        args.extend(flags.iter().map(|s| s.to_string()));
        args.push("--rootfs".into());
        args.push(self.rootfs().display().to_string());
        args.extend(command.iter().map(|s| s.to_string()));
        args
    }

    /// `mini-docker run FLAGS… --rootfs ROOTFS COMMAND…`, to its end.
    pub fn run(&self, flags: &[&str], command: &[&str]) -> Output {
        let args = self.run_args("run", flags, command);
        self.cli(&strs(&args))
    }

    /// `run -d --name NAME FLAGS… COMMAND…`, which must succeed; returns the full id.
    pub fn run_detached(&self, name: &str, flags: &[&str], command: &[&str]) -> String {
        let mut all = vec!["-d", "--name", name];
        all.extend_from_slice(flags);
        let output = self.run(&all, command);
        assert_eq!(output.code, 0, "run -d --name {name} failed: {output:?}");
        let id = output.line();
        assert_eq!(id.len(), 64, "run -d prints the full id: {output:?}");
        id
    }

    /// `inspect -f TEMPLATE CONTAINER`, which must succeed.
    pub fn inspect(&self, container: &str, template: &str) -> String {
        self.ok(&["inspect", "-f", template, container])
    }

    /// Full ids from `ps -a -q --no-trunc`, newest first.
    pub fn all_ids(&self) -> Vec<String> {
        let output = self.cli(&["ps", "-a", "-q", "--no-trunc"]);
        assert_eq!(output.code, 0, "{output:?}");
        output.stdout.lines().map(str::to_owned).collect()
    }

    /// The lines of `ps -a` after the header.
    pub fn ps_all_rows(&self) -> Vec<String> {
        let output = self.cli(&["ps", "-a"]);
        assert_eq!(output.code, 0, "{output:?}");
        output.stdout.lines().skip(1).map(str::to_owned).collect()
    }

    /// The `ps -a` row of the container named `name` (names are the last column).
    pub fn ps_row(&self, name: &str) -> String {
        self.ps_all_rows()
            .into_iter()
            .find(|row| row.split_whitespace().last() == Some(name))
            .unwrap_or_else(|| panic!("ps -a has no row for {name}"))
    }

    pub fn containers_dir(&self) -> PathBuf {
        self.root().join("containers")
    }

    /// The container directories the store holds (its dot entries are not containers).
    pub fn records(&self) -> Vec<String> {
        self.dir_entries(&self.containers_dir())
            .into_iter()
            .filter(|name| !name.starts_with('.'))
            .collect()
    }

    /// The half-made and half-removed containers: `.staging-*` and `.removing-*`.
    pub fn leftovers(&self) -> Vec<String> {
        self.dir_entries(&self.containers_dir())
            .into_iter()
            .filter(|name| name.starts_with(".staging-") || name.starts_with(".removing-"))
            .collect()
    }

    /// The layers under `<root>/overlay2`, without `l` (the short-link directory).
    pub fn layers(&self) -> Vec<String> {
        self.dir_entries(&self.root().join("overlay2"))
            .into_iter()
            .filter(|name| name != "l")
            .collect()
    }

    fn dir_entries(&self, dir: &Path) -> Vec<String> {
        dir_names(dir)
    }

    /// A container's `state.json` as JSON.
    pub fn state_json(&self, id: &str) -> serde_json::Value {
        let path = self.containers_dir().join(id).join("state.json");
        let text = std::fs::read_to_string(&path)
            .unwrap_or_else(|error| panic!("cannot read {}: {error}", path.display()));
        serde_json::from_str(&text).unwrap()
    }

    /// The ids this root's `events.log` mentions: every container whose monitor ever ran
    /// here has at least its `start` event, so this is a superset of the ids that may own
    /// a cgroup directory.
    pub fn ids_in_events(&self) -> Vec<String> {
        let text = std::fs::read_to_string(self.root().join("events.log")).unwrap_or_default();
        let mut ids: Vec<String> = text
            .lines()
            .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
            .filter_map(|event| event["id"].as_str().map(str::to_owned))
            .collect();
        ids.sort();
        ids.dedup();
        ids
    }

    /// Best-effort cleanup, also while a test unwinds: never panics.
    fn clean_up(&self) {
        let ids = finish_quietly(self.command(&["ps", "-a", "-q", "--no-trunc"]))
            .map(|output| output.stdout.lines().map(str::to_owned).collect::<Vec<_>>())
            .unwrap_or_default();
        if !ids.is_empty() {
            let mut args = vec!["rm", "-f", "-v"];
            args.extend(ids.iter().map(String::as_str));
            let _ = finish_quietly(self.command(&args));
        }
        // What `rm -f` could not reach (a damaged record, a hung CLI): kill the processes
        // recorded in any container directory, then let one more CLI finish the removals.
        for name in self.dir_entries(&self.containers_dir()) {
            let path = self.containers_dir().join(&name).join("state.json");
            let Ok(text) = std::fs::read_to_string(path) else {
                continue;
            };
            let Ok(state) = serde_json::from_str::<serde_json::Value>(&text) else {
                continue;
            };
            for key in ["Pid", "MonitorPid"] {
                if let Some(pid) = state[key].as_i64().filter(|pid| *pid > 1) {
                    let _ = kill(Pid::from_raw(pid as i32), Signal::SIGKILL);
                }
            }
        }
        let _ = finish_quietly(self.command(&["ps", "-a", "-q"]));
        for id in self.ids_in_events() {
            for dir in cgroup_dirs(&id) {
                let _ = std::fs::remove_dir(dir);
            }
        }
    }
}

impl Default for Engine {
    fn default() -> Self {
        Self::new()
    }
}

impl Drop for Engine {
    fn drop(&mut self) {
        self.clean_up();
    }
}

/// `&[String]` as `Vec<&str>`.
pub fn strs(args: &[String]) -> Vec<&str> {
    args.iter().map(String::as_str).collect()
}

/// Runs `command` with piped output to its end; panics (after killing it) past `deadline`.
pub fn finish(command: Command, deadline: Duration) -> Output {
    let described = format!("{command:?}");
    match run_to_end(command, deadline) {
        Ok(output) => output,
        Err(why) => panic!("{described}: {why}"),
    }
}

fn finish_quietly(command: Command) -> Option<Output> {
    run_to_end(command, Duration::from_secs(30)).ok()
}

fn run_to_end(mut command: Command, deadline: Duration) -> Result<Output, String> {
    let mut child = command
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|error| format!("cannot start: {error}"))?;
    let stdout = reader(child.stdout.take());
    let stderr = reader(child.stderr.take());
    let end = Instant::now() + deadline;
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if Instant::now() < end => std::thread::sleep(Duration::from_millis(5)),
            _ => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!("did not finish within {deadline:?}"));
            }
        }
    };
    Ok(Output {
        code: status.code().unwrap_or(-1),
        stdout: stdout.join().unwrap_or_default(),
        stderr: stderr.join().unwrap_or_default(),
    })
}

/// Reads a pipe to its end on a thread of its own (so a full pipe cannot block the child).
fn reader<R: Read + Send + 'static>(pipe: Option<R>) -> std::thread::JoinHandle<String> {
    std::thread::spawn(move || {
        let mut text = String::new();
        if let Some(mut pipe) = pipe {
            let _ = pipe.read_to_string(&mut text);
        }
        text
    })
}

/// Polls `condition` every 20 ms until it holds; panics with `what` after `timeout`.
pub fn wait_until(what: &str, timeout: Duration, mut condition: impl FnMut() -> bool) {
    let end = Instant::now() + timeout;
    while !condition() {
        assert!(
            Instant::now() < end,
            "timed out after {timeout:?} waiting until {what}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// `now` as Unix seconds with nanoseconds: a `--since`/`--until` value docker accepts.
pub fn unix_time(time: SystemTime) -> String {
    let since_epoch = time.duration_since(UNIX_EPOCH).unwrap();
    format!(
        "{}.{:09}",
        since_epoch.as_secs(),
        since_epoch.subsec_nanos()
    )
}

/// The cgroup directories of container `id` that exist, in every v1 controller (or the v2
/// tree): `/sys/fs/cgroup/**/mini-docker/<id>`.
pub fn cgroup_dirs(id: &str) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let base = Path::new("/sys/fs/cgroup");
    let mut candidates = vec![base.join("mini-docker").join(id)];
    if let Ok(controllers) = std::fs::read_dir(base) {
        for controller in controllers.flatten() {
            candidates.push(controller.path().join("mini-docker").join(id));
        }
    }
    for candidate in candidates {
        if candidate.is_dir() && !found.contains(&candidate) {
            found.push(candidate);
        }
    }
    found
}

/// Whether process `pid` is gone; a zombie counts as alive until someone reaps it.
pub fn process_gone(pid: i32) -> bool {
    !Path::new(&format!("/proc/{pid}")).exists()
}

/// The state letter of process `pid` from `/proc/PID/stat` (`S`, `R`, `Z`…), if it exists.
pub fn process_state(pid: i32) -> Option<char> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name is in parentheses and may hold spaces: the state follows the last ')'.
    stat.rsplit_once(')')?.1.trim_start().chars().next()
}

/// The lines of `/proc/self/mountinfo` that mention `needle`.
pub fn mounts_mentioning(needle: &str) -> Vec<String> {
    std::fs::read_to_string("/proc/self/mountinfo")
        .unwrap_or_default()
        .lines()
        .filter(|line| line.contains(needle))
        .map(str::to_owned)
        .collect()
}

/// A child process killed (SIGKILL) and reaped when dropped: a CLI the test drives.
pub struct Spawned {
    pub child: Child,
}

impl Spawned {
    pub fn pid(&self) -> i32 {
        self.child.id() as i32
    }

    /// Waits at most `timeout` for the exit code (-1 for a signal).
    pub fn wait(&mut self, timeout: Duration) -> i32 {
        let end = Instant::now() + timeout;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status.code().unwrap_or(-1);
            }
            assert!(
                Instant::now() < end,
                "the CLI did not exit within {timeout:?}"
            );
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// SIGKILL, then reap: the process is gone when this returns.
    pub fn kill_9(&mut self) {
        let _ = kill(Pid::from_raw(self.pid()), Signal::SIGKILL);
        let _ = self.child.wait();
    }
}

impl Drop for Spawned {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            self.kill_9();
        }
    }
}

/// A command run on a pseudo-terminal of the test's: its stdin, stdout and stderr are the
/// pty's slave, which is also its controlling terminal — as in an interactive shell.
/// A thread collects everything the program writes to the terminal.
pub struct PtySession {
    master: std::fs::File,
    process: Spawned,
    seen: Arc<(Mutex<Vec<u8>>, Condvar)>,
    reader: Option<std::thread::JoinHandle<()>>,
}

impl PtySession {
    pub fn spawn(mut command: Command) -> Self {
        let pty = nix::pty::openpty(None, None).unwrap();
        // openpty(3) gives descriptors without close-on-exec: any process this test (or a
        // test on another thread) starts would inherit both ends and keep the terminal
        // open. Only the copies given as stdin/stdout/stderr are meant for the child.
        for fd in [&pty.master, &pty.slave] {
            // SAFETY: fcntl on a descriptor we own.
            assert!(unsafe { libc::fcntl(fd.as_raw_fd(), libc::F_SETFD, libc::FD_CLOEXEC) } == 0);
        }
        let slave: OwnedFd = pty.slave;
        command
            .stdin(Stdio::from(slave.try_clone().unwrap()))
            .stdout(Stdio::from(slave.try_clone().unwrap()))
            .stderr(Stdio::from(slave.try_clone().unwrap()));
        // SAFETY: setsid(2) and ioctl(2) are async-signal-safe and use no memory of ours.
        // A new session has no controlling terminal; TIOCSCTTY makes fd 0 (the slave) its
        // controlling terminal, so the CLI sees what it would see in a terminal window.
        unsafe {
            command.pre_exec(|| {
                if libc::setsid() < 0 {
                    return Err(std::io::Error::last_os_error());
                }
                if libc::ioctl(0, libc::TIOCSCTTY as _, 0) < 0 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
        let child = command.spawn().unwrap();
        // Our copies of the slave must go, or reading the master never ends: the master
        // reads EIO once no process has the slave open any more.
        drop(command);
        drop(slave);
        let master = std::fs::File::from(pty.master);
        let seen = Arc::new((Mutex::new(Vec::new()), Condvar::new()));
        let mut reading = master.try_clone().unwrap();
        let sink = Arc::clone(&seen);
        let reader = std::thread::spawn(move || {
            let mut buffer = [0u8; 4096];
            // EIO (the slave closed everywhere) or EOF ends it.
            while let Ok(count @ 1..) = reading.read(&mut buffer) {
                let (lock, changed) = &*sink;
                lock.lock().unwrap().extend_from_slice(&buffer[..count]);
                changed.notify_all();
            }
        });
        PtySession {
            master,
            process: Spawned { child },
            seen,
            reader: Some(reader),
        }
    }

    /// Everything the program has written so far, lossily decoded.
    pub fn output(&self) -> String {
        String::from_utf8_lossy(&self.seen.0.lock().unwrap()).into_owned()
    }

    /// Waits until the output contains `needle`; panics after `timeout`, showing it.
    pub fn expect(&self, needle: &str, timeout: Duration) {
        let end = Instant::now() + timeout;
        let (lock, changed) = &*self.seen;
        let mut bytes = lock.lock().unwrap();
        while !String::from_utf8_lossy(&bytes).contains(needle) {
            let left = end.saturating_duration_since(Instant::now());
            assert!(
                !left.is_zero(),
                "no {needle:?} on the terminal within {timeout:?}; it shows {:?}",
                String::from_utf8_lossy(&bytes)
            );
            bytes = changed.wait_timeout(bytes, left).unwrap().0;
        }
    }

    /// Types `bytes` on the terminal's keyboard.
    pub fn send(&mut self, bytes: &[u8]) {
        self.master.write_all(bytes).unwrap();
    }

    /// Waits for the program to exit; returns its exit code and all it printed.
    pub fn finish(mut self, timeout: Duration) -> (i32, String) {
        let code = self.process.wait(timeout);
        if let Some(reader) = self.reader.take() {
            // The program is gone; its children may still hold the slave for a moment.
            let end = Instant::now() + Duration::from_secs(5);
            while !reader.is_finished() && Instant::now() < end {
                std::thread::sleep(Duration::from_millis(10));
            }
        }
        (code, self.output())
    }
}

/// One line of `mini-docker events`:
/// `<time> container <action> <id> (key=value, …)`. The action of a health event has two
/// words (`health_status: healthy`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventLine {
    /// RFC 3339 with nanoseconds, as printed.
    pub time: String,
    pub action: String,
    pub id: String,
    pub attributes: Vec<(String, String)>,
}

impl EventLine {
    pub fn parse(line: &str) -> Option<EventLine> {
        let (time, rest) = line.split_once(' ')?;
        let rest = rest.strip_prefix("container ")?;
        let (mut action, mut rest) = rest.split_once(' ').map(|(a, r)| (a.to_owned(), r))?;
        if action.ends_with(':') {
            let (status, after) = rest.split_once(' ')?;
            action = format!("{action} {status}");
            rest = after;
        }
        let (id, rest) = rest.split_once(' ').unwrap_or((rest, ""));
        let attributes = Some(rest)
            .and_then(|rest| rest.strip_prefix('(')?.strip_suffix(')'))
            .map(|inside| {
                inside
                    .split(", ")
                    .filter_map(|pair| pair.split_once('='))
                    .map(|(k, v)| (k.to_owned(), v.to_owned()))
                    .collect()
            })
            .unwrap_or_default();
        Some(EventLine {
            time: time.to_owned(),
            action,
            id: id.to_owned(),
            attributes,
        })
    }

    pub fn attribute(&self, key: &str) -> Option<&str> {
        self.attributes
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }
}

impl Engine {
    /// `events --since SINCE --until now --filter container=CONTAINER`, parsed.
    pub fn events_of(&self, container: &str, since: SystemTime) -> Vec<EventLine> {
        let since = unix_time(since);
        let until = unix_time(SystemTime::now());
        let filter = format!("container={container}");
        let output = self.cli(&[
            "events", "--since", &since, "--until", &until, "--filter", &filter,
        ]);
        assert_eq!(output.code, 0, "{output:?}");
        output
            .stdout
            .lines()
            .map(|line| EventLine::parse(line).unwrap_or_else(|| panic!("bad event {line:?}")))
            .collect()
    }

    /// The id of the container once named `name`, from the raw event log (it works after
    /// the container is gone, when the CLI can no longer resolve the name).
    pub fn id_from_events(&self, name: &str) -> String {
        let text = std::fs::read_to_string(self.root().join("events.log")).unwrap();
        text.lines()
            .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
            .find(|event| event["attributes"]["name"] == name)
            .and_then(|event| event["id"].as_str().map(str::to_owned))
            .unwrap_or_else(|| panic!("no event names {name}"))
    }
}

/// The pids of the monitors working for state root `root` (`mini-docker-monitor --root
/// ROOT monitor ID`): a monitor may still be removing its `--rm` container after the
/// container is no longer listed as running.
pub fn monitors_of(root: &Path) -> Vec<i32> {
    let wanted = root.as_os_str().as_encoded_bytes().to_vec();
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .flatten()
        .filter_map(|entry| entry.file_name().to_str()?.parse::<i32>().ok())
        .filter(|pid| {
            let Ok(cmdline) = std::fs::read(format!("/proc/{pid}/cmdline")) else {
                return false;
            };
            let args: Vec<&[u8]> = cmdline.split(|b| *b == 0).collect();
            args.first() == Some(&&b"mini-docker-monitor"[..])
                && args
                    .windows(2)
                    .any(|w| w[0] == b"--root" && w[1] == wanted.as_slice())
        })
        .collect()
}
