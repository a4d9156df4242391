//! The bridge of a state root: its settings, chosen once, and the device, made when missing.
//!
//! The settings live in `<root>/network/bridge.json`: name (`mini0` unless `--bridge` says
//! otherwise), subnet (the first of docker's pool no host route overlaps, unless `--bip`
//! says otherwise), gateway and MTU. The device is made by the first start that needs it —
//! also after a reboot, which takes devices and firewall rules away but leaves the state
//! root. A bridge carries the state root's path in its alias (`ip link show` prints it), so
//! two state roots can never share one bridge and hand out the same addresses twice.

use std::fs;
use std::path::{Path, PathBuf};

use chapter07::chapter06::chapter05::chapter04::chapter03::chapter01::ContainerError;
use chapter07::lock::FileLock;

use crate::plan::{plan_bridge, BridgeConfig};
use crate::subnet::{choose_subnet, default_pool, routes_from_proc, Ipv4Net};

/// The bridge's name for the standard state root when none is given.
pub const DEFAULT_BRIDGE: &str = "mini0";
/// The standard state root (mini-docker's default `--root`).
pub const STANDARD_ROOT: &str = "/var/lib/mini-docker";
/// Docker's default MTU.
pub const DEFAULT_MTU: u32 = 1500;
/// Taken by whoever chooses a subnet, so two state roots choosing at once cannot pick the
/// same one (the route that marks a subnet as used appears only when its bridge is up).
const HOST_LOCK: &str = "/run/mini-docker/network.lock";

/// What the user asked for (`--bridge`, `--bip`); only the first start of a state root uses it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BridgeOptions {
    pub name: Option<String>,
    pub subnet: Option<Ipv4Net>,
}

fn io(what: String) -> impl FnOnce(std::io::Error) -> ContainerError {
    move |error| ContainerError::io(what, error)
}

fn settings_path(state_root: &Path) -> PathBuf {
    state_root.join("network").join("bridge.json")
}

/// The alias a bridge of `state_root` carries.
fn owner_alias(state_root: &Path) -> String {
    format!("mini-docker {}", state_root.display())
}

/// The state root's bridge settings if a start has chosen them (nothing is made).
pub fn recorded_settings(state_root: &Path) -> Option<BridgeConfig> {
    let text = fs::read_to_string(settings_path(state_root)).ok()?;
    serde_json::from_str(&text).ok()
}

/// The state root's bridge settings: read, or chosen and written on first use. Options
/// that contradict the recorded settings are an error (the bridge cannot change under
/// running containers).
pub fn settings(
    state_root: &Path,
    options: &BridgeOptions,
) -> Result<BridgeConfig, ContainerError> {
    let path = settings_path(state_root);
    if let Ok(text) = fs::read_to_string(&path) {
        let config: BridgeConfig = serde_json::from_str(&text).map_err(|error| {
            ContainerError::Invalid(format!("{} is damaged: {error}", path.display()))
        })?;
        return check_options(config, options);
    }
    let dir = state_root.join("network");
    fs::create_dir_all(&dir).map_err(io(format!("create {}", dir.display())))?;
    let _host = match options.subnet {
        Some(_) => None,
        None => {
            let lock = Path::new(HOST_LOCK);
            if let Some(dir) = lock.parent() {
                fs::create_dir_all(dir).map_err(io(format!("create {}", dir.display())))?;
            }
            Some(FileLock::exclusive(lock)?)
        }
    };
    // Another CLI of this root may have chosen while we waited.
    if let Ok(text) = fs::read_to_string(&path) {
        if let Ok(config) = serde_json::from_str::<BridgeConfig>(&text) {
            return check_options(config, options);
        }
    }
    let name = options
        .name
        .clone()
        .unwrap_or_else(|| default_name(state_root));
    check_name(&name)?;
    let subnet = match options.subnet {
        Some(subnet) => subnet,
        None => {
            let routes =
                fs::read_to_string("/proc/net/route").map_err(io("read /proc/net/route".into()))?;
            choose_subnet(&default_pool(), &routes_from_proc(&routes)).ok_or_else(|| {
                ContainerError::Invalid(
                    "every subnet of the default pool overlaps a route of this host; choose one with --bip".into(),
                )
            })?
        }
    };
    let gateway = subnet
        .gateway()
        .ok_or_else(|| ContainerError::Invalid(format!("subnet {subnet} has no host address")))?;
    let config = BridgeConfig {
        name,
        subnet,
        gateway,
        mtu: DEFAULT_MTU,
    };
    let text = serde_json::to_string_pretty(&config).unwrap_or_default();
    let temporary = dir.join(".bridge.json.new");
    fs::write(&temporary, text + "\n")
        .and_then(|()| fs::rename(&temporary, &path))
        .map_err(io(format!("write {}", path.display())))?;
    Ok(config)
}

fn check_options(
    config: BridgeConfig,
    options: &BridgeOptions,
) -> Result<BridgeConfig, ContainerError> {
    let name_differs = options
        .name
        .as_ref()
        .is_some_and(|name| *name != config.name);
    let subnet_differs = options.subnet.is_some_and(|subnet| subnet != config.subnet);
    if name_differs || subnet_differs {
        return Err(ContainerError::Invalid(format!(
            "this state root's bridge is {} with subnet {}; --bridge and --bip only apply to a new state root",
            config.name, config.subnet
        )));
    }
    Ok(config)
}

// ANCHOR: default_name
/// The bridge of a state root when `--bridge` is not given: `mini0` for the standard root,
/// `md` and 8 hex digits of a hash of the path for any other. A bridge belongs to one
/// state root (its leases live there), so a second root — every test has its own — gets a
/// bridge of its own instead of an error.
pub fn default_name(state_root: &Path) -> String {
    if state_root == Path::new(STANDARD_ROOT) {
        return DEFAULT_BRIDGE.to_owned();
    }
    // FNV-1a: tiny, stable across builds and machines (std's hasher is neither promised).
    let hash = state_root
        .as_os_str()
        .as_encoded_bytes()
        .iter()
        .fold(0x811c_9dc5_u32, |hash, byte| {
            (hash ^ u32::from(*byte)).wrapping_mul(0x0100_0193)
        });
    format!("md{hash:08x}")
}
// ANCHOR_END: default_name

/// A Linux interface name: 1–15 bytes, no `/`, no whitespace, not `.` or `..`.
pub fn check_name(name: &str) -> Result<(), ContainerError> {
    let valid = !name.is_empty()
        && name.len() <= 15
        && name != "."
        && name != ".."
        && !name.contains(['/', ':'])
        && !name.chars().any(char::is_whitespace);
    if valid {
        Ok(())
    } else {
        Err(ContainerError::Invalid(format!(
            "invalid bridge name {name:?}: 1–15 characters, no '/', ':' or spaces"
        )))
    }
}

// ANCHOR: ensure
/// Makes the bridge device and its firewall table if the device is missing. If anything
/// fails half-way, the device is deleted again: the next start tries from the beginning.
pub fn ensure(state_root: &Path, config: &BridgeConfig) -> Result<(), ContainerError> {
    let alias_path = format!("/sys/class/net/{}/ifalias", config.name);
    let wanted_alias = owner_alias(state_root);
    let ours = |alias: &str| alias.trim_end() == wanted_alias;
    if fs::read_to_string(&alias_path).is_ok_and(|alias| ours(&alias)) {
        return Ok(());
    }
    // Missing, or not (yet) ours: decide under the lock, since another start of this root
    // may be building it right now (the device exists a moment before its alias).
    let _building = FileLock::exclusive(&state_root.join("network").join("bridge.lock"))?;
    if let Ok(alias) = fs::read_to_string(&alias_path) {
        return check_owner(config, alias.trim_end(), &wanted_alias);
    }
    // The alias goes last: once it is there, the bridge is whole (see the fast path above).
    let built = crate::apply::apply(&plan_bridge(config), None)
        .and_then(|()| crate::firewall::apply(&crate::firewall::base_rules(config)))
        .and_then(|()| enable_forwarding())
        .and_then(|()| {
            fs::write(&alias_path, &wanted_alias).map_err(io(format!("write {alias_path}")))
        });
    if let Err(error) = built {
        let _ = crate::apply::delete_link(&config.name);
        return Err(error);
    }
    Ok(())
}
// ANCHOR_END: ensure

/// The MTU of network device `name` now (`/sys/class/net/NAME/mtu`).
pub fn current_mtu(name: &str) -> Option<u32> {
    fs::read_to_string(format!("/sys/class/net/{name}/mtu"))
        .ok()?
        .trim()
        .parse()
        .ok()
}

/// Turns on IPv4 forwarding if it is off, as docker does: without it the host drops
/// every packet a container sends to anywhere but the host itself (and every packet a
/// published port should pass on). A host-wide setting, left on afterwards like docker's.
fn enable_forwarding() -> Result<(), ContainerError> {
    let path = "/proc/sys/net/ipv4/ip_forward";
    let on = fs::read_to_string(path).is_ok_and(|value| value.trim() == "1");
    if on {
        return Ok(());
    }
    eprintln!("mini-docker: turning on IPv4 forwarding ({path}) for the bridge's containers");
    fs::write(path, "1").map_err(io(format!("write {path}")))
}

/// Takes the state root's bridge away: its firewall table, the device (only if this root
/// owns it) and its settings. For tests, demos and `xtask clean`; containers must be gone.
pub fn remove(state_root: &Path) -> Result<(), ContainerError> {
    let Some(config) = recorded_settings(state_root) else {
        return Ok(());
    };
    let alias = fs::read_to_string(format!("/sys/class/net/{}/ifalias", config.name));
    if alias.is_ok_and(|alias| alias.trim_end() == owner_alias(state_root)) {
        crate::apply::delete_link(&config.name)?;
    }
    let table = crate::firewall::table_name(&config.name);
    // A missing table (after a reboot, say) is what we want.
    let _ = crate::firewall::apply(&format!("delete table ip {table}\n"));
    let _ = fs::remove_file(settings_path(state_root));
    Ok(())
}

fn check_owner(config: &BridgeConfig, alias: &str, wanted: &str) -> Result<(), ContainerError> {
    if alias == wanted {
        return Ok(());
    }
    let owner = if alias.is_empty() {
        "another program"
    } else {
        alias
    };
    Err(ContainerError::Invalid(format!(
        "network device {} exists and belongs to {owner}, not to this state root; choose another bridge name with --bridge on a new state root",
        config.name
    )))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn settings_are_chosen_once_and_options_checked() {
        let root = tempfile::tempdir().unwrap();
        let options = BridgeOptions {
            name: Some("mdtest0".into()),
            subnet: Some("10.123.0.0/24".parse().unwrap()),
        };
        let first = settings(root.path(), &options).unwrap();
        assert_eq!(first.gateway.to_string(), "10.123.0.1");
        assert_eq!(
            settings(root.path(), &BridgeOptions::default()).unwrap(),
            first
        );
        let other = BridgeOptions {
            name: Some("mdtest1".into()),
            subnet: None,
        };
        let error = settings(root.path(), &other).unwrap_err().to_string();
        assert!(
            error.contains("this state root's bridge is mdtest0 with subnet 10.123.0.0/24"),
            "{error}"
        );
    }

    #[test]
    fn default_names_per_state_root() {
        assert_eq!(default_name(Path::new(STANDARD_ROOT)), "mini0");
        let one = default_name(Path::new("/tmp/a/state"));
        assert_eq!(one.len(), 10);
        assert!(check_name(&one).is_ok());
        assert_eq!(one, default_name(Path::new("/tmp/a/state")), "stable");
        assert_ne!(one, default_name(Path::new("/tmp/b/state")));
    }

    #[test]
    fn bridge_names() {
        assert!(check_name("mini0").is_ok());
        assert!(check_name("a-very-long-name0").is_err());
        assert!(check_name("a/b").is_err());
        assert!(check_name("").is_err());
    }
}
