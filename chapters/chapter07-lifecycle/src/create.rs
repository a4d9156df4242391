//! `create`: from flags and an image to a container in the `created` state — a record and
//! two layers, no process yet (the monitor starts one at `start`).
//!
//! Everything that can be wrong with the request is found before anything is made: the
//! name, the resource flags, the signal, the user, the mounts, the working directory, the
//! command. Then the store stages the container and makes it appear in one rename.

use std::path::PathBuf;

use chapter06::chapter05::chapter04::chapter03::chapter01::ContainerError;
use chapter06::chapter05::chapter04::chapter03::config::check_rootfs;
use chapter06::chapter05::chapter04::chapter03::{ContainerConfig, ContainerId};
use chapter06::chapter05::chapter04::{ResourceFlags, Resources, SystemHost};
use chapter06::chapter05::store::LayerStore;
use chapter06::chapter05::{ContainerFs, Lower};
use chapter06::run_image::{container_config, RunRequest};
use chapter06::{Image, ImageStore};

use crate::mounts::{parse_mounts, prepare_sources, MountSpec};
use crate::spec::{Config, HostConfig};
use crate::store::{now, Container, ContainerStore, Record};
use crate::volumes::VolumeStore;

/// What the container stands on.
pub enum Base<'a> {
    /// An image of the store, and the name the user gave it.
    Image {
        store: &'a ImageStore,
        image: &'a Image,
        name: String,
    },
    /// `--rootfs DIR`: a bare directory as the only lower layer.
    Directory(PathBuf),
}

/// `create`'s (and `run`'s) flags, as typed.
#[derive(Debug, Clone, Default)]
pub struct CreateRequest {
    /// The arguments after the image: they replace its Cmd.
    pub command: Vec<String>,
    pub name: Option<String>,
    pub hostname: Option<String>,
    /// `-e` and `--env-file` entries, in order, already `KEY=VALUE`.
    pub env: Vec<String>,
    pub workdir: Option<String>,
    pub user: Option<String>,
    /// `--entrypoint`; `Some("")` clears the image's.
    pub entrypoint: Option<String>,
    pub tty: bool,
    pub interactive: bool,
    /// Attached at start (`run` without `-d`): recorded as AttachStdout/AttachStderr.
    pub attach: bool,
    pub auto_remove: bool,
    pub read_only: bool,
    pub init: bool,
    pub pid_host: bool,
    pub volumes: Vec<String>,
    pub tmpfs: Vec<String>,
    pub stop_signal: Option<String>,
    pub stop_timeout: Option<u64>,
    pub resources: ResourceFlags,
    /// `--network`, `-p`, `--link`, `--add-host`, `--dns`, already parsed by chapter 8 into
    /// docker's `HostConfig` fields (chapter 7 only records them).
    pub network: NetworkFlags,
    /// `--restart`, `--health-*`, `--health-on-failure`, checked by chapter 9.
    pub self_healing: SelfHealingFlags,
}

/// The restart policy and health check, as chapter 9 checks them from the flags (the image's
/// HEALTHCHECK already merged in).
#[derive(Debug, Clone, Default)]
pub struct SelfHealingFlags {
    pub restart_policy: crate::spec::RestartPolicy,
    pub healthcheck: Option<crate::spec::HealthConfig>,
    pub health_on_failure: String,
}

/// The network part of `HostConfig` and `Config`, as chapter 8 parses it from the flags.
#[derive(Debug, Clone, Default)]
pub struct NetworkFlags {
    pub mode: String,
    pub port_bindings: crate::spec::PortMap,
    /// Container ports (`80/tcp`) to record as exposed.
    pub exposed_ports: Vec<String>,
    pub links: Vec<String>,
    pub extra_hosts: Vec<String>,
    pub dns: Vec<String>,
}

// ANCHOR: create
/// Creates the container; emits the `create` event.
pub fn create(
    store: &ContainerStore,
    base: &Base<'_>,
    request: CreateRequest,
) -> Result<Container, ContainerError> {
    // 1. Check everything first.
    let name = match &request.name {
        Some(name) => Some(
            crate::names::validate(name)
                .map_err(ContainerError::Invalid)?
                .to_owned(),
        ),
        None => None,
    };
    if let Some(name) = &name {
        if store.name_taken(name) {
            let holder = store.resolve(name).unwrap_or_default();
            return Err(ContainerError::Invalid(format!(
                "Conflict. The container name \"/{name}\" is already in use by container \"{holder}\". You have to remove (or rename) that container to be able to reuse that name."
            )));
        }
    }
    Resources::from_flags(&request.resources, &SystemHost).map_err(ContainerError::Invalid)?;
    if let Some(signal) = &request.stop_signal {
        crate::signals::parse_signal(signal)?;
    }
    if let Some(user) = &request.user {
        crate::user::UserSpec::parse(user).map_err(ContainerError::Invalid)?;
    }
    let mut mounts = parse_mounts(&request.volumes, &request.tmpfs)?;
    let id = ContainerId::generate()?;
    let hostname = request
        .hostname
        .clone()
        .unwrap_or_else(|| id.short().to_owned());
    let process = process_config(base, &request, &hostname)?;
    // The plan checks the hostname, the environment, the working directory and the
    // command (NUL bytes) without touching a file.
    process.plan_for(std::path::Path::new("/"))?;

    // 2. The record, checked by later chapters too (chapter 8: does `--link` name a
    // container?).
    let name = name.unwrap_or_else(|| generated_name(store, &id));
    let record = record(&id, &name, base, &request, &hostname, &process);
    for hooks in crate::hooks::registered() {
        hooks.check_create(store, &record)?;
    }

    // 3. Stage it with its layers and volumes; appear in one rename.
    // Volumes first (an anonymous one gets its name here, stored in the record), then the
    // layers; a failure of either leaves neither.
    let volumes = VolumeStore::open(store.root())?;
    prepare_sources(&mut mounts, &volumes)?;
    let mut record = record;
    record.mounts = mounts.clone();
    let undo_volumes = |mounts: &[MountSpec]| {
        for name in mounts.iter().filter_map(MountSpec::anonymous_volume) {
            let _ = volumes.remove(name, &|_| Vec::new());
        }
    };
    let created = store.create(
        record,
        || create_layers(store, base, id.as_str(), &hostname).map(drop),
        || crate::remove::clean_up(store.root(), id.as_str(), None),
    );
    let container = match created {
        Ok(container) => container,
        Err(error) => {
            undo_volumes(&mounts);
            return Err(error);
        }
    };
    crate::monitor::event(store.root(), "create", &container, &[]);
    Ok(container)
}
// ANCHOR_END: create

/// The process as chapter 6 combines image and flags (Entrypoint, Cmd, Env, WorkingDir).
fn process_config(
    base: &Base<'_>,
    request: &CreateRequest,
    hostname: &str,
) -> Result<ContainerConfig, ContainerError> {
    let workdir = request
        .workdir
        .clone()
        .filter(|w| !w.is_empty())
        .map(PathBuf::from);
    match base {
        Base::Directory(dir) => {
            let mut command = request.command.clone();
            if let Some(entrypoint) = &request.entrypoint {
                if !entrypoint.is_empty() {
                    command.insert(0, entrypoint.clone());
                }
            }
            let mut config = ContainerConfig::new(check_rootfs(dir)?, command, hostname);
            config.env = request.env.clone();
            config.working_dir = workdir;
            Ok(config)
        }
        Base::Image { image, .. } => container_config(
            image,
            PathBuf::from("/"),
            hostname,
            RunRequest {
                command: request.command.clone(),
                env: request.env.clone(),
                workdir,
                entrypoint: request.entrypoint.as_ref().map(|entrypoint| {
                    if entrypoint.is_empty() {
                        Vec::new()
                    } else {
                        vec![entrypoint.clone()]
                    }
                }),
            },
        ),
    }
}

fn record(
    id: &ContainerId,
    name: &str,
    base: &Base<'_>,
    request: &CreateRequest,
    hostname: &str,
    process: &ContainerConfig,
) -> Record {
    let (image_id, image_name, image_user, image_stop_signal) = match base {
        Base::Image { image, name, .. } => (
            image.id.to_string(),
            name.clone(),
            image.config.config.user.clone(),
            image.config.config.stop_signal.clone(),
        ),
        Base::Directory(dir) => (
            String::new(),
            dir.display().to_string(),
            String::new(),
            String::new(),
        ),
    };
    let (path, args) = process
        .cmd
        .split_first()
        .map(|(path, args)| (path.clone(), args.to_vec()))
        .unwrap_or_default();
    let config = Config {
        hostname: hostname.to_owned(),
        user: request.user.clone().unwrap_or(image_user),
        attach_stdin: request.attach && request.interactive,
        attach_stdout: request.attach,
        attach_stderr: request.attach,
        tty: request.tty,
        open_stdin: request.interactive,
        stdin_once: request.interactive && request.attach,
        env: process.env.clone(),
        cmd: process.cmd.clone(),
        image: image_name,
        working_dir: process
            .working_dir
            .as_ref()
            .map(|dir| dir.display().to_string())
            .unwrap_or_default(),
        entrypoint: request
            .entrypoint
            .iter()
            .filter(|e| !e.is_empty())
            .cloned()
            .collect(),
        stop_signal: request.stop_signal.clone().unwrap_or(image_stop_signal),
        stop_timeout: request.stop_timeout,
        exposed_ports: request
            .network
            .exposed_ports
            .iter()
            .map(|port| (port.clone(), serde_json::Map::new()))
            .collect(),
        healthcheck: request.self_healing.healthcheck.clone(),
        ..Config::default()
    };
    let host_config = HostConfig {
        binds: request.volumes.clone(),
        auto_remove: request.auto_remove,
        readonly_rootfs: request.read_only,
        tmpfs: request
            .tmpfs
            .iter()
            .map(|spec| match spec.split_once(':') {
                Some((path, options)) => (path.to_owned(), options.to_owned()),
                None => (spec.clone(), String::new()),
            })
            .collect(),
        pid_mode: if request.pid_host {
            "host".into()
        } else {
            String::new()
        },
        init: request.init,
        resources: request.resources.clone(),
        network_mode: request.network.mode.clone(),
        port_bindings: request.network.port_bindings.clone(),
        // Docker records `--link web:alias` of container `agent` as `/web:/agent/alias`.
        links: request
            .network
            .links
            .iter()
            .map(|link| {
                let (target, alias) = link.split_once(':').unwrap_or((link, link));
                format!("/{target}:/{name}/{alias}")
            })
            .collect(),
        extra_hosts: request.network.extra_hosts.clone(),
        dns: request.network.dns.clone(),
        restart_policy: request.self_healing.restart_policy.clone(),
        health_on_failure: request.self_healing.health_on_failure.clone(),
        rootfs: match base {
            Base::Directory(dir) => Some(dir.clone()),
            Base::Image { .. } => None,
        },
    };
    Record {
        id: id.as_str().to_owned(),
        created: now(),
        path,
        args,
        image: image_id,
        name: format!("/{name}"),
        config,
        host_config,
        mounts: Vec::new(),
    }
}

/// A generated `adjective_surname` that is free, or the short id if none is.
fn generated_name(store: &ContainerStore, id: &ContainerId) -> String {
    // One getrandom(2) for every draw the retries may need (each call costs a system call;
    // without randomness the retries still run, and the short id is the fallback).
    let mut pool = [0u8; 8 * 32];
    let _ = getrandom::fill(&mut pool);
    let mut draws = pool.chunks_exact(8).cycle();
    let mut random = || {
        let mut bytes = [0u8; 8];
        if let Some(chunk) = draws.next() {
            bytes.copy_from_slice(chunk);
        }
        u64::from_le_bytes(bytes)
    };
    crate::names::generate(&mut random, &|name| store.name_taken(name))
        .unwrap_or_else(|| id.short().to_owned())
}

/// The container's init and upper layers. For an image this happens under the image
/// store's lock, so `rmi` cannot take the image's layers away meanwhile.
fn create_layers(
    store: &ContainerStore,
    base: &Base<'_>,
    id: &str,
    hostname: &str,
) -> Result<ContainerFs, ContainerError> {
    match base {
        Base::Directory(dir) => {
            let layers = LayerStore::open(store.root())?;
            ContainerFs::create(&layers, id, &Lower::Directory(check_rootfs(dir)?), hostname)
        }
        Base::Image {
            store: images,
            image,
            ..
        } => {
            let _lock = images.lock()?;
            let top = images.top_layer(image)?.ok_or_else(|| {
                ContainerError::Invalid(format!("image {} has no layers", image.id.short()))
            })?;
            let layer = images.layers.overlay_layer(&top)?;
            ContainerFs::create(
                images.layers.overlay_store(),
                id,
                &Lower::Image(layer),
                hostname,
            )
        }
    }
}
