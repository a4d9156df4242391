//! Chapter 6 demo: an image store you can walk, like seed 002 walks /var/lib/docker.
//!
//! ```text
//! sudo cargo run -p chapter06 -- walk ./busybox   # import ROOTFS, then follow its ID to its files
//! ```

use std::path::Path;

use chapter06::chapter05::chapter04::chapter03::chapter01::ContainerError;
use chapter06::chapter05::pack_layer;
use chapter06::config::RunConfig;
use chapter06::digest::chain_ids;
use chapter06::import::import;
use chapter06::{ImageStore, Reference};

const USAGE: &str = "usage:
  chapter06 walk ROOTFS   import ROOTFS into a scratch store, then follow an image ID to its files

Needs root (layers keep their owners). The scratch store is removed at the end.";

fn main() {
    chapter06::chapter05::chapter04::chapter03::chapter01::steps::default_sigpipe();
    let args: Vec<String> = std::env::args().skip(1).collect();
    let code = match args
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .as_slice()
    {
        ["walk", rootfs] => {
            let scratch =
                std::env::temp_dir().join(format!("chapter06-demo-{}", std::process::id()));
            let result = walk(&scratch, Path::new(rootfs));
            let _ = std::fs::remove_dir_all(&scratch);
            match result {
                Ok(()) => 0,
                Err(error) => {
                    eprintln!("chapter06: {error}");
                    error.exit_code()
                }
            }
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

// ANCHOR: walk
/// Imports `rootfs` as `busybox`, then walks from the name to the files, printing each
/// hop with the path a learner can `cat` in `/var/lib/mini-docker`.
fn walk(state: &Path, rootfs: &Path) -> Result<(), ContainerError> {
    let store = ImageStore::open(state)?;
    let mut tar = Vec::new();
    pack_layer(rootfs, &mut tar)?;
    let lock = store.lock()?;
    let run = RunConfig {
        cmd: Some(vec!["sh".into()]),
        ..RunConfig::default()
    };
    let id = import(&store, &lock, tar.as_slice(), "ROOTFS", run, "")?;
    let name = Reference::parse("busybox").map_err(ContainerError::Invalid)?;
    store.tag(&lock, &name, &id)?;
    let shown = |path: &Path| {
        format!(
            "<root>/{}",
            path.strip_prefix(state).unwrap_or(path).display()
        )
    };

    println!("1. repositories.json: busybox:latest -> {id}");
    let config_path = state
        .join("image/overlay2/imagedb/content/sha256")
        .join(id.hex());
    println!("2. the config is {}", shown(&config_path));
    let bytes =
        std::fs::read(&config_path).map_err(|e| ContainerError::io("read the config", e))?;
    println!(
        "   its sha256 is the image ID: {}",
        chapter06::Digest::of(&bytes) == id
    );
    let image = store.image(&id)?;
    println!(
        "   rootfs.diff_ids: {:?}",
        image
            .config
            .rootfs
            .diff_ids
            .iter()
            .map(|d| d.short())
            .collect::<Vec<_>>()
    );
    for chain_id in chain_ids(&image.config.rootfs.diff_ids) {
        let layer = store
            .layers
            .get(&chain_id)?
            .ok_or_else(|| ContainerError::Invalid(format!("layer {chain_id} is missing")))?;
        let entry = state
            .join("image/overlay2/layerdb/sha256")
            .join(chain_id.hex());
        println!("3. layer by ChainID: {}", shown(&entry));
        println!("   diff     {}", layer.diff_id);
        println!("   size     {} bytes of files", layer.size);
        println!("   cache-id {}", layer.cache_id);
        let overlay = store.layers.overlay_layer(&layer)?;
        println!("4. its files: {}", shown(&overlay.diff()));
        println!(
            "   short link: {} -> ../{}/diff",
            shown(&state.join("overlay2/l").join(&overlay.link)),
            layer.cache_id
        );
        let mut tar_again = Vec::new();
        store.layers.write_tar(&layer, &mut tar_again)?;
        println!(
            "5. the layer's tar rebuilt from tar-split.gz is the one imported: {}",
            tar_again == tar
        );
    }
    Ok(())
}
// ANCHOR_END: walk
