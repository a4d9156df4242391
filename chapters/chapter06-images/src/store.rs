//! The image store: configs ([`crate::imagedb`]), layers ([`crate::layers`]) and names
//! ([`crate::repositories`]) under one state root, laid out like `/var/lib/docker`:
//!
//! ```text
//! <root>/image/overlay2/imagedb/content/sha256/<image-id>      config JSON
//! <root>/image/overlay2/layerdb/sha256/<chain-id>/…            one dir per layer
//! <root>/image/overlay2/repositories.json                      names → image IDs
//! <root>/overlay2/<cache-id>/diff, link, lower; overlay2/l/     the files (chapter 5)
//! ```
//!
//! Every change (adding an image, tagging, removing, collecting unused layers) happens
//! under an exclusive lock on `image/overlay2/.lock`, so two CLIs never interleave them;
//! reading needs no lock, because every file appears by an atomic rename.
//! Layers are not reference-counted on disk: a layer is in use while an image's chain or a
//! container's layers reach it, and [`ImageStore::collect_garbage`] removes the rest.

use std::collections::HashSet;
use std::fs::{self, File};
use std::io::Read;
use std::path::{Path, PathBuf};

use chapter05::chapter04::chapter03::chapter01::ContainerError;
use nix::fcntl::{Flock, FlockArg};

use crate::compression::decompressed;
use crate::config::ImageConfig;
use crate::digest::{chain_ids, Digest};
use crate::imagedb::ImageDb;
use crate::layers::{LayerDb, StoredLayer};
use crate::reference::Reference;
use crate::repositories::Repositories;

pub struct ImageStore {
    root: PathBuf,
    pub layers: LayerDb,
    pub images: ImageDb,
}

/// Proof that the caller holds the store's lock (released when dropped).
pub struct StoreLock {
    _lock: Flock<File>,
}

/// An image read from the store.
#[derive(Debug, Clone)]
pub struct Image {
    pub id: Digest,
    pub config: ImageConfig,
    /// The config's exact bytes (their digest is `id`).
    pub raw: Vec<u8>,
}

/// Where a layer's blob comes from while an image is added: opened on demand, so layers
/// the store has already are never read.
pub type OpenLayer<'a> = dyn FnMut(usize) -> Result<Box<dyn Read + 'a>, ContainerError> + 'a;

impl ImageStore {
    pub fn open(state_root: &Path) -> Result<Self, ContainerError> {
        let store = ImageStore {
            root: state_root.to_path_buf(),
            layers: LayerDb::open(state_root)?,
            images: ImageDb::open(state_root)?,
        };
        fs::create_dir_all(store.downloads_dir())
            .map_err(|e| ContainerError::io("create the download directory", e))?;
        Ok(store)
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// `image/overlay2/downloads`: where pulls keep blobs until they are unpacked, and
    /// where a cut download waits to be resumed. Part of the store's layout, so it is
    /// never removed under a concurrent pull.
    pub fn downloads_dir(&self) -> PathBuf {
        self.root.join("image/overlay2/downloads")
    }

    /// Waits for, and takes, the store's lock.
    pub fn lock(&self) -> Result<StoreLock, ContainerError> {
        let path = self.root.join("image/overlay2/.lock");
        let file = File::options()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(|e| ContainerError::io(format!("open {}", path.display()), e))?;
        let lock = Flock::lock(file, FlockArg::LockExclusive)
            .map_err(|(_, errno)| ContainerError::system("flock the image store", errno))?;
        Ok(StoreLock { _lock: lock })
    }

    // ANCHOR: add
    /// Adds the image whose config is `config`: each layer it lacks is read through
    /// `open_layer(index)` (plain or gzip), checked against the config's DiffID, and stored
    /// on top of the one below. On any error, the layers this call stored are removed again
    /// and no image is added.
    pub fn add(
        &self,
        lock: &StoreLock,
        config: &[u8],
        open_layer: &mut OpenLayer<'_>,
    ) -> Result<Digest, ContainerError> {
        let parsed = ImageConfig::parse(config).map_err(ContainerError::Invalid)?;
        let added = self
            .add_layers(&parsed, open_layer)
            .and_then(|_| self.images.put(config));
        if added.is_err() {
            let _ = self.collect_garbage(lock);
        }
        added
    }

    fn add_layers(
        &self,
        config: &ImageConfig,
        open_layer: &mut OpenLayer<'_>,
    ) -> Result<(), ContainerError> {
        let diff_ids = &config.rootfs.diff_ids;
        let mut parent: Option<StoredLayer> = None;
        for (index, chain_id) in chain_ids(diff_ids).iter().enumerate() {
            let layer = match self.layers.get(chain_id)? {
                Some(layer) => layer,
                None => {
                    let blob = open_layer(index)?;
                    let tar = decompressed(blob).map_err(|message| {
                        ContainerError::Invalid(format!("layer {}: {message}", diff_ids[index]))
                    })?;
                    self.layers
                        .register(tar, parent.as_ref(), Some(&diff_ids[index]))?
                }
            };
            parent = Some(layer);
        }
        Ok(())
    }
    // ANCHOR_END: add

    /// An image by name (`busybox`, `busybox:1.36`, `repo@sha256:…`) or by ID or unique ID
    /// prefix, the way docker resolves `docker run NAME`.
    pub fn resolve(&self, name: &str) -> Result<Digest, ContainerError> {
        if let Ok(reference) = Reference::parse(name) {
            if let Some(id) = Repositories::load(&self.root)?.resolve(&reference) {
                return Ok(id);
            }
        }
        if let Some(id) = self.images.find_prefix(name)? {
            return Ok(id);
        }
        Err(ContainerError::Invalid(format!("No such image: {name}")))
    }

    pub fn image(&self, id: &Digest) -> Result<Image, ContainerError> {
        let raw = self.images.get(id)?;
        let config = ImageConfig::parse(&raw).map_err(ContainerError::Invalid)?;
        Ok(Image {
            id: id.clone(),
            config,
            raw,
        })
    }

    /// The image's top layer (`None` for an image without layers).
    pub fn top_layer(&self, image: &Image) -> Result<Option<StoredLayer>, ContainerError> {
        let Some(top) = chain_ids(&image.config.rootfs.diff_ids).pop() else {
            return Ok(None);
        };
        self.layers.get(&top)?.map(Some).ok_or_else(|| {
            ContainerError::Invalid(format!(
                "image {}: layer {top} is missing",
                image.id.short()
            ))
        })
    }

    /// The image's layers, bottom first.
    pub fn image_layers(&self, image: &Image) -> Result<Vec<StoredLayer>, ContainerError> {
        let mut layers = match self.top_layer(image)? {
            Some(top) => top.chain(&self.layers)?,
            None => Vec::new(),
        };
        layers.reverse();
        Ok(layers)
    }

    /// Bytes of file content in all the image's layers.
    pub fn size(&self, image: &Image) -> Result<u64, ContainerError> {
        Ok(self.image_layers(image)?.iter().map(|l| l.size).sum())
    }

    /// Points `reference` at image `id`.
    pub fn tag(
        &self,
        _lock: &StoreLock,
        reference: &Reference,
        id: &Digest,
    ) -> Result<(), ContainerError> {
        let mut names = Repositories::load(&self.root)?;
        names.tag(reference, id);
        names.save(&self.root)
    }

    /// IDs of the containers whose records name image `id`: chapter 3's `config.json` keeps
    /// it as `Config.Image`, chapter 7's (like docker's) as the top-level `Image`.
    pub fn containers_using(&self, id: &Digest) -> Vec<String> {
        let mut users = Vec::new();
        let Ok(read) = fs::read_dir(self.root.join("containers")) else {
            return users;
        };
        for entry in read.flatten() {
            let Ok(bytes) = fs::read(entry.path().join("config.json")) else {
                continue;
            };
            let Ok(record) = serde_json::from_slice::<serde_json::Value>(&bytes) else {
                continue;
            };
            let names_it = |value: &serde_json::Value| value.as_str() == Some(id.as_str());
            if names_it(&record["Image"]) || names_it(&record["Config"]["Image"]) {
                users.push(entry.file_name().to_string_lossy().into_owned());
            }
        }
        users.sort();
        users
    }

    // ANCHOR: collect_garbage
    /// Removes every layer that no image and no container reaches; returns their ChainIDs.
    pub fn collect_garbage(&self, _lock: &StoreLock) -> Result<Vec<Digest>, ContainerError> {
        let mut needed: HashSet<Digest> = HashSet::new();
        for id in self.images.list() {
            let Ok(image) = self.image(&id) else { continue };
            needed.extend(chain_ids(&image.config.rootfs.diff_ids));
        }
        let linked = self.links_used_by_containers();
        let mut removed = Vec::new();
        for layer in self.layers.list()? {
            let reached_by_container = self
                .layers
                .overlay_layer(&layer)
                .is_ok_and(|overlay| linked.contains(&overlay.link));
            if !needed.contains(&layer.chain_id) && !reached_by_container {
                self.layers.remove(&layer)?;
                removed.push(layer.chain_id);
            }
        }
        Ok(removed)
    }
    // ANCHOR_END: collect_garbage

    /// The short link names in the `lower` files of layers that are not image layers
    /// (containers' init and upper layers): the image layers a container stands on.
    fn links_used_by_containers(&self) -> HashSet<String> {
        let image_layers: HashSet<String> = self
            .layers
            .list()
            .unwrap_or_default()
            .into_iter()
            .map(|l| l.cache_id)
            .collect();
        let mut links = HashSet::new();
        let Ok(read) = fs::read_dir(self.layers.overlay_store().dir()) else {
            return links;
        };
        for entry in read.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            if name == "l" || image_layers.contains(&name) {
                continue;
            }
            let lower = fs::read_to_string(entry.path().join("lower")).unwrap_or_default();
            links.extend(
                lower
                    .trim()
                    .split(':')
                    .filter_map(|name| name.strip_prefix("l/"))
                    .map(str::to_owned),
            );
        }
        links
    }
}
