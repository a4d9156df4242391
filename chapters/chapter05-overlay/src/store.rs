//! Layers on disk, the way docker's `overlay2` driver keeps them.
//!
//! Every layer is a directory `<root>/overlay2/<id>/` with
//! - `diff/` — the layer's own files (what it adds, changes or whites out);
//! - `link` — its short name: `l/<link>` is a symlink to `../<id>/diff`;
//! - `lower` — the short names of the layers below it, `l/A:l/B:…`, nearest first.
//!
//! Why short names: the overlay mount's options must fit in one page (4096 bytes on x86-64).
//! A layer path like `/var/lib/mini-docker/overlay2/<64 hex digits>/diff` is 99 bytes, so
//! about 39 layers would fit (99 bytes and a colon each); `l/` + 26 letters is 28 bytes,
//! and 120 layers fit easily.

use std::fs;
use std::path::{Path, PathBuf};

use chapter04::chapter03::chapter01::ContainerError;

/// Length of a short link name, as docker uses.
pub const LINK_LENGTH: usize = 26;

/// `<root>/overlay2`.
#[derive(Debug, Clone)]
pub struct LayerStore {
    dir: PathBuf,
}

/// One layer of the store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Layer {
    pub id: String,
    /// Directory `<store>/<id>`.
    pub dir: PathBuf,
    /// The short name: `l/<link>` leads to this layer's `diff/`.
    pub link: String,
    /// Short names of the layers below, nearest first.
    pub lower: Vec<String>,
}

impl Layer {
    /// The layer's own files.
    pub fn diff(&self) -> PathBuf {
        self.dir.join("diff")
    }

    /// This layer and every layer below, as `l/<link>` names, topmost first: what the
    /// overlay's `lowerdir=` lists when this layer is the top of an image.
    pub fn chain(&self) -> Vec<String> {
        std::iter::once(format!("l/{}", self.link))
            .chain(self.lower.iter().cloned())
            .collect()
    }
}

fn io(what: impl Into<String>) -> impl FnOnce(std::io::Error) -> ContainerError {
    let what = what.into();
    move |error| ContainerError::io(what, error)
}

impl LayerStore {
    /// The store under a state root (`<root>/overlay2`), created if missing.
    pub fn open(state_root: &Path) -> Result<Self, ContainerError> {
        let dir = state_root.join("overlay2");
        fs::create_dir_all(dir.join("l")).map_err(io(format!("create {}", dir.display())))?;
        Ok(LayerStore { dir })
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    // ANCHOR: create_layer
    /// Creates an empty layer `id` on top of `parent` (or at the bottom).
    pub fn create_layer(&self, id: &str, parent: Option<&Layer>) -> Result<Layer, ContainerError> {
        let dir = self.dir.join(id);
        fs::create_dir(&dir).map_err(io(format!("create layer {}", dir.display())))?;
        let created = self.fill_layer(id, &dir, parent);
        if created.is_err() {
            let _ = fs::remove_dir_all(&dir);
        }
        created
    }

    fn fill_layer(
        &self,
        id: &str,
        dir: &Path,
        parent: Option<&Layer>,
    ) -> Result<Layer, ContainerError> {
        fs::create_dir(dir.join("diff")).map_err(io("create diff"))?;
        let link = self.new_link(id)?;
        fs::write(dir.join("link"), &link).map_err(io("write link"))?;
        let lower = parent.map(Layer::chain).unwrap_or_default();
        if !lower.is_empty() {
            fs::write(dir.join("lower"), lower.join(":")).map_err(io("write lower"))?;
        }
        Ok(Layer {
            id: id.to_owned(),
            dir: dir.to_path_buf(),
            link,
            lower,
        })
    }
    // ANCHOR_END: create_layer

    /// A fresh short name, and its symlink `l/<name> -> ../<id>/diff`.
    fn new_link(&self, id: &str) -> Result<String, ContainerError> {
        loop {
            let name = random_link_name()?;
            match std::os::unix::fs::symlink(
                format!("../{id}/diff"),
                self.dir.join("l").join(&name),
            ) {
                Ok(()) => return Ok(name),
                Err(error) if error.kind() == std::io::ErrorKind::AlreadyExists => continue,
                Err(error) => return Err(ContainerError::io("create a short link", error)),
            }
        }
    }

    /// Reads layer `id` back from disk.
    pub fn layer(&self, id: &str) -> Result<Layer, ContainerError> {
        let dir = self.dir.join(id);
        let link = fs::read_to_string(dir.join("link")).map_err(io(format!("layer {id}")))?;
        let lower = fs::read_to_string(dir.join("lower")).unwrap_or_default();
        Ok(Layer {
            id: id.to_owned(),
            dir,
            link: link.trim().to_owned(),
            lower: lower
                .trim()
                .split(':')
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect(),
        })
    }

    /// Removes a layer and its short link.
    pub fn remove_layer(&self, layer: &Layer) -> Result<(), ContainerError> {
        let _ = fs::remove_file(self.dir.join("l").join(&layer.link));
        match fs::remove_dir_all(&layer.dir) {
            Ok(()) => Ok(()),
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(error) => Err(ContainerError::io(
                format!("remove {}", layer.dir.display()),
                error,
            )),
        }
    }
}

impl LayerStore {
    /// Removes whatever is left of layer `id`, even one whose creation or removal was cut
    /// short (no `link` file, a half-deleted tree): every short link that leads to it, then
    /// its directory. Links first, so an interrupted call never leaves a dangling one; run
    /// again, it finishes the job.
    pub fn remove_layer_by_id(&self, id: &str) -> Result<(), ContainerError> {
        let target = Path::new("..").join(id).join("diff");
        if let Ok(links) = fs::read_dir(self.dir.join("l")) {
            for link in links.flatten() {
                if fs::read_link(link.path()).is_ok_and(|to| to == target) {
                    let _ = fs::remove_file(link.path());
                }
            }
        }
        let dir = self.dir.join(id);
        match fs::remove_dir_all(&dir) {
            Ok(()) => Ok(()),
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(error) => Err(ContainerError::io(
                format!("remove {}", dir.display()),
                error,
            )),
        }
    }
}

/// 26 random capital letters and digits, like docker's link names.
fn random_link_name() -> Result<String, ContainerError> {
    const ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let mut bytes = [0u8; LINK_LENGTH];
    getrandom::fill(&mut bytes)
        .map_err(|e| ContainerError::Invalid(format!("cannot get random bytes: {e}")))?;
    Ok(bytes
        .iter()
        .map(|b| ALPHABET[usize::from(*b) % ALPHABET.len()] as char)
        .collect())
}
