//! What a container was created with: docker's `Config` (about the process) and
//! `HostConfig` (about what the host gives it), kept in the container's `config.json`.
//!
//! `create` fills these in once — the image's Entrypoint, Cmd, Env and WorkingDir merged
//! with the flags — so every later `start` runs exactly the same thing, even if the image's
//! tag has moved on meanwhile. The resource flags are kept as typed and checked again at
//! each start (the host may have changed: fewer CPUs, a device gone).

use std::collections::BTreeMap;
use std::path::PathBuf;

use chapter06::chapter05::chapter04::ResourceFlags;
use serde::{Deserialize, Serialize};

/// Docker's `Config`: the process and its environment.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct Config {
    pub hostname: String,
    pub domainname: String,
    pub user: String,
    pub attach_stdin: bool,
    pub attach_stdout: bool,
    pub attach_stderr: bool,
    pub tty: bool,
    pub open_stdin: bool,
    pub stdin_once: bool,
    /// The whole environment the command gets (image's, then `-e`, then `--env-file`).
    pub env: Vec<String>,
    pub cmd: Vec<String>,
    /// The image as the user named it (`busybox`, `sha256:…`), or the `--rootfs` directory.
    pub image: String,
    pub working_dir: String,
    pub entrypoint: Vec<String>,
    pub labels: BTreeMap<String, String>,
    pub stop_signal: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stop_timeout: Option<u64>,
    /// Ports the container listens on, as `80/tcp` (docker shows each with an empty object).
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub exposed_ports: BTreeMap<String, serde_json::Map<String, serde_json::Value>>,
    /// The HEALTHCHECK: the image's, with `--health-*` merged over it (chapter 9 acts on it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub healthcheck: Option<HealthConfig>,
}

/// A HEALTHCHECK, as docker keeps it in the image config and in the container's `Config`:
/// `{"Test":["CMD-SHELL","curl -f localhost"],"Interval":5000000000,"Retries":12}`.
/// Durations are nanoseconds; zero (or absent) means docker's default. Chapter 9 holds the
/// rules (defaults, merging, what a probe result does); chapter 7 only keeps the record.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct HealthConfig {
    /// `["CMD", program, args…]`, `["CMD-SHELL", command]` or `["NONE"]`; empty = inherit.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub test: Vec<String>,
    #[serde(skip_serializing_if = "is_zero")]
    pub interval: u64,
    #[serde(skip_serializing_if = "is_zero")]
    pub timeout: u64,
    #[serde(skip_serializing_if = "is_zero")]
    pub start_period: u64,
    #[serde(skip_serializing_if = "is_zero")]
    pub start_interval: u64,
    #[serde(skip_serializing_if = "is_zero")]
    pub retries: u32,
}

/// Docker writes these fields with `omitempty`: a zero is left out.
fn is_zero<T: Default + PartialEq>(value: &T) -> bool {
    *value == T::default()
}

/// One host address and port a container port is published on (docker's `PortBinding`).
/// An empty `HostIp` means every address of the host; an empty `HostPort`, any free port.
#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct PortBinding {
    pub host_ip: String,
    pub host_port: String,
}

/// Container port (`80/tcp`) → where it is published: the flags' `-p` in `HostConfig`,
/// the ports actually bound in `NetworkSettings` (chapter 8 fills both).
pub type PortMap = BTreeMap<String, Vec<PortBinding>>;

/// Docker's `RestartPolicy` (chapter 9 checks and acts on it; chapter 7 only records it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct RestartPolicy {
    pub name: String,
    pub maximum_retry_count: u32,
}

impl Default for RestartPolicy {
    fn default() -> Self {
        RestartPolicy {
            name: "no".to_owned(),
            maximum_retry_count: 0,
        }
    }
}

/// Docker's `HostConfig`: what the host provides around the process.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct HostConfig {
    /// `-v` arguments as given.
    pub binds: Vec<String>,
    /// `--rm`.
    pub auto_remove: bool,
    pub readonly_rootfs: bool,
    /// `--tmpfs PATH[:OPTIONS]`: path → options.
    pub tmpfs: BTreeMap<String, String>,
    /// `""` (a PID namespace of its own) or `"host"`.
    pub pid_mode: String,
    /// `--init`.
    pub init: bool,
    pub restart_policy: RestartPolicy,
    /// The cgroup flags of chapter 4, as typed.
    pub resources: ResourceFlags,
    /// `--network`: `bridge` (the default), `none`, `host` or `container:NAME` (chapter 8).
    pub network_mode: String,
    /// `-p`, by container port.
    pub port_bindings: PortMap,
    /// `--link NAME:ALIAS`, as docker records them: `/NAME:/THIS/ALIAS`.
    pub links: Vec<String>,
    /// `--add-host NAME:IP`.
    pub extra_hosts: Vec<String>,
    /// `--dns`: name servers instead of the host's.
    pub dns: Vec<String>,
    /// Not docker's but podman's `--health-on-failure`: `none` (empty), `kill`, `restart` or
    /// `stop` — what the monitor does when the container turns unhealthy (chapter 9).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub health_on_failure: String,
    /// Not docker's: `--rootfs DIR` runs on a bare directory instead of an image.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rootfs: Option<PathBuf>,
}

/// Docker's default grace period of `stop`, in seconds.
pub const DEFAULT_STOP_TIMEOUT: u64 = 10;

impl Config {
    /// The signal `stop` sends first: `--stop-signal`, the image's STOPSIGNAL, or SIGTERM.
    pub fn stop_signal(&self) -> &str {
        if self.stop_signal.is_empty() {
            "SIGTERM"
        } else {
            &self.stop_signal
        }
    }

    /// Seconds `stop` waits before SIGKILL when `-t` is not given.
    pub fn stop_timeout(&self) -> u64 {
        self.stop_timeout.unwrap_or(DEFAULT_STOP_TIMEOUT)
    }
}
