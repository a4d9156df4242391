//! Snapshots of chapter 5's plans: the store layout, the overlay options, the page limit,
//! and the rules between overlay marks and layer-tar names.

// In a test, a failed unwrap is a failed test with its reason: exactly what we want.
#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};

use std::ffi::OsStr;

use chapter05::confined::entry_components;
use chapter05::mount::Writable;
use chapter05::upper::{EntryKind, UpperEntry};
use chapter05::whiteout::{overlay_form, tar_paths};
use chapter05::{ContainerFs, LayerStore, Lower, OverlayMount};

/// Short link names are random: show them as L1, L2, ... in order of appearance.
fn stable_links(text: &str) -> String {
    let mut out = text.to_owned();
    let mut seen: Vec<String> = Vec::new();
    let regex = regex_lite(&out);
    for link in regex {
        if !seen.contains(&link) {
            seen.push(link.clone());
            out = out.replace(&link, &format!("L{}", seen.len()));
        }
    }
    out
}

/// Every 26-character run of A–Z and 2–7 (a short link name).
fn regex_lite(text: &str) -> Vec<String> {
    let bytes = text.as_bytes();
    let is_link_char = |b: u8| b.is_ascii_uppercase() || (b'2'..=b'7').contains(&b);
    let mut found = Vec::new();
    let mut start = None;
    for (i, &b) in bytes.iter().chain(std::iter::once(&b' ')).enumerate() {
        match (is_link_char(b), start) {
            (true, None) => start = Some(i),
            (false, Some(s)) => {
                if i - s == 26 {
                    found.push(text[s..i].to_owned());
                }
                start = None;
            }
            _ => {}
        }
    }
    found
}

fn tree(root: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap().flatten() {
            let path = entry.path();
            let meta = std::fs::symlink_metadata(&path).unwrap();
            let shown = path.strip_prefix(root).unwrap().display().to_string();
            if meta.file_type().is_symlink() {
                out.push(format!(
                    "{shown} -> {}",
                    std::fs::read_link(&path).unwrap().display()
                ));
            } else if meta.is_dir() {
                out.push(format!("{shown}/"));
                stack.push(path);
            } else {
                let content = std::fs::read_to_string(&path).unwrap_or_default();
                out.push(format!(
                    "{shown} = {:?}",
                    content.lines().next().unwrap_or("")
                ));
            }
        }
    }
    out.sort();
    out
}

#[test]
fn a_two_layer_image_and_a_container_on_it() {
    let root = testkit::TempRoot::new();
    let store = LayerStore::open(root.path()).unwrap();
    let base = store.create_layer("base", None).unwrap();
    let app = store.create_layer("app", Some(&base)).unwrap();
    let fs = ContainerFs::create(&store, "c0ffee", &Lower::Image(app), "web").unwrap();
    let layout = tree(store.dir()).join("\n");
    let plan = fs.mount_plan();
    let shown = format!("{layout}\n\n{plan}").replace(&root.path().display().to_string(), "<root>");
    // Sort again once the random names are replaced, so the order is stable too.
    let stable = stable_links(&shown);
    let (layout, plan) = stable.split_once("\n\n").unwrap();
    let mut lines: Vec<&str> = layout.lines().collect();
    lines.sort();
    insta::assert_snapshot!(format!("{}\n\n{plan}", lines.join("\n")));
    // The container layer's lower chain: init, app, base.
    assert_eq!(fs.layer.lower.len(), 3);
    fs.remove();
    assert!(!store.dir().join("c0ffee").exists() && !store.dir().join("c0ffee-init").exists());
}

fn mount_with(layers: usize, name: &str) -> OverlayMount {
    OverlayMount {
        base: PathBuf::from("/var/lib/mini-docker/overlay2"),
        lower: (0..layers).map(|_| name.to_owned()).collect(),
        writable: Some(Writable {
            upper: format!("{}/diff", "f".repeat(64)),
            work: format!("{}/work", "f".repeat(64)),
            volatile: false,
        }),
        target: PathBuf::from("/var/lib/mini-docker/overlay2/x/merged"),
    }
}

#[test]
fn volatile_adds_the_option_to_a_writable_mount_only() {
    let plain = mount_with(1, "l/A");
    assert!(!plain.options().contains("volatile"), "{}", plain.options());
    let volatile = plain.clone().volatile().options();
    assert_eq!(volatile, format!("{},volatile", plain.options()));
    let mut read_only = plain;
    read_only.writable = None;
    assert_eq!(read_only.clone().volatile().options(), "lowerdir=l/A");
}

#[test]
fn short_links_fit_120_layers_in_a_page_and_full_paths_do_not() {
    let short = format!("l/{}", "A".repeat(26));
    let options = mount_with(120, &short).options();
    assert!(options.len() < 4096, "{}", options.len());
    assert!(mount_with(120, &short).into_step().is_ok());
    let long = format!("/var/lib/mini-docker/overlay2/{}/diff", "f".repeat(64));
    let error = mount_with(120, &long).into_step().err().unwrap();
    insta::assert_snapshot!(error.to_string());
}

#[test]
fn read_only_view_has_no_upper_and_no_work_dir() {
    let root = testkit::TempRoot::new();
    let store = LayerStore::open(root.path()).unwrap();
    let base = store.create_layer("base", None).unwrap();
    let fs = ContainerFs::create(&store, "c0ffee", &Lower::Image(base), "web").unwrap();
    let view = fs.view_plan().options();
    fs.remove();
    insta::assert_snapshot!(stable_links(&view), @"lowerdir=c0ffee/diff:l/L1:l/L2");
}

/// The upper directory of seed 001's walkthrough, as `upper::entries` lists it.
fn walkthrough_upper() -> Vec<UpperEntry> {
    let entry = |path: &str, kind| UpperEntry {
        path: path.to_owned(),
        kind,
    };
    vec![
        entry("/bin", EntryKind::Directory { opaque: false }),
        entry("/bin/vi", EntryKind::Whiteout),
        entry("/etc", EntryKind::Directory { opaque: false }),
        entry("/etc/passwd", EntryKind::File { size: 115 }),
        entry("/hello.txt", EntryKind::File { size: 6 }),
        entry("/.profile", EntryKind::Whiteout),
        entry(
            "/sbin/init",
            EntryKind::Symlink {
                target: "/bin/busybox".into(),
            },
        ),
        entry("/var", EntryKind::Directory { opaque: false }),
        entry("/var/log", EntryKind::Directory { opaque: true }),
        entry("/var/log/new.log", EntryKind::File { size: 0 }),
    ]
}

#[test]
fn whiteouts_become_marker_files_in_a_layer_tar() {
    let lines: Vec<String> = walkthrough_upper()
        .iter()
        .map(|entry| {
            format!(
                "{:<60} => {}",
                entry.to_string(),
                tar_paths(&entry.path, &entry.kind).join(", ")
            )
        })
        .collect();
    insta::assert_snapshot!(lines.join("\n"));
}

#[test]
fn marker_files_become_whiteouts_in_overlay_form() {
    let names = [
        "passwd",
        ".wh.vi",
        ".wh..profile",
        ".wh..wh..opq",
        ".wh..wh.plnk",
        ".wh.",
        ".wh..",
        ".wh...",
        "..wh.x",
    ];
    let lines: Vec<String> = names
        .iter()
        .map(|name| match overlay_form(OsStr::new(name)) {
            Ok(form) => format!("{name:<14} => {form}"),
            Err(refused) => format!("{name:<14} => refused: {refused}"),
        })
        .collect();
    insta::assert_snapshot!(lines.join("\n"));
}

#[test]
fn tar_names_are_read_below_the_target() {
    let names = [
        "etc/passwd",
        "./etc/passwd",
        "/etc/passwd",
        "etc//passwd",
        "./",
        "../etc/passwd",
        "usr/../../etc/passwd",
        "usr/lib/..",
    ];
    let lines: Vec<String> = names
        .iter()
        .map(|name| match entry_components(Path::new(name)) {
            Ok(parts) if parts.is_empty() => format!("{name:<22} => the target itself"),
            Ok(parts) => {
                let parts: Vec<String> = parts
                    .iter()
                    .map(|p| p.to_string_lossy().into_owned())
                    .collect();
                format!("{name:<22} => {}", parts.join(" / "))
            }
            Err(refused) => format!("{name:<22} => refused: {refused}"),
        })
        .collect();
    insta::assert_snapshot!(lines.join("\n"));
}

#[test]
fn docker_diff_of_the_walkthrough() {
    // The busybox image below, as far as the walkthrough touches it.
    let lower = [
        "/bin",
        "/bin/sh",
        "/bin/vi",
        "/etc",
        "/etc/passwd",
        "/.profile",
        "/sbin",
        "/var",
        "/var/log",
        "/var/log/old.log",
        "/var/log/older.log",
    ];
    let in_lower = |path: &str| lower.contains(&path);
    let children = |dir: &str| -> Vec<String> {
        let prefix = format!("{dir}/");
        lower
            .iter()
            .filter(|p| {
                p.strip_prefix(&prefix)
                    .is_some_and(|rest| !rest.contains('/'))
            })
            .map(|p| p.to_string())
            .collect()
    };
    let changes = chapter05::diff::changes_of(&walkthrough_upper(), in_lower, children);
    let lines: Vec<String> = changes.iter().map(ToString::to_string).collect();
    insta::assert_snapshot!(lines.join("\n"));
}
