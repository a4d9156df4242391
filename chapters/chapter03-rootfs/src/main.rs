//! Chapter 3 demo: a container in a root filesystem of its own.
//!
//! ```text
//! cargo run -p chapter03 -- rootfs /tmp/busybox          # build a busybox rootfs
//! cargo run -p chapter03 -- plan /tmp/busybox sh          # print what the child will do
//! cargo run -p chapter03 -- run /tmp/busybox /bin/sh -c 'ps; ls /; mount'
//! ```

use std::path::PathBuf;

use chapter01::ContainerError;
use chapter03::busybox::{build_rootfs, find_host_busybox};
use chapter03::ContainerConfig;

const USAGE: &str = "usage:
  chapter03 rootfs DIR                      build a busybox root filesystem in DIR
  chapter03 plan ROOTFS COMMAND [ARG...]    print the plan the container will follow
  chapter03 run [--ns LIST] ROOTFS COMMAND [ARG...]
                                            run COMMAND with ROOTFS as its /

`run` needs root. The container gets new namespaces (LIST as in chapter02; default: all but
user), the hostname `box`, its own /proc, a read-only /sys and a minimal /dev.";

fn main() {
    chapter01::steps::default_sigpipe();
    let args: Vec<String> = std::env::args().skip(1).collect();
    let code = match args
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .as_slice()
    {
        ["rootfs", dir] => rootfs(PathBuf::from(dir)),
        ["plan", rootfs, command @ ..] if !command.is_empty() => plan(config(rootfs, command)),
        ["run", "--ns", list, rootfs, command @ ..] if !command.is_empty() => match list.parse() {
            Ok(namespaces) => run(ContainerConfig {
                namespaces,
                ..config(rootfs, command)
            }),
            Err(message) => {
                eprintln!("chapter03: {message}");
                125
            }
        },
        ["run", rootfs, command @ ..] if !command.is_empty() => run(config(rootfs, command)),
        ["--help" | "-h"] => {
            println!("{USAGE}");
            0
        }
        _ => {
            eprintln!("{USAGE}");
            125
        }
    };
    std::process::exit(code);
}

fn config(rootfs: &str, command: &[&str]) -> ContainerConfig {
    let command = command.iter().map(|s| s.to_string()).collect();
    ContainerConfig::new(rootfs, command, "box")
}

fn rootfs(dir: PathBuf) -> i32 {
    let built = find_host_busybox().and_then(|busybox| {
        build_rootfs(&dir, &busybox).map_err(|e| format!("cannot build {}: {e}", dir.display()))
    });
    match built {
        Ok(built) => {
            println!(
                "built {} with {} busybox applets",
                built.path.display(),
                built.applets
            );
            0
        }
        Err(message) => {
            eprintln!("chapter03: {message}");
            125
        }
    }
}

fn plan(config: ContainerConfig) -> i32 {
    match config.prepare() {
        Ok(plan) => {
            print!("{plan}");
            0
        }
        Err(error) => fail(&error),
    }
}

// ANCHOR: demo
fn run(config: ContainerConfig) -> i32 {
    let mounts_before = std::fs::read_to_string("/proc/self/mountinfo").unwrap_or_default();
    let created = match config.prepare().and_then(|plan| plan.create()) {
        Ok(created) => created,
        Err(error) => return fail(&error),
    };
    // Printed while the child still waits at the gate, so it always comes first.
    println!(
        "host:   container is pid {} here, with {} as its /",
        created.pid(),
        config.rootfs.display()
    );
    let child = match created.start() {
        Ok(child) => child,
        Err(error) => return fail(&error),
    };
    let status = match child.wait() {
        Ok(status) => status,
        Err(error) => return fail(&error),
    };
    println!("host:   container {status}");
    let mounts_after = std::fs::read_to_string("/proc/self/mountinfo").unwrap_or_default();
    if mounts_after == mounts_before {
        println!("host:   mount table unchanged");
    } else {
        println!("host:   mount table CHANGED — a mount leaked out of the container");
    }
    status.code()
}
// ANCHOR_END: demo

fn fail(error: &ContainerError) -> i32 {
    eprintln!("chapter03: {error}");
    error.exit_code()
}
