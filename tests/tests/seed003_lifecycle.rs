//! Seed 003: "Running software in containers" (Docker in Action, chapter 2) — the container
//! lifecycle walked through with docker's commands: `create` then `start`, `--cidfile`,
//! `ps -l -q`, names and `rename`, `--read-only` with volumes for the few writable
//! directories, `logs`, `exec`, `-it` with Ctrl-P Ctrl-Q, `stop`, `rm`, `run --rm`.
//!
//! The seed uses nginx, WordPress and MySQL images; these tests run the same scenarios on a
//! busybox rootfs (`run --rootfs`) so they need no registry. Beyond the seed they pin down
//! what a daemonless engine must still guarantee: containers outlive their CLI (live
//! restore), a killed monitor shows up as `Dead` and is cleaned by `rm`, a CLI killed at any
//! moment leaves a consistent store, and parallel CLIs never share a name.
//!
//! Every test has its own state root (`Engine`), which removes its containers when dropped,
//! also when the test fails half-way.
// In a test, a failed unwrap is a failed test with its reason: exactly what we want.
#![allow(clippy::unwrap_used)]

mod lifecycle;

use std::collections::HashSet;
use std::io::{BufRead, BufReader};
use std::process::Stdio;
use std::sync::mpsc::channel;
use std::time::{Duration, Instant, SystemTime};

use lifecycle::{
    cgroup_dirs, finish, monitors_of, mounts_mentioning, process_gone, process_state, strs,
    wait_until, Engine, PtySession, Spawned, CLI_DEADLINE,
};
use nix::sys::signal::{kill, Signal};
use nix::unistd::Pid;
use testkit::require_root;

const SECOND: Duration = Duration::from_secs(1);

/// The hexadecimal id docker prints: 64 lowercase hex digits.
fn is_full_id(text: &str) -> bool {
    text.len() == 64
        && text
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

// ---------------------------------------------------------------------------------------
// 1. create / start / --cidfile / ps -l -q / names / rename / rm / run --rm
// ---------------------------------------------------------------------------------------

#[test]
fn create_start_cidfile_names_rename_rm_and_run_rm() {
    if !require_root("seed 003: create, start, cidfile, names, rm, run --rm") {
        return;
    }
    let engine = Engine::new();

    // CID=$(docker create …): the full id on stdout, a container that is `Created` and not
    // running (so plain `ps` does not list it, `ps -a` does).
    let create = engine.run_args("create", &["--name", "b-web"], &["sh", "-c", "exit 3"]);
    let cid = engine.ok(&strs(&create));
    assert!(is_full_id(&cid), "{cid:?}");
    assert!(engine.ps_row("b-web").contains("Created"));
    assert!(!engine.cli(&["ps"]).stdout.contains("b-web"));

    // docker start $CID echoes its argument; the exit code shows in `ps -a` as
    // `Exited (3) … ago`.
    assert_eq!(engine.ok(&["start", &cid]), cid);
    assert_eq!(engine.ok(&["wait", &cid]), "3");
    let row = engine.ps_row("b-web");
    assert!(row.contains("Exited (3) ") && row.contains(" ago"), "{row}");

    // --cidfile writes the full id (no newline, as docker does)...
    let cidfile = engine.workspace.dir.join("web.cid");
    let cidfile_arg = cidfile.display().to_string();
    let first = engine.run(
        &["-d", "--cidfile", &cidfile_arg, "--name", "b-cid"],
        &["sleep", "30"],
    );
    assert_eq!(first.code, 0, "{first:?}");
    let cid2 = first.line();
    assert_eq!(std::fs::read_to_string(&cidfile).unwrap(), cid2);

    // ... and a second run with the same file is refused before anything is created: one
    // line, exit 125, no new container, name not taken, file untouched.
    let before = engine.all_ids();
    let layers_before = engine.layers();
    let second = engine.run(
        &["-d", "--cidfile", &cidfile_arg, "--name", "b-cid2"],
        &["sleep", "30"],
    );
    assert_eq!(second.code, 125, "{second:?}");
    assert_eq!(second.stderr.lines().count(), 1, "{second:?}");
    assert!(
        second.stderr.contains("Container ID file found"),
        "{second:?}"
    );
    assert_eq!(engine.all_ids(), before);
    assert_eq!(engine.layers(), layers_before);
    assert_eq!(std::fs::read_to_string(&cidfile).unwrap(), cid2);
    assert_eq!(
        engine.cli(&["inspect", "b-cid2"]).code,
        1,
        "b-cid2 must not exist"
    );

    // CID=$(docker ps -l -q): the newest container, short id; --no-trunc gives it whole.
    assert_eq!(engine.ok(&["ps", "-l", "-q"]), &cid2[..12]);
    assert_eq!(engine.ok(&["ps", "-l", "-q", "--no-trunc"]), cid2);

    // Names are unique: docker's conflict message names the holder.
    let records_before = engine.records();
    let duplicate = engine.run(&["-d", "--name", "b-cid"], &["sleep", "30"]);
    assert_eq!(duplicate.code, 125, "{duplicate:?}");
    assert!(
        duplicate.stderr.contains(&format!(
            "Conflict. The container name \"/b-cid\" is already in use by container \"{cid2}\""
        )),
        "{duplicate:?}"
    );
    assert_eq!(duplicate.stderr.lines().count(), 1, "{duplicate:?}");
    assert_eq!(engine.records(), records_before);
    assert_eq!(engine.layers(), layers_before);

    // docker rename webid webid-old: the old name is free again.
    engine.ok(&["rename", "b-cid", "b-cid-old"]);
    assert_eq!(engine.inspect("b-cid-old", "{{.Id}}"), cid2);
    let reused = engine.run_detached("b-cid", &[], &["sleep", "30"]);
    assert_ne!(reused, cid2);

    // rm of a running container is refused (exit 1, docker's advice); rm -f kills it.
    let refused = engine.cli(&["rm", "b-cid-old"]);
    assert_eq!(refused.code, 1, "{refused:?}");
    assert!(
        refused
            .stderr
            .contains("stop the container before removing or force remove"),
        "{refused:?}"
    );
    assert!(engine.all_ids().contains(&cid2));
    assert_eq!(engine.ok(&["rm", "-f", "b-cid-old"]), "b-cid-old");
    assert!(!engine.all_ids().contains(&cid2));

    // Clear the rest, so what follows can see an empty store.
    engine.ok(&["rm", "-f", "b-cid", "b-web"]);
    assert_eq!(engine.layers(), Vec::<String>::new());

    // docker run --rm --name auto-exit-test busybox echo Hello World: prints, and leaves
    // nothing — no record, no layer (only overlay2/l), no cgroup, the name free.
    let hello = engine.run(
        &["--rm", "--name", "auto-exit-test"],
        &["echo", "Hello", "World"],
    );
    assert_eq!(
        (hello.code, hello.stdout.as_str()),
        (0, "Hello World\n"),
        "{hello:?}"
    );
    let gone = engine.id_from_events("auto-exit-test");
    assert_eq!(engine.all_ids(), Vec::<String>::new());
    assert_eq!(engine.records(), Vec::<String>::new());
    assert_eq!(engine.layers(), Vec::<String>::new());
    assert_eq!(cgroup_dirs(&gone), Vec::<std::path::PathBuf>::new());
    // The name is free for the next container.
    engine.run_detached("auto-exit-test", &[], &["true"]);
}

/// A `--rm` container's writable layer is mounted `volatile` — nothing in it outlives the
/// run, so its exit need not sync the filesystem under it — and a kept container's is not.
/// A `--rm` container whose start fails is removed, whether run in the foreground, run
/// detached or started after `create`, as docker's daemon removes it.
#[test]
fn run_rm_mounts_a_volatile_layer_and_a_failed_start_leaves_nothing() {
    if !require_root("run --rm: a volatile layer, a failed start removed") {
        return;
    }
    let engine = Engine::new();
    let root_mount = ["sh", "-c", "read line < /proc/mounts; echo $line"];
    let removed = engine.run(&["--rm"], &root_mount);
    assert!(
        removed.stdout.starts_with("overlay / overlay ") && removed.stdout.contains("volatile"),
        "{removed:?}"
    );
    let kept = engine.run(&["--name", "kept"], &root_mount);
    assert!(
        kept.stdout.starts_with("overlay / overlay ") && !kept.stdout.contains("volatile"),
        "{kept:?}"
    );
    engine.ok(&["rm", "kept"]);

    for flags in [&["--rm"][..], &["--rm", "-d"]] {
        let failed = engine.run(flags, &["no-such-command"]);
        assert_eq!(failed.code, 127, "run {flags:?}: {failed:?}");
    }
    let created = engine.run_args("create", &["--rm"], &["no-such-command"]);
    let id = engine.ok(&strs(&created));
    let started = engine.cli(&["start", &id]);
    assert_eq!(started.code, 1, "{started:?}");
    // A running --rm container given to `rm -f`: its monitor removes it at the kill, and
    // `rm -f` reports success, not the record it no longer finds.
    engine.run_detached("short-lived", &["--rm"], &["sleep", "100"]);
    assert_eq!(engine.ok(&["rm", "-f", "short-lived"]), "short-lived");
    assert_eq!(engine.all_ids(), Vec::<String>::new());
    assert_eq!(engine.records(), Vec::<String>::new());
    assert_eq!(engine.layers(), Vec::<String>::new());
}

// ---------------------------------------------------------------------------------------
// 2. --read-only, and volumes or tmpfs for the directories that must be writable
// ---------------------------------------------------------------------------------------

/// The seed's WordPress fails on a read-only root because it cannot create its lock file;
/// this is the same program in a line of shell. After the pid file it checks that the rest
/// of the root stays read-only.
const PIDFILE_APP: &str = "echo $$ > /var/run/app.pid && echo started && \
                           if touch /etc/probe 2>/dev/null; then echo root-writable; fi";

#[test]
fn read_only_root_needs_volumes_or_tmpfs_for_its_lock_files() {
    if !require_root("seed 003: --read-only with -v and --tmpfs") {
        return;
    }
    let engine = Engine::new();

    // docker run --read-only wordpress: it cannot write its lock file and exits non-zero.
    let plain = engine.run(
        &["--read-only", "--name", "ro-plain"],
        &["sh", "-c", PIDFILE_APP],
    );
    assert_ne!(plain.code, 0, "{plain:?}");
    assert!(plain.stderr.contains("Read-only file system"), "{plain:?}");
    assert!(!plain.stdout.contains("started"), "{plain:?}");
    assert_eq!(engine.inspect("ro-plain", "{{.State.Running}}"), "false");

    // -v /var/run: an anonymous volume makes that directory (only) writable.
    let volume = engine.run(
        &["--read-only", "-v", "/var/run", "--name", "ro-vol"],
        &["sh", "-c", PIDFILE_APP],
    );
    assert_eq!(
        (volume.code, volume.stdout.as_str()),
        (0, "started\n"),
        "{volume:?}"
    );
    let volumes = engine.ok(&["volume", "ls", "-q"]);
    assert!(
        is_full_id(&volumes),
        "one anonymous volume, named by a 64-hex id: {volumes:?}"
    );

    // --tmpfs /var/run does the same without a volume.
    let tmpfs = engine.run(
        &["--read-only", "--tmpfs", "/var/run", "--name", "ro-tmpfs"],
        &["sh", "-c", PIDFILE_APP],
    );
    assert_eq!(
        (tmpfs.code, tmpfs.stdout.as_str()),
        (0, "started\n"),
        "{tmpfs:?}"
    );
    assert_eq!(engine.ok(&["volume", "ls", "-q"]), volumes);

    // docker rm -v: the container's anonymous volume goes with it.
    engine.ok(&["rm", "-v", "ro-vol"]);
    assert_eq!(engine.cli(&["volume", "ls", "-q"]).stdout, "");
}

// ---------------------------------------------------------------------------------------
// 3. logs: both streams, in order; -f; --tail; -t
// ---------------------------------------------------------------------------------------

/// Alternates stdout and stderr. The pauses matter: stdout and stderr are two pipes, and
/// what is written to both within the same instant has no order to keep (docker's two
/// copiers do not keep one either).
const ALTERNATING: &str =
    "for i in 1 2 3; do echo out$i; sleep 0.05; echo err$i >&2; sleep 0.05; done";

#[test]
fn logs_keep_each_stream_and_the_order_and_follow_a_running_container() {
    if !require_root("seed 003: docker logs") {
        return;
    }
    let engine = Engine::new();
    let run = engine.run(&["--name", "lg-alt"], &["sh", "-c", ALTERNATING]);
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(run.stdout, "out1\nout2\nout3\n");
    assert_eq!(run.stderr, "err1\nerr2\nerr3\n");

    // docker logs: the same lines, each on its stream.
    let logs = engine.cli(&["logs", "lg-alt"]);
    assert_eq!(
        (logs.code, logs.stdout.as_str(), logs.stderr.as_str()),
        (0, "out1\nout2\nout3\n", "err1\nerr2\nerr3\n"),
        "{logs:?}"
    );

    // The json-file log keeps the order across the streams: `stream` alternates.
    let id = engine.inspect("lg-alt", "{{.Id}}");
    let log_file = engine
        .containers_dir()
        .join(&id)
        .join(format!("{id}-json.log"));
    let entries: Vec<serde_json::Value> = std::fs::read_to_string(&log_file)
        .unwrap()
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    let seen: Vec<(&str, &str)> = entries
        .iter()
        .map(|e| (e["stream"].as_str().unwrap(), e["log"].as_str().unwrap()))
        .collect();
    assert_eq!(
        seen,
        [
            ("stdout", "out1\n"),
            ("stderr", "err1\n"),
            ("stdout", "out2\n"),
            ("stderr", "err2\n"),
            ("stdout", "out3\n"),
            ("stderr", "err3\n"),
        ]
    );

    // --tail 2: the last two lines of the log, still each on its stream.
    let tail = engine.cli(&["logs", "--tail", "2", "lg-alt"]);
    assert_eq!(
        (tail.stdout.as_str(), tail.stderr.as_str()),
        ("out3\n", "err3\n")
    );

    // -t: each line prefixed with the time the json log recorded for it.
    let stamped = engine.cli(&["logs", "-t", "lg-alt"]);
    let expected_out: String = entries
        .iter()
        .filter(|e| e["stream"] == "stdout")
        .map(|e| {
            format!(
                "{} {}",
                e["time"].as_str().unwrap(),
                e["log"].as_str().unwrap()
            )
        })
        .collect();
    assert_eq!(stamped.stdout, expected_out);
    for line in stamped.stdout.lines().chain(stamped.stderr.lines()) {
        let (time, _) = line.split_once(' ').unwrap();
        assert!(
            time.len() > 20 && time.contains('T') && time.ends_with('Z'),
            "{line}"
        );
    }

    // logs -f on a running container prints lines as they come and ends by itself when
    // the container exits.
    engine.run_detached(
        "lg-follow",
        &[],
        &[
            "sh",
            "-c",
            "for i in 1 2 3 4 5; do echo tick$i; sleep 0.2; done",
        ],
    );
    let started = Instant::now();
    let mut follower = Spawned {
        child: engine
            .command(&["logs", "-f", "lg-follow"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    };
    let (sender, lines) = channel();
    let stdout = follower.child.stdout.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = sender.send((line, Instant::now()));
        }
    });
    let code = follower.wait(Duration::from_secs(30));
    let ended = Instant::now();
    let got: Vec<(String, Instant)> = lines.iter().collect();
    let texts: Vec<&str> = got.iter().map(|(line, _)| line.as_str()).collect();
    assert_eq!(
        (code, texts),
        (0, vec!["tick1", "tick2", "tick3", "tick4", "tick5"])
    );
    // It followed: the lines came out as the container printed them, 0.2 s apart, not all
    // at once at the end (even if `logs -f` started a little late, under load).
    let spread = got[4].1 - got[0].1;
    assert!(
        spread >= Duration::from_millis(300),
        "tick1 to tick5 took {spread:?}"
    );
    // And it ended by itself, soon after the container's last line.
    assert!(ended - got[4].1 < 5 * SECOND, "{:?}", ended - got[4].1);
    assert!(ended - started < 10 * SECOND);
    assert_eq!(engine.inspect("lg-follow", "{{.State.Status}}"), "exited");
}

// ---------------------------------------------------------------------------------------
// 4. exec and -it sessions on a real terminal
// ---------------------------------------------------------------------------------------

#[test]
fn exec_sees_the_containers_pid_1_and_hostname() {
    if !require_root("seed 003: docker exec") {
        return;
    }
    let engine = Engine::new();
    // The seed's namespaceA and namespaceB: each container has its own PID 1.
    engine.run_detached("ns-a", &["-h", "web"], &["sleep", "30000"]);
    engine.run_detached("ns-b", &[], &["sh", "-c", "while true; do sleep 1; done"]);

    let cmdline = engine.cli(&["exec", "ns-a", "cat", "/proc/1/cmdline"]);
    // /proc/PID/cmdline: the arguments, each ended by a NUL.
    assert_eq!(cmdline.stdout, "sleep\u{0}30000\u{0}", "{cmdline:?}");
    let cmdline_b = engine.cli(&["exec", "ns-b", "cat", "/proc/1/cmdline"]);
    assert!(
        cmdline_b.stdout.starts_with("sh\u{0}-c\u{0}while"),
        "{cmdline_b:?}"
    );

    // docker exec namespaceA ps: PID 1 is the container's command.
    let ps = engine.cli(&["exec", "ns-a", "ps"]);
    let first = ps.stdout.lines().nth(1).unwrap_or_default().to_owned();
    assert!(
        first.split_whitespace().next() == Some("1") && first.ends_with("sleep 30000"),
        "{ps:?}"
    );

    assert_eq!(engine.ok(&["exec", "ns-a", "hostname"]), "web");
    // The exit code of the exec'd command is exec's.
    assert_eq!(engine.cli(&["exec", "ns-a", "sh", "-c", "exit 4"]).code, 4);
}

#[test]
fn exec_it_runs_an_interactive_shell_on_a_terminal() {
    if !require_root("seed 003: docker exec -it") {
        return;
    }
    let engine = Engine::new();
    engine.run_detached("it-exec", &[], &["sleep", "300"]);

    let mut shell = PtySession::spawn(engine.command(&["exec", "-it", "it-exec", "sh"]));
    // Busybox sh shows its prompt only on a terminal.
    shell.expect("# ", Duration::from_secs(20));
    // The typed line is echoed back too, so look for results the line itself does not hold.
    shell.send(b"test -t 0 && echo tty$((3-1)); echo $((6*7)); exit 5\n");
    let (code, output) = shell.finish(Duration::from_secs(20));
    assert!(
        output.contains("tty2"),
        "stdin is a terminal inside: {output:?}"
    );
    assert!(output.contains("42\r\n"), "{output:?}");
    assert_eq!(code, 5, "{output:?}");
    // The container itself is untouched.
    assert_eq!(engine.inspect("it-exec", "{{.State.Running}}"), "true");
}

#[test]
fn run_it_detaches_with_ctrl_p_ctrl_q_and_attach_comes_back() {
    if !require_root("seed 003: run -it, Ctrl-P Ctrl-Q, attach") {
        return;
    }
    let engine = Engine::new();
    let args = engine.run_args("run", &["-it", "--name", "agent"], &["sh"]);
    let mut session = PtySession::spawn(engine.command(&strs(&args)));
    session.expect("# ", Duration::from_secs(20));
    session.send(b"echo first$((1+1))\n");
    session.expect("first2", Duration::from_secs(20));

    // Ctrl-P Ctrl-Q: the CLI leaves, exit 0; the container runs on.
    session.send(&[0x10, 0x11]);
    let (code, output) = session.finish(Duration::from_secs(20));
    assert_eq!(code, 0, "{output:?}");
    assert!(output.contains("read escape sequence"), "{output:?}");
    assert!(
        engine.ps_row("agent").contains(" Up "),
        "{}",
        engine.ps_row("agent")
    );
    assert_eq!(engine.inspect("agent", "{{.State.Running}}"), "true");

    // docker attach: the same shell, still reading; its exit is attach's exit code.
    let mut attached = PtySession::spawn(engine.command(&["attach", "agent"]));
    attached.send(b"echo back$((2+2))\n");
    attached.expect("back4", Duration::from_secs(20));
    attached.send(b"exit 3\n");
    let (code, output) = attached.finish(Duration::from_secs(20));
    assert_eq!(code, 3, "{output:?}");
    assert_eq!(engine.inspect("agent", "{{.State.Status}}"), "exited");
    assert!(engine.ps_row("agent").contains("Exited (3)"));
}

// ---------------------------------------------------------------------------------------
// 5. Live restore: containers outlive the CLI, even a killed or replaced one
// ---------------------------------------------------------------------------------------

#[test]
fn a_detached_container_outlives_the_cli_that_started_it() {
    if !require_root("live restore: run -d") {
        return;
    }
    let engine = Engine::new();
    let id = engine.run_detached("lr-bg", &[], &["sleep", "100"]);
    // That CLI has exited; the container runs on, under its monitor.
    let state = engine.state_json(&id);
    let pid = state["Pid"].as_i64().unwrap() as i32;
    assert!(!process_gone(pid));
    let parent = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
    let ppid: i64 = parent
        .rsplit_once(')')
        .unwrap()
        .1
        .split_whitespace()
        .nth(1)
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(
        ppid,
        state["MonitorPid"].as_i64().unwrap(),
        "the monitor is its parent"
    );
    assert!(engine.ps_row("lr-bg").contains(" Up "));

    // A later CLI stops it (sleep as PID 1 ignores SIGTERM: SIGKILL after 1 s).
    engine.ok(&["stop", "-t", "1", "lr-bg"]);
    assert_eq!(engine.inspect("lr-bg", "{{.State.ExitCode}}"), "137");
    wait_until("the container's process is gone", 2 * SECOND, || {
        process_gone(pid)
    });
}

#[test]
fn killing_a_foreground_run_cli_leaves_its_container_running() {
    if !require_root("live restore: run in the foreground, CLI killed") {
        return;
    }
    let engine = Engine::new();
    let args = engine.run_args("run", &["--name", "fg"], &["sleep", "100"]);
    let mut cli = Spawned {
        child: engine
            .command(&strs(&args))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    };
    wait_until("fg runs", 20 * SECOND, || {
        let output = engine.cli(&["inspect", "-f", "{{.State.Running}}", "fg"]);
        output.code == 0 && output.line() == "true"
    });
    cli.kill_9();

    assert!(
        engine.ps_row("fg").contains(" Up "),
        "{}",
        engine.ps_row("fg")
    );
    assert_eq!(engine.inspect("fg", "{{.State.Running}}"), "true");
    let started = Instant::now();
    engine.ok(&["stop", "-t", "1", "fg"]);
    assert!(started.elapsed() >= SECOND);
    assert_eq!(
        engine.inspect("fg", "{{.State.Status}} {{.State.ExitCode}}"),
        "exited 137"
    );
}

#[test]
fn a_container_started_by_a_binary_since_replaced_is_still_controlled() {
    if !require_root("live restore: binary replaced") {
        return;
    }
    let engine = Engine::new();
    let copy = engine.workspace.dir.join("old-mini-docker");
    std::fs::copy(acceptance::mini_docker_binary(), &copy).unwrap();
    let args = engine.run_args(
        "run",
        &["-d", "--name", "upgraded"],
        &[
            "sh",
            "-c",
            "trap 'exit 0' TERM; i=0; while true; do i=$((i+1)); echo beat$i; sleep 0.1; done",
        ],
    );
    let started = finish(engine.command_with(&copy, &strs(&args)), CLI_DEADLINE);
    assert_eq!(started.code, 0, "{started:?}");
    let id = started.line();
    let monitor = engine.state_json(&id)["MonitorPid"].as_i64().unwrap();

    // The monitor runs the copy: writing into it is refused (ETXTBSY), so an upgrade
    // replaces the file — a new file renamed over the old name, as package managers do.
    let busy = std::fs::OpenOptions::new()
        .write(true)
        .open(&copy)
        .unwrap_err();
    assert_eq!(busy.raw_os_error(), Some(libc::ETXTBSY), "{busy}");
    let new = engine.workspace.dir.join("new-mini-docker");
    std::fs::copy("/bin/true", &new).unwrap();
    std::fs::rename(&new, &copy).unwrap();
    assert_eq!(
        std::fs::read(&copy).unwrap(),
        std::fs::read("/bin/true").unwrap()
    );
    let exe = std::fs::read_link(format!("/proc/{monitor}/exe")).unwrap();
    assert!(exe.to_string_lossy().ends_with(" (deleted)"), "{exe:?}");

    // Our binary reads its logs, execs into it and stops it.
    wait_until("the container beats twice", 10 * SECOND, || {
        engine.cli(&["logs", "upgraded"]).stdout.contains("beat2")
    });
    assert_eq!(engine.ok(&["exec", "upgraded", "echo", "inside"]), "inside");
    engine.ok(&["stop", "-t", "10", "upgraded"]);
    assert_eq!(
        engine.inspect("upgraded", "{{.State.Status}} {{.State.ExitCode}}"),
        "exited 0"
    );
}

/// `run -d` returns, and then nothing of its caller may stay open: a shell waiting for the
/// end of a pipe (`$(…)`, `| tee`), a CI runner or make's jobserver hand their programs
/// descriptors without close-on-exec, and a monitor that inherited one would hold it for
/// the container's whole life. Docker's CLI leaves nothing behind either: the container
/// belongs to the daemon. (The container itself gets only 0, 1 and 2; this checks the
/// monitor.)
#[test]
fn a_detached_container_keeps_no_descriptor_of_the_clis_caller() {
    if !require_root("live restore: the monitor inherits nothing") {
        return;
    }
    let engine = Engine::new();
    let mut ends = [0; 2];
    // SAFETY: pipe2 fills the array with two new descriptors, which we own from here.
    assert_eq!(
        unsafe { libc::pipe2(ends.as_mut_ptr(), libc::O_CLOEXEC) },
        0
    );
    // SAFETY: both descriptors are ours and open.
    let (reading, writing) = unsafe {
        use std::os::fd::FromRawFd;
        (
            std::fs::File::from_raw_fd(ends[0]),
            std::os::fd::OwnedFd::from_raw_fd(ends[1]),
        )
    };
    let args = engine.run_args("run", &["-d", "--name", "quiet"], &["sleep", "100"]);
    let mut command = engine.command(&strs(&args));
    let write_end = std::os::fd::AsRawFd::as_raw_fd(&writing);
    // SAFETY: dup2(2) is async-signal-safe. The copy at 7 has no close-on-exec, as if
    // the CLI had been started with `7>pipe` by a shell.
    unsafe {
        std::os::unix::process::CommandExt::pre_exec(&mut command, move || {
            if libc::dup2(write_end, 7) < 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let started = finish(command, CLI_DEADLINE);
    assert_eq!(started.code, 0, "{started:?}");
    drop(writing);

    // The CLI has exited; if nobody else holds the write end, reading ends at once.
    let (sender, ended) = channel();
    std::thread::spawn(move || {
        let mut reading = reading;
        let _ = std::io::Read::read_to_end(&mut reading, &mut Vec::new());
        let _ = sender.send(());
    });
    let monitor = engine.state_json(&started.line())["MonitorPid"]
        .as_i64()
        .unwrap();
    let held: Vec<String> = std::fs::read_dir(format!("/proc/{monitor}/fd"))
        .unwrap()
        .flatten()
        .filter_map(|fd| {
            let target = std::fs::read_link(fd.path()).ok()?;
            Some(format!(
                "{} -> {}",
                fd.file_name().to_string_lossy(),
                target.display()
            ))
        })
        .collect();
    assert!(
        ended.recv_timeout(2 * SECOND).is_ok(),
        "the monitor (pid {monitor}) still holds the pipe the CLI inherited at fd 7; its \
         descriptors: {held:#?}"
    );
}

// ---------------------------------------------------------------------------------------
// 6. Crash consistency
// ---------------------------------------------------------------------------------------

#[test]
fn a_killed_monitor_makes_the_container_dead_and_rm_cleans_it_up() {
    if !require_root("crash: monitor killed") {
        return;
    }
    let engine = Engine::new();
    let id = engine.run_detached("dead-one", &[], &["sleep", "100"]);
    let state = engine.state_json(&id);
    let (pid, monitor) = (
        state["Pid"].as_i64().unwrap() as i32,
        state["MonitorPid"].as_i64().unwrap() as i32,
    );
    kill(Pid::from_raw(monitor), Signal::SIGKILL).unwrap();
    // Gone, or a zombie its new parent has yet to reap: either way its lock is released.
    wait_until("the monitor is gone", 5 * SECOND, || {
        process_gone(monitor) || process_state(monitor) == Some('Z')
    });

    // Nobody holds monitor.lock any more: the container is Dead, and says why.
    assert!(
        engine.ps_row("dead-one").contains("Dead"),
        "{}",
        engine.ps_row("dead-one")
    );
    assert_eq!(engine.inspect("dead-one", "{{.State.Status}}"), "dead");
    let error = engine.inspect("dead-one", "{{.State.Error}}");
    assert!(
        error.contains(&format!("monitor (pid {monitor})")),
        "{error}"
    );

    // Dead is the record's word: the process itself still runs, with nobody to reap it.
    assert_eq!(process_state(pid).map(|state| state != 'Z'), Some(true));

    // rm without -f: a dead container may be removed; everything of it goes.
    engine.ok(&["rm", "dead-one"]);
    // Its process was killed with the cgroup (mini-docker's job): dead at once. It was
    // orphaned when its monitor died, so reaping it falls to the host's init, which may
    // take its time (about 1.5 s on a Firecracker VM's init).
    wait_until("the container's process is dead", 2 * SECOND, || {
        process_gone(pid) || process_state(pid) == Some('Z')
    });
    wait_until("the container's process is reaped", 10 * SECOND, || {
        process_gone(pid)
    });
    assert_eq!(cgroup_dirs(&id), Vec::<std::path::PathBuf>::new());
    assert_eq!(mounts_mentioning(&id), Vec::<String>::new());
    assert!(!engine.all_ids().contains(&id));
    assert_eq!(engine.records(), Vec::<String>::new());
    assert_eq!(engine.layers(), Vec::<String>::new());
}

/// A small deterministic generator (xorshift64): the same "random" delays on every run,
/// so a failure can be replayed.
struct Delays(u64);

impl Delays {
    fn next_ms(&mut self, max: u64) -> Duration {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        Duration::from_millis(self.0 % (max + 1))
    }
}

#[test]
fn a_cli_killed_at_any_moment_leaves_a_consistent_store() {
    if !require_root("crash: CLI killed during run --rm and rm -f") {
        return;
    }
    let engine = Engine::new();
    let short = ["sh", "-c", "sleep 0.3"];
    let mut delays = Delays(0x5eed_0003);
    for round in 0..30 {
        // `run --rm` killed somewhere between creating and attaching.
        let args = engine.run_args("run", &["--rm"], &short);
        let mut run = Spawned {
            child: engine
                .command(&strs(&args))
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap(),
        };
        std::thread::sleep(delays.next_ms(80));
        run.kill_9();

        // `rm -f` killed somewhere between killing the container and deleting its files.
        let id = engine.run_detached(&format!("crash-{round}"), &[], &short);
        let mut rm = Spawned {
            child: engine
                .command(&["rm", "-f", &id])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap(),
        };
        std::thread::sleep(delays.next_ms(80));
        rm.kill_9();
    }

    // Let what still runs finish (each container lives 0.3 s), including the monitors
    // that remove their `--rm` container after it exited.
    wait_until("no monitor of this root is left", 30 * SECOND, || {
        monitors_of(&engine.root()).is_empty()
    });
    assert_eq!(engine.cli(&["ps", "-q"]).stdout, "");
    // That `ps` opened the store, which finishes what killed creators and removers left.
    assert_eq!(engine.leftovers(), Vec::<String>::new());

    let listed = engine.all_ids();
    let rows = engine.ps_all_rows();
    assert!(
        rows.iter().all(|row| !row.contains("Dead")),
        "no monitor was killed: {rows:#?}"
    );
    // Every listed container is whole: its record and both its layers.
    let layers = engine.layers();
    for id in &listed {
        assert!(
            engine
                .containers_dir()
                .join(id)
                .join("config.json")
                .is_file(),
            "{id}"
        );
        assert!(layers.contains(id), "{id} has no layer: {layers:?}");
        assert!(
            layers.contains(&format!("{id}-init")),
            "{id} has no init layer"
        );
    }
    // No overlay mount of this root in our namespace, no cgroup of a container not listed.
    let root = engine.root().display().to_string();
    assert_eq!(mounts_mentioning(&root), Vec::<String>::new());
    let known = engine.ids_in_events();
    for id in known.iter().filter(|id| !listed.contains(id)) {
        assert_eq!(
            cgroup_dirs(id),
            Vec::<std::path::PathBuf>::new(),
            "{id} is not listed"
        );
    }
    // No layer without its container (checked last, below, so that the other checks run).
    let orphans = orphan_layers(&engine, &listed);

    // Finally everything goes, and the root is clean.
    if !listed.is_empty() {
        let mut args = vec!["rm", "-f"];
        args.extend(listed.iter().map(String::as_str));
        engine.ok(&args);
    }
    assert_eq!(engine.all_ids(), Vec::<String>::new());
    assert_eq!(engine.records(), Vec::<String>::new());
    assert_eq!(engine.leftovers(), Vec::<String>::new());
    for id in &known {
        assert_eq!(cgroup_dirs(id), Vec::<std::path::PathBuf>::new(), "{id}");
    }
    assert_eq!(
        orphan_layers(&engine, &[]),
        orphans,
        "the listed containers' layers all went"
    );
    assert_eq!(
        dangling_short_links(&engine),
        Vec::<String>::new(),
        "short links of layers that are gone (a create killed while it wrote a layer's \
         `link` file leaves it empty; the cleanup removes the layer, not its short link)"
    );
    assert!(
        orphans.is_empty(),
        "layers of no container are left behind (a layer directory whose `link` file is \
         gone is not recognised as a layer by the cleanup, so it stays forever): {orphans:#?}"
    );
}

/// The short links `<root>/overlay2/l/*` whose layer is gone.
fn dangling_short_links(engine: &Engine) -> Vec<String> {
    let dir = engine.root().join("overlay2").join("l");
    let mut dangling: Vec<String> = std::fs::read_dir(&dir)
        .map(|entries| {
            entries
                .flatten()
                .filter(|entry| !entry.path().exists()) // exists() follows the link
                .map(|entry| {
                    let target = std::fs::read_link(entry.path()).unwrap_or_default();
                    format!(
                        "l/{} -> {}",
                        entry.file_name().to_string_lossy(),
                        target.display()
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    dangling.sort();
    dangling
}

/// What a CLI killed half-way leaves, made on purpose (the random kills above find these
/// states only now and then): the next CLI must finish the job whatever the step it
/// stopped at.
#[test]
fn the_next_cli_finishes_what_a_killed_create_or_rm_left() {
    if !require_root("crash: half-made and half-removed containers") {
        return;
    }
    let engine = Engine::new();
    let overlay = engine.root().join("overlay2");
    let containers = engine.containers_dir();
    let create = engine.run_args("create", &[], &["true"]);
    let [removed_whole, removed_half, created_half, link_empty] =
        [(); 4].map(|()| engine.ok(&strs(&create)));
    let short_link =
        |layer: &str| std::fs::read_to_string(overlay.join(layer).join("link")).unwrap();

    // `rm` killed right after its rename: the directory is `.removing-<id>`, layers intact.
    std::fs::rename(
        containers.join(&removed_whole),
        containers.join(format!(".removing-{removed_whole}")),
    )
    .unwrap();

    // `rm` killed inside the removal of a layer: its short link and `link` file are gone
    // (remove_dir_all had got that far), `diff/` and `work/` are still there.
    let layer = overlay.join(&removed_half);
    std::fs::remove_file(overlay.join("l").join(short_link(&removed_half))).unwrap();
    for file in ["link", "lower"] {
        std::fs::remove_file(layer.join(file)).unwrap();
    }
    std::fs::rename(
        containers.join(&removed_half),
        containers.join(format!(".removing-{removed_half}")),
    )
    .unwrap();

    // `create` killed while making the container layer: `diff/` and the short link exist,
    // the `link` file naming it not yet.
    let layer = overlay.join(&created_half);
    for file in ["link", "lower"] {
        std::fs::remove_file(layer.join(file)).unwrap();
    }
    for dir in ["work", "merged"] {
        std::fs::remove_dir(layer.join(dir)).unwrap();
    }
    std::fs::rename(
        containers.join(&created_half),
        containers.join(format!(".staging-{created_half}")),
    )
    .unwrap();

    // `create` killed while writing the `link` file of its init layer (the first layer it
    // makes): the file exists, empty; the short link exists; no container layer yet.
    std::fs::remove_file(overlay.join("l").join(short_link(&link_empty))).unwrap();
    std::fs::remove_dir_all(overlay.join(&link_empty)).unwrap();
    std::fs::write(overlay.join(format!("{link_empty}-init")).join("link"), "").unwrap();
    std::fs::rename(
        containers.join(&link_empty),
        containers.join(format!(".staging-{link_empty}")),
    )
    .unwrap();

    // Any command opens the store, which cleans up.
    assert_eq!(engine.ok(&["ps", "-a", "-q"]), "");
    assert_eq!(engine.leftovers(), Vec::<String>::new());
    assert_eq!(engine.records(), Vec::<String>::new());
    let left: Vec<String> = engine
        .layers()
        .into_iter()
        .map(|layer| {
            let case = match layer.trim_end_matches("-init") {
                id if id == removed_whole => "rm killed after its rename",
                id if id == removed_half => "rm killed inside a layer's removal, `link` gone",
                id if id == created_half => {
                    "create killed inside a layer's creation, no `link` yet"
                }
                id if id == link_empty => "create killed writing `link`, left empty",
                _ => "?",
            };
            format!("{layer} ({case})")
        })
        .collect();
    assert_eq!(
        (left, dangling_short_links(&engine)),
        (Vec::new(), Vec::new()),
        "(layers of containers that no longer exist, short links of layers that are gone)"
    );
}

/// The layers under `<root>/overlay2` that belong to none of `listed`, each with what its
/// directory holds.
fn orphan_layers(engine: &Engine, listed: &[String]) -> Vec<String> {
    let expected: HashSet<String> = listed
        .iter()
        .flat_map(|id| [id.clone(), format!("{id}-init")])
        .collect();
    engine
        .layers()
        .into_iter()
        .filter(|layer| !expected.contains(layer))
        .map(|layer| {
            let dir = engine.root().join("overlay2").join(&layer);
            let mut inside: Vec<String> = std::fs::read_dir(dir)
                .map(|entries| {
                    entries
                        .flatten()
                        .map(|e| e.file_name().to_string_lossy().into_owned())
                        .collect()
                })
                .unwrap_or_default();
            inside.sort();
            format!("{layer} (holds {inside:?})")
        })
        .collect()
}

// ---------------------------------------------------------------------------------------
// 7. stop: the stop signal, the grace period, SIGKILL — and the events in order
// ---------------------------------------------------------------------------------------

/// The (action, key attribute) pairs of a stop, from `events`.
fn stop_story(engine: &Engine, name: &str, since: SystemTime) -> Vec<String> {
    story(engine, name, since, &["kill", "die", "stop"])
}

/// The events of `name` since `since` whose action is one of `actions`, with their key
/// attribute: `kill signal=15`, `die exitCode=143`, `stop`.
fn story(engine: &Engine, name: &str, since: SystemTime, actions: &[&str]) -> Vec<String> {
    engine
        .events_of(name, since)
        .into_iter()
        .filter(|e| actions.contains(&e.action.as_str()))
        .map(|e| match e.action.as_str() {
            "kill" => format!("kill signal={}", e.attribute("signal").unwrap_or("?")),
            "die" => format!("die exitCode={}", e.attribute("exitCode").unwrap_or("?")),
            other => other.to_owned(),
        })
        .collect()
}

#[test]
fn stop_waits_then_kills_a_container_that_ignores_sigterm() {
    if !require_root("docker stop: SIGTERM, grace period, SIGKILL") {
        return;
    }
    let engine = Engine::new();
    let since = SystemTime::now();
    // A shell that ignores SIGTERM (as PID 1 it would anyway: no handler, no default).
    engine.run_detached(
        "stubborn",
        &[],
        &["sh", "-c", "trap '' TERM; while true; do sleep 0.1; done"],
    );
    let started = Instant::now();
    engine.ok(&["stop", "-t", "1", "stubborn"]);
    let took = started.elapsed();
    assert!(
        took >= SECOND && took < 10 * SECOND,
        "stop -t 1 took {took:?}"
    );
    assert_eq!(engine.inspect("stubborn", "{{.State.ExitCode}}"), "137");
    assert_eq!(
        stop_story(&engine, "stubborn", since),
        [
            "kill signal=15",
            "kill signal=9",
            "die exitCode=137",
            "stop"
        ]
    );
}

#[test]
fn stop_of_an_init_container_is_fast_because_init_forwards_sigterm() {
    if !require_root("docker stop with --init") {
        return;
    }
    let engine = Engine::new();
    let since = SystemTime::now();
    // `sleep` is not PID 1 here: the init is, and it passes SIGTERM on; sleep dies of it.
    engine.run_detached("with-init", &["--init"], &["sleep", "100"]);
    let started = Instant::now();
    engine.ok(&["stop", "-t", "10", "with-init"]);
    let took = started.elapsed();
    assert!(took < 2 * SECOND, "stop took {took:?}");
    assert_eq!(engine.inspect("with-init", "{{.State.ExitCode}}"), "143");
    assert_eq!(
        stop_story(&engine, "with-init", since),
        ["kill signal=15", "die exitCode=143", "stop"]
    );
}

#[test]
fn restart_is_a_stop_then_a_start_and_says_so() {
    if !require_root("docker restart: stop, start, and a restart event") {
        return;
    }
    let engine = Engine::new();
    engine.run_detached("again", &["--init"], &["sleep", "100"]);
    let first_pid = engine.inspect("again", "{{.State.Pid}}");
    let since = SystemTime::now();
    engine.ok(&["restart", "-t", "10", "again"]);
    let every = [
        "kill", "die", "stop", "start", "restart", "destroy", "create",
    ];
    assert_eq!(
        story(&engine, "again", since, &every),
        [
            "kill signal=15",
            "die exitCode=143",
            "stop",
            "start",
            "restart"
        ]
    );
    assert_eq!(engine.inspect("again", "{{.State.Status}}"), "running");
    assert_ne!(engine.inspect("again", "{{.State.Pid}}"), first_pid);
    // A user's restart is a new life, not a restart by a policy (docker resets the count).
    assert_eq!(engine.inspect("again", "{{.RestartCount}}"), "0");
}

/// The host end of a container's veth pair is named after the container, and the kernel
/// destroys the last run's pair a little after that run ends, with its network namespace.
/// A restart right away waits for that rather than fail on the name: ten in a row work.
#[test]
fn restarts_in_a_row_wait_for_the_last_runs_veth_pair() {
    if !require_root("ten restarts in a row on the bridge") {
        return;
    }
    let engine = Engine::new();
    engine.run_detached("flapper", &[], &["sleep", "100"]);
    for round in 1..=10 {
        let restarted = engine.cli(&["restart", "-t", "0", "flapper"]);
        assert_eq!(restarted.code, 0, "restart {round}: {restarted:?}");
    }
    assert_eq!(engine.inspect("flapper", "{{.State.Status}}"), "running");
}

// ---------------------------------------------------------------------------------------
// 8. Parallel CLIs: names stay unique, nothing is shared by mistake
// ---------------------------------------------------------------------------------------

#[test]
fn twenty_parallel_runs_get_distinct_ids_and_a_taken_name_is_refused_cleanly() {
    if !require_root("parallel run -d --name") {
        return;
    }
    let engine = Engine::new();
    let outputs: Vec<_> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..20)
            .map(|n| {
                let engine = &engine;
                scope.spawn(move || {
                    let name = format!("par-{n}");
                    engine.run(&["-d", "--name", &name], &["sleep", "30"])
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    for output in &outputs {
        assert_eq!(output.code, 0, "{output:?}");
        assert!(is_full_id(&output.line()), "{output:?}");
    }
    let ids: HashSet<String> = outputs.iter().map(|o| o.line()).collect();
    assert_eq!(ids.len(), 20);
    for (n, output) in outputs.iter().enumerate() {
        let id = engine.inspect(&format!("par-{n}"), "{{.Id}}");
        assert_eq!(
            id,
            output.line(),
            "par-{n} is the container its CLI printed"
        );
    }
    assert_eq!(engine.records().len(), 20);
    assert_eq!(engine.layers().len(), 40);

    // One more par-3: docker's conflict, exit 125, nothing left behind.
    let par3 = outputs[3].line();
    let again = engine.run(&["-d", "--name", "par-3"], &["sleep", "30"]);
    assert_eq!(again.code, 125, "{again:?}");
    assert!(
        again.stderr.contains(&format!(
            "The container name \"/par-3\" is already in use by container \"{par3}\""
        )),
        "{again:?}"
    );
    assert_eq!(engine.records().len(), 20);
    assert_eq!(engine.layers().len(), 40);
    assert_eq!(engine.leftovers(), Vec::<String>::new());

    let removed: Vec<_> = std::thread::scope(|scope| {
        let handles: Vec<_> = ids
            .iter()
            .map(|id| {
                let engine = &engine;
                scope.spawn(move || engine.cli(&["rm", "-f", id]))
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    for output in removed {
        assert_eq!(output.code, 0, "{output:?}");
    }
    assert_eq!(engine.records(), Vec::<String>::new());
    assert_eq!(engine.layers(), Vec::<String>::new());
}

// ---------------------------------------------------------------------------------------
// 9. wait
// ---------------------------------------------------------------------------------------

#[test]
fn wait_returns_the_exit_code() {
    if !require_root("docker wait") {
        return;
    }
    let engine = Engine::new();
    engine.run_detached("waited", &[], &["sh", "-c", "sleep 0.5; exit 7"]);
    let waited = engine.cli(&["wait", "waited"]);
    assert_eq!(
        (waited.code, waited.stdout.as_str()),
        (0, "7\n"),
        "{waited:?}"
    );
    assert_eq!(engine.inspect("waited", "{{.State.Status}}"), "exited");
    // Waiting for a container that has already exited answers at once, the same.
    assert_eq!(engine.ok(&["wait", "waited"]), "7");
    // A --rm container is gone when it ends; wait still reports its code (from the log of
    // events, like docker's answer from its own memory).
    engine.run_detached("waited-rm", &["--rm"], &["sh", "-c", "sleep 0.5; exit 9"]);
    assert_eq!(engine.ok(&["wait", "waited-rm"]), "9");
    assert!(engine.cli(&["inspect", "waited-rm"]).code != 0);
}
