//! `docker load`: images from an archive into the store. Three shapes are understood:
//!
//! - **docker save, older** (before docker 25): `manifest.json` points at `<id>.json`
//!   configs and `<v1-id>/layer.tar` layers;
//! - **docker save, newer** (docker 25+): the same `manifest.json`, pointing into an OCI
//!   layout (`blobs/sha256/…`) stored beside it;
//! - **OCI image layout**, as a directory or a tar: `oci-layout`, `index.json`, `blobs/`.
//!
//! Whatever the shape, every blob named by digest is checked against it as it is read, and
//! every layer against the config's DiffID; a mismatch fails the load and leaves the store
//! as it was.

use std::io::{Read, Write};
use std::path::Path;

use chapter05::chapter04::chapter03::chapter01::ContainerError;
use serde::Deserialize;

use crate::blobs::{BlobSource, LayoutDir, TarIndex};
use crate::compression::{detect, Compression};
use crate::config::ImageConfig;
use crate::digest::{Digest, VerifyingReader};
use crate::manifest::{
    check_layer_type, is_index, pick_platform, Descriptor, Index, Manifest, IMAGE_NAME,
};
use crate::reference::Reference;
use crate::store::{ImageStore, StoreLock};

/// One image the archive held: its ID and the names it was tagged with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Loaded {
    pub id: Digest,
    pub names: Vec<String>,
}

impl Loaded {
    /// What `docker load` prints for it.
    pub fn lines(&self) -> Vec<String> {
        if self.names.is_empty() {
            vec![format!("Loaded image ID: {}", self.id)]
        } else {
            self.names
                .iter()
                .map(|n| format!("Loaded image: {n}"))
                .collect()
        }
    }
}

// ANCHOR: load
/// Loads every image of the archive at `input` (a tar file or an OCI layout directory). A
/// gzip-compressed archive is decompressed into the store's scratch directory first, since
/// a tar is read by seeking.
pub fn load(
    store: &ImageStore,
    lock: &StoreLock,
    input: &Path,
) -> Result<Vec<Loaded>, ContainerError> {
    if input.is_dir() {
        return load_from(store, lock, &LayoutDir::open(input)?);
    }
    let mut start = [0u8; 4];
    let read = std::fs::File::open(input)
        .and_then(|mut f| f.read(&mut start))
        .map_err(|e| ContainerError::io(format!("read {}", input.display()), e))?;
    match detect(&start[..read]) {
        Compression::None => load_from(store, lock, &TarIndex::open(input)?),
        Compression::Gzip => {
            let scratch = store.root().join("image/overlay2/layerdb/tmp");
            let plain = scratch.join(format!("load-{}.tar", std::process::id()));
            let result = gunzip(input, &plain)
                .and_then(|()| TarIndex::open(&plain))
                .and_then(|index| load_from(store, lock, &index));
            let _ = std::fs::remove_file(&plain);
            result
        }
        Compression::Zstd => Err(ContainerError::Invalid(
            "zstd-compressed archives are not supported; use gzip or a plain tar".into(),
        )),
    }
}

fn load_from(
    store: &ImageStore,
    lock: &StoreLock,
    source: &dyn BlobSource,
) -> Result<Vec<Loaded>, ContainerError> {
    if source.exists("manifest.json") {
        load_docker_archive(store, lock, source)
    } else if source.exists("index.json") {
        load_oci_layout(store, lock, source)
    } else {
        Err(ContainerError::Invalid(
            "not an image archive: it has neither manifest.json (docker save) nor index.json (OCI layout)".into(),
        ))
    }
}
// ANCHOR_END: load

fn gunzip(from: &Path, to: &Path) -> Result<(), ContainerError> {
    let input = std::fs::File::open(from)
        .map_err(|e| ContainerError::io(format!("open {}", from.display()), e))?;
    let mut output = std::fs::File::create(to)
        .map_err(|e| ContainerError::io(format!("create {}", to.display()), e))?;
    std::io::copy(&mut flate2::read::MultiGzDecoder::new(input), &mut output)
        .and_then(|_| output.flush())
        .map(|_| ())
        .map_err(|e| ContainerError::Invalid(format!("cannot decompress {}: {e}", from.display())))
}

/// One image of `manifest.json`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ArchiveEntry {
    config: String,
    #[serde(default)]
    repo_tags: Option<Vec<String>>,
    layers: Vec<String>,
}

/// The digest a path names, when it is `blobs/sha256/<hex>` or `<hex>.json`.
fn digest_in_path(path: &str) -> Option<Digest> {
    let name = path.rsplit('/').next()?;
    let hex = name.strip_suffix(".json").unwrap_or(name);
    Digest::parse(&format!("sha256:{hex}")).ok()
}

// ANCHOR: verify
/// Opens a blob, verified against the digest its path names (if it names one).
fn open_checked<'a>(
    source: &'a dyn BlobSource,
    path: &str,
    what: &str,
) -> Result<Box<dyn Read + 'a>, ContainerError> {
    let blob = source.open(path)?;
    Ok(match digest_in_path(path) {
        Some(digest) => Box::new(VerifyingReader::new(blob, digest, what)),
        None => blob,
    })
}

/// A layer blob, verified against its digest — unless that digest is the layer's DiffID:
/// then the blob is the uncompressed tar, and the layer store checks exactly that digest
/// while it unpacks. Hashing 100 MB twice would cost more than the rest of the load.
fn open_layer<'a>(
    source: &'a dyn BlobSource,
    path: &str,
    diff_id: &Digest,
) -> Result<Box<dyn Read + 'a>, ContainerError> {
    if digest_in_path(path).as_ref() == Some(diff_id) {
        return source.open(path);
    }
    open_checked(source, path, "layer")
}
// ANCHOR_END: verify

fn read_checked(
    source: &dyn BlobSource,
    path: &str,
    what: &str,
) -> Result<Vec<u8>, ContainerError> {
    let bytes = source.read_small(path)?;
    if let Some(expected) = digest_in_path(path) {
        let actual = Digest::of(&bytes);
        if actual != expected {
            return Err(ContainerError::Invalid(format!(
                "{what} {expected} is corrupt: its content has digest {actual}"
            )));
        }
    }
    Ok(bytes)
}

fn load_docker_archive(
    store: &ImageStore,
    lock: &StoreLock,
    source: &dyn BlobSource,
) -> Result<Vec<Loaded>, ContainerError> {
    let manifest: Vec<ArchiveEntry> = serde_json::from_slice(&source.read_small("manifest.json")?)
        .map_err(|e| ContainerError::Invalid(format!("invalid manifest.json: {e}")))?;
    let mut loaded = Vec::new();
    for entry in manifest {
        let config = read_checked(source, &entry.config, "config")?;
        let parsed = ImageConfig::parse(&config).map_err(ContainerError::Invalid)?;
        if parsed.rootfs.diff_ids.len() != entry.layers.len() {
            return Err(ContainerError::Invalid(format!(
                "manifest.json lists {} layers for {}, but its config has {}",
                entry.layers.len(),
                entry.config,
                parsed.rootfs.diff_ids.len()
            )));
        }
        let id = store.add(lock, &config, &mut |index| {
            open_layer(source, &entry.layers[index], &parsed.rootfs.diff_ids[index])
        })?;
        let names = tag_all(store, lock, &id, entry.repo_tags.unwrap_or_default())?;
        loaded.push(Loaded { id, names });
    }
    Ok(loaded)
}

fn blob_path(digest: &Digest) -> String {
    format!("blobs/sha256/{}", digest.hex())
}

fn load_oci_layout(
    store: &ImageStore,
    lock: &StoreLock,
    source: &dyn BlobSource,
) -> Result<Vec<Loaded>, ContainerError> {
    let layout: serde_json::Value = serde_json::from_slice(&source.read_small("oci-layout")?)
        .map_err(|e| ContainerError::Invalid(format!("invalid oci-layout: {e}")))?;
    if layout["imageLayoutVersion"] != "1.0.0" {
        return Err(ContainerError::Invalid(format!(
            "unsupported OCI layout version {}",
            layout["imageLayoutVersion"]
        )));
    }
    let index: Index = serde_json::from_slice(&source.read_small("index.json")?)
        .map_err(|e| ContainerError::Invalid(format!("invalid index.json: {e}")))?;
    let mut loaded = Vec::new();
    for descriptor in &index.manifests {
        let manifest = resolve_manifest(source, descriptor)?;
        let config = read_checked(source, &blob_path(&manifest.config.digest), "config")?;
        for layer in &manifest.layers {
            check_layer_type(&layer.media_type).map_err(ContainerError::Invalid)?;
        }
        let config_diff_ids = ImageConfig::parse(&config)
            .map_err(ContainerError::Invalid)?
            .rootfs
            .diff_ids;
        if config_diff_ids.len() != manifest.layers.len() {
            return Err(ContainerError::Invalid(format!(
                "manifest {} lists {} layers, its config {}",
                descriptor.digest,
                manifest.layers.len(),
                config_diff_ids.len()
            )));
        }
        let id = store.add(lock, &config, &mut |index| {
            open_layer(
                source,
                &blob_path(&manifest.layers[index].digest),
                &config_diff_ids[index],
            )
        })?;
        let names: Vec<String> = descriptor
            .annotations
            .get(IMAGE_NAME)
            .cloned()
            .into_iter()
            .collect();
        let names = tag_all(store, lock, &id, names)?;
        loaded.push(Loaded { id, names });
    }
    Ok(loaded)
}

/// Follows indexes down to a manifest for this platform.
fn resolve_manifest(
    source: &dyn BlobSource,
    descriptor: &Descriptor,
) -> Result<Manifest, ContainerError> {
    let mut current = descriptor.clone();
    for _ in 0..8 {
        let bytes = read_checked(source, &blob_path(&current.digest), "manifest")?;
        if is_index(&current.media_type) {
            let index: Index = serde_json::from_slice(&bytes).map_err(|e| {
                ContainerError::Invalid(format!("invalid index {}: {e}", current.digest))
            })?;
            current = pick_platform(&index)
                .map_err(ContainerError::Invalid)?
                .clone();
            continue;
        }
        return serde_json::from_slice(&bytes).map_err(|e| {
            ContainerError::Invalid(format!("invalid manifest {}: {e}", current.digest))
        });
    }
    Err(ContainerError::Invalid("indexes nested too deep".into()))
}

/// Tags `id` with each name (skipping ones that do not parse, as docker does with a
/// warning); returns the names as shown.
fn tag_all(
    store: &ImageStore,
    lock: &StoreLock,
    id: &Digest,
    names: Vec<String>,
) -> Result<Vec<String>, ContainerError> {
    let mut shown = Vec::new();
    for name in names {
        match Reference::parse(&name) {
            Ok(reference) if reference.digest.is_none() => {
                store.tag(lock, &reference, id)?;
                shown.push(reference.to_string());
            }
            Ok(_) => {}
            Err(message) => eprintln!("WARNING: not tagging {name:?}: {message}"),
        }
    }
    Ok(shown)
}
