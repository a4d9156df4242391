//! `mini-docker run`: a container in the foreground: namespaces and a root of its own
//! (chapters 2–3), its cgroup (chapter 4), on an overlay over the rootfs (chapter 5).

use std::path::Path;

use chapter05::chapter04::chapter03::chapter02::Namespace;
use chapter05::chapter04::chapter03::config::check_rootfs;
use chapter05::chapter04::chapter03::config::env_from_args;
use chapter05::chapter04::chapter03::{ContainerConfig, ContainerId, ForegroundRun};
use chapter05::chapter04::{
    plan_for, CgroupHostSide, Hierarchy, ResourceFlags, Resources, SystemHost,
};
use chapter05::store::LayerStore;
use chapter05::{ContainerFs, Lower};

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
    let lower = match args.rootfs.clone() {
        Some(rootfs) => rootfs,
        None => {
            let default = root.join("rootfs").join("busybox");
            if !default.is_dir() {
                print_error(&format!(
                    "no --rootfs given and the default {} does not exist: build it with `cargo xtask setup`, or pass --rootfs DIR",
                    default.display()
                ));
                return crate::ENGINE_ERROR;
            }
            default
        }
    };
    // The rootfs is only ever a read-only lower layer: the container writes to its own.
    let lower = match check_rootfs(&lower) {
        Ok(lower) => lower,
        Err(error) => {
            print_error(&error);
            return error.exit_code();
        }
    };
    let hostname = args
        .hostname
        .clone()
        .unwrap_or_else(|| id.short().to_owned());
    let container_fs = match LayerStore::open(root).and_then(|store| {
        ContainerFs::create(&store, id.as_str(), &Lower::Directory(lower), &hostname)
    }) {
        Ok(container_fs) => container_fs,
        Err(error) => {
            print_error(&error);
            return error.exit_code();
        }
    };
    // A container that never ran leaves nothing; one that ran keeps its layers (for `diff`
    // and `commit`, chapter 7) unless --rm.
    let code = run_in(root, id, hostname, args, resources, &container_fs);
    if code.is_err() {
        container_fs.remove();
    }
    code.unwrap_or_else(|code| code)
}

/// Runs the container on its overlay; `Ok(code)` once it ran, `Err(code)` if it never did.
fn run_in(
    root: &Path,
    id: ContainerId,
    hostname: String,
    args: RunArgs,
    resources: Resources,
    container_fs: &ContainerFs,
) -> Result<i32, i32> {
    let mount = container_fs.mount_plan().into_step().map_err(|error| {
        print_error(&error);
        error.exit_code()
    })?;
    let mut config = ContainerConfig::new(container_fs.merged(), args.command, hostname);
    config.env = env_from_args(&args.env, |key| std::env::var(key).ok());
    config.working_dir = args.workdir;
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
