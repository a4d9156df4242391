//! Lab 9 spec — DO NOT MODIFY. Points per test are in points.toml.
// In a test, a failed unwrap is a failed test with its reason: exactly what we want.
#![allow(clippy::unwrap_used)]

use std::time::Duration;

use lab09::{
    decide, next_delay, start_at_boot, timed_out, Backoff, Decision, ExitFacts, Health,
    HealthCheckRules, HealthConfig, HealthRules, HealthStatus, ProbeResult, RestartPolicy,
    MAX_LOG_ENTRIES, MAX_OUTPUT_BYTES,
};

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

fn secs(n: u64) -> Duration {
    Duration::from_secs(n)
}

/// A policy as `--restart` spells it.
fn policy(text: &str) -> RestartPolicy {
    RestartPolicy::parse(text).unwrap()
}

/// The facts of an exit no user caused.
fn exit(code: i32, ran_for: Duration, count: u32, previous: Option<Duration>) -> ExitFacts {
    ExitFacts {
        exit_code: code,
        ran_for,
        restart_count: count,
        manually_stopped: false,
        previous_delay: previous,
    }
}

fn restart_after(delays_ms: &[u64]) -> Vec<Decision> {
    delays_ms
        .iter()
        .map(|&delay| Decision::RestartAfter(ms(delay)))
        .collect()
}

/// Feeds exits `(exit code, run length)` to `decide` one after the other, the way chapter 9's
/// monitor does: after a restart it adds one to the restart count and passes the delay back
/// as the previous one. Stops at the first `StayDown` (nothing runs after it).
fn run(policy: RestartPolicy, exits: &[(i32, Duration)], backoff: &Backoff) -> Vec<Decision> {
    let (mut count, mut previous) = (0, None);
    let mut decisions = Vec::new();
    for &(code, ran_for) in exits {
        let decision = decide(&policy, &exit(code, ran_for, count, previous), backoff);
        decisions.push(decision);
        match decision {
            Decision::RestartAfter(delay) => {
                count += 1;
                previous = Some(delay);
            }
            Decision::StayDown => break,
        }
    }
    decisions
}

/// Asserts that `run` gives `expected`, naming the policy and the exits when it does not.
fn check_run(text: &str, exits: &[(i32, Duration)], backoff: &Backoff, expected: &[Decision]) {
    let decisions = run(policy(text), exits, backoff);
    assert_eq!(
        decisions, expected,
        "--restart {text}, exits (code, ran for) {exits:?}, {backoff:?}"
    );
}

/// Four crashes right after start.
const QUICK_CRASHES: [(i32, Duration); 4] = [(1, Duration::ZERO); 4];

#[test]
fn task1_on_failure_3_restarts_three_times_then_stays_down() {
    let backoff = Backoff::default();
    let mut expected = restart_after(&[100, 200, 400]);
    expected.push(Decision::StayDown);
    check_run("on-failure:3", &QUICK_CRASHES, &backoff, &expected);
    // Any non-zero code is a failure: an error, a crash by a signal (137 = 128 + SIGKILL,
    // the OOM killer's), a 255.
    let mixed = [(2, ms(30)), (137, ms(5)), (255, ms(0)), (1, ms(0))];
    check_run("on-failure:3", &mixed, &backoff, &expected);
    check_run(
        "on-failure:1",
        &QUICK_CRASHES,
        &backoff,
        &[Decision::RestartAfter(ms(100)), Decision::StayDown],
    );

    // The restart count alone decides the limit.
    let on_failure_3 = policy("on-failure:3");
    let third = exit(1, ms(0), 2, Some(ms(200)));
    assert_eq!(
        decide(&on_failure_3, &third, &backoff),
        Decision::RestartAfter(ms(400)),
        "{third:?}"
    );
    for count in [3, 4, 100] {
        let over = exit(1, ms(0), count, Some(ms(400)));
        assert_eq!(
            decide(&on_failure_3, &over, &backoff),
            Decision::StayDown,
            "{over:?}"
        );
    }
}

#[test]
fn task1_which_exits_each_policy_restarts() {
    let backoff = Backoff::default();
    // (--restart, exit code, restart count, restarts)
    let cases = [
        ("no", 0, 0, false),
        ("no", 1, 0, false),
        ("no", 137, 0, false),
        ("always", 0, 0, true),
        ("always", 1, 0, true),
        ("always", 143, 1000, true),
        ("unless-stopped", 0, 0, true),
        ("unless-stopped", 2, 9, true),
        ("unless-stopped", 255, 1000, true),
        // An exit 0 is a success: on-failure has nothing to repair.
        ("on-failure", 0, 0, false),
        ("on-failure:3", 0, 0, false),
        // No count (or 0): no limit.
        ("on-failure", 1, 0, true),
        ("on-failure:0", 1, 100_000, true),
        ("on-failure", -1, 7, true),
        ("on-failure:2", 1, 0, true),
        ("on-failure:2", 1, 1, true),
        ("on-failure:2", 1, 2, false),
        ("on-failure:2", 1, 5, false),
    ];
    for (text, code, count, restarts) in cases {
        let facts = exit(code, ms(5), count, None);
        let expected = if restarts {
            Decision::RestartAfter(ms(100))
        } else {
            Decision::StayDown
        };
        assert_eq!(
            decide(&policy(text), &facts, &backoff),
            expected,
            "--restart {text}, {facts:?}"
        );
    }
}

#[test]
fn task1_a_manual_stop_never_restarts() {
    let backoff = Backoff::default();
    for text in [
        "no",
        "always",
        "unless-stopped",
        "on-failure",
        "on-failure:5",
    ] {
        for code in [0, 1, 137, 143] {
            for (ran_for, previous) in [(secs(1), None), (secs(60), Some(ms(400)))] {
                let facts = ExitFacts {
                    manually_stopped: true,
                    ..exit(code, ran_for, 0, previous)
                };
                assert_eq!(
                    decide(&policy(text), &facts, &backoff),
                    Decision::StayDown,
                    "--restart {text}, {facts:?}"
                );
            }
        }
    }
    // The same exit without the user's stop restarts.
    let killed_by_oom = exit(137, secs(1), 0, None);
    assert_eq!(
        decide(&policy("always"), &killed_by_oom, &backoff),
        Decision::RestartAfter(ms(100))
    );
}

#[test]
fn task1_the_delay_doubles_up_to_the_cap() {
    let backoff = Backoff::default();
    // 100 ms × 2^9 = 51.2 s; the next would be 102.4 s: capped at 1 minute.
    let expected = restart_after(&[
        100, 200, 400, 800, 1600, 3200, 6400, 12_800, 25_600, 51_200, 60_000, 60_000,
    ]);
    check_run("always", &[(0, ms(50)); 12], &backoff, &expected);
    check_run("on-failure", &[(1, ms(0)); 12], &backoff, &expected);

    // Twice the previous delay, whatever the count says; never above the cap.
    let cases = [
        (exit(1, ms(0), 7, Some(ms(700))), ms(1400)),
        (exit(1, ms(0), 20, Some(secs(45))), secs(60)),
        (exit(1, ms(0), 20, Some(secs(60))), secs(60)),
    ];
    for (facts, delay) in cases {
        assert_eq!(
            decide(&policy("always"), &facts, &backoff),
            Decision::RestartAfter(delay),
            "{facts:?}"
        );
    }

    // Another backoff: 1 s doubling up to 5 s.
    let small = Backoff {
        initial: secs(1),
        max: secs(5),
        reset_after: secs(10),
    };
    check_run(
        "unless-stopped",
        &[(1, ms(0)); 5],
        &small,
        &restart_after(&[1000, 2000, 4000, 5000, 5000]),
    );
}

#[test]
fn task1_a_long_run_resets_the_delay() {
    let backoff = Backoff::default();
    // Just under 10 s still doubles; exactly 10 s resets (docker: a run of at least 10 s).
    let short = exit(1, ms(9_999), 4, Some(ms(1600)));
    assert_eq!(
        decide(&policy("always"), &short, &backoff),
        Decision::RestartAfter(ms(3200)),
        "{short:?}"
    );
    let long = exit(1, secs(10), 4, Some(ms(1600)));
    assert_eq!(
        decide(&policy("always"), &long, &backoff),
        Decision::RestartAfter(ms(100)),
        "{long:?}"
    );
    let at_the_cap = exit(1, secs(3600), 30, Some(secs(60)));
    assert_eq!(
        decide(&policy("always"), &at_the_cap, &backoff),
        Decision::RestartAfter(ms(100)),
        "{at_the_cap:?}"
    );
    let exits = [(1, ms(0)), (1, ms(0)), (1, secs(3600)), (1, ms(0))];
    check_run(
        "always",
        &exits,
        &backoff,
        &restart_after(&[100, 200, 100, 200]),
    );

    // The delay starts over, the restart count does not: on-failure:3 still stops after
    // three restarts.
    let exits = [(1, ms(0)), (1, secs(20)), (1, ms(0)), (1, ms(0))];
    let mut expected = restart_after(&[100, 100, 200]);
    expected.push(Decision::StayDown);
    check_run("on-failure:3", &exits, &backoff, &expected);

    // Other backoffs: their own reset time, their own first delay.
    let quick_reset = Backoff {
        reset_after: ms(50),
        ..Backoff::default()
    };
    let exits = [(1, ms(10)), (1, ms(10)), (1, ms(50))];
    check_run(
        "always",
        &exits,
        &quick_reset,
        &restart_after(&[100, 200, 100]),
    );
    let slow_start = Backoff {
        initial: ms(250),
        max: secs(60),
        reset_after: secs(1),
    };
    let exits = [(1, ms(0)), (1, ms(999)), (1, secs(2)), (1, ms(0))];
    check_run(
        "on-failure",
        &exits,
        &slow_start,
        &restart_after(&[250, 500, 250, 500]),
    );
}

#[test]
fn task1_a_zero_previous_delay_counts_as_none() {
    let backoff = Backoff::default();
    for previous in [None, Some(Duration::ZERO)] {
        for text in ["always", "on-failure"] {
            let facts = exit(1, ms(0), 3, previous);
            assert_eq!(
                decide(&policy(text), &facts, &backoff),
                Decision::RestartAfter(ms(100)),
                "--restart {text}, {facts:?}"
            );
        }
        let custom = Backoff {
            initial: ms(300),
            ..Backoff::default()
        };
        let facts = exit(1, ms(0), 0, previous);
        assert_eq!(
            decide(&policy("always"), &facts, &custom),
            Decision::RestartAfter(ms(300)),
            "{facts:?}, {custom:?}"
        );
    }
}

#[test]
fn task2_start_at_boot_per_policy() {
    // (--restart, manually stopped, was running, starts at boot)
    let cases = [
        ("no", false, false, false),
        ("no", false, true, false),
        ("no", true, false, false),
        ("no", true, true, false),
        // always: even after the user's stop, even if it was not running.
        ("always", false, false, true),
        ("always", false, true, true),
        ("always", true, false, true),
        ("always", true, true, true),
        // unless-stopped: unless the user stopped it.
        ("unless-stopped", false, false, true),
        ("unless-stopped", false, true, true),
        ("unless-stopped", true, false, false),
        ("unless-stopped", true, true, false),
        // on-failure: only if the reboot is what ended it.
        ("on-failure:3", false, false, false),
        ("on-failure:3", false, true, true),
        ("on-failure:3", true, false, false),
        ("on-failure:3", true, true, false),
        ("on-failure", false, true, true),
        ("on-failure", false, false, false),
        ("on-failure", true, true, false),
    ];
    for (text, manually_stopped, was_running, expected) in cases {
        assert_eq!(
            start_at_boot(&policy(text), manually_stopped, was_running),
            expected,
            "--restart {text}, manually stopped: {manually_stopped}, was running: {was_running}"
        );
    }
}

/// A probe that ran at second `second` of a minute and exited with `exit_code`.
fn probe(second: u32, exit_code: i32, output: &str) -> ProbeResult {
    ProbeResult {
        start: format!("2026-05-01T10:00:{second:02}.100000000Z"),
        end: format!("2026-05-01T10:00:{second:02}.250000000Z"),
        exit_code,
        output: output.to_owned(),
    }
}

/// Seed 000's check: `--health-cmd 'cat /etc/app.conf'`.
fn config_with_retries(retries: u32) -> HealthConfig {
    HealthConfig {
        test: vec!["CMD-SHELL".into(), "cat /etc/app.conf".into()],
        retries,
        ..HealthConfig::default()
    }
}

fn outputs(health: &Health) -> Vec<&str> {
    health
        .log
        .iter()
        .map(|result| result.output.as_str())
        .collect()
}

#[test]
fn task3_the_seed_000_story() {
    // `ps` shows "(health: starting)", the first probe passes ("(healthy)"), then the config
    // file is deleted and the probes fail until the container is "(unhealthy)"; it is
    // restored, and the next probe makes the container healthy again.
    let config = config_with_retries(2);
    let mut health = Health::starting();
    assert_eq!(health.status.ps_suffix(), " (health: starting)");

    let missing = "cat: can't open '/etc/app.conf': No such file or directory\n";
    // (probe, event returned, status after, streak after)
    let steps = [
        (
            probe(30, 0, "ok\n"),
            Some(HealthStatus::Healthy),
            HealthStatus::Healthy,
            0,
        ),
        (probe(40, 0, "ok\n"), None, HealthStatus::Healthy, 0),
        (probe(50, 1, missing), None, HealthStatus::Healthy, 1),
        (
            probe(59, 1, missing),
            Some(HealthStatus::Unhealthy),
            HealthStatus::Unhealthy,
            2,
        ),
        (probe(9, 1, missing), None, HealthStatus::Unhealthy, 3),
        (
            probe(19, 0, "ok\n"),
            Some(HealthStatus::Healthy),
            HealthStatus::Healthy,
            0,
        ),
    ];
    for (i, (result, event, status, streak)) in steps.into_iter().enumerate() {
        let shown = format!("probe {i} (exit {}, retries 2)", result.exit_code);
        assert_eq!(
            health.record(result, &config, false),
            event,
            "the event of {shown}"
        );
        assert_eq!(
            (health.status, health.failing_streak),
            (status, streak),
            "(status, failing streak) after {shown}"
        );
    }
    let codes: Vec<i32> = health.log.iter().map(|r| r.exit_code).collect();
    assert_eq!(codes, [0, 1, 1, 1, 0], "the log's exit codes, oldest first");
    assert_eq!(health.log[0], probe(40, 0, "ok\n"));
    assert_eq!(health.log[4], probe(19, 0, "ok\n"));
    assert_eq!(health.status.ps_suffix(), " (healthy)");
}

#[test]
fn task3_failures_in_the_start_period_do_not_count_while_starting() {
    let config = config_with_retries(1);
    let mut health = Health::starting();
    for second in 0..4 {
        let event = health.record(probe(second, 1, "not yet"), &config, true);
        assert_eq!(event, None, "failure {second} inside the start period");
    }
    assert_eq!(
        (health.status, health.failing_streak),
        (HealthStatus::Starting, 0),
        "(status, streak) after 4 failures inside the start period"
    );
    assert_eq!(
        outputs(&health).len(),
        4,
        "uncounted failures are logged all the same"
    );

    // A success inside the start period counts, and from then on failures count too.
    let event = health.record(probe(5, 0, "up"), &config, true);
    assert_eq!(event, Some(HealthStatus::Healthy));
    let event = health.record(probe(6, 1, "down"), &config, true);
    assert_eq!(
        (event, health.failing_streak),
        (Some(HealthStatus::Unhealthy), 1),
        "a healthy container's failure inside the start period"
    );

    // A new run starts over (`restart` is given): the start period shields it again.
    health.restart();
    let event = health.record(probe(7, 1, "not yet"), &config, true);
    assert_eq!(
        (event, health.status, health.failing_streak),
        (None, HealthStatus::Starting, 0)
    );

    // Past the start period, a failure while starting counts.
    let event = health.record(probe(8, 1, "still not"), &config, false);
    assert_eq!(
        (event, health.failing_streak),
        (Some(HealthStatus::Unhealthy), 1),
        "a failure past the start period, while starting"
    );
}

#[test]
fn task3_the_log_keeps_the_last_five() {
    let config = config_with_retries(100);
    let mut health = Health::starting();
    for second in 0..8 {
        let exit_code = (second % 2) as i32;
        health.record(
            probe(second, exit_code, &second.to_string()),
            &config,
            false,
        );
        assert!(
            health.log.len() <= MAX_LOG_ENTRIES,
            "{} results in the log: {:?}",
            health.log.len(),
            outputs(&health)
        );
    }
    assert_eq!(outputs(&health), ["3", "4", "5", "6", "7"], "oldest first");
    assert_eq!(health.log[0], probe(3, 1, "3"));
    assert_eq!(health.log[4], probe(7, 1, "7"));
}

#[test]
fn task3_output_is_cut_at_4096_bytes() {
    let config = config_with_retries(3);
    let mut health = Health::starting();
    let cases = [
        (String::new(), String::new()),
        ("ok\n".to_owned(), "ok\n".to_owned()),
        ("a".repeat(MAX_OUTPUT_BYTES), "a".repeat(MAX_OUTPUT_BYTES)),
        (
            "b".repeat(MAX_OUTPUT_BYTES + 1),
            format!("{}...", "b".repeat(MAX_OUTPUT_BYTES)),
        ),
        (
            "c".repeat(5000),
            format!("{}...", "c".repeat(MAX_OUTPUT_BYTES)),
        ),
        // "é" is two bytes, 4095 and 4096: it would straddle the limit, so it goes whole.
        (
            format!("{}é{}", "d".repeat(MAX_OUTPUT_BYTES - 1), "e".repeat(10)),
            format!("{}...", "d".repeat(MAX_OUTPUT_BYTES - 1)),
        ),
        // Here it ends right at the limit: it stays.
        (
            format!("{}é{}", "f".repeat(MAX_OUTPUT_BYTES - 2), "g".repeat(10)),
            format!("{}é...", "f".repeat(MAX_OUTPUT_BYTES - 2)),
        ),
    ];
    for (second, (output, kept)) in cases.into_iter().enumerate() {
        let second = second as u32;
        health.record(probe(second, 0, &output), &config, false);
        let last = health.log.last().unwrap();
        let expected = probe(second, 0, &kept);
        assert!(
            last == &expected,
            "an output of {} bytes: {} bytes were kept, ending in {:?}; expected {} bytes, \
             ending in {:?} (and the probe's other fields as they were)",
            output.len(),
            last.output.len(),
            tail(&last.output),
            kept.len(),
            tail(&kept)
        );
    }
}

/// The last few characters of a long text, for failure messages.
fn tail(text: &str) -> String {
    let count = text.chars().count();
    text.chars().skip(count.saturating_sub(8)).collect()
}

#[test]
fn task3_a_timed_out_probe_is_a_failure() {
    let start = "2026-05-01T10:00:00.000000000Z".to_owned();
    let end = "2026-05-01T10:00:30.000000000Z".to_owned();
    let overran = timed_out(start.clone(), end.clone(), secs(30));
    assert_eq!(overran.exit_code, -1);
    assert_eq!(overran.output, "Health check exceeded timeout (30s)");

    let mut health = Health::starting();
    let event = health.record(overran.clone(), &config_with_retries(1), false);
    assert_eq!(event, Some(HealthStatus::Unhealthy));
    assert_eq!(health.log.len(), 1);
    assert_eq!(health.log[0], overran);

    // Retries 0 means docker's default, 3 (use `config.retries()`).
    let config = config_with_retries(0);
    assert_eq!(config.retries(), 3);
    let mut health = Health::starting();
    for streak in 1..=2 {
        let event = health.record(overran.clone(), &config, false);
        assert_eq!(
            (event, health.status, health.failing_streak),
            (None, HealthStatus::Starting, streak),
            "timeout {streak} with the default retries"
        );
    }
    let event = health.record(overran.clone(), &config, false);
    assert_eq!(
        (event, health.failing_streak),
        (Some(HealthStatus::Unhealthy), 3)
    );
    // Already unhealthy: the streak grows, no new event, and the start period no longer
    // shields anything.
    let event = health.record(overran, &config, true);
    assert_eq!(
        (event, health.status, health.failing_streak),
        (None, HealthStatus::Unhealthy, 4)
    );
}

fn nanos(duration: Duration) -> u64 {
    duration.as_nanos() as u64
}

#[test]
fn task4_next_delay() {
    // --health-interval 10s --health-start-period 60s --health-start-interval 2s
    let config = HealthConfig {
        interval: nanos(secs(10)),
        start_period: nanos(secs(60)),
        start_interval: nanos(secs(2)),
        ..config_with_retries(3)
    };
    let starting = Health::starting();
    let healthy = Health {
        status: HealthStatus::Healthy,
        ..Health::starting()
    };
    let unhealthy = Health {
        status: HealthStatus::Unhealthy,
        ..Health::starting()
    };
    // (health, since start, next probe in)
    let cases = [
        (&starting, secs(0), secs(2)),
        (&starting, ms(59_999), secs(2)),
        (&starting, secs(60), secs(10)),
        (&starting, secs(3600), secs(10)),
        (&healthy, secs(0), secs(10)),
        (&healthy, secs(5), secs(10)),
        (&unhealthy, secs(5), secs(10)),
        (&unhealthy, secs(120), secs(10)),
    ];
    for (health, since_start, expected) in cases {
        assert_eq!(
            next_delay(&config, health, since_start),
            expected,
            "{:?}, {since_start:?} after start, start period 60s",
            health.status
        );
    }

    // Zeros are docker's defaults: interval 30 s, start interval 5 s, no start period (so
    // the start interval never applies).
    let defaults = HealthConfig::default();
    assert_eq!(next_delay(&defaults, &starting, Duration::ZERO), secs(30));
    assert_eq!(next_delay(&defaults, &healthy, secs(1)), secs(30));
    let period_only = HealthConfig {
        start_period: nanos(secs(20)),
        ..HealthConfig::default()
    };
    assert_eq!(next_delay(&period_only, &starting, secs(1)), secs(5));
    assert_eq!(next_delay(&period_only, &starting, secs(20)), secs(30));
    let start_interval_only = HealthConfig {
        start_interval: nanos(ms(500)),
        interval: nanos(secs(7)),
        ..HealthConfig::default()
    };
    assert_eq!(
        next_delay(&start_interval_only, &starting, Duration::ZERO),
        secs(7)
    );
}
