//! What `ps` and `inspect` print: docker's table and docker's JSON, from the store's
//! records. Pure functions of the containers and the current time, so both are
//! snapshot-tested without running anything.

use std::time::SystemTime;

use chapter06::chapter05::chapter04::resources::SwapLimit;
use chapter06::chapter05::chapter04::{Resources, SystemHost};
use chapter06::format::{ago, human_duration, table};
use serde_json::{json, Value};

use crate::mounts::inspect_mounts;
use crate::state::status_text;
use crate::store::Container;
use crate::volumes::VolumeStore;

/// `ps`'s flags.
#[derive(Debug, Clone, Copy, Default)]
pub struct PsOptions {
    /// `-a`: stopped containers too.
    pub all: bool,
    /// `-q`: ids only.
    pub quiet: bool,
    /// `-l`: only the newest container (of any state).
    pub latest: bool,
    /// `--no-trunc`: full ids and commands.
    pub no_trunc: bool,
}

/// The containers `ps` shows, in its order (newest first).
pub fn select(containers: Vec<Container>, options: PsOptions) -> Vec<Container> {
    if options.latest {
        return containers.into_iter().take(1).collect();
    }
    containers
        .into_iter()
        .filter(|container| options.all || container.state.running)
        .collect()
}

// ANCHOR: ps
/// `ps`'s output for `containers` (already selected) at time `now`.
pub fn ps(containers: &[Container], options: PsOptions, now: SystemTime) -> String {
    let id = |container: &Container| {
        if options.no_trunc {
            container.id().to_owned()
        } else {
            container.short_id().to_owned()
        }
    };
    if options.quiet {
        return containers.iter().map(|c| format!("{}\n", id(c))).collect();
    }
    let rows: Vec<Vec<String>> = containers
        .iter()
        .map(|container| {
            vec![
                id(container),
                container.record.config.image.clone(),
                command(container, !options.no_trunc),
                ago(Some(&container.record.created), now),
                status_text(&container.state, now, &human_duration),
                ports(container),
                container.name().to_owned(),
            ]
        })
        .collect();
    table(
        &[
            "CONTAINER ID",
            "IMAGE",
            "COMMAND",
            "CREATED",
            "STATUS",
            "PORTS",
            "NAMES",
        ],
        &rows,
    )
}
// ANCHOR_END: ps

/// The COMMAND column: path and arguments, cut to 20 characters with an ellipsis, quoted.
pub fn command(container: &Container, truncate: bool) -> String {
    let mut text = container.record.path.clone();
    for arg in &container.record.args {
        text.push(' ');
        text.push_str(arg);
    }
    if truncate && text.chars().count() > 20 {
        text = text.chars().take(19).collect::<String>() + "…";
    }
    // Go's strconv.Quote: escape quotes and backslashes, keep printable Unicode.
    let mut quoted = String::from("\"");
    for c in text.chars() {
        match c {
            '"' => quoted.push_str("\\\""),
            '\\' => quoted.push_str("\\\\"),
            '\n' => quoted.push_str("\\n"),
            '\t' => quoted.push_str("\\t"),
            c if c.is_control() => quoted.push_str(&format!("\\x{:02x}", c as u32)),
            c => quoted.push(c),
        }
    }
    quoted.push('"');
    quoted
}

/// Docker's `State` object; `Health` only for a container with a health check.
fn state_json(state: &crate::state::State) -> Value {
    let mut object = json!({
        "Status": state.status.as_str(),
        "Running": state.running,
        "Paused": state.paused,
        "Restarting": state.restarting,
        "OOMKilled": state.oom_killed,
        "Dead": state.dead,
        "Pid": state.pid,
        "ExitCode": state.exit_code,
        "Error": state.error,
        "StartedAt": state.started_at,
        "FinishedAt": state.finished_at,
    });
    if let (Some(health), Value::Object(fields)) = (&state.health, &mut object) {
        fields.insert("Health".into(), json!(health));
    }
    object
}

// ANCHOR: inspect
/// `inspect`'s JSON object for one container, in docker's shape and key order.
pub fn inspect(container: &Container, state_root: &std::path::Path) -> Value {
    let record = &container.record;
    let state = &container.state;
    let layers = state_root.join("overlay2").join(container.id());
    let init_etc = state_root
        .join("overlay2")
        .join(format!("{}-init", record.id))
        .join("diff/etc");
    json!({
        "Id": record.id,
        "Created": record.created,
        "Path": record.path,
        "Args": record.args,
        "State": state_json(state),
        "Image": record.image,
        "ResolvConfPath": init_etc.join("resolv.conf"),
        "HostnamePath": init_etc.join("hostname"),
        "HostsPath": init_etc.join("hosts"),
        "LogPath": container.log_path(),
        "Name": record.name,
        "RestartCount": state.restart_count,
        "Driver": "overlay2",
        "Platform": "linux",
        "MountLabel": "",
        "ProcessLabel": "",
        "AppArmorProfile": "",
        "ExecIDs": Value::Null,
        "HostConfig": host_config(container),
        "GraphDriver": {
            "Data": {
                "LowerDir": format!("{}-init/diff", layers.display()),
                "MergedDir": layers.join("merged"),
                "UpperDir": layers.join("diff"),
                "WorkDir": layers.join("work"),
            },
            "Name": "overlay2",
        },
        "Mounts": match VolumeStore::open(state_root) {
            Ok(volumes) => inspect_mounts(&record.mounts, &volumes),
            Err(_) => json!([]),
        },
        "Config": record.config,
        "NetworkSettings": state.network_settings,
    })
}
// ANCHOR_END: inspect

/// The PORTS column: `0.0.0.0:18080->80/tcp` for each published port of a running
/// container, a bare `80/tcp` for one only exposed, as docker prints them.
pub fn ports(container: &Container) -> String {
    let published = &container.state.network_settings.ports;
    let mut shown: Vec<String> = Vec::new();
    for (port, bindings) in published {
        for binding in bindings {
            shown.push(format!("{}:{}->{port}", binding.host_ip, binding.host_port));
        }
    }
    for port in container.record.config.exposed_ports.keys() {
        if !published.contains_key(port) {
            shown.push(port.clone());
        }
    }
    shown.join(", ")
}

/// HostConfig as docker shows it: the flags, and the resource limits as numbers
/// (0 = not limited).
fn host_config(container: &Container) -> Value {
    let host = &container.record.host_config;
    let limits = Resources::from_flags(&host.resources, &SystemHost).unwrap_or_default();
    let memory_swap = match limits.memory_swap {
        Some(SwapLimit::Unlimited) => -1,
        Some(SwapLimit::Total(bytes)) => bytes as i64,
        None => 0,
    };
    let nano_cpus = match (limits.cpu_quota, limits.cpu_period, &host.resources.cpus) {
        (Some(quota), Some(period), Some(_)) if period > 0 => quota * 1_000_000_000 / period as i64,
        _ => 0,
    };
    json!({
        "Binds": host.binds,
        "AutoRemove": host.auto_remove,
        "ReadonlyRootfs": host.readonly_rootfs,
        "Tmpfs": host.tmpfs,
        "PidMode": host.pid_mode,
        "Init": host.init,
        "RestartPolicy": host.restart_policy,
        "Memory": limits.memory.unwrap_or(0),
        "MemorySwap": memory_swap,
        "MemoryReservation": limits.memory_reservation.unwrap_or(0),
        "CpuShares": limits.cpu_shares.unwrap_or(0),
        "CpuPeriod": if host.resources.cpus.is_some() { 0 } else { limits.cpu_period.unwrap_or(0) },
        "CpuQuota": if host.resources.cpus.is_some() { 0 } else { limits.cpu_quota.unwrap_or(0) },
        "NanoCpus": nano_cpus,
        "CpusetCpus": limits.cpuset_cpus.unwrap_or_default(),
        "PidsLimit": limits.pids_limit,
        "BlkioWeight": limits.blkio_weight.unwrap_or(0),
        "NetworkMode": host.network_mode,
        "PortBindings": host.port_bindings,
        "Links": if host.links.is_empty() { Value::Null } else { json!(host.links) },
        "ExtraHosts": if host.extra_hosts.is_empty() { Value::Null } else { json!(host.extra_hosts) },
        "Dns": host.dns,
    })
}

/// The fields `ps --format` offers, with docker's names and column headers.
const PS_FIELDS: [(&str, &str); 10] = [
    ("ID", "CONTAINER ID"),
    ("Image", "IMAGE"),
    ("Command", "COMMAND"),
    ("CreatedAt", "CREATED AT"),
    ("RunningFor", "CREATED"),
    ("Ports", "PORTS"),
    ("State", "STATE"),
    ("Status", "STATUS"),
    ("Names", "NAMES"),
    ("Mounts", "MOUNTS"),
];

// ANCHOR: ps_format
/// `ps --format TEMPLATE`: each container through a Go template over docker's fields
/// (`{{.ID}}`, `{{.Names}}`, `{{.Status}}`, …). `table …` adds a header and aligns the
/// tab-separated columns, as docker does; `\t` in the argument means a tab.
pub fn ps_format(
    containers: &[Container],
    format: &str,
    no_trunc: bool,
    now: SystemTime,
) -> Result<String, crate::template::TemplateError> {
    let format = format.replace("\\t", "\t").replace("\\n", "\n");
    let (table_mode, body) = match format.strip_prefix("table") {
        Some(rest) => (true, rest.trim_start().to_owned()),
        None => (false, format),
    };
    let template = crate::template::Template::parse(&body)?;
    let mut lines = Vec::new();
    if table_mode {
        let headers: serde_json::Map<String, Value> = PS_FIELDS
            .iter()
            .map(|(field, header)| (field.to_string(), Value::from(*header)))
            .collect();
        lines.push(template.render(&Value::Object(headers))?);
    }
    for container in containers {
        lines.push(template.render(&ps_fields(container, no_trunc, now))?);
    }
    if !table_mode {
        return Ok(lines.iter().map(|line| format!("{line}\n")).collect());
    }
    let rows: Vec<Vec<String>> = lines
        .iter()
        .map(|line| line.split('\t').map(str::to_owned).collect())
        .collect();
    let (header, rows) = rows
        .split_first()
        .map_or((Vec::new(), &[][..]), |(h, r)| (h.clone(), r));
    let header: Vec<&str> = header.iter().map(String::as_str).collect();
    Ok(table(&header, rows))
}
// ANCHOR_END: ps_format

/// One container as `ps --format` sees it.
fn ps_fields(container: &Container, no_trunc: bool, now: SystemTime) -> Value {
    let id = if no_trunc {
        container.id()
    } else {
        container.short_id()
    };
    json!({
        "ID": id,
        "Image": container.record.config.image,
        "Command": command(container, !no_trunc),
        "CreatedAt": container.record.created,
        "RunningFor": ago(Some(&container.record.created), now),
        "Ports": ports(container),
        "State": container.state.status.as_str(),
        "Status": status_text(&container.state, now, &human_duration),
        "Names": container.name(),
        "Mounts": container
            .record
            .mounts
            .iter()
            .map(|mount| mount.volume_name().unwrap_or(mount.destination()))
            .collect::<Vec<_>>()
            .join(","),
    })
}
