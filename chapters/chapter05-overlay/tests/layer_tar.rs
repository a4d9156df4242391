//! Chapter 5 live (root): layer tars both ways.
//!
//! - a fixture tree with every kind of entry survives pack → unpack exactly;
//! - random trees do too, and packing is deterministic (property-style, seeded);
//! - a corpus of malicious tars is refused or contained, the host untouched;
//! - random and mutated tars never write outside their target (fuzz-style, seeded).

// In a test, a failed unwrap is a failed test with its reason: exactly what we want.
#![allow(clippy::unwrap_used)]

mod tree;

use std::ffi::CString;
use std::path::Path;

use chapter05::upper::OPAQUE_XATTR;
use chapter05::{pack_layer, unpack_layer};
use testkit::{require_root, TempRoot};
use tree::{listing, Random, RawTar, Untouched};

fn mknod_whiteout(path: &Path) {
    let c = CString::new(path.as_os_str().as_encoded_bytes()).unwrap();
    // SAFETY: a plain syscall on a NUL-terminated path we own.
    assert_eq!(unsafe { libc::mknod(c.as_ptr(), libc::S_IFCHR, 0) }, 0);
}

fn chown(path: &Path, uid: u32, gid: u32) {
    std::os::unix::fs::lchown(path, Some(uid), Some(gid)).unwrap();
}

fn chmod(path: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

fn pack(dir: &Path) -> Vec<u8> {
    let mut tar = Vec::new();
    pack_layer(dir, &mut tar).unwrap();
    tar
}

fn tar_names(tar: &[u8]) -> Vec<String> {
    let mut archive = tar::Archive::new(tar);
    archive
        .entries()
        .unwrap()
        .map(|e| e.unwrap().path().unwrap().display().to_string())
        .collect()
}

/// An upper directory with every kind of entry a layer can hold.
fn fixture_upper(dir: &Path) {
    std::fs::create_dir_all(dir.join("etc")).unwrap();
    std::fs::write(dir.join("etc/passwd"), "root:x:0:0::/root:/bin/sh\n").unwrap();
    std::fs::write(dir.join("suid"), "#!/bin/sh\n").unwrap();
    chown(&dir.join("suid"), 1234, 5678);
    chmod(&dir.join("suid"), 0o4755);
    std::fs::hard_link(dir.join("etc/passwd"), dir.join("etc/passwd.hard")).unwrap();
    std::os::unix::fs::symlink("/etc/passwd", dir.join("abs-link")).unwrap();
    std::os::unix::fs::symlink("../../../outside", dir.join("etc/rel-link")).unwrap();
    nix::unistd::mkfifo(
        &dir.join("fifo"),
        nix::sys::stat::Mode::from_bits_truncate(0o640),
    )
    .unwrap();
    mknod_whiteout(&dir.join("etc/deleted"));
    std::fs::create_dir_all(dir.join("var/log")).unwrap();
    chapter05::xattr::set(&dir.join("var/log"), OPAQUE_XATTR, b"y").unwrap();
    std::fs::write(dir.join("var/log/fresh.log"), "").unwrap();
    std::fs::write(dir.join("labelled"), "x").unwrap();
    chapter05::xattr::set(&dir.join("labelled"), "user.origin", b"chapter05").unwrap();
    let deep = dir
        .join("a".repeat(90))
        .join("b".repeat(90))
        .join("c".repeat(90));
    std::fs::create_dir_all(&deep).unwrap();
    std::fs::write(deep.join("long-name.txt"), "far down").unwrap();
    std::fs::create_dir(dir.join("private")).unwrap();
    chmod(&dir.join("private"), 0o700);
}

#[test]
fn a_fixture_tree_survives_pack_and_unpack() {
    if !require_root("chapter05: layer tar round trip") {
        return;
    }
    let dir = TempRoot::new();
    let upper = dir.join("upper");
    fixture_upper(&upper);
    let tar = pack(&upper);
    let names = tar_names(&tar);
    assert!(names.contains(&"etc/.wh.deleted".to_owned()), "{names:?}");
    assert!(
        names.contains(&"var/log/.wh..wh..opq".to_owned()),
        "{names:?}"
    );
    assert!(
        names.iter().any(|n| n.len() > 270),
        "a GNU long name: {names:?}"
    );

    let back = dir.join("back");
    std::fs::create_dir(&back).unwrap();
    let unpacked = unpack_layer(tar.as_slice(), &back).unwrap();
    assert_eq!(listing(&back), listing(&upper));
    assert_eq!(unpacked.entries as usize, names.len());
    // The same tree packs to the same bytes.
    assert_eq!(pack(&back), tar);
}

#[test]
fn a_file_named_like_a_whiteout_is_refused_when_packing() {
    if !require_root("chapter05: .wh. names refused by pack") {
        return;
    }
    let dir = TempRoot::new();
    std::fs::write(dir.join(".wh.sneaky"), "").unwrap();
    let error = pack_layer(dir.path(), Vec::new()).err().unwrap();
    assert!(
        error.to_string().contains("would read as a whiteout"),
        "{error}"
    );
}

/// A random upper directory: nested directories, files of random sizes, modes and owners,
/// symlinks to anywhere (they are data), hardlinks, fifos, whiteouts, opaque directories,
/// extended attributes, and names with spaces, UTF-8 and lengths past tar's 100 bytes.
fn random_tree(root: &Path, random: &mut Random) {
    const NAMES: &[&str] = &[
        "bin",
        "etc",
        "usr",
        "a b",
        "ünïcødé",
        "..wh.x",
        "wh.",
        "-dash",
        "x",
        "long",
    ];
    const TARGETS: &[&str] = &["/etc/passwd", "../../../../etc/shadow", "/", "..", "x", ""];
    let mut dirs = vec![root.to_path_buf()];
    let mut files = Vec::new();
    for number in 0..random.below(40) + 5 {
        let parent = random.pick(&dirs).clone();
        let mut name = format!("{}{number}", random.pick(NAMES));
        if random.chance(10) {
            name = name.repeat(12);
        }
        let path = parent.join(&name);
        match random.below(10) {
            0 | 1 => {
                std::fs::create_dir(&path).unwrap();
                if random.chance(20) {
                    chapter05::xattr::set(&path, OPAQUE_XATTR, b"y").unwrap();
                }
                dirs.push(path.clone());
            }
            2..=4 => {
                let size = [0, 1, 511, 512, 513, 70_000][random.below(6)];
                let content: Vec<u8> = (0..size).map(|_| random.next() as u8).collect();
                std::fs::write(&path, content).unwrap();
                chmod(
                    &path,
                    *random.pick(&[0o644, 0o600, 0o755, 0o4755, 0o2711, 0o1777]),
                );
                files.push(path.clone());
            }
            5 => {
                let target = random.pick(TARGETS);
                let target = if target.is_empty() {
                    "dangling"
                } else {
                    target
                };
                std::os::unix::fs::symlink(target, &path).unwrap();
            }
            6 if !files.is_empty() => {
                std::fs::hard_link(random.pick(&files), &path).unwrap();
            }
            7 => mknod_whiteout(&path),
            8 => {
                nix::unistd::mkfifo(&path, nix::sys::stat::Mode::from_bits_truncate(0o600)).unwrap()
            }
            _ => {
                std::fs::write(&path, "attributes").unwrap();
                let value = format!("value {}", random.next());
                chapter05::xattr::set(&path, "user.test", value.as_bytes()).unwrap();
                files.push(path.clone());
            }
        }
        if random.chance(30) {
            let id = (random.below(3) * 1000) as u32;
            chown(&path, id, id + 7);
        }
    }
}

#[test]
fn random_trees_survive_pack_and_unpack() {
    if !require_root("chapter05: random layer round trips") {
        return;
    }
    for seed in 1..=40 {
        let dir = TempRoot::new();
        let upper = dir.join("upper");
        std::fs::create_dir(&upper).unwrap();
        random_tree(&upper, &mut Random::new(seed));
        let tar = pack(&upper);
        let back = dir.join("back");
        std::fs::create_dir(&back).unwrap();
        unpack_layer(tar.as_slice(), &back).unwrap_or_else(|e| panic!("seed {seed}: {e}"));
        assert_eq!(listing(&back), listing(&upper), "seed {seed}");
        assert_eq!(pack(&back), tar, "seed {seed}: packing is deterministic");
    }
}

/// One malicious tar and what must happen to it.
struct Case {
    name: &'static str,
    tar: Vec<u8>,
    /// `Some(text)`: refused with an error containing it. `None`: contained (unpacks).
    refused_with: Option<&'static str>,
    /// Checked inside the target after a contained unpack.
    contained: fn(&Path),
}

fn nothing(_: &Path) {}

fn corpus(outside: &Path) -> Vec<Case> {
    let outside_rel = format!("../{}", outside.file_name().unwrap().to_string_lossy());
    let escape_file = Box::leak(format!("{outside_rel}/pwned").into_boxed_str());
    let escape_link = Box::leak(outside_rel.clone().into_boxed_str());
    let escape_secret = Box::leak(format!("{outside_rel}/secret").into_boxed_str());
    let long_component = "n".repeat(300);
    let deep_path = vec!["d".repeat(200); 30].join("/");
    vec![
        Case {
            name: "dot-dot escape",
            tar: RawTar::new().file(escape_file, b"pwned").finish(),
            refused_with: Some("\"..\""),
            contained: nothing,
        },
        Case {
            name: "dot-dot in the middle",
            tar: RawTar::new()
                .dir("usr")
                .file("usr/../../pwned", b"pwned")
                .finish(),
            refused_with: Some("\"..\""),
            contained: nothing,
        },
        Case {
            name: "absolute path",
            tar: RawTar::new().file("/etc/pwned-by-layer", b"pwned").finish(),
            refused_with: None,
            contained: |target| {
                assert!(target.join("etc/pwned-by-layer").is_file());
                assert!(!Path::new("/etc/pwned-by-layer").exists());
            },
        },
        Case {
            name: "symlinked parent escape (relative)",
            tar: RawTar::new()
                .symlink("evil", escape_link)
                .file("evil/pwned", b"x")
                .finish(),
            refused_with: Some("is a symbolic link"),
            contained: nothing,
        },
        Case {
            name: "symlinked parent escape (absolute)",
            tar: RawTar::new()
                .symlink("etc", "/etc")
                .file("etc/passwd", b"owned")
                .finish(),
            refused_with: Some("is a symbolic link"),
            contained: nothing,
        },
        Case {
            name: "directory replaced by a symlink, then written through",
            tar: RawTar::new()
                .dir("conf")
                .symlink("conf", "/etc")
                .file("conf/passwd", b"owned")
                .finish(),
            refused_with: Some("is a symbolic link"),
            contained: nothing,
        },
        Case {
            name: "hardlink to /etc/passwd",
            tar: RawTar::new().hardlink("passwd", "/etc/passwd").finish(),
            refused_with: Some("not in the layer"),
            contained: nothing,
        },
        Case {
            name: "hardlink with dot-dot",
            tar: RawTar::new().hardlink("secret", escape_secret).finish(),
            refused_with: Some("\"..\""),
            contained: nothing,
        },
        Case {
            name: "symlink, then a file of the same name",
            tar: RawTar::new()
                .symlink("target", "/etc/passwd")
                .file("target", b"owned")
                .finish(),
            refused_with: None,
            contained: |target| {
                let meta = std::fs::symlink_metadata(target.join("target")).unwrap();
                assert!(meta.is_file(), "the symlink was replaced, not followed");
            },
        },
        Case {
            name: "whiteout through a symlinked parent",
            tar: RawTar::new()
                .symlink("lnk", "/etc")
                .file("lnk/.wh.passwd", b"")
                .finish(),
            refused_with: Some("is a symbolic link"),
            contained: nothing,
        },
        Case {
            name: "whiteout of the directory itself",
            tar: RawTar::new().dir("d").file("d/.wh..", b"").finish(),
            refused_with: Some("invalid whiteout"),
            contained: nothing,
        },
        Case {
            name: "whiteout of the parent",
            tar: RawTar::new().file(".wh...", b"").finish(),
            refused_with: Some("invalid whiteout"),
            contained: nothing,
        },
        Case {
            name: "empty whiteout",
            tar: RawTar::new().file(".wh.", b"").finish(),
            refused_with: Some("invalid whiteout"),
            contained: nothing,
        },
        Case {
            name: "character device",
            tar: RawTar::new()
                .dir("dev")
                .device(tar::EntryType::Char, "dev/mem", 1, 1)
                .finish(),
            refused_with: Some("device nodes are not allowed"),
            contained: nothing,
        },
        Case {
            name: "block device",
            tar: RawTar::new()
                .device(tar::EntryType::Block, "sda", 8, 0)
                .finish(),
            refused_with: Some("device nodes are not allowed"),
            contained: nothing,
        },
        Case {
            name: "a name component longer than NAME_MAX",
            tar: RawTar::new()
                .file(Box::leak(long_component.into_boxed_str()), b"x")
                .finish(),
            refused_with: Some("File name too long"),
            contained: nothing,
        },
        Case {
            name: "a 6000-byte path",
            tar: RawTar::new()
                .file(
                    Box::leak(format!("{deep_path}/f").into_boxed_str()),
                    b"deep",
                )
                .finish(),
            refused_with: None,
            contained: |target| {
                // Too long for one path: walk down it by descriptor.
                let dirs = vec![std::ffi::OsString::from("d".repeat(200)); 30];
                let root = chapter05::confined::Confined::open(target).unwrap();
                let deepest = root.dir(&dirs, false).unwrap();
                let found = chapter05::confined::occupant(
                    std::os::fd::AsFd::as_fd(&deepest),
                    std::ffi::OsStr::new("f"),
                );
                assert_eq!(found, Ok(chapter05::confined::Occupant::Other));
            },
        },
    ]
}

#[test]
fn malicious_tars_are_refused_or_contained() {
    if !require_root("chapter05: malicious layer tars") {
        return;
    }
    let dir = TempRoot::new();
    let outside = dir.join("outside");
    std::fs::create_dir(&outside).unwrap();
    std::fs::write(outside.join("secret"), "do not touch").unwrap();
    let cases = corpus(&outside);
    assert!(cases.len() >= 8);
    for case in cases {
        let target = dir.join("target");
        std::fs::create_dir(&target).unwrap();
        let before = Untouched::take(&outside);
        let result = unpack_layer(case.tar.as_slice(), &target);
        match (case.refused_with, result) {
            (Some(expected), Err(error)) => {
                let message = error.to_string();
                assert!(message.contains(expected), "{}: {message}", case.name);
                assert!(
                    !message.contains('\n') && message.len() < 300,
                    "{}: {message}",
                    case.name
                );
                assert_eq!(error.exit_code(), 125, "{}", case.name);
                assert!(listing(&target).is_empty(), "{}: target emptied", case.name);
            }
            (None, Ok(_)) => (case.contained)(&target),
            (expected, got) => panic!("{}: expected {expected:?}, got {got:?}", case.name),
        }
        assert_eq!(
            Untouched::take(&outside),
            before,
            "{}: host untouched",
            case.name
        );
        std::fs::remove_dir_all(&target).unwrap();
    }
}

/// Names and links built from the pieces attacks are made of.
fn random_hostile_tar(random: &mut Random) -> Vec<u8> {
    const PIECES: &[&str] = &[
        "..",
        ".",
        "",
        "etc",
        "passwd",
        ".wh.",
        ".wh..wh..opq",
        "lnk",
        "d",
    ];
    const LINKS: &[&str] = &[
        "/",
        "/etc",
        "..",
        "../..",
        "lnk",
        "d",
        "/etc/passwd",
        "etc/passwd",
    ];
    let mut tar = RawTar::new();
    for _ in 0..random.below(12) + 1 {
        let parts: Vec<&str> = (0..random.below(4) + 1)
            .map(|_| *random.pick(PIECES))
            .collect();
        let mut name = parts.join("/");
        if random.chance(20) {
            name.insert(0, '/');
        }
        if name.is_empty() {
            name.push('x');
        }
        let link = *random.pick(LINKS);
        match random.below(6) {
            0 => tar.dir(&name),
            1 | 2 => tar.file(&name, b"hostile"),
            3 => tar.symlink(&name, link),
            4 => tar.hardlink(&name, link),
            _ => tar.device(tar::EntryType::Char, &name, 0, 0),
        };
    }
    tar.finish()
}

#[test]
fn random_and_mutated_tars_never_write_outside_the_target() {
    if !require_root("chapter05: layer tar fuzzing") {
        return;
    }
    let dir = TempRoot::new();
    let outside = dir.join("outside");
    std::fs::create_dir(&outside).unwrap();
    std::fs::write(outside.join("secret"), "do not touch").unwrap();
    let valid = {
        let upper = dir.join("upper");
        std::fs::create_dir(&upper).unwrap();
        random_tree(&upper, &mut Random::new(7));
        pack(&upper)
    };
    let before = Untouched::take(&outside);
    let mut random = Random::new(2026);
    for round in 0..400 {
        let tar = if round % 2 == 0 {
            random_hostile_tar(&mut random)
        } else {
            // Flip a few bytes of a valid tar: headers, sizes, checksums, names.
            let mut bytes = valid.clone();
            for _ in 0..random.below(8) + 1 {
                let at = random.below(bytes.len());
                bytes[at] = random.next() as u8;
            }
            bytes
        };
        let target = dir.join("target");
        std::fs::create_dir(&target).unwrap();
        if unpack_layer(tar.as_slice(), &target).is_err() {
            assert!(listing(&target).is_empty(), "round {round}: target emptied");
        }
        assert_eq!(Untouched::take(&outside), before, "round {round}");
        std::fs::remove_dir_all(&target).unwrap();
    }
}

#[test]
fn diff_reads_the_lower_layers_as_their_union() {
    if !require_root("chapter05: diff over several lower layers") {
        return;
    }
    let dir = TempRoot::new();
    let (top, bottom, upper) = (dir.join("top"), dir.join("bottom"), dir.join("upper"));
    for layer in [&top, &bottom, &upper] {
        std::fs::create_dir(layer).unwrap();
    }
    // bottom: /gone, /etc/a, /etc/b, /data/old; top deletes /gone and makes /data opaque.
    std::fs::write(bottom.join("gone"), "").unwrap();
    std::fs::create_dir_all(bottom.join("etc")).unwrap();
    std::fs::write(bottom.join("etc/a"), "").unwrap();
    std::fs::write(bottom.join("etc/b"), "").unwrap();
    std::fs::create_dir_all(bottom.join("data")).unwrap();
    std::fs::write(bottom.join("data/old"), "").unwrap();
    mknod_whiteout(&top.join("gone"));
    std::fs::create_dir(top.join("data")).unwrap();
    chapter05::xattr::set(&top.join("data"), OPAQUE_XATTR, b"y").unwrap();
    std::fs::write(top.join("data/new"), "").unwrap();
    // The container: makes /gone again, replaces /etc opaquely with only /etc/a, changes
    // /data/new, adds /data/old (hidden below by the opaque /data, so new to it).
    std::fs::write(upper.join("gone"), "back").unwrap();
    std::fs::create_dir(upper.join("etc")).unwrap();
    chapter05::xattr::set(&upper.join("etc"), OPAQUE_XATTR, b"y").unwrap();
    std::fs::write(upper.join("etc/a"), "").unwrap();
    std::fs::create_dir(upper.join("data")).unwrap();
    std::fs::write(upper.join("data/new"), "changed").unwrap();
    std::fs::write(upper.join("data/old"), "new again").unwrap();
    let changes: Vec<String> = chapter05::diff::changes(&upper, &[top, bottom])
        .iter()
        .map(ToString::to_string)
        .collect();
    assert_eq!(
        changes,
        [
            "C /data",
            "C /data/new",
            "A /data/old",
            "C /etc",
            "C /etc/a",
            "D /etc/b",
            "A /gone"
        ]
    );
}
