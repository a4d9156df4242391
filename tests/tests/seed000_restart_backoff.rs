//! Seeds 000 and 004, the timing of restarts: docker's backoff (100 ms, doubling, reset
//! after a long run), read from the gaps between a container's `die` and `start` events.
//!
//! A gap is the delay plus the cost of one start, and on CI's emulated VM that cost jumps
//! now and then by up to half a second (the kernel finishing earlier teardowns in the
//! background), more than docker's 100 ms steps. So docker's own delays are checked as
//! bounds (no restart before its delay, none much after), and the growth and reset of the
//! delay with a first delay of 1 s, set through a hidden test flag. These tests have a binary
//! of their own and run one at a time, away from the other tests' load.
//!
//! Every test has its own state root (`Engine`), which kills and removes its containers when
//! dropped, also when the test fails half-way.
// In a test, a failed unwrap is a failed test with its reason: exactly what we want.
#![allow(clippy::unwrap_used)]

mod lifecycle;
mod self_healing;

use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, SystemTime};

use lifecycle::{finish, monitors_of, wait_until, Engine, EventLine, CLI_DEADLINE};
use self_healing::{restart_count, status};
use testkit::require_root;

const SECOND: Duration = Duration::from_secs(1);

/// When an event happened.
fn time_of(event: &EventLine) -> SystemTime {
    humantime::parse_rfc3339(&event.time).unwrap()
}

/// For each `die` followed by a `start`: the time between them (the restart delay plus the
/// cost of a start).
fn restart_gaps(events: &[EventLine]) -> Vec<Duration> {
    events
        .windows(2)
        .filter(|pair| pair[0].action == "die" && pair[1].action == "start")
        .map(|pair| time_of(&pair[1]).duration_since(time_of(&pair[0])).unwrap())
        .collect()
}

/// One gap per delay, each at least its delay (counted from the exit, so a start's cost
/// only adds to it) and less than 3 s more: loose, for a slow machine.
fn assert_gaps_follow(gaps: &[Duration], delays_ms: &[u64]) {
    assert_eq!(gaps.len(), delays_ms.len(), "{gaps:?}");
    for (gap, delay_ms) in gaps.iter().zip(delays_ms) {
        let delay = Duration::from_millis(*delay_ms);
        assert!(*gap >= delay && *gap < delay + 3 * SECOND, "{gaps:?}");
    }
}

/// Held for a whole test, taken before its `Engine` and so released after the engine has
/// removed the test's containers.
fn one_at_a_time() -> MutexGuard<'static, ()> {
    static MACHINE: Mutex<()> = Mutex::new(());
    // A failed test poisons the lock; the other one still runs.
    MACHINE.lock().unwrap_or_else(PoisonError::into_inner)
}

#[test]
fn on_failure_3_restarts_three_times_with_a_growing_delay_then_gives_up() {
    if !require_root("on_failure_3_restarts_three_times_with_a_growing_delay_then_gives_up") {
        return;
    }
    let _alone = one_at_a_time();
    let engine = Engine::new();
    let since = SystemTime::now();
    engine.run_detached(
        "flaky",
        &["--network", "none", "--restart", "on-failure:3"],
        &["sh", "-c", "exit 1"],
    );
    wait_until("flaky has given up", 30 * SECOND, || {
        status(&engine, "flaky") == "exited"
    });
    assert_eq!(restart_count(&engine, "flaky"), 3);
    assert_eq!(engine.inspect("flaky", "{{.State.ExitCode}}"), "1");
    assert!(
        engine.ps_row("flaky").contains("Exited (1)"),
        "{}",
        engine.ps_row("flaky")
    );
    // No fourth restart, even after waiting past the next delay (800 ms).
    std::thread::sleep(SECOND);
    let events = engine.events_of("flaky", since);
    let actions: Vec<&str> = events.iter().map(|event| event.action.as_str()).collect();
    assert_eq!(
        actions,
        ["create", "start", "die", "start", "die", "start", "die", "start", "die"]
    );
    assert!(events
        .iter()
        .filter(|event| event.action == "die")
        .all(|event| event.attribute("exitCode") == Some("1")));
    // Docker's 100, 200, 400 ms, each counted from an exit: no restart comes before its
    // delay, nor (loosely) much after it. That the gaps grow is asserted in the next test,
    // with delays long enough to stand out from the cost of a start.
    let gaps = restart_gaps(&events);
    assert_gaps_follow(&gaps, &[100, 200, 400]);
    assert!(
        monitors_of(&engine.root()).is_empty(),
        "the monitor gave up and left"
    );
}

#[test]
fn a_run_longer_than_reset_after_starts_the_delay_over() {
    if !require_root("a_run_longer_than_reset_after_starts_the_delay_over") {
        return;
    }
    let _alone = one_at_a_time();
    let engine = Engine::new();
    let since = SystemTime::now();
    // The delays start at 1 s here (docker's is 100 ms) and double: 1, 2, 4 s. The fourth
    // run lasts 3 s, longer than the reset time this test sets (2 s; docker's is 10 s), so
    // the delay after it is 1 s again, then 2 s. The count of runs lives in the container's
    // own writable layer, which survives restarts.
    let script = "n=$(cat /runs 2>/dev/null || echo 0); echo $((n+1)) > /runs; \
                  if [ \"$n\" = 3 ]; then sleep 3; fi; exit 1";
    let args = engine.run_args(
        "run",
        &[
            "-d",
            "--name",
            "sleepy",
            "--network",
            "none",
            "--restart",
            "on-failure:5",
        ],
        &["sh", "-c", script],
    );
    let mut command = engine.command(&lifecycle::strs(&args));
    command.env("MINI_DOCKER_RESTART_FIRST_DELAY", "1s");
    command.env("MINI_DOCKER_RESTART_RESET_AFTER", "2s");
    let output = finish(command, CLI_DEADLINE);
    assert_eq!(output.code, 0, "{output:?}");
    wait_until("sleepy has given up", 60 * SECOND, || {
        status(&engine, "sleepy") == "exited"
    });
    assert_eq!(restart_count(&engine, "sleepy"), 5);
    let gaps = restart_gaps(&engine.events_of("sleepy", since));
    assert_gaps_follow(&gaps, &[1000, 2000, 4000, 1000, 2000]);
    assert!(gaps[0] < gaps[1] && gaps[1] < gaps[2], "growing: {gaps:?}");
    assert!(gaps[3] < gaps[1], "the long run reset the delay: {gaps:?}");
    assert!(gaps[3] < gaps[4], "and it grows again: {gaps:?}");
}
