//! What a container leaves outside its directory, and removing it: its cgroup (with any
//! process still in it), its two overlay layers, what later chapters' [`crate::hooks`] keep
//! (chapter 8's firewall rules), and — with `rm -v` — its anonymous volumes.
//!
//! Every piece is removed on its own and a missing piece is fine, so the same function
//! cleans up after a normal `rm`, after a CLI killed half-way through `create`, and after a
//! monitor killed while its container ran.

use std::path::Path;

use chapter06::chapter05::chapter04::{Cgroup, Hierarchy};
use chapter06::chapter05::store::LayerStore;

use crate::store::Container;
use crate::volumes::VolumeStore;

/// Removes the cgroup and layers of container `id`; with `anonymous_volumes_of`, also the
/// anonymous volumes that container used (`rm -v`).
pub fn clean_up(state_root: &Path, id: &str, anonymous_volumes_of: Option<&Container>) {
    // The run first: removing the cgroup kills what still runs there (a container whose
    // monitor was killed), so nothing writes to the layers while they go.
    clean_up_run(state_root, id);
    // By id, not through the layer's `link` file: a create or rm killed half-way may have
    // left a layer without one.
    if let Ok(layers) = LayerStore::open(state_root) {
        for name in [id.to_owned(), format!("{id}-init")] {
            if let Err(error) = layers.remove_layer_by_id(&name) {
                eprintln!("WARNING: cannot remove layer {name}: {error}");
            }
        }
    }
    if let Some(container) = anonymous_volumes_of {
        remove_anonymous_volumes(state_root, container);
    }
}

/// What a run whose monitor was lost leaves behind — its cgroup (and any process still in
/// it) and what later chapters keep outside (chapter 8's firewall rules and leases) — but
/// not the container itself: after this it can be started again.
pub fn clean_up_run(state_root: &Path, id: &str) {
    if let Ok(hierarchy) = Hierarchy::detect() {
        if let Ok(cgroup) = Cgroup::open(&hierarchy, id) {
            if let Err(error) = cgroup.remove() {
                eprintln!("WARNING: {error}");
            }
        }
    }
    for hooks in crate::hooks::registered() {
        hooks.clean_up(state_root, id);
    }
}

/// `rm -v`: the container's anonymous volumes go with it; named ones stay.
fn remove_anonymous_volumes(state_root: &Path, container: &Container) {
    let Ok(volumes) = VolumeStore::open(state_root) else {
        return;
    };
    for name in container
        .record
        .mounts
        .iter()
        .filter_map(|mount| mount.anonymous_volume())
    {
        if let Err(error) = volumes.remove(name, &|_| Vec::new()) {
            eprintln!("WARNING: {error}");
        }
    }
}

/// The bytes a container's own layers hold (its writes and its init layer's files): what
/// removing it gives back, as `container prune` reports it.
pub fn layers_size(state_root: &Path, id: &str) -> u64 {
    [id.to_owned(), format!("{id}-init")]
        .iter()
        .map(|name| tree_size(&state_root.join("overlay2").join(name).join("diff")))
        .sum()
}

/// The apparent size of the regular files under `dir` (hard links counted once per name,
/// like `du --apparent-size -l`; symlinks not followed).
fn tree_size(dir: &Path) -> u64 {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    entries
        .flatten()
        .map(|entry| match entry.metadata() {
            Ok(meta) if meta.is_dir() => tree_size(&entry.path()),
            Ok(meta) if meta.is_file() => meta.len(),
            _ => 0,
        })
        .sum()
}
