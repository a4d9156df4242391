//! Named and anonymous volumes: directories the engine owns, which outlive the containers that
//! mount them.
//!
//! The layout is docker's `local` volume driver:
//!
//! ```text
//! <state root>/volumes/<name>/_data          what the container sees at the mount point
//! <state root>/volumes/<name>/metadata.json  CreatedAt and Labels
//! ```
//!
//! A container mounts `_data`, never `<name>`, so the engine's own files next to it stay out of
//! the container's reach. Docker keeps the metadata in a database (`metadata.db`); one small JSON
//! file per volume is easier to read and needs no locking across volumes.
//!
//! Creating a volume is atomic: everything is built in a hidden directory (`.creating-…`) and
//! then renamed to `<name>` with `renameat2(RENAME_NOREPLACE)`, so another process either sees a
//! complete volume or none, and two creators of the same name cannot overwrite each other.
//! Removing works the other way round: rename to `.removing-…` first, then delete, so a half
//! deleted volume is never listed. Names starting with a dot can never be volume names, so the
//! hidden directories never clash with one.
//!
//! An anonymous volume (`-v /data`) gets a random 64-hex-digit name and docker's label
//! `com.docker.volume.anonymous`, which is how `rm -v` tells it apart from a named one.
//!
//! Left out on purpose: volume drivers other than `local`, driver options (`Options` is always
//! `null`), `docker volume create --label`, `volume prune`, and reference counting inside the
//! store — whether a volume is in use is the caller's knowledge (it knows the containers), so
//! [`VolumeStore::remove`] asks it.

use std::collections::BTreeMap;
use std::fs;
use std::io::ErrorKind;
use std::os::unix::fs::DirBuilderExt;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use chapter03::chapter01::ContainerError;
use chapter03::ContainerId;
use nix::errno::Errno;
use serde::{Deserialize, Serialize};
use serde_json::json;

/// The directory inside a volume that gets mounted into containers.
pub const DATA_DIR: &str = "_data";
/// The label docker puts on anonymous volumes.
pub const ANONYMOUS_LABEL: &str = "com.docker.volume.anonymous";

const METADATA_FILE: &str = "metadata.json";

/// One volume, as read from the store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Volume {
    pub name: String,
    /// The host directory a container mounts: `<state root>/volumes/<name>/_data`.
    pub mountpoint: PathBuf,
    /// RFC 3339, seconds precision, UTC — docker's `CreatedAt`.
    pub created_at: String,
    pub labels: BTreeMap<String, String>,
}

impl Volume {
    /// Whether the volume was created for a `-v /path` without a name.
    pub fn is_anonymous(&self) -> bool {
        self.labels.contains_key(ANONYMOUS_LABEL)
    }
}

/// What `metadata.json` holds. The mount point is not stored: it follows from where the store
/// is, so a moved state root still works.
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Metadata {
    name: String,
    created_at: String,
    #[serde(default)]
    labels: BTreeMap<String, String>,
}

/// The volumes under one state root.
#[derive(Debug, Clone)]
pub struct VolumeStore {
    root: PathBuf,
}

impl VolumeStore {
    /// Opens (and creates, if needed) `<state_root>/volumes`.
    ///
    /// The directory is `0700`: volume names and contents are nobody else's business. A
    /// container can still use its volumes, because a bind mount is checked when it is made
    /// (by the engine, as root), not each time the container walks into it.
    pub fn open(state_root: &Path) -> Result<Self, ContainerError> {
        let root = state_root.join("volumes");
        fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(&root)
            .map_err(|e| ContainerError::io(format!("create {}", root.display()), e))?;
        Ok(VolumeStore { root })
    }

    /// `<state root>/volumes`.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Where the data of volume `name` lives (whether or not it exists).
    pub fn data_path(&self, name: &str) -> PathBuf {
        self.root.join(name).join(DATA_DIR)
    }

    // ANCHOR: create
    /// Creates a volume, or returns the existing one of that name (docker's `volume create` and
    /// `run -v name:/path` are both content with an existing volume). `None` creates an
    /// anonymous volume with a fresh random name.
    pub fn create(&self, name: Option<&str>) -> Result<Volume, ContainerError> {
        let (name, labels) = match name {
            Some(name) => {
                validate_name(name)?;
                (name.to_owned(), BTreeMap::new())
            }
            None => {
                // Docker draws anonymous names like container ids: 32 random bytes in hex.
                let name = ContainerId::generate()?.as_str().to_owned();
                let labels = BTreeMap::from([(ANONYMOUS_LABEL.to_owned(), String::new())]);
                (name, labels)
            }
        };
        if self.root.join(&name).is_dir() {
            return self.get(&name);
        }
        let metadata = Metadata {
            name: name.clone(),
            created_at: humantime::format_rfc3339_seconds(SystemTime::now()).to_string(),
            labels,
        };
        let building = self
            .root
            .join(format!(".creating-{name}-{}", std::process::id()));
        let built = build_volume_dir(&building, &metadata).and_then(|()| {
            nix::fcntl::renameat2(
                nix::fcntl::AT_FDCWD,
                &building,
                nix::fcntl::AT_FDCWD,
                &self.root.join(&name),
                nix::fcntl::RenameFlags::RENAME_NOREPLACE,
            )
            .map_err(|errno| {
                ContainerError::system(format!("rename {}", building.display()), errno)
            })
        });
        match built {
            Ok(()) => self.get(&name),
            Err(error) => {
                let _ = fs::remove_dir_all(&building);
                match error {
                    // Someone else created the same name between our check and our rename:
                    // theirs stands, and it is the volume that was asked for.
                    ContainerError::System {
                        errno: Errno::EEXIST | Errno::ENOTEMPTY,
                        ..
                    } => self.get(&name),
                    error => Err(error),
                }
            }
        }
    }
    // ANCHOR_END: create

    /// The volume called `name`.
    pub fn get(&self, name: &str) -> Result<Volume, ContainerError> {
        // An invalid name cannot exist, and must not be joined to a path (think `../x`).
        let dir = self.root.join(name);
        if validate_name(name).is_err() || !dir.is_dir() {
            return Err(ContainerError::Invalid(format!(
                "get {name}: no such volume"
            )));
        }
        let metadata_path = dir.join(METADATA_FILE);
        let metadata = match fs::read(&metadata_path) {
            Ok(bytes) => serde_json::from_slice::<Metadata>(&bytes).map_err(|e| {
                ContainerError::Invalid(format!("cannot parse {}: {e}", metadata_path.display()))
            })?,
            // A directory made by hand: docker, too, takes the creation time from the
            // directory itself.
            Err(error) if error.kind() == ErrorKind::NotFound => Metadata {
                name: name.to_owned(),
                created_at: modified_time(&dir)?,
                labels: BTreeMap::new(),
            },
            Err(error) => {
                return Err(ContainerError::io(
                    format!("read {}", metadata_path.display()),
                    error,
                ))
            }
        };
        Ok(Volume {
            name: name.to_owned(),
            mountpoint: dir.join(DATA_DIR),
            created_at: metadata.created_at,
            labels: metadata.labels,
        })
    }

    /// Every volume, sorted by name.
    pub fn list(&self) -> Result<Vec<Volume>, ContainerError> {
        let io = |e| ContainerError::io(format!("read {}", self.root.display()), e);
        let mut names = Vec::new();
        for entry in fs::read_dir(&self.root).map_err(io)? {
            let entry = entry.map_err(io)?;
            // Hidden entries are volumes being created or removed; other names are not ours.
            if let Some(name) = entry.file_name().to_str() {
                if validate_name(name).is_ok() && entry.path().is_dir() {
                    names.push(name.to_owned());
                }
            }
        }
        names.sort();
        let mut volumes = Vec::with_capacity(names.len());
        for name in names {
            match self.get(&name) {
                Ok(volume) => volumes.push(volume),
                // Removed while we were listing: not a volume any more.
                Err(ContainerError::Invalid(_)) if !self.root.join(&name).exists() => {}
                Err(error) => return Err(error),
            }
        }
        Ok(volumes)
    }

    // ANCHOR: remove
    /// Removes a volume and its data. `in_use(name)` returns the ids of the containers (running
    /// or not) that mount it; a volume in use is refused, as docker does.
    pub fn remove(
        &self,
        name: &str,
        in_use: &dyn Fn(&str) -> Vec<String>,
    ) -> Result<(), ContainerError> {
        let volume = self.get(name)?;
        let users = in_use(&volume.name);
        if !users.is_empty() {
            return Err(ContainerError::Invalid(format!(
                "remove {name}: volume is in use - [{}]",
                users.join(", ")
            )));
        }
        let dir = self.root.join(&volume.name);
        let removing = self
            .root
            .join(format!(".removing-{name}-{}", std::process::id()));
        fs::rename(&dir, &removing)
            .map_err(|e| ContainerError::io(format!("remove {}", dir.display()), e))?;
        fs::remove_dir_all(&removing)
            .map_err(|e| ContainerError::io(format!("remove {}", removing.display()), e))
    }
    // ANCHOR_END: remove

    /// `docker volume inspect`'s object for `volume`.
    pub fn inspect_json(&self, volume: &Volume) -> serde_json::Value {
        json!({
            "CreatedAt": volume.created_at,
            "Driver": "local",
            "Labels": volume.labels,
            "Mountpoint": volume.mountpoint.display().to_string(),
            "Name": volume.name,
            "Options": null,
            "Scope": "local",
        })
    }
}

/// Docker's rule for local volume names: they become a directory name, so nothing that could
/// climb out of the volumes directory (`/`, a leading `.`) is allowed. At least two characters.
pub fn validate_name(name: &str) -> Result<(), ContainerError> {
    let mut bytes = name.bytes();
    let first_ok = bytes.next().is_some_and(|b| b.is_ascii_alphanumeric());
    let rest_ok = bytes.all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'));
    if name.len() >= 2 && first_ok && rest_ok {
        Ok(())
    } else {
        Err(ContainerError::Invalid(format!(
            "create {name}: \"{name}\" includes invalid characters for a local volume name, \
             only \"[a-zA-Z0-9][a-zA-Z0-9_.-]\" are allowed. If you intended to pass a host \
             directory, use absolute path"
        )))
    }
}

/// Makes `dir/_data` (mode 0755, like docker) and `dir/metadata.json`, flushed to disk before
/// the caller renames `dir` into place.
fn build_volume_dir(dir: &Path, metadata: &Metadata) -> Result<(), ContainerError> {
    let data = dir.join(DATA_DIR);
    fs::DirBuilder::new()
        .recursive(true)
        .mode(0o755)
        .create(&data)
        .map_err(|e| ContainerError::io(format!("create {}", data.display()), e))?;
    let path = dir.join(METADATA_FILE);
    let bytes = serde_json::to_vec_pretty(metadata).map_err(|e| {
        ContainerError::io(
            format!("write {}", path.display()),
            std::io::Error::other(e),
        )
    })?;
    fs::File::create(&path)
        .and_then(|mut file| {
            std::io::Write::write_all(&mut file, &bytes)?;
            file.sync_all()
        })
        .map_err(|e| ContainerError::io(format!("write {}", path.display()), e))
}

fn modified_time(path: &Path) -> Result<String, ContainerError> {
    let modified = fs::metadata(path)
        .and_then(|m| m.modified())
        .map_err(|e| ContainerError::io(format!("stat {}", path.display()), e))?;
    Ok(humantime::format_rfc3339_seconds(modified).to_string())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn store() -> (tempfile::TempDir, VolumeStore) {
        let dir = tempfile::tempdir().unwrap();
        let store = VolumeStore::open(dir.path()).unwrap();
        (dir, store)
    }

    fn nobody_uses(_: &str) -> Vec<String> {
        Vec::new()
    }

    #[test]
    fn named_volume_has_dockers_layout() {
        let (dir, store) = store();
        let volume = store.create(Some("web-data")).unwrap();
        let expected = dir.path().join("volumes/web-data/_data");
        assert_eq!(volume.mountpoint, expected);
        assert!(expected.is_dir());
        assert!(dir.path().join("volumes/web-data/metadata.json").is_file());
        assert!(!volume.is_anonymous());
        assert_eq!(volume.name, "web-data");
    }

    #[test]
    fn creating_an_existing_volume_returns_it_unchanged() {
        let (_dir, store) = store();
        let first = store.create(Some("db")).unwrap();
        fs::write(first.mountpoint.join("table"), "rows").unwrap();
        let second = store.create(Some("db")).unwrap();
        assert_eq!(first, second);
        assert_eq!(fs::read(second.mountpoint.join("table")).unwrap(), b"rows");
    }

    #[test]
    fn anonymous_volume_gets_a_random_hex_name_and_the_label() {
        let (_dir, store) = store();
        let one = store.create(None).unwrap();
        let two = store.create(None).unwrap();
        assert_eq!(one.name.len(), 64);
        assert!(one
            .name
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)));
        assert_ne!(one.name, two.name);
        assert!(one.is_anonymous());
        assert_eq!(store.get(&one.name).unwrap(), one);
    }

    #[test]
    fn names_are_validated_like_docker() {
        let (dir, store) = store();
        for good in ["ab", "a1", "my_vol.2-x", "0abc"] {
            assert!(validate_name(good).is_ok(), "{good}");
        }
        for bad in ["", "a", "-ab", ".ab", "_ab", "a/b", "../etc", "a b", "ä1"] {
            assert!(validate_name(bad).is_err(), "{bad}");
        }
        let error = store.create(Some("../escape")).unwrap_err().to_string();
        assert_eq!(
            error,
            "create ../escape: \"../escape\" includes invalid characters for a local volume \
             name, only \"[a-zA-Z0-9][a-zA-Z0-9_.-]\" are allowed. If you intended to pass a \
             host directory, use absolute path"
        );
        assert!(!dir.path().join("escape").exists());
    }

    #[test]
    fn get_of_a_missing_or_invalid_name_is_no_such_volume() {
        let (_dir, store) = store();
        assert_eq!(
            store.get("nothere").unwrap_err().to_string(),
            "get nothere: no such volume"
        );
        // `..` exists as a directory, but is no volume.
        assert_eq!(
            store.get("..").unwrap_err().to_string(),
            "get ..: no such volume"
        );
    }

    #[test]
    fn list_is_sorted_and_skips_foreign_and_hidden_entries() {
        let (_dir, store) = store();
        store.create(Some("zeta")).unwrap();
        store.create(Some("alpha")).unwrap();
        fs::create_dir(store.root().join(".creating-half-1")).unwrap();
        fs::write(store.root().join("metadata.db"), "").unwrap();
        let names: Vec<String> = store.list().unwrap().into_iter().map(|v| v.name).collect();
        assert_eq!(names, ["alpha", "zeta"]);
    }

    #[test]
    fn creation_leaves_no_temporary_directory() {
        let (_dir, store) = store();
        store.create(Some("clean")).unwrap();
        store.create(None).unwrap();
        let hidden: Vec<_> = fs::read_dir(store.root())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .filter(|n| n.to_string_lossy().starts_with('.'))
            .collect();
        assert!(hidden.is_empty(), "{hidden:?}");
    }

    #[test]
    fn a_volume_in_use_is_not_removed() {
        let (_dir, store) = store();
        let volume = store.create(Some("shared")).unwrap();
        let users = |name: &str| {
            assert_eq!(name, "shared");
            vec!["c0ffee".to_owned(), "decaf".to_owned()]
        };
        let error = store.remove("shared", &users).unwrap_err().to_string();
        assert_eq!(error, "remove shared: volume is in use - [c0ffee, decaf]");
        assert!(volume.mountpoint.is_dir());
    }

    #[test]
    fn remove_deletes_the_data() {
        let (_dir, store) = store();
        let volume = store.create(Some("gone")).unwrap();
        fs::create_dir(volume.mountpoint.join("sub")).unwrap();
        fs::write(volume.mountpoint.join("sub/file"), "x").unwrap();
        store.remove("gone", &nobody_uses).unwrap();
        assert!(!store.root().join("gone").exists());
        assert!(store.list().unwrap().is_empty());
        assert_eq!(
            store.remove("gone", &nobody_uses).unwrap_err().to_string(),
            "get gone: no such volume"
        );
        assert_eq!(fs::read_dir(store.root()).unwrap().count(), 0);
    }

    #[test]
    fn a_hand_made_volume_directory_is_read_without_metadata() {
        let (_dir, store) = store();
        fs::create_dir_all(store.root().join("manual/_data")).unwrap();
        let volume = store.get("manual").unwrap();
        assert!(volume.created_at.ends_with('Z'));
        assert!(volume.labels.is_empty());
    }

    #[test]
    fn inspect_has_dockers_shape() {
        let (dir, store) = store();
        let volume = store.create(Some("web")).unwrap();
        let value = store.inspect_json(&volume);
        let keys: Vec<&String> = value.as_object().unwrap().keys().collect();
        assert_eq!(
            keys,
            [
                "CreatedAt",
                "Driver",
                "Labels",
                "Mountpoint",
                "Name",
                "Options",
                "Scope"
            ]
        );
        assert_eq!(value["Driver"], "local");
        assert_eq!(value["Labels"], json!({}));
        assert_eq!(
            value["Mountpoint"],
            dir.path().join("volumes/web/_data").display().to_string()
        );
        assert_eq!(value["Name"], "web");
        assert!(value["Options"].is_null());
        assert_eq!(value["Scope"], "local");
        let created = value["CreatedAt"].as_str().unwrap();
        let parsed = humantime::parse_rfc3339(created).unwrap();
        let age = SystemTime::now().duration_since(parsed).unwrap();
        assert!(age.as_secs() < 60, "{created}");

        let anonymous = store.create(None).unwrap();
        let value = store.inspect_json(&anonymous);
        assert_eq!(value["Labels"], json!({ ANONYMOUS_LABEL: "" }));
    }
}
