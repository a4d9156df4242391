//! The command line without root: help texts (snapshots) and flag errors.
// In a test, a failed unwrap is a failed test with its reason: exactly what we want.
#![allow(clippy::unwrap_used)]

use assert_cmd::Command;

fn mini_docker() -> Command {
    let mut command = Command::cargo_bin("mini-docker").unwrap();
    command.env_remove("MINI_DOCKER_ROOT");
    command
}

fn output_of(args: &[&str]) -> (i32, String) {
    let output = mini_docker().args(args).output().unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    (output.status.code().unwrap_or(-1), text)
}

#[test]
fn help_texts() {
    for (name, args) in [
        ("help", &["--help"][..]),
        ("run_help", &["run", "--help"][..]),
        ("create_help", &["create", "--help"][..]),
        ("ps_help", &["ps", "--help"][..]),
        ("logs_help", &["logs", "--help"][..]),
        ("exec_help", &["exec", "--help"][..]),
        ("stop_help", &["stop", "--help"][..]),
        ("rm_help", &["rm", "--help"][..]),
        ("inspect_help", &["inspect", "--help"][..]),
        ("events_help", &["events", "--help"][..]),
        ("doctor_help", &["doctor", "--help"][..]),
    ] {
        let (code, text) = output_of(args);
        assert_eq!(code, 0, "{text}");
        insta::assert_snapshot!(name, text);
    }
}

#[test]
fn bad_flags_are_engine_errors() {
    let (code, text) = output_of(&["run", "--bogus", "true"]);
    assert_eq!(code, 125, "{text}");
    assert!(text.contains("unexpected argument '--bogus'"), "{text}");

    let (code, text) = output_of(&["run", "--pid", "container:web", "true"]);
    assert_eq!(code, 125, "{text}");
    assert!(
        text.contains("invalid value 'container:web' for '--pid <MODE>'"),
        "{text}"
    );

    let (code, text) = output_of(&["run"]);
    assert_eq!(code, 125, "{text}");
    assert!(text.contains("<IMAGE>"), "{text}");

    let (code, _) = output_of(&["frobnicate"]);
    assert_eq!(code, 125);
}

/// The example systemd unit runs a command this binary has: `system restore`, with no
/// flags it does not know.
#[test]
fn the_systemd_unit_runs_system_restore() {
    let unit = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("systemd/mini-docker-restore.service"),
    )
    .unwrap();
    let exec_start = unit
        .lines()
        .find_map(|line| line.strip_prefix("ExecStart="))
        .expect("the unit has an ExecStart line");
    let mut words = exec_start.split_whitespace();
    assert_eq!(words.next(), Some("/usr/local/bin/mini-docker"));
    let args: Vec<&str> = words.collect();
    assert_eq!(args, ["system", "restore"]);
    let mut help = args.clone();
    help.push("--help");
    let (code, text) = output_of(&help);
    assert_eq!(code, 0, "{text}");
    assert!(
        text.contains("Start the containers whose restart policy"),
        "{text}"
    );
    for key in [
        "Type=oneshot",
        "KillMode=process",
        "WantedBy=multi-user.target",
    ] {
        assert!(unit.lines().any(|line| line == key), "{key} missing");
    }
}
