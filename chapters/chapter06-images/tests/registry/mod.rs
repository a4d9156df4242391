//! Fixtures for chapter 6's pull tests: a real registry (Debian's `docker-registry`) on
//! 127.0.0.1, images pushed to it by `skopeo`, and a small HTTP proxy in front of it that
//! behaves like the registries a client meets in the wild — token auth, blobs redirected to
//! another host, a corrupt blob, a slow link — and records every request it sees.
//!
//! Also a minimal HTTP/1.1 client ([`request`], [`get`]): the proxy uses it to talk to the
//! registry, and tests use it to look at what the registry serves.
//!
//! Everything here cleans up on drop, during a panic's unwinding too: the registry process
//! is killed (by its pid) and waited for, the proxy's threads are stopped and joined, and the
//! temporary directories are removed.

// Each test file uses its own part of this module.
#![allow(dead_code)]
// In a test, a failed unwrap is a failed test with its reason: exactly what we want.
#![allow(clippy::unwrap_used)]

use std::collections::HashSet;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use chapter06::chapter05::chapter04::chapter03::busybox::{build_rootfs, find_host_busybox};
use chapter06::Digest;
use testkit::TempRoot;

/// Media type of an OCI image manifest (what skopeo pushes for an OCI layout).
pub const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
/// Media type of an OCI image index (a manifest per platform).
pub const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";
/// Media type of a Docker image manifest, schema 2.
pub const DOCKER_MANIFEST: &str = "application/vnd.docker.distribution.manifest.v2+json";
/// Media type of a Docker manifest list (Docker's image index).
pub const DOCKER_MANIFEST_LIST: &str = "application/vnd.docker.distribution.manifest.list.v2+json";
/// An `Accept` value for all four manifest types. docker-registry 2.8 answers 404
/// `MANIFEST_UNKNOWN` ("OCI manifest found, but accept header does not support OCI
/// manifests") when the OCI types are missing.
pub const ACCEPT_MANIFESTS: &str = "application/vnd.oci.image.index.v1+json, \
     application/vnd.oci.image.manifest.v1+json, \
     application/vnd.docker.distribution.manifest.list.v2+json, \
     application/vnd.docker.distribution.manifest.v2+json";

/// The `service` the token-auth proxy names in its challenges and expects at `/token`.
pub const TOKEN_SERVICE: &str = "fixture-registry";

const IO_TIMEOUT: Duration = Duration::from_secs(30);

// ---------------------------------------------------------------------------------------
// Images
// ---------------------------------------------------------------------------------------

fn sh(script: &str) {
    let output = Command::new("sh").arg("-c").arg(script).output().unwrap();
    assert!(output.status.success(), "{script}: {output:?}");
}

/// An OCI layout made by umoci at `dir/oci`, tag `app`: `rootfs` as the first layer, then a
/// layer deleting /etc/group, and `sh` as the command. Uses `dir/bundle` while working.
pub fn umoci_image(dir: &Path, rootfs: &Path) -> PathBuf {
    let layout = dir.join("oci");
    let (l, b) = (layout.display(), dir.join("bundle"));
    let b = b.display();
    sh(&format!(
        "set -e; umoci init --layout {l}; umoci new --image {l}:app
         umoci unpack --image {l}:app {b}; cp -a {}/. {b}/rootfs/
         umoci repack --image {l}:app {b}; rm -rf {b}
         umoci unpack --image {l}:app {b}; rm {b}/rootfs/etc/group
         umoci repack --image {l}:app {b}; rm -rf {b}
         umoci config --image {l}:app --config.cmd sh",
        rootfs.display()
    ));
    layout
}

/// [`umoci_image`] of a busybox rootfs built at `dir/busybox`: an OCI layout at `dir/oci`,
/// tag `app`, two layers (busybox; then /etc/group deleted), command `sh`. Needs root (umoci
/// unpack keeps owners) and busybox-static.
pub fn busybox_layout(dir: &Path) -> PathBuf {
    let busybox = find_host_busybox().expect("busybox-static is installed (cargo xtask setup)");
    let rootfs = build_rootfs(&dir.join("busybox"), &busybox).unwrap().path;
    umoci_image(dir, &rootfs)
}

/// This machine's architecture as Go (and so OCI platforms) names it.
pub fn host_arch() -> &'static str {
    match std::env::consts::ARCH {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        "x86" => "386",
        "powerpc64" if cfg!(target_endian = "little") => "ppc64le",
        other => other, // arm, s390x, riscv64, mips64...: the same names
    }
}

/// The architecture of the second, foreign manifest of [`two_platform_layout`].
pub fn other_arch() -> &'static str {
    if host_arch() == "s390x" {
        "ppc64le"
    } else {
        "s390x"
    }
}

fn write_blob(layout: &Path, bytes: &[u8]) -> Digest {
    let digest = Digest::of(bytes);
    std::fs::write(layout.join("blobs/sha256").join(digest.hex()), bytes).unwrap();
    digest
}

fn read_blob(layout: &Path, digest: &str) -> Vec<u8> {
    let hex = digest.strip_prefix("sha256:").unwrap();
    std::fs::read(layout.join("blobs/sha256").join(hex)).unwrap()
}

/// A new OCI layout at `dir/multi` whose `index.json` names (tag `multi`, through the
/// `org.opencontainers.image.ref.name` annotation) an image index blob with two manifests:
/// - the first image of the layout `from` (its manifest as is), as `linux/`[`host_arch`];
/// - a copy for `linux/`[`other_arch`]: same layers, but its own config blob, a copy of the
///   original config with `"architecture"` changed (so a different digest).
///
/// All of `from`'s blobs are copied, so `skopeo copy --all oci:LAYOUT:multi docker://...`
/// pushes the whole index. Returns the layout's path.
pub fn two_platform_layout(dir: &Path, from: &Path) -> PathBuf {
    let layout = dir.join("multi");
    let blobs = layout.join("blobs/sha256");
    std::fs::create_dir_all(&blobs).unwrap();
    std::fs::write(
        layout.join("oci-layout"),
        r#"{"imageLayoutVersion":"1.0.0"}"#,
    )
    .unwrap();
    for entry in std::fs::read_dir(from.join("blobs/sha256")).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), blobs.join(entry.file_name())).unwrap();
    }

    let index: serde_json::Value =
        serde_json::from_slice(&std::fs::read(from.join("index.json")).unwrap()).unwrap();
    let original = &index["manifests"][0];
    assert_eq!(original["mediaType"], OCI_MANIFEST, "{from:?}: {index}");
    let original_digest = original["digest"].as_str().unwrap();
    let manifest_bytes = read_blob(&layout, original_digest);
    let mut manifest: serde_json::Value = serde_json::from_slice(&manifest_bytes).unwrap();

    let config_digest = manifest["config"]["digest"].as_str().unwrap().to_owned();
    let mut config: serde_json::Value =
        serde_json::from_slice(&read_blob(&layout, &config_digest)).unwrap();
    assert_eq!(config["architecture"], host_arch(), "{from:?}: {config}");
    config["architecture"] = other_arch().into();
    let other_config = serde_json::to_vec(&config).unwrap();
    let other_config_digest = write_blob(&layout, &other_config);
    manifest["config"]["digest"] = other_config_digest.as_str().into();
    manifest["config"]["size"] = other_config.len().into();
    let other_manifest = serde_json::to_vec(&manifest).unwrap();
    let other_manifest_digest = write_blob(&layout, &other_manifest);

    let image_index = serde_json::json!({
        "schemaVersion": 2,
        "mediaType": OCI_INDEX,
        "manifests": [
            {
                "mediaType": OCI_MANIFEST,
                "digest": original_digest,
                "size": manifest_bytes.len(),
                "platform": {"architecture": host_arch(), "os": "linux"},
            },
            {
                "mediaType": OCI_MANIFEST,
                "digest": other_manifest_digest.as_str(),
                "size": other_manifest.len(),
                "platform": {"architecture": other_arch(), "os": "linux"},
            },
        ],
    });
    let image_index = serde_json::to_vec(&image_index).unwrap();
    let image_index_digest = write_blob(&layout, &image_index);
    let top = serde_json::json!({
        "schemaVersion": 2,
        "manifests": [{
            "mediaType": OCI_INDEX,
            "digest": image_index_digest.as_str(),
            "size": image_index.len(),
            "annotations": {"org.opencontainers.image.ref.name": "multi"},
        }],
    });
    std::fs::write(layout.join("index.json"), serde_json::to_vec(&top).unwrap()).unwrap();
    layout
}

// ---------------------------------------------------------------------------------------
// The registry
// ---------------------------------------------------------------------------------------

/// A port on 127.0.0.1 that was free a moment ago (bound to port 0, then released).
pub fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

/// A child process killed (by its pid: `Child::kill`) and waited for when dropped.
struct KillOnDrop(Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Debian's `docker-registry` (distribution 2.8) serving plain HTTP on 127.0.0.1, no auth,
/// its storage in a temporary directory. Killed and its directory removed when dropped.
pub struct Registry {
    /// `127.0.0.1:PORT`.
    pub addr: String,
    // Field order matters: the process dies before its directory is removed.
    process: KillOnDrop,
    dir: TempRoot,
}

impl Registry {
    /// Starts a registry on a free port and waits (up to 10 s) until `GET /v2/` answers
    /// 200. Panics, showing the registry's log, if it does not come up.
    pub fn start() -> Registry {
        let dir = TempRoot::new();
        let mut attempt = 0;
        loop {
            attempt += 1;
            let addr = format!("127.0.0.1:{}", free_port());
            let config = dir.join("config.yml");
            std::fs::write(
                &config,
                format!(
                    "version: 0.1\n\
                     log:\n  level: info\n\
                     storage:\n  filesystem:\n    rootdirectory: {}\n\
                     http:\n  addr: {addr}\n",
                    dir.join("data").display()
                ),
            )
            .unwrap();
            let log = std::fs::File::create(dir.join("registry.log")).unwrap();
            let child = Command::new("docker-registry")
                .arg("serve")
                .arg(&config)
                .stdin(Stdio::null())
                .stdout(log.try_clone().unwrap())
                .stderr(log)
                .spawn()
                .expect("docker-registry is installed (cargo xtask setup)");
            let mut process = KillOnDrop(child);
            match wait_until_up(&mut process.0, &addr) {
                Ok(()) => {
                    return Registry { addr, process, dir };
                }
                Err(why) => {
                    drop(process);
                    let log = std::fs::read_to_string(dir.join("registry.log")).unwrap();
                    // Someone took the port between our check and the registry's bind.
                    if attempt < 3 && log.contains("address already in use") {
                        continue;
                    }
                    panic!("docker-registry did not start on {addr}: {why}\nits log:\n{log}");
                }
            }
        }
    }

    /// The registry's log so far (access lines and errors), for failure messages.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("registry.log")).unwrap_or_default()
    }

    /// The registry's process id.
    pub fn pid(&self) -> u32 {
        self.process.0.id()
    }

    /// The registry's storage directory (`docker/registry/v2/{blobs,repositories}` under
    /// it, once something is pushed), for tests that damage it behind the registry's back.
    pub fn storage(&self) -> PathBuf {
        self.dir.join("data")
    }

    /// `skopeo copy --all --dest-tls-verify=false SOURCE docker://ADDR/REPO_TAG`, asserting
    /// success. `source` is any skopeo source, e.g. `oci:/path/to/layout:app`. (With
    /// `--insecure-policy`: no dependence on the host's /etc/containers/policy.json.)
    pub fn push(&self, source: &str, repo_tag: &str) {
        let dest = format!("docker://{}/{repo_tag}", self.addr);
        let output = Command::new("skopeo")
            .args([
                "--insecure-policy",
                "copy",
                "--all",
                "--dest-tls-verify=false",
            ])
            .args([source, &dest])
            .stdin(Stdio::null())
            .output()
            .expect("skopeo is installed (cargo xtask setup)");
        assert!(
            output.status.success(),
            "skopeo copy {source} {dest}: {}\n{}\nregistry log:\n{}",
            output.status,
            String::from_utf8_lossy(&output.stderr),
            self.log()
        );
    }
}

fn wait_until_up(child: &mut Child, addr: &str) -> Result<(), String> {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if let Some(status) = child.try_wait().map_err(|e| e.to_string())? {
            return Err(format!("it exited: {status}"));
        }
        match request("GET", addr, "/v2/", &[]) {
            Ok(response) if response.status == 200 => return Ok(()),
            Ok(response) if Instant::now() >= deadline => {
                return Err(format!("GET /v2/ answers {}", response.status))
            }
            Err(error) if Instant::now() >= deadline => return Err(format!("GET /v2/: {error}")),
            _ => std::thread::sleep(Duration::from_millis(50)),
        }
    }
}

// ---------------------------------------------------------------------------------------
// A minimal HTTP/1.1 client
// ---------------------------------------------------------------------------------------

/// An HTTP response, its body read whole.
#[derive(Debug, Clone)]
pub struct Response {
    /// The status code, e.g. 200.
    pub status: u16,
    /// In the order received, names as sent.
    pub headers: Vec<(String, String)>,
    /// The body, de-chunked; empty for `HEAD`.
    pub body: Vec<u8>,
}

impl Response {
    /// The first header named `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        header(&self.headers, name)
    }

    /// The body as JSON; panics showing the body if it is not.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|error| {
            panic!(
                "not JSON ({error}): {}",
                String::from_utf8_lossy(&self.body)
            )
        })
    }

    /// The body as text (lossy), for messages.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(key, _)| key.eq_ignore_ascii_case(name))
        .map(|(_, value)| value.as_str())
}

/// One request on a fresh connection to `addr` (`HOST:PORT`): `METHOD TARGET HTTP/1.1` with
/// `Host`, `Connection: close` and `headers`. Reads the status line, the headers, and the
/// body — by `Content-Length`, chunked, or to the end of the stream; none for `HEAD`, 1xx,
/// 204 and 304.
pub fn request(
    method: &str,
    addr: &str,
    target: &str,
    headers: &[(&str, &str)],
) -> io::Result<Response> {
    let mut stream = TcpStream::connect(addr)?;
    stream.set_read_timeout(Some(IO_TIMEOUT))?;
    stream.set_write_timeout(Some(IO_TIMEOUT))?;
    let mut head = format!("{method} {target} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes())?;
    let mut reader = BufReader::new(stream);
    let status_line = read_line(&mut reader)?;
    let status = status_line
        .split(' ')
        .nth(1)
        .and_then(|code| code.parse::<u16>().ok())
        .ok_or_else(|| invalid(format!("bad status line {status_line:?}")))?;
    let headers = read_headers(&mut reader)?;
    let body = if method == "HEAD" || status < 200 || status == 204 || status == 304 {
        Vec::new()
    } else if header(&headers, "Transfer-Encoding")
        .is_some_and(|value| value.to_ascii_lowercase().contains("chunked"))
    {
        read_chunked(&mut reader)?
    } else if let Some(length) = header(&headers, "Content-Length") {
        let length: usize = length
            .trim()
            .parse()
            .map_err(|_| invalid(format!("bad Content-Length {length:?}")))?;
        let mut body = vec![0; length];
        reader.read_exact(&mut body)?;
        body
    } else {
        let mut body = Vec::new();
        reader.read_to_end(&mut body)?;
        body
    };
    Ok(Response {
        status,
        headers,
        body,
    })
}

/// [`request`] with `GET`, panicking (naming the URL) if the exchange fails.
pub fn get(addr: &str, target: &str, headers: &[(&str, &str)]) -> Response {
    request("GET", addr, target, headers)
        .unwrap_or_else(|error| panic!("GET http://{addr}{target}: {error}"))
}

fn invalid(message: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, message)
}

/// One line without its CRLF; an error at the end of the stream.
fn read_line(reader: &mut impl BufRead) -> io::Result<String> {
    let mut line = Vec::new();
    if reader.read_until(b'\n', &mut line)? == 0 {
        return Err(io::Error::new(
            io::ErrorKind::UnexpectedEof,
            "connection closed",
        ));
    }
    while line.last().is_some_and(|b| *b == b'\n' || *b == b'\r') {
        line.pop();
    }
    Ok(String::from_utf8_lossy(&line).into_owned())
}

/// Header lines up to the empty line.
fn read_headers(reader: &mut impl BufRead) -> io::Result<Vec<(String, String)>> {
    let mut headers = Vec::new();
    loop {
        let line = read_line(reader)?;
        if line.is_empty() {
            return Ok(headers);
        }
        let (name, value) = line
            .split_once(':')
            .ok_or_else(|| invalid(format!("bad header line {line:?}")))?;
        headers.push((name.trim().to_owned(), value.trim().to_owned()));
    }
}

fn read_chunked(reader: &mut impl BufRead) -> io::Result<Vec<u8>> {
    let mut body = Vec::new();
    loop {
        let line = read_line(reader)?;
        let size = line.split(';').next().unwrap_or("").trim();
        let size = usize::from_str_radix(size, 16)
            .map_err(|_| invalid(format!("bad chunk size line {line:?}")))?;
        if size == 0 {
            read_headers(reader)?; // trailers
            return Ok(body);
        }
        let start = body.len();
        body.resize(start + size, 0);
        reader.read_exact(&mut body[start..])?;
        read_line(reader)?;
    }
}

// ---------------------------------------------------------------------------------------
// The proxy
// ---------------------------------------------------------------------------------------

/// How a [`Proxy`] departs from forwarding requests unchanged.
#[derive(Debug, Clone, Default)]
pub struct ProxyOptions {
    /// Registry token auth: every `/v2/` request without `Authorization: Bearer TOKEN` (a
    /// token this proxy issued) gets 401 with `WWW-Authenticate: Bearer
    /// realm="http://PROXY/token",service="fixture-registry",scope="repository:NAME:pull"`
    /// (the scope only on repository URLs); `GET /token?service=...&scope=...` answers
    /// `{"token":T,"access_token":T}` with a new token. The header is not forwarded.
    pub token_auth: bool,
    /// `GET /v2/NAME/blobs/DIGEST` answers `307 Temporary Redirect` to
    /// `http://REDIRECT_ADDR/blob/DIGEST?name=NAME`, the proxy's second listener, which
    /// serves the blob (from the registry, honouring `Range`). `HEAD` is not redirected.
    pub redirect_blobs: bool,
    /// For this digest (`sha256:...`), one byte is flipped in the body passed back: a blob
    /// or manifest fetched by this digest, or a manifest whose `Docker-Content-Digest` it is
    /// (fetched by tag). Always the byte at offset `size / 2` of the whole content, so a
    /// ranged request sees the same corruption as a full one. Headers are left unchanged.
    pub corrupt_blob: Option<String>,
    /// Blob bodies are written at about this rate (small chunks, sleeps between), so a
    /// test can stop a client mid-download. Manifests and errors are not throttled.
    pub bytes_per_second: Option<u64>,
}

/// Which of the proxy's listeners served a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Listener {
    /// `Proxy::addr`: the registry API and `/token`.
    Main,
    /// `Proxy::redirect_addr`: where blobs are redirected to (another "host").
    RedirectTarget,
}

/// A request the proxy received, recorded when its answer was decided (before the body is
/// written, so a download cut short is recorded too).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recorded {
    /// Which listener served it.
    pub listener: Listener,
    /// `GET` or `HEAD` (or whatever was refused with 405).
    pub method: String,
    /// The request target as sent (path and query, not decoded), e.g.
    /// `/token?service=fixture-registry&scope=repository%3Ateam%2Fapp%3Apull`.
    pub path: String,
    /// The `Authorization` header, if the request had one.
    pub authorization: Option<String>,
    /// The `Range` header, if any.
    pub range: Option<String>,
    /// The status the proxy answered.
    pub status: u16,
}

impl Recorded {
    /// Whether the request carried an `Authorization` header.
    pub fn had_authorization(&self) -> bool {
        self.authorization.is_some()
    }
}

struct Shared {
    upstream: String,
    options: ProxyOptions,
    addr: String,
    redirect_addr: String,
    stop: AtomicBool,
    requests: Mutex<Vec<Recorded>>,
    tokens: Mutex<HashSet<String>>,
    next_token: AtomicU64,
    /// Open (or finished) connections: a handle to shut each down, and its thread.
    connections: Mutex<Vec<(TcpStream, JoinHandle<()>)>>,
}

/// A small HTTP/1.1 server on 127.0.0.1 in front of a registry: forwards `GET` and `HEAD`
/// (a thread per connection, one request per connection, `Connection: close`), applying
/// [`ProxyOptions`], and records every request. Stopped when dropped: its threads are
/// woken, open connections shut down, and all threads joined.
pub struct Proxy {
    /// `127.0.0.1:PORT`: the registry API (and `/token`).
    pub addr: String,
    /// `127.0.0.1:PORT`: the redirect target for blobs (see [`ProxyOptions::redirect_blobs`]).
    pub redirect_addr: String,
    shared: Arc<Shared>,
    acceptors: Vec<JoinHandle<()>>,
}

impl Proxy {
    /// Starts a proxy for the registry at `upstream_addr` (`HOST:PORT`).
    pub fn start(upstream_addr: &str, options: ProxyOptions) -> Proxy {
        let main = TcpListener::bind("127.0.0.1:0").unwrap();
        let redirect = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = main.local_addr().unwrap().to_string();
        let redirect_addr = redirect.local_addr().unwrap().to_string();
        let shared = Arc::new(Shared {
            upstream: upstream_addr.to_owned(),
            options,
            addr: addr.clone(),
            redirect_addr: redirect_addr.clone(),
            stop: AtomicBool::new(false),
            requests: Mutex::new(Vec::new()),
            tokens: Mutex::new(HashSet::new()),
            next_token: AtomicU64::new(1),
            connections: Mutex::new(Vec::new()),
        });
        let acceptors = [(main, Listener::Main), (redirect, Listener::RedirectTarget)]
            .into_iter()
            .map(|(listener, which)| {
                let shared = Arc::clone(&shared);
                std::thread::spawn(move || accept_loop(&shared, &listener, which))
            })
            .collect();
        Proxy {
            addr,
            redirect_addr,
            shared,
            acceptors,
        }
    }

    /// Every request so far, in the order their answers were decided.
    pub fn requests(&self) -> Vec<Recorded> {
        self.shared.requests.lock().unwrap().clone()
    }

    /// Forgets the requests recorded so far.
    pub fn reset_requests(&self) {
        self.shared.requests.lock().unwrap().clear();
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::SeqCst);
        // Wake the accept loops: each sees the flag after its next accept.
        for addr in [&self.addr, &self.redirect_addr] {
            let _ = TcpStream::connect(addr);
        }
        for acceptor in self.acceptors.drain(..) {
            let _ = acceptor.join();
        }
        let connections = std::mem::take(&mut *self.shared.connections.lock().unwrap());
        for (stream, thread) in connections {
            let _ = stream.shutdown(Shutdown::Both);
            let _ = thread.join();
        }
    }
}

fn accept_loop(shared: &Arc<Shared>, listener: &TcpListener, which: Listener) {
    for stream in listener.incoming() {
        if shared.stop.load(Ordering::SeqCst) {
            return;
        }
        let Ok(stream) = stream else { continue };
        let Ok(handle) = stream.try_clone() else {
            continue;
        };
        let connection_shared = Arc::clone(shared);
        let thread = std::thread::spawn(move || {
            let _ = serve_connection(&connection_shared, stream, which);
        });
        shared.connections.lock().unwrap().push((handle, thread));
    }
}

/// A request as the proxy received it (its body, if any, is ignored).
struct Incoming {
    method: String,
    target: String,
    headers: Vec<(String, String)>,
}

impl Incoming {
    fn path(&self) -> &str {
        self.target.split('?').next().unwrap_or("")
    }

    /// The query parameter `name`, percent-decoded.
    fn query(&self, name: &str) -> Option<String> {
        let query = self.target.split_once('?')?.1;
        query.split('&').find_map(|pair| {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            (percent_decode(key) == name).then(|| percent_decode(value))
        })
    }

    /// All values of the header `name` joined by `, ` (clients may send `Accept` several
    /// times).
    fn header_joined(&self, name: &str) -> Option<String> {
        let values: Vec<&str> = self
            .headers
            .iter()
            .filter(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
            .collect();
        (!values.is_empty()).then(|| values.join(", "))
    }
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[i], hex) {
            (b'%', Some(byte)) => {
                out.push(byte);
                i += 3;
            }
            (b'+', _) => {
                out.push(b' ');
                i += 1;
            }
            (byte, _) => {
                out.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// What the proxy answers.
struct Reply {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
    /// For `HEAD`: the upstream's `Content-Length`, passed on with no body.
    head_length: Option<String>,
    /// Write the body at `bytes_per_second`.
    throttle: bool,
}

impl Reply {
    fn new(status: u16) -> Reply {
        Reply {
            status,
            headers: Vec::new(),
            body: Vec::new(),
            head_length: None,
            throttle: false,
        }
    }

    fn json(status: u16, body: serde_json::Value) -> Reply {
        let mut reply = Reply::new(status);
        reply
            .headers
            .push(("Content-Type".into(), "application/json".into()));
        reply.body = serde_json::to_vec(&body).unwrap();
        reply
    }

    fn error(status: u16, code: &str, message: &str) -> Reply {
        Reply::json(
            status,
            serde_json::json!({"errors": [{"code": code, "message": message, "detail": null}]}),
        )
    }
}

fn serve_connection(shared: &Shared, stream: TcpStream, which: Listener) -> io::Result<()> {
    stream.set_read_timeout(Some(IO_TIMEOUT))?;
    stream.set_write_timeout(Some(IO_TIMEOUT))?;
    let mut reader = BufReader::new(stream.try_clone()?);
    let request_line = read_line(&mut reader)?;
    let headers = read_headers(&mut reader)?;
    let mut parts = request_line.split(' ');
    let (Some(method), Some(target)) = (parts.next(), parts.next()) else {
        return Err(invalid(format!("bad request line {request_line:?}")));
    };
    let incoming = Incoming {
        method: method.to_owned(),
        target: target.to_owned(),
        headers,
    };
    let reply = match which {
        Listener::Main => answer_main(shared, &incoming),
        Listener::RedirectTarget => answer_redirect_target(shared, &incoming),
    };
    shared.requests.lock().unwrap().push(Recorded {
        listener: which,
        method: incoming.method.clone(),
        path: incoming.target.clone(),
        authorization: header(&incoming.headers, "Authorization").map(str::to_owned),
        range: header(&incoming.headers, "Range").map(str::to_owned),
        status: reply.status,
    });
    write_reply(shared, stream, &incoming, reply)
}

fn write_reply(
    shared: &Shared,
    mut stream: TcpStream,
    incoming: &Incoming,
    reply: Reply,
) -> io::Result<()> {
    let mut head = format!("HTTP/1.1 {} {}\r\n", reply.status, reason(reply.status));
    for (name, value) in &reply.headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    let length = reply
        .head_length
        .clone()
        .unwrap_or_else(|| reply.body.len().to_string());
    head.push_str(&format!(
        "Content-Length: {length}\r\nConnection: close\r\n\r\n"
    ));
    stream.write_all(head.as_bytes())?;
    if incoming.method == "HEAD" {
        return stream.flush();
    }
    match shared.options.bytes_per_second {
        Some(rate) if reply.throttle => {
            // A twentieth of a second's worth, every twentieth of a second.
            let chunk = usize::try_from((rate / 20).max(1)).unwrap_or(usize::MAX);
            for piece in reply.body.chunks(chunk) {
                if shared.stop.load(Ordering::SeqCst) {
                    return Ok(());
                }
                stream.write_all(piece)?;
                stream.flush()?;
                std::thread::sleep(Duration::from_millis(50));
            }
        }
        _ => stream.write_all(&reply.body)?,
    }
    stream.flush()
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        206 => "Partial Content",
        307 => "Temporary Redirect",
        400 => "Bad Request",
        401 => "Unauthorized",
        404 => "Not Found",
        405 => "Method Not Allowed",
        416 => "Range Not Satisfiable",
        502 => "Bad Gateway",
        _ => "Status",
    }
}

/// The repository name in `/v2/NAME/manifests/REF`, `/v2/NAME/blobs/DIGEST` or
/// `/v2/NAME/tags/list` (names may contain slashes), and what follows it.
fn repository(path: &str) -> Option<(&str, &str)> {
    let rest = path.strip_prefix("/v2/")?;
    ["/manifests/", "/blobs/", "/tags/"]
        .iter()
        .find_map(|kind| {
            let at = rest.rfind(kind)?;
            (at > 0).then(|| (&rest[..at], &rest[at + 1..]))
        })
}

fn answer_main(shared: &Shared, incoming: &Incoming) -> Reply {
    if incoming.method != "GET" && incoming.method != "HEAD" {
        return Reply::error(
            405,
            "UNSUPPORTED",
            "the fixture proxy only serves GET and HEAD",
        );
    }
    let path = incoming.path();
    if path == "/token" && shared.options.token_auth {
        return issue_token(shared, incoming);
    }
    if path != "/v2" && !path.starts_with("/v2/") {
        return Reply::error(404, "NOT_FOUND", "not a registry API path");
    }
    let repo = repository(path);
    if shared.options.token_auth && !authorized(shared, incoming) {
        let mut challenge = format!(
            "Bearer realm=\"http://{}/token\",service=\"{TOKEN_SERVICE}\"",
            shared.addr
        );
        if let Some((name, _)) = repo {
            challenge.push_str(&format!(",scope=\"repository:{name}:pull\""));
        }
        let mut reply = Reply::error(401, "UNAUTHORIZED", "authentication required");
        reply.headers.push(("WWW-Authenticate".into(), challenge));
        reply.headers.push((
            "Docker-Distribution-Api-Version".into(),
            "registry/2.0".into(),
        ));
        return reply;
    }
    if let Some((name, what)) = repo {
        if let Some(digest) = what.strip_prefix("blobs/") {
            if shared.options.redirect_blobs && incoming.method == "GET" {
                let mut reply = Reply::new(307);
                reply.headers.push((
                    "Location".into(),
                    format!("http://{}/blob/{digest}?name={name}", shared.redirect_addr),
                ));
                return reply;
            }
            return forward(shared, incoming, &incoming.target, true);
        }
    }
    forward(shared, incoming, &incoming.target, false)
}

fn answer_redirect_target(shared: &Shared, incoming: &Incoming) -> Reply {
    if incoming.method != "GET" && incoming.method != "HEAD" {
        return Reply::error(
            405,
            "UNSUPPORTED",
            "the fixture proxy only serves GET and HEAD",
        );
    }
    let (Some(digest), Some(name)) = (
        incoming.path().strip_prefix("/blob/"),
        incoming.query("name"),
    ) else {
        return Reply::error(404, "NOT_FOUND", "expected /blob/DIGEST?name=NAME");
    };
    forward(
        shared,
        incoming,
        &format!("/v2/{name}/blobs/{digest}"),
        true,
    )
}

fn authorized(shared: &Shared, incoming: &Incoming) -> bool {
    let Some(value) = header(&incoming.headers, "Authorization") else {
        return false;
    };
    let Some(token) = value.strip_prefix("Bearer ") else {
        return false;
    };
    shared.tokens.lock().unwrap().contains(token.trim())
}

fn issue_token(shared: &Shared, incoming: &Incoming) -> Reply {
    if incoming.query("service").as_deref() != Some(TOKEN_SERVICE) {
        return Reply::error(
            400,
            "UNSUPPORTED",
            &format!("expected service={TOKEN_SERVICE}"),
        );
    }
    let n = shared.next_token.fetch_add(1, Ordering::SeqCst);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    let seed = format!("{}-{n}-{nanos}-{}", std::process::id(), shared.addr);
    let token = format!("fixture-{n}-{}", &Digest::of(seed.as_bytes()).hex()[..24]);
    shared.tokens.lock().unwrap().insert(token.clone());
    Reply::json(
        200,
        serde_json::json!({"token": token, "access_token": token}),
    )
}

/// The headers passed back from the registry (Content-Length is set by `write_reply`).
const PASSED_HEADERS: [&str; 7] = [
    "Content-Type",
    "Docker-Content-Digest",
    "Content-Range",
    "Accept-Ranges",
    "Location",
    "Docker-Distribution-Api-Version",
    "WWW-Authenticate",
];

/// Sends `incoming` to the registry as `METHOD TARGET` with its `Accept` and `Range`
/// headers, and makes the reply: status, [`PASSED_HEADERS`], body (corrupted and throttled
/// as the options say).
fn forward(shared: &Shared, incoming: &Incoming, target: &str, is_blob: bool) -> Reply {
    let accept = incoming.header_joined("Accept");
    let range = header(&incoming.headers, "Range").map(str::to_owned);
    let mut headers: Vec<(&str, &str)> = Vec::new();
    if let Some(accept) = &accept {
        headers.push(("Accept", accept));
    }
    if let Some(range) = &range {
        headers.push(("Range", range));
    }
    let upstream = match request(&incoming.method, &shared.upstream, target, &headers) {
        Ok(upstream) => upstream,
        Err(error) => {
            return Reply::error(
                502,
                "UNAVAILABLE",
                &format!("upstream {}: {error}", shared.upstream),
            )
        }
    };
    let mut reply = Reply::new(upstream.status);
    for name in PASSED_HEADERS {
        if let Some(value) = upstream.header(name) {
            reply.headers.push((name.to_owned(), value.to_owned()));
        }
    }
    if incoming.method == "HEAD" {
        reply.head_length = upstream.header("Content-Length").map(str::to_owned);
    }
    reply.body = upstream.body;
    let success = reply.status == 200 || reply.status == 206;
    if let (Some(bad), true) = (&shared.options.corrupt_blob, success) {
        let reference = target.rsplit('/').next().unwrap_or("");
        if reference == bad || header(&reply.headers, "Docker-Content-Digest") == Some(bad) {
            corrupt(&mut reply.body, header(&reply.headers, "Content-Range"));
        }
    }
    reply.throttle = is_blob && success;
    reply
}

/// Flips the byte at offset `size / 2` of the whole content, if `body` holds it: all of it,
/// or the part `Content-Range: bytes START-END/SIZE` says.
fn corrupt(body: &mut [u8], content_range: Option<&str>) {
    let (start, total) = match content_range.and_then(parse_content_range) {
        Some(range) => range,
        None => (0, body.len()),
    };
    let Some(at) = (total / 2).checked_sub(start) else {
        return;
    };
    if let Some(byte) = body.get_mut(at) {
        *byte ^= 0x55;
    }
}

/// `bytes START-END/SIZE` → `(START, SIZE)`.
fn parse_content_range(value: &str) -> Option<(usize, usize)> {
    let (range, total) = value.strip_prefix("bytes ")?.split_once('/')?;
    let start = range.split('-').next()?.trim().parse().ok()?;
    Some((start, total.trim().parse().ok()?))
}

/// A registry with busybox (two layers, the second deleting /etc/group) pushed as
/// `team/app:v1`.
pub fn registry_with_busybox(dir: &TempRoot) -> Registry {
    let registry = Registry::start();
    let layout = busybox_layout(dir.path());
    registry.push(&format!("oci:{}:app", layout.display()), "team/app:v1");
    registry
}
