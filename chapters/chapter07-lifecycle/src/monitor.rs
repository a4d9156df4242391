//! The monitor: one small process per running container, like podman's conmon or
//! containerd's shim — and the reason mini-docker needs no daemon.
//!
//! `start` launches it ([`crate::launch`]) and it detaches into a session of its own.
//! It then
//! 1. takes the container's `monitor.lock` for its whole life (proof of life for CLIs);
//! 2. starts the container with everything from chapters 2–6 — namespaces, the overlay
//!    rootfs, the cgroup with its limits — plus this chapter's stdio, volumes, user and
//!    `--init`, and reports the pid (or the error) to the CLI that launched it;
//! 3. relays the container's output to the json-file log and to attached clients
//!    ([`crate::relay`]);
//! 4. when the process ends, records the exit code, the time and whether the OOM killer
//!    struck, removes the cgroup, emits `oom`/`die` events, tells the attached clients, and
//!    removes the container for `--rm`;
//! 5. if a later chapter's hook says so (chapter 9's restart policy), waits the given delay
//!    in the `restarting` state — woken early by a user's `stop` ([`crate::watch`]) — and
//!    goes back to step 2. It holds its lock the whole time, so for every CLI the container
//!    stays "running" until the monitor gives up.
//!
//! Because the monitor is the container's parent, only it can reap the container; because
//! it is not the CLI, the CLI may exit, be killed, or be replaced by a new binary while the
//! container runs on (docker's "live restore").
//!
//! One subtle order: the exit is *recorded* before the process is *reaped*. Until the reap,
//! the pid stays a zombie and cannot be reused, so a CLI that read "running, pid P" and then
//! opened a pidfd for P knows it holds the container's process — not a stranger's.

use std::fs::File;
use std::io::Write;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use chapter06::chapter05::chapter04::chapter03::chapter01::{Child, ContainerError, ExitStatus};
use chapter06::chapter05::chapter04::chapter03::chapter02::steps::{
    UnshareCgroupNamespace, WaitForGate,
};
use chapter06::chapter05::chapter04::chapter03::chapter02::{Created, Namespace};
use chapter06::chapter05::chapter04::chapter03::{ContainerConfig, HostSide};
use chapter06::chapter05::chapter04::{plan_for, CgroupHostSide, Hierarchy, Resources, SystemHost};
use chapter06::chapter05::store::LayerStore;
use chapter06::chapter05::{ContainerFs, OverlayMount};
use nix::sys::wait::{waitid, Id, WaitPidFlag};
use nix::unistd::Pid;
use serde::{Deserialize, Serialize};

use crate::events::{Event, EventLog};
use crate::hooks::StartHooks;
use crate::lock::FileLock;
use crate::logs::LogWriter;
use crate::mounts::{mount_steps, prepare_sources};
use crate::signals::ProcessHandle;
use crate::state::{Status, Transition};
use crate::store::{now, Container, ContainerStore};
use crate::stream::{write_frame, Frame};
use crate::volumes::VolumeStore;
use crate::watch::StateWatch;

/// What the monitor tells the CLI that launched it, as one JSON line.
#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Report {
    /// The container's host pid, once it runs.
    pub pid: Option<i32>,
    pub warnings: Vec<String>,
    /// Why it did not start, and the exit code the CLI should use.
    pub error: Option<String>,
    pub exit_code: i32,
    /// For a command that could not be run: its name and errno, to rebuild the error.
    pub program: Option<String>,
    pub errno: Option<i32>,
}

/// The monitor's `main`: fd 1 is the report pipe to the CLI; fd 0 is the first attached
/// client's socket, if the CLI attaches (`run` in the foreground, `start -a`).
/// Returns the monitor's exit code.
pub fn main(state_root: &Path, id: &str) -> i32 {
    // SAFETY: setting a signal to SIG_IGN runs no code. A client that disconnects must
    // give us EPIPE, not kill us (the CLI binary restores SIGPIPE's default action).
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_IGN);
        libc::signal(libc::SIGHUP, libc::SIG_IGN);
        libc::signal(libc::SIGINT, libc::SIG_IGN);
    }
    let mut report = take_fd(1).map(File::from);
    let first_client = take_fd(0).filter(is_socket).map(UnixStream::from);
    if let Err(error) = stdio_to_null() {
        eprintln!("mini-docker monitor: {error}");
    }
    let started = Monitor::take(state_root, id)
        .and_then(|monitor| Ok((monitor.start(first_client)?, monitor)));
    match started {
        Ok((running, monitor)) => {
            send_report(
                report.take(),
                &Report {
                    pid: Some(running.child.pid().as_raw()),
                    warnings: running.warnings.clone(),
                    ..Report::default()
                },
            );
            // The report pipe is closed; from here on the monitor only relays and waits.
            monitor.keep_alive(running);
            0
        }
        Err(error) => {
            let (program, errno) = match &error {
                ContainerError::CommandNotFound { program } => (Some(program.clone()), None),
                ContainerError::CommandNotInvokable { program, errno } => {
                    (Some(program.clone()), Some(*errno as i32))
                }
                _ => (None, None),
            };
            send_report(
                report.take(),
                &Report {
                    error: Some(error.to_string()),
                    exit_code: error.exit_code(),
                    program,
                    errno,
                    ..Report::default()
                },
            );
            error.exit_code()
        }
    }
}

/// Writes the one JSON line to the CLI and closes the pipe (dropping the file).
fn send_report(pipe: Option<File>, message: &Report) {
    if let Some(mut file) = pipe {
        let mut line = serde_json::to_vec(message).unwrap_or_default();
        line.push(b'\n');
        let _ = file.write_all(&line);
    }
}

/// A running container and everything its monitor holds for it.
struct Running {
    store: ContainerStore,
    container: Container,
    child: Child,
    host_side: CgroupHostSide,
    relay: crate::relay::Relay,
    warnings: Vec<String>,
    /// Later chapters' part of this start (chapter 8: the network), undone at the end.
    extras: Vec<Box<dyn StartHooks>>,
    /// When the command started: the restart policy looks at how long a run lasted.
    started: Instant,
}

/// The monitor itself: the container it watches over, and the lock that proves it lives.
struct Monitor {
    store: ContainerStore,
    id: String,
    _lock: FileLock,
}

impl Monitor {
    /// Takes the container's `monitor.lock` for the monitor's whole life, or refuses: a
    /// container has one monitor at most.
    fn take(state_root: &Path, id: &str) -> Result<Monitor, ContainerError> {
        let store = ContainerStore::open(state_root)?;
        let container = store.load(id)?;
        let lock = FileLock::try_exclusive(&container.monitor_lock_path())?
            .ok_or_else(|| ContainerError::Invalid("container is already running".into()))?;
        Ok(Monitor {
            store,
            id: id.to_owned(),
            _lock: lock,
        })
    }

    // ANCHOR: start
    /// Starts the container; on error nothing of this start remains (the child is killed,
    /// the cgroup removed) and the error is recorded in the container's state.
    /// `first_client` is the CLI's attached socket at the first start; restarts have none.
    fn start(&self, first_client: Option<UnixStream>) -> Result<Running, ContainerError> {
        let container = self.store.load(&self.id)?;
        crate::state::next(container.state.status, Transition::Start)
            .map_err(|refusal| ContainerError::Invalid(refusal.to_string()))?;
        let restarting = container.state.status == Status::Restarting;
        match launch(&self.store, &container, first_client, restarting) {
            Ok(running) => Ok(running),
            Err(error) => {
                let message = error.to_string();
                let code = error.exit_code();
                let _ = self.store.write_state(&self.id, |state| {
                    // A restart that fails ends the container's life here, as in docker.
                    if state.status == Status::Restarting {
                        let _ = state.apply(Transition::Exit { restarting: false });
                        state.finished_at = now();
                    }
                    state.error = message;
                    state.exit_code = code;
                });
                // Before the CLI hears of it, so `run --rm` of a missing command leaves
                // nothing, as docker's daemon removes an AutoRemove container whose start
                // failed. Only the monitor holding the lock gets here: a second monitor
                // turned away by it never touches the container.
                remove_if_auto_removed(&self.store, &container);
                Err(error)
            }
        }
    }
    // ANCHOR_END: start

    // ANCHOR: keep_alive
    /// Watches over the container until it is down for good: after each end, the delay the
    /// hooks asked for (chapter 9's restart policy), then a new start.
    fn keep_alive(&self, mut running: Running) {
        let mut previous_delay = None;
        loop {
            let Some(restart) = running.until_exit(previous_delay) else {
                return;
            };
            if !self.wait_to_restart(restart.due) {
                return;
            }
            match self.start(None) {
                Ok(next) => running = next,
                Err(error) => {
                    eprintln!("mini-docker monitor: restart failed: {error}");
                    return;
                }
            }
            previous_delay = Some(restart.delay);
        }
    }
    // ANCHOR_END: keep_alive

    /// Waits in the `restarting` state until the restart is due. False when a user stopped
    /// the container meanwhile (`stop`, `rm -f` mark it manually stopped): it is then
    /// recorded as exited and stays down.
    fn wait_to_restart(&self, deadline: Instant) -> bool {
        let Ok(container) = self.store.load(&self.id) else {
            return false;
        };
        // Watch first, read again second: a stop written between the two still wakes us.
        let watch = StateWatch::new(container.dir());
        loop {
            let Ok(container) = self.store.load(&self.id) else {
                return false;
            };
            let state = &container.state;
            if state.manually_stopped || state.status != Status::Restarting {
                let _ = self.store.write_state(&self.id, |state| {
                    if state.status == Status::Restarting {
                        let _ = state.apply(Transition::Exit { restarting: false });
                    }
                });
                return false;
            }
            if Instant::now() >= deadline {
                return true;
            }
            match &watch {
                Ok(watch) => {
                    watch.wait_until(deadline);
                }
                // Without inotify (no instances left), look again every 50 ms.
                Err(_) => std::thread::sleep(
                    deadline
                        .saturating_duration_since(Instant::now())
                        .min(Duration::from_millis(50)),
                ),
            }
        }
    }
}

fn launch(
    store: &ContainerStore,
    container: &Container,
    first_client: Option<UnixStream>,
    restarting: bool,
) -> Result<Running, ContainerError> {
    let record = &container.record;
    let resources = Resources::from_flags(&record.host_config.resources, &SystemHost)
        .map_err(ContainerError::Invalid)?;
    let hierarchy = Hierarchy::detect().map_err(ContainerError::Invalid)?;
    let layers = LayerStore::open(store.root())?;
    let container_fs = ContainerFs::open(&layers, container.id())?;
    let mut config = container_config(container, container_fs.merged());
    // Later chapters' work (chapter 8: the network) may change the config, and reserves
    // what this start needs; from here on a failure must give it back.
    let mut extras = crate::hooks::prepare_start(store, container, &mut config)?;
    let launched = launch_prepared(
        store,
        container,
        first_client,
        restarting,
        (config, container_fs, resources, hierarchy),
        &mut extras,
    );
    match launched {
        Ok(mut running) => {
            for extra in &mut extras {
                extra.started(store, &running.container);
            }
            running.extras = extras;
            Ok(running)
        }
        Err(error) => {
            for extra in &mut extras {
                extra.after_exit();
            }
            Err(error)
        }
    }
}

// ANCHOR: volatile
/// The container's overlay. A `--rm` container's writable layer is deleted at its exit, so
/// nothing in it has to survive a crash: it is mounted `volatile` (chapter 5), which spares
/// every exit a sync of the whole filesystem under the state root. Only a restart by this
/// same monitor mounts those layers again — the machine cannot have crashed in between, or
/// the monitor would be gone too — so only then is the mark of the last mount removed.
fn overlay_plan(
    container: &Container,
    container_fs: &ContainerFs,
    restarting: bool,
) -> Result<OverlayMount, ContainerError> {
    let plan = container_fs.mount_plan();
    if !container.record.host_config.auto_remove {
        return Ok(plan);
    }
    if restarting {
        let mark = container_fs.volatile_mark();
        match std::fs::remove_dir_all(&mark) {
            Err(error) if error.kind() != std::io::ErrorKind::NotFound => {
                return Err(ContainerError::io(
                    format!("remove {}", mark.display()),
                    error,
                ));
            }
            _ => {}
        }
    }
    Ok(plan.volatile())
}
// ANCHOR_END: volatile

/// The rest of [`launch`], once the registered hooks have prepared this start.
fn launch_prepared(
    store: &ContainerStore,
    container: &Container,
    first_client: Option<UnixStream>,
    restarting: bool,
    (mut config, container_fs, resources, hierarchy): (
        ContainerConfig,
        ContainerFs,
        Resources,
        Hierarchy,
    ),
    extras: &mut [Box<dyn StartHooks>],
) -> Result<Running, ContainerError> {
    let record = &container.record;
    // The cgroup namespace is made after the cgroup gate below, not at the first gate (see
    // `start_in_cgroup`): it takes the cgroup its creator is in as its root.
    let cgroup_namespace = config.namespaces.contains(Namespace::Cgroup);
    config.namespaces.remove(Namespace::Cgroup);
    let mut plan = config.prepare()?;
    plan.rootfs_source = extras
        .iter_mut()
        .flat_map(|extra| extra.first_steps())
        .collect();
    plan.rootfs_source.push(Box::new(
        overlay_plan(container, &container_fs, restarting)?.into_step()?,
    ));
    let mut mounts = record.mounts.clone();
    let sources = prepare_sources(&mut mounts, &VolumeStore::open(store.root())?)?;
    plan.before_pivot = mount_steps(
        &container_fs.merged(),
        &sources,
        record.host_config.readonly_rootfs,
    )?;
    let (monitor_ends, container_ends) =
        crate::stdio::make(record.config.tty, record.config.open_stdin)?;
    let (stdio_step, container_fds) = container_ends.into_step();
    let (cgroup_gate, cgroup_gate_opener) = nix::unistd::pipe2(nix::fcntl::OFlag::O_CLOEXEC)
        .map_err(|errno| ContainerError::system("create the cgroup gate", errno))?;
    plan.before_exec.push(Box::new(WaitForGate {
        read_end: cgroup_gate.as_raw_fd(),
        write_end: cgroup_gate_opener.as_raw_fd(),
    }));
    let after_the_gate = plan.before_exec.len();
    if cgroup_namespace {
        plan.before_exec.push(Box::new(UnshareCgroupNamespace));
    }
    plan.before_exec.push(stdio_step);
    if !record.config.user.is_empty() {
        let user =
            crate::user::UserSpec::parse(&record.config.user).map_err(ContainerError::Invalid)?;
        plan.before_exec
            .push(Box::new(crate::user::SwitchUser::new(user)));
    }
    if record.host_config.init {
        plan.before_exec.push(Box::new(crate::init::BecomeInit));
    }
    // On cgroup v1 the group is made now, before the clone, and the child moves itself in
    // right after the gate (see chapter 4's `join`); on v2 the host moves it at the gate.
    let mut host_side = CgroupHostSide::new(
        hierarchy.clone(),
        container.id(),
        plan_for(hierarchy.version(), &resources),
    );
    let opened = host_side.prepare_for_child().and_then(|join| {
        let listener = bind_attach_socket(container.dir())?;
        let log = LogWriter::open(&container.log_path()).map_err(|error| {
            ContainerError::io(format!("open {}", container.log_path().display()), error)
        })?;
        Ok((join, listener, log))
    });
    let (join, listener, log) = match opened {
        Ok(opened) => opened,
        Err(error) => return Err(abandon_start(&mut host_side, container, error)),
    };
    if let Some(join) = join {
        plan.before_exec.insert(after_the_gate, Box::new(join));
    }
    let started = plan.create().and_then(|created| {
        drop(cgroup_gate);
        let mut host_sides: Vec<&mut (dyn HostSide + Send)> = vec![&mut host_side];
        for extra in extras.iter_mut() {
            host_sides.push(extra.as_host_side());
        }
        start_in_cgroup(created, host_sides, cgroup_gate_opener)
    });
    // The container has its own copies of its ends (or failed); ours would hide its EOF.
    drop(container_fds);
    let (child, warnings) = match started {
        Ok(started) => started,
        Err(error) => return Err(abandon_start(&mut host_side, container, error)),
    };
    let process = ProcessHandle::open(child.pid().as_raw())?.ok_or_else(|| {
        ContainerError::Invalid("the container's process vanished at start".into())
    })?;
    let monitor_pid = std::process::id() as i32;
    let pid = child.pid().as_raw();
    let (container, ()) = store.update(container.id(), |container| {
        container
            .state
            .apply(Transition::Start)
            .map_err(|refusal| ContainerError::Invalid(refusal.to_string()))?;
        let state = &mut container.state;
        state.pid = pid;
        state.monitor_pid = monitor_pid;
        state.started_at = now();
        state.exit_code = 0;
        state.error.clear();
        state.oom_killed = false;
        // A user's start begins a new life (docker resets the count); a restart by the
        // monitor continues the old one, and must not erase a `stop` that came meanwhile.
        if !restarting {
            state.manually_stopped = false;
            state.restart_count = 0;
        }
        for extra in extras.iter() {
            extra.record(state);
        }
        Ok(())
    })?;
    event(store.root(), "start", &container, &[]);
    if container.state.manually_stopped {
        // `stop` came while this restart was under way, after the monitor last looked:
        // it finds no process to signal and waits for us, so we end this run ourselves.
        let _ = nix::sys::signal::kill(child.pid(), nix::sys::signal::Signal::SIGKILL);
    }
    Ok(Running {
        store: store.clone(),
        container,
        child,
        host_side,
        relay: crate::relay::Relay {
            ends: monitor_ends,
            listener,
            first_client,
            process: process.into_fd(),
            log: Some(log),
            stdin_once: record.config.stdin_once,
            on_idle: Some(Box::new(crate::trim::release_startup_memory)),
        },
        warnings,
        extras: Vec::new(),
        started: Instant::now(),
    })
}

/// Undoes what a start that failed had made on the host (the cgroup, the attach socket),
/// and hands back its error.
fn abandon_start(
    host_side: &mut CgroupHostSide,
    container: &Container,
    error: ContainerError,
) -> ContainerError {
    host_side.after_exit();
    let _ = std::fs::remove_file(container.dir().join("attach.sock"));
    error
}

// ANCHOR: start_in_cgroup
/// Opens the first gate at once and does the host's part — the cgroup, and whatever later
/// chapters add (the network) — *while* the child prepares its root; the child waits at a
/// second gate, just before exec, until all of it is done.
///
/// Why two gates: the host's part takes time — on cgroup v2 the host's move of a process
/// into a cgroup waits for an RCU grace period (the kernel's `cgroup_threadgroup_rwsem`),
/// and chapter 8's network is a dozen netlink round trips — and the child's own setup
/// (mounts, pivot_root) needs none of it, so the two run side by side. (On cgroup v1 the
/// group was made before the clone, and the child moves itself in after the second gate,
/// without that wait: chapter 4's `join`.) Our own setup may run outside the limits; the
/// command may not, and it does not: it is exec'd after the second gate. The cgroup
/// namespace is made after that gate too, so its root is the container's cgroup. Each host
/// side runs on a helper thread of its own (the monitor is single-threaded otherwise), and
/// `start` blocks until the command runs.
fn start_in_cgroup(
    created: Created,
    host_sides: Vec<&mut (dyn HostSide + Send)>,
    gate_opener: OwnedFd,
) -> Result<(Child, Vec<String>), ContainerError> {
    let pid = created.pid();
    std::thread::scope(|scope| {
        let preparing = scope.spawn(move || {
            let results: Vec<Result<Vec<String>, ContainerError>> = std::thread::scope(|inner| {
                let threads: Vec<_> = host_sides
                    .into_iter()
                    .map(|side| inner.spawn(move || side.before_start(pid)))
                    .collect();
                threads
                    .into_iter()
                    .map(|thread| {
                        thread
                            .join()
                            .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
                    })
                    .collect()
            });
            let warnings = results
                .into_iter()
                .collect::<Result<Vec<Vec<String>>, ContainerError>>()?
                .concat();
            // Closing the opener without this byte tells the child to give up.
            let _ = nix::unistd::write(&gate_opener, &[1]);
            Ok(warnings)
        });
        let started = created.start();
        let prepared = preparing
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        match (started, prepared) {
            (Ok(child), Ok(warnings)) => Ok((child, warnings)),
            // The child gave up at the gate because the host's part failed: report that.
            (Err(ContainerError::Setup { .. }), Err(host_failed)) => Err(host_failed),
            // Otherwise the child's own failure (a missing command, say) came first.
            (Err(error), _) | (Ok(_), Err(error)) => Err(error),
        }
    })
}
// ANCHOR_END: start_in_cgroup

/// Chapter 3's config for this container, rooted at the overlay's mount point.
fn container_config(container: &Container, merged: PathBuf) -> ContainerConfig {
    let record = &container.record;
    let mut command = vec![record.path.clone()];
    command.extend(record.args.iter().cloned());
    let mut config = ContainerConfig::new(merged, command, record.config.hostname.clone());
    config.env = record.config.env.clone();
    if !record.config.working_dir.is_empty() {
        config.working_dir = Some(PathBuf::from(&record.config.working_dir));
    }
    if record.host_config.pid_mode == "host" {
        config.namespaces.remove(Namespace::Pid);
    }
    if !record.image.is_empty() {
        config.image = Some(record.image.clone());
    }
    config
}

impl Running {
    // ANCHOR: supervise
    /// Relays output until the container ends, then records how it ended. Returns the
    /// restart the hooks want, if any (chapter 9's restart policy).
    fn until_exit(mut self, previous_delay: Option<Duration>) -> Option<PendingRestart> {
        let clients = self.relay.run();
        // Nobody can attach to a container that has ended.
        let _ = std::fs::remove_file(self.container.dir().join("attach.sock"));
        let status = exit_status(self.child.pid());
        let after = self.host_side.after_exit();
        let id = self.container.id().to_owned();
        let code = status.code();
        let ran_for = self.started.elapsed();
        let restart_requested = self.extras.iter().any(|extra| extra.restart_requested());
        let decided_at = Instant::now();
        let recorded = self.store.update(&id, |container| {
            // Decided under the container's lock: a `stop` is either seen here, or finds
            // the container restarting and wakes the monitor's wait.
            let restart = crate::hooks::restart_delay(&crate::hooks::RunEnded {
                container,
                exit_code: code,
                ran_for,
                previous_delay,
                restart_requested,
            });
            let state = &mut container.state;
            state
                .apply(Transition::Exit {
                    restarting: restart.is_some(),
                })
                .ok();
            if restart.is_some() {
                state.restart_count = state.restart_count.saturating_add(1);
            }
            state.pid = 0;
            state.exit_code = code;
            state.oom_killed = after.oom_killed;
            state.finished_at = now();
            state.network_settings = Default::default();
            Ok(restart)
        });
        // Recorded: now the pid may be freed.
        let _ = self.child.wait();
        if after.oom_killed {
            event(self.store.root(), "oom", &self.container, &[]);
        }
        event(
            self.store.root(),
            "die",
            &self.container,
            &[("exitCode", &code.to_string())],
        );
        for mut client in clients {
            let _ = write_frame(&mut client, &Frame::Exit(code));
        }
        // Later chapters' teardown (chapter 8: deleting a network device waits for the
        // kernel's RCU, ~15 ms) runs after the clients have their exit code, not before.
        for extra in &mut self.extras {
            extra.after_exit();
        }
        let restart = match recorded {
            Ok((_, restart)) => restart,
            Err(_) => return None,
        };
        if restart.is_none() {
            remove_if_auto_removed(&self.store, &self.container);
        }
        restart.map(|delay| PendingRestart {
            delay,
            due: decided_at + delay,
        })
    }
    // ANCHOR_END: supervise
}

/// Removes a `--rm` container at the end of its life — its last exit, or a start that
/// failed — with its anonymous volumes, and says so with a `destroy` event.
fn remove_if_auto_removed(store: &ContainerStore, container: &Container) {
    if !container.record.host_config.auto_remove {
        return;
    }
    let removed = store.remove(container.id(), true, |container| {
        crate::remove::clean_up(store.root(), container.id(), Some(container));
    });
    if removed.is_ok() {
        event(store.root(), "destroy", container, &[]);
    }
}

/// A restart the hooks asked for. Its delay counts from the exit, as docker's restart
/// manager counts it (its timer starts when it decides), so the teardown in between — the
/// network, the cgroup, the mounts — is part of the wait rather than added to it.
struct PendingRestart {
    delay: Duration,
    due: Instant,
}

/// How the child ended, learned without reaping it (WNOWAIT; see waitid(2)).
fn exit_status(pid: Pid) -> ExitStatus {
    loop {
        match waitid(Id::Pid(pid), WaitPidFlag::WEXITED | WaitPidFlag::WNOWAIT) {
            Ok(status) => {
                if let Some(ended) = ExitStatus::from_wait_status(status) {
                    return ended;
                }
            }
            Err(nix::errno::Errno::EINTR) => {}
            // Not our child any more (cannot happen while we live); call it killed.
            Err(_) => {
                return ExitStatus::Signaled {
                    signal: nix::sys::signal::Signal::SIGKILL,
                    core_dumped: false,
                }
            }
        }
    }
}

/// Appends a container event with docker's usual attributes (image, name).
pub fn event(state_root: &Path, action: &str, container: &Container, extra: &[(&str, &str)]) {
    let mut attributes: Vec<(&str, &str)> = vec![
        ("image", container.record.config.image.as_str()),
        ("name", container.name()),
    ];
    attributes.extend_from_slice(extra);
    let _ = EventLog::at(state_root).append(&Event::container(action, container.id(), &attributes));
}

/// The attach socket, bound by a relative name from inside the container's directory:
/// a Unix socket path may be at most 107 bytes, and `<root>/containers/<64 hex>/…` can be
/// longer. Clients connect through `/proc/self/fd/N/attach.sock` the same way.
fn bind_attach_socket(dir: &Path) -> Result<UnixListener, ContainerError> {
    let path = dir.join("attach.sock");
    let _ = std::fs::remove_file(&path);
    let directory = File::open(dir)
        .map_err(|error| ContainerError::io(format!("open {}", dir.display()), error))?;
    let short = format!("/proc/self/fd/{}/attach.sock", directory.as_raw_fd());
    UnixListener::bind(&short)
        .map_err(|error| ContainerError::io(format!("listen on {}", path.display()), error))
}

/// Connects to a container's attach socket (see [`bind_attach_socket`]).
pub fn connect_attach(dir: &Path) -> Result<UnixStream, ContainerError> {
    let directory = File::open(dir)
        .map_err(|error| ContainerError::io(format!("open {}", dir.display()), error))?;
    let short = format!("/proc/self/fd/{}/attach.sock", directory.as_raw_fd());
    UnixStream::connect(&short).map_err(|error| {
        ContainerError::io(
            format!("attach to {}", dir.join("attach.sock").display()),
            error,
        )
    })
}

/// Moves descriptor `fd` to a new close-on-exec number and returns it; `None` if closed.
fn take_fd(fd: RawFd) -> Option<OwnedFd> {
    // SAFETY: F_DUPFD_CLOEXEC on a descriptor number; on success the new fd is ours.
    let copy = unsafe { libc::fcntl(fd, libc::F_DUPFD_CLOEXEC, 3) };
    // SAFETY: as above; the fresh copy is owned by nobody else.
    (copy >= 0).then(|| unsafe { OwnedFd::from_raw_fd(copy) })
}

fn is_socket(fd: &OwnedFd) -> bool {
    nix::sys::stat::fstat(fd)
        .map(|stat| stat.st_mode & libc::S_IFMT == libc::S_IFSOCK)
        .unwrap_or(false)
}

/// Points 0 and 1 at /dev/null: the monitor has no terminal and must not keep the CLI's
/// pipes open (a test reading the CLI's output would wait for us forever). Its stderr is
/// the container's `monitor.log`, opened by the launcher.
fn stdio_to_null() -> Result<(), ContainerError> {
    let null = File::options()
        .read(true)
        .write(true)
        .open("/dev/null")
        .map_err(|error| ContainerError::io("open /dev/null", error))?;
    for target in 0..2 {
        // SAFETY: dup2 onto the standard descriptors, which nothing in Rust owns.
        unsafe { libc::dup2(null.as_raw_fd(), target) };
    }
    Ok(())
}
