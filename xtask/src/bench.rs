//! `bench`: how long does `mini-docker run` take to start a container and end it? (And,
//! in `bench_load`, how fast does `mini-docker load` unpack an image?)
//!
//! hyperfine times three commands that all run `true` in new namespaces:
//! - `mini-docker run --rm --network none --rootfs <busybox> true` — ours, with a rootfs,
//!   /proc, /sys, /dev (no bridge: chapter 8 has a benchmark of its own);
//! - `runc run` of an OCI bundle of the same rootfs — the reference runtime doing the same;
//! - `unshare -fpmiun --mount-proc true` — namespaces only, the floor.
//!
//! The markdown table goes into the book's performance appendix.

use std::path::{Path, PathBuf};

use chapter03::busybox::{build_rootfs, find_host_busybox};

use crate::shell::{as_root, capture, cargo, have, run, workspace_root};

/// The two comments between which a benchmark writes its table in the appendix.
pub struct Markers {
    pub start: &'static str,
    pub end: &'static str,
}

const MARKERS: Markers = Markers {
    start: "<!-- bench:start -->",
    end: "<!-- bench:end -->",
};

/// hyperfine's warm-ups and timed runs for the start benchmark.
const RUNS: (u32, u32) = (10, 100);

/// `cargo xtask bench [start|load|lifecycle|network]`: every benchmark, or one.
pub fn bench(which: Option<&str>) -> Result<(), String> {
    run(cargo().args(["build", "--release", "-p", "mini-docker"]))?;
    let dir = std::env::temp_dir().join(format!("mini-docker-bench-{}", std::process::id()));
    let result = match which {
        None => bench_start(&dir.join("start"))
            .and(crate::bench_load::bench_load(&dir.join("load")))
            .and(crate::bench_lifecycle::bench_lifecycle(
                &dir.join("lifecycle"),
            ))
            .and(crate::bench_network::bench_network(&dir.join("network"))),
        Some("start") => bench_start(&dir.join("start")),
        Some("load") => crate::bench_load::bench_load(&dir.join("load")),
        Some("lifecycle") => crate::bench_lifecycle::bench_lifecycle(&dir.join("lifecycle")),
        Some("network") => crate::bench_network::bench_network(&dir.join("network")),
        Some(other) => Err(format!(
            "no benchmark {other:?}: use start, load, lifecycle or network"
        )),
    };
    // Remove the scratch directory whatever happened (it holds root-owned state).
    let _ = run(as_root("rm").args(["-rf", "--one-file-system"]).arg(&dir));
    result
}

fn bench_start(dir: &Path) -> Result<(), String> {
    let rootfs = busybox_rootfs(dir, &["hyperfine", "runc", "unshare"])?;
    let bundle = make_runc_bundle(dir, &rootfs)?;
    let mini_docker = workspace_root().join("target/release/mini-docker");
    let json = dir.join("bench.json");
    let markdown = dir.join("bench.md");
    let commands = [
        (
            "mini-docker",
            format!(
                "{} --root {} run --rm --network none --rootfs {} true",
                mini_docker.display(),
                dir.join("state").display(),
                rootfs.display()
            ),
        ),
        (
            "runc",
            format!(
                "runc --root {} run --bundle {} bench-true",
                dir.join("runc-state").display(),
                bundle.display()
            ),
        ),
        ("unshare", "unshare -fpmiun --mount-proc true".to_owned()),
    ];
    let named: Vec<(String, String)> = commands
        .iter()
        .map(|(name, command)| (name.to_string(), command.clone()))
        .collect();
    let means = hyperfine(&named, RUNS, &json, &markdown)?;
    let mean = |name: &str| means.iter().find(|(n, _)| n == name).map(|(_, m)| *m);
    let (ours, runc) = (mean("mini-docker"), mean("runc"));
    let verdict = match (ours, runc) {
        (Some(ours), Some(runc)) if ours <= runc => format!(
            "Target met: mini-docker ({:.1} ms) is not slower than runc ({:.1} ms).",
            ours * 1e3,
            runc * 1e3
        ),
        (Some(ours), Some(runc)) => format!(
            "Target MISSED: mini-docker ({:.1} ms) is slower than runc ({:.1} ms).",
            ours * 1e3,
            runc * 1e3
        ),
        _ => "hyperfine reported no means".to_owned(),
    };
    let table = std::fs::read_to_string(&markdown).map_err(|e| format!("{e}"))?;
    write_appendix(&MARKERS, &table, &verdict, &runc_note(RUNS))?;
    println!("{verdict}");
    if verdict.starts_with("Target met") {
        Ok(())
    } else {
        Err(verdict)
    }
}

/// `runc spec` makes a default `config.json`; we point it at the rootfs and run `true`.
pub fn make_runc_bundle(dir: &Path, rootfs: &Path) -> Result<PathBuf, String> {
    let bundle = dir.join("bundle");
    std::fs::create_dir_all(&bundle).map_err(|e| format!("{e}"))?;
    run(std::process::Command::new("runc")
        .args(["spec", "--bundle"])
        .arg(&bundle))?;
    let path = bundle.join("config.json");
    let text = std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut config: serde_json::Value =
        serde_json::from_str(&text).map_err(|e| format!("runc spec wrote bad JSON: {e}"))?;
    config["process"]["terminal"] = false.into();
    config["process"]["args"] = serde_json::json!(["true"]);
    config["root"]["path"] = rootfs.display().to_string().into();
    config["root"]["readonly"] = true.into();
    let text = serde_json::to_string_pretty(&config).map_err(|e| format!("{e}"))?;
    std::fs::write(&path, text).map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(bundle)
}

/// The end of the appendix's machine line for a benchmark against runc: its version and
/// how many runs were timed.
pub fn runc_note((warmup, runs): (u32, u32)) -> String {
    let runc_version = capture("runc", &["--version"]).unwrap_or_default();
    format!(
        "and {} ({runs} runs after {warmup} warm-ups).",
        runc_version.lines().next().unwrap_or("runc")
    )
}

/// Runs hyperfine as root on `commands` (name, command line) with `(warmup, runs)`,
/// exporting JSON and markdown; returns each command's mean in seconds.
pub fn hyperfine(
    commands: &[(String, String)],
    (warmup, runs): (u32, u32),
    json: &Path,
    markdown: &Path,
) -> Result<Vec<(String, f64)>, String> {
    let mut hyperfine = as_root("hyperfine");
    hyperfine.args([
        "--warmup",
        &warmup.to_string(),
        "--runs",
        &runs.to_string(),
        "-N",
    ]);
    hyperfine
        .arg("--export-json")
        .arg(json)
        .arg("--export-markdown")
        .arg(markdown);
    for (name, command) in commands {
        hyperfine.args(["-n", name, command]);
    }
    run(&mut hyperfine)?;
    read_means(json)
}

pub fn read_means(json: &Path) -> Result<Vec<(String, f64)>, String> {
    let text = std::fs::read_to_string(json).map_err(|e| format!("{}: {e}", json.display()))?;
    let value: serde_json::Value =
        serde_json::from_str(&text).map_err(|e| format!("hyperfine JSON: {e}"))?;
    Ok(value["results"]
        .as_array()
        .map(|results| {
            results
                .iter()
                .filter_map(|r| Some((r["command"].as_str()?.to_owned(), r["mean"].as_f64()?)))
                .collect()
        })
        .unwrap_or_default())
}

/// Replaces what is between `markers` in the appendix with the new table: a line about
/// the machine (ending with `note`), the table, the verdict.
/// Checks that `tools` are installed, makes `dir` and a busybox rootfs in it; returns the
/// rootfs (the start of every container benchmark).
pub fn busybox_rootfs(dir: &Path, tools: &[&str]) -> Result<PathBuf, String> {
    for tool in tools {
        if !have(tool) {
            return Err(format!("{tool} is missing: run cargo xtask setup"));
        }
    }
    std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let busybox = find_host_busybox()?;
    Ok(build_rootfs(&dir.join("rootfs"), &busybox)
        .map_err(|e| format!("cannot build the rootfs: {e}"))?
        .path)
}

/// A fresh ext4, made with mkfs's defaults (so with a journal) in a sparse file and
/// loop-mounted, for state roots whose timing must not depend on the host's filesystem.
///
/// Why: on an ext4 *without* a journal (this workshop's VMs), the inode allocator skips
/// every inode freed in the last minute or more (`recently_deleted` in fs/ext4/ialloc.c),
/// one cache lookup each, on every file it creates. After a few thousand deletions
/// anywhere near — a `cargo build`, the previous benchmark's cleanup — each new file costs
/// 0.3–0.5 ms instead of 20 µs, and an engine that writes thirty files per container pays
/// that thirty times, whatever its own code does. With a journal, ext4 does not skip them.
/// Unmounted when dropped.
pub struct ScratchExt4 {
    mountpoint: PathBuf,
}

impl ScratchExt4 {
    pub fn mount(image: &Path, mountpoint: &Path, size: &str) -> Result<ScratchExt4, String> {
        std::fs::create_dir_all(mountpoint)
            .map_err(|e| format!("{}: {e}", mountpoint.display()))?;
        run(std::process::Command::new("truncate")
            .args(["-s", size])
            .arg(image))?;
        // As root: mkfs.ext4 is in /usr/sbin, which a user's PATH may not have.
        run(as_root("mkfs.ext4").args(["-q", "-F"]).arg(image))?;
        run(as_root("mount")
            .args(["-o", "loop"])
            .arg(image)
            .arg(mountpoint))?;
        Ok(ScratchExt4 {
            mountpoint: mountpoint.to_path_buf(),
        })
    }

    pub fn path(&self) -> &Path {
        &self.mountpoint
    }
}

impl Drop for ScratchExt4 {
    fn drop(&mut self) {
        // The loop device goes with the last unmount (mount -o loop sets autoclear). If a
        // container of a failed run still holds it, detach it lazily rather than leave it.
        if run(as_root("umount").arg(&self.mountpoint)).is_err() {
            let _ = run(as_root("umount").arg("-l").arg(&self.mountpoint));
        }
    }
}

pub fn write_appendix(
    markers: &Markers,
    table: &str,
    verdict: &str,
    note: &str,
) -> Result<(), String> {
    let path = workspace_root().join("book/src/appendix-performance.md");
    let text = std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    let (before, rest) = text
        .split_once(markers.start)
        .ok_or_else(|| format!("{} has no {} marker", path.display(), markers.start))?;
    let (_, after) = rest
        .split_once(markers.end)
        .ok_or_else(|| format!("{} has no {} marker", path.display(), markers.end))?;
    let machine = format!(
        "Measured on Linux {}, {} CPUs, with hyperfine {} {note}",
        capture("uname", &["-r"]).unwrap_or_default().trim(),
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        capture("hyperfine", &["--version"])
            .unwrap_or_default()
            .trim()
            .trim_start_matches("hyperfine "),
    );
    let new = format!(
        "{before}{}\n{machine}\n\n{}\n\n{verdict}\n{}{after}",
        markers.start,
        table.trim(),
        markers.end
    );
    std::fs::write(&path, new).map_err(|e| format!("{}: {e}", path.display()))
}
