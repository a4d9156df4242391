//! The container store: one directory per container under `<root>/containers/`, like
//! docker's `/var/lib/docker/containers/<id>/`.
//!
//! ```text
//! containers/<id>/config.json        what it was created with (Record), rewritten by rename
//! containers/<id>/state.json         what is happening to it (State; not fsync'd, see load)
//! containers/<id>/lock               flock: one read-modify-write of the two files at a time
//! containers/<id>/monitor.lock       flock held by its monitor for as long as the monitor lives
//! containers/<id>/<id>-json.log      its output (logs.rs)
//! containers/<id>/attach.sock        its monitor's socket for `attach` (monitor.rs)
//! containers/.names/<name> -> <id>   who holds which name (a symlink is created atomically)
//! containers/.new-<id>/               a staging directory a moment before its lock is held
//! containers/.staging-<id>/          a container being created: not listed until renamed
//! containers/.removing-<id>/         a container being removed: no longer listed
//! ```
//!
//! **Crash consistency.** A container appears in one `rename(2)` (staging → `<id>`) and
//! disappears in one (`<id>` → `.removing-<id>`), so no CLI ever lists a half-made or
//! half-removed container. Whoever made a staging or removing directory holds the lock file
//! inside it; a directory whose lock is free was left by a process that died, and the next
//! [`ContainerStore::open`] finishes the job (removes its layers, cgroup and files).

use std::fs;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use chapter06::chapter05::chapter04::chapter03::chapter01::ContainerError;
use chapter06::chapter05::chapter04::chapter03::record::{replace_json, write_json};
use serde::{Deserialize, Serialize};

use crate::lock::{self, FileLock};
use crate::spec::{Config, HostConfig};
use crate::state::{State, Status, Transition};

/// What `config.json` holds: docker's top-level container fields.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Record {
    #[serde(rename = "ID")]
    pub id: String,
    pub created: String,
    /// The program (after Entrypoint and Cmd are combined) and its arguments.
    pub path: String,
    pub args: Vec<String>,
    /// The image ID (`sha256:…`), or empty for a `--rootfs` container.
    pub image: String,
    /// Docker's spelling: a leading slash (`/web`).
    pub name: String,
    pub config: Config,
    pub host_config: HostConfig,
    /// `-v` and `--tmpfs`, with anonymous volumes named at create: `Mounts` in `inspect`.
    #[serde(default)]
    pub mounts: Vec<crate::mounts::MountSpec>,
}

/// A container as read from the store, its state as observed right now.
#[derive(Debug, Clone)]
pub struct Container {
    pub record: Record,
    pub state: State,
    dir: PathBuf,
}

impl Container {
    /// A container from its parts, as `load` makes it (tests and tools build listings
    /// from made-up containers this way).
    pub fn from_parts(record: Record, state: State, dir: PathBuf) -> Self {
        Container { record, state, dir }
    }

    pub fn id(&self) -> &str {
        &self.record.id
    }

    pub fn short_id(&self) -> &str {
        &self.record.id[..12.min(self.record.id.len())]
    }

    /// The name without docker's leading slash.
    pub fn name(&self) -> &str {
        self.record.name.trim_start_matches('/')
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The json-file log: `<id>-json.log`, as docker names it.
    pub fn log_path(&self) -> PathBuf {
        self.dir.join(format!("{}-json.log", self.record.id))
    }

    pub fn monitor_lock_path(&self) -> PathBuf {
        self.dir.join("monitor.lock")
    }

    /// Whether the container's monitor is alive (it holds `monitor.lock`).
    pub fn monitor_alive(&self) -> bool {
        lock::is_held(&self.monitor_lock_path())
    }

    /// The command's host pid, when it runs.
    pub fn running_pid(&self) -> Option<i32> {
        (self.state.running && self.state.pid > 0).then_some(self.state.pid)
    }
}

/// The directory of all containers of one state root.
#[derive(Debug, Clone)]
pub struct ContainerStore {
    root: PathBuf,
    dir: PathBuf,
}

/// The store's refusal to give a name to a second container.
fn name_conflict(name: &str, holder: &str) -> ContainerError {
    ContainerError::Invalid(format!(
        "Conflict. The container name \"/{name}\" is already in use by container \"{holder}\". You have to remove (or rename) that container to be able to reuse that name."
    ))
}

fn io(what: String) -> impl FnOnce(std::io::Error) -> ContainerError {
    move |error| ContainerError::io(what, error)
}

impl ContainerStore {
    /// Opens (creating if needed) the store under `state_root`, and finishes what crashed
    /// creators and removers left behind.
    pub fn open(state_root: &Path) -> Result<Self, ContainerError> {
        let dir = state_root.join("containers");
        fs::create_dir_all(dir.join(".names")).map_err(io(format!("create {}", dir.display())))?;
        let store = ContainerStore {
            root: state_root.to_path_buf(),
            dir,
        };
        store.clean_up_leftovers();
        Ok(store)
    }

    /// The state root (`--root`).
    pub fn root(&self) -> &Path {
        &self.root
    }

    fn names_dir(&self) -> PathBuf {
        self.dir.join(".names")
    }

    /// Every container, newest first (the order of `ps`).
    pub fn list(&self) -> Vec<Container> {
        let Ok(entries) = fs::read_dir(&self.dir) else {
            return Vec::new();
        };
        let mut containers: Vec<Container> = entries
            .flatten()
            .filter_map(|entry| entry.file_name().into_string().ok())
            .filter(|name| !name.starts_with('.'))
            .filter_map(|id| self.load(&id).ok())
            .collect();
        containers.sort_by(|a, b| b.record.created.cmp(&a.record.created));
        containers
    }

    /// Finds a container like docker does: full id, then name, then a unique id prefix.
    pub fn resolve(&self, reference: &str) -> Result<String, ContainerError> {
        let no_such = || ContainerError::Invalid(format!("No such container: {reference}"));
        let wanted = reference.trim_start_matches('/');
        if wanted.is_empty() || wanted.contains('/') || wanted.starts_with('.') {
            return Err(no_such());
        }
        if self.dir.join(wanted).join("config.json").is_file() {
            return Ok(wanted.to_owned());
        }
        if let Ok(id) = fs::read_link(self.names_dir().join(wanted)) {
            let id = id.to_string_lossy().into_owned();
            if self.dir.join(&id).join("config.json").is_file() {
                return Ok(id);
            }
        }
        let matches: Vec<String> = fs::read_dir(&self.dir)
            .map_err(io(format!("read {}", self.dir.display())))?
            .flatten()
            .filter_map(|entry| entry.file_name().into_string().ok())
            .filter(|id| !id.starts_with('.') && id.starts_with(wanted))
            .collect();
        match matches.as_slice() {
            [id] => Ok(id.clone()),
            [] => Err(no_such()),
            _ => {
                let mut shown: Vec<&str> =
                    matches.iter().map(|id| &id[..12.min(id.len())]).collect();
                shown.sort_unstable();
                Err(ContainerError::Invalid(format!(
                    "multiple containers found with provided prefix: {reference} ({})",
                    shown.join(", ")
                )))
            }
        }
    }

    /// Resolves and loads a container.
    pub fn get(&self, reference: &str) -> Result<Container, ContainerError> {
        self.load(&self.resolve(reference)?)
    }

    /// Reads a container by full id, with its state as it really is: an active state whose
    /// monitor is gone is reported as `dead`, with the reason in `Error`.
    pub fn load(&self, id: &str) -> Result<Container, ContainerError> {
        let dir = self.dir.join(id);
        let record: Record = read_json(&dir.join("config.json"))?;
        // state.json is written without fsync (see `replace_json`): after a power cut it may
        // be empty. The container is then simply not running any more.
        let state: State = read_json(&dir.join("state.json")).unwrap_or_else(|_| {
            let mut state = State::default();
            state.set_status(Status::Exited);
            state.error = "its state was lost (state.json unreadable; a power cut?)".into();
            state
        });
        let mut container = Container { record, state, dir };
        if container.state.status.is_active() && !container.monitor_alive() {
            let monitor = container.state.monitor_pid;
            container.state.apply(Transition::MonitorLost).ok();
            container.state.error = format!(
                "the container's monitor (pid {monitor}) is gone (killed or crashed): its process may still run; `rm -f` kills it and cleans up"
            );
        }
        Ok(container)
    }

    // ANCHOR: update
    /// Changes a container's state under its lock: read, `change`, write atomically.
    /// Returns the new container; on error nothing is written.
    pub fn update<T>(
        &self,
        id: &str,
        change: impl FnOnce(&mut Container) -> Result<T, ContainerError>,
    ) -> Result<(Container, T), ContainerError> {
        let dir = self.dir.join(id);
        let _lock = FileLock::exclusive(&dir.join("lock"))?;
        let mut container = self.load(id)?;
        let before = container.record.clone();
        let value = change(&mut container)?;
        if container.record != before {
            write_json(&dir.join("config.json"), &container.record)?;
        }
        replace_json(&dir.join("state.json"), &container.state)?;
        Ok((container, value))
    }
    // ANCHOR_END: update

    /// Writes the state as given, under the container's lock (the monitor's updates).
    pub fn write_state(
        &self,
        id: &str,
        change: impl FnOnce(&mut State),
    ) -> Result<State, ContainerError> {
        let (container, ()) = self.update(id, |container| {
            change(&mut container.state);
            Ok(())
        })?;
        Ok(container.state)
    }

    // ANCHOR: create
    /// Adds a container: reserves its name, runs `prepare` (the caller makes the container's
    /// layers) while the directory is staged, writes its record and makes it appear in one
    /// rename. On any error `undo` is called if `prepare` succeeded, and nothing is left.
    pub fn create(
        &self,
        record: Record,
        prepare: impl FnOnce() -> Result<(), ContainerError>,
        undo: impl FnOnce(),
    ) -> Result<Container, ContainerError> {
        let id = record.id.clone();
        let name = record.name.trim_start_matches('/').to_owned();
        let staging = self.dir.join(format!(".staging-{id}"));
        let staging_lock = self.new_locked_dir(&id, &staging)?;
        if let Err(error) = self.reserve_name(&name, &id) {
            remove_lock_last(&staging);
            return Err(error);
        }
        let made = prepare().and_then(|()| {
            let staged = (|| {
                // A `--rm` container dies with the host anyway: its record need not reach
                // the disk before we go on (fsync costs milliseconds per start).
                if record.host_config.auto_remove {
                    replace_json(&staging.join("config.json"), &record)?;
                } else {
                    write_json(&staging.join("config.json"), &record)?;
                }
                replace_json(&staging.join("state.json"), &State::default())?;
                let target = self.dir.join(&id);
                fs::rename(&staging, &target).map_err(io(format!("rename to {}", target.display())))
            })();
            if staged.is_err() {
                undo();
            }
            staged
        });
        drop(staging_lock);
        match made {
            Ok(()) => self.load(&id),
            Err(error) => {
                remove_lock_last(&staging);
                self.release_name(&name, &id);
                Err(error)
            }
        }
    }
    // ANCHOR_END: create

    /// Makes `target` a directory whose `lock` file we hold, in a way a cleaner can never
    /// see unlocked: the directory is built as `.new-<id>`, its lock taken, then renamed (a
    /// flock belongs to the file, so it moves along).
    fn new_locked_dir(&self, id: &str, target: &Path) -> Result<FileLock, ContainerError> {
        let fresh = self.dir.join(format!(".new-{id}"));
        fs::create_dir(&fresh).map_err(io(format!("create {}", fresh.display())))?;
        let locked = FileLock::exclusive(&fresh.join("lock")).and_then(|lock| {
            fs::rename(&fresh, target)
                .map_err(io(format!("rename to {}", target.display())))
                .map(|()| lock)
        });
        if locked.is_err() {
            let _ = fs::remove_dir_all(&fresh);
        }
        locked
    }

    /// Whether `name` is free (or held by a container that no longer exists).
    pub fn name_taken(&self, name: &str) -> bool {
        fs::read_link(self.names_dir().join(name))
            .map(|id| self.holder_exists(&id.to_string_lossy()))
            .unwrap_or(false)
    }

    fn holder_exists(&self, id: &str) -> bool {
        self.dir.join(id).is_dir() || self.dir.join(format!(".staging-{id}")).is_dir()
    }

    // ANCHOR: reserve_name
    /// Makes `name` point to `id`. symlink(2) fails if the name exists, so two CLIs racing
    /// for one name cannot both win; a link left by a container that is gone is reclaimed.
    /// The names lock only serialises that reclaiming (so nobody deletes a fresh link).
    fn reserve_name(&self, name: &str, id: &str) -> Result<(), ContainerError> {
        let _lock = FileLock::exclusive(&self.dir.join(".names.lock"))?;
        let link = self.names_dir().join(name);
        if let Ok(holder) = fs::read_link(&link) {
            let holder = holder.to_string_lossy().into_owned();
            if holder == id {
                return Ok(());
            }
            if self.holder_exists(&holder) {
                return Err(name_conflict(name, &holder));
            }
            let _ = fs::remove_file(&link);
        }
        std::os::unix::fs::symlink(id, &link).map_err(|error| match error.kind() {
            std::io::ErrorKind::AlreadyExists => name_conflict(name, "?"),
            _ => ContainerError::io(format!("create {}", link.display()), error),
        })
    }
    // ANCHOR_END: reserve_name

    /// Frees `name` if `id` holds it.
    fn release_name(&self, name: &str, id: &str) {
        let Ok(_lock) = FileLock::exclusive(&self.dir.join(".names.lock")) else {
            return;
        };
        let link = self.names_dir().join(name);
        if fs::read_link(&link).is_ok_and(|holder| holder.as_os_str() == id) {
            let _ = fs::remove_file(link);
        }
    }

    /// `rename OLD NEW`: the new name is reserved first, then recorded, then the old one
    /// freed — at every moment the container holds at least one of them.
    pub fn rename(&self, id: &str, new_name: &str) -> Result<String, ContainerError> {
        self.reserve_name(new_name, id)?;
        let renamed = self.update(id, |container| {
            let old = container.name().to_owned();
            container.record.name = format!("/{new_name}");
            Ok(old)
        });
        match renamed {
            Ok((_, old)) => {
                if old != new_name {
                    self.release_name(&old, id);
                }
                Ok(old)
            }
            Err(error) => {
                self.release_name(new_name, id);
                Err(error)
            }
        }
    }

    // ANCHOR: remove
    /// Takes a container out of the store: marks it `removing`, renames its directory away
    /// (from now on no CLI sees it), frees its name, then `clean` removes what lives
    /// elsewhere (layers, cgroup) and finally the directory. `force` skips the state check
    /// (the caller has stopped the container).
    pub fn remove(
        &self,
        id: &str,
        force: bool,
        clean: impl FnOnce(&Container),
    ) -> Result<Container, ContainerError> {
        let dir = self.dir.join(id);
        let lock = FileLock::exclusive(&dir.join("lock"))?;
        let mut container = self.load(id)?;
        if !force {
            container
                .state
                .apply(Transition::Remove)
                .map_err(|refusal| {
                    ContainerError::Invalid(format!(
                        "cannot remove container \"{}\": {refusal}",
                        container.record.name
                    ))
                })?;
        } else {
            container.state.set_status(Status::Removing);
        }
        replace_json(&dir.join("state.json"), &container.state)?;
        let removing = self.dir.join(format!(".removing-{id}"));
        fs::rename(&dir, &removing).map_err(io(format!("rename {}", dir.display())))?;
        self.release_name(container.name(), id);
        clean(&container);
        remove_lock_last(&removing);
        drop(lock);
        Ok(container)
    }
    // ANCHOR_END: remove

    /// Finishes what dead creators and removers left: a staging or removing directory whose
    /// lock nobody holds. Their layers and cgroups go through [`crate::remove::clean_up`].
    /// (A `.new-` directory is younger than its lock; one left for a minute is debris.)
    fn clean_up_leftovers(&self) {
        let Ok(entries) = fs::read_dir(&self.dir) else {
            return;
        };
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            if name.starts_with(".new-") {
                let old = entry
                    .metadata()
                    .and_then(|meta| meta.modified())
                    .is_ok_and(|time| time.elapsed().unwrap_or_default().as_secs() > 60);
                if old {
                    let _ = fs::remove_dir_all(entry.path());
                }
                continue;
            }
            let id = match name
                .strip_prefix(".staging-")
                .or_else(|| name.strip_prefix(".removing-"))
            {
                Some(id) => id.to_owned(),
                None => continue,
            };
            let path = entry.path();
            let lock_path = path.join("lock");
            if !lock_path.exists() {
                // Its remover died after removing the lock file, which goes last: nothing
                // is left in it. (rmdir fails on a directory that still holds anything.)
                let _ = fs::remove_dir(&path);
                continue;
            }
            let Ok(Some(lock)) = FileLock::try_exclusive(&lock_path) else {
                continue;
            };
            // The creator may have renamed the directory into place (and unlocked) between
            // our open and our lock: then this lock is on a live container's file.
            if !lock.still_at(&lock_path) {
                continue;
            }
            crate::remove::clean_up(&self.root, &id, None);
            remove_lock_last(&path);
        }
    }
}

/// Removes a staging or removing directory, its `lock` file last. A process killed half-way
/// through leaves the lock file, free, which tells the next [`ContainerStore::open`] to
/// finish the job; a directory that had lost its lock first would be left for good, as a
/// cleaner cannot tell it from one whose creator is still at work.
fn remove_lock_last(dir: &Path) {
    if let Ok(entries) = fs::read_dir(dir) {
        for entry in entries
            .flatten()
            .filter(|entry| entry.file_name() != "lock")
        {
            let path = entry.path();
            let _ = match entry.file_type() {
                Ok(kind) if kind.is_dir() => fs::remove_dir_all(&path),
                _ => fs::remove_file(&path),
            };
        }
    }
    let _ = fs::remove_file(dir.join("lock"));
    let _ = fs::remove_dir(dir);
}

fn read_json<T: for<'de> Deserialize<'de>>(path: &Path) -> Result<T, ContainerError> {
    let bytes = fs::read(path).map_err(io(format!("read {}", path.display())))?;
    serde_json::from_slice(&bytes)
        .map_err(|error| ContainerError::Invalid(format!("{} is damaged: {error}", path.display())))
}

/// The current time as docker writes it (RFC 3339, nanoseconds, UTC).
pub fn now() -> String {
    humantime::format_rfc3339_nanos(SystemTime::now()).to_string()
}
