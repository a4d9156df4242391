//! The image commands end to end (root): import a busybox rootfs, list it, run it, tag,
//! save, remove, load it back — and the errors on the way.
// In a test, a failed unwrap is a failed test with its reason: exactly what we want.
#![allow(clippy::unwrap_used)]

use std::process::Output;

mod fixture;

use fixture::Fixture;
use testkit::{require_root, Session};

fn text(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

#[test]
fn import_run_tag_save_rmi_load() {
    if !require_root("mini-docker: image commands") {
        return;
    }
    let fixture = Fixture::new();
    let imported = fixture.import_busybox();
    assert!(imported.status.success(), "{}", text(&imported));
    let id = String::from_utf8_lossy(&imported.stdout).trim().to_owned();
    assert!(id.starts_with("sha256:") && id.len() == 71, "{id}");

    let images = fixture.docker(&["images"]);
    let listing = text(&images);
    assert!(
        listing.starts_with("REPOSITORY   TAG      IMAGE ID       CREATED"),
        "{listing}"
    );
    assert!(
        listing.contains(&format!("busybox      latest   {}", &id[7..19])),
        "{listing}"
    );

    // The image's Cmd runs when none is given; a given command replaces it.
    let ran = fixture.docker(&[
        "run",
        "--rm",
        "busybox",
        "sh",
        "-c",
        "echo hello from $(cat /etc/hostname)",
    ]);
    assert!(ran.status.success(), "{}", text(&ran));
    assert!(text(&ran).starts_with("hello from "), "{}", text(&ran));
    let exit = fixture.docker(&[
        "run",
        "--rm",
        "-e",
        "CODE=7",
        "busybox",
        "sh",
        "-c",
        "exit $CODE",
    ]);
    assert_eq!(exit.status.code(), Some(7));

    assert!(fixture
        .docker(&["tag", "busybox", "mine/box:v1"])
        .status
        .success());
    let archive = fixture.root.join("saved.tar");
    let saved = fixture.docker(&["save", "-o", archive.to_str().unwrap(), "mine/box:v1"]);
    assert!(saved.status.success(), "{}", text(&saved));

    let removed = fixture.docker(&["rmi", "busybox", "mine/box:v1"]);
    assert_eq!(
        text(&removed).lines().take(3).collect::<Vec<_>>(),
        [
            "Untagged: busybox:latest",
            "Untagged: mine/box:v1",
            &format!("Deleted: {id}")
        ]
    );
    assert_eq!(text(&fixture.docker(&["images", "-q"])), "");

    let loaded = fixture.docker(&["load", "-i", archive.to_str().unwrap()]);
    assert_eq!(text(&loaded), "Loaded image: mine/box:v1\n");
    let inspect = fixture.docker(&["inspect", "mine/box:v1"]);
    let json: serde_json::Value = serde_json::from_slice(&inspect.stdout).unwrap();
    assert_eq!(
        json[0]["Id"],
        id.as_str(),
        "saved and loaded: the same image"
    );
    assert_eq!(json[0]["Config"]["Cmd"][0], "sh");
}

#[test]
fn image_errors_are_one_line_with_docker_codes() {
    if !require_root("mini-docker: image errors") {
        return;
    }
    let fixture = Fixture::new();
    let mut session = Session::new();
    session.replace(fixture.root.path().display().to_string(), "/tmp/demo");
    // A free port on loopback: nothing answers there (tests never reach the internet).
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let missing = format!("{closed}/team/nosuch");
    session.replace(closed.to_string(), "127.0.0.1:9");
    for args in [
        &["run", missing.as_str()][..],
        &["pull", missing.as_str()][..],
        &["run", "Bad:Name"][..],
        &["import", "--change", "RUN rm -rf /", "/dev/null", "x"][..],
        &["load", "-i", "/etc/hostname"][..],
        &["rmi", "nosuchimage"][..],
    ] {
        let output = fixture.docker(args);
        let message = String::from_utf8_lossy(&output.stderr);
        // One line of error; `run` first says it will pull, as docker does.
        let error_lines = message
            .lines()
            .filter(|l| l.starts_with("mini-docker: "))
            .count();
        assert_eq!(error_lines, 1, "{args:?}: {message}");
        assert!(message
            .trim_end()
            .lines()
            .last()
            .unwrap()
            .starts_with("mini-docker: "));
        assert_ne!(output.status.code(), Some(0), "{args:?}");
        let shown = args.join(" ").replace(&closed.to_string(), "127.0.0.1:9");
        session.record(&format!("sudo mini-docker {shown}"), &output);
    }
    insta::assert_snapshot!(session.text());
    // Nothing was created by any of them.
    let images = fixture.docker(&["images", "-q"]);
    assert_eq!(text(&images), "");
}
