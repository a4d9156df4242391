//! `docker export`: a container's filesystem as one flat tar — the union of its layers as
//! the container sees it, with no layers, no whiteouts and no history (seed 000). Importing
//! it gives a one-layer image.
//!
//! The union only exists while an overlay is mounted, and the container's own mount lives
//! in its mount namespace. So we mount a read-only overlay of all the layers ourselves —
//! in a mount namespace of our own, made for one thread:
//!
//! 1. a scoped thread calls `unshare(CLONE_NEWNS)`: only that thread moves to a copy of the
//!    host's mount table (unshare(2): `CLONE_NEWNS` implies `CLONE_FS`, which a thread of
//!    a multi-threaded process may unshare on its own — Go's runtime does the same);
//! 2. it makes every mount there private, so what it mounts never propagates to the host;
//! 3. it mounts the overlay and reads the tree through it.
//!
//! When the thread ends, its namespace and the mount in it are gone, even if we crash.
//! A running container's layers should not be mounted twice; chapter 7 exports a running
//! container through its own root instead.

use std::io::Write;
use std::path::Path;

use chapter04::chapter03::chapter01::{ChildStep, ContainerError};
use nix::mount::{MntFlags, MsFlags};
use nix::sched::CloneFlags;

use crate::pack::{pack_layer, Packed};
use crate::ContainerFs;

// ANCHOR: export
/// Writes the container's merged view to `out` as a tar. Needs root (it mounts).
pub fn export(fs: &ContainerFs, out: impl Write + Send) -> Result<Packed, ContainerError> {
    with_merged_view(fs, |root| pack_layer(root, out))?
}
// ANCHOR_END: export

// ANCHOR: with_merged_view
/// Runs `look` with the path of the container's merged view, mounted read-only in a mount
/// namespace that only the calling thread's helper sees.
pub fn with_merged_view<T: Send>(
    fs: &ContainerFs,
    look: impl FnOnce(&Path) -> T + Send,
) -> Result<T, ContainerError> {
    let plan = fs.view_plan();
    let target = plan.target.clone();
    let step = plan.into_step()?;
    std::thread::scope(|scope| {
        let helper = scope.spawn(move || {
            nix::sched::unshare(CloneFlags::CLONE_NEWNS)
                .map_err(|e| ContainerError::system("unshare(CLONE_NEWNS)", e))?;
            nix::mount::mount(
                None::<&str>,
                "/",
                None::<&str>,
                MsFlags::MS_REC | MsFlags::MS_PRIVATE,
                None::<&str>,
            )
            .map_err(|e| ContainerError::system("mount --make-rprivate /", e))?;
            step.run()
                .map_err(|e| ContainerError::system(step.to_string(), e))?;
            let seen = look(&target);
            // Tidy, though the namespace would take the mount with it anyway.
            let _ = nix::mount::umount2(&target, MntFlags::MNT_DETACH);
            Ok(seen)
        });
        match helper.join() {
            Ok(result) => result,
            Err(panic) => std::panic::resume_unwind(panic),
        }
    })
}
// ANCHOR_END: with_merged_view
