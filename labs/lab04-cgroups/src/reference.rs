//! The chapter's code behind the lab's interface (used by `cargo xtask check-labs`).

use std::path::Path;

use chapter04::plan::Value;
use chapter04::resources::{DeviceNumber, Host, SwapLimit};
use chapter04::{Cgroup, CgroupPlan, Controller, Hierarchy, ResourceFlags, Resources, Version};

use crate::{CgroupVersion, Limits, Swap};

/// The lab's machine: it never runs out of CPUs (the spec does not check `--cpus` against
/// the host) and has no block devices (the lab sets no IO limits).
struct LabHost;

impl Host for LabHost {
    fn cpu_count(&self) -> usize {
        1 << 16
    }

    fn block_device(&self, path: &str) -> Result<DeviceNumber, String> {
        Err(format!("{path:?} is not a block device"))
    }
}

fn to_version(version: CgroupVersion) -> Version {
    match version {
        CgroupVersion::V1 => Version::V1,
        CgroupVersion::V2 => Version::V2,
    }
}

fn to_resources(limits: &Limits) -> Resources {
    Resources {
        memory: limits.memory,
        memory_swap: limits.memory_swap.map(|swap| match swap {
            Swap::Unlimited => SwapLimit::Unlimited,
            Swap::Total(total) => SwapLimit::Total(total),
        }),
        cpu_shares: limits.cpu_shares,
        cpu_period: limits.cpu_period,
        cpu_quota: limits.cpu_quota,
        ..Resources::default()
    }
}

/// The chapter's plan for `limits`, cut down to one controller (or to memory and CPU).
fn plan(version: CgroupVersion, limits: &Limits, keep: &[Controller]) -> CgroupPlan {
    let mut plan = chapter04::plan_for(to_version(version), &to_resources(limits));
    plan.controllers.retain(|c| keep.contains(c));
    plan.writes.retain(|w| keep.contains(&w.controller));
    plan
}

fn files(version: CgroupVersion, limits: &Limits, controller: Controller) -> Vec<(String, String)> {
    plan(version, limits, &[controller])
        .writes
        .into_iter()
        .filter_map(|write| {
            let Value::Text(value) = write.value else {
                return None;
            };
            let file = match version {
                CgroupVersion::V1 => format!("{}/{}", write.controller.v1_name(), write.file),
                CgroupVersion::V2 => write.file.to_owned(),
            };
            Some((file, value))
        })
        .collect()
}

pub fn parse_size(text: &str) -> Result<u64, String> {
    chapter04::units::parse_size(text)
}

pub fn limits_from_docker(
    memory: Option<&str>,
    memory_swap: Option<&str>,
    cpus: Option<&str>,
    cpu_shares: Option<u64>,
) -> Result<Limits, String> {
    let flags = ResourceFlags {
        memory: memory.map(str::to_owned),
        memory_swap: memory_swap.map(str::to_owned),
        cpus: cpus.map(str::to_owned),
        cpu_shares,
        ..ResourceFlags::default()
    };
    let r = Resources::from_flags(&flags, &LabHost)?;
    Ok(Limits {
        memory: r.memory,
        memory_swap: r.memory_swap.map(|swap| match swap {
            SwapLimit::Unlimited => Swap::Unlimited,
            SwapLimit::Total(total) => Swap::Total(total),
        }),
        cpu_shares: r.cpu_shares,
        cpu_period: r.cpu_period,
        cpu_quota: r.cpu_quota,
    })
}

pub fn memory_files(version: CgroupVersion, limits: &Limits) -> Vec<(String, String)> {
    files(version, limits, Controller::Memory)
}

pub fn cpu_files(version: CgroupVersion, limits: &Limits) -> Vec<(String, String)> {
    files(version, limits, Controller::Cpu)
}

pub fn apply(
    root: &Path,
    version: CgroupVersion,
    container: &str,
    limits: &Limits,
) -> std::io::Result<()> {
    let plan = plan(version, limits, &[Controller::Memory, Controller::Cpu]);
    let hierarchy = match version {
        CgroupVersion::V1 => Hierarchy::v1_under(root),
        CgroupVersion::V2 => Hierarchy::V2 {
            root: root.to_path_buf(),
        },
    };
    let cgroup = Cgroup::create(&hierarchy, container, &plan).map_err(std::io::Error::other)?;
    cgroup.apply(&plan).map_err(std::io::Error::other)?;
    Ok(())
}
