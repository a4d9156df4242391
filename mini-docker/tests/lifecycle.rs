//! The lifecycle commands end to end (root), recorded as the book's chapter 7 transcript:
//! create, start, ps, exec, logs, stop, events, rm — each a separate CLI process, with
//! only the state root between them.
// In a test, a failed unwrap is a failed test with its reason: exactly what we want.
#![allow(clippy::unwrap_used)]

use std::time::SystemTime;

mod fixture;

use fixture::Fixture;
use testkit::{require_root, Session};

fn stdout(output: &std::process::Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

#[test]
fn a_containers_life_in_separate_commands() {
    if !require_root("mini-docker: the lifecycle transcript") {
        return;
    }
    let fixture = Fixture::new();
    // Whatever fails below, the container goes (rm -f kills it and cleans up).
    let _cleanup = testkit::Cleanup::new(|| {
        let _ = fixture.docker(&["rm", "-f", "web"]);
    });
    assert!(fixture.import_busybox().status.success());
    let since = humantime::format_rfc3339_nanos(SystemTime::now()).to_string();
    let mut session = Session::new();
    session.replace(since.clone(), "$START");
    let step = |session: &mut Session, args: &[&str]| run_step(&fixture, session, args);
    let script = "echo serving on port 8080; exec httpd -f -p 8080";
    let created = step(
        &mut session,
        &[
            "create", "--init", "--name", "web", "-h", "web", "busybox", "sh", "-c", script,
        ],
    );
    assert!(created.status.success(), "{created:?}");
    let id = stdout(&created).trim().to_owned();
    let table = "table {{.Names}}\\t{{.Image}}\\t{{.State}}\\t{{.Command}}";
    let listed = step(&mut session, &["ps", "-a", "--format", table]);
    assert!(stdout(&listed).contains("created"), "{listed:?}");
    assert!(step(&mut session, &["start", "web"]).status.success());
    let inside = step(
        &mut session,
        &[
            "exec",
            "web",
            "sh",
            "-c",
            "echo PID 1 is $(cat /proc/1/comm) on $(hostname)",
        ],
    );
    assert_eq!(stdout(&inside), "PID 1 is init on web\n");
    let logs = step(&mut session, &["logs", "web"]);
    assert_eq!(stdout(&logs), "serving on port 8080\n");
    let stopped = step(&mut session, &["stop", "-t", "1", "web"]);
    assert!(stopped.status.success());
    let listed = step(&mut session, &["ps", "-a", "--format", table]);
    assert!(stdout(&listed).contains("exited"), "{listed:?}");
    let until = humantime::format_rfc3339_nanos(SystemTime::now()).to_string();
    let events = fixture.docker(&["events", "--since", &since, "--until", &until]);
    let actions: Vec<&str> = std::str::from_utf8(&events.stdout)
        .unwrap()
        .lines()
        .map(|line| line.split_whitespace().nth(2).unwrap())
        .collect();
    // With --init, PID 1 passes SIGTERM on to httpd, which dies of it: no SIGKILL needed.
    // (Without it, httpd as PID 1 would ignore SIGTERM; see the chapter07 walk.)
    assert_eq!(
        actions,
        [
            "create",
            "start",
            "exec_create:",
            "exec_start:",
            "exec_die",
            "kill",
            "die",
            "stop"
        ]
    );
    session
        .replace(since.clone(), "$START")
        .replace(until.clone(), "$NOW");
    session.record("mini-docker events --since $START --until $NOW", &events);
    assert!(step(&mut session, &["rm", "web"]).status.success());
    assert!(fixture.records().is_empty());
    assert!(!id.is_empty());
    session.assert_matches_book("ch07-lifecycle");
}

/// Runs `mini-docker ARGS…` and records it, quoting arguments the way a shell needs them.
fn run_step(fixture: &Fixture, session: &mut Session, args: &[&str]) -> std::process::Output {
    let output = fixture.docker(args);
    session.record(&fixture::command_line(args), &output);
    output
}
