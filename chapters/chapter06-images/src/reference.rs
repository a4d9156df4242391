//! Image references: `busybox`, `busybox:1.36`, `127.0.0.1:5000/team/app:v2`,
//! `alpine@sha256:…` — read the way docker reads them.
//!
//! - The first part is a registry only if it looks like a host: it has a `.` or a `:`, or
//!   is `localhost`. Otherwise the registry is Docker Hub, `docker.io`.
//! - On Docker Hub, a one-part name is an official image: `busybox` is `library/busybox`.
//! - Without a tag or digest, the tag is `latest`.
//! - Repository names are lowercase letters and digits, joined by `.`, `_`, `__` or dashes;
//!   tags are up to 128 of letters, digits, `_`, `.`, `-`, not starting with `.` or `-`.
//!
//! Docker shows the short ("familiar") form: `busybox:latest`, not
//! `docker.io/library/busybox:latest`.

use std::fmt;

use crate::digest::Digest;

/// Docker Hub's name in references, and the host its registry API answers on.
pub const DOCKER_HUB: &str = "docker.io";
pub const DOCKER_HUB_API: &str = "registry-1.docker.io";

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Reference {
    /// `docker.io`, `127.0.0.1:5000`, `localhost`, ...
    pub domain: String,
    /// The repository path at that registry: `library/busybox`, `team/app`.
    pub path: String,
    pub tag: Option<String>,
    pub digest: Option<Digest>,
}

fn invalid(text: &str, why: &str) -> String {
    format!("invalid reference format {text:?}: {why}")
}

// ANCHOR: parse
impl Reference {
    pub fn parse(text: &str) -> Result<Self, String> {
        if text.is_empty() {
            return Err(invalid(text, "it is empty"));
        }
        let (rest, digest) = match text.split_once('@') {
            Some((rest, digest)) => (
                rest,
                Some(Digest::parse(digest).map_err(|e| invalid(text, &e))?),
            ),
            None => (text, None),
        };
        // A tag is after the last colon that comes after the last slash (a colon before
        // it belongs to a registry port).
        let last_slash = rest.rfind('/').map_or(0, |i| i + 1);
        let (name, tag) = match rest[last_slash..].rfind(':') {
            Some(i) => (&rest[..last_slash + i], Some(&rest[last_slash + i + 1..])),
            None => (rest, None),
        };
        if let Some(tag) = tag {
            check_tag(tag).map_err(|why| invalid(text, &why))?;
        }
        let (domain, path) = match name.split_once('/') {
            Some((first, rest))
                if first.contains('.') || first.contains(':') || first == "localhost" =>
            {
                check_domain(first).map_err(|why| invalid(text, &why))?;
                (first.to_owned(), rest.to_owned())
            }
            _ => (DOCKER_HUB.to_owned(), name.to_owned()),
        };
        let path = if domain == DOCKER_HUB && !path.contains('/') {
            format!("library/{path}")
        } else {
            path
        };
        check_path(&path).map_err(|why| invalid(text, &why))?;
        if domain.len() + 1 + path.len() > 255 {
            return Err(invalid(text, "the name is longer than 255 characters"));
        }
        let tag = match (tag, &digest) {
            (Some(tag), _) => Some(tag.to_owned()),
            (None, Some(_)) => None,
            (None, None) => Some("latest".to_owned()),
        };
        Ok(Reference {
            domain,
            path,
            tag,
            digest,
        })
    }
}
// ANCHOR_END: parse

fn check_tag(tag: &str) -> Result<(), String> {
    let valid_char = |c: char| c.is_ascii_alphanumeric() || c == '_' || c == '.' || c == '-';
    match tag.chars().next() {
        None => Err("the tag is empty".into()),
        Some('.' | '-') => Err(format!("tag {tag:?} starts with '.' or '-'")),
        _ if tag.len() > 128 => Err(format!("tag {tag:?} is longer than 128 characters")),
        _ if !tag.chars().all(valid_char) => Err(format!(
            "tag {tag:?} may only hold letters, digits, '_', '.' and '-'"
        )),
        _ => Ok(()),
    }
}

fn check_domain(domain: &str) -> Result<(), String> {
    let (host, port) = match domain.rsplit_once(':') {
        Some((host, port)) => (host, Some(port)),
        None => (domain, None),
    };
    if let Some(port) = port {
        if port.is_empty() || !port.bytes().all(|b| b.is_ascii_digit()) {
            return Err(format!("registry port {port:?} is not a number"));
        }
    }
    let label_ok = |label: &str| {
        !label.is_empty()
            && label
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-')
            && !label.starts_with('-')
            && !label.ends_with('-')
    };
    if host.split('.').all(label_ok) {
        Ok(())
    } else {
        Err(format!("registry host {host:?} is not a valid host name"))
    }
}

fn check_path(path: &str) -> Result<(), String> {
    if path != path.to_ascii_lowercase() {
        return Err(format!("repository name {path:?} must be lowercase"));
    }
    for component in path.split('/') {
        if !path_component_ok(component) {
            return Err(format!(
                "repository name component {component:?} must be lowercase letters and digits, \
                 joined by '.', '_', '__' or '-'"
            ));
        }
    }
    Ok(())
}

/// `[a-z0-9]+` joined by `.`, `_`, `__` or any run of `-`.
fn path_component_ok(component: &str) -> bool {
    let bytes = component.as_bytes();
    let alnum = |b: &u8| b.is_ascii_lowercase() || b.is_ascii_digit();
    if bytes.is_empty() || !alnum(&bytes[0]) || !alnum(&bytes[bytes.len() - 1]) {
        return false;
    }
    let mut i = 0;
    while i < bytes.len() {
        if alnum(&bytes[i]) {
            i += 1;
            continue;
        }
        let start = i;
        while i < bytes.len() && !alnum(&bytes[i]) {
            i += 1;
        }
        let separator = &component[start..i];
        let dashes = separator.bytes().all(|b| b == b'-');
        if !(separator == "." || separator == "_" || separator == "__" || dashes) {
            return false;
        }
    }
    true
}

impl Reference {
    /// The repository as docker shows it: `busybox`, `team/app` (on Docker Hub), or
    /// `127.0.0.1:5000/team/app`.
    pub fn repository(&self) -> String {
        if self.domain == DOCKER_HUB {
            self.path
                .strip_prefix("library/")
                .unwrap_or(&self.path)
                .to_owned()
        } else {
            format!("{}/{}", self.domain, self.path)
        }
    }

    /// The host (and port) the registry API answers on.
    pub fn api_host(&self) -> &str {
        if self.domain == DOCKER_HUB {
            DOCKER_HUB_API
        } else {
            &self.domain
        }
    }

    /// `repository:tag`, the key docker's repositories.json uses for a tag.
    pub fn tagged(&self) -> Option<String> {
        self.tag
            .as_ref()
            .map(|tag| format!("{}:{tag}", self.repository()))
    }
}

impl fmt::Display for Reference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.repository())?;
        if let Some(tag) = &self.tag {
            write!(f, ":{tag}")?;
        }
        if let Some(digest) = &self.digest {
            write!(f, "@{digest}")?;
        }
        Ok(())
    }
}
