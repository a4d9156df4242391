//! `mini-docker run`: a container in the foreground: namespaces and a root of its own
//! (chapters 2–3), its cgroup (chapter 4), on an overlay over the rootfs (chapter 5).

use std::path::{Path, PathBuf};

use chapter06::chapter05::chapter04::chapter03::chapter01::ContainerError;
use chapter06::chapter05::chapter04::chapter03::chapter02::Namespace;
use chapter06::chapter05::chapter04::chapter03::config::check_rootfs;
use chapter06::chapter05::chapter04::chapter03::config::env_from_args;
use chapter06::chapter05::chapter04::chapter03::{ContainerConfig, ContainerId, ForegroundRun};
use chapter06::chapter05::chapter04::{
    plan_for, CgroupHostSide, Hierarchy, ResourceFlags, Resources, SystemHost,
};
use chapter06::chapter05::store::LayerStore;
use chapter06::chapter05::{ContainerFs, Lower};
use chapter06::run_image::{container_config, RunRequest};
use chapter06::{Image, ImageStore, Reference};

use super::print_error;
use crate::cli::{ResourceArgs, RunArgs};

pub fn run(root: &Path, args: RunArgs) -> i32 {
    // Flags are checked first: a bad value is refused before anything exists.
    let resources = match Resources::from_flags(&resource_flags(&args.resources), &SystemHost) {
        Ok(resources) => resources,
        Err(message) => {
            print_error(&message);
            return crate::ENGINE_ERROR;
        }
    };
    if !nix::unistd::geteuid().is_root() {
        print_error(&"run needs root: creating namespaces and mounts requires CAP_SYS_ADMIN — run it with sudo");
        return crate::ENGINE_ERROR;
    }
    let id = match ContainerId::generate() {
        Ok(id) => id,
        Err(error) => {
            print_error(&error);
            return error.exit_code();
        }
    };
    let source = match Source::choose(root, &args) {
        Ok(source) => source,
        Err(error) => {
            print_error(&error);
            return error.exit_code();
        }
    };
    let hostname = args
        .hostname
        .clone()
        .unwrap_or_else(|| id.short().to_owned());
    let container_fs = match source.create_layers(root, id.as_str(), &hostname) {
        Ok(container_fs) => container_fs,
        Err(error) => {
            print_error(&error);
            return error.exit_code();
        }
    };
    // A container that never ran leaves nothing; one that ran keeps its layers (for `diff`
    // and `commit`, chapter 7) unless --rm.
    let code = run_in(root, id, hostname, args, resources, &source, &container_fs);
    if code.is_err() {
        container_fs.remove();
    }
    code.unwrap_or_else(|code| code)
}

/// What the container stands on: an image of the store, or a bare directory (`--rootfs`).
enum Source {
    Image {
        store: Box<ImageStore>,
        image: Box<Image>,
        command: Vec<String>,
    },
    Directory {
        dir: PathBuf,
        command: Vec<String>,
    },
}

impl Source {
    /// `--rootfs DIR CMD…` or `IMAGE [CMD…]`, checked before anything is created.
    fn choose(root: &Path, args: &RunArgs) -> Result<Self, ContainerError> {
        if let Some(dir) = &args.rootfs {
            // The directory is only ever a read-only lower layer.
            return Ok(Source::Directory {
                dir: check_rootfs(dir)?,
                command: args.args.clone(),
            });
        }
        let (name, command) = args
            .args
            .split_first()
            .ok_or_else(|| ContainerError::Invalid("run needs an image".into()))?;
        let store = ImageStore::open(root)?;
        // Like docker: an image that is not here is pulled first.
        let id = match store.resolve(name) {
            Ok(id) => id,
            Err(_) => {
                let reference = Reference::parse(name).map_err(ContainerError::Invalid)?;
                eprintln!("Unable to find image '{reference}' locally");
                super::pull::pull_reporting(&store, &reference, super::pull::Output::Stderr)?
            }
        };
        let image = store.image(&id)?;
        Ok(Source::Image {
            store: Box::new(store),
            image: Box::new(image),
            command: command.to_vec(),
        })
    }

    /// The container's init and upper layers on top of the source. For an image this
    /// happens under the store's lock, so `rmi` cannot take the layers away meanwhile.
    fn create_layers(
        &self,
        root: &Path,
        id: &str,
        hostname: &str,
    ) -> Result<ContainerFs, ContainerError> {
        match self {
            Source::Directory { dir, .. } => {
                let store = LayerStore::open(root)?;
                ContainerFs::create(&store, id, &Lower::Directory(dir.clone()), hostname)
            }
            Source::Image { store, image, .. } => {
                let _lock = store.lock()?;
                let top = store.top_layer(image)?.ok_or_else(|| {
                    ContainerError::Invalid(format!("image {} has no layers", image.id.short()))
                })?;
                let layer = store.layers.overlay_layer(&top)?;
                ContainerFs::create(
                    store.layers.overlay_store(),
                    id,
                    &Lower::Image(layer),
                    hostname,
                )
            }
        }
    }
}

/// Runs the container on its overlay; `Ok(code)` once it ran, `Err(code)` if it never did.
fn run_in(
    root: &Path,
    id: ContainerId,
    hostname: String,
    args: RunArgs,
    resources: Resources,
    source: &Source,
    container_fs: &ContainerFs,
) -> Result<i32, i32> {
    let mount = container_fs.mount_plan().into_step().map_err(|error| {
        print_error(&error);
        error.exit_code()
    })?;
    let env = env_from_args(&args.env, |key| std::env::var(key).ok());
    let mut config = match source {
        Source::Directory { command, .. } => {
            let mut config = ContainerConfig::new(container_fs.merged(), command.clone(), hostname);
            config.env = env;
            config.working_dir = args.workdir;
            config
        }
        Source::Image { image, command, .. } => {
            let request = RunRequest {
                command: command.clone(),
                env,
                workdir: args.workdir,
            };
            container_config(image, container_fs.merged(), &hostname, request).map_err(|error| {
                print_error(&error);
                error.exit_code()
            })?
        }
    };
    if args.pid.as_deref() == Some("host") {
        config.namespaces.remove(Namespace::Pid);
    }
    let hierarchy = Hierarchy::detect().map_err(|message| {
        print_error(&message);
        crate::ENGINE_ERROR
    })?;
    let plan = plan_for(hierarchy.version(), &resources);
    let mut cgroup = CgroupHostSide::new(hierarchy, id.as_str(), plan);
    let run = ForegroundRun {
        state_root: root,
        id,
        config,
        remove_when_done: args.rm,
        rootfs_source: vec![Box::new(mount)],
        host_side: &mut cgroup,
        warn: &|warning| eprintln!("WARNING: {warning}"),
    };
    match run.run() {
        Ok(finished) => {
            if finished.oom_killed {
                print_error(&"the container ran out of memory: the kernel's OOM killer ended it (OOMKilled)");
            }
            if args.rm {
                container_fs.remove();
            }
            Ok(finished.status.code())
        }
        Err(error) => {
            print_error(&error);
            Err(error.exit_code())
        }
    }
}

fn resource_flags(args: &ResourceArgs) -> ResourceFlags {
    ResourceFlags {
        memory: args.memory.clone(),
        memory_swap: args.memory_swap.clone(),
        memory_reservation: args.memory_reservation.clone(),
        cpu_shares: args.cpu_shares,
        cpu_period: args.cpu_period,
        cpu_quota: args.cpu_quota,
        cpus: args.cpus.clone(),
        cpuset_cpus: args.cpuset_cpus.clone(),
        pids_limit: args.pids_limit,
        blkio_weight: args.blkio_weight,
        device_read_bps: args.device_read_bps.clone(),
        device_write_bps: args.device_write_bps.clone(),
        device_read_iops: args.device_read_iops.clone(),
        device_write_iops: args.device_write_iops.clone(),
    }
}
