//! Seed 003, the network half: "Running software in containers" (Docker in Action, chapter 2)
//! builds a monitoring trio — `web`, a `mailer`, and an `agent` that watches web through
//! `--link web:insideweb` and tells the mailer through `--link mailer:insidemailer` when web
//! goes down — and publishes web's port with `-p`. Chapter 8 gives mini-docker what that
//! needs: a bridge per state root, a veth pair and an address per container, masquerade and
//! published ports in nftables, link aliases in `/etc/hosts`.
//!
//! The seed uses nginx and the book's own images; these tests run the same scenarios on a
//! busybox rootfs (httpd, nc, wget, ping) and check from outside what a user would see:
//! containers reach each other by address and by alias; `--network none|host|container:X`
//! see the interfaces they should; a published port answers on the host's loopback and, from
//! another network namespace, on the gateway; a container reaches an address beyond the
//! bridge with the host's address as its source. And what a user only notices when it hurts:
//! every exit, failed start, `rm` and killed monitor gives back its address (lease), its veth,
//! its firewall chain and its host port.
//!
//! Every test has its own state root (`Engine`), so its own bridge and subnet, and may run
//! beside the others. The network namespaces and veth pairs a test makes itself are removed
//! by guards, also when it fails half-way. Only the third test uses a fixed host port (18080,
//! the seed's); the rest let the kernel choose.
// In a test, a failed unwrap is a failed test with its reason: exactly what we want.
#![allow(clippy::unwrap_used)]

mod lifecycle;

use std::collections::BTreeSet;
use std::io::{Read, Write};
use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4, TcpListener, TcpStream};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use lifecycle::{
    dir_names, finish, monitors_of, process_gone, process_state, strs, wait_until, Engine, Output,
    Spawned, CLI_DEADLINE,
};
use nix::sys::signal::{kill, Signal};
use nix::unistd::Pid;
use testkit::require_root;

const SECOND: Duration = Duration::from_secs(1);

/// The seed's published port for web.
const WEB_PORT: u16 = 18080;

// ---------------------------------------------------------------------------------------
// Helpers: the host's side of the network, as the tests look at it
// ---------------------------------------------------------------------------------------

/// A program on the host (`ip`, `nft`), run to its end within [`CLI_DEADLINE`].
fn host(program: &str, args: &[&str]) -> Output {
    let mut command = Command::new(program);
    command.args(args).stdin(Stdio::null());
    finish(command, CLI_DEADLINE)
}

/// Like [`host`]; it must succeed. Returns its stdout.
fn host_ok(program: &str, args: &[&str]) -> String {
    let output = host(program, args);
    assert_eq!(output.code, 0, "{program} {args:?} failed: {output:?}");
    output.stdout
}

/// The host end of a container's veth pair: `veth` and 7 characters of its id.
fn veth(id: &str) -> String {
    format!("veth{}", &id[..7])
}

/// Whether the host (the test's network namespace) has a device named `name`.
fn device_exists(name: &str) -> bool {
    Path::new("/sys/class/net").join(name).exists()
}

/// The interface names of an `ip -o link` listing (`2: eth0@if7: <…>` gives `eth0`).
fn interfaces(listing: &str) -> Vec<String> {
    listing
        .lines()
        .filter_map(|line| line.split(": ").nth(1))
        .map(|name| name.split('@').next().unwrap_or(name).to_owned())
        .collect()
}

/// The device of the host's default route (`eth0` on most machines), from `/proc/net/route`.
fn default_route_device() -> Option<String> {
    let routes = std::fs::read_to_string("/proc/net/route").ok()?;
    routes.lines().skip(1).find_map(|line| {
        let fields: Vec<&str> = line.split_whitespace().collect();
        (fields.get(1) == Some(&"00000000")).then(|| fields[0].to_owned())
    })
}

/// A container's address, from `inspect`.
fn address_of(engine: &Engine, container: &str) -> Ipv4Addr {
    let text = engine.inspect(container, "{{.NetworkSettings.IPAddress}}");
    text.parse()
        .unwrap_or_else(|_| panic!("{container} has no IPv4 address: {text:?}"))
}

/// Calls `attempt` until it succeeds, every 100 ms; panics after `timeout` with `what` and
/// the last failure. For what needs a moment: a server starting, rules going in.
fn retry<T>(what: &str, timeout: Duration, mut attempt: impl FnMut() -> Result<T, String>) -> T {
    let end = Instant::now() + timeout;
    loop {
        match attempt() {
            Ok(value) => return value,
            Err(why) => assert!(
                Instant::now() < end,
                "timed out after {timeout:?} waiting until {what}; last: {why}"
            ),
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// One HTTP/1.0 `GET /` to `address`: the whole answer, headers and body.
fn http_get(address: SocketAddrV4) -> std::io::Result<String> {
    let mut stream = TcpStream::connect_timeout(&SocketAddr::V4(address), 2 * SECOND)?;
    stream.set_read_timeout(Some(5 * SECOND))?;
    stream.write_all(b"GET / HTTP/1.0\r\nHost: test\r\n\r\n")?;
    let mut answer = String::new();
    stream.read_to_string(&mut answer)?;
    Ok(answer)
}

/// The body of the `200` answer to `GET /` from `address`, retried until `timeout`.
fn http_body_within(address: SocketAddrV4, timeout: Duration) -> String {
    let answer = retry(
        &format!("http://{address}/ answers"),
        timeout,
        || match http_get(address) {
            Ok(answer) if answer.lines().next().is_some_and(|l| l.contains(" 200 ")) => Ok(answer),
            Ok(answer) => Err(format!("answer {answer:?}")),
            Err(error) => Err(error.to_string()),
        },
    );
    match answer.split_once("\r\n\r\n") {
        Some((_, body)) => body.to_owned(),
        None => panic!("no body in {answer:?}"),
    }
}

/// A busybox httpd in the foreground on port 80, serving `/index.html` = `text` and a newline
/// (made by the container itself: the rootfs has no web root).
fn httpd_serving(text: &str) -> String {
    format!("mkdir -p /www && echo {text} > /www/index.html && exec httpd -f -p 80 -h /www")
}

/// What a state root's bridge is, as `<root>/network/bridge.json` records it.
#[derive(Debug)]
struct Bridge {
    name: String,
    network: Ipv4Addr,
    prefix_len: u32,
    gateway: Ipv4Addr,
}

impl Bridge {
    /// The settings the first start of `engine`'s state root chose.
    fn of(engine: &Engine) -> Bridge {
        let path = engine.root().join("network/bridge.json");
        let text = std::fs::read_to_string(&path)
            .unwrap_or_else(|error| panic!("cannot read {}: {error}", path.display()));
        let json: serde_json::Value = serde_json::from_str(&text).unwrap();
        let field = |key: &str| json[key].as_str().unwrap_or_default().to_owned();
        let subnet = field("Subnet");
        let (network, prefix_len) = subnet
            .split_once('/')
            .unwrap_or_else(|| panic!("bad Subnet in {text}"));
        Bridge {
            name: field("Name"),
            network: network.parse().unwrap(),
            prefix_len: prefix_len.parse().unwrap(),
            gateway: field("Gateway").parse().unwrap(),
        }
    }

    fn mask(&self) -> u32 {
        u32::MAX.checked_shl(32 - self.prefix_len).unwrap_or(0)
    }

    fn contains(&self, address: Ipv4Addr) -> bool {
        u32::from(address) & self.mask() == u32::from(self.network)
    }

    /// The highest host address of the subnet, just below broadcast. Addresses are leased
    /// lowest first, so a test may take this one for a machine of its own.
    fn last_host(&self) -> Ipv4Addr {
        Ipv4Addr::from((u32::from(self.network) | !self.mask()) - 1)
    }

    /// The containers' chains (`c_<id12>`) in the bridge's nftables table.
    fn chains(&self) -> Vec<String> {
        let table = format!("mini_docker_{}", self.name);
        let listing = host_ok("nft", &["list", "table", "ip", &table]);
        let mut chains: Vec<String> = listing
            .lines()
            .filter_map(|line| line.trim().strip_prefix("chain "))
            .map(|rest| rest.trim_end_matches('{').trim().to_owned())
            .filter(|chain| chain.starts_with("c_"))
            .collect();
        chains.sort();
        chains
    }

    /// The devices plugged into the bridge: one veth per container on it.
    fn ports(&self) -> Vec<String> {
        dir_names(format!("/sys/class/net/{}/brif", self.name))
    }
}

/// What the containers of a state root hold in the network. Every one of these must go
/// when a container stops, fails to start or is removed.
#[derive(Debug, Default, PartialEq, Eq)]
struct Held {
    /// Devices on the bridge (`/sys/class/net/<bridge>/brif/`).
    bridge_ports: Vec<String>,
    /// Lease files `<root>/network/leases/<address>`.
    leases: Vec<String>,
    /// Undo scripts of published ports, `<root>/network/published/<id>`.
    published: Vec<String>,
    /// Chains `c_<id12>` in the bridge's table.
    chains: Vec<String>,
}

fn held(engine: &Engine, bridge: &Bridge) -> Held {
    let network = engine.root().join("network");
    Held {
        bridge_ports: bridge.ports(),
        leases: dir_names(network.join("leases")),
        published: dir_names(network.join("published")),
        chains: bridge.chains(),
    }
}

/// Waits until the containers of `engine` hold exactly `expected`; panics showing the
/// difference after `timeout` (a monitor may still be taking its container down).
fn wait_until_held(engine: &Engine, bridge: &Bridge, expected: &Held, timeout: Duration) {
    let end = Instant::now() + timeout;
    loop {
        let now = held(engine, bridge);
        if now == *expected {
            return;
        }
        assert!(
            Instant::now() < end,
            "after {timeout:?} the containers still hold {now:#?}, expected {expected:#?}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// A network namespace of the test's own with one end of a veth pair in it (addressed and
/// up): "another machine" for a test to talk to or from. The other end stays on the host,
/// down and unaddressed, for the test to plug in. Dropping it deletes the namespace and the
/// pair, also when the test fails half-way.
struct TestNetns {
    name: String,
    /// The end left on the host.
    host_end: String,
}

impl TestNetns {
    /// `tag`: a letter or two, unique within this file (names must differ between the tests
    /// running at once); `inside_address`: `ADDRESS/PREFIX` of the namespace's end.
    fn new(tag: &str, inside_address: &str) -> TestNetns {
        let pid = std::process::id() % 100_000;
        // Interface names have at most 15 bytes: `mt` + 5 digits + tag + 1.
        let netns = TestNetns {
            name: format!("mini-docker-test-{pid}-{tag}"),
            host_end: format!("mt{pid}{tag}h"),
        };
        let inside = format!("mt{pid}{tag}n");
        // The guard exists first, so a failure below still removes what was made.
        host_ok("ip", &["netns", "add", &netns.name]);
        host_ok(
            "ip",
            &[
                "link",
                "add",
                &netns.host_end,
                "type",
                "veth",
                "peer",
                "name",
                &inside,
                "netns",
                &netns.name,
            ],
        );
        netns.run_ok(&["ip", "link", "set", "lo", "up"]);
        netns.run_ok(&["ip", "addr", "add", inside_address, "dev", &inside]);
        netns.run_ok(&["ip", "link", "set", &inside, "up"]);
        netns
    }

    /// `ip netns exec NAME ARGS…`, not yet started.
    fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new("ip");
        command
            .args(["netns", "exec", &self.name])
            .args(args)
            .stdin(Stdio::null());
        command
    }

    fn run(&self, args: &[&str]) -> Output {
        finish(self.command(args), CLI_DEADLINE)
    }

    fn run_ok(&self, args: &[&str]) -> String {
        let output = self.run(args);
        assert_eq!(
            output.code, 0,
            "in {}: {args:?} failed: {output:?}",
            self.name
        );
        output.stdout
    }
}

impl Drop for TestNetns {
    fn drop(&mut self) {
        // Deleting the namespace destroys the end inside it, and with it the pair; the
        // explicit delete covers a namespace that was never made.
        let _ = Command::new("ip")
            .args(["link", "del", &self.host_end])
            .output();
        let _ = Command::new("ip")
            .args(["netns", "del", &self.name])
            .output();
    }
}

// ---------------------------------------------------------------------------------------
// 1. Containers on the bridge: by address, and by --link alias
// ---------------------------------------------------------------------------------------

#[test]
fn containers_reach_each_other_by_address_and_by_link_alias() {
    if !require_root("seed 003 network: ping by address and by --link alias") {
        return;
    }
    let engine = Engine::new();
    let web = engine.run_detached("web", &[], &["sleep", "300"]);
    engine.run_detached("peer", &[], &["sleep", "300"]);
    let bridge = Bridge::of(&engine);
    let (web_ip, peer_ip) = (address_of(&engine, "web"), address_of(&engine, "peer"));
    assert_ne!(web_ip, peer_ip);
    for address in [web_ip, peer_ip] {
        assert!(
            bridge.contains(address) && address != bridge.gateway,
            "{address} in {bridge:?}"
        );
    }

    // What inspect says matches the container's own eth0, and docker's MAC from the address.
    assert_eq!(
        engine.inspect("web", "{{.NetworkSettings.Gateway}}"),
        bridge.gateway.to_string()
    );
    let [a, b, c, d] = web_ip.octets();
    let mac = format!("02:42:{a:02x}:{b:02x}:{c:02x}:{d:02x}");
    assert_eq!(
        engine.inspect("web", "{{.NetworkSettings.MacAddress}}"),
        mac
    );
    let networks: serde_json::Value =
        serde_json::from_str(&engine.inspect("web", "{{json .NetworkSettings.Networks}}")).unwrap();
    assert_eq!(networks["bridge"]["IPAddress"], web_ip.to_string());
    let eth0 = engine.cli(&["exec", "web", "ip", "-o", "addr", "show", "dev", "eth0"]);
    assert!(
        eth0.stdout
            .contains(&format!("inet {web_ip}/{}", bridge.prefix_len)),
        "{eth0:?}"
    );
    let link = engine.cli(&["exec", "web", "ip", "-o", "link", "show", "dev", "eth0"]);
    assert!(link.stdout.contains(&mac), "{link:?}");
    assert!(device_exists(&veth(&web)));

    // Each pings the other through the bridge.
    for (from, to) in [("web", peer_ip), ("peer", web_ip)] {
        let ping = engine.cli(&["exec", from, "ping", "-c", "1", "-W", "2", &to.to_string()]);
        assert_eq!(ping.code, 0, "{from} cannot ping {to}: {ping:?}");
        assert!(ping.stdout.contains("1 packets received"), "{ping:?}");
    }

    // A third container knows web by the alias its --link gave: a line of its /etc/hosts.
    let agent = engine.run(
        &["--rm", "--name", "agent", "--link", "web:insideweb"],
        &["sh", "-c", "cat /etc/hosts && ping -c 1 -W 2 insideweb"],
    );
    assert_eq!(agent.code, 0, "{agent:?}");
    let line = agent
        .stdout
        .lines()
        .find(|line| line.split_whitespace().any(|word| word == "insideweb"))
        .unwrap_or_else(|| panic!("no insideweb in /etc/hosts: {agent:?}"));
    let words: Vec<&str> = line.split_whitespace().collect();
    assert_eq!(words[0], web_ip.to_string(), "{line}");
    assert!(
        words.contains(&"web") && words.contains(&&web[..12]),
        "docker also names the linked container by name and short id: {line}"
    );
    assert!(
        agent.stdout.contains(&format!("PING insideweb ({web_ip})")),
        "{agent:?}"
    );
}

// ---------------------------------------------------------------------------------------
// 2. --network none | host | container:NAME
// ---------------------------------------------------------------------------------------

#[test]
fn network_modes_none_host_and_container_see_their_interfaces() {
    if !require_root("seed 003 network: --network none, host, container:NAME") {
        return;
    }
    let engine = Engine::new();
    let web = engine.run_detached("web", &[], &["sleep", "300"]);
    let bridge = Bridge::of(&engine);
    let web_ip = address_of(&engine, "web");
    let with_web_only = held(&engine, &bridge);
    assert_eq!(with_web_only.leases, [web_ip.to_string()]);

    // none: a namespace of its own with nothing but the loopback.
    let none = engine.run(&["--rm", "--network", "none"], &["ip", "-o", "link"]);
    assert_eq!(none.code, 0, "{none:?}");
    assert_eq!(interfaces(&none.stdout), ["lo"], "{none:?}");

    // host: the host's namespace, so its devices — the bridge and web's veth among them.
    let on_host = engine.run(&["--rm", "--net", "host"], &["ip", "-o", "link"]);
    assert_eq!(on_host.code, 0, "{on_host:?}");
    let seen = interfaces(&on_host.stdout);
    let mut wanted = vec!["lo".to_owned(), bridge.name.clone(), veth(&web)];
    wanted.extend(default_route_device());
    for device in &wanted {
        assert!(seen.contains(device), "{device} missing from {seen:?}");
    }

    // container:web: web's namespace, so web's eth0 and address.
    let joined = engine.run(
        &["--rm", "--network", "container:web"],
        &["ip", "-o", "-4", "addr", "show", "dev", "eth0"],
    );
    assert_eq!(joined.code, 0, "{joined:?}");
    assert!(
        joined
            .stdout
            .contains(&format!("inet {web_ip}/{}", bridge.prefix_len)),
        "{joined:?}"
    );

    // None of them took an address or plugged anything into the bridge.
    assert_eq!(held(&engine, &bridge), with_web_only);
}

// ---------------------------------------------------------------------------------------
// 3. Published ports: -p 18080:80, -p 80, and a port that is taken
// ---------------------------------------------------------------------------------------

#[test]
fn published_ports_answer_on_the_host_and_from_another_namespace() {
    if !require_root("seed 003 network: -p 18080:80, -p 80, port conflicts") {
        return;
    }
    let engine = Engine::new();
    let web_command = httpd_serving("hi-from-web");
    engine.run_detached("web", &["-p", "18080:80"], &["sh", "-c", &web_command]);
    assert_eq!(engine.ok(&["port", "web"]), "80/tcp -> 0.0.0.0:18080");
    assert_eq!(engine.ok(&["port", "web", "80"]), "0.0.0.0:18080");
    let row = engine.ps_row("web");
    assert!(row.contains("0.0.0.0:18080->80/tcp"), "{row}");

    // From the host: 127.0.0.1:18080 leads to web's port 80.
    let loopback = SocketAddrV4::new(Ipv4Addr::LOCALHOST, WEB_PORT);
    assert_eq!(http_body_within(loopback, 20 * SECOND), "hi-from-web\n");

    // From another machine on the bridge's network: a namespace of ours, plugged into the
    // bridge with the subnet's last address, asks the gateway.
    let bridge = Bridge::of(&engine);
    let outsider = TestNetns::new(
        "p",
        &format!("{}/{}", bridge.last_host(), bridge.prefix_len),
    );
    host_ok(
        "ip",
        &[
            "link",
            "set",
            &outsider.host_end,
            "master",
            &bridge.name,
            "up",
        ],
    );
    let url = format!("http://{}:{WEB_PORT}/", bridge.gateway);
    let fetched = retry(&format!("{url} answers the outsider"), 20 * SECOND, || {
        let output = outsider.run(&["busybox", "wget", "-q", "-O", "-", &url]);
        if output.code == 0 {
            Ok(output.stdout)
        } else {
            Err(format!("{output:?}"))
        }
    });
    assert_eq!(fetched, "hi-from-web\n");

    // -p 80: the kernel chooses a free host port; `port` tells which.
    let web2_command = httpd_serving("hi-from-web2");
    engine.run_detached("web2", &["-p", "80"], &["sh", "-c", &web2_command]);
    let chosen = engine.ok(&["port", "web2", "80"]);
    let port: u16 = chosen
        .strip_prefix("0.0.0.0:")
        .and_then(|port| port.parse().ok())
        .unwrap_or_else(|| panic!("port web2 80 printed {chosen:?}"));
    assert!(port != 0 && port != WEB_PORT, "{port}");
    let row = engine.ps_row("web2");
    assert!(row.contains(&format!("0.0.0.0:{port}->80/tcp")), "{row}");
    let chosen_address = SocketAddrV4::new(Ipv4Addr::LOCALHOST, port);
    assert_eq!(
        http_body_within(chosen_address, 20 * SECOND),
        "hi-from-web2\n"
    );

    // A second container on 18080 is refused — before it takes anything — and web keeps
    // its port.
    let before = held(&engine, &bridge);
    assert_eq!(before.leases.len(), 2, "{before:?}");
    assert_eq!(before.chains.len(), 2, "{before:?}");
    let taken = engine.run(
        &["-d", "--name", "web3", "-p", "18080:80"],
        &["sleep", "300"],
    );
    assert_eq!(taken.code, 125, "{taken:?}");
    assert!(
        taken.stderr.contains("port is already allocated"),
        "{taken:?}"
    );
    assert_eq!(taken.stderr.lines().count(), 1, "{taken:?}");
    assert_eq!(engine.inspect("web3", "{{.State.Running}}"), "false");
    let web3 = engine.inspect("web3", "{{.Id}}");
    assert!(!engine
        .cli(&["ps", "-q", "--no-trunc"])
        .stdout
        .contains(&web3));
    assert!(!device_exists(&veth(&web3)));
    assert_eq!(held(&engine, &bridge), before);
    assert_eq!(http_body_within(loopback, 20 * SECOND), "hi-from-web\n");

    // Removing them takes every rule away: nothing answers on 18080 any more.
    engine.ok(&["rm", "-f", "web", "web2", "web3"]);
    drop(outsider);
    wait_until_held(&engine, &bridge, &Held::default(), 20 * SECOND);
    let after = http_get(loopback);
    assert!(
        after
            .as_ref()
            .is_err_and(|error| error.kind() == std::io::ErrorKind::ConnectionRefused),
        "127.0.0.1:18080 after rm: {after:?}"
    );
}

// ---------------------------------------------------------------------------------------
// 4. Masquerade: out of the bridge, with the host's address
// ---------------------------------------------------------------------------------------

#[test]
fn a_container_reaches_beyond_the_bridge_with_the_hosts_address() {
    if !require_root("seed 003 network: masquerade") {
        return;
    }
    let engine = Engine::new();
    // A machine the host reaches on a /30 of its own, and the bridge does not: it has no
    // route to the bridge's subnet, so only a masqueraded connection can get an answer.
    let third = (std::process::id() % 250) as u8;
    let (host_side, far) = (
        Ipv4Addr::new(10, 213, third, 1),
        Ipv4Addr::new(10, 213, third, 2),
    );
    let far_machine = TestNetns::new("m", &format!("{far}/30"));
    host_ok(
        "ip",
        &[
            "addr",
            "add",
            &format!("{host_side}/30"),
            "dev",
            &far_machine.host_end,
        ],
    );
    host_ok("ip", &["link", "set", &far_machine.host_end, "up"]);

    // The far machine answers one connection on port 9000 with its own view of it
    // (busybox netstat): the peer it sees is the source the packets came with.
    let mut listener = Spawned {
        child: far_machine
            .command(&[
                "busybox",
                "nc",
                "-l",
                "-p",
                "9000",
                "-e",
                "busybox",
                "sh",
                "-c",
                "busybox netstat -tn",
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    };
    let connect = format!("nc {far} 9000 </dev/null");
    let answer = retry(
        &format!("a container reaches {far}:9000"),
        20 * SECOND,
        || {
            let output = engine.run(&["--rm"], &["sh", "-c", &connect]);
            if output.code == 0 && output.stdout.contains(":9000 ") {
                Ok(output.stdout)
            } else {
                Err(format!("{output:?}"))
            }
        },
    );
    // `tcp 0 0 ::ffff:10.213.X.2:9000 ::ffff:10.213.X.1:41234 ESTABLISHED`
    let peer = answer
        .lines()
        .map(|line| line.split_whitespace().collect::<Vec<_>>())
        .find(|fields| fields.len() > 4 && fields[3].ends_with(":9000"))
        .map(|fields| fields[4].trim_start_matches("::ffff:").to_owned())
        .unwrap_or_else(|| panic!("no connection on :9000 in {answer:?}"));
    let peer_address = peer.rsplit_once(':').map(|(address, _)| address);
    assert_eq!(
        peer_address,
        Some(host_side.to_string().as_str()),
        "the far machine saw {peer}, not the host's address: {answer}"
    );
    assert_eq!(listener.wait(10 * SECOND), 0);
    let bridge = Bridge::of(&engine);
    assert!(!bridge.contains(host_side), "{bridge:?}");
}

// ---------------------------------------------------------------------------------------
// 5. The seed's monitoring trio: web, mailer, agent
// ---------------------------------------------------------------------------------------

/// ch2_mailer: prints every message it receives on port 25 (so `logs mailer` shows it).
const MAILER: &str = "echo 'CH2 Example Mailer has started.'; while true; do nc -l -p 25; done";

/// ch2_agent: asks web once a second through its alias; when web does not answer, it tells
/// the mailer through its alias. `timeout`: a stopped web's address answers nobody, and
/// busybox wget has no timeout of its own.
const AGENT: &str = "while true; do \
       if timeout 3 wget -q -O /dev/null http://insideweb/; then echo web-ok; \
       else echo 'web service is down' | nc insidemailer 25; echo reported; fi; \
       sleep 1; \
     done";

#[test]
fn the_agent_tells_the_mailer_when_web_goes_down() {
    if !require_root("seed 003 network: web, mailer, agent") {
        return;
    }
    let engine = Engine::new();
    engine.run_detached("web", &[], &["sh", "-c", &httpd_serving("hello")]);
    engine.run_detached("mailer", &[], &["sh", "-c", MAILER]);
    engine.run_detached(
        "agent",
        &["--link", "web:insideweb", "--link", "mailer:insidemailer"],
        &["sh", "-c", AGENT],
    );
    let logs = |name: &str| engine.cli(&["logs", name]).stdout;

    // While web answers, the agent says so and the mailer hears nothing.
    wait_until("the agent sees web", 20 * SECOND, || {
        logs("agent").contains("web-ok")
    });
    let mailer = logs("mailer");
    assert!(
        mailer.contains("CH2 Example Mailer has started."),
        "{mailer:?}"
    );
    assert!(!mailer.contains("web service is down"), "{mailer:?}");

    // docker stop web: the agent notices and the mailer gets its message.
    engine.ok(&["stop", "-t", "1", "web"]);
    wait_until("the mailer logs the agent's message", 20 * SECOND, || {
        logs("mailer").contains("web service is down")
    });
    assert!(logs("agent").contains("reported"));
}

// ---------------------------------------------------------------------------------------
// 6. Addresses: parallel starts get distinct ones, and rm gives them all back
// ---------------------------------------------------------------------------------------

#[test]
fn parallel_starts_get_distinct_addresses_and_rm_gives_them_back() {
    if !require_root("seed 003 network: 20 parallel run -d") {
        return;
    }
    let engine = Engine::new();
    let names: Vec<String> = (0..20).map(|n| format!("par{n}")).collect();
    let ids: Vec<String> = std::thread::scope(|scope| {
        let starts: Vec<_> = names
            .iter()
            .map(|name| {
                let engine = &engine;
                scope.spawn(move || engine.run_detached(name, &[], &["sleep", "300"]))
            })
            .collect();
        starts
            .into_iter()
            .map(|start| start.join().unwrap())
            .collect()
    });
    let bridge = Bridge::of(&engine);

    let addresses: Vec<Ipv4Addr> = names.iter().map(|name| address_of(&engine, name)).collect();
    let distinct: BTreeSet<Ipv4Addr> = addresses.iter().copied().collect();
    assert_eq!(distinct.len(), 20, "{addresses:?}");
    for address in &addresses {
        assert!(
            bridge.contains(*address) && *address != bridge.gateway,
            "{address}"
        );
    }
    // Each lease file is named by the address and holds its container's id, then the pid
    // (and start time) of its process: a killed monitor must not free a used address.
    let leases_dir = engine.root().join("network/leases");
    let leased: BTreeSet<String> = dir_names(&leases_dir).into_iter().collect();
    let expected: BTreeSet<String> = distinct.iter().map(Ipv4Addr::to_string).collect();
    assert_eq!(leased, expected);
    for (id, address) in ids.iter().zip(&addresses) {
        let lease = std::fs::read_to_string(leases_dir.join(address.to_string())).unwrap();
        let lines: Vec<&str> = lease.lines().collect();
        assert_eq!(
            lines.first(),
            Some(&id.as_str()),
            "lease {address}: {lease:?}"
        );
        let pid = engine.inspect(id, "{{.State.Pid}}");
        let process = lines.get(1).and_then(|line| line.split_whitespace().next());
        assert_eq!(process, Some(pid.as_str()), "lease {address}: {lease:?}");
        assert!(device_exists(&veth(id)), "{}", veth(id));
    }
    assert_eq!(bridge.ports().len(), 20);

    let mut rm = vec!["rm", "-f"];
    rm.extend(names.iter().map(String::as_str));
    assert_eq!(engine.cli(&rm).code, 0);
    wait_until_held(&engine, &bridge, &Held::default(), 30 * SECOND);
    let left: Vec<String> = ids
        .iter()
        .map(|id| veth(id))
        .filter(|v| device_exists(v))
        .collect();
    assert_eq!(left, Vec::<String>::new());
}

// ---------------------------------------------------------------------------------------
// 7. Nothing piles up: 50 short containers, and a killed monitor
// ---------------------------------------------------------------------------------------

#[test]
fn fifty_short_containers_and_a_killed_monitor_leave_nothing_behind() {
    if !require_root("seed 003 network: cleanup after exits and a killed monitor") {
        return;
    }
    let engine = Engine::new();
    // The first start makes the bridge and its table; what is counted is what each
    // container adds to them.
    let first = engine.run(&["--rm"], &["true"]);
    assert_eq!(first.code, 0, "{first:?}");
    let bridge = Bridge::of(&engine);
    wait_until("the first monitor is done", 20 * SECOND, || {
        monitors_of(&engine.root()).is_empty()
    });
    // The kernel destroys a veth pair with its namespace a moment after the container's
    // last process: allow it that moment.
    let before = Held::default();
    wait_until_held(&engine, &bridge, &before, 20 * SECOND);

    for n in 1..=50 {
        // Every fifth publishes a port: a chain, a map entry, an undo file, a held port.
        let flags: &[&str] = if n % 5 == 0 {
            &["--rm", "-p", "80"]
        } else {
            &["--rm"]
        };
        let run = engine.run(flags, &["true"]);
        assert_eq!(run.code, 0, "run {n}: {run:?}");
    }
    // A --rm container's monitor may still be removing it when the CLI returns.
    wait_until("every monitor of this root is done", 30 * SECOND, || {
        monitors_of(&engine.root()).is_empty()
    });
    wait_until_held(&engine, &bridge, &before, 20 * SECOND);
    assert_eq!(engine.all_ids(), Vec::<String>::new());

    // A monitor killed with SIGKILL tears nothing down itself: rm must.
    let id = engine.run_detached("orphan", &["-p", "80"], &["sleep", "300"]);
    let with_orphan = held(&engine, &bridge);
    assert_eq!(with_orphan.chains, [format!("c_{}", &id[..12])]);
    assert_eq!(with_orphan.published, std::slice::from_ref(&id));
    assert_eq!(with_orphan.leases.len(), 1);
    assert_eq!(with_orphan.bridge_ports, [veth(&id)]);
    let monitor = engine.state_json(&id)["MonitorPid"].as_i64().unwrap() as i32;
    kill(Pid::from_raw(monitor), Signal::SIGKILL).unwrap();
    wait_until("the monitor is gone", 5 * SECOND, || {
        process_gone(monitor) || process_state(monitor) == Some('Z')
    });
    engine.ok(&["rm", "-f", "orphan"]);
    wait_until_held(&engine, &bridge, &before, 20 * SECOND);
    assert!(!device_exists(&veth(&id)));
}

// ---------------------------------------------------------------------------------------
// 8. Failed starts take nothing
// ---------------------------------------------------------------------------------------

#[test]
fn failed_starts_leave_no_lease_veth_or_chain() {
    if !require_root("seed 003 network: failed starts") {
        return;
    }
    let engine = Engine::new();
    // A running container first: the bridge exists, and the counts have something in them.
    engine.run_detached("web", &[], &["sleep", "300"]);
    let bridge = Bridge::of(&engine);
    let before = held(&engine, &bridge);
    assert_eq!((before.leases.len(), before.bridge_ports.len()), (1, 1));
    let not_running = |name: &str| {
        assert_eq!(
            engine.inspect(name, "{{.State.Running}}"),
            "false",
            "{name}"
        );
        let id = engine.inspect(name, "{{.Id}}");
        assert!(!device_exists(&veth(&id)), "{name}'s veth");
    };

    // --link to a container that does not exist: refused at create, nothing is made.
    let ids = engine.all_ids();
    let args = engine.run_args(
        "create",
        &["--name", "agent", "--link", "nosuch:web"],
        &["true"],
    );
    let create = engine.cli(&strs(&args));
    assert_eq!(create.code, 125, "{create:?}");
    assert!(create.stderr.contains("nosuch"), "{create:?}");
    assert_eq!(create.stderr.lines().count(), 1, "{create:?}");
    assert_eq!(engine.all_ids(), ids);

    // --link to a container that exists but does not run: created, its start refused.
    let args = engine.run_args("create", &["--name", "sleeper"], &["sleep", "300"]);
    engine.ok(&strs(&args));
    let linked = engine.run(
        &["-d", "--name", "linker", "--link", "sleeper:db"],
        &["true"],
    );
    assert_eq!(linked.code, 125, "{linked:?}");
    assert!(
        linked
            .stderr
            .contains("Cannot link to a non running container: /sleeper AS /linker/db"),
        "{linked:?}"
    );
    not_running("linker");
    assert_eq!(held(&engine, &bridge), before);

    // A host port someone else holds (here: the test).
    let holder = TcpListener::bind("0.0.0.0:0").unwrap();
    let port = holder.local_addr().unwrap().port();
    let publish = format!("{port}:80");
    let busy = engine.run(&["-d", "--name", "busy", "-p", &publish], &["sleep", "300"]);
    assert_eq!(busy.code, 125, "{busy:?}");
    assert!(
        busy.stderr.contains("port is already allocated"),
        "{busy:?}"
    );
    not_running("busy");
    assert_eq!(held(&engine, &bridge), before);
    drop(holder);

    // Failing half-way, after the address is leased and the veth plugged in: publishing
    // cannot write its undo file (`published` is a file, not a directory).
    let published = engine.root().join("network/published");
    let _ = std::fs::remove_dir(&published);
    std::fs::write(&published, "in the way\n").unwrap();
    let half = engine.run(&["-d", "--name", "half", "-p", "80"], &["sleep", "300"]);
    assert_eq!(half.code, 125, "{half:?}");
    assert!(half.stderr.contains("published"), "{half:?}");
    wait_until_held(&engine, &bridge, &before, 10 * SECOND);
    not_running("half");
    std::fs::remove_file(&published).unwrap();

    // Nothing was left to get in the way: both start now, with what they asked for.
    engine.ok(&["start", "busy", "half"]);
    assert_eq!(
        engine.ok(&["port", "busy", "80"]),
        format!("0.0.0.0:{port}")
    );
    let started = held(&engine, &bridge);
    assert_eq!(
        (
            started.leases.len(),
            started.chains.len(),
            started.published.len()
        ),
        (3, 2, 2),
        "{started:?}"
    );
    engine.ok(&["rm", "-f", "busy", "half", "linker", "sleeper"]);
    wait_until_held(&engine, &bridge, &before, 20 * SECOND);
}
