//! The commands that look at containers (chapter 7): ps, logs, inspect, events, top,
//! stats, diff.

use std::io::Write;
use std::path::Path;
use std::time::SystemTime;

use chapter07::chapter06::chapter05::chapter04::chapter03::chapter01::ContainerError;
use chapter07::chapter06::chapter05::chapter04::{Cgroup, Hierarchy};
use chapter07::chapter06::chapter05::diff::changes;
use chapter07::chapter06::chapter05::store::LayerStore;
use chapter07::chapter06::chapter05::ContainerFs;
use chapter07::chapter06::listing::inspect as inspect_image;
use chapter07::chapter06::ImageStore;
use chapter07::events::{EventFilter, EventLog};
use chapter07::listing::{self, PsOptions};
use chapter07::logs::{self, LogOptions};
use chapter07::template::Template;
use chapter07::timearg::parse_time_arg;
use chapter07::ContainerStore;

use super::{print_error, report};
use crate::cli::{ContainerArg, EventsArgs, InspectArgs, LogsArgs, PsArgs, StatsArgs, TopArgs};

/// `ps [-a] [-q] [-l] [--no-trunc]`
pub fn ps(root: &Path, args: PsArgs) -> i32 {
    report(|| {
        let store = ContainerStore::open(root)?;
        let options = PsOptions {
            all: args.all,
            quiet: args.quiet,
            latest: args.latest,
            no_trunc: args.no_trunc,
        };
        let shown = listing::select(store.list(), options);
        let text = match &args.format {
            Some(format) if !args.quiet => {
                listing::ps_format(&shown, format, args.no_trunc, SystemTime::now())
                    .map_err(|error| ContainerError::Invalid(error.to_string()))?
            }
            _ => listing::ps(&shown, options, SystemTime::now()),
        };
        print!("{text}");
        Ok(())
    })
}

/// `logs [-f] [--tail N] [-t] [--since T] [--until T] CONTAINER`
pub fn logs(root: &Path, args: LogsArgs) -> i32 {
    report(|| {
        let now = SystemTime::now();
        let options = LogOptions {
            tail: logs::parse_tail(&args.tail).map_err(ContainerError::Invalid)?,
            since: time_arg("--since", args.since.as_deref(), now)?,
            until: time_arg("--until", args.until.as_deref(), now)?,
            timestamps: args.timestamps,
            follow: args.follow,
        };
        let store = ContainerStore::open(root)?;
        let container = store.get(&args.container)?;
        let (mut out, mut err) = (std::io::stdout(), std::io::stderr());
        let mut still_running = || container.monitor_alive();
        logs::show(
            &container.log_path(),
            &options,
            &mut out,
            &mut err,
            &mut still_running,
        )
        .map_err(|error| ContainerError::io("read the log", error))
    })
}

fn time_arg(
    flag: &str,
    value: Option<&str>,
    now: SystemTime,
) -> Result<Option<SystemTime>, ContainerError> {
    value
        .map(|value| parse_time_arg(flag, value, now).map_err(ContainerError::Invalid))
        .transpose()
}

// ANCHOR: inspect
/// `inspect [-f TEMPLATE] NAME…`: containers first, then images, like docker.
pub fn inspect(root: &Path, args: InspectArgs) -> i32 {
    let template = match args.format.as_deref().map(Template::parse).transpose() {
        Ok(template) => template,
        Err(error) => {
            print_error(&error);
            return crate::ENGINE_ERROR;
        }
    };
    let containers = ContainerStore::open(root).ok();
    let images = ImageStore::open(root).ok();
    let mut found = Vec::new();
    let mut code = 0;
    for name in &args.objects {
        let kind = args.kind.as_deref();
        let container = containers
            .as_ref()
            .filter(|_| kind != Some("image"))
            .and_then(|store| store.get(name).ok().map(|c| listing::inspect(&c, root)));
        let image = || {
            images
                .as_ref()
                .filter(|_| kind != Some("container"))
                .and_then(|store| {
                    let image = store.resolve(name).and_then(|id| store.image(&id)).ok()?;
                    inspect_image(store, &image).ok()
                })
        };
        match container.or_else(image) {
            Some(value) => found.push(value),
            None => {
                print_error(&format!("No such object: {name}"));
                code = 1;
            }
        }
    }
    match template {
        Some(template) => {
            for value in &found {
                match template.render(value) {
                    Ok(text) => println!("{text}"),
                    Err(error) => {
                        print_error(&error);
                        return crate::ENGINE_ERROR;
                    }
                }
            }
        }
        None => {
            // Pretty JSON with docker's four-space indent.
            let mut out = Vec::new();
            let formatter = serde_json::ser::PrettyFormatter::with_indent(b"    ");
            let mut serializer = serde_json::Serializer::with_formatter(&mut out, formatter);
            if serde::Serialize::serialize(&found, &mut serializer).is_ok() {
                println!("{}", String::from_utf8_lossy(&out));
            }
        }
    }
    code
}
// ANCHOR_END: inspect

/// `events [--since T] [--until T] [--filter K=V]…`: streams until interrupted (or `--until`).
pub fn events(root: &Path, args: EventsArgs) -> i32 {
    report(|| {
        let now = SystemTime::now();
        let filter = EventFilter {
            since: time_arg("--since", args.since.as_deref(), now)?,
            until: time_arg("--until", args.until.as_deref(), now)?,
            filters: EventFilter::parse_filters(&args.filter).map_err(ContainerError::Invalid)?,
        };
        let mut out = std::io::stdout();
        EventLog::at(root)
            .follow(&filter, &mut out, &mut || false)
            .map_err(|error| ContainerError::io("read the events", error))
    })
}

/// `top CONTAINER [ps OPTIONS]`: the host's `ps`, limited to the container's processes.
pub fn top(root: &Path, args: TopArgs) -> i32 {
    report(|| {
        let store = ContainerStore::open(root)?;
        let container = store.get(&args.container)?;
        if container.running_pid().is_none() {
            return Err(ContainerError::Invalid(format!(
                "container {} is not running",
                container.id()
            )));
        }
        let pids = container_pids(container.id())?;
        let options = if args.ps_options.is_empty() {
            vec!["-ef".to_owned()]
        } else {
            args.ps_options.clone()
        };
        let output = std::process::Command::new("ps")
            .args(&options)
            .output()
            .map_err(|error| ContainerError::io("run ps", error))?;
        let text = String::from_utf8_lossy(&output.stdout);
        let mut lines = text.lines();
        let header = lines.next().unwrap_or_default();
        let pid_column = header
            .split_whitespace()
            .position(|column| column == "PID")
            .ok_or_else(|| ContainerError::Invalid("ps printed no PID column".into()))?;
        println!("{header}");
        for line in lines {
            let pid = line
                .split_whitespace()
                .nth(pid_column)
                .and_then(|p| p.parse().ok());
            if pid.is_some_and(|pid: i32| pids.contains(&pid)) {
                println!("{line}");
            }
        }
        chapter07::monitor::event(root, "top", &container, &[]);
        Ok(())
    })
}

/// The host pids in a container's cgroup.
fn container_pids(id: &str) -> Result<Vec<i32>, ContainerError> {
    let hierarchy = Hierarchy::detect().map_err(ContainerError::Invalid)?;
    let cgroup = Cgroup::open(&hierarchy, id)?;
    let mut pids = Vec::new();
    for dir in cgroup.unique_dirs() {
        if let Ok(text) = std::fs::read_to_string(dir.join("cgroup.procs")) {
            pids.extend(
                text.lines()
                    .filter_map(|line| line.trim().parse::<i32>().ok()),
            );
        }
    }
    pids.sort_unstable();
    pids.dedup();
    Ok(pids)
}

/// `stats [--no-stream] [-a] [CONTAINER…]`: one table of the cgroups' numbers (streaming
/// redraws it every second).
pub fn stats(root: &Path, args: StatsArgs) -> i32 {
    report(|| {
        let store = ContainerStore::open(root)?;
        let hierarchy = Hierarchy::detect().map_err(ContainerError::Invalid)?;
        loop {
            let containers: Vec<_> = if args.containers.is_empty() {
                store
                    .list()
                    .into_iter()
                    .filter(|c| args.all || c.state.running)
                    .collect()
            } else {
                args.containers
                    .iter()
                    .map(|r| store.get(r))
                    .collect::<Result<_, _>>()?
            };
            let first: Vec<_> = containers
                .iter()
                .map(|c| Cgroup::open(&hierarchy, c.id()).ok().map(|g| g.stats()))
                .collect();
            let interval = std::time::Duration::from_millis(500);
            std::thread::sleep(interval);
            let rows: Vec<Vec<String>> = containers
                .iter()
                .zip(first)
                .map(|(container, before)| {
                    let after = Cgroup::open(&hierarchy, container.id())
                        .ok()
                        .map(|g| g.stats());
                    stats_row(container, before, after, interval)
                })
                .collect();
            let table = chapter07::chapter06::format::table(
                &[
                    "CONTAINER ID",
                    "NAME",
                    "CPU %",
                    "MEM USAGE / LIMIT",
                    "MEM %",
                    "PIDS",
                ],
                &rows,
            );
            if args.no_stream {
                print!("{table}");
                return Ok(());
            }
            print!("\x1b[2J\x1b[H{table}");
            let _ = std::io::stdout().flush();
        }
    })
}

fn stats_row(
    container: &chapter07::Container,
    before: Option<chapter07::chapter06::chapter05::chapter04::Stats>,
    after: Option<chapter07::chapter06::chapter05::chapter04::Stats>,
    interval: std::time::Duration,
) -> Vec<String> {
    let Some(after) = after else {
        return vec![
            container.short_id().to_owned(),
            container.name().to_owned(),
            "--".into(),
            "-- / --".into(),
            "--".into(),
            "--".into(),
        ];
    };
    let cpu = before
        .map(|before| after.cpu_time.saturating_sub(before.cpu_time).as_secs_f64())
        .unwrap_or(0.0)
        / interval.as_secs_f64()
        * 100.0;
    let limit = after.memory_limit.unwrap_or_else(host_memory);
    let binary = |bytes: u64| binary_size(bytes);
    vec![
        container.short_id().to_owned(),
        container.name().to_owned(),
        format!("{cpu:.2}%"),
        format!("{} / {}", binary(after.memory_usage), binary(limit)),
        format!(
            "{:.2}%",
            after.memory_usage as f64 * 100.0 / limit.max(1) as f64
        ),
        after.pids.to_string(),
    ]
}

/// Docker's stats sizes: binary units with two decimals (`1.5MiB`).
fn binary_size(bytes: u64) -> String {
    let units = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < units.len() {
        value /= 1024.0;
        unit += 1;
    }
    format!("{value:.2}{}", units[unit])
}

fn host_memory() -> u64 {
    std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|text| {
            text.lines()
                .find_map(|line| line.strip_prefix("MemTotal:"))
                .and_then(|rest| {
                    rest.trim()
                        .trim_end_matches("kB")
                        .trim()
                        .parse::<u64>()
                        .ok()
                })
        })
        .map_or(0, |kib| kib * 1024)
}

/// `diff CONTAINER`: the container layer's changes (chapter 5).
pub fn diff(root: &Path, args: ContainerArg) -> i32 {
    report(|| {
        let store = ContainerStore::open(root)?;
        let container = store.get(&args.container)?;
        let layers = LayerStore::open(root)?;
        let fs = ContainerFs::open(&layers, container.id())?;
        for change in changes(&fs.upper(), &fs.lower_dirs()) {
            println!("{change}");
        }
        Ok(())
    })
}
