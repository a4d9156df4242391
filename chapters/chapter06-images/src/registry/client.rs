//! A registry client: the few GETs a pull needs, with token auth and careful redirects.
//!
//! - **Scheme.** HTTPS, except for registries on loopback (`localhost`, `127.0.0.0/8`,
//!   `::1`), which docker also treats as insecure by default: plain HTTP.
//! - **Auth.** On a `401` with a Bearer challenge we fetch a token once and retry; the
//!   token is reused for the repository's other requests (see `auth`).
//! - **Redirects** are followed by hand, at most five: registries send blob downloads to a
//!   storage host, and the `Authorization` header must not follow to another host — it is
//!   a credential for the registry, and the storage host would learn it.

use std::io::Read;
use std::time::Duration;

use chapter05::chapter04::chapter03::chapter01::ContainerError;

use crate::digest::Digest;
use crate::reference::Reference;
use crate::registry::auth::parse_challenge;

/// What a manifest request may get back, most specific first.
pub const MANIFEST_ACCEPT: &str = "application/vnd.oci.image.index.v1+json, \
     application/vnd.docker.distribution.manifest.list.v2+json, \
     application/vnd.oci.image.manifest.v1+json, \
     application/vnd.docker.distribution.manifest.v2+json";

#[derive(Clone)]
pub struct RegistryClient {
    agent: ureq::Agent,
    /// `http://127.0.0.1:5000` or `https://registry-1.docker.io`.
    base: String,
    /// The repository path: `library/busybox`.
    repository: String,
    token: Option<String>,
}

/// A response whose status we look at ourselves (ureq reports 4xx/5xx as errors).
pub struct Reply {
    pub status: u16,
    pub response: ureq::Response,
}

fn failed(what: &str, error: impl std::fmt::Display) -> ContainerError {
    ContainerError::Invalid(format!("{what}: {error}"))
}

/// Whether a registry host (`host` or `host:port`) is on loopback.
pub fn is_loopback(host: &str) -> bool {
    let name = if let Some(rest) = host.strip_prefix('[') {
        rest.split(']').next().unwrap_or("")
    } else {
        host.rsplit_once(':').map_or(host, |(name, _)| name)
    };
    name == "localhost" || name == "::1" || name.starts_with("127.")
}

/// `scheme://host[:port]` of a URL, to compare origins.
fn origin(url: &str) -> &str {
    let after_scheme = url.find("://").map_or(0, |i| i + 3);
    let end = url[after_scheme..]
        .find('/')
        .map_or(url.len(), |i| after_scheme + i);
    &url[..end]
}

impl RegistryClient {
    pub fn new(reference: &Reference) -> Self {
        let host = reference.api_host();
        let scheme = if is_loopback(host) { "http" } else { "https" };
        let agent = ureq::AgentBuilder::new()
            .redirects(0)
            .timeout_connect(Duration::from_secs(15))
            .timeout_read(Duration::from_secs(60))
            .user_agent(concat!("mini-docker/", env!("CARGO_PKG_VERSION")))
            .build();
        RegistryClient {
            agent,
            base: format!("{scheme}://{host}"),
            repository: reference.path.clone(),
            token: None,
        }
    }

    fn send(
        &self,
        url: &str,
        headers: &[(&str, String)],
        with_auth: bool,
    ) -> Result<Reply, ContainerError> {
        let mut request = self.agent.get(url);
        for (name, value) in headers {
            request = request.set(name, value);
        }
        if let (true, Some(token)) = (with_auth, &self.token) {
            request = request.set("Authorization", &format!("Bearer {token}"));
        }
        match request.call() {
            Ok(response) => Ok(Reply {
                status: response.status(),
                response,
            }),
            Err(ureq::Error::Status(status, response)) => Ok(Reply { status, response }),
            Err(ureq::Error::Transport(transport)) => {
                // "Connect error" and its cause ("Connection refused"), without the URL
                // ureq's own message repeats.
                let mut why = transport
                    .message()
                    .map_or_else(|| transport.kind().to_string(), str::to_owned);
                if let Some(cause) = std::error::Error::source(&transport) {
                    why.push_str(&format!(": {cause}"));
                }
                Err(failed(&format!("cannot reach {}", origin(url)), why))
            }
        }
    }

    // ANCHOR: get
    /// `GET <base><path>`: authenticates when challenged, follows redirects without taking
    /// the token to another host. Returns the final reply, whatever its status.
    pub fn get(&mut self, path: &str, headers: &[(&str, String)]) -> Result<Reply, ContainerError> {
        let mut reply = self.send(&format!("{}{path}", self.base), headers, true)?;
        if reply.status == 401 {
            let challenge = reply
                .response
                .header("WWW-Authenticate")
                .and_then(parse_challenge);
            match challenge {
                Some(challenge) if challenge.scheme == "bearer" => {
                    self.token = Some(self.fetch_token(&challenge)?);
                    reply = self.send(&format!("{}{path}", self.base), headers, true)?;
                }
                _ => {}
            }
        }
        for _ in 0..5 {
            if !matches!(reply.status, 301 | 302 | 303 | 307 | 308) {
                return Ok(reply);
            }
            let location = reply
                .response
                .header("Location")
                .ok_or_else(|| failed("redirect", "no Location header"))?;
            let next = if location.starts_with('/') {
                format!("{}{location}", self.base)
            } else {
                location.to_owned()
            };
            let same_host = origin(&next) == origin(&self.base);
            reply = self.send(&next, headers, same_host)?;
        }
        Err(failed(path, "too many redirects"))
    }
    // ANCHOR_END: get

    fn fetch_token(
        &self,
        challenge: &crate::registry::auth::Challenge,
    ) -> Result<String, ContainerError> {
        let url = challenge
            .token_url(&self.repository)
            .ok_or_else(|| failed("authentication", "the challenge has no realm"))?;
        let reply = self.send(&url, &[], false)?;
        if reply.status != 200 {
            return Err(failed(
                &format!("the token service {}", origin(&url)),
                format!("answered {}", reply.status),
            ));
        }
        let body: serde_json::Value =
            serde_json::from_reader(reply.response.into_reader().take(1 << 20))
                .map_err(|e| failed("the token service's answer", e))?;
        body["token"]
            .as_str()
            .or_else(|| body["access_token"].as_str())
            .map(str::to_owned)
            .ok_or_else(|| failed("the token service's answer", "it holds no token"))
    }

    /// A manifest or index by tag or digest: its bytes, media type, and digest (checked
    /// against the request when it was a digest, and against `Docker-Content-Digest`).
    pub fn manifest(
        &mut self,
        reference: &str,
    ) -> Result<(Vec<u8>, String, Digest), ContainerError> {
        let path = format!("/v2/{}/manifests/{reference}", self.repository);
        let reply = self.get(&path, &[("Accept", MANIFEST_ACCEPT.to_owned())])?;
        self.check_status(&reply, &format!("manifest {}:{reference}", self.repository))?;
        let media_type = reply
            .response
            .header("Content-Type")
            .unwrap_or_default()
            .split(';')
            .next()
            .unwrap_or_default()
            .trim()
            .to_owned();
        let announced = reply
            .response
            .header("Docker-Content-Digest")
            .map(str::to_owned);
        let mut bytes = Vec::new();
        reply
            .response
            .into_reader()
            .take(4 << 20)
            .read_to_end(&mut bytes)
            .map_err(|e| failed("read a manifest", e))?;
        let digest = Digest::of(&bytes);
        let expected = Digest::parse(reference)
            .ok()
            .or(announced.and_then(|d| Digest::parse(&d).ok()));
        if let Some(expected) = expected {
            if expected != digest {
                return Err(ContainerError::Invalid(format!(
                    "manifest {expected} is corrupt: its content has digest {digest}"
                )));
            }
        }
        Ok((bytes, media_type, digest))
    }

    /// A blob, from byte `from` on: the reply (206 when the registry honoured the range).
    pub fn blob(&mut self, digest: &Digest, from: u64) -> Result<Reply, ContainerError> {
        let path = format!("/v2/{}/blobs/{digest}", self.repository);
        let headers = if from > 0 {
            vec![("Range", format!("bytes={from}-"))]
        } else {
            Vec::new()
        };
        let reply = self.get(&path, &headers)?;
        self.check_status(&reply, &format!("blob {digest}"))?;
        Ok(reply)
    }

    fn check_status(&self, reply: &Reply, what: &str) -> Result<(), ContainerError> {
        match reply.status {
            200 | 206 => Ok(()),
            401 | 403 => Err(failed(
                what,
                format!(
                    "access denied by {} ({}): the repository may not exist or may need a login",
                    self.base, reply.status
                ),
            )),
            404 => Err(failed(what, format!("not found on {}", self.base))),
            other => Err(failed(what, format!("{} answered {other}", self.base))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_registries_and_origins() {
        assert!(is_loopback("127.0.0.1:5000"));
        assert!(is_loopback("localhost"));
        assert!(is_loopback("[::1]:5000"));
        assert!(!is_loopback("registry-1.docker.io"));
        assert!(!is_loopback("10.0.0.1:5000"));
        assert_eq!(
            origin("http://127.0.0.1:5000/v2/x"),
            "http://127.0.0.1:5000"
        );
        assert_ne!(
            origin("http://127.0.0.1:5001/blob"),
            origin("http://127.0.0.1:5000/v2/")
        );
    }
}
