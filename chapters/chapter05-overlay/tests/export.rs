//! Chapter 5 live (root): `export` writes exactly the container's view — checked by
//! untarring it with GNU tar and with our own unpacker, and comparing both with the merged
//! view itself: modes, owners, times, symlinks, hardlinks, extended attributes.

// In a test, a failed unwrap is a failed test with its reason: exactly what we want.
#![allow(clippy::unwrap_used)]

mod tree;

use std::path::{Path, PathBuf};
use std::process::Command;

use chapter05::chapter04::chapter03::busybox::{build_rootfs, find_host_busybox};
use chapter05::export::with_merged_view;
use chapter05::{export, pack_layer, unpack_layer, ContainerFs, LayerStore, Lower};
use testkit::{require_root, MountTable, TempRoot};
use tree::listing;

fn busybox_rootfs(dir: &Path) -> PathBuf {
    let busybox = find_host_busybox().expect("busybox-static is installed (cargo xtask setup)");
    build_rootfs(&dir.join("busybox"), &busybox).unwrap().path
}

/// An image of two layers: busybox, then one with entries of every kind.
fn image(store: &LayerStore, rootfs: &Path) -> chapter05::Layer {
    let mut tar = Vec::new();
    pack_layer(rootfs, &mut tar).unwrap();
    let base = store.create_layer("base", None).unwrap();
    unpack_layer(tar.as_slice(), &base.diff()).unwrap();
    let extras = store.create_layer("extras", Some(&base)).unwrap();
    let dir = extras.diff().join("extras");
    std::fs::create_dir_all(dir.join("dir")).unwrap();
    std::fs::write(dir.join("dir/old"), "old").unwrap();
    std::fs::write(dir.join("gone"), "deleted by the container").unwrap();
    std::fs::write(dir.join("moved-from"), "renamed by the container").unwrap();
    std::fs::write(dir.join("suid"), "#!/bin/sh\n").unwrap();
    std::os::unix::fs::lchown(dir.join("suid"), Some(1234), Some(5678)).unwrap();
    Command::new("chmod")
        .args(["4755", dir.join("suid").to_str().unwrap()])
        .status()
        .unwrap();
    std::fs::write(dir.join("labelled"), "x").unwrap();
    chapter05::xattr::set(&dir.join("labelled"), "user.origin", b"extras layer").unwrap();
    std::fs::hard_link(dir.join("labelled"), dir.join("labelled-too")).unwrap();
    std::os::unix::fs::symlink("../bin/busybox", dir.join("relative-link")).unwrap();
    nix::unistd::mkfifo(
        &dir.join("pipe"),
        nix::sys::stat::Mode::from_bits_truncate(0o600),
    )
    .unwrap();
    extras
}

#[test]
fn export_is_the_containers_view() {
    if !require_root("chapter05: export round trip") {
        return;
    }
    let dir = TempRoot::new();
    let rootfs = busybox_rootfs(dir.path());
    let store = LayerStore::open(&dir.join("state")).unwrap();
    let top = image(&store, &rootfs);
    let fs = ContainerFs::create(&store, "exported", &Lower::Image(top), "box").unwrap();
    let script = "set -e
        echo new > /new.txt
        ln /new.txt /new-hardlink
        ln -s /new.txt /new-symlink
        chmod 600 /etc/passwd
        chown 42:43 /etc/group
        rm /extras/gone
        mv /extras/moved-from /extras/moved-to
        rm -rf /extras/dir && mkdir /extras/dir && echo fresh > /extras/dir/fresh";
    let status = fs
        .run(vec!["/bin/sh".into(), "-c".into(), script.into()], "box")
        .unwrap();
    assert!(status.success(), "{status}");

    let mounts = MountTable::read();
    let view = with_merged_view(&fs, listing).unwrap();
    let tar_file = dir.join("export.tar");
    let packed = export(&fs, std::fs::File::create(&tar_file).unwrap()).unwrap();
    MountTable::read().assert_same_as(&mounts);
    assert!(packed.entries as usize >= 290, "{packed:?}");

    // What the container did is in the view; what it deleted is not; no whiteouts.
    let joined = view.join("\n");
    for present in [
        "new-hardlink: file 4 bytes",
        "new-symlink: symlink -> /new.txt",
        "extras/moved-to: file",
        "extras/dir/fresh: file",
        "extras/suid: file 10 bytes",
        "user.origin=extras layer",
        "hardlink of extras/labelled",
        "extras/pipe: fifo 0600",
        "etc/group: file",
    ] {
        assert!(joined.contains(present), "{present}:\n{joined}");
    }
    assert!(joined.contains(" 4755 1234:5678 "), "{joined}");
    assert!(
        joined.contains("etc/passwd: file") && joined.contains(" 0600 0:0"),
        "{joined}"
    );
    for absent in ["extras/gone", "extras/moved-from", "extras/dir/old", ".wh."] {
        assert!(!joined.contains(absent), "{absent}:\n{joined}");
    }

    // GNU tar reads it back to the same tree.
    let by_gnu_tar = dir.join("by-gnu-tar");
    std::fs::create_dir(&by_gnu_tar).unwrap();
    let untar = Command::new("tar")
        .args([
            "--extract",
            "--same-permissions",
            "--same-owner",
            "--numeric-owner",
        ])
        .args(["--xattrs", "--xattrs-include=user.*", "--file"])
        .arg(&tar_file)
        .arg("--directory")
        .arg(&by_gnu_tar)
        .output()
        .unwrap();
    assert!(untar.status.success(), "{untar:?}");
    assert_eq!(listing(&by_gnu_tar), view);

    // So does our own unpacker.
    let by_unpack = dir.join("by-unpack");
    std::fs::create_dir(&by_unpack).unwrap();
    unpack_layer(std::fs::File::open(&tar_file).unwrap(), &by_unpack).unwrap();
    assert_eq!(listing(&by_unpack), view);

    fs.remove();
}
