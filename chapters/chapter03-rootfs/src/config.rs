//! A container's settings, its environment, and the complete plan to run it.

use std::ffi::CString;
use std::fmt;
use std::path::{Component, Path, PathBuf};

use chapter01::steps::cstring;
use chapter01::{ChildPlan, ChildStep, ContainerError, ExecPlan, DEFAULT_PATH};
use chapter02::steps::WaitForGate;
use chapter02::{Created, IdMap, Isolation, Namespace, NamespaceSet};
use nix::errno::Errno;
use serde::Serialize;

use crate::mounts::RootfsPlan;

/// What the user asked for. Paths inside the container (`workdir`) are container paths.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ContainerConfig {
    /// The directory that becomes `/`.
    pub rootfs: PathBuf,
    /// `Cmd`: the program and its arguments.
    pub cmd: Vec<String>,
    /// `KEY=VALUE` entries given by the user; the defaults are added by [`container_env`].
    pub env: Vec<String>,
    pub hostname: String,
    /// `-w`: absolute path inside the container; created when missing, like docker does.
    pub working_dir: Option<PathBuf>,
    #[serde(serialize_with = "as_string")]
    pub namespaces: NamespaceSet,
    /// The image the root filesystem comes from (chapter 6), by ID; `None` for a bare
    /// directory. The image store reads it to refuse removing an image in use.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub image: Option<String>,
}

fn as_string<S: serde::Serializer>(set: &NamespaceSet, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&set.to_string())
}

/// Everything the child will do, in order; see [`ContainerPlan`]'s `Display`.
pub struct ContainerPlan {
    pub isolation: Isolation,
    /// Steps that make the root filesystem appear at the rootfs path — chapter 5 mounts an
    /// overlay there. They run right after mount propagation is made private (so the mount
    /// stays in the container's namespace) and before the rootfs is bound and pivoted into.
    pub rootfs_source: Vec<Box<dyn ChildStep>>,
    pub rootfs: RootfsPlan,
    /// Steps that run inside the prepared rootfs just before `pivot_root` — chapter 7's
    /// volumes, tmpfs mounts and read-only root: they need `/proc` and `/dev` in place and
    /// the host's paths still reachable.
    pub before_pivot: Vec<Box<dyn ChildStep>>,
    pub workdir: Option<CreateWorkdir>,
    /// Steps that run last, after the working directory exists and before the finishing
    /// steps and exec — chapter 7's stdio, user switch and `--init`.
    pub before_exec: Vec<Box<dyn ChildStep>>,
    pub exec: ExecPlan,
}

impl ContainerConfig {
    /// A config with docker's defaults: every namespace but user, `/` as working directory.
    pub fn new(rootfs: impl Into<PathBuf>, cmd: Vec<String>, hostname: impl Into<String>) -> Self {
        ContainerConfig {
            rootfs: rootfs.into(),
            cmd,
            env: Vec::new(),
            hostname: hostname.into(),
            working_dir: None,
            namespaces: NamespaceSet::container_default(),
            image: None,
        }
    }

    // ANCHOR: prepare
    /// Checks the config against the host and builds the plan. Creates nothing: an error here
    /// leaves no trace.
    pub fn prepare(&self) -> Result<ContainerPlan, ContainerError> {
        let rootfs = check_rootfs(&self.rootfs)?;
        self.plan_for(&rootfs)
    }
    // ANCHOR_END: prepare

    /// The plan for an already checked, absolute rootfs path. Pure: touches no file, so it can
    /// be printed and snapshot-tested anywhere.
    pub fn plan_for(&self, rootfs: &Path) -> Result<ContainerPlan, ContainerError> {
        if !self.namespaces.contains(Namespace::Mount) {
            return Err(ContainerError::Invalid(
                "a root filesystem needs a mount namespace: without one, pivot_root would move the host's root".into(),
            ));
        }
        let workdir = match &self.working_dir {
            Some(dir) => Some(check_workdir(dir)?),
            None => None,
        };
        let isolation = Isolation {
            namespaces: self.namespaces.clone(),
            hostname: self
                .namespaces
                .contains(Namespace::Uts)
                .then(|| self.hostname.clone()),
            id_map: IdMap::root_to_unprivileged_range(),
        };
        isolation.validate()?;
        let env = container_env(&self.hostname, &self.env)?;
        let exec = ExecPlan::new(self.cmd.clone(), env)?
            .with_cwd(workdir.clone().unwrap_or_else(|| PathBuf::from("/")));
        Ok(ContainerPlan {
            isolation,
            rootfs_source: Vec::new(),
            rootfs: RootfsPlan::new(rootfs, &self.namespaces),
            before_pivot: Vec::new(),
            workdir: workdir.map(|dir| CreateWorkdir::new(&dir)),
            before_exec: Vec::new(),
            exec,
        })
    }
}

/// The rootfs must be an existing directory other than `/`; returns its absolute, resolved path.
pub fn check_rootfs(rootfs: &Path) -> Result<PathBuf, ContainerError> {
    let resolved = std::fs::canonicalize(rootfs).map_err(|error| {
        ContainerError::Invalid(match error.kind() {
            std::io::ErrorKind::NotFound => format!("rootfs {} does not exist", rootfs.display()),
            _ => format!("rootfs {}: {error}", rootfs.display()),
        })
    })?;
    if !resolved.is_dir() {
        return Err(ContainerError::Invalid(format!(
            "rootfs {} is not a directory",
            rootfs.display()
        )));
    }
    if resolved == Path::new("/") {
        return Err(ContainerError::Invalid(
            "rootfs / is the host's own root: give the container a directory of its own".into(),
        ));
    }
    // The mount targets must be directories of the rootfs itself. A symlink there would send
    // a mount outside of it (resolved on the host side, before pivot_root).
    for inside in ["proc", "sys", "dev"] {
        let path = resolved.join(inside);
        if path.is_symlink() {
            return Err(ContainerError::Invalid(format!(
                "rootfs {}: /{inside} is a symlink; it must be a directory (or absent)",
                rootfs.display()
            )));
        }
    }
    Ok(resolved)
}

fn check_workdir(dir: &Path) -> Result<PathBuf, ContainerError> {
    let clean = dir
        .components()
        .all(|c| matches!(c, Component::RootDir | Component::Normal(_)));
    if !dir.is_absolute() || !clean {
        return Err(ContainerError::Invalid(format!(
            "the working directory {:?} is invalid: it needs to be an absolute path without '..'",
            dir.display().to_string()
        )));
    }
    Ok(dir.to_path_buf())
}

// ANCHOR: env
/// The environment a container starts with: docker's defaults (`PATH`, `HOSTNAME`, `HOME`),
/// then the user's entries, which replace a default of the same name.
pub fn container_env(hostname: &str, user: &[String]) -> Result<Vec<String>, ContainerError> {
    let mut env = vec![
        format!("PATH={DEFAULT_PATH}"),
        format!("HOSTNAME={hostname}"),
        "HOME=/root".to_owned(),
    ];
    for entry in user {
        let key = match entry.split_once('=') {
            Some((key, _)) if !key.is_empty() => key,
            _ => {
                return Err(ContainerError::Invalid(format!(
                    "invalid environment variable {entry:?}: expected KEY=VALUE"
                )))
            }
        };
        let prefix = format!("{key}=");
        env.retain(|existing| !existing.starts_with(&prefix));
        env.push(entry.clone());
    }
    Ok(env)
}
// ANCHOR_END: env

/// Reads `-e` arguments like docker: `KEY=VALUE` as given; a bare `KEY` takes the value from
/// `lookup` (the caller's environment) and is dropped when it has none.
pub fn env_from_args(args: &[String], lookup: impl Fn(&str) -> Option<String>) -> Vec<String> {
    args.iter()
        .filter_map(|arg| {
            if arg.contains('=') {
                Some(arg.clone())
            } else {
                lookup(arg).map(|value| format!("{arg}={value}"))
            }
        })
        .collect()
}

impl ContainerPlan {
    /// The child's plan: rootfs steps, then the working directory, then exec.
    /// (The isolation steps are put in front of these by [`chapter02::create`].)
    pub fn child_plan(self) -> (Isolation, ChildPlan) {
        let mut setup = self
            .rootfs
            .into_child_steps_around(self.rootfs_source, self.before_pivot);
        if let Some(workdir) = self.workdir {
            setup.push(Box::new(workdir));
        }
        setup.extend(self.before_exec);
        (self.isolation, ChildPlan::new(self.exec).with_setup(setup))
    }

    /// Clones the child into its namespaces, stopped at the gate.
    pub fn create(self) -> Result<Created, ContainerError> {
        let (isolation, child) = self.child_plan();
        chapter02::create(&isolation, child)
    }
}

/// Prints the plan as the child will run it, from the gate to exec.
impl fmt::Display for ContainerPlan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "clone into new namespaces: {}",
            self.isolation.namespaces
        )?;
        // A gate with no descriptors: only its description is printed.
        let display_gate = WaitForGate {
            read_end: -1,
            write_end: -1,
        };
        let mut lines: Vec<String> = self
            .isolation
            .steps(display_gate)
            .iter()
            .map(ToString::to_string)
            .collect();
        let steps = &self.rootfs.steps;
        let (private, rest) = steps.split_at(1.min(steps.len()));
        let (middle, pivot) = rest.split_at(rest.len().saturating_sub(1));
        lines.extend(private.iter().map(ToString::to_string));
        lines.extend(self.rootfs_source.iter().map(ToString::to_string));
        lines.extend(middle.iter().map(ToString::to_string));
        lines.extend(self.before_pivot.iter().map(ToString::to_string));
        lines.extend(pivot.iter().map(ToString::to_string));
        if let Some(workdir) = &self.workdir {
            lines.push(workdir.to_string());
        }
        lines.extend(self.before_exec.iter().map(ToString::to_string));
        let exec_only = ChildPlan::new(self.exec.clone());
        lines.extend(exec_only.finishing_steps().iter().map(ToString::to_string));
        for (number, line) in lines.iter().enumerate() {
            writeln!(f, "{:>2}. {line}", number + 1)?;
        }
        writeln!(f, "    {}", self.exec)
    }
}

/// `mkdir -p` of the working directory inside the new root, after `pivot_root`.
pub struct CreateWorkdir {
    /// Every prefix of the path, shortest first: `/a`, `/a/b`, `/a/b/c`.
    prefixes: Vec<CString>,
}

impl CreateWorkdir {
    pub fn new(dir: &Path) -> Self {
        let mut prefixes = Vec::new();
        let mut current = PathBuf::from("/");
        for component in dir.components().skip(1) {
            current.push(component);
            prefixes.push(cstring(&current));
        }
        CreateWorkdir { prefixes }
    }
}

impl ChildStep for CreateWorkdir {
    fn run(&self) -> Result<(), Errno> {
        for prefix in &self.prefixes {
            let mode = nix::sys::stat::Mode::from_bits_truncate(0o755);
            match nix::unistd::mkdir(prefix.as_c_str(), mode) {
                Ok(()) | Err(Errno::EEXIST) => {}
                Err(errno) => return Err(errno),
            }
        }
        Ok(())
    }
}

impl fmt::Display for CreateWorkdir {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let last = self
            .prefixes
            .last()
            .map_or_else(|| "/".to_owned(), |p| p.to_string_lossy().into_owned());
        write!(f, "mkdir -p {last}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_entries_replace_defaults() {
        let env = container_env("web", &["PATH=/bin".into(), "A=1".into()]).unwrap();
        assert_eq!(env, ["HOSTNAME=web", "HOME=/root", "PATH=/bin", "A=1"]);
    }

    #[test]
    fn an_entry_without_a_key_is_refused() {
        assert!(container_env("web", &["=1".into()]).is_err());
    }

    #[test]
    fn bare_keys_come_from_the_callers_environment() {
        let lookup = |key: &str| (key == "TERM").then(|| "xterm".to_owned());
        let args = ["TERM".to_owned(), "MISSING".to_owned(), "X=1".to_owned()];
        assert_eq!(env_from_args(&args, lookup), ["TERM=xterm", "X=1"]);
    }

    #[test]
    fn relative_or_dotted_workdirs_are_refused() {
        assert!(check_workdir(Path::new("app")).is_err());
        assert!(check_workdir(Path::new("/app/../etc")).is_err());
        assert!(check_workdir(Path::new("/app/data")).is_ok());
    }
}
