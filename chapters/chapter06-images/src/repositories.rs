//! Names for images: `image/overlay2/repositories.json`, in docker's own shape:
//!
//! ```json
//! {"Repositories": {"busybox": {"busybox:latest": "sha256:…",
//!                               "busybox@sha256:…": "sha256:…"}}}
//! ```
//!
//! A tag moves: tagging `busybox:latest` again points it at the new image, and the old one
//! keeps its other names or becomes `<none>`. Changes are made under the store's lock and
//! written atomically (see `store`).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use chapter05::chapter04::chapter03::chapter01::ContainerError;
use chapter05::chapter04::chapter03::record::write_json;
use serde::{Deserialize, Serialize};

use crate::digest::Digest;
use crate::reference::Reference;

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Repositories {
    #[serde(rename = "Repositories")]
    repositories: BTreeMap<String, BTreeMap<String, Digest>>,
}

/// Where repositories.json lives under a state root.
pub fn path(state_root: &Path) -> PathBuf {
    state_root.join("image/overlay2/repositories.json")
}

/// The key a reference is stored under: `repo:tag` or `repo@digest`.
fn key(reference: &Reference) -> String {
    match (&reference.tag, &reference.digest) {
        (_, Some(digest)) => format!("{}@{digest}", reference.repository()),
        (Some(tag), None) => format!("{}:{tag}", reference.repository()),
        (None, None) => format!("{}:latest", reference.repository()),
    }
}

impl Repositories {
    /// Reads the file; a missing file is an empty set of names.
    pub fn load(state_root: &Path) -> Result<Self, ContainerError> {
        let file = path(state_root);
        match std::fs::read(&file) {
            Ok(bytes) => serde_json::from_slice(&bytes).map_err(|e| {
                ContainerError::Invalid(format!("{} is not valid: {e}", file.display()))
            }),
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(Self::default()),
            Err(error) => Err(ContainerError::io(
                format!("read {}", file.display()),
                error,
            )),
        }
    }

    pub fn save(&self, state_root: &Path) -> Result<(), ContainerError> {
        write_json(&path(state_root), self)
    }

    /// Points `reference` at `image`; returns the image it pointed at before, if another.
    pub fn tag(&mut self, reference: &Reference, image: &Digest) -> Option<Digest> {
        self.repositories
            .entry(reference.repository())
            .or_default()
            .insert(key(reference), image.clone())
            .filter(|old| old != image)
    }

    /// Removes the name; returns the image it named.
    pub fn untag(&mut self, reference: &Reference) -> Option<Digest> {
        let repository = reference.repository();
        let names = self.repositories.get_mut(&repository)?;
        let removed = names.remove(&key(reference));
        if names.is_empty() {
            self.repositories.remove(&repository);
        }
        removed
    }

    /// The image a reference names.
    pub fn resolve(&self, reference: &Reference) -> Option<Digest> {
        self.repositories
            .get(&reference.repository())?
            .get(&key(reference))
            .cloned()
    }

    /// Every `repo:tag` naming `image`, sorted.
    pub fn tags_of(&self, image: &Digest) -> Vec<String> {
        self.names_of(image)
            .filter(|name| !name.contains('@'))
            .collect()
    }

    /// Every `repo@sha256:…` naming `image`, sorted.
    pub fn digests_of(&self, image: &Digest) -> Vec<String> {
        self.names_of(image)
            .filter(|name| name.contains('@'))
            .collect()
    }

    fn names_of<'a>(&'a self, image: &'a Digest) -> impl Iterator<Item = String> + 'a {
        self.repositories
            .values()
            .flat_map(|names| names.iter())
            .filter(move |(_, id)| *id == image)
            .map(|(name, _)| name.clone())
    }

    /// Removes every name of `image`; returns them.
    pub fn forget(&mut self, image: &Digest) -> Vec<String> {
        let mut removed = Vec::new();
        for names in self.repositories.values_mut() {
            names.retain(|name, id| {
                let keep = id != image;
                if !keep {
                    removed.push(name.clone());
                }
                keep
            });
        }
        self.repositories.retain(|_, names| !names.is_empty());
        removed.sort();
        removed
    }
}
