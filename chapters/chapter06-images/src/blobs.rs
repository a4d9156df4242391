//! Reading files out of an image archive — a tar (`docker save`, an OCI layout in a tar)
//! or a directory (an OCI layout) — by the paths its manifests name.
//!
//! A tar is read twice, never unpacked: first its headers, to learn where each member's
//! content starts (seeking over the contents), then each member we need, by seeking to it.
//! So a layer's bytes are read once, straight into the layer store. Names are matched in
//! the tar's own namespace — symlinks between members (older `docker save` links duplicate
//! layers) are followed lexically, inside the archive, never on the disk.
//!
//! A directory is read with `openat2(RESOLVE_IN_ROOT)`: a symlink inside the layout is
//! resolved as if the layout were `/`, so no name can lead out of it.

use std::collections::HashMap;
use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::os::fd::OwnedFd;
use std::path::{Component, Path, PathBuf};

use chapter05::chapter04::chapter03::chapter01::ContainerError;
use nix::fcntl::{OFlag, OpenHow, ResolveFlag};
use nix::sys::stat::Mode;

/// Where image files come from.
pub trait BlobSource {
    /// Opens the member `path` (relative, `/`-separated) for reading.
    fn open(&self, path: &str) -> Result<Box<dyn Read + '_>, ContainerError>;

    /// Whether the member exists.
    fn exists(&self, path: &str) -> bool;

    /// Reads a small member (a JSON document) whole, refusing one over 4 MiB.
    fn read_small(&self, path: &str) -> Result<Vec<u8>, ContainerError> {
        let mut bytes = Vec::new();
        self.open(path)?
            .take(4 << 20)
            .read_to_end(&mut bytes)
            .map_err(|e| ContainerError::Invalid(format!("cannot read {path}: {e}")))?;
        if bytes.len() >= 4 << 20 {
            return Err(ContainerError::Invalid(format!(
                "{path} is too large for a JSON document"
            )));
        }
        Ok(bytes)
    }
}

/// `a/./b/../c` → `a/c`; `None` if it climbs above the archive's top.
fn normalize(path: &str) -> Option<String> {
    let mut parts: Vec<&str> = Vec::new();
    for component in Path::new(path).components() {
        match component {
            Component::Normal(part) => parts.push(part.to_str()?),
            Component::ParentDir => {
                parts.pop()?;
            }
            Component::CurDir | Component::RootDir | Component::Prefix(_) => {}
        }
    }
    Some(parts.join("/"))
}

#[derive(Debug, Clone)]
enum Member {
    File {
        offset: u64,
        size: u64,
    },
    /// A symlink or hardlink to another member (already normalized).
    Link(String),
}

/// The members of a tar file, by name.
pub struct TarIndex {
    file: File,
    members: HashMap<String, Member>,
}

impl TarIndex {
    pub fn open(path: &Path) -> Result<Self, ContainerError> {
        let file = File::open(path)
            .map_err(|e| ContainerError::io(format!("open {}", path.display()), e))?;
        let malformed = |e: std::io::Error| {
            ContainerError::Invalid(format!(
                "{} is not a valid tar archive: {e}",
                path.display()
            ))
        };
        let mut archive = tar::Archive::new(file.try_clone().map_err(malformed)?);
        let mut members = HashMap::new();
        for entry in archive.entries_with_seek().map_err(malformed)? {
            let entry = entry.map_err(malformed)?;
            let name = entry
                .path()
                .map_err(malformed)?
                .to_string_lossy()
                .into_owned();
            let Some(name) = normalize(&name) else {
                continue;
            };
            let kind = entry.header().entry_type();
            let member = if kind.is_symlink() || kind.is_hard_link() {
                let Ok(Some(target)) = entry.link_name() else {
                    continue;
                };
                let target = target.to_string_lossy().into_owned();
                // A symlink is relative to its own directory; a hardlink to the archive.
                let joined = if kind.is_symlink() && !target.starts_with('/') {
                    let dir = Path::new(&name).parent().unwrap_or(Path::new(""));
                    dir.join(&target).to_string_lossy().into_owned()
                } else {
                    target
                };
                match normalize(&joined) {
                    Some(target) => Member::Link(target),
                    None => continue, // points above the archive: not a member
                }
            } else if kind.is_file() {
                Member::File {
                    offset: entry.raw_file_position(),
                    size: entry.size(),
                }
            } else {
                continue;
            };
            members.insert(name, member);
        }
        Ok(TarIndex { file, members })
    }

    fn find(&self, path: &str) -> Option<(u64, u64)> {
        let mut name = normalize(path)?;
        // Follow links a bounded number of times (a loop is "not found").
        for _ in 0..16 {
            match self.members.get(&name)? {
                Member::File { offset, size } => return Some((*offset, *size)),
                Member::Link(target) => name = target.clone(),
            }
        }
        None
    }
}

impl BlobSource for TarIndex {
    fn open(&self, path: &str) -> Result<Box<dyn Read + '_>, ContainerError> {
        let (offset, size) = self
            .find(path)
            .ok_or_else(|| ContainerError::Invalid(format!("the archive has no file {path}")))?;
        let mut file = self
            .file
            .try_clone()
            .map_err(|e| ContainerError::io("reopen the archive", e))?;
        file.seek(SeekFrom::Start(offset))
            .map_err(|e| ContainerError::io("seek in the archive", e))?;
        Ok(Box::new(file.take(size)))
    }

    fn exists(&self, path: &str) -> bool {
        self.find(path).is_some()
    }
}

/// An image layout on disk.
pub struct LayoutDir {
    root: OwnedFd,
    path: PathBuf,
}

impl LayoutDir {
    pub fn open(path: &Path) -> Result<Self, ContainerError> {
        let root = nix::fcntl::open(
            path,
            OFlag::O_RDONLY | OFlag::O_DIRECTORY | OFlag::O_CLOEXEC,
            Mode::empty(),
        )
        .map_err(|e| ContainerError::system(format!("open {}", path.display()), e))?;
        Ok(LayoutDir {
            root,
            path: path.to_path_buf(),
        })
    }

    fn open_file(&self, path: &str) -> nix::Result<File> {
        let how = OpenHow::new()
            .flags(OFlag::O_RDONLY | OFlag::O_CLOEXEC)
            .resolve(ResolveFlag::RESOLVE_IN_ROOT | ResolveFlag::RESOLVE_NO_MAGICLINKS);
        nix::fcntl::openat2(&self.root, path, how).map(File::from)
    }
}

impl BlobSource for LayoutDir {
    fn open(&self, path: &str) -> Result<Box<dyn Read + '_>, ContainerError> {
        let file = self.open_file(path).map_err(|e| {
            ContainerError::system(format!("open {} in {}", path, self.path.display()), e)
        })?;
        Ok(Box::new(file))
    }

    fn exists(&self, path: &str) -> bool {
        self.open_file(path).is_ok()
    }
}
