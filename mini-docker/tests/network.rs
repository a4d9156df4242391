//! The network commands end to end (root), recorded as the book's chapter 8 transcript:
//! `run -p`, `port`, the PORTS column, the address in `inspect`, `--link`, `--network none`
//! and `container:`; and what stays behind afterwards (nothing).
// In a test, a failed unwrap is a failed test with its reason: exactly what we want.
#![allow(clippy::unwrap_used)]

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

mod fixture;

use fixture::Fixture;
use testkit::{require_root, Session};

/// The transcript's bridge subnet, fixed so the book shows the same addresses everywhere.
const SUBNET: &str = "10.209.7.0/24";

fn stdout(output: &std::process::Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// `mini-docker ARGS…` on the fixture's state root with the transcript's subnet, recorded.
fn step(fixture: &Fixture, session: &mut Session, args: &[&str]) -> std::process::Output {
    let output = fixture
        .command()
        .env("MINI_DOCKER_BIP", SUBNET)
        .args(args)
        .output()
        .unwrap();
    session.record(&fixture::command_line(args), &output);
    output
}

/// GET / on `address`, retried until it answers or 10 s pass; the body.
fn fetch(address: &str) -> String {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let attempt = (|| -> std::io::Result<String> {
            let mut stream = TcpStream::connect(address)?;
            stream.set_read_timeout(Some(Duration::from_secs(3)))?;
            stream.write_all(b"GET / HTTP/1.0\r\n\r\n")?;
            let mut response = String::new();
            stream.read_to_string(&mut response)?;
            Ok(response
                .split("\r\n\r\n")
                .nth(1)
                .unwrap_or_default()
                .to_owned())
        })();
        match attempt {
            Ok(body) if !body.is_empty() => return body,
            _ if Instant::now() > deadline => panic!("{address} did not answer: {attempt:?}"),
            _ => std::thread::sleep(Duration::from_millis(100)),
        }
    }
}

#[test]
fn a_published_web_server_and_its_neighbours() {
    if !require_root("mini-docker: the network transcript") {
        return;
    }
    let fixture = Fixture::new();
    let _cleanup = testkit::Cleanup::new(|| {
        let _ = fixture.docker(&["rm", "-f", "web"]);
    });
    assert!(fixture.import_busybox().status.success());
    let mut session = Session::new();
    let serve =
        "mkdir -p /www && echo hello from web > /www/index.html && exec httpd -f -p 80 -h /www";
    let started = step(
        &fixture,
        &mut session,
        &[
            "run", "-d", "--name", "web", "-p", "18081:80", "busybox", "sh", "-c", serve,
        ],
    );
    assert!(started.status.success(), "{started:?}");
    let port = step(&fixture, &mut session, &["port", "web"]);
    assert_eq!(stdout(&port), "80/tcp -> 0.0.0.0:18081\n");
    let table = "table {{.Names}}\\t{{.State}}\\t{{.Ports}}";
    let listed = step(&fixture, &mut session, &["ps", "--format", table]);
    assert!(
        stdout(&listed).contains("0.0.0.0:18081->80/tcp"),
        "{listed:?}"
    );
    let address = "{{.NetworkSettings.IPAddress}}/{{.NetworkSettings.IPPrefixLen}} via {{.NetworkSettings.Gateway}}, MAC {{.NetworkSettings.MacAddress}}";
    let inspected = step(&fixture, &mut session, &["inspect", "-f", address, "web"]);
    assert_eq!(
        stdout(&inspected),
        "10.209.7.2/24 via 10.209.7.1, MAC 02:42:0a:d1:07:02\n"
    );
    // The host reaches it through the published port (DNAT in the output hook).
    assert_eq!(fetch("127.0.0.1:18081"), "hello from web\n");
    let linked = step(
        &fixture,
        &mut session,
        &[
            "run",
            "--rm",
            "--link",
            "web:insideweb",
            "busybox",
            "sh",
            "-c",
            "grep insideweb /etc/hosts; wget -q -O - http://insideweb/",
        ],
    );
    let text = stdout(&linked);
    assert!(text.starts_with("10.209.7.2\tinsideweb "), "{linked:?}");
    assert!(text.ends_with(" web\nhello from web\n"), "{linked:?}");
    let none = step(
        &fixture,
        &mut session,
        &[
            "run",
            "--rm",
            "--network",
            "none",
            "busybox",
            "ls",
            "/sys/class/net",
        ],
    );
    assert_eq!(stdout(&none), "lo\n", "{none:?}");
    let shared = step(
        &fixture,
        &mut session,
        &[
            "run",
            "--rm",
            "--network",
            "container:web",
            "busybox",
            "sh",
            "-c",
            "ip -o -4 addr show eth0 | grep -o \"inet [^ ]*\"; wget -q -O - http://127.0.0.1/",
        ],
    );
    assert_eq!(
        stdout(&shared),
        "inet 10.209.7.2/24\nhello from web\n",
        "{shared:?}"
    );
    assert!(step(&fixture, &mut session, &["rm", "-f", "web"])
        .status
        .success());
    // Nothing of web's network stays: no lease, no published-port record.
    for dir in ["leases", "published"] {
        let left: Vec<_> = std::fs::read_dir(fixture.state_root().join("network").join(dir))
            .map(|entries| entries.flatten().map(|e| e.file_name()).collect())
            .unwrap_or_default();
        assert!(left.is_empty(), "{dir}: {left:?}");
    }
    session.assert_matches_book("ch08-network");
}

#[test]
fn bad_network_flags_are_refused_before_anything_is_made() {
    if !require_root("mini-docker: network flag errors") {
        return;
    }
    let fixture = Fixture::new();
    for (args, message) in [
        (vec!["-p", "abc"], "invalid containerPort: abc"),
        (vec!["--network", "mynet"], "network mynet not found"),
        (
            vec!["--link", "nosuch"],
            "could not get container for nosuch",
        ),
        (
            vec!["--network", "container:web", "-p", "80"],
            "conflicting options",
        ),
        (vec!["--add-host", "db"], "bad format for add-host"),
    ] {
        let mut all = args.clone();
        all.extend(["true"]);
        let output = fixture.run_args(&all);
        assert_eq!(output.status.code(), Some(125), "{args:?}: {output:?}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains(message), "{args:?}: {stderr}");
        assert_eq!(stderr.lines().count(), 1, "one line: {stderr}");
        assert!(fixture.records().is_empty(), "{args:?} left a container");
    }
}

#[test]
fn the_container_takes_the_bridges_mtu() {
    if !require_root("mini-docker: MTU from the bridge") {
        return;
    }
    let fixture = Fixture::new();
    let mtu = |fixture: &Fixture| {
        let output = fixture.run(&["--rm"], "cat /sys/class/net/eth0/mtu");
        assert!(output.status.success(), "{output:?}");
        stdout(&output).trim().to_owned()
    };
    assert_eq!(mtu(&fixture), "1500", "a new bridge has docker's default");
    let settings = std::fs::read_to_string(fixture.state_root().join("network/bridge.json"));
    let settings: serde_json::Value = serde_json::from_str(&settings.unwrap()).unwrap();
    let bridge = settings["Name"].as_str().unwrap();
    let set = std::process::Command::new("ip")
        .args(["link", "set", bridge, "mtu", "1400"])
        .status()
        .unwrap();
    assert!(set.success());
    assert_eq!(
        mtu(&fixture),
        "1400",
        "the next start reads the bridge's MTU"
    );
}
