//! Chapter 8 plugged into chapter 7's monitor ([`chapter07::hooks`]).
//!
//! - At `create`: `--network container:X` and `--link X` must name existing containers.
//! - At each start, before the child exists ([`NetworkHooks::prepare_start`]): lease an
//!   address, hold the published ports, write `hosts` and `resolv.conf` — or, for `host`
//!   and `container:X`, change which namespaces the child gets.
//! - While the child waits at its gate ([`BridgeStart::before_start`], on a thread of its
//!   own beside the cgroup's): make the bridge if it is missing, plug the container in,
//!   publish its ports.
//! - When it ends ([`BridgeStart::after_exit`]): take down the rules, the veth pair, the
//!   lease and the ports. At `rm` ([`NetworkHooks::clean_up`]): the same for a container
//!   whose monitor was killed.

use std::collections::BTreeMap;
use std::fs::{self, File};
use std::os::fd::OwnedFd;
use std::path::{Path, PathBuf};

use chapter07::chapter06::chapter05::chapter04::chapter03::chapter01::{ChildStep, ContainerError};
use chapter07::chapter06::chapter05::chapter04::chapter03::chapter02::Namespace;
use chapter07::chapter06::chapter05::chapter04::chapter03::{AfterExit, ContainerConfig, HostSide};
use chapter07::chapter06::chapter05::store::LayerStore;
use chapter07::chapter06::chapter05::ContainerFs;
use chapter07::enter::JoinNamespace;
use chapter07::hooks::{Hooks, StartHooks};
use chapter07::state::{EndpointSettings, NetworkSettings, State};
use chapter07::store::Record;
use chapter07::{Container, ContainerStore};
use nix::unistd::Pid;

use crate::bridge::BridgeOptions;
use crate::flags::recorded_link;
use crate::ipam::{Lease, Leases};
use crate::mode::NetworkMode;
use crate::namefiles::{self, LinkEntry};
use crate::plan::{mac_for, mac_text, plan_endpoint, BridgeConfig};
use crate::ports::{hold, specs_from_map, HeldPort};

/// Chapter 8's hooks; `bridge` is what `--bridge`/`--bip` asked for.
#[derive(Debug, Clone, Default)]
pub struct NetworkHooks {
    pub bridge: BridgeOptions,
}

fn invalid(message: String) -> ContainerError {
    ContainerError::Invalid(message)
}

/// The file that records how to unpublish a container's ports, so they can be taken
/// down even if its monitor was killed.
fn published_file(state_root: &Path, id: &str) -> PathBuf {
    state_root.join("network").join("published").join(id)
}

impl Hooks for NetworkHooks {
    fn check_create(&self, store: &ContainerStore, record: &Record) -> Result<(), ContainerError> {
        let host = &record.host_config;
        if let NetworkMode::Container(target) =
            NetworkMode::parse(&host.network_mode).map_err(invalid)?
        {
            store.resolve(&target)?;
        }
        for link in &host.links {
            let (target, _) =
                recorded_link(link).ok_or_else(|| invalid(format!("invalid link {link:?}")))?;
            store.resolve(&target).map_err(|_| {
                invalid(format!(
                    "could not get container for {target}: No such container"
                ))
            })?;
        }
        Ok(())
    }

    fn prepare_start(
        &self,
        store: &ContainerStore,
        container: &Container,
        config: &mut ContainerConfig,
    ) -> Result<Box<dyn StartHooks>, ContainerError> {
        let record = &container.record;
        let host = &record.host_config;
        let init_diff = ContainerFs::open(&LayerStore::open(store.root())?, container.id())?
            .init
            .diff();
        let extra_hosts = host
            .extra_hosts
            .iter()
            .map(|text| namefiles::parse_add_host(text).map_err(invalid))
            .collect::<Result<Vec<_>, _>>()?;
        let host_resolv = fs::read_to_string("/etc/resolv.conf").unwrap_or_default();
        match NetworkMode::parse(&host.network_mode).map_err(invalid)? {
            NetworkMode::Bridge => {
                let start = prepare_bridge(self, store, container, &extra_hosts)?;
                namefiles::write(
                    &init_diff,
                    "resolv.conf",
                    &namefiles::resolv(&host_resolv, &host.dns),
                )?;
                Ok(Box::new(start))
            }
            NetworkMode::None => {
                let hosts = namefiles::hosts(&record.config.hostname, None, &[], &extra_hosts);
                namefiles::write(&init_diff, "hosts", &hosts)?;
                namefiles::write(
                    &init_diff,
                    "resolv.conf",
                    &namefiles::resolv(&host_resolv, &host.dns),
                )?;
                Ok(Box::new(NothingToDo))
            }
            NetworkMode::Host => {
                // The host's network, and (as in docker) its hostname and name files.
                config.namespaces.remove(Namespace::Net);
                config.namespaces.remove(Namespace::Uts);
                let hostname = nix::unistd::gethostname()
                    .map(|name| name.to_string_lossy().into_owned())
                    .unwrap_or_default();
                let mut hosts = fs::read_to_string("/etc/hosts").unwrap_or_default();
                for (name, address) in &extra_hosts {
                    hosts.push_str(&format!("{address}\t{name}\n"));
                }
                namefiles::write(&init_diff, "hostname", &format!("{hostname}\n"))?;
                namefiles::write(&init_diff, "hosts", &hosts)?;
                namefiles::write(&init_diff, "resolv.conf", &host_resolv)?;
                Ok(Box::new(NothingToDo))
            }
            NetworkMode::Container(target) => {
                let join = prepare_join(store, &target, &init_diff)?;
                config.namespaces.remove(Namespace::Net);
                Ok(Box::new(join))
            }
        }
    }

    fn clean_up(&self, state_root: &Path, id: &str) {
        clean_up_published(state_root, id);
        // A killed monitor's lease: its lock is free and the container's processes are
        // gone now (rm removed the cgroup first), so it goes.
        if let Some(config) = crate::bridge::recorded_settings(state_root) {
            if let Ok(leases) = Leases::open(state_root, config.subnet, Vec::new()) {
                let _ = leases.release_owned_by(id);
            }
        }
    }
}

// ANCHOR: prepare_bridge
/// Lease, links, ports and `hosts` for a container on the bridge.
fn prepare_bridge(
    hooks: &NetworkHooks,
    store: &ContainerStore,
    container: &Container,
    extra_hosts: &[(String, String)],
) -> Result<BridgeStart, ContainerError> {
    let record = &container.record;
    let config = crate::bridge::settings(store.root(), &hooks.bridge)?;
    let links = resolve_links(store, record)?;
    let leases = Leases::open(store.root(), config.subnet, vec![config.gateway])?;
    let specs = specs_from_map(&record.host_config.port_bindings).map_err(invalid)?;
    let ports = specs
        .into_iter()
        .map(|spec| hold(spec).map_err(invalid))
        .collect::<Result<Vec<HeldPort>, _>>()?;
    let lease = leases.allocate(container.id())?;
    let init_diff = ContainerFs::open(&LayerStore::open(store.root())?, container.id())?
        .init
        .diff();
    let hosts = namefiles::hosts(
        &record.config.hostname,
        Some(lease.address),
        &links,
        extra_hosts,
    );
    namefiles::write(&init_diff, "hosts", &hosts)?;
    Ok(BridgeStart {
        state_root: store.root().to_owned(),
        id: container.id().to_owned(),
        config,
        lease: Some(lease),
        ports,
        pid: None,
    })
}
// ANCHOR_END: prepare_bridge

/// `--link NAME:ALIAS` entries: each linked container must run and have an address.
fn resolve_links(
    store: &ContainerStore,
    record: &Record,
) -> Result<Vec<LinkEntry>, ContainerError> {
    let own = record.name.trim_start_matches('/');
    record
        .host_config
        .links
        .iter()
        .map(|link| {
            let (target, alias) =
                recorded_link(link).ok_or_else(|| invalid(format!("invalid link {link:?}")))?;
            let refused = || {
                invalid(format!(
                    "Cannot link to a non running container: /{target} AS /{own}/{alias}"
                ))
            };
            let linked = store.get(&target).map_err(|_| refused())?;
            let address = linked
                .state
                .network_settings
                .ip_address
                .parse()
                .map_err(|_| refused())?;
            if !linked.state.running {
                return Err(refused());
            }
            Ok(LinkEntry {
                address,
                alias,
                short_id: linked.short_id().to_owned(),
                name: linked.name().to_owned(),
            })
        })
        .collect()
}

/// `--network container:X`: an open handle on X's network namespace, and X's name files.
fn prepare_join(
    store: &ContainerStore,
    target: &str,
    init_diff: &Path,
) -> Result<JoinStart, ContainerError> {
    let other = store.get(target)?;
    let refused = || {
        invalid(format!(
            "cannot join network of a non running container: {target}"
        ))
    };
    let pid = other.running_pid().ok_or_else(refused)?;
    let netns: OwnedFd = File::open(format!("/proc/{pid}/ns/net"))
        .map_err(|_| refused())?
        .into();
    // The pid was read before the file was opened: make sure it is still X's process.
    if store.load(other.id())?.running_pid() != Some(pid) {
        return Err(refused());
    }
    let other_etc = ContainerFs::open(&LayerStore::open(store.root())?, other.id())?
        .init
        .diff()
        .join("etc");
    for file in ["hosts", "resolv.conf"] {
        let text = fs::read_to_string(other_etc.join(file)).unwrap_or_default();
        namefiles::write(init_diff, file, &text)?;
    }
    Ok(JoinStart {
        step: Some(JoinNamespace::new(
            Namespace::Net,
            netns,
            Pid::from_raw(pid),
        )),
    })
}

/// `none` and `host`: nothing to do around the child.
struct NothingToDo;

impl HostSide for NothingToDo {
    fn before_start(&mut self, _pid: Pid) -> Result<Vec<String>, ContainerError> {
        Ok(Vec::new())
    }

    fn after_exit(&mut self) -> AfterExit {
        AfterExit::default()
    }
}

impl StartHooks for NothingToDo {
    fn as_host_side(&mut self) -> &mut (dyn HostSide + Send) {
        self
    }
}

/// `container:X`: the child's first step joins X's network namespace.
struct JoinStart {
    step: Option<JoinNamespace>,
}

impl HostSide for JoinStart {
    fn before_start(&mut self, _pid: Pid) -> Result<Vec<String>, ContainerError> {
        Ok(Vec::new())
    }

    fn after_exit(&mut self) -> AfterExit {
        AfterExit::default()
    }
}

impl StartHooks for JoinStart {
    fn as_host_side(&mut self) -> &mut (dyn HostSide + Send) {
        self
    }

    fn first_steps(&mut self) -> Vec<Box<dyn ChildStep>> {
        self.step
            .take()
            .map(|step| Box::new(step) as Box<dyn ChildStep>)
            .into_iter()
            .collect()
    }
}

/// A container on the bridge, for one start.
pub struct BridgeStart {
    state_root: PathBuf,
    id: String,
    config: BridgeConfig,
    lease: Option<Lease>,
    ports: Vec<HeldPort>,
    /// The container's pid once it is plugged in.
    pid: Option<Pid>,
}

impl BridgeStart {
    fn published(&self) -> Vec<(crate::ports::PortSpec, u16)> {
        self.ports
            .iter()
            .map(|port| (port.spec, port.host_port))
            .collect()
    }
}

impl HostSide for BridgeStart {
    // ANCHOR: before_start
    fn before_start(&mut self, pid: Pid) -> Result<Vec<String>, ContainerError> {
        let address = self
            .lease
            .as_ref()
            .map(|lease| lease.address)
            .ok_or_else(|| invalid("the container's address was given back already".into()))?;
        crate::bridge::ensure(&self.state_root, &self.config)?;
        // The veth pair takes the bridge's MTU as it is now (an admin may have changed it).
        let bridge = BridgeConfig {
            mtu: crate::bridge::current_mtu(&self.config.name).unwrap_or(self.config.mtu),
            ..self.config.clone()
        };
        let netns_path = format!("/proc/{pid}/ns/net");
        let netns = File::open(&netns_path)
            .map_err(|error| ContainerError::io(format!("open {netns_path}"), error))?;
        crate::apply::apply(&plan_endpoint(&bridge, &self.id, address), Some(&netns))?;
        self.pid = Some(pid);
        if let Some(lease) = &self.lease {
            // If this monitor is killed, the container may run on with the address.
            lease.record_process(pid.as_raw())?;
        }
        if !self.ports.is_empty() {
            let published = self.published();
            // The way back is written first: if we die right after the rules went in,
            // `rm` still finds how to take them out.
            let undo = crate::firewall::unpublish_rules(&self.config.name, &self.id, &published);
            let file = published_file(&self.state_root, &self.id);
            if let Some(dir) = file.parent() {
                fs::create_dir_all(dir).map_err(|error| {
                    ContainerError::io(format!("create {}", dir.display()), error)
                })?;
            }
            fs::write(&file, undo)
                .map_err(|error| ContainerError::io(format!("write {}", file.display()), error))?;
            crate::firewall::apply(&crate::firewall::publish_rules(
                &self.config.name,
                &self.id,
                address,
                &published,
            ))?;
        }
        Ok(Vec::new())
    }
    // ANCHOR_END: before_start

    // ANCHOR: after_exit
    fn after_exit(&mut self) -> AfterExit {
        clean_up_published(&self.state_root, &self.id);
        // The veth pair needs nothing: when the last process of the container's network
        // namespace is gone, the kernel destroys the namespace with its end of the pair,
        // and a veth pair never outlives either end. (Deleting it ourselves would wait for
        // RCU grace periods, ~15 ms here, while `run --rm` waits for us.)
        self.lease = None;
        self.ports.clear();
        self.pid = None;
        AfterExit::default()
    }
    // ANCHOR_END: after_exit
}

/// Takes down the published ports' rules of container `id`, if it has any.
fn clean_up_published(state_root: &Path, id: &str) {
    let published = published_file(state_root, id);
    if let Ok(script) = fs::read_to_string(&published) {
        if let Err(error) = crate::firewall::apply(&script) {
            eprintln!("WARNING: {error}");
        }
        let _ = fs::remove_file(&published);
    }
}

impl StartHooks for BridgeStart {
    fn as_host_side(&mut self) -> &mut (dyn HostSide + Send) {
        self
    }

    fn record(&self, state: &mut State) {
        let Some(lease) = &self.lease else {
            return;
        };
        let mut ports: BTreeMap<String, Vec<chapter07::spec::PortBinding>> = BTreeMap::new();
        for port in &self.ports {
            ports
                .entry(port.spec.to_string())
                .or_default()
                .push(port.binding());
        }
        let endpoint = EndpointSettings {
            gateway: self.config.gateway.to_string(),
            ip_address: lease.address.to_string(),
            ip_prefix_len: self.config.subnet.prefix_len(),
            mac_address: mac_text(&mac_for(lease.address)),
        };
        state.network_settings = NetworkSettings {
            bridge: self.config.name.clone(),
            sandbox_key: self
                .pid
                .map(|pid| format!("/proc/{pid}/ns/net"))
                .unwrap_or_default(),
            ports,
            gateway: endpoint.gateway.clone(),
            ip_address: endpoint.ip_address.clone(),
            ip_prefix_len: endpoint.ip_prefix_len,
            mac_address: endpoint.mac_address.clone(),
            networks: BTreeMap::from([("bridge".to_owned(), endpoint)]),
        };
    }
}
