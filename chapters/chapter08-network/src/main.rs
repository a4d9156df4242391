//! `cargo run -p chapter08 -- walk ROOTFS`: two containers on a bridge, one of them a web
//! server published on the host's port 18080.
//!
//! The walk starts `web` (busybox httpd, `-p 18080:80`) and `client`
//! (`--link web:insideweb`, pinging `insideweb` and fetching its page), fetches the page from
//! the host through 127.0.0.1:18080, and takes everything down again: containers, bridge,
//! firewall table.
//!
//! Other subcommands: `plan` prints the plan — the `ip` commands and nftables rules our
//! netlink and `nft` calls amount to; `monitor ID` is used by the walk. All take
//! `--root DIR` (default: a directory under /tmp).

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::time::Duration;

use chapter08::bridge::BridgeOptions;
use chapter08::chapter07::chapter06::chapter05::chapter04::chapter03::chapter01::ContainerError;
use chapter08::chapter07::create::{Base, CreateRequest};
use chapter08::chapter07::launch::MonitorProgram;
use chapter08::chapter07::{control, ContainerStore};
use chapter08::flags::{parse_args, NetworkArgs};
use chapter08::plan::{plan_bridge, plan_endpoint, BridgeConfig};
use chapter08::NetworkHooks;

const DEFAULT_ROOT: &str = "/tmp/chapter08-demo";
const BRIDGE: &str = "mdemo0";
const SUBNET: &str = "10.208.8.0/24";

fn main() {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let mut root = PathBuf::from(DEFAULT_ROOT);
    if args.first().map(String::as_str) == Some("--root") && args.len() >= 2 {
        root = PathBuf::from(&args[1]);
        args.drain(..2);
    }
    let hooks = NetworkHooks {
        bridge: BridgeOptions {
            name: Some(BRIDGE.into()),
            subnet: SUBNET.parse().ok(),
        },
    };
    // Registered for the rest of the process: the walk's CLI part and the monitors.
    chapter08::chapter07::hooks::register(Box::leak(Box::new(hooks)));
    let result = match args.first().map(String::as_str) {
        Some("walk") if args.len() == 2 => walk(&root, Path::new(&args[1])),
        Some("plan") => {
            print_plan();
            Ok(())
        }
        Some("monitor") if args.len() == 2 => {
            std::process::exit(chapter08::chapter07::monitor::main(&root, &args[1]))
        }
        _ => {
            eprintln!("usage: chapter08 [--root DIR] walk ROOTFS | plan");
            std::process::exit(2);
        }
    };
    if let Err(error) = result {
        eprintln!("chapter08: {error}");
        std::process::exit(error.exit_code());
    }
}

/// The demo's bridge, as the first start records it.
fn demo_bridge() -> BridgeConfig {
    let subnet: chapter08::subnet::Ipv4Net = SUBNET.parse().unwrap_or_else(|error| {
        eprintln!("chapter08: {error}");
        std::process::exit(2)
    });
    BridgeConfig {
        name: BRIDGE.into(),
        gateway: subnet.gateway().unwrap_or(subnet.network()),
        subnet,
        mtu: chapter08::bridge::DEFAULT_MTU,
    }
}

/// The bridge, one container's link, and its published port, as commands.
fn print_plan() {
    let bridge = demo_bridge();
    let address = bridge.subnet.host(2).unwrap_or(bridge.gateway);
    println!("# the bridge, made by the first start");
    for step in plan_bridge(&bridge) {
        println!("{step}");
    }
    println!("\n# container 3f2a9c1d5e6f…, address {address}");
    for step in plan_endpoint(&bridge, "3f2a9c1d5e6f", address) {
        println!("{step}");
    }
    println!("\n# nft -f - : the bridge's table");
    print!("{}", chapter08::firewall::base_rules(&bridge));
    println!("\n# nft -f - : -p 18080:80 of that container");
    let spec = chapter08::ports::parse_publish("18080:80").unwrap_or_else(|error| {
        eprintln!("chapter08: {error}");
        std::process::exit(2)
    });
    print!(
        "{}",
        chapter08::firewall::publish_rules(BRIDGE, "3f2a9c1d5e6f", address, &[(spec, 18080)])
    );
}

fn monitor_program(root: &Path) -> MonitorProgram {
    MonitorProgram::this_program(vec![
        "--root".into(),
        root.as_os_str().to_owned(),
        "monitor".into(),
    ])
}

/// Creates and starts container `name` on `rootfs`.
fn run(
    store: &ContainerStore,
    root: &Path,
    rootfs: &Path,
    name: &str,
    network: NetworkArgs,
    command: &[&str],
) -> Result<(), ContainerError> {
    let parsed = parse_args(&network).map_err(ContainerError::Invalid)?;
    let request = CreateRequest {
        command: command.iter().map(|s| s.to_string()).collect(),
        name: Some(name.into()),
        network: parsed.flags,
        ..CreateRequest::default()
    };
    let container =
        chapter08::chapter07::create::create(store, &Base::Directory(rootfs.into()), request)?;
    control::start(&monitor_program(root), &container, None)?;
    let state = store.get(name)?.state;
    let settings = &state.network_settings;
    println!(
        "started {name}: eth0 {}/{} (MAC {}), gateway {}",
        settings.ip_address, settings.ip_prefix_len, settings.mac_address, settings.gateway
    );
    Ok(())
}

fn walk(root: &Path, rootfs: &Path) -> Result<(), ContainerError> {
    let _ = std::fs::remove_dir_all(root);
    let store = ContainerStore::open(root)?;
    let result = walk_containers(&store, root, rootfs);
    for name in ["client", "web"] {
        let _ = control::remove(&store, name, true, true);
    }
    chapter08::bridge::remove(root)?;
    println!("\nremoved both containers, the bridge {BRIDGE} and the table mini_docker_{BRIDGE}");
    result
}

fn walk_containers(
    store: &ContainerStore,
    root: &Path,
    rootfs: &Path,
) -> Result<(), ContainerError> {
    run(
        store,
        root,
        rootfs,
        "web",
        NetworkArgs {
            publish: vec!["18080:80".into()],
            ..NetworkArgs::default()
        },
        &[
            "sh",
            "-c",
            "mkdir -p /www && echo hello from web > /www/index.html && exec httpd -f -p 80 -h /www",
        ],
    )?;
    run(
        store,
        root,
        rootfs,
        "client",
        NetworkArgs {
            links: vec!["web:insideweb".into()],
            ..NetworkArgs::default()
        },
        &["sh", "-c", "grep insideweb /etc/hosts | cut -f1; ping -c 1 -W 2 insideweb | grep -o '1 packets received'; wget -q -O - http://insideweb/"],
    )?;
    let status = control::wait(store, "client")?;
    println!("\nclient's output (exit code {status}):");
    let log = std::fs::read_to_string(store.get("client")?.log_path()).unwrap_or_default();
    for line in log.lines() {
        if let Ok(entry) = serde_json::from_str::<serde_json::Value>(line) {
            print!("  {}", entry["log"].as_str().unwrap_or(""));
        }
    }
    println!("\nthe host fetches http://127.0.0.1:18080/ (DNAT to web's port 80):");
    println!("  {}", fetch("127.0.0.1:18080")?.trim_end());
    Ok(())
}

/// A plain HTTP/1.0 GET of `/`, returning the body.
fn fetch(address: &str) -> Result<String, ContainerError> {
    let io = |error| ContainerError::io(format!("fetch http://{address}/"), error);
    let mut stream = TcpStream::connect(address).map_err(io)?;
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .map_err(io)?;
    stream.write_all(b"GET / HTTP/1.0\r\n\r\n").map_err(io)?;
    let mut response = String::new();
    stream.read_to_string(&mut response).map_err(io)?;
    Ok(response
        .split("\r\n\r\n")
        .nth(1)
        .unwrap_or_default()
        .to_owned())
}
