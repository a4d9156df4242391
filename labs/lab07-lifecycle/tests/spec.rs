//! Lab 7 spec — DO NOT MODIFY. Points per test are in points.toml.
// In a test, a failed unwrap is a failed test with its reason: exactly what we want.
#![allow(clippy::unwrap_used)]

use std::time::{Duration, SystemTime};

use lab07::{human_duration, next, status_text, Refusal, State, Status, Transition, ZERO_TIME};

use Status::*;

const STATUSES: [Status; 7] = [Created, Running, Paused, Restarting, Removing, Exited, Dead];

const TRANSITIONS: [Transition; 7] = [
    Transition::Start,
    Transition::Pause,
    Transition::Unpause,
    Transition::Exit { restarting: false },
    Transition::Exit { restarting: true },
    Transition::Remove,
    Transition::MonitorLost,
];

/// Where each transition leads from each status; `None`: refused.
#[rustfmt::skip]
const MOVES: [(Status, [Option<Status>; 7]); 7] = [
    //            start          pause         unpause        exit          exit, restart     rm              monitor lost
    (Created,    [Some(Running), None,         None,          None,         None,             Some(Removing), Some(Created)]),
    (Running,    [None,          Some(Paused), None,          Some(Exited), Some(Restarting), None,           Some(Dead)]),
    (Paused,     [None,          None,         Some(Running), Some(Exited), Some(Restarting), None,           Some(Dead)]),
    (Restarting, [Some(Running), None,         None,          Some(Exited), Some(Exited),     None,           Some(Dead)]),
    (Removing,   [None,          None,         None,          None,         None,             None,           Some(Removing)]),
    (Exited,     [Some(Running), None,         None,          None,         None,             Some(Removing), Some(Exited)]),
    (Dead,       [None,          None,         None,          None,         None,             Some(Removing), Some(Dead)]),
];

fn refusal(from: Status, transition: Transition) -> String {
    match next(from, transition) {
        Err(Refusal(why)) => why,
        Ok(to) => panic!("{from:?} --{transition:?}--> {to:?}: should be refused"),
    }
}

#[test]
fn task1_a_container_lives_through_its_states() {
    // run -d, pause, unpause, a crash the policy restarts, a clean exit, start again, the
    // monitor killed, rm.
    let life = [
        (Transition::Start, Running),
        (Transition::Pause, Paused),
        (Transition::Unpause, Running),
        (Transition::Exit { restarting: true }, Restarting),
        (Transition::Start, Running),
        (Transition::Exit { restarting: false }, Exited),
        (Transition::Start, Running),
        (Transition::MonitorLost, Dead),
        (Transition::Remove, Removing),
    ];
    let mut status = Created;
    for (transition, expected) in life {
        let after = next(status, transition);
        assert_eq!(after, Ok(expected), "{status:?} --{transition:?}-->");
        status = expected;
    }
    // A paused container that exits (killed by `stop`, which thaws it), then `rm`.
    assert_eq!(
        next(Paused, Transition::Exit { restarting: false }),
        Ok(Exited)
    );
    assert_eq!(next(Exited, Transition::Remove), Ok(Removing));
    // Created and removed without ever running.
    assert_eq!(next(Created, Transition::Remove), Ok(Removing));
}

#[test]
fn task1_every_move_from_every_state() {
    for (from, row) in MOVES {
        for (transition, expected) in TRANSITIONS.into_iter().zip(row) {
            let after = next(from, transition);
            match expected {
                Some(to) => assert_eq!(after, Ok(to), "{from:?} --{transition:?}-->"),
                None => assert!(
                    after.is_err(),
                    "{from:?} --{transition:?}--> {after:?}: should be refused"
                ),
            }
        }
    }
    // Every state has its row.
    for status in STATUSES {
        assert!(MOVES.iter().any(|(from, _)| *from == status));
    }
}

#[test]
fn task1_refusals_use_dockers_words() {
    assert_eq!(
        refusal(Running, Transition::Remove),
        "container is running: stop the container before removing or force remove"
    );
    assert!(refusal(Restarting, Transition::Remove)
        .ends_with(": stop the container before removing or force remove"));
    assert!(refusal(Paused, Transition::Remove)
        .starts_with("container is paused and must be unpaused first"));
    let again = refusal(Removing, Transition::Remove);
    assert!(
        again.starts_with("removal of container") && again.ends_with("is already in progress"),
        "{again}"
    );

    assert_eq!(
        refusal(Paused, Transition::Start),
        "cannot start a paused container, try unpause instead"
    );
    assert_eq!(
        refusal(Running, Transition::Start),
        "container is already running"
    );
    for from in [Removing, Dead] {
        assert_eq!(
            refusal(from, Transition::Start),
            "container is marked for removal and cannot be started",
            "{from:?}"
        );
    }

    assert_eq!(
        refusal(Paused, Transition::Pause),
        "container is already paused"
    );
    for from in [Created, Restarting, Removing, Exited, Dead] {
        assert_eq!(
            refusal(from, Transition::Pause),
            "container is not running",
            "{from:?}"
        );
    }
    for from in [Created, Running, Restarting, Removing, Exited, Dead] {
        assert_eq!(
            refusal(from, Transition::Unpause),
            "container is not paused",
            "{from:?}"
        );
    }
    for from in [Created, Removing, Exited, Dead] {
        for restarting in [false, true] {
            assert_eq!(
                refusal(from, Transition::Exit { restarting }),
                "container is not running",
                "{from:?}"
            );
        }
    }
}

/// A state whose every field differs from what `set_status` may write.
fn busy_state() -> State {
    State {
        status: Created,
        running: true,
        paused: true,
        restarting: true,
        dead: true,
        exit_code: 137,
        started_at: "2024-05-01T11:00:00.5Z".to_owned(),
        finished_at: "2024-05-01T11:30:00Z".to_owned(),
    }
}

#[test]
fn task2_the_booleans_follow_the_status() {
    // (status, running, paused, restarting, dead); None: not asked (docker counts a
    // restarting container as running, our chapter 7 does not; chapter 9 settles it).
    let table = [
        (Created, Some(false), false, false, false),
        (Running, Some(true), false, false, false),
        (Paused, Some(true), true, false, false),
        (Restarting, None, false, true, false),
        (Removing, Some(false), false, false, false),
        (Exited, Some(false), false, false, false),
        (Dead, Some(false), false, false, true),
    ];
    for (status, running, paused, restarting, dead) in table {
        for start in [State::default(), busy_state()] {
            let mut state = start;
            state.set_status(status);
            assert_eq!(state.status, status);
            if let Some(running) = running {
                assert_eq!(state.running, running, "running when {status:?}");
            }
            assert_eq!(state.paused, paused, "paused when {status:?}");
            assert_eq!(state.restarting, restarting, "restarting when {status:?}");
            assert_eq!(state.dead, dead, "dead when {status:?}");
        }
    }
}

#[test]
fn task2_set_status_resets_the_booleans_and_nothing_else() {
    let mut state = State::default();
    state.set_status(Running);
    state.set_status(Paused);
    assert!(state.running && state.paused);
    state.set_status(Exited);
    assert_eq!(
        (state.running, state.paused, state.restarting, state.dead),
        (false, false, false, false)
    );
    assert_eq!(
        state,
        State {
            status: Exited,
            ..State::default()
        }
    );

    let mut state = busy_state();
    state.set_status(Dead);
    let expected = State {
        status: Dead,
        running: false,
        paused: false,
        restarting: false,
        dead: true,
        ..busy_state()
    };
    assert_eq!(state, expected);
}

fn check_durations(table: &[(Duration, &str)]) {
    for (duration, words) in table {
        assert_eq!(human_duration(*duration), *words, "{duration:?}");
    }
}

const fn secs(seconds: u64) -> Duration {
    Duration::from_secs(seconds)
}

const MINUTE: u64 = 60;
const HOUR: u64 = 60 * MINUTE;
const DAY: u64 = 24 * HOUR;

#[test]
fn task3_seconds_and_minutes() {
    check_durations(&[
        (Duration::ZERO, "Less than a second"),
        (Duration::from_millis(999), "Less than a second"),
        (secs(1), "1 second"),
        (Duration::from_millis(1999), "1 second"),
        (secs(2), "2 seconds"),
        (secs(59), "59 seconds"),
        (Duration::from_nanos(59_999_999_999), "59 seconds"),
        (secs(60), "About a minute"),
        (secs(90), "About a minute"),
        (secs(119), "About a minute"),
        (secs(120), "2 minutes"),
        (secs(30 * MINUTE + 59), "30 minutes"),
        (secs(59 * MINUTE), "59 minutes"),
        (secs(HOUR - 1), "59 minutes"),
    ]);
}

#[test]
fn task3_hours_are_rounded() {
    check_durations(&[
        (secs(HOUR), "About an hour"),
        (secs(HOUR + 29 * MINUTE), "About an hour"),
        (secs(HOUR + 30 * MINUTE - 1), "About an hour"),
        (secs(HOUR + 30 * MINUTE), "2 hours"),
        (secs(2 * HOUR), "2 hours"),
        (secs(2 * HOUR + 30 * MINUTE - 1), "2 hours"),
        (secs(2 * HOUR + 30 * MINUTE), "3 hours"),
        (secs(23 * HOUR), "23 hours"),
        (secs(47 * HOUR), "47 hours"),
        (secs(47 * HOUR + 30 * MINUTE - 1), "47 hours"),
        // Rounded to 48 hours: days from here.
        (secs(47 * HOUR + 30 * MINUTE), "2 days"),
        (secs(2 * DAY), "2 days"),
    ]);
}

#[test]
fn task3_days_weeks_months_years() {
    check_durations(&[
        (secs(3 * DAY), "3 days"),
        (secs(3 * DAY + 23 * HOUR), "3 days"),
        (secs(7 * DAY), "7 days"),
        (secs(13 * DAY + 23 * HOUR + 30 * MINUTE - 1), "13 days"),
        (secs(13 * DAY + 23 * HOUR + 30 * MINUTE), "2 weeks"),
        (secs(14 * DAY), "2 weeks"),
        (secs(20 * DAY), "2 weeks"),
        (secs(21 * DAY), "3 weeks"),
        (secs(59 * DAY), "8 weeks"),
        (secs(60 * DAY), "2 months"),
        (secs(89 * DAY), "2 months"),
        (secs(90 * DAY), "3 months"),
        (secs(365 * DAY), "12 months"),
        (secs(729 * DAY), "24 months"),
        (secs(730 * DAY), "2 years"),
        // Years count whole hours, not rounded ones.
        (secs(3 * 365 * DAY - 30 * MINUTE), "2 years"),
        (secs(3 * 365 * DAY), "3 years"),
        (secs(3 * 365 * DAY + 364 * DAY), "3 years"),
        (secs(10 * 365 * DAY), "10 years"),
    ]);
}

/// `ps` runs at noon on 1 May 2024.
fn now() -> SystemTime {
    humantime::parse_rfc3339("2024-05-01T12:00:00Z").unwrap()
}

/// A container's state as the store keeps it; the booleans are set here, not by task 2.
fn state(status: Status, exit_code: i32, started_at: &str, finished_at: &str) -> State {
    State {
        status,
        running: matches!(status, Running | Paused),
        paused: status == Paused,
        restarting: status == Restarting,
        dead: status == Dead,
        exit_code,
        started_at: started_at.to_owned(),
        finished_at: finished_at.to_owned(),
    }
}

/// A time that never came.
const NEVER: &str = ZERO_TIME;

/// A stand-in for task 3 that shows the very duration it was given.
fn exact(duration: Duration) -> String {
    format!("<{}ns>", duration.as_nanos())
}

#[test]
fn task4_the_words_for_every_status() {
    let started = "2024-05-01T11:59:55Z";
    let finished = "2024-05-01T09:00:00Z";
    let table = [
        (state(Created, 0, NEVER, NEVER), "Created"),
        (state(Running, 0, started, finished), "Up <5000000000ns>"),
        (
            state(Paused, 0, "2024-05-01T10:00:00Z", finished),
            "Up <7200000000000ns> (Paused)",
        ),
        (
            state(Restarting, 1, started, "2024-05-01T11:59:59.75Z"),
            "Restarting (1) <250000000ns> ago",
        ),
        (
            state(Exited, 137, started, finished),
            "Exited (137) <10800000000000ns> ago",
        ),
        (
            state(Exited, 0, "2024-05-01T11:58:00Z", "2024-05-01T11:59:00Z"),
            "Exited (0) <60000000000ns> ago",
        ),
        (state(Removing, 0, started, finished), "Removal In Progress"),
        (state(Dead, 0, started, finished), "Dead"),
    ];
    for (state, text) in table {
        assert_eq!(status_text(&state, now(), &exact), text, "{state:?}");
    }
}

#[test]
fn task4_times_are_rfc3339_and_never_negative() {
    let cases = [
        // Nanoseconds, as docker writes them.
        (
            state(Running, 0, "2024-05-01T11:59:58.000000001Z", NEVER),
            "Up <1999999999ns>",
        ),
        (
            state(Exited, 2, "2024-04-01T00:00:00Z", "2024-04-30T12:00:00.5Z"),
            "Exited (2) <86399500000000ns> ago",
        ),
        // Later than now: the clock was set back since.
        (state(Running, 0, "2024-05-01T12:00:01Z", NEVER), "Up <0ns>"),
        (
            state(Exited, 1, "2024-05-01T12:00:01Z", "2024-05-01T12:00:02Z"),
            "Exited (1) <0ns> ago",
        ),
        // Unreadable.
        (state(Paused, 0, "yesterday", NEVER), "Up <0ns> (Paused)"),
    ];
    for (state, text) in cases {
        assert_eq!(status_text(&state, now(), &exact), text, "{state:?}");
    }
}

#[test]
fn task4_the_status_column_of_ps() {
    let long_ago = "2024-01-01T00:00:00Z";
    let table = [
        (state(Created, 0, NEVER, NEVER), "Created"),
        (
            state(Running, 0, "2024-05-01T11:59:55Z", NEVER),
            "Up 5 seconds",
        ),
        (
            state(Paused, 0, "2024-05-01T11:58:00Z", NEVER),
            "Up 2 minutes (Paused)",
        ),
        (
            state(Running, 0, "2024-05-01T11:00:00Z", "2024-05-01T10:59:00Z"),
            "Up About an hour",
        ),
        (
            state(Running, 0, "2024-04-28T12:00:00Z", long_ago),
            "Up 3 days",
        ),
        (
            state(Exited, 137, long_ago, "2024-05-01T09:00:00Z"),
            "Exited (137) 3 hours ago",
        ),
        (
            state(Exited, 0, long_ago, "2024-05-01T11:58:30Z"),
            "Exited (0) About a minute ago",
        ),
        (
            state(Exited, 1, long_ago, "2024-03-01T12:00:00Z"),
            "Exited (1) 2 months ago",
        ),
        (
            state(Restarting, 1, long_ago, "2024-05-01T11:59:59.5Z"),
            "Restarting (1) Less than a second ago",
        ),
        (
            state(Removing, 0, long_ago, long_ago),
            "Removal In Progress",
        ),
        (state(Dead, 137, long_ago, long_ago), "Dead"),
    ];
    for (state, text) in table {
        assert_eq!(
            status_text(&state, now(), &human_duration),
            text,
            "{state:?}"
        );
    }
}
