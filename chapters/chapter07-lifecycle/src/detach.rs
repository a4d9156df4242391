//! The detach keys: the key sequence that makes an attached client let go of a container
//! without stopping it (`ctrl-p,ctrl-q` by default, docker's `--detach-keys`).
//!
//! The client reads its stdin in chunks and passes each through a [`DetachScanner`] before
//! sending it to the container. Bytes that could be the start of the sequence are held back;
//! if the next byte breaks the sequence the held bytes are sent after all (docker does the
//! same), and if the sequence completes the client detaches and the container never sees it.
//!
//! Unlike docker, which only recognises the sequence when each key arrives in a read of its
//! own, the scanner also finds it inside a larger chunk (a paste, or a slow terminal).
//!
//! Left out on purpose: no timeout — a held `ctrl-p` waits for the next key however long that
//! takes, as in docker.

/// Docker's default sequence.
pub const DEFAULT_DETACH_KEYS: &str = "ctrl-p,ctrl-q";

/// Parses docker's `--detach-keys` format into the bytes a terminal sends: comma-separated
/// keys, each `ctrl-<c>` with `<c>` one of `a`…`z`, `@`, `[`, `\`, `]`, `^`, `_`, or `DEL`, or a
/// single printable character.
pub fn parse_detach_keys(spec: &str) -> Result<Vec<u8>, String> {
    let unknown = |key| {
        format!(
            "invalid detach keys {spec:?}: unknown key {key:?}, expected ctrl-<a…z @ [ \\ ] ^ _>, \
             DEL or one printable character"
        )
    };
    spec.split(',')
        .map(|key| parse_key(key).ok_or_else(|| unknown(key)))
        .collect()
}

fn parse_key(key: &str) -> Option<u8> {
    if let Some(name) = key.strip_prefix("ctrl-") {
        // With ctrl held, a terminal sends the key's code with the top three bits cleared:
        // ctrl-@ is 0, ctrl-a is 1, ctrl-[ is 27 (escape). Docker takes only lowercase letters.
        return match name.as_bytes() {
            [code @ (b'a'..=b'z' | b'@' | b'[' | b'\\' | b']' | b'^' | b'_')] => Some(code & 0x1f),
            _ => None,
        };
    }
    match key.as_bytes() {
        [printable @ b' '..=b'~'] => Some(*printable),
        b"DEL" => Some(0x7f),
        _ => None,
    }
}

/// What to do with one chunk of stdin.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Scan {
    /// Bytes to send to the container now (send them even when `detach` is true).
    pub forward: Vec<u8>,
    /// The sequence completed: detach. Input after the sequence in the same chunk is dropped.
    pub detach: bool,
}

/// Watches a stream of stdin chunks for the detach sequence.
#[derive(Debug)]
pub struct DetachScanner {
    keys: Vec<u8>,
    /// The bytes read so far that match the beginning of `keys`.
    held: Vec<u8>,
}

impl DetachScanner {
    /// A scanner for `keys`; an empty sequence never detaches.
    pub fn new(keys: Vec<u8>) -> Self {
        DetachScanner {
            keys,
            held: Vec::new(),
        }
    }

    /// Scans one chunk of stdin; bytes held back stay held across calls.
    pub fn feed(&mut self, input: &[u8]) -> Scan {
        let mut scan = Scan::default();
        for &byte in input {
            self.held.push(byte);
            // Release bytes from the front until the rest could still start the sequence;
            // for `ctrl-p,ctrl-q`, typing ctrl-p twice releases one and keeps waiting.
            while !self.keys.starts_with(&self.held) {
                scan.forward.push(self.held.remove(0));
            }
            // What is held is a prefix of the sequence; as long as the sequence, it is all of it.
            if !self.held.is_empty() && self.held.len() == self.keys.len() {
                self.held.clear();
                scan.detach = true;
                break;
            }
        }
        scan
    }

    /// The held bytes, to send when stdin reaches end-of-file: no key can complete them now.
    pub fn finish(&mut self) -> Vec<u8> {
        std::mem::take(&mut self.held)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn parses_docker_key_names() {
        let cases: [(&str, &[u8]); 9] = [
            (DEFAULT_DETACH_KEYS, PQ),
            ("ctrl-a", &[1]),
            ("ctrl-z", &[26]),
            (
                "ctrl-@,ctrl-[,ctrl-\\,ctrl-],ctrl-^,ctrl-_",
                &[0, 27, 28, 29, 30, 31],
            ),
            ("a,b,c", b"abc"),
            ("ctrl-x,x", &[24, b'x']),
            ("DEL", &[127]),
            ("~", b"~"),
            (" ", b" "),
        ];
        for (spec, bytes) in cases {
            assert_eq!(parse_detach_keys(spec).unwrap(), bytes, "{spec}");
        }
    }

    #[test]
    fn rejects_unknown_keys() {
        for spec in [
            "", "ctrl-p,", "ctrl-P", "ctrl-1", "ctrl-", "ctrl", "ab", "é", "\t", "del",
        ] {
            let error = parse_detach_keys(spec).unwrap_err();
            assert!(error.starts_with("invalid detach keys"), "{spec}: {error}");
        }
        let error = parse_detach_keys("ctrl-p,ctrl-Q").unwrap_err();
        assert!(error.contains("unknown key \"ctrl-Q\""), "{error}");
    }

    /// Feeds `chunks` in order; returns everything forwarded and the chunk that detached.
    fn run(keys: &[u8], chunks: &[&[u8]]) -> (Vec<u8>, Option<usize>) {
        let mut scanner = DetachScanner::new(keys.to_vec());
        let mut forwarded = Vec::new();
        for (index, chunk) in chunks.iter().enumerate() {
            let scan = scanner.feed(chunk);
            forwarded.extend(scan.forward);
            if scan.detach {
                return (forwarded, Some(index));
            }
        }
        forwarded.extend(scanner.finish());
        (forwarded, None)
    }

    const P: u8 = 16; // ctrl-p
    const Q: u8 = 17; // ctrl-q
    const PQ: &[u8] = &[P, Q];

    /// Detach keys, stdin chunks, all bytes forwarded, index of the chunk that detaches.
    type Case = (
        &'static [u8],
        &'static [&'static [u8]],
        &'static [u8],
        Option<usize>,
    );

    #[test]
    fn scans_chunks() {
        let cases: [Case; 14] = [
            (PQ, &[b"ls\n"], b"ls\n", None),
            (PQ, &[&[P, Q]], b"", Some(0)),
            (PQ, &[&[P], &[Q]], b"", Some(1)),
            (PQ, &[b"ab", &[P], b"", &[Q], b"lost"], b"ab", Some(3)),
            (PQ, &[&[b'x', P, Q, b'y']], b"x", Some(0)),
            (PQ, &[&[P], b"x"], &[P, b'x'], None),
            (PQ, &[&[P, b'x', Q]], &[P, b'x', Q], None),
            (PQ, &[&[P], &[P], &[Q]], &[P], Some(2)),
            (PQ, &[&[Q, P]], &[Q, P], None),
            (PQ, &[&[P]], &[P], None),
            (b"aab", &[b"a", b"a", b"a", b"b"], b"a", Some(3)),
            (b"abac", &[b"ab", b"ababac"], b"abab", Some(1)),
            (b"abc", &[b"ab", b"ab", b"c!"], b"ab", Some(2)),
            (b"", &[PQ], PQ, None),
        ];
        for (keys, chunks, forwarded, detached) in cases {
            let expected = (forwarded.to_vec(), detached);
            assert_eq!(run(keys, chunks), expected, "{keys:?} {chunks:?}");
        }
    }

    #[test]
    fn scanner_starts_over_after_a_detach() {
        let mut scanner = DetachScanner::new(PQ.to_vec());
        assert!(scanner.feed(PQ).detach);
        let scan = scanner.feed(&[Q, P]);
        assert_eq!((scan.forward, scan.detach), (vec![Q], false));
        assert_eq!(scanner.finish(), [P]);
        assert!(scanner.finish().is_empty());
    }
}
