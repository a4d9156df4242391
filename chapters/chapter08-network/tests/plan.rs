//! Chapter 8's plans, without root: the bridge and a container's links as `ip` commands,
//! the nftables scripts, the name files, and the `plan` demo as the book's transcript.
// In a test, a failed unwrap is a failed test with its reason: exactly what we want.
#![allow(clippy::unwrap_used)]

use std::net::Ipv4Addr;
use std::process::Command;

use chapter08::firewall::{base_rules, publish_rules, unpublish_rules};
use chapter08::namefiles::{hosts, resolv, LinkEntry};
use chapter08::plan::{plan_bridge, plan_endpoint, BridgeConfig};
use chapter08::ports::parse_publish;

fn bridge() -> BridgeConfig {
    let subnet: chapter08::subnet::Ipv4Net = "172.18.0.0/16".parse().unwrap();
    BridgeConfig {
        name: "mini0".into(),
        gateway: subnet.gateway().unwrap(),
        subnet,
        mtu: 1500,
    }
}

fn lines(steps: &[chapter08::plan::LinkStep]) -> String {
    steps.iter().map(|step| format!("{step}\n")).collect()
}

#[test]
fn bridge_and_endpoint_plans_as_ip_commands() {
    let id = "3f2a9c1d5e6f00112233445566778899aabbccddeeff00112233445566778899";
    let text = format!(
        "{}---\n{}",
        lines(&plan_bridge(&bridge())),
        lines(&plan_endpoint(&bridge(), id, Ipv4Addr::new(172, 18, 0, 2)))
    );
    insta::assert_snapshot!("ip_commands", text);
}

#[test]
fn firewall_scripts() {
    let id = "3f2a9c1d5e6f00112233445566778899aabbccddeeff00112233445566778899";
    let ports = [
        (parse_publish("18080:80").unwrap(), 18080),
        (parse_publish("127.0.0.1::53/udp").unwrap(), 41234),
    ];
    let text = format!(
        "{}---\n{}---\n{}",
        base_rules(&bridge()),
        publish_rules("mini0", id, Ipv4Addr::new(172, 18, 0, 2), &ports),
        unpublish_rules("mini0", id, &ports)
    );
    insta::assert_snapshot!("nft_scripts", text);
}

#[test]
fn name_files() {
    let links = [LinkEntry {
        address: Ipv4Addr::new(172, 18, 0, 2),
        alias: "insideweb".into(),
        short_id: "3f2a9c1d5e6f".into(),
        name: "web".into(),
    }];
    let extra = [("db.example".to_owned(), "192.0.2.10".to_owned())];
    let text = format!(
        "{}---\n{}---\n{}",
        hosts("agent", Some(Ipv4Addr::new(172, 18, 0, 4)), &links, &extra),
        resolv(
            "nameserver 127.0.0.53\noptions edns0 trust-ad\nsearch example.org\n",
            &[]
        ),
        resolv("nameserver 10.0.0.1\n", &["9.9.9.9".into()])
    );
    insta::assert_snapshot!("name_files", text);
}

/// `cargo run -p chapter08 -- plan`, for the book.
#[test]
fn plan_demo_transcript() {
    let output = Command::new(env!("CARGO_BIN_EXE_chapter08"))
        .arg("plan")
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    let mut session = testkit::Session::new();
    session.record("chapter08 plan", &output);
    session.assert_matches_book("ch08-plan");
}
