//! The container store without root: creating, finding, renaming and removing records, and
//! cleaning up after a creator that died half-way.
// In a test, a failed unwrap is a failed test with its reason: exactly what we want.
#![allow(clippy::unwrap_used)]

use std::path::Path;

use chapter07::spec::{Config, HostConfig};
use chapter07::state::{Status, Transition};
use chapter07::store::{now, ContainerStore, Record};
use testkit::TempRoot;

fn record(id: &str, name: &str) -> Record {
    Record {
        id: id.to_owned(),
        created: now(),
        path: "true".into(),
        args: Vec::new(),
        image: String::new(),
        name: format!("/{name}"),
        config: Config::default(),
        host_config: HostConfig::default(),
        mounts: Vec::new(),
    }
}

fn id(prefix: &str) -> String {
    format!("{prefix}{}", "0".repeat(64 - prefix.len()))
}

fn add(store: &ContainerStore, prefix: &str, name: &str) -> String {
    let id = id(prefix);
    store.create(record(&id, name), || Ok(()), || {}).unwrap();
    id
}

fn visible(root: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(root.join("containers"))
        .unwrap()
        .flatten()
        .map(|entry| entry.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn containers_are_found_by_id_name_and_unique_prefix() {
    let root = TempRoot::new();
    let store = ContainerStore::open(root.path()).unwrap();
    let web = add(&store, "abc1", "web");
    let db = add(&store, "abc2", "db");
    assert_eq!(store.resolve(&web).unwrap(), web);
    assert_eq!(store.resolve("web").unwrap(), web);
    assert_eq!(store.resolve("/db").unwrap(), db);
    assert_eq!(store.resolve("abc2").unwrap(), db);
    let ambiguous = store.resolve("abc").unwrap_err().to_string();
    assert_eq!(
        ambiguous,
        "multiple containers found with provided prefix: abc (abc100000000, abc200000000)"
    );
    assert_eq!(
        store.resolve("nope").unwrap_err().to_string(),
        "No such container: nope"
    );
    assert!(store.resolve("../etc").is_err());
    // Newest first, as ps lists them.
    let listed: Vec<String> = store.list().iter().map(|c| c.name().to_owned()).collect();
    assert_eq!(listed, ["db", "web"]);
}

#[test]
fn names_are_unique_and_rename_keeps_them_so() {
    let root = TempRoot::new();
    let store = ContainerStore::open(root.path()).unwrap();
    let web = add(&store, "a", "web");
    let clash = store.create(record(&id("b"), "web"), || Ok(()), || {});
    let message = clash.unwrap_err().to_string();
    assert!(
        message.contains("\"/web\" is already in use by container"),
        "{message}"
    );
    assert!(message.contains(&web), "{message}");
    // The refused container left nothing behind.
    assert_eq!(
        visible(root.path()),
        [".names", ".names.lock", web.as_str()]
    );

    let db = add(&store, "c", "db");
    assert!(store.rename(&db, "web").is_err());
    assert_eq!(store.rename(&db, "cache").unwrap(), "db");
    assert_eq!(store.resolve("cache").unwrap(), db);
    assert!(!store.name_taken("db"));
    add(&store, "d", "db");
}

#[test]
fn a_failed_preparation_leaves_nothing_and_frees_the_name() {
    let root = TempRoot::new();
    let store = ContainerStore::open(root.path()).unwrap();
    let failed = store.create(
        record(&id("a"), "web"),
        || {
            Err(chapter07::chapter06::chapter05::chapter04::chapter03::chapter01::ContainerError::Invalid(
                "no layers today".into(),
            ))
        },
        || panic!("undo runs only after a successful prepare"),
    );
    assert_eq!(failed.unwrap_err().to_string(), "no layers today");
    assert_eq!(visible(root.path()), [".names", ".names.lock"]);
    assert!(!store.name_taken("web"));
}

#[test]
fn removal_follows_the_state_machine_unless_forced() {
    let root = TempRoot::new();
    let store = ContainerStore::open(root.path()).unwrap();
    let web = add(&store, "a", "web");
    store
        .update(&web, |container| {
            container.state.apply(Transition::Start).unwrap();
            Ok(())
        })
        .unwrap();
    // Running, but no monitor holds its lock: the store reports it dead.
    assert_eq!(store.load(&web).unwrap().state.status, Status::Dead);
    let removed = store.remove(&web, false, |_| {}).unwrap();
    assert_eq!(removed.state.status, Status::Removing);
    assert_eq!(visible(root.path()), [".names", ".names.lock"]);
    assert!(!store.name_taken("web"));
}

#[test]
fn what_a_dead_creator_or_remover_left_is_cleaned_at_the_next_open() {
    let root = TempRoot::new();
    let containers = root.path().join("containers");
    std::fs::create_dir_all(&containers).unwrap();
    for leftover in [".staging-1234", ".removing-5678"] {
        let dir = containers.join(leftover);
        std::fs::create_dir(&dir).unwrap();
        std::fs::write(dir.join("lock"), "").unwrap();
        std::fs::write(dir.join("config.json"), "{").unwrap();
    }
    // A remover killed after its last-but-one step: the lock file goes last, so what is
    // left without one is an empty directory.
    std::fs::create_dir(containers.join(".removing-4321")).unwrap();
    // One that is still being worked on: its lock is held.
    let busy = containers.join(".staging-9999");
    std::fs::create_dir(&busy).unwrap();
    let _held = chapter07::lock::FileLock::exclusive(&busy.join("lock")).unwrap();
    ContainerStore::open(root.path()).unwrap();
    assert_eq!(visible(root.path()), [".names", ".staging-9999"]);
}
