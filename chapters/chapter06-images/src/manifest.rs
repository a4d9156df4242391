//! Manifests and indexes: the JSON documents that tie an image's config and layers together
//! by digest, in the OCI spelling and docker's (they differ in media types only).
//!
//! - a **manifest** names one image: its config blob and its layer blobs, bottom first;
//! - an **index** (docker: "manifest list") names manifests, one per platform
//!   (linux/amd64, linux/arm64, ...); we pick the one for this machine.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::config::host_architecture;
use crate::digest::Digest;

pub const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";
pub const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
pub const OCI_CONFIG: &str = "application/vnd.oci.image.config.v1+json";
pub const OCI_LAYER: &str = "application/vnd.oci.image.layer.v1.tar";
pub const OCI_LAYER_GZIP: &str = "application/vnd.oci.image.layer.v1.tar+gzip";
pub const DOCKER_MANIFEST_LIST: &str = "application/vnd.docker.distribution.manifest.list.v2+json";
pub const DOCKER_MANIFEST: &str = "application/vnd.docker.distribution.manifest.v2+json";
pub const DOCKER_LAYER_GZIP: &str = "application/vnd.docker.image.rootfs.diff.tar.gzip";

/// The annotation an OCI layout uses for a tag (`latest`), and the one containerd and
/// docker add for the full name (`docker.io/library/busybox:latest`).
pub const REF_NAME: &str = "org.opencontainers.image.ref.name";
pub const IMAGE_NAME: &str = "io.containerd.image.name";

/// A pointer to a blob: what it is, its digest, its size.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Descriptor {
    pub media_type: String,
    pub digest: Digest,
    pub size: u64,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub annotations: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub platform: Option<Platform>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Platform {
    pub architecture: String,
    pub os: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub variant: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Index {
    pub schema_version: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub media_type: Option<String>,
    pub manifests: Vec<Descriptor>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Manifest {
    pub schema_version: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub media_type: Option<String>,
    pub config: Descriptor,
    pub layers: Vec<Descriptor>,
}

/// Whether a media type names an index (OCI) or a manifest list (docker).
pub fn is_index(media_type: &str) -> bool {
    media_type == OCI_INDEX || media_type == DOCKER_MANIFEST_LIST
}

/// Layer media types we can unpack: plain or gzip tars, OCI or docker spelling.
pub fn check_layer_type(media_type: &str) -> Result<(), String> {
    match media_type {
        OCI_LAYER | OCI_LAYER_GZIP | DOCKER_LAYER_GZIP => Ok(()),
        "application/vnd.docker.image.rootfs.diff.tar" => Ok(()),
        other if other.contains("zstd") => Err(format!(
            "layer type {other} is zstd-compressed, which is not supported; use gzip"
        )),
        other if other.contains("nondistributable") || other.contains("foreign") => Err(format!(
            "layer type {other} must be fetched from elsewhere, which is not supported"
        )),
        other => Err(format!("unknown layer type {other}")),
    }
}

// ANCHOR: pick_platform
/// The manifest of an index for linux on this machine's architecture. Entries without a
/// platform count as a match only when they are the only entry.
pub fn pick_platform(index: &Index) -> Result<&Descriptor, String> {
    let arch = host_architecture();
    let fits = |d: &&Descriptor| {
        d.platform
            .as_ref()
            .is_some_and(|p| p.os == "linux" && p.architecture == arch)
    };
    if let Some(found) = index.manifests.iter().find(fits) {
        return Ok(found);
    }
    match index.manifests.as_slice() {
        [only] if only.platform.is_none() => Ok(only),
        _ => {
            let offered: Vec<String> = index
                .manifests
                .iter()
                .filter_map(|d| d.platform.as_ref())
                .map(|p| format!("{}/{}", p.os, p.architecture))
                .collect();
            Err(format!(
                "no image for linux/{arch}: the index offers {}",
                if offered.is_empty() {
                    "no platforms".to_owned()
                } else {
                    offered.join(", ")
                }
            ))
        }
    }
}
// ANCHOR_END: pick_platform
