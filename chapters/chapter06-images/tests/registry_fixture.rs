//! Chapter 6 live (root): the registry fixtures the pull tests stand on, proven before any
//! client uses them — skopeo pushes to a real docker-registry, which serves what was pushed;
//! the proxy in front of it asks for tokens, redirects blobs, corrupts and throttles.

// In a test, a failed unwrap is a failed test with its reason: exactly what we want.
#![allow(clippy::unwrap_used)]

mod registry;

use std::io::Read;
use std::net::TcpStream;
use std::time::{Duration, Instant};

use chapter06::Digest;
use registry::{
    busybox_layout, get, host_arch, other_arch, registry_with_busybox, request,
    two_platform_layout, Listener, Proxy, ProxyOptions, Registry, ACCEPT_MANIFESTS, OCI_INDEX,
    OCI_MANIFEST, TOKEN_SERVICE,
};
use testkit::{require_root, TempRoot};

/// The manifest of `team/app:v1` straight from the registry.
fn manifest(addr: &str) -> serde_json::Value {
    let response = get(
        addr,
        "/v2/team/app/manifests/v1",
        &[("Accept", OCI_MANIFEST)],
    );
    assert_eq!(response.status, 200, "{}", response.text());
    response.json()
}

/// The digest of the busybox layer (the big one) of `team/app:v1`.
fn big_layer(addr: &str) -> String {
    manifest(addr)["layers"][0]["digest"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// A token from the proxy's token endpoint, by the challenge in `challenge`.
fn token_from(challenge: &str) -> String {
    let realm = challenge
        .split("realm=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap();
    let (addr, path) = realm
        .strip_prefix("http://")
        .unwrap()
        .split_once('/')
        .unwrap();
    let scope = challenge
        .split("scope=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap();
    let response = get(
        addr,
        &format!("/{path}?service={TOKEN_SERVICE}&scope={scope}"),
        &[],
    );
    assert_eq!(response.status, 200, "{}", response.text());
    let json = response.json();
    assert_eq!(json["token"], json["access_token"]);
    json["token"].as_str().unwrap().to_owned()
}

#[test]
fn the_registry_serves_what_skopeo_pushed() {
    if !require_root("chapter06: registry fixture, push and serve") {
        return;
    }
    let dir = TempRoot::new();
    let registry = registry_with_busybox(&dir);
    let response = get(
        &registry.addr,
        "/v2/team/app/manifests/v1",
        &[("Accept", OCI_MANIFEST)],
    );
    assert_eq!(response.status, 200, "{}", response.text());
    assert_eq!(response.header("Content-Type"), Some(OCI_MANIFEST));
    assert_eq!(
        response.header("Docker-Content-Digest"),
        Some(Digest::of(&response.body).as_str()),
        "the registry names the manifest by the digest of its exact bytes"
    );
    // Without the OCI type in Accept, docker-registry 2.8 does not serve an OCI manifest.
    let refused = get(
        &registry.addr,
        "/v2/team/app/manifests/v1",
        &[("Accept", registry::DOCKER_MANIFEST)],
    );
    assert_eq!(refused.status, 404, "{}", refused.text());
    // Every blob the manifest names is served, by its digest, with its size.
    let manifest = response.json();
    assert_eq!(manifest["layers"].as_array().unwrap().len(), 2);
    let layers = manifest["layers"].as_array().unwrap();
    for descriptor in layers.iter().chain([&manifest["config"]]) {
        let digest = descriptor["digest"].as_str().unwrap();
        let blob = get(&registry.addr, &format!("/v2/team/app/blobs/{digest}"), &[]);
        assert_eq!(blob.status, 200, "{digest}: {}", blob.text());
        assert_eq!(Digest::of(&blob.body).as_str(), digest);
        assert_eq!(blob.body.len() as u64, descriptor["size"].as_u64().unwrap());
    }
    let config = get(
        &registry.addr,
        &format!(
            "/v2/team/app/blobs/{}",
            manifest["config"]["digest"].as_str().unwrap()
        ),
        &[],
    )
    .json();
    assert_eq!(config["architecture"], host_arch());
    assert_eq!(config["config"]["Cmd"], serde_json::json!(["sh"]));
    assert_eq!(config["rootfs"]["diff_ids"].as_array().unwrap().len(), 2);
}

#[test]
fn a_two_platform_index_is_pushed_whole() {
    if !require_root("chapter06: registry fixture, image index") {
        return;
    }
    let dir = TempRoot::new();
    let registry = Registry::start();
    let layout = busybox_layout(dir.path());
    let multi = two_platform_layout(dir.path(), &layout);
    registry.push(&format!("oci:{}:multi", multi.display()), "team/multi:v1");

    let response = get(
        &registry.addr,
        "/v2/team/multi/manifests/v1",
        &[("Accept", ACCEPT_MANIFESTS)],
    );
    assert_eq!(response.status, 200, "{}", response.text());
    assert_eq!(response.header("Content-Type"), Some(OCI_INDEX));
    assert_eq!(
        response.header("Docker-Content-Digest"),
        Some(Digest::of(&response.body).as_str())
    );
    let index = response.json();
    let entries = index["manifests"].as_array().unwrap();
    let platforms: Vec<String> = entries
        .iter()
        .map(|entry| {
            format!(
                "{}/{}",
                entry["platform"]["os"].as_str().unwrap(),
                entry["platform"]["architecture"].as_str().unwrap()
            )
        })
        .collect();
    assert_eq!(
        platforms,
        [
            format!("linux/{}", host_arch()),
            format!("linux/{}", other_arch())
        ]
    );
    // Each platform's manifest is served by its digest; same layers, own config.
    let mut manifests = Vec::new();
    for entry in entries {
        let digest = entry["digest"].as_str().unwrap();
        let response = get(
            &registry.addr,
            &format!("/v2/team/multi/manifests/{digest}"),
            &[("Accept", OCI_MANIFEST)],
        );
        assert_eq!(response.status, 200, "{digest}: {}", response.text());
        assert_eq!(Digest::of(&response.body).as_str(), digest);
        assert_eq!(response.body.len() as u64, entry["size"].as_u64().unwrap());
        let manifest = response.json();
        let config = get(
            &registry.addr,
            &format!(
                "/v2/team/multi/blobs/{}",
                manifest["config"]["digest"].as_str().unwrap()
            ),
            &[],
        );
        assert_eq!(config.status, 200);
        assert_eq!(
            config.json()["architecture"],
            entry["platform"]["architecture"]
        );
        manifests.push(manifest);
    }
    assert_eq!(manifests[0]["layers"], manifests[1]["layers"]);
    assert_ne!(
        manifests[0]["config"]["digest"],
        manifests[1]["config"]["digest"]
    );
}

#[test]
fn the_proxy_asks_for_a_token_and_accepts_only_its_own() {
    if !require_root("chapter06: registry fixture, token auth") {
        return;
    }
    let dir = TempRoot::new();
    let registry = registry_with_busybox(&dir);
    let proxy = Proxy::start(
        &registry.addr,
        ProxyOptions {
            token_auth: true,
            ..ProxyOptions::default()
        },
    );
    // The version check: 401, a challenge without a scope.
    let base = get(&proxy.addr, "/v2/", &[]);
    assert_eq!(base.status, 401);
    assert_eq!(
        base.header("WWW-Authenticate").unwrap(),
        format!(
            "Bearer realm=\"http://{}/token\",service=\"fixture-registry\"",
            proxy.addr
        )
    );
    // A repository URL: 401 with the scope to ask for.
    let path = "/v2/team/app/manifests/v1";
    let denied = get(&proxy.addr, path, &[("Accept", OCI_MANIFEST)]);
    assert_eq!(denied.status, 401);
    assert_eq!(denied.json()["errors"][0]["code"], "UNAUTHORIZED");
    let challenge = denied.header("WWW-Authenticate").unwrap().to_owned();
    assert!(
        challenge.ends_with(",scope=\"repository:team/app:pull\""),
        "{challenge}"
    );
    let token = token_from(&challenge);
    let bearer = format!("Bearer {token}");
    let allowed = get(
        &proxy.addr,
        path,
        &[("Accept", OCI_MANIFEST), ("Authorization", &bearer)],
    );
    assert_eq!(allowed.status, 200, "{}", allowed.text());
    assert_eq!(
        allowed.header("Docker-Content-Digest"),
        Some(Digest::of(&allowed.body).as_str())
    );
    let direct = get(&registry.addr, path, &[("Accept", OCI_MANIFEST)]);
    assert_eq!(allowed.body, direct.body, "passed back unchanged");
    // HEAD passes the length and digest, and no body.
    let head = request(
        "HEAD",
        &proxy.addr,
        path,
        &[("Accept", OCI_MANIFEST), ("Authorization", &bearer)],
    )
    .unwrap();
    assert_eq!(head.status, 200);
    assert_eq!(
        head.header("Content-Length").unwrap(),
        allowed.body.len().to_string()
    );
    assert_eq!(
        head.header("Docker-Content-Digest"),
        allowed.header("Docker-Content-Digest")
    );
    // A token it did not issue: 401.
    let forged = get(
        &proxy.addr,
        path,
        &[("Accept", OCI_MANIFEST), ("Authorization", "Bearer forged")],
    );
    assert_eq!(forged.status, 401);

    let seen: Vec<(String, bool, u16)> = proxy
        .requests()
        .into_iter()
        .map(|r| {
            assert_eq!(r.listener, Listener::Main);
            (
                format!("{} {}", r.method, r.path),
                r.had_authorization(),
                r.status,
            )
        })
        .collect();
    let token_request =
        "GET /token?service=fixture-registry&scope=repository:team/app:pull".to_owned();
    assert_eq!(
        seen,
        [
            ("GET /v2/".to_owned(), false, 401),
            (format!("GET {path}"), false, 401),
            (token_request, false, 200),
            (format!("GET {path}"), true, 200),
            (format!("HEAD {path}"), true, 200),
            (format!("GET {path}"), true, 401),
        ]
    );
    proxy.reset_requests();
    assert!(proxy.requests().is_empty());
}

#[test]
fn the_proxy_redirects_blobs_to_another_host() {
    if !require_root("chapter06: registry fixture, redirects") {
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
    let digest = big_layer(&registry.addr);
    let path = format!("/v2/team/app/blobs/{digest}");
    let challenge = get(&proxy.addr, &path, &[]);
    assert_eq!(challenge.status, 401);
    let token = token_from(challenge.header("WWW-Authenticate").unwrap());
    let bearer = format!("Bearer {token}");
    let redirect = get(&proxy.addr, &path, &[("Authorization", &bearer)]);
    assert_eq!(redirect.status, 307);
    let location = redirect.header("Location").unwrap();
    let expected = format!("http://{}/blob/{digest}?name=team/app", proxy.redirect_addr);
    assert_eq!(location, expected);
    assert_ne!(proxy.redirect_addr, proxy.addr);

    // A well-behaved client follows without its credentials.
    let (addr, target) = location
        .strip_prefix("http://")
        .unwrap()
        .split_once('/')
        .unwrap();
    let target = format!("/{target}");
    let blob = get(addr, &target, &[]);
    assert_eq!(blob.status, 200);
    assert_eq!(Digest::of(&blob.body).as_str(), digest);
    // Ranges work there too.
    let part = get(addr, &target, &[("Range", "bytes=100-199")]);
    assert_eq!(part.status, 206);
    assert_eq!(part.body, blob.body[100..200]);
    assert_eq!(
        part.header("Content-Range").unwrap(),
        format!("bytes 100-199/{}", blob.body.len())
    );
    // HEAD is answered by the registry itself, not redirected.
    let head = request("HEAD", &proxy.addr, &path, &[("Authorization", &bearer)]).unwrap();
    assert_eq!(head.status, 200);
    assert_eq!(
        head.header("Content-Length").unwrap(),
        blob.body.len().to_string()
    );

    let at_target: Vec<_> = proxy
        .requests()
        .into_iter()
        .filter(|r| r.listener == Listener::RedirectTarget)
        .collect();
    assert_eq!(at_target.len(), 2);
    assert!(at_target.iter().all(|r| !r.had_authorization()));
    assert_eq!(at_target[0].path, target);
    assert_eq!(at_target[1].range.as_deref(), Some("bytes=100-199"));

    // A client that leaks its token to the other host is seen doing it.
    proxy.reset_requests();
    get(addr, &target, &[("Authorization", &bearer)]);
    let leaked = proxy.requests();
    assert_eq!(leaked.len(), 1);
    assert_eq!(leaked[0].listener, Listener::RedirectTarget);
    assert_eq!(leaked[0].authorization.as_deref(), Some(bearer.as_str()));
}

#[test]
fn the_proxy_corrupts_one_blob_consistently() {
    if !require_root("chapter06: registry fixture, corrupt blob") {
        return;
    }
    let dir = TempRoot::new();
    let registry = registry_with_busybox(&dir);
    let digest = big_layer(&registry.addr);
    let proxy = Proxy::start(
        &registry.addr,
        ProxyOptions {
            corrupt_blob: Some(digest.clone()),
            ..ProxyOptions::default()
        },
    );
    let path = format!("/v2/team/app/blobs/{digest}");
    let good = get(&registry.addr, &path, &[]);
    let bad = get(&proxy.addr, &path, &[]);
    assert_eq!(bad.status, 200);
    assert_eq!(bad.header("Docker-Content-Digest"), Some(digest.as_str()));
    assert_eq!(bad.body.len(), good.body.len());
    assert_ne!(Digest::of(&bad.body).as_str(), digest);
    let differing: Vec<usize> = (0..good.body.len())
        .filter(|&i| good.body[i] != bad.body[i])
        .collect();
    assert_eq!(differing, [good.body.len() / 2], "one byte, in the middle");
    // A resumed download sees the same corruption.
    let middle = good.body.len() / 2;
    let range = format!("bytes={}-", middle - 10);
    let tail = get(&proxy.addr, &path, &[("Range", &range)]);
    assert_eq!(tail.status, 206);
    assert_eq!(tail.body, bad.body[middle - 10..]);
    // Other blobs and the manifest pass unchanged.
    let response = get(
        &proxy.addr,
        "/v2/team/app/manifests/v1",
        &[("Accept", OCI_MANIFEST)],
    );
    assert_eq!(
        response.header("Docker-Content-Digest"),
        Some(Digest::of(&response.body).as_str())
    );
    let small = response.json()["layers"][1]["digest"]
        .as_str()
        .unwrap()
        .to_owned();
    let blob = get(&proxy.addr, &format!("/v2/team/app/blobs/{small}"), &[]);
    assert_eq!(Digest::of(&blob.body).as_str(), small);
}

#[test]
fn the_proxy_throttles_blobs_and_stops_mid_download() {
    if !require_root("chapter06: registry fixture, throttling") {
        return;
    }
    let dir = TempRoot::new();
    let registry = registry_with_busybox(&dir);
    let digest = big_layer(&registry.addr);
    let proxy = Proxy::start(
        &registry.addr,
        ProxyOptions {
            bytes_per_second: Some(1_000),
            ..ProxyOptions::default()
        },
    );
    let path = format!("/v2/team/app/blobs/{digest}");
    // 500 bytes at 1 kB/s: about half a second.
    let started = Instant::now();
    let part = get(&proxy.addr, &path, &[("Range", "bytes=0-499")]);
    let took = started.elapsed();
    assert_eq!(part.status, 206);
    assert_eq!(part.body.len(), 500);
    assert!(
        took >= Duration::from_millis(400) && took < Duration::from_secs(5),
        "{took:?}"
    );
    // The manifest is as big, but not throttled.
    let started = Instant::now();
    let response = get(
        &proxy.addr,
        "/v2/team/app/manifests/v1",
        &[("Accept", OCI_MANIFEST)],
    );
    assert_eq!(response.status, 200);
    assert!(response.body.len() >= 400);
    assert!(started.elapsed() < Duration::from_millis(300));

    // A client gone mid-download (the whole layer would take many minutes), and another
    // still downloading when the proxy is dropped: the drop is prompt all the same.
    let mut gone = TcpStream::connect(&proxy.addr).unwrap();
    let mut staying = TcpStream::connect(&proxy.addr).unwrap();
    for stream in [&mut gone, &mut staying] {
        std::io::Write::write_all(
            stream,
            format!("GET {path} HTTP/1.1\r\nHost: x\r\n\r\n").as_bytes(),
        )
        .unwrap();
        let mut first = [0; 4096];
        assert!(stream.read(&mut first).unwrap() > 0);
    }
    drop(gone);
    std::thread::sleep(Duration::from_millis(200));
    let recorded = proxy.requests();
    assert_eq!(recorded.len(), 4, "{recorded:?}");
    let started = Instant::now();
    drop(proxy);
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    let mut rest = Vec::new();
    let _ = staying.read_to_end(&mut rest);
    assert!(rest.len() < 10_000, "the download was cut short");
}

#[test]
fn the_fixtures_clean_up_when_a_test_panics() {
    if !require_root("chapter06: registry fixture, cleanup") {
        return;
    }
    let seen = std::sync::Mutex::new(None);
    let outcome = std::panic::catch_unwind(|| {
        let registry = Registry::start();
        let proxy = Proxy::start(&registry.addr, ProxyOptions::default());
        assert_eq!(get(&proxy.addr, "/v2/", &[]).status, 200);
        *seen.lock().unwrap() = Some((
            registry.pid(),
            registry.storage(),
            registry.addr.clone(),
            proxy.addr.clone(),
            proxy.redirect_addr.clone(),
        ));
        panic!("a test failing half-way");
    });
    assert!(outcome.is_err());
    let (pid, storage, registry_addr, proxy_addr, redirect_addr) =
        seen.into_inner().unwrap().unwrap();
    assert!(
        !std::path::Path::new(&format!("/proc/{pid}")).exists(),
        "the registry process {pid} was killed and reaped"
    );
    assert!(!storage.exists(), "{storage:?} was removed");
    for addr in [registry_addr, proxy_addr, redirect_addr] {
        assert!(TcpStream::connect(&addr).is_err(), "{addr} still answers");
    }
}
