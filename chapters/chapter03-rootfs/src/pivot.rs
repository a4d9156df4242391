//! `pivot_root(2)`: make the rootfs `/` and let go of the host's root.

use std::ffi::CString;

use nix::errno::Errno;
use nix::mount::MntFlags;

// ANCHOR: pivot
/// Makes `new_root` (a mount point) the root of the mount namespace and detaches the old one.
///
/// The `pivot_root(".", ".")` form (see the man page's notes) needs no spare directory inside
/// the rootfs: after the call the old root is stacked on top of the new one at `/`, and
/// `umount2(".", MNT_DETACH)` peels it off. Detaching (rather than unmounting) works even
/// though the host's filesystems are busy; once no process references them they are gone from
/// this namespace. Private propagation (the first mount step) makes sure the detach does not
/// travel back to the host.
pub fn pivot_into(new_root: &CString) -> Result<(), Errno> {
    nix::unistd::chdir(new_root.as_c_str())?;
    nix::unistd::pivot_root(".", ".")?;
    nix::mount::umount2(".", MntFlags::MNT_DETACH)?;
    // Our working directory still points at the old root's view; step into the new `/`.
    nix::unistd::chdir("/")
}
// ANCHOR_END: pivot
