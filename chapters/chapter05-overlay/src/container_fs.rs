//! A container's filesystem: an init layer and a writable layer on top of its image.

use std::fs;
use std::path::{Path, PathBuf};

use chapter04::chapter03::chapter01::{ContainerError, ExitStatus};
use chapter04::chapter03::ContainerConfig;

use crate::mount::{OverlayMount, Writable};
use crate::store::{Layer, LayerStore};

/// What the container's layers stand on.
#[derive(Debug, Clone)]
pub enum Lower {
    /// The top layer of an image in the store (chapter 6 makes these).
    Image(Layer),
    /// A plain directory used read-only, as the bottom layer (`--rootfs DIR`).
    Directory(PathBuf),
}

/// The layers of one container: `<id>-init` (files the engine writes for it) and `<id>`
/// (everything the container writes), mounted at `<id>/merged`.
#[derive(Debug, Clone)]
pub struct ContainerFs {
    store: LayerStore,
    pub init: Layer,
    pub layer: Layer,
}

fn io(what: impl Into<String>) -> impl FnOnce(std::io::Error) -> ContainerError {
    let what = what.into();
    move |error| ContainerError::io(what, error)
}

impl ContainerFs {
    // ANCHOR: create
    /// Creates the init layer and the container layer of container `id` on `lower`.
    /// On error, nothing of it is left.
    pub fn create(
        store: &LayerStore,
        id: &str,
        lower: &Lower,
        hostname: &str,
    ) -> Result<Self, ContainerError> {
        let image_top = match lower {
            Lower::Image(layer) => Some(layer),
            Lower::Directory(_) => None,
        };
        let init = store.create_layer(&format!("{id}-init"), image_top)?;
        let created = fill_init_layer(&init.diff(), hostname)
            .and_then(|()| store.create_layer(id, Some(&init)));
        let mut layer = match created {
            Ok(layer) => layer,
            Err(error) => {
                let _ = store.remove_layer(&init);
                return Err(error);
            }
        };
        let container = ContainerFs {
            store: store.clone(),
            init,
            layer: layer.clone(),
        };
        let finished = (|| {
            if let Lower::Directory(dir) = lower {
                // A plain directory has no short link: it is named by its absolute path,
                // below the init layer.
                layer.lower.push(dir.display().to_string());
                fs::write(layer.dir.join("lower"), layer.lower.join(":"))
                    .map_err(io("write lower"))?;
            }
            fs::create_dir(layer.dir.join("work")).map_err(io("create work"))?;
            fs::create_dir(layer.dir.join("merged")).map_err(io("create merged"))
        })();
        match finished {
            Ok(()) => Ok(ContainerFs { layer, ..container }),
            Err(error) => {
                container.remove();
                Err(error)
            }
        }
    }
    // ANCHOR_END: create

    /// The container's layers, as `create` left them.
    pub fn open(store: &LayerStore, id: &str) -> Result<Self, ContainerError> {
        Ok(ContainerFs {
            store: store.clone(),
            init: store.layer(&format!("{id}-init"))?,
            layer: store.layer(id)?,
        })
    }

    /// The container layer: everything the container wrote, whiteouts included.
    pub fn upper(&self) -> PathBuf {
        self.layer.diff()
    }

    /// Where the union is mounted (the container's rootfs).
    pub fn merged(&self) -> PathBuf {
        self.layer.dir.join("merged")
    }

    /// The read-only directories below the upper layer, topmost first, as host paths.
    pub fn lower_dirs(&self) -> Vec<PathBuf> {
        self.layer
            .lower
            .iter()
            .map(|name| {
                if name.starts_with('/') {
                    PathBuf::from(name)
                } else {
                    self.store.dir().join(name)
                }
            })
            .collect()
    }

    // ANCHOR: mount_plan
    /// The overlay mount for this container.
    pub fn mount_plan(&self) -> OverlayMount {
        OverlayMount {
            base: self.store.dir().to_path_buf(),
            lower: self.layer.lower.clone(),
            writable: Some(Writable {
                upper: format!("{}/diff", self.layer.id),
                work: format!("{}/work", self.layer.id),
                volatile: false,
            }),
            target: self.merged(),
        }
    }
    // ANCHOR_END: mount_plan

    /// The mark a `volatile` mount leaves in the container's work directory (see
    /// [`OverlayMount::volatile`]): a directory holding one empty file, `dirty`.
    pub fn volatile_mark(&self) -> PathBuf {
        self.layer.dir.join("work/work/incompat/volatile")
    }

    /// A read-only overlay of every layer, the container's own included: what the
    /// container sees as `/`, without a way to change it.
    pub fn view_plan(&self) -> OverlayMount {
        let own = format!("{}/diff", self.layer.id);
        OverlayMount {
            base: self.store.dir().to_path_buf(),
            lower: std::iter::once(own)
                .chain(self.layer.lower.iter().cloned())
                .collect(),
            writable: None,
            target: self.merged(),
        }
    }

    // ANCHOR: run
    /// Runs `command` in a container whose root is this filesystem (chapter 3's isolation,
    /// no limits), and waits for it. The overlay is mounted by the container's child, in its
    /// private mount namespace, so it is gone when the container is.
    pub fn run(&self, command: Vec<String>, hostname: &str) -> Result<ExitStatus, ContainerError> {
        let config = ContainerConfig::new(self.merged(), command, hostname);
        let mut plan = config.prepare()?;
        plan.rootfs_source = vec![Box::new(self.mount_plan().into_step()?)];
        plan.create()?.start()?.wait()
    }
    // ANCHOR_END: run

    /// Removes both layers (the container layer first).
    pub fn remove(&self) {
        let _ = self.store.remove_layer(&self.layer);
        let _ = self.store.remove_layer(&self.init);
    }
}

/// The init layer: mount points the container needs, and the name files the engine owns.
/// Docker keeps these in the `-init` layer so `commit` leaves them out of an image.
fn fill_init_layer(diff: &Path, hostname: &str) -> Result<(), ContainerError> {
    for dir in ["proc", "sys", "dev", "etc"] {
        fs::create_dir_all(diff.join(dir))
            .map_err(io(format!("create {dir} in the init layer")))?;
    }
    let host_resolv = fs::read_to_string("/etc/resolv.conf").unwrap_or_default();
    for (file, content) in [
        ("etc/hostname", format!("{hostname}\n")),
        ("etc/hosts", hosts_file(hostname)),
        ("etc/resolv.conf", resolv_conf(&host_resolv)),
    ] {
        fs::write(diff.join(file), content).map_err(io(format!("write {file}")))?;
    }
    Ok(())
}

/// The lines every `/etc/hosts` of a container starts with: the loopback names.
pub const LOCALHOST_ENTRIES: &str =
    "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n";

/// `/etc/hosts`: localhost, and the container's own name on a loopback address (it has no
/// network address of its own until chapter 8).
pub fn hosts_file(hostname: &str) -> String {
    format!("{LOCALHOST_ENTRIES}127.0.1.1\t{hostname}\n")
}

/// The host's `resolv.conf` without loopback name servers: inside its own network namespace
/// the container's 127.0.0.1 is not the host's resolver.
pub fn resolv_conf(host: &str) -> String {
    let mut out =
        String::from("# from the host's /etc/resolv.conf, loopback name servers removed\n");
    for line in host.lines() {
        let loopback = line
            .strip_prefix("nameserver")
            .map(str::trim)
            .is_some_and(|address| address.starts_with("127.") || address == "::1");
        if !loopback {
            out.push_str(line);
            out.push('\n');
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_resolvers_are_dropped() {
        let host = "nameserver 127.0.0.53\noptions edns0\nsearch lan\nnameserver 10.0.0.1\nnameserver ::1\n";
        assert_eq!(
            resolv_conf(host),
            "# from the host's /etc/resolv.conf, loopback name servers removed\noptions edns0\nsearch lan\nnameserver 10.0.0.1\n"
        );
    }
}
