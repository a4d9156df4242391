//! Seeds 000 and 004: self-healing. A container that crashes comes back by its restart
//! policy — not at once and not forever, but with docker's backoff (100 ms, doubling, reset
//! after a long run; `seed000_restart_backoff` times it); a container that runs but no longer works is found out by its health
//! check (`starting` → `healthy` → `unhealthy`), and with podman's `--health-on-failure`
//! something is done about it. Without a daemon, `system restore` is what brings containers
//! back after the host reboots.
//!
//! The seeds use nginx and a config file the check reads; these tests run the same stories
//! on a busybox rootfs (`httpd`, `wget`, `sh`), without a network (`--network none`: the
//! probes run inside the container, on its own loopback). Times are asserted loosely —
//! growth and generous bounds — never exactly: the machine may be busy.
//!
//! Every test has its own state root (`Engine`), which kills and removes its containers when
//! dropped, also when the test fails half-way.
// In a test, a failed unwrap is a failed test with its reason: exactly what we want.
#![allow(clippy::unwrap_used)]

mod lifecycle;
mod self_healing;

use std::time::{Duration, SystemTime};

use lifecycle::{finish, monitors_of, wait_until, Engine};
use nix::sys::signal::{kill, Signal};
use nix::unistd::Pid;
use self_healing::{restart_count, status};
use testkit::require_root;
use testkit::transcript::Session;

const SECOND: Duration = Duration::from_secs(1);

/// The health check of seed 000, on busybox: the page must be served.
const WEB_CHECK: &str = "wget -q -O /dev/null http://127.0.0.1/ || exit 1";

/// A busybox httpd serving `/www` in the foreground. It starts with no page: the test puts
/// it there when it is ready to see the container turn healthy, so `starting` cannot be
/// missed however slow the machine is.
const WEB_SERVER: [&str; 3] = ["sh", "-c", "mkdir -p /www && exec httpd -f -h /www"];

/// The command that publishes the page, run with `exec` inside the container.
const PUBLISH_PAGE: &str = "echo hello > /www/index.html";

// ---------------------------------------------------------------------------------------
// Restart policies
// ---------------------------------------------------------------------------------------

/// `run` without `-d` and `wait` report the end of a *run*, as docker's do: with a policy
/// that never gives up, waiting for the container's last exit would never return.
#[test]
fn run_and_wait_return_at_the_end_of_a_run_not_of_the_policy() {
    if !require_root("run_and_wait_return_at_the_end_of_a_run_not_of_the_policy") {
        return;
    }
    let engine = Engine::new();
    let flags = [
        "--name",
        "again",
        "--network",
        "none",
        "--restart",
        "always",
    ];
    let run = engine.run_args("run", &flags, &["sh", "-c", "sleep 0.2; exit 4"]);
    let run = finish(engine.command(&lifecycle::strs(&run)), 20 * SECOND);
    assert_eq!(run.code, 4, "{run:?}");
    wait_until("again is restarted", 10 * SECOND, || {
        restart_count(&engine, "again") >= 1
    });

    // `wait` finds it running or waiting to restart, and returns when that run ends.
    let waited = finish(engine.command(&["wait", "again"]), 20 * SECOND);
    assert_eq!((waited.code, waited.stdout.trim()), (0, "4"), "{waited:?}");
    // The policy goes on: the container was not stopped by any of this.
    assert_ne!(status(&engine, "again"), "exited");

    // Stopped during a delay or a run, its run is over: `wait` returns at once.
    engine.ok(&["stop", "-t", "1", "again"]);
    let waited = finish(engine.command(&["wait", "again"]), 5 * SECOND);
    assert_eq!(waited.code, 0, "{waited:?}");
    assert_eq!(status(&engine, "again"), "exited");
}

#[test]
fn always_keeps_a_clean_exit_coming_back_until_stop() {
    if !require_root("always_keeps_a_clean_exit_coming_back_until_stop") {
        return;
    }
    let engine = Engine::new();
    engine.run_detached(
        "phoenix",
        &["--network", "none", "--restart", "always"],
        &["true"],
    );
    // After three restarts the delays are 400 ms and more: the container is `restarting`
    // most of the time, and `ps` (without -a) still lists it, as docker does. The status is
    // read from that same `ps`: on a slow machine (the emulated cgroup v2 VM) a delay can
    // run out between one CLI call and the next.
    wait_until(
        "ps lists phoenix restarting after 3 restarts",
        30 * SECOND,
        || {
            restart_count(&engine, "phoenix") >= 3
                && engine
                    .ok(&["ps", "--format", "{{.Names}} {{.Status}}"])
                    .starts_with("phoenix Restarting (0) ")
        },
    );
    // A stop during the delay cancels the pending restart at once: nothing runs, so there
    // is no 5 s grace period to wait out. (The delay may also have run out just before the
    // stop, and `true` run once more: the count is read after the stop, not before.)
    let started = std::time::Instant::now();
    engine.ok(&["stop", "-t", "5", "phoenix"]);
    assert!(started.elapsed() < 5 * SECOND, "{:?}", started.elapsed());
    assert_eq!(status(&engine, "phoenix"), "exited");
    let count = restart_count(&engine, "phoenix");
    std::thread::sleep(2 * SECOND);
    assert_eq!(status(&engine, "phoenix"), "exited", "stopped for good");
    assert_eq!(restart_count(&engine, "phoenix"), count);
    assert!(monitors_of(&engine.root()).is_empty());

    // A user's start begins a new life: the count starts over, so once stopped again it
    // counts the restarts of this life (however many the machine's speed allowed), not
    // those of the one before. As docker's, the count grows when a restart is decided, at
    // the exit: a stop during the delay leaves one more counted than started.
    let new_life = std::time::SystemTime::now();
    engine.ok(&["start", "phoenix"]);
    wait_until("phoenix restarted again", 10 * SECOND, || {
        restart_count(&engine, "phoenix") >= 1
    });
    engine.ok(&["stop", "-t", "1", "phoenix"]);
    let starts = engine
        .events_of("phoenix", new_life)
        .iter()
        .filter(|event| event.action == "start")
        .count();
    let restarts = restart_count(&engine, "phoenix") as usize;
    assert!(
        (1..=starts).contains(&restarts) && restarts + 1 >= starts,
        "{restarts} restarts for {starts} starts"
    );
    // Removed, it leaves nothing behind.
    engine.ok(&["rm", "-f", "phoenix"]);
    assert!(engine.records().is_empty());
}

#[test]
fn system_restore_after_a_reboot_brings_back_what_the_policies_say() {
    if !require_root("system_restore_after_a_reboot_brings_back_what_the_policies_say") {
        return;
    }
    let engine = Engine::new();
    let sleeper = ["sleep", "1000"];
    let none = ["--network", "none"];
    for (name, policy) in [
        ("always", "always"),
        ("unless", "unless-stopped"),
        ("stopped", "unless-stopped"),
        ("stopped-always", "always"),
        ("never", "no"),
        ("failing", "on-failure"),
    ] {
        let mut flags = none.to_vec();
        flags.extend(["--restart", policy]);
        engine.run_detached(name, &flags, &sleeper);
    }
    // `sleep` as PID 1 ignores SIGTERM: a 1 s grace, then SIGKILL.
    engine.ok(&["stop", "-t", "1", "stopped", "stopped-always"]);

    // The reboot, simulated: every monitor and every container process dies at once.
    for id in engine.all_ids() {
        let state = engine.state_json(&id);
        for key in ["MonitorPid", "Pid"] {
            if let Some(pid) = state[key].as_i64().filter(|pid| *pid > 1) {
                let _ = kill(Pid::from_raw(pid as i32), Signal::SIGKILL);
            }
        }
    }
    wait_until("every monitor is gone", 10 * SECOND, || {
        monitors_of(&engine.root()).is_empty()
    });
    assert_eq!(status(&engine, "always"), "dead");

    let restored = engine.cli(&["system", "restore"]);
    assert_eq!(restored.code, 0, "{restored:?}");
    let mut names: Vec<&str> = restored.stdout.lines().collect();
    names.sort_unstable();
    // `always` even after a user's stop (docker does the same); `unless-stopped` only if not
    // stopped; `on-failure` because the reboot ended it; `no` never.
    assert_eq!(names, ["always", "failing", "stopped-always", "unless"]);
    for name in &names {
        assert_eq!(status(&engine, name), "running", "{name}");
    }
    assert_eq!(status(&engine, "stopped"), "exited");
    assert_eq!(status(&engine, "never"), "dead");
    // Run again, it has nothing left to do.
    let again = engine.cli(&["system", "restore"]);
    assert_eq!((again.code, again.stdout.as_str()), (0, ""), "{again:?}");
}

// ---------------------------------------------------------------------------------------
// Health checks
// ---------------------------------------------------------------------------------------

#[test]
fn seed_000_the_health_check_finds_a_web_server_that_stopped_serving() {
    if !require_root("seed_000_the_health_check_finds_a_web_server_that_stopped_serving") {
        return;
    }
    let engine = Engine::new();
    let since = SystemTime::now();
    let mut session = Session::new();
    session.replace(engine.rootfs().display().to_string(), "busybox");
    // Until the page exists every probe fails (404), but inside the 60 s start period a
    // failure does not count: the container stays `starting`, probed every second.
    let mut flags = vec!["-d", "--name", "web", "--network", "none"];
    flags.extend(["--health-cmd", WEB_CHECK]);
    flags.extend(["--health-interval", "1s", "--health-retries", "2"]);
    flags.extend([
        "--health-start-period",
        "60s",
        "--health-start-interval",
        "1s",
    ]);
    let run = engine.run_args("run", &flags, &WEB_SERVER);
    let output = engine.command(&lifecycle::strs(&run)).output().unwrap();
    assert!(output.status.success(), "{output:?}");
    session.record(
        &format!(
            "mini-docker run -d --name web --network none --health-cmd '{WEB_CHECK}' \\\n    \
             --health-interval 1s --health-retries 2 \\\n    \
             --health-start-period 60s --health-start-interval 1s \\\n    \
             busybox sh -c '{}'",
            WEB_SERVER[2]
        ),
        &output,
    );
    // The health, as `inspect` shows it: stable words for the book, unlike `ps`'s "Up 3
    // seconds (healthy)", which the test checks too.
    let health_status = |session: &mut Session| {
        let template = "{{.State.Health.Status}}";
        let output = engine
            .command(&["inspect", "-f", template, "web"])
            .output()
            .unwrap();
        session.record(&format!("mini-docker inspect -f '{template}' web"), &output);
    };
    // Let a few probes fail first: they must not count inside the start period.
    wait_until("two probes have failed", 20 * SECOND, || {
        let health = engine.inspect("web", "{{json .State.Health}}");
        serde_json::from_str::<serde_json::Value>(&health).unwrap()["Log"]
            .as_array()
            .is_some_and(|log| log.len() >= 2)
    });
    assert!(
        engine.ps_row("web").contains("(health: starting)"),
        "{}",
        engine.ps_row("web")
    );
    health_status(&mut session);

    let published = engine
        .command(&["exec", "web", "sh", "-c", PUBLISH_PAGE])
        .output()
        .unwrap();
    assert!(published.status.success(), "{published:?}");
    session.record(
        &format!("mini-docker exec web sh -c '{PUBLISH_PAGE}'"),
        &published,
    );
    wait_until("web is healthy", 20 * SECOND, || {
        engine.ps_row("web").contains("(healthy)")
    });
    health_status(&mut session);

    // The seed's fault: the content disappears; the server still runs.
    let removed = engine
        .command(&["exec", "web", "rm", "/www/index.html"])
        .output()
        .unwrap();
    assert!(removed.status.success(), "{removed:?}");
    session.record("mini-docker exec web rm /www/index.html", &removed);
    wait_until("web is unhealthy", 20 * SECOND, || {
        engine.ps_row("web").contains("(unhealthy)")
    });
    health_status(&mut session);

    let health: serde_json::Value =
        serde_json::from_str(&engine.inspect("web", "{{json .State.Health}}")).unwrap();
    assert_eq!(health["Status"], "unhealthy");
    assert!(health["FailingStreak"].as_u64().unwrap() >= 2, "{health}");
    let log = health["Log"].as_array().unwrap();
    assert!(!log.is_empty() && log.len() <= 5, "{health}");
    let last = log.last().unwrap();
    assert_eq!(last["ExitCode"], 1, "{health}");
    assert!(last["Output"].as_str().unwrap().contains("404"), "{health}");
    assert!(log.iter().any(|entry| entry["ExitCode"] == 0), "{health}");

    let events = engine.events_of("web", since);
    let health_events: Vec<&str> = events
        .iter()
        .filter_map(|event| event.action.strip_prefix("health_status: "))
        .collect();
    assert_eq!(health_events, ["healthy", "unhealthy"]);
    let since_text = lifecycle::unix_time(since);
    let until_text = lifecycle::unix_time(SystemTime::now());
    let output = engine
        .command(&[
            "events",
            "--since",
            &since_text,
            "--until",
            &until_text,
            "--filter",
            "event=health_status",
        ])
        .output()
        .unwrap();
    session.record(
        "mini-docker events --since 1m --until 0s --filter event=health_status",
        &output,
    );
    // The container itself was left alone: docker takes no action on unhealthy.
    assert_eq!(status(&engine, "web"), "running");
    assert_eq!(restart_count(&engine, "web"), 0);
    session.assert_matches_book("ch09-health");
}

#[test]
fn a_probe_over_its_timeout_fails_with_exit_code_minus_1() {
    if !require_root("a_probe_over_its_timeout_fails_with_exit_code_minus_1") {
        return;
    }
    let engine = Engine::new();
    engine.run_detached(
        "slow",
        &[
            "--network",
            "none",
            "--health-cmd",
            "sleep 10",
            "--health-timeout",
            "300ms",
            "--health-interval",
            "500ms",
            "--health-retries",
            "1",
        ],
        &["sleep", "1000"],
    );
    wait_until("slow is unhealthy", 20 * SECOND, || {
        engine.ps_row("slow").contains("(unhealthy)")
    });
    let health: serde_json::Value =
        serde_json::from_str(&engine.inspect("slow", "{{json .State.Health}}")).unwrap();
    let first = &health["Log"][0];
    assert_eq!(first["ExitCode"], -1, "{health}");
    assert_eq!(
        first["Output"], "Health check exceeded timeout (300ms)",
        "{health}"
    );
    // Killed at its timeout, not left to finish its 10 s.
    let start = humantime::parse_rfc3339(first["Start"].as_str().unwrap()).unwrap();
    let end = humantime::parse_rfc3339(first["End"].as_str().unwrap()).unwrap();
    let took = end.duration_since(start).unwrap();
    assert!(
        took >= Duration::from_millis(300) && took < 3 * SECOND,
        "{took:?}"
    );
}

#[test]
fn no_probes_while_paused() {
    if !require_root("no_probes_while_paused") {
        return;
    }
    let engine = Engine::new();
    engine.run_detached(
        "frozen",
        &[
            "--network",
            "none",
            "--health-cmd",
            "true",
            "--health-interval",
            "300ms",
        ],
        &["sleep", "1000"],
    );
    let probes = || -> usize {
        let health: serde_json::Value =
            serde_json::from_str(&engine.inspect("frozen", "{{json .State.Health}}")).unwrap();
        // The log keeps 5; the newest start time tells whether a new probe ran.
        health["Log"].as_array().map_or(0, Vec::len)
    };
    wait_until("frozen is healthy", 10 * SECOND, || probes() >= 1);
    engine.ok(&["pause", "frozen"]);
    // A probe that ended just before the freeze may still be on its way into the record:
    // let it land, then watch five intervals go by without a new one.
    std::thread::sleep(Duration::from_millis(500));
    let before = engine.inspect("frozen", "{{json .State.Health.Log}}");
    std::thread::sleep(Duration::from_millis(1500));
    assert_eq!(
        engine.inspect("frozen", "{{json .State.Health.Log}}"),
        before,
        "a probe ran while paused"
    );
    engine.ok(&["unpause", "frozen"]);
    wait_until("probes run again", 10 * SECOND, || {
        engine.inspect("frozen", "{{json .State.Health.Log}}") != before
    });
}

#[test]
fn health_on_failure_restart_brings_it_back_and_kill_leaves_it_down() {
    if !require_root("health_on_failure_restart_brings_it_back_and_kill_leaves_it_down") {
        return;
    }
    let engine = Engine::new();
    let failing = [
        "--network",
        "none",
        "--health-cmd",
        "test -e /ready",
        "--health-interval",
        "300ms",
        "--health-retries",
        "1",
    ];
    let mut flags = failing.to_vec();
    flags.extend(["--health-on-failure", "restart"]);
    engine.run_detached("mender", &flags, &["sleep", "1000"]);
    // The same with --rm: its layer is mounted `volatile`, which overlayfs refuses to mount
    // again until the monitor removes the mark the last mount left (chapter 7).
    flags.push("--rm");
    engine.run_detached("mender-rm", &flags, &["sleep", "1000"]);
    wait_until("mender restarted twice", 30 * SECOND, || {
        restart_count(&engine, "mender") >= 2
    });
    wait_until("mender-rm restarted twice", 30 * SECOND, || {
        restart_count(&engine, "mender-rm") >= 2
    });
    assert_ne!(status(&engine, "mender-rm"), "exited");
    // Restarted through the restart machinery: a policy of `no` did not stop it, and it is
    // running (or about to) again, not exited.
    assert_eq!(
        engine.inspect("mender", "{{.HostConfig.RestartPolicy.Name}}"),
        "no"
    );
    assert_ne!(status(&engine, "mender"), "exited");

    let mut flags = failing.to_vec();
    flags.extend(["--health-on-failure", "kill"]);
    engine.run_detached("victim", &flags, &["sleep", "1000"]);
    wait_until("victim killed", 20 * SECOND, || {
        status(&engine, "victim") == "exited"
    });
    assert_eq!(engine.inspect("victim", "{{.State.ExitCode}}"), "137");
    std::thread::sleep(SECOND);
    assert_eq!(status(&engine, "victim"), "exited");
    assert_eq!(restart_count(&engine, "victim"), 0);
}

#[test]
fn bad_self_healing_flags_make_nothing() {
    if !require_root("bad_self_healing_flags_make_nothing") {
        return;
    }
    let engine = Engine::new();
    for (flags, message) in [
        (
            vec!["--rm", "--restart", "always"],
            "mini-docker: Conflicting options: --restart and --rm",
        ),
        (
            vec!["--restart", "sometimes"],
            "mini-docker: invalid restart policy: unknown policy 'sometimes'; use one of 'no', \
             'always', 'on-failure', or 'unless-stopped'",
        ),
        (
            vec!["--restart", "always:3"],
            "mini-docker: invalid restart policy: maximum retry count can only be used with \
             'on-failure'",
        ),
        (
            vec!["--health-interval", "soon", "--health-cmd", "true"],
            "mini-docker: invalid argument \"soon\" for \"--health-interval\" flag: invalid \
             duration \"soon\": unknown unit \"soon\"",
        ),
        (
            vec!["--no-healthcheck", "--health-cmd", "true"],
            "mini-docker: --no-healthcheck conflicts with --health-* options",
        ),
        (
            vec!["--health-on-failure", "reboot"],
            "mini-docker: invalid --health-on-failure \"reboot\": use none, kill, restart or stop",
        ),
    ] {
        let output = engine.run(&flags, &["true"]);
        assert_eq!(output.code, 125, "{flags:?}: {output:?}");
        assert_eq!(output.stderr.trim_end(), message, "{flags:?}");
        assert!(engine.records().is_empty(), "{flags:?} left a record");
    }
}
