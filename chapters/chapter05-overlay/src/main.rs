//! Chapter 5 demo: layers, copy-on-write, and `docker diff`.
//!
//! ```text
//! cargo run -p chapter05 -- plan ./busybox           # the overlay mount a container gets
//! sudo cargo run -p chapter05 -- cow ./busybox       # add, read, modify, delete: the upper layer
//! sudo cargo run -p chapter05 -- layers ./busybox 120  # a container on 120 image layers
//! sudo cargo run -p chapter05 -- export ./busybox out.tar  # a container's view as one tar
//! ```

use std::path::{Path, PathBuf};

use chapter05::chapter04::chapter03::chapter01::ContainerError;
use chapter05::chapter04::chapter03::config::check_rootfs;
use chapter05::diff::changes;
use chapter05::upper::entries;
use chapter05::{pack_layer, unpack_layer, ContainerFs, LayerStore, Lower};

const USAGE: &str = "usage:
  chapter05 plan ROOTFS           the layers and the overlay mount of a container over ROOTFS
  chapter05 cow ROOTFS            add, read, modify, delete in a container; the upper layer after each
  chapter05 layers ROOTFS N       a container on N image layers above ROOTFS (try 120)
  chapter05 export ROOTFS FILE    a container changes a few files; its view goes to FILE as a tar (- for stdout)

ROOTFS is never written to: it is the bottom, read-only layer. `cow` and `layers` need root.
Each command works in a scratch state root under the temporary directory and removes it.";

fn main() {
    chapter05::chapter04::chapter03::chapter01::steps::default_sigpipe();
    let args: Vec<String> = std::env::args().skip(1).collect();
    let code = match args
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .as_slice()
    {
        ["plan", rootfs] => report(with_scratch(|store| plan(store, Path::new(rootfs)))),
        ["cow", rootfs] => report(with_scratch(|store| cow(store, Path::new(rootfs)))),
        ["layers", rootfs, count] => match count.parse() {
            Ok(count) => report(with_scratch(|store| {
                layers(store, Path::new(rootfs), count)
            })),
            Err(_) => report(Err(format!("not a number of layers: {count:?}"))),
        },
        ["export", rootfs, file] => {
            report(with_scratch(|store| export(store, Path::new(rootfs), file)))
        }
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
        eprintln!("chapter05: {message}");
        125
    })
}

fn error(e: ContainerError) -> String {
    e.to_string()
}

/// Runs `demo` with a layer store in a fresh scratch directory, removed afterwards.
fn with_scratch(demo: impl FnOnce(&LayerStore) -> Result<i32, String>) -> Result<i32, String> {
    let scratch = std::env::temp_dir().join(format!("chapter05-demo-{}", std::process::id()));
    let result = LayerStore::open(&scratch)
        .map_err(error)
        .and_then(|store| demo(&store));
    let _ = std::fs::remove_dir_all(&scratch);
    result
}

fn container(
    store: &LayerStore,
    rootfs: &Path,
    lower: Option<Lower>,
) -> Result<ContainerFs, String> {
    let lower = match lower {
        Some(lower) => lower,
        None => Lower::Directory(check_rootfs(rootfs).map_err(error)?),
    };
    ContainerFs::create(store, "c0ffee", &lower, "cow").map_err(error)
}

fn plan(store: &LayerStore, rootfs: &Path) -> Result<i32, String> {
    let fs = container(store, rootfs, None)?;
    println!("layers, topmost first:");
    let upper = format!("{}/diff", fs.layer.id);
    println!("  {upper:<28} the container's own (upper)");
    for (name, dir) in fs.layer.lower.iter().zip(fs.lower_dirs()) {
        println!("  {name:<28} {}", dir.display());
    }
    println!("the mount, done by the container in its own mount namespace:");
    println!("  {}", fs.mount_plan());
    fs.remove();
    Ok(0)
}

// ANCHOR: cow
/// Seed 001's walkthrough: each step runs in a container on the same layers (as if the
/// container were started again), then the upper layer is listed.
fn cow(store: &LayerStore, rootfs: &Path) -> Result<i32, String> {
    let fs = container(store, rootfs, None)?;
    let steps = [
        ("add a file", "echo hello > /hello.txt"),
        ("read a file", "head -n 1 /etc/os-release > /dev/null"),
        (
            "modify a file",
            "echo 'guest:x:1000:1000::/home:/bin/sh' >> /etc/passwd",
        ),
        ("delete a file", "rm /bin/vi"),
        (
            "delete a directory, make it again",
            "rm -rf /var/log && mkdir /var/log",
        ),
    ];
    for (what, script) in steps {
        println!("== {what}: {script}");
        let command = vec!["/bin/sh".to_owned(), "-c".to_owned(), script.to_owned()];
        let status = fs.run(command, "cow").map_err(error)?;
        if !status.success() {
            return Err(format!("the container {status}"));
        }
        println!("upper layer:");
        for entry in entries(&fs.upper()) {
            println!("  {entry}");
        }
    }
    println!("== docker diff, from the upper layer:");
    for change in changes(&fs.upper(), &fs.lower_dirs()) {
        println!("  {change}");
    }
    println!("== the upper layer as a layer tar (what an image stores):");
    let mut tar = Vec::new();
    pack_layer(&fs.upper(), &mut tar).map_err(error)?;
    for line in tar_listing(&tar)? {
        println!("  {line}");
    }
    let passwd = std::fs::read_to_string(rootfs.join("etc/passwd")).unwrap_or_default();
    println!(
        "== the rootfs itself: /etc/passwd has {} lines, /bin/vi exists: {}",
        passwd.lines().count(),
        rootfs.join("bin/vi").symlink_metadata().is_ok()
    );
    fs.remove();
    Ok(0)
}
// ANCHOR_END: cow

/// One line per tar entry: its type letter (as `tar tv` shows it), name, and size or target.
fn tar_listing(tar: &[u8]) -> Result<Vec<String>, String> {
    let mut archive = tar::Archive::new(tar);
    let mut lines = Vec::new();
    for entry in archive.entries().map_err(|e| e.to_string())? {
        let entry = entry.map_err(|e| e.to_string())?;
        let name = entry
            .path()
            .map_err(|e| e.to_string())?
            .display()
            .to_string();
        let header = entry.header();
        let line = match header.entry_type() {
            tar::EntryType::Directory => format!("d {name}/"),
            tar::EntryType::Symlink | tar::EntryType::Link => {
                let target = entry.link_name().ok().flatten().unwrap_or_default();
                format!("l {name} -> {}", target.display())
            }
            _ => format!("- {name} ({} bytes)", entry.size()),
        };
        lines.push(line);
    }
    Ok(lines)
}

// ANCHOR: layers
/// A container on `count` image layers: the bottom one holds ROOTFS (packed into a layer
/// tar and unpacked, as chapter 6 loads images), each of the others adds one file to
/// /layers. Only short layer names keep the mount options within one page.
fn layers(store: &LayerStore, rootfs: &Path, count: usize) -> Result<i32, String> {
    let rootfs = check_rootfs(rootfs).map_err(error)?;
    let mut rootfs_tar = Vec::new();
    pack_layer(&rootfs, &mut rootfs_tar).map_err(error)?;
    let mut top = store.create_layer("base", None).map_err(error)?;
    unpack_layer(rootfs_tar.as_slice(), &top.diff()).map_err(error)?;
    add_marker_file(&top, 0)?;
    for number in 1..count {
        let layer = store
            .create_layer(&format!("layer{number:03}"), Some(&top))
            .map_err(error)?;
        add_marker_file(&layer, number)?;
        top = layer;
    }
    let fs = container(store, &rootfs, Some(Lower::Image(top)))?;
    let options = fs.mount_plan().options();
    println!(
        "{} image layers + the init layer; the mount options are {} bytes (one page is 4096)",
        count,
        options.len()
    );
    let command = vec![
        "/bin/sh".to_owned(),
        "-c".to_owned(),
        "echo \"inside: $(ls /layers | wc -l) files in /layers, busybox from the bottom layer: $(ls /bin | wc -l) commands\"".to_owned(),
    ];
    let status = fs.run(command, "layers").map_err(error)?;
    fs.remove();
    Ok(status.code())
}

/// `/layers/NNN` in the layer: one file per layer, so the container can count them.
fn add_marker_file(layer: &chapter05::Layer, number: usize) -> Result<(), String> {
    let dir: PathBuf = layer.diff().join("layers");
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    std::fs::write(dir.join(format!("{number:03}")), "").map_err(|e| e.to_string())
}
// ANCHOR_END: layers

// ANCHOR: export
/// A container adds, changes and deletes a few files; then its view is written to `file`
/// (`-` for stdout) as one flat tar: no layers, no whiteouts, nothing of what was deleted.
fn export(store: &LayerStore, rootfs: &Path, file: &str) -> Result<i32, String> {
    let fs = container(store, rootfs, None)?;
    let script =
        "echo hello > /hello.txt && rm /bin/vi && echo guest:x:1000:1000::/:/bin/sh >> /etc/passwd";
    let command = vec!["/bin/sh".to_owned(), "-c".to_owned(), script.to_owned()];
    let status = fs.run(command, "export").map_err(error);
    let exported = status.and_then(|status| {
        if !status.success() {
            return Err(format!("the container {status}"));
        }
        let packed = if file == "-" {
            chapter05::export(&fs, std::io::BufWriter::new(std::io::stdout()))
        } else {
            let out = std::fs::File::create(file).map_err(|e| format!("create {file}: {e}"))?;
            chapter05::export(&fs, std::io::BufWriter::new(out))
        };
        packed.map_err(error)
    });
    fs.remove();
    exported?;
    eprintln!("exported the container's view after `{script}`, as one flat tar");
    Ok(0)
}
// ANCHOR_END: export
