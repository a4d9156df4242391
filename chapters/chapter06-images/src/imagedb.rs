//! The image database: `image/overlay2/imagedb/content/sha256/<image-id>` holds each image's
//! config, byte for byte — the file's digest *is* its name, so `sha256sum` on it prints the
//! image ID (try it). `metadata/sha256/<id>/parent` names the image a commit was made on.

use std::fs;
use std::path::{Path, PathBuf};

use chapter05::chapter04::chapter03::chapter01::ContainerError;
use chapter05::chapter04::chapter03::record::write_atomic;

use crate::digest::Digest;

#[derive(Debug, Clone)]
pub struct ImageDb {
    dir: PathBuf,
}

fn io(what: impl Into<String>) -> impl FnOnce(std::io::Error) -> ContainerError {
    let what = what.into();
    move |error| ContainerError::io(what, error)
}

impl ImageDb {
    pub fn open(state_root: &Path) -> Result<Self, ContainerError> {
        let dir = state_root.join("image/overlay2/imagedb");
        for sub in ["content/sha256", "metadata/sha256"] {
            fs::create_dir_all(dir.join(sub)).map_err(io(format!("create {}", dir.display())))?;
        }
        Ok(ImageDb { dir })
    }

    fn content(&self, id: &Digest) -> PathBuf {
        self.dir.join("content/sha256").join(id.hex())
    }

    // ANCHOR: put
    /// Stores a config; its ID is the digest of exactly these bytes.
    pub fn put(&self, config: &[u8]) -> Result<Digest, ContainerError> {
        let id = Digest::of(config);
        let path = self.content(&id);
        if !path.exists() {
            write_atomic(&path, config)?;
        }
        Ok(id)
    }
    // ANCHOR_END: put

    /// The config of image `id`, checked against its name.
    pub fn get(&self, id: &Digest) -> Result<Vec<u8>, ContainerError> {
        let path = self.content(id);
        let bytes = fs::read(&path).map_err(|error| match error.kind() {
            std::io::ErrorKind::NotFound => {
                ContainerError::Invalid(format!("No such image: {}", id.short()))
            }
            _ => ContainerError::io(format!("read {}", path.display()), error),
        })?;
        if Digest::of(&bytes) != *id {
            return Err(ContainerError::Invalid(format!(
                "image {id} is corrupt: {} does not match its name",
                path.display()
            )));
        }
        Ok(bytes)
    }

    pub fn exists(&self, id: &Digest) -> bool {
        self.content(id).is_file()
    }

    /// Every image ID, sorted.
    pub fn list(&self) -> Vec<Digest> {
        let mut ids: Vec<Digest> = fs::read_dir(self.dir.join("content/sha256"))
            .map(|read| {
                read.flatten()
                    .filter_map(|e| {
                        let name = e.file_name().to_string_lossy().into_owned();
                        Digest::parse(&format!("sha256:{name}")).ok()
                    })
                    .collect()
            })
            .unwrap_or_default();
        ids.sort();
        ids
    }

    /// The image whose ID starts with `prefix` (with or without `sha256:`), if exactly one
    /// does; several is an error naming them.
    pub fn find_prefix(&self, prefix: &str) -> Result<Option<Digest>, ContainerError> {
        let hex = prefix.strip_prefix("sha256:").unwrap_or(prefix);
        if hex.is_empty() || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Ok(None);
        }
        let matches: Vec<Digest> = self
            .list()
            .into_iter()
            .filter(|id| id.hex().starts_with(hex))
            .collect();
        match matches.as_slice() {
            [] => Ok(None),
            [one] => Ok(Some(one.clone())),
            many => Err(ContainerError::Invalid(format!(
                "image ID prefix {prefix:?} is ambiguous: it matches {}",
                many.iter()
                    .map(|id| id.short())
                    .collect::<Vec<_>>()
                    .join(", ")
            ))),
        }
    }

    pub fn set_parent(&self, id: &Digest, parent: &Digest) -> Result<(), ContainerError> {
        let dir = self.dir.join("metadata/sha256").join(id.hex());
        fs::create_dir_all(&dir).map_err(io(format!("create {}", dir.display())))?;
        write_atomic(&dir.join("parent"), parent.as_str().as_bytes())
    }

    pub fn parent(&self, id: &Digest) -> Option<Digest> {
        let path = self
            .dir
            .join("metadata/sha256")
            .join(id.hex())
            .join("parent");
        let text = fs::read_to_string(path).ok()?;
        Digest::parse(text.trim()).ok()
    }

    pub fn remove(&self, id: &Digest) -> Result<(), ContainerError> {
        let _ = fs::remove_dir_all(self.dir.join("metadata/sha256").join(id.hex()));
        match fs::remove_file(self.content(id)) {
            Err(error) if error.kind() != std::io::ErrorKind::NotFound => Err(ContainerError::io(
                format!("remove image {}", id.short()),
                error,
            )),
            _ => Ok(()),
        }
    }
}
