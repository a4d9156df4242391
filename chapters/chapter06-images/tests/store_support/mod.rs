//! Helpers the chapter 6 test files share: the store's shape, and a container on an image.

#![allow(dead_code)] // each test file uses its own part of this module

use std::path::Path;

use chapter06::chapter05::{ContainerFs, Lower};
use chapter06::{Digest, ImageStore};

/// Every path under `dir`, sorted: a store's shape, to compare before and after.
pub fn tree(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(current) = stack.pop() {
        for entry in std::fs::read_dir(&current).unwrap().flatten() {
            let path = entry.path();
            out.push(path.strip_prefix(dir).unwrap().display().to_string());
            if entry.file_type().unwrap().is_dir() {
                stack.push(path);
            }
        }
    }
    out.sort();
    out
}

/// Runs `sh -c script` in a container of `image` (chapter 5's layers, no engine); its exit
/// code. The container's layers are removed afterwards.
pub fn run(store: &ImageStore, image: &Digest, script: &str) -> i32 {
    let image = store.image(image).unwrap();
    let top = store.top_layer(&image).unwrap().unwrap();
    let layer = store.layers.overlay_layer(&top).unwrap();
    let id = chapter06::layers::random_id().unwrap();
    let fs =
        ContainerFs::create(store.layers.overlay_store(), &id, &Lower::Image(layer), "t").unwrap();
    let status = fs
        .run(vec!["/bin/sh".into(), "-c".into(), script.into()], "t")
        .unwrap();
    fs.remove();
    status.code()
}
