//! `bench load`: how fast does `mini-docker load` put an image's layers on disk, compared
//! with plain `tar -x` of the same layer (and `umoci unpack` of the same image)?
//!
//! The image is the busybox rootfs plus 100 files of 1 MiB of random bytes (~102 MB, one
//! layer). Each run starts from an empty target (hyperfine's `--prepare`). `load` does more
//! than `tar -x` — it hashes the stream (the DiffID), records the tar-split, and walks every
//! path by descriptor — so the target is to keep at least 80% of tar's throughput.

use std::io::Read;
use std::path::Path;

use chapter03::busybox::{build_rootfs, find_host_busybox};

use crate::bench::{read_means, write_appendix, Markers};
use crate::shell::{as_root, have, run, workspace_root};

const MARKERS: Markers = Markers {
    start: "<!-- bench-load:start -->",
    end: "<!-- bench-load:end -->",
};

/// The share of `tar -x`'s throughput `load` must keep.
const TARGET: f64 = 0.8;

pub fn bench_load(dir: &Path) -> Result<(), String> {
    for tool in ["tar", "hyperfine"] {
        if !have(tool) {
            return Err(format!("{tool} is missing: run cargo xtask setup"));
        }
    }
    let busybox = find_host_busybox()?;
    let rootfs = build_rootfs(&dir.join("rootfs"), &busybox)
        .map_err(|e| format!("cannot build the rootfs: {e}"))?
        .path;
    add_random_files(&rootfs.join("data"), 100, 1 << 20)?;
    let mini_docker = workspace_root().join("target/release/mini-docker");
    let md = mini_docker.display();
    let d = dir.display();
    // The layer tar, an image made of it, and the image saved as an archive.
    run(as_root("sh").arg("-c").arg(format!(
        "set -e; tar -C {} -cf {d}/layer.tar .
         {md} --root {d}/source import {d}/layer.tar bench:big > /dev/null
         {md} --root {d}/source save -o {d}/image.tar bench:big",
        rootfs.display()
    )))?;
    let size = std::fs::metadata(dir.join("layer.tar"))
        .map_err(|e| e.to_string())?
        .len();
    let mut commands = vec![
        (
            "mini-docker load".to_owned(),
            format!("rm -rf {d}/loaded"),
            format!("{md} --root {d}/loaded load -q -i {d}/image.tar"),
        ),
        (
            "tar -x".to_owned(),
            format!("rm -rf {d}/untarred && mkdir {d}/untarred"),
            format!("tar -C {d}/untarred -xf {d}/layer.tar"),
        ),
    ];
    if have("umoci") && have("skopeo") {
        run(as_root("skopeo")
            .args(["copy", "-q"])
            .arg(format!("docker-archive:{d}/image.tar"))
            .arg(format!("oci:{d}/oci:big")))?;
        commands.push((
            "umoci unpack".to_owned(),
            format!("rm -rf {d}/bundle"),
            format!("umoci unpack --image {d}/oci:big {d}/bundle"),
        ));
    }
    let json = dir.join("load.json");
    let markdown = dir.join("load.md");
    let mut hyperfine = as_root("hyperfine");
    hyperfine.args(["--warmup", "2", "--runs", "10", "--export-json"]);
    hyperfine.arg(&json).arg("--export-markdown").arg(&markdown);
    for (_, prepare, _) in &commands {
        hyperfine.args(["--prepare", prepare]);
    }
    for (name, _, command) in &commands {
        hyperfine.args(["-n", name, command]);
    }
    run(&mut hyperfine)?;

    let means = read_means(&json)?;
    let mean = |name: &str| means.iter().find(|(n, _)| n == name).map(|(_, m)| *m);
    let megabytes = size as f64 / 1e6;
    let verdict = match (mean("mini-docker load"), mean("tar -x")) {
        (Some(load), Some(tar)) => {
            let share = tar / load;
            format!(
                "{} mini-docker load unpacks {megabytes:.0} MB at {:.0} MB/s, tar -x at {:.0} MB/s: {:.0}% of tar's throughput (target: {:.0}%).",
                if share >= TARGET { "Target met:" } else { "Target MISSED:" },
                megabytes / load,
                megabytes / tar,
                share * 100.0,
                TARGET * 100.0
            )
        }
        _ => "hyperfine reported no means".to_owned(),
    };
    let table = std::fs::read_to_string(&markdown).map_err(|e| format!("{e}"))?;
    let note = "(10 runs after 2 warm-ups; each run starts from an empty target).";
    write_appendix(&MARKERS, &table, &verdict, note)?;
    println!("{verdict}");
    if verdict.starts_with("Target met") {
        Ok(())
    } else {
        Err(verdict)
    }
}

/// `count` files of `size` random bytes (random, so nothing compresses or dedupes them).
fn add_random_files(dir: &Path, count: usize, size: usize) -> Result<(), String> {
    std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let mut random = std::fs::File::open("/dev/urandom").map_err(|e| e.to_string())?;
    let mut buffer = vec![0u8; size];
    for number in 0..count {
        random.read_exact(&mut buffer).map_err(|e| e.to_string())?;
        let path = dir.join(format!("blob-{number:03}"));
        std::fs::write(&path, &buffer).map_err(|e| format!("{}: {e}", path.display()))?;
    }
    Ok(())
}
