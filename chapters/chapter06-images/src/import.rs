//! `docker import`: a tar of a whole root filesystem (what `export` writes, or any rootfs
//! tarball) becomes an image of exactly one layer. Nothing of how the files were made
//! survives — the history has one line, "Imported from …" (seed 000).

use std::io::Read;
use std::time::SystemTime;

use chapter05::chapter04::chapter03::chapter01::ContainerError;

use crate::compression::decompressed;
use crate::config::{host_architecture, History, ImageConfig, RootFs, RunConfig};
use crate::digest::Digest;
use crate::store::{ImageStore, StoreLock};

/// Now, as image configs write times (RFC 3339 with nanoseconds, UTC).
pub fn now() -> String {
    humantime::format_rfc3339_nanos(SystemTime::now()).to_string()
}

// ANCHOR: import
/// Imports the rootfs tar read from `tar` (plain or gzip) as a one-layer image run with
/// `run_config`; `source` is what the history line names (`-` for standard input).
/// Returns the new image's ID.
pub fn import(
    store: &ImageStore,
    lock: &StoreLock,
    tar: impl Read,
    source: &str,
    run_config: RunConfig,
    message: &str,
) -> Result<Digest, ContainerError> {
    let tar = decompressed(tar).map_err(ContainerError::Invalid)?;
    let layer = store.layers.register(tar, None, None)?;
    let created = now();
    let config = ImageConfig {
        created: Some(created.clone()),
        architecture: host_architecture().to_owned(),
        os: "linux".to_owned(),
        config: run_config,
        rootfs: RootFs {
            kind: "layers".to_owned(),
            diff_ids: vec![layer.diff_id.clone()],
        },
        history: vec![History {
            created: Some(created),
            comment: if message.is_empty() {
                format!("Imported from {source}")
            } else {
                message.to_owned()
            },
            ..History::default()
        }],
        ..ImageConfig::default()
    };
    let bytes = config.to_bytes();
    // The layer is there already, so this only stores the config.
    store.add(lock, &bytes, &mut |_| {
        Err(ContainerError::Invalid(
            "the imported layer vanished".into(),
        ))
    })
}
// ANCHOR_END: import
