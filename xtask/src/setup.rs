//! `setup`, `demo` and `clean`.

use std::path::Path;

use crate::shell::{as_root, capture, cargo, have, is_root, run, workspace_root};

/// The mdBook version the book is written for.
pub const MDBOOK_VERSION: &str = "0.5.4";

/// Where setup puts the busybox rootfs: mini-docker's default `--rootfs`.
pub const DEFAULT_ROOTFS: &str = "/var/lib/mini-docker/rootfs/busybox";

/// A Debian/Ubuntu package the workshop needs: its name, why, and how to tell it is there.
type Package = (&'static str, &'static str, fn() -> bool);

const PACKAGES: [Package; 10] = [
    ("busybox-static", "the containers' userland", || {
        chapter03::busybox::find_host_busybox().is_ok()
    }),
    ("iproute2", "`ip`, to look at network namespaces", || {
        have("ip")
    }),
    (
        "nftables",
        "`nft`, for NAT and published ports (chapter 8)",
        || have("nft"),
    ),
    (
        "util-linux",
        "`unshare` and `setpriv`, for comparisons",
        || have("unshare") && have("setpriv"),
    ),
    (
        "e2fsprogs",
        "`mkfs.ext4`, for the block IO test's loop device",
        || have("mkfs.ext4"),
    ),
    ("runc", "the reference runtime we benchmark against", || {
        have("runc")
    }),
    ("hyperfine", "the benchmark timer", || have("hyperfine")),
    (
        "skopeo",
        "copies images between formats and registries (chapter 6's tests)",
        || have("skopeo"),
    ),
    (
        "umoci",
        "builds and unpacks OCI images (chapter 6's tests)",
        || have("umoci"),
    ),
    (
        "docker-registry",
        "a local registry on 127.0.0.1 to pull from (chapter 6's tests)",
        || have("docker-registry"),
    ),
];

/// The image setup makes from the busybox rootfs, with mini-docker's own `import`.
pub const DEFAULT_IMAGE: &str = "busybox";

pub fn setup(with_demo: bool) -> Result<(), String> {
    install_packages()?;
    install_mdbook()?;
    run(cargo().args(["build", "--workspace"]))?;
    build_default_rootfs()?;
    import_default_image()?;
    if with_demo {
        println!("\n== a first container: its own PID 1, hostname and processes");
        run(as_root("target/debug/mini-docker").args([
            "run",
            "--rm",
            "-h",
            "first-container",
            DEFAULT_IMAGE,
            "/bin/sh",
            "-c",
            "echo \"hello from $(hostname): I am PID $$, and these are all the processes I see:\"; ps; echo my / holds: $(ls /)",
        ]))?;
        println!("\nsetup done. Next: cargo xtask test (runs every check), or read book/src/ch01-process.md");
    }
    Ok(())
}

fn install_packages() -> Result<(), String> {
    let missing: Vec<&Package> = PACKAGES
        .iter()
        .filter(|(_, _, present)| !present())
        .collect();
    if missing.is_empty() {
        println!(
            "OS packages: all present ({})",
            names(&PACKAGES.iter().collect::<Vec<_>>())
        );
        return Ok(());
    }
    if !have("apt-get") {
        return Err(format!(
            "missing {}; this setup installs with apt-get (Debian/Ubuntu) — install them by hand",
            names(&missing)
        ));
    }
    println!(
        "OS packages: installing {} with apt-get{}:",
        names(&missing),
        sudo_note()
    );
    for (package, why, _) in &missing {
        println!("  {package:<16} {why}");
    }
    run(as_root("apt-get").args(["update", "-qq"]))?;
    run(as_root("env")
        .arg("DEBIAN_FRONTEND=noninteractive")
        .args(["apt-get", "install", "-y", "-qq", "--no-install-recommends"])
        .args(missing.iter().map(|(package, _, _)| *package)))
}

fn names(packages: &[&Package]) -> String {
    packages
        .iter()
        .map(|(name, _, _)| *name)
        .collect::<Vec<_>>()
        .join(", ")
}

fn sudo_note() -> &'static str {
    if is_root() {
        ""
    } else {
        " (via sudo)"
    }
}

fn install_mdbook() -> Result<(), String> {
    let installed = capture("mdbook", &["--version"]).unwrap_or_default();
    if installed.trim() == format!("mdbook v{MDBOOK_VERSION}") {
        println!("mdBook: {MDBOOK_VERSION} present");
        return Ok(());
    }
    println!("mdBook: installing {MDBOOK_VERSION} with cargo install (builds the book)");
    run(cargo().args([
        "install",
        "--locked",
        "mdbook",
        "--version",
        MDBOOK_VERSION,
        "--no-default-features",
        "--features",
        "search",
    ]))
}

fn build_default_rootfs() -> Result<(), String> {
    if Path::new(DEFAULT_ROOTFS).join("bin/busybox").is_file() {
        println!("busybox rootfs: {DEFAULT_ROOTFS} present");
        return Ok(());
    }
    println!("busybox rootfs: building {DEFAULT_ROOTFS}{}", sudo_note());
    run(as_root("target/debug/chapter03").args(["rootfs", DEFAULT_ROOTFS]))
}

/// `busybox:latest` in mini-docker's default store, imported from the rootfs: a tar of the
/// directory piped into `mini-docker import`, as `docker import` would take it.
fn import_default_image() -> Result<(), String> {
    let listed = capture("target/debug/mini-docker", &["images", "-q", DEFAULT_IMAGE]);
    if listed.is_some_and(|ids| !ids.trim().is_empty()) {
        println!("busybox image: present in /var/lib/mini-docker");
        return Ok(());
    }
    println!(
        "busybox image: importing {DEFAULT_ROOTFS} as {DEFAULT_IMAGE}{}",
        sudo_note()
    );
    let script = format!(
        "tar -C {DEFAULT_ROOTFS} -cf - . | target/debug/mini-docker import --change 'CMD [\"sh\"]' - {DEFAULT_IMAGE}"
    );
    run(as_root("sh").args(["-c", &script]))
}

/// Every chapter demo, in order.
pub fn demo() -> Result<(), String> {
    run(cargo().args(["build", "--workspace"]))?;
    build_default_rootfs()?;
    let steps: [(&str, &[&str]); 17] = [
        ("chapter01", &["run", "/bin/sh", "-c", "exit 3"]),
        ("chapter01", &["run", "/bin/sh", "-c", "kill -9 $$"]),
        ("chapter02", &["run"]),
        (
            "chapter03",
            &["run", DEFAULT_ROOTFS, "/bin/sh", "-c", "ps; ls /; mount"],
        ),
        (
            "chapter04",
            &["plan", "-m", "200M", "--memory-swap=300M", "-c", "512"],
        ),
        ("chapter04", &["memory", DEFAULT_ROOTFS]),
        ("chapter04", &["cpu-shares", DEFAULT_ROOTFS]),
        ("chapter04", &["pause", DEFAULT_ROOTFS]),
        ("chapter05", &["cow", DEFAULT_ROOTFS]),
        ("chapter05", &["layers", DEFAULT_ROOTFS, "120"]),
        ("chapter06", &["walk", DEFAULT_ROOTFS]),
        ("chapter07", &["walk", DEFAULT_ROOTFS]),
        ("chapter08", &["plan"]),
        ("chapter08", &["walk", DEFAULT_ROOTFS]),
        ("chapter09", &["timeline"]),
        ("chapter09", &["flap", DEFAULT_ROOTFS]),
        ("mini-docker", &["doctor"]),
    ];
    for (binary, args) in steps {
        println!("\n== {binary} {}", args.join(" "));
        let path = workspace_root().join("target/debug").join(binary);
        // A demo's non-zero exit status is part of what it shows, not a failure.
        let _ = run(as_root(&path.to_string_lossy()).args(args));
    }
    Ok(())
}

/// Removes the default state root (images, layers, records of containers run without --rm,
/// the rootfs) and its bridge.
pub fn clean() -> Result<(), String> {
    let root = "/var/lib/mini-docker";
    if !Path::new(root).exists() {
        println!("{root}: nothing to remove");
        return Ok(());
    }
    // The default root's bridge and firewall table (chapter 8) live outside it; the bridge
    // carries the root's path as its alias, so only ours is taken.
    let alias = std::fs::read_to_string("/sys/class/net/mini0/ifalias").unwrap_or_default();
    if alias.trim_end() == format!("mini-docker {root}") {
        println!("removing the bridge mini0 and the nftables table mini_docker_mini0");
        run(as_root("ip").args(["link", "del", "mini0"]))?;
        let _ = run(as_root("nft").args(["delete", "table", "ip", "mini_docker_mini0"]));
    }
    println!("removing {root}{}", sudo_note());
    run(as_root("rm").args(["-rf", "--one-file-system", root]))
}
