//! Chapter 4 live (root): every limit measured on a real cgroup — on this host's version, and
//! in CI once more inside a pure cgroup v2 VM.

// In a test, a failed unwrap is a failed test with its reason: exactly what we want.
#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use chapter04::chapter03::busybox::{build_rootfs, find_host_busybox};
use chapter04::chapter03::chapter01::ExitStatus;
use chapter04::chapter03::{ContainerConfig, ContainerId};
use chapter04::{Cgroup, Hierarchy, LimitedContainer, ResourceFlags, Resources, SystemHost};
use testkit::{require_root, Cleanup, Session, TempRoot};

/// CPU measurements must not compete with each other: one at a time.
static CPU: Mutex<()> = Mutex::new(());

fn busybox_rootfs(dir: &Path) -> PathBuf {
    let busybox = find_host_busybox().expect("busybox-static is installed (cargo xtask setup)");
    build_rootfs(&dir.join("rootfs"), &busybox).unwrap().path
}

fn resources(args: &[&str]) -> Resources {
    let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
    let (flags, _) = ResourceFlags::parse_leading(&args).unwrap();
    Resources::from_flags(&flags, &SystemHost).unwrap()
}

/// Starts `script` in `rootfs` with docker's `flags`; returns the container and its name.
fn start(rootfs: &Path, flags: &[&str], script: &str) -> (LimitedContainer, String) {
    let id = ContainerId::generate().unwrap();
    let command = vec!["/bin/sh".into(), "-c".into(), script.into()];
    let config = ContainerConfig::new(rootfs, command, id.short());
    let hierarchy = Hierarchy::detect().unwrap();
    let container =
        LimitedContainer::start(&config, &resources(flags), hierarchy, id.as_str()).unwrap();
    (container, id.as_str().to_owned())
}

/// After the container is gone, no directory of its cgroup may remain on any controller.
fn assert_cgroup_gone(name: &str) {
    let hierarchy = Hierarchy::detect().unwrap();
    assert!(
        Cgroup::open(&hierarchy, name).is_err(),
        "cgroup {name} was left behind"
    );
}

fn cpu_seconds(container: &LimitedContainer) -> f64 {
    container.cgroup().unwrap().stats().cpu_time.as_secs_f64()
}

#[test]
fn memory_under_the_limit_lives_and_over_it_is_oom_killed() {
    if !require_root("chapter04: memory limit and OOM") {
        return;
    }
    let dir = TempRoot::new();
    let rootfs = busybox_rootfs(dir.path());
    // -m 100M: memory+swap defaults to 200M. With or without swap on the host, 300M is over.
    let (under, name) = start(
        &rootfs,
        &["-m", "100M"],
        "dd if=/dev/zero of=/dev/null bs=30M count=1 2>/dev/null",
    );
    assert_eq!(under.wait().unwrap(), (ExitStatus::Exited(0), false));
    assert_cgroup_gone(&name);
    let (over, name) = start(
        &rootfs,
        &["-m", "100M"],
        "dd if=/dev/zero of=/dev/null bs=300M count=1 2>/dev/null",
    );
    let (status, oom_killed) = over.wait().unwrap();
    assert_eq!(status.code(), 137, "{status}");
    assert!(oom_killed);
    assert_cgroup_gone(&name);
}

#[test]
fn cpu_shares_1024_against_512_on_one_cpu_is_about_two_to_one() {
    if !require_root("chapter04: cpu shares") {
        return;
    }
    let _one_at_a_time = CPU.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    let dir = TempRoot::new();
    let rootfs = busybox_rootfs(dir.path());
    let busy = "while :; do :; done";
    let (a, a_name) = start(&rootfs, &["-c", "1024", "--cpuset-cpus", "0"], busy);
    let (b, b_name) = start(&rootfs, &["-c", "512", "--cpuset-cpus", "0"], busy);
    std::thread::sleep(Duration::from_millis(500));
    let (a0, b0) = (cpu_seconds(&a), cpu_seconds(&b));
    std::thread::sleep(Duration::from_secs(3));
    let (a1, b1) = (cpu_seconds(&a), cpu_seconds(&b));
    drop((a, b));
    let ratio = (a1 - a0) / (b1 - b0);
    assert!(
        (1.6..=2.4).contains(&ratio),
        "A used {:.2}s, B {:.2}s: ratio {ratio:.2}",
        a1 - a0,
        b1 - b0
    );
    assert_cgroup_gone(&a_name);
    assert_cgroup_gone(&b_name);
}

#[test]
fn cpus_half_caps_a_busy_loop_near_half_a_cpu() {
    if !require_root("chapter04: cpu quota") {
        return;
    }
    let _one_at_a_time = CPU.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    let dir = TempRoot::new();
    let rootfs = busybox_rootfs(dir.path());
    let (busy, name) = start(&rootfs, &["--cpus", "0.5"], "while :; do :; done");
    std::thread::sleep(Duration::from_millis(500));
    let (t0, c0) = (Instant::now(), cpu_seconds(&busy));
    std::thread::sleep(Duration::from_secs(3));
    let share = (cpu_seconds(&busy) - c0) / t0.elapsed().as_secs_f64();
    drop(busy);
    assert!(
        (0.35..=0.65).contains(&share),
        "used {:.0}% of a CPU",
        share * 100.0
    );
    assert_cgroup_gone(&name);
}

#[test]
fn a_pids_limit_stops_a_fork_loop_but_not_the_container() {
    if !require_root("chapter04: pids limit") {
        return;
    }
    let dir = TempRoot::new();
    let rootfs = busybox_rootfs(dir.path());
    // The loop runs in a subshell: a shell whose fork fails gives up on the whole script.
    let script =
        "(for i in $(seq 40); do sleep 2 & done) 2>/tmp/forks; echo survived > /tmp/result";
    let (container, name) = start(&rootfs, &["--pids-limit", "20"], script);
    assert_eq!(container.wait().unwrap().0, ExitStatus::Exited(0));
    let forks = std::fs::read_to_string(rootfs.join("tmp/forks")).unwrap();
    assert!(forks.contains("can't fork"), "{forks}");
    assert_eq!(
        std::fs::read_to_string(rootfs.join("tmp/result")).unwrap(),
        "survived\n"
    );
    assert_cgroup_gone(&name);
}

#[test]
fn freezing_stops_a_counter_and_thawing_resumes_it() {
    if !require_root("chapter04: freeze and thaw") {
        return;
    }
    let dir = TempRoot::new();
    let rootfs = busybox_rootfs(dir.path());
    // The counter lives on the container's /dev/shm (a tmpfs): on disk, a parallel test
    // that throttles block IO could stall its writes and look like a frozen counter.
    let script = "i=0; while :; do i=$((i+1)); echo $i > /dev/shm/count; sleep 0.01; done";
    let (container, name) = start(&rootfs, &[], script);
    let counter = format!("/proc/{}/root/dev/shm/count", container.child().pid());
    // The largest value seen so far: a read that lands between the truncate and the write
    // of `echo >` sees an empty file, which says nothing.
    let seen = std::cell::Cell::new(0u64);
    let count = || -> u64 {
        let now = std::fs::read_to_string(&counter)
            .ok()
            .and_then(|t| t.trim().parse().ok())
            .unwrap_or(0);
        seen.set(seen.get().max(now));
        seen.get()
    };
    std::thread::sleep(Duration::from_millis(500));
    let cgroup = container.cgroup().unwrap();
    cgroup.set_frozen(true).unwrap();
    let frozen = count();
    std::thread::sleep(Duration::from_millis(800));
    assert_eq!(count(), frozen, "the count moved while frozen");
    cgroup.set_frozen(false).unwrap();
    // Thawing is not instant everywhere (a loaded VM can take a while to run the shell
    // again): wait for the count to move, up to ten seconds.
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while count() == frozen && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(count() > frozen, "the count did not resume within 10 s");
    drop(container);
    assert_cgroup_gone(&name);
}

fn run(program: &str, args: &[&str]) -> Output {
    let output = Command::new(program).args(args).output().unwrap();
    assert!(output.status.success(), "{program} {args:?}: {output:?}");
    output
}

#[test]
fn device_write_bps_holds_direct_writes_to_the_rate() {
    if !require_root("chapter04: block IO throttle") {
        return;
    }
    // The rootfs lives on a loop device of its own, so the throttled device is one we made:
    // the same on this host and in the cgroup v2 VM (whose / is not a block device).
    if !Path::new("/dev/loop-control").exists() {
        // The loop driver is a module on some kernels (the cgroup v2 VM's among them).
        run("modprobe", &["loop"]);
    }
    let dir = TempRoot::new();
    let image = dir.join("disk.img");
    std::fs::File::create(&image)
        .unwrap()
        .set_len(64 << 20)
        .unwrap();
    let loop_device =
        String::from_utf8(run("losetup", &["--find", "--show", image.to_str().unwrap()]).stdout)
            .unwrap()
            .trim()
            .to_owned();
    let _detach = Cleanup::new(|| {
        let _ = Command::new("losetup").args(["-d", &loop_device]).status();
    });
    run("mkfs.ext4", &["-q", &loop_device]);
    let mount_point = dir.join("mnt");
    std::fs::create_dir(&mount_point).unwrap();
    run("mount", &[&loop_device, mount_point.to_str().unwrap()]);
    let _unmount = Cleanup::new(|| {
        let _ = Command::new("umount").arg(&mount_point).status();
    });
    let rootfs = busybox_rootfs(&mount_point);
    let limit = format!("{loop_device}:10mb");
    // busybox dd reports no rate, so time the whole run (start-up is milliseconds).
    let started = Instant::now();
    let (container, name) = start(
        &rootfs,
        &["--device-write-bps", &limit],
        "dd if=/dev/zero of=/tmp/out bs=1M count=20 oflag=direct 2>/dev/null",
    );
    assert_eq!(container.wait().unwrap().0, ExitStatus::Exited(0));
    let seconds = started.elapsed().as_secs_f64();
    assert_eq!(
        std::fs::metadata(rootfs.join("tmp/out")).unwrap().len(),
        20 << 20
    );
    let megabytes_per_second = 20.0 * 1.048_576 / seconds;
    assert!(
        megabytes_per_second <= 12.0,
        "20 MiB in {seconds:.2} s: {megabytes_per_second:.1} MB/s"
    );
    assert_cgroup_gone(&name);
}

fn demo(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_chapter04"))
        .args(args)
        .output()
        .unwrap()
}

fn swap_total() -> u64 {
    let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap();
    meminfo
        .lines()
        .find_map(|l| l.strip_prefix("SwapTotal:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

#[test]
fn book_transcript_of_the_memory_experiment() {
    if !require_root("chapter04: memory transcript") {
        return;
    }
    if swap_total() > 0 {
        // The book shows a host without swap (like CI); with swap the 280M run survives.
        assert!(!testkit::running_in_ci(), "CI hosts have no swap");
        testkit::root::skip("chapter04 memory transcript: this host has swap");
        return;
    }
    let dir = TempRoot::new();
    let rootfs = busybox_rootfs(dir.path());
    let output = demo(&["memory", rootfs.to_str().unwrap()]);
    assert!(output.status.success(), "{output:?}");
    let version = match Hierarchy::detect().unwrap().version() {
        chapter04::Version::V1 => "v1",
        chapter04::Version::V2 => "v2",
    };
    let mut session = Session::new();
    session.record("sudo cargo run -p chapter04 -- memory ./busybox", &output);
    session.assert_matches_book(&format!("ch04-memory-{version}"));
}

#[test]
fn book_transcript_of_the_cpu_shares_experiment() {
    if !require_root("chapter04: cpu shares transcript") {
        return;
    }
    let _one_at_a_time = CPU.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    let dir = TempRoot::new();
    let rootfs = busybox_rootfs(dir.path());
    let output = demo(&["cpu-shares", rootfs.to_str().unwrap()]);
    assert!(output.status.success(), "{output:?}");
    let text = String::from_utf8_lossy(&output.stdout).into_owned();
    let ratio: f64 = text
        .split("A/B = ")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|r| r.parse().ok())
        .unwrap();
    assert!((1.6..=2.4).contains(&ratio), "{text}");
    // Times and the ratio vary from run to run; the book shows where they go.
    let mut session = Session::new();
    for (from, to) in [("A used ", "[A's CPU TIME]"), ("B used ", "[B's CPU TIME]")] {
        let value = text
            .split(from)
            .nth(1)
            .and_then(|r| r.split(" s").next())
            .unwrap();
        session.replace(format!("{from}{value} s"), format!("{from}{to}"));
    }
    session.replace(
        format!(
            "A/B = {}",
            text.split("A/B = ")
                .nth(1)
                .unwrap()
                .split_whitespace()
                .next()
                .unwrap()
        ),
        "A/B = [RATIO, 1.6 to 2.4]",
    );
    session.record(
        "sudo cargo run -p chapter04 -- cpu-shares ./busybox",
        &output,
    );
    session.assert_matches_book("ch04-cpu-shares");
}

#[test]
fn stats_show_the_limit_usage_and_processes() {
    if !require_root("chapter04: stats") {
        return;
    }
    let dir = TempRoot::new();
    let rootfs = busybox_rootfs(dir.path());
    let (container, name) = start(&rootfs, &["-m", "64M"], "sleep 5 & sleep 5");
    std::thread::sleep(Duration::from_millis(300));
    let stats = container.cgroup().unwrap().stats();
    drop(container);
    assert_eq!(stats.memory_limit, Some(64 << 20), "{stats:?}");
    assert!(stats.memory_usage > 0, "{stats:?}");
    assert!(stats.pids >= 2, "{stats:?}");
    assert_cgroup_gone(&name);
}

#[test]
fn a_container_that_fails_to_start_leaves_no_cgroup() {
    if !require_root("chapter04: cleanup after a failed start") {
        return;
    }
    let dir = TempRoot::new();
    let rootfs = busybox_rootfs(dir.path());
    let id = ContainerId::generate().unwrap();
    let config = ContainerConfig::new(&rootfs, vec!["/no/such/program".into()], id.short());
    let hierarchy = Hierarchy::detect().unwrap();
    // The cgroup is made and joined at the gate; then exec fails (127).
    let error =
        LimitedContainer::start(&config, &resources(&["-m", "64M"]), hierarchy, id.as_str())
            .err()
            .unwrap();
    assert_eq!(error.exit_code(), 127);
    assert_cgroup_gone(id.as_str());
}

/// Kills and reaps a forked test child, even when the test fails.
struct ForkedChild(nix::unistd::Pid);

impl Drop for ForkedChild {
    fn drop(&mut self) {
        let _ = nix::sys::signal::kill(self.0, nix::sys::signal::Signal::SIGKILL);
        let _ = nix::sys::wait::waitpid(self.0, None);
    }
}

#[test]
fn on_v1_the_child_moves_itself_into_its_cgroup_and_on_v2_the_host_moves_it() {
    if !require_root("chapter04: joining a cgroup") {
        return;
    }
    use chapter04::chapter03::chapter01::ChildStep;
    use chapter04::chapter03::HostSide;
    use chapter04::{plan_for, CgroupHostSide, Version};

    let hierarchy = Hierarchy::detect().unwrap();
    let version = hierarchy.version();
    let id = ContainerId::generate().unwrap();
    let name = id.as_str().to_owned();
    let _remove = Cleanup::new(|| {
        if let Ok(cgroup) = Cgroup::open(&Hierarchy::detect().unwrap(), id.as_str()) {
            let _ = cgroup.remove();
        }
    });
    let plan = plan_for(version, &resources(&["-m", "64M"]));
    let mut host_side = CgroupHostSide::new(hierarchy, &name, plan);
    let join = host_side.prepare_for_child().unwrap();
    // The group exists, limits and all, before there is any child to put in it.
    let made = Cgroup::open(&Hierarchy::detect().unwrap(), &name).unwrap();
    assert_eq!(made.stats().memory_limit, Some(64 * 1024 * 1024));
    assert_eq!(join.is_some(), version == Version::V1, "{version:?}");

    let (hold, release) = nix::unistd::pipe().unwrap();
    // SAFETY: the child only makes system calls (the join's writes, a read) and _exits: all
    // async-signal-safe, as a child of a multi-threaded test harness must.
    let child = match unsafe { nix::unistd::fork() }.unwrap() {
        nix::unistd::ForkResult::Child => {
            let code = match &join {
                Some(join) if join.run().is_err() => 1,
                _ => 0,
            };
            let mut byte = [0u8; 1];
            // SAFETY: blocks until the parent closes the pipe (or dies).
            unsafe {
                libc::read(
                    std::os::fd::AsRawFd::as_raw_fd(&hold),
                    byte.as_mut_ptr().cast(),
                    1,
                )
            };
            // SAFETY: leaves the forked copy of the harness without running its destructors.
            unsafe { libc::_exit(code) }
        }
        nix::unistd::ForkResult::Parent { child } => ForkedChild(child),
    };
    drop(hold);
    // v1: nothing for the host to do; v2: the host writes the pid.
    assert_eq!(
        host_side.before_start(child.0).unwrap(),
        Vec::<String>::new()
    );

    let wanted = format!("/{}/{name}", chapter04::cgroup::PARENT);
    let memory_line = |text: &str| {
        text.lines()
            .find(|line| match version {
                Version::V1 => line.split(':').nth(1) == Some("memory"),
                Version::V2 => line.starts_with("0::"),
            })
            .map(str::to_owned)
    };
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let cgroups = std::fs::read_to_string(format!("/proc/{}/cgroup", child.0)).unwrap();
        if memory_line(&cgroups).is_some_and(|line| line.ends_with(&wanted)) {
            break;
        }
        assert!(Instant::now() < deadline, "not in {wanted}:\n{cgroups}");
        std::thread::sleep(Duration::from_millis(10));
    }
    drop(release);
    drop(child);
    host_side.after_exit();
    assert_cgroup_gone(&name);
}
