//! Chapter 2 demo: one process, seen from inside its namespaces and from the host.
//!
//! ```text
//! cargo run -p chapter02 -- run                       # the guided tour
//! cargo run -p chapter02 -- run --ns uts,pid -- sh -c 'echo $$; hostname'
//! cargo run -p chapter02 -- run --ns all              # adds a user namespace
//! ```

use std::io::Write;

use chapter01::{ChildPlan, ContainerError, ExecPlan};
use chapter02::inspect::{namespace_inodes, network_interfaces, NamespaceInode};
use chapter02::steps::interface_is_up;
use chapter02::{create, Isolation, Namespace};

const USAGE: &str = "usage: chapter02 run [--ns LIST] [--hostname NAME] [-- COMMAND [ARG...]]

Starts COMMAND (default: this program's own `inside` report) in new namespaces and shows the
same process from inside and from the host, with the /proc/PID/ns inodes of both.
LIST is comma-separated from cgroup,ipc,mnt,net,pid,user,uts, or `all`
(default: every one but user). NAME defaults to `container`.";

fn main() {
    chapter01::steps::default_sigpipe();
    let args: Vec<String> = std::env::args().skip(1).collect();
    let code = match args.first().map(String::as_str) {
        Some("run") => match parse_run(&args[1..]) {
            Ok((isolation, command)) => run(isolation, command),
            Err(message) => {
                eprintln!("chapter02: {message}\n{USAGE}");
                125
            }
        },
        Some("inside") => inside(),
        Some("--help" | "-h") => {
            println!("{USAGE}");
            0
        }
        _ => {
            eprintln!("{USAGE}");
            125
        }
    };
    std::process::exit(code);
}

fn parse_run(args: &[String]) -> Result<(Isolation, Vec<String>), String> {
    let mut isolation = Isolation::container("container");
    let mut rest = args.iter();
    while let Some(arg) = rest.next() {
        match arg.as_str() {
            "--ns" => isolation.namespaces = value(&mut rest, "--ns")?.parse()?,
            "--hostname" => isolation.hostname = Some(value(&mut rest, "--hostname")?.clone()),
            "--" => return Ok((isolation, rest.cloned().collect())),
            other => return Err(format!("unknown option {other:?}")),
        }
    }
    Ok((isolation, Vec::new()))
}

fn value<'a>(
    rest: &mut impl Iterator<Item = &'a String>,
    flag: &str,
) -> Result<&'a String, String> {
    rest.next().ok_or_else(|| format!("{flag} needs a value"))
}

// ANCHOR: demo
fn run(mut isolation: Isolation, mut command: Vec<String>) -> i32 {
    if !isolation.namespaces.contains(Namespace::Uts) {
        isolation.hostname = None; // without a UTS namespace we must not rename the host
    }
    if command.is_empty() {
        command = vec![self_exe(), "inside".into()];
    }
    let env = std::env::vars().map(|(k, v)| format!("{k}={v}")).collect();
    let result =
        ExecPlan::new(command, env).and_then(|exec| create(&isolation, ChildPlan::new(exec)));
    let created = match result {
        Ok(created) => created,
        Err(error) => return fail(&error),
    };
    let pid = created.pid();
    println!(
        "host:   cloned pid {pid} into new namespaces: {}",
        isolation.namespaces
    );
    let child = match created.start() {
        Ok(child) => child,
        Err(error) => return fail(&error),
    };
    // Read once the command runs: every namespace exists by now, the cgroup one included
    // (the child makes that one after the gate). A command that has already exited has no
    // namespaces left to show.
    let container_ns = namespace_inodes(&pid.to_string()).unwrap_or_default();
    let status = match child.wait() {
        Ok(status) => status,
        Err(error) => return fail(&error),
    };
    let host_name = nix::unistd::gethostname().unwrap_or_default();
    println!(
        "host:   pid {pid} {status}; the host's hostname is still {:?}",
        host_name.to_string_lossy()
    );
    if isolation.namespaces.contains(Namespace::User) {
        print!("host:   uid_map of pid {pid}: {}", isolation.id_map);
    }
    let host_ns = namespace_inodes("self").unwrap_or_default();
    print_namespace_table(&host_ns, &container_ns);
    status.code()
}
// ANCHOR_END: demo

/// Prints the inode of every namespace for host and container, and whether they differ.
fn print_namespace_table(host: &[NamespaceInode], container: &[NamespaceInode]) {
    println!("{:<18} {:>12} {:>12}", "namespace", "host", "container");
    for entry in host {
        let theirs = container.iter().find(|c| c.name == entry.name);
        let (inode, verdict) = match theirs {
            Some(c) if c.inode == entry.inode => (c.inode.to_string(), "same"),
            Some(c) => (c.inode.to_string(), "new"),
            None => ("-".to_owned(), "(exited)"),
        };
        println!(
            "{:<18} {:>12} {:>12}  {verdict}",
            entry.name, entry.inode, inode
        );
    }
}

// ANCHOR: inside
/// What the process sees from inside: its pid, its ids, the hostname, the interfaces.
///
/// It writes with `writeln!` and ignores errors instead of `println!`: as PID 1 it does not
/// get `SIGPIPE` (the kernel spares a namespace's init the signals it has no handler for),
/// so a closed pipe shows up as an `EPIPE` error, on which `println!` would panic.
fn inside() -> i32 {
    let mut out = std::io::stdout().lock();
    let pid = std::process::id();
    let uid = nix::unistd::getuid();
    let hostname = nix::unistd::gethostname().unwrap_or_default();
    let _ = writeln!(
        out,
        "inside: pid {pid}, uid {uid}, hostname {:?}",
        hostname.to_string_lossy()
    );
    let interfaces: Vec<String> = network_interfaces()
        .unwrap_or_default()
        .into_iter()
        .map(|name| match interface_is_up(&name) {
            Ok(true) => format!("{name} (up)"),
            Ok(false) => format!("{name} (down)"),
            Err(_) => name,
        })
        .collect();
    let _ = writeln!(out, "inside: network interfaces: {}", interfaces.join(", "));
    drop(out);
    // Stay a moment, so the host can read our /proc/PID/ns while we live.
    std::thread::sleep(std::time::Duration::from_millis(500));
    0
}
// ANCHOR_END: inside

fn self_exe() -> String {
    std::env::current_exe()
        .map(|path| path.to_string_lossy().into_owned())
        .unwrap_or_else(|_| "/proc/self/exe".into())
}

fn fail(error: &ContainerError) -> i32 {
    eprintln!("chapter02: {error}");
    error.exit_code()
}
