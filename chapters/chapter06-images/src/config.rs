//! The image config: the JSON document an image ID is the digest of.
//!
//! It says how to run the image (`config`: Env, Entrypoint, Cmd, WorkingDir, User, ...),
//! what its filesystem is (`rootfs.diff_ids`, bottom layer first) and how it was made
//! (`history`). We read what we use into typed fields and carry every other field along
//! untouched (`rest`), so a config we rewrite (commit) loses nothing.
//!
//! The bytes of a config we did not write are never re-serialized: the store keeps them as
//! they came, because re-encoding would change the image ID.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::digest::Digest;

/// The whole config (OCI image spec "config.json", with docker's extra fields carried).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ImageConfig {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created: Option<String>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub author: String,
    #[serde(default)]
    pub architecture: String,
    #[serde(default)]
    pub os: String,
    #[serde(default)]
    pub config: RunConfig,
    pub rootfs: RootFs,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub history: Vec<History>,
    #[serde(flatten)]
    pub rest: Map<String, Value>,
}

/// How to run the image: docker's `Config` (the same names as `docker inspect` shows).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct RunConfig {
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub user: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub env: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub entrypoint: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cmd: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub working_dir: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub stop_signal: String,
    #[serde(flatten)]
    pub rest: Map<String, Value>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RootFs {
    #[serde(rename = "type")]
    pub kind: String,
    pub diff_ids: Vec<Digest>,
}

/// One step of how the image was made. `empty_layer` steps changed only the config.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct History {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created: Option<String>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub created_by: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub author: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub comment: String,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub empty_layer: bool,
}

impl ImageConfig {
    /// Parses config bytes, naming what is wrong.
    pub fn parse(bytes: &[u8]) -> Result<Self, String> {
        let config: ImageConfig =
            serde_json::from_slice(bytes).map_err(|e| format!("invalid image config: {e}"))?;
        if config.rootfs.kind != "layers" {
            return Err(format!(
                "invalid image config: rootfs type {:?}, expected \"layers\"",
                config.rootfs.kind
            ));
        }
        Ok(config)
    }

    /// The bytes we store for a config we made: compact JSON, like docker writes.
    pub fn to_bytes(&self) -> Vec<u8> {
        // Serializing plain data (strings, vectors, JSON values) cannot fail.
        serde_json::to_vec(self).unwrap_or_default()
    }
}

/// The architecture name images use for this machine (Go's GOARCH names).
pub fn host_architecture() -> &'static str {
    match std::env::consts::ARCH {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        "arm" => "arm",
        "x86" => "386",
        "powerpc64" => "ppc64le",
        "s390x" => "s390x",
        "riscv64" => "riscv64",
        other => other,
    }
}

impl Serialize for Digest {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Digest {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Digest::parse(&text).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_fields_survive_a_round_trip() {
        let text = r#"{"architecture":"amd64","os":"linux","config":{"Env":["A=1"],"Cmd":["sh"],"Healthcheck":{"Test":["NONE"]}},"rootfs":{"type":"layers","diff_ids":[]},"docker_version":"27.0.1"}"#;
        let config = ImageConfig::parse(text.as_bytes()).unwrap();
        assert_eq!(config.config.cmd, Some(vec!["sh".to_owned()]));
        let again: Value = serde_json::from_slice(&config.to_bytes()).unwrap();
        assert_eq!(again["docker_version"], "27.0.1");
        assert_eq!(again["config"]["Healthcheck"]["Test"][0], "NONE");
    }
}
