//! Chapter 7 without root: the state machine, `ps`'s table and STATUS words, `inspect`'s
//! JSON and `--format`, and event lines — all pure functions, pinned by snapshots.
// In a test, a failed unwrap is a failed test with its reason: exactly what we want.
#![allow(clippy::unwrap_used)]

use std::path::PathBuf;
use std::time::{Duration, SystemTime};

use chapter07::chapter06::format::human_duration;
use chapter07::events::Event;
use chapter07::listing::{self, PsOptions};
use chapter07::mounts::MountSpec;
use chapter07::spec::{Config, HostConfig};
use chapter07::state::{next, status_text, State, Status, Transition};
use chapter07::store::Record;
use chapter07::template::Template;
use chapter07::Container;

/// A fixed "now" so every duration in a snapshot is stable: 2026-11-22T12:00:00Z.
fn now() -> SystemTime {
    humantime::parse_rfc3339("2026-11-22T12:00:00Z").unwrap()
}

fn before_now(seconds: u64) -> String {
    humantime::format_rfc3339_nanos(now() - Duration::from_secs(seconds)).to_string()
}

fn container(
    id_digit: char,
    name: &str,
    command: &[&str],
    created_ago: u64,
    state: State,
) -> Container {
    let id: String = std::iter::repeat(id_digit)
        .take(12)
        .chain("0123456789abcdef0123456789abcdef0123456789abcdef0123".chars())
        .collect();
    let record = Record {
        id: format!("{}{}", &id[..12], &id[12..64]),
        created: before_now(created_ago),
        path: command[0].to_owned(),
        args: command[1..].iter().map(|s| s.to_string()).collect(),
        image: "sha256:5b0d5b16ab2a3a7ba1a8e9dfa4cd0a0c1bc1fe6b0a5c31e4c8b9b1f0d2a3b4c5".into(),
        name: format!("/{name}"),
        config: Config {
            hostname: id[..12].to_owned(),
            image: "busybox".into(),
            cmd: command.iter().map(|s| s.to_string()).collect(),
            env: vec!["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin".into()],
            ..Config::default()
        },
        host_config: HostConfig::default(),
        mounts: Vec::new(),
    };
    Container::from_parts(
        record,
        state,
        PathBuf::from(format!("/var/lib/mini-docker/containers/{id}")),
    )
}

fn state(status: Status, started_ago: u64, finished_ago: Option<u64>, exit_code: i32) -> State {
    let mut state = State::default();
    state.set_status(status);
    state.started_at = before_now(started_ago);
    if let Some(ago) = finished_ago {
        state.finished_at = before_now(ago);
    }
    state.exit_code = exit_code;
    if state.running {
        state.pid = 4242;
    }
    state
}

/// The containers of a small, made-up machine, newest first as the store lists them.
fn machine() -> Vec<Container> {
    vec![
        container(
            'a',
            "web",
            &["httpd", "-f", "-p", "80"],
            3,
            state(Status::Running, 2, None, 0),
        ),
        container(
            'b',
            "paused_one",
            &["sleep", "1000"],
            200,
            state(Status::Paused, 190, None, 0),
        ),
        container(
            'c',
            "flaky",
            &["sh", "-c", "exit 1"],
            4000,
            state(Status::Restarting, 3990, Some(0), 1),
        ),
        container(
            'd',
            "done",
            &["sh", "-c", "echo \"Hello World\"; exit 3"],
            8000,
            state(Status::Exited, 7999, Some(7990), 3),
        ),
        container('e', "fresh", &["true"], 90_000, State::default()),
        container(
            'f',
            "lost",
            &["sleep", "1000"],
            400_000,
            state(Status::Dead, 399_000, None, 0),
        ),
    ]
}

#[test]
fn the_state_machine() {
    let statuses = [
        Status::Created,
        Status::Running,
        Status::Paused,
        Status::Restarting,
        Status::Exited,
        Status::Dead,
        Status::Removing,
    ];
    let transitions = [
        ("start", Transition::Start),
        ("pause", Transition::Pause),
        ("unpause", Transition::Unpause),
        ("exit", Transition::Exit { restarting: false }),
        ("exit, restart", Transition::Exit { restarting: true }),
        ("rm", Transition::Remove),
        ("monitor lost", Transition::MonitorLost),
    ];
    let mut table = String::new();
    for from in statuses {
        for (name, transition) in transitions {
            let outcome = match next(from, transition) {
                Ok(to) => to.as_str().to_owned(),
                Err(refusal) => format!("refused: {refusal}"),
            };
            table.push_str(&format!("{:<10} --{name:-<14}> {outcome}\n", from.as_str()));
        }
    }
    insta::assert_snapshot!(table);
}

#[test]
fn ps_shows_every_state_in_dockers_words() {
    let containers = machine();
    let all = PsOptions {
        all: true,
        ..PsOptions::default()
    };
    insta::assert_snapshot!("ps_a", listing::ps(&containers, all, now()));
    let running = listing::select(machine(), PsOptions::default());
    insta::assert_snapshot!("ps", listing::ps(&running, PsOptions::default(), now()));
    let wide = PsOptions {
        all: true,
        no_trunc: true,
        ..PsOptions::default()
    };
    insta::assert_snapshot!("ps_a_no_trunc", listing::ps(&containers, wide, now()));
    let quiet = PsOptions {
        all: true,
        quiet: true,
        ..PsOptions::default()
    };
    insta::assert_snapshot!("ps_a_q", listing::ps(&containers, quiet, now()));
    let latest = listing::select(
        machine(),
        PsOptions {
            latest: true,
            ..PsOptions::default()
        },
    );
    assert_eq!(latest.len(), 1);
    assert_eq!(latest[0].name(), "web");
}

#[test]
fn status_words_over_time() {
    let mut lines = String::new();
    for seconds in [
        0, 1, 59, 60, 119, 120, 3599, 3600, 5399, 5400, 86_399, 172_800, 1_209_600, 5_184_000,
        63_072_000,
    ] {
        let up = state(Status::Running, seconds, None, 0);
        let exited = state(Status::Exited, seconds + 10, Some(seconds), 137);
        lines.push_str(&format!(
            "{seconds:>9} s: {:<22} | {}\n",
            status_text(&up, now(), &human_duration),
            status_text(&exited, now(), &human_duration)
        ));
    }
    insta::assert_snapshot!(lines);
}

#[test]
fn inspect_json_and_format() {
    let mut web = machine().remove(0);
    web.record.mounts = vec![MountSpec::Tmpfs {
        destination: "/run".into(),
        options: "size=64m".into(),
    }];
    web.record.host_config.resources.memory = Some("200m".into());
    let value = listing::inspect(&web, std::path::Path::new("/var/lib/mini-docker"));
    insta::assert_json_snapshot!("inspect_web", value);
    for (template, expected) in [
        ("{{.State.Status}} {{.State.Pid}}", "running 4242"),
        ("{{.Name}}", "/web"),
        ("{{json .Config.Cmd}}", r#"["httpd","-f","-p","80"]"#),
        ("{{.HostConfig.Memory}}", "209715200"),
        (
            "{{range .Mounts}}{{.Type}}:{{.Destination}}{{end}}",
            "tmpfs:/run",
        ),
    ] {
        let rendered = Template::parse(template).unwrap().render(&value).unwrap();
        assert_eq!(rendered, expected, "{template}");
    }
}

#[test]
fn event_lines() {
    let id = "3f2a".repeat(16);
    let mut lines = String::new();
    for (action, attributes) in [
        ("create", vec![("image", "busybox"), ("name", "web")]),
        (
            "kill",
            vec![("image", "busybox"), ("name", "web"), ("signal", "15")],
        ),
        (
            "die",
            vec![("exitCode", "143"), ("image", "busybox"), ("name", "web")],
        ),
        (
            "rename",
            vec![("image", "busybox"), ("name", "web2"), ("oldName", "/web")],
        ),
    ] {
        let mut event = Event::container(action, &id, &attributes);
        event.time = humantime::parse_rfc3339("2026-11-22T12:00:00.123456789Z").unwrap();
        lines.push_str(&event.text());
        lines.push('\n');
    }
    insta::assert_snapshot!(lines);
}
