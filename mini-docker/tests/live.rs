//! `mini-docker run` live (root): isolation, flags, exit codes, records, and leaving nothing
//! behind when something fails.
// In a test, a failed unwrap is a failed test with its reason: exactly what we want.
#![allow(clippy::unwrap_used)]

use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::process::{Command, Output};

mod fixture;

use fixture::Fixture;
use testkit::{require_root, MountTable};

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[test]
fn it_runs_isolated_and_returns_the_exit_code() {
    if !require_root("mini-docker: run") {
        return;
    }
    let fixture = Fixture::new();
    let output = fixture.run(
        &[],
        "echo $$ $(hostname) $HOSTNAME; ls /sys/class/net; exit 7",
    );
    assert_eq!(output.status.code(), Some(7), "{output:?}");
    let text = stdout(&output);
    let fields: Vec<&str> = text.split_whitespace().collect();
    assert_eq!(fields[0], "1", "{text}");
    // The default hostname is the short id, and HOSTNAME says the same.
    assert_eq!(fields[1].len(), 12, "{text}");
    assert!(fields[1].bytes().all(|b| b.is_ascii_hexdigit()), "{text}");
    assert_eq!(fields[1], fields[2]);
    // Its own network namespace, plugged into the state root's bridge (chapter 8).
    assert_eq!(&fields[3..], ["eth0", "lo"], "{text}");
}

#[test]
fn flags_hostname_env_workdir_and_pid_host() {
    if !require_root("mini-docker: run flags") {
        return;
    }
    let fixture = Fixture::new();
    let output = fixture
        .command()
        .env("MINI_DOCKER_TEST_FROM_HOST", "copied")
        .arg("run")
        .arg("--rootfs")
        .arg(&fixture.rootfs)
        .args([
            "-h",
            "web",
            "-e",
            "A=1",
            "-e",
            "MINI_DOCKER_TEST_FROM_HOST",
            "-w",
            "/srv/app",
        ])
        .args([
            "/bin/sh",
            "-c",
            "echo $(hostname) $A $MINI_DOCKER_TEST_FROM_HOST $(pwd) $HOME",
        ])
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    assert_eq!(stdout(&output).trim(), "web 1 copied /srv/app /root");

    // --pid host: the host's process ids, so the shell is not PID 1 and sees many processes.
    let output = fixture.run(&["--pid", "host"], "echo $$; ps -o pid | wc -l");
    assert!(output.status.success(), "{output:?}");
    let text = stdout(&output);
    let mut lines = text.lines();
    assert_ne!(lines.next(), Some("1"), "{text}");
    let processes: usize = lines.next().unwrap().trim().parse().unwrap();
    assert!(processes > 5, "{text}");
}

#[test]
fn records_are_kept_or_removed_with_rm() {
    if !require_root("mini-docker: records and --rm") {
        return;
    }
    let fixture = Fixture::new();
    assert_eq!(fixture.run(&[], "exit 3").status.code(), Some(3));
    let records = fixture.records();
    assert_eq!(records.len(), 1);
    let state = std::fs::read_to_string(records[0].join("state.json")).unwrap();
    assert!(state.contains("\"ExitCode\": 3"), "{state}");
    assert!(records[0].join("config.json").is_file());

    assert!(fixture.run(&["--rm"], "true").status.success());
    assert_eq!(fixture.records().len(), 1, "--rm left its record behind");
}

#[test]
fn failures_give_one_line_the_right_code_and_leave_nothing() {
    if !require_root("mini-docker: failure paths") {
        return;
    }
    let fixture = Fixture::new();
    let mounts = MountTable::read();

    // A bad rootfs path: 125, nothing created.
    let output = fixture
        .command()
        .args(["run", "--rootfs", "/no/such/rootfs", "true"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(125));
    assert_eq!(
        stderr(&output),
        "mini-docker: rootfs /no/such/rootfs does not exist\n"
    );

    // A missing command: 127.
    let output = fixture.run_args(&["no-such-command"]);
    assert_eq!(output.status.code(), Some(127));
    assert_eq!(
        stderr(&output),
        "mini-docker: exec: \"no-such-command\": executable file not found in $PATH\n"
    );

    // A file that is not executable: 126.
    let output = fixture.run_args(&["/etc/passwd"]);
    assert_eq!(output.status.code(), Some(126));
    assert_eq!(stderr(&output).lines().count(), 1);

    // A bad working directory: 125, found before anything is created.
    let output = fixture.run(&["-w", "relative"], "true");
    assert_eq!(output.status.code(), Some(125));

    // Like docker, a container whose command could not start stays `created`, with the
    // reason recorded; nothing else remains (no mount, no process).
    assert_eq!(fixture.statuses(), ["created", "created"]);
    MountTable::read().assert_same_as(&mounts);
}

#[test]
fn without_root_it_refuses_in_one_line_and_touches_nothing() {
    if !require_root("mini-docker: run as an unprivileged user") {
        return;
    }
    let fixture = Fixture::new();
    // nobody must be able to reach the binary: copy it into a world-readable directory.
    let bin_dir = fixture.root.join("bin");
    std::fs::create_dir(&bin_dir).unwrap();
    for dir in [fixture.root.path(), bin_dir.as_path()] {
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    let binary = bin_dir.join("mini-docker");
    std::fs::copy(env!("CARGO_BIN_EXE_mini-docker"), &binary).unwrap();
    let mounts = MountTable::read();
    let output = Command::new(&binary)
        .env("MINI_DOCKER_ROOT", fixture.state_root())
        .arg("run")
        .arg("--rootfs")
        .arg(&fixture.rootfs)
        .arg("true")
        .uid(65534)
        .gid(65534)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(125), "{output:?}");
    let text = stderr(&output);
    assert_eq!(text.lines().count(), 1, "{text}");
    assert!(
        text.contains("needs root") && text.contains("sudo"),
        "{text}"
    );
    assert!(!fixture.state_root().exists());
    MountTable::read().assert_same_as(&mounts);
}

#[test]
fn the_rootfs_is_the_containers_and_its_own_proc_is_mounted() {
    if !require_root("mini-docker: rootfs and /proc") {
        return;
    }
    let fixture = Fixture::new();
    let output = fixture.run(
        &[],
        "cat /etc/os-release | head -1; ls /proc | grep -c '^[0-9]'",
    );
    assert!(output.status.success(), "{output:?}");
    let text = stdout(&output);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], "NAME=\"mini-docker busybox\"");
    // Our own PID namespace and /proc: the shell, and the pipeline it runs.
    let pids: usize = lines[1].parse().unwrap();
    assert!(pids <= 4, "{text}");
}

#[test]
fn a_working_directory_through_a_leaked_descriptor_is_refused() {
    if !require_root("mini-docker: CVE-2024-21626 working directory") {
        return;
    }
    let fixture = Fixture::new();
    // The shell opens the host's / as fd 7 (no close-on-exec) and execs mini-docker, which
    // the container then inherits until exec: /proc/self/fd/7 leads out of its root.
    let output = Command::new("/bin/sh")
        .env("MINI_DOCKER_ROOT", fixture.state_root())
        .args(["-c", "exec 7< /; exec \"$0\" \"$@\""])
        .arg(env!("CARGO_BIN_EXE_mini-docker"))
        .arg("run")
        .arg("--rootfs")
        .arg(&fixture.rootfs)
        .args(["-w", "/proc/self/fd/7", "/bin/ls"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(125), "{output:?}");
    let text = stderr(&output);
    assert!(text.contains("outside the root"), "{text}");
    assert!(stdout(&output).is_empty(), "the command must not run");
    assert_eq!(fixture.statuses(), ["created"]);
}

#[test]
fn a_memory_limit_ends_in_oom_137_and_is_recorded() {
    if !require_root("mini-docker: -m and OOMKilled") {
        return;
    }
    let fixture = Fixture::new();
    let output = fixture.run(
        &["-m", "64m"],
        "dd if=/dev/zero of=/dev/null bs=256M count=1",
    );
    assert_eq!(output.status.code(), Some(137), "{output:?}");
    assert!(stderr(&output).contains("OOMKilled"), "{output:?}");
    let records = fixture.records();
    let state = std::fs::read_to_string(records[0].join("state.json")).unwrap();
    assert!(state.contains("\"OOMKilled\": true"), "{state}");
    assert!(state.contains("\"ExitCode\": 137"), "{state}");
}

#[test]
fn cgroup_flags_reach_the_container_and_bad_ones_stop_it_early() {
    if !require_root("mini-docker: cgroup flags") {
        return;
    }
    let fixture = Fixture::new();
    // --pids-limit 5: the shell, a subshell and three sleeps; then a fork fails (and the
    // subshell gives up) while the container itself goes on. No pipeline: its two sides
    // would race the sleeps for the last slots.
    let output = fixture.run(
        &["--pids-limit", "5", "--rm"],
        "(for i in 1 2 3 4 5 6 7 8; do sleep 1 & done) 2>/tmp/forks; grep -c \"can't fork\" /tmp/forks",
    );
    assert!(output.status.success(), "{output:?}");
    let refused: u32 = stdout(&output).trim().parse().unwrap();
    assert!(refused >= 1, "{output:?}");

    let mounts = MountTable::read();
    for (flags, message) in [
        (&["-m", "1k"][..], "minimum memory limit"),
        (&["--cpus", "999"][..], "range of CPUs"),
        (&["--memory-swap", "1g"][..], "memory limit (-m)"),
        (
            &["--device-write-bps", "/dev/null:1mb"][..],
            "not a block device",
        ),
    ] {
        let output = fixture.run(flags, "true");
        assert_eq!(output.status.code(), Some(125), "{flags:?}: {output:?}");
        assert!(stderr(&output).contains(message), "{flags:?}: {output:?}");
        assert_eq!(stderr(&output).lines().count(), 1);
    }
    assert!(fixture.records().is_empty());
    MountTable::read().assert_same_as(&mounts);
}

/// Every file under `dir` with its size (symlinks as their target), for comparing trees.
fn snapshot_tree(dir: &std::path::Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(current) = stack.pop() {
        for entry in std::fs::read_dir(&current).unwrap().flatten() {
            let path = entry.path();
            let meta = std::fs::symlink_metadata(&path).unwrap();
            let link = std::fs::read_link(&path).ok();
            out.push(format!("{} {} {:?}", path.display(), meta.len(), link));
            if meta.is_dir() {
                stack.push(path);
            }
        }
    }
    out.sort();
    out
}

#[test]
fn the_rootfs_is_never_modified_and_layers_follow_rm() {
    if !require_root("mini-docker: overlay keeps the rootfs untouched") {
        return;
    }
    let fixture = Fixture::new();
    let before = snapshot_tree(&fixture.rootfs);
    let script = "echo new > /new.txt; echo more >> /etc/passwd; rm /bin/vi; rm -rf /home; \
                  mv /etc/hosts /etc/hosts.old; mkdir -p /var/log/app";
    assert!(fixture.run(&["--rm"], script).status.success());
    assert_eq!(snapshot_tree(&fixture.rootfs), before, "the rootfs changed");
    // --rm took the layers with it; only the store's short-link directory is left.
    let store = fixture.state_root().join("overlay2");
    let left: Vec<_> = std::fs::read_dir(&store)
        .unwrap()
        .flatten()
        .map(|e| e.file_name())
        .collect();
    assert_eq!(left, ["l"], "{left:?}");

    // Without --rm the container's layer stays, holding exactly what it wrote.
    assert!(fixture.run(&[], "echo kept > /kept.txt").status.success());
    let id = fixture.records()[0]
        .file_name()
        .unwrap()
        .to_string_lossy()
        .into_owned();
    let kept = std::fs::read_to_string(store.join(&id).join("diff/kept.txt")).unwrap();
    assert_eq!(kept, "kept\n");
    assert!(!fixture.rootfs.join("kept.txt").exists());

    // A container that never starts stays `created` with its layers, until `rm`.
    let output = fixture.run_args(&["no-such-command"]);
    assert_eq!(output.status.code(), Some(127));
    let layers = std::fs::read_dir(&store).unwrap().count();
    assert_eq!(
        layers,
        1 + 2 + 2,
        "l/, the kept container's and the created one's layers"
    );
    let created = fixture
        .command()
        .args(["ps", "-l", "-q", "--no-trunc"])
        .output()
        .unwrap();
    let created = String::from_utf8_lossy(&created.stdout).trim().to_owned();
    let removed = fixture.command().args(["rm", &created]).output().unwrap();
    assert!(removed.status.success(), "{removed:?}");
    assert_eq!(std::fs::read_dir(&store).unwrap().count(), 1 + 2);
}
