//! `mini-docker run`: a container in the foreground, with the isolation of chapters 1–3.

use std::path::Path;

use chapter03::chapter02::Namespace;
use chapter03::config::env_from_args;
use chapter03::{ContainerConfig, ContainerId, ForegroundRun};

use super::print_error;
use crate::cli::RunArgs;

pub fn run(root: &Path, args: RunArgs) -> i32 {
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
    let run = ForegroundRun {
        state_root: root,
        id,
        config,
        remove_when_done: args.rm,
    };
    match run.run() {
        Ok(status) => status.code(),
        Err(error) => {
            print_error(&error);
            error.exit_code()
        }
    }
}
