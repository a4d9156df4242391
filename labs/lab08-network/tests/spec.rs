//! Lab 8 spec — DO NOT MODIFY. Points per test are in points.toml.
// In a test, a failed unwrap is a failed test with its reason: exactly what we want.
#![allow(clippy::unwrap_used)]

use std::net::Ipv4Addr;

use lab08::{
    choose_subnet, default_pool, mac_for, mac_text, plan_endpoint, routes_from_proc, veth_name,
    BridgeConfig, Ipv4Net, LinkStep, Side,
};

/// A full container id, as `create` makes them: 64 hex digits.
const WEB: &str = "1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b1c2d3e4f5a6b7c8d9e0f1a2b";
const DB: &str = "f00dcafe98765432f00dcafe98765432f00dcafe98765432f00dcafe98765432";
const CACHE: &str = "0c3e7a1d52f4a9b8c7d6e5f4a3b2c1d0e9f8a7b6c5d4e3f2a1b0c9d8e7f6a5b4";

fn net(text: &str) -> Ipv4Net {
    text.parse().unwrap()
}

fn nets(texts: &[&str]) -> Vec<Ipv4Net> {
    texts.iter().map(|text| net(text)).collect()
}

/// The default route, `0.0.0.0/0` (its prefix is too short for `parse`).
fn default_route() -> Ipv4Net {
    Ipv4Net::new(Ipv4Addr::UNSPECIFIED, 0).unwrap()
}

/// Subnets as text: `[172.17.0.0/16, 10.0.0.0/8]`, or `default_pool()` for docker's pool.
fn shown(nets: &[Ipv4Net]) -> String {
    if nets == default_pool() {
        return "default_pool()".to_owned();
    }
    let texts: Vec<String> = nets.iter().map(ToString::to_string).collect();
    format!("[{}]", texts.join(", "))
}

/// Asserts that `choose_subnet(pool, in_use)` is `expected` (a subnet as text, or `None`).
fn check_choice(pool: &[Ipv4Net], in_use: &[Ipv4Net], expected: Option<&str>) {
    let chosen = choose_subnet(pool, in_use).map(|net| net.to_string());
    assert_eq!(
        chosen.as_deref(),
        expected,
        "choose_subnet(pool {}, in use {})",
        shown(pool),
        shown(in_use)
    );
}

/// A plan as the `ip` commands it stands for, one per step.
fn lines(steps: &[LinkStep]) -> Vec<String> {
    steps.iter().map(ToString::to_string).collect()
}

/// The same, one per line, for failure messages.
fn commands(steps: &[LinkStep]) -> String {
    lines(steps).join("\n")
}

/// Asserts that `plan` is `expected`: first as commands (easier to read when they differ),
/// then field by field.
fn check_plan(plan: &[LinkStep], expected: &[LinkStep]) {
    assert_eq!(
        lines(plan),
        lines(expected),
        "\nyour plan:\n{}\nexpected:\n{}\n",
        commands(plan),
        commands(expected)
    );
    assert_eq!(plan, expected, "\n{}\n", commands(plan));
}

#[test]
fn task1_veth_names() {
    let table = [
        (WEB, "veth1a2b3c4"),
        (DB, "vethf00dcaf"),
        // A short id, as `ps` shows it.
        ("0c3e7a1d52f4", "veth0c3e7a1"),
        ("1234567", "veth1234567"),
        ("abc", "vethabc"),
    ];
    for (id, name) in table {
        assert_eq!(veth_name(id), name, "the veth of container {id}");
    }
    for id in [WEB, DB, CACHE, "f".repeat(64).as_str()] {
        let name = veth_name(id);
        // IFNAMSIZ is 16 with the terminating NUL: the kernel refuses a longer name.
        assert!(name.len() <= 15, "{name:?} is longer than 15 bytes");
        assert!(
            name.starts_with("veth") && id.starts_with(&name[4..]),
            "{name:?}"
        );
    }
}

#[test]
fn task2_macs_carry_the_address() {
    let table = [
        (
            Ipv4Addr::new(172, 18, 0, 2),
            [0x02, 0x42, 0xac, 0x12, 0x00, 0x02],
        ),
        (
            Ipv4Addr::new(172, 17, 0, 1),
            [0x02, 0x42, 0xac, 0x11, 0x00, 0x01],
        ),
        (Ipv4Addr::new(10, 20, 30, 77), [0x02, 0x42, 10, 20, 30, 77]),
        (
            Ipv4Addr::new(192, 168, 240, 254),
            [0x02, 0x42, 192, 168, 240, 254],
        ),
    ];
    for (address, mac) in table {
        assert_eq!(mac_for(address), mac, "the MAC of {address}");
    }
    assert_eq!(
        mac_text(&mac_for(Ipv4Addr::new(172, 18, 1, 10))),
        "02:42:ac:12:01:0a"
    );

    // Every address of a /24 gets a MAC of its own, locally administered (bit 1 of the first
    // byte set) and unicast (bit 0 clear).
    let macs: Vec<[u8; 6]> = (1..=254)
        .map(|last| mac_for(Ipv4Addr::new(172, 18, 3, last)))
        .collect();
    for (i, mac) in macs.iter().enumerate() {
        assert_eq!(mac[0] & 0b11, 0b10, "{}", mac_text(mac));
        assert!(!macs[i + 1..].contains(mac), "{} twice", mac_text(mac));
    }
}

/// `/proc/net/route` of a laptop with docker: a default route and its LAN on wlan0, docker's
/// own bridge on docker0.
const LAPTOP_ROUTES: &str = "\
Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT
wlan0\t00000000\t0101A8C0\t0003\t0\t0\t600\t00000000\t0\t0\t0
wlan0\t0001A8C0\t00000000\t0001\t0\t0\t600\t00FFFFFF\t0\t0\t0
docker0\t000011AC\t00000000\t0001\t0\t0\t0\t0000FFFF\t0\t0\t0
";

#[test]
fn task3_the_first_free_subnet_of_the_pool() {
    let pool = default_pool();
    // Nothing in use: docker's first choice.
    check_choice(&pool, &[], Some("172.17.0.0/16"));

    // The laptop: docker0 has 172.17.0.0/16; the LAN is far away.
    let routes = routes_from_proc(LAPTOP_ROUTES);
    assert_eq!(routes, nets(&["192.168.1.0/24", "172.17.0.0/16"]));
    check_choice(&pool, &routes, Some("172.18.0.0/16"));

    // docker0 and the bridge of another state root of ours.
    let in_use = nets(&["172.17.0.0/16", "172.18.0.0/16", "192.168.1.0/24"]);
    check_choice(&pool, &in_use, Some("172.19.0.0/16"));

    // Routes are not in the pool's order.
    let in_use = nets(&["172.19.0.0/16", "172.17.0.0/16"]);
    check_choice(&pool, &in_use, Some("172.18.0.0/16"));
}

#[test]
fn task3_overlaps_either_way_block_a_candidate() {
    let pool = default_pool();
    // A wide route swallows many candidates: 172.16.0.0/12 is 172.16.x.x to 172.31.x.x.
    let in_use = nets(&["172.16.0.0/12"]);
    check_choice(&pool, &in_use, Some("192.168.0.0/20"));

    // A narrow route inside a candidate blocks it just as well.
    let in_use = nets(&["172.17.5.0/24"]);
    check_choice(&pool, &in_use, Some("172.18.0.0/16"));
    let in_use = nets(&["172.16.0.0/12", "192.168.4.0/24"]);
    check_choice(&pool, &in_use, Some("192.168.16.0/20"));

    // A company VPN's 10.0.0.0/8 is nowhere near docker's pool...
    let in_use = nets(&["10.0.0.0/8"]);
    check_choice(&pool, &in_use, Some("172.17.0.0/16"));
    // ... but swallows every candidate of a pool of 10.x subnets.
    let pool = nets(&["10.1.0.0/16", "10.200.0.0/24", "192.168.100.0/24"]);
    check_choice(&pool, &in_use, Some("192.168.100.0/24"));

    // Neighbours are not overlaps: 172.16.255.0/24 ends where 172.17.0.0/16 begins.
    let pool = default_pool();
    let in_use = nets(&["172.16.255.0/24", "172.18.0.0/15"]);
    check_choice(&pool, &in_use, Some("172.17.0.0/16"));
    let pool = nets(&["192.168.0.0/20", "192.168.16.0/20"]);
    let in_use = nets(&["192.168.15.0/24"]);
    check_choice(&pool, &in_use, Some("192.168.16.0/20"));
}

#[test]
fn task3_the_pools_order_decides() {
    let pool = nets(&["10.9.0.0/16", "10.5.0.0/16", "10.1.0.0/16"]);
    check_choice(&pool, &[], Some("10.9.0.0/16"));
    let in_use = nets(&["10.9.0.0/16"]);
    check_choice(&pool, &in_use, Some("10.5.0.0/16"));
    let in_use = nets(&["10.5.3.0/24", "10.9.0.0/16"]);
    check_choice(&pool, &in_use, Some("10.1.0.0/16"));
}

#[test]
fn task3_no_subnet_left() {
    let pool = default_pool();
    check_choice(&[], &[], None);
    check_choice(&[], &nets(&["172.17.0.0/16"]), None);

    // Every candidate of docker's pool taken.
    let in_use = nets(&["172.16.0.0/12", "192.168.0.0/16"]);
    check_choice(&pool, &in_use, None);
    let everything_high = Ipv4Net::new(Ipv4Addr::new(128, 0, 0, 0), 1).unwrap();
    check_choice(&pool, &[everything_high], None);
    // Its other half holds none of them.
    let everything_low = Ipv4Net::new(Ipv4Addr::UNSPECIFIED, 1).unwrap();
    check_choice(&pool, &[everything_low], Some("172.17.0.0/16"));

    // The default route overlaps every subnet there is: that is why `routes_from_proc`
    // leaves it out of the routes in use.
    check_choice(&pool, &[default_route()], None);
    assert!(!routes_from_proc(LAPTOP_ROUTES).contains(&default_route()));
}

/// chapter 8's default bridge.
fn mini0() -> BridgeConfig {
    BridgeConfig {
        name: "mini0".to_owned(),
        subnet: net("172.18.0.0/16"),
        gateway: Ipv4Addr::new(172, 18, 0, 1),
        mtu: 1500,
    }
}

/// A bridge on a /24, with a smaller MTU (a host behind a tunnel).
fn lab_bridge() -> BridgeConfig {
    BridgeConfig {
        name: "br-lab".to_owned(),
        subnet: net("10.20.30.0/24"),
        gateway: Ipv4Addr::new(10, 20, 30, 1),
        mtu: 1450,
    }
}

#[test]
fn task4_a_container_on_a_16_bridge() {
    let plan = plan_endpoint(&mini0(), WEB, Ipv4Addr::new(172, 18, 0, 2));
    let expected = vec![
        LinkStep::CreateVeth {
            host: "veth1a2b3c4".to_owned(),
            master: "mini0".to_owned(),
            mtu: 1500,
            peer: "eth0".to_owned(),
            peer_mac: [0x02, 0x42, 0xac, 0x12, 0x00, 0x02],
        },
        LinkStep::AddAddress {
            side: Side::Container,
            device: "eth0".to_owned(),
            address: Ipv4Addr::new(172, 18, 0, 2),
            prefix_len: 16,
        },
        LinkStep::LinkUp {
            side: Side::Container,
            device: "eth0".to_owned(),
        },
        LinkStep::AddDefaultRoute {
            gateway: Ipv4Addr::new(172, 18, 0, 1),
        },
    ];
    check_plan(&plan, &expected);
}

#[test]
fn task4_a_container_on_a_24_bridge() {
    let plan = plan_endpoint(&lab_bridge(), DB, Ipv4Addr::new(10, 20, 30, 77));
    let expected = vec![
        LinkStep::CreateVeth {
            host: "vethf00dcaf".to_owned(),
            master: "br-lab".to_owned(),
            mtu: 1450,
            peer: "eth0".to_owned(),
            peer_mac: [0x02, 0x42, 10, 20, 30, 77],
        },
        LinkStep::AddAddress {
            side: Side::Container,
            device: "eth0".to_owned(),
            address: Ipv4Addr::new(10, 20, 30, 77),
            prefix_len: 24,
        },
        LinkStep::LinkUp {
            side: Side::Container,
            device: "eth0".to_owned(),
        },
        LinkStep::AddDefaultRoute {
            gateway: Ipv4Addr::new(10, 20, 30, 1),
        },
    ];
    check_plan(&plan, &expected);
}

/// Asserts that `plan`, as `ip` commands, is `expected`, line by line.
fn check_commands(plan: &[LinkStep], expected: &[&str]) {
    assert_eq!(
        lines(plan),
        expected,
        "\nyour plan:\n{}\nexpected:\n{}\n",
        commands(plan),
        expected.join("\n")
    );
}

#[test]
fn task4_the_plan_as_ip_commands() {
    let plan = plan_endpoint(&mini0(), WEB, Ipv4Addr::new(172, 18, 0, 2));
    check_commands(
        &plan,
        &[
            "ip link add veth1a2b3c4 mtu 1500 master mini0 up type veth peer name eth0 address 02:42:ac:12:00:02 mtu 1500 netns CONTAINER",
            "ip -n CONTAINER addr add 172.18.0.2/16 dev eth0",
            "ip -n CONTAINER link set eth0 up",
            "ip -n CONTAINER route add default via 172.18.0.1",
        ],
    );

    // A /20 of docker's pool, jumbo frames.
    let bridge = BridgeConfig {
        name: "mini1".to_owned(),
        subnet: net("192.168.16.0/20"),
        gateway: Ipv4Addr::new(192, 168, 16, 1),
        mtu: 9000,
    };
    let plan = plan_endpoint(&bridge, CACHE, Ipv4Addr::new(192, 168, 17, 3));
    check_commands(
        &plan,
        &[
            "ip link add veth0c3e7a1 mtu 9000 master mini1 up type veth peer name eth0 address 02:42:c0:a8:11:03 mtu 9000 netns CONTAINER",
            "ip -n CONTAINER addr add 192.168.17.3/20 dev eth0",
            "ip -n CONTAINER link set eth0 up",
            "ip -n CONTAINER route add default via 192.168.16.1",
        ],
    );
}

#[test]
fn task4_every_value_comes_from_its_source() {
    // A gateway that is not the subnet's first address (docker's `--gateway` allows it),
    // and MTUs docker's default is not.
    let odd = BridgeConfig {
        name: "odd0".to_owned(),
        subnet: net("10.99.0.0/22"),
        gateway: Ipv4Addr::new(10, 99, 3, 254),
        mtu: 1280,
    };
    let cases = [
        (mini0(), WEB, Ipv4Addr::new(172, 18, 200, 9)),
        (lab_bridge(), CACHE, Ipv4Addr::new(10, 20, 30, 254)),
        (odd.clone(), DB, Ipv4Addr::new(10, 99, 1, 1)),
        (odd, "deadbeef", Ipv4Addr::new(10, 99, 2, 200)),
    ];
    for (bridge, id, address) in cases {
        let plan = plan_endpoint(&bridge, id, address);
        let shown = commands(&plan);
        let [a, b, c, d] = address.octets();
        match plan.as_slice() {
            [LinkStep::CreateVeth {
                host,
                master,
                mtu,
                peer,
                peer_mac,
            }, LinkStep::AddAddress {
                side: Side::Container,
                device,
                address: on_eth0,
                prefix_len,
            }, LinkStep::LinkUp {
                side: Side::Container,
                device: up,
            }, LinkStep::AddDefaultRoute { gateway }] => {
                assert_eq!(*host, format!("veth{}", &id[..7]), "host end\n{shown}");
                assert_eq!(*master, bridge.name, "bridge\n{shown}");
                assert_eq!(*mtu, bridge.mtu, "MTU\n{shown}");
                assert_eq!(peer, "eth0", "container end\n{shown}");
                assert_eq!(*peer_mac, [0x02, 0x42, a, b, c, d], "MAC\n{shown}");
                assert_eq!(device, "eth0", "address on\n{shown}");
                assert_eq!(*on_eth0, address, "address\n{shown}");
                assert_eq!(*prefix_len, bridge.subnet.prefix_len(), "prefix\n{shown}");
                assert_eq!(up, "eth0", "link up\n{shown}");
                assert_eq!(*gateway, bridge.gateway, "gateway\n{shown}");
            }
            _ => panic!(
                "expected veth, address and link up in the container, default route; got\n{shown}"
            ),
        }
    }
}

#[test]
fn task4_two_containers_share_the_bridge() {
    let bridge = mini0();
    let web = plan_endpoint(&bridge, WEB, Ipv4Addr::new(172, 18, 0, 2));
    let db = plan_endpoint(&bridge, DB, Ipv4Addr::new(172, 18, 0, 3));
    // A plan is a pure function of its arguments.
    assert_eq!(
        web,
        plan_endpoint(&bridge, WEB, Ipv4Addr::new(172, 18, 0, 2))
    );
    assert_eq!(web.len(), 4, "{}", commands(&web));
    assert_eq!(db.len(), 4, "{}", commands(&db));
    // Both end up on the same bridge with the same way out, each with a name, a MAC and an
    // address of its own; neither makes the bridge (that is `plan_bridge`'s job, once).
    assert_ne!(web[0], db[0]);
    assert_ne!(web[1], db[1]);
    assert_eq!(web[2], db[2]);
    assert_eq!(web[3], db[3]);
    for step in web.iter().chain(&db) {
        assert!(
            !matches!(
                step,
                LinkStep::CreateBridge { .. } | LinkStep::RouteLocalnet { .. }
            ),
            "{step}"
        );
    }
    let names: Vec<String> = [&web, &db]
        .iter()
        .map(|plan| match &plan[0] {
            LinkStep::CreateVeth { host, master, .. } => format!("{host}@{master}"),
            other => panic!("first step: {other}"),
        })
        .collect();
    assert_eq!(names, ["veth1a2b3c4@mini0", "vethf00dcaf@mini0"]);
}
