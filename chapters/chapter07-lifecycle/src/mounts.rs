//! `-v/--volume`, `--tmpfs` and `--read-only`: what the user asks for, how it becomes host
//! paths, and the child's steps that mount it all into the rootfs.
//!
//! Three stages, from pure to system calls:
//!
//! 1. **Parse** ([`MountSpec::parse_volume`], [`MountSpec::parse_tmpfs`], [`parse_mounts`]):
//!    strings to plain data, with docker's rules and error texts. `-v /host:/ctr[:ro|rw]` is a
//!    bind mount (the source is absolute), `-v name:/ctr[:ro|rw]` a named volume, `-v /ctr` an
//!    anonymous volume; `--tmpfs /ctr[:options]` a tmpfs. The mode is only `ro` or `rw`.
//! 2. **Prepare** ([`prepare_sources`], in the engine, before the container starts): create
//!    what the sources need — a named volume that does not exist yet, an anonymous volume (its
//!    new name is written back into the spec, so a restart reuses it), and, like `docker run -v`,
//!    a bind source directory that is missing (`mkdir -p`, mode 0755; `--mount` would refuse
//!    instead). The result is a list of [`ResolvedMount`]s: host sources and ready mount flags.
//! 3. **Mount** ([`mount_steps`], in the container's child, after the rootfs, `/proc` and `/dev`
//!    are mounted and before `pivot_root`): one [`MountInRoot`] step per mount.
//!
//! ## Resolving the destination inside the rootfs
//!
//! The destination is a path *in the container*, and the image decides what its components
//! are. If `/data` in the image is a symlink to `/etc`, a plain `mount(src, "<rootfs>/data")`
//! follows the link on the host and covers the host's `/etc` — the class of bug behind several
//! runc CVEs (CVE-2021-30465 swapped a symlink while runc was mounting). So the child never
//! hands the kernel a string path into the rootfs. It opens the rootfs directory and resolves
//! each leading part of the destination with `openat2(2)` and
//! - `RESOLVE_IN_ROOT`: every symlink (absolute or `..`) is resolved as if the rootfs were `/`,
//!   so `/data -> /etc` lands on `<rootfs>/etc`; nothing can lead out;
//! - `RESOLVE_NO_MAGICLINKS`: `/proc/self/root` and friends are not symlinks but handles on
//!   other places; with the container's `/proc` already mounted, `data -> /proc/self/root/etc`
//!   would jump to the host's root. Today's kernels already refuse that jump under
//!   `RESOLVE_IN_ROOT` (`EXDEV`), but openat2(2) warns this may change and asks callers who rely
//!   on it to say so; with the flag, any magic link is refused (`ELOOP`).
//!
//! A missing directory is made with `mkdirat(2)` in its already resolved parent (a missing file,
//! for a file bind, with `openat(O_CREAT|O_EXCL)`), which never follows a link. The final
//! `O_PATH` descriptor is what gets mounted on, by its name `/proc/self/fd/N`: the kernel mounts
//! on exactly the directory the descriptor holds, whatever happens to the path meanwhile.
//!
//! ## Read-only
//!
//! `MS_RDONLY` on a new bind mount is ignored: a bind mount's flags can only be changed by a
//! second call, `MS_BIND | MS_REMOUNT | MS_RDONLY` (see mount(2), "Creating a bind mount"). The
//! remount also replaces `nosuid`, `nodev`, `noexec` and the atime flags, so we pass the ones the
//! mount has (read with `fstatfs(2)`): dropping them would weaken the mount, and in a user
//! namespace the kernel refuses (`EPERM`) to clear flags that are locked.
//!
//! The read-only remounts run after *all* mounts, so `-v a:/data:ro -v b:/data/sub` can still
//! create `sub` in `a`. `--read-only` is last: a remount of the rootfs bind itself. A bind
//! remount changes that one mount and none below it — mount(2) has no recursive form of it
//! (`MS_REC` is ignored; that takes mount_setattr(2) with `AT_RECURSIVE`) — so `/proc`, `/dev`,
//! `/dev/shm`, the volumes and tmpfs mounted below keep their own flags: the container can
//! still write to its volumes, as in docker.
//!
//! Propagation is docker's default, `rprivate`, without asking: the rootfs plan made every
//! mount of the namespace private first, and a bind mount made on a private mount is private.
//!
//! ## Left out on purpose
//! `--mount` (the long syntax), `--volumes-from`, modes other than `ro`/`rw` (SELinux `z`/`Z`,
//! propagation, `nocopy`), recursive read-only (`ro` makes the top mount read-only, not mounts
//! under a bind source), and docker's copy of the image's files into an empty new volume.

use std::ffi::{CStr, CString};
use std::fmt;
use std::io::Write as _;
use std::os::fd::{AsRawFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::DirBuilderExt;
use std::path::{Path, PathBuf};

use chapter03::chapter01::{ChildStep, ContainerError};
use nix::errno::Errno;
use nix::fcntl::{OFlag, OpenHow, ResolveFlag};
use nix::mount::MsFlags;
use nix::sys::stat::Mode;
use nix::sys::statvfs::FsFlags;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::volumes::{validate_name, VolumeStore};

// ---------------------------------------------------------------------------------------------
// Parsing: plain data
// ---------------------------------------------------------------------------------------------

/// One `-v` or `--tmpfs`, as asked for. Destinations are absolute and lexically clean.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum MountSpec {
    /// `-v /host/path:/ctr/path[:ro]`.
    Bind {
        source: String,
        destination: String,
        read_only: bool,
    },
    /// `-v name:/ctr/path[:ro]`, or `-v /ctr/path` (anonymous: the name stays empty until
    /// [`prepare_sources`] creates the volume).
    Volume {
        name: String,
        anonymous: bool,
        destination: String,
        read_only: bool,
    },
    /// `--tmpfs /ctr/path[:options]`; `options` as the user wrote them.
    Tmpfs {
        destination: String,
        options: String,
    },
}

impl MountSpec {
    /// The volume this mount uses, if it is a volume.
    pub fn volume_name(&self) -> Option<&str> {
        match self {
            MountSpec::Volume { name, .. } if !name.is_empty() => Some(name),
            _ => None,
        }
    }

    /// The anonymous volume this mount made (what `rm -v` removes).
    pub fn anonymous_volume(&self) -> Option<&str> {
        match self {
            MountSpec::Volume {
                name,
                anonymous: true,
                ..
            } if !name.is_empty() => Some(name),
            _ => None,
        }
    }

    // ANCHOR: parse_volume
    /// Parses a `-v` argument the way docker's daemon does.
    pub fn parse_volume(spec: &str) -> Result<Self, ContainerError> {
        let invalid_spec =
            || ContainerError::Invalid(format!("invalid volume specification: '{spec}'"));
        if spec.is_empty() || spec.starts_with(':') {
            return Err(invalid_spec());
        }
        let parts: Vec<&str> = spec.splitn(4, ':').collect();
        let (source, destination, mode) = match parts.as_slice() {
            [destination] => ("", *destination, ""),
            // `/data:ro` would be an anonymous volume with a mode: docker refuses it.
            [_, mode] if is_valid_mode(mode) => return Err(invalid_spec()),
            [source, destination] => (*source, *destination, ""),
            [source, destination, mode] => (*source, *destination, *mode),
            _ => return Err(invalid_spec()),
        };
        if !is_valid_mode(mode) {
            return Err(ContainerError::Invalid(format!("invalid mode: {mode}")));
        }
        let read_only = mode == "ro";
        let kind = if source.starts_with('/') {
            "bind"
        } else {
            "volume"
        };
        let destination = validate_destination(destination).map_err(|reason| {
            ContainerError::Invalid(format!(
                "invalid volume specification: '{spec}': invalid mount config for type \
                 \"{kind}\": {reason}"
            ))
        })?;
        Ok(if kind == "bind" {
            MountSpec::Bind {
                source: clean_absolute(source),
                destination,
                read_only,
            }
        } else if source.is_empty() {
            MountSpec::Volume {
                name: String::new(),
                anonymous: true,
                destination,
                read_only,
            }
        } else {
            validate_name(source)?;
            MountSpec::Volume {
                name: source.to_owned(),
                anonymous: false,
                destination,
                read_only,
            }
        })
    }
    // ANCHOR_END: parse_volume

    /// Parses a `--tmpfs` argument: `/ctr/path` or `/ctr/path:options`.
    pub fn parse_tmpfs(spec: &str) -> Result<Self, ContainerError> {
        let (destination, options) = spec.split_once(':').unwrap_or((spec, ""));
        let destination = validate_destination(destination).map_err(ContainerError::Invalid)?;
        // Checked now, used when the container starts.
        tmpfs_options(options)?;
        Ok(MountSpec::Tmpfs {
            destination,
            options: options.to_owned(),
        })
    }

    /// Where the mount appears in the container.
    pub fn destination(&self) -> &str {
        match self {
            MountSpec::Bind { destination, .. }
            | MountSpec::Volume { destination, .. }
            | MountSpec::Tmpfs { destination, .. } => destination,
        }
    }
}

/// Parses all `-v` and `--tmpfs` arguments and checks that no destination is used twice.
pub fn parse_mounts(
    volumes: &[String],
    tmpfs: &[String],
) -> Result<Vec<MountSpec>, ContainerError> {
    let mut specs = Vec::with_capacity(volumes.len() + tmpfs.len());
    for spec in volumes {
        specs.push(MountSpec::parse_volume(spec)?);
    }
    for spec in tmpfs {
        specs.push(MountSpec::parse_tmpfs(spec)?);
    }
    check_unique_destinations(&specs)?;
    Ok(specs)
}

/// Two mounts at one place: the second would hide the first, so docker refuses.
pub fn check_unique_destinations(specs: &[MountSpec]) -> Result<(), ContainerError> {
    for (index, spec) in specs.iter().enumerate() {
        if specs[..index]
            .iter()
            .any(|earlier| earlier.destination() == spec.destination())
        {
            return Err(ContainerError::Invalid(format!(
                "Duplicate mount point: {}",
                spec.destination()
            )));
        }
    }
    Ok(())
}

fn is_valid_mode(mode: &str) -> bool {
    matches!(mode, "" | "ro" | "rw")
}

/// Docker's checks on a container path, in docker's order; returns the cleaned path.
fn validate_destination(destination: &str) -> Result<String, String> {
    if destination.is_empty() {
        return Err("field Target must not be empty".into());
    }
    if !destination.starts_with('/') {
        // Docker looks for `/` first; a relative path never cleans to `/`, so the order of
        // the two checks changes no message.
        return Err(format!(
            "invalid mount path: '{destination}' mount path must be absolute"
        ));
    }
    let clean = clean_absolute(destination);
    if clean == "/" {
        return Err("invalid specification: destination can't be '/'".into());
    }
    Ok(clean)
}

/// Lexically cleans an absolute path like Go's `path.Clean`: no empty or `.` parts, `..`
/// removes the part before it and stops at `/`. Looks at no file.
fn clean_absolute(path: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            part => parts.push(part),
        }
    }
    format!("/{}", parts.join("/"))
}

// ---------------------------------------------------------------------------------------------
// tmpfs options
// ---------------------------------------------------------------------------------------------

/// Docker's options for every `--tmpfs`, before the user's: a scratch space that runs nothing.
pub const DEFAULT_TMPFS_OPTIONS: [&str; 3] = ["noexec", "nosuid", "nodev"];

/// An option that is a mount flag: `set` turns it on, otherwise it turns it off.
struct FlagOption {
    name: &'static str,
    set: bool,
    flag: MsFlags,
}

const fn flag(name: &'static str, set: bool, flag: MsFlags) -> FlagOption {
    FlagOption { name, set, flag }
}

/// mount(8)'s flag options; pairs such as `ro`/`rw` act on the same flag.
const FLAG_OPTIONS: [FlagOption; 21] = [
    flag("ro", true, MsFlags::MS_RDONLY),
    flag("rw", false, MsFlags::MS_RDONLY),
    flag("nosuid", true, MsFlags::MS_NOSUID),
    flag("suid", false, MsFlags::MS_NOSUID),
    flag("nodev", true, MsFlags::MS_NODEV),
    flag("dev", false, MsFlags::MS_NODEV),
    flag("noexec", true, MsFlags::MS_NOEXEC),
    flag("exec", false, MsFlags::MS_NOEXEC),
    flag("sync", true, MsFlags::MS_SYNCHRONOUS),
    flag("async", false, MsFlags::MS_SYNCHRONOUS),
    flag("dirsync", true, MsFlags::MS_DIRSYNC),
    flag("mand", true, MsFlags::MS_MANDLOCK),
    flag("nomand", false, MsFlags::MS_MANDLOCK),
    flag("noatime", true, MsFlags::MS_NOATIME),
    flag("atime", false, MsFlags::MS_NOATIME),
    flag("nodiratime", true, MsFlags::MS_NODIRATIME),
    flag("diratime", false, MsFlags::MS_NODIRATIME),
    flag("relatime", true, MsFlags::MS_RELATIME),
    flag("norelatime", false, MsFlags::MS_RELATIME),
    flag("strictatime", true, MsFlags::MS_STRICTATIME),
    flag("nostrictatime", false, MsFlags::MS_STRICTATIME),
];

/// Options that are passed to tmpfs itself, as `key=value` (see tmpfs(5)).
const TMPFS_DATA_KEYS: [&str; 7] = [
    "size",
    "mode",
    "uid",
    "gid",
    "nr_inodes",
    "nr_blocks",
    "mpol",
];

/// A tmpfs's options, split the way mount(2) wants them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TmpfsOptions {
    pub flags: MsFlags,
    /// The filesystem's own options: `size=64m,mode=1777`.
    pub data: String,
    /// All options after merging, as mount(8) would take them (for printing).
    pub text: String,
}

// ANCHOR: tmpfs_options
/// Docker's defaults followed by the user's options, merged so that the last word on each
/// flag or key wins (`exec` undoes the default `noexec`; a second `size=` replaces the first),
/// then split into mount flags and tmpfs data.
pub fn tmpfs_options(user: &str) -> Result<TmpfsOptions, ContainerError> {
    let mut options: Vec<&str> = DEFAULT_TMPFS_OPTIONS.to_vec();
    if !user.is_empty() {
        options.extend(user.split(','));
    }
    let merged = merge_options(&options)?;
    let mut flags = MsFlags::empty();
    let mut data = Vec::new();
    for option in &merged {
        match FLAG_OPTIONS.iter().find(|known| known.name == *option) {
            Some(known) => flags.set(known.flag, known.set),
            None => data.push(*option),
        }
    }
    Ok(TmpfsOptions {
        flags,
        data: data.join(","),
        text: merged.join(","),
    })
}
// ANCHOR_END: tmpfs_options

/// Keeps the last occurrence of each flag (both words of a pair count as one) and of each
/// `key=`, in their order. Unknown options are an error, in docker's words.
fn merge_options<'a>(options: &[&'a str]) -> Result<Vec<&'a str>, ContainerError> {
    let mut seen_flags = MsFlags::empty();
    let mut seen_keys: Vec<&str> = Vec::new();
    let mut merged = Vec::new();
    for &option in options.iter().rev() {
        if option == "defaults" {
            continue;
        }
        if let Some(known) = FLAG_OPTIONS.iter().find(|known| known.name == option) {
            if !seen_flags.contains(known.flag) {
                seen_flags.insert(known.flag);
                merged.push(option);
            }
            continue;
        }
        let key = match option.split_once('=') {
            Some((key, _)) if TMPFS_DATA_KEYS.contains(&key) => key,
            _ => return Err(invalid_tmpfs_option(option)),
        };
        if !seen_keys.contains(&key) {
            seen_keys.push(key);
            merged.push(option);
        }
    }
    merged.reverse();
    Ok(merged)
}

/// Docker prints the option split at `=`, as a Go list of quoted strings: `["foo" "1"]`.
fn invalid_tmpfs_option(option: &str) -> ContainerError {
    let parts: Vec<String> = option
        .splitn(2, '=')
        .map(|part| format!("{part:?}"))
        .collect();
    ContainerError::Invalid(format!("Invalid tmpfs option [{}]", parts.join(" ")))
}

// ---------------------------------------------------------------------------------------------
// inspect
// ---------------------------------------------------------------------------------------------

// ANCHOR: inspect
/// The `Mounts` array of `docker inspect`.
///
/// Docker's details: a bind mount shows the mode as given and `rprivate` propagation; a named
/// volume without a mode shows `z` (docker's default SELinux relabel mode for volumes), an
/// anonymous one shows none; volumes have no propagation. Docker lists `--tmpfs` mounts only
/// under `HostConfig.Tmpfs` ([`inspect_tmpfs`]); they are included here too, in the shape docker
/// uses for `--mount type=tmpfs`, so that `Mounts` is the complete list.
pub fn inspect_mounts(specs: &[MountSpec], store: &VolumeStore) -> Value {
    let entries = specs.iter().map(|spec| match spec {
        MountSpec::Bind {
            source,
            destination,
            read_only,
        } => json!({
            "Type": "bind",
            "Source": source,
            "Destination": destination,
            "Mode": if *read_only { "ro" } else { "" },
            "RW": !read_only,
            "Propagation": "rprivate",
        }),
        MountSpec::Volume {
            name,
            anonymous,
            destination,
            read_only,
        } => {
            let mode = match (read_only, anonymous) {
                (true, _) => "ro",
                (false, true) => "",
                (false, false) => "z",
            };
            // Not yet created (an anonymous volume before `prepare_sources`): no source yet.
            let source = if name.is_empty() {
                String::new()
            } else {
                store.data_path(name).display().to_string()
            };
            json!({
                "Type": "volume",
                "Name": name,
                "Source": source,
                "Destination": destination,
                "Driver": "local",
                "Mode": mode,
                "RW": !read_only,
                "Propagation": "",
            })
        }
        MountSpec::Tmpfs {
            destination,
            options,
        } => {
            let read_only = tmpfs_options(options)
                .map(|parsed| parsed.flags.contains(MsFlags::MS_RDONLY))
                .unwrap_or(false);
            json!({
                "Type": "tmpfs",
                "Source": "",
                "Destination": destination,
                "Mode": "",
                "RW": !read_only,
                "Propagation": "",
            })
        }
    });
    Value::Array(entries.collect())
}
// ANCHOR_END: inspect

/// `HostConfig.Tmpfs` of `docker inspect`: destination → options as given; `null` if none.
pub fn inspect_tmpfs(specs: &[MountSpec]) -> Value {
    let tmpfs: serde_json::Map<String, Value> = specs
        .iter()
        .filter_map(|spec| match spec {
            MountSpec::Tmpfs {
                destination,
                options,
            } => Some((destination.clone(), Value::from(options.as_str()))),
            _ => None,
        })
        .collect();
    if tmpfs.is_empty() {
        Value::Null
    } else {
        Value::Object(tmpfs)
    }
}

// ---------------------------------------------------------------------------------------------
// Preparing the sources (engine side)
// ---------------------------------------------------------------------------------------------

/// A mount with its host side settled: what the child needs, and nothing to look up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ResolvedMount {
    /// A bind mount of a host path — a `-v` bind, or a volume's `_data`.
    Bind {
        source: PathBuf,
        destination: String,
        read_only: bool,
        /// A file (or socket, device) is mounted on a file, a directory on a directory.
        source_is_file: bool,
    },
    Tmpfs {
        destination: String,
        options: TmpfsOptions,
    },
}

impl ResolvedMount {
    pub fn destination(&self) -> &str {
        match self {
            ResolvedMount::Bind { destination, .. } | ResolvedMount::Tmpfs { destination, .. } => {
                destination
            }
        }
    }
}

// ANCHOR: prepare
/// Creates what the mounts' sources need and returns them resolved, in the order given.
///
/// Named volumes are created if missing; an anonymous volume is created once and its name
/// written into `specs`, so that the caller stores it and a restart mounts the same volume. A
/// missing bind source directory is created (`mkdir -p`, mode 0755), as `docker run -v` does.
pub fn prepare_sources(
    specs: &mut [MountSpec],
    store: &VolumeStore,
) -> Result<Vec<ResolvedMount>, ContainerError> {
    check_unique_destinations(specs)?;
    specs.iter_mut().map(|spec| prepare(spec, store)).collect()
}
// ANCHOR_END: prepare

fn prepare(spec: &mut MountSpec, store: &VolumeStore) -> Result<ResolvedMount, ContainerError> {
    match spec {
        MountSpec::Bind {
            source,
            destination,
            read_only,
        } => {
            let path = PathBuf::from(source.as_str());
            let stat = |path: &Path| std::fs::metadata(path);
            let metadata = match stat(&path) {
                Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                    std::fs::DirBuilder::new()
                        .recursive(true)
                        .mode(0o755)
                        .create(&path)
                        .map_err(|e| ContainerError::io(format!("create {}", path.display()), e))?;
                    stat(&path)
                }
                other => other,
            }
            .map_err(|e| ContainerError::io(format!("stat {}", path.display()), e))?;
            Ok(ResolvedMount::Bind {
                source: path,
                destination: destination.clone(),
                read_only: *read_only,
                source_is_file: !metadata.is_dir(),
            })
        }
        MountSpec::Volume {
            name,
            destination,
            read_only,
            ..
        } => {
            let volume = if name.is_empty() {
                store.create(None)?
            } else {
                store.create(Some(name))?
            };
            *name = volume.name;
            Ok(ResolvedMount::Bind {
                source: volume.mountpoint,
                destination: destination.clone(),
                read_only: *read_only,
                source_is_file: false,
            })
        }
        MountSpec::Tmpfs {
            destination,
            options,
        } => Ok(ResolvedMount::Tmpfs {
            destination: destination.clone(),
            options: tmpfs_options(options)?,
        }),
    }
}

// ---------------------------------------------------------------------------------------------
// Mounting (child side)
// ---------------------------------------------------------------------------------------------

/// What a missing mount target is made as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TargetKind {
    Directory,
    File,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Action {
    Bind {
        source: CString,
        target: TargetKind,
    },
    Tmpfs {
        flags: MsFlags,
        data: CString,
        text: String,
    },
    RemountReadOnly,
}

/// One mount at a path inside the rootfs, resolved safely when it runs (see the module docs).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MountInRoot {
    rootfs: CString,
    /// `a`, `a/b`, `a/b/c` for `/a/b/c`: each leading part, relative to the rootfs. Empty for
    /// the rootfs itself.
    prefixes: Vec<CString>,
    /// `a`, `b`, `c`: the last name of each prefix.
    names: Vec<CString>,
    action: Action,
    /// The target as a host path, for printing only.
    shown_target: PathBuf,
}

// ANCHOR: mount_steps
/// The child's mount steps: every mount, parents before children (`/data` before
/// `/data/sub`), then the read-only remounts, then the rootfs read-only if `read_only_root`.
pub fn mount_steps(
    rootfs: &Path,
    mounts: &[ResolvedMount],
    read_only_root: bool,
) -> Result<Vec<Box<dyn ChildStep>>, ContainerError> {
    let plan = mount_plan(rootfs, mounts, read_only_root)?;
    Ok(plan
        .into_iter()
        .map(|step| Box::new(step) as Box<dyn ChildStep>)
        .collect())
}
// ANCHOR_END: mount_steps

/// [`mount_steps`] as plain data.
pub fn mount_plan(
    rootfs: &Path,
    mounts: &[ResolvedMount],
    read_only_root: bool,
) -> Result<Vec<MountInRoot>, ContainerError> {
    let mut ordered: Vec<&ResolvedMount> = mounts.iter().collect();
    // A stable sort by depth: a mount made after a deeper one would hide it.
    ordered.sort_by_key(|mount| {
        mount
            .destination()
            .split('/')
            .filter(|p| !p.is_empty())
            .count()
    });
    let mut plan = Vec::new();
    for mount in &ordered {
        let action = match mount {
            ResolvedMount::Bind {
                source,
                source_is_file,
                ..
            } => Action::Bind {
                source: c_string(source.as_os_str().as_bytes())?,
                target: if *source_is_file {
                    TargetKind::File
                } else {
                    TargetKind::Directory
                },
            },
            ResolvedMount::Tmpfs { options, .. } => Action::Tmpfs {
                flags: options.flags,
                data: c_string(options.data.as_bytes())?,
                text: options.text.clone(),
            },
        };
        plan.push(MountInRoot::new(rootfs, mount.destination(), action)?);
    }
    for mount in &ordered {
        if let ResolvedMount::Bind {
            read_only: true,
            destination,
            ..
        } = mount
        {
            plan.push(MountInRoot::new(
                rootfs,
                destination,
                Action::RemountReadOnly,
            )?);
        }
    }
    if read_only_root {
        plan.push(MountInRoot::new(rootfs, "/", Action::RemountReadOnly)?);
    }
    Ok(plan)
}

impl MountInRoot {
    fn new(rootfs: &Path, destination: &str, action: Action) -> Result<Self, ContainerError> {
        let names: Vec<&str> = destination.split('/').filter(|p| !p.is_empty()).collect();
        let mut prefixes = Vec::with_capacity(names.len());
        for end in 1..=names.len() {
            prefixes.push(c_string(names[..end].join("/").as_bytes())?);
        }
        let relative = names.join("/");
        Ok(MountInRoot {
            rootfs: c_string(rootfs.as_os_str().as_bytes())?,
            prefixes,
            names: names
                .iter()
                .map(|name| c_string(name.as_bytes()))
                .collect::<Result<_, _>>()?,
            action,
            shown_target: if relative.is_empty() {
                rootfs.to_path_buf()
            } else {
                rootfs.join(relative)
            },
        })
    }

    /// Opens the target inside the rootfs (see the module docs), creating missing parts when
    /// `create` says what the last one should be. Returns an `O_PATH` descriptor.
    fn open_target(&self, create: Option<TargetKind>) -> Result<OwnedFd, Errno> {
        let root = nix::fcntl::open(
            self.rootfs.as_c_str(),
            OFlag::O_PATH | OFlag::O_DIRECTORY | OFlag::O_CLOEXEC,
            Mode::empty(),
        )?;
        let mut current: Option<OwnedFd> = None;
        let count = self.names.len();
        for (index, (prefix, name)) in self.prefixes.iter().zip(&self.names).enumerate() {
            let last = index + 1 == count;
            let (kind, flags) = if last {
                (create, OFlag::empty())
            } else {
                (create.map(|_| TargetKind::Directory), OFlag::O_DIRECTORY)
            };
            let opened = match (open_in_root(&root, prefix, flags), kind) {
                (Err(Errno::ENOENT), Some(kind)) => {
                    // `current` is the parent, already resolved inside the rootfs; creating a
                    // single name in it never follows a symlink. Opening again by the whole
                    // prefix keeps the rule that every path is resolved from the rootfs.
                    create_in(current.as_ref().unwrap_or(&root), name, kind)?;
                    open_in_root(&root, prefix, flags)?
                }
                (result, _) => result?,
            };
            current = Some(opened);
        }
        Ok(current.unwrap_or(root))
    }
}

// ANCHOR: open_in_root
/// Opens `path` below `root` as if `root` were `/`, refusing magic links.
fn open_in_root(root: &OwnedFd, path: &CStr, flags: OFlag) -> Result<OwnedFd, Errno> {
    let how = OpenHow::new()
        .flags(flags | OFlag::O_PATH | OFlag::O_CLOEXEC)
        .resolve(ResolveFlag::RESOLVE_IN_ROOT | ResolveFlag::RESOLVE_NO_MAGICLINKS);
    // openat2(2): with RESOLVE_IN_ROOT, a `..` may fail with EAGAIN when a rename or mount
    // happened during the walk (the kernel cannot prove it stayed inside). Try again.
    let mut attempts = 0;
    loop {
        match nix::fcntl::openat2(root, path, how) {
            Err(Errno::EAGAIN) if attempts < 16 => attempts += 1,
            result => return result,
        }
    }
}
// ANCHOR_END: open_in_root

/// Makes `name` in the directory `parent`; content if it exists already.
fn create_in(parent: &OwnedFd, name: &CStr, kind: TargetKind) -> Result<(), Errno> {
    let created = match kind {
        TargetKind::Directory => {
            nix::sys::stat::mkdirat(parent, name, Mode::from_bits_truncate(0o755))
        }
        // O_EXCL: fail rather than open whatever is there, even a symlink.
        TargetKind::File => nix::fcntl::openat(
            parent,
            name,
            OFlag::O_CREAT | OFlag::O_EXCL | OFlag::O_WRONLY | OFlag::O_NOFOLLOW | OFlag::O_CLOEXEC,
            Mode::from_bits_truncate(0o644),
        )
        .map(drop),
    };
    match created {
        Ok(()) | Err(Errno::EEXIST) => Ok(()),
        Err(errno) => Err(errno),
    }
}

/// "/proc/self/fd/" and up to 10 digits and a NUL fit with room to spare.
const PROC_FD_PATH_LEN: usize = 32;

/// `mount(2)` with `target` given as the descriptor's `/proc/self/fd/N` name. This is still
/// the host's `/proc` (we have not pivoted yet), and `self` is this process in it.
fn mount_on_fd(
    source: Option<&CStr>,
    target: &OwnedFd,
    fstype: Option<&CStr>,
    flags: MsFlags,
    data: Option<&CStr>,
) -> Result<(), Errno> {
    let mut buffer = [0u8; PROC_FD_PATH_LEN];
    // Formatting an integer into a slice allocates nothing.
    write!(&mut buffer[..], "/proc/self/fd/{}\0", target.as_raw_fd())
        .map_err(|_| Errno::ENAMETOOLONG)?;
    let path = CStr::from_bytes_until_nul(&buffer).map_err(|_| Errno::ENAMETOOLONG)?;
    nix::mount::mount(source, path, fstype, flags, data)
}

/// Flags a bind remount must repeat so as not to clear them (the module docs say why).
const KEPT_FLAGS: [(FsFlags, MsFlags); 5] = [
    (FsFlags::ST_NOSUID, MsFlags::MS_NOSUID),
    (FsFlags::ST_NODEV, MsFlags::MS_NODEV),
    (FsFlags::ST_NOEXEC, MsFlags::MS_NOEXEC),
    (FsFlags::ST_NOATIME, MsFlags::MS_NOATIME),
    (FsFlags::ST_NODIRATIME, MsFlags::MS_NODIRATIME),
];

fn flags_to_keep(target: &OwnedFd) -> Result<MsFlags, Errno> {
    let current = nix::sys::statfs::fstatfs(target)?.flags();
    let mut kept = MsFlags::empty();
    for (has, keep) in KEPT_FLAGS {
        if current.contains(has) {
            kept |= keep;
        }
    }
    // Without an atime flag a remount means relatime; say which one the mount has.
    if current.contains(FsFlags::ST_RELATIME) {
        kept |= MsFlags::MS_RELATIME;
    } else if !current.contains(FsFlags::ST_NOATIME) {
        kept |= MsFlags::MS_STRICTATIME;
    }
    Ok(kept)
}

impl ChildStep for MountInRoot {
    fn run(&self) -> Result<(), Errno> {
        match &self.action {
            Action::Bind { source, target } => {
                let target = self.open_target(Some(*target))?;
                mount_on_fd(
                    Some(source.as_c_str()),
                    &target,
                    None,
                    MsFlags::MS_BIND | MsFlags::MS_REC,
                    None,
                )
            }
            Action::Tmpfs { flags, data, .. } => {
                let target = self.open_target(Some(TargetKind::Directory))?;
                mount_on_fd(Some(c"tmpfs"), &target, Some(c"tmpfs"), *flags, Some(data))
            }
            Action::RemountReadOnly => {
                // Opened again by path: the descriptor used for the mount still points at the
                // directory underneath, and a remount needs the new mount's root.
                let target = self.open_target(None)?;
                let flags = MsFlags::MS_BIND
                    | MsFlags::MS_REMOUNT
                    | MsFlags::MS_RDONLY
                    | flags_to_keep(&target)?;
                mount_on_fd(None, &target, None, flags, None)
            }
        }
    }
}

impl fmt::Display for MountInRoot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let target = self.shown_target.display();
        match &self.action {
            Action::Bind { source, .. } => {
                write!(f, "mount --rbind {} {target}", source.to_string_lossy())
            }
            Action::Tmpfs { text, .. } if text.is_empty() => {
                write!(f, "mount -t tmpfs tmpfs {target}")
            }
            Action::Tmpfs { text, .. } => write!(f, "mount -t tmpfs -o {text} tmpfs {target}"),
            Action::RemountReadOnly => write!(f, "mount -o remount,bind,ro {target}"),
        }
    }
}

fn c_string(bytes: &[u8]) -> Result<CString, ContainerError> {
    CString::new(bytes).map_err(|_| {
        ContainerError::Invalid(format!(
            "mount path contains a NUL byte: {}",
            String::from_utf8_lossy(bytes)
        ))
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use std::fs;

    fn volume(spec: &str) -> MountSpec {
        MountSpec::parse_volume(spec).unwrap()
    }

    fn volume_error(spec: &str) -> String {
        MountSpec::parse_volume(spec).unwrap_err().to_string()
    }

    fn bind(source: &str, destination: &str, read_only: bool) -> MountSpec {
        MountSpec::Bind {
            source: source.into(),
            destination: destination.into(),
            read_only,
        }
    }

    #[test]
    fn good_volume_specs() {
        let named = |name: &str, destination: &str, read_only| MountSpec::Volume {
            name: name.into(),
            anonymous: false,
            destination: destination.into(),
            read_only,
        };
        let table = [
            (
                "/srv/www:/usr/share/html",
                bind("/srv/www", "/usr/share/html", false),
            ),
            ("/srv/www:/data:ro", bind("/srv/www", "/data", true)),
            ("/srv/www:/data:rw", bind("/srv/www", "/data", false)),
            (
                "/srv//x/../www/:/data/./y/:ro",
                bind("/srv/www", "/data/y", true),
            ),
            ("/:/host", bind("/", "/host", false)),
            (
                "pgdata:/var/lib/postgresql",
                named("pgdata", "/var/lib/postgresql", false),
            ),
            ("cache-1.x:/cache:ro", named("cache-1.x", "/cache", true)),
            (
                "/data",
                MountSpec::Volume {
                    name: String::new(),
                    anonymous: true,
                    destination: "/data".into(),
                    read_only: false,
                },
            ),
        ];
        for (spec, expected) in table {
            assert_eq!(volume(spec), expected, "{spec}");
        }
    }

    #[test]
    fn bad_volume_specs_fail_with_dockers_words() {
        let name_error = |name: &str| {
            format!(
                "create {name}: \"{name}\" includes invalid characters for a local volume name, \
                 only \"[a-zA-Z0-9][a-zA-Z0-9_.-]\" are allowed. If you intended to pass a host \
                 directory, use absolute path"
            )
        };
        let table = [
            ("", "invalid volume specification: ''".to_owned()),
            (":/data", "invalid volume specification: ':/data'".into()),
            (
                "/a:/b:ro:x",
                "invalid volume specification: '/a:/b:ro:x'".into(),
            ),
            (
                "/data:ro",
                "invalid volume specification: '/data:ro'".into(),
            ),
            ("/data:", "invalid volume specification: '/data:'".into()),
            ("/a:/b:z", "invalid mode: z".into()),
            ("/a:/b:ro,rw", "invalid mode: ro,rw".into()),
            (
                "/srv:data",
                "invalid volume specification: '/srv:data': invalid mount config for type \
                 \"bind\": invalid mount path: 'data' mount path must be absolute"
                    .into(),
            ),
            (
                "vol:/",
                "invalid volume specification: 'vol:/': invalid mount config for type \
                 \"volume\": invalid specification: destination can't be '/'"
                    .into(),
            ),
            (
                "/srv:/x/..",
                "invalid volume specification: '/srv:/x/..': invalid mount config for type \
                 \"bind\": invalid specification: destination can't be '/'"
                    .into(),
            ),
            (
                "/srv::ro",
                "invalid volume specification: '/srv::ro': invalid mount config for type \
                 \"bind\": field Target must not be empty"
                    .into(),
            ),
            (
                "data",
                "invalid volume specification: 'data': invalid mount config for type \
                 \"volume\": invalid mount path: 'data' mount path must be absolute"
                    .into(),
            ),
            ("./src:/src", name_error("./src")),
            ("my vol:/x", name_error("my vol")),
            ("v:/x", name_error("v")),
        ];
        for (spec, expected) in table {
            assert_eq!(volume_error(spec), expected, "{spec}");
        }
    }

    #[test]
    fn tmpfs_specs() {
        assert_eq!(
            MountSpec::parse_tmpfs("/run").unwrap(),
            MountSpec::Tmpfs {
                destination: "/run".into(),
                options: String::new()
            }
        );
        assert_eq!(
            MountSpec::parse_tmpfs("/run/:size=64m,mode=1777").unwrap(),
            MountSpec::Tmpfs {
                destination: "/run".into(),
                options: "size=64m,mode=1777".into()
            }
        );
        let error = |spec: &str| MountSpec::parse_tmpfs(spec).unwrap_err().to_string();
        assert_eq!(
            error("/"),
            "invalid specification: destination can't be '/'"
        );
        assert_eq!(
            error("run"),
            "invalid mount path: 'run' mount path must be absolute"
        );
        assert_eq!(error(":size=1m"), "field Target must not be empty");
        assert_eq!(error("/x:foo"), "Invalid tmpfs option [\"foo\"]");
        assert_eq!(error("/x:bar=1"), "Invalid tmpfs option [\"bar\" \"1\"]");
        assert_eq!(error("/x:size=1m,"), "Invalid tmpfs option [\"\"]");
    }

    #[test]
    fn tmpfs_options_merge_over_dockers_defaults() {
        let defaults = MsFlags::MS_NOEXEC | MsFlags::MS_NOSUID | MsFlags::MS_NODEV;
        let options = tmpfs_options("").unwrap();
        assert_eq!(options.flags, defaults);
        assert_eq!(options.data, "");
        assert_eq!(options.text, "noexec,nosuid,nodev");

        let options = tmpfs_options("size=64m,mode=1777").unwrap();
        assert_eq!(options.flags, defaults);
        assert_eq!(options.data, "size=64m,mode=1777");
        assert_eq!(options.text, "noexec,nosuid,nodev,size=64m,mode=1777");

        // `exec` undoes the default `noexec`; the last `size` and the last of ro/rw win.
        let options = tmpfs_options("exec,size=1m,ro,size=2m,rw,ro").unwrap();
        assert_eq!(
            options.flags,
            MsFlags::MS_NOSUID | MsFlags::MS_NODEV | MsFlags::MS_RDONLY
        );
        assert_eq!(options.data, "size=2m");
        assert_eq!(options.text, "nosuid,nodev,exec,size=2m,ro");
    }

    #[test]
    fn a_destination_may_be_used_once() {
        let strings = |items: &[&str]| items.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let error = parse_mounts(&strings(&["/a:/data", "vol:/data/"]), &[]).unwrap_err();
        assert_eq!(error.to_string(), "Duplicate mount point: /data");
        let error = parse_mounts(&strings(&["/cache"]), &strings(&["/cache:size=1m"])).unwrap_err();
        assert_eq!(error.to_string(), "Duplicate mount point: /cache");
        let specs = parse_mounts(&strings(&["/a:/data", "/b:/data/sub"]), &strings(&["/run"]));
        assert_eq!(specs.unwrap().len(), 3);
    }

    #[test]
    fn specs_round_trip_through_json() {
        let specs = vec![
            volume("/srv:/data:ro"),
            volume("/anon"),
            MountSpec::parse_tmpfs("/run:size=1m").unwrap(),
        ];
        let text = serde_json::to_string(&specs).unwrap();
        let back: Vec<MountSpec> = serde_json::from_str(&text).unwrap();
        assert_eq!(back, specs);
    }

    #[test]
    fn inspect_mounts_has_dockers_shape() {
        let state = tempfile::tempdir().unwrap();
        let store = VolumeStore::open(state.path()).unwrap();
        let mut specs = vec![
            volume("/srv/www:/html:ro"),
            volume("/srv/logs:/logs"),
            volume("pgdata:/var/lib/postgresql"),
            volume("pgdata2:/backup:ro"),
            volume("/anon"),
            MountSpec::parse_tmpfs("/run:size=1m").unwrap(),
            MountSpec::parse_tmpfs("/ro:ro").unwrap(),
        ];
        // Before the anonymous volume exists it has no name and no source.
        let before = inspect_mounts(&specs, &store);
        assert_eq!(before[4]["Name"], "");
        assert_eq!(before[4]["Source"], "");

        let mut only_volumes: Vec<MountSpec> = specs.drain(2..5).collect();
        prepare_sources(&mut only_volumes, &store).unwrap();
        specs.splice(2..2, only_volumes);
        let anonymous = match &specs[4] {
            MountSpec::Volume { name, .. } => name.clone(),
            other => panic!("{other:?}"),
        };
        let data = |name: &str| store.data_path(name).display().to_string();
        let expected = json!([
            {"Type": "bind", "Source": "/srv/www", "Destination": "/html", "Mode": "ro",
             "RW": false, "Propagation": "rprivate"},
            {"Type": "bind", "Source": "/srv/logs", "Destination": "/logs", "Mode": "",
             "RW": true, "Propagation": "rprivate"},
            {"Type": "volume", "Name": "pgdata", "Source": data("pgdata"),
             "Destination": "/var/lib/postgresql", "Driver": "local", "Mode": "z", "RW": true,
             "Propagation": ""},
            {"Type": "volume", "Name": "pgdata2", "Source": data("pgdata2"),
             "Destination": "/backup", "Driver": "local", "Mode": "ro", "RW": false,
             "Propagation": ""},
            {"Type": "volume", "Name": anonymous, "Source": data(&anonymous),
             "Destination": "/anon", "Driver": "local", "Mode": "", "RW": true,
             "Propagation": ""},
            {"Type": "tmpfs", "Source": "", "Destination": "/run", "Mode": "", "RW": true,
             "Propagation": ""},
            {"Type": "tmpfs", "Source": "", "Destination": "/ro", "Mode": "", "RW": false,
             "Propagation": ""},
        ]);
        let actual = inspect_mounts(&specs, &store);
        assert_eq!(actual, expected);
        // Key order matters to people reading `docker inspect` side by side.
        let keys: Vec<&String> = actual[2].as_object().unwrap().keys().collect();
        assert_eq!(
            keys,
            [
                "Type",
                "Name",
                "Source",
                "Destination",
                "Driver",
                "Mode",
                "RW",
                "Propagation"
            ]
        );
        assert_eq!(
            inspect_tmpfs(&specs),
            json!({"/run": "size=1m", "/ro": "ro"})
        );
        assert_eq!(inspect_tmpfs(&specs[..2]), Value::Null);
    }

    #[test]
    fn prepare_creates_sources_and_names_anonymous_volumes() {
        let state = tempfile::tempdir().unwrap();
        let store = VolumeStore::open(state.path()).unwrap();
        let host = state.path().join("host/missing/dir");
        let file = state.path().join("config.txt");
        fs::write(&file, "x").unwrap();
        let mut specs = vec![
            volume(&format!("{}:/data", host.display())),
            volume(&format!("{}:/etc/app.conf:ro", file.display())),
            volume("named:/named"),
            volume("/anon"),
            MountSpec::parse_tmpfs("/run:size=1m").unwrap(),
        ];
        let resolved = prepare_sources(&mut specs, &store).unwrap();
        assert!(
            host.is_dir(),
            "a missing bind source is created, like docker run -v"
        );
        let anonymous = match &specs[3] {
            MountSpec::Volume {
                name, anonymous, ..
            } => {
                assert!(anonymous);
                name.clone()
            }
            other => panic!("{other:?}"),
        };
        assert_eq!(anonymous.len(), 64);
        assert!(store.get(&anonymous).unwrap().is_anonymous());
        assert_eq!(
            resolved,
            vec![
                ResolvedMount::Bind {
                    source: host.clone(),
                    destination: "/data".into(),
                    read_only: false,
                    source_is_file: false
                },
                ResolvedMount::Bind {
                    source: file.clone(),
                    destination: "/etc/app.conf".into(),
                    read_only: true,
                    source_is_file: true
                },
                ResolvedMount::Bind {
                    source: store.data_path("named"),
                    destination: "/named".into(),
                    read_only: false,
                    source_is_file: false
                },
                ResolvedMount::Bind {
                    source: store.data_path(&anonymous),
                    destination: "/anon".into(),
                    read_only: false,
                    source_is_file: false
                },
                ResolvedMount::Tmpfs {
                    destination: "/run".into(),
                    options: tmpfs_options("size=1m").unwrap()
                },
            ]
        );
        // Preparing again (a restart) reuses the same anonymous volume.
        prepare_sources(&mut specs, &store).unwrap();
        assert_eq!(store.list().unwrap().len(), 2);
    }

    #[test]
    fn the_plan_reads_like_shell_commands_in_a_safe_order() {
        let rootfs = Path::new("/var/lib/mini-docker/overlay2/abc/merged");
        let mounts = [
            ResolvedMount::Bind {
                source: "/srv/sub".into(),
                destination: "/data/sub".into(),
                read_only: false,
                source_is_file: false,
            },
            ResolvedMount::Bind {
                source: "/srv/data".into(),
                destination: "/data".into(),
                read_only: true,
                source_is_file: false,
            },
            ResolvedMount::Tmpfs {
                destination: "/run".into(),
                options: tmpfs_options("size=64m").unwrap(),
            },
        ];
        let plan: Vec<String> = mount_steps(rootfs, &mounts, true)
            .unwrap()
            .iter()
            .map(|step| step.to_string())
            .collect();
        let root = rootfs.display();
        assert_eq!(
            plan,
            [
                format!("mount --rbind /srv/data {root}/data"),
                format!("mount -t tmpfs -o noexec,nosuid,nodev,size=64m tmpfs {root}/run"),
                format!("mount --rbind /srv/sub {root}/data/sub"),
                format!("mount -o remount,bind,ro {root}/data"),
                format!("mount -o remount,bind,ro {root}"),
            ]
        );
    }

    #[test]
    fn the_fd_path_is_formatted_without_surprises() {
        let file = fs::File::open("/").unwrap();
        let fd = OwnedFd::from(file);
        let mut buffer = [0u8; PROC_FD_PATH_LEN];
        write!(&mut buffer[..], "/proc/self/fd/{}\0", fd.as_raw_fd()).unwrap();
        let path = CStr::from_bytes_until_nul(&buffer).unwrap();
        assert_eq!(
            path.to_str().unwrap(),
            format!("/proc/self/fd/{}", fd.as_raw_fd())
        );
        assert_eq!(
            fs::read_link(path.to_str().unwrap()).unwrap(),
            Path::new("/")
        );
    }

    // -----------------------------------------------------------------------------------------
    // Live tests: real mounts, in a forked child with its own mount namespace.
    // -----------------------------------------------------------------------------------------

    fn is_root() -> bool {
        nix::unistd::geteuid().is_root()
    }

    fn host_mount_points() -> Vec<String> {
        fs::read_to_string("/proc/self/mountinfo")
            .unwrap()
            .lines()
            .filter_map(|line| line.split(' ').nth(4).map(str::to_owned))
            .collect()
    }

    /// Mount points (field 5 of mountinfo) of the calling process.
    fn mount_points() -> Result<Vec<String>, String> {
        let text = fs::read_to_string("/proc/self/mountinfo").map_err(|e| e.to_string())?;
        Ok(text
            .lines()
            .filter_map(|line| line.split(' ').nth(4).map(str::to_owned))
            .collect())
    }

    fn check(condition: bool, what: impl FnOnce() -> String) -> Result<(), String> {
        if condition {
            Ok(())
        } else {
            Err(what())
        }
    }

    fn run_steps(steps: &[Box<dyn ChildStep>]) -> Result<(), String> {
        for step in steps {
            step.run().map_err(|errno| format!("{step}: {errno}"))?;
        }
        Ok(())
    }

    fn errno_of(result: std::io::Result<()>) -> Option<Errno> {
        result
            .err()
            .and_then(|e| e.raw_os_error())
            .map(Errno::from_raw)
    }

    /// Runs `body` in a forked child that first unshares its mount namespace and makes every
    /// mount private, so nothing it mounts reaches this process. The child's error, if any,
    /// comes back through a pipe. Afterwards no mount under `scratch` may be visible here.
    fn in_private_mount_namespace(scratch: &Path, body: impl FnOnce() -> Result<(), String>) {
        let before = host_mount_points();
        let (reader, writer) = nix::unistd::pipe().unwrap();
        // SAFETY: the child only makes system calls and allocates (glibc's fork makes malloc
        // usable in the child); it never returns into the test harness: it always _exits.
        match unsafe { nix::unistd::fork() }.unwrap() {
            nix::unistd::ForkResult::Child => {
                drop(reader);
                let outcome = nix::sched::unshare(nix::sched::CloneFlags::CLONE_NEWNS)
                    .map_err(|e| format!("unshare: {e}"))
                    .and_then(|()| {
                        nix::mount::mount(
                            None::<&str>,
                            "/",
                            None::<&str>,
                            MsFlags::MS_REC | MsFlags::MS_PRIVATE,
                            None::<&str>,
                        )
                        .map_err(|e| format!("make-rprivate: {e}"))
                    })
                    .and_then(|()| body());
                let code = match outcome {
                    Ok(()) => 0,
                    Err(message) => {
                        let _ = nix::unistd::write(&writer, message.as_bytes());
                        1
                    }
                };
                // SAFETY: ends the child at once, without running the parent's atexit handlers.
                unsafe { libc::_exit(code) }
            }
            nix::unistd::ForkResult::Parent { child } => {
                drop(writer);
                let mut message = String::new();
                std::io::Read::read_to_string(&mut fs::File::from(reader), &mut message).unwrap();
                let status = nix::sys::wait::waitpid(child, None).unwrap();
                assert_eq!(
                    status,
                    nix::sys::wait::WaitStatus::Exited(child, 0),
                    "child failed: {message}"
                );
            }
        }
        let after = host_mount_points();
        let scratch = scratch.display().to_string();
        assert!(
            !after.iter().any(|point| point.starts_with(&scratch)),
            "a test mount leaked into the host: {after:?}"
        );
        let etc = |points: &[String]| points.iter().filter(|p| p.as_str() == "/etc").count();
        assert_eq!(etc(&before), etc(&after), "the host's /etc mounts changed");
    }

    #[test]
    fn live_bind_mounts_read_write_read_only_file_and_nested() {
        if !is_root() {
            eprintln!("skipped: needs root");
            return;
        }
        let scratch = tempfile::tempdir().unwrap();
        let base = scratch.path();
        let rootfs = base.join("rootfs");
        let host_rw = base.join("host-rw");
        let host_ro = base.join("host-ro");
        let host_nested = base.join("host-nested");
        let host_file = base.join("app.conf");
        let host_locked = base.join("host-nosuid");
        for dir in [&rootfs, &host_rw, &host_ro, &host_nested, &host_locked] {
            fs::create_dir(dir).unwrap();
        }
        fs::write(host_ro.join("keep"), "kept").unwrap();
        fs::write(&host_file, "setting=1").unwrap();
        let bind =
            |source: &Path, destination: &str, read_only, source_is_file| ResolvedMount::Bind {
                source: source.to_path_buf(),
                destination: destination.into(),
                read_only,
                source_is_file,
            };
        let mounts = [
            bind(&host_nested, "/deep/ro/sub", false, false),
            bind(&host_rw, "/rw", false, false),
            bind(&host_ro, "/deep/ro", true, false),
            bind(&host_file, "/etc/app.conf", true, true),
            bind(&host_locked, "/locked", true, false),
        ];
        let steps = mount_steps(&rootfs, &mounts, false).unwrap();
        let inside = |relative: &str| rootfs.join(relative);
        in_private_mount_namespace(base, || {
            // A source on a nosuid,nodev,noexec mount: the ro remount must keep those flags.
            nix::mount::mount(
                Some("tmpfs"),
                &host_locked,
                Some("tmpfs"),
                MsFlags::MS_NOSUID | MsFlags::MS_NODEV | MsFlags::MS_NOEXEC,
                None::<&str>,
            )
            .map_err(|e| format!("mount tmpfs: {e}"))?;
            run_steps(&steps)?;
            let flags = nix::sys::statvfs::statvfs(&inside("locked"))
                .map_err(|e| e.to_string())?
                .flags();
            let wanted =
                FsFlags::ST_RDONLY | FsFlags::ST_NOSUID | FsFlags::ST_NODEV | FsFlags::ST_NOEXEC;
            check(flags.contains(wanted), || {
                format!("the ro remount lost flags: {flags:?}")
            })?;
            check(fs::write(inside("rw/new"), "hello").is_ok(), || {
                "cannot write to a rw bind".into()
            })?;
            let refused = errno_of(fs::write(inside("deep/ro/x"), "no"));
            check(refused == Some(Errno::EROFS), || {
                format!("write to a ro bind: {refused:?}")
            })?;
            check(
                fs::read(inside("deep/ro/keep")).ok().as_deref() == Some(b"kept"),
                || "cannot read the ro bind".into(),
            )?;
            check(
                fs::read(inside("etc/app.conf")).ok().as_deref() == Some(b"setting=1"),
                || "the file bind shows other content".into(),
            )?;
            let refused = errno_of(fs::write(inside("etc/app.conf"), "changed"));
            check(refused == Some(Errno::EROFS), || {
                format!("write to a ro file bind: {refused:?}")
            })?;
            check(fs::write(inside("deep/ro/sub/y"), "nested").is_ok(), || {
                "a rw mount under a ro one is not writable".into()
            })
        });
        assert_eq!(fs::read(host_rw.join("new")).unwrap(), b"hello");
        assert_eq!(fs::read(host_nested.join("y")).unwrap(), b"nested");
        assert!(!host_ro.join("x").exists());
        assert_eq!(fs::read(&host_file).unwrap(), b"setting=1");
        // What the child created in the rootfs stays: plain directories and an empty file.
        assert!(rootfs.join("deep/ro").is_dir());
        assert_eq!(fs::read(rootfs.join("etc/app.conf")).unwrap(), b"");
    }

    #[test]
    fn live_symlinks_in_the_image_cannot_lead_a_mount_out_of_the_rootfs() {
        if !is_root() {
            eprintln!("skipped: needs root");
            return;
        }
        let scratch = tempfile::tempdir().unwrap();
        let base = scratch.path();
        let rootfs = base.join("rootfs");
        fs::create_dir_all(rootfs.join("etc")).unwrap();
        fs::create_dir_all(rootfs.join("proc")).unwrap();
        std::os::unix::fs::symlink("/etc", rootfs.join("data")).unwrap();
        // A name the host does not have: were the link followed on the host, creating `inner`
        // would fail there instead of leaving a directory behind.
        fs::create_dir_all(rootfs.join(ESCAPE_NAME)).unwrap();
        let up = format!("../../../../../../../../../{ESCAPE_NAME}");
        std::os::unix::fs::symlink(up, rootfs.join("up")).unwrap();
        std::os::unix::fs::symlink("/proc/self/root/etc", rootfs.join("magic")).unwrap();
        let store = VolumeStore::open(&base.join("state")).unwrap();
        let mut specs = vec![volume("x-vol:/data"), volume("/up/inner")];
        let resolved = prepare_sources(&mut specs, &store).unwrap();
        let marker = store.get("x-vol").unwrap().mountpoint.join("from-volume");
        fs::write(&marker, "v").unwrap();
        let steps = mount_steps(&rootfs, &resolved, false).unwrap();
        let magic = mount_steps(
            &rootfs,
            &[ResolvedMount::Bind {
                source: base.join("state"),
                destination: "/magic".into(),
                read_only: false,
                source_is_file: false,
            }],
            false,
        )
        .unwrap();
        let rootfs_text = rootfs.display().to_string();
        in_private_mount_namespace(base, || {
            run_steps(&steps)?;
            check(rootfs.join("etc/from-volume").exists(), || {
                "the volume is not at <rootfs>/etc".into()
            })?;
            check(!Path::new("/etc/from-volume").exists(), || {
                "the volume covered the host's /etc".into()
            })?;
            check(rootfs.join(ESCAPE_NAME).join("inner").is_dir(), || {
                "the relative symlink was not resolved inside".into()
            })?;
            let points = mount_points()?;
            let escaped_inner = format!("/{ESCAPE_NAME}/inner");
            for expected in [
                format!("{rootfs_text}/etc"),
                format!("{rootfs_text}{escaped_inner}"),
            ] {
                check(points.contains(&expected), || {
                    format!("{expected} is no mount point: {points:?}")
                })?;
            }
            check(
                !points.iter().any(|p| *p == "/etc" || *p == escaped_inner),
                || format!("a mount escaped: {points:?}"),
            )?;
            // The container's own /proc is mounted by now in the real plan; through it,
            // /proc/self/root is a way back to the host's root. ELOOP shows that
            // RESOLVE_NO_MAGICLINKS stopped it (RESOLVE_IN_ROOT alone gives EXDEV today).
            nix::mount::mount(
                Some("proc"),
                &rootfs.join("proc"),
                Some("proc"),
                MsFlags::empty(),
                None::<&str>,
            )
            .map_err(|e| format!("mount proc: {e}"))?;
            let refused = magic.first().map(|step| step.run());
            check(refused == Some(Err(Errno::ELOOP)), || {
                format!("a magic link was followed: {refused:?}")
            })
        });
        assert!(!Path::new("/etc/from-volume").exists());
        assert!(!Path::new("/").join(ESCAPE_NAME).exists());
    }

    const ESCAPE_NAME: &str = "mini-docker-test-not-on-the-host";

    #[test]
    fn live_tmpfs_with_a_size() {
        if !is_root() {
            eprintln!("skipped: needs root");
            return;
        }
        let scratch = tempfile::tempdir().unwrap();
        let rootfs = scratch.path().join("rootfs");
        fs::create_dir(&rootfs).unwrap();
        let spec = MountSpec::parse_tmpfs("/scratch:size=1m").unwrap();
        let resolved =
            prepare_sources(&mut [spec], &VolumeStore::open(scratch.path()).unwrap()).unwrap();
        let steps = mount_steps(&rootfs, &resolved, false).unwrap();
        let target = rootfs.join("scratch");
        in_private_mount_namespace(scratch.path(), || {
            run_steps(&steps)?;
            let stat = nix::sys::statfs::statfs(&target).map_err(|e| e.to_string())?;
            check(
                stat.filesystem_type() == nix::sys::statfs::TMPFS_MAGIC,
                || "not a tmpfs".into(),
            )?;
            let size = stat.blocks() * stat.block_size() as u64;
            check(size == 1 << 20, || format!("size is {size}, not 1 MiB"))?;
            let flags = stat.flags();
            check(
                flags.contains(FsFlags::ST_NOEXEC | FsFlags::ST_NOSUID | FsFlags::ST_NODEV),
                || format!("docker's default flags are missing: {flags:?}"),
            )?;
            let too_big = vec![0u8; 2 << 20];
            let refused = errno_of(fs::write(target.join("big"), too_big));
            check(refused == Some(Errno::ENOSPC), || {
                format!("2 MiB fit in a 1 MiB tmpfs: {refused:?}")
            })
        });
        assert!(target.is_dir());
        assert_eq!(fs::read_dir(&target).unwrap().count(), 0);
    }

    #[test]
    fn live_read_only_root_keeps_volumes_and_tmpfs_writable() {
        if !is_root() {
            eprintln!("skipped: needs root");
            return;
        }
        let scratch = tempfile::tempdir().unwrap();
        let rootfs = scratch.path().join("rootfs");
        fs::create_dir(&rootfs).unwrap();
        let store = VolumeStore::open(&scratch.path().join("state")).unwrap();
        let mut specs = vec![
            volume("appdata:/data"),
            MountSpec::parse_tmpfs("/tmp").unwrap(),
        ];
        let resolved = prepare_sources(&mut specs, &store).unwrap();
        let steps = mount_steps(&rootfs, &resolved, true).unwrap();
        let rootfs_c = CString::new(rootfs.as_os_str().as_bytes()).unwrap();
        in_private_mount_namespace(scratch.path(), || {
            // As in the real plan: the rootfs is a bind mount of itself before anything else.
            nix::mount::mount(
                Some(rootfs_c.as_c_str()),
                rootfs_c.as_c_str(),
                None::<&str>,
                MsFlags::MS_BIND | MsFlags::MS_REC,
                None::<&str>,
            )
            .map_err(|e| format!("bind rootfs: {e}"))?;
            run_steps(&steps)?;
            let refused = errno_of(fs::write(rootfs.join("new"), "x"));
            check(refused == Some(Errno::EROFS), || {
                format!("the read-only root took a write: {refused:?}")
            })?;
            check(fs::write(rootfs.join("data/kept"), "v").is_ok(), || {
                "the volume under a read-only root is not writable".into()
            })?;
            check(fs::write(rootfs.join("tmp/t"), "t").is_ok(), || {
                "the tmpfs under a read-only root is not writable".into()
            })
        });
        assert_eq!(
            fs::read(store.get("appdata").unwrap().mountpoint.join("kept")).unwrap(),
            b"v"
        );
        // The root is writable again outside the child's namespace.
        fs::write(rootfs.join("new"), "x").unwrap();
    }
}
