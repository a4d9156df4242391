//! The overlay mount: a plan (its options string) and the child step that mounts it.

use std::ffi::CString;
use std::fmt;
use std::path::PathBuf;

use chapter04::chapter03::chapter01::steps::cstring;
use chapter04::chapter03::chapter01::{ChildStep, ContainerError};
use nix::errno::Errno;
use nix::mount::MsFlags;

/// The most `mount(2)` copies of the options: one page, including the final NUL.
pub const PAGE_SIZE: usize = 4096;

/// `mount -t overlay overlay -o lowerdir=…,upperdir=…,workdir=… TARGET`, run from `base`
/// so the (short, relative) layer names resolve.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OverlayMount {
    /// The directory the relative names below are relative to (the layer store).
    pub base: PathBuf,
    /// Read-only layers, topmost first: `l/<link>` names, or absolute directories.
    pub lower: Vec<String>,
    /// The writable layer and overlayfs's scratch directory; without them the union is
    /// read-only (how [`crate::export`] looks at a container).
    pub writable: Option<Writable>,
    /// Where the union appears, `<store>/<id>/merged`.
    pub target: PathBuf,
}

/// The writable half of an overlay.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Writable {
    /// The container's layer, `<id>/diff`.
    pub upper: String,
    /// overlayfs's scratch directory `<id>/work`, on the same filesystem as `upper`.
    pub work: String,
    /// Mount with `volatile` (see [`OverlayMount::volatile`]).
    pub volatile: bool,
}

impl OverlayMount {
    // ANCHOR: options
    /// The options string: what has to fit in one page.
    pub fn options(&self) -> String {
        let lower = format!("lowerdir={}", self.lower.join(":"));
        match &self.writable {
            Some(Writable {
                upper,
                work,
                volatile,
            }) => {
                let volatile = if *volatile { ",volatile" } else { "" };
                format!("{lower},upperdir={upper},workdir={work}{volatile}")
            }
            None => lower,
        }
    }

    /// The same mount with overlayfs's `volatile` option, for a writable layer nobody needs
    /// after a crash (a `--rm` container's). Without it, unmounting an overlay syncs the
    /// whole filesystem under the upper layer (`syncfs(2)` — a journal commit and a wait on
    /// the disk) and every `fsync` inside the container reaches the disk; with it, neither.
    /// The price (kernel's Documentation/filesystems/overlayfs.rst): overlayfs leaves
    /// `work/work/incompat/volatile` behind, and refuses to mount those directories again
    /// until it is removed — which only someone who knows the machine did not crash in
    /// between may do. Podman mounts its `--rm` containers this way.
    pub fn volatile(mut self) -> Self {
        if let Some(writable) = &mut self.writable {
            writable.volatile = true;
        }
        self
    }

    /// Checks the options fit in a page, and builds the step that mounts them.
    pub fn into_step(self) -> Result<OverlayMountStep, ContainerError> {
        let options = self.options();
        if options.len() >= PAGE_SIZE {
            return Err(ContainerError::Invalid(format!(
                "the overlay options for {} layers take {} bytes; mount(2) reads at most {}",
                self.lower.len(),
                options.len(),
                PAGE_SIZE - 1
            )));
        }
        let volatile = self.writable.as_ref().is_some_and(|w| w.volatile);
        let without_volatile = volatile.then(|| {
            let mut plain = self.clone();
            if let Some(writable) = &mut plain.writable {
                writable.volatile = false;
            }
            cstring(plain.options().as_ref())
        });
        Ok(OverlayMountStep {
            base: cstring(&self.base),
            target: cstring(&self.target),
            options: cstring(options.as_ref()),
            without_volatile,
            shown: self.to_string(),
        })
    }
    // ANCHOR_END: options
}

impl fmt::Display for OverlayMount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "cd {} && mount -t overlay -o {} overlay {}",
            self.base.display(),
            self.options(),
            self.target.display()
        )
    }
}

/// The overlay mount as a step of the container's child: in its private mount namespace.
pub struct OverlayMountStep {
    base: CString,
    target: CString,
    options: CString,
    /// The same options without `volatile`, when they have it: kernels before 5.10 do not
    /// know the option and refuse the whole mount (EINVAL).
    without_volatile: Option<CString>,
    shown: String,
}

impl OverlayMountStep {
    fn mount(&self, options: &CString) -> Result<(), Errno> {
        nix::mount::mount(
            Some(c"overlay"),
            self.target.as_c_str(),
            Some(c"overlay"),
            MsFlags::empty(),
            Some(options.as_c_str()),
        )
    }
}

impl ChildStep for OverlayMountStep {
    // ANCHOR: mount_step
    /// `chdir` into the store, then mount: overlayfs resolves the relative layer names
    /// against the working directory at mount time (the trick docker's overlay2 uses).
    /// On a kernel that refuses `volatile`, the plain mount does the same job, with the
    /// syncs `volatile` would have saved.
    fn run(&self) -> Result<(), Errno> {
        nix::unistd::chdir(self.base.as_c_str())?;
        match (self.mount(&self.options), &self.without_volatile) {
            (Err(Errno::EINVAL), Some(plain)) => self.mount(plain),
            (result, _) => result,
        }
    }
    // ANCHOR_END: mount_step
}

impl fmt::Display for OverlayMountStep {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.shown)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn one_layer() -> OverlayMount {
        OverlayMount {
            base: PathBuf::from("/store"),
            lower: vec!["l/A".into()],
            writable: Some(Writable {
                upper: "c/diff".into(),
                work: "c/work".into(),
                volatile: false,
            }),
            target: PathBuf::from("/store/c/merged"),
        }
    }

    #[test]
    fn a_volatile_step_keeps_the_plain_options_to_fall_back_to() {
        let plain = one_layer().into_step().unwrap();
        assert_eq!(plain.without_volatile, None);
        let volatile = one_layer().volatile().into_step().unwrap();
        assert_eq!(volatile.without_volatile, Some(plain.options));
        assert!(volatile.options.to_str().unwrap().ends_with(",volatile"));
    }
}
