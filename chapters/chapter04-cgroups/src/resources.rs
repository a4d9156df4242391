//! Docker's resource flags, checked and turned into numbers.
//!
//! [`ResourceFlags`] is what the user typed; [`Resources::from_flags`] validates it with
//! docker's rules and messages, against a [`Host`] (how many CPUs, which device is which), so
//! a bad value is refused before anything is created — and the rules can be tested with a
//! made-up host.

use std::os::unix::fs::FileTypeExt;
use std::os::unix::fs::MetadataExt;

use crate::units::{parse_size, parse_size_or_unlimited};

/// The cgroup flags of `docker run`, as typed (sizes and lists stay text until checked).
/// Chapter 7 keeps them in the container's record and checks them again at every start.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct ResourceFlags {
    pub memory: Option<String>,
    pub memory_swap: Option<String>,
    pub memory_reservation: Option<String>,
    pub cpu_shares: Option<u64>,
    pub cpu_period: Option<u64>,
    pub cpu_quota: Option<i64>,
    pub cpus: Option<String>,
    pub cpuset_cpus: Option<String>,
    pub pids_limit: Option<i64>,
    pub blkio_weight: Option<u16>,
    pub device_read_bps: Vec<String>,
    pub device_write_bps: Vec<String>,
    pub device_read_iops: Vec<String>,
    pub device_write_iops: Vec<String>,
}

impl ResourceFlags {
    /// Sets one flag by its docker name (`-m`, `--memory`, `--cpus`, ...) from text, for
    /// programs that take docker's flags without a full argument parser (the chapter demo).
    pub fn set(&mut self, flag: &str, value: &str) -> Result<(), String> {
        let number = |v: &str| {
            v.trim()
                .parse::<i64>()
                .map_err(|_| format!("{flag}: invalid number {v:?}"))
        };
        match flag.trim_start_matches('-') {
            "m" | "memory" => self.memory = Some(value.to_owned()),
            "memory-swap" => self.memory_swap = Some(value.to_owned()),
            "memory-reservation" => self.memory_reservation = Some(value.to_owned()),
            "c" | "cpu-shares" => self.cpu_shares = Some(number(value)?.max(0) as u64),
            "cpu-period" => self.cpu_period = Some(number(value)?.max(0) as u64),
            "cpu-quota" => self.cpu_quota = Some(number(value)?),
            "cpus" => self.cpus = Some(value.to_owned()),
            "cpuset-cpus" => self.cpuset_cpus = Some(value.to_owned()),
            "pids-limit" => self.pids_limit = Some(number(value)?),
            "blkio-weight" => {
                self.blkio_weight = Some(u16::try_from(number(value)?).map_err(|_| {
                    "--blkio-weight: range of blkio weight is from 10 to 1000".to_owned()
                })?)
            }
            "device-read-bps" => self.device_read_bps.push(value.to_owned()),
            "device-write-bps" => self.device_write_bps.push(value.to_owned()),
            "device-read-iops" => self.device_read_iops.push(value.to_owned()),
            "device-write-iops" => self.device_write_iops.push(value.to_owned()),
            _ => return Err(format!("unknown resource flag {flag:?}")),
        }
        Ok(())
    }

    /// Reads `--flag value` and `--flag=value` pairs from the front of `args`; returns the
    /// flags and the rest (the first argument that is not a flag, and everything after it).
    pub fn parse_leading(args: &[String]) -> Result<(ResourceFlags, Vec<String>), String> {
        let mut flags = ResourceFlags::default();
        let mut rest = args.iter();
        while let Some(arg) = rest.clone().next() {
            if !arg.starts_with('-') || arg == "--" {
                break;
            }
            rest.next();
            let (name, value) = match arg.split_once('=') {
                Some((name, value)) => (name.to_owned(), value.to_owned()),
                None => {
                    let value = rest.next().ok_or_else(|| format!("{arg} needs a value"))?;
                    (arg.clone(), value.clone())
                }
            };
            flags.set(&name, &value)?;
        }
        let rest: Vec<String> = rest.skip_while(|a| *a == "--").cloned().collect();
        Ok((flags, rest))
    }
}

/// Memory plus swap, as `--memory-swap` sets it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SwapLimit {
    /// `--memory-swap -1`: swap is not limited.
    Unlimited,
    /// Memory and swap together may use this many bytes.
    Total(u64),
}

/// A block device as `major:minor`, the way cgroup files name it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct DeviceNumber {
    pub major: u64,
    pub minor: u64,
}

impl std::fmt::Display for DeviceNumber {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.major, self.minor)
    }
}

/// A throttle on one device: bytes or operations per second.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceRate {
    pub path: String,
    pub device: DeviceNumber,
    pub rate: u64,
}

/// Checked limits. `None` or empty: not limited by us (the kernel's default applies).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Resources {
    pub memory: Option<u64>,
    pub memory_swap: Option<SwapLimit>,
    pub memory_reservation: Option<u64>,
    pub cpu_shares: Option<u64>,
    pub cpu_period: Option<u64>,
    pub cpu_quota: Option<i64>,
    pub cpuset_cpus: Option<String>,
    pub pids_limit: Option<u64>,
    pub blkio_weight: Option<u16>,
    pub device_read_bps: Vec<DeviceRate>,
    pub device_write_bps: Vec<DeviceRate>,
    pub device_read_iops: Vec<DeviceRate>,
    pub device_write_iops: Vec<DeviceRate>,
}

/// What validation needs to know about the machine.
pub trait Host {
    /// CPUs this process may run on (`sched_getaffinity(2)`), numbered 0..count.
    fn cpu_count(&self) -> usize;
    /// The device numbers of a block device node.
    fn block_device(&self, path: &str) -> Result<DeviceNumber, String>;
}

/// The real machine.
pub struct SystemHost;

impl Host for SystemHost {
    fn cpu_count(&self) -> usize {
        nix::sched::sched_getaffinity(nix::unistd::Pid::from_raw(0))
            .map(|set| {
                (0..nix::sched::CpuSet::count())
                    .filter(|cpu| set.is_set(*cpu).unwrap_or(false))
                    .count()
            })
            .unwrap_or(1)
    }

    fn block_device(&self, path: &str) -> Result<DeviceNumber, String> {
        let metadata =
            std::fs::metadata(path).map_err(|error| format!("device {path:?}: {error}"))?;
        if !metadata.file_type().is_block_device() {
            return Err(format!("{path:?} is not a block device"));
        }
        let rdev = metadata.rdev();
        Ok(DeviceNumber {
            major: nix::sys::stat::major(rdev),
            minor: nix::sys::stat::minor(rdev),
        })
    }
}

/// The smallest memory limit docker accepts: below it a container cannot even start.
pub const MIN_MEMORY: u64 = 6 << 20;
/// cgroup v1's range for `cpu.shares` (the kernel clamps to it; we refuse instead).
pub const CPU_SHARES_RANGE: (u64, u64) = (2, 262_144);
/// `--cpu-period` limits, in microseconds: 1 ms to 1 s.
pub const CPU_PERIOD_RANGE: (u64, u64) = (1_000, 1_000_000);
/// The CFS period `--cpus` uses.
pub const DEFAULT_CPU_PERIOD: u64 = 100_000;

impl Resources {
    // ANCHOR: from_flags
    /// Checks `flags` the way `docker run` does and converts them. The error is one line
    /// naming the flag.
    pub fn from_flags(flags: &ResourceFlags, host: &dyn Host) -> Result<Self, String> {
        let mut r = Resources::default();
        r.check_memory(flags)?;
        r.check_cpu(flags, host)?;
        if let Some(limit) = flags.pids_limit.filter(|limit| *limit > 0) {
            r.pids_limit = Some(limit as u64); // 0 or -1: unlimited, as in docker
        }
        match flags.blkio_weight {
            None | Some(0) => {}
            Some(weight @ 10..=1000) => r.blkio_weight = Some(weight),
            Some(_) => {
                return Err("--blkio-weight: range of blkio weight is from 10 to 1000".into())
            }
        }
        r.device_read_bps = device_rates("--device-read-bps", &flags.device_read_bps, host, true)?;
        r.device_write_bps =
            device_rates("--device-write-bps", &flags.device_write_bps, host, true)?;
        r.device_read_iops =
            device_rates("--device-read-iops", &flags.device_read_iops, host, false)?;
        r.device_write_iops =
            device_rates("--device-write-iops", &flags.device_write_iops, host, false)?;
        Ok(r)
    }
    // ANCHOR_END: from_flags

    fn check_memory(&mut self, flags: &ResourceFlags) -> Result<(), String> {
        let with_flag = |flag: &str, e: String| format!("{flag}: {e}");
        if let Some(text) = &flags.memory {
            let bytes = parse_size(text).map_err(|e| with_flag("--memory", e))?;
            if bytes < MIN_MEMORY {
                return Err("--memory: minimum memory limit allowed is 6MB".into());
            }
            self.memory = Some(bytes);
        }
        if let Some(text) = &flags.memory_reservation {
            let bytes = parse_size(text).map_err(|e| with_flag("--memory-reservation", e))?;
            if self.memory.is_some_and(|memory| memory < bytes) {
                return Err("--memory-reservation: minimum memory limit can not be less than memory reservation limit".into());
            }
            self.memory_reservation = Some(bytes);
        }
        // ANCHOR: swap_rule
        self.memory_swap = match (&flags.memory_swap, self.memory) {
            (None, None) => None,
            // Only -m: memory + swap may be twice the memory (seed 001, docker's default).
            (None, Some(memory)) => Some(SwapLimit::Total(2 * memory)),
            (Some(_), None) => {
                return Err("--memory-swap: you should always set the memory limit (-m) when using a memory+swap limit".into())
            }
            (Some(text), Some(memory)) => {
                match parse_size_or_unlimited(text).map_err(|e| with_flag("--memory-swap", e))? {
                    None => Some(SwapLimit::Unlimited),
                    Some(total) if total < memory => {
                        return Err("--memory-swap: the memory+swap limit must be at least the memory limit (-m)".into())
                    }
                    Some(total) => Some(SwapLimit::Total(total)),
                }
            }
        };
        // ANCHOR_END: swap_rule
        Ok(())
    }

    fn check_cpu(&mut self, flags: &ResourceFlags, host: &dyn Host) -> Result<(), String> {
        match flags.cpu_shares {
            None | Some(0) => {}
            Some(shares) if (CPU_SHARES_RANGE.0..=CPU_SHARES_RANGE.1).contains(&shares) => {
                self.cpu_shares = Some(shares)
            }
            Some(_) => return Err("--cpu-shares: must be between 2 and 262144".into()),
        }
        if let Some(period) = flags.cpu_period.filter(|p| *p != 0) {
            if !(CPU_PERIOD_RANGE.0..=CPU_PERIOD_RANGE.1).contains(&period) {
                return Err("--cpu-period: CPU cfs period can not be less than 1ms (i.e. 1000) or larger than 1 second (i.e. 1000000)".into());
            }
            self.cpu_period = Some(period);
        }
        match flags.cpu_quota {
            None | Some(0) | Some(-1) => {}
            Some(quota) if quota >= 1000 => self.cpu_quota = Some(quota),
            Some(_) => {
                return Err(
                    "--cpu-quota: CPU cfs quota can not be less than 1ms (i.e. 1000)".into(),
                )
            }
        }
        let cpus_available = host.cpu_count();
        if let Some(text) = &flags.cpus {
            if self.cpu_period.is_some() || self.cpu_quota.is_some() {
                return Err("--cpus: conflicting options: --cpus cannot be combined with --cpu-period or --cpu-quota".into());
            }
            let cpus: f64 = text
                .trim()
                .parse()
                .ok()
                .filter(|c: &f64| c.is_finite())
                .ok_or_else(|| format!("--cpus: invalid number {text:?}"))?;
            if cpus < 0.01 || cpus > cpus_available as f64 {
                return Err(format!("--cpus: range of CPUs is from 0.01 to {cpus_available}.00, as there are only {cpus_available} CPUs available"));
            }
            // ANCHOR: cpus
            // --cpus N is a CFS quota of N periods per period: 0.5 = 50 ms every 100 ms.
            self.cpu_period = Some(DEFAULT_CPU_PERIOD);
            self.cpu_quota = Some((cpus * DEFAULT_CPU_PERIOD as f64).round() as i64);
            // ANCHOR_END: cpus
        }
        if let Some(list) = &flags.cpuset_cpus {
            let cpus = parse_cpu_list(list).map_err(|e| format!("--cpuset-cpus: {e}"))?;
            if let Some(missing) = cpus.iter().find(|cpu| **cpu >= cpus_available) {
                return Err(format!(
                    "--cpuset-cpus: requested CPU {missing} is not available (available: 0-{})",
                    cpus_available.saturating_sub(1)
                ));
            }
            self.cpuset_cpus = Some(list.trim().to_owned());
        }
        Ok(())
    }

    /// Whether any block-IO limit is set (then the `blkio`/`io` controller is needed).
    pub fn limits_io(&self) -> bool {
        self.blkio_weight.is_some()
            || !self.device_read_bps.is_empty()
            || !self.device_write_bps.is_empty()
            || !self.device_read_iops.is_empty()
            || !self.device_write_iops.is_empty()
    }

    /// Whether any limit is set at all.
    pub fn is_empty(&self) -> bool {
        *self == Resources::default()
    }
}

/// Parses a CPU list like `0-2,4` (cpuset(7)) into CPU numbers.
pub fn parse_cpu_list(list: &str) -> Result<Vec<usize>, String> {
    let invalid = || format!("invalid CPU list {list:?}: expected numbers and ranges like 0-2,4");
    let mut cpus = Vec::new();
    for part in list.trim().split(',') {
        let (first, last) = match part.split_once('-') {
            Some((a, b)) => (a.trim(), b.trim()),
            None => (part.trim(), part.trim()),
        };
        let first: usize = first.parse().map_err(|_| invalid())?;
        let last: usize = last.parse().map_err(|_| invalid())?;
        if first > last {
            return Err(invalid());
        }
        cpus.extend(first..=last);
    }
    Ok(cpus)
}

/// `PATH:RATE` entries; `RATE` is a size (bytes/s) when `sizes`, else a plain number (IO/s).
fn device_rates(
    flag: &str,
    entries: &[String],
    host: &dyn Host,
    sizes: bool,
) -> Result<Vec<DeviceRate>, String> {
    entries
        .iter()
        .map(|entry| {
            let (path, rate) = entry.rsplit_once(':').ok_or_else(|| {
                format!("{flag}: invalid value {entry:?}: expected PATH:RATE, like /dev/sda:30mb")
            })?;
            let rate = if sizes {
                parse_size(rate).map_err(|e| format!("{flag}: {e}"))?
            } else {
                rate.trim().parse().map_err(|_| {
                    format!(
                        "{flag}: invalid rate {rate:?}: expected a number of operations per second"
                    )
                })?
            };
            if rate == 0 {
                return Err(format!("{flag}: the rate in {entry:?} must be above 0"));
            }
            let device = host
                .block_device(path)
                .map_err(|e| format!("{flag}: {e}"))?;
            Ok(DeviceRate {
                path: path.to_owned(),
                device,
                rate,
            })
        })
        .collect()
}
