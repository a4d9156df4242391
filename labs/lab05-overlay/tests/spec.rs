//! Lab 5 spec — DO NOT MODIFY. Points per test are in points.toml.
// In a test, a failed unwrap is a failed test with its reason: exactly what we want.
#![allow(clippy::unwrap_used)]

use lab05::{
    entry_components, overlay_form, plan_pack, plan_unpack, tar_paths, Action, EntryKind,
    OverlayForm,
};

const DIR: EntryKind = EntryKind::Directory { opaque: false };
const OPAQUE: EntryKind = EntryKind::Directory { opaque: true };

fn strings(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| s.to_string()).collect()
}

fn create(path: &str) -> Action {
    Action::Create(path.to_owned())
}

fn whiteout(path: &str) -> Action {
    Action::Whiteout(path.to_owned())
}

fn opaque(path: &str) -> Action {
    Action::Opaque(path.to_owned())
}

/// The upper directory of seed 001's walkthrough (`rm /bin/vi /.profile`, a new
/// `/hello.txt`, `/var/log` deleted and made again, ...), in walk order.
const WALKTHROUGH: [(&str, EntryKind); 10] = [
    ("/bin", DIR),
    ("/bin/vi", EntryKind::Whiteout),
    ("/etc", DIR),
    ("/etc/passwd", EntryKind::File),
    ("/hello.txt", EntryKind::File),
    ("/.profile", EntryKind::Whiteout),
    ("/sbin/init", EntryKind::Symlink),
    ("/var", DIR),
    ("/var/log", OPAQUE),
    ("/var/log/new.log", EntryKind::File),
];

#[test]
fn task1_whiteouts_become_wh_files() {
    let table = [
        ("/bin/vi", "bin/.wh.vi"),
        ("/top", ".wh.top"),
        ("/.profile", ".wh..profile"),
        ("/usr/local/bin/tool", "usr/local/bin/.wh.tool"),
        ("/etc/ssl/certs", "etc/ssl/.wh.certs"),
        ("etc/hosts", "etc/.wh.hosts"),
    ];
    for (path, name) in table {
        assert_eq!(
            tar_paths(path, EntryKind::Whiteout),
            strings(&[name]),
            "{path}"
        );
    }
}

#[test]
fn task1_opaque_directories_get_a_marker_other_entries_keep_their_name() {
    assert_eq!(
        tar_paths("/var/log", OPAQUE),
        strings(&["var/log", "var/log/.wh..wh..opq"])
    );
    assert_eq!(
        tar_paths("/tmp", OPAQUE),
        strings(&["tmp", "tmp/.wh..wh..opq"])
    );
    let table = [
        ("/var", DIR, "var"),
        ("/usr/share/doc", DIR, "usr/share/doc"),
        ("/etc/passwd", EntryKind::File, "etc/passwd"),
        ("/hello.txt", EntryKind::File, "hello.txt"),
        ("/sbin/init", EntryKind::Symlink, "sbin/init"),
        ("/lib64", EntryKind::Symlink, "lib64"),
        ("etc/hostname", EntryKind::File, "etc/hostname"),
    ];
    for (path, kind, name) in table {
        assert_eq!(tar_paths(path, kind), strings(&[name]), "{path} {kind:?}");
    }
}

#[test]
fn task2_ordinary_names_and_whiteouts() {
    let table = [
        ("passwd", OverlayForm::Entry),
        (".profile", OverlayForm::Entry),
        ("..wh.x", OverlayForm::Entry),
        ("wh.x", OverlayForm::Entry),
        (".wh", OverlayForm::Entry),
        ("a.wh.b", OverlayForm::Entry),
        (".wh.vi", OverlayForm::Whiteout("vi".into())),
        (".wh..profile", OverlayForm::Whiteout(".profile".into())),
        (".wh.x.wh.", OverlayForm::Whiteout("x.wh.".into())),
        (".wh....", OverlayForm::Whiteout("...".into())),
        (".wh..wh", OverlayForm::Whiteout(".wh".into())),
    ];
    for (name, form) in table {
        assert_eq!(overlay_form(name), Ok(form), "{name:?}");
    }
}

#[test]
fn task2_opaque_markers_and_aufs_metadata() {
    assert_eq!(overlay_form(".wh..wh..opq"), Ok(OverlayForm::Opaque));
    for name in [
        ".wh..wh.plnk",
        ".wh..wh.aufs",
        ".wh..wh.",
        ".wh..wh..opq2",
        ".wh..wh.orph",
    ] {
        assert_eq!(overlay_form(name), Ok(OverlayForm::Metadata), "{name:?}");
    }
}

#[test]
fn task2_whiteouts_that_name_no_entry_are_refused() {
    for name in [".wh.", ".wh..", ".wh..."] {
        let error = overlay_form(name).unwrap_err();
        assert!(error.contains("whiteout"), "{name:?}: {error}");
        assert!(error.contains(&format!("\"{name}\"")), "{name:?}: {error}");
    }
}

#[test]
fn task3_names_are_read_below_the_target() {
    let table: [(&str, &[&str]); 14] = [
        ("etc/passwd", &["etc", "passwd"]),
        ("./etc/passwd", &["etc", "passwd"]),
        ("/etc/passwd", &["etc", "passwd"]),
        ("etc//passwd", &["etc", "passwd"]),
        ("etc/./passwd", &["etc", "passwd"]),
        ("usr/lib/", &["usr", "lib"]),
        ("bin", &["bin"]),
        ("...", &["..."]),
        ("a/..b/c..d", &["a", "..b", "c..d"]),
        (".wh.vi", &[".wh.vi"]),
        ("var/log/.wh..wh..opq", &["var", "log", ".wh..wh..opq"]),
        ("./", &[]),
        (".", &[]),
        ("/", &[]),
    ];
    for (name, components) in table {
        assert_eq!(entry_components(name), Ok(strings(components)), "{name:?}");
    }
}

#[test]
fn task3_parent_components_are_refused() {
    for name in [
        "..",
        "../etc/passwd",
        "usr/../../etc/passwd",
        "usr/lib/..",
        "a/b/../c",
        "/../etc/shadow",
        "./../x",
    ] {
        let error = entry_components(name).unwrap_err();
        assert!(error.contains(".."), "{name:?}: {error}");
    }
}

#[test]
fn task4_unpack_a_layer() {
    let names = [
        "./",
        "bin/",
        "bin/.wh.vi",
        "etc/",
        "etc/passwd",
        ".wh..profile",
        "var/log/",
        "var/log/.wh..wh..opq",
        "var/log/new.log",
        ".wh..wh.plnk",
        "usr/lib/.wh..wh.plnk/",
        "/abs/file",
        "./rel//file",
        ".wh..wh..opq",
    ];
    let actions = vec![
        Action::Skip,
        create("bin"),
        whiteout("bin/vi"),
        create("etc"),
        create("etc/passwd"),
        whiteout(".profile"),
        create("var/log"),
        opaque("var/log"),
        create("var/log/new.log"),
        Action::Skip,
        Action::Skip,
        create("abs/file"),
        create("rel/file"),
        opaque("."),
    ];
    assert_eq!(plan_unpack(&names), Ok(actions));
    assert_eq!(plan_unpack(&[]), Ok(vec![]));
}

#[test]
fn task4_unpack_stops_at_the_first_bad_entry() {
    let error = plan_unpack(&["etc/passwd", "../etc/shadow", "bin/.wh."]).unwrap_err();
    assert!(
        error.starts_with("layer entry \"../etc/shadow\": "),
        "{error}"
    );
    assert!(error.contains(".."), "{error}");

    let error = plan_unpack(&["etc/", "etc/.wh...", "../x"]).unwrap_err();
    assert!(error.starts_with("layer entry \"etc/.wh...\": "), "{error}");
    assert!(error.contains("whiteout"), "{error}");

    let error = plan_unpack(&["./", ".wh."]).unwrap_err();
    assert!(error.starts_with("layer entry \".wh.\": "), "{error}");
    assert!(error.contains("whiteout"), "{error}");
}

#[test]
fn task4_pack_an_upper_directory() {
    assert_eq!(
        plan_pack(&WALKTHROUGH),
        Ok(strings(&[
            "bin",
            "bin/.wh.vi",
            "etc",
            "etc/passwd",
            "hello.txt",
            ".wh..profile",
            "sbin/init",
            "var",
            "var/log",
            "var/log/.wh..wh..opq",
            "var/log/new.log",
        ]))
    );
    assert_eq!(plan_pack(&[]), Ok(vec![]));
    let refused = [
        ("/etc/.wh.secret", EntryKind::File),
        ("/.wh..wh..opq", EntryKind::File),
        ("/srv/.wh.d", DIR),
        ("/.wh.link", EntryKind::Symlink),
    ];
    for (path, kind) in refused {
        let entries = [("/etc", DIR), ("/etc/ok", EntryKind::File), (path, kind)];
        let error = plan_pack(&entries).unwrap_err();
        assert!(error.contains(path), "{path}: {error}");
    }
}

#[test]
fn task4_pack_then_unpack_gives_the_upper_directory_back() {
    let names = plan_pack(&WALKTHROUGH).unwrap();
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    assert_eq!(
        plan_unpack(&names),
        Ok(vec![
            create("bin"),
            whiteout("bin/vi"),
            create("etc"),
            create("etc/passwd"),
            create("hello.txt"),
            whiteout(".profile"),
            create("sbin/init"),
            create("var"),
            create("var/log"),
            opaque("var/log"),
            create("var/log/new.log"),
        ])
    );
}
