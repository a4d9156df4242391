//! Chapter 6 live (root): the store with real images made by real tools — umoci and
//! skopeo from Debian — loaded, run, saved, corrupted, shared and removed.

// In a test, a failed unwrap is a failed test with its reason: exactly what we want.
#![allow(clippy::unwrap_used)]

mod registry;
mod store_support;

use std::path::{Path, PathBuf};
use std::process::Command;

use chapter06::chapter05::chapter04::chapter03::busybox::{build_rootfs, find_host_busybox};
use chapter06::chapter05::{pack_layer, ContainerFs, Lower};
use chapter06::commit::{commit, CommitInfo};
use chapter06::config::RunConfig;
use chapter06::import::import;
use chapter06::load::load;
use chapter06::remove::remove_image;
use chapter06::save::save;
use chapter06::{Digest, ImageStore, Reference};
use registry::umoci_image;
use store_support::{run, tree};
use testkit::{require_root, TempRoot};

fn busybox_rootfs(dir: &Path) -> PathBuf {
    let busybox = find_host_busybox().expect("busybox-static is installed (cargo xtask setup)");
    build_rootfs(&dir.join("busybox"), &busybox).unwrap().path
}

fn tar_of(dir: &Path) -> Vec<u8> {
    let mut tar = Vec::new();
    pack_layer(dir, &mut tar).unwrap();
    tar
}

fn import_tar(store: &ImageStore, tar: &[u8], name: &str) -> Digest {
    let lock = store.lock().unwrap();
    let run = RunConfig {
        cmd: Some(vec!["sh".into()]),
        ..RunConfig::default()
    };
    let id = import(store, &lock, tar, "-", run, "").unwrap();
    store
        .tag(&lock, &Reference::parse(name).unwrap(), &id)
        .unwrap();
    id
}

fn sh(script: &str) {
    let output = Command::new("sh").arg("-c").arg(script).output().unwrap();
    assert!(output.status.success(), "{script}: {output:?}");
}

#[test]
fn the_store_looks_like_docker_s() {
    if !require_root("chapter06: store layout") {
        return;
    }
    let dir = TempRoot::new();
    let rootfs = busybox_rootfs(dir.path());
    let store = ImageStore::open(&dir.join("state")).unwrap();
    let id = import_tar(&store, &tar_of(&rootfs), "busybox");
    // What seed 002 walks through, on our store: the config is the file named by the ID...
    let config = std::fs::read(
        dir.join("state/image/overlay2/imagedb/content/sha256")
            .join(id.hex()),
    )
    .unwrap();
    assert_eq!(Digest::of(&config), id);
    // ...the layer is found by its ChainID, and its cache-id leads to its files.
    let image = store.image(&id).unwrap();
    let layer_dir = dir
        .join("state/image/overlay2/layerdb/sha256")
        .join(image.config.rootfs.diff_ids[0].hex());
    let cache_id = std::fs::read_to_string(layer_dir.join("cache-id")).unwrap();
    assert!(dir
        .join("state/overlay2")
        .join(&cache_id)
        .join("diff/bin/busybox")
        .is_file());
    let shown: Vec<String> = tree(&dir.join("state"))
        .into_iter()
        .filter(|p| !p.contains("/diff/"))
        .collect();
    let _guard = testkit::snapshot_settings().bind_to_scope();
    let repositories =
        std::fs::read_to_string(dir.join("state/image/overlay2/repositories.json")).unwrap();
    insta::assert_snapshot!(format!(
        "{}\n\nrepositories.json:\n{repositories}",
        shown.join("\n")
    ));
}

#[test]
fn images_made_by_umoci_and_skopeo_load_and_run() {
    if !require_root("chapter06: umoci and skopeo images") {
        return;
    }
    let dir = TempRoot::new();
    let rootfs = busybox_rootfs(dir.path());
    let layout = umoci_image(dir.path(), &rootfs);
    let archive = dir.join("app.tar");
    sh(&format!(
        "skopeo copy -q oci:{}:app docker-archive:{}:team/app:v1",
        layout.display(),
        archive.display()
    ));
    for (source, expect_name) in [
        (layout.clone(), None),
        (archive.clone(), Some("team/app:v1")),
    ] {
        let store =
            ImageStore::open(&dir.join(&format!("state-{}", expect_name.is_some()))).unwrap();
        let lock = store.lock().unwrap();
        let loaded = load(&store, &lock, &source).unwrap();
        drop(lock);
        assert_eq!(loaded.len(), 1, "{source:?}");
        assert_eq!(loaded[0].names.first().map(String::as_str), expect_name);
        let image = store.image(&loaded[0].id).unwrap();
        assert_eq!(image.config.rootfs.diff_ids.len(), 2);
        assert_eq!(
            run(
                &store,
                &loaded[0].id,
                "test -x /bin/busybox && test ! -e /etc/group && test -e /etc/passwd"
            ),
            0,
            "{source:?}: the second layer's whiteout hides /etc/group"
        );
    }
}

#[test]
fn what_we_save_real_tools_read_and_we_load_back_unchanged() {
    if !require_root("chapter06: save") {
        return;
    }
    let dir = TempRoot::new();
    let rootfs = busybox_rootfs(dir.path());
    let store = ImageStore::open(&dir.join("state")).unwrap();
    let id = import_tar(&store, &tar_of(&rootfs), "busybox");
    let archive = dir.join("busybox.tar");
    save(
        &store,
        &["busybox".into()],
        std::fs::File::create(&archive).unwrap(),
    )
    .unwrap();
    let a = archive.display();
    let d = dir.path().display();
    sh(&format!(
        "skopeo inspect docker-archive:{a} | grep -q '\"Architecture\"'"
    ));
    sh(&format!(
        "set -e; skopeo copy -q docker-archive:{a} oci:{d}/copy:busybox
         umoci unpack --image {d}/copy:busybox {d}/unpacked
         test -x {d}/unpacked/rootfs/bin/busybox"
    ));
    let again = ImageStore::open(&dir.join("again")).unwrap();
    let lock = again.lock().unwrap();
    let loaded = load(&again, &lock, &archive).unwrap();
    assert_eq!(
        loaded[0].id, id,
        "same config bytes, same layers: same image ID"
    );
    assert_eq!(loaded[0].names, ["busybox:latest"]);
}

/// Flips one byte in the middle of the member `member` of the tar at `path`.
fn corrupt(path: &Path, member: impl Fn(&str) -> bool) {
    let mut bytes = std::fs::read(path).unwrap();
    let mut archive = tar::Archive::new(bytes.as_slice());
    let mut at = None;
    for entry in archive.entries().unwrap() {
        let entry = entry.unwrap();
        if member(&entry.path().unwrap().display().to_string()) {
            at = Some(entry.raw_file_position() + entry.size() / 2);
        }
    }
    let at = at.unwrap() as usize;
    bytes[at] ^= 0x55;
    std::fs::write(path, bytes).unwrap();
}

#[test]
fn a_corrupt_archive_is_refused_naming_the_digest_and_changes_nothing() {
    if !require_root("chapter06: corruption") {
        return;
    }
    let dir = TempRoot::new();
    let rootfs = busybox_rootfs(dir.path());
    let source = ImageStore::open(&dir.join("source")).unwrap();
    let id = import_tar(&source, &tar_of(&rootfs), "busybox");
    let image = source.image(&id).unwrap();
    let layer = image.config.rootfs.diff_ids[0].clone();
    // The store we load into already has another image.
    let target = ImageStore::open(&dir.join("target")).unwrap();
    import_tar(&target, &tar_of(&rootfs.join("etc")), "etc");
    for (what, digest) in [("layer", layer), ("config", id.clone())] {
        let archive = dir.join(&format!("{what}.tar"));
        save(
            &source,
            &["busybox".into()],
            std::fs::File::create(&archive).unwrap(),
        )
        .unwrap();
        corrupt(&archive, |name| name.ends_with(digest.hex()));
        let before = tree(&dir.join("target"));
        let lock = target.lock().unwrap();
        let error = load(&target, &lock, &archive).unwrap_err().to_string();
        drop(lock);
        assert!(
            error.contains(digest.as_str()) && error.contains("corrupt"),
            "{what}: {error}"
        );
        assert_eq!(
            tree(&dir.join("target")),
            before,
            "{what}: the store is unchanged"
        );
    }
}

#[test]
fn layers_are_shared_committed_and_freed() {
    if !require_root("chapter06: commit, sharing, rmi") {
        return;
    }
    let dir = TempRoot::new();
    let rootfs = busybox_rootfs(dir.path());
    let state = dir.join("state");
    let store = ImageStore::open(&state).unwrap();
    let base = import_tar(&store, &tar_of(&rootfs), "busybox");
    let base_image = store.image(&base).unwrap();

    // A container changes a few things; commit makes them a second layer.
    let top = store.top_layer(&base_image).unwrap().unwrap();
    let fs = ContainerFs::create(
        store.layers.overlay_store(),
        "committed",
        &Lower::Image(store.layers.overlay_layer(&top).unwrap()),
        "c",
    )
    .unwrap();
    let script = "rm /etc/group && echo made > /made.txt";
    assert!(fs
        .run(vec!["/bin/sh".into(), "-c".into(), script.into()], "c")
        .unwrap()
        .success());
    let lock = store.lock().unwrap();
    let info = CommitInfo {
        created_by: script.into(),
        comment: "two changes".into(),
        run_config: base_image.config.config.clone(),
        ..CommitInfo::default()
    };
    let child = commit(&store, &lock, &fs, Some(&base_image), info).unwrap();
    store
        .tag(&lock, &Reference::parse("busybox:changed").unwrap(), &child)
        .unwrap();
    drop(lock);
    fs.remove();
    assert_eq!(
        run(
            &store,
            &child,
            "test -e /made.txt && test ! -e /etc/group && test ! -e /etc/hostname.bak"
        ),
        0
    );
    assert_eq!(
        store.layers.list().unwrap().len(),
        2,
        "the base layer is stored once"
    );
    let child_image = store.image(&child).unwrap();
    assert_eq!(child_image.config.history.len(), 2);
    assert_eq!(store.images.parent(&child), Some(base.clone()));
    // The init layer (hostname, hosts, resolv.conf) is not in the commit.
    let mut layer_tar = Vec::new();
    let child_top = store.top_layer(&child_image).unwrap().unwrap();
    store.layers.write_tar(&child_top, &mut layer_tar).unwrap();
    let names: Vec<String> = tar::Archive::new(layer_tar.as_slice())
        .entries()
        .unwrap()
        .map(|e| e.unwrap().path().unwrap().display().to_string())
        .collect();
    assert_eq!(names, ["etc", "etc/.wh.group", "made.txt"]);

    // A container record naming the base image: rmi refuses, then -f works.
    let record = state.join("containers/0123456789ab");
    std::fs::create_dir_all(&record).unwrap();
    std::fs::write(
        record.join("config.json"),
        format!(r#"{{"Config":{{"Image":"{base}"}}}}"#),
    )
    .unwrap();
    let lock = store.lock().unwrap();
    let error = remove_image(&store, &lock, "busybox", false)
        .unwrap_err()
        .to_string();
    assert!(error.contains("container 0123456789ab is using"), "{error}");
    std::fs::remove_dir_all(&record).unwrap();

    // Removing the child frees only its own layer; removing the base frees the rest.
    let lines = remove_image(&store, &lock, "busybox:changed", false).unwrap();
    assert_eq!(lines[0], "Untagged: busybox:changed");
    assert_eq!(lines.len(), 3, "{lines:?}");
    assert_eq!(store.layers.list().unwrap().len(), 1);
    remove_image(&store, &lock, "busybox", false).unwrap();
    assert!(store.layers.list().unwrap().is_empty());
    let overlay_dirs: Vec<String> = tree(&state.join("overlay2"));
    assert_eq!(overlay_dirs, ["l"], "no layer files left");
}

#[test]
fn the_walk_demo_follows_an_id_to_its_files() {
    if !require_root("chapter06: walk demo") {
        return;
    }
    let dir = TempRoot::new();
    let rootfs = busybox_rootfs(dir.path());
    let output = Command::new(env!("CARGO_BIN_EXE_chapter06"))
        .args(["walk", rootfs.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(text.contains("its sha256 is the image ID: true"), "{text}");
    assert!(
        text.contains("rebuilt from tar-split.gz is the one imported: true"),
        "{text}"
    );
    let mut session = testkit::Session::new();
    session.replace(rootfs.display().to_string(), "./busybox");
    // The layer's size depends on the host's busybox binary.
    let size = text
        .lines()
        .find_map(|l| l.trim().strip_prefix("size"))
        .unwrap()
        .trim()
        .to_owned();
    session.replace(size, "[SIZE] bytes of files");
    session.record("sudo cargo run -p chapter06 -- walk ./busybox", &output);
    session.assert_matches_book("ch06-walk");
}
