//! The chapter's code behind the lab's interface (used by `cargo xtask check-labs`).

use std::ffi::CString;
use std::path::{Path, PathBuf};

use chapter01::{ContainerError, ExitStatus};
use chapter02::NamespaceSet;
use chapter03::{ContainerConfig, MountStep, RootfsPlan};
use nix::mount::MsFlags;

use crate::Step;

fn path(c: &CString) -> PathBuf {
    PathBuf::from(c.to_string_lossy().into_owned())
}

fn text(c: &CString) -> String {
    c.to_string_lossy().into_owned()
}

fn to_step(step: MountStep) -> Step {
    match step {
        MountStep::MakePrivate => Step::MakePrivate,
        MountStep::Mount { source, flags, .. } if flags.contains(MsFlags::MS_BIND) => {
            Step::BindRoot {
                path: path(&source),
            }
        }
        MountStep::Mount {
            target,
            fstype,
            flags,
            data,
            ..
        } => Step::Mount {
            fstype: fstype.as_ref().map(text).unwrap_or_default(),
            target: path(&target),
            flags,
            data: data.as_ref().map(text),
        },
        MountStep::Mkdir { path: p, .. } => Step::Mkdir { path: path(&p) },
        MountStep::CharDevice {
            path: p,
            major,
            minor,
            ..
        } => Step::CharDevice {
            path: path(&p),
            major,
            minor,
        },
        MountStep::BindDevice { host, path: p } => Step::BindDevice {
            host: path(&host),
            path: path(&p),
        },
        MountStep::Symlink { target, link } => Step::Symlink {
            target: path(&target),
            link: path(&link),
        },
        MountStep::PivotRoot { new_root } => Step::PivotRoot {
            new_root: path(&new_root),
        },
    }
}

pub fn mount_plan(rootfs: &Path, namespaces: &str) -> Vec<Step> {
    let namespaces: NamespaceSet = namespaces.parse().unwrap_or_default();
    RootfsPlan::new(rootfs, &namespaces)
        .steps
        .into_iter()
        .map(to_step)
        .collect()
}

pub fn check_rootfs(rootfs: &Path) -> Result<PathBuf, String> {
    let config = ContainerConfig::new(rootfs, vec!["true".into()], "box");
    config
        .prepare()
        .map(|plan| plan.rootfs.rootfs)
        .map_err(|error| error.to_string())
}

pub fn run_in_rootfs(rootfs: &Path, args: &[&str]) -> Result<ExitStatus, ContainerError> {
    let config = ContainerConfig::new(rootfs, args.iter().map(|a| a.to_string()).collect(), "box");
    config.prepare()?.create()?.start()?.wait()
}
