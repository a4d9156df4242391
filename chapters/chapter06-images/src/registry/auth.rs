//! Registry authentication, the anonymous Bearer-token dance (Docker's "token auth"):
//!
//! 1. a request without a token gets `401` and a challenge:
//!    `WWW-Authenticate: Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/busybox:pull"`;
//! 2. the client asks the realm for a token: `GET <realm>?service=<service>&scope=repository:<name>:pull`;
//! 3. it gets `{"token": "…"}` (some servers say `access_token`) and repeats the request
//!    with `Authorization: Bearer <token>`.
//!
//! Parsing the challenge is pure and tested here; fetching is in `client`.

use std::collections::BTreeMap;

/// A parsed `WWW-Authenticate` challenge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Challenge {
    /// `Bearer` or `Basic` (lowercased).
    pub scheme: String,
    pub params: BTreeMap<String, String>,
}

// ANCHOR: parse_challenge
/// Reads `Scheme key="value",key2="value, with comma",key3=token`.
pub fn parse_challenge(header: &str) -> Option<Challenge> {
    let header = header.trim();
    let (scheme, rest) = header.split_once(' ').unwrap_or((header, ""));
    let mut params = BTreeMap::new();
    let mut chars = rest.chars().peekable();
    loop {
        while chars.peek().is_some_and(|c| *c == ',' || c.is_whitespace()) {
            chars.next();
        }
        let key: String = chars.by_ref().take_while(|c| *c != '=').collect();
        if key.is_empty() {
            break;
        }
        let value = if chars.peek() == Some(&'"') {
            chars.next();
            let mut value = String::new();
            while let Some(c) = chars.next() {
                match c {
                    '"' => break,
                    '\\' => value.extend(chars.next()),
                    other => value.push(other),
                }
            }
            value
        } else {
            chars.by_ref().take_while(|c| *c != ',').collect()
        };
        params.insert(key.trim().to_ascii_lowercase(), value);
    }
    Some(Challenge {
        scheme: scheme.to_ascii_lowercase(),
        params,
    })
}
// ANCHOR_END: parse_challenge

impl Challenge {
    /// The token URL for pulling `repository`: the realm with `service` and `scope`.
    pub fn token_url(&self, repository: &str) -> Option<String> {
        let realm = self.params.get("realm")?;
        let mut url = format!("{realm}{}", if realm.contains('?') { '&' } else { '?' });
        if let Some(service) = self.params.get("service") {
            url.push_str(&format!("service={}&", encode(service)));
        }
        url.push_str(&format!(
            "scope={}",
            encode(&format!("repository:{repository}:pull"))
        ));
        Some(url)
    }
}

/// Percent-encodes a query value (RFC 3986 unreserved characters stay).
fn encode(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            other => format!("%{other:02X}"),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn docker_hub_s_challenge() {
        let challenge = parse_challenge(
            r#"Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/busybox:pull""#,
        )
        .unwrap();
        assert_eq!(challenge.scheme, "bearer");
        assert_eq!(challenge.params["service"], "registry.docker.io");
        assert_eq!(
            challenge.token_url("library/busybox").unwrap(),
            "https://auth.docker.io/token?service=registry.docker.io&scope=repository%3Alibrary%2Fbusybox%3Apull"
        );
        let quoted =
            parse_challenge(r#"Bearer realm="http://a/t?x=1",error="insufficient, scope""#)
                .unwrap();
        assert_eq!(quoted.params["error"], "insufficient, scope");
        assert!(quoted
            .token_url("r")
            .unwrap()
            .starts_with("http://a/t?x=1&scope="));
    }
}
