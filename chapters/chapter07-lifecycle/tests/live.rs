//! Chapter 7 as root: the walk of the demo (a container outliving its CLI), recorded as the
//! book's transcript, and the monitor's promises checked from outside.
// In a test, a failed unwrap is a failed test with its reason: exactly what we want.
#![allow(clippy::unwrap_used)]

use std::process::Command;

use chapter07::chapter06::chapter05::chapter04::chapter03::busybox::{
    build_rootfs, find_host_busybox,
};
use testkit::{require_root, MountTable, Session, TempRoot};

fn busybox_rootfs(root: &TempRoot) -> std::path::PathBuf {
    let busybox = find_host_busybox().expect("busybox-static is installed (cargo xtask setup)");
    build_rootfs(&root.join("rootfs"), &busybox).unwrap().path
}

#[test]
fn the_walk_a_container_outlives_its_cli() {
    if !require_root("chapter07: the lifecycle walk") {
        return;
    }
    let temp = TempRoot::new();
    let rootfs = busybox_rootfs(&temp);
    let state = temp.join("state");
    let mounts = MountTable::read();
    // If the walk fails half-way, its container still goes.
    let _cleanup = testkit::Cleanup::new(|| {
        let _ = Command::new(env!("CARGO_BIN_EXE_chapter07"))
            .arg("--root")
            .arg(&state)
            .args(["rm", "ticker"])
            .output();
    });
    let output = Command::new(env!("CARGO_BIN_EXE_chapter07"))
        .arg("--root")
        .arg(&state)
        .arg("walk")
        .arg(&rootfs)
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    let text = String::from_utf8_lossy(&output.stdout);
    // What the walk claims, checked: three ticks were logged, the stop took SIGKILL (sleep
    // as PID 1 ignores SIGTERM), and the CLI that started it was not the monitor's parent.
    assert!(text.contains("tick 1\ntick 2\ntick 3\n"), "{text}");
    assert!(text.contains("exited  (exit code 137)"), "{text}");
    let cli_pid = text
        .split("from CLI pid ")
        .nth(1)
        .and_then(|rest| rest.split(';').next())
        .unwrap();
    let parent = text
        .split("whose parent is now pid ")
        .nth(1)
        .and_then(|rest| rest.split(':').next())
        .unwrap();
    assert_ne!(cli_pid, parent, "{text}");
    // Nothing is left: no record, no layer, no mount.
    let containers: Vec<_> = std::fs::read_dir(state.join("containers"))
        .unwrap()
        .flatten()
        .map(|entry| entry.file_name().to_string_lossy().into_owned())
        .filter(|name| !name.starts_with('.'))
        .collect();
    assert!(containers.is_empty(), "{containers:?}");
    MountTable::read().assert_same_as(&mounts);

    let mut session = Session::new();
    session.replace(rootfs.display().to_string(), "$ROOTFS");
    // Init, or a subreaper (systemd --user) on some machines: a pid of its own either way.
    session.replace(format!("now pid {parent}:"), "now pid [PID]:");
    session.record("chapter07 walk $ROOTFS", &output);
    session.assert_matches_book("ch07-walk");
}

/// The library's own calls, with the demo binary as the monitor program.
fn monitor_program(state: &std::path::Path) -> chapter07::launch::MonitorProgram {
    chapter07::launch::MonitorProgram {
        program: env!("CARGO_BIN_EXE_chapter07").into(),
        args: vec![
            "--root".into(),
            state.as_os_str().to_owned(),
            "monitor".into(),
        ],
    }
}

#[test]
fn pause_freezes_and_a_killed_monitor_leaves_a_dead_container_rm_cleans() {
    use chapter07::chapter06::chapter05::chapter04::{Cgroup, Hierarchy};
    use chapter07::create::{Base, CreateRequest};
    use chapter07::state::Status;
    use chapter07::{control, ContainerStore};

    if !require_root("chapter07: pause, a killed monitor, rm") {
        return;
    }
    let temp = TempRoot::new();
    let rootfs = busybox_rootfs(&temp);
    let state = temp.join("state");
    let store = ContainerStore::open(&state).unwrap();
    let request = CreateRequest {
        command: vec!["sleep".into(), "1000".into()],
        name: Some("frozen".into()),
        ..CreateRequest::default()
    };
    let container = chapter07::create::create(&store, &Base::Directory(rootfs), request).unwrap();
    let id = container.id().to_owned();
    // Whatever happens below, the container goes (rm -f kills it and cleans up).
    let _cleanup = testkit::Cleanup::new(|| {
        if let Ok(store) = ContainerStore::open(&state) {
            let _ = control::remove(&store, &id, true, true);
        }
    });
    let started = control::start(&monitor_program(&state), &container, None)
        .unwrap()
        .unwrap();

    // pause: the freezer stops the process; its state says so.
    let paused = control::set_paused(&store, "frozen", true).unwrap();
    assert_eq!(paused.state.status, Status::Paused);
    let hierarchy = Hierarchy::detect().unwrap();
    let cgroup = Cgroup::open(&hierarchy, &id).unwrap();
    let frozen = cgroup.unique_dirs().iter().any(|dir| {
        std::fs::read_to_string(dir.join("freezer.state")).is_ok_and(|s| s.trim() == "FROZEN")
            || std::fs::read_to_string(dir.join("cgroup.freeze")).is_ok_and(|s| s.trim() == "1")
    });
    assert!(frozen, "the cgroup is not frozen");
    assert!(control::set_paused(&store, "frozen", true).is_err());
    assert_eq!(
        control::set_paused(&store, "frozen", false)
            .unwrap()
            .state
            .status,
        Status::Running
    );

    // SIGKILL to the monitor: the container is reported dead, with the reason.
    let monitor = store.load(&id).unwrap().state.monitor_pid;
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(monitor),
        nix::sys::signal::SIGKILL,
    )
    .unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    while store.load(&id).unwrap().state.status != Status::Dead {
        assert!(std::time::Instant::now() < deadline, "never reported dead");
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let dead = store.load(&id).unwrap();
    assert!(dead.state.error.contains("monitor"), "{}", dead.state.error);

    // rm without -f: a dead container may go; its process and cgroup go with it.
    control::remove(&store, "frozen", false, false).unwrap();
    assert!(store.get("frozen").is_err());
    assert!(Cgroup::open(&hierarchy, &id).is_err(), "the cgroup is left");
    let pid = nix::unistd::Pid::from_raw(started.pid);
    let gone = (0..100).any(|_| {
        let alive = std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|stat| {
            !stat
                .rsplit(')')
                .next()
                .unwrap_or("")
                .trim_start()
                .starts_with('Z')
        });
        if alive {
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        !alive
    });
    assert!(gone, "the container's process {pid} still runs");
}
