//! A cgroup plan: which file of which controller gets which value, in order. Pure data.

use std::fmt;

use crate::resources::Resources;

/// The cgroup version whose files a plan names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Version {
    V1,
    V2,
}

/// The controllers mini-docker uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Controller {
    Memory,
    Cpu,
    /// v1 only: CPU accounting is its own controller there (in v2 it is part of `cpu`).
    Cpuacct,
    Cpuset,
    Pids,
    /// `blkio` in v1, `io` in v2.
    Io,
    /// v1 only: freezing is a controller there (in v2 every cgroup has `cgroup.freeze`).
    Freezer,
}

impl Controller {
    /// The controller's name in v1 (its hierarchy's mount option and directory).
    pub fn v1_name(self) -> &'static str {
        match self {
            Controller::Memory => "memory",
            Controller::Cpu => "cpu",
            Controller::Cpuacct => "cpuacct",
            Controller::Cpuset => "cpuset",
            Controller::Pids => "pids",
            Controller::Io => "blkio",
            Controller::Freezer => "freezer",
        }
    }

    /// The name in v2's `cgroup.subtree_control`, for controllers that exist there.
    pub fn v2_name(self) -> Option<&'static str> {
        match self {
            Controller::Memory => Some("memory"),
            Controller::Cpu => Some("cpu"),
            Controller::Cpuset => Some("cpuset"),
            Controller::Pids => Some("pids"),
            Controller::Io => Some("io"),
            Controller::Cpuacct | Controller::Freezer => None,
        }
    }
}

/// What to write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    Text(String),
    /// Copy the parent cgroup's value (v1 cpuset: a new group starts with no CPUs and no
    /// memory nodes, and accepts no process until both are set).
    FromParent,
}

/// One write to one cgroup file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Write {
    pub controller: Controller,
    pub file: &'static str,
    pub value: Value,
    /// When the kernel lacks this file (swap accounting off, no BFQ scheduler), skip it
    /// with a warning — as docker does — instead of failing.
    pub optional: Option<&'static str>,
}

impl Write {
    pub fn new(controller: Controller, file: &'static str, value: impl ToString) -> Self {
        Write {
            controller,
            file,
            value: Value::Text(value.to_string()),
            optional: None,
        }
    }

    /// Marks the write as skippable, with the warning to print when it is skipped.
    pub fn or_warn(mut self, warning: &'static str) -> Self {
        self.optional = Some(warning);
        self
    }
}

/// Everything one container's cgroup needs: the controllers to join, then the writes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CgroupPlan {
    pub version: Version,
    pub controllers: Vec<Controller>,
    pub writes: Vec<Write>,
}

impl CgroupPlan {
    /// A plan that joins the `always` controllers — plus `io` and `cpuset` when the
    /// resources limit them — and makes `writes`, in order.
    pub fn assemble(
        version: Version,
        always: &[Controller],
        resources: &Resources,
        writes: Vec<Write>,
    ) -> Self {
        let mut controllers = always.to_vec();
        if resources.limits_io() {
            controllers.push(Controller::Io);
        }
        if resources.cpuset_cpus.is_some() {
            controllers.push(Controller::Cpuset);
        }
        CgroupPlan {
            version,
            controllers,
            writes,
        }
    }
}

impl fmt::Display for CgroupPlan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&str> = self
            .controllers
            .iter()
            .map(|c| match self.version {
                Version::V1 => c.v1_name(),
                Version::V2 => c.v2_name().unwrap_or("(core)"),
            })
            .collect();
        writeln!(
            f,
            "cgroup {:?}, controllers: {}",
            self.version,
            names.join(" ")
        )?;
        if self.writes.is_empty() {
            writeln!(f, "  (no limits: nothing to write)")?;
        }
        for write in &self.writes {
            let path = match self.version {
                Version::V1 => format!("{}/{}", write.controller.v1_name(), write.file),
                Version::V2 => write.file.to_owned(),
            };
            let value = match &write.value {
                Value::Text(text) => format!("{text:?}"),
                Value::FromParent => "(the parent's value)".to_owned(),
            };
            let note = if write.optional.is_some() {
                "  (if supported)"
            } else {
                ""
            };
            writeln!(f, "  {path} <- {value}{note}")?;
        }
        Ok(())
    }
}
