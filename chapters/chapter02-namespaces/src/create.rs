//! `clone(2)` into new namespaces, and the gate between *created* and *started*.

use std::os::fd::{AsRawFd, OwnedFd};

use chapter01::report::{report_pipe, ReportReader};
use chapter01::spawn::PreparedChild;
use chapter01::{Child, ChildPlan, ChildStep, ContainerError};
use nix::fcntl::OFlag;
use nix::sched::CloneFlags;
use nix::sys::signal::Signal;
use nix::unistd::Pid;

use crate::idmap::IdMap;
use crate::namespace::{Namespace, NamespaceSet};
use crate::steps::{BecomeRoot, LoopbackUp, SetHostname, UnshareCgroupNamespace, WaitForGate};

/// Stack for the cloned child. It runs a few system calls and then execs, so it needs little;
/// the pages are only touched (and so only really allocated) as far as it goes.
const CHILD_STACK_SIZE: usize = 1024 * 1024;

/// Linux limits a hostname to 64 bytes (`HOST_NAME_MAX`).
const HOST_NAME_MAX: usize = 64;

/// How a container is isolated: which namespaces it gets, and what is set up in them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Isolation {
    pub namespaces: NamespaceSet,
    /// Set in the new UTS namespace; needs [`Namespace::Uts`].
    pub hostname: Option<String>,
    /// Written as uid and gid map when [`Namespace::User`] is in the set.
    pub id_map: IdMap,
}

impl Isolation {
    /// Every namespace docker uses (all but user), with the given hostname.
    pub fn container(hostname: impl Into<String>) -> Self {
        Isolation {
            namespaces: NamespaceSet::container_default(),
            hostname: Some(hostname.into()),
            id_map: IdMap::root_to_unprivileged_range(),
        }
    }

    /// Checks the settings before anything is created.
    pub fn validate(&self) -> Result<(), ContainerError> {
        if let Some(name) = &self.hostname {
            if !self.namespaces.contains(Namespace::Uts) {
                return Err(ContainerError::Invalid(format!(
                    "cannot set hostname {name:?} without a UTS namespace: it would rename the host"
                )));
            }
            let valid_chars = name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.' || b == b'_');
            if name.is_empty() || name.len() > HOST_NAME_MAX || !valid_chars {
                return Err(ContainerError::Invalid(format!(
                    "invalid hostname {name:?}: use 1 to {HOST_NAME_MAX} letters, digits, '-', '.' or '_'"
                )));
            }
        }
        Ok(())
    }

    // ANCHOR: isolation_steps
    /// The child's first steps inside its new namespaces. Order matters: ids come first,
    /// because in a user namespace everything after depends on being root there.
    pub fn steps(&self, gate: WaitForGate) -> Vec<Box<dyn ChildStep>> {
        let mut steps: Vec<Box<dyn ChildStep>> = vec![Box::new(gate)];
        if self.namespaces.contains(Namespace::User) {
            steps.push(Box::new(BecomeRoot));
        }
        if self.namespaces.contains(Namespace::Cgroup) {
            steps.push(Box::new(UnshareCgroupNamespace));
        }
        if let Some(name) = &self.hostname {
            steps.push(Box::new(SetHostname {
                name: chapter01::steps::cstring(name.as_ref()),
            }));
        }
        if self.namespaces.contains(Namespace::Net) {
            steps.push(Box::new(LoopbackUp));
        }
        steps
    }
    // ANCHOR_END: isolation_steps

    // ANCHOR: clone_flags
    /// The flags for `clone(2)`: every namespace of the set but the cgroup namespace.
    ///
    /// A cgroup namespace takes the cgroup its creator is in *at that moment* as its root.
    /// The host moves the child into the container's own cgroup only after `clone` (while it
    /// waits at the gate), so the child makes its cgroup namespace itself, after the gate —
    /// then `/proc/self/cgroup` inside shows `/`, and the host's tree stays hidden.
    pub fn clone_flags(&self) -> CloneFlags {
        self.namespaces.clone_flags() - CloneFlags::CLONE_NEWCGROUP
    }
    // ANCHOR_END: clone_flags
}

/// A child that exists in its new namespaces but waits at the gate; nothing of its command
/// has run yet. Do host-side setup now (the pid is known), then [`Created::start`].
/// Dropping it without starting kills and reaps the child.
pub struct Created {
    pid: Pid,
    gate: Option<OwnedFd>,
    report: Option<ReportReader>,
    prepared: PreparedChild,
    id_map: Option<IdMap>,
}

// ANCHOR: create
/// Creates the child of `plan` in the namespaces of `isolation`, stopped at the gate.
///
/// Why `clone` and not `fork` + `unshare`: `unshare(CLONE_NEWPID)` does not move the caller
/// into the new PID namespace — a process's pid never changes — it only decides where the
/// caller's *next* child is born, and that child becomes PID 1. So a new PID namespace
/// always costs a fork after the unshare. `clone(2)` with `CLONE_NEWPID` is that unshare and
/// that fork in one call: the child it returns is already PID 1 of the new namespace, while
/// we, the parent, see it under an ordinary host pid.
pub fn create(isolation: &Isolation, plan: ChildPlan) -> Result<Created, ContainerError> {
    isolation.validate()?;
    let (gate_read, gate_write) = nix::unistd::pipe2(OFlag::O_CLOEXEC)
        .map_err(|errno| ContainerError::system("create the gate pipe", errno))?;
    let gate = WaitForGate {
        read_end: gate_read.as_raw_fd(),
        write_end: gate_write.as_raw_fd(),
    };
    let mut setup = isolation.steps(gate);
    setup.extend(plan.setup);
    let prepared = PreparedChild::new(ChildPlan {
        setup,
        exec: plan.exec,
    })?;
    let (report, report_writer) =
        report_pipe().map_err(|errno| ContainerError::system("create the report pipe", errno))?;

    let flags = isolation.clone_flags();
    let mut stack = vec![0u8; CHILD_STACK_SIZE];
    // SAFETY: without CLONE_VM the child gets a copy of our memory, like after fork, and runs
    // only `run_in_child` on its own stack: async-signal-safe calls on data prepared above.
    let pid = unsafe {
        nix::sched::clone(
            Box::new(|| prepared.run_in_child(&report_writer)),
            &mut stack,
            flags,
            Some(Signal::SIGCHLD as i32),
        )
    }
    .map_err(|errno| ContainerError::system(format!("clone({})", flag_names(flags)), errno))?;
    // Our copies of the child's ends: keeping them open would hide the child's end-of-file.
    drop(report_writer);
    drop(gate_read);

    Ok(Created {
        pid,
        gate: Some(gate_write),
        report: Some(report),
        prepared,
        id_map: isolation
            .namespaces
            .contains(Namespace::User)
            .then_some(isolation.id_map),
    })
}
// ANCHOR_END: create

/// Creates and starts at once, for callers with no host-side setup to do.
pub fn run(isolation: &Isolation, plan: ChildPlan) -> Result<Child, ContainerError> {
    create(isolation, plan)?.start()
}

impl Created {
    /// The child's pid in the host's PID namespace.
    pub fn pid(&self) -> Pid {
        self.pid
    }

    // ANCHOR: start
    /// Opens the gate: the child runs the rest of its plan and execs. Returns once the command
    /// is running, or with the reason it is not.
    pub fn start(mut self) -> Result<Child, ContainerError> {
        if let Some(map) = self.id_map {
            map.write_for(self.pid)?; // on error, Drop kills and reaps the child
        }
        let gate = self.gate.take();
        if let Some(gate) = &gate {
            nix::unistd::write(gate, &[1])
                .map_err(|errno| ContainerError::system("open the gate", errno))?;
        }
        drop(gate);
        let report = self.report.take();
        match report {
            Some(report) => self.prepared.await_exec(self.pid, report),
            None => Err(ContainerError::Invalid(
                "container was already started".into(),
            )),
        }
    }
    // ANCHOR_END: start
}

impl Drop for Created {
    fn drop(&mut self) {
        if self.report.is_some() {
            // Never started: close the gate unopened (the child gives up), make sure, reap.
            self.gate.take();
            let child = Child::new(self.pid);
            let _ = child.signal(Signal::SIGKILL);
            let _ = child.wait();
        }
    }
}

fn flag_names(flags: CloneFlags) -> String {
    let names: Vec<String> = flags
        .iter()
        .map(|flag| {
            format!("{flag:?}")
                .trim_start_matches("CloneFlags(")
                .trim_end_matches(')')
                .to_owned()
        })
        .collect();
    names.join(" | ")
}
