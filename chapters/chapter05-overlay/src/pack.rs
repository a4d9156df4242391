//! Overlay form → layer tar: a container's upper directory as an image layer (`commit`),
//! or any directory tree as a tar (`export` writes the merged view with it).
//!
//! The tar is deterministic for a given tree: entries in name order, parents before their
//! children, no user or group names (only numbers), no access times. Two packs of the same
//! tree give the same bytes, so the same DiffID (chapter 6).

use std::collections::HashMap;
use std::fs::{File, Metadata};
use std::io::{Read, Write};
use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

use chapter04::chapter03::chapter01::ContainerError;
use tar::{Builder, EntryType, Header};

use crate::upper::{kind_of, EntryKind};
use crate::whiteout::tar_paths;

/// The PAX record prefix for an extended attribute (the name GNU tar and Go's archive/tar use).
pub const PAX_XATTR: &str = "SCHILY.xattr.";

/// What [`pack_layer`] wrote.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Packed {
    pub entries: u64,
    /// Bytes of regular-file content.
    pub bytes: u64,
}

// ANCHOR: pack_layer
/// Writes the tree under `dir` to `out` as a layer tar: whiteouts become `.wh.` files, opaque
/// directories get a `.wh..wh..opq` marker, files linked more than once are stored once and
/// then as hardlinks. A device node other than a whiteout is refused (layers never carry
/// them, see [`crate::unpack`]); a socket is skipped, as every tar does: it is a live
/// endpoint, not data.
pub fn pack_layer(dir: &Path, out: impl Write) -> Result<Packed, ContainerError> {
    let mut packer = Packer {
        builder: Builder::new(out),
        root: dir.to_path_buf(),
        first_links: HashMap::new(),
        packed: Packed::default(),
    };
    packer.directory(dir)?;
    packer
        .builder
        .into_inner()
        .and_then(|mut out| out.flush())
        .map_err(|e| ContainerError::io("finish the tar", e))?;
    Ok(packer.packed)
}
// ANCHOR_END: pack_layer

struct Packer<W: Write> {
    builder: Builder<W>,
    root: PathBuf,
    /// (device, inode) of files with more than one link → the tar name they were stored as.
    first_links: HashMap<(u64, u64), String>,
    packed: Packed,
}

impl<W: Write> Packer<W> {
    fn directory(&mut self, dir: &Path) -> Result<(), ContainerError> {
        let read = std::fs::read_dir(dir)
            .map_err(|e| ContainerError::io(format!("read {}", dir.display()), e))?;
        let mut children: Vec<PathBuf> = read.flatten().map(|entry| entry.path()).collect();
        children.sort();
        for path in children {
            let metadata = std::fs::symlink_metadata(&path)
                .map_err(|e| ContainerError::io(format!("stat {}", path.display()), e))?;
            self.entry(&path, &metadata)?;
            if metadata.is_dir() {
                self.directory(&path)?;
            }
        }
        Ok(())
    }

    // ANCHOR: entry
    fn entry(&mut self, path: &Path, metadata: &Metadata) -> Result<(), ContainerError> {
        let inside = format!(
            "/{}",
            path.strip_prefix(&self.root).unwrap_or(path).display()
        );
        let kind = kind_of(path, metadata);
        let names = tar_paths(&inside, &kind);
        let file_type = metadata.file_type();
        let fail = |e: std::io::Error| ContainerError::io(format!("add {inside} to the tar"), e);
        match kind {
            EntryKind::Whiteout => return self.marker(&names[0], metadata).map_err(fail),
            EntryKind::Other if is_socket(metadata) => return Ok(()),
            EntryKind::Other if !std::os::unix::fs::FileTypeExt::is_fifo(&file_type) => {
                return Err(ContainerError::Invalid(format!(
                    "{inside} is a device node: layers do not carry device nodes"
                )))
            }
            _ => {}
        }
        let name = &names[0];
        let own_name = path.file_name().unwrap_or_default().as_encoded_bytes();
        if own_name.starts_with(crate::whiteout::WHITEOUT_PREFIX.as_bytes()) {
            return Err(ContainerError::Invalid(format!(
                "{inside}: a name starting with {} would read as a whiteout in a layer tar",
                crate::whiteout::WHITEOUT_PREFIX
            )));
        }
        self.xattrs(path).map_err(fail)?;
        let mut header = header_from(metadata);
        self.packed.entries += 1;
        match kind {
            EntryKind::Directory { opaque } => {
                header.set_entry_type(EntryType::Directory);
                self.builder
                    .append_data(&mut header, name, std::io::empty())
                    .map_err(fail)?;
                if opaque {
                    self.marker(&names[1], metadata).map_err(fail)?;
                }
            }
            EntryKind::Symlink { .. } => {
                let target = std::fs::read_link(path).map_err(fail)?;
                header.set_entry_type(EntryType::Symlink);
                // A symlink's target is bytes, not a path to tidy up: `//` and `a/./b`
                // must come back as they were. Short targets go in the header literally;
                // long ones in a GNU long-link record, which is literal too.
                let bytes = target.as_os_str().as_encoded_bytes();
                if bytes.len() < 100 {
                    header.set_link_name_literal(bytes).map_err(fail)?;
                    self.builder
                        .append_data(&mut header, name, std::io::empty())
                        .map_err(fail)?;
                } else {
                    self.builder
                        .append_link(&mut header, name, target)
                        .map_err(fail)?;
                }
            }
            EntryKind::File { size } => {
                let key = (metadata.dev(), metadata.ino());
                if let Some(first) = self.first_links.get(&key) {
                    header.set_entry_type(EntryType::Link);
                    let first = first.clone();
                    return self
                        .builder
                        .append_link(&mut header, name, first)
                        .map_err(fail);
                }
                if metadata.nlink() > 1 {
                    self.first_links.insert(key, name.clone());
                }
                let file = File::options()
                    .read(true)
                    .custom_flags(libc::O_NOFOLLOW)
                    .open(path)
                    .map_err(fail)?;
                header.set_entry_type(EntryType::Regular);
                header.set_size(size);
                // At most `size` bytes: the header has promised exactly that many.
                self.builder
                    .append_data(&mut header, name, file.take(size))
                    .map_err(fail)?;
                self.packed.bytes += size;
            }
            _ => {
                header.set_entry_type(EntryType::Fifo);
                self.builder
                    .append_data(&mut header, name, std::io::empty())
                    .map_err(fail)?;
            }
        }
        Ok(())
    }
    // ANCHOR_END: entry

    /// An empty marker file (`.wh.<name>` or `.wh..wh..opq`), owned like what it marks.
    fn marker(&mut self, name: &str, metadata: &Metadata) -> std::io::Result<()> {
        let mut header = header_from(metadata);
        header.set_entry_type(EntryType::Regular);
        header.set_mode(0o600);
        self.packed.entries += 1;
        self.builder
            .append_data(&mut header, name, std::io::empty())
    }

    /// The attributes that travel ([`crate::xattr::carried`]) as one PAX header before the entry.
    fn xattrs(&mut self, path: &Path) -> std::io::Result<()> {
        let attributes = crate::xattr::carried_list(path)?;
        let records: Vec<(String, &[u8])> = attributes
            .iter()
            .map(|(name, value)| (format!("{PAX_XATTR}{name}"), value.as_slice()))
            .collect();
        self.builder
            .append_pax_extensions(records.iter().map(|(key, value)| (key.as_str(), *value)))
    }
}

fn is_socket(metadata: &Metadata) -> bool {
    std::os::unix::fs::FileTypeExt::is_socket(&metadata.file_type())
}

/// Mode, owner and modification time; sizes and types are set by the caller.
fn header_from(metadata: &Metadata) -> Header {
    let mut header = Header::new_gnu();
    header.set_mode(metadata.mode() & 0o7777);
    header.set_uid(u64::from(metadata.uid()));
    header.set_gid(u64::from(metadata.gid()));
    header.set_mtime(u64::try_from(metadata.mtime()).unwrap_or(0));
    header.set_size(0);
    header
}
