//! `docker commit`, the library side: a container's own layer becomes a new image layer on
//! top of its image. Only the container layer goes in — the init layer (hostname, hosts,
//! resolv.conf) is the engine's, not the image's — and its whiteouts become `.wh.` files
//! (chapter 5's `pack_layer`). The `mini-docker commit` command arrives with chapter 7.
//!
//! The tar is never written to disk: a thread packs the upper directory into a pipe while
//! the layer database unpacks from the other end, so a commit costs one copy of the files.

use std::fs::File;

use chapter05::chapter04::chapter03::chapter01::ContainerError;
use chapter05::{pack_layer, ContainerFs};
use nix::sys::signal::{pthread_sigmask, SigSet, SigmaskHow, Signal};

use crate::config::{History, ImageConfig, RootFs, RunConfig};
use crate::digest::Digest;
use crate::import::now;
use crate::store::{Image, ImageStore, StoreLock};

/// What the new image says about itself.
#[derive(Debug, Clone, Default)]
pub struct CommitInfo {
    /// `-a`: the author.
    pub author: String,
    /// `-m`: the commit message.
    pub comment: String,
    /// The container's command, as the history's "created by".
    pub created_by: String,
    /// The run config of the new image (the image's, with `--change`s applied).
    pub run_config: RunConfig,
}

// ANCHOR: commit
/// Makes a new image from `image` (what the container was created from, if any) and the
/// container's layer in `fs`. Returns the new image's ID.
pub fn commit(
    store: &ImageStore,
    lock: &StoreLock,
    fs: &ContainerFs,
    image: Option<&Image>,
    info: CommitInfo,
) -> Result<Digest, ContainerError> {
    let parent = match image {
        Some(image) => store.top_layer(image)?,
        None => None,
    };
    let (reader, writer) = nix::unistd::pipe().map_err(|e| ContainerError::system("pipe", e))?;
    let upper = fs.upper();
    let layer = std::thread::scope(|scope| {
        let packer = scope.spawn(move || {
            // If the reading side gives up, writing gets EPIPE in this thread; blocking
            // SIGPIPE here keeps the default action (death) from taking the whole process.
            let mut pipe_signal = SigSet::empty();
            pipe_signal.add(Signal::SIGPIPE);
            let _ = pthread_sigmask(SigmaskHow::SIG_BLOCK, Some(&pipe_signal), None);
            pack_layer(&upper, File::from(writer))
        });
        let registered = store
            .layers
            .register(File::from(reader), parent.as_ref(), None);
        let packed = packer
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        packed.and(registered)
    })?;
    let mut config = image
        .map(|i| i.config.clone())
        .unwrap_or_else(|| ImageConfig {
            architecture: crate::config::host_architecture().to_owned(),
            os: "linux".to_owned(),
            rootfs: RootFs {
                kind: "layers".to_owned(),
                diff_ids: Vec::new(),
            },
            ..ImageConfig::default()
        });
    let created = now();
    config.created = Some(created.clone());
    config.author = info.author.clone();
    config.config = info.run_config;
    config.rootfs.diff_ids.push(layer.diff_id.clone());
    config.history.push(History {
        created: Some(created),
        created_by: info.created_by,
        author: info.author,
        comment: info.comment,
        empty_layer: false,
    });
    let id = store.add(lock, &config.to_bytes(), &mut |_| {
        Err(ContainerError::Invalid(
            "the committed layer vanished".into(),
        ))
    })?;
    if let Some(image) = image {
        store.images.set_parent(&id, &image.id)?;
    }
    Ok(id)
}
// ANCHOR_END: commit
