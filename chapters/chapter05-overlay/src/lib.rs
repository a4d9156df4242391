//! # Chapter 5 — overlay filesystems: layers and copy-on-write
//!
//! Until now a container wrote straight into its rootfs directory: a second container saw
//! the first one's files, and the "image" was changed by every run. Docker avoids that with
//! an *overlay*: the image's directories stay read-only *lower* layers, each container gets
//! an empty *upper* directory of its own, and overlayfs shows their union at `merged`. A
//! read comes from the topmost layer that has the file; the first write copies the file up
//! whole; a delete leaves a *whiteout* in the upper layer that hides the lower file.
//!
//! The layout copies docker's `overlay2` driver (seed 002 walks through it):
//!
//! ```text
//! <root>/overlay2/
//!   l/ABCDEFGHIJKLMNOPQRSTUVWXYZ -> ../<layer>/diff     short names, so many layers fit
//!   <layer>/diff/  link  lower                          an image layer
//!   <id>-init/diff/ link lower work/                    hostname, hosts, resolv.conf
//!   <id>/diff/ link lower work/ merged/                 the container's own layer
//! ```
//!
//! The overlay is mounted by the container's child process, as a step right after mount
//! propagation is made private: the mount exists only in the container's mount namespace and
//! disappears with it, even if the engine dies.
//!
//! Images travel as *layer tars*, where a deletion is an empty `.wh.<name>` file instead of
//! a device. This chapter converts both ways ([`pack`], [`unpack`]) and unpacks untrusted
//! tars without ever writing outside the target ([`confined`]). It also flattens a
//! container into one tar, like `docker export` ([`export`]).
//!
//! ## Left out on purpose
//! Image stores and digests (chapter 6), quotas on the upper layer, the `metacopy` and
//! `redirect_dir` overlay features, volumes (chapter 7), compressed tars (chapter 6), and
//! limits on a tar's entry count or size.
//!
//! ## Modules
//! - [`store`] — layers on disk: `diff/`, the `link` and `lower` files, `l/` short links.
//! - [`mount`] — the overlay mount as a plan (options string, page-size check) and a step.
//! - [`container_fs`] — a container's init layer, upper layer and mount point.
//! - [`upper`] — what is in an upper directory: files, whiteouts, opaque directories.
//! - [`diff`] — `docker diff`: A, C and D lines from the upper layer.
//! - [`whiteout`] — the rules between overlay marks and layer-tar names (pure).
//! - [`confined`] — creating files in a directory by descriptor, never leaving it.
//! - [`xattr`] — extended attributes, and which of them travel in tars.
//! - [`pack`] — a directory (an upper layer) as a layer tar.
//! - [`unpack`] — a layer tar into a directory, in overlay form.
//! - [`export`] — the merged view as one flat tar.

pub mod confined;
pub mod container_fs;
pub mod diff;
pub mod export;
pub mod mount;
pub mod pack;
pub mod store;
pub mod unpack;
pub mod upper;
pub mod whiteout;
pub mod xattr;

pub use chapter04;
pub use container_fs::{ContainerFs, Lower};
pub use export::export;
pub use mount::OverlayMount;
pub use pack::pack_layer;
pub use store::{Layer, LayerStore};
pub use unpack::{unpack_layer, unpack_layer_observed};
