//! # Chapter 6 — images: a content-addressed store like /var/lib/docker
//!
//! Chapter 5 stacked layers; this chapter gives them names that cannot lie. Every piece of
//! an image is addressed by the SHA-256 of its bytes: a layer by its *DiffID* (and, with
//! everything below it, its *ChainID*), an image by the digest of its config. The store
//! copies docker's layout, so the walk of seed 002 through `/var/lib/docker` works on
//! `/var/lib/mini-docker` too:
//!
//! ```text
//! image/overlay2/repositories.json                      busybox:latest -> sha256:<image id>
//! image/overlay2/imagedb/content/sha256/<image id>       the config (its sha256 is the ID)
//! image/overlay2/layerdb/sha256/<chain id>/              diff, parent, cache-id, size, tar-split.gz
//! overlay2/<cache id>/diff  overlay2/l/<short>           the files (chapter 5)
//! ```
//!
//! Images arrive by `import` (a rootfs tar), `load` (docker save archives, OCI layouts),
//! `commit` (a container's layer) and `pull` (the registry API), and leave by `save` and
//! `rmi`. Every blob is verified as it is read; a failure leaves the store as it was.
//!
//! ## Left out on purpose
//! Registry logins and `push`, zstd and encrypted layers, foreign layers, signatures, image
//! build (chapter 10), and the content-addressed blob store containerd keeps beside its
//! snapshots (we keep only what docker's overlay2 driver keeps).
//!
//! ## Modules
//! - [`digest`] — `sha256:` digests, ChainIDs, hashing and verifying readers.
//! - [`config`] — the image config (what the image ID is the digest of).
//! - [`reference`](mod@reference) — `busybox`, `host:port/team/app:v1`, `name@sha256:…`, read like docker.
//! - [`tar_split`] — giving back a layer's exact tar without keeping a copy of it.
//! - [`layers`] — the layer db: one directory per ChainID, staged and renamed into place.
//! - [`imagedb`] — configs by image ID.
//! - [`repositories`] — names → image IDs, in docker's `repositories.json`.
//! - [`store`] — the three together, its lock, adding images, garbage collection.
//! - [`compression`] — gzip or plain, told by the first bytes.
//! - [`manifest`] — OCI and docker manifests and indexes; picking this machine's platform.
//! - [`blobs`] — reading archives (a tar by seeking, a layout dir with `RESOLVE_IN_ROOT`).
//! - [`load`] and [`save`] — docker save archives and OCI layouts, in and out.
//! - [`import`], [`changes`] and [`commit`] — images from a rootfs tar or a container.
//! - [`registry`], [`pull`] and [`progress`] — the registry API, token auth, downloads.
//! - [`remove`] — `rmi`'s rules.
//! - [`run_image`] — an image's config and `run`'s arguments, combined into a container.
//! - [`format`](mod@format) and [`listing`] — what `images`, `history` and `inspect` print.

pub mod blobs;
pub mod changes;
pub mod commit;
pub mod compression;
pub mod config;
pub mod digest;
pub mod format;
pub mod imagedb;
pub mod import;
pub mod layers;
pub mod listing;
pub mod load;
pub mod manifest;
pub mod progress;
pub mod pull;
pub mod reference;
pub mod registry;
pub mod remove;
pub mod repositories;
pub mod run_image;
pub mod save;
pub mod store;
pub mod tar_split;

pub use chapter05;
pub use config::ImageConfig;
pub use digest::Digest;
pub use reference::Reference;
pub use store::{Image, ImageStore, StoreLock};
