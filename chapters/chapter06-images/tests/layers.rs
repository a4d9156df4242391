//! Chapter 6 live (root): layers in the layer database — registered once per ChainID, given
//! back byte for byte, refused when corrupt, and never half-made.

// In a test, a failed unwrap is a failed test with its reason: exactly what we want.
#![allow(clippy::unwrap_used)]

mod store_support;

use std::path::{Path, PathBuf};
use std::process::Command;

use chapter06::chapter05::chapter04::chapter03::busybox::{build_rootfs, find_host_busybox};
use chapter06::digest::Digest;
use chapter06::layers::LayerDb;
use store_support::tree;
use testkit::{require_root, TempRoot};

fn busybox_rootfs(dir: &Path) -> PathBuf {
    let busybox = find_host_busybox().expect("busybox-static is installed (cargo xtask setup)");
    build_rootfs(&dir.join("busybox"), &busybox).unwrap().path
}

/// A tar written by GNU tar (its own header layout, not ours).
fn gnu_tar(dir: &Path, of: &Path) -> Vec<u8> {
    let file = dir.join("gnu.tar");
    let status = Command::new("tar")
        .args(["--create", "--format=gnu", "--file"])
        .arg(&file)
        .arg("--directory")
        .arg(of)
        .arg(".")
        .status()
        .unwrap();
    assert!(status.success());
    std::fs::read(file).unwrap()
}

#[test]
fn a_layer_gives_back_its_exact_tar() {
    if !require_root("chapter06: tar-split round trip") {
        return;
    }
    let dir = TempRoot::new();
    let rootfs = busybox_rootfs(dir.path());
    let db = LayerDb::open(&dir.join("state")).unwrap();
    for tar in [gnu_tar(dir.path(), &rootfs), {
        let mut ours = Vec::new();
        chapter06::chapter05::pack_layer(&rootfs, &mut ours).unwrap();
        ours
    }] {
        let layer = db.register(tar.as_slice(), None, None).unwrap();
        assert_eq!(layer.diff_id, Digest::of(&tar));
        assert_eq!(
            layer.chain_id, layer.diff_id,
            "a bottom layer's ChainID is its DiffID"
        );
        let mut back = Vec::new();
        db.write_tar(&layer, &mut back).unwrap();
        assert!(back == tar, "the same bytes back");
        let split = std::fs::metadata(
            dir.join("state/image/overlay2/layerdb/sha256")
                .join(layer.chain_id.hex())
                .join("tar-split.gz"),
        )
        .unwrap()
        .len();
        assert!(
            split < tar.len() as u64 / 20,
            "the record is small: {split}"
        );
    }
}

#[test]
fn the_same_layer_is_stored_once_and_a_corrupt_one_not_at_all() {
    if !require_root("chapter06: layer dedupe and corruption") {
        return;
    }
    let dir = TempRoot::new();
    let rootfs = busybox_rootfs(dir.path());
    let state = dir.join("state");
    let db = LayerDb::open(&state).unwrap();
    let tar = gnu_tar(dir.path(), &rootfs);
    let first = db.register(tar.as_slice(), None, None).unwrap();
    let before = tree(&state);
    let second = db
        .register(tar.as_slice(), None, Some(&first.diff_id))
        .unwrap();
    assert_eq!(first, second);
    assert_eq!(tree(&state), before, "nothing new on disk");

    let wrong = Digest::of(b"something else");
    let error = db.register(tar.as_slice(), None, Some(&wrong)).unwrap_err();
    assert!(error.to_string().contains("is corrupt"), "{error}");
    assert_eq!(tree(&state), before, "nothing left of the corrupt layer");

    let child = db
        .register(
            gnu_tar(dir.path(), &rootfs.join("etc")).as_slice(),
            Some(&first),
            None,
        )
        .unwrap();
    assert_eq!(child.parent.as_ref(), Some(&first.chain_id));
    assert_eq!(child.chain(&db).unwrap().len(), 2);
    db.remove(&child).unwrap();
    assert_eq!(tree(&state), before, "removal leaves nothing");
}
