//! Helpers shared by chapter 5's live tests: a complete listing of a directory tree (to
//! compare two trees), raw tar building (for tars the `tar` crate refuses to write), a
//! small seeded random generator, and a fingerprint of what must stay untouched.

#![allow(dead_code)] // each test file uses its own part of this module

use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::os::unix::fs::{FileTypeExt, MetadataExt};
use std::path::Path;

use chapter05::upper::is_opaque;

/// One line per entry under `root`, sorted, with everything a layer carries: type, mode,
/// owner, modification time, content (hashed), link target, hardlink partner, whiteout,
/// opaque mark, and extended attributes.
pub fn listing(root: &Path) -> Vec<String> {
    let mut lines = Vec::new();
    let mut first_links: HashMap<(u64, u64), String> = HashMap::new();
    walk(root, root, &mut lines, &mut first_links);
    lines
}

fn walk(
    root: &Path,
    dir: &Path,
    lines: &mut Vec<String>,
    first_links: &mut HashMap<(u64, u64), String>,
) {
    let mut children: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .collect();
    children.sort();
    for path in children {
        let meta = std::fs::symlink_metadata(&path).unwrap();
        let name = path.strip_prefix(root).unwrap().display().to_string();
        let kind = meta.file_type();
        let detail = if kind.is_dir() {
            format!("dir{}", if is_opaque(&path) { " opaque" } else { "" })
        } else if kind.is_symlink() {
            format!(
                "symlink -> {}",
                std::fs::read_link(&path).unwrap().display()
            )
        } else if kind.is_char_device() {
            format!(
                "char {}:{}",
                libc::major(meta.rdev()),
                libc::minor(meta.rdev())
            )
        } else if kind.is_fifo() {
            "fifo".to_owned()
        } else {
            let key = (meta.dev(), meta.ino());
            let partner = match first_links.get(&key) {
                Some(first) => format!(" hardlink of {first}"),
                None => {
                    if meta.nlink() > 1 {
                        first_links.insert(key, name.clone());
                    }
                    String::new()
                }
            };
            let content = std::fs::read(&path).unwrap();
            format!(
                "file {} bytes #{:016x}{partner}",
                content.len(),
                hash(&content)
            )
        };
        let mode = if kind.is_symlink() {
            String::new()
        } else {
            format!(" {:04o}", meta.mode() & 0o7777)
        };
        let xattrs = chapter05::xattr::carried_list(&path).unwrap();
        let xattrs: Vec<String> = xattrs
            .iter()
            .map(|(k, v)| format!(" {k}={}", String::from_utf8_lossy(v)))
            .collect();
        lines.push(format!(
            "{name}: {detail}{mode} {}:{} t={}{}",
            meta.uid(),
            meta.gid(),
            meta.mtime(),
            xattrs.concat()
        ));
        if kind.is_dir() {
            walk(root, &path, lines, first_links);
        }
    }
}

pub fn hash(bytes: &[u8]) -> u64 {
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    bytes.hash(&mut hasher);
    hasher.finish()
}

/// What must not change when a tar is unpacked next to it: a directory's listing, and the
/// host's `/etc/passwd` (content and link count).
#[derive(Debug, PartialEq, Eq)]
pub struct Untouched {
    outside: Vec<String>,
    passwd: (u64, u64),
    etc: Vec<String>,
}

impl Untouched {
    pub fn take(outside: &Path) -> Self {
        let passwd = std::fs::read("/etc/passwd").unwrap();
        let nlink = std::fs::metadata("/etc/passwd").unwrap().nlink();
        let mut etc: Vec<String> = std::fs::read_dir("/etc")
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        etc.sort();
        Untouched {
            outside: listing(outside),
            passwd: (hash(&passwd), nlink),
            etc,
        }
    }
}

/// A tar written byte by byte: any name, any type, any link, no validation.
pub struct RawTar {
    bytes: Vec<u8>,
}

impl RawTar {
    pub fn new() -> Self {
        RawTar { bytes: Vec::new() }
    }

    pub fn dir(&mut self, name: &str) -> &mut Self {
        self.add(tar::EntryType::Directory, name, "", b"", 0o755)
    }

    pub fn file(&mut self, name: &str, data: &[u8]) -> &mut Self {
        self.add(tar::EntryType::Regular, name, "", data, 0o644)
    }

    pub fn symlink(&mut self, name: &str, target: &str) -> &mut Self {
        self.add(tar::EntryType::Symlink, name, target, b"", 0o777)
    }

    pub fn hardlink(&mut self, name: &str, target: &str) -> &mut Self {
        self.add(tar::EntryType::Link, name, target, b"", 0o644)
    }

    pub fn device(
        &mut self,
        kind: tar::EntryType,
        name: &str,
        major: u32,
        minor: u32,
    ) -> &mut Self {
        self.add(kind, name, "", b"", 0o600);
        // Patch the device numbers into the header just written.
        let start = self.bytes.len() - 512;
        let mut header = tar::Header::new_gnu();
        header.as_mut_bytes().copy_from_slice(&self.bytes[start..]);
        header.set_device_major(major).unwrap();
        header.set_device_minor(minor).unwrap();
        header.set_cksum();
        self.bytes[start..].copy_from_slice(header.as_bytes());
        self
    }

    pub fn add(
        &mut self,
        kind: tar::EntryType,
        name: &str,
        link: &str,
        data: &[u8],
        mode: u32,
    ) -> &mut Self {
        if name.len() >= 100 {
            let mut long = name.as_bytes().to_vec();
            long.push(0);
            self.push(
                tar::EntryType::GNULongName,
                b"././@LongLink",
                b"",
                &long,
                0o644,
            );
        }
        let short = &name.as_bytes()[..name.len().min(99)];
        self.push(kind, short, link.as_bytes(), data, mode);
        self
    }

    fn push(&mut self, kind: tar::EntryType, name: &[u8], link: &[u8], data: &[u8], mode: u32) {
        let mut header = tar::Header::new_gnu();
        {
            let old = header.as_old_mut();
            old.name[..name.len()].copy_from_slice(name);
            old.linkname[..link.len()].copy_from_slice(link);
        }
        header.set_mode(mode);
        header.set_uid(0);
        header.set_gid(0);
        header.set_size(data.len() as u64);
        header.set_entry_type(kind);
        header.set_mtime(1_700_000_000);
        header.set_cksum();
        self.bytes.extend_from_slice(header.as_bytes());
        self.bytes.extend_from_slice(data);
        let padding = (512 - data.len() % 512) % 512;
        self.bytes.resize(self.bytes.len() + padding, 0);
    }

    pub fn finish(&self) -> Vec<u8> {
        let mut bytes = self.bytes.clone();
        bytes.resize(bytes.len() + 1024, 0);
        bytes
    }
}

/// xorshift64*: a few lines of deterministic randomness, so a failing case is
/// reproducible from its seed.
pub struct Random(u64);

impl Random {
    pub fn new(seed: u64) -> Self {
        Random(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }

    pub fn chance(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }
}
