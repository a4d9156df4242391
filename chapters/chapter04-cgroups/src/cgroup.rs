//! A container's cgroup on disk: create, apply a plan, add a process, freeze, read, remove.
//!
//! The same code drives both versions; only the paths differ. In v1 a container has one
//! directory per controller (`/sys/fs/cgroup/memory/mini-docker/<id>`,
//! `/sys/fs/cgroup/pids/mini-docker/<id>`, ...); in v2 it has one directory with every
//! controller's files (`/sys/fs/cgroup/mini-docker/<id>`).
//!
//! It also works on a *fake* cgroupfs — plain directories in a temp dir — where files are
//! created by the writes: that is how the plans are tested without root.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use chapter03::chapter01::ContainerError;
use nix::errno::Errno;
use nix::unistd::Pid;

use crate::backend::{backend, Backend};
use crate::hierarchy::Hierarchy;
use crate::plan::{CgroupPlan, Controller, Value, Write};
use crate::stats::Stats;

/// The group every container's cgroup lives under, like docker's `docker`.
pub const PARENT: &str = "mini-docker";

/// How long removal waits for the last processes to leave.
const REMOVE_TIMEOUT: Duration = Duration::from_secs(5);

/// One container's cgroup.
#[derive(Debug)]
pub struct Cgroup {
    backend: &'static dyn Backend,
    /// On a real cgroupfs (not a fake one in a temp dir): the kernel makes the control files.
    /// Decided once, from the hierarchy, not per write.
    real: bool,
    /// The directory holding each controller's files (in v2, the same one for all).
    dirs: BTreeMap<Controller, PathBuf>,
}

impl Cgroup {
    // ANCHOR: create
    /// Creates `<parent>/<name>` for every controller `plan` uses, making and preparing the
    /// parent group on the way. On error, whatever was created is removed again.
    pub fn create(
        hierarchy: &Hierarchy,
        name: &str,
        plan: &CgroupPlan,
    ) -> Result<Cgroup, ContainerError> {
        let mut cgroup = Cgroup {
            backend: backend(hierarchy.version()),
            real: hierarchy.is_real(),
            dirs: BTreeMap::new(),
        };
        let created = match hierarchy {
            Hierarchy::V1 { mounts } => cgroup.create_v1(mounts, name, &plan.controllers),
            Hierarchy::V2 { root } => cgroup.create_v2(root, name, &plan.controllers),
        };
        match created {
            Ok(()) => Ok(cgroup),
            Err(error) => {
                let _ = cgroup.remove();
                Err(error)
            }
        }
    }
    // ANCHOR_END: create

    /// v1: a directory per controller. A new `cpuset` group is empty (no CPUs, no memory
    /// nodes) and refuses processes until both are set, so the parent copies its own.
    fn create_v1(
        &mut self,
        mounts: &BTreeMap<Controller, PathBuf>,
        name: &str,
        controllers: &[Controller],
    ) -> Result<(), ContainerError> {
        for controller in controllers {
            let mount = mounts.get(controller).ok_or_else(|| {
                ContainerError::Invalid(format!(
                    "the cgroup v1 controller {} is not mounted on this host",
                    controller.v1_name()
                ))
            })?;
            let parent = mount.join(PARENT);
            if !parent.is_dir() {
                make_dir(&parent)?;
                if *controller == Controller::Cpuset {
                    for file in ["cpuset.cpus", "cpuset.mems"] {
                        copy_from_parent(&parent, file, self.real)?;
                    }
                }
            }
            let dir = parent.join(name);
            if !self.dirs.values().any(|existing| *existing == dir) {
                make_dir(&dir)?;
            }
            self.dirs.insert(*controller, dir);
        }
        Ok(())
    }

    // ANCHOR: create_v2
    /// v2: one directory. A controller's files appear in a group only when its parent
    /// enables it in `cgroup.subtree_control` — so we enable ours at the root and in
    /// `mini-docker`, which, having children, must hold no process itself ("no internal
    /// processes", cgroups(7)).
    fn create_v2(
        &mut self,
        root: &Path,
        name: &str,
        controllers: &[Controller],
    ) -> Result<(), ContainerError> {
        let names: Vec<&str> = controllers.iter().filter_map(|c| c.v2_name()).collect();
        enable_controllers(root, &names, self.real)?;
        let parent = root.join(PARENT);
        if !parent.is_dir() {
            make_dir(&parent)?;
        }
        enable_controllers(&parent, &names, self.real)?;
        let dir = parent.join(name);
        make_dir(&dir)?;
        for controller in controllers {
            self.dirs.insert(*controller, dir.clone());
        }
        self.dirs.insert(Controller::Freezer, dir);
        Ok(())
    }
    // ANCHOR_END: create_v2

    /// The existing cgroup `<parent>/<name>` (of a running container), for reading its stats
    /// or freezing it. Controllers whose directory is missing are left out.
    pub fn open(hierarchy: &Hierarchy, name: &str) -> Result<Cgroup, ContainerError> {
        let dirs: BTreeMap<Controller, PathBuf> = match hierarchy {
            Hierarchy::V1 { mounts } => mounts
                .iter()
                .map(|(controller, mount)| (*controller, mount.join(PARENT).join(name)))
                .filter(|(_, dir)| dir.is_dir())
                .collect(),
            Hierarchy::V2 { root } => {
                let dir = root.join(PARENT).join(name);
                if dir.is_dir() {
                    [
                        Controller::Memory,
                        Controller::Cpu,
                        Controller::Cpuset,
                        Controller::Pids,
                        Controller::Io,
                        Controller::Freezer,
                    ]
                    .into_iter()
                    .map(|controller| (controller, dir.clone()))
                    .collect()
                } else {
                    BTreeMap::new()
                }
            }
        };
        if dirs.is_empty() {
            return Err(ContainerError::Invalid(format!(
                "no cgroup {PARENT}/{name} on this host"
            )));
        }
        Ok(Cgroup {
            backend: backend(hierarchy.version()),
            real: hierarchy.is_real(),
            dirs,
        })
    }

    // ANCHOR: apply
    /// Writes the plan, in order. Returns the warnings for optional files this kernel lacks.
    pub fn apply(&self, plan: &CgroupPlan) -> Result<Vec<String>, ContainerError> {
        let mut warnings = Vec::new();
        for write in &plan.writes {
            let dir = self.dir(write.controller)?;
            let path = dir.join(write.file);
            if let Some(warning) = write.optional {
                if self.real && !path.exists() {
                    warnings.push(warning.to_owned());
                    continue;
                }
            }
            self.write(write)?;
        }
        Ok(warnings)
    }
    // ANCHOR_END: apply

    /// Moves `pid` into the group: one write to `cgroup.procs` in each directory. Done by the
    /// host while the child waits at the gate, so it is limited before its command runs.
    pub fn add_process(&self, pid: Pid) -> Result<(), ContainerError> {
        for dir in self.unique_dirs() {
            write_file(&dir.join("cgroup.procs"), &pid.to_string(), self.real)?;
        }
        Ok(())
    }

    // ANCHOR: freeze
    /// Freezes (or thaws) every process in the group and waits until the kernel says it is
    /// done: v1 `freezer.state` goes through `FREEZING` to `FROZEN`, v2 `cgroup.events`
    /// shows `frozen 1`.
    pub fn set_frozen(&self, frozen: bool) -> Result<(), ContainerError> {
        self.write(&self.backend.freeze(frozen))?;
        let (controller, state_file) = self.backend.freeze_state();
        let dir = self.dir(controller)?;
        if !self.real {
            return Ok(());
        }
        let deadline = Instant::now() + Duration::from_secs(5);
        while self
            .backend
            .is_frozen(&read_file(&dir.join(state_file)).unwrap_or_default())
            != frozen
        {
            if Instant::now() > deadline {
                return Err(ContainerError::Invalid(format!(
                    "the cgroup {} did not {} within 5 s",
                    dir.display(),
                    if frozen { "freeze" } else { "thaw" }
                )));
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        Ok(())
    }
    // ANCHOR_END: freeze

    // ANCHOR: stats
    /// Memory, CPU time and process count, read from the version's files.
    pub fn stats(&self) -> Stats {
        self.backend
            .stats(&|controller, file| self.read(controller, file))
    }
    // ANCHOR_END: stats

    // ANCHOR: oom_killed
    /// Whether the kernel's OOM killer killed a process of this group.
    pub fn oom_killed(&self) -> bool {
        self.backend
            .oom_kills(&|controller, file| self.read(controller, file))
            > 0
    }

    /// A control file's text, empty when the file or the controller is missing.
    fn read(&self, controller: Controller, file: &str) -> String {
        self.dirs
            .get(&controller)
            .and_then(|dir| read_file(&dir.join(file)).ok())
            .unwrap_or_default()
    }

    /// The directories of this cgroup (one per controller in v1, one in v2).
    pub fn unique_dirs(&self) -> Vec<&Path> {
        let mut dirs: Vec<&Path> = self.dirs.values().map(PathBuf::as_path).collect();
        dirs.sort();
        dirs.dedup();
        dirs
    }

    // ANCHOR: remove
    /// Kills whatever is still in the group, waits for it to empty, and removes its
    /// directories. A cgroup directory can only be removed once no process is in it (rmdir
    /// says `EBUSY` until then); its control files go with it.
    pub fn remove(&self) -> Result<(), ContainerError> {
        for dir in self.unique_dirs() {
            if !dir.exists() {
                continue;
            }
            if !self.real {
                let _ = std::fs::remove_dir_all(dir);
                continue;
            }
            let deadline = Instant::now() + REMOVE_TIMEOUT;
            loop {
                kill_members(dir);
                match std::fs::remove_dir(dir) {
                    Ok(()) => break,
                    Err(error) if error.kind() == std::io::ErrorKind::NotFound => break,
                    Err(error) if Instant::now() > deadline => {
                        return Err(ContainerError::io(
                            format!("remove cgroup {}", dir.display()),
                            error,
                        ))
                    }
                    Err(_) => std::thread::sleep(Duration::from_millis(10)),
                }
            }
        }
        Ok(())
    }
    // ANCHOR_END: remove

    fn dir(&self, controller: Controller) -> Result<&Path, ContainerError> {
        self.dirs
            .get(&controller)
            .map(PathBuf::as_path)
            .ok_or_else(|| {
                ContainerError::Invalid(format!(
                    "the container's cgroup has no {} controller",
                    controller.v1_name()
                ))
            })
    }

    fn write(&self, write: &Write) -> Result<(), ContainerError> {
        let dir = self.dir(write.controller)?;
        let value = match &write.value {
            Value::Text(text) => text.clone(),
            Value::FromParent => {
                let parent = dir.parent().unwrap_or(dir);
                read_file(&parent.join(write.file))?.trim().to_owned()
            }
        };
        write_file(&dir.join(write.file), &value, self.real)
    }
}

/// Signals every process listed in the group's `cgroup.procs` with SIGKILL.
fn kill_members(dir: &Path) {
    let Ok(procs) = std::fs::read_to_string(dir.join("cgroup.procs")) else {
        return;
    };
    for pid in procs.lines().filter_map(|line| line.trim().parse().ok()) {
        let _ = nix::sys::signal::kill(Pid::from_raw(pid), nix::sys::signal::Signal::SIGKILL);
    }
}

/// Adds `+name` to `dir/cgroup.subtree_control` for each name not enabled yet.
fn enable_controllers(dir: &Path, names: &[&str], real: bool) -> Result<(), ContainerError> {
    let path = dir.join("cgroup.subtree_control");
    let enabled = std::fs::read_to_string(&path).unwrap_or_default();
    let missing: Vec<String> = names
        .iter()
        .filter(|name| {
            !enabled
                .split_whitespace()
                .any(|e| e.trim_start_matches('+') == **name)
        })
        .map(|name| format!("+{name}"))
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    if real {
        // One write per controller: a single unavailable one must not hide the others.
        for entry in &missing {
            write_file(&path, entry, real)?;
        }
        Ok(())
    } else {
        let all = format!("{} {}", enabled.trim(), missing.join(" "));
        write_file(&path, all.trim(), real)
    }
}

fn copy_from_parent(dir: &Path, file: &str, real: bool) -> Result<(), ContainerError> {
    let parent = dir.parent().unwrap_or(dir);
    let value = read_file(&parent.join(file))?;
    write_file(&dir.join(file), value.trim(), real)
}

fn make_dir(path: &Path) -> Result<(), ContainerError> {
    match std::fs::create_dir_all(path) {
        Ok(()) => Ok(()),
        Err(error) => Err(ContainerError::io(
            format!("cannot create cgroup {}", path.display()),
            error,
        )),
    }
}

fn read_file(path: &Path) -> Result<String, ContainerError> {
    std::fs::read_to_string(path)
        .map_err(|error| ContainerError::io(format!("read {}", path.display()), error))
}

/// Writes a cgroup file. On a real cgroupfs the file must exist (the kernel makes them);
/// on a fake one it is created.
fn write_file(path: &Path, value: &str, real: bool) -> Result<(), ContainerError> {
    let create = !real;
    let result = std::fs::OpenOptions::new()
        .write(true)
        .truncate(true)
        .create(create)
        .open(path)
        .and_then(|mut file| std::io::Write::write_all(&mut file, value.as_bytes()));
    result.map_err(|error| {
        let errno = Errno::from_raw(error.raw_os_error().unwrap_or(libc::EIO));
        ContainerError::system(format!("write {value:?} to {}", path.display()), errno)
    })
}

/// Whether `path` is on a real cgroup filesystem (v1 or v2), by `statfs(2)` magic.
pub fn on_cgroupfs(path: &Path) -> bool {
    const CGROUP_SUPER_MAGIC: i64 = 0x0027_e0eb;
    const CGROUP2_SUPER_MAGIC: i64 = 0x6367_7270;
    // f_type is an i64 on x86_64 but narrower on other targets, hence the cast.
    #[allow(clippy::unnecessary_cast)]
    let magic = nix::sys::statfs::statfs(path)
        .ok()
        .map(|s| s.filesystem_type().0 as i64);
    matches!(magic, Some(CGROUP_SUPER_MAGIC | CGROUP2_SUPER_MAGIC))
}
