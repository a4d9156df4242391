//! `docker pull`: an image from a registry into the store.
//!
//! 1. the manifest for the tag (or digest); if it is an index, the manifest for linux on
//!    this machine's architecture;
//! 2. the config blob — its digest is the image ID;
//! 3. each layer the store lacks, downloaded (up to three at a time) into
//!    `image/overlay2/downloads/<digest>.partial`, checked against its digest, renamed to
//!    `<digest>`. A download that was cut (a crash, kill -9, a lost connection) resumes
//!    from where it stopped with an HTTP `Range` request; two pulls of one blob take turns
//!    through a lock on the file;
//! 4. under the store's lock, the layers are unpacked in order and the image is added
//!    (chapter 6's `ImageStore::add`: DiffIDs checked, nothing half-made on error); the
//!    downloads are removed.

use std::fs::{self, File};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use chapter05::chapter04::chapter03::chapter01::ContainerError;
use nix::fcntl::{Flock, FlockArg};
use sha2::{Digest as _, Sha256};

use crate::config::ImageConfig;
use crate::digest::{chain_ids, Digest, VerifyingReader};
use crate::manifest::{check_layer_type, is_index, pick_platform, Descriptor, Index, Manifest};
use crate::progress::Progress;
use crate::reference::Reference;
use crate::registry::RegistryClient;
use crate::store::ImageStore;

/// What a pull did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pulled {
    pub id: Digest,
    /// The manifest's digest: `repo@<digest>` names this exact image.
    pub manifest_digest: Digest,
    /// Whether the store had the image already.
    pub up_to_date: bool,
}

fn invalid(message: String) -> ContainerError {
    ContainerError::Invalid(message)
}

// ANCHOR: pull
/// Pulls `reference` into `store`, reporting to `progress`.
pub fn pull(
    store: &ImageStore,
    reference: &Reference,
    progress: &dyn Progress,
) -> Result<Pulled, ContainerError> {
    let mut client = RegistryClient::new(reference);
    let wanted = match (&reference.digest, &reference.tag) {
        (Some(digest), _) => digest.to_string(),
        (None, Some(tag)) => tag.clone(),
        (None, None) => "latest".to_owned(),
    };
    if reference.digest.is_none() {
        progress.line(&format!("{wanted}: Pulling from {}", reference.path));
    }
    let (manifest, manifest_digest) = resolve_manifest(&mut client, &wanted)?;
    let config = fetch_small_blob(&mut client, &manifest.config)?;
    let id = Digest::of(&config);
    let parsed = ImageConfig::parse(&config).map_err(invalid)?;
    if parsed.rootfs.diff_ids.len() != manifest.layers.len() {
        return Err(invalid(format!(
            "manifest {manifest_digest} lists {} layers, its config {}",
            manifest.layers.len(),
            parsed.rootfs.diff_ids.len()
        )));
    }
    let up_to_date = store.images.exists(&id);
    let downloads = store.downloads_dir();
    let missing = missing_layers(store, &parsed, &manifest, progress)?;
    let added = download_all(&client, &downloads, &missing, progress).and_then(|()| {
        let names = Names {
            reference,
            manifest_digest: &manifest_digest,
        };
        register(store, &config, &manifest, &downloads, &names)
    });
    if added.is_err() {
        // A failed pull leaves nothing it completed; only a download cut half-way (by a
        // crash) stays, to be resumed by the next pull.
        for descriptor in &missing {
            let _ = fs::remove_file(downloads.join(descriptor.digest.hex()));
        }
    }
    let added = added?;
    for descriptor in &missing {
        progress.status(short(&descriptor.digest), "Pull complete");
    }
    Ok(Pulled {
        id: added,
        manifest_digest,
        up_to_date,
    })
}
// ANCHOR_END: pull

/// The names a pulled image gets: its tag, and `repo@<manifest digest>`.
struct Names<'a> {
    reference: &'a Reference,
    manifest_digest: &'a Digest,
}

/// Under the store's lock: the layers unpacked in order (from their downloads), the image
/// added, its names set; then the downloads removed.
fn register(
    store: &ImageStore,
    config: &[u8],
    manifest: &Manifest,
    downloads: &Path,
    names: &Names<'_>,
) -> Result<Digest, ContainerError> {
    let lock = store.lock()?;
    let layer_file = |descriptor: &Descriptor| downloads.join(descriptor.digest.hex());
    let added = store.add(&lock, config, &mut |index| {
        let descriptor = &manifest.layers[index];
        let file = File::open(layer_file(descriptor)).map_err(|e| {
            ContainerError::io(format!("open the download of {}", descriptor.digest), e)
        })?;
        Ok(Box::new(VerifyingReader::new(
            file,
            descriptor.digest.clone(),
            "layer",
        )))
    })?;
    for descriptor in &manifest.layers {
        let _ = fs::remove_file(layer_file(descriptor));
    }
    let reference = names.reference;
    if let Some(tag) = &reference.tag {
        let tagged = Reference {
            digest: None,
            tag: Some(tag.clone()),
            ..reference.clone()
        };
        store.tag(&lock, &tagged, &added)?;
    }
    let by_digest = Reference {
        digest: Some(names.manifest_digest.clone()),
        tag: None,
        ..reference.clone()
    };
    store.tag(&lock, &by_digest, &added)?;
    Ok(added)
}

/// The first 12 hex digits, as docker names layers in its progress.
fn short(digest: &Digest) -> &str {
    digest.short()
}

/// Follows an index down to this platform's manifest.
fn resolve_manifest(
    client: &mut RegistryClient,
    wanted: &str,
) -> Result<(Manifest, Digest), ContainerError> {
    let (mut bytes, mut media_type, mut digest) = client.manifest(wanted)?;
    for _ in 0..4 {
        let looks_like_index = serde_json::from_slice::<serde_json::Value>(&bytes)
            .map(|v| v.get("manifests").is_some())
            .unwrap_or(false);
        if !(is_index(&media_type) || looks_like_index) {
            break;
        }
        let index: Index = serde_json::from_slice(&bytes)
            .map_err(|e| invalid(format!("invalid index {digest}: {e}")))?;
        let chosen = pick_platform(&index).map_err(invalid)?.digest.to_string();
        (bytes, media_type, digest) = client.manifest(&chosen)?;
    }
    if media_type.starts_with("application/vnd.docker.distribution.manifest.v1") {
        return Err(invalid(format!(
            "manifest {digest} is in the old schema 1 format, which is not supported"
        )));
    }
    let manifest: Manifest = serde_json::from_slice(&bytes)
        .map_err(|e| invalid(format!("invalid manifest {digest}: {e}")))?;
    for layer in &manifest.layers {
        check_layer_type(&layer.media_type).map_err(invalid)?;
    }
    Ok((manifest, digest))
}

fn fetch_small_blob(
    client: &mut RegistryClient,
    descriptor: &Descriptor,
) -> Result<Vec<u8>, ContainerError> {
    let reply = client.blob(&descriptor.digest, 0)?;
    let mut bytes = Vec::new();
    VerifyingReader::new(
        reply.response.into_reader().take(16 << 20),
        descriptor.digest.clone(),
        "config",
    )
    .read_to_end(&mut bytes)
    .map_err(|e| invalid(e.to_string()))?;
    Ok(bytes)
}

/// The layers whose ChainID the store lacks; the others are reported as there.
fn missing_layers(
    store: &ImageStore,
    config: &ImageConfig,
    manifest: &Manifest,
    progress: &dyn Progress,
) -> Result<Vec<Descriptor>, ContainerError> {
    let mut missing = Vec::new();
    for (chain_id, descriptor) in chain_ids(&config.rootfs.diff_ids)
        .iter()
        .zip(&manifest.layers)
    {
        if store.layers.get(chain_id)?.is_some() {
            progress.status(short(&descriptor.digest), "Already exists");
        } else {
            progress.status(short(&descriptor.digest), "Pulling fs layer");
            missing.push(descriptor.clone());
        }
    }
    Ok(missing)
}

/// Downloads the layers, three at a time.
fn download_all(
    client: &RegistryClient,
    dir: &Path,
    layers: &[Descriptor],
    progress: &dyn Progress,
) -> Result<(), ContainerError> {
    for batch in layers.chunks(3) {
        let results: Vec<Result<(), ContainerError>> = std::thread::scope(|scope| {
            let workers: Vec<_> = batch
                .iter()
                .map(|descriptor| {
                    let mut client = client.clone();
                    scope.spawn(move || download(&mut client, dir, descriptor, progress))
                })
                .collect();
            workers
                .into_iter()
                .map(|worker| {
                    worker
                        .join()
                        .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
                })
                .collect()
        });
        results.into_iter().collect::<Result<Vec<()>, _>>()?;
    }
    Ok(())
}

// ANCHOR: download
/// One blob into `<dir>/<hex>`, through `<hex>.partial`, resuming what a previous try left.
fn download(
    client: &mut RegistryClient,
    dir: &Path,
    descriptor: &Descriptor,
    progress: &dyn Progress,
) -> Result<(), ContainerError> {
    let layer = short(&descriptor.digest);
    let done: PathBuf = dir.join(descriptor.digest.hex());
    let partial = dir.join(format!("{}.partial", descriptor.digest.hex()));
    let io = |what: &str| {
        let what = format!("{what} {}", partial.display());
        move |e| ContainerError::io(what, e)
    };
    if done.exists() {
        progress.status(layer, "Download complete");
        return Ok(());
    }
    let file = File::options()
        .create(true)
        .append(true)
        .read(true)
        .open(&partial)
        .map_err(io("open"))?;
    // Another pull of the same blob holds the lock while it downloads: wait for it.
    let mut file = Flock::lock(file, FlockArg::LockExclusive)
        .map_err(|(_, errno)| ContainerError::system("flock a download", errno))?;
    if done.exists() {
        // It finished while we waited; our open made a new, empty `.partial`.
        let _ = fs::remove_file(&partial);
        progress.status(layer, "Download complete");
        return Ok(());
    }
    // What a cut download left is hashed again, then the rest is asked for.
    let mut hasher = Sha256::new();
    let mut have = 0u64;
    {
        let mut existing = File::open(&partial).map_err(io("read"))?;
        let mut buffer = vec![0u8; 1 << 16];
        loop {
            let read = existing.read(&mut buffer).map_err(io("read"))?;
            if read == 0 {
                break;
            }
            hasher.update(&buffer[..read]);
            have += read as u64;
        }
    }
    // A download cut after its last byte (between its fsync and its rename) needs no
    // request at all: asking for the bytes after the end would get 416.
    if have < descriptor.size || descriptor.size == 0 {
        fetch_rest(
            client,
            descriptor,
            &mut file,
            &mut hasher,
            &mut have,
            progress,
        )?;
    }
    let digest = Digest::of_sha256(hasher);
    if digest != descriptor.digest {
        let _ = fs::remove_file(&partial);
        return Err(invalid(format!(
            "layer {} is corrupt: its download has digest {digest}",
            descriptor.digest
        )));
    }
    file.sync_all().map_err(io("sync"))?;
    fs::rename(&partial, &done).map_err(io("rename"))?;
    progress.status(layer, "Download complete");
    Ok(())
}
// ANCHOR_END: download

/// Appends the rest of the blob (from `have` on) to `file`, hashing it.
fn fetch_rest(
    client: &mut RegistryClient,
    descriptor: &Descriptor,
    file: &mut File,
    hasher: &mut Sha256,
    have: &mut u64,
    progress: &dyn Progress,
) -> Result<(), ContainerError> {
    let layer = short(&descriptor.digest);
    let io = |what: &'static str| {
        move |e| ContainerError::io(format!("{what} the download of {}", descriptor.digest), e)
    };
    let reply = client.blob(&descriptor.digest, *have)?;
    if reply.status != 206 && *have > 0 {
        // The registry sent the whole blob: start over.
        file.set_len(0).map_err(io("truncate"))?;
        *hasher = Sha256::new();
        *have = 0;
    }
    let mut body = reply.response.into_reader();
    let mut buffer = vec![0u8; 1 << 16];
    let mut last_shown = 0;
    loop {
        let read = body
            .read(&mut buffer)
            .map_err(|e| invalid(format!("download of {} was cut: {e}", descriptor.digest)))?;
        if read == 0 {
            break;
        }
        file.write_all(&buffer[..read]).map_err(io("write"))?;
        hasher.update(&buffer[..read]);
        *have += read as u64;
        if *have - last_shown >= 1 << 19 || *have == descriptor.size {
            progress.bytes(layer, *have, descriptor.size);
            last_shown = *have;
        }
    }
    Ok(())
}
