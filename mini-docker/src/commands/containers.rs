//! The lifecycle commands (chapter 7): create, run, start, stop, restart, kill, rm,
//! rename, wait, pause, unpause, container prune — and the hidden `monitor`.

use std::os::unix::net::UnixStream;
use std::path::Path;

use chapter07::chapter06::chapter05::chapter04::chapter03::chapter01::ContainerError;
use chapter07::chapter06::chapter05::chapter04::chapter03::config::env_from_args;
use chapter07::chapter06::chapter05::chapter04::ResourceFlags;
use chapter07::chapter06::format::decimal_size;
use chapter07::chapter06::{Image, ImageStore, Reference};
use chapter07::client::{self, Outcome, Session};
use chapter07::control;
use chapter07::create::{Base, CreateRequest, NetworkFlags, SelfHealingFlags};
use chapter07::launch::{MonitorProgram, Started};
use chapter07::{Container, ContainerStore};
use chapter08::flags::NetworkArgs;
use chapter09::flags::SelfHealingArgs;
use chapter09::health::HealthFlags;

use super::{print_error, report};
use crate::cli::{
    ContainerArgs, ContainerCommand, ContainersArgs, CreateArgs, KillArgs, MonitorArgs, RenameArgs,
    ResourceArgs, RmArgs, RunArgs, StartArgs, StopArgs,
};

/// How this binary runs a container's monitor: `mini-docker --root ROOT monitor ID`.
pub fn monitor_program(root: &Path) -> MonitorProgram {
    MonitorProgram::this_program(vec![
        "--root".into(),
        root.as_os_str().to_owned(),
        "monitor".into(),
    ])
}

pub fn require_root(command: &str) -> Result<(), ContainerError> {
    if nix::unistd::geteuid().is_root() {
        Ok(())
    } else {
        Err(ContainerError::Invalid(format!(
            "{command} needs root: creating namespaces and mounts requires CAP_SYS_ADMIN — run it with sudo"
        )))
    }
}

/// `create`: prints the new container's id.
pub fn create(root: &Path, args: CreateArgs) -> i32 {
    report(|| {
        let (_, container) = create_container(root, &args.container, false, "create")?;
        println!("{}", container.id());
        Ok(())
    })
}

/// Shared by `create` and `run`: flags checked, image found (or pulled), container made,
/// `--cidfile` written.
fn create_container(
    root: &Path,
    args: &ContainerArgs,
    attach: bool,
    command: &str,
) -> Result<(ContainerStore, Container), ContainerError> {
    require_root(command)?;
    if let Some(path) = &args.cidfile {
        // Refused before anything exists, as docker does.
        if path.exists() {
            return Err(ContainerError::Invalid(format!(
                "Container ID file found, make sure the other container isn't running or delete {}",
                path.display()
            )));
        }
    }
    let store = ContainerStore::open(root)?;
    let mut request = create_request(args, attach)?;
    let container = match &args.rootfs {
        Some(dir) => chapter07::create::create(&store, &Base::Directory(dir.clone()), request)?,
        None => {
            let (name, _) = args
                .args
                .split_first()
                .ok_or_else(|| ContainerError::Invalid("run needs an image".into()))?;
            let images = ImageStore::open(root)?;
            let image = find_or_pull(&images, name)?;
            let image_check = chapter09::flags::image_healthcheck(&image.config.config.rest);
            request.self_healing = self_healing_flags(args, image_check.as_ref())?;
            let base = Base::Image {
                store: &images,
                image: &image,
                name: name.clone(),
            };
            chapter07::create::create(&store, &base, request)?
        }
    };
    if let Some(path) = &args.cidfile {
        let written = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(path)
            .and_then(|mut file| std::io::Write::write_all(&mut file, container.id().as_bytes()));
        if let Err(error) = written {
            let _ = control::remove(&store, container.id(), true, true);
            return Err(ContainerError::io(
                format!("write the container ID file {}", path.display()),
                error,
            ));
        }
    }
    Ok((store, container))
}

/// An image of the store; like docker, one that is not here is pulled first.
fn find_or_pull(images: &ImageStore, name: &str) -> Result<Image, ContainerError> {
    let id = match images.resolve(name) {
        Ok(id) => id,
        Err(_) => {
            let reference = Reference::parse(name).map_err(ContainerError::Invalid)?;
            eprintln!("Unable to find image '{reference}' locally");
            super::pull::pull_reporting(images, &reference, super::pull::Output::Stderr)?
        }
    };
    images.image(&id)
}

fn create_request(args: &ContainerArgs, attach: bool) -> Result<CreateRequest, ContainerError> {
    let mut env = Vec::new();
    for file in &args.env_file {
        env.extend(read_env_file(file)?);
    }
    env.extend(env_from_args(&args.env, |key| std::env::var(key).ok()));
    let command = if args.rootfs.is_some() {
        args.args.clone()
    } else {
        args.args.iter().skip(1).cloned().collect()
    };
    Ok(CreateRequest {
        command,
        name: args.name.clone(),
        hostname: args.hostname.clone(),
        env,
        workdir: args.workdir.clone(),
        user: args.user.clone(),
        entrypoint: args.entrypoint.clone(),
        tty: args.tty,
        interactive: args.interactive,
        attach,
        auto_remove: args.rm,
        read_only: args.read_only,
        init: args.init,
        pid_host: args.pid.as_deref() == Some("host"),
        volumes: args.volumes.clone(),
        tmpfs: args.tmpfs.clone(),
        stop_signal: args.stop_signal.clone(),
        stop_timeout: args.stop_timeout,
        resources: resource_flags(&args.resources),
        network: network_flags(args)?,
        // Checked now, before an image is pulled; merged with the image's HEALTHCHECK once
        // the image is known (see `create_container`).
        self_healing: self_healing_flags(args, None)?,
    })
}

/// `--restart`, `--health-*`, `--health-on-failure`, checked by chapter 9; `image` is the
/// image's HEALTHCHECK.
fn self_healing_flags(
    args: &ContainerArgs,
    image: Option<&chapter07::spec::HealthConfig>,
) -> Result<SelfHealingFlags, ContainerError> {
    let flags = SelfHealingArgs {
        restart: args.restart.clone(),
        health: HealthFlags {
            cmd: args.health_cmd.clone(),
            interval: args.health_interval.clone(),
            timeout: args.health_timeout.clone(),
            retries: args.health_retries,
            start_period: args.health_start_period.clone(),
            start_interval: args.health_start_interval.clone(),
            no_healthcheck: args.no_healthcheck,
        },
        health_on_failure: args.health_on_failure.clone(),
    };
    chapter09::flags::parse_args(&flags, args.rm, image).map_err(ContainerError::Invalid)
}

/// `--network`, `-p`, `--link`, `--add-host`, `--dns`, checked by chapter 8.
fn network_flags(args: &ContainerArgs) -> Result<NetworkFlags, ContainerError> {
    let parsed = chapter08::flags::parse_args(&NetworkArgs {
        network: args.network.clone(),
        publish: args.publish.clone(),
        links: args.links.clone(),
        add_hosts: args.add_hosts.clone(),
        dns: args.dns.clone(),
    })
    .map_err(ContainerError::Invalid)?;
    for warning in &parsed.warnings {
        eprintln!("WARNING: {warning}");
    }
    Ok(parsed.flags)
}

/// `--env-file`: one `KEY=VALUE` (or bare `KEY`, taken from our environment) per line;
/// blank lines and `#` comments are skipped.
fn read_env_file(path: &Path) -> Result<Vec<String>, ContainerError> {
    let text = std::fs::read_to_string(path)
        .map_err(|error| ContainerError::io(format!("open {}", path.display()), error))?;
    let lines: Vec<String> = text
        .lines()
        .map(str::trim_start)
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
        .map(str::to_owned)
        .collect();
    Ok(env_from_args(&lines, |key| std::env::var(key).ok()))
}

// ANCHOR: run
/// `run`: create, start, and — unless `-d` — attach until the container ends; the exit
/// code is the container's.
pub fn run(root: &Path, args: RunArgs) -> i32 {
    let detach_keys = match chapter07::detach::parse_detach_keys(&args.detach_keys) {
        Ok(keys) => keys,
        Err(message) => {
            print_error(&message);
            return crate::ENGINE_ERROR;
        }
    };
    let (store, container) = match create_container(root, &args.container, !args.detach, "run") {
        Ok(created) => created,
        Err(error) => {
            print_error(&error);
            return error.exit_code();
        }
    };
    if args.detach {
        return match control::start(&monitor_program(root), &container, None) {
            Ok(started) => {
                print_warnings(started.as_ref());
                println!("{}", container.id());
                0
            }
            Err(error) => {
                print_error(&error);
                error.exit_code()
            }
        };
    }
    let session = Session {
        stdin: args.container.interactive,
        tty: args.container.tty,
        detach_keys,
        proxy: Box::new(|_| {}),
    };
    start_attached(root, &store, &container, session)
}
// ANCHOR_END: run

fn print_warnings(started: Option<&Started>) {
    for warning in started.map(|s| s.warnings.as_slice()).unwrap_or_default() {
        eprintln!("WARNING: {warning}");
    }
}

/// Starts the container with this process attached as its first client, then relays until
/// it ends (exit code) or the user detaches (0).
fn start_attached(
    root: &Path,
    store: &ContainerStore,
    container: &Container,
    mut session: Session,
) -> i32 {
    let (ours, theirs) = match UnixStream::pair() {
        Ok(pair) => pair,
        Err(error) => {
            print_error(&ContainerError::io("create a socket pair", error));
            return crate::ENGINE_ERROR;
        }
    };
    let started = match control::start(&monitor_program(root), container, Some(theirs.into())) {
        Ok(Some(started)) => started,
        Ok(None) => {
            print_error(&format!(
                "container {} is already running",
                container.name()
            ));
            return crate::ENGINE_ERROR;
        }
        Err(error) => {
            print_error(&error);
            return error.exit_code();
        }
    };
    print_warnings(Some(&started));
    let pid = started.pid;
    session.proxy = Box::new(move |signal| {
        let _ = nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid), signal);
    });
    let outcome = client::attach(ours, session);
    match outcome {
        Ok(Outcome::Exited(code)) => {
            // For --rm, the monitor removes the container before it exits: wait for that.
            // Otherwise the exit is recorded before the monitor sends it, and the monitor
            // may live on to restart the container (chapter 9): `run` returns now, as
            // docker's does at the first exit.
            if container.record.host_config.auto_remove {
                chapter07::lock::wait_released(&started.monitor_lock, None);
            }
            if store.load(container.id()).is_ok_and(|c| c.state.oom_killed) {
                print_error(&"the container ran out of memory: the kernel's OOM killer ended it (OOMKilled)");
            }
            code
        }
        Ok(Outcome::Detached) => {
            eprintln!("read escape sequence");
            0
        }
        Ok(Outcome::Lost) => {
            print_error(&"lost the connection to the container's monitor");
            crate::ENGINE_ERROR
        }
        Err(error) => {
            print_error(&ContainerError::io("attach", error));
            crate::ENGINE_ERROR
        }
    }
}

/// `start [-a] [-i] CONTAINER…`: prints each name (docker echoes what it was given).
pub fn start(root: &Path, args: StartArgs) -> i32 {
    let store = match ContainerStore::open(root) {
        Ok(store) => store,
        Err(error) => {
            print_error(&error);
            return error.exit_code();
        }
    };
    if args.attach || args.interactive {
        let [reference] = args.containers.as_slice() else {
            print_error(&"you cannot start and attach multiple containers at once");
            return crate::ENGINE_ERROR;
        };
        let keys = match chapter07::detach::parse_detach_keys(&args.detach_keys) {
            Ok(keys) => keys,
            Err(message) => {
                print_error(&message);
                return crate::ENGINE_ERROR;
            }
        };
        let container = match store.get(reference) {
            Ok(container) => container,
            Err(error) => {
                print_error(&error);
                return error.exit_code();
            }
        };
        let session = Session {
            stdin: args.interactive && container.record.config.open_stdin,
            tty: container.record.config.tty,
            detach_keys: keys,
            proxy: Box::new(|_| {}),
        };
        return start_attached(root, &store, &container, session);
    }
    each(&args.containers, |reference| {
        let container = store.get(reference)?;
        let started = control::start(&monitor_program(root), &container, None)?;
        print_warnings(started.as_ref());
        println!("{reference}");
        Ok(())
    })
}

/// Runs `work` for each argument; an error is printed and makes the exit code 1, as
/// docker's does for `stop`, `rm` and friends (the daemon answered, with an error).
fn each(references: &[String], mut work: impl FnMut(&str) -> Result<(), ContainerError>) -> i32 {
    let mut code = 0;
    for reference in references {
        if let Err(error) = work(reference) {
            print_error(&error);
            code = 1;
        }
    }
    code
}

fn open_store(root: &Path) -> Result<ContainerStore, i32> {
    ContainerStore::open(root).map_err(|error| {
        print_error(&error);
        error.exit_code()
    })
}

/// `stop [-t N] CONTAINER…`
pub fn stop(root: &Path, args: StopArgs) -> i32 {
    let store = match open_store(root) {
        Ok(store) => store,
        Err(code) => return code,
    };
    each(&args.containers, |reference| {
        control::stop(&store, reference, args.time)?;
        println!("{reference}");
        Ok(())
    })
}

/// `restart [-t N] CONTAINER…`: stop, then start.
pub fn restart(root: &Path, args: StopArgs) -> i32 {
    let store = match open_store(root) {
        Ok(store) => store,
        Err(code) => return code,
    };
    each(&args.containers, |reference| {
        let stopped = control::stop(&store, reference, args.time)?;
        let container = store.load(stopped.id())?;
        control::start(&monitor_program(root), &container, None)?;
        chapter07::monitor::event(store.root(), "restart", &container, &[]);
        println!("{reference}");
        Ok(())
    })
}

/// `kill [-s SIGNAL] CONTAINER…`
pub fn kill(root: &Path, args: KillArgs) -> i32 {
    let store = match open_store(root) {
        Ok(store) => store,
        Err(code) => return code,
    };
    each(&args.containers, |reference| {
        control::kill(&store, reference, args.signal.as_deref())?;
        println!("{reference}");
        Ok(())
    })
}

/// `rm [-f] [-v] CONTAINER…`
pub fn rm(root: &Path, args: RmArgs) -> i32 {
    let store = match open_store(root) {
        Ok(store) => store,
        Err(code) => return code,
    };
    each(&args.containers, |reference| {
        control::remove(&store, reference, args.force, args.volumes)?;
        println!("{reference}");
        Ok(())
    })
}

/// `rename CONTAINER NEW_NAME`
pub fn rename(root: &Path, args: RenameArgs) -> i32 {
    report(|| {
        let store = ContainerStore::open(root)?;
        control::rename(&store, &args.container, &args.new_name)
    })
}

/// `wait CONTAINER…`: prints each exit code.
pub fn wait(root: &Path, args: ContainersArgs) -> i32 {
    let store = match open_store(root) {
        Ok(store) => store,
        Err(code) => return code,
    };
    each(&args.containers, |reference| {
        println!("{}", control::wait(&store, reference)?);
        Ok(())
    })
}

/// `pause` / `unpause CONTAINER…`
pub fn set_paused(root: &Path, args: ContainersArgs, paused: bool) -> i32 {
    let store = match open_store(root) {
        Ok(store) => store,
        Err(code) => return code,
    };
    each(&args.containers, |reference| {
        control::set_paused(&store, reference, paused)?;
        println!("{reference}");
        Ok(())
    })
}

/// `container prune [-f]`: removes every stopped container, prints what it freed.
pub fn container(root: &Path, command: ContainerCommand) -> i32 {
    let ContainerCommand::Prune(_) = command;
    report(|| {
        let store = ContainerStore::open(root)?;
        let mut deleted = Vec::new();
        let mut reclaimed = 0;
        for container in store.list() {
            if container.state.status.is_active() {
                continue;
            }
            let size = chapter07::remove::layers_size(root, container.id());
            if control::remove(&store, container.id(), false, false).is_ok() {
                deleted.push(container.id().to_owned());
                reclaimed += size;
            }
        }
        if !deleted.is_empty() {
            println!("Deleted Containers:\n{}\n", deleted.join("\n"));
        }
        println!("Total reclaimed space: {}", decimal_size(reclaimed));
        Ok(())
    })
}

/// The hidden `monitor ID` command: this process becomes the container's monitor.
pub fn monitor(root: &Path, args: MonitorArgs) -> i32 {
    chapter07::monitor::main(root, &args.id)
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

/// `attach CONTAINER`: connects to the monitor's socket; Ctrl-P Ctrl-Q detaches.
pub fn attach(root: &Path, args: crate::cli::AttachArgs) -> i32 {
    let attached = (|| {
        let keys = chapter07::detach::parse_detach_keys(&args.detach_keys)
            .map_err(ContainerError::Invalid)?;
        let store = ContainerStore::open(root)?;
        let container = store.get(&args.container)?;
        if container.running_pid().is_none() {
            return Err(ContainerError::Invalid(
                "You cannot attach to a stopped container, start it first".into(),
            ));
        }
        let socket = chapter07::monitor::connect_attach(container.dir())?;
        chapter07::monitor::event(root, "attach", &container, &[]);
        let pid = container.state.pid;
        let session = Session {
            stdin: !args.no_stdin && container.record.config.open_stdin,
            tty: container.record.config.tty,
            detach_keys: keys,
            proxy: Box::new(move |signal| {
                if args.sig_proxy {
                    let _ = nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid), signal);
                }
            }),
        };
        let outcome =
            client::attach(socket, session).map_err(|error| ContainerError::io("attach", error))?;
        Ok((outcome, container))
    })();
    match attached {
        Ok((Outcome::Exited(code), _)) => code,
        Ok((Outcome::Detached, container)) => {
            chapter07::monitor::event(root, "detach", &container, &[]);
            eprintln!("read escape sequence");
            0
        }
        Ok((Outcome::Lost, _)) => 0,
        Err(error) => {
            print_error(&error);
            error.exit_code()
        }
    }
}
