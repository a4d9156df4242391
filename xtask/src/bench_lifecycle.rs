//! `bench lifecycle`: chapter 7's three performance goals, measured side by side.
//!
//! 1. `mini-docker run --rm busybox true` — image, overlay, cgroup, namespaces, state
//!    record, the monitor, cleanup — against `runc run` of an OCI bundle of the same rootfs
//!    (and `docker run --rm` / `podman run --rm` when those work here): at most half of
//!    runc's time.
//! 2. The resident memory of a monitor whose container runs `sleep`: at most 1.5 MiB
//!    (podman's conmon is about 1.9 MiB, containerd's shim about 13 MiB).
//! 3. `ps -a` with 200 containers in the store: at most 50 ms.
//!
//! The state roots (ours and runc's) live on an ext4 made for the run ([`ScratchExt4`]), so
//! the result does not depend on what the host's filesystem deleted in the minutes before.
//! One more row runs ours with its state on the host's temporary directory, to show that
//! difference; the verdict is taken on the scratch filesystem.

use std::path::Path;

use crate::bench::{
    busybox_rootfs, hyperfine, make_runc_bundle, runc_note, write_appendix, Markers, ScratchExt4,
};
use crate::shell::{as_root, capture, have, run, workspace_root};

const MARKERS: Markers = Markers {
    start: "<!-- bench-lifecycle:start -->",
    end: "<!-- bench-lifecycle:end -->",
};

const RUN_SHARE_OF_RUNC: f64 = 0.5;
/// The row that runs ours with its state on the host's filesystem.
const HOST_FS_RUN: &str = "mini-docker run --rm (state on the host fs)";
const MONITOR_RSS_KIB: u64 = 1536;
const PS_200_MS: f64 = 50.0;
/// hyperfine's warm-ups and timed runs.
const RUNS: (u32, u32) = (5, 50);

pub fn bench_lifecycle(dir: &Path) -> Result<(), String> {
    let rootfs = busybox_rootfs(dir, &["hyperfine", "runc", "tar"])?;
    let bundle = make_runc_bundle(dir, &rootfs)?;
    let scratch = ScratchExt4::mount(&dir.join("state.img"), &dir.join("state"), "2G")?;
    let md = workspace_root().join("target/release/mini-docker");
    let (md, d, s, r) = (
        md.display(),
        dir.display(),
        scratch.path().display(),
        rootfs.display(),
    );
    // Three state roots with the busybox image: one for runs, one holding 200 containers
    // (both on the scratch filesystem), and one for runs on the host's filesystem. The
    // `sync` writes what this setup wrote before the clock starts, not during the runs. (An
    // empty store lists in 2 ms, so the count is checked: a wrong root must not pass.)
    run(as_root("sh").arg("-c").arg(format!(
        "set -e
         for state in {s}/runs {s}/listed {d}/host-runs; do
           tar -C {r} -cf - . | {md} --root $state import --change 'CMD [\"sh\"]' - busybox > /dev/null
         done
         for i in $(seq 200); do {md} --root {s}/listed create busybox true > /dev/null; done
         test \"$({md} --root {s}/listed ps -aq | wc -l)\" -eq 200
         sync"
    )))?;
    let monitor_kib = monitor_rss(&format!("{md} --root {s}/runs"), &format!("{s}/runs"))?;

    let mut commands = vec![
        (
            "mini-docker run --rm".to_owned(),
            format!("{md} --root {s}/runs run --rm --network none busybox true"),
        ),
        (
            "runc run".to_owned(),
            format!(
                "runc --root {s}/runc-state run --bundle {} bench-lifecycle",
                bundle.display()
            ),
        ),
    ];
    for engine in ["docker", "podman"] {
        // Only an engine that has a busybox image and can run it here (a daemon up, the
        // sandbox allowing its defaults) is timed; hyperfine stops at a failing command.
        let usable = have(engine)
            && as_root(engine)
                .args(["run", "--rm", "busybox", "true"])
                .output()
                .is_ok_and(|output| output.status.success());
        if usable {
            commands.push((
                format!("{engine} run --rm"),
                format!("{engine} run --rm busybox true"),
            ));
        }
    }
    commands.push((
        HOST_FS_RUN.to_owned(),
        format!("{md} --root {d}/host-runs run --rm --network none busybox true"),
    ));
    commands.push((
        "mini-docker ps -a (200)".to_owned(),
        format!("{md} --root {s}/listed ps -a"),
    ));
    let (json, markdown) = (dir.join("lifecycle.json"), dir.join("lifecycle.md"));
    let means = hyperfine(&commands, RUNS, &json, &markdown)?;
    let mean = |name: &str| means.iter().find(|(n, _)| n == name).map(|(_, m)| *m * 1e3);
    let (ours, runc, ps, on_host_fs) = (
        mean("mini-docker run --rm").ok_or("no mean for run")?,
        mean("runc run").ok_or("no mean for runc")?,
        mean("mini-docker ps -a (200)").ok_or("no mean for ps")?,
        mean(HOST_FS_RUN).ok_or("no mean for run on the host's filesystem")?,
    );
    let verdicts = [
        (
            ours <= RUN_SHARE_OF_RUNC * runc,
            format!(
                "run --rm: {ours:.1} ms, {:.2}× runc's {runc:.1} ms (target: at most {RUN_SHARE_OF_RUNC}×)",
                ours / runc
            ),
        ),
        (
            monitor_kib <= MONITOR_RSS_KIB,
            format!("monitor of a running `sleep`: {monitor_kib} KiB resident (target: at most {MONITOR_RSS_KIB} KiB)"),
        ),
        (
            ps <= PS_200_MS,
            format!("ps -a with 200 containers: {ps:.1} ms (target: at most {PS_200_MS} ms)"),
        ),
    ];
    let verdict: Vec<String> = verdicts
        .iter()
        .map(|(met, text)| {
            format!(
                "- {}: {text}",
                if *met { "Target met" } else { "Target MISSED" }
            )
        })
        .collect();
    // Where the host row's state was: a temporary directory may well be a tmpfs.
    let host_fs = capture("stat", &["-f", "-c", "%T", &d.to_string()])
        .map_or_else(|| "unknown".to_owned(), |kind| kind.trim().to_owned());
    let verdict = format!(
        "{}\n- For comparison, not a target: run --rm with its state on the host's temporary \
         directory ({host_fs}): {on_host_fs:.1} ms, {:.2}× runc's time.",
        verdict.join("\n"),
        on_host_fs / runc
    );
    let table = std::fs::read_to_string(&markdown).map_err(|e| format!("{e}"))?;
    write_appendix(&MARKERS, &table, &verdict, &runc_note(RUNS))?;
    println!("{verdict}");
    if verdicts.iter().all(|(met, _)| *met) {
        Ok(())
    } else {
        Err("a lifecycle target was missed".into())
    }
}

/// Starts `sleep` in a container and reads its monitor's VmRSS (KiB) once it has settled.
fn monitor_rss(md: &str, state: &str) -> Result<u64, String> {
    let script = format!(
        "set -e
         id=$({md} run -d --network none busybox sleep 1000)
         trap '{md} rm -f $id > /dev/null' EXIT
         sleep 1
         monitor=$(sed -n 's/.*\"MonitorPid\": *\\([0-9]*\\).*/\\1/p' {state}/containers/$id/state.json)
         grep VmRSS /proc/$monitor/status"
    );
    let output = as_root("sh")
        .arg("-c")
        .arg(&script)
        .output()
        .map_err(|e| format!("cannot measure the monitor: {e}"))?;
    let text = String::from_utf8_lossy(&output.stdout);
    text.split_whitespace()
        .nth(1)
        .and_then(|kib| kib.parse().ok())
        .ok_or_else(|| {
            format!(
                "no VmRSS for the monitor: {text}{}",
                String::from_utf8_lossy(&output.stderr)
            )
        })
}
