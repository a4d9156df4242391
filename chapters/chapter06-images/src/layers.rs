//! The layer database: what docker keeps in `image/overlay2/layerdb/sha256/<chain-id>/`.
//!
//! ```text
//! layerdb/sha256/<chain-id>/
//!   diff             the DiffID: sha256 of the layer's uncompressed tar
//!   parent           the ChainID of the layer below (absent for a bottom layer)
//!   cache-id         the name of its directory in overlay2/ (random, like docker's)
//!   size             bytes of file content in the layer
//!   tar-split.gz     how to give back the exact tar (see tar_split)
//! ```
//!
//! Layers are keyed by ChainID, so a layer shared by two images is stored once. Nothing
//! counts references on disk: an image holds the chain of its top layer, and a layer is
//! kept while some image (or container) needs it — see `store::ImageStore::collect_garbage`.
//!
//! A layer appears in one step: it is unpacked under `layerdb/tmp/write-<random>/` (with a
//! lock file held while the writer lives), then renamed to its ChainID. A writer killed
//! half-way leaves a staging directory whose lock nobody holds; the next `open` removes it
//! with its overlay directory. So a half-written layer is never visible.

use std::fs::{self, File};
use std::io::{Read, Write};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use chapter05::chapter04::chapter03::chapter01::ContainerError;
use chapter05::{unpack_layer_observed, Layer, LayerStore};
use nix::fcntl::{Flock, FlockArg};

use crate::digest::{chain_id, BackgroundHashingReader, Digest};
use crate::tar_split::{replay, Recorder};

/// One layer of the database.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredLayer {
    pub chain_id: Digest,
    pub diff_id: Digest,
    pub parent: Option<Digest>,
    pub cache_id: String,
    pub size: u64,
}

/// `<root>/image/overlay2/layerdb`, over chapter 5's `<root>/overlay2`.
#[derive(Debug, Clone)]
pub struct LayerDb {
    dir: PathBuf,
    store: LayerStore,
}

fn io(what: impl Into<String>) -> impl FnOnce(std::io::Error) -> ContainerError {
    let what = what.into();
    move |error| ContainerError::io(what, error)
}

/// 64 random hex digits.
pub fn random_id() -> Result<String, ContainerError> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes)
        .map_err(|e| ContainerError::Invalid(format!("cannot get random bytes: {e}")))?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

// ANCHOR: staging
/// A staging directory under `layerdb/tmp/`, announced by a lock file we hold.
struct Staging {
    dir: PathBuf,
    lock_path: PathBuf,
    _lock: Flock<File>,
}

impl Staging {
    fn new(tmp: &Path, kind: &str) -> Result<Self, ContainerError> {
        let name = format!("{kind}-{}", random_id()?);
        let lock_path = tmp.join(format!("{name}.lock"));
        let file = File::create_new(&lock_path).map_err(io("create a staging lock"))?;
        let lock = Flock::lock(file, FlockArg::LockExclusive)
            .map_err(|(_, errno)| ContainerError::system("flock a staging lock", errno))?;
        // A cleaner may have taken the lock file for stale between our create and our lock,
        // and removed it: then our lock guards nothing, and we stop.
        let ours = lock.metadata().map(|m| m.ino()).ok();
        if fs::metadata(&lock_path).map(|m| m.ino()).ok() != ours {
            return Err(ContainerError::Invalid(
                "a concurrent cleanup removed our staging lock; try again".into(),
            ));
        }
        let dir = tmp.join(name);
        fs::create_dir(&dir).map_err(io(format!("create {}", dir.display())))?;
        Ok(Staging {
            dir,
            lock_path,
            _lock: lock,
        })
    }
}

impl Drop for Staging {
    fn drop(&mut self) {
        // Still here means the work did not finish (or it was a removal): the directory
        // goes first, the lock file last, so a crash in between is seen as stale.
        let _ = fs::remove_dir_all(&self.dir);
        let _ = fs::remove_file(&self.lock_path);
    }
}
// ANCHOR_END: staging

impl LayerDb {
    /// Opens (creating if needed) the database under `state_root`, and removes what
    /// writers that died left in `tmp/`.
    pub fn open(state_root: &Path) -> Result<Self, ContainerError> {
        let dir = state_root.join("image/overlay2/layerdb");
        for sub in ["sha256", "tmp"] {
            fs::create_dir_all(dir.join(sub)).map_err(io(format!("create {}", dir.display())))?;
        }
        let db = LayerDb {
            dir,
            store: LayerStore::open(state_root)?,
        };
        db.remove_stale_staging();
        Ok(db)
    }

    /// Chapter 5's overlay layer store this database names layers in.
    pub fn overlay_store(&self) -> &LayerStore {
        &self.store
    }

    fn entry_dir(&self, chain_id: &Digest) -> PathBuf {
        self.dir.join("sha256").join(chain_id.hex())
    }

    /// The layer with this ChainID, if it is stored.
    pub fn get(&self, chain_id: &Digest) -> Result<Option<StoredLayer>, ContainerError> {
        let dir = self.entry_dir(chain_id);
        if !dir.is_dir() {
            return Ok(None);
        }
        let read = |name: &str| {
            fs::read_to_string(dir.join(name))
                .map(|text| text.trim().to_owned())
                .map_err(io(format!("read {}/{name}", dir.display())))
        };
        let parse = |text: String| Digest::parse(&text).map_err(ContainerError::Invalid);
        let parent = match read("parent") {
            Ok(text) => Some(parse(text)?),
            Err(_) => None,
        };
        Ok(Some(StoredLayer {
            chain_id: chain_id.clone(),
            diff_id: parse(read("diff")?)?,
            parent,
            cache_id: read("cache-id")?,
            size: read("size")?.parse().unwrap_or(0),
        }))
    }

    /// Every stored layer.
    pub fn list(&self) -> Result<Vec<StoredLayer>, ContainerError> {
        let mut layers = Vec::new();
        let read = fs::read_dir(self.dir.join("sha256")).map_err(io("read the layer db"))?;
        for entry in read.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            if let Ok(chain_id) = Digest::parse(&format!("sha256:{name}")) {
                if let Some(layer) = self.get(&chain_id)? {
                    layers.push(layer);
                }
            }
        }
        layers.sort_by(|a, b| a.chain_id.cmp(&b.chain_id));
        Ok(layers)
    }

    /// The layer's directory in chapter 5's store.
    pub fn overlay_layer(&self, layer: &StoredLayer) -> Result<Layer, ContainerError> {
        self.store.layer(&layer.cache_id)
    }

    // ANCHOR: register
    /// Unpacks the uncompressed layer tar read from `tar` on top of `parent`, and stores it
    /// under its ChainID. With `expected`, the tar's DiffID must match it. If the layer is
    /// stored already, the new copy is dropped and the stored one returned.
    pub fn register(
        &self,
        tar: impl Read,
        parent: Option<&StoredLayer>,
        expected: Option<&Digest>,
    ) -> Result<StoredLayer, ContainerError> {
        let staging = Staging::new(&self.dir.join("tmp"), "write")?;
        let cache_id = random_id()?;
        // cache-id first: if we die after this, the cleaner knows which overlay dir to remove.
        fs::write(staging.dir.join("cache-id"), &cache_id).map_err(io("write cache-id"))?;
        let parent_layer = parent.map(|p| self.overlay_layer(p)).transpose()?;
        let layer = self.store.create_layer(&cache_id, parent_layer.as_ref())?;
        let stored = self.fill(&staging, tar, parent, expected, &layer);
        if stored.is_err() {
            let _ = self.store.remove_layer(&layer);
        }
        stored
    }

    fn fill(
        &self,
        staging: &Staging,
        tar: impl Read,
        parent: Option<&StoredLayer>,
        expected: Option<&Digest>,
        layer: &Layer,
    ) -> Result<StoredLayer, ContainerError> {
        let mut recorder = Recorder::new(BackgroundHashingReader::new(tar));
        let mut observer = recorder.observer();
        let unpacked = unpack_layer_observed(&mut recorder, &layer.diff(), &mut observer)?;
        drop(observer);
        let (split, hashing) = recorder
            .finish()
            .map_err(io("record the layer's tar-split"))?;
        let (diff_id, _) = hashing.finish();
        if let Some(expected) = expected {
            if &diff_id != expected {
                return Err(ContainerError::Invalid(format!(
                    "layer {expected} is corrupt: its uncompressed content has digest {diff_id}"
                )));
            }
        }
        let chain_id = chain_id(parent.map(|p| &p.chain_id), &diff_id);
        if let Some(existing) = self.get(&chain_id)? {
            let _ = self.store.remove_layer(layer);
            return Ok(existing);
        }
        let write = |name: &str, bytes: &[u8]| {
            fs::write(staging.dir.join(name), bytes).map_err(io(format!("write {name}")))
        };
        write("diff", diff_id.as_str().as_bytes())?;
        write("size", unpacked.bytes.to_string().as_bytes())?;
        write("tar-split.gz", &split)?;
        if let Some(parent) = parent {
            write("parent", parent.chain_id.as_str().as_bytes())?;
        }
        let target = self.entry_dir(&chain_id);
        match fs::rename(&staging.dir, &target) {
            Ok(()) => {}
            // Someone stored the same layer meanwhile: theirs wins, ours goes.
            Err(_) if target.is_dir() => {
                let _ = self.store.remove_layer(layer);
            }
            Err(error) => {
                return Err(ContainerError::io(
                    format!("rename to {}", target.display()),
                    error,
                ))
            }
        }
        self.get(&chain_id)?
            .ok_or_else(|| ContainerError::Invalid(format!("layer {chain_id} vanished")))
    }
    // ANCHOR_END: register

    /// Writes the layer's original tar (uncompressed) to `out`, checked against its DiffID.
    pub fn write_tar(&self, layer: &StoredLayer, out: impl Write) -> Result<(), ContainerError> {
        let split_path = self.entry_dir(&layer.chain_id).join("tar-split.gz");
        let split = fs::read(&split_path).map_err(io(format!("read {}", split_path.display())))?;
        let diff = self.overlay_layer(layer)?.diff();
        replay(&split, &diff, &layer.diff_id, out)
    }

    /// The length of the layer's original tar.
    pub fn tar_size(&self, layer: &StoredLayer) -> Result<u64, ContainerError> {
        let split_path = self.entry_dir(&layer.chain_id).join("tar-split.gz");
        let split = fs::read(&split_path).map_err(io(format!("read {}", split_path.display())))?;
        crate::tar_split::replayed_size(&split).map_err(|message| {
            ContainerError::Invalid(format!("layer {}: {message}", layer.chain_id))
        })
    }

    /// Removes a layer: its entry disappears in one rename, then its files go.
    pub fn remove(&self, layer: &StoredLayer) -> Result<(), ContainerError> {
        let staging = Staging::new(&self.dir.join("tmp"), "remove")?;
        let gone = staging.dir.join("entry");
        fs::rename(self.entry_dir(&layer.chain_id), &gone)
            .map_err(io(format!("remove layer {}", layer.chain_id)))?;
        if let Ok(overlay) = self.store.layer(&layer.cache_id) {
            self.store.remove_layer(&overlay)?;
        }
        Ok(())
    }

    /// Removes what a writer or remover that died left under `tmp/`: staging directories
    /// whose lock nobody holds, with the overlay directory they name.
    fn remove_stale_staging(&self) {
        let tmp = self.dir.join("tmp");
        let Ok(read) = fs::read_dir(&tmp) else { return };
        let mut names: Vec<String> = read
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        for name in names.iter().filter(|n| !n.ends_with(".lock")) {
            let lock_path = tmp.join(format!("{name}.lock"));
            let lock = match File::open(&lock_path) {
                Ok(file) => match Flock::lock(file, FlockArg::LockExclusiveNonblock) {
                    Ok(lock) => Some(lock),
                    Err(_) => continue, // its writer is alive
                },
                Err(_) => None, // no lock file: the writer is gone
            };
            let dir = tmp.join(name);
            for cache_file in [dir.join("cache-id"), dir.join("entry/cache-id")] {
                if let Ok(cache_id) = fs::read_to_string(&cache_file) {
                    if let Ok(layer) = self.store.layer(cache_id.trim()) {
                        let _ = self.store.remove_layer(&layer);
                    }
                }
            }
            let _ = fs::remove_dir_all(&dir);
            let _ = fs::remove_file(&lock_path);
            drop(lock);
        }
        // Lock files left after their directory went (a crash between the two removals).
        for name in names.iter().filter_map(|n| n.strip_suffix(".lock")) {
            if !tmp.join(name).exists() {
                if let Ok(file) = File::open(tmp.join(format!("{name}.lock"))) {
                    if Flock::lock(file, FlockArg::LockExclusiveNonblock).is_ok() {
                        let _ = fs::remove_file(tmp.join(format!("{name}.lock")));
                    }
                }
            }
        }
    }
}

impl StoredLayer {
    /// The layer and every layer below it, top first.
    pub fn chain(&self, db: &LayerDb) -> Result<Vec<StoredLayer>, ContainerError> {
        let mut out = vec![self.clone()];
        while let Some(parent) = out.last().and_then(|l| l.parent.clone()) {
            let layer = db
                .get(&parent)?
                .ok_or_else(|| ContainerError::Invalid(format!("layer {parent} is missing")))?;
            out.push(layer);
        }
        Ok(out)
    }
}
