//! Stable placeholders for the parts of output that change from run to run.
//!
//! The same rules serve insta snapshots ([`snapshot_settings`]) and book transcripts
//! ([`normalize`]), so a transcript in the book and a snapshot in a test read alike.

/// (regex, replacement) pairs, applied in order. Longer/more specific patterns come first.
pub const FILTERS: &[(&str, &str)] = &[
    // RFC 3339 timestamps, with or without fractional seconds.
    (
        r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})",
        "[TIME]",
    ),
    // Full (64 hex) and short (12 hex) container ids.
    (r"\b[0-9a-f]{64}\b", "[ID]"),
    (r"\b[0-9a-f]{12}\b", "[SHORT-ID]"),
    // Short layer link names (overlay2/l/…): 26 of A–Z and 2–7.
    (r"\b[A-Z2-7]{26}\b", "[LINK]"),
    // Temporary directories made by tempfile or mktemp.
    (r"/tmp/[A-Za-z0-9._-]+", "[TMP]"),
    // Process ids where the output names them as such.
    // (Two digits or more: "pid 1" inside a container is the point, and stays.)
    (r"\b(pid|PID) \d{2,}", "$1 [PID]"),
    // Namespace inode numbers: the kernel numbers them from 0xF0000000 (4026531840) up.
    (r"\b40265\d{5}\b", "[INODE]"),
];

/// insta settings with [`FILTERS`]; bind the guard for the duration of the assertions:
/// `let _guard = testkit::snapshot_settings().bind_to_scope();`
pub fn snapshot_settings() -> insta::Settings {
    let mut settings = insta::Settings::clone_current();
    for (pattern, replacement) in FILTERS {
        settings.add_filter(pattern, *replacement);
    }
    settings.set_prepend_module_to_snapshot(false);
    settings
}

/// Applies [`FILTERS`] to a string (for transcripts and ad-hoc comparisons).
pub fn normalize(text: &str) -> String {
    let mut out = text.to_owned();
    for (pattern, replacement) in FILTERS {
        let regex = insta_regex(pattern);
        out = regex.replace_all(&out, *replacement).into_owned();
    }
    out
}

fn insta_regex(pattern: &str) -> regex::Regex {
    regex::Regex::new(pattern).expect("the patterns in FILTERS are valid regular expressions")
}

#[cfg(test)]
mod tests {
    use super::normalize;

    #[test]
    fn volatile_parts_become_placeholders() {
        let raw = "pid 48213 started at 2026-11-22T01:51:21.729625599Z in /tmp/.tmpAbC12/rootfs, \
                   id 89eff207e3f8a11853c3fb54b40eb0b89d8bdaea4585f960f948c8a0758fc5bf (89eff207e3f8), \
                   ns 4026532177; inside pid 1";
        assert_eq!(
            normalize(raw),
            "pid [PID] started at [TIME] in [TMP]/rootfs, id [ID] ([SHORT-ID]), ns [INODE]; inside pid 1"
        );
    }
}
