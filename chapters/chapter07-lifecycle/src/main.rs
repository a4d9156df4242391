//! `cargo run -p chapter07 -- walk ROOTFS`: a container that outlives the command which
//! started it.
//!
//! The walk runs this program again as a separate "CLI" process (`start`), which creates a
//! container on ROOTFS, launches its monitor and exits. The container keeps running: the
//! walk shows it in the store, shows that its monitor's parent is no longer that CLI, reads
//! its log, and finally stops and removes it — each step as a command of its own, with no
//! daemon in between.
//!
//! Other subcommands, used by the walk and handy on their own:
//! `start ROOTFS CMD…`, `ps`, `logs ID`, `stop ID`, `rm ID`; all take `--root DIR`
//! (default: a directory under /tmp).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use chapter07::chapter06::chapter05::chapter04::chapter03::chapter01::ContainerError;
use chapter07::create::{Base, CreateRequest};
use chapter07::launch::MonitorProgram;
use chapter07::listing;
use chapter07::{control, ContainerStore};

const DEFAULT_ROOT: &str = "/tmp/chapter07-demo";

fn main() {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let mut root = PathBuf::from(DEFAULT_ROOT);
    if args.first().map(String::as_str) == Some("--root") && args.len() >= 2 {
        root = PathBuf::from(&args[1]);
        args.drain(..2);
    }
    let result = match args.first().map(String::as_str) {
        Some("walk") if args.len() == 2 => walk(&root, Path::new(&args[1])),
        Some("start") if args.len() >= 3 => start(&root, Path::new(&args[1]), &args[2..]),
        Some("ps") => ps(&root),
        Some("logs") if args.len() == 2 => logs(&root, &args[1]),
        Some("stop") if args.len() == 2 => control::stop(&open(&root), &args[1], Some(1)).map(drop),
        Some("rm") if args.len() == 2 => {
            control::remove(&open(&root), &args[1], true, true).map(drop)
        }
        Some("monitor") if args.len() == 2 => {
            std::process::exit(chapter07::monitor::main(&root, &args[1]))
        }
        _ => {
            eprintln!(
                "usage: chapter07 [--root DIR] walk ROOTFS | start ROOTFS CMD… | ps | logs ID | stop ID | rm ID"
            );
            std::process::exit(2);
        }
    };
    if let Err(error) = result {
        eprintln!("chapter07: {error}");
        std::process::exit(error.exit_code());
    }
}

fn open(root: &Path) -> ContainerStore {
    ContainerStore::open(root).unwrap_or_else(|error| {
        eprintln!("chapter07: {error}");
        std::process::exit(error.exit_code())
    })
}

/// How this program runs a monitor: `chapter07 --root ROOT monitor ID`.
fn monitor_program(root: &Path) -> MonitorProgram {
    MonitorProgram::this_program(vec![
        "--root".into(),
        root.as_os_str().to_owned(),
        "monitor".into(),
    ])
}

/// `start ROOTFS CMD…`: create, launch the monitor, print the id, exit.
fn start(root: &Path, rootfs: &Path, command: &[String]) -> Result<(), ContainerError> {
    let store = ContainerStore::open(root)?;
    let request = CreateRequest {
        command: command.to_vec(),
        name: Some("ticker".into()),
        ..CreateRequest::default()
    };
    let container = chapter07::create::create(&store, &Base::Directory(rootfs.into()), request)?;
    let started = control::start(&monitor_program(root), &container, None)?;
    let pid = started.map_or(0, |started| started.pid);
    println!(
        "started {} (pid {pid}) from CLI pid {}; the CLI exits now",
        container.short_id(),
        std::process::id()
    );
    Ok(())
}

/// `ps`: each container's state as the store records it (mini-docker's `ps` prints docker's
/// table; here the pids matter more than the durations).
fn ps(root: &Path) -> Result<(), ContainerError> {
    let store = ContainerStore::open(root)?;
    for container in store.list() {
        let state = &container.state;
        let process = match container.running_pid() {
            Some(pid) => format!("pid {pid}, monitor pid {}", state.monitor_pid),
            None => format!("exit code {}", state.exit_code),
        };
        println!(
            "{}  {}  {}  ({process})  {}",
            container.short_id(),
            container.name(),
            state.status.as_str(),
            listing::command(&container, true),
        );
    }
    Ok(())
}

fn logs(root: &Path, reference: &str) -> Result<(), ContainerError> {
    let store = ContainerStore::open(root)?;
    let container = store.get(reference)?;
    let mut out = std::io::stdout();
    let mut err = std::io::stderr();
    chapter07::logs::show(
        &container.log_path(),
        &chapter07::logs::LogOptions::default(),
        &mut out,
        &mut err,
        &mut || false,
    )
    .map_err(|error| ContainerError::io("read the log", error))
}

/// The whole story, each step a separate process like a user's commands.
fn walk(root: &Path, rootfs: &Path) -> Result<(), ContainerError> {
    let _ = std::fs::remove_dir_all(root);
    let this = std::env::current_exe().map_err(|error| ContainerError::io("find myself", error))?;
    let step = |title: &str, args: &[&str]| -> Result<(), ContainerError> {
        let shown: Vec<String> = args.iter().map(|arg| shell_quoted(arg)).collect();
        println!("\n$ chapter07 {}    # {title}", shown.join(" "));
        let status = Command::new(&this)
            .arg("--root")
            .arg(root)
            .args(args)
            .status()
            .map_err(|error| ContainerError::io("run a step", error))?;
        if !status.success() {
            return Err(ContainerError::Invalid(format!(
                "step {args:?} failed: {status}"
            )));
        }
        Ok(())
    };
    let rootfs_text = rootfs.display().to_string();
    step(
        "create and start; this CLI process ends",
        &[
            "start",
            &rootfs_text,
            "sh",
            "-c",
            "for i in 1 2 3; do echo tick $i; done; exec sleep 1000",
        ],
    )?;
    std::thread::sleep(Duration::from_millis(300));
    step("a new CLI finds it running", &["ps"])?;
    let store = ContainerStore::open(root)?;
    let container = store.get("ticker")?;
    let monitor = container.state.monitor_pid;
    let parent = std::fs::read_to_string(format!("/proc/{monitor}/stat"))
        .ok()
        .and_then(|stat| stat.rsplit(')').next().map(str::to_owned))
        .and_then(|rest| rest.split_whitespace().nth(1).map(str::to_owned))
        .unwrap_or_default();
    println!(
        "\nthe container's parent is its monitor (pid {monitor}), whose parent is now pid {parent}: the CLI that started it is gone"
    );
    step("its output, kept by the monitor", &["logs", "ticker"])?;
    step(
        "SIGTERM, which sleep as PID 1 ignores; SIGKILL after 1 s",
        &["stop", "ticker"],
    )?;
    step("exited, recorded by the monitor", &["ps"])?;
    step("gone: its directory, layers and cgroup", &["rm", "ticker"])?;
    Ok(())
}

/// `arg` as a shell would need it typed: in single quotes when it holds anything special.
fn shell_quoted(arg: &str) -> String {
    let plain = arg
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b"-_./=:".contains(&b));
    if plain && !arg.is_empty() {
        arg.to_owned()
    } else {
        format!("'{}'", arg.replace('\'', "'\\''"))
    }
}
