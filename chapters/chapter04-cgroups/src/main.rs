//! Chapter 4 demo: the seed 001 experiments with real cgroups, on v1 or v2.
//!
//! ```text
//! cargo run -p chapter04 -- plan -m 200M --memory-swap=300M
//! sudo cargo run -p chapter04 -- memory ./busybox
//! sudo cargo run -p chapter04 -- cpu-shares ./busybox
//! sudo cargo run -p chapter04 -- pause ./busybox
//! ```

use std::path::{Path, PathBuf};
use std::time::Duration;

use chapter04::chapter03::chapter01::ContainerError;
use chapter04::chapter03::{ContainerConfig, ContainerId};
use chapter04::units::human_size;
use chapter04::{
    plan_for, Hierarchy, LimitedContainer, ResourceFlags, Resources, SystemHost, Version,
};

const USAGE: &str = "usage:
  chapter04 plan [DOCKER FLAGS...]   the cgroup v1 and v2 plans for docker's resource flags
  chapter04 memory ROOTFS            seed 001: -m 200M --memory-swap=300M, then allocate
  chapter04 cpu-shares ROOTFS        seed 001: -c 1024 and -c 512, both busy on CPU 0
  chapter04 pause ROOTFS             freeze a counting container, then thaw it

All but `plan` need root. DOCKER FLAGS are -m, --memory-swap, --memory-reservation, -c,
--cpu-period, --cpu-quota, --cpus, --cpuset-cpus, --pids-limit, --blkio-weight and
--device-{read,write}-{bps,iops}, as in `docker run`.";

fn main() {
    chapter04::chapter03::chapter01::steps::default_sigpipe();
    let args: Vec<String> = std::env::args().skip(1).collect();
    let code = match args
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .as_slice()
    {
        ["plan", ..] => plan(&args[1..]),
        ["memory", rootfs] => report(memory(Path::new(rootfs))),
        ["cpu-shares", rootfs] => report(cpu_shares(Path::new(rootfs))),
        ["pause", rootfs] => report(pause(Path::new(rootfs))),
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

fn report(result: Result<i32, String>) -> i32 {
    result.unwrap_or_else(|message| {
        eprintln!("chapter04: {message}");
        125
    })
}

fn resources(args: &[&str]) -> Result<Resources, String> {
    let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
    let (flags, rest) = ResourceFlags::parse_leading(&args)?;
    if let Some(extra) = rest.first() {
        return Err(format!("unexpected argument {extra:?}"));
    }
    Resources::from_flags(&flags, &SystemHost)
}

// ANCHOR: plan
fn plan(args: &[String]) -> i32 {
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    match resources(&args) {
        Ok(resources) => {
            println!("docker run {}", args.join(" "));
            print!("{}", plan_for(Version::V1, &resources));
            print!("{}", plan_for(Version::V2, &resources));
            0
        }
        Err(message) => {
            eprintln!("chapter04: {message}");
            125
        }
    }
}
// ANCHOR_END: plan

fn error(e: ContainerError) -> String {
    e.to_string()
}

/// A container of `rootfs` running `script`, limited by `flags`, in the host's hierarchy.
fn start(rootfs: &Path, flags: &[&str], script: &str) -> Result<LimitedContainer, String> {
    let resources = resources(flags)?;
    let hierarchy = Hierarchy::detect()?;
    let id = ContainerId::generate().map_err(error)?;
    let command = vec!["/bin/sh".to_owned(), "-c".to_owned(), script.to_owned()];
    let config = ContainerConfig::new(rootfs, command, id.short());
    let container =
        LimitedContainer::start(&config, &resources, hierarchy, id.as_str()).map_err(error)?;
    for warning in &container.warnings {
        println!("host:   warning: {warning}");
    }
    Ok(container)
}

fn swap_total() -> u64 {
    std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|text| chapter04::stats::keyed_value(&text.replace(':', ""), "SwapTotal"))
        .map_or(0, |kib| kib.saturating_mul(1024))
}

// ANCHOR: memory
/// Seed 001: `-m 200M --memory-swap=300M`, then allocate under and over the limits.
/// busybox `dd bs=N count=1` allocates one N-byte buffer and fills it: a memory hog.
fn memory(rootfs: &Path) -> Result<i32, String> {
    let flags = ["-m", "200M", "--memory-swap", "300M"];
    let hierarchy = Hierarchy::detect()?;
    println!(
        "host:   cgroup {:?}; swap on this host: {}",
        hierarchy.version(),
        human_size(swap_total())
    );
    println!("host:   docker run {} gives", flags.join(" "));
    for line in plan_for(hierarchy.version(), &resources(&flags)?)
        .to_string()
        .lines()
        .skip(1)
    {
        println!("        {}", line.trim());
    }
    for size in ["150M", "280M"] {
        println!("host:   allocating {size}B inside (dd bs={size} count=1)");
        let script = format!("dd if=/dev/zero of=/dev/null bs={size} count=1 2>/dev/null");
        let (status, oom) = start(rootfs, &flags, &script)?.wait().map_err(error)?;
        let oom = if oom { "yes" } else { "no" };
        println!("host:   {status}; killed by the OOM killer: {oom}");
    }
    if swap_total() == 0 {
        println!("host:   (no swap here: memory + swap cannot go past the 200MiB of memory)");
    }
    Ok(0)
}
// ANCHOR_END: memory

// ANCHOR: cpu_shares
/// Seed 001: two busy containers on the same CPU, weights 1024 and 512. What each gets is
/// measured from its cgroup over the same three seconds.
fn cpu_shares(rootfs: &Path) -> Result<i32, String> {
    let busy = "while :; do :; done";
    let a = start(rootfs, &["-c", "1024", "--cpuset-cpus", "0"], busy)?;
    let b = start(rootfs, &["-c", "512", "--cpuset-cpus", "0"], busy)?;
    println!("host:   A (-c 1024) and B (-c 512) are both busy on CPU 0");
    std::thread::sleep(Duration::from_millis(500));
    let used = |c: &LimitedContainer| c.cgroup().map(|g| g.stats().cpu_time).unwrap_or_default();
    let (a0, b0) = (used(&a), used(&b));
    std::thread::sleep(Duration::from_secs(3));
    let (a1, b1) = (used(&a), used(&b));
    let (a_time, b_time) = ((a1 - a0).as_secs_f64(), (b1 - b0).as_secs_f64());
    println!("host:   in 3 s, A used {a_time:.2} s of CPU, B used {b_time:.2} s");
    println!(
        "host:   A/B = {:.2} (the weights say 1024/512 = 2)",
        a_time / b_time.max(1e-9)
    );
    drop((a, b)); // kills both and removes their cgroups
    Ok(0)
}
// ANCHOR_END: cpu_shares

// ANCHOR: pause
/// Freeze a container that counts, check the count stands still, thaw it.
fn pause(rootfs: &Path) -> Result<i32, String> {
    let counter = rootfs.join("tmp/count");
    let script = "i=0; while :; do i=$((i+1)); echo $i > /tmp/count; sleep 0.01; done";
    let container = start(rootfs, &[], script)?;
    let cgroup = container.cgroup().ok_or("the container has no cgroup")?;
    let count = || read_count(&counter);
    std::thread::sleep(Duration::from_millis(500));
    cgroup.set_frozen(true).map_err(error)?;
    let frozen_at = count();
    std::thread::sleep(Duration::from_secs(1));
    println!(
        "host:   frozen: the count stays at {} after a second ({})",
        count(),
        frozen_at
    );
    cgroup.set_frozen(false).map_err(error)?;
    std::thread::sleep(Duration::from_secs(1));
    let thawed = count();
    println!(
        "host:   thawed: one second later it is {thawed}, counting again: {}",
        thawed > frozen_at
    );
    drop(container);
    Ok(0)
}
// ANCHOR_END: pause

fn read_count(path: &PathBuf) -> u64 {
    std::fs::read_to_string(path)
        .ok()
        .and_then(|text| text.trim().parse().ok())
        .unwrap_or(0)
}
