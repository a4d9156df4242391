//! Container ids and the per-container directory under the state root.
//!
//! Like docker's `/var/lib/docker/containers/<id>/`, every container gets
//! `<state root>/containers/<id>/` with `config.json` (what was asked for) and `state.json`
//! (what happened). Chapter 7 builds the lifecycle commands (`ps`, `rm`, ...) on top of it.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use chapter01::{ContainerError, ExitStatus};
use serde::Serialize;

use crate::config::ContainerConfig;

/// 64 lowercase hex digits, from 32 random bytes.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ContainerId(String);

impl ContainerId {
    // ANCHOR: id
    /// A fresh random id. Docker draws again when the short form is all digits, because a
    /// short id like `123456789012` could be mistaken for a number; so do we.
    pub fn generate() -> Result<Self, ContainerError> {
        loop {
            let mut bytes = [0u8; 32];
            getrandom::fill(&mut bytes).map_err(|error| {
                ContainerError::Invalid(format!("cannot get random bytes for an id: {error}"))
            })?;
            let id: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
            if !id[..12].bytes().all(|b| b.is_ascii_digit()) {
                return Ok(ContainerId(id));
            }
        }
    }
    // ANCHOR_END: id

    /// The first 12 digits: what `docker ps` shows and the default hostname.
    pub fn short(&self) -> &str {
        &self.0[..12]
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for ContainerId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// What `config.json` holds.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct RecordedConfig<'a> {
    id: &'a str,
    created: String,
    config: &'a ContainerConfig,
}

/// What `state.json` holds: docker's `State` fields that this chapter can know.
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ContainerState {
    pub status: String,
    pub running: bool,
    pub pid: i32,
    pub exit_code: i32,
    /// Docker's spelling, not PascalCase of `oom_killed`.
    #[serde(rename = "OOMKilled")]
    pub oom_killed: bool,
    pub error: String,
    pub started_at: String,
    pub finished_at: String,
}

/// The state directory of one container.
#[derive(Debug)]
pub struct ContainerRecord {
    id: ContainerId,
    dir: PathBuf,
    state: ContainerState,
}

impl ContainerRecord {
    /// Creates `<state_root>/containers/<id>/` with `config.json`. Fails (and creates nothing)
    /// if the directory exists already.
    pub fn create(
        state_root: &Path,
        id: &ContainerId,
        config: &ContainerConfig,
    ) -> Result<Self, ContainerError> {
        let parent = state_root.join("containers");
        std::fs::create_dir_all(&parent)
            .map_err(|e| ContainerError::io(format!("create {}", parent.display()), e))?;
        let dir = parent.join(id.as_str());
        std::fs::create_dir(&dir)
            .map_err(|e| ContainerError::io(format!("create {}", dir.display()), e))?;
        let record = ContainerRecord {
            id: id.clone(),
            dir,
            state: ContainerState {
                status: "created".into(),
                ..ContainerState::default()
            },
        };
        let recorded = RecordedConfig {
            id: id.as_str(),
            created: now(),
            config,
        };
        let written = write_json(&record.dir.join("config.json"), &recorded)
            .and_then(|()| record.save_state());
        match written {
            Ok(()) => Ok(record),
            Err(error) => {
                record.remove();
                Err(error)
            }
        }
    }

    pub fn id(&self) -> &ContainerId {
        &self.id
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Records that the command is running as host pid `pid`.
    pub fn mark_running(&mut self, pid: i32) -> Result<(), ContainerError> {
        self.state.status = "running".into();
        self.state.running = true;
        self.state.pid = pid;
        self.state.started_at = now();
        self.save_state()
    }

    /// Records how the container ended, and whether the OOM killer ended it.
    pub fn mark_exited(
        &mut self,
        status: ExitStatus,
        oom_killed: bool,
    ) -> Result<(), ContainerError> {
        self.state.status = "exited".into();
        self.state.running = false;
        self.state.pid = 0;
        self.state.exit_code = status.code();
        self.state.oom_killed = oom_killed;
        self.state.finished_at = now();
        self.save_state()
    }

    /// Removes the directory and everything in it.
    pub fn remove(self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }

    fn save_state(&self) -> Result<(), ContainerError> {
        write_json(&self.dir.join("state.json"), &self.state)
    }
}

// ANCHOR: atomic
/// Writes `value` as JSON so that a reader sees the old file or the new one, never half of
/// one (see [`write_atomic`]).
pub fn write_json(path: &Path, value: &impl Serialize) -> Result<(), ContainerError> {
    let bytes = serde_json::to_vec_pretty(value).map_err(|e| {
        ContainerError::io(
            format!("write {}", path.display()),
            std::io::Error::other(e),
        )
    })?;
    write_atomic(path, &bytes)
}

/// Writes `bytes` to `path` atomically: write a temporary file in the same directory (named
/// after our pid, so two writers never share one), flush it to disk, rename it over.
/// rename(2) replaces the target in one step, on the same filesystem.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), ContainerError> {
    replace_file(path, bytes, true)
}

/// Like [`write_json`], without flushing to disk: still all-or-nothing for every process
/// (rename is atomic), but after a power cut the file may hold an older version — or
/// nothing, which readers must survive. Right for state that means nothing after a reboot
/// anyway, such as which pid a container runs as (chapter 7's `state.json`); `fsync(2)`
/// costs milliseconds on a disk, several times per container start.
pub fn replace_json(path: &Path, value: &impl Serialize) -> Result<(), ContainerError> {
    let bytes = serde_json::to_vec_pretty(value).map_err(|e| {
        ContainerError::io(
            format!("write {}", path.display()),
            std::io::Error::other(e),
        )
    })?;
    replace_bytes(path, &bytes)
}

/// [`replace_json`] for bytes: all-or-nothing for every process, not flushed to disk.
pub fn replace_bytes(path: &Path, bytes: &[u8]) -> Result<(), ContainerError> {
    replace_file(path, bytes, false)
}

fn replace_file(path: &Path, bytes: &[u8], durable: bool) -> Result<(), ContainerError> {
    let io = |e| ContainerError::io(format!("write {}", path.display()), e);
    let temporary = temporary_name(path);
    let written = std::fs::File::create(&temporary).and_then(|mut file| {
        file.write_all(bytes)?;
        if durable {
            file.sync_all()?;
        }
        Ok(())
    });
    match written.and_then(|()| std::fs::rename(&temporary, path)) {
        Ok(()) => Ok(()),
        Err(error) => {
            let _ = std::fs::remove_file(&temporary);
            Err(io(error))
        }
    }
}
// ANCHOR_END: atomic

/// `.<name>.tmp.<pid>` beside `path`: hidden (an init layer's `etc/hosts` is rewritten while
/// its container runs), and our own, so two writers never share one.
fn temporary_name(path: &Path) -> PathBuf {
    let name = path.file_name().unwrap_or_default().to_string_lossy();
    path.with_file_name(format!(".{name}.tmp.{}", std::process::id()))
}

/// The current time in RFC 3339 with nanoseconds, like docker's timestamps.
fn now() -> String {
    humantime::format_rfc3339_nanos(SystemTime::now()).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_64_hex_with_a_non_numeric_short_form() {
        for _ in 0..100 {
            let id = ContainerId::generate().unwrap();
            assert_eq!(id.as_str().len(), 64);
            assert!(id
                .as_str()
                .bytes()
                .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()));
            assert!(!id.short().bytes().all(|b| b.is_ascii_digit()));
        }
    }

    #[test]
    fn a_record_is_created_updated_and_removed() {
        let root = testkit::TempRoot::new();
        let id = ContainerId::generate().unwrap();
        let config = ContainerConfig::new("/rootfs", vec!["true".into()], id.short());
        let mut record = ContainerRecord::create(root.path(), &id, &config).unwrap();
        record.mark_running(42).unwrap();
        record.mark_exited(ExitStatus::Exited(3), false).unwrap();
        let state = std::fs::read_to_string(record.dir().join("state.json")).unwrap();
        assert!(state.contains("\"ExitCode\": 3"), "{state}");
        assert!(state.contains("\"Status\": \"exited\""), "{state}");
        let dir = record.dir().to_path_buf();
        assert!(ContainerRecord::create(root.path(), &id, &config).is_err());
        record.remove();
        assert!(!dir.exists());
    }
}
