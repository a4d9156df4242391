//! `mini-docker run`: a container in the foreground, with the isolation of chapters 1–3.

use std::path::Path;

use chapter04::chapter03::chapter02::Namespace;
use chapter04::chapter03::config::env_from_args;
use chapter04::chapter03::{ContainerConfig, ContainerId, ForegroundRun};
use chapter04::{plan_for, CgroupHostSide, Hierarchy, ResourceFlags, Resources, SystemHost};

use super::print_error;
use crate::cli::{ResourceArgs, RunArgs};

pub fn run(root: &Path, args: RunArgs) -> i32 {
    // Flags are checked first: a bad value is refused before anything exists.
    let resources = match Resources::from_flags(&resource_flags(args.resources), &SystemHost) {
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
    let rootfs = match args.rootfs {
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
    let hostname = args.hostname.unwrap_or_else(|| id.short().to_owned());
    let mut config = ContainerConfig::new(rootfs, args.command, hostname);
    config.env = env_from_args(&args.env, |key| std::env::var(key).ok());
    config.working_dir = args.workdir;
    if args.pid.as_deref() == Some("host") {
        config.namespaces.remove(Namespace::Pid);
    }
    let hierarchy = match Hierarchy::detect() {
        Ok(hierarchy) => hierarchy,
        Err(message) => {
            print_error(&message);
            return crate::ENGINE_ERROR;
        }
    };
    let plan = plan_for(hierarchy.version(), &resources);
    let mut cgroup = CgroupHostSide::new(hierarchy, id.as_str(), plan);
    let run = ForegroundRun {
        state_root: root,
        id,
        config,
        remove_when_done: args.rm,
        host_side: &mut cgroup,
        warn: &|warning| eprintln!("WARNING: {warning}"),
    };
    match run.run() {
        Ok(finished) => {
            if finished.oom_killed {
                print_error(&"the container ran out of memory: the kernel's OOM killer ended it (OOMKilled)");
            }
            finished.status.code()
        }
        Err(error) => {
            print_error(&error);
            error.exit_code()
        }
    }
}

fn resource_flags(args: ResourceArgs) -> ResourceFlags {
    ResourceFlags {
        memory: args.memory,
        memory_swap: args.memory_swap,
        memory_reservation: args.memory_reservation,
        cpu_shares: args.cpu_shares,
        cpu_period: args.cpu_period,
        cpu_quota: args.cpu_quota,
        cpus: args.cpus,
        cpuset_cpus: args.cpuset_cpus,
        pids_limit: args.pids_limit,
        blkio_weight: args.blkio_weight,
        device_read_bps: args.device_read_bps,
        device_write_bps: args.device_write_bps,
        device_read_iops: args.device_read_iops,
        device_write_iops: args.device_write_iops,
    }
}
