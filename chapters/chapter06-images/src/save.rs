//! `docker save`: images out of the store as one tar, in the shape docker 25+ writes — an
//! OCI image layout with docker's `manifest.json` beside it, so both kinds of tools read it:
//!
//! ```text
//! blobs/sha256/<diff-id>      each layer, uncompressed: its digest is its DiffID
//! blobs/sha256/<image-id>     each config: its digest is the image ID
//! blobs/sha256/<manifest>     an OCI manifest per image
//! index.json  oci-layout      the OCI layout
//! manifest.json               docker's list: Config, RepoTags, Layers (paths into blobs/)
//! ```
//!
//! Layers come back byte for byte from their tar-split records (see `tar_split`), so the
//! saved layers match the DiffIDs in the configs and the image IDs do not change.

use std::collections::HashSet;
use std::io::Write;

use chapter05::chapter04::chapter03::chapter01::ContainerError;
use serde_json::json;
use tar::{Builder, EntryType, Header};

use crate::digest::Digest;
use crate::manifest::{
    Descriptor, Index, Manifest, IMAGE_NAME, OCI_CONFIG, OCI_INDEX, OCI_LAYER, OCI_MANIFEST,
    REF_NAME,
};
use crate::reference::Reference;
use crate::repositories::Repositories;
use crate::store::ImageStore;

fn io(what: &str) -> impl FnOnce(std::io::Error) -> ContainerError + '_ {
    move |error| ContainerError::io(what, error)
}

/// A regular-file header: mode 0644, owned by root, dated 1970 like docker's (so two saves
/// of the same images are the same bytes).
fn header(size: u64) -> Header {
    let mut header = Header::new_ustar();
    header.set_entry_type(EntryType::Regular);
    header.set_mode(0o644);
    header.set_size(size);
    header.set_mtime(0);
    header
}

fn add_bytes<W: Write>(
    tar: &mut Builder<W>,
    path: &str,
    bytes: &[u8],
) -> Result<(), ContainerError> {
    tar.append_data(&mut header(bytes.len() as u64), path, bytes)
        .map_err(io("write the archive"))
}

// ANCHOR: save
/// Writes the images `names` (names or IDs) to `out` as one archive.
pub fn save(store: &ImageStore, names: &[String], out: impl Write) -> Result<(), ContainerError> {
    let repositories = Repositories::load(store.root())?;
    let mut tar = Builder::new(out);
    let mut written: HashSet<Digest> = HashSet::new();
    let mut docker_manifest = Vec::new();
    let mut index = Index {
        schema_version: 2,
        media_type: Some(OCI_INDEX.to_owned()),
        manifests: Vec::new(),
    };
    for name in names {
        let image = store.image(&store.resolve(name)?)?;
        // The names to save: the one asked for if it is a name, else all of the image's.
        let asked = Reference::parse(name)
            .ok()
            .filter(|r| repositories.resolve(r).as_ref() == Some(&image.id));
        let tags: Vec<String> = match asked {
            Some(reference) => reference.tagged().into_iter().collect(),
            None => repositories.tags_of(&image.id),
        };
        let mut layers = Vec::new();
        for layer in store.image_layers(&image)? {
            let path = format!("blobs/sha256/{}", layer.diff_id.hex());
            let size = store.layers.tar_size(&layer)?;
            if written.insert(layer.diff_id.clone()) {
                add_layer(&mut tar, &path, size, |out| {
                    store.layers.write_tar(&layer, out)
                })?;
            }
            layers.push((path, layer.diff_id.clone(), size));
        }
        let config_path = format!("blobs/sha256/{}", image.id.hex());
        if written.insert(image.id.clone()) {
            add_bytes(&mut tar, &config_path, &image.raw)?;
        }
        let manifest = Manifest {
            schema_version: 2,
            media_type: Some(OCI_MANIFEST.to_owned()),
            config: descriptor(OCI_CONFIG, image.id.clone(), image.raw.len() as u64),
            layers: layers
                .iter()
                .map(|(_, digest, size)| descriptor(OCI_LAYER, digest.clone(), *size))
                .collect(),
        };
        let manifest_bytes = serde_json::to_vec(&manifest).unwrap_or_default();
        let manifest_digest = Digest::of(&manifest_bytes);
        if written.insert(manifest_digest.clone()) {
            add_bytes(
                &mut tar,
                &format!("blobs/sha256/{}", manifest_digest.hex()),
                &manifest_bytes,
            )?;
        }
        let mut entry = descriptor(
            OCI_MANIFEST,
            manifest_digest.clone(),
            manifest_bytes.len() as u64,
        );
        if let Some(Ok(reference)) = tags.first().map(|t| Reference::parse(t)) {
            entry.annotations.insert(
                IMAGE_NAME.to_owned(),
                format!(
                    "{}/{}:{}",
                    reference.domain,
                    reference.path,
                    reference.tag.clone().unwrap_or_default()
                ),
            );
            entry.annotations.insert(
                REF_NAME.to_owned(),
                reference.tag.clone().unwrap_or_default(),
            );
        }
        index.manifests.push(entry);
        docker_manifest.push(json!({
            "Config": config_path,
            "RepoTags": tags,
            "Layers": layers.iter().map(|(path, _, _)| path.clone()).collect::<Vec<_>>(),
        }));
    }
    add_bytes(
        &mut tar,
        "index.json",
        &serde_json::to_vec(&index).unwrap_or_default(),
    )?;
    add_bytes(&mut tar, "oci-layout", br#"{"imageLayoutVersion":"1.0.0"}"#)?;
    add_bytes(
        &mut tar,
        "manifest.json",
        &serde_json::to_vec(&docker_manifest).unwrap_or_default(),
    )?;
    tar.into_inner()
        .and_then(|mut out| out.flush())
        .map_err(io("finish the archive"))
}
// ANCHOR_END: save

fn descriptor(media_type: &str, digest: Digest, size: u64) -> Descriptor {
    Descriptor {
        media_type: media_type.to_owned(),
        digest,
        size,
        annotations: Default::default(),
        platform: None,
    }
}

/// A member whose content is written by `write` (exactly `size` bytes): the header, the
/// content streamed straight into the archive, then the padding to a 512-byte block.
fn add_layer<W: Write>(
    tar: &mut Builder<W>,
    path: &str,
    size: u64,
    write: impl FnOnce(&mut W) -> Result<(), ContainerError>,
) -> Result<(), ContainerError> {
    let mut header = header(size);
    header.set_path(path).map_err(io("name a layer"))?;
    header.set_cksum();
    let out = tar.get_mut();
    out.write_all(header.as_bytes())
        .map_err(io("write the archive"))?;
    write(out)?;
    let padding = (512 - size % 512) % 512;
    out.write_all(&vec![0u8; padding as usize])
        .map_err(io("write the archive"))
}
