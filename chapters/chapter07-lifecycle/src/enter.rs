//! `exec`: start a new process inside a running container.
//!
//! A container is a process tree in a set of namespaces and a cgroup. `docker exec` adds one
//! more process to it: the new process must end up in the same namespaces (`setns(2)` on the
//! files in `/proc/PID/ns/` of the container's first process), in the same cgroup (its pid
//! written to `cgroup.procs`), under the container's root filesystem, with the container's
//! environment, working directory and user. Each of those is one step, and where it happens
//! matters:
//!
//! 1. **In the parent, before the child exists**: open the namespace files
//!    ([`ContainerNamespaces::open`]) while the host's `/proc` is still at hand, and join the
//!    PID namespace ([`ContainerNamespaces::enter_pid_namespace`]). A process never changes its
//!    own pid: `setns(CLONE_NEWPID)` only decides where the caller's *next child* is born
//!    (pid_namespaces(7)). So the parent joins it, clones, and the child is born inside.
//! 2. **`clone`, stopped at chapter 2's gate**: a [`chapter02::create()`] with no new namespaces
//!    at all. The child exists, its host pid is known, nothing of its plan has run.
//! 3. **In the parent, at the gate**: write that pid into the container's `cgroup.procs`
//!    ([`join_cgroup`]) — so the command is limited and counted from its first instruction —
//!    then open the gate. (On cgroup v1 the parent opened the `tasks` files before the clone
//!    instead, and the child moves itself in as its first step after the gate: chapter 4's
//!    `join`, which spares every exec, and so every health probe, the kernel's global lock.)
//! 4. **In the child**: join ipc, uts, net, cgroup and — last — mnt ([`JoinNamespace`]), then
//!    the caller's extra steps (stdio, a terminal), then `-u` ([`SwitchUser`]), then chapter 1's
//!    finishing steps (signals, close fds, `chdir` to the working directory) and exec.
//!
//! Failures in the child come back through chapter 1's report pipe, so a missing command is
//! [`ContainerError::CommandNotFound`] (exit 127) exactly as in `run`.
//!
//! Namespaces the container shares with the caller (`--pid host`, `--network host`, a cgroup
//! namespace docker did not make) are recognised by their inode and not joined: joining your
//! own namespace would be harmless, but the plan should say what really happens.
//!
//! ## Left out on purpose
//! - A user namespace (containers here have none, as in docker by default) and the time
//!   namespace (docker does not use one).
//! - Pid reuse: if the container's first process died and its pid was reused between reading
//!   the state and [`ContainerNamespaces::open`], we would open someone else's namespaces.
//!   All six files are opened relative to one `/proc/PID` directory fd, so they at least come
//!   from the same process; a pidfd (pidfd_open(2), and `setns` on a pidfd since Linux 5.8)
//!   would close the gap completely.
//! - A paused container: joining its (frozen) cgroup would freeze the new process before it
//!   execs, and [`spawn_in`] would wait forever. The caller refuses `exec` on a paused
//!   container first, as docker does.
//! - The container's init dying at the wrong moment: `clone` into a PID namespace whose init
//!   has exited fails with `ENOMEM` (clone(2)); the error says `clone(): Cannot allocate
//!   memory`, and the caller, which knows the container's state, can explain it better.

use std::fmt;
use std::io::Write;
use std::os::fd::{AsFd, OwnedFd};
use std::path::PathBuf;

use chapter01::{Child, ChildPlan, ChildStep, ContainerError, ExecPlan};
use chapter02::{IdMap, Isolation, Namespace, NamespaceSet};
use chapter06::chapter05::chapter04::JoinCgroup;
use nix::errno::Errno;
use nix::fcntl::OFlag;
use nix::sched::CloneFlags;
use nix::sys::stat::{FileStat, Mode};
use nix::unistd::Pid;

use crate::user::{SwitchUser, UserSpec};

// ANCHOR: join_order
/// The namespaces the child joins itself, in this order.
///
/// With every file opened beforehand and no user namespace involved, the kernel imposes no
/// order among these five: each `setns` checks `CAP_SYS_ADMIN` in our own user namespace,
/// which never changes here (setns(2), "Details for specific namespace types"). What does
/// differ is the effect on the steps that follow. Joining a mount namespace resets the
/// caller's root directory and working directory to that namespace's root (the kernel's
/// `mntns_install`) — the container's `/` after its `pivot_root`. From then on every path the
/// child opens is a path in the container: `/etc/passwd` for `-u`, the working directory, the
/// `$PATH` search of exec. So mnt comes last, making "host filesystem before, container
/// filesystem after" one visible line in the plan. (Had we a user namespace, it would go
/// first: it decides which capabilities count for all the others.)
///
/// The PID namespace is not in the list: it cannot be joined by the process itself (see
/// [`ContainerNamespaces::enter_pid_namespace`]).
pub const CHILD_JOIN_ORDER: [Namespace; 5] = [
    Namespace::Ipc,
    Namespace::Uts,
    Namespace::Net,
    Namespace::Cgroup,
    Namespace::Mount,
];
// ANCHOR_END: join_order

/// The namespaces of a running container, opened from the host through its first process.
#[derive(Debug)]
pub struct ContainerNamespaces {
    pid: Pid,
    /// `None` when the container shares our PID namespace.
    pid_namespace: Option<OwnedFd>,
    /// The namespaces to join, in [`CHILD_JOIN_ORDER`]; shared ones are left out.
    to_join: Vec<(Namespace, OwnedFd)>,
    /// Namespaces the container shares with this process.
    shared: Vec<Namespace>,
}

impl ContainerNamespaces {
    /// Opens `/proc/PID/ns/{pid,ipc,uts,net,cgroup,mnt}` of the container's first process
    /// (`pid` as the host numbers it), each `O_RDONLY | O_CLOEXEC`, and notes which of them
    /// are the caller's own.
    pub fn open(pid: Pid) -> Result<Self, ContainerError> {
        let proc_dir = format!("/proc/{pid}");
        let dir = nix::fcntl::open(
            proc_dir.as_str(),
            OFlag::O_PATH | OFlag::O_DIRECTORY | OFlag::O_CLOEXEC,
            Mode::empty(),
        )
        .map_err(|errno| match errno {
            Errno::ENOENT => ContainerError::Invalid(format!(
                "cannot enter the container: its process {pid} is not running"
            )),
            errno => ContainerError::system(format!("open {proc_dir}"), errno),
        })?;

        let mut namespaces = ContainerNamespaces {
            pid,
            pid_namespace: None,
            to_join: Vec::new(),
            shared: Vec::new(),
        };
        for namespace in std::iter::once(Namespace::Pid).chain(CHILD_JOIN_ORDER) {
            let name = namespace.proc_name();
            let file = nix::fcntl::openat(
                &dir,
                format!("ns/{name}").as_str(),
                OFlag::O_RDONLY | OFlag::O_CLOEXEC,
                Mode::empty(),
            )
            .map_err(|errno| ContainerError::system(format!("open {proc_dir}/ns/{name}"), errno))?;
            if is_ours(namespace, &file)? {
                namespaces.shared.push(namespace);
            } else if namespace == Namespace::Pid {
                namespaces.pid_namespace = Some(file);
            } else {
                namespaces.to_join.push((namespace, file));
            }
        }
        Ok(namespaces)
    }

    /// The container process these namespaces were opened from.
    pub fn pid(&self) -> Pid {
        self.pid
    }

    /// The namespaces a new process will join: pid (if not shared), then the child's, in order.
    pub fn joined(&self) -> Vec<Namespace> {
        self.pid_namespace
            .iter()
            .map(|_| Namespace::Pid)
            .chain(self.to_join.iter().map(|(namespace, _)| *namespace))
            .collect()
    }

    /// The namespaces the container shares with this process; they are not joined.
    pub fn shared(&self) -> &[Namespace] {
        &self.shared
    }

    // ANCHOR: enter_pid_namespace
    /// Joins the container's PID namespace *for our next child only*.
    ///
    /// After this call our own pid, and every pid we see, is unchanged: `setns(CLONE_NEWPID)`
    /// changes `pid_for_children` (`/proc/self/ns/pid_for_children`), the namespace the
    /// caller's next `fork`/`clone` is born into (setns(2), pid_namespaces(7)). The child then
    /// gets a small pid inside the container — not 1, which is the container's init — and an
    /// ordinary one on the host. Until the returned guard is dropped (or
    /// [`EnteredPidNamespace::leave`] is called) *every* child of this thread lands in the
    /// container, so keep the window short: create the one child, then leave.
    ///
    /// Joining is per thread; so is the guard. Going back is allowed because the namespace we
    /// return to is our own active one ("the same as the current PID namespace", setns(2)).
    pub fn enter_pid_namespace(&self) -> Result<EnteredPidNamespace, ContainerError> {
        let Some(target) = &self.pid_namespace else {
            return Ok(EnteredPidNamespace { previous: None });
        };
        // thread-self, not self: /proc/self/ns shows the main thread's namespaces.
        let previous = open_namespace_file("/proc/thread-self/ns/pid_for_children")?;
        nix::sched::setns(target, CloneFlags::CLONE_NEWPID).map_err(|errno| {
            ContainerError::system(
                format!("join the pid namespace of container process {}", self.pid),
                errno,
            )
        })?;
        Ok(EnteredPidNamespace {
            previous: Some(previous),
        })
    }
    // ANCHOR_END: enter_pid_namespace

    /// The child steps that join the other namespaces, in [`CHILD_JOIN_ORDER`]. Each step owns
    /// a duplicate (close-on-exec) of its namespace file, so the steps do not borrow `self`.
    pub fn join_steps(&self) -> Result<Vec<Box<dyn ChildStep>>, ContainerError> {
        self.to_join
            .iter()
            .map(|(namespace, file)| {
                let file = file.try_clone().map_err(|error| {
                    ContainerError::io(format!("duplicate the {namespace} namespace file"), error)
                })?;
                Ok(Box::new(JoinNamespace {
                    namespace: *namespace,
                    file,
                    container_pid: self.pid,
                }) as Box<dyn ChildStep>)
            })
            .collect()
    }
}

impl fmt::Display for ContainerNamespaces {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names = |list: &[Namespace]| {
            let names: Vec<&str> = list.iter().map(|ns| ns.proc_name()).collect();
            if names.is_empty() {
                "none".to_owned()
            } else {
                names.join(", ")
            }
        };
        write!(
            f,
            "namespaces of process {}: join {}; shared with the host: {}",
            self.pid,
            names(&self.joined()),
            names(&self.shared)
        )
    }
}

/// Whether `file` (a namespace file of the container) is the same namespace as ours. Two
/// namespace files name the same namespace exactly when device and inode are equal
/// (namespaces(7), "The /proc/pid/ns/ directory").
fn is_ours(namespace: Namespace, file: &OwnedFd) -> Result<bool, ContainerError> {
    let ours_path = format!("/proc/thread-self/ns/{}", namespace.proc_name());
    let theirs = nix::sys::stat::fstat(file).map_err(|errno| {
        ContainerError::system(format!("fstat the {namespace} namespace"), errno)
    })?;
    let ours = nix::sys::stat::stat(ours_path.as_str())
        .map_err(|errno| ContainerError::system(format!("stat {ours_path}"), errno))?;
    Ok(same_file(&theirs, &ours))
}

fn same_file(a: &FileStat, b: &FileStat) -> bool {
    a.st_dev == b.st_dev && a.st_ino == b.st_ino
}

fn open_namespace_file(path: &str) -> Result<OwnedFd, ContainerError> {
    nix::fcntl::open(path, OFlag::O_RDONLY | OFlag::O_CLOEXEC, Mode::empty())
        .map_err(|errno| ContainerError::system(format!("open {path}"), errno))
}

/// Proof that this thread's next children are born in a container's PID namespace; going
/// back to our own happens on [`leave`](Self::leave) or, failing that, on drop.
#[must_use = "dropping it at once leaves the container's pid namespace again"]
pub struct EnteredPidNamespace {
    /// Our own `pid_for_children` from before; `None` when nothing was joined.
    previous: Option<OwnedFd>,
}

impl EnteredPidNamespace {
    /// Makes this thread's next children be born in our own PID namespace again.
    pub fn leave(mut self) -> Result<(), ContainerError> {
        self.restore()
    }

    fn restore(&mut self) -> Result<(), ContainerError> {
        match self.previous.take() {
            Some(previous) => nix::sched::setns(previous, CloneFlags::CLONE_NEWPID)
                .map_err(|errno| ContainerError::system("return to our own pid namespace", errno)),
            None => Ok(()),
        }
    }
}

impl Drop for EnteredPidNamespace {
    fn drop(&mut self) {
        // Only reached without `leave` on an error path; nobody is left to report to.
        let _ = self.restore();
    }
}

// ANCHOR: join_namespace
/// Child step: `setns(2)` into one namespace of the container, through a file the parent
/// opened. The `nstype` argument makes the kernel check that the file really is a namespace
/// of that kind (`EINVAL` otherwise).
pub struct JoinNamespace {
    namespace: Namespace,
    file: OwnedFd,
    container_pid: Pid,
}

impl JoinNamespace {
    /// The step for `file`, an open `/proc/PID/ns/…` of container process `container_pid`
    /// (chapter 8 joins another container's network namespace with it).
    pub fn new(namespace: Namespace, file: OwnedFd, container_pid: Pid) -> Self {
        JoinNamespace {
            namespace,
            file,
            container_pid,
        }
    }
}

impl ChildStep for JoinNamespace {
    fn run(&self) -> Result<(), Errno> {
        nix::sched::setns(self.file.as_fd(), self.namespace.clone_flag())
    }
}
// ANCHOR_END: join_namespace

impl fmt::Display for JoinNamespace {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "join the {} namespace of container process {} (setns)",
            self.namespace, self.container_pid
        )?;
        if self.namespace == Namespace::Mount {
            f.write_str(": / and the working directory become the container's root")?;
        }
        Ok(())
    }
}

// ANCHOR: join_cgroup
/// Moves process `pid` into the container's cgroup by writing its pid to each `cgroup.procs`
/// file: one per controller directory with cgroup v1, a single one with v2.
///
/// The files are opened for writing only — never created: a missing file means the cgroup is
/// gone, and creating a plain file in its place would hide that.
pub fn join_cgroup(procs_files: &[PathBuf], pid: Pid) -> Result<(), ContainerError> {
    for file in procs_files {
        std::fs::OpenOptions::new()
            .write(true)
            .open(file)
            .and_then(|mut procs| procs.write_all(pid.to_string().as_bytes()))
            .map_err(|error| {
                ContainerError::io(format!("write pid {pid} to {}", file.display()), error)
            })?;
    }
    Ok(())
}
// ANCHOR_END: join_cgroup

/// How an exec'd process gets into the container's cgroup.
pub enum CgroupEntry {
    /// The host writes its pid to these `cgroup.procs` files (one per v1 controller; one
    /// for v2) while it waits at the gate.
    HostWrites(Vec<PathBuf>),
    /// It moves itself in, first thing after the gate (cgroup v1: chapter 4's `join`, no
    /// wait for the kernel's global lock — which matters for health probes every second).
    ChildJoins(JoinCgroup),
}

/// Everything `exec` needs to know about the new process.
pub struct ExecRequest {
    /// The container's first process, as the host numbers it.
    pub pid: Pid,
    /// How the new process gets into the container's cgroup.
    pub cgroup: CgroupEntry,
    pub cmd: Vec<String>,
    /// `KEY=VALUE`: the container's environment plus `-e`, already merged.
    pub env: Vec<String>,
    /// Resolved inside the container's root.
    pub workdir: PathBuf,
    /// `-u`; `None` keeps root.
    pub user: Option<UserSpec>,
    /// Steps added by the caller (stdio, a controlling terminal). They run inside the
    /// container's namespaces, still as root, before the user switch.
    pub extra_steps: Vec<Box<dyn ChildStep>>,
}

impl ExecRequest {
    /// An exec into `container` as `docker exec` makes it: the container's environment
    /// plus `extra_env`, its user and working directory unless `user`/`workdir` say
    /// otherwise, and its cgroup. Used by the CLI's `exec` and by chapter 9's health probes.
    pub fn for_container(
        container: &crate::Container,
        cmd: Vec<String>,
        extra_env: Vec<String>,
        workdir: Option<&str>,
        user: Option<&str>,
    ) -> Result<ExecRequest, ContainerError> {
        let Some(pid) = container.running_pid() else {
            return Err(ContainerError::Invalid(format!(
                "container {} is not running",
                container.id()
            )));
        };
        let config = &container.record.config;
        let user = user
            .or((!config.user.is_empty()).then_some(config.user.as_str()))
            .map(UserSpec::parse)
            .transpose()
            .map_err(ContainerError::Invalid)?;
        let mut env = config.env.clone();
        env.extend(extra_env);
        let env = chapter06::chapter05::chapter04::chapter03::config::container_env(
            &config.hostname,
            &env,
        )?;
        let workdir = workdir
            .or((!config.working_dir.is_empty()).then_some(config.working_dir.as_str()))
            .unwrap_or("/");
        let hierarchy = chapter06::chapter05::chapter04::Hierarchy::detect()
            .map_err(ContainerError::Invalid)?;
        let cgroup = chapter06::chapter05::chapter04::Cgroup::open(&hierarchy, container.id())?;
        let dirs = cgroup.unique_dirs();
        let cgroup = if JoinCgroup::possible(&hierarchy) {
            CgroupEntry::ChildJoins(JoinCgroup::open(dirs)?)
        } else {
            CgroupEntry::HostWrites(dirs.iter().map(|dir| dir.join("cgroup.procs")).collect())
        };
        Ok(ExecRequest {
            pid: Pid::from_raw(pid),
            cgroup,
            cmd,
            env,
            workdir: PathBuf::from(workdir),
            user,
            extra_steps: Vec::new(),
        })
    }
}

/// Settings for a `clone` that makes no namespace at all: the child is born in whatever
/// namespaces the caller has — and, after [`ContainerNamespaces::enter_pid_namespace`], in
/// the container's PID namespace. Only chapter 2's gate and report pipe are wanted.
fn no_new_namespaces() -> Isolation {
    Isolation {
        namespaces: NamespaceSet::none(),
        hostname: None,
        // Only read when the set contains a user namespace; this one does not.
        id_map: IdMap::root_to_unprivileged_range(),
    }
}

/// The child's setup for an exec: join, extras, user switch (chapter 1 adds the rest).
fn exec_setup(
    namespaces: &ContainerNamespaces,
    user: Option<UserSpec>,
    extra_steps: Vec<Box<dyn ChildStep>>,
) -> Result<Vec<Box<dyn ChildStep>>, ContainerError> {
    let mut setup = namespaces.join_steps()?;
    setup.extend(extra_steps);
    if let Some(user) = user {
        setup.push(Box::new(SwitchUser::new(user)));
    }
    Ok(setup)
}

// ANCHOR: spawn_in
/// Starts `request.cmd` inside the running container of `request.pid`. Returns once the
/// command runs, or with the reason it does not (a missing command is
/// [`ContainerError::CommandNotFound`], exit code 127, as for `run`).
pub fn spawn_in(request: ExecRequest) -> Result<Child, ContainerError> {
    let namespaces = ContainerNamespaces::open(request.pid)?;
    let exec = ExecPlan::new(request.cmd, request.env)?.with_cwd(request.workdir);
    let mut setup = exec_setup(&namespaces, request.user, request.extra_steps)?;
    let host_writes = match request.cgroup {
        CgroupEntry::ChildJoins(join) => {
            setup.insert(0, Box::new(join));
            Vec::new()
        }
        CgroupEntry::HostWrites(procs_files) => procs_files,
    };
    let plan = ChildPlan::new(exec).with_setup(setup);

    // Born in the container's PID namespace, then straight back to ours: the window in which
    // a child of this thread would land in the container is this one call.
    let entered = namespaces.enter_pid_namespace()?;
    let created = chapter02::create(&no_new_namespaces(), plan)?;
    // On any error from here on, dropping `created` kills and reaps the waiting child.
    entered.leave()?;

    join_cgroup(&host_writes, created.pid())?;
    created.start()
}
// ANCHOR_END: spawn_in

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::user::tests::{capture_stdout, live_test};
    use std::path::Path;
    use std::process::{Command, Stdio};
    use std::time::{Duration, Instant};

    #[test]
    fn the_mount_namespace_is_joined_last_and_pid_never_by_the_child() {
        assert_eq!(CHILD_JOIN_ORDER.last(), Some(&Namespace::Mount));
        assert!(!CHILD_JOIN_ORDER.contains(&Namespace::Pid));
        assert!(!CHILD_JOIN_ORDER.contains(&Namespace::User));
    }

    #[test]
    fn our_own_process_shares_every_namespace() {
        let namespaces = ContainerNamespaces::open(Pid::this()).unwrap();
        assert!(namespaces.joined().is_empty(), "{namespaces}");
        assert_eq!(namespaces.shared().len(), 6);
        assert!(namespaces.join_steps().unwrap().is_empty());
        assert!(namespaces
            .to_string()
            .ends_with("join none; shared with the host: pid, ipc, uts, net, cgroup, mnt"));
    }

    #[test]
    fn a_process_that_does_not_exist_is_named() {
        // pid_max itself is never handed out (pids are below it), so it cannot exist.
        let pid_max: i32 = std::fs::read_to_string("/proc/sys/kernel/pid_max")
            .unwrap()
            .trim()
            .parse()
            .unwrap();
        let error = ContainerNamespaces::open(Pid::from_raw(pid_max)).unwrap_err();
        assert_eq!(
            error.to_string(),
            format!("cannot enter the container: its process {pid_max} is not running")
        );
    }

    #[test]
    fn a_missing_cgroup_names_the_file() {
        let error = join_cgroup(
            &[PathBuf::from("/nonexistent-cgroup/cgroup.procs")],
            Pid::from_raw(1),
        )
        .unwrap_err();
        assert_eq!(
            error.to_string(),
            "write pid 1 to /nonexistent-cgroup/cgroup.procs: No such file or directory (ENOENT)"
        );
    }

    #[test]
    fn no_cgroup_files_is_nothing_to_do() {
        join_cgroup(&[], Pid::this()).unwrap();
    }

    /// A process tree in new pid, uts, ipc and mount namespaces, started by util-linux
    /// `unshare`; killed and reaped on drop.
    struct Target {
        unshare: std::process::Child,
        /// The `sh` that is PID 1 inside, as the host numbers it.
        init: Pid,
    }

    impl Target {
        fn start(ready_file: &Path) -> Target {
            let script = format!(
                "hostname target-ns && touch {}; sleep 60; true",
                ready_file.display()
            );
            let unshare = Command::new("unshare")
                .args([
                    "--pid",
                    "--uts",
                    "--ipc",
                    "--mount",
                    "--fork",
                    "--mount-proc",
                ])
                .args(["sh", "-c", &script])
                .stdin(Stdio::null())
                .spawn()
                .unwrap();
            let mut target = Target {
                init: Pid::from_raw(0),
                unshare,
            };
            let children = format!("/proc/{0}/task/{0}/children", target.unshare.id());
            let deadline = Instant::now() + Duration::from_secs(10);
            while !ready_file.exists() {
                assert!(Instant::now() < deadline, "the target did not get ready");
                std::thread::sleep(Duration::from_millis(20));
            }
            let init = std::fs::read_to_string(children).unwrap();
            target.init = Pid::from_raw(init.split_whitespace().next().unwrap().parse().unwrap());
            target
        }
    }

    impl Drop for Target {
        fn drop(&mut self) {
            // Killing PID 1 of a PID namespace kills every process in it (pid_namespaces(7)).
            if self.init.as_raw() > 0 {
                let _ = nix::sys::signal::kill(self.init, nix::sys::signal::Signal::SIGKILL);
            }
            let _ = self.unshare.kill();
            let _ = self.unshare.wait();
        }
    }

    /// A v1 `pids` cgroup of our own; removed on drop (once its processes are gone).
    struct TestCgroup {
        dir: PathBuf,
    }

    impl TestCgroup {
        fn create(name: &str) -> TestCgroup {
            let dir = Path::new("/sys/fs/cgroup/pids").join(name);
            let _ = std::fs::remove_dir(&dir); // left over from an aborted run
            std::fs::create_dir(&dir).unwrap();
            TestCgroup { dir }
        }

        fn procs(&self) -> PathBuf {
            self.dir.join("cgroup.procs")
        }
    }

    impl Drop for TestCgroup {
        fn drop(&mut self) {
            // A killed process leaves its cgroup a moment after it dies: retry briefly.
            for _ in 0..100 {
                if std::fs::remove_dir(&self.dir).is_ok() {
                    return;
                }
                std::thread::sleep(Duration::from_millis(20));
            }
        }
    }

    fn strings(items: &[&str]) -> Vec<String> {
        items.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn spawn_in_joins_a_running_container() {
        if !live_test("enter: exec joins the namespaces and the cgroup of a running container") {
            return;
        }
        let name = "h-exec-spawn_in_joins_a_running_container";
        let ready = tempfile::tempdir().unwrap();
        // Declared first, dropped last: the target must be dead before its cgroup can go.
        let cgroup = TestCgroup::create(name);
        let target = Target::start(&ready.path().join("ready"));
        join_cgroup(&[cgroup.procs()], target.init).unwrap();

        let namespaces = ContainerNamespaces::open(target.init).unwrap();
        let joined = namespaces.joined();
        for expected in [
            Namespace::Pid,
            Namespace::Uts,
            Namespace::Ipc,
            Namespace::Mount,
        ] {
            assert!(joined.contains(&expected), "{namespaces}");
        }
        // unshare made no network or cgroup namespace: those are shared and not joined.
        assert!(
            namespaces.shared().contains(&Namespace::Net),
            "{namespaces}"
        );
        assert!(
            namespaces.shared().contains(&Namespace::Cgroup),
            "{namespaces}"
        );

        let (output, status, host_pid) = capture_stdout(|stdout| {
            let child = spawn_in(ExecRequest {
                pid: target.init,
                // As on a v1 host: the new process moves itself in.
                cgroup: CgroupEntry::ChildJoins(JoinCgroup::open([cgroup.dir.as_path()]).unwrap()),
                cmd: strings(&[
                    "sh",
                    "-c",
                    r#"echo $$; hostname; cat /proc/1/cmdline | tr "\0" " "; echo;
                       echo "$GREETING"; pwd; id -u; cat /proc/self/cgroup"#,
                ]),
                env: strings(&["PATH=/usr/bin:/bin", "GREETING=hello from exec"]),
                workdir: PathBuf::from("/tmp"),
                user: Some(UserSpec::parse("nobody").unwrap()),
                extra_steps: vec![Box::new(stdout)],
            })?;
            let host_pid = child.pid();
            Ok((child, host_pid))
        })
        .unwrap();
        assert!(status.success(), "{status}: {output}");

        let lines: Vec<&str> = output.lines().collect();
        let inner_pid: i32 = lines[0].parse().unwrap();
        assert!(inner_pid > 1 && inner_pid < 100, "pid inside: {inner_pid}");
        assert_ne!(inner_pid, host_pid.as_raw());
        assert_eq!(lines[1], "target-ns");
        let init_cmdline = std::fs::read(format!("/proc/{}/cmdline", target.init)).unwrap();
        let init_cmdline: String = String::from_utf8_lossy(&init_cmdline).replace('\0', " ");
        assert_eq!(lines[2], init_cmdline);
        assert!(
            init_cmdline.starts_with("sh -c hostname target-ns"),
            "{init_cmdline}"
        );
        assert_eq!(lines[3], "hello from exec");
        assert_eq!(lines[4], "/tmp");
        assert_eq!(lines[5], "65534");
        let pids_line = lines[6..]
            .iter()
            .find(|line| line.split(':').nth(1) == Some("pids"))
            .unwrap();
        assert_eq!(
            pids_line.split(':').nth(2),
            Some(format!("/{name}").as_str()),
            "{output}"
        );
    }

    #[test]
    fn exec_failures_come_back_with_docker_exit_codes() {
        if !live_test("enter: a missing command in exec is 127") {
            return;
        }
        let ready = tempfile::tempdir().unwrap();
        let target = Target::start(&ready.path().join("ready"));
        let request = |cmd: &[&str], workdir: &str| ExecRequest {
            pid: target.init,
            cgroup: CgroupEntry::HostWrites(vec![]),
            cmd: strings(cmd),
            env: strings(&["PATH=/usr/bin:/bin"]),
            workdir: PathBuf::from(workdir),
            user: None,
            extra_steps: vec![],
        };
        let error = spawn_in(request(&["no-such-command-here"], "/")).unwrap_err();
        assert_eq!(error.exit_code(), 127, "{error}");
        assert!(
            matches!(error, ContainerError::CommandNotFound { .. }),
            "{error}"
        );

        let error = spawn_in(request(&["true"], "/no/such/dir")).unwrap_err();
        assert_eq!(error.exit_code(), 125, "{error}");
        assert!(error.to_string().contains("/no/such/dir"), "{error}");

        // Back in our own pid namespace: the next child of this thread is born in ours.
        let theirs = std::fs::read_link(format!("/proc/{}/ns/pid", target.init)).unwrap();
        let ours = std::fs::read_link("/proc/thread-self/ns/pid").unwrap();
        assert_ne!(ours, theirs);
        let next = std::fs::read_link("/proc/thread-self/ns/pid_for_children").unwrap();
        assert_eq!(next, ours);
        let mut plain = Command::new("sleep").arg("5").spawn().unwrap();
        let its = std::fs::read_link(format!("/proc/{}/ns/pid", plain.id()));
        let _ = plain.kill();
        let _ = plain.wait();
        assert_eq!(its.unwrap(), ours);
    }
}
