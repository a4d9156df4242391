//! `bench network`: what chapter 8's bridge costs a container's start.
//!
//! `mini-docker run --rm busybox true` with the default bridge network (a lease, a veth
//! pair made and plugged in by netlink, an address and a route inside, all taken down at
//! the end) against the same with `--network none` (a network namespace with only `lo`).
//! Target: at most 30 ms with the bridge on this machine.

use std::path::Path;

use crate::bench::{busybox_rootfs, hyperfine, write_appendix, Markers};
use crate::shell::{as_root, run, workspace_root};

const MARKERS: Markers = Markers {
    start: "<!-- bench-network:start -->",
    end: "<!-- bench-network:end -->",
};

const BRIDGE_RUN_MS: f64 = 30.0;
/// hyperfine's warm-ups and timed runs.
const RUNS: (u32, u32) = (5, 50);

pub fn bench_network(dir: &Path) -> Result<(), String> {
    let rootfs = busybox_rootfs(dir, &["hyperfine", "tar", "nft"])?;
    let md = workspace_root().join("target/release/mini-docker");
    let (md, d, r) = (md.display(), dir.display(), rootfs.display());
    run(as_root("sh").arg("-c").arg(format!(
        "set -e
         tar -C {r} -cf - . | {md} --root {d}/state import --change 'CMD [\"sh\"]' - busybox > /dev/null"
    )))?;
    let commands = [
        (
            "run --rm (bridge)".to_owned(),
            format!("{md} --root {d}/state run --rm busybox true"),
        ),
        (
            "run --rm --network none".to_owned(),
            format!("{md} --root {d}/state run --rm --network none busybox true"),
        ),
    ];
    let (json, markdown) = (dir.join("network.json"), dir.join("network.md"));
    let measured = hyperfine(&commands, RUNS, &json, &markdown);
    remove_bridge(&dir.join("state"));
    let means = measured?;
    let mean = |name: &str| means.iter().find(|(n, _)| n == name).map(|(_, m)| *m * 1e3);
    let bridge = mean("run --rm (bridge)").ok_or("no mean for the bridge run")?;
    let none = mean("run --rm --network none").ok_or("no mean for the run without network")?;
    let met = bridge <= BRIDGE_RUN_MS;
    let verdict = format!(
        "- {}: run --rm with the bridge: {bridge:.1} ms, {:.1} ms more than with --network none (target: at most {BRIDGE_RUN_MS} ms)",
        if met { "Target met" } else { "Target MISSED" },
        bridge - none
    );
    let table = std::fs::read_to_string(&markdown).map_err(|e| format!("{e}"))?;
    let note = format!(
        "({} warm-up runs and {} timed runs each, on one state root; the warm-ups make the bridge and its firewall table.)",
        RUNS.0, RUNS.1
    );
    write_appendix(&MARKERS, &table, &verdict, &note)?;
    println!("{verdict}");
    if met {
        Ok(())
    } else {
        Err("the network target was missed".into())
    }
}

/// The bench state root's bridge and firewall table (they live outside the directory).
fn remove_bridge(state: &Path) {
    let script = format!(
        "name=$(sed -n 's/.*\"Name\": *\"\\([^\"]*\\)\".*/\\1/p' {}/network/bridge.json)
         [ -n \"$name\" ] || exit 0
         ip link del \"$name\" 2>/dev/null
         nft delete table ip \"mini_docker_$(echo \"$name\" | tr -c 'a-zA-Z0-9\\n' _)\" 2>/dev/null
         exit 0",
        state.display()
    );
    let _ = run(as_root("sh").arg("-c").arg(script));
}
