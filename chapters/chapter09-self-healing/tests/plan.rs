//! Chapter 9's decisions, without root: the restart policy's timelines (the `timeline` demo,
//! as the book's transcript) and the shapes `inspect` and `ps` give a health check.
// In a test, a failed unwrap is a failed test with its reason: exactly what we want.
#![allow(clippy::unwrap_used)]

use std::process::Command;
use std::time::{Duration, SystemTime};

use chapter09::chapter08::chapter07::state::{status_text, State, Status};
use chapter09::health::{timed_out, Health, HealthConfig, HealthRules, ProbeResult};

#[test]
fn the_timeline_demo_is_the_books_transcript() {
    let output = Command::new(env!("CARGO_BIN_EXE_chapter09"))
        .arg("timeline")
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    let mut session = testkit::transcript::Session::new();
    session.record("cargo run -q -p chapter09 -- timeline", &output);
    session.assert_matches_book("ch09-timeline");
}

fn probe(second: u32, exit_code: i32, output: &str) -> ProbeResult {
    ProbeResult {
        start: format!("2026-11-22T10:00:{second:02}.100000000Z"),
        end: format!("2026-11-22T10:00:{second:02}.130000000Z"),
        exit_code,
        output: output.to_owned(),
    }
}

#[test]
fn inspect_health_json() {
    let config = HealthConfig {
        test: vec![
            "CMD-SHELL".into(),
            "wget -q -O /dev/null http://127.0.0.1/".into(),
        ],
        retries: 2,
        ..HealthConfig::default()
    };
    let mut health = Health::starting();
    health.record(probe(1, 0, ""), &config, false);
    health.record(
        probe(
            2,
            1,
            "wget: server returned error: HTTP/1.1 404 Not Found\n",
        ),
        &config,
        false,
    );
    let timeout = timed_out(
        "2026-11-22T10:00:03.100000000Z".into(),
        "2026-11-22T10:00:33.100000000Z".into(),
        Duration::from_secs(30),
    );
    health.record(timeout, &config, false);
    insta::assert_snapshot!(
        "inspect_health",
        serde_json::to_string_pretty(&health).unwrap()
    );
    insta::assert_snapshot!(
        "healthcheck_config",
        serde_json::to_string_pretty(&config).unwrap()
    );
}

#[test]
fn ps_status_with_health() {
    let now = SystemTime::now();
    let human = |_: Duration| "5 minutes".to_owned();
    let mut lines = String::new();
    let mut state = State::default();
    state.set_status(Status::Running);
    lines.push_str(&format!(
        "no check:  {}\n",
        status_text(&state, now, &human)
    ));
    state.health = Some(Health::starting());
    for status in ["starting", "healthy", "unhealthy"] {
        if let Some(health) = &mut state.health {
            health.status = serde_json::from_value(status.into()).unwrap();
        }
        lines.push_str(&format!(
            "{status:<10} {}\n",
            status_text(&state, now, &human)
        ));
    }
    state.set_status(Status::Restarting);
    state.exit_code = 1;
    lines.push_str(&format!(
        "restarting {}\n",
        status_text(&state, now, &human)
    ));
    insta::assert_snapshot!("ps_status", lines);
}
