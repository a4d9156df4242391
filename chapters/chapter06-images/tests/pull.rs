//! Chapter 6 live (root): `pull` against a real docker-registry on 127.0.0.1 — plain,
//! through an index of two platforms, behind token auth with blobs redirected to another
//! host, and with a corrupted blob.

// In a test, a failed unwrap is a failed test with its reason: exactly what we want.
#![allow(clippy::unwrap_used)]

mod registry;
mod store_support;

use chapter06::progress::PlainProgress;
use chapter06::pull::pull;
use chapter06::{ImageStore, Reference};
use registry::{
    busybox_layout, get, host_arch, registry_with_busybox, two_platform_layout, Listener, Proxy,
    ProxyOptions, Registry, OCI_MANIFEST,
};
use store_support::{run, tree};
use testkit::{require_root, TempRoot};

/// Pulls `name`; the progress lines and the result.
fn pull_lines(
    store: &ImageStore,
    name: &str,
) -> (Vec<String>, Result<chapter06::pull::Pulled, String>) {
    let mut out = Vec::new();
    let result = {
        let progress = PlainProgress::new(&mut out);
        pull(store, &Reference::parse(name).unwrap(), &progress).map_err(|e| e.to_string())
    };
    let lines = String::from_utf8(out)
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect();
    (lines, result)
}

#[test]
fn pulls_from_a_local_registry_and_runs_it() {
    if !require_root("chapter06: pull") {
        return;
    }
    let dir = TempRoot::new();
    let registry = registry_with_busybox(&dir);
    let store = ImageStore::open(&dir.join("state")).unwrap();
    let name = format!("{}/team/app:v1", registry.addr);
    let (lines, pulled) = pull_lines(&store, &name);
    let pulled = pulled.unwrap();
    assert_eq!(lines[0], "v1: Pulling from team/app");
    assert_eq!(
        lines
            .iter()
            .filter(|l| l.ends_with("Pulling fs layer"))
            .count(),
        2,
        "{lines:?}"
    );
    assert_eq!(
        lines
            .iter()
            .filter(|l| l.ends_with("Download complete"))
            .count(),
        2,
        "{lines:?}"
    );
    assert!(!pulled.up_to_date);
    assert_eq!(
        run(
            &store,
            &pulled.id,
            "test -x /bin/busybox && test ! -e /etc/group"
        ),
        0
    );
    // The tag and the digest both name it now; downloads are gone.
    assert_eq!(store.resolve(&name).unwrap(), pulled.id);
    let by_digest = format!("{}/team/app@{}", registry.addr, pulled.manifest_digest);
    assert_eq!(store.resolve(&by_digest).unwrap(), pulled.id);
    let downloads = dir.join("state/image/overlay2/downloads");
    assert_eq!(
        std::fs::read_dir(downloads).unwrap().count(),
        0,
        "downloads removed"
    );

    let (lines, again) = pull_lines(&store, &name);
    assert!(again.unwrap().up_to_date);
    assert_eq!(
        lines
            .iter()
            .filter(|l| l.ends_with("Already exists"))
            .count(),
        2,
        "{lines:?}"
    );
}

#[test]
fn an_index_gives_the_image_for_this_machine() {
    if !require_root("chapter06: pull of an index") {
        return;
    }
    let dir = TempRoot::new();
    let registry = Registry::start();
    let layout = busybox_layout(dir.path());
    let multi = two_platform_layout(dir.path(), &layout);
    registry.push(&format!("oci:{}:multi", multi.display()), "team/multi:v1");
    let store = ImageStore::open(&dir.join("state")).unwrap();
    let (_, pulled) = pull_lines(&store, &format!("{}/team/multi:v1", registry.addr));
    let image = store.image(&pulled.unwrap().id).unwrap();
    assert_eq!(image.config.architecture, host_arch());
}

#[test]
fn token_auth_and_a_redirect_that_does_not_take_the_token_along() {
    if !require_root("chapter06: pull with token auth and redirects") {
        return;
    }
    let dir = TempRoot::new();
    let registry = registry_with_busybox(&dir);
    let proxy = Proxy::start(
        &registry.addr,
        ProxyOptions {
            token_auth: true,
            redirect_blobs: true,
            ..ProxyOptions::default()
        },
    );
    let store = ImageStore::open(&dir.join("state")).unwrap();
    let (lines, pulled) = pull_lines(&store, &format!("{}/team/app:v1", proxy.addr));
    pulled.unwrap_or_else(|e| panic!("{e}\n{lines:?}"));
    let requests = proxy.requests();
    let first = &requests[0];
    assert_eq!(
        (first.status, first.had_authorization()),
        (401, false),
        "challenged first"
    );
    assert!(
        requests.iter().any(|r| r.path.starts_with("/token?")),
        "asked for a token"
    );
    let authorized = requests
        .iter()
        .filter(|r| matches!(r.listener, Listener::Main) && r.path.starts_with("/v2/team/app/"))
        .filter(|r| r.status != 401);
    assert!(authorized.clone().count() >= 3 && authorized.clone().all(|r| r.had_authorization()));
    let redirected: Vec<_> = requests
        .iter()
        .filter(|r| matches!(r.listener, Listener::RedirectTarget))
        .collect();
    assert!(
        redirected.len() >= 3,
        "config and layers came from the other host"
    );
    assert!(
        redirected.iter().all(|r| !r.had_authorization()),
        "no token sent to another host"
    );
}

#[test]
fn a_corrupt_blob_fails_the_pull_naming_it_and_the_store_is_unchanged() {
    if !require_root("chapter06: pull of a corrupt blob") {
        return;
    }
    let dir = TempRoot::new();
    let registry = registry_with_busybox(&dir);
    let manifest = get(
        &registry.addr,
        "/v2/team/app/manifests/v1",
        &[("Accept", OCI_MANIFEST)],
    )
    .json();
    let layer = manifest["layers"][0]["digest"].as_str().unwrap().to_owned();
    let proxy = Proxy::start(
        &registry.addr,
        ProxyOptions {
            corrupt_blob: Some(layer.clone()),
            ..ProxyOptions::default()
        },
    );
    let store = ImageStore::open(&dir.join("state")).unwrap();
    let before = tree(&dir.join("state"));
    let (_, pulled) = pull_lines(&store, &format!("{}/team/app:v1", proxy.addr));
    let error = pulled.unwrap_err();
    assert!(
        error.contains(&layer) && error.contains("corrupt"),
        "{error}"
    );
    assert_eq!(tree(&dir.join("state")), before);
}

#[test]
fn docker_v2_manifests_with_gzip_layers_and_a_pull_by_digest() {
    if !require_root("chapter06: pull of a docker v2 image by digest") {
        return;
    }
    let dir = TempRoot::new();
    let registry = Registry::start();
    let layout = busybox_layout(dir.path());
    // Through a docker-archive, skopeo pushes docker's own schema 2 manifest and gzip layers.
    let archive = dir.join("app.tar");
    let status = std::process::Command::new("skopeo")
        .args(["copy", "-q"])
        .arg(format!("oci:{}:app", layout.display()))
        .arg(format!(
            "docker-archive:{}:team/docker:v1",
            archive.display()
        ))
        .status()
        .unwrap();
    assert!(status.success());
    registry.push(
        &format!("docker-archive:{}", archive.display()),
        "team/docker:v1",
    );
    let manifest = get(
        &registry.addr,
        "/v2/team/docker/manifests/v1",
        &[(
            "Accept",
            "application/vnd.docker.distribution.manifest.v2+json",
        )],
    );
    assert_eq!(
        manifest.header("Content-Type"),
        Some("application/vnd.docker.distribution.manifest.v2+json")
    );
    assert!(
        manifest.text().contains("rootfs.diff.tar.gzip"),
        "{}",
        manifest.text()
    );
    let digest = manifest.header("Docker-Content-Digest").unwrap().to_owned();

    let store = ImageStore::open(&dir.join("state")).unwrap();
    let name = format!("{}/team/docker@{digest}", registry.addr);
    let (lines, pulled) = pull_lines(&store, &name);
    let pulled = pulled.unwrap_or_else(|e| panic!("{e}\n{lines:?}"));
    assert_eq!(pulled.manifest_digest.as_str(), digest);
    assert!(
        !lines[0].contains("Pulling from"),
        "no tag line for a digest: {lines:?}"
    );
    assert_eq!(store.resolve(&name).unwrap(), pulled.id);
    assert_eq!(
        run(
            &store,
            &pulled.id,
            "test ! -e /etc/group && test -x /bin/sh"
        ),
        0
    );
}
