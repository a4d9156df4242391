//! Snapshots of chapter 2's pure parts: which clone flags and child steps an option set gives.
// In a test, a failed unwrap is a failed test with its reason: exactly what we want.
#![allow(clippy::unwrap_used)]

use chapter02::steps::WaitForGate;
use chapter02::{Isolation, NamespaceSet};

fn describe(list: &str, hostname: Option<&str>) -> String {
    let isolation = Isolation {
        namespaces: list.parse::<NamespaceSet>().unwrap(),
        hostname: hostname.map(str::to_owned),
        id_map: chapter02::IdMap {
            inside: 0,
            outside: 100_000,
            count: 65_536,
        },
    };
    let gate = WaitForGate {
        read_end: -1,
        write_end: -1,
    };
    let steps: Vec<String> = isolation
        .steps(gate)
        .iter()
        .map(|s| format!("    {s}"))
        .collect();
    format!(
        "--ns {list}\n  flags: {:?}\n  steps:\n{}",
        isolation.namespaces.clone_flags(),
        steps.join("\n")
    )
}

#[test]
fn flags_and_steps_for_a_table_of_option_sets() {
    let table = [
        describe("none", None),
        describe("uts", Some("web")),
        describe("pid", None),
        describe("uts,pid,mnt", Some("web")),
        describe("net", None),
        describe("cgroup,ipc,mnt,net,pid,uts", Some("box")),
        describe("all", Some("box")),
    ];
    insta::assert_snapshot!(table.join("\n\n"));
}

#[test]
fn a_hostname_without_a_uts_namespace_is_refused() {
    let isolation = Isolation {
        namespaces: "pid".parse().unwrap(),
        hostname: Some("web".into()),
        id_map: chapter02::IdMap::root_to_unprivileged_range(),
    };
    let error = isolation.validate().unwrap_err();
    assert_eq!(error.exit_code(), 125);
    insta::assert_snapshot!(error.to_string());
}

#[test]
fn hostnames_are_checked() {
    for bad in ["", "has space", &"x".repeat(65), "semi;colon"] {
        let isolation = Isolation::container(bad);
        assert!(isolation.validate().is_err(), "{bad:?} should be refused");
    }
    assert!(Isolation::container("web-1.example").validate().is_ok());
}
