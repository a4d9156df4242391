//! The mount plan: everything the child mounts, creates and pivots into, in order.
//!
//! Each [`MountStep`] is data (paths as C strings, flags) and a [`ChildStep`]. Its `Display`
//! is the shell command that would do the same, so a printed plan reads like a script you
//! could type — and the book prints exactly that.

use std::ffi::CString;
use std::fmt;
use std::path::{Path, PathBuf};

use chapter01::steps::cstring;
use chapter01::ChildStep;
use chapter02::{Namespace, NamespaceSet};
use nix::errno::Errno;
use nix::mount::MsFlags;
use nix::sys::stat::{Mode, SFlag};

use crate::devices::{DEVICES, SYMLINKS};
use crate::pivot::pivot_into;

/// One step of preparing the root filesystem.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MountStep {
    /// `mount --make-rprivate /`: stop mount events from propagating out of (and into) the
    /// new mount namespace.
    MakePrivate,
    /// A `mount(2)` call.
    Mount {
        source: CString,
        target: CString,
        fstype: Option<CString>,
        flags: MsFlags,
        data: Option<CString>,
    },
    /// `mkdir` that is content when the directory exists already.
    Mkdir { path: CString, mode: u32 },
    /// `mknod` of a character device, then `chmod` (mknod's mode is cut by the umask).
    CharDevice {
        path: CString,
        major: u64,
        minor: u64,
        mode: u32,
    },
    /// In a user namespace `mknod` is not allowed: bind the host's device node instead.
    BindDevice { host: CString, path: CString },
    /// `ln -s target link`.
    Symlink { target: CString, link: CString },
    /// `pivot_root` into the rootfs and detach the old root.
    PivotRoot { new_root: CString },
}

/// The whole plan for one rootfs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RootfsPlan {
    pub rootfs: PathBuf,
    pub steps: Vec<MountStep>,
}

const PROC_FLAGS: MsFlags = MsFlags::MS_NOSUID
    .union(MsFlags::MS_NODEV)
    .union(MsFlags::MS_NOEXEC);

impl RootfsPlan {
    // ANCHOR: plan
    /// The mounts for a container whose root is `rootfs` (an absolute path), given the
    /// namespaces it gets. Pure: looks at no file.
    pub fn new(rootfs: &Path, namespaces: &NamespaceSet) -> Self {
        let at = |inside: &str| cstring(&rootfs.join(inside.trim_start_matches('/')));
        let mut steps = vec![
            // 1. Nothing we do from here on may reach the host — and pivot_root refuses
            //    (EINVAL) to move a mount whose parent is shared.
            MountStep::MakePrivate,
            // 2. pivot_root needs the new root to be a mount point: bind it onto itself.
            mount(
                rootfs,
                rootfs,
                None,
                MsFlags::MS_BIND | MsFlags::MS_REC,
                None,
            ),
            // 3. /proc shows the PID namespace of whoever mounts it: ours.
            mkdir(&at("/proc"), 0o555),
            mount_fs("proc", &at("/proc"), PROC_FLAGS, None),
            // 4. /sys read-only: the container may look at devices, not reconfigure them.
            mkdir(&at("/sys"), 0o555),
            mount_fs("sysfs", &at("/sys"), PROC_FLAGS | MsFlags::MS_RDONLY, None),
            // 5. A fresh /dev with only the harmless devices.
            mkdir(&at("/dev"), 0o755),
            mount_fs_named(
                "tmpfs",
                "tmpfs",
                &at("/dev"),
                MsFlags::MS_NOSUID | MsFlags::MS_STRICTATIME,
                Some("mode=755,size=65536k"),
            ),
        ];
        let user_namespace = namespaces.contains(Namespace::User);
        for device in DEVICES {
            let path = at(&format!("/dev/{}", device.name));
            steps.push(if user_namespace {
                MountStep::BindDevice {
                    host: cstring(&Path::new("/dev").join(device.name)),
                    path,
                }
            } else {
                MountStep::CharDevice {
                    path,
                    major: device.major,
                    minor: device.minor,
                    mode: device.mode,
                }
            });
        }
        for (link, target) in SYMLINKS {
            steps.push(MountStep::Symlink {
                target: cstring(Path::new(target)),
                link: at(&format!("/dev/{link}")),
            });
        }
        steps.extend([
            // 6. Pseudo-terminals: a private devpts instance, not the host's ptys.
            mkdir(&at("/dev/pts"), 0o755),
            mount_fs(
                "devpts",
                &at("/dev/pts"),
                MsFlags::MS_NOSUID | MsFlags::MS_NOEXEC,
                Some("newinstance,ptmxmode=0666,mode=0620,gid=5"),
            ),
            // 7. POSIX shared memory lives on a tmpfs at /dev/shm.
            mkdir(&at("/dev/shm"), 0o1777),
            mount_fs_named(
                "shm",
                "tmpfs",
                &at("/dev/shm"),
                PROC_FLAGS,
                Some("mode=1777,size=65536k"),
            ),
        ]);
        if namespaces.contains(Namespace::Ipc) {
            // 8. POSIX message queues of the container's own IPC namespace.
            steps.push(mkdir(&at("/dev/mqueue"), 0o755));
            steps.push(mount_fs("mqueue", &at("/dev/mqueue"), PROC_FLAGS, None));
        }
        // 9. Finally make it `/`.
        steps.push(MountStep::PivotRoot {
            new_root: cstring(rootfs),
        });
        RootfsPlan {
            rootfs: rootfs.to_path_buf(),
            steps,
        }
    }
    // ANCHOR_END: plan

    /// The steps as [`ChildStep`]s for the child's plan.
    pub fn into_child_steps(self) -> Vec<Box<dyn ChildStep>> {
        self.into_child_steps_with(Vec::new())
    }

    /// The steps, with `source` (what makes the rootfs appear, such as an overlay mount)
    /// placed right after the first step, which makes mount propagation private.
    pub fn into_child_steps_with(self, source: Vec<Box<dyn ChildStep>>) -> Vec<Box<dyn ChildStep>> {
        self.into_child_steps_around(source, Vec::new())
    }

    /// Like [`Self::into_child_steps_with`], and `before_pivot` placed right before the last
    /// step, `pivot_root`: mounts inside the finished rootfs (volumes, a read-only root).
    pub fn into_child_steps_around(
        self,
        source: Vec<Box<dyn ChildStep>>,
        before_pivot: Vec<Box<dyn ChildStep>>,
    ) -> Vec<Box<dyn ChildStep>> {
        let mut steps = self.steps;
        let pivot = match steps.last() {
            Some(MountStep::PivotRoot { .. }) => steps.pop(),
            _ => None,
        };
        let mut steps = steps.into_iter();
        let mut all: Vec<Box<dyn ChildStep>> = Vec::new();
        if let Some(first) = steps.next() {
            debug_assert_eq!(first, MountStep::MakePrivate);
            all.push(Box::new(first));
        }
        all.extend(source);
        all.extend(steps.map(|step| Box::new(step) as Box<dyn ChildStep>));
        all.extend(before_pivot);
        all.extend(pivot.map(|step| Box::new(step) as Box<dyn ChildStep>));
        all
    }
}

fn mount(
    source: &Path,
    target: &Path,
    fstype: Option<&str>,
    flags: MsFlags,
    data: Option<&str>,
) -> MountStep {
    MountStep::Mount {
        source: cstring(source),
        target: cstring(target),
        fstype: fstype.map(|t| cstring(Path::new(t))),
        flags,
        data: data.map(|d| cstring(Path::new(d))),
    }
}

/// A filesystem whose source name is its type (`proc`, `sysfs`, ...).
fn mount_fs(fstype: &str, target: &CString, flags: MsFlags, data: Option<&str>) -> MountStep {
    mount_fs_named(fstype, fstype, target, flags, data)
}

fn mount_fs_named(
    source: &str,
    fstype: &str,
    target: &CString,
    flags: MsFlags,
    data: Option<&str>,
) -> MountStep {
    MountStep::Mount {
        source: cstring(Path::new(source)),
        target: target.clone(),
        fstype: Some(cstring(Path::new(fstype))),
        flags,
        data: data.map(|d| cstring(Path::new(d))),
    }
}

fn mkdir(path: &CString, mode: u32) -> MountStep {
    MountStep::Mkdir {
        path: path.clone(),
        mode,
    }
}

impl ChildStep for MountStep {
    fn run(&self) -> Result<(), Errno> {
        match self {
            MountStep::MakePrivate => nix::mount::mount(
                None::<&str>,
                "/",
                None::<&str>,
                MsFlags::MS_REC | MsFlags::MS_PRIVATE,
                None::<&str>,
            ),
            MountStep::Mount {
                source,
                target,
                fstype,
                flags,
                data,
            } => nix::mount::mount(
                Some(source.as_c_str()),
                target.as_c_str(),
                fstype.as_deref(),
                *flags,
                data.as_deref(),
            ),
            MountStep::Mkdir { path, mode } => {
                match nix::unistd::mkdir(path.as_c_str(), Mode::from_bits_truncate(*mode)) {
                    Ok(()) | Err(Errno::EEXIST) => Ok(()),
                    Err(errno) => Err(errno),
                }
            }
            MountStep::CharDevice {
                path,
                major,
                minor,
                mode,
            } => {
                let mode = Mode::from_bits_truncate(*mode);
                let device = nix::sys::stat::makedev(*major, *minor);
                nix::sys::stat::mknod(path.as_c_str(), SFlag::S_IFCHR, mode, device)?;
                nix::sys::stat::fchmodat(
                    nix::fcntl::AT_FDCWD,
                    path.as_c_str(),
                    mode,
                    nix::sys::stat::FchmodatFlags::FollowSymlink,
                )
            }
            MountStep::BindDevice { host, path } => {
                // A bind mount needs something to mount over: an empty file.
                let fd = nix::fcntl::open(
                    path.as_c_str(),
                    nix::fcntl::OFlag::O_CREAT | nix::fcntl::OFlag::O_CLOEXEC,
                    Mode::from_bits_truncate(0o644),
                )?;
                drop(fd);
                nix::mount::mount(
                    Some(host.as_c_str()),
                    path.as_c_str(),
                    None::<&str>,
                    MsFlags::MS_BIND,
                    None::<&str>,
                )
            }
            MountStep::Symlink { target, link } => {
                nix::unistd::symlinkat(target.as_c_str(), nix::fcntl::AT_FDCWD, link.as_c_str())
            }
            MountStep::PivotRoot { new_root } => pivot_into(new_root),
        }
    }
}

impl fmt::Display for MountStep {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = |c: &CString| c.to_string_lossy().into_owned();
        match self {
            MountStep::MakePrivate => f.write_str("mount --make-rprivate /"),
            MountStep::Mount {
                source,
                target,
                fstype,
                flags,
                data,
            } => {
                f.write_str("mount")?;
                if flags.contains(MsFlags::MS_BIND) {
                    let bind = if flags.contains(MsFlags::MS_REC) {
                        "--rbind"
                    } else {
                        "--bind"
                    };
                    write!(f, " {bind}")?;
                }
                if let Some(fstype) = fstype {
                    write!(f, " -t {}", s(fstype))?;
                }
                let mut options = flag_names(*flags);
                if let Some(data) = data {
                    options.push(s(data));
                }
                if !options.is_empty() {
                    write!(f, " -o {}", options.join(","))?;
                }
                write!(f, " {} {}", s(source), s(target))
            }
            MountStep::Mkdir { path, mode } => write!(f, "mkdir -p -m {mode:04o} {}", s(path)),
            MountStep::CharDevice {
                path,
                major,
                minor,
                mode,
            } => write!(f, "mknod -m {mode:04o} {} c {major} {minor}", s(path)),
            MountStep::BindDevice { host, path } => {
                write!(f, "touch {0} && mount --bind {1} {0}", s(path), s(host))
            }
            MountStep::Symlink { target, link } => write!(f, "ln -s {} {}", s(target), s(link)),
            MountStep::PivotRoot { new_root } => write!(
                f,
                "cd {} && pivot_root . . && umount -l . && cd /",
                s(new_root)
            ),
        }
    }
}

/// mount(8) option names for the flags that are not the kind of mount (bind, rec).
fn flag_names(flags: MsFlags) -> Vec<String> {
    [
        (MsFlags::MS_RDONLY, "ro"),
        (MsFlags::MS_NOSUID, "nosuid"),
        (MsFlags::MS_NODEV, "nodev"),
        (MsFlags::MS_NOEXEC, "noexec"),
        (MsFlags::MS_STRICTATIME, "strictatime"),
    ]
    .into_iter()
    .filter(|(flag, _)| flags.contains(*flag))
    .map(|(_, name)| name.to_owned())
    .collect()
}
