//! `mini-docker pull` live (root): a pull killed with SIGKILL half-way leaves no image and
//! no half-made layer, and the next pull resumes the download and succeeds.
// In a test, a failed unwrap is a failed test with its reason: exactly what we want.
#![allow(clippy::unwrap_used)]

#[path = "../../chapters/chapter06-images/tests/registry/mod.rs"]
mod registry;

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use registry::{busybox_layout, Proxy, ProxyOptions, Registry};
use testkit::{require_root, Session, TempRoot};

fn mini_docker(state: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_mini-docker"));
    command.env("MINI_DOCKER_ROOT", state);
    command
}

/// Bytes in `<digest>.partial` files under the download directory.
fn partial_bytes(state: &Path) -> u64 {
    std::fs::read_dir(state.join("image/overlay2/downloads"))
        .map(|read| {
            read.flatten()
                .filter(|e| e.file_name().to_string_lossy().ends_with(".partial"))
                .filter_map(|e| e.metadata().ok())
                .map(|m| m.len())
                .sum()
        })
        .unwrap_or(0)
}

fn entries(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .map(|read| {
            read.flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn a_pull_killed_half_way_resumes_and_leaves_nothing_half_made() {
    if !require_root("mini-docker: kill -9 during pull") {
        return;
    }
    let dir = TempRoot::new();
    let registry = Registry::start();
    let layout = busybox_layout(dir.path());
    registry.push(&format!("oci:{}:app", layout.display()), "team/app:v1");
    let state = dir.join("state");

    // A slow registry, so the pull is surely mid-download when it is killed.
    let slow = Proxy::start(
        &registry.addr,
        ProxyOptions {
            bytes_per_second: Some(256 * 1024),
            ..ProxyOptions::default()
        },
    );
    let mut child = mini_docker(&state)
        .args(["pull", &format!("{}/team/app:v1", slow.addr)])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    while partial_bytes(&state) < 200_000 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(partial_bytes(&state) >= 200_000, "the download started");
    child.kill().unwrap(); // SIGKILL, to this pid only
    child.wait().unwrap();
    let cut_at = partial_bytes(&state);
    drop(slow);

    // No image, no layer, nothing staged: only the cut download, kept for resuming.
    assert!(entries(&state.join("image/overlay2/imagedb/content/sha256")).is_empty());
    assert!(entries(&state.join("image/overlay2/layerdb/sha256")).is_empty());
    assert_eq!(entries(&state.join("overlay2")), ["l"]);

    let fast = Proxy::start(&registry.addr, ProxyOptions::default());
    let name = format!("{}/team/app:v1", fast.addr);
    let output = mini_docker(&state).args(["pull", &name]).output().unwrap();
    assert!(output.status.success(), "{output:?}");
    let resumed = fast
        .requests()
        .into_iter()
        .find(|r| r.range.is_some())
        .expect("the second pull asked for the rest of the blob");
    assert_eq!(
        resumed.range.as_deref(),
        Some(format!("bytes={cut_at}-").as_str())
    );
    assert!(
        entries(&state.join("image/overlay2/downloads")).is_empty(),
        "downloads removed"
    );
    assert!(entries(&state.join("image/overlay2/layerdb/tmp")).is_empty());
    let ran = mini_docker(&state)
        .args(["run", "--rm", &name, "cat", "/etc/passwd"])
        .output()
        .unwrap();
    assert!(
        ran.status.success() && String::from_utf8_lossy(&ran.stdout).starts_with("root:"),
        "{ran:?}"
    );

    // What `pull` prints (plain lines: its output is not a terminal), for the book.
    let again = mini_docker(&state).args(["pull", &name]).output().unwrap();
    let fresh = dir.join("fresh");
    let first = mini_docker(&fresh).args(["pull", &name]).output().unwrap();
    let mut session = Session::new();
    session.replace(fast.addr.clone(), "127.0.0.1:5000");
    session.record("sudo mini-docker pull 127.0.0.1:5000/team/app:v1", &first);
    session.record("sudo mini-docker pull 127.0.0.1:5000/team/app:v1", &again);
    session.assert_matches_book("ch06-pull");
}
