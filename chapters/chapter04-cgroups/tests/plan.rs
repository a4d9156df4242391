//! Snapshots of chapter 4's pure parts: docker's checks, the v1 and v2 plans for a table of
//! flag sets (the seed 001 commands among them), and plans applied to a fake cgroupfs.

// In a test, a failed unwrap is a failed test with its reason: exactly what we want.
#![allow(clippy::unwrap_used)]

use std::path::Path;

use chapter04::resources::{DeviceNumber, Host};
use chapter04::{plan_for, Cgroup, Hierarchy, ResourceFlags, Resources, Version};

/// A made-up machine: 4 CPUs, /dev/sda is 8:0, /dev/nvme0n1 is 259:0.
struct FakeHost;

impl Host for FakeHost {
    fn cpu_count(&self) -> usize {
        4
    }

    fn block_device(&self, path: &str) -> Result<DeviceNumber, String> {
        match path {
            "/dev/sda" => Ok(DeviceNumber { major: 8, minor: 0 }),
            "/dev/nvme0n1" => Ok(DeviceNumber {
                major: 259,
                minor: 0,
            }),
            _ => Err(format!("{path:?} is not a block device")),
        }
    }
}

fn flags(args: &str) -> ResourceFlags {
    let args: Vec<String> = args.split_whitespace().map(str::to_owned).collect();
    let (flags, rest) = ResourceFlags::parse_leading(&args).unwrap();
    assert!(rest.is_empty(), "{rest:?}");
    flags
}

fn resources(args: &str) -> Result<Resources, String> {
    Resources::from_flags(&flags(args), &FakeHost)
}

const FLAG_SETS: [&str; 12] = [
    "",
    // seed 001, memory
    "-m 200M --memory-swap=300M",
    "-m 200M",
    "-m 1g --memory-swap -1 --memory-reservation 512m",
    // seed 001, CPU weights
    "-c 1024",
    "-c 512",
    // seed 001, CFS quota
    "--cpu-period=100000 --cpu-quota=20000",
    "--cpus 1.5",
    "--cpuset-cpus 0-1,3",
    "--pids-limit 20",
    // seed 001, block IO
    "--device-write-bps /dev/sda:30MB",
    "--blkio-weight 300 --device-read-bps /dev/sda:1mb --device-read-iops /dev/sda:100 --device-write-iops /dev/nvme0n1:50",
];

#[test]
fn plans_for_docker_flags_on_v1_and_v2() {
    let mut out = String::new();
    for args in FLAG_SETS {
        let resources = resources(args).unwrap();
        out.push_str(&format!("$ docker run {args}\n"));
        out.push_str(&plan_for(Version::V1, &resources).to_string());
        out.push_str(&plan_for(Version::V2, &resources).to_string());
        out.push('\n');
    }
    insta::assert_snapshot!(out);
}

#[test]
fn bad_values_are_refused_with_docker_messages() {
    let cases = [
        "-m 5m",
        "-m 12x",
        "--memory-swap 300m",
        "-m 300m --memory-swap 200m",
        "-m 100m --memory-reservation 200m",
        "-c 1",
        "--cpu-period 500",
        "--cpu-quota 999",
        "--cpus 0.5 --cpu-quota 50000",
        "--cpus 8",
        "--cpus lots",
        "--cpuset-cpus 2-9",
        "--cpuset-cpus 3-1",
        "--blkio-weight 5",
        "--device-write-bps /dev/sda",
        "--device-write-bps /dev/sda:0",
        "--device-write-bps /etc/passwd:1mb",
        "--device-read-iops /dev/sda:fast",
    ];
    let table: Vec<String> = cases
        .iter()
        .map(|args| format!("{args}\n  -> {}", resources(args).unwrap_err()))
        .collect();
    insta::assert_snapshot!(table.join("\n"));
}

/// Every file under `root`, with its content: what a plan left on a (fake) cgroupfs.
fn tree(root: &Path) -> String {
    fn walk(dir: &Path, root: &Path, out: &mut Vec<String>) {
        let mut entries: Vec<_> = std::fs::read_dir(dir).unwrap().flatten().collect();
        entries.sort_by_key(|e| e.path());
        for entry in entries {
            let path = entry.path();
            if path.is_dir() {
                walk(&path, root, out);
            } else {
                let content = std::fs::read_to_string(&path).unwrap();
                out.push(format!(
                    "{} = {content:?}",
                    path.strip_prefix(root).unwrap().display()
                ));
            }
        }
    }
    let mut out = Vec::new();
    walk(root, root, &mut out);
    out.join("\n")
}

#[test]
fn plans_applied_to_a_fake_cgroupfs() {
    let resources = resources("-m 200M --memory-swap=300M -c 512 --cpus 0.5 --cpuset-cpus 1 --pids-limit 20 --device-write-bps /dev/sda:30MB").unwrap();
    let mut out = String::new();
    for version in [Version::V1, Version::V2] {
        let root = testkit::TempRoot::new();
        let hierarchy = match version {
            Version::V1 => {
                // The v1 cpuset root has CPUs and memory nodes, as on a real host.
                let cpuset = root.join("cpuset");
                std::fs::create_dir_all(&cpuset).unwrap();
                std::fs::write(cpuset.join("cpuset.cpus"), "0-3\n").unwrap();
                std::fs::write(cpuset.join("cpuset.mems"), "0\n").unwrap();
                Hierarchy::v1_under(root.path())
            }
            Version::V2 => Hierarchy::V2 {
                root: root.path().to_path_buf(),
            },
        };
        let plan = plan_for(version, &resources);
        let cgroup = Cgroup::create(&hierarchy, "c0ffee", &plan).unwrap();
        let warnings = cgroup.apply(&plan).unwrap();
        assert!(warnings.is_empty(), "{warnings:?}");
        cgroup
            .add_process(nix::unistd::Pid::from_raw(4242))
            .unwrap();
        cgroup.set_frozen(true).unwrap();
        out.push_str(&format!("== {version:?}\n{}\n", tree(root.path())));
        cgroup.remove().unwrap();
        let left = tree(root.path());
        assert!(!left.contains("c0ffee"), "removal left {left}");
    }
    insta::assert_snapshot!(out);
}

#[test]
fn v2_weights_follow_runc() {
    use chapter04::v2::cpu::shares_to_weight;
    assert_eq!(shares_to_weight(2), 1);
    assert_eq!(shares_to_weight(1024), 39);
    assert_eq!(shares_to_weight(512), 20);
    assert_eq!(shares_to_weight(262_144), 10_000);
}

#[test]
fn book_transcript_of_plans() {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_chapter04"))
        .args([
            "plan",
            "-m",
            "200M",
            "--memory-swap=300M",
            "-c",
            "512",
            "--cpus",
            "0.5",
        ])
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    let mut session = testkit::Session::new();
    session.record(
        "cargo run -p chapter04 -- plan -m 200M --memory-swap=300M -c 512 --cpus 0.5",
        &output,
    );
    session.assert_matches_book("ch04-plan");
}
