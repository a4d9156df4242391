//! A busybox root filesystem, built from the host's `busybox-static` — no download needed.
//!
//! busybox is one binary that acts as ~300 commands depending on the name it is called by;
//! a directory with that binary, one symlink per command and a few files in `/etc` is a
//! complete little Linux userland. It must be *statically* linked: the rootfs has no
//! `/lib`, so a dynamically linked binary would find no loader (`ld-linux`) and `execve`
//! would fail with `ENOENT` — the most confusing error there is.

use std::os::unix::fs::{symlink, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::Command;

/// Where Debian and Ubuntu's `busybox-static` package puts the binary, and other usual places.
pub const HOST_BUSYBOX_CANDIDATES: [&str; 3] =
    ["/bin/busybox", "/usr/bin/busybox", "/usr/local/bin/busybox"];

/// Finds a statically linked busybox on the host.
pub fn find_host_busybox() -> Result<PathBuf, String> {
    let mut found_dynamic = None;
    for candidate in HOST_BUSYBOX_CANDIDATES {
        let path = Path::new(candidate);
        let Ok(bytes) = std::fs::read(path) else {
            continue;
        };
        match is_static_elf(&bytes) {
            Some(true) => return Ok(path.to_path_buf()),
            _ => found_dynamic = Some(path.to_path_buf()),
        }
    }
    Err(match found_dynamic {
        Some(path) => format!(
            "{} is not statically linked; install busybox-static (apt-get install busybox-static)",
            path.display()
        ),
        None => "no busybox found; install busybox-static (apt-get install busybox-static)".into(),
    })
}

// ANCHOR: static_elf
/// Whether an ELF executable is statically linked: it has no `PT_INTERP` program header
/// (the header that names the dynamic loader). `None` if this is not a 64-bit
/// little-endian ELF file, the only kind this checks.
pub fn is_static_elf(bytes: &[u8]) -> Option<bool> {
    const PT_INTERP: u32 = 3;
    let u16_at = |at: usize| Some(u16::from_le_bytes(bytes.get(at..at + 2)?.try_into().ok()?));
    let u32_at = |at: usize| Some(u32::from_le_bytes(bytes.get(at..at + 4)?.try_into().ok()?));
    let u64_at = |at: usize| Some(u64::from_le_bytes(bytes.get(at..at + 8)?.try_into().ok()?));
    // Magic, 64-bit class (2), little-endian data (1): see elf(5).
    if bytes.get(..6)? != b"\x7fELF\x02\x01" {
        return None;
    }
    let program_headers = usize::try_from(u64_at(0x20)?).ok()?;
    let entry_size = usize::from(u16_at(0x36)?);
    let count = usize::from(u16_at(0x38)?);
    for index in 0..count {
        if u32_at(program_headers + index * entry_size)? == PT_INTERP {
            return Some(false);
        }
    }
    Some(true)
}
// ANCHOR_END: static_elf

/// What [`build_rootfs`] made.
#[derive(Debug)]
pub struct BuiltRootfs {
    pub path: PathBuf,
    pub applets: usize,
}

// ANCHOR: build
/// Builds a busybox rootfs at `dest` (which must not exist yet) from the static `busybox`.
/// Builds in a sibling directory and renames it into place, so `dest` is either complete or
/// absent — never half-made.
pub fn build_rootfs(dest: &Path, busybox: &Path) -> std::io::Result<BuiltRootfs> {
    if dest.exists() {
        return Err(std::io::Error::new(
            std::io::ErrorKind::AlreadyExists,
            format!("{} exists already", dest.display()),
        ));
    }
    let parent = dest.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(parent)?;
    let building = fresh_build_dir(parent)?;
    let applets = populate(&building, busybox);
    let applets = match applets {
        Ok(applets) => applets,
        Err(error) => {
            let _ = std::fs::remove_dir_all(&building);
            return Err(error);
        }
    };
    std::fs::rename(&building, dest)?;
    Ok(BuiltRootfs {
        path: dest.to_path_buf(),
        applets,
    })
}

fn populate(root: &Path, busybox: &Path) -> std::io::Result<usize> {
    for (dir, mode) in [
        ("bin", 0o755),
        ("sbin", 0o755),
        ("usr/bin", 0o755),
        ("usr/sbin", 0o755),
        ("etc", 0o755),
        ("root", 0o700),
        ("home", 0o755),
        ("tmp", 0o1777),
        ("var/log", 0o755),
        ("proc", 0o555),
        ("sys", 0o555),
        ("dev", 0o755),
    ] {
        let path = root.join(dir);
        std::fs::create_dir_all(&path)?;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode))?;
    }
    let inside = root.join("bin/busybox");
    std::fs::copy(busybox, &inside)?;
    std::fs::set_permissions(&inside, std::fs::Permissions::from_mode(0o755))?;

    // `busybox --list-full` prints every applet with its usual path: `bin/ls`, `usr/bin/wget`.
    let listing = Command::new(busybox).arg("--list-full").output()?;
    if !listing.status.success() {
        return Err(std::io::Error::other(format!(
            "{} --list-full failed",
            busybox.display()
        )));
    }
    let mut applets = 0;
    for applet in String::from_utf8_lossy(&listing.stdout).lines() {
        let applet = applet.trim().trim_start_matches('/');
        if !applet.contains('/') || applet == "bin/busybox" || applet.contains("..") {
            continue;
        }
        let link = root.join(applet);
        if let Some(dir) = link.parent() {
            std::fs::create_dir_all(dir)?;
        }
        if link.symlink_metadata().is_err() {
            symlink("/bin/busybox", &link)?;
            applets += 1;
        }
    }
    for (file, content) in ETC_FILES {
        std::fs::write(root.join(file), content)?;
    }
    Ok(applets)
}
// ANCHOR_END: build

/// The few files a userland expects in `/etc`.
const ETC_FILES: [(&str, &str); 4] = [
    (
        "etc/passwd",
        "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n",
    ),
    ("etc/group", "root:x:0:\ntty:x:5:\nnogroup:x:65534:\n"),
    (
        "etc/hosts",
        "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n",
    ),
    (
        "etc/os-release",
        "NAME=\"mini-docker busybox\"\nID=busybox\n",
    ),
];

/// A new, uniquely named, empty directory inside `parent`.
fn fresh_build_dir(parent: &Path) -> std::io::Result<PathBuf> {
    for attempt in 0..100u32 {
        let candidate = parent.join(format!(".building-rootfs-{}-{attempt}", std::process::id()));
        match std::fs::create_dir(&candidate) {
            Ok(()) => return Ok(candidate),
            Err(error) if error.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(error) => return Err(error),
        }
    }
    Err(std::io::Error::other("cannot create a build directory"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_dynamic_binary_is_told_apart_from_a_static_one() {
        // Our own test binary is dynamically linked (it uses glibc's loader).
        let me = std::fs::read(std::env::current_exe().unwrap()).unwrap();
        assert_eq!(is_static_elf(&me), Some(false));
        assert_eq!(is_static_elf(b"#!/bin/sh\n"), None);
    }
}
