//! Lab 4 spec — DO NOT MODIFY. Points per test are in points.toml.
// In a test, a failed unwrap is a failed test with its reason: exactly what we want.
#![allow(clippy::unwrap_used)]

use std::path::Path;

use lab04::{
    apply, cpu_files, limits_from_docker, memory_files, parse_size, CgroupVersion, Limits, Swap,
};

const MIB: u64 = 1 << 20;

fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(file, value)| (file.to_string(), value.to_string()))
        .collect()
}

/// The content of a file of the fake cgroupfs, without a trailing newline.
fn read(root: &Path, relative: &str) -> String {
    let path = root.join(relative);
    std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .trim()
        .to_owned()
}

fn subtree_control(root: &Path, relative: &str) -> Vec<String> {
    read(root, relative)
        .split_whitespace()
        .map(str::to_owned)
        .collect()
}

#[test]
fn task1_docker_sizes() {
    let table = [
        ("4096", 4096),
        ("100b", 100),
        ("512k", 512 << 10),
        ("200M", 200 << 20),
        ("200m", 200 << 20),
        ("30MB", 30 << 20),
        ("30mb", 30 << 20),
        ("10MiB", 10 << 20),
        ("8mi", 8 << 20),
        ("1g", 1 << 30),
        ("1.5g", 3 << 29),
        ("2 GB", 2 << 30),
        (" 64k ", 64 << 10),
        ("1t", 1 << 40),
        ("1p", 1 << 50),
        ("0.5k", 512),
        ("1.3k", 1331),
    ];
    for (text, bytes) in table {
        assert_eq!(parse_size(text), Ok(bytes), "{text:?}");
    }
}

#[test]
fn task1_bad_sizes_name_the_input() {
    for text in ["", "m", "-5m", "12x", "1..2m", "10mm", "5bi", "16777216p"] {
        let error = parse_size(text).unwrap_err();
        assert!(error.contains(&format!("\"{text}\"")), "{text:?}: {error}");
    }
}

#[test]
fn task2_memory_and_swap_follow_docker() {
    assert_eq!(
        limits_from_docker(None, None, None, None),
        Ok(Limits::default())
    );
    // seed 001: -m 200M --memory-swap=300M
    let limits = limits_from_docker(Some("200M"), Some("300M"), None, None).unwrap();
    assert_eq!(limits.memory, Some(200 * MIB));
    assert_eq!(limits.memory_swap, Some(Swap::Total(300 * MIB)));
    // Only -m: memory + swap may be twice the memory.
    let limits = limits_from_docker(Some("200m"), None, None, None).unwrap();
    assert_eq!(limits.memory, Some(200 * MIB));
    assert_eq!(limits.memory_swap, Some(Swap::Total(400 * MIB)));
    let limits = limits_from_docker(Some("1g"), Some("-1"), None, None).unwrap();
    assert_eq!(limits.memory_swap, Some(Swap::Unlimited));
    // Swap may equal the memory: no swap at all.
    let limits = limits_from_docker(Some("6m"), Some("6m"), None, None).unwrap();
    assert_eq!(limits.memory_swap, Some(Swap::Total(6 * MIB)));
    assert_eq!(
        (limits.cpu_shares, limits.cpu_period, limits.cpu_quota),
        (None, None, None)
    );
}

#[test]
fn task2_cpus_become_a_cfs_quota() {
    let limits = limits_from_docker(None, None, Some("1.5"), Some(512)).unwrap();
    assert_eq!(
        limits,
        Limits {
            cpu_shares: Some(512),
            cpu_period: Some(100_000),
            cpu_quota: Some(150_000),
            ..Limits::default()
        }
    );
    let limits = limits_from_docker(None, None, Some("0.25"), Some(0)).unwrap();
    assert_eq!(limits.cpu_shares, None);
    assert_eq!(
        (limits.cpu_period, limits.cpu_quota),
        (Some(100_000), Some(25_000))
    );
    let limits = limits_from_docker(None, None, Some("2"), None).unwrap();
    assert_eq!(limits.cpu_quota, Some(200_000));
    assert_eq!(limits.memory, None);
}

/// `-m`, `--memory-swap`, `--cpus`, `-c`, and the start of the error they must give.
type Flags = (
    Option<&'static str>,
    Option<&'static str>,
    Option<&'static str>,
    Option<u64>,
    &'static str,
);

#[test]
fn task2_bad_flags_are_refused_naming_the_flag() {
    let cases: [Flags; 9] = [
        (None, Some("300m"), None, None, "--memory-swap:"),
        (Some("300m"), Some("200m"), None, None, "--memory-swap:"),
        (Some("300m"), Some("lots"), None, None, "--memory-swap:"),
        (Some("5m"), None, None, None, "--memory:"),
        (Some("12x"), None, None, None, "--memory:"),
        (None, None, Some("lots"), None, "--cpus:"),
        (None, None, Some("0.001"), None, "--cpus:"),
        (None, None, None, Some(1), "--cpu-shares:"),
        (None, None, None, Some(262_145), "--cpu-shares:"),
    ];
    for (memory, swap, cpus, shares, flag) in cases {
        let error = limits_from_docker(memory, swap, cpus, shares).unwrap_err();
        assert!(
            error.starts_with(flag),
            "-m {memory:?} --memory-swap {swap:?} --cpus {cpus:?} -c {shares:?}: {error}"
        );
    }
    assert!(limits_from_docker(None, None, None, Some(262_144)).is_ok());
    assert!(limits_from_docker(None, None, None, Some(2)).is_ok());
}

#[test]
fn task3_memory_files_on_v1() {
    let limits = Limits {
        memory: Some(200 * MIB),
        memory_swap: Some(Swap::Total(300 * MIB)),
        ..Limits::default()
    };
    assert_eq!(
        memory_files(CgroupVersion::V1, &limits),
        pairs(&[
            ("memory/memory.limit_in_bytes", "209715200"),
            ("memory/memory.memsw.limit_in_bytes", "314572800"),
        ])
    );
    let unlimited = Limits {
        memory: Some(1 << 30),
        memory_swap: Some(Swap::Unlimited),
        ..Limits::default()
    };
    assert_eq!(
        memory_files(CgroupVersion::V1, &unlimited),
        pairs(&[
            ("memory/memory.limit_in_bytes", "1073741824"),
            ("memory/memory.memsw.limit_in_bytes", "-1"),
        ])
    );
    assert_eq!(
        memory_files(CgroupVersion::V1, &Limits::default()),
        pairs(&[])
    );
}

#[test]
fn task3_memory_files_on_v2() {
    let limits = Limits {
        memory: Some(200 * MIB),
        memory_swap: Some(Swap::Total(300 * MIB)),
        ..Limits::default()
    };
    assert_eq!(
        memory_files(CgroupVersion::V2, &limits),
        pairs(&[
            ("memory.max", "209715200"),
            ("memory.swap.max", "104857600")
        ])
    );
    let doubled = limits_from_docker(Some("200m"), None, None, None).unwrap();
    assert_eq!(
        memory_files(CgroupVersion::V2, &doubled),
        pairs(&[
            ("memory.max", "209715200"),
            ("memory.swap.max", "209715200")
        ])
    );
    let unlimited = Limits {
        memory: Some(1 << 30),
        memory_swap: Some(Swap::Unlimited),
        ..Limits::default()
    };
    assert_eq!(
        memory_files(CgroupVersion::V2, &unlimited),
        pairs(&[("memory.max", "1073741824"), ("memory.swap.max", "max")])
    );
    let memory_only = Limits {
        memory: Some(64 * MIB),
        ..Limits::default()
    };
    assert_eq!(
        memory_files(CgroupVersion::V2, &memory_only),
        pairs(&[("memory.max", "67108864")])
    );
    // CPU limits are not memory files.
    let cpu = Limits {
        cpu_shares: Some(512),
        ..Limits::default()
    };
    assert_eq!(memory_files(CgroupVersion::V2, &cpu), pairs(&[]));
}

#[test]
fn task4_cpu_files_on_v1() {
    let limits = Limits {
        cpu_shares: Some(512),
        cpu_period: Some(100_000),
        cpu_quota: Some(20_000),
        ..Limits::default()
    };
    assert_eq!(
        cpu_files(CgroupVersion::V1, &limits),
        pairs(&[
            ("cpu/cpu.shares", "512"),
            ("cpu/cpu.cfs_period_us", "100000"),
            ("cpu/cpu.cfs_quota_us", "20000"),
        ])
    );
    let shares = Limits {
        cpu_shares: Some(1024),
        memory: Some(64 * MIB),
        ..Limits::default()
    };
    assert_eq!(
        cpu_files(CgroupVersion::V1, &shares),
        pairs(&[("cpu/cpu.shares", "1024")])
    );
    assert_eq!(cpu_files(CgroupVersion::V1, &Limits::default()), pairs(&[]));
}

#[test]
fn task4_cpu_files_on_v2() {
    let weight = |shares| {
        let limits = Limits {
            cpu_shares: Some(shares),
            ..Limits::default()
        };
        cpu_files(CgroupVersion::V2, &limits)
    };
    assert_eq!(weight(2), pairs(&[("cpu.weight", "1")]));
    assert_eq!(weight(512), pairs(&[("cpu.weight", "20")]));
    assert_eq!(weight(1024), pairs(&[("cpu.weight", "39")]));
    assert_eq!(weight(262_144), pairs(&[("cpu.weight", "10000")]));

    let cpus = limits_from_docker(None, None, Some("1.5"), Some(512)).unwrap();
    assert_eq!(
        cpu_files(CgroupVersion::V2, &cpus),
        pairs(&[("cpu.weight", "20"), ("cpu.max", "150000 100000")])
    );
    let period_only = Limits {
        cpu_period: Some(50_000),
        ..Limits::default()
    };
    assert_eq!(
        cpu_files(CgroupVersion::V2, &period_only),
        pairs(&[("cpu.max", "max 50000")])
    );
    let quota_only = Limits {
        cpu_quota: Some(20_000),
        ..Limits::default()
    };
    assert_eq!(
        cpu_files(CgroupVersion::V2, &quota_only),
        pairs(&[("cpu.max", "20000 100000")])
    );
    assert_eq!(cpu_files(CgroupVersion::V2, &Limits::default()), pairs(&[]));
}

/// seed 001's `-m 200M --memory-swap=300M -c 512 --cpus 0.5`.
fn seed_limits() -> Limits {
    limits_from_docker(Some("200M"), Some("300M"), Some("0.5"), Some(512)).unwrap()
}

#[test]
fn task5_apply_on_v1() {
    let root = testkit::TempRoot::new();
    apply(root.path(), CgroupVersion::V1, "c0ffee", &seed_limits()).unwrap();
    let memory = "memory/mini-docker/c0ffee";
    let cpu = "cpu/mini-docker/c0ffee";
    let files = [
        (memory, "memory.limit_in_bytes", "209715200"),
        (memory, "memory.memsw.limit_in_bytes", "314572800"),
        (cpu, "cpu.shares", "512"),
        (cpu, "cpu.cfs_period_us", "100000"),
        (cpu, "cpu.cfs_quota_us", "50000"),
    ];
    for (dir, file, value) in files {
        assert_eq!(read(root.path(), &format!("{dir}/{file}")), value, "{file}");
    }
    assert!(!root.join("mini-docker").exists(), "a v2 group on v1");
    assert!(!root.join(&format!("{cpu}/memory.limit_in_bytes")).exists());
}

#[test]
fn task5_apply_on_v2_delegates_the_controllers() {
    let root = testkit::TempRoot::new();
    apply(root.path(), CgroupVersion::V2, "c0ffee", &seed_limits()).unwrap();
    let files = [
        ("memory.max", "209715200"),
        ("memory.swap.max", "104857600"),
        ("cpu.weight", "20"),
        ("cpu.max", "50000 100000"),
    ];
    for (file, value) in files {
        let path = format!("mini-docker/c0ffee/{file}");
        assert_eq!(read(root.path(), &path), value, "{file}");
    }
    for control in [
        "cgroup.subtree_control",
        "mini-docker/cgroup.subtree_control",
    ] {
        let enabled = subtree_control(root.path(), control);
        for controller in ["+memory", "+cpu"] {
            assert!(
                enabled.iter().any(|e| e == controller),
                "{control}: {enabled:?}"
            );
        }
    }
    assert!(!root.join("memory").exists(), "a v1 tree on v2");
}

#[test]
fn task5_groups_without_limits_and_errors() {
    let root = testkit::TempRoot::new();
    apply(root.path(), CgroupVersion::V1, "a1", &Limits::default()).unwrap();
    assert!(root.join("memory/mini-docker/a1").is_dir());
    assert!(root.join("cpu/mini-docker/a1").is_dir());
    apply(root.path(), CgroupVersion::V1, "b2", &Limits::default()).unwrap();
    assert!(root.join("memory/mini-docker/b2").is_dir());

    let root = testkit::TempRoot::new();
    apply(root.path(), CgroupVersion::V2, "a1", &Limits::default()).unwrap();
    assert!(root.join("mini-docker/a1").is_dir());
    let enabled = subtree_control(root.path(), "mini-docker/cgroup.subtree_control");
    assert!(enabled.iter().any(|e| e == "+memory"), "{enabled:?}");

    // A root that is a file: nothing can be created under it.
    let file = root.join("not-a-dir");
    std::fs::write(&file, "").unwrap();
    for version in [CgroupVersion::V1, CgroupVersion::V2] {
        assert!(
            apply(&file, version, "a1", &seed_limits()).is_err(),
            "{version:?}"
        );
    }
}
