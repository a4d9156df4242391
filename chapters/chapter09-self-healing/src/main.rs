//! `cargo run -p chapter09 -- flap ROOTFS`: a crashing container backing off.
//!
//! The demo creates a container on ROOTFS (a busybox root) whose command fails at once,
//! with `--restart on-failure:4`, starts it, and prints each start as the monitor makes it:
//! the gaps grow from 100 ms, doubling, until the policy gives up. Then it removes the
//! container.
//!
//! Other subcommands: `timeline` prints the policy's decisions for a few exit sequences
//! without running anything (the book's table); `monitor ID` is used by `flap`. All take
//! `--root DIR` (default: a directory under /tmp).

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use chapter09::chapter08::chapter07::chapter06::chapter05::chapter04::chapter03::chapter01::ContainerError;
use chapter09::chapter08::chapter07::create::{Base, CreateRequest};
use chapter09::chapter08::chapter07::events::{EventFilter, EventLog};
use chapter09::chapter08::chapter07::launch::MonitorProgram;
use chapter09::chapter08::chapter07::state::Status;
use chapter09::chapter08::chapter07::{control, ContainerStore};
use chapter09::flags::{parse_args, SelfHealingArgs};
use chapter09::restart::{timeline, Backoff, RestartPolicy};
use chapter09::SelfHealingHooks;

const DEFAULT_ROOT: &str = "/tmp/chapter09-demo";

fn main() {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let mut root = PathBuf::from(DEFAULT_ROOT);
    if args.first().map(String::as_str) == Some("--root") && args.len() >= 2 {
        root = PathBuf::from(&args[1]);
        args.drain(..2);
    }
    // Registered for the rest of the process: the demo's CLI part and the monitors.
    let hooks = SelfHealingHooks::default();
    chapter09::chapter08::chapter07::hooks::register(Box::leak(Box::new(hooks)));
    let result = match args.first().map(String::as_str) {
        Some("flap") if args.len() == 2 => flap(&root, Path::new(&args[1])),
        Some("timeline") => {
            print!("{}", timelines());
            Ok(())
        }
        Some("monitor") if args.len() == 2 => std::process::exit(
            chapter09::chapter08::chapter07::monitor::main(&root, &args[1]),
        ),
        _ => {
            eprintln!("usage: chapter09 [--root DIR] flap ROOTFS | timeline");
            std::process::exit(2);
        }
    };
    if let Err(error) = result {
        eprintln!("chapter09: {error}");
        std::process::exit(error.exit_code());
    }
}

/// A title, a policy, and the exits `(code, run length)` it meets.
type Story = (&'static str, RestartPolicy, Vec<(i32, Duration)>);

// ANCHOR: timelines
/// The restart policy's decisions for three stories, computed, not run.
fn timelines() -> String {
    let backoff = Backoff::default();
    let quick = Duration::from_millis(30);
    let stories: [Story; 3] = [
        (
            "on-failure:3, a command that fails at once",
            RestartPolicy::OnFailure { max_retries: 3 },
            vec![(1, quick); 5],
        ),
        (
            "always, with one run of 12 s among quick ones",
            RestartPolicy::Always,
            vec![
                (0, quick),
                (0, quick),
                (0, quick),
                (0, Duration::from_secs(12)),
                (0, quick),
            ],
        ),
        (
            "unless-stopped, crashing for good",
            RestartPolicy::UnlessStopped,
            vec![(139, quick); 12],
        ),
    ];
    let mut text = String::new();
    for (title, policy, exits) in stories {
        text.push_str(&format!("{title}:\n"));
        for line in timeline(&policy, &exits, &backoff) {
            text.push_str(&format!("  {line}\n"));
        }
    }
    text
}
// ANCHOR_END: timelines

/// Creates the flapping container, starts it, and prints its starts until it gives up.
fn flap(root: &Path, rootfs: &Path) -> Result<(), ContainerError> {
    std::fs::create_dir_all(root).map_err(|error| ContainerError::io("create the root", error))?;
    let store = ContainerStore::open(root)?;
    let flags = SelfHealingArgs {
        restart: Some("on-failure:4".into()),
        ..SelfHealingArgs::default()
    };
    let request = CreateRequest {
        command: vec!["sh".into(), "-c".into(), "exit 1".into()],
        self_healing: parse_args(&flags, false, None).map_err(ContainerError::Invalid)?,
        ..CreateRequest::default()
    };
    let container = chapter09::chapter08::chapter07::create::create(
        &store,
        &Base::Directory(rootfs.to_owned()),
        request,
    )?;
    let program = MonitorProgram::this_program(vec![
        "--root".into(),
        root.as_os_str().to_owned(),
        "monitor".into(),
    ]);
    println!(
        "container {} with --restart on-failure:4: sh -c 'exit 1'",
        container.short_id()
    );
    control::start(&program, &container, None)?;
    // The monitor restarts it on its own; wait until it gives up.
    loop {
        let now = store.load(container.id())?;
        if now.state.status == Status::Exited {
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    // The monitor's own record of what happened, with its times: the event log.
    let filter = EventFilter {
        filters: vec![("container".into(), container.id().into())],
        ..EventFilter::default()
    };
    let events = EventLog::at(root)
        .read(&filter)
        .map_err(|error| ContainerError::io("read the event log", error))?;
    let first = events.first().map_or(SystemTime::now(), |event| event.time);
    let millis = |time: SystemTime| time.duration_since(first).unwrap_or_default().as_millis();
    let (mut starts, mut died) = (0, None);
    for event in &events {
        match event.action.as_str() {
            "start" => {
                let waited = died.map_or(String::new(), |at: SystemTime| {
                    let gap = event.time.duration_since(at).unwrap_or_default();
                    format!("   ({} ms after the exit)", gap.as_millis())
                });
                println!("start #{starts} at {:>5} ms{waited}", millis(event.time));
                starts += 1;
            }
            "die" => {
                died = Some(event.time);
                let code = event.attributes.get("exitCode").map_or("?", String::as_str);
                println!("exit {code}   at {:>5} ms", millis(event.time));
            }
            _ => {}
        }
    }
    let end = store.load(container.id())?;
    println!(
        "gave up: Exited ({}) after {} restarts",
        end.state.exit_code, end.state.restart_count
    );
    control::remove(&store, container.id(), true, true)?;
    Ok(())
}
